/* Unit tests for src/base: buf, arena, intern, u64map, json, file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/arena.h"
#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/base/intern.h"
#include "../../src/base/json.h"
#include "../../src/base/h128map.h"
#include "../../src/base/u64map.h"
#include "../../src/base/xalloc.h"

/* ---- buf ---- */

static void test_buf_append(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	buf_append(&b, "ab", 2);
	buf_putc(&b, 'c');
	buf_puts(&b, "de");
	assert_int_equal(b.len, 5);
	assert_string_equal((char *)b.data, "abcde");
	/* Many small appends cross several growth steps; the NUL invariant
	 * must hold after each. */
	for (i = 0; i < 100000; i++) {
		buf_putc(&b, 'x');
		assert_int_equal(b.data[b.len], 0);
	}
	assert_int_equal(b.len, 100005);
	assert_true(b.cap > b.len);
	buf_append(&b, NULL, 0);
	assert_int_equal(b.len, 100005);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal((char *)b.data, "");
	buf_release(&b);
	assert_null(b.data);
}

static void test_buf_printf(void **state)
{
	struct buf b = BUF_INIT;
	char *big = xmalloc(10001);
	size_t len;
	uint8_t *d;

	(void)state;
	memset(big, 'q', 10000);
	big[10000] = 0;
	buf_printf(&b, "%d-%s", 42, "x");
	/* Longer than any initial capacity: must grow, not truncate. */
	buf_printf(&b, "[%s]", big);
	assert_int_equal(b.len, 4 + 10002);
	assert_memory_equal(b.data, "42-x[q", 6);
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len], 0);
	d = buf_detach(&b, &len);
	assert_int_equal(len, 10006);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(d);
	free(big);
}

static void test_buf_put_int(void **state)
{
	static const struct {
		int64_t v;
		const char *s;
	} cases[] = {
		{0, "0"}, {-1, "-1"}, {7, "7"}, {10, "10"},
		{INT64_MAX, "9223372036854775807"},
		/* -INT64_MIN overflows: the classic bug in hand-written itoa */
		{INT64_MIN, "-9223372036854775808"},
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_put_i64(&b, cases[i].v);
		assert_string_equal((char *)b.data, cases[i].s);
	}
	buf_reset(&b);
	buf_put_u64(&b, UINT64_MAX);
	assert_string_equal((char *)b.data, "18446744073709551615");
	buf_reset(&b);
	buf_put_u64(&b, 0);
	assert_string_equal((char *)b.data, "0");
	buf_release(&b);
}

/* ---- arena ---- */

static void test_arena_many(void **state)
{
	enum { N = 20000 };
	struct arena *a = arena_new();
	uint8_t **ptrs = xcalloc(N, sizeof(*ptrs));
	size_t i, j, total = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		size_t n = 1 + i % 97;
		ptrs[i] = arena_alloc(a, n);
		assert_non_null(ptrs[i]);
		assert_int_equal((uintptr_t)ptrs[i] % 8, 0);
		memset(ptrs[i], (int)(i & 0xff), n);
		total += n;
	}
	/* Every block still holds its own pattern: no overlap, no move. */
	for (i = 0; i < N; i++)
		for (j = 0; j < 1 + i % 97; j++)
			assert_int_equal(ptrs[i][j], i & 0xff);
	assert_true(arena_used(a) >= total);
	free(ptrs);
	arena_free(a);
	arena_free(NULL);
}

static void test_arena_big(void **state)
{
	struct arena *a = arena_new();
	uint8_t *small1, *big, *small2;
	size_t i;

	(void)state;
	small1 = arena_alloc(a, 3);
	memset(small1, 1, 3);
	/* Larger than any sensible chunk size. */
	big = arena_zalloc(a, 10u << 20);
	assert_int_equal((uintptr_t)big % 8, 0);
	for (i = 0; i < (10u << 20); i += 4096)
		assert_int_equal(big[i], 0);
	memset(big, 2, 10u << 20);
	small2 = arena_alloc(a, 5);
	memset(small2, 3, 5);
	assert_int_equal(small1[0], 1);
	assert_int_equal(small1[2], 1);
	assert_int_equal(big[0], 2);
	assert_int_equal(big[(10u << 20) - 1], 2);
	assert_true(arena_used(a) >= (10u << 20) + 8);
	arena_free(a);
}

