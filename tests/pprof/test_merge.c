/* Unit tests for pprof_merge() and pprof_compatible(): pprof's Merge rules
 * (reference/pprof.md 1.5) on built profiles, the real profiles, and, when
 * `go tool pprof` is on the PATH, pprof itself as the oracle. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/encode.h"
#include "../../src/pprof/merge.h"
#include "../../src/pprof/profile.h"
#include "oracle.h"
#include "pbtest.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int str_is(const struct pprof_profile *p, uint32_t i, const char *s)
{
	size_t n = strlen(s);

	return i < p->nstr && p->str[i].len == n && !memcmp(p->str[i].ptr, s, n);
}

/* ---- building small profiles ---- */

/* Two sample types (samples/count, cpu/nanoseconds), period cpu/ns. */
static struct pprof_profile *new_prof(void)
{
	struct pprof_profile *p = pprof_new();

	pprof_add_sample_type(p, "samples", "count");
	pprof_add_sample_type(p, "cpu", "nanoseconds");
	p->period_type.type = pprof_intern_cstr(p, "cpu");
	p->period_type.unit = pprof_intern_cstr(p, "nanoseconds");
	p->period = 10;
	return p;
}

static uint32_t add_mapping(struct pprof_profile *p, uint64_t start,
			    const char *file)
{
	uint32_t m = pprof_add_mapping(p);

	p->mapping[m].start = start;
	p->mapping[m].limit = start + 0x100000;
	p->mapping[m].filename = pprof_intern_cstr(p, file);
	return m;
}

/* A location with one line in a new function called name; mapping is an
 * index + 1 (0 = none). ids are offset so that two profiles built alike
 * still use different ids. */
static uint32_t add_loc(struct pprof_profile *p, const char *name,
			uint32_t mapping, uint64_t addr, uint64_t id_base)
{
	uint32_t f = pprof_add_function(p), l = pprof_add_location(p, 1);

	p->function[f].id += id_base;
	p->function[f].name = pprof_intern_cstr(p, name);
	p->location[l].id += id_base;
	p->location[l].mapping = mapping;
	p->location[l].address = addr;
	p->line[p->location[l].line_off].function = f;
	p->line[p->location[l].line_off].line = 1;
	return l;
}

static size_t add_sample2(struct pprof_profile *p, const uint32_t *locs,
			  uint32_t nloc, int64_t v0, int64_t v1, uint32_t nlabel)
{
	int64_t v[2] = {v0, v1};

	return pprof_add_sample(p, locs, nloc, v, nlabel);
}

static void set_str_label(struct pprof_profile *p, size_t s, uint32_t k,
			  const char *key, const char *val)
{
	struct pprof_label *l = &p->label[p->sample[s].label_off + k];

	l->key = pprof_intern_cstr(p, key);
	l->str = pprof_intern_cstr(p, val);
}

static void set_num_label(struct pprof_profile *p, size_t s, uint32_t k,
			  const char *key, int64_t num, const char *unit)
{
	struct pprof_label *l = &p->label[p->sample[s].label_off + k];

	l->key = pprof_intern_cstr(p, key);
	l->num = num;
	l->num_unit = unit ? pprof_intern_cstr(p, unit) : 0;
}

/* Three distinct stacks over main -> a -> {b, c}; values scaled by k. */
static struct pprof_profile *build_abc(int64_t k, uint64_t id_base)
{
	struct pprof_profile *p = new_prof();
	uint32_t m = add_mapping(p, 0x400000, "/bin/app") + 1;
	uint32_t lmain = add_loc(p, "main", m, 0x401000, id_base);
	uint32_t la = add_loc(p, "a", m, 0x402000, id_base);
	uint32_t lb = add_loc(p, "b", m, 0x403000, id_base);
	uint32_t lc = add_loc(p, "c", m, 0x404000, id_base);
	uint32_t s1[] = {lb, la, lmain}, s2[] = {lc, la, lmain}, s3[] = {la, lmain};

