/* burn: spends CPU in two functions at a known 3:1 ratio, for the agent
 * tests. Built with frame pointers: cc -O1 -fno-omit-frame-pointer.
 *   burn CPU_SECONDS [--short]
 * It stops after that much CPU time (not wall time), so that a loaded
 * machine still yields the same number of samples.
 * Both functions run the same loop body; heavy runs it three times as
 * often, so three quarters of the CPU time is in heavy_work. With --short
 * the work is in short_work (a process that exits mid-interval). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 200000UL

static volatile unsigned long sink;

#define BODY(n)                                                     \
	do {                                                        \
		unsigned long i_;                                   \
		for (i_ = 0; i_ < (n); i_++)                        \
			sink += i_ ^ (i_ >> 3);                     \
	} while (0)

__attribute__((noinline)) void heavy_work(void) { BODY(3 * CHUNK); }
__attribute__((noinline)) void light_work(void) { BODY(CHUNK); }
__attribute__((noinline)) void short_work(void) { BODY(CHUNK); }

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 3.0);
	int is_short = argc > 2 && !strcmp(argv[2], "--short");

	while (now() < end) {
		if (is_short) {
			short_work();
			continue;
		}
		heavy_work();
		light_work();
	}
	return 0;
}
