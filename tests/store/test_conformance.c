/* The storage conformance suite: what any backend (struct store_ops) must
 * do. It drives only store.h; the oracle for merges is the in-memory
 * stacktree of the same pprof data (itself checked against go tool pprof
 * in tests/integration), compared as folded text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "../../src/base/file.h"
#include "../../src/base/intern.h"
#include "../../src/base/u64map.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/merge.h"
#include "../../src/store/store.h"
#include "../pprof/pbtest.h"
#include "synth.h"

#define SEC STORE_NS_PER_SEC
#define HOUR (3600 * SEC)
/* A fixed epoch-aligned base time, so windows are predictable. */
#define T0 ((int64_t)1795600800 * SEC)

static const struct store_ops *ops = &store_sqlite_ops;

struct fx {
	char dir[64];
	struct store *s;
	struct store_config cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct err e = {0};

	strcpy(f->dir, "/tmp/sy-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cfg.dir = f->dir;
	if (store_open(ops, &f->cfg, &f->s, &e) < 0)
		fail_msg("open: %s", e.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void reopen(struct fx *f)
{
	struct err e = {0};

	store_close(f->s);
	f->s = NULL;
	if (store_open(ops, &f->cfg, &f->s, &e) < 0)
		fail_msg("reopen: %s", e.msg);
}

/* Appends p as service `svc` at ts; returns the append's result. */
static int put(struct fx *f, const struct pprof_profile *p, const char *svc, int64_t ts,
	       struct err *e)
{
	struct label l[2] = {{"env", "test"}, {"service_name", svc}};
	struct norm_opts o = {0};
	struct norm *n = NULL;
	struct store_profile sp;
	int rc;

	o.labels = l;
	o.nlabels = 2;
	if ((rc = normalize(p, &o, &n, e)) < 0)
		return rc;
	sp.p = p;
	sp.n = n;
	sp.ts = ts;
	sp.duration = 10 * SEC;
	rc = store_append(f->s, &sp, 1, e);
	norm_free(n);
	return rc;
}

static void must_put(struct fx *f, const struct pprof_profile *p, const char *svc, int64_t ts)
{
	struct err e = {0};

	if (put(f, p, svc, ts, &e) < 0)
		fail_msg("append: %s", e.msg);
}

static struct selector *sel(const char *s)
{
	struct selector *x = NULL;
	struct err e = {0};

	if (selector_parse(s, strlen(s), &x, &e) < 0)
		fail_msg("selector %s: %s", s, e.msg);
	return x;
}

/* Folded text of the store's merge for query q over [from, until). */
static char *merged(struct fx *f, const char *q, int64_t from, int64_t until)
{
	struct stacktree *t = stacktree_new();
	struct selector *x = sel(q);
	struct buf b = BUF_INIT;
	struct err e = {0};

	if (store_merge(f->s, x, from, until, t, &e) < 0)
		fail_msg("merge %s: %s", q, e.msg);
	stacktree_write_folded(t, &b);
	stacktree_free(t);
	selector_free(x);
	return (char *)buf_detach(&b, NULL);
}

/* Waits (up to 10 s) for the store's warm-up to end; st gets the stats. */
static void wait_warm(struct fx *f, struct store_stats *st)
{
	struct err e = {0};
	int k;

	for (k = 0; k < 1000; k++) {
		if (store_stats(f->s, st, &e) < 0)
			fail_msg("stats: %s", e.msg);
		if (!st->warming)
			break;
		usleep(10000);
	}
	assert_int_equal(st->warming, 0);
}


/* Folded text of the in-memory merge of ps (the oracle). */
static char *expected(struct pprof_profile **ps, size_t n, int vi)
{
	struct stacktree *t = stacktree_new();
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		stacktree_add_pprof(t, ps[i], vi);
	stacktree_write_folded(t, &b);
	stacktree_free(t);
	return (char *)buf_detach(&b, NULL);
}

static void assert_merge(struct fx *f, const char *q, int64_t from, int64_t until,
			 struct pprof_profile **ps, size_t n, int vi)
{
	char *got = merged(f, q, from, until), *want = expected(ps, n, vi);

	assert_string_equal(got, want);
	free(got);
	free(want);
}

static char *type_of(const struct pprof_profile *p, int vi, const char *name)
{
	char *s = malloc(512);
	struct pprof_str a = p->str[p->sample_type[vi].type], b = p->str[p->sample_type[vi].unit];
	struct pprof_str c = p->str[p->period_type.type], d = p->str[p->period_type.unit];

	snprintf(s, 512, "%s:%.*s:%.*s:%.*s:%.*s", name, (int)a.len, a.ptr, (int)b.len, b.ptr,
		 (int)c.len, c.ptr, (int)d.len, d.ptr);
	return s;
}

/* ---- tests ---------------------------------------------------------------- */

/* Every real profile and every sample type comes back as it went in. */
static void test_roundtrip_real(void **state)
{
	static const char *const files[] = {
		"etcd-cpu.pb.gz", "etcd-heap.pb.gz", "etcd-goroutine.pb.gz",
		"prometheus-allocs.pb.gz", "gocompile-nethttp-cpu.pb.gz", "node-wall.pb.gz",
		"etcd-mutex.pb.gz",
	};
	struct fx *f = *state;
	size_t i;
	int vi;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct pprof_profile *p = testdata_load(files[i]);
		char svc[64];
		snprintf(svc, sizeof(svc), "svc%zu", i);
		must_put(f, p, svc, T0 + (int64_t)i * SEC);
		for (vi = 0; vi < (int)p->nsample_type; vi++) {
			char q[700], *t = type_of(p, vi, normalize_profile_name(p, vi));
			snprintf(q, sizeof(q), "%s{service_name=\"%s\"}", t, svc);
			assert_merge(f, q, T0, T0 + HOUR, &p, 1, vi);
			free(t);
		}
		pprof_free(p);
	}
}

/* The same (series, timestamp) twice is stored once; a new timestamp adds. */
static void test_idempotent(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *p = testdata_load("etcd-cpu.pb.gz");
	struct pprof_profile *two[2] = {p, p};
	const char *q = "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"a\"}";

	must_put(f, p, "a", T0);
	must_put(f, p, "a", T0);
	assert_merge(f, q, T0, T0 + HOUR, &p, 1, 1);
	must_put(f, p, "a", T0 + 10 * SEC);
	assert_merge(f, q, T0, T0 + HOUR, two, 2, 1);
	pprof_free(p);
}

/* [from, until): the profile at `until` is out, the one at `from` is in. */
static void test_time_range(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *b = testdata_load("prometheus-cpu.pb.gz");
	const char *q = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

	must_put(f, a, "x", T0 + 100 * SEC);
	must_put(f, b, "x", T0 + 200 * SEC);
	assert_merge(f, q, T0 + 100 * SEC, T0 + 200 * SEC, &a, 1, 1);
	assert_merge(f, q, T0 + 101 * SEC, T0 + 201 * SEC, &b, 1, 1);
	{
		char *got = merged(f, q, T0, T0 + 100 * SEC);
		assert_string_equal(got, "");
		free(got);
	}
	pprof_free(a);
	pprof_free(b);
}

/* Out of order within the writable window, across two windows, and the
 * store after a reopen. */
static void test_out_of_order_and_reopen(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *b = testdata_load("prometheus-cpu.pb.gz");
	struct pprof_profile *ab[2] = {a, b};
	const char *q = "process_cpu:samples:count:cpu:nanoseconds";

	must_put(f, b, "x", T0 + 3 * HOUR);
	must_put(f, a, "x", T0 + 10 * SEC);
	assert_merge(f, q, T0, T0 + 4 * HOUR, ab, 2, 0);
	reopen(f);
	assert_merge(f, q, T0, T0 + 4 * HOUR, ab, 2, 0);
	assert_merge(f, q, T0 + 2 * HOUR, T0 + 4 * HOUR, &b, 1, 0);
	pprof_free(a);
	pprof_free(b);
}

/* Matchers: =, !=, =~, !~ and absent labels. */
static void test_matchers(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *b = testdata_load("prometheus-cpu.pb.gz");
	struct pprof_profile *ab[2] = {a, b};
	const char *t = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
	char q[256];

	must_put(f, a, "etcd", T0);
	must_put(f, b, "prometheus", T0);
	snprintf(q, sizeof(q), "%s{service_name=\"etcd\"}", t);
	assert_merge(f, q, T0, T0 + HOUR, &a, 1, 1);
	snprintf(q, sizeof(q), "%s{service_name!=\"etcd\"}", t);
	assert_merge(f, q, T0, T0 + HOUR, &b, 1, 1);
	snprintf(q, sizeof(q), "%s{service_name=~\"etcd|prom.*\"}", t);
	assert_merge(f, q, T0, T0 + HOUR, ab, 2, 1);
	snprintf(q, sizeof(q), "%s{service_name=~\"prom\"}", t); /* anchored */
	assert_merge(f, q, T0, T0 + HOUR, NULL, 0, 1);
	snprintf(q, sizeof(q), "%s{service_name!~\"e.*\"}", t);
	assert_merge(f, q, T0, T0 + HOUR, &b, 1, 1);
	snprintf(q, sizeof(q), "%s{nosuch=\"\"}", t);             /* absent == "" */
	assert_merge(f, q, T0, T0 + HOUR, ab, 2, 1);
	pprof_free(a);
	pprof_free(b);
}

struct strs {
	char v[64][128];
	size_t n;
};

static int str_cb(void *ctx, const char *s)
{
	struct strs *x = ctx;

	if (x->n < 64)
		snprintf(x->v[x->n++], 128, "%s", s);
	return 0;
}

static int has(const struct strs *x, const char *s)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (!strcmp(x->v[i], s))
			return 1;
	return 0;
}

static void test_labels_and_types(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *h = testdata_load("etcd-heap.pb.gz");
	struct strs names = {0}, vals = {0}, types = {0}, narrowed = {0};
	struct selector *x;
	struct err e = {0};

	must_put(f, a, "etcd", T0);
	must_put(f, h, "etcd-heap", T0 + SEC);
	assert_int_equal(store_label_names(f->s, NULL, T0, T0 + HOUR, str_cb, &names, &e), 0);
	assert_true(has(&names, "service_name") && has(&names, "env") && has(&names, "__name__"));
	assert_int_equal(store_label_values(f->s, "service_name", NULL, T0, T0 + HOUR, str_cb, &vals, &e), 0);
	assert_int_equal(vals.n, 2);
	assert_string_equal(vals.v[0], "etcd"); /* sorted */
	assert_string_equal(vals.v[1], "etcd-heap");
	x = sel("{__name__=\"memory\"}");
	assert_int_equal(store_label_values(f->s, "service_name", x, T0, T0 + HOUR, str_cb, &narrowed, &e), 0);
	assert_int_equal(narrowed.n, 1);
	assert_string_equal(narrowed.v[0], "etcd-heap");
	selector_free(x);
	assert_int_equal(store_profile_types(f->s, T0, T0 + HOUR, str_cb, &types, &e), 0);
	assert_int_equal(types.n, 6); /* 2 cpu + 4 memory */
	assert_true(has(&types, "memory:inuse_space:bytes:space:bytes"));
	assert_true(has(&types, "process_cpu:cpu:nanoseconds:cpu:nanoseconds"));
	/* Out of range: nothing. */
	types.n = 0;
	assert_int_equal(store_profile_types(f->s, T0 + 10 * HOUR, T0 + 11 * HOUR, str_cb, &types, &e), 0);
	assert_int_equal(types.n, 0);
	pprof_free(a);
	pprof_free(h);
}

struct range_out {
	char group[8][64];
	int64_t v[8][8];
	size_t n, npts;
};

static int range_cb(void *ctx, const struct store_series_info *g, const struct store_point *p,
		    size_t n)
{
	struct range_out *r = ctx;
	const char *svc = labels_get(g->labels, g->nlabels, "service_name");
	size_t i;

	if (r->n >= 8)
		return 0;
	snprintf(r->group[r->n], 64, "%s", svc ? svc : "?");
	for (i = 0; i < n && i < 8; i++)
		r->v[r->n][i] = p[i].value;
	r->npts = n;
	r->n++;
	return 0;
}

static int64_t total_of(const struct pprof_profile *p, int vi)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < p->nsample; i++)
		t += p->value[i * p->nsample_type + (size_t)vi];
	return t;
}

