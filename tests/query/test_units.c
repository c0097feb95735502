/* units: pprof's scaling, checked against what go tool pprof prints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/query/units.h"

static void expect_label(int64_t v, const char *unit, const char *to,
			 const char *want)
{
	struct buf b = BUF_INIT;

	units_label_to(&b, v, unit, to);
	assert_string_equal((char *)b.data, want);
	buf_release(&b);
}

static void test_auto(void **state)
{
	(void)state;
	expect_label(140000000, "nanoseconds", NULL, "140ms");
	expect_label(1338878, "bytes", NULL, "1.28MB");
	expect_label(3250000000LL, "nanoseconds", NULL, "3.25s");
	expect_label(7200LL * 1000000000LL, "nanoseconds", NULL, "2hrs");
	expect_label(512, "bytes", NULL, "512B");
	expect_label(0, "bytes", NULL, "0");
	expect_label(-2048, "bytes", NULL, "-2kB");
	expect_label(42, "count", NULL, "42");
	expect_label(42, "", NULL, "42");
	expect_label(42, "widgets", NULL, "42widgets");
	expect_label(1500, "microseconds", NULL, "1.50ms");
}

static void test_fixed(void **state)
{
	(void)state;
	expect_label(5271852, "bytes", "kB", "5148.29kB");
	expect_label(10000000, "nanoseconds", "ms", "10ms");
	expect_label(2501630000LL, "nanoseconds", "ms", "2501.63ms");
}

/* selectOutputUnit: smallest value's unit, or a 100x larger one when the
 * total is in a bigger unit and far away. */
static void test_report_unit(void **state)
{
	(void)state;
	assert_string_equal(units_report_unit(10000000, 380000000, "nanoseconds"), "ms");
	assert_string_equal(units_report_unit(90000, 5796180, "bytes"), "kB");
	assert_string_equal(units_report_unit(0, 17, "nanoseconds"), "ns");
	assert_null(units_report_unit(3, 17, "count"));
}

static void expect_pct(int64_t v, int64_t total, const char *want)
{
	struct buf b = BUF_INIT;

	units_percent(&b, v, total);
	assert_string_equal((char *)b.data, want);
	buf_release(&b);
}

static void test_percent(void **state)
{
	(void)state;
	expect_pct(140, 380, "36.84%");
	expect_pct(380, 380, "  100%");
	expect_pct(2, 380, " 0.53%");
	expect_pct(0, 0, "    0%");
	expect_pct(-140, 380, "36.84%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_report_unit),
		cmocka_unit_test(test_percent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
