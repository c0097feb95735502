/* bench_decode: how fast the pprof decoder (and decode + top) runs.
 *
 *   bench_decode [-n PASSES] FILE...
 *
 * Reads every FILE into memory first (no I/O is timed), then makes PASSES
 * passes (default 5) of each phase over all of them, single-threaded:
 *   decode      pprof_decode() + pprof_free() of every file
 *   decode+top  the same plus top_add_pprof() of each profile (default
 *               sample type) into one struct top, and top_rows() at the end
 *   top         top_add_pprof() alone, over profiles decoded beforehand
 * and prints, per phase, the best and median pass time (CLOCK_MONOTONIC),
 * MB/s of gzipped input and samples/s (both from the best pass). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/base/err.h"
#include "../src/base/file.h"
#include "../src/base/xalloc.h"
#include "../src/pprof/decode.h"
#include "../src/pprof/profile.h"
#include "../src/query/top.h"
#include "bench.h"

struct input {
	const char *path;
	uint8_t *data;
	size_t len;
};

/* One pass; returns its wall time, or a negative value on error. Counts
 * samples into *nsamples and keeps top rows' count in *nrows. */
static double pass(const struct input *in, size_t n, int with_top,
		   size_t *nsamples, size_t *nrows)
{
	struct top *t = with_top ? top_new() : NULL;
	double t0 = now(), t1;
	size_t i, ns = 0;

	for (i = 0; i < n; i++) {
		struct pprof_profile *p = NULL;
		struct err e = {0};

		if (pprof_decode(in[i].data, in[i].len, NULL, &p, &e) < 0) {
			fprintf(stderr, "bench_decode: %s: %s\n", in[i].path, e.msg);
			top_free(t);
			return -1;
		}
		ns += p->nsample;
		if (t) {
			int vi = pprof_default_index(p);

			if (vi >= 0)
				top_add_pprof(t, p, vi);
		}
		pprof_free(p);
	}
	if (t) {
		size_t rows = 0;

		top_rows(t, &rows);
		*nrows = rows;
	}
	t1 = now();
	top_free(t);
	*nsamples = ns;
	return t1 - t0;
}

/* Phase "top": top_add_pprof() over already decoded profiles. */
static double pass_top(struct pprof_profile *const *ps, size_t n,
		       size_t *nsamples, size_t *nrows)
{
	struct top *t = top_new();
	double t0 = now(), t1;
	size_t i, ns = 0, rows = 0;

	for (i = 0; i < n; i++) {
		int vi = pprof_default_index(ps[i]);

		ns += ps[i]->nsample;
		if (vi >= 0)
			top_add_pprof(t, ps[i], vi);
	}
	top_rows(t, &rows);
	t1 = now();
	top_free(t);
	*nsamples = ns;
	*nrows = rows;
	return t1 - t0;
}

static int run_phase(const char *name, const struct input *in, size_t n,
		     int with_top, int passes, size_t bytes,
		     struct pprof_profile *const *decoded)
{
	double *times = xcalloc((size_t)passes, sizeof(*times));
	size_t nsamples = 0, nrows = 0;
	double best, median;
	int k;

	for (k = 0; k < passes; k++) {
		times[k] = decoded ? pass_top(decoded, n, &nsamples, &nrows)
				   : pass(in, n, with_top, &nsamples, &nrows);
		if (times[k] < 0) {
			free(times);
			return -1;
		}
	}
	qsort(times, (size_t)passes, sizeof(*times), cmp_double);
	best = times[0];
	median = passes % 2 ? times[passes / 2]
			    : (times[passes / 2 - 1] + times[passes / 2]) / 2;
	printf("%-11s best %8.4f s  median %8.4f s  ", name, best, median);
	if (decoded)
		printf("%8s           ", "-");
	else
		printf("%8.1f MB/s gz  ", (double)bytes / 1e6 / best);
	printf("%11.0f samples/s", (double)nsamples / best);
	if (with_top || decoded)
		printf("  (%zu functions)", nrows);
	printf("\n");
	free(times);
	return 0;
}

int main(int argc, char **argv)
{
	struct input *in;
	struct pprof_profile **decoded;
	size_t n = 0, i, bytes = 0, nsamples = 0, nrows = 0;
	int passes = 5, a = 1;

	if (a + 1 < argc && !strcmp(argv[a], "-n")) {
		passes = atoi(argv[a + 1]);
		a += 2;
	}
	if (passes < 1 || a >= argc) {
		fprintf(stderr, "usage: bench_decode [-n PASSES] FILE...\n");
		return 2;
	}
	in = xcalloc((size_t)(argc - a), sizeof(*in));
	for (; a < argc; a++) {
		struct err e = {0};

		in[n].path = argv[a];
		if (file_read(argv[a], (size_t)1 << 30, &in[n].data, &in[n].len,
			      &e) < 0) {
			fprintf(stderr, "bench_decode: %s\n", e.msg);
			return 1;
		}
		bytes += in[n].len;
		n++;
	}
	/* Warm-up pass, which also counts the samples. */
	if (pass(in, n, 0, &nsamples, &nrows) < 0)
		return 1;
	printf("bench_decode: %zu files, %.2f MB gzipped, %zu samples, "
	       "%d passes, 1 thread\n",
	       n, (double)bytes / 1e6, nsamples, passes);
	if (run_phase("decode", in, n, 0, passes, bytes, NULL) < 0 ||
	    run_phase("decode+top", in, n, 1, passes, bytes, NULL) < 0)
		return 1;
	decoded = xcalloc(n, sizeof(*decoded));
	for (i = 0; i < n; i++)
		if (pprof_decode(in[i].data, in[i].len, NULL, &decoded[i], NULL) < 0)
			return 1;
	if (run_phase("top", in, n, 1, passes, bytes, decoded) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		pprof_free(decoded[i]);
		free(in[i].data);
	}
	free(decoded);
	free(in);
	return 0;
}