static void test_range(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *b = testdata_load("prometheus-cpu.pb.gz");
	struct range_out r = {0};
	struct selector *x = sel("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
	struct err e = {0};
	size_t i;

	must_put(f, a, "etcd", T0 + 5 * SEC);
	must_put(f, a, "etcd", T0 + 15 * SEC);
	must_put(f, b, "prom", T0 + 25 * SEC);
	assert_int_equal(store_range(f->s, x, T0, T0 + 40 * SEC, 10 * SEC, "service_name",
				     range_cb, &r, &e), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.npts, 4);
	for (i = 0; i < r.n; i++) {
		if (!strcmp(r.group[i], "etcd")) {
			assert_int_equal(r.v[i][0], total_of(a, 1));
			assert_int_equal(r.v[i][1], total_of(a, 1));
			assert_int_equal(r.v[i][2], 0);
		} else {
			assert_string_equal(r.group[i], "prom");
			assert_int_equal(r.v[i][2], total_of(b, 1));
			assert_int_equal(r.v[i][0] + r.v[i][1] + r.v[i][3], 0);
		}
	}
	assert_int_equal(store_range(f->s, x, T0, T0 + SEC, 0, NULL, range_cb, &r, &e), -EINVAL);
	selector_free(x);
	pprof_free(a);
	pprof_free(b);
}

/* Sealing builds roll-ups: merges over whole blocks, windows and edges
 * read the same as before; the sealed window takes no more writes. */
static void test_seal_rollups(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *b = testdata_load("prometheus-cpu.pb.gz");
	const char *q = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
	static const int64_t ranges[][2] = {
		{0, 2 * 3600}, {0, 3 * 3600}, {600, 1800}, {300, 1500}, {5, 7000}, {1200, 1201},
	};
	char *before[6];
	struct err e = {0};
	size_t i;
	int k;

	for (k = 0; k < 60; k++)
		must_put(f, k % 3 ? a : b, k % 2 ? "s1" : "s2", T0 + (int64_t)k * 113 * SEC);
	for (i = 0; i < 6; i++)
		before[i] = merged(f, q, T0 + ranges[i][0] * SEC, T0 + ranges[i][1] * SEC);
	if (store_maintain(f->s, T0 + 3 * HOUR, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	reopen(f);
	for (i = 0; i < 6; i++) {
		char *after = merged(f, q, T0 + ranges[i][0] * SEC, T0 + ranges[i][1] * SEC);
		assert_string_equal(after, before[i]);
		free(after);
		free(before[i]);
	}
	assert_int_equal(put(f, a, "s1", T0 + 7 * SEC, &e), -EROFS);
	assert_non_null(strstr(e.msg, "sealed"));
	pprof_free(a);
	pprof_free(b);
}

/* The warm-up after opening (cfg.warm) changes no answer: merges run while
 * it runs and after it give what a store without it gives, and closing the
 * store in the middle of a warm-up is safe. Optional for backends: one
 * without a warm-up ignores cfg.warm and reports warming 0. */
static void test_warm_up(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *b = testdata_load("prometheus-cpu.pb.gz");
	const char *q = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
	struct store_stats st;
	struct err e = {0};
	char *before, *during, *after;
	int k;

	for (k = 0; k < 24; k++)
		must_put(f, k % 3 ? a : b, k % 2 ? "s1" : "s2", T0 + (int64_t)k * 1000 * SEC);
	if (store_maintain(f->s, T0 + 12 * HOUR, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	before = merged(f, q, T0, T0 + 12 * HOUR);
	f->cfg.warm = 24 * HOUR;
	reopen(f);
	reopen(f); /* closed while (probably) warming */
	during = merged(f, q, T0, T0 + 12 * HOUR);
	wait_warm(f, &st);
	after = merged(f, q, T0, T0 + 12 * HOUR);
	assert_string_equal(during, before);
	assert_string_equal(after, before);
	free(before);
	free(during);
	free(after);
	pprof_free(a);
	pprof_free(b);
}

static void test_retention(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz");
	const char *q = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
	struct store_stats st;
	struct err e = {0};
	char *got;

	must_put(f, a, "x", T0);
	must_put(f, a, "x", T0 + 40 * 86400LL * SEC);
	assert_int_equal(store_stats(f->s, &st, &e), 0);
	assert_int_equal(st.blocks, 2);
	if (store_maintain(f->s, T0 + 40 * 86400LL * SEC, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	assert_int_equal(store_stats(f->s, &st, &e), 0);
	assert_int_equal(st.blocks, 1);
	got = merged(f, q, T0 - HOUR, T0 + HOUR);
	assert_string_equal(got, "");
	free(got);
	assert_merge(f, q, T0 + 40 * 86400LL * SEC, T0 + 41 * 86400LL * SEC, &a, 1, 1);
	pprof_free(a);
}

/* Retention by size: the oldest sealed blocks go until the rest fits; the
 * block still taking writes never goes. */
static void test_retention_by_size(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("gocompile-nethttp-cpu.pb.gz");
	const char *q = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
	struct store_stats st;
	struct err e = {0};
	char *got;
	int i;

	for (i = 0; i < 4; i++)
		must_put(f, a, "x", T0 + i * 2 * HOUR);
	/* Reopen with a size limit the data cannot meet. */
	store_close(f->s);
	f->cfg.retention_bytes = 1;
	if (store_open(ops, &f->cfg, &f->s, &e) < 0)
		fail_msg("open: %s", e.msg);
	if (store_maintain(f->s, T0 + 7 * HOUR + 20 * 60 * SEC, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	assert_int_equal(store_stats(f->s, &st, &e), 0);
	assert_int_equal(st.blocks, 1); /* all sealed blocks gone, the head kept */
	got = merged(f, q, T0, T0 + 6 * HOUR);
	assert_string_equal(got, "");
	free(got);
	assert_merge(f, q, T0 + 6 * HOUR, T0 + 8 * HOUR, &a, 1, 1);
	pprof_free(a);
}

/* A damaged block file is reported and set aside, never served. */
static void test_corrupt_block_set_aside(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz");
	const char *q = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
	char path[256];
	FILE *fp;

	must_put(f, a, "x", T0);
	snprintf(path, sizeof(path), "%s/blocks/1000-8200.db", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is not a block", fp);
	fclose(fp);
	reopen(f);
	snprintf(path, sizeof(path), "%s/corrupt/1000-8200.db", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_merge(f, q, T0, T0 + HOUR, &a, 1, 1);
	pprof_free(a);
}

/* Two processes must not share a data directory. */
static void test_exclusive(void **state)
{
	struct fx *f = *state;
	struct store *other = NULL;
	struct err e = {0};

	assert_int_equal(store_open(ops, &f->cfg, &other, &e), -EBUSY);
	assert_null(other);
}

/* Merging many profiles in the store equals pprof's merge of them. */
static void test_merge_equals_pprof_merge(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *ps[3] = {testdata_load("etcd-cpu.pb.gz"), testdata_load("prometheus-cpu.pb.gz"),
				       testdata_load("gocompile-nethttp-cpu.pb.gz")};
	struct pprof_profile *m = NULL;
	struct err e = {0};
	int i;

	for (i = 0; i < 3; i++)
		must_put(f, ps[i], "x", T0 + i * SEC);
	assert_int_equal(pprof_merge(ps, 3, &m, &e), 0);
	assert_merge(f, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", T0, T0 + HOUR, &m, 1, 1);
	pprof_free(m);
	for (i = 0; i < 3; i++)
		pprof_free(ps[i]);
}

/* ---- full-fidelity pprof merges ------------------------------------------- */

static void put_pstr(struct buf *b, const struct pprof_profile *p, uint32_t s)
{
	buf_append(b, p->str[s].ptr, p->str[s].len);
}

/* A location with everything pprof identifies it by, and more: its
 * mapping (file, build id, range, offset), absolute address, and per line
 * (innermost first) the function's name, system name, file and start line
 * and the line number. */
static void put_location(struct buf *b, const struct pprof_profile *p, uint32_t li)
{
	const struct pprof_location *l = &p->location[li];
	uint32_t k;

	if (l->mapping) {
		const struct pprof_mapping *m = &p->mapping[l->mapping - 1];
		buf_putc(b, '[');
		put_pstr(b, p, m->filename);
		buf_putc(b, ' ');
		put_pstr(b, p, m->build_id);
		buf_printf(b, " %llx-%llx+%llx]", (unsigned long long)m->start,
			   (unsigned long long)m->limit, (unsigned long long)m->offset);
	}
	buf_printf(b, "@%llx", (unsigned long long)l->address);
	for (k = 0; k < l->nline; k++) {
		const struct pprof_line *ln = &p->line[l->line_off + k];
		const struct pprof_function *fn = &p->function[ln->function];
		buf_putc(b, '(');
		put_pstr(b, p, fn->name);
		buf_putc(b, '|');
		put_pstr(b, p, fn->system_name);
		buf_putc(b, '|');
		put_pstr(b, p, fn->filename);
		buf_printf(b, "|%lld:%lld)", (long long)fn->start_line, (long long)ln->line);
	}
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Profile p's value vi per distinct stack of full locations (leaf first),
 * summed, zeros dropped, one sorted line each: equal for two profiles
 * exactly when they hold the same stacks of the same locations, whatever
 * their ids, order or sample labels. */
static char *canonical(const struct pprof_profile *p, int vi)
{
	struct intern *keys = intern_new(1024);
	struct buf k = BUF_INIT, out = BUF_INIT;
	int64_t *sum = NULL;
	char **lines;
	size_t cap = 0, i, n;
	uint32_t j, id;

	for (i = 0; i < p->nsample; i++) {
		const struct pprof_sample *s = &p->sample[i];
		buf_reset(&k);
		for (j = 0; j < s->nloc; j++) {
			if (j)
				buf_puts(&k, " ; ");
			put_location(&k, p, p->sample_loc[s->loc_off + j]);
		}
		id = intern_put(keys, k.data, k.len, NULL);
		if (id >= cap) {
			size_t old = cap;
			cap = cap ? cap * 2 : 1024;
			sum = realloc(sum, cap * sizeof(*sum));
			memset(sum + old, 0, (cap - old) * sizeof(*sum));
		}
		sum[id] += p->value[i * p->nsample_type + (size_t)vi];
	}
	n = intern_count(keys);
	lines = calloc(n + 1, sizeof(*lines));
	for (id = 0; id < n; id++) {
		size_t len;
		const char *key = intern_key(keys, id, &len);
		buf_reset(&k);
		if (sum[id])
			buf_printf(&k, "%.*s = %lld", (int)len, key, (long long)sum[id]);
		buf_putc(&k, '\0');
		lines[id] = strdup((char *)k.data);
	}
	qsort(lines, n, sizeof(*lines), line_cmp);
	for (i = 0; i < n; i++) {
		if (lines[i][0]) {
			buf_puts(&out, lines[i]);
			buf_putc(&out, '\n');
		}
		free(lines[i]);
	}
	buf_putc(&out, '\0');
	free(lines);
	free(sum);
	buf_release(&k);
	intern_free(keys);
	return (char *)buf_detach(&out, NULL);
}

/* Fails with the first line where two canonical texts differ (the whole
 * texts are megabytes for the deep profiles). */
static void assert_same_lines(const char *got, const char *want, const char *what)
{
	size_t i = 0, line = 1, start = 0;

	while (got[i] && got[i] == want[i]) {
		if (got[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	/* Show the line from a little before the first differing byte. */
	start = i - start > 120 ? i - 120 : start;
	if (got[i] || want[i])
		fail_msg("%s: line %zu differs:\n got: ...%.300s\nwant: ...%.300s", what, line,
			 got + start, want + start);
}

static void assert_same_vt(const struct pprof_profile *a, struct pprof_value_type x,
			   const struct pprof_profile *b, struct pprof_value_type y)
{
	char u[256], v[256];

	snprintf(u, sizeof(u), "%.*s/%.*s", (int)a->str[x.type].len, a->str[x.type].ptr,
		 (int)a->str[x.unit].len, a->str[x.unit].ptr);
	snprintf(v, sizeof(v), "%.*s/%.*s", (int)b->str[y.type].len, b->str[y.type].ptr,
		 (int)b->str[y.unit].len, b->str[y.unit].ptr);
	assert_string_equal(u, v);
}

/* The store's full-fidelity merge of type q over [from, until) against
 * pprof_merge of ps (value vi): the same stacks of the same locations with
 * the same values, and pprof's header (types, period, time, duration). */
static void assert_pprof_merge(struct fx *f, const char *q, int64_t from, int64_t until,
			       struct pprof_profile **ps, const int64_t *ts, size_t n, int vi)
{
	struct pprof_profile *got = NULL, *want = NULL, *in[16];
	struct selector *x = sel(q);
	struct err e = {0};
	int64_t tmin = 0, period = 0;
	size_t i, k = 0;
	char *a, *b, what[800];

	for (i = 0; i < n; i++) {
		if (ts[i] < from || ts[i] >= until)
			continue;
		in[k++] = ps[i];
		tmin = !tmin || ts[i] < tmin ? ts[i] : tmin;
		period = ps[i]->period > period ? ps[i]->period : period;
	}
	assert_true(k <= 16);
	if (store_merge_pprof(f->s, x, from, until, &got, &e) < 0)
		fail_msg("merge_pprof %s: %s", q, e.msg);
	if (!k) {
		/* Nothing in range: an empty profile that still says its type. */
		assert_int_equal(got->nsample, 0);
		assert_int_equal(got->nsample_type, 1);
		pprof_free(got);
		selector_free(x);
		return;
	}
	assert_int_equal(pprof_merge(in, k, &want, &e), 0);
	assert_int_equal(got->nsample_type, 1);
	assert_same_vt(got, got->sample_type[0], want, want->sample_type[vi]);
	assert_same_vt(got, got->period_type, want, want->period_type);
	assert_int_equal(got->time_nanos, tmin);
	assert_int_equal(got->duration_nanos, (int64_t)k * 10 * SEC);
	assert_int_equal(got->period, period);
	snprintf(what, sizeof(what), "%s [%lld s, %lld s)", q, (long long)((from - T0) / SEC),
		 (long long)((until - T0) / SEC));
	a = canonical(got, 0);
	b = canonical(want, vi);
	assert_true(strlen(b) > 100);
	assert_same_lines(a, b, what);
	free(a);
	free(b);
	pprof_free(got);
	pprof_free(want);
	selector_free(x);
}

#define PP_MAX 8

/* Files (real profiles) stored twice as service svc: once in the block of
 * T0, once in the next, 700 s apart. */
struct pp_group {
	const char *svc;
	const char *files[3];
	size_t nf;
	struct pprof_profile *ps[PP_MAX];
	int64_t ts[PP_MAX];
	size_t n;
};

static void pp_load(struct fx *f, struct pp_group *g)
{
	size_t i;

	g->n = 2 * g->nf;
	for (i = 0; i < g->n; i++) {
		g->ps[i] = testdata_load(g->files[i % g->nf]);
		g->ts[i] = T0 + (int64_t)(i / g->nf) * 2 * HOUR + (int64_t)(i % g->nf) * 700 * SEC;
		must_put(f, g->ps[i], g->svc, g->ts[i]);
	}
}

/* Every sample type over both blocks, one block, and ranges that cut
 * blocks (raw edges, or 10-minute roll-ups once sealed). */
static void pp_check(struct fx *f, struct pp_group *g)
{
	static const int64_t ranges[][2] = {
		{0, 4 * 3600}, {0, 2 * 3600}, {600, 2 * 3600 + 1000}, {600, 2 * 3600},
		{2 * 3600 + 650, 2 * 3600 + 1500},
	};
	size_t r;
	int vi;

	for (vi = 0; vi < (int)g->ps[0]->nsample_type; vi++) {
		char q[700], *t = type_of(g->ps[0], vi, normalize_profile_name(g->ps[0], vi));
		snprintf(q, sizeof(q), "%s{service_name=\"%s\"}", t, g->svc);
		for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
			assert_pprof_merge(f, q, T0 + ranges[r][0] * SEC, T0 + ranges[r][1] * SEC,
					   g->ps, g->ts, g->n, vi);
		free(t);
	}
}

/* format=pprof's merge: real profiles (CPU with deep and inlined stacks,
 * heap with four sample types, Node.js without mappings) across two
 * blocks equal pprof_merge of the same files location by location, before
 * and after sealing and reopening. */
static void test_merge_pprof_full_fidelity(void **state)
{
	struct pp_group g[] = {
		{.svc = "cpu", .files = {"etcd-cpu.pb.gz", "prometheus-cpu.pb.gz", "gocompile-nethttp-cpu.pb.gz"}, .nf = 3},
		{.svc = "heap", .files = {"etcd-heap.pb.gz", "prometheus-heap.pb.gz"}, .nf = 2},
		{.svc = "node", .files = {"node-wall.pb.gz"}, .nf = 1},
	};
	struct fx *f = *state;
	struct err e = {0};
	size_t i, k;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		pp_load(f, &g[i]);
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		pp_check(f, &g[i]);
	if (store_maintain(f->s, T0 + 5 * HOUR, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	reopen(f);
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		pp_check(f, &g[i]);
		for (k = 0; k < g[i].n; k++)
			pprof_free(g[i].ps[k]);
	}
}

/* A profile restarted at another base address (ASLR) is the same code:
 * its locations merge with the first process's, as pprof merges them. */
static void test_merge_pprof_aslr(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *ps[2] = {testdata_load("etcd-cpu.pb.gz"), testdata_load("etcd-cpu.pb.gz")};
	int64_t ts[2] = {T0, T0 + 60 * SEC};
	struct pprof_profile *got = NULL;
	struct selector *x = sel("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
	struct err e = {0};
	uint32_t i;

	for (i = 0; i < ps[1]->nmapping; i++) {
		ps[1]->mapping[i].start += 0x7000000;
		ps[1]->mapping[i].limit += 0x7000000;
	}
	for (i = 0; i < ps[1]->nlocation; i++)
		if (ps[1]->location[i].mapping)
			ps[1]->location[i].address += 0x7000000;
	must_put(f, ps[0], "x", ts[0]);
	must_put(f, ps[1], "x", ts[1]);
	assert_pprof_merge(f, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", T0, T0 + HOUR, ps, ts,
			   2, 1);
	if (store_merge_pprof(f->s, x, T0, T0 + HOUR, &got, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(got->nlocation, ps[0]->nlocation);
	pprof_free(got);
	/* Nothing selected: an empty profile that still says what it is. */
	assert_int_equal(store_merge_pprof(f->s, x, T0 + 3 * HOUR, T0 + 4 * HOUR, &got, &e), 0);
	assert_int_equal(got->nsample, 0);
	assert_int_equal(got->nsample_type, 1);
	pprof_free(got);
	selector_free(x);
	pprof_free(ps[0]);
	pprof_free(ps[1]);
}

/* Reverses p's location table, so that every location has another index
 * (and id) while the stacks stay the same. */
static void reverse_locations(struct pprof_profile *p)
{
	uint32_t n = p->nlocation, i;
	size_t k;

	for (i = 0; i < n / 2; i++) {
		struct pprof_location t = p->location[i];
		p->location[i] = p->location[n - 1 - i];
		p->location[n - 1 - i] = t;
	}
	for (i = 0; i < n; i++)
		p->location[i].id = i + 1;
	for (k = 0; k < p->nsample_loc; k++)
		p->sample_loc[k] = n - 1 - p->sample_loc[k];
}

/* The writer's caches are keyed by content, never by pprof ids: the same
 * profile with renumbered locations merges with the first, and a profile
 * whose one function was renamed gets a location of its own (a stale cache
 * hit would credit the old name). */
static void test_merge_renumbered(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *ps[3] = {testdata_load("gocompile-nethttp-cpu.pb.gz"),
				       testdata_load("gocompile-nethttp-cpu.pb.gz"),
				       testdata_load("gocompile-nethttp-cpu.pb.gz")};
	int64_t ts[3] = {T0, T0 + 10 * SEC, T0 + 20 * SEC};
	const struct pprof_sample *s0;
	uint32_t fi, renamed;
	int i;

	reverse_locations(ps[1]);
	/* Rename the leaf function of the first sample (every location of
	 * that function changes) to another string of the table. */
	s0 = &ps[2]->sample[0];
	fi = ps[2]->line[ps[2]->location[ps[2]->sample_loc[s0->loc_off]].line_off].function;
	renamed = ps[2]->function[fi].name == 1 ? 2 : 1;
	ps[2]->function[fi].name = renamed;
	for (i = 0; i < 3; i++)
		must_put(f, ps[i], "x", ts[i]);
	assert_pprof_merge(f, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", T0, T0 + HOUR, ps, ts,
			   3, 1);
	for (i = 0; i < 3; i++)
		pprof_free(ps[i]);
}

/* Blocks written before the periods table existed: pprof merges still
 * work (period 0 from them), and the next write adds the table. SQLite
 * backend only (it edits a block file). */
static void test_merge_pprof_old_block(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *p = testdata_load("etcd-cpu.pb.gz"), *got = NULL;
	struct selector *x = sel("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
	struct err e = {0};
	char path[256];
	sqlite3 *db;

	must_put(f, p, "x", T0);
	store_close(f->s);
	f->s = NULL;
	snprintf(path, sizeof(path), "%s/blocks/1795600800-1795608000.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE periods", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	reopen(f);
	assert_int_equal(store_merge_pprof(f->s, x, T0, T0 + HOUR, &got, &e), 0);
	assert_int_equal(got->period, 0);
	assert_true(got->nsample > 0);
	pprof_free(got);
	must_put(f, p, "x", T0 + 60 * SEC);
	assert_int_equal(store_merge_pprof(f->s, x, T0, T0 + HOUR, &got, &e), 0);
	assert_int_equal(got->period, p->period);
	assert_int_equal(got->duration_nanos, 20 * SEC);
	pprof_free(got);
	selector_free(x);
	pprof_free(p);
}

/* Locations without lines (unsymbolized addresses) come back as addresses
 * in their mappings, merged as pprof merges them. */
static void test_merge_pprof_unsymbolized(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *ps[2] = {testdata_load("etcd-cpu.pb.gz"), testdata_load("prometheus-cpu.pb.gz")};
	int64_t ts[2] = {T0, T0 + 60 * SEC};
	uint32_t i;
	int k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < ps[k]->nlocation; i += 3)
			ps[k]->location[i].nline = 0;
	must_put(f, ps[0], "x", ts[0]);
	must_put(f, ps[1], "x", ts[1]);
	assert_pprof_merge(f, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", T0, T0 + HOUR, ps, ts,
			   2, 1);
	pprof_free(ps[0]);
	pprof_free(ps[1]);
}

/* ---- profiles: one stored profile at a time ------------------------------ */

struct visit {
	struct stacktree *paths;
	const struct pprof_profile *want[8]; /* by visit, matched on ts */
	int64_t ts[8];
	size_t n, seen, stop_after;
	int bad;
};

/* Folded text of one visited profile: its pairs as stacks of paths. */
static char *visited_folded(struct stacktree *paths, const uint32_t *nodes, const int64_t *values,
			    size_t n)
{
	struct stacktree *t = stacktree_new();
	const struct stacktree_node *nd;
	struct buf b = BUF_INIT;
	uint32_t names[256];
	size_t nn, i, d;

	nd = stacktree_nodes(paths, &nn);
	for (i = 0; i < n; i++) {
		uint32_t v = nodes[i];
		assert_true(v < nn);
		for (d = 0; v; v = nd[v].parent) {
			size_t len;
			const char *s = stacktree_name_str(paths, nd[v].name, &len);
			assert_true(d < 256);
			names[d++] = stacktree_name(t, s, len);
		}
		/* names[] is leaf first; stacktree_add wants root first. */
		{
			size_t k;
			for (k = 0; k < d / 2; k++) {
				uint32_t x = names[k];
				names[k] = names[d - 1 - k];
				names[d - 1 - k] = x;
			}
		}
		stacktree_add(t, names, d, values[i]);
	}
	stacktree_write_folded(t, &b);
	stacktree_free(t);
	return (char *)buf_detach(&b, NULL);
}

static int visit_cb(void *ctx, const struct store_series_info *s, int64_t ts, const uint32_t *nodes,
		    const int64_t *values, size_t n)
{
	struct visit *v = ctx;
	char *got, *want;
	size_t i;

	if (v->stop_after && v->seen == v->stop_after)
		return -1;
	v->seen++;
	if (strcmp(s->profile_type, "process_cpu:cpu:nanoseconds:cpu:nanoseconds") ||
	    !labels_get(s->labels, s->nlabels, "service_name"))
		v->bad++;
	for (i = 0; i < v->n && v->ts[i] != ts; i++)
		;
	if (i == v->n) {
		v->bad++;
		return 0;
	}
	got = visited_folded(v->paths, nodes, values, n);
	want = expected((struct pprof_profile **)&v->want[i], 1, 1);
	assert_string_equal(got, want);
	free(got);
	free(want);
	return 0;
}

/* Every profile in range comes back alone, whole and in its series, from
 * every block, sealed or not; roll-ups are never handed out. */
static void test_profiles(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *a = testdata_load("etcd-cpu.pb.gz"), *b = testdata_load("prometheus-cpu.pb.gz");
	struct selector *x = sel("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
	struct selector *untyped = sel("{service_name=\"s1\"}");
	struct visit v = {0};
	struct err e = {0};
	size_t i;
	int round;

	v.paths = stacktree_new();
	for (i = 0; i < 6; i++) {
		/* Three per window of two hours, two services. */
		v.ts[i] = T0 + (int64_t)(i / 3) * 2 * HOUR + (int64_t)i * 60 * SEC;
		v.want[i] = i % 2 ? b : a;
		must_put(f, v.want[i], i % 2 ? "s1" : "s2", v.ts[i]);
	}
	v.n = 6;
	for (round = 0; round < 2; round++) {
		v.seen = 0;
		if (store_profiles(f->s, x, T0, T0 + 5 * HOUR, v.paths, visit_cb, &v, &e) < 0)
			fail_msg("profiles: %s", e.msg);
		assert_int_equal(v.seen, 6);
		assert_int_equal(v.bad, 0);
		/* [from, until): the first and the last are out. */
		v.seen = 0;
		if (store_profiles(f->s, x, v.ts[0] + 1, v.ts[5], v.paths, visit_cb, &v, &e) < 0)
			fail_msg("profiles: %s", e.msg);
		assert_int_equal(v.seen, 4);
		/* Sealed blocks (with roll-ups) still hand out single profiles. */
		if (store_maintain(f->s, T0 + 10 * HOUR, &e) < 0)
			fail_msg("maintain: %s", e.msg);
		reopen(f);
	}
	v.seen = 0;
	v.stop_after = 2;
	assert_int_equal(store_profiles(f->s, x, T0, T0 + 5 * HOUR, v.paths, visit_cb, &v, &e),
			 -ECANCELED);
	assert_int_equal(v.seen, 2);
	assert_int_equal(store_profiles(f->s, untyped, T0, T0 + 5 * HOUR, v.paths, visit_cb, &v, &e),
			 -EINVAL);
	stacktree_free(v.paths);
	selector_free(x);
	selector_free(untyped);
	pprof_free(a);
	pprof_free(b);
}

/* ---- registries: what deleted blocks leave behind -------------------------- */

#define DAY (86400LL * SEC)
#define REG_Q "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"x\"}"

/* Frame paths, with the root, of the stacks of ps (value 1): what the
 * store's path registry holds once every block holding ps is merged. */
static uint64_t path_count(struct pprof_profile **ps, size_t n)
{
	struct stacktree *t = stacktree_new();
	size_t i, nn;

	for (i = 0; i < n; i++)
		stacktree_add_pprof(t, ps[i], 1);
	stacktree_nodes(t, &nn);
	stacktree_free(t);
	return nn;
}

/* Location paths (stacks of location indices, root first) of p, with the
 * root. */
static uint64_t lpath_count(const struct pprof_profile *p)
{
	struct u64map kids;
	uint64_t n = 1;
	size_t i, k;

	u64map_init(&kids, 1024);
	for (i = 0; i < p->nsample; i++) {
		const struct pprof_sample *s = &p->sample[i];
		uint32_t g = 0, id;
		for (k = s->nloc; k-- > 0; g = id) {
			uint64_t key = (uint64_t)g << 32 | p->sample_loc[s->loc_off + k];
			if ((id = u64map_get(&kids, key)) == U64MAP_NONE)
				u64map_put(&kids, key, id = (uint32_t)n++);
		}
	}
	u64map_release(&kids);
	return n;
}

/* The store's registries hold exactly what merging ps (every profile the
 * store's blocks hold, all of them merged before) takes: the oracle is
 * pprof_merge of ps and the stacktree of ps. */
static void assert_registry(struct fx *f, struct pprof_profile **ps, size_t n, uint64_t rebuilds)
{
	struct pprof_profile *m = NULL;
	struct store_stats st;
	struct err e = {0};

	assert_int_equal(pprof_merge(ps, n, &m, &e), 0);
	assert_int_equal(store_stats(f->s, &st, &e), 0);
	assert_int_equal(st.reg_rebuilds, rebuilds);
	assert_int_equal(st.reg_paths, path_count(ps, n));
	assert_int_equal(st.reg_lpaths, lpath_count(m));
	assert_int_equal(st.reg_locations, m->nlocation);
	pprof_free(m);
}

static void must_merge_pprof(struct fx *f, int64_t from, int64_t until)
{
	struct pprof_profile *got = NULL;
	struct selector *x = sel(REG_Q);
	struct err e = {0};

	if (store_merge_pprof(f->s, x, from, until, &got, &e) < 0)
		fail_msg("merge_pprof: %s", e.msg);
	pprof_free(got);
	selector_free(x);
}

/* Blocks with symbols of their own go by retention: the registries are
 * started afresh and hold what the remaining blocks need, no more; merges
 * (flame graph and pprof) stay those of the remaining profiles. */
static void test_registry_after_retention(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *all[18], **live = all + 12;
	int64_t ts[6];
	struct err e = {0};
	char *t, name[32];
	size_t i;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "old%zu", i);
		all[2 * i] = synth_profile(name, 300, 4);
		all[2 * i + 1] = testdata_load("etcd-cpu.pb.gz");
		must_put(f, all[2 * i], "x", T0 + (int64_t)i * 2 * HOUR);
		must_put(f, all[2 * i + 1], "x", T0 + (int64_t)i * 2 * HOUR + 60 * SEC);
	}
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "live%zu", i);
		live[i] = i % 2 ? synth_profile(name, 20, 3) : testdata_load("etcd-cpu.pb.gz");
		ts[i] = T0 + 40 * DAY + (int64_t)(i / 2) * 2 * HOUR + (int64_t)(i % 2) * 60 * SEC;
		must_put(f, live[i], "x", ts[i]);
	}
	t = type_of(live[1], 1, normalize_profile_name(live[1], 1));
	assert_true(!strncmp(REG_Q, t, strlen(t)));
	free(t);
	assert_merge(f, REG_Q, T0, T0 + 41 * DAY, all, 18, 1);
	must_merge_pprof(f, T0, T0 + 41 * DAY);
	assert_registry(f, all, 18, 0);
	if (store_maintain(f->s, T0 + 40 * DAY + 6 * HOUR, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	assert_registry(f, live, 6, 1);
	assert_merge(f, REG_Q, T0, T0 + 41 * DAY, live, 6, 1);
	assert_pprof_merge(f, REG_Q, T0, T0 + 41 * DAY, live, ts, 6, 1);
	assert_pprof_merge(f, REG_Q, T0 + 40 * DAY, T0 + 40 * DAY + 2 * HOUR, live, ts, 6, 1);
	assert_registry(f, live, 6, 1);
	/* Nothing deleted: nothing to rebuild. */
	if (store_maintain(f->s, T0 + 40 * DAY + 7 * HOUR, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	assert_registry(f, live, 6, 1);
	for (i = 0; i < 18; i++)
		pprof_free(all[i]);
}

/* The warm-up after opening maps blocks that retention deletes meanwhile,
 * and a registry may be replaced under it: answers stay right, and the
 * registries hold at least what the live blocks need. */
static void test_registry_warm_up(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *old[4], *live[2] = {testdata_load("etcd-cpu.pb.gz"),
						  synth_profile("live", 20, 3)};
	int64_t ts[2] = {T0 + 40 * DAY, T0 + 40 * DAY + 2 * HOUR};
	struct store_stats st;
	struct err e = {0};
	char name[32];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "old%d", i);
		old[i] = synth_profile(name, 600, 4);
		must_put(f, old[i], "x", T0 + i * 2 * HOUR);
	}
	for (i = 0; i < 2; i++)
		must_put(f, live[i], "x", ts[i]);
	assert_merge(f, REG_Q, T0, T0 + 8 * HOUR, old, 4, 1);
	f->cfg.warm = 60 * DAY;
	reopen(f);
	if (store_maintain(f->s, T0 + 40 * DAY + 3 * HOUR, &e) < 0)
		fail_msg("maintain: %s", e.msg);
	assert_merge(f, REG_Q, T0, T0 + 41 * DAY, live, 2, 1);
	assert_pprof_merge(f, REG_Q, T0, T0 + 41 * DAY, live, ts, 2, 1);
	wait_warm(f, &st);
	assert_merge(f, REG_Q, T0, T0 + 41 * DAY, live, 2, 1);
	assert_true(st.reg_paths >= path_count(live, 2));
	for (i = 0; i < 4; i++)
		pprof_free(old[i]);
	pprof_free(live[0]);
	pprof_free(live[1]);
}

/* A query thread merging (flame graph and pprof) the live blocks while
 * the main thread keeps making registries mostly garbage and replacing
 * them: every answer is right, whichever registry it pinned, and nothing
 * races (run it under ThreadSanitizer too). Successive registries number
 * the live blocks' paths alike here (rebinding follows block order), so a
 * query reading another generation's ids is caught by test_registry.c's
 * deterministic case, not here. */
struct reg_reader {
	struct store *s;
	int64_t from, until;
	const char *want, *wantp;
	int stop;               /* __atomic */
	unsigned runs;
	char bad[600];
};

static void *reg_reader_main(void *arg)
{
	struct reg_reader *q = arg;
	struct selector *x = NULL;
	struct err e = {0};

	if (selector_parse(REG_Q, strlen(REG_Q), &x, &e) < 0) {
		snprintf(q->bad, sizeof(q->bad), "selector: %s", e.msg);
		return NULL;
	}
	while (!__atomic_load_n(&q->stop, __ATOMIC_ACQUIRE) && !q->bad[0]) {
		struct stacktree *t = stacktree_new();
		struct pprof_profile *p = NULL;
		struct buf b = BUF_INIT;
		char *c = NULL;
		if (store_merge(q->s, x, q->from, q->until, t, &e) < 0 ||
		    store_merge_pprof(q->s, x, q->from, q->until, &p, &e) < 0) {
			snprintf(q->bad, sizeof(q->bad), "query: %s", e.msg);
		} else {
			stacktree_write_folded(t, &b);
			buf_putc(&b, '\0');
			c = canonical(p, 0);
			if (strcmp((char *)b.data, q->want))
				snprintf(q->bad, sizeof(q->bad), "flame graph %u differs", q->runs);
			else if (strcmp(c, q->wantp))
				snprintf(q->bad, sizeof(q->bad), "pprof %u differs", q->runs);
		}
		q->runs++;
		free(c);
		buf_release(&b);
		pprof_free(p);
		stacktree_free(t);
	}
	selector_free(x);
	return NULL;
}

#define REG_ROUNDS 24

static void test_registry_concurrent(void **state)
{
	struct fx *f = *state;
	struct pprof_profile *live[3] = {testdata_load("etcd-cpu.pb.gz"), synth_profile("live", 20, 3),
					 testdata_load("etcd-cpu.pb.gz")};
	int64_t ts[3] = {T0 + 40 * DAY, T0 + 40 * DAY + 60 * SEC, T0 + 40 * DAY + 2 * HOUR};
	struct reg_reader q = {0};
	struct pprof_profile *m = NULL;
	struct store_stats st;
	struct err e = {0};
	pthread_t th;
	uint64_t big;
	char name[32];
	int r;

	for (r = 0; r < 3; r++)
		must_put(f, live[r], "x", ts[r]);
	assert_int_equal(pprof_merge(live, 3, &m, &e), 0);
	q.s = f->s;
	q.from = T0 + 40 * DAY;
	q.until = T0 + 41 * DAY;
	q.want = expected(live, 3, 1);
	q.wantp = canonical(m, 1);
	assert_merge(f, REG_Q, q.from, q.until, live, 3, 1);
	must_merge_pprof(f, q.from, q.until);
	assert_int_equal(store_stats(f->s, &st, &e), 0);
	/* Old blocks big enough that each makes the registries mostly garbage. */
	big = (st.reg_paths > st.reg_lpaths ? st.reg_paths : st.reg_lpaths) / 2 + 400;
	assert_int_equal(pthread_create(&th, NULL, reg_reader_main, &q), 0);
	for (r = 0; r < REG_ROUNDS; r++) {
		struct pprof_profile *old;
		int64_t at = T0 + (int64_t)r * 2 * HOUR;
		snprintf(name, sizeof(name), "old%d", r);
		old = synth_profile(name, (uint32_t)big, 4);
		must_put(f, old, "x", at);
		assert_merge(f, REG_Q, at, at + 2 * HOUR, &old, 1, 1);
		must_merge_pprof(f, at, at + 2 * HOUR);
		if (store_maintain(f->s, T0 + 40 * DAY + 3 * HOUR, &e) < 0)
			fail_msg("maintain: %s", e.msg);
		assert_int_equal(store_stats(f->s, &st, &e), 0);
		assert_int_equal(st.reg_rebuilds, r + 1);
		pprof_free(old);
	}
	__atomic_store_n(&q.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (q.bad[0])
		fail_msg("%s", q.bad);
	assert_true(q.runs > 0);
	print_message("concurrent queries: %u\n", q.runs);
	assert_registry(f, live, 3, REG_ROUNDS);
	free((char *)q.want);
	free((char *)q.wantp);
	pprof_free(m);
	for (r = 0; r < 3; r++)
		pprof_free(live[r]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_real, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_matchers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_labels_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_rollups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_block_set_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_equals_pprof_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_pprof_full_fidelity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_renumbered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_pprof_aslr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_pprof_old_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_pprof_unsymbolized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_after_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_warm_up, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