static void test_arena_zalloc_strndup(void **state)
{
	struct arena *a = arena_new();
	uint8_t *z;
	char *s;
	size_t i, k;

	(void)state;
	/* Dirty the arena first so zalloc cannot pass by luck. */
	for (k = 0; k < 100; k++)
		memset(arena_alloc(a, 100), 0xab, 100);
	z = arena_zalloc(a, 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(z[i], 0);
	s = arena_strndup(a, "hello world", 5);
	assert_string_equal(s, "hello");
	s = arena_strndup(a, "", 0);
	assert_string_equal(s, "");
	arena_free(a);
}

/* ---- intern ---- */

static void test_intern_dedupe(void **state)
{
	struct intern *in = intern_new(0);
	int is_new = -1;
	size_t len;
	const void *k;

	(void)state;
	assert_int_equal(intern_put(in, "abc", 3, &is_new), 0);
	assert_int_equal(is_new, 1);
	assert_int_equal(intern_put(in, "abd", 3, &is_new), 1);
	assert_int_equal(is_new, 1);
	assert_int_equal(intern_put(in, "abc", 3, &is_new), 0);
	assert_int_equal(is_new, 0);
	/* A prefix is a different key. */
	assert_int_equal(intern_put(in, "ab", 2, NULL), 2);
	/* Embedded NUL bytes are part of the key. */
	assert_int_equal(intern_put(in, "a\0b", 3, NULL), 3);
	assert_int_equal(intern_put(in, "a\0c", 3, NULL), 4);
	assert_int_equal(intern_count(in), 5);
	assert_int_equal(intern_find(in, "abd", 3), 1);
	assert_int_equal(intern_find(in, "zzz", 3), INTERN_NONE);
	k = intern_key(in, 3, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(k, "a\0b", 3);
	assert_true(intern_bytes(in) >= 3 + 3 + 2 + 3 + 3);
	intern_free(in);
	intern_free(NULL);
}

static void test_intern_empty_key(void **state)
{
	struct intern *in = intern_new(4);
	int is_new = 0;
	size_t len = 99;

	(void)state;
	assert_int_equal(intern_find(in, "", 0), INTERN_NONE);
	assert_int_equal(intern_put(in, "", 0, &is_new), 0);
	assert_int_equal(is_new, 1);
	assert_int_equal(intern_put(in, "x", 1, NULL), 1);
	assert_int_equal(intern_put(in, "", 0, &is_new), 0);
	assert_int_equal(is_new, 0);
	assert_int_equal(intern_find(in, "", 0), 0);
	intern_key(in, 0, &len);
	assert_int_equal(len, 0);
	intern_free(in);
}

static void test_intern_many(void **state)
{
	enum { N = 200000 };
	struct intern *in = intern_new(1); /* forces many rehashes */
	const void *first;
	char key[32];
	uint32_t i;
	size_t len;

	(void)state;
	intern_put(in, "key0", 4, NULL);
	first = intern_key(in, 0, NULL);
	for (i = 0; i < N; i++) {
		int n = snprintf(key, sizeof(key), "key%" PRIu32, i);
		assert_int_equal(intern_put(in, key, (size_t)n, NULL), i);
	}
	assert_int_equal(intern_count(in), N);
	/* Keys stay where they were: intern_key() pointers outlive growth. */
	assert_ptr_equal(intern_key(in, 0, NULL), first);
	for (i = 0; i < N; i += 997) {
		int n = snprintf(key, sizeof(key), "key%" PRIu32, i);
		assert_int_equal(intern_find(in, key, (size_t)n), i);
		assert_memory_equal(intern_key(in, i, &len), key, (size_t)n);
		assert_int_equal(len, (size_t)n);
	}
	intern_free(in);
}

/* ---- h128map ---- */

/* Keys that differ only in the high word share the slot chosen by the low
 * word: they must still be told apart, across growth. */
static void test_h128map(void **state)
{
	enum { N = 50000 };
	struct h128map m;
	uint64_t i;

	(void)state;
	h128map_init(&m, 0);
	assert_int_equal(h128map_get(&m, (struct h128){0, 0}), H128MAP_NONE);
	assert_int_equal(h128map_put(&m, (struct h128){0, 0}, 1), H128MAP_NONE);
	assert_int_equal(h128map_get(&m, (struct h128){0, 0}), 1);
	assert_int_equal(h128map_put(&m, (struct h128){0, 0}, 2), 1); /* first wins */
	for (i = 1; i < N; i++) {
		assert_int_equal(h128map_put(&m, (struct h128){42, i}, (uint32_t)i), H128MAP_NONE);
		assert_int_equal(h128map_put(&m, (struct h128){i * 0x9e3779b97f4a7c15ULL, 0},
					     (uint32_t)(N + i)), H128MAP_NONE);
	}
	assert_int_equal(m.len, 2 * N - 1);
	assert_true(h128map_bytes(&m) >= 2 * m.len * sizeof(struct h128map_slot));
	for (i = 1; i < N; i++) {
		assert_int_equal(h128map_get(&m, (struct h128){42, i}), i);
		assert_int_equal(h128map_get(&m, (struct h128){i * 0x9e3779b97f4a7c15ULL, 0}), N + i);
	}
	assert_int_equal(h128map_get(&m, (struct h128){42, N}), H128MAP_NONE);
	assert_int_equal(h128map_get(&m, (struct h128){0, 1}), H128MAP_NONE);
	h128map_release(&m);
	h128map_release(&m);
	h128map_release(NULL);
}

/* ---- u64map ---- */

static void test_u64map_basic(void **state)
{
	struct u64map m;

	(void)state;
	u64map_init(&m, 0);
	assert_int_equal(u64map_get(&m, 0), U64MAP_NONE);
	/* Key 0 is a legal key, not an "empty slot" marker. */
	assert_int_equal(u64map_put(&m, 0, 5), U64MAP_NONE);
	assert_int_equal(u64map_get(&m, 0), 5);
	assert_int_equal(u64map_put(&m, UINT64_MAX, 6), U64MAP_NONE);
	assert_int_equal(u64map_put(&m, 0xdeadbeef00001234ULL, 7), U64MAP_NONE);
	assert_int_equal(u64map_get(&m, UINT64_MAX), 6);
	assert_int_equal(u64map_get(&m, 0xdeadbeef00001234ULL), 7);
	assert_int_equal(u64map_get(&m, 1), U64MAP_NONE);
	/* Re-putting returns the old value and keeps it (insert-if-absent:
	 * the decoder's duplicate-id check depends on the first id winning). */
	assert_int_equal(u64map_put(&m, 0, 8), 5);
	assert_int_equal(u64map_get(&m, 0), 5);
	assert_int_equal(m.len, 3);
	u64map_release(&m);
	u64map_release(&m); /* idempotent */
}

static void test_u64map_growth(void **state)
{
	enum { N = 100000 };
	struct u64map m;
	uint64_t i;

	(void)state;
	u64map_init(&m, 1);
	/* Page-aligned addresses: the key pattern that defeats weak hashes. */
	for (i = 0; i < N; i++)
		assert_int_equal(u64map_put(&m, i << 12, (uint32_t)i), U64MAP_NONE);
	for (i = 0; i < N; i++)
		assert_int_equal(u64map_put(&m, (i << 40) | 7, (uint32_t)(N + i)),
				 U64MAP_NONE);
	assert_int_equal(m.len, 2 * N);
	for (i = 0; i < N; i++) {
		assert_int_equal(u64map_get(&m, i << 12), i);
		assert_int_equal(u64map_get(&m, (i << 40) | 7), N + i);
	}
	assert_int_equal(u64map_get(&m, 4095), U64MAP_NONE);
	u64map_release(&m);
}

/* ---- json ---- */

static char *json_of(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	json_put_str(&b, s, n);
	return (char *)buf_detach(&b, NULL);
}

/* True when [s, s+n) is well-formed UTF-8 (no overlongs or surrogates). */
static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len, k;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			len = 2, cp = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			len = 3, cp = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			len = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

static void test_json_escapes(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{"", 0, "\"\""},
		{"plain", 5, "\"plain\""},
		{"a\"b", 3, "\"a\\\"b\""},
		{"a\\b", 3, "\"a\\\\b\""},
		{"\x01", 1, "\"\\u0001\""},
		{"\x1f", 1, "\"\\u001f\""},
		{"a\0b", 3, "\"a\\u0000b\""},
		{"/", 1, "\"/\""},
		/* valid multi-byte UTF-8 passes through unchanged */
		{"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
		/* DEL is legal in JSON strings */
		{"\x7f", 1, "\"\x7f\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json_of(cases[i].in, cases[i].n);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

/* \n, \t, \r may be written short or as \u00XX: both are RFC 8259. */
static void test_json_newline(void **state)
{
	char *got = json_of("a\nb\tc\r", 6);

	(void)state;
	assert_true(!strcmp(got, "\"a\\nb\\tc\\r\"") ||
		    !strcmp(got, "\"a\\u000ab\\u0009c\\u000d\""));
	free(got);
}

static void test_json_invalid_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t n;
	} cases[] = {
		{"\xff", 1},
		{"a\x80z", 3},             /* lone continuation byte */
		{"\xc0\xaf", 2},           /* overlong '/' */
		{"\xe0\x80\xaf", 3},       /* overlong, 3 bytes */
		{"\xed\xa0\x80", 3},       /* UTF-16 surrogate */
		{"\xf4\x90\x80\x80", 4},   /* above U+10FFFF */
		{"x\xe2\x82", 3},          /* truncated at the end */
		{"\xe2\x28\xa1", 3},       /* bad continuation */
		{"\xf8\x88\x80\x80\x80", 5}, /* 5-byte form */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json_of(cases[i].in, cases[i].n);
		size_t len = strlen(got);
		assert_true(utf8_valid((uint8_t *)got, len));
		assert_non_null(strstr(got, "\xef\xbf\xbd"));
		assert_int_equal(got[0], '"');
		assert_int_equal(got[len - 1], '"');
		free(got);
	}
}

static void test_json_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_puts(&b, "{\"k\":");
	json_put_str(&b, "v", 1);
	buf_putc(&b, '}');
	assert_string_equal((char *)b.data, "{\"k\":\"v\"}");
	buf_release(&b);
}

/* ---- file ---- */

struct tmpdir {
	char path[64];
};

static int setup_tmpdir(void **state)
{
	struct tmpdir *t = xcalloc(1, sizeof(*t));

	strcpy(t->path, "/tmp/stackyard-test-XXXXXX");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown_tmpdir(void **state)
{
	struct tmpdir *t = *state;
	DIR *d = opendir(t->path);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->path, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(t->path);
	free(t);
	return 0;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_file_roundtrip(void **state)
{
	struct tmpdir *t = *state;
	enum { N = 200000 }; /* bigger than one read() chunk */
	uint8_t *data = xmalloc(N), *got = NULL;
	char path[128];
	struct err e = {0};
	size_t len = 0, i;

	for (i = 0; i < N; i++)
		data[i] = (uint8_t)(i * 31);
	snprintf(path, sizeof(path), "%s/f", t->path);
	assert_int_equal(file_write_atomic(path, data, N, &e), 0);
	assert_int_equal(file_read(path, N, &got, &len, &e), 0);
	assert_int_equal(len, N);
	assert_memory_equal(got, data, N);
	free(got);
	/* Overwrite with something shorter: no stale tail, no temp files. */
	assert_int_equal(file_write_atomic(path, "xy", 2, &e), 0);
	assert_int_equal(file_read(path, 100, &got, &len, &e), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(got, "xy", 2);
	free(got);
	assert_int_equal(count_entries(t->path), 1);
	free(data);
}

static void test_file_limit(void **state)
{
	struct tmpdir *t = *state;
	enum { N = 100 };
	uint8_t data[N] = {0}, *got = NULL;
	char path[128];
	struct err e = {0};
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/lim", t->path);
	assert_int_equal(file_write_atomic(path, data, N, &e), 0);
	assert_int_equal(file_read(path, N - 1, &got, &len, &e), -EFBIG);
	assert_int_equal(e.code, -EFBIG);
	assert_non_null(strstr(e.msg, path));
	/* Exactly at the limit is allowed. */
	assert_int_equal(file_read(path, N, &got, &len, &e), 0);
	assert_int_equal(len, N);
	free(got);
}

static void test_file_errors(void **state)
{
	struct tmpdir *t = *state;
	uint8_t *got = NULL;
	char path[128];
	struct err e = {0};
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/missing", t->path);
	assert_int_equal(file_read(path, 100, &got, &len, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "missing"));
	snprintf(path, sizeof(path), "%s/nodir/f", t->path);
	err_clear(&e);
	assert_true(file_write_atomic(path, "x", 1, &e) < 0);
	assert_true(e.msg[0] != 0);
	/* The failed write left nothing behind. */
	assert_int_equal(count_entries(t->path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append),
		cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_buf_put_int),
		cmocka_unit_test(test_arena_many),
		cmocka_unit_test(test_arena_big),
		cmocka_unit_test(test_arena_zalloc_strndup),
		cmocka_unit_test(test_intern_dedupe),
		cmocka_unit_test(test_intern_empty_key),
		cmocka_unit_test(test_intern_many),
		cmocka_unit_test(test_h128map),
		cmocka_unit_test(test_u64map_basic),
		cmocka_unit_test(test_u64map_growth),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_newline),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_appends),
		cmocka_unit_test_setup_teardown(test_file_roundtrip, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_limit, setup_tmpdir,
						teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_errors, setup_tmpdir,
						teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
