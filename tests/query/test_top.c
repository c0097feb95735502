/* top: flat/cum per function, recursion, inlining, merging, reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/query/top.h"

/* ---- profile building ---- */

static uint32_t add_fn(struct pprof_profile *p, const char *name)
{
	uint32_t f = pprof_add_function(p);

	p->function[f].name = pprof_intern_cstr(p, name);
	return f;
}

/* A location whose lines call fns[0] (innermost) .. fns[n-1] (caller). */
static uint32_t add_loc(struct pprof_profile *p, const uint32_t *fns,
			uint32_t n)
{
	uint32_t l = pprof_add_location(p, n), k;

	for (k = 0; k < n; k++)
		p->line[p->location[l].line_off + k].function = fns[k];
	return l;
}

static uint32_t add_loc1(struct pprof_profile *p, const char *name)
{
	uint32_t f = add_fn(p, name);

	return add_loc(p, &f, 1);
}

static void add_sample1(struct pprof_profile *p, const uint32_t *locs,
			uint32_t n, int64_t v)
{
	pprof_add_sample(p, locs, n, &v, 0);
}

static struct pprof_profile *new_profile(void)
{
	struct pprof_profile *p = pprof_new();

	pprof_add_sample_type(p, "cpu", "nanoseconds");
	return p;
}

/* The row for name, which must exist. */
static const struct top_row *find_row(struct top *t, const char *name)
{
	const struct top_row *r;
	const char *s;
	size_t n, i, len;

	r = top_rows(t, &n);
	for (i = 0; i < n; i++) {
		s = top_name(t, r[i].name, &len);
		if (len == strlen(name) && !memcmp(s, name, len))
			return &r[i];
	}
	fail_msg("no row for %s", name);
	return NULL;
}

static void assert_row(struct top *t, const char *name, int64_t flat,
		       int64_t cum)
{
	const struct top_row *r = find_row(t, name);

	assert_int_equal(r->flat, flat);
	assert_int_equal(r->cum, cum);
}

static void assert_row_names(struct top *t, const char *const *want,
			     size_t nwant)
{
	const struct top_row *r;
	const char *s;
	size_t n, i, len;

	r = top_rows(t, &n);
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++) {
		s = top_name(t, r[i].name, &len);
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(s, want[i], len);
	}
}

/* main -> a (10), main -> b (5), main (2). */
static struct pprof_profile *simple_profile(void)
{
	struct pprof_profile *p = new_profile();
	uint32_t m = add_loc1(p, "main");
	uint32_t ma[] = {add_loc1(p, "a"), m}, mb[] = {add_loc1(p, "b"), m};

	add_sample1(p, ma, 2, 10);
	add_sample1(p, mb, 2, 5);
	add_sample1(p, &m, 1, 2);
	return p;
}

/* ---- tests ---- */

static void test_flat_cum_total(void **state)
{
	struct pprof_profile *p = simple_profile();
	struct top *t = top_new();
	const char *order[] = {"a", "b", "main"};

	(void)state;
	top_add_pprof(t, p, 0);
	assert_int_equal(top_total(t), 17);
	assert_row(t, "a", 10, 10);
	assert_row(t, "b", 5, 5);
	assert_row(t, "main", 2, 17);
	assert_row_names(t, order, 3);
	top_free(t);
	top_free(NULL);
	pprof_free(p);
}

static void test_recursion_counts_cum_once(void **state)
{
	struct pprof_profile *p = new_profile();
	struct top *t = top_new();
	uint32_t a = add_loc1(p, "a"), b = add_loc1(p, "b");
	uint32_t abab[] = {b, a, b, a}; /* leaf first: a;b;a;b */
	uint32_t aa[] = {a, a};

	(void)state;
	add_sample1(p, abab, 4, 3);
	add_sample1(p, aa, 2, 4);
	top_add_pprof(t, p, 0);
	assert_int_equal(top_total(t), 7);
	assert_row(t, "a", 4, 7);
	assert_row(t, "b", 3, 3);
	top_free(t);
	pprof_free(p);
}

/* The same function in one location's inline chain and in another
 * location also counts once. */
