/* normalize: series per sample type and label set, names, validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/base/file.h"
#include "../../src/base/xalloc.h"
#include "../../src/ingest/normalize.h"
#include "../../src/pprof/decode.h"

/* ---- profile building ---- */

/* A profile with sample types "type/unit" pairs and the given period. */
static struct pprof_profile *new_prof(const char *const *types, size_t n,
				      const char *ptype, const char *punit)
{
	struct pprof_profile *p = pprof_new();
	size_t i;

	for (i = 0; i < n; i += 2)
		pprof_add_sample_type(p, types[i], types[i + 1]);
	p->period_type.type = pprof_intern_cstr(p, ptype);
	p->period_type.unit = pprof_intern_cstr(p, punit);
	return p;
}

static struct pprof_profile *cpu_prof(void)
{
	static const char *const t[] = {"samples", "count", "cpu", "nanoseconds"};

	return new_prof(t, 4, "cpu", "nanoseconds");
}

/* A sample with one location, values v (one per type), and string labels
 * kv[0]=kv[1], ... (nkv strings). */
static size_t add(struct pprof_profile *p, const int64_t *v,
		  const char *const *kv, uint32_t nkv)
{
	uint32_t loc = pprof_add_location(p, 0), j;
	size_t s = pprof_add_sample(p, &loc, 1, v, nkv / 2);

	for (j = 0; j < nkv / 2; j++) {
		uint32_t k = pprof_intern_cstr(p, kv[2 * j]);
		uint32_t str = pprof_intern_cstr(p, kv[2 * j + 1]);
		struct pprof_label *l = &p->label[p->sample[s].label_off + j];
		l->key = k;
		l->str = str;
	}
	return s;
}

static size_t add2(struct pprof_profile *p, int64_t a, int64_t b,
		   const char *const *kv, uint32_t nkv)
{
	int64_t v[2] = {a, b};

	return add(p, v, kv, nkv);
}

/* ---- result checks ---- */

static const char *lab(const struct norm_series *s, const char *name)
{
	return labels_get(s->labels, s->nlabels, name);
}

/* The one series of type ptype whose label name has value (value NULL:
 * the label is absent); fails the test when there is not exactly one. */
static const struct norm_series *find(const struct norm *n, const char *ptype,
				      const char *name, const char *value)
{
	const struct norm_series *hit = NULL;
	size_t i, nhit = 0;

	for (i = 0; i < n->nseries; i++) {
		const struct norm_series *s = &n->series[i];
		const char *v = name ? lab(s, name) : NULL;
		if (strcmp(s->profile_type, ptype))
			continue;
		if (name && (value ? !v || strcmp(v, value) : v != NULL))
			continue;
		hit = s;
		nhit++;
	}
	if (nhit != 1)
		fail_msg("%zu series of %s with %s=%s", nhit, ptype,
			 name ? name : "-", value ? value : "(absent)");
	return hit;
}

/* Every series: labels strictly sorted, automatic labels right, the
 * samples' values nonzero and summing to total. */
static void check_invariants(const struct pprof_profile *p,
			     const struct norm *n)
{
	size_t i, j;

	for (i = 0; i < n->nseries; i++) {
		const struct norm_series *s = &n->series[i];
		int64_t sum = 0;
		for (j = 1; j < s->nlabels; j++)
			assert_true(strcmp(s->labels[j - 1].name,
					   s->labels[j].name) < 0);
		assert_non_null(lab(s, "service_name"));
		assert_non_null(lab(s, "__name__"));
		assert_string_equal(lab(s, "__profile_type__"), s->profile_type);
		assert_true(!strncmp(s->profile_type, lab(s, "__name__"),
				     strlen(lab(s, "__name__"))));
		for (j = 0; j < s->nsamples; j++) {
			int64_t v = p->value[s->samples[j] * p->nsample_type +
					     (size_t)s->value_index];
			assert_true(v != 0);
			sum += v;
			if (j)
				assert_true(s->samples[j - 1] < s->samples[j]);
		}
		assert_int_equal(sum, s->total);
	}
}

