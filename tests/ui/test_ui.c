/* ui: the embedded asset table and content negotiation. The pages
 * themselves are tested in a real browser (tests/ui/ui.test.mjs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libdeflate.h>

#include "../../src/ui/ui.h"

static void test_every_asset_is_whole(void **state)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t i, k, n;

	(void)state;
	assert_true(ui_nassets >= 8);
	for (i = 0; i < ui_nassets; i++) {
		const struct ui_asset *a = &ui_assets[i];
		assert_true(a->path[0] == '/');
		assert_non_null(a->content_type);
		assert_true(a->len > 0);
		/* "\"" + 16 hex digits + "\"" */
		assert_int_equal(strlen(a->etag), 18);
		for (k = 1; k < 17; k++)
			assert_non_null(strchr("0123456789abcdef", a->etag[k]));
		assert_ptr_equal(ui_find(a->path), a);
		if (a->gz) {
			uint8_t *out = malloc(a->len);
			assert_true(a->gz_len < a->len);
			assert_int_equal(libdeflate_gzip_decompress(d, a->gz, a->gz_len, out, a->len, &n),
					 LIBDEFLATE_SUCCESS);
			assert_int_equal(n, a->len);
			assert_memory_equal(out, a->data, a->len);
			free(out);
		}
		for (k = 0; k < i; k++)
			assert_string_not_equal(ui_assets[k].etag, a->etag);
	}
	libdeflate_free_decompressor(d);
}

static void test_pages_and_types(void **state)
{
	(void)state;
	assert_string_equal(ui_find("/")->content_type, "text/html; charset=utf-8");
	assert_non_null(strstr((const char *)ui_find("/")->data, "/ui/app.js"));
	assert_string_equal(ui_find("/ui/app.js")->content_type, "text/javascript; charset=utf-8");
	assert_string_equal(ui_find("/ui/style.css")->content_type, "text/css; charset=utf-8");
	assert_non_null(ui_find("/ui/vendor/uPlot.iife.min.js"));
	assert_null(ui_find("/ui/"));
	assert_null(ui_find("/ui/../ui.c"));
	assert_null(ui_find("/index.html"));
}

static void test_accept_encoding(void **state)
{
	static const struct {
		const char *ae;
		int want;
	} cases[] = {
		{NULL, 0}, {"", 0}, {"gzip", 1}, {"gzip, deflate, br", 1}, {"br,gzip", 1},
		{"deflate, gzip;q=0.5", 1}, {"gzip;q=0", 0}, {"gzip;q=0.0", 0},
		{"gzip ; q=0", 0}, {"gzip;q=0.001", 1}, {"*", 1}, {"identity", 0},
		{"gzipx", 0}, {"xgzip", 0}, {"br;q=1, gzip;q=0, *;q=0", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (ui_accepts_gzip(cases[i].ae) != cases[i].want)
			fail_msg("Accept-Encoding '%s': want %d", cases[i].ae ? cases[i].ae : "(null)",
				 cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_asset_is_whole),
		cmocka_unit_test(test_pages_and_types),
		cmocka_unit_test(test_accept_encoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
