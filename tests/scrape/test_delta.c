/* Unit tests for delta_compute(): cumulative allocs-like profiles built with
 * the builder (differences, new stacks, renumbered ids, restarts, sample
 * type changes, dropped zeros, labels) and the real etcd profiles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/profile.h"
#include "../../src/query/stacktree.h"
#include "../../src/scrape/delta.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building allocs-like profiles ---- */

/* One sample: a stack of up to 4 frames (leaf first, NULL-terminated), four
 * values (alloc_objects, alloc_space, inuse_objects, inuse_space) and up to
 * two labels: a string label span=<span> and a numeric label bytes=<bytes>. */
struct spec {
	const char *stack[5];
	int64_t v[4];
	const char *span; /* NULL: no string label */
	int64_t bytes;    /* 0: no numeric label */
	int labels_reversed;
	const char *file; /* the function's file name (default "app.go") */
};

struct opts {
	uint64_t id_base;   /* added to every id */
	uint64_t map_start; /* mapping start (addresses shift with it) */
	int reverse;        /* create functions and locations in reverse */
	int64_t time_nanos;
};

static const char *const frames_all[] = {"main", "a", "b", "c", "d", "e"};

static uint64_t frame_addr(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(frames_all); i++)
		if (!strcmp(frames_all[i], name))
			return 0x1000 * (i + 1);
	fail_msg("unknown frame %s", name);
	return 0;
}

static struct pprof_profile *build(const struct spec *s, size_t n,
				   const struct opts *o)
{
	struct pprof_profile *p = pprof_new();
	uint64_t start = o->map_start ? o->map_start : 0x400000;
	uint32_t m = pprof_add_mapping(p), loc[NELEM(frames_all)][2];
	size_t i, k;

	pprof_add_sample_type(p, "alloc_objects", "count");
	pprof_add_sample_type(p, "alloc_space", "bytes");
	pprof_add_sample_type(p, "inuse_objects", "count");
	pprof_add_sample_type(p, "inuse_space", "bytes");
	p->period_type.type = pprof_intern_cstr(p, "space");
	p->period_type.unit = pprof_intern_cstr(p, "bytes");
	p->period = 524288;
	p->time_nanos = o->time_nanos;
	p->mapping[m].id += o->id_base;
	p->mapping[m].start = start;
	p->mapping[m].limit = start + 0x100000;
	p->mapping[m].filename = pprof_intern_cstr(p, "/usr/bin/app");

	/* One location per (frame, file variant); two files for the
	 * duplicate-key test. */
	for (k = 0; k < NELEM(frames_all) * 2; k++) {
		size_t j = o->reverse ? NELEM(frames_all) * 2 - 1 - k : k;
		size_t fi = j % NELEM(frames_all), var = j / NELEM(frames_all);
		uint32_t f = pprof_add_function(p), l = pprof_add_location(p, 1);

		p->function[f].id += o->id_base;
		p->function[f].name = pprof_intern_cstr(p, frames_all[fi]);
		p->function[f].filename =
			pprof_intern_cstr(p, var ? "other.go" : "app.go");
		p->location[l].id += o->id_base;
		p->location[l].mapping = m + 1;
		p->location[l].address = start + frame_addr(frames_all[fi]);
		p->line[p->location[l].line_off].function = f;
		p->line[p->location[l].line_off].line = 10 + (int64_t)fi;
		loc[fi][var] = l;
	}
	for (i = 0; i < n; i++) {
		uint32_t locs[4], nloc = 0, nlabel = 0, li = 0;
		int var = s[i].file && !strcmp(s[i].file, "other.go");
		size_t si;

		for (k = 0; k < 4 && s[i].stack[k]; k++) {
			size_t fi = (size_t)(frame_addr(s[i].stack[k]) / 0x1000 - 1);
			locs[nloc++] = loc[fi][var];
		}
		nlabel = (s[i].span ? 1 : 0) + (s[i].bytes ? 1 : 0);
		si = pprof_add_sample(p, locs, nloc, s[i].v, nlabel);
		if (nlabel == 2 && s[i].labels_reversed)
			li = 1;
		if (s[i].span) {
			struct pprof_label *l = &p->label[p->sample[si].label_off + li];

			l->key = pprof_intern_cstr(p, "span");
			l->str = pprof_intern_cstr(p, s[i].span);
			li = nlabel == 2 && s[i].labels_reversed ? 0 : 1;
		}
		if (s[i].bytes) {
			struct pprof_label *l = &p->label[p->sample[si].label_off + li];

			l->key = pprof_intern_cstr(p, "bytes");
			l->num = s[i].bytes;
		}
	}
	return p;
}

