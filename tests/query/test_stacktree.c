/* stacktree: pprof expansion, tree sums, children order, folded output,
 * frame naming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/base/intern.h"
#include "../../src/query/stacktree.h"

/* ---- profile building ---- */

static uint32_t add_fn(struct pprof_profile *p, const char *name,
		       const char *system_name)
{
	uint32_t f = pprof_add_function(p);

	p->function[f].name = pprof_intern_cstr(p, name);
	p->function[f].system_name = pprof_intern_cstr(p, system_name);
	return f;
}

/* A location whose lines call fns[0] (innermost) .. fns[n-1] (caller). */
static uint32_t add_loc(struct pprof_profile *p, const uint32_t *fns,
			uint32_t n, uint64_t addr)
{
	uint32_t l = pprof_add_location(p, n), k;

	p->location[l].address = addr;
	for (k = 0; k < n; k++)
		p->line[p->location[l].line_off + k].function = fns[k];
	return l;
}

static uint32_t add_loc1(struct pprof_profile *p, const char *name)
{
	uint32_t f = add_fn(p, name, "");

	return add_loc(p, &f, 1, 0x1000 + p->nlocation);
}

static void add_sample1(struct pprof_profile *p, const uint32_t *locs,
			uint32_t n, int64_t v)
{
	pprof_add_sample(p, locs, n, &v, 0);
}

static struct pprof_profile *new_profile(void)
{
	struct pprof_profile *p = pprof_new();

	pprof_add_sample_type(p, "samples", "count");
	return p;
}

static void assert_folded(struct stacktree *t, const char *want)
{
	struct buf b = BUF_INIT;

	stacktree_write_folded(t, &b);
	assert_string_equal(b.data ? (char *)b.data : "", want);
	buf_release(&b);
}

/* Names are byte strings, not NUL-terminated. */
static void assert_node_name(struct stacktree *t, uint32_t node,
			     const char *want)
{
	size_t nn, len;
	const struct stacktree_node *n = stacktree_nodes(t, &nn);
	const char *s = stacktree_name_str(t, n[node].name, &len);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(s, want, len);
}

static void assert_frame_name(const struct pprof_profile *p, uint32_t loc,
			      uint32_t k, const char *want)
{
	struct buf b = BUF_INIT;

	pprof_frame_name(p, loc, k, &b);
	assert_string_equal((char *)b.data, want);
	buf_release(&b);
}

/* ---- tests ---- */

static void test_add_sums_along_path(void **state)
{
	struct stacktree *t = stacktree_new();
	uint32_t a = stacktree_name(t, "a", 1), b = stacktree_name(t, "b", 1);
	uint32_t ab[] = {a, b};
	const struct stacktree_node *n;
	size_t nn;

	(void)state;
	assert_int_equal(stacktree_name(t, "total", 5), 0);
	stacktree_add(t, ab, 2, 10);
	stacktree_add(t, ab, 1, 4);
	stacktree_add(t, NULL, 0, 1);
	n = stacktree_nodes(t, &nn);
	assert_int_equal(nn, 3);
	assert_int_equal(n[0].total, 15);
	assert_int_equal(n[0].self, 1);
	assert_int_equal(n[1].name, a);
	assert_int_equal(n[1].total, 14);
	assert_int_equal(n[1].self, 4);
	assert_int_equal(n[2].name, b);
	assert_int_equal(n[2].parent, 1);
	assert_int_equal(n[2].total, 10);
	assert_int_equal(n[2].self, 10);
	/* Root self (empty stacks) is not a folded line. */
	assert_folded(t, "a 4\na;b 10\n");
	stacktree_free(t);
}

static void test_children_sorted_bytewise(void **state)
{
	struct stacktree *t = stacktree_new();
	const char *names[] = {"b", "ab", "a", "B"};
	const uint32_t *c;
	size_t i, k;
	uint32_t id;

	(void)state;
	for (i = 0; i < 4; i++) {
		id = stacktree_name(t, names[i], strlen(names[i]));
		stacktree_add(t, &id, 1, 1);
	}
	c = stacktree_children(t, 0, &k);
	assert_int_equal(k, 4);
	assert_node_name(t, c[0], "B");
	assert_node_name(t, c[1], "a");
	assert_node_name(t, c[2], "ab");
	assert_node_name(t, c[3], "b");
	c = stacktree_children(t, c[0], &k);
	assert_int_equal(k, 0);
	stacktree_free(t);
}

