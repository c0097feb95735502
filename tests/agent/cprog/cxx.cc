// A C++ program: its function names are mangled in the symbol table.
#include <cstdio>
#include <string>
#include <vector>

namespace shapes {
template <typename T> struct Box {
	__attribute__((noinline)) T area(T w, T h) const { return w * h; }
};
class Klass {
public:
	__attribute__((noinline)) int method(int x) { return x + 1; }
	__attribute__((noinline)) int method(const std::string &s) { return (int)s.size(); }
};
} // namespace shapes

int main()
{
	shapes::Klass k;
	shapes::Box<double> b;
	int (shapes::Klass::*m)(int) = &shapes::Klass::method;
	double (shapes::Box<double>::*a)(double, double) const = &shapes::Box<double>::area;
	void *pm, *pa;
	__builtin_memcpy(&pm, &m, sizeof(pm));
	__builtin_memcpy(&pa, &a, sizeof(pa));
	std::printf("method %lx\narea %lx\nready\n", (unsigned long)pm, (unsigned long)pa);
	std::fflush(stdout);
	char buf[16];
	while (std::fgets(buf, sizeof buf, stdin))
		;
	return (k.method(1) + k.method(std::string("ab")) + (int)b.area(1, 2)) == 0;
}