static const struct opts plain = {0, 0, 0, 0};

/* ---- reading results ---- */

/* "leaf;...;root" plus " span=x" and " bytes=n" for sample i of p. */
static void sample_text(const struct pprof_profile *p, size_t i, struct buf *b)
{
	const struct pprof_sample *s = &p->sample[i];
	uint32_t k;

	buf_reset(b);
	for (k = 0; k < s->nloc; k++) {
		if (k)
			buf_putc(b, ';');
		pprof_frame_name(p, p->sample_loc[s->loc_off + k], 0, b);
	}
	/* Labels in a fixed order: span first, then bytes. */
	for (k = 0; k < s->nlabel; k++) {
		const struct pprof_label *l = &p->label[s->label_off + k];

		if (l->str)
			buf_printf(b, " span=%.*s", (int)p->str[l->str].len,
				   p->str[l->str].ptr);
	}
	for (k = 0; k < s->nlabel; k++) {
		const struct pprof_label *l = &p->label[s->label_off + k];

		if (!l->str)
			buf_printf(b, " bytes=%lld", (long long)l->num);
	}
}

/* The values of the sample whose text is want; fails when absent. */
static const int64_t *find_sample(const struct pprof_profile *p, const char *want)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < p->nsample; i++) {
		sample_text(p, i, &b);
		if (!strcmp((const char *)b.data, want)) {
			buf_release(&b);
			return &p->value[i * p->nsample_type];
		}
	}
	buf_release(&b);
	fail_msg("no sample '%s' in the delta", want);
	return NULL;
}

static void assert_values(const int64_t *v, int64_t a, int64_t b, int64_t c,
			  int64_t d)
{
	assert_int_equal(v[0], a);
	assert_int_equal(v[1], b);
	assert_int_equal(v[2], c);
	assert_int_equal(v[3], d);
}

/* Runs delta_compute; returns the delta (NULL on a first call), checking
 * that *first matches want_first. Frees p. */
