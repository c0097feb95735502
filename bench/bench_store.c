/* bench_store: durable ingest, storage size, maintenance, reopen and merge
 * queries of the embedded store (store_sqlite_ops), single-threaded.
 *
 *   bench_store [--series S] [--programs G] [--hours H] [--interval SEC]
 *               [--days D] [--old-interval SEC] [--batch B] [--runs R]
 *               [--dir DIR] [--decode 0|1] FILE...
 *
 * FILEs are gzipped pprof profiles, read and decoded once before anything
 * is timed. With --decode 1 each ingested profile is also decoded again from
 * its gzipped bytes inside the timed ingest, as the server does per request
 * (the design target counts decode + ingest); decode time is shown apart. They are taken as G equal groups in the order given (group g =
 * one "program", e.g. genprof --functions 3000+g), so that services of
 * different groups have different symbols. Series i (service_name=svc%03d,
 * i < S) uses group i % G and, at its k-th timestamp, file
 * (i / G + k) % (files per group) of that group, so series differ and a
 * series' consecutive profiles differ.
 *
 * Timeline: END is 1.5 h after a 2 h block boundary, so the last hour is
 * inside the open head block. Data, ingested oldest first as a collector
 * would receive it, one store_append per timestamp holding the profiles of
 * up to B series (each append commits with fsync):
 *   old  [END - D days, END - H hours) every --old-interval s (0: none)
 *   hot  [END - H hours, END)          every --interval s (default 10)
 * Only [pprof_decode() +] normalize() + store_append() + norm_free() are timed.
 *
 * Then: store_stats (bytes) before and after store_maintain(END) (sealing
 * and roll-ups, timed); store_close + store_open (timed); and merges of the
 * cpu profile type of all series over the last 1 h, 24 h and D days
 * (whatever of them the data covers): one cold run right after the reopen,
 * then R runs, best and median; then a reopen with the server's warm-up of
 * the last 7 days (store_config.warm), timed until it is done, and each
 * range's first merge after it. Every merge's total is checked against the
 * sum of the ingested cpu values in its range. Per range also the two
 * query formats end to end (warm, median of R): flamegraph (store_merge +
 * flame-graph JSON, all nodes) and pprof (store_merge_pprof, every symbol,
 * + gzipped encoding), as /api/v1/query builds them, and the first pprof
 * run alone (it fills the blocks' symbol caches). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/base/err.h"
#include "../src/base/file.h"
#include "../src/base/label.h"
#include "../src/base/xalloc.h"
#include "../src/ingest/normalize.h"
#include "../src/pprof/decode.h"
#include "../src/pprof/encode.h"
#include "../src/pprof/profile.h"
#include "../src/query/flamegraph.h"
#include "../src/query/selector.h"
#include "../src/query/stacktree.h"
#include "../src/store/store.h"
#include "bench.h"

#define SEC STORE_NS_PER_SEC
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
/* A 2 h-aligned epoch (2026-11-25 06:00 UTC); END is 1.5 h past a boundary. */
#define T_BASE ((int64_t)1795600800 * SEC)
#define CPU_TYPE "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

struct input {
	const char *path;
	size_t gz;                /* gzipped bytes */
	uint8_t *data;            /* the file, kept for --decode */
	struct pprof_profile *p;
	size_t nsamples;          /* pprof samples */
	int64_t cpu;              /* sum of the cpu values */
};

struct opts {
	int series, programs, runs, batch;
	int decode;               /* decode each profile inside the timed ingest */
	double hours, days;
	int interval, old_interval;
	const char *dir;
};

struct ingest_stats {
	double secs, decode_secs;
	int decode;               /* decode_secs is meaningful */
	uint64_t profiles, samples, gz, appends;
};

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, e ? e->msg : strerror(errno));
	exit(1);
}

static const struct input *pick(const struct input *in, size_t nin, const struct opts *o,
				int series, int64_t k)
{
	size_t per = nin / (size_t)o->programs;
	size_t g = (size_t)series % (size_t)o->programs;
	size_t j = ((size_t)series / (size_t)o->programs + (size_t)k) % per;

	return &in[g * per + j];
}

/* Expected cpu total of all series over [from, until) given what was ingested. */
struct timeline {
	int64_t end, hot_from, old_from;
	int64_t hot_step, old_step;
};