static struct norm *norm_ok(const struct pprof_profile *p,
			    const struct norm_opts *o)
{
	struct norm *n = NULL;
	struct err e = {0};
	int rc = normalize(p, o, &n, &e);

	if (rc)
		fail_msg("normalize: %d %s", rc, e.msg);
	assert_non_null(n);
	check_invariants(p, n);
	return n;
}

/* normalize must fail with -EINVAL and a message containing want. */
static void norm_fails(const struct pprof_profile *p,
		       const struct norm_opts *o, const char *want)
{
	struct norm *n = (struct norm *)&n;
	struct err e = {0};
	int rc = normalize(p, o, &n, &e);

	assert_int_equal(rc, -EINVAL);
	assert_null(n);
	if (!strstr(e.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
}

/* ---- real profiles ---- */

static struct pprof_profile *load(const char *name)
{
	const char *d = getenv("STACKYARD_TESTDATA");
	struct pprof_profile *p = NULL;
	struct err e = {0};
	char path[1024];
	uint8_t *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s",
		 d ? d : "../shared/testdata/pprof", name);
	if (file_read(path, 64 << 20, &data, &len, &e))
		fail_msg("%s: %s", path, e.msg);
	if (pprof_decode(data, len, NULL, &p, &e))
		fail_msg("%s: %s", path, e.msg);
	free(data);
	return p;
}

/* Sum and nonzero count of value vi over the whole profile. */
static int64_t vsum(const struct pprof_profile *p, int vi, size_t *nonzero)
{
	int64_t s = 0;
	size_t i;

	*nonzero = 0;
	for (i = 0; i < p->nsample; i++) {
		int64_t v = p->value[i * p->nsample_type + (size_t)vi];
		s += v;
		*nonzero += v != 0;
	}
	return s;
}

/* A label-free real profile: one series per type, in type order, each
 * with every nonzero sample, the three automatic labels and nothing else. */
static void check_file(const char *file, const char *const *ptypes,
		       size_t ntypes, const char *name)
{
	struct pprof_profile *p = load(file);
	struct norm *n = norm_ok(p, NULL);
	size_t i, nz;

	assert_int_equal(n->nseries, ntypes);
	for (i = 0; i < ntypes; i++) {
		const struct norm_series *s = &n->series[i];
		assert_string_equal(s->profile_type, ptypes[i]);
		assert_int_equal(s->value_index, (int)i);
		assert_int_equal(s->total, vsum(p, (int)i, &nz));
		assert_int_equal(s->nsamples, nz);
		assert_true(s->total != 0 || !p->nsample);
		assert_int_equal(s->nlabels, 3);
		assert_string_equal(s->labels[0].name, "__name__");
		assert_string_equal(s->labels[0].value, name);
		assert_string_equal(s->labels[1].name, "__profile_type__");
		assert_string_equal(s->labels[2].name, "service_name");
		assert_string_equal(s->labels[2].value, "unknown");
	}
	norm_free(n);
	pprof_free(p);
}

static void test_file_cpu(void **state)
{
	static const char *const t[] = {
		"process_cpu:samples:count:cpu:nanoseconds",
		"process_cpu:cpu:nanoseconds:cpu:nanoseconds"};
	(void)state;
	check_file("etcd-cpu.pb.gz", t, 2, "process_cpu");
	check_file("gocompile-nethttp-cpu.pb.gz", t, 2, "process_cpu");
}

/* prometheus-heap has numeric "bytes" labels: they must not split series. */
static void test_file_heap(void **state)
{
	static const char *const t[] = {
		"memory:alloc_objects:count:space:bytes",
		"memory:alloc_space:bytes:space:bytes",
		"memory:inuse_objects:count:space:bytes",
		"memory:inuse_space:bytes:space:bytes"};
	(void)state;
	check_file("prometheus-heap.pb.gz", t, 4, "memory");
	check_file("etcd-allocs.pb.gz", t, 4, "memory");
}

static void test_file_goroutine(void **state)
{
	static const char *const t[] = {"goroutine:goroutine:count:goroutine:count"};
	(void)state;
	check_file("prometheus-goroutine.pb.gz", t, 1, "goroutine");
	check_file("etcd-goroutine.pb.gz", t, 1, "goroutine");
}

/* Node's wall profile: one sample has wall 0 but cpu time, so the wall
 * series has one sample fewer than the others. */
static void test_file_node(void **state)
{
	static const char *const wall[] = {
		"wall:samples:count:wall:nanoseconds",
		"wall:wall:nanoseconds:wall:nanoseconds",
		"wall:cpu:nanoseconds:wall:nanoseconds"};
	static const char *const heap[] = {
		"memory:inuse_objects:count:inuse_space:bytes",
		"memory:inuse_space:bytes:inuse_space:bytes"};
	struct pprof_profile *p = load("node-wall.pb.gz");
	size_t nz0, nz1;
	(void)state;

	vsum(p, 0, &nz0);
	vsum(p, 1, &nz1);
	assert_true(nz1 < nz0);
	pprof_free(p);
	check_file("node-wall.pb.gz", wall, 3, "wall");
	check_file("node-heap.pb.gz", heap, 2, "memory");
}

/* Block and mutex profiles look alike: block unless the caller says. */
static void test_file_block_mutex(void **state)
{
	static const char *const t[] = {
		"block:contentions:count:contentions:count",
		"block:delay:nanoseconds:contentions:count"};
	struct pprof_profile *p = load("etcd-mutex.pb.gz");
	struct norm_opts o = {.name = "mutex"};
	struct norm *n;
	(void)state;

	/* etcd-block has no samples: idle series, still named block. */
	check_file("etcd-block.pb.gz", t, 2, "block");
	check_file("etcd-mutex.pb.gz", t, 2, "block");
	n = norm_ok(p, &o);
	assert_int_equal(n->nseries, 2);
	assert_string_equal(n->series[0].profile_type,
			    "mutex:contentions:count:contentions:count");
	assert_string_equal(n->series[1].profile_type,
			    "mutex:delay:nanoseconds:contentions:count");
	assert_string_equal(lab(&n->series[1], "__name__"), "mutex");
	norm_free(n);
	pprof_free(p);
}

/* ---- sample labels ---- */

static void test_labels_split(void **state)
{
	static const char *const a[] = {"handler", "/a"};
	static const char *const b[] = {"handler", "/b"};
	struct pprof_profile *p = cpu_prof();
	const struct norm_series *s;
	struct norm *n;
	(void)state;

	add2(p, 1, 10, a, 2);  /* 0 */
	add2(p, 2, 20, b, 2);  /* 1 */
	add2(p, 3, 5, a, 2);   /* 2 */
	add2(p, 4, 7, NULL, 0);/* 3 */
	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 6);
	/* Order: type by type, label sets in first-seen order. */
	assert_string_equal(lab(&n->series[0], "handler"), "/a");
	assert_string_equal(lab(&n->series[1], "handler"), "/b");
	assert_null(lab(&n->series[2], "handler"));
	assert_int_equal(n->series[0].value_index, 0);
	assert_int_equal(n->series[3].value_index, 1);

	s = find(n, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "handler", "/a");
	assert_int_equal(s->total, 15);
	assert_int_equal(s->nsamples, 2);
	assert_int_equal(s->samples[0], 0);
	assert_int_equal(s->samples[1], 2);
	assert_int_equal(s->nlabels, 4);
	s = find(n, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "handler", "/b");
	assert_int_equal(s->total, 20);
	assert_int_equal(s->nsamples, 1);
	assert_int_equal(s->samples[0], 1);
	s = find(n, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "handler", NULL);
	assert_int_equal(s->total, 7);
	assert_int_equal(s->samples[0], 3);
	assert_int_equal(s->nlabels, 3);
	s = find(n, "process_cpu:samples:count:cpu:nanoseconds", "handler", "/a");
	assert_int_equal(s->total, 4);
	s = find(n, "process_cpu:samples:count:cpu:nanoseconds", "handler", "/b");
	assert_int_equal(s->total, 2);
	norm_free(n);
	pprof_free(p);
}

