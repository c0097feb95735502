/* Helpers shared by the benchmark programs in bench/: a monotonic clock in
 * seconds and the qsort comparator for timings. Header-only, so each
 * benchmark stays one .c file linked against libstackyard.a. */
#ifndef STACKYARD_BENCH_H
#define STACKYARD_BENCH_H

#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
