/* Unit tests for folded_parse(): Brendan Gregg's collapsed stacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/encode.h"
#include "../../src/pprof/folded.h"
#include "../../src/pprof/profile.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int str_is(const struct pprof_profile *p, uint32_t i, const char *s)
{
	size_t n = strlen(s);

	return i < p->nstr && p->str[i].len == n && !memcmp(p->str[i].ptr, s, n);
}

static struct pprof_profile *parse_ok(const char *text,
				      const struct folded_opts *o)
{
	struct pprof_profile *p = NULL;
	struct err e = {0};
	int rc = folded_parse((const uint8_t *)text, strlen(text), o, &p, &e);

	if (rc)
		print_error("folded_parse: %d %s\n", rc, e.msg);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

/* Name of frame k of sample s, counted from the leaf (sample_loc order). */
static const struct pprof_str *frame(const struct pprof_profile *p, size_t s,
				     uint32_t k)
{
	const struct pprof_sample *sm = &p->sample[s];
	const struct pprof_location *l;

	assert_true(k < sm->nloc);
	l = &p->location[p->sample_loc[sm->loc_off + k]];
	assert_int_equal(l->nline, 1);
	return &p->str[p->function[p->line[l->line_off].function].name];
}

/* Sample s, root first, joined with ';' (the folded form itself). */
static void stack_of(const struct pprof_profile *p, size_t s, char *out,
		     size_t cap)
{
	uint32_t k = p->sample[s].nloc;
	size_t n = 0;

	out[0] = 0;
	while (k-- > 0) {
		const struct pprof_str *f = frame(p, s, k);
		n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? ";" : "",
				      (int)f->len, f->ptr);
		assert_true(n < cap);
	}
}

/* Value of the sample whose stack is `want`; -1 when absent. */
static int64_t value_of(const struct pprof_profile *p, const char *want)
{
	char got[512];
	size_t i;

	for (i = 0; i < p->nsample; i++) {
		stack_of(p, i, got, sizeof(got));
		if (!strcmp(got, want))
			return p->value[i];
	}
	return -1;
}

static void test_basic(void **state)
{
	struct pprof_profile *p = parse_ok("a;b;c 3\na;b 2\na;b;c 4\n", NULL);

	(void)state;
	assert_int_equal(p->nsample_type, 1);
	assert_true(str_is(p, p->sample_type[0].type, "samples"));
	assert_true(str_is(p, p->sample_type[0].unit, "count"));
	assert_int_equal(p->nsample, 2);
	assert_int_equal(p->nfunction, 3);
	assert_int_equal(p->nlocation, 3);
	/* sample_loc is leaf first: "a;b;c" is c, b, a */
	assert_int_equal(p->sample[0].nloc, 3);
	assert_int_equal(frame(p, 0, 0)->len, 1);
	assert_memory_equal(frame(p, 0, 0)->ptr, "c", 1);
	assert_memory_equal(frame(p, 0, 1)->ptr, "b", 1);
	assert_memory_equal(frame(p, 0, 2)->ptr, "a", 1);
	assert_int_equal(value_of(p, "a;b;c"), 7);
	assert_int_equal(value_of(p, "a;b"), 2);
	pprof_free(p);
}

static void test_opts_type(void **state)
{
	struct folded_opts o = {.type = "cpu", .unit = "nanoseconds"};
	struct pprof_profile *p = parse_ok("x 10", &o); /* no final newline */

	(void)state;
	assert_true(str_is(p, p->sample_type[0].type, "cpu"));
	assert_true(str_is(p, p->sample_type[0].unit, "nanoseconds"));
	assert_int_equal(value_of(p, "x"), 10);
	pprof_free(p);
}

