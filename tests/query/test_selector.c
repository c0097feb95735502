/* selector: selectors, matchers, query times and durations, table-driven.
 * Every input is copied to a heap buffer of exactly its length, so a read
 * past len shows up under ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/query/selector.h"

#define NS 1000000000LL
#define LIT(s) s, sizeof(s) - 1

/* A copy of (s, n) with no terminator after it. */
static char *exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static int parse(const char *s, size_t n, struct selector **out, struct err *e)
{
	char *p = exact(s, n);
	int rc = selector_parse(p, n, out, e);

	free(p);
	return rc;
}

/* Render a parsed selector canonically: TYPE{name OP "value",...}. */
static void render(const struct selector *sel, char *buf, size_t cap)
{
	static const char *ops[] = {"=", "!=", "=~", "!~"};
	size_t n = 0, i;
	const char *v;

	n += snprintf(buf + n, cap - n, "%s{", sel->profile_type ? sel->profile_type : "");
	for (i = 0; i < sel->nm; i++) {
		n += snprintf(buf + n, cap - n, "%s%s%s\"", i ? "," : "",
			      sel->m[i].name, ops[sel->m[i].op]);
		for (v = sel->m[i].value; *v; v++) {
			if (*v == '"' || *v == '\\')
				n += snprintf(buf + n, cap - n, "\\%c", *v);
			else if (*v == '\n')
				n += snprintf(buf + n, cap - n, "\\n");
			else if (*v == '\t')
				n += snprintf(buf + n, cap - n, "\\t");
			else if (*v == '\r')
				n += snprintf(buf + n, cap - n, "\\r");
			else
				n += snprintf(buf + n, cap - n, "%c", *v);
		}
		n += snprintf(buf + n, cap - n, "\"");
	}
	snprintf(buf + n, cap - n, "}");
}

static const struct {
	const char *in, *want;
} good[] = {
	{"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\",env=~\"prod|stage\"}",
	 "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\",env=~\"prod|stage\"}"},
	{"memory:inuse_space:bytes:space:bytes", "memory:inuse_space:bytes:space:bytes{}"},
	{"{service_name!=\"x\"}", "{service_name!=\"x\"}"},
	{"{a=\"1\",b!=\"2\",c=~\"3\",d!~\"4\"}", "{a=\"1\",b!=\"2\",c=~\"3\",d!~\"4\"}"},
	{"{}", "{}"},
	{" { } ", "{}"},
	{"  a:b:c:d:e  {  x = \"1\" ,\n\t y !~ \"2\" , }  ", "a:b:c:d:e{x=\"1\",y!~\"2\"}"},
	{"{a=\"b\",}", "{a=\"b\"}"},
	{"a:b:c:d:e:delta{}", "a:b:c:d:e{}"},
	{"a:b:c:d:e:delta", "a:b:c:d:e{}"},
	{"go.mem-x:a_b:C9:d.d:e-e{}", "go.mem-x:a_b:C9:d.d:e-e{}"},
	{"{__profile_type__=\"a:b:c:d:e\"}", "a:b:c:d:e{}"},
	{"{__profile_type__=\"a:b:c:d:e:delta\",x=\"y\"}", "a:b:c:d:e{x=\"y\"}"},
	{"a:b:c:d:e{__profile_type__=\"a:b:c:d:e:delta\"}", "a:b:c:d:e{}"},
	{"{__profile_type__!=\"a:b:c:d:e\"}", "{__profile_type__!=\"a:b:c:d:e\"}"},
	{"{__profile_type__=~\"a:.*\"}", "{__profile_type__=~\"a:.*\"}"},
	{"{a=\"q\\\"b\\\\s\\nn\\tt\\rr\"}", "{a=\"q\\\"b\\\\s\\nn\\tt\\rr\"}"},
	{"{a='it\\'s \"x\"'}", "{a=\"it's \\\"x\\\"\"}"},
	{"{a=~`\\d+\\.x\"`}", "{a=~\"\\\\d+\\\\.x\\\"\"}"},
	{"{a=`multi\nline`}", "{a=\"multi\\nline\"}"},
	{"{_a.b_1=\"v\",A9=\"\"}", "{_a.b_1=\"v\",A9=\"\"}"},
	{"{a=~\"[)]x\"}", "{a=~\"[)]x\"}"},
	{"{a=~\"[[:alpha:])]\"}", "{a=~\"[[:alpha:])]\"}"},
	{"{a=~\"\\\\)\"}", "{a=~\"\\\\)\"}"},
};

