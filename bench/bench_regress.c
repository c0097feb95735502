/* bench_regress: a regress query (GET /api/v1/regress without the HTTP)
 * over realistic sizes, beside the merge of the same profiles.
 *
 *   bench_regress [--profiles N] [--runs R] [--dir DIR] [--keep] FILE
 *
 * FILE is a real CPU profile (the shape: its stacks and their weights).
 * N base and N target profiles (default 360 each: an hour at 10 s) are
 * made from it, one series per side (version=1, version=2), 10 s apart:
 * each sample's count scaled by exp(0.3 z) (workload noise), and in the
 * target the samples whose leaf is the function with the third largest
 * self cost scaled by 1.5 (a regression). They are stored in a fresh store
 * under DIR (untimed), then timed, R runs each, best and median:
 *   regress  store_profiles of both sides + regress_report (what the API
 *            does before writing JSON), and the JSON
 *   merge    store_merge of both sides (what /api/v1/diff reads)
 * The report's first function is checked to be the injected one. With
 * --keep the store stays in DIR (for timing the same query over HTTP:
 * bench/regress.sh), with base version="1" and target version="2" in
 * [1795600800, 1795600800 + 10 N) s. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/base/err.h"
#include "../src/base/file.h"
#include "../src/base/xalloc.h"
#include "../src/ingest/normalize.h"
#include "../src/pprof/decode.h"
#include "../src/query/regress.h"
#include "../src/query/regress_report.h"
#include "../src/query/top.h"
#include "../src/store/store.h"
#include "bench.h"
#include "../tests/tools/regress_gen.h"

#define SEC STORE_NS_PER_SEC
#define T_BASE ((int64_t)1795600800 * SEC)
#define CPU_TYPE "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
#define BATCH 60

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench_regress: %s: %s\n", what, e ? e->msg : strerror(errno));
	exit(1);
}

/* The function with the third largest self cost: the one to slow down. */
static char *pick_victim(const struct pprof_profile *p, int vi)
{
	struct top *t = top_new();
	const struct top_row *rows;
	size_t n, len;
	const char *s;
	char *out;

	top_add_pprof(t, p, vi);
	rows = top_rows(t, &n);
	if (n < 3)
		die("the profile has fewer than three functions", NULL);
	s = top_name(t, rows[2].name, &len);
	out = xmalloc(len + 1);
	memcpy(out, s, len);
	out[len] = '\0';
	top_free(t);
	return out;
}

static int leaf_is(const struct pprof_profile *p, size_t i, const char *name, struct buf *tmp)
{
	if (!p->sample[i].nloc)
		return 0;
	buf_reset(tmp);
	pprof_frame_name(p, p->sample_loc[p->sample[i].loc_off], 0, tmp);
	return tmp->len == strlen(name) && !memcmp(tmp->data, name, tmp->len);
}

/* One noisy copy of the shape: decoded afresh, counts jittered. */
static struct pprof_profile *variant(const uint8_t *raw, size_t len, struct rg_rng *r,
				     const char *victim, int target)
{
	struct pprof_profile *p = NULL;
	struct buf tmp = BUF_INIT;
	struct err e = {0};
	size_t i, t;

	if (pprof_decode(raw, len, NULL, &p, &e) < 0)
		die("decode", &e);
	for (i = 0; i < p->nsample; i++) {
		double k = exp(0.3 * rg_normal(r)) * (target && leaf_is(p, i, victim, &tmp) ? 1.5 : 1);
		for (t = 0; t < p->nsample_type; t++) {
			int64_t *v = &p->value[i * p->nsample_type + t];
			int64_t unit = t == 0 ? 1 : p->period > 0 ? p->period : 1;
			*v = llround((double)(*v / unit) * k) * unit;
		}
	}
	buf_release(&tmp);
	return p;
}

static void ingest(struct store *st, const uint8_t *raw, size_t len, int n, const char *victim)
{
	struct pprof_profile *ps[BATCH];
	struct store_profile sp[BATCH];
	struct norm *ns[BATCH];
	struct label l[2] = {{"service_name", "bench"}, {"version", NULL}};
	struct norm_opts no = {0};
	struct rg_rng r = {42};
	struct err e = {0};
	int side, k, b, i;

	no.labels = l;
	no.nlabels = 2;
	for (side = 0; side < 2; side++) {
		l[1].value = side ? "2" : "1";
		for (k = 0; k < n; k += b) {
			b = n - k < BATCH ? n - k : BATCH;
			for (i = 0; i < b; i++) {
				ps[i] = variant(raw, len, &r, victim, side);
				if (normalize(ps[i], &no, &ns[i], &e) < 0)
					die("normalize", &e);
				sp[i] = (struct store_profile){ps[i], ns[i],
							       T_BASE + (int64_t)(k + i) * 10 * SEC, 10 * SEC};
			}
			if (store_append(st, sp, (size_t)b, &e) < 0)
				die("store_append", &e);
			for (i = 0; i < b; i++) {
				norm_free(ns[i]);
				pprof_free(ps[i]);
			}
		}
	}
}

