/* sandwich: callers and callees of one function, checked as folded text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/query/sandwich.h"

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

static void assert_folded(struct stacktree *t, const char *want)
{
	struct buf b = BUF_INIT;

	stacktree_write_folded(t, &b);
	assert_string_equal(b.len ? (char *)b.data : "", want);
	buf_release(&b);
}

static int64_t root_total(struct stacktree *t)
{
	size_t n;

	return stacktree_nodes(t, &n)[0].total;
}

static void test_callers_and_callees(void **state)
{
	struct stacktree *t = stacktree_new(), *up = stacktree_new(), *down = stacktree_new();

	(void)state;
	add_folded(t, "main;a;f;g", 5);
	add_folded(t, "main;a;f", 2);
	add_folded(t, "main;b;f;h", 3);
	add_folded(t, "main;b;x", 7);
	assert_int_equal(sandwich_build(t, "f", 1, up, down), 2);
	/* callers: f, then who called it, up to the root-most frame */
	assert_folded(up, "f;a;main 7\nf;b;main 3\n");
	assert_folded(down, "f 2\nf;g 5\nf;h 3\n");
	assert_int_equal(root_total(up), 10);
	assert_int_equal(root_total(down), 10);
	stacktree_free(t);
	stacktree_free(up);
	stacktree_free(down);
}

/* f inside f counts once: the outer call carries the inner one. */
static void test_recursion_counted_once(void **state)
{
	struct stacktree *t = stacktree_new(), *up = stacktree_new(), *down = stacktree_new();

	(void)state;
	add_folded(t, "main;f;g;f;h", 4);
	add_folded(t, "main;f", 1);
	assert_int_equal(sandwich_build(t, "f", 1, up, down), 1);
	assert_folded(up, "f;main 5\n");
	assert_folded(down, "f 1\nf;g;f;h 4\n");
	assert_int_equal(root_total(down), 5);
	stacktree_free(t);
	stacktree_free(up);
	stacktree_free(down);
}

static void test_absent_function(void **state)
{
	struct stacktree *t = stacktree_new(), *up = stacktree_new(), *down = stacktree_new();
	struct flamegraph_meta m = {"cpu", "nanoseconds", 0};
	struct buf b = BUF_INIT;

	(void)state;
	add_folded(t, "main;a", 3);
	assert_int_equal(sandwich_build(t, "nope", 4, up, down), 0);
	assert_int_equal(root_total(up), 0);
	/* "total" is name 0 and never a frame */
	assert_int_equal(sandwich_build(t, "total", 5, up, down), 0);
	sandwich_write_json(t, "a\"b", 3, &m, &b);
	assert_non_null(strstr((char *)b.data, "{\"function\":\"a\\\"b\",\"callers\":{\"version\":1,"));
	assert_non_null(strstr((char *)b.data, "\"numTicks\":0"));
	buf_release(&b);
	stacktree_free(t);
	stacktree_free(up);
	stacktree_free(down);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callers_and_callees),
		cmocka_unit_test(test_recursion_counted_once),
		cmocka_unit_test(test_absent_function),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