static void test_good(void **state)
{
	char buf[1024], msg[1200];
	struct selector *sel;
	struct err e = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		sel = NULL;
		snprintf(msg, sizeof(msg), "case %zu: %s", i, good[i].in);
		if (parse(good[i].in, strlen(good[i].in), &sel, &e)) {
			print_error("%s: %s\n", msg, e.msg);
			fail();
		}
		render(sel, buf, sizeof(buf));
		if (strcmp(buf, good[i].want)) {
			print_error("%s: got %s, want %s\n", msg, buf, good[i].want);
			fail();
		}
		selector_free(sel);
	}
	selector_free(NULL);
}

static const struct {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
} bad[] = {
	{"", 0, "selector: position 0: empty selector"},
	{"  \n", 0, "position 3: empty selector"},
	{"{a}", 0, "selector: position 2: expected '=', '!=', '=~' or '!~'"},
	{"{service_name ~ \"x\"}", 0, "position 14: expected '=', '!=', '=~' or '!~'"},
	{"{a==\"b\"}", 0, "position 3: expected a quoted value, got '='"},
	{"{a=b}", 0, "position 3: expected a quoted value, got 'b'"},
	{"{1abc=\"x\"}", 0, "position 1: invalid label name \"1abc\""},
	{"{a-b=\"x\"}", 0, "position 2: expected '='"},
	{"{a=\"b}", 0, "position 3: unterminated string"},
	{"{a='b}", 0, "position 3: unterminated string"},
	{"{a=`b}", 0, "position 3: unterminated string"},
	{"{a=\"b\\", 0, "position 3: unterminated string"},
	{"{a=~\"(\"}", 0, "position 1: matcher a=~\"(\": invalid regular expression"},
	{"{x=\"1\",a!~\"[\"}", 0, "position 7: matcher a!~\"[\": invalid regular expression"},
	{"{a=~\"a)|(b)\"}", 0, "matcher a=~\"a)|(b)\": invalid regular expression: unmatched ')'"},
	{"{a=~\"x\",b=~\"y)\"}", 0, "position 8: matcher b=~\"y)\""},
	{"{a=~\"(a)\\\\1\"}", 0, "matcher a=~\"(a)\\1\": invalid regular expression: back-references"},
	{"{a=~\"a++\"}", 0, "matcher a=~\"a++\": invalid regular expression: nested repetition"},
	{"{a=~\"a**\"}", 0, "nested repetition"},
	{"{a=~\"a*??\"}", 0, "nested repetition"},
	{"{a=~\"a{2}{3}\"}", 0, "nested repetition"},
	{"{a=~\"a{1001}\"}", 0, "repeat count above 1000"},
	{"{a=~\"a{1,99999999999999999999999}\"}", 0, "repeat count above 1000"},
	{"{a=~\"((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+\"}", 0,
	 "position 1: matcher a=~\"((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+\": "
	 "invalid regular expression: too complex"},
	{"{a=~\"a{x\"}", 0, "invalid regular expression: Unmatched \\{"},
	{"{a=~\"((a{100}){100})\"}", 0, "too complex"},
	{"{a=~\"[0-9]{1,1000}[0-9]{1,1000}[0-9]{1,1000}[0-9]{1,1000}[0-9]{1,1000}\"}", 0, "too complex"},
	{"{a=~\"(((((((((((((((((((((((((((((((("
	 "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\"}", 0,
	 "nested too deeply"},
	{"a:b:c:d:e{__profile_type__=\"x:b:c:d:e\"}", 0,
	 "position 27: conflicting profile types \"a:b:c:d:e\" and \"x:b:c:d:e\""},
	{"{__profile_type__=\"a:b:c:d:e\",__profile_type__=\"a:b:c:d:f\"}", 0,
	 "conflicting profile types"},
	{"a:b:c:d{}", 0, "position 0: invalid profile type \"a:b:c:d\": expected 5"},
	{"a:b:c:d:e:f{}", 0, "invalid profile type \"a:b:c:d:e:f\": a 6th part may only be \"delta\""},
	{"a::c:d:e{}", 0, "invalid profile type \"a::c:d:e\": empty part"},
	{"a:b:c:d:", 0, "empty part"},
	{"a:b:c:d:e:delta:x", 0, "expected 5 colon-separated parts"},
	{"{__profile_type__=\"a b:c:d:e:f\"}", 0, "position 18: invalid profile type \"a b:c:d:e:f\""},
	{"{a=\"b\"", 0, "position 6: expected ',' or '}' after a matcher, got end of input"},
	{"{a=\"b\" c=\"d\"}", 0, "position 7: expected ',' or '}' after a matcher, got 'c'"},
	{"{a=\"b\",,}", 0, "position 7: expected a label name, got ','"},
	{"{,}", 0, "position 1: expected a label name"},
	{"{a=\"b\"} x", 0, "position 8: unexpected 'x' after the selector"},
	{"{a=\"b\"}}", 0, "position 7: unexpected '}'"},
	{"a:b:c:d:e x", 0, "position 10: unexpected 'x'"},
	{"=", 0, "position 0: expected a profile type or '{', got '='"},
	{"{a=\"b\\x41\"}", 0, "position 5: unsupported escape '\\x'"},
	{"{a=\"b\\u0041\"}", 0, "position 5: unsupported escape '\\u'"},
	{"{a=\"b\\0\"}", 0, "unsupported escape '\\0'"},
	{"{a=\"b\\q\"}", 0, "position 5: unknown escape: backslash before 'q'"},
	{"{a=\"b\nc\"}", 0, "position 5: newline in a quoted value"},
	{"{a=\"b\0c\"}", 9, "position 5: NUL byte in a value"},
	{"{a=`b\0c`}", 9, "position 5: NUL byte in a value"},
	{"{a\0=\"b\"}", 8, "position 2: expected '=', '!=', '=~' or '!~'"},
	{"{a=\"b\"}\0", 8, "position 7: unexpected byte 0x00 after the selector"},
	{"\0", 1, "position 0: expected a profile type or '{', got byte 0x00"},
	/* len stops before the closing quote, which must not be read. */
	{"{a=\"b\"}", 5, "unterminated string"},
};