static void test_inlined_frames(void **state)
{
	struct pprof_profile *p = new_profile();
	struct top *t = top_new();
	uint32_t inl = add_fn(p, "inl"), caller = add_fn(p, "caller");
	uint32_t fns[] = {inl, caller};
	uint32_t locs[] = {add_loc(p, fns, 2), add_loc1(p, "inl")};

	(void)state;
	add_sample1(p, locs, 2, 6);
	top_add_pprof(t, p, 0);
	assert_row(t, "inl", 6, 6);
	assert_row(t, "caller", 0, 6);
	top_free(t);
	pprof_free(p);
}

static void test_multiple_profiles(void **state)
{
	struct pprof_profile *p1 = simple_profile();
	struct pprof_profile *p2 = new_profile();
	struct top *t = top_new();
	uint32_t pad = add_loc1(p2, "unused"); /* shifts indices vs p1 */
	uint32_t m = add_loc1(p2, "main");
	uint32_t mc[] = {add_loc1(p2, "c"), m}, mb[] = {add_loc1(p2, "b"), m};
	const char *order[] = {"b", "a", "main", "c"};

	(void)state;
	(void)pad;
	add_sample1(p2, mc, 2, 1);
	add_sample1(p2, mb, 2, 7);
	top_add_pprof(t, p1, 0);
	assert_row(t, "b", 5, 5); /* rows computed, then invalidated by add */
	top_add_pprof(t, p2, 0);
	assert_int_equal(top_total(t), 25);
	assert_row(t, "a", 10, 10);
	assert_row(t, "b", 12, 12);
	assert_row(t, "c", 1, 1);
	assert_row(t, "main", 2, 25);
	assert_row_names(t, order, 4); /* "unused" never sampled: no row */
	top_free(t);
	pprof_free(p1);
	pprof_free(p2);
}

static void test_zero_skipped_negative_abs(void **state)
{
	struct pprof_profile *p = new_profile();
	struct top *t = top_new();
	uint32_t a = add_loc1(p, "a"), b = add_loc1(p, "b");
	uint32_t z = add_loc1(p, "zero");
	uint32_t ab[] = {b, a};
	const char *order[] = {"b", "a"};

	(void)state;
	add_sample1(p, &z, 1, 0);
	add_sample1(p, ab, 2, -9);
	add_sample1(p, &a, 1, 4);
	top_add_pprof(t, p, 0);
	assert_int_equal(top_total(t), 13);
	assert_row(t, "a", 4, -5);
	assert_row(t, "b", -9, -9);
	assert_row_names(t, order, 2); /* |-9| first; no row for "zero" */
	top_free(t);
	pprof_free(p);
}

static void test_sort_ties(void **state)
{
	struct pprof_profile *p = new_profile();
	struct top *t = top_new();
	uint32_t ab = add_loc1(p, "ab"), a = add_loc1(p, "a");
	uint32_t b = add_loc1(p, "b"), c = add_loc1(p, "c");
	uint32_t ca[] = {a, c}, cb[] = {b, c};
	const char *order[] = {"a", "ab", "b", "c"};

	(void)state;
	add_sample1(p, &ab, 1, 3);
	add_sample1(p, ca, 2, 3);
	add_sample1(p, cb, 2, -3);
	add_sample1(p, &c, 1, 3);
	top_add_pprof(t, p, 0);
	assert_row_names(t, order, 4);
	top_free(t);
	pprof_free(p);
}

static void test_unsymbolized_and_empty_stack(void **state)
{
	struct pprof_profile *p = new_profile();
	struct top *t = top_new();
	uint32_t m = pprof_add_mapping(p), l = pprof_add_location(p, 0);

	(void)state;
	p->mapping[m].filename = pprof_intern_cstr(p, "/bin/app");
	p->location[l].mapping = m + 1;
	p->location[l].address = 0x4f0;
	add_sample1(p, &l, 1, 2);
	add_sample1(p, NULL, 0, 5);
	top_add_pprof(t, p, 0);
	assert_int_equal(top_total(t), 7);
	assert_row(t, "app 0x4f0", 2, 2);
	top_free(t);
	pprof_free(p);
}

static void test_value_index(void **state)
{
	struct pprof_profile *p = pprof_new();
	struct top *t = top_new();
	int64_t v[] = {1, 250};
	uint32_t a;

	(void)state;
	pprof_add_sample_type(p, "samples", "count");
	pprof_add_sample_type(p, "cpu", "nanoseconds");
	a = add_loc1(p, "a");
	pprof_add_sample(p, &a, 1, v, 0);
	top_add_pprof(t, p, 1);
	top_add_pprof(t, p, 5); /* out of range: ignored */
	assert_int_equal(top_total(t), 250);
	assert_row(t, "a", 250, 250);
	top_free(t);
	pprof_free(p);
}