	add_sample2(p, s1, 3, 1 * k, 100 * k, 0);
	add_sample2(p, s2, 3, 2 * k, 200 * k, 0);
	add_sample2(p, s3, 2, 3 * k, 300 * k, 0);
	return p;
}

static struct pprof_profile *merge_ok(struct pprof_profile *const *srcs, size_t n)
{
	struct pprof_profile *out = NULL;
	struct err e = {0};
	int rc = pprof_merge(srcs, n, &out, &e);

	if (rc)
		print_error("merge: %d %s\n", rc, e.msg);
	assert_int_equal(rc, 0);
	assert_non_null(out);
	return out;
}

static void merge_fails(struct pprof_profile *const *srcs, size_t n,
			const char *want)
{
	struct pprof_profile *out = NULL;
	struct err e = {0};
	int rc = pprof_merge(srcs, n, &out, &e);

	if (rc != -EINVAL || !strcasestr(e.msg, want))
		print_error("want -EINVAL and \"%s\"; got %d \"%s\"\n", want, rc, e.msg);
	assert_int_equal(rc, -EINVAL);
	assert_null(out);
	assert_non_null(strcasestr(e.msg, want));
	/* pprof_compatible says the same */
	err_clear(&e);
	assert_int_equal(pprof_compatible(srcs[0], srcs[1], &e), -EINVAL);
	assert_true(e.msg[0] != 0);
}

static int64_t total(const struct pprof_profile *p, uint32_t t)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < p->nsample; i++)
		sum += p->value[i * p->nsample_type + t];
	return sum;
}

/* Root-first "main;a;b" for sample s (first line of each location). */
static void stack_str(const struct pprof_profile *p, size_t s, char *out,
		      size_t cap)
{
	const struct pprof_sample *sm = &p->sample[s];
	size_t n = 0;
	uint32_t k;

	out[0] = 0;
	for (k = sm->nloc; k-- > 0;) {
		const struct pprof_location *l = &p->location[p->sample_loc[sm->loc_off + k]];
		struct pprof_str f;
		assert_true(l->nline > 0);
		f = p->str[p->function[p->line[l->line_off].function].name];
		n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? ";" : "",
				      (int)f.len, f.ptr);
		assert_true(n < cap);
	}
}

/* Index of the sample whose stack is `want`, or -1. */
static long find_stack(const struct pprof_profile *p, const char *want)
{
	char got[256];
	size_t i;

	for (i = 0; i < p->nsample; i++) {
		stack_str(p, i, got, sizeof(got));
		if (!strcmp(got, want))
			return (long)i;
	}
	return -1;
}

/* Ids are renumbered densely from 1 (merge.h). */
static void check_dense_ids(const struct pprof_profile *p)
{
	uint32_t i;

	for (i = 0; i < p->nlocation; i++)
		assert_int_equal(p->location[i].id, i + 1);
	for (i = 0; i < p->nfunction; i++)
		assert_int_equal(p->function[i].id, i + 1);
	for (i = 0; i < p->nmapping; i++)
		assert_int_equal(p->mapping[i].id, i + 1);
}

/* ---- tests on built profiles ---- */

static void test_self_merge_doubles(void **state)
{
	struct pprof_profile *p = build_abc(1, 0), *out;
	struct pprof_profile *srcs[2] = {p, p};
	size_t i;

	(void)state;
	out = merge_ok(srcs, 2);
	assert_int_equal(out->nsample, 3);
	assert_int_equal(out->nlocation, 4);
	assert_int_equal(out->nfunction, 4);
	assert_int_equal(out->nmapping, 1);
	for (i = 0; i < 3; i++) {
		char want[256], got[256];
		stack_str(p, i, want, sizeof(want));
		stack_str(out, i, got, sizeof(got)); /* first-seen order kept */
		assert_string_equal(want, got);
		assert_int_equal(out->value[2 * i], 2 * p->value[2 * i]);
		assert_int_equal(out->value[2 * i + 1], 2 * p->value[2 * i + 1]);
	}
	check_dense_ids(out);
	/* the source is unchanged */
	assert_int_equal(p->value[0], 1);
	assert_int_equal(p->nsample, 3);
	pprof_free(out);
	pprof_free(p);
}