struct feed {
	struct regress *r;
	int side;
};

static int feed_cb(void *ctx, const struct store_series_info *s, int64_t ts, const uint32_t *nodes,
		   const int64_t *values, size_t n)
{
	struct feed *f = ctx;

	(void)s;
	(void)ts;
	regress_add(f->r, f->side, nodes, values, n);
	return 0;
}

static struct selector *side_sel(int side)
{
	const char *q = side ? CPU_TYPE "{version=\"2\"}" : CPU_TYPE "{version=\"1\"}";
	struct selector *s = NULL;
	struct err e = {0};

	if (selector_parse(q, strlen(q), &s, &e) < 0)
		die("selector", &e);
	return s;
}

/* One regress query; returns seconds, checks the answer. */
static double regress_once(struct store *st, int64_t until, const char *victim, size_t *out_len,
			   size_t *paths, size_t *tests)
{
	struct regress_opts o = {0.99, 0.01, 100, CPU_TYPE};
	struct regress *r;
	struct regress_report *rep = NULL;
	struct buf json = BUF_INIT;
	struct err e = {0};
	double t0 = now(), dt;
	int side;

	r = regress_new();
	for (side = 0; side < 2; side++) {
		struct selector *sel = side_sel(side);
		struct feed f = {r, side};
		if (store_profiles(st, sel, T_BASE, until, regress_paths(r), feed_cb, &f, &e) < 0)
			die("store_profiles", &e);
		selector_free(sel);
	}
	if (regress_report(r, &o, &rep, &e) < 0)
		die("regress_report", &e);
	regress_write_json(rep, &json);
	dt = now() - t0;
	if (strcmp(rep->functions.v[0].frames[0], victim) ||
	    rep->functions.v[0].verdict != REGRESS_REGRESSION)
		die("the injected function is not first and flagged", NULL);
	*out_len = json.len;
	*paths = rep->paths.all;
	*tests = rep->ntests;
	buf_release(&json);
	regress_report_free(rep);
	regress_free(r);
	return dt;
}

static double merge_once(struct store *st, int64_t until)
{
	double t0 = now();
	struct err e = {0};
	int side;

	for (side = 0; side < 2; side++) {
		struct selector *sel = side_sel(side);
		struct stacktree *t = stacktree_new();
		if (store_merge(st, sel, T_BASE, until, t, &e) < 0)
			die("store_merge", &e);
		stacktree_free(t);
		selector_free(sel);
	}
	return now() - t0;
}

static void report(const char *name, double *v, int runs)
{
	qsort(v, (size_t)runs, sizeof(*v), cmp_double);
	printf("  %-34s best %7.3f s  median %7.3f s\n", name, v[0], v[runs / 2]);
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp/stackyard-bench-regress", *file = NULL;
	struct store_config cfg = {0};
	struct store *st = NULL;
	struct err e = {0};
	struct pprof_profile *shape = NULL;
	double *rt, *mt, t0;
	size_t len, jlen = 0, paths = 0, tests = 0;
	uint8_t *raw;
	char *victim, cmd[4200];
	int n = 360, runs = 5, keep = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--profiles") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else
			file = argv[i];
	}
	if (!file || n < REGRESS_MIN_PROFILES || runs < 1) {
		fputs("usage: bench_regress [--profiles N] [--runs R] [--dir DIR] [--keep] FILE\n",
		      stderr);
		return 2;
	}
	if (file_read(file, 64 << 20, &raw, &len, &e) < 0)
		die(file, &e);
	if (pprof_decode(raw, len, NULL, &shape, &e) < 0)
		die(file, &e);
	victim = pick_victim(shape, pprof_default_index(shape));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		die("rm", NULL);
	cfg.dir = dir;
	if (store_open(&store_sqlite_ops, &cfg, &st, &e) < 0)
		die("store_open", &e);
	t0 = now();
	ingest(st, raw, len, n, victim);
	printf("inputs: %d + %d profiles shaped like %s (%zu samples each), injected into %s;"
	       " stored in %.1f s\n", n, n, file, shape->nsample, victim, now() - t0);
	rt = xcalloc((size_t)runs, sizeof(*rt));
	mt = xcalloc((size_t)runs, sizeof(*mt));
	for (i = 0; i < runs; i++) {
		rt[i] = regress_once(st, T_BASE + (int64_t)n * 10 * SEC, victim, &jlen, &paths, &tests);
		mt[i] = merge_once(st, T_BASE + (int64_t)n * 10 * SEC);
	}
	printf("  (%zu call paths, %zu tests, %zu bytes of JSON with 100 rows per list)\n", paths,
	       tests, jlen);
	report("regress (2 x profiles, report, JSON)", rt, runs);
	report("merge of both sides, for scale", mt, runs);
	store_close(st);
	if (!keep && system(cmd) != 0)
		die("rm", NULL);
	free(rt);
	free(mt);
	free(victim);
	free(raw);
	pprof_free(shape);
	return 0;
}