static void expect_bad(const char *in, size_t len, const char *want)
{
	struct selector *sel = (struct selector *)1;
	struct err e = {0};
	int rc;

	rc = parse(in, len, &sel, &e);
	if (rc != -EINVAL || sel || !strstr(e.msg, want)) {
		print_error("input %.*s: rc %d, msg \"%s\", want \"%s\"\n",
			    (int)len, in, rc, e.msg, want);
		fail();
	}
	assert_int_equal(e.code, -EINVAL);
}

static void test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i].in, bad[i].len ? bad[i].len : strlen(bad[i].in), bad[i].want);
}

/* `{m0="v",m1="v",...}` with n matchers, regexes among them. */
static size_t many(char *buf, size_t cap, int n)
{
	size_t len = 0;
	int i;

	len += snprintf(buf + len, cap - len, "{");
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, cap - len, "%sm%d%s\"v%d\"", i ? "," : "",
				i, i % 2 ? "=~" : "=", i);
	len += snprintf(buf + len, cap - len, "}");
	return len;
}

static void test_caps(void **state)
{
	char buf[SELECTOR_MAX_LEN + 16], want[64];
	struct selector *sel = NULL;
	struct err e = {0};
	size_t len;

	(void)state;
	len = many(buf, sizeof(buf), SELECTOR_MAX_MATCHERS);
	assert_int_equal(parse(buf, len, &sel, &e), 0);
	assert_int_equal(sel->nm, SELECTOR_MAX_MATCHERS);
	assert_true(matcher_match(&sel->m[63], "v63"));
	assert_false(matcher_match(&sel->m[63], "v6"));
	selector_free(sel);

	len = many(buf, sizeof(buf), SELECTOR_MAX_MATCHERS + 1);
	expect_bad(buf, len, "more than 64 matchers");
	/* The position is where the 65th matcher starts. */
	assert_non_null(strstr(buf, ",m64=\""));
	snprintf(want, sizeof(want), "position %zu: more",
		 (size_t)(strstr(buf, ",m64=\"") - buf) + 1);
	expect_bad(buf, len, want);

	/* Exactly the cap is fine, one byte more is not. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "{}", 2);
	assert_int_equal(parse(buf, SELECTOR_MAX_LEN, &sel, &e), 0);
	selector_free(sel);
	expect_bad(buf, SELECTOR_MAX_LEN + 1, "selector: 4097 bytes, limit is 4096");
}

static const struct {
	const char *sel;
	const char *value; /* NULL: label absent */
	int want;
} matches[] = {
	{"{a=\"abc\"}", "abc", 1},
	{"{a=\"abc\"}", "abcd", 0},
	{"{a=\"abc\"}", NULL, 0},
	{"{a!=\"abc\"}", "abc", 0},
	{"{a!=\"abc\"}", "x", 1},
	{"{a!=\"abc\"}", NULL, 1},
	{"{a=~\"b\"}", "abc", 0},
	{"{a=~\"b\"}", "b", 1},
	{"{a=~\"a.c\"}", "abc", 1},
	{"{a=~\"a.c\"}", "xabc", 0},
	{"{a=~\"a.c\"}", "abcx", 0},
	{"{a=~\"prod|stage\"}", "prod", 1},
	{"{a=~\"prod|stage\"}", "stage", 1},
	{"{a=~\"prod|stage\"}", "production", 0},
	{"{a=~\"prod|stage\"}", "xstage", 0},
	{"{a!~\"prod|stage\"}", "prod", 0},
	{"{a!~\"prod|stage\"}", "dev", 1},
	{"{a!~\"prod|stage\"}", NULL, 1},
	{"{a!=\"\"}", NULL, 0},
	{"{a!=\"\"}", "", 0},
	{"{a!=\"\"}", "x", 1},
	{"{a=\"\"}", NULL, 1},
	{"{a=\"\"}", "x", 0},
	{"{a=~\"\"}", NULL, 1},
	{"{a=~\"\"}", "x", 0},
	{"{a=~\".*\"}", NULL, 1},
	{"{a=~\".+\"}", NULL, 0},
	{"{a=~\".+\"}", "x\ny", 1},
	{"{a=~\"[)]x\"}", ")x", 1},
	{"{a=~\"\\\\)\"}", ")", 1},
	{"{a=~`a\\.c`}", "a.c", 1},
	{"{a=~`a\\.c`}", "abc", 0},
	{"{a=~\"(a|b)+\"}", "abba", 1},
	{"{a=~\"(a|b)+\"}", "abc", 0},
	{"{a=~\"a{3}\"}", "aaa", 1},
	{"{a=~\"a{3}\"}", "aaaa", 0},
	{"{a=~\"(ab){2,3}c\"}", "ababc", 1},
	{"{a=~\"(ab){2,3}c\"}", "abc", 0},
	{"{a=~\"[0-9]{1,1000}\"}", "12345", 1},
	{"{a=~\"a*?\"}", "aa", 1},
	{"{a=~\"(a*)*b\"}", "aab", 1},
	{"{a=~\"[\\\\1]\"}", "1", 1},
};