static int64_t expected(const struct input *in, size_t nin, const struct opts *o,
			const struct timeline *tl, int64_t from, int64_t until)
{
	int64_t total = 0, ts, k;
	int s;

	for (int pass = 0; pass < 2; pass++) {
		int64_t lo = pass ? tl->hot_from : tl->old_from;
		int64_t hi = pass ? tl->end : tl->hot_from;
		int64_t step = pass ? tl->hot_step : tl->old_step;
		if (step <= 0)
			continue;
		for (ts = lo, k = 0; ts < hi; ts += step, k++) {
			if (ts < from || ts >= until)
				continue;
			for (s = 0; s < o->series; s++)
				total += pick(in, nin, o, s, k)->cpu;
		}
	}
	return total;
}

/* Appends every series at every step of [lo, hi). */
static void ingest(struct store *st, const struct input *in, size_t nin, const struct opts *o,
		   int64_t lo, int64_t hi, int64_t step, struct ingest_stats *is)
{
	struct store_profile *ps = xcalloc((size_t)o->batch, sizeof(*ps));
	struct norm **ns = xcalloc((size_t)o->batch, sizeof(*ns));
	struct pprof_profile **pp = xcalloc((size_t)o->batch, sizeof(*pp));
	char (*svc)[16] = xcalloc((size_t)o->series, sizeof(*svc));
	struct label l[2] = {{"env", "prod"}, {"service_name", NULL}};
	struct norm_opts no = {0};
	struct err e = {0};
	int64_t ts, k;
	int s, b, i;
	double t0;

	for (s = 0; s < o->series; s++)
		snprintf(svc[s], sizeof(svc[s]), "svc%03d", s);
	is->decode = o->decode;
	no.labels = l;
	no.nlabels = 2;
	for (ts = lo, k = 0; ts < hi; ts += step, k++) {
		for (s = 0; s < o->series; s += b) {
			b = o->series - s < o->batch ? o->series - s : o->batch;
			t0 = now();
			for (i = 0; i < b; i++) {
				const struct input *x = pick(in, nin, o, s + i, k);
				double d0 = now();
				pp[i] = NULL;
				if (o->decode && pprof_decode(x->data, x->gz, NULL, &pp[i], &e) < 0)
					die(x->path, &e);
				is->decode_secs += now() - d0;
				l[1].value = svc[s + i];
				if (normalize(pp[i] ? pp[i] : x->p, &no, &ns[i], &e) < 0)
					die(x->path, &e);
				ps[i] = (struct store_profile){pp[i] ? pp[i] : x->p, ns[i], ts, 10 * SEC};
			}
			if (store_append(st, ps, (size_t)b, &e) < 0)
				die("store_append", &e);
			for (i = 0; i < b; i++) {
				norm_free(ns[i]);
				pprof_free(pp[i]);
			}
			is->secs += now() - t0;
			is->appends++;
			for (i = 0; i < b; i++) {
				const struct input *x = pick(in, nin, o, s + i, k);
				is->profiles++;
				is->samples += x->nsamples;
				is->gz += x->gz;
			}
		}
	}
	free(svc);
	free(pp);
	free(ns);
	free(ps);
}

static void print_ingest(const char *name, const struct ingest_stats *is)
{
	printf("%-10s %8" PRIu64 " profiles %10" PRIu64 " samples %7" PRIu64 " appends"
	       "  %8.2f s  %9.0f samples/s  %7.0f profiles/s  %6.2f MB/s gz\n",
	       name, is->profiles, is->samples, is->appends, is->secs,
	       (double)is->samples / is->secs, (double)is->profiles / is->secs,
	       (double)is->gz / 1e6 / is->secs);
	if (is->decode)
		printf("%-10s decode %.2f s (%.0f samples/s), normalize + append %.2f s (%.0f samples/s)\n",
		       "", is->decode_secs, (double)is->samples / is->decode_secs,
		       is->secs - is->decode_secs, (double)is->samples / (is->secs - is->decode_secs));
}

static void print_stats(const char *when, struct store *st, uint64_t gz)
{
	struct store_stats ss;
	struct err e = {0};

	if (store_stats(st, &ss, &e) < 0)
		die("store_stats", &e);
	printf("stats %-16s %3" PRIu64 " blocks (%3" PRIu64 " sealed) %6" PRIu64 " series"
	       " %9" PRIu64 " rows  %10.2f MB on disk = %5.1f%% of %.2f MB gz ingested\n",
	       when, ss.blocks, ss.sealed_blocks, ss.series, ss.profiles, (double)ss.bytes / 1e6,
	       100.0 * (double)ss.bytes / (double)gz, (double)gz / 1e6);
}