static void test_whitespace(void **state)
{
	static const struct {
		const char *text;
		const char *stack;
		int64_t v;
		size_t nsample;
	} cases[] = {
		{"a;b 1\r\na;b 2\r\n", "a;b", 3, 1},           /* CRLF */
		{"\n\na;b 1\n\n\na;c 2\n\n", "a;c", 2, 2},     /* blank lines */
		{"\r\na 5\r\n\r\n", "a", 5, 1},                 /* blank CRLF */
		{"foo bar;baz 1\n", "foo bar;baz", 1, 1},       /* spaces in names */
		{"a b c;d e 9\n", "a b c;d e", 9, 1},
		{"a;b\t4\n", "a;b", 4, 1},                      /* tab separator */
		{"java/lang/Thread.run;x(int, long) 2\n",
		 "java/lang/Thread.run;x(int, long)", 2, 1},
		/* a zero count is valid but adds no (all-zero) sample */
		{"a;b 0\nc 1\n", "c", 1, 1},
		{"a;b 9223372036854775807\n", "a;b", INT64_MAX, 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct pprof_profile *p = parse_ok(cases[i].text, NULL);
		print_message("case %zu\n", i);
		assert_int_equal(p->nsample, cases[i].nsample);
		assert_true(value_of(p, cases[i].stack) == cases[i].v);
		pprof_free(p);
	}
}

/* Frame names are shared: one function and one location per name. */
static void test_shared_frames(void **state)
{
	struct pprof_profile *p = parse_ok("main;a;x 1\nmain;b;x 1\nmain 1\n", NULL);

	(void)state;
	assert_int_equal(p->nsample, 3);
	assert_int_equal(p->nfunction, 4);
	assert_int_equal(p->nlocation, 4);
	assert_int_equal(value_of(p, "main"), 1);
	pprof_free(p);
}

static void test_empty_input(void **state)
{
	struct pprof_profile *p = NULL;
	struct err e = {0};
	int rc;

	(void)state;
	/* Nothing to parse: either an empty profile or a clean error. */
	rc = folded_parse((const uint8_t *)"\n\n", 2, NULL, &p, &e);
	if (rc == 0) {
		assert_int_equal(p->nsample, 0);
		pprof_free(p);
	} else {
		assert_true(rc < 0);
		assert_null(p);
		assert_true(e.msg[0] != 0);
	}
}

/* The profile encodes and decodes like any other. */
static void test_encode_decode(void **state)
{
	struct pprof_profile *p = parse_ok("a;b;c 3\na;b 2\nd 1\n", NULL), *q = NULL;
	struct buf raw = BUF_INIT;

	(void)state;
	pprof_encode_raw(p, &raw);
	assert_int_equal(pprof_decode(raw.data, raw.len, NULL, &q, NULL), 0);
	assert_int_equal(q->nsample, 3);
	assert_int_equal(value_of(q, "a;b;c"), 3);
	assert_int_equal(value_of(q, "a;b"), 2);
	assert_int_equal(value_of(q, "d"), 1);
	pprof_free(q);
	pprof_free(p);
	buf_release(&raw);
}

/* ---- errors: each names the line ---- */

struct bad_case {
	const char *name;
	const char *text;
	size_t max_lines, max_depth;
	int rc;
	const char *want; /* must occur in the message */
};

static const struct bad_case bad_cases[] = {
	{"missing count", "a;b 1\na;b\n", 0, 0, -EINVAL, "line 2"},
	{"missing count, trailing space", "a 1\na;b \n", 0, 0, -EINVAL, "line 2"},
	{"count only", "a 1\n 5\n", 0, 0, -EINVAL, "line 2"},
	{"non-integer count", "a 1\na;b x\n", 0, 0, -EINVAL, "line 2"},
	{"fractional count", "a 1\na;b 1.5\n", 0, 0, -EINVAL, "line 2"},
	{"count with junk", "a 1\na;b 12abc\n", 0, 0, -EINVAL, "line 2"},
	{"negative count", "a 1\na;b -3\n", 0, 0, -EINVAL, "line 2"},
	{"count overflows", "a 1\na;b 99999999999999999999\n", 0, 0, -EINVAL,
	 "line 2"},
	{"empty frame", "a 1\na;;b 1\n", 0, 0, -EINVAL, "line 2"},
	{"leading ;", "a 1\n;a 1\n", 0, 0, -EINVAL, "line 2"},
	{"trailing ;", "a 1\na; 1\n", 0, 0, -EINVAL, "line 2"},
	{"blank lines counted", "a 1\n\n\nb x\n", 0, 0, -EINVAL, "line 4"},
	{"CRLF lines counted", "a 1\r\nb 1\r\nc\r\n", 0, 0, -EINVAL, "line 3"},
	{"line limit", "a 1\nb 1\nc 1\n", 2, 0, -E2BIG, "line 3"},
	{"depth limit", "a 1\na;b;c 1\n", 0, 2, -E2BIG, "line 2"},
};

static void test_errors(void **state)
{
	size_t i;
	int failures = 0;

	(void)state;
	for (i = 0; i < NELEM(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct folded_opts o = {.max_lines = c->max_lines,
					.max_depth = c->max_depth};
		struct pprof_profile *p = (struct pprof_profile *)&o; /* poison */
		struct err e = {0};
		int rc = folded_parse((const uint8_t *)c->text, strlen(c->text),
				      &o, &p, &e);
		if (getenv("TEST_VERBOSE"))
			print_message("%-30s rc %d: %s\n", c->name, rc, e.msg);
		if (rc != c->rc || p != NULL || !strstr(e.msg, c->want)) {
			print_error("case '%s': want %d \"%s\"; got %d, out %s, \"%s\"\n",
				    c->name, c->rc, c->want, rc,
				    p ? "non-NULL" : "NULL", e.msg);
			if (rc == 0)
				pprof_free(p);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* At the limits exactly, parsing succeeds. */
static void test_limits_inclusive(void **state)
{
	struct folded_opts o = {.max_lines = 3, .max_depth = 3};
	struct pprof_profile *p = parse_ok("a 1\na;b 1\na;b;c 1\n", &o);

	(void)state;
	assert_int_equal(p->nsample, 3);
	pprof_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_opts_type),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_shared_frames),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits_inclusive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
