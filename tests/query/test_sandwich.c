/* sandwich: callers and callees of one function, checked as folded text.
 * Input trees come from folded stacks through the real parser
 * (folded_parse, then stacktree_add_pprof). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/pprof/folded.h"
#include "../../src/query/sandwich.h"

static struct stacktree *tree_of(const char *folded)
{
	struct stacktree *t = stacktree_new();
	struct pprof_profile *p = NULL;
	struct err e = {0};

	assert_int_equal(folded_parse((const uint8_t *)folded, strlen(folded), NULL, &p, &e), 0);
	stacktree_add_pprof(t, p, 0);
	pprof_free(p);
	return t;
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

static const struct {
	const char *what, *input, *fn;
	size_t calls;
	const char *callers, *callees;
	int64_t total;
} cases[] = {
	{"two callers, a call with self", "main;a;f;g 5\nmain;a;f 2\nmain;b;f;h 3\nmain;b;x 7\n", "f", 2,
	 "f;a;main 7\nf;b;main 3\n", "f 2\nf;g 5\nf;h 3\n", 10},
	/* f inside f counts once: the outer call carries the inner one */
	{"recursion", "main;f;g;f;h 4\nmain;f 1\n", "f", 1, "f;main 5\n", "f 1\nf;g;f;h 4\n", 5},
	{"a root frame", "f;a 3\nf 1\nb 9\n", "f", 1, "f 4\n", "f 1\nf;a 3\n", 4},
	{"absent", "main;a 3\n", "nope", 0, "", "", 0},
	/* "total" is the root's name, but the root is never a call of it */
	{"the root's name", "main;a 3\n", "total", 0, "", "", 0},
	{"a frame named total", "main;total 3\ntotal;x 2\n", "total", 2,
	 "total 2\ntotal;main 3\n", "total 3\ntotal;x 2\n", 5},
};

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stacktree *t = tree_of(cases[i].input);
		struct stacktree *up = stacktree_new(), *down = stacktree_new();

		print_message("case: %s\n", cases[i].what);
		assert_int_equal(sandwich_build(t, cases[i].fn, strlen(cases[i].fn), up, down),
				 cases[i].calls);
		assert_folded(up, cases[i].callers);
		assert_folded(down, cases[i].callees);
		assert_int_equal(root_total(up), cases[i].total);
		assert_int_equal(root_total(down), cases[i].total);
		stacktree_free(t);
		stacktree_free(up);
		stacktree_free(down);
	}
}

static void test_json(void **state)
{
	struct stacktree *t = tree_of("main;a 3\n");
	struct flamegraph_meta m = {"cpu", "nanoseconds", 0};
	struct buf b = BUF_INIT;

	(void)state;
	sandwich_write_json(t, "a\"b", 3, &m, &b);
	assert_non_null(strstr((char *)b.data, "{\"function\":\"a\\\"b\",\"callers\":{\"version\":1,"));
	assert_non_null(strstr((char *)b.data, "\"numTicks\":0"));
	buf_reset(&b);
	sandwich_write_json(t, "a", 1, &m, &b);
	assert_non_null(strstr((char *)b.data, ",\"callees\":{\"version\":1,\"flamebearer\":{\"names\":"
			       "[\"total\",\"a\"],\"levels\":[[0,3,0,0],[0,3,3,1]],\"numTicks\":3"));
	buf_release(&b);
	stacktree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