static struct pprof_profile *step(struct delta *d, struct pprof_profile *p,
				  int want_first)
{
	struct pprof_profile *out = (struct pprof_profile *)1;
	struct err e = {0};
	int first = -1, rc = delta_compute(d, p, &out, &first, &e);

	if (rc)
		print_error("delta_compute: %d %s\n", rc, e.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(first, want_first);
	if (want_first)
		assert_null(out);
	else
		assert_non_null(out);
	pprof_free(p);
	return out;
}

/* ---- tests ---- */

static void test_is_cumulative(void **state)
{
	(void)state;
	assert_true(delta_is_cumulative("alloc_objects"));
	assert_true(delta_is_cumulative("alloc_space"));
	assert_true(delta_is_cumulative("contentions"));
	assert_true(delta_is_cumulative("delay"));
	assert_false(delta_is_cumulative("inuse_objects"));
	assert_false(delta_is_cumulative("inuse_space"));
	assert_false(delta_is_cumulative("goroutine"));
	assert_false(delta_is_cumulative("samples"));
	assert_false(delta_is_cumulative("cpu"));
	assert_false(delta_is_cumulative(NULL));
}

/* First call: nothing. Second: alloc_* differences, inuse_* as they are,
 * a new stack at its full value, an unchanged stack with inuse 0 dropped. */
static void test_basic(void **state)
{
	struct delta *d = delta_new();
	struct spec s1[] = {
		{{"b", "a", "main"}, {10, 1000, 2, 200}, NULL, 0, 0, NULL},
		{{"c", "a", "main"}, {5, 500, 1, 100}, NULL, 0, 0, NULL},
		{{"a", "main"}, {3, 300, 0, 0}, NULL, 0, 0, NULL},
	};
	struct spec s2[] = {
		{{"b", "a", "main"}, {15, 1600, 3, 300}, NULL, 0, 0, NULL},
		{{"c", "a", "main"}, {5, 500, 0, 0}, NULL, 0, 0, NULL},
		{{"a", "main"}, {3, 300, 4, 40}, NULL, 0, 0, NULL},
		{{"d", "main"}, {7, 700, 1, 70}, NULL, 0, 0, NULL},
	};
	struct opts o1 = plain, o2 = plain;
	struct pprof_profile *out;

	(void)state;
	o1.time_nanos = 1000000000;
	o2.time_nanos = 11000000000;
	assert_null(step(d, build(s1, NELEM(s1), &o1), 1));
	out = step(d, build(s2, NELEM(s2), &o2), 0);
	assert_int_equal(out->nsample_type, 4);
	assert_int_equal(out->nsample, 3);
	assert_values(find_sample(out, "b;a;main"), 5, 600, 3, 300);
	assert_values(find_sample(out, "a;main"), 0, 0, 4, 40);
	assert_values(find_sample(out, "d;main"), 7, 700, 1, 70);
	assert_int_equal(out->time_nanos, 11000000000);
	assert_int_equal(out->duration_nanos, 10000000000);
	assert_int_equal(out->period, 524288);
	pprof_free(out);
	delta_free(d);
}

/* The same stacks with other ids, another creation order and another load
 * address (ASLR) key the same. */
static void test_renumbered(void **state)
{
	struct delta *d = delta_new();
	struct spec s1[] = {
		{{"b", "a", "main"}, {10, 1000, 0, 0}, NULL, 0, 0, NULL},
		{{"c", "a", "main"}, {5, 500, 0, 0}, NULL, 0, 0, NULL},
	};
	struct spec s2[] = {
		{{"c", "a", "main"}, {6, 600, 0, 0}, NULL, 0, 0, NULL},
		{{"b", "a", "main"}, {10, 1000, 0, 0}, NULL, 0, 0, NULL},
	};
	struct opts o2 = {1000, 0x7f0000000000, 1, 0};
	struct pprof_profile *out;

	(void)state;
	assert_null(step(d, build(s1, NELEM(s1), &plain), 1));
	out = step(d, build(s2, NELEM(s2), &o2), 0);
	assert_int_equal(out->nsample, 1);
	assert_values(find_sample(out, "c;a;main"), 1, 100, 0, 0);
	pprof_free(out);
	delta_free(d);
}

/* A counter that goes down is a restart: reset, the new profile is the
 * baseline, the next delta is against it. */
static void test_restart(void **state)
{
	struct delta *d = delta_new();
	struct spec s1[] = {
		{{"b", "a", "main"}, {10, 1000, 1, 1}, NULL, 0, 0, NULL},
		{{"c", "a", "main"}, {5, 500, 1, 1}, NULL, 0, 0, NULL},
	};
	struct spec s2[] = { /* b went down */
		{{"b", "a", "main"}, {2, 200, 1, 1}, NULL, 0, 0, NULL},
		{{"c", "a", "main"}, {9, 900, 1, 1}, NULL, 0, 0, NULL},
	};
	struct spec s3[] = {
		{{"b", "a", "main"}, {4, 300, 0, 0}, NULL, 0, 0, NULL},
		{{"c", "a", "main"}, {9, 900, 0, 0}, NULL, 0, 0, NULL},
	};
	struct pprof_profile *out;

	(void)state;
	assert_null(step(d, build(s1, NELEM(s1), &plain), 1));
	assert_null(step(d, build(s2, NELEM(s2), &plain), 1));
	out = step(d, build(s3, NELEM(s3), &plain), 0);
	assert_int_equal(out->nsample, 1);
	assert_values(find_sample(out, "b;a;main"), 2, 100, 0, 0);
	pprof_free(out);
	delta_free(d);
}

/* A change of sample types resets; so does going back. */
static void test_type_change(void **state)
{
	struct delta *d = delta_new();
	struct spec s1[] = {
		{{"b", "a", "main"}, {10, 1000, 1, 1}, NULL, 0, 0, NULL},
	};
	struct pprof_profile *blk = pprof_new(), *out;
	uint32_t f = pprof_add_function(blk), l = pprof_add_location(blk, 1);
	int64_t v[2] = {100, 1000};

	(void)state;
	pprof_add_sample_type(blk, "contentions", "count");
	pprof_add_sample_type(blk, "delay", "nanoseconds");
	blk->function[f].name = pprof_intern_cstr(blk, "sync.(*Mutex).Lock");
	blk->line[blk->location[l].line_off].function = f;
	pprof_add_sample(blk, &l, 1, v, 0);

	assert_null(step(d, build(s1, NELEM(s1), &plain), 1));
	assert_null(step(d, blk, 1));
	assert_null(step(d, build(s1, NELEM(s1), &plain), 1));
	/* Same again: now a delta, and all-zero (inuse 1 stays). */
	out = step(d, build(s1, NELEM(s1), &plain), 0);
	assert_int_equal(out->nsample, 1);
	assert_values(find_sample(out, "b;a;main"), 0, 0, 1, 1);
	pprof_free(out);
	delta_free(d);
}

/* Samples whose delta and snapshot values are all zero are dropped. */
static void test_zero_dropped(void **state)
{
	struct delta *d = delta_new();
	struct spec s1[] = {
		{{"b", "a", "main"}, {10, 1000, 0, 0}, NULL, 0, 0, NULL},
		{{"c", "a", "main"}, {5, 500, 0, 0}, NULL, 0, 0, NULL},
	};
	struct pprof_profile *out;

	(void)state;
	assert_null(step(d, build(s1, NELEM(s1), &plain), 1));
	out = step(d, build(s1, NELEM(s1), &plain), 0);
	assert_int_equal(out->nsample, 0);
	assert_int_equal(out->nsample_type, 4);
	pprof_free(out);
	delta_free(d);
}

/* Labels (string and numeric) are part of the key; their order is not. */
static void test_labels(void **state)
{
	struct delta *d = delta_new();
	struct spec s1[] = {
		{{"b", "main"}, {10, 1000, 0, 0}, "x", 0, 0, NULL},
		{{"b", "main"}, {20, 2000, 0, 0}, "y", 0, 0, NULL},
		{{"b", "main"}, {30, 3000, 0, 0}, NULL, 64, 0, NULL},
		{{"b", "main"}, {40, 4000, 0, 0}, NULL, 128, 0, NULL},
		{{"b", "main"}, {50, 5000, 0, 0}, "x", 64, 0, NULL},
		{{"b", "main"}, {1, 1, 0, 0}, NULL, 0, 0, NULL},
	};
	struct spec s2[] = {
		{{"b", "main"}, {10, 1000, 0, 0}, "x", 0, 0, NULL},
		{{"b", "main"}, {25, 2500, 0, 0}, "y", 0, 0, NULL},
		{{"b", "main"}, {30, 3000, 0, 0}, NULL, 64, 0, NULL},
		{{"b", "main"}, {41, 4100, 0, 0}, NULL, 128, 0, NULL},
		{{"b", "main"}, {52, 5200, 0, 0}, "x", 64, 1, NULL},
		{{"b", "main"}, {1, 1, 0, 0}, NULL, 0, 0, NULL},
	};
	struct pprof_profile *out;

	(void)state;
	assert_null(step(d, build(s1, NELEM(s1), &plain), 1));
	out = step(d, build(s2, NELEM(s2), &plain), 0);
	assert_int_equal(out->nsample, 3);
	assert_values(find_sample(out, "b;main span=y"), 5, 500, 0, 0);
	assert_values(find_sample(out, "b;main bytes=128"), 1, 100, 0, 0);
	assert_values(find_sample(out, "b;main span=x bytes=64"), 2, 200, 0, 0);
	pprof_free(out);
	delta_free(d);
}

/* Two samples pprof keeps apart (functions in different files) but that
 * share a delta key (same names, lines, addresses): their sum is
 * differenced once, never twice. */
static void test_shared_key(void **state)
{
	struct delta *d = delta_new();
	struct spec s1[] = {
		{{"b", "main"}, {10, 1000, 0, 0}, NULL, 0, 0, NULL},
		{{"b", "main"}, {5, 500, 0, 0}, NULL, 0, 0, "other.go"},
	};
	struct spec s2[] = {
		{{"b", "main"}, {12, 1200, 0, 0}, NULL, 0, 0, NULL},
		{{"b", "main"}, {8, 800, 0, 0}, NULL, 0, 0, "other.go"},
	};
	struct pprof_profile *out;
	int64_t sum0 = 0, sum1 = 0;
	size_t i;

	(void)state;
	assert_null(step(d, build(s1, NELEM(s1), &plain), 1));
	out = step(d, build(s2, NELEM(s2), &plain), 0);
	for (i = 0; i < out->nsample; i++) {
		sum0 += out->value[i * 4];
		sum1 += out->value[i * 4 + 1];
		assert_true(out->value[i * 4] >= 0);
	}
	assert_int_equal(sum0, 5);
	assert_int_equal(sum1, 500);
	pprof_free(out);
	delta_free(d);
}

/* A profile without cumulative types passes through after the first. */
static void test_snapshot_only(void **state)
{
	struct delta *d = delta_new();
	struct pprof_profile *p, *out;
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		uint32_t f, l;
		int64_t v = 7;

		p = pprof_new();
		pprof_add_sample_type(p, "goroutine", "count");
		f = pprof_add_function(p);
		l = pprof_add_location(p, 1);
		p->function[f].name = pprof_intern_cstr(p, "runtime.gopark");
		p->line[p->location[l].line_off].function = f;
		pprof_add_sample(p, &l, 1, &v, 0);
		out = step(d, p, round == 0);
	}
	assert_int_equal(out->nsample, 1);
	assert_int_equal(out->value[0], 7);
	pprof_free(out);
	delta_free(d);
}