static void test_write_json(void **state)
{
	struct pprof_profile *p = simple_profile();
	struct top *t = top_new();
	struct buf b = BUF_INIT;

	(void)state;
	top_add_pprof(t, p, 0);
	top_write_json(t, "cpu", "nanoseconds", 2, &b);
	assert_string_equal((char *)b.data,
			    "{\"total\":17,\"sample_type\":\"cpu/nanoseconds\","
			    "\"rows\":[{\"name\":\"a\",\"flat\":10,\"cum\":10},"
			    "{\"name\":\"b\",\"flat\":5,\"cum\":5}]}");
	buf_reset(&b);
	top_write_json(t, "cpu", "nanoseconds", 0, &b);
	assert_non_null(strstr((char *)b.data,
			       "{\"name\":\"main\",\"flat\":2,\"cum\":17}]}"));
	buf_release(&b);
	top_free(t);
	pprof_free(p);
}

static void test_write_text(void **state)
{
	struct pprof_profile *p = simple_profile();
	struct top *t = top_new();
	struct buf b = BUF_INIT;

	(void)state;
	top_add_pprof(t, p, 0);
	top_write_text(t, "ns", 2, &b);
	assert_string_equal((char *)b.data,
		"Type: cpu\n"
		"Showing nodes accounting for 15ns, 88.24% of 17ns total\n"
		"Showing top 2 nodes out of 3\n"
		"      flat  flat%   sum%        cum   cum%\n"
		"      10ns 58.82% 58.82%       10ns 58.82%  a\n"
		"       5ns 29.41% 88.24%        5ns 29.41%  b\n");
	buf_release(&b);
	top_free(t);
	pprof_free(p);
}

/* A spelled-out unit ("nanoseconds") is scaled as pprof does: one unit for
 * the whole report, chosen from the smallest value shown. */
static void test_write_text_wide_unit(void **state)
{
	struct pprof_profile *p = simple_profile();
	struct top *t = top_new();
	struct buf b = BUF_INIT;

	(void)state;
	top_add_pprof(t, p, 0);
	top_write_text(t, "nanoseconds", 0, &b);
	assert_string_equal((char *)b.data,
		"Type: cpu\n"
		"Showing nodes accounting for 17ns, 100% of 17ns total\n"
		"      flat  flat%   sum%        cum   cum%\n"
		"      10ns 58.82% 58.82%       10ns 58.82%  a\n"
		"       5ns 29.41% 88.24%        5ns 29.41%  b\n"
		"       2ns 11.76%   100%       17ns   100%  main\n");
	buf_release(&b);
	top_free(t);
	pprof_free(p);
}

static void test_empty(void **state)
{
	struct pprof_profile *p = new_profile();
	struct top *t = top_new();
	struct buf b = BUF_INIT;
	size_t n;

	(void)state;
	top_write_text(t, NULL, 0, &b);
	assert_string_equal((char *)b.data,
		"Showing nodes accounting for 0, 0% of 0 total\n"
		"      flat  flat%   sum%        cum   cum%\n");
	top_add_pprof(t, p, 0);
	top_rows(t, &n);
	assert_int_equal(n, 0);
	assert_int_equal(top_total(t), 0);
	buf_reset(&b);
	top_write_json(t, "cpu", "", 0, &b);
	assert_string_equal((char *)b.data,
		"{\"total\":0,\"sample_type\":\"cpu/\",\"rows\":[]}");
	buf_release(&b);
	top_free(t);
	pprof_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_cum_total),
		cmocka_unit_test(test_recursion_counts_cum_once),
		cmocka_unit_test(test_inlined_frames),
		cmocka_unit_test(test_multiple_profiles),
		cmocka_unit_test(test_zero_skipped_negative_abs),
		cmocka_unit_test(test_sort_ties),
		cmocka_unit_test(test_unsymbolized_and_empty_stack),
		cmocka_unit_test(test_value_index),
		cmocka_unit_test(test_write_json),
		cmocka_unit_test(test_write_text),
		cmocka_unit_test(test_write_text_wide_unit),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