/* Label order within a sample does not matter; numeric labels are ignored. */
static void test_labels_order_numeric(void **state)
{
	static const char *const ab[] = {"a", "1", "b", "2"};
	static const char *const ba[] = {"b", "2", "a", "1"};
	struct pprof_profile *p = cpu_prof();
	struct norm *n;
	size_t s;
	(void)state;

	add2(p, 1, 1, ab, 4);
	add2(p, 1, 1, ba, 4);
	s = add2(p, 1, 1, ab, 4);
	/* Turn the sample's "b" into a numeric label: a new set {a=1}. */
	p->label[p->sample[s].label_off + 1].str = 0;
	p->label[p->sample[s].label_off + 1].num = 42;
	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 4);
	assert_int_equal(find(n, "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
			      "b", "2")->nsamples, 2);
	assert_int_equal(find(n, "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
			      "b", NULL)->nsamples, 1);
	norm_free(n);
	pprof_free(p);
}

static void test_labels_drop_default(void **state)
{
	static const char *const s1[] = {"handler", "/a", "span_id", "1",
					 "trace_id", "x"};
	static const char *const s2[] = {"handler", "/a", "span_id", "2",
					 "profile_id", "y"};
	struct pprof_profile *p = cpu_prof();
	const struct norm_series *s;
	struct norm *n;
	(void)state;

	add2(p, 1, 10, s1, 6);
	add2(p, 1, 30, s2, 6);
	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 2);
	s = &n->series[1];
	assert_int_equal(s->total, 40);
	assert_int_equal(s->nsamples, 2);
	assert_int_equal(s->nlabels, 4);
	assert_string_equal(lab(s, "handler"), "/a");
	assert_null(lab(s, "span_id"));
	assert_null(lab(s, "trace_id"));
	assert_null(lab(s, "profile_id"));
	norm_free(n);
	pprof_free(p);
}