static void test_match(void **state)
{
	struct selector *sel;
	struct err e = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		sel = NULL;
		assert_int_equal(parse(matches[i].sel, strlen(matches[i].sel), &sel, &e), 0);
		assert_int_equal(sel->nm, 1);
		if (!!matcher_match(&sel->m[0], matches[i].value) != matches[i].want) {
			print_error("case %zu: %s on %s: want %d\n", i, matches[i].sel,
				    matches[i].value ? matches[i].value : "(absent)",
				    matches[i].want);
			fail();
		}
		selector_free(sel);
	}
}

static void test_label_name(void **state)
{
	(void)state;
	assert_true(label_name_valid(LIT("service_name")));
	assert_true(label_name_valid(LIT("_")));
	assert_true(label_name_valid(LIT("__profile_type__")));
	assert_true(label_name_valid(LIT("a.b9")));
	assert_true(label_name_valid("ab", 1));
	assert_false(label_name_valid(LIT("")));
	assert_false(label_name_valid(NULL, 0));
	assert_false(label_name_valid(LIT("1abc")));
	assert_false(label_name_valid(LIT(".a")));
	assert_false(label_name_valid(LIT("a-b")));
	assert_false(label_name_valid(LIT("a:b")));
	assert_false(label_name_valid("a\0b", 3));
	assert_false(label_name_valid(LIT("\xc3\xa9t\xc3\xa9")));
}

#define T2026 1795600800000000000LL /* date -u -d 2026-11-25T10:00:00Z +%s */
#define NOW 1700000000000000000LL