/* Same program, two processes: different location and function ids and a
 * different load address (ASLR). Locations unify by (address - start). */
static void test_aslr_unify(void **state)
{
	struct pprof_profile *a = new_prof(), *b = new_prof(), *out;
	struct pprof_profile *srcs[2] = {a, b};
	uint32_t ma = add_mapping(a, 0x400000, "/bin/app") + 1;
	uint32_t mb = add_mapping(b, 0x7f0000400000ULL, "/bin/app") + 1;
	uint32_t sa[2], sb[2];
	long i;

	(void)state;
	sa[0] = add_loc(a, "foo", ma, 0x402000, 0);
	sa[1] = add_loc(a, "main", ma, 0x401000, 0);
	/* b: created in the other order, ids offset by 1000 */
	sb[1] = add_loc(b, "main", mb, 0x7f0000401000ULL, 1000);
	sb[0] = add_loc(b, "foo", mb, 0x7f0000402000ULL, 1000);
	b->mapping[0].id = 77;
	add_sample2(a, sa, 2, 1, 10, 0);
	add_sample2(b, sb, 2, 2, 20, 0);
	out = merge_ok(srcs, 2);
	assert_int_equal(out->nmapping, 1);
	assert_int_equal(out->mapping[0].start, 0x400000);
	assert_int_equal(out->nlocation, 2);
	assert_int_equal(out->nfunction, 2);
	assert_int_equal(out->nsample, 1);
	i = find_stack(out, "main;foo");
	assert_true(i == 0);
	assert_int_equal(out->value[0], 3);
	assert_int_equal(out->value[1], 30);
	/* addresses are rebased onto the first mapping seen */
	assert_int_equal(out->location[out->sample_loc[out->sample[0].loc_off]].address,
			 0x402000);
	check_dense_ids(out);
	pprof_free(out);
	pprof_free(a);
	pprof_free(b);
}

/* The merger as a symbol registry: locations mapped one by one from two
 * sources (a process and its restart at another base) meet where
 * pprof_merge would put them, rebased onto the first mapping. */
static void test_registry_locations(void **state)
{
	struct pprof_profile *a = new_prof(), *b = new_prof(), *out;
	struct pprof_profile *srcs[2] = {a, b};
	struct pprof_merger *reg = pprof_merger_new();
	const struct pprof_profile *syms;
	uint32_t ma = add_mapping(a, 0x400000, "/bin/app") + 1;
	uint32_t mb = add_mapping(b, 0x7f0000400000ULL, "/bin/app") + 1;
	uint32_t sa[2], sb[2], ra[2], rb[2];
	int k;

	(void)state;
	sa[0] = add_loc(a, "foo", ma, 0x402000, 0);
	sa[1] = add_loc(a, "main", ma, 0x401000, 0);
	sb[1] = add_loc(b, "main", mb, 0x7f0000401000ULL, 1000);
	sb[0] = add_loc(b, "foo", mb, 0x7f0000402000ULL, 1000);
	add_sample2(a, sa, 2, 1, 10, 0);
	add_sample2(b, sb, 2, 2, 20, 0);
	pprof_merger_source(reg, a);
	for (k = 0; k < 2; k++)
		ra[k] = pprof_merger_location(reg, sa[k]);
	pprof_merger_source(reg, b);
	for (k = 0; k < 2; k++)
		rb[k] = pprof_merger_location(reg, sb[k]);
	syms = pprof_merger_symbols(reg);
	out = merge_ok(srcs, 2);
	assert_int_equal(syms->nlocation, out->nlocation);
	assert_int_equal(syms->nmapping, out->nmapping);
	assert_int_equal(syms->nfunction, out->nfunction);
	assert_int_equal(syms->nsample, 0);
	for (k = 0; k < 2; k++) {
		assert_int_equal(ra[k], rb[k]);
		assert_int_equal(syms->location[ra[k]].address, a->location[sa[k]].address);
	}
	pprof_merger_free(reg);
	pprof_free(out);
	pprof_free(a);
	pprof_free(b);
}

