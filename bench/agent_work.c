/* agent_work: a fixed CPU-bound workload for bench/agent.sh.
 *
 *   agent_work N    runs N million iterations of a small loop spread over a
 *                   few nested calls (so stacks have some depth), then
 *                   prints "WALL_S CPU_S"
 *   agent_work 0    runs forever (the busy background processes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void leaf(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		sink += i ^ (i >> 3);
}

__attribute__((noinline)) static void mid(unsigned long n)
{
	leaf(n / 2);
	leaf(n - n / 2);
}

__attribute__((noinline)) static void top(unsigned long n)
{
	mid(n);
}

int main(int argc, char **argv)
{
	long millions = argc > 1 ? atol(argv[1]) : 100;
	double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	long i;

	for (i = 0; millions == 0 || i < millions; i++)
		top(1000000);
	printf("%.4f %.4f\n", clock_s(CLOCK_MONOTONIC) - w0,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	return 0;
}