static void test_folded_exact(void **state)
{
	struct stacktree *t = stacktree_new();
	uint32_t main_ = stacktree_name(t, "main", 4);
	uint32_t semi = stacktree_name(t, "std::a;b", 8);
	uint32_t nl = stacktree_name(t, "x\ny\rz", 5);
	uint32_t a = stacktree_name(t, "a", 1);
	uint32_t s1[] = {main_, semi}, s2[] = {main_, nl}, s3[] = {main_, a};

	(void)state;
	stacktree_add(t, s1, 2, 3);
	stacktree_add(t, s2, 2, 2);
	stacktree_add(t, s3, 2, -7);
	stacktree_add(t, s3, 1, 5);
	assert_folded(t, "main 5\nmain;a -7\nmain;std::a:b 3\nmain;x y z 2\n");
	stacktree_free(t);
}

static void test_pprof_inlined_order(void **state)
{
	struct pprof_profile *p = new_profile();
	struct stacktree *t = stacktree_new();
	uint32_t fns[] = {add_fn(p, "inlinee", ""), add_fn(p, "caller", "")};
	uint32_t leaf = add_loc(p, fns, 2, 0x10);
	uint32_t locs[] = {leaf, add_loc1(p, "main")};

	(void)state;
	add_sample1(p, locs, 2, 7);
	stacktree_add_pprof(t, p, 0);
	assert_folded(t, "main;caller;inlinee 7\n");
	stacktree_free(t);
	pprof_free(p);
}

static void test_pprof_recursion_and_merge(void **state)
{
	struct pprof_profile *p = new_profile();
	struct stacktree *t = stacktree_new();
	uint32_t a = add_loc1(p, "a"), b = add_loc1(p, "b");
	uint32_t abab[] = {b, a, b, a}; /* leaf first: a;b;a;b */
	uint32_t ab[] = {b, a};
	uint32_t nnames;

	(void)state;
	add_sample1(p, abab, 4, 3);
	add_sample1(p, ab, 2, 2);
	stacktree_add_pprof(t, p, 0);
	nnames = stacktree_nnames(t);
	assert_int_equal(nnames, 3); /* total, a, b */
	stacktree_add_pprof(t, p, 0);
	assert_int_equal(stacktree_nnames(t), nnames);
	assert_folded(t, "a;b 4\na;b;a;b 6\n");
	stacktree_free(t);
	pprof_free(p);
}

static void test_pprof_skips_zero_and_keeps_negative(void **state)
{
	struct pprof_profile *p = new_profile();
	struct stacktree *t = stacktree_new();
	uint32_t a = add_loc1(p, "a"), z = add_loc1(p, "zero");
	const struct stacktree_node *n;
	size_t nn;

	(void)state;
	add_sample1(p, &z, 1, 0);
	add_sample1(p, &a, 1, -5);
	add_sample1(p, &a, 1, 2);
	stacktree_add_pprof(t, p, 0);
	n = stacktree_nodes(t, &nn);
	assert_int_equal(nn, 2); /* no node for the zero sample */
	assert_int_equal(n[0].total, -3);
	assert_int_equal(n[1].self, -3);
	assert_folded(t, "a -3\n");
	stacktree_free(t);
	pprof_free(p);
}

static void test_pprof_value_index(void **state)
{
	struct pprof_profile *p = pprof_new();
	struct stacktree *t = stacktree_new();
	uint32_t a;
	int64_t v[] = {1, 1000};
	size_t nn;

	(void)state;
	pprof_add_sample_type(p, "samples", "count");
	pprof_add_sample_type(p, "cpu", "nanoseconds");
	a = add_loc1(p, "a");
	pprof_add_sample(p, &a, 1, v, 0);
	stacktree_add_pprof(t, p, 1);
	assert_folded(t, "a 1000\n");
	stacktree_add_pprof(t, p, 2); /* out of range: ignored */
	stacktree_add_pprof(t, p, -1);
	stacktree_nodes(t, &nn);
	assert_int_equal(nn, 2);
	assert_int_equal(stacktree_nodes(t, &nn)[0].total, 1000);
	stacktree_free(t);
	pprof_free(p);
}

static void test_empty(void **state)
{
	struct pprof_profile *p = new_profile();
	struct stacktree *t = stacktree_new();
	const struct stacktree_node *n;
	size_t nn;

	(void)state;
	stacktree_add_pprof(t, p, 0);
	n = stacktree_nodes(t, &nn);
	assert_int_equal(nn, 1);
	assert_int_equal(n[0].total, 0);
	assert_int_equal(stacktree_nnames(t), 1);
	assert_folded(t, "");
	stacktree_free(t);
	stacktree_free(NULL);
	pprof_free(p);
}