/* A custom list replaces the default one; an empty list drops nothing. */
static void test_labels_drop_custom(void **state)
{
	static const char *const s1[] = {"handler", "/a", "span_id", "1"};
	static const char *const s2[] = {"handler", "/b", "span_id", "1"};
	static const char *const drop[] = {"handler"};
	struct pprof_profile *p = cpu_prof();
	struct norm_opts o = {.drop_labels = drop, .ndrop = 1};
	struct norm *n;
	(void)state;

	add2(p, 1, 10, s1, 4);
	add2(p, 1, 30, s2, 4);
	n = norm_ok(p, &o);
	assert_int_equal(n->nseries, 2);
	assert_string_equal(lab(&n->series[1], "span_id"), "1");
	assert_null(lab(&n->series[1], "handler"));
	assert_int_equal(n->series[1].total, 40);
	norm_free(n);

	o.ndrop = 0;
	n = norm_ok(p, &o);
	assert_int_equal(n->nseries, 4);
	assert_string_equal(lab(&n->series[2], "span_id"), "1");
	assert_string_equal(lab(&n->series[2], "handler"), "/a");
	norm_free(n);
	pprof_free(p);
}

/* A sample carrying one key twice keeps the first value. */
static void test_labels_repeated_key(void **state)
{
	static const char *const kv[] = {"handler", "/a", "handler", "/b"};
	struct pprof_profile *p = cpu_prof();
	struct norm *n;
	(void)state;

	add2(p, 1, 10, kv, 4);
	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 2);
	assert_int_equal(n->series[0].nlabels, 4);
	assert_string_equal(lab(&n->series[0], "handler"), "/a");
	norm_free(n);
	pprof_free(p);
}

