/* sysc: spends its time in the kernel, reading /dev/zero in 256 KiB
 * chunks, for CPU_SECONDS (argv[1]) of CPU time. */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static char buf[256 << 10];

__attribute__((noinline)) static void read_zeros(int fd)
{
	if (read(fd, buf, sizeof(buf)) < 0)
		exit(1);
}

int main(int argc, char **argv)
{
	int fd = open("/dev/zero", O_RDONLY);
	double end = argc > 1 ? atof(argv[1]) : 3.0;

	if (fd < 0)
		return 1;
	while (cpu_now() < end)
		read_zeros(fd);
	return 0;
}