static void test_frame_names(void **state)
{
	struct pprof_profile *p = new_profile();
	uint32_t m = pprof_add_mapping(p), m2 = pprof_add_mapping(p);
	uint32_t bare = pprof_add_location(p, 0);
	uint32_t mapped = pprof_add_location(p, 0);
	uint32_t nofile = pprof_add_location(p, 0);
	uint32_t sys = add_fn(p, "", "_ZN3foo3barEv");
	uint32_t anon = add_fn(p, "", "");
	uint32_t named = add_fn(p, "pkg.F", "sys");
	uint32_t fns[] = {sys, anon, named};
	uint32_t lines = add_loc(p, fns, 3, 0xabc);

	(void)state;
	p->mapping[m].filename = pprof_intern_cstr(p, "/usr/lib/libc.so.6");
	p->location[bare].address = 0x1234;
	p->location[mapped].address = 0xdeadbeef;
	p->location[mapped].mapping = m + 1;
	p->location[nofile].address = 0x42;
	p->location[nofile].mapping = m2 + 1;
	assert_frame_name(p, bare, 0, "0x1234");
	assert_frame_name(p, mapped, 0, "libc.so.6 0xdeadbeef");
	assert_frame_name(p, nofile, 0, "0x42");
	assert_frame_name(p, lines, 0, "_ZN3foo3barEv");
	assert_frame_name(p, lines, 1, "0xabc");
	assert_frame_name(p, lines, 2, "pkg.F");
	pprof_free(p);
}

static void test_pprof_unsymbolized_frames(void **state)
{
	struct pprof_profile *p = new_profile();
	struct stacktree *t = stacktree_new();
	uint32_t m = pprof_add_mapping(p);
	uint32_t leaf = pprof_add_location(p, 0), anon = add_fn(p, "", "");
	uint32_t fns[] = {anon};
	uint32_t locs[] = {leaf, add_loc(p, fns, 1, 0x20), add_loc1(p, "main")};

	(void)state;
	p->mapping[m].filename = pprof_intern_cstr(p, "app");
	p->location[leaf].mapping = m + 1;
	p->location[leaf].address = 0xff;
	add_sample1(p, locs, 3, 1);
	stacktree_add_pprof(t, p, 0);
	assert_folded(t, "main;0x20;app 0xff 1\n");
	stacktree_free(t);
	pprof_free(p);
}

static void test_frames_shared_names(void **state)
{
	struct pprof_profile *p = new_profile();
	struct intern *names = intern_new(16);
	uint32_t a = add_fn(p, "a", ""), b = add_fn(p, "b", "");
	uint32_t ab[] = {a, b}, ba[] = {b, a};
	uint32_t l1 = add_loc(p, ab, 2, 1), l2 = add_loc(p, ba, 2, 2);
	uint32_t l3 = pprof_add_location(p, 0);
	struct pprof_frames *f = pprof_frames_new(p, names);
	const uint32_t *ids;
	uint32_t n, ida, idb;

	(void)state;
	ids = pprof_frames_get(f, l1, &n);
	assert_int_equal(n, 2);
	idb = ids[0]; /* root first: the caller b */
	ida = ids[1];
	assert_memory_equal(intern_key(names, ida, NULL), "a", 1);
	assert_memory_equal(intern_key(names, idb, NULL), "b", 1);
	ids = pprof_frames_get(f, l2, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], ida);
	assert_int_equal(ids[1], idb);
	ids = pprof_frames_get(f, l3, &n);
	assert_int_equal(n, 1);
	assert_int_equal(intern_count(names), 3);
	pprof_frames_free(f);
	pprof_frames_free(NULL);
	intern_free(names);
	pprof_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sums_along_path),
		cmocka_unit_test(test_children_sorted_bytewise),
		cmocka_unit_test(test_folded_exact),
		cmocka_unit_test(test_pprof_inlined_order),
		cmocka_unit_test(test_pprof_recursion_and_merge),
		cmocka_unit_test(test_pprof_skips_zero_and_keeps_negative),
		cmocka_unit_test(test_pprof_value_index),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_frame_names),
		cmocka_unit_test(test_pprof_unsymbolized_frames),
		cmocka_unit_test(test_frames_shared_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