/* Free-form pprof keys are sanitized; two keys that sanitize alike, and
 * one string stored twice in the table, give one label set. */
static void test_labels_sanitized(void **state)
{
	static const char *const s1[] = {"thread id", "7", "1st", "x",
					 "caf\xc3\xa9", "y"};
	static const char *const s2[] = {"thread_id", "7", "1st", "x",
					 "caf\xc3\xa9", "y"};
	struct pprof_profile *p = cpu_prof();
	const struct norm_series *s;
	struct norm *n;
	size_t i;
	(void)state;

	add2(p, 1, 10, s1, 6);
	add2(p, 1, 20, s2, 6);
	/* Sample 2: its "x" value is a second copy of the string. */
	i = add2(p, 1, 30, s1, 6);
	XGROW(p->str, p->cap_str, (size_t)p->nstr + 1);
	p->str[p->nstr] = (struct pprof_str){"x", 1};
	p->label[p->sample[i].label_off + 1].str = p->nstr++;
	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 2);
	s = &n->series[1];
	assert_int_equal(s->total, 60);
	assert_int_equal(s->nsamples, 3);
	assert_string_equal(lab(s, "thread_id"), "7");
	assert_string_equal(lab(s, "_st"), "x");
	assert_string_equal(lab(s, "caf__"), "y");
	assert_int_equal(s->nlabels, 6);
	norm_free(n);
	pprof_free(p);
}

static void test_labels_given(void **state)
{
	static const char *const kv[] = {"zone", "sample", "handler", "/a",
					 "__name__", "evil"};
	static const struct label given[] = {
		{"zone", "eu"}, {"job", "etcd"}, {"Build", ""}, {"__meta.x", "1"}};
	struct pprof_profile *p = cpu_prof();
	struct norm_opts o = {.labels = given, .nlabels = 4};
	const struct norm_series *s;
	struct norm *n;
	static const char *const names[] = {"Build", "__meta.x", "__name__",
		"__profile_type__", "handler", "job", "service_name", "zone"};
	size_t i;
	(void)state;

	add2(p, 1, 10, kv, 6);
	n = norm_ok(p, &o);
	assert_int_equal(n->nseries, 2);
	s = &n->series[1];
	assert_int_equal(s->nlabels, 8);
	for (i = 0; i < 8; i++)
		assert_string_equal(s->labels[i].name, names[i]);
	assert_string_equal(lab(s, "zone"), "eu");       /* given wins */
	assert_string_equal(lab(s, "__name__"), "process_cpu");
	assert_string_equal(lab(s, "Build"), "");
	/* The given strings are copies. */
	assert_ptr_not_equal(lab(s, "job"), given[1].value);
	norm_free(n);
	pprof_free(p);
}

static void test_service_name(void **state)
{
	static const char *const kv[] = {"service_name", "from-sample"};
	static const struct label given[] = {{"service_name", "svc"}};
	struct pprof_profile *p = cpu_prof();
	struct norm_opts o = {.labels = given, .nlabels = 1};
	struct norm *n;
	(void)state;

	add2(p, 1, 1, kv, 2);
	add2(p, 1, 1, NULL, 0);
	n = norm_ok(p, &o);
	assert_int_equal(n->nseries, 2); /* both samples: service_name=svc */
	assert_string_equal(lab(&n->series[0], "service_name"), "svc");
	assert_int_equal(n->series[0].nsamples, 2);
	norm_free(n);

	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 4);
	assert_string_equal(lab(&n->series[0], "service_name"), "from-sample");
	assert_string_equal(lab(&n->series[1], "service_name"), "unknown");
	norm_free(n);
	pprof_free(p);
}

/* ---- values ---- */