/* ---- real profiles ---- */

static const char *testdata_dir(void)
{
	const char *dir = getenv("STACKYARD_TESTDATA");

	return dir ? dir : "../shared/testdata/pprof";
}

static struct pprof_profile *load(const char *name)
{
	char path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	struct err e = {0};
	struct pprof_profile *p = NULL;

	snprintf(path, sizeof(path), "%s/%s", testdata_dir(), name);
	if (file_read(path, 64u << 20, &data, &len, &e))
		fail_msg("%s: %s (set STACKYARD_TESTDATA)", path, e.msg);
	if (pprof_decode(data, len, NULL, &p, &e))
		fail_msg("%s: %s", path, e.msg);
	free(data);
	return p;
}

/* A cumulative profile against itself: alloc_* all zero, so only the
 * samples with live (inuse_*) memory remain, with p's inuse values. */
static void test_real_allocs_self(void **state)
{
	struct delta *d = delta_new();
	struct pprof_profile *p = load("etcd-allocs.pb.gz"), *out;
	size_t i, live = 0;
	int64_t inuse = 0, got = 0;

	(void)state;
	assert_int_equal(p->nsample_type, 4);
	for (i = 0; i < p->nsample; i++) {
		const int64_t *v = &p->value[i * 4];

		inuse += v[3];
		live += v[2] || v[3];
	}
	assert_null(step(d, load("etcd-allocs.pb.gz"), 1));
	out = step(d, p, 0);
	for (i = 0; i < out->nsample; i++) {
		const int64_t *v = &out->value[i * 4];

		assert_int_equal(v[0], 0);
		assert_int_equal(v[1], 0);
		assert_true(v[2] || v[3]);
		got += v[3];
	}
	assert_true(out->nsample <= live);
	assert_int_equal(got, inuse);
	pprof_free(out);
	delta_free(d);
}

