/* A C program for the symbolizer tests: prints the addresses of a function
 * of its own and one of a shared library, then "ready", and waits. A line
 * "dlopen PATH" on stdin makes it load PATH and print the address of its
 * function late_func, then "ready" again; EOF ends it. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int lib_func(int x);
unsigned long lib_addr(void);

__attribute__((noinline)) int exe_func(int x)
{
	return x * 7 + lib_func(x);
}

int main(void)
{
	char line[4096];

	printf("exe %lx\nlib %lx\nready\n", (unsigned long)(void *)exe_func,
	       lib_addr());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		void *h, *f;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "dlopen ", 7))
			continue;
		h = dlopen(line + 7, RTLD_NOW);
		f = h ? dlsym(h, "late_func") : NULL;
		printf("late %lx\nready\n", (unsigned long)f);
		fflush(stdout);
	}
	return exe_func(1) == 0;
}