static void test_zero_values_skipped(void **state)
{
	struct pprof_profile *p = cpu_prof();
	struct norm *n;
	(void)state;

	add2(p, 0, 5, NULL, 0);
	add2(p, 3, 0, NULL, 0);
	add2(p, -2, 4, NULL, 0); /* diff profiles: negative counts */
	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 2);
	assert_int_equal(n->series[0].nsamples, 2);
	assert_int_equal(n->series[0].samples[0], 1);
	assert_int_equal(n->series[0].samples[1], 2);
	assert_int_equal(n->series[0].total, 1);
	assert_int_equal(n->series[1].nsamples, 2);
	assert_int_equal(n->series[1].samples[0], 0);
	assert_int_equal(n->series[1].samples[1], 2);
	assert_int_equal(n->series[1].total, 9);
	norm_free(n);
	pprof_free(p);
}

/* An idle profile is still recorded: one series per type, no samples,
 * base labels only (sample labels of zero samples do not count). */
static void test_all_zero(void **state)
{
	static const char *const kv[] = {"handler", "/a"};
	static const struct label given[] = {{"job", "x"}};
	struct pprof_profile *p = cpu_prof();
	struct norm_opts o = {.labels = given, .nlabels = 1};
	struct norm *n;
	size_t i;
	(void)state;

	n = norm_ok(p, &o); /* no samples at all */
	assert_int_equal(n->nseries, 2);
	norm_free(n);
	add2(p, 0, 0, kv, 2);
	add2(p, 0, 0, NULL, 0);
	n = norm_ok(p, &o);
	assert_int_equal(n->nseries, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(n->series[i].nsamples, 0);
		assert_int_equal(n->series[i].total, 0);
		assert_int_equal(n->series[i].nlabels, 4);
		assert_int_equal(n->series[i].value_index, (int)i);
		assert_null(lab(&n->series[i], "handler"));
		assert_string_equal(lab(&n->series[i], "job"), "x");
	}
	assert_string_equal(n->series[1].profile_type,
			    "process_cpu:cpu:nanoseconds:cpu:nanoseconds");
	norm_free(n);
	pprof_free(p);
}

/* When one type has nonzero samples and another has none. */
static void test_one_type_idle(void **state)
{
	static const char *const kv[] = {"handler", "/a"};
	struct pprof_profile *p = cpu_prof();
	struct norm *n;
	(void)state;

	add2(p, 3, 0, kv, 2);
	n = norm_ok(p, NULL);
	assert_int_equal(n->nseries, 2);
	assert_string_equal(lab(&n->series[0], "handler"), "/a");
	assert_int_equal(n->series[0].total, 3);
	assert_null(lab(&n->series[1], "handler"));
	assert_int_equal(n->series[1].nsamples, 0);
	norm_free(n);
	pprof_free(p);
}

static void test_overflow(void **state)
{
	struct pprof_profile *p = cpu_prof();
	struct norm *n = NULL;
	struct err e = {0};
	(void)state;

	add2(p, 1, INT64_MAX, NULL, 0);
	add2(p, 1, 1, NULL, 0);
	assert_int_equal(normalize(p, NULL, &n, &e), -EOVERFLOW);
	assert_null(n);
	assert_non_null(strstr(e.msg, "overflow"));
	pprof_free(p);
}

/* ---- validation ---- */

