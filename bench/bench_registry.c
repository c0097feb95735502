/* bench_registry: memory and merge time of a long-running store whose
 * services change code, with retention deleting old blocks.
 *
 *   bench_registry [--days D] [--stacks S] [--depth K] [--version-hours V]
 *                  [--retention-hours R] --dir DIR
 *
 * Simulated time in 2 h blocks over D days (default 30). Every V hours
 * (default 12) the code changes: a new version has S stacks (default 3000)
 * of K frames (default 6) of functions of its own (tests/store/synth.h).
 * Per block: 4 profiles of the current version (2 services), maintenance
 * (sealing, retention of R hours, default 24), then a flame-graph merge
 * and a pprof merge of the last R hours, timed. Once a simulated day it
 * prints the process's RSS, those merge times and the store's in-memory
 * registry figures (store_stats). What the live blocks need stays the
 * same; a store whose registries keep what deleted blocks had grows with
 * every version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/store/store.h"
#include "../tests/store/synth.h"
#include "bench.h"

#define HOUR (3600 * STORE_NS_PER_SEC)
#define T0 ((int64_t)1795600800 * STORE_NS_PER_SEC)
#define CPU "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

struct opts {
	long days, stacks, depth, version_hours, retention_hours;
	const char *dir;
};

static const struct {
	const char *name;
	size_t off;   /* of a long in struct opts */
} options[] = {
	{"--days", offsetof(struct opts, days)},
	{"--stacks", offsetof(struct opts, stacks)},
	{"--depth", offsetof(struct opts, depth)},
	{"--version-hours", offsetof(struct opts, version_hours)},
	{"--retention-hours", offsetof(struct opts, retention_hours)},
};

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench_registry: %s: %s\n", what, e->msg);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_registry [--days D] [--stacks S] [--depth K]"
		" [--version-hours V] [--retention-hours R] --dir DIR\n");
	exit(2);
}

static long rss_mb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb / 1024;
}

static void parse(int argc, char **argv, struct opts *o)
{
	int a;
	size_t i;

	*o = (struct opts){30, 3000, 6, 12, 24, NULL};
	for (a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--dir")) {
			o->dir = argv[a + 1];
			continue;
		}
		for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
			if (!strcmp(argv[a], options[i].name))
				break;
		if (i == sizeof(options) / sizeof(options[0]))
			usage();
		*(long *)((char *)o + options[i].off) = atol(argv[a + 1]);
	}
	if (a != argc || !o->dir || o->days < 1 || o->stacks < 1 || o->depth < 1 ||
	    o->version_hours < 2 || o->retention_hours < 2)
		usage();
}

/* Four profiles of version v in the block starting at t. */
static void ingest(struct store *s, long v, const struct opts *o, int64_t t)
{
	static const struct label svc[2] = {{"service_name", "a"}, {"service_name", "b"}};
	struct pprof_profile *p;
	struct err e = {0};
	char name[32];
	int k;

	snprintf(name, sizeof(name), "v%ld", v);
	p = synth_profile(name, (uint32_t)o->stacks, (uint32_t)o->depth);
	for (k = 0; k < 4; k++) {
		struct norm_opts no = {.labels = &svc[k % 2], .nlabels = 1};
		struct store_profile sp = {p, NULL, t + k * 1800 * STORE_NS_PER_SEC,
					   10 * STORE_NS_PER_SEC};
		struct norm *n = NULL;
		if (normalize(p, &no, &n, &e) < 0)
			die("normalize", &e);
		sp.n = n;
		if (store_append(s, &sp, 1, &e) < 0)
			die("append", &e);
		norm_free(n);
	}
	pprof_free(p);
}

int main(int argc, char **argv)
{
	struct store_config cfg = {0};
	struct selector *sel = NULL;
	struct store *s = NULL;
	struct err e = {0};
	struct opts o;
	long b, nb;

	parse(argc, argv, &o);
	cfg.dir = o.dir;
	cfg.retention = o.retention_hours * HOUR;
	if (store_open(&store_sqlite_ops, &cfg, &s, &e) < 0)
		die("open", &e);
	if (selector_parse(CPU, strlen(CPU), &sel, &e) < 0)
		die("selector", &e);
	printf("bench_registry: %ld days, a new version every %ld h (%ld stacks x %ld frames),"
	       " retention %ld h\n", o.days, o.version_hours, o.stacks, o.depth, o.retention_hours);
	nb = o.days * 12;
	for (b = 0; b < nb; b++) {
		int64_t t = T0 + b * 2 * HOUR, until = t + 2 * HOUR, from = until - cfg.retention;
		struct stacktree *tree = stacktree_new();
		struct pprof_profile *out = NULL;
		struct store_stats st;
		double t0, merge, pprof;
		ingest(s, b * 2 / o.version_hours, &o, t);
		if (store_maintain(s, until, &e) < 0)
			die("maintain", &e);
		t0 = now();
		if (store_merge(s, sel, from, until, tree, &e) < 0)
			die("merge", &e);
		merge = now() - t0;
		t0 = now();
		if (store_merge_pprof(s, sel, from, until, &out, &e) < 0)
			die("merge_pprof", &e);
		pprof = now() - t0;
		stacktree_free(tree);
		pprof_free(out);
		if (b % 12 != 11)
			continue;
		if (store_stats(s, &st, &e) < 0)
			die("stats", &e);
		printf("day %3ld  blocks %3llu  rss %6ld MB  merge %.3f s  pprof %.3f s  registry:"
		       " paths %8llu  location paths %8llu  locations %8llu  rebuilds %llu\n",
		       (b + 1) / 12, (unsigned long long)st.blocks, rss_mb(), merge, pprof,
		       (unsigned long long)st.reg_paths, (unsigned long long)st.reg_lpaths,
		       (unsigned long long)st.reg_locations, (unsigned long long)st.reg_rebuilds);
	}
	selector_free(sel);
	store_close(s);
	return 0;
}