/* The same stack with different labels stays two samples; the same labels
 * in another order are one sample. */
static void test_labels(void **state)
{
	struct pprof_profile *a = new_prof(), *b = new_prof(), *out;
	struct pprof_profile *srcs[2] = {a, b};
	uint32_t la = add_loc(a, "f", 0, 0x10, 0), lb = add_loc(b, "f", 0, 0x10, 0);
	size_t s;

	(void)state;
	s = add_sample2(a, &la, 1, 1, 1, 2);
	set_str_label(a, s, 0, "k", "v1");
	set_num_label(a, s, 1, "n", 5, "bytes");
	s = add_sample2(a, &la, 1, 10, 10, 1);
	set_str_label(a, s, 0, "k", "v2");
	s = add_sample2(b, &lb, 1, 100, 100, 2);   /* same as a's first... */
	set_num_label(b, s, 0, "n", 5, "bytes");   /* ...labels reversed */
	set_str_label(b, s, 1, "k", "v1");
	s = add_sample2(b, &lb, 1, 1000, 1000, 2); /* unit differs */
	set_str_label(b, s, 0, "k", "v1");
	set_num_label(b, s, 1, "n", 5, "kb");
	s = add_sample2(b, &lb, 1, 7, 7, 0);        /* no labels */
	out = merge_ok(srcs, 2);
	assert_int_equal(out->nsample, 4);
	assert_int_equal(out->nlocation, 1);
	assert_int_equal(out->value[0], 101);
	assert_int_equal(out->value[2], 10);
	assert_int_equal(out->value[4], 1000);
	assert_int_equal(out->value[6], 7);
	assert_int_equal(out->sample[0].nlabel, 2);
	assert_int_equal(out->sample[3].nlabel, 0);
	assert_int_equal(total(out, 0), 1118);
	pprof_free(out);
	pprof_free(a);
	pprof_free(b);
}

/* Samples whose values sum to all zero are dropped, as are all-zero
 * samples on their own; their locations and functions do not survive. */
static void test_zero_dropped(void **state)
{
	struct pprof_profile *p = build_abc(1, 0), *n = build_abc(-1, 50), *out;
	struct pprof_profile *srcs[2] = {p, n};
	uint32_t lz;

	(void)state;
	out = merge_ok(srcs, 2);
	assert_int_equal(out->nsample, 0);
	assert_int_equal(total(out, 0), 0);
	pprof_free(out);

	/* one all-zero sample beside a live one; a partly zero one stays */
	lz = add_loc(p, "zero_only", 0, 0x99, 0);
	add_sample2(p, &lz, 1, 0, 0, 0);
	add_sample2(p, &lz, 1, 0, 5, 0);
	out = merge_ok(&p, 1);
	assert_int_equal(out->nsample, 4);
	assert_int_equal(find_stack(out, "zero_only"), 3);
	assert_int_equal(out->value[7], 5);
	pprof_free(out);
	pprof_free(p);
	pprof_free(n);
}