static void test_given_invalid(void **state)
{
	struct pprof_profile *p = cpu_prof();
	struct label l[2] = {{"job", "x"}, {NULL, NULL}};
	struct norm_opts o = {.labels = l, .nlabels = 2};
	char big[2050], name[131];
	(void)state;

	add2(p, 1, 1, NULL, 0);
	l[1] = (struct label){"1abc", "v"};
	norm_fails(p, &o, "1abc");
	l[1] = (struct label){"a-b", "v"};
	norm_fails(p, &o, "a-b");
	l[1] = (struct label){"", "v"};
	norm_fails(p, &o, "invalid name");
	l[1] = (struct label){"__name__", "v"};
	norm_fails(p, &o, "label __name__ is reserved");
	l[1] = (struct label){"__profile_type__", "v"};
	norm_fails(p, &o, "label __profile_type__ is reserved");
	l[1] = (struct label){"job", "y"};
	norm_fails(p, &o, "job is given twice");
	l[1] = (struct label){"k", NULL};
	norm_fails(p, &o, "label k");

	memset(big, 'v', sizeof(big));
	big[2049] = '\0';
	l[1] = (struct label){"big", big};
	norm_fails(p, &o, "label big: value is 2049 bytes, limit is 2048");
	big[2048] = '\0';
	norm_free(norm_ok(p, &o));

	memset(name, 'n', sizeof(name));
	name[129] = '\0';
	l[1] = (struct label){name, "v"};
	norm_fails(p, &o, "name is 129 bytes, limit is 128");
	name[128] = '\0';
	norm_free(norm_ok(p, &o));
	pprof_free(p);
}

static void test_too_many_labels(void **state)
{
	static const char *const kv[] = {"handler", "/a"};
	static const struct label l[] = {{"a", "1"}, {"b", "2"}};
	struct pprof_profile *p = cpu_prof();
	struct norm_opts o = {.labels = l, .nlabels = 2, .max_labels = 5};
	struct norm *n;
	(void)state;

	add2(p, 1, 1, NULL, 0);
	/* a, b, service_name, __name__, __profile_type__: exactly 5. */
	n = norm_ok(p, &o);
	assert_int_equal(n->series[0].nlabels, 5);
	norm_free(n);
	/* A sample label makes 6. */
	add2(p, 1, 1, kv, 2);
	norm_fails(p, &o, "too many labels: 6");
	norm_fails(p, &o, "handler");
	o.max_labels = 6;
	norm_free(norm_ok(p, &o));
	o.max_labels = 4;
	norm_fails(p, &o, "limit is 4");
	pprof_free(p);
}

static void test_default_max_labels(void **state)
{
	struct label l[28];
	char names[28][8];
	struct pprof_profile *p = cpu_prof();
	struct norm_opts o = {.labels = l, .nlabels = 27};
	size_t i;
	(void)state;

	for (i = 0; i < 28; i++) {
		snprintf(names[i], sizeof(names[i]), "l%zu", i);
		l[i] = (struct label){names[i], "v"};
	}
	add2(p, 1, 1, NULL, 0);
	norm_free(norm_ok(p, &o)); /* 27 + 3 = 30 */
	o.nlabels = 28;
	norm_fails(p, &o, "too many labels: 31, limit is 30");
	pprof_free(p);
}

static void test_sample_label_caps(void **state)
{
	const char *kv[2];
	struct pprof_profile *p = cpu_prof();
	char big[2050], name[130];
	(void)state;

	memset(big, 'v', sizeof(big));
	big[2049] = '\0';
	kv[0] = "handler";
	kv[1] = big;
	add2(p, 0, 0, kv, 2); /* zero-valued, yet still checked */
	norm_fails(p, NULL, "label handler: value is 2049 bytes");
	pprof_free(p);

	p = cpu_prof();
	memset(name, 'n', sizeof(name));
	name[129] = '\0';
	kv[0] = name;
	kv[1] = "v";
	add2(p, 1, 1, kv, 2);
	norm_fails(p, NULL, "name is 129 bytes, limit is 128");
	pprof_free(p);
}

static void test_bad_profiles(void **state)
{
	static const char *const t[] = {"ok", "a:b"};
	struct pprof_profile *p = pprof_new();
	struct norm *n = NULL;
	struct err e = {0};
	(void)state;

	norm_fails(p, NULL, "no sample types");
	pprof_free(p);
	p = new_prof(t, 2, "", "");
	add2(p, 1, 1, NULL, 0);
	norm_fails(p, NULL, "contains ':'");
	assert_int_equal(normalize(NULL, NULL, &n, &e), -EINVAL);
	assert_null(n);
	pprof_free(p);
	norm_free(NULL);
}