/* One merge; returns seconds, checks the total, reports nodes. */
static double merge_once(struct store *st, const struct selector *sel, int64_t from,
			 int64_t until, int64_t want, size_t *nodes)
{
	struct stacktree *t = stacktree_new();
	const struct stacktree_node *nd;
	struct err e = {0};
	double t0 = now(), dt;

	if (store_merge(st, sel, from, until, t, &e) < 0)
		die("store_merge", &e);
	dt = now() - t0;
	nd = stacktree_nodes(t, nodes);
	if (nd[0].total != want) {
		fprintf(stderr, "bench_store: merge total %" PRId64 ", expected %" PRId64 "\n",
			nd[0].total, want);
		exit(1);
	}
	stacktree_free(t);
	return dt;
}

static void query(struct store *st, const struct selector *sel, const char *name,
		  int64_t from, int64_t until, int64_t rows, int64_t want, int runs)
{
	double *t = xcalloc((size_t)runs, sizeof(*t)), cold, med;
	size_t nodes = 0;
	int i;

	cold = merge_once(st, sel, from, until, want, &nodes);
	for (i = 0; i < runs; i++)
		t[i] = merge_once(st, sel, from, until, want, &nodes);
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
	printf("merge %-6s %8" PRId64 " profiles  cold %7.3f s  best %7.3f s  median %7.3f s"
	       "  %8zu flame graph nodes\n", name, rows, cold, t[0], med, nodes);
	free(t);
}

struct fmt_cost {
	double secs, merge_secs;
	size_t bytes, nodes, samples, locations;
};

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void fmt_flamegraph(struct store *st, const struct selector *sel, int64_t from,
			   int64_t until, struct fmt_cost *c)
{
	struct flamegraph_meta meta = {"cpu", "nanoseconds", 0};
	struct stacktree *t = stacktree_new();
	struct buf out = BUF_INIT;
	struct err e = {0};
	double t0 = now();

	if (store_merge(st, sel, from, until, t, &e) < 0)
		die("store_merge", &e);
	c->merge_secs = now() - t0;
	flamegraph_write_json(t, &meta, &out);
	c->secs = now() - t0;
	c->bytes = out.len;
	stacktree_nodes(t, &c->nodes);
	stacktree_free(t);
	buf_release(&out);
}

static void fmt_pprof(struct store *st, const struct selector *sel, int64_t from,
		      int64_t until, int64_t want, struct fmt_cost *c)
{
	struct pprof_profile *p = NULL;
	struct err e = {0};
	double t0 = now();
	int64_t total = 0;
	uint8_t *gz;
	size_t i;

	if (store_merge_pprof(st, sel, from, until, &p, &e) < 0)
		die("store_merge_pprof", &e);
	c->merge_secs = now() - t0;
	if (pprof_encode(p, &gz, &c->bytes, &e) < 0)
		die("pprof_encode", &e);
	c->secs = now() - t0;
	for (i = 0; i < p->nsample; i++)
		total += p->value[i];
	if (total != want) {
		fprintf(stderr, "bench_store: merge_pprof total %" PRId64 ", expected %" PRId64 "\n",
			total, want);
		exit(1);
	}
	c->samples = p->nsample;
	c->locations = p->nlocation;
	free(gz);
	pprof_free(p);
}

/* format=flamegraph against format=pprof over one range, warm. */
static void formats(struct store *st, const struct selector *sel, const char *name,
		    int64_t from, int64_t until, int64_t want, int runs)
{
	double *fg = xcalloc((size_t)runs, sizeof(*fg)), *pp = xcalloc((size_t)runs, sizeof(*pp));
	double *pm = xcalloc((size_t)runs, sizeof(*pm));
	struct fmt_cost f = {0}, p = {0};
	double first;
	int i;

	for (i = 0; i < runs; i++) {
		fmt_flamegraph(st, sel, from, until, &f);
		fmt_pprof(st, sel, from, until, want, &p);
		fg[i] = f.secs;
		pp[i] = p.secs;
		pm[i] = p.merge_secs;
	}
	first = pp[0]; /* the first pprof merge fills the blocks' symbol caches */
	printf("format %-5s flamegraph %7.3f s (%zu nodes, %.1f MB JSON)  pprof %7.3f s"
	       " (merge_pprof %.3f s; first %.3f s; %zu samples, %zu locations, %.1f MB gz)\n",
	       name, median(fg, runs), f.nodes, (double)f.bytes / 1e6, median(pp, runs),
	       median(pm, runs), first, p.samples, p.locations, (double)p.bytes / 1e6);
	free(fg);
	free(pp);
	free(pm);
}