static void test_incompatible_types(void **state)
{
	struct pprof_profile *a = build_abc(1, 0), *b = new_prof(), *out = NULL;
	struct pprof_profile *srcs[2] = {a, b};

	(void)state;
	/* a unit that differs */
	b->sample_type[1].unit = pprof_intern_cstr(b, "microseconds");
	merge_fails(srcs, 2, "sample");
	/* same types in another order */
	b->sample_type[1].unit = pprof_intern_cstr(b, "nanoseconds");
	assert_int_equal(pprof_compatible(a, b, NULL), 0);
	{
		struct pprof_value_type t = b->sample_type[0];
		b->sample_type[0] = b->sample_type[1];
		b->sample_type[1] = t;
	}
	merge_fails(srcs, 2, "sample");
	/* a different number of types */
	pprof_free(b);
	b = pprof_new();
	srcs[1] = b;
	pprof_add_sample_type(b, "samples", "count");
	b->period_type.type = pprof_intern_cstr(b, "cpu");
	b->period_type.unit = pprof_intern_cstr(b, "nanoseconds");
	merge_fails(srcs, 2, "sample");
	assert_null(out);
	pprof_free(a);
	pprof_free(b);
}

static void test_incompatible_period(void **state)
{
	struct pprof_profile *a = build_abc(1, 0), *b = build_abc(1, 0);
	struct pprof_profile *srcs[2] = {a, b};

	(void)state;
	b->period_type.type = pprof_intern_cstr(b, "wall");
	merge_fails(srcs, 2, "period");
	/* a missing period_type is its own kind: empty != cpu/nanoseconds */
	b->period_type.type = 0;
	b->period_type.unit = 0;
	merge_fails(srcs, 2, "period");
	pprof_free(a);
	pprof_free(b);
}

/* Header: time_nanos min, duration summed, period max, comments united
 * without duplicates, default_sample_type and doc_url first non-empty. */
static void test_header(void **state)
{
	struct pprof_profile *a = build_abc(1, 0), *b = build_abc(1, 0), *out;
	struct pprof_profile *srcs[2] = {a, b};
	uint32_t i;
	int seen_x = 0, seen_y = 0, seen_z = 0;

	(void)state;
	a->time_nanos = 2000;
	b->time_nanos = 1000;
	a->duration_nanos = 10;
	b->duration_nanos = 5;
	a->period = 100;
	b->period = 300;
	pprof_add_comment(a, pprof_intern_cstr(a, "x"));
	pprof_add_comment(a, pprof_intern_cstr(a, "y"));
	pprof_add_comment(b, pprof_intern_cstr(b, "y"));
	pprof_add_comment(b, pprof_intern_cstr(b, "z"));
	b->default_sample_type = pprof_intern_cstr(b, "cpu");
	b->doc_url = pprof_intern_cstr(b, "https://b");
	out = merge_ok(srcs, 2);
	assert_true(out->time_nanos == 1000);
	assert_true(out->duration_nanos == 15);
	assert_true(out->period == 300);
	assert_true(str_is(out, out->period_type.type, "cpu"));
	assert_int_equal(out->ncomment, 3);
	for (i = 0; i < out->ncomment; i++) {
		seen_x += str_is(out, out->comment[i], "x");
		seen_y += str_is(out, out->comment[i], "y");
		seen_z += str_is(out, out->comment[i], "z");
	}
	assert_true(seen_x == 1 && seen_y == 1 && seen_z == 1);
	assert_true(str_is(out, out->default_sample_type, "cpu"));
	assert_true(str_is(out, out->doc_url, "https://b"));
	pprof_free(out);
	pprof_free(a);
	pprof_free(b);
}