static const struct {
	const char *in;
	int64_t want;
} good_times[] = {
	{"0", 0},
	{"123", 123 * NS},
	{"1795600800", T2026},                               /* 10 digits: s */
	{"17956008001", 17956008001000000LL},                /* 11: ms */
	{"1795600800123", 1795600800123000000LL},            /* 13: ms */
	{"17956008001234", 17956008001234000LL},             /* 14: us */
	{"1795600800123456", 1795600800123456000LL},         /* 16: us */
	{"17956008001234567", 17956008001234567LL},          /* 17: ns */
	{"1795600800123456789", 1795600800123456789LL},      /* 19: ns */
	{"9223372036854775807", INT64_MAX},
	{"0000000001", NS},
	{"2026-11-25T10:00:00Z", T2026},
	{"2026-11-25 10:00:00Z", T2026},
	{"2026-11-25t10:00:00z", T2026},
	{"2026-11-25T10:00:00.5Z", T2026 + 500000000},
	{"2026-11-25T10:00:00.123456789Z", T2026 + 123456789},
	{"2026-11-25T10:00:00.000001Z", T2026 + 1000},
	{"2026-11-25T12:30:00+02:30", T2026},
	{"2026-11-25T05:00:00.25-05:00", T2026 + 250000000},
	{"2026-11-25T10:00:00+00:00", T2026},
	{"1970-01-01T00:00:00Z", 0},
	{"1969-12-31T23:59:59Z", -NS},
	{"2024-02-29T00:00:00Z", 1709164800 * NS},
	{"2000-03-01T00:00:00Z", 951868800 * NS},
	{"2262-04-11T23:47:16Z", 9223372036 * NS},
	{"1677-09-21T00:12:44Z", -9223372036 * NS},
	{"now", NOW},
	{"now-15m", NOW - 900 * NS},
	{"now+1h", NOW + 3600 * NS},
	{"now-1h30m", NOW - 5400 * NS},
	{"now-90", NOW - 90 * NS},
	{"now-500ms", NOW - 500000000},
};

static void test_time_good(void **state)
{
	struct err e = {0};
	int64_t got;
	size_t i;
	char *p;

	(void)state;
	for (i = 0; i < sizeof(good_times) / sizeof(good_times[0]); i++) {
		got = -42;
		p = exact(good_times[i].in, strlen(good_times[i].in));
		if (time_parse(p, strlen(good_times[i].in), NOW, &got, &e) ||
		    got != good_times[i].want) {
			print_error("%s: got %lld, want %lld (%s)\n", good_times[i].in,
				    (long long)got, (long long)good_times[i].want, e.msg);
			fail();
		}
		free(p);
	}
}

static const struct {
	const char *in;
	size_t len;
	int64_t now;
	const char *want;
} bad_times[] = {
	{"", 0, NOW, "time: position 0: empty time"},
	{"-5", 0, NOW, "position 0: negative times are not accepted"},
	{"99999999999999999999", 0, NOW, "20 digits: Unix times have at most 19"},
	{"9999999999", 0, NOW, "time out of range"},
	{"9999999999999999999", 0, NOW, "number too large"},
	{"yesterday", 0, NOW, "\"yesterday\" is not a time"},
	{"12ab", 0, NOW, "\"12ab\" is not a time"},
	{"1795600800\0", 11, NOW, "position 0"},
	{"2026-13-01T00:00:00Z", 0, NOW, "position 5: month 13 out of range"},
	{"2026-00-01T00:00:00Z", 0, NOW, "position 5: month 0 out of range"},
	{"2023-02-29T00:00:00Z", 0, NOW, "day 29 out of range for 2023-02"},
	{"2026-04-31T00:00:00Z", 0, NOW, "day 31 out of range for 2026-04"},
	{"2026-11-25T24:00:00Z", 0, NOW, "position 11: hour 24 out of range"},
	{"2026-11-25T10:60:00Z", 0, NOW, "position 14: minute 60 out of range"},
	{"2026-11-25X10:00:00Z", 0, NOW, "position 10: expected 'T' or ' ' after the day"},
	{"2026-11-25T10:00:00", 0, NOW, "position 19: expected 'Z' or a +HH:MM offset"},
	{"2026-11-25T10:00:00.Z", 0, NOW, "position 20: expected digits after '.'"},
	{"2026-11-25T10:00:00.1234567891Z", 0, NOW, "more than 9 fractional digits"},
	{"2026-11-25T10:00:00Zx", 0, NOW, "position 20: unexpected 'x' after the time"},
	{"2026-11-25T10:00:00+0200", 0, NOW, "position 22: expected ':' in the offset"},
	{"2026-11-25T10:00:00+24:00", 0, NOW, "position 19: offset out of range"},
	{"2026-11-25T1:00:00Z", 0, NOW, "position 12: expected the 2-digit hour"},
	{"2026-11-25", 0, NOW, "position 10: expected 'T' or ' '"},
	{"2026-11-25T10:00:00\0", 20, NOW, "position 19: expected 'Z'"},
	{"2262-04-11T23:47:17Z", 0, NOW, "time out of range"},
	{"1000-01-01T00:00:00Z", 0, NOW, "time out of range"},
	{"now-", 0, NOW, "time: position 4: empty duration"},
	{"now-15x", 0, NOW, "time: position 6: expected a unit"},
	{"nowx", 0, NOW, "time: position 3: expected '-' or '+' after \"now\""},
	{"now -1h", 0, NOW, "position 3"},
	{"now-9223372036854775807ns", 0, -10, "time out of range"},
	{"now+1ns", 0, INT64_MAX, "time out of range"},
};