static int64_t rows_in(const struct opts *o, const struct timeline *tl, int64_t from,
		       int64_t until)
{
	int64_t n = 0, ts;

	if (tl->old_step > 0)
		for (ts = tl->old_from; ts < tl->hot_from; ts += tl->old_step)
			n += ts >= from && ts < until;
	for (ts = tl->hot_from; ts < tl->end; ts += tl->hot_step)
		n += ts >= from && ts < until;
	return n * o->series;
}

/* The merge queries, each ending at END. */
static const struct {
	const char *name;
	int64_t span;
} ranges[] = {{"1h", HOUR}, {"24h", DAY}, {"7d", 7 * DAY}};

static void usage(void)
{
	fprintf(stderr, "usage: bench_store [--series S] [--programs G] [--hours H] [--interval SEC]\n"
		"                   [--days D] [--old-interval SEC] [--batch B] [--runs R]\n"
		"                   [--dir DIR] [--decode 0|1] FILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.series = 100, .programs = 1, .runs = 3, .batch = 100, .hours = 1.0,
			  .days = 7.0, .interval = 10, .old_interval = 600};
	struct input *in;
	size_t nin = 0, i;
	uint64_t gz_total = 0, samples_total = 0;
	int a;
	char dir[4096];
	struct store_config cfg = {0};
	struct store *st = NULL;
	struct err e = {0};
	struct timeline tl;
	struct ingest_stats old = {0}, hot = {0}, all;
	struct selector *sel = NULL;
	double t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 1; a < argc && argv[a][0] == '-'; a += 2) {
		const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(k, "--series"))
			o.series = atoi(v);
		else if (!strcmp(k, "--programs"))
			o.programs = atoi(v);
		else if (!strcmp(k, "--hours"))
			o.hours = atof(v);
		else if (!strcmp(k, "--interval"))
			o.interval = atoi(v);
		else if (!strcmp(k, "--days"))
			o.days = atof(v);
		else if (!strcmp(k, "--old-interval"))
			o.old_interval = atoi(v);
		else if (!strcmp(k, "--batch"))
			o.batch = atoi(v);
		else if (!strcmp(k, "--runs"))
			o.runs = atoi(v);
		else if (!strcmp(k, "--dir"))
			o.dir = v;
		else if (!strcmp(k, "--decode"))
			o.decode = atoi(v);
		else
			usage();
	}
	if (a >= argc || o.series < 1 || o.programs < 1 || o.runs < 1 || o.batch < 1 ||
	    o.interval < 1 || o.hours <= 0 || o.old_interval < 0 ||
	    (size_t)(argc - a) < (size_t)o.programs)
		usage();

	/* Inputs: read, decode and measure once. */
	in = xcalloc((size_t)(argc - a), sizeof(*in));
	for (; a < argc; a++, nin++) {
		struct norm *n = NULL;
		struct norm_opts no = {0};
		uint8_t *data;
		size_t len;
		in[nin].path = argv[a];
		if (file_read(argv[a], (size_t)1 << 30, &data, &len, &e) < 0 ||
		    pprof_decode(data, len, NULL, &in[nin].p, &e) < 0)
			die(argv[a], &e);
		in[nin].data = data;
		in[nin].gz = len;
		in[nin].nsamples = in[nin].p->nsample;
		if (normalize(in[nin].p, &no, &n, &e) < 0)
			die(argv[a], &e);
		for (i = 0; i < n->nseries; i++)
			if (!strcmp(n->series[i].profile_type, CPU_TYPE))
				in[nin].cpu += n->series[i].total;
		norm_free(n);
		gz_total += len;
		samples_total += in[nin].nsamples;
	}
	nin -= nin % (size_t)o.programs;

	tl.end = T_BASE + 8 * DAY + 90 * 60 * SEC;
	tl.hot_step = (int64_t)o.interval * SEC;
	tl.old_step = (int64_t)o.old_interval * SEC;
	tl.hot_from = tl.end - (int64_t)(o.hours * (double)HOUR);
	tl.old_from = tl.end - (int64_t)(o.days * (double)DAY);
	if (tl.old_from > tl.hot_from || tl.old_step == 0)
		tl.old_from = tl.hot_from, tl.old_step = 0;

	printf("bench_store: %zu files (%d programs x %zu), %.2f MB gzipped, %.0f samples/file;"
	       " %d series, batch %d, 1 thread\n",
	       nin, o.programs, nin / (size_t)o.programs, (double)gz_total / 1e6,
	       (double)samples_total / (double)nin, o.series, o.batch);

	if (o.dir) {
		snprintf(dir, sizeof(dir), "%s/store-XXXXXX", o.dir);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/bench-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	}
	if (!mkdtemp(dir))
		die(dir, NULL);
	printf("store: %s (block 2 h, grace 10 min); END = %" PRId64 " s\n", dir,
	       tl.end / SEC);
	cfg.dir = dir;
	cfg.retention = -1;
	if (store_open(&store_sqlite_ops, &cfg, &st, &e) < 0)
		die("store_open", &e);

	if (tl.old_step) {
		printf("old: %d series every %d s over [END - %.4g d, END - %.4g h)\n", o.series,
		       o.old_interval, o.days, o.hours);
		ingest(st, in, nin, &o, tl.old_from, tl.hot_from, tl.old_step, &old);
		print_ingest("ingest old", &old);
	}
	printf("hot: %d series every %d s over [END - %.4g h, END)\n", o.series, o.interval,
	       o.hours);
	ingest(st, in, nin, &o, tl.hot_from, tl.end, tl.hot_step, &hot);
	print_ingest("ingest hot", &hot);
	all = hot;
	all.secs += old.secs;
	all.profiles += old.profiles;
	all.samples += old.samples;
	all.gz += old.gz;
	all.appends += old.appends;
	all.decode_secs += old.decode_secs;
	if (tl.old_step)
		print_ingest("ingest all", &all);

	print_stats("before maintain", st, all.gz);
	t0 = now();
	if (store_maintain(st, tl.end, &e) < 0)
		die("store_maintain", &e);
	printf("maintain   %8.2f s  (seal + roll-ups of every block ended before END - 10 min)\n",
	       now() - t0);
	print_stats("after maintain", st, all.gz);

	t0 = now();
	store_close(st);
	st = NULL;
	if (store_open(&store_sqlite_ops, &cfg, &st, &e) < 0)
		die("store_open", &e);
	printf("reopen     %8.3f s  (store_close + store_open)\n", now() - t0);

	if (selector_parse(CPU_TYPE "{}", strlen(CPU_TYPE "{}"), &sel, &e) < 0)
		die("selector", &e);
	{
		int64_t covered = tl.end - tl.old_from;
		for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
			int64_t from = tl.end - ranges[i].span;
			if (ranges[i].span > covered + HOUR / 60)
				continue;
			query(st, sel, ranges[i].name, from, tl.end, rows_in(&o, &tl, from, tl.end),
			      expected(in, nin, &o, &tl, from, tl.end), o.runs);
		}
		for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
			int64_t from = tl.end - ranges[i].span;
			if (ranges[i].span <= covered + HOUR / 60)
				formats(st, sel, ranges[i].name, from, tl.end,
					expected(in, nin, &o, &tl, from, tl.end), o.runs);
		}
	}
	/* The server warms the blocks of the last 7 days after opening
	 * (store_config.warm): reopen that way, wait for the warm-up, and time
	 * each range's first merge after it. */
	store_close(st);
	cfg.warm = 7 * DAY;
	t0 = now();
	if (store_open(&store_sqlite_ops, &cfg, &st, &e) < 0)
		die("store_open", &e);
	for (;;) {
		struct store_stats ss;
		if (store_stats(st, &ss, &e) < 0)
			die("store_stats", &e);
		if (!ss.warming)
			break;
		usleep(100000); /* store_stats counts rows in every block: not too often */
	}
	printf("reopen with warm-up of the last 7 d: ready %.3f s after opening\n", now() - t0);
	{
		int64_t covered = tl.end - tl.old_from;
		for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
			int64_t from = tl.end - ranges[i].span;
			size_t nodes = 0;
			if (ranges[i].span > covered + HOUR / 60)
				continue;
			printf("merge %-6s first after warm-up %7.3f s\n", ranges[i].name,
			       merge_once(st, sel, from, tl.end, expected(in, nin, &o, &tl, from, tl.end),
					  &nodes));
		}
	}
	selector_free(sel);
	store_close(st);
	for (i = 0; i < nin; i++) {
		pprof_free(in[i].p);
		free(in[i].data);
	}
	free(in);
	return 0;
}