/* Functions unify by content, not id; inlined locations keep their lines. */
static void test_functions_and_inlining(void **state)
{
	struct pprof_profile *a = new_prof(), *b = new_prof(), *out;
	struct pprof_profile *srcs[2] = {a, b};
	uint32_t la, lb, fa, fb;

	(void)state;
	la = add_loc(a, "outer", 0, 0x10, 0);
	lb = add_loc(b, "outer", 0, 0x10, 500);
	/* make each location 'inner inlined into outer': add a line before */
	fa = pprof_add_function(a);
	a->function[fa].name = pprof_intern_cstr(a, "inner");
	fb = pprof_add_function(b);
	b->function[fb].id = 9999;
	b->function[fb].name = pprof_intern_cstr(b, "inner");
	{
		uint32_t l2a = pprof_add_location(a, 2), l2b = pprof_add_location(b, 2);
		a->line[a->location[l2a].line_off].function = fa;
		a->line[a->location[l2a].line_off + 1].function = a->line[a->location[la].line_off].function;
		b->line[b->location[l2b].line_off].function = fb;
		b->line[b->location[l2b].line_off + 1].function = b->line[b->location[lb].line_off].function;
		b->location[l2b].id = 4242;
		add_sample2(a, &l2a, 1, 1, 1, 0);
		add_sample2(b, &l2b, 1, 1, 1, 0);
	}
	out = merge_ok(srcs, 2);
	assert_int_equal(out->nsample, 1);
	assert_int_equal(out->nfunction, 2);
	assert_int_equal(out->nlocation, 1); /* only the reachable one */
	assert_int_equal(out->location[0].nline, 2);
	assert_true(str_is(out, out->function[out->line[out->location[0].line_off].function].name, "inner"));
	assert_true(str_is(out, out->function[out->line[out->location[0].line_off + 1].function].name, "outer"));
	assert_int_equal(out->value[0], 2);
	pprof_free(out);
	pprof_free(a);
	pprof_free(b);
}

/* ---- real profiles ---- */

/* Samples and locations left after pprof's own Merge of each file alone,
 * from the oracle `go tool pprof -raw FILE` (which merges on load). */
static const struct real_file {
	const char *name;
	size_t nsample, nlocation;
} real_files[] = {
	{"etcd-allocs.pb.gz", 10, 62},
	{"etcd-block.pb.gz", 0, 0},
	{"etcd-cpu.pb.gz", 29, 157},
	{"etcd-goroutine.pb.gz", 35, 83},
	{"etcd-heap.pb.gz", 7, 49},
	{"etcd-mutex.pb.gz", 1, 4},
	{"gocompile-nethttp-cpu.pb.gz", 341, 1343},
	{"node-heap.pb.gz", 6, 61},
	{"node-wall.pb.gz", 34, 71},
	{"prometheus-allocs.pb.gz", 15, 45},
	{"prometheus-block.pb.gz", 0, 0},
	{"prometheus-cpu.pb.gz", 3, 41},
	{"prometheus-goroutine.pb.gz", 23, 72},
	{"prometheus-heap.pb.gz", 15, 45},
	{"prometheus-mutex.pb.gz", 0, 0},
};

static struct pprof_profile *load(const char *name)
{
	struct pprof_profile *p = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char path[512];
	struct err e = {0};

	snprintf(path, sizeof(path), "%s/%s", testdata_dir(), name);
	assert_int_equal(file_read(path, 64u << 20, &data, &len, &e), 0);
	assert_int_equal(pprof_decode(data, len, NULL, &p, &e), 0);
	free(data);
	return p;
}

static void test_real_compact_and_double(void **state)
{
	size_t i;
	uint32_t t;

	(void)state;
	for (i = 0; i < NELEM(real_files); i++) {
		struct pprof_profile *p = load(real_files[i].name), *one, *two;
		struct pprof_profile *srcs[2] = {p, p};

		one = merge_ok(&p, 1);
		if (one->nsample != real_files[i].nsample ||
		    one->nlocation != real_files[i].nlocation)
			print_error("%s: %zu samples, %u locations; pprof: %zu, %zu\n",
				    real_files[i].name, one->nsample, one->nlocation,
				    real_files[i].nsample, real_files[i].nlocation);
		assert_int_equal(one->nsample, real_files[i].nsample);
		assert_int_equal(one->nlocation, real_files[i].nlocation);
		check_dense_ids(one);
		two = merge_ok(srcs, 2);
		assert_int_equal(two->nsample, one->nsample);
		assert_int_equal(two->nlocation, one->nlocation);
		assert_int_equal(two->nfunction, one->nfunction);
		for (t = 0; t < p->nsample_type; t++) {
			assert_true(total(one, t) == total(p, t));
			assert_true(total(two, t) == 2 * total(p, t));
		}
		pprof_free(one);
		pprof_free(two);
		pprof_free(p);
	}
}