/* Purely cumulative profiles (block, mutex) against themselves: empty. */
static void test_real_cumulative_self(void **state)
{
	static const char *const files[] = {
		"etcd-block.pb.gz", "etcd-mutex.pb.gz", "prometheus-block.pb.gz",
		"prometheus-mutex.pb.gz",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(files); i++) {
		struct delta *d = delta_new();
		struct pprof_profile *out;

		assert_null(step(d, load(files[i]), 1));
		out = step(d, load(files[i]), 0);
		assert_int_equal(out->nsample, 0);
		pprof_free(out);
		delta_free(d);
	}
}

/* Real allocs with every value raised: the delta is exactly the raise. */
static void test_real_allocs_growth(void **state)
{
	struct delta *d = delta_new();
	struct pprof_profile *p = load("etcd-allocs.pb.gz"), *out;
	int64_t want = 0, got = 0;
	size_t i;

	(void)state;
	assert_null(step(d, load("etcd-allocs.pb.gz"), 1));
	/* Every third sample allocates 3 more objects. */
	for (i = 0; i < p->nsample; i += 3) {
		p->value[i * 4] += 3;
		want += 3;
	}
	out = step(d, p, 0);
	for (i = 0; i < out->nsample; i++) {
		assert_true(out->value[i * 4] >= 0);
		assert_int_equal(out->value[i * 4 + 1], 0);
		got += out->value[i * 4];
	}
	assert_int_equal(got, want);
	pprof_free(out);
	delta_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_cumulative),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_renumbered),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_type_change),
		cmocka_unit_test(test_zero_dropped),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_shared_key),
		cmocka_unit_test(test_snapshot_only),
		cmocka_unit_test(test_real_allocs_self),
		cmocka_unit_test(test_real_cumulative_self),
		cmocka_unit_test(test_real_allocs_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