static void test_time_bad(void **state)
{
	struct err e = {0};
	int64_t got;
	size_t i, len;
	char *p;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		len = bad_times[i].len ? bad_times[i].len : strlen(bad_times[i].in);
		p = exact(bad_times[i].in, len);
		rc = time_parse(p, len, bad_times[i].now, &got, &e);
		if (rc != -EINVAL || !strstr(e.msg, bad_times[i].want)) {
			print_error("%s: rc %d, msg \"%s\", want \"%s\"\n",
				    bad_times[i].in, rc, e.msg, bad_times[i].want);
			fail();
		}
		free(p);
	}
}

static const struct {
	const char *in;
	int64_t want;
} good_durs[] = {
	{"10s", 10 * NS},
	{"1h30m", 5400 * NS},
	{"500ms", 500000000},
	{"2d", 172800 * NS},
	{"1w", 604800 * NS},
	{"90", 90 * NS},
	{"0", 0},
	{"0s", 0},
	{"1ns", 1},
	{"3us", 3000},
	{"3\xc2\xb5s", 3000},
	{"3\xce\xbcs", 3000},
	{"1m1s", 61 * NS},
	{"1h1m1s1ms1us1ns", 3661001001001LL},
	{"9223372036854775807ns", INT64_MAX},
	{"106751d", 106751LL * 86400 * NS},
};

static const struct {
	const char *in;
	const char *want;
} bad_durs[] = {
	{"", "duration: position 0: empty duration"},
	{"s", "position 0: expected a number, got 's'"},
	{"10x", "position 2: expected a unit (ns, us, ms, s, m, h, d, w), got 'x'"},
	{"1.5h", "position 1: expected a unit"},
	{"-5s", "position 0: expected a number, got '-'"},
	{"10s5", "position 4: expected a unit (ns, us, ms, s, m, h, d, w), got end of input"},
	{"1h 30m", "position 2: expected a number, got byte 0x20"},
	{"9223372036854775808ns", "position 0: number too large"},
	{"9223372037", "position 0: duration too large"},
	{"106752d", "position 0: duration too large"},
	{"1s9223372036854775807ns", "position 2: duration too large"},
};

static void test_duration(void **state)
{
	struct err e = {0};
	int64_t got;
	size_t i, len;
	char *p;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(good_durs) / sizeof(good_durs[0]); i++) {
		got = -42;
		len = strlen(good_durs[i].in);
		p = exact(good_durs[i].in, len);
		if (duration_parse(p, len, &got, &e) || got != good_durs[i].want) {
			print_error("%s: got %lld, want %lld (%s)\n", good_durs[i].in,
				    (long long)got, (long long)good_durs[i].want, e.msg);
			fail();
		}
		free(p);
	}
	for (i = 0; i < sizeof(bad_durs) / sizeof(bad_durs[0]); i++) {
		len = strlen(bad_durs[i].in);
		p = exact(bad_durs[i].in, len);
		rc = duration_parse(p, len, &got, &e);
		if (rc != -EINVAL || !strstr(e.msg, bad_durs[i].want)) {
			print_error("%s: rc %d, msg \"%s\", want \"%s\"\n",
				    bad_durs[i].in, rc, e.msg, bad_durs[i].want);
			fail();
		}
		free(p);
	}
	/* A duration that stops at len, though more digits follow in memory. */
	assert_int_equal(duration_parse("15m99", 3, &got, &e), 0);
	assert_int_equal(got, 900 * NS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_label_name),
		cmocka_unit_test(test_time_good),
		cmocka_unit_test(test_time_bad),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