/* ---- names ---- */

static void test_profile_names(void **state)
{
	static const char *const wall[] = {"samples", "count", "wall",
		"nanoseconds", "cpu", "nanoseconds"};
	static const char *const heap[] = {"alloc_objects", "count",
		"alloc_space", "bytes", "inuse_objects", "count",
		"inuse_space", "bytes"};
	static const char *const gr[] = {"goroutines", "count"};
	static const char *const other[] = {"exceptions", "count", "x", "y"};
	static const char *const blk[] = {"contentions", "count", "delay",
		"nanoseconds"};
	struct pprof_profile *p;
	struct norm *n;
	int i;
	(void)state;

	p = new_prof(wall, 6, "wall", "nanoseconds");
	for (i = 0; i < 3; i++)
		assert_string_equal(normalize_profile_name(p, i), "wall");
	assert_null(normalize_profile_name(p, 3));
	assert_null(normalize_profile_name(p, -1));
	assert_null(normalize_profile_name(NULL, 0));
	pprof_free(p);
	p = new_prof(heap, 8, "space", "bytes");
	for (i = 0; i < 4; i++)
		assert_string_equal(normalize_profile_name(p, i), "memory");
	pprof_free(p);
	p = new_prof(gr, 2, "", "");
	assert_string_equal(normalize_profile_name(p, 0), "goroutine");
	pprof_free(p);
	p = new_prof(blk, 4, "contentions", "count");
	assert_string_equal(normalize_profile_name(p, 1), "block");
	pprof_free(p);
	/* delay without the contentions period is not known to be block. */
	p = new_prof(blk + 2, 2, "", "");
	assert_string_equal(normalize_profile_name(p, 0), "delay");
	pprof_free(p);

	/* Nothing known: the first sample type names every series. */
	p = new_prof(other, 4, "", "");
	assert_string_equal(normalize_profile_name(p, 1), "exceptions");
	add2(p, 1, 2, NULL, 0);
	n = norm_ok(p, NULL);
	assert_string_equal(n->series[0].profile_type, "exceptions:exceptions:count::");
	assert_string_equal(n->series[1].profile_type, "exceptions:x:y::");
	assert_string_equal(lab(&n->series[1], "__name__"), "exceptions");
	norm_free(n);
	pprof_free(p);
}

static void test_profile_name_cpu(void **state)
{
	static const char *const cpu[] = {"cpu", "nanoseconds"};
	struct pprof_profile *p = new_prof(cpu, 2, "", "");
	(void)state;

	assert_string_equal(normalize_profile_name(p, 0), "process_cpu");
	pprof_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_cpu),
		cmocka_unit_test(test_file_heap),
		cmocka_unit_test(test_file_goroutine),
		cmocka_unit_test(test_file_node),
		cmocka_unit_test(test_file_block_mutex),
		cmocka_unit_test(test_labels_split),
		cmocka_unit_test(test_labels_order_numeric),
		cmocka_unit_test(test_labels_drop_default),
		cmocka_unit_test(test_labels_drop_custom),
		cmocka_unit_test(test_labels_repeated_key),
		cmocka_unit_test(test_labels_sanitized),
		cmocka_unit_test(test_labels_given),
		cmocka_unit_test(test_service_name),
		cmocka_unit_test(test_zero_values_skipped),
		cmocka_unit_test(test_all_zero),
		cmocka_unit_test(test_one_type_idle),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_given_invalid),
		cmocka_unit_test(test_too_many_labels),
		cmocka_unit_test(test_default_max_labels),
		cmocka_unit_test(test_sample_label_caps),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_profile_names),
		cmocka_unit_test(test_profile_name_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
