/* sysc: spends its time in the kernel, reading /dev/zero in 256 KiB
 * chunks, for SECONDS (argv[1]). */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char buf[256 << 10];

__attribute__((noinline)) static void read_zeros(int fd)
{
	if (read(fd, buf, sizeof(buf)) < 0)
		exit(1);
}

int main(int argc, char **argv)
{
	int fd = open("/dev/zero", O_RDONLY);
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 3);

	if (fd < 0)
		return 1;
	while (time(NULL) < end)
		read_zeros(fd);
	return 0;
}
