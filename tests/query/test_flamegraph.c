/* flamegraph: flamebearer JSON layout, checked byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/query/flamegraph.h"

static const struct flamegraph_meta cpu_meta = {"cpu", "samples", 0};

/* Add "a;b;c" (names separated by ';') with value v. */
static void add_folded(struct stacktree *t, const char *stack, int64_t v)
{
	uint32_t ids[16];
	size_t n = 0;
	const char *s = stack, *e;

	while (*s) {
		e = strchr(s, ';');
		if (!e)
			e = s + strlen(s);
		assert_true(n < 16);
		ids[n++] = stacktree_name(t, s, (size_t)(e - s));
		s = *e ? e + 1 : e;
	}
	stacktree_add(t, ids, n, v);
}

static void assert_json(struct stacktree *t, const struct flamegraph_meta *m,
			const char *want)
{
	struct buf b = BUF_INIT;

	flamegraph_write_json(t, m, &b);
	assert_string_equal((char *)b.data, want);
	buf_release(&b);
}

static void test_worked_example(void **state)
{
	struct stacktree *t = stacktree_new();

	(void)state;
	/* Insertion order must not matter: children are ordered by name. */
	add_folded(t, "d", 3);
	add_folded(t, "a;c", 5);
	add_folded(t, "a;b", 10);
	assert_json(t, &cpu_meta,
		    "{\"version\":1,\"flamebearer\":{"
		    "\"names\":[\"total\",\"a\",\"d\",\"b\",\"c\"],"
		    "\"levels\":[[0,18,0,0],[0,15,0,1,0,3,3,2],"
		    "[0,10,10,3,0,5,5,4]],"
		    "\"numTicks\":18,\"maxSelf\":10},"
		    "\"metadata\":{\"format\":\"single\",\"name\":\"cpu\","
		    "\"units\":\"samples\"}}");
	stacktree_free(t);
}

/* Parent self is laid out before children, which leaves gaps that the
 * x deltas must carry: b starts at 2 (after a's self), e at 7 (after d's
 * start 6 and d's self 1), so e's delta is 7 - (3 + 3) = 1. */
static void test_self_gaps_and_shared_names(void **state)
{
	struct stacktree *t = stacktree_new();

	(void)state;
	add_folded(t, "a", 2);
	add_folded(t, "a;c", 3);
	add_folded(t, "a;b", 1);
	add_folded(t, "d", 1);
	add_folded(t, "d;e;a", 4);
	assert_json(t, &cpu_meta,
		    "{\"version\":1,\"flamebearer\":{"
		    "\"names\":[\"total\",\"a\",\"d\",\"b\",\"c\",\"e\"],"
		    "\"levels\":[[0,11,0,0],[0,6,2,1,0,5,1,2],"
		    "[2,1,1,3,0,3,3,4,1,4,0,5],[7,4,4,1]],"
		    "\"numTicks\":11,\"maxSelf\":4},"
		    "\"metadata\":{\"format\":\"single\",\"name\":\"cpu\","
		    "\"units\":\"samples\"}}");
	stacktree_free(t);
}

static void test_empty_tree(void **state)
{
	struct stacktree *t = stacktree_new();

	(void)state;
	assert_json(t, NULL,
		    "{\"version\":1,\"flamebearer\":{\"names\":[\"total\"],"
		    "\"levels\":[[0,0,0,0]],\"numTicks\":0,\"maxSelf\":0},"
		    "\"metadata\":{\"format\":\"single\",\"name\":\"\","
		    "\"units\":\"\"}}");
	stacktree_free(t);
}

/* A node whose values cancel out is not drawn, and its name is not listed;
 * names are JSON-escaped. */
static void test_zero_total_skipped_and_escaping(void **state)
{
	struct stacktree *t = stacktree_new();
	const struct flamegraph_meta m = {"a\"b", "u\\", 0};

	(void)state;
	add_folded(t, "gone", 5);
	add_folded(t, "gone", -5);
	add_folded(t, "q\"x;y", 2);
	assert_json(t, &m,
		    "{\"version\":1,\"flamebearer\":{"
		    "\"names\":[\"total\",\"q\\\"x\",\"y\"],"
		    "\"levels\":[[0,2,0,0],[0,2,0,1],[0,2,2,2]],"
		    "\"numTicks\":2,\"maxSelf\":2},"
		    "\"metadata\":{\"format\":\"single\",\"name\":\"a\\\"b\","
		    "\"units\":\"u\\\\\"}}");
	stacktree_free(t);
}

static void add_stack(struct stacktree *t, const char *folded, int64_t v)
{
	uint32_t names[16];
	size_t n = 0;
	const char *p = folded;

	while (*p) {
		const char *e = strchr(p, ';');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		names[n++] = stacktree_name(t, p, len);
		p += len + (e ? 1 : 0);
	}
	stacktree_add(t, names, n, v);
}

/* Base "a;b 10", target "a;b 4" and "a;c 6": the union holds a, b, c; b
 * sits at x 0 on both sides, c after b's width on each side. */
static void test_diff_layout(void **state)
{
	struct stacktree *l = stacktree_new(), *r = stacktree_new();
	struct flamegraph_meta m = {"cpu", "nanoseconds", 0};
	struct buf b = BUF_INIT;

	(void)state;
	add_stack(l, "a;b", 10);
	add_stack(r, "a;b", 4);
	add_stack(r, "a;c", 6);
	flamegraph_write_diff_json(l, r, &m, &b);
	assert_string_equal((char *)b.data,
		"{\"version\":1,\"flamebearer\":{\"names\":[\"total\",\"a\",\"b\",\"c\"],"
		"\"levels\":[[0,10,0,0,10,0,0],[0,10,0,0,10,0,1],[0,10,10,0,4,4,2,0,0,0,0,6,6,3]],"
		"\"numTicks\":20,\"maxSelf\":10},\"metadata\":{\"format\":\"double\",\"name\":\"cpu\","
		"\"units\":\"nanoseconds\"},\"leftTicks\":10,\"rightTicks\":10}");
	buf_release(&b);
	stacktree_free(l);
	stacktree_free(r);
}

/* max_nodes keeps the largest nodes and leaves the others as gaps: with
 * "a;b 10", "a;c 1", "d 5" and room for 4 nodes (root, a, b, d), c goes
 * and d still starts after a's full width. */
static void test_max_nodes(void **state)
{
	struct stacktree *t = stacktree_new();
	struct flamegraph_meta m = {"cpu", "nanoseconds", 4};
	struct buf b = BUF_INIT;

	(void)state;
	add_stack(t, "a;b", 10);
	add_stack(t, "a;c", 1);
	add_stack(t, "d", 5);
	flamegraph_write_json(t, &m, &b);
	assert_non_null(strstr((char *)b.data,
		"\"levels\":[[0,16,0,0],[0,11,0,1,0,5,5,2],[0,10,10,3]]"));
	assert_null(strstr((char *)b.data, "\"c\""));
	buf_release(&b);
	stacktree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_self_gaps_and_shared_names),
		cmocka_unit_test(test_empty_tree),
		cmocka_unit_test(test_zero_total_skipped_and_escaping),
		cmocka_unit_test(test_diff_layout),
		cmocka_unit_test(test_max_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