/* heap and allocs from one Go process have the same sample types and
 * period type (only default_sample_type differs): they merge, and totals
 * add exactly. cpu and heap do not. */
static void test_real_heap_allocs(void **state)
{
	struct pprof_profile *h = load("etcd-heap.pb.gz");
	struct pprof_profile *a = load("etcd-allocs.pb.gz");
	struct pprof_profile *c = load("etcd-cpu.pb.gz");
	struct pprof_profile *srcs[2] = {h, a}, *out;
	uint32_t t;

	(void)state;
	assert_int_equal(pprof_compatible(h, a, NULL), 0);
	out = merge_ok(srcs, 2);
	for (t = 0; t < 4; t++)
		assert_true(total(out, t) == total(h, t) + total(a, t));
	assert_true(out->nsample <= h->nsample + a->nsample);
	/* header rule: default_sample_type from the first that has one */
	assert_true(out->default_sample_type != 0 || h->default_sample_type == 0);
	pprof_free(out);
	srcs[1] = c;
	merge_fails(srcs, 2, "period"); /* space/bytes vs cpu/nanoseconds */
	pprof_free(h);
	pprof_free(a);
	pprof_free(c);
}

/* ---- go tool pprof as the oracle ---- */

/* pprof merging our inputs must print what pprof prints for our merge. */
static void oracle_case(const char *f1, const char *f2)
{
	struct pprof_profile *srcs[2], *out;
	char tmpl[] = "/tmp/stackyard-merge-XXXXXX", args[1200];
	uint8_t *gz = NULL;
	size_t gzlen = 0;
	char *want, *got;
	struct err e = {0};
	int fd;

	srcs[0] = load(f1);
	srcs[1] = load(f2);
	out = merge_ok(srcs, 2);
	assert_int_equal(pprof_encode(out, &gz, &gzlen, &e), 0);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(file_write_atomic(tmpl, gz, gzlen, &e), 0);
	snprintf(args, sizeof(args), "'%s/%s' '%s/%s'", testdata_dir(), f1,
		 testdata_dir(), f2);
	want = pprof_raw(args);
	snprintf(args, sizeof(args), "'%s'", tmpl);
	got = pprof_raw(args);
	assert_non_null(want);
	assert_non_null(got);
	strip_mapping_flags(want);
	strip_mapping_flags(got);
	if (strcmp(want, got))
		print_error("merge %s + %s differs from go tool pprof\n", f1, f2);
	assert_string_equal(want, got);
	unlink(tmpl);
	free(want);
	free(got);
	free(gz);
	pprof_free(out);
	pprof_free(srcs[0]);
	pprof_free(srcs[1]);
}

static void test_go_pprof_oracle(void **state)
{
	(void)state;
	if (system("go version >/dev/null 2>&1") != 0) {
		fail_msg("go not found: the go tool pprof oracle is required "
			 "(scripts/deps.sh installs golang-go)");
	}
	oracle_case("etcd-heap.pb.gz", "etcd-allocs.pb.gz");
	oracle_case("prometheus-heap.pb.gz", "etcd-heap.pb.gz");
	oracle_case("etcd-cpu.pb.gz", "etcd-cpu.pb.gz");
	oracle_case("prometheus-goroutine.pb.gz", "etcd-goroutine.pb.gz");
	oracle_case("node-wall.pb.gz", "node-wall.pb.gz");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_merge_doubles),
		cmocka_unit_test(test_aslr_unify),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_zero_dropped),
		cmocka_unit_test(test_incompatible_types),
		cmocka_unit_test(test_incompatible_period),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_functions_and_inlining),
		cmocka_unit_test(test_real_compact_and_double),
		cmocka_unit_test(test_real_heap_allocs),
		cmocka_unit_test(test_go_pprof_oracle),
		cmocka_unit_test(test_registry_locations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
