/* libFuzzer target: selector_parse() on arbitrary bytes, and time_parse()
 * and duration_parse() on the bytes after the first (which also picks
 * `now`). A parsed selector must print back to text that parses to the same
 * selector; matchers must behave on a few values. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/query/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Canonical text for sel: TYPE{name OP "value",...}; 0 if it does not fit. */
static size_t render(const struct selector *sel, char *buf, size_t cap)
{
	static const char *ops[] = {"=", "!=", "=~", "!~"};
	size_t n = 0, i;
	const char *v;

#define PUT(...)                                                          \
	do {                                                              \
		int k_ = snprintf(buf + n, cap - n, __VA_ARGS__);         \
		if (k_ < 0 || (size_t)k_ >= cap - n)                      \
			return 0;                                         \
		n += (size_t)k_;                                          \
	} while (0)
	PUT("%s{", sel->profile_type ? sel->profile_type : "");
	for (i = 0; i < sel->nm; i++) {
		PUT("%s%s%s\"", i ? "," : "", sel->m[i].name, ops[sel->m[i].op]);
		for (v = sel->m[i].value; *v; v++) {
			if (*v == '"' || *v == '\\')
				PUT("\\%c", *v);
			else if (*v == '\n')
				PUT("\\n");
			else
				PUT("%c", *v);
		}
		PUT("\"");
	}
	PUT("}");
#undef PUT
	return n;
}

static void check_selector(const struct selector *sel)
{
	const struct matcher *m;
	size_t i;

	if (sel->nm > SELECTOR_MAX_MATCHERS)
		abort();
	for (i = 0; i < sel->nm; i++) {
		m = &sel->m[i];
		if (!label_name_valid(m->name, strlen(m->name)))
			abort();
		/* = and != agree with their own value; the rest must not crash. */
		if ((m->op == MATCH_EQ && !matcher_match(m, m->value)) ||
		    (m->op == MATCH_NE && matcher_match(m, m->value)))
			abort();
		matcher_match(m, NULL);
		matcher_match(m, "prod");
		matcher_match(m, m->value);
	}
}

static void round_trip(const struct selector *sel)
{
	static char a[4 * SELECTOR_MAX_LEN], b[4 * SELECTOR_MAX_LEN];
	struct selector *again = NULL;
	struct err e = {0};
	size_t na, nb;

	na = render(sel, a, sizeof(a));
	if (!na || na > SELECTOR_MAX_LEN)
		return;
	if (selector_parse(a, na, &again, &e)) {
		fprintf(stderr, "reparse of %s: %s\n", a, e.msg);
		abort();
	}
	nb = render(again, b, sizeof(b));
	if (na != nb || memcmp(a, b, na))
		abort();
	selector_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct selector *sel = NULL;
	struct err e = {0};
	int64_t t, now;
	int rc;

	rc = selector_parse(s, size, &sel, &e);
	if (rc) {
		if (sel || rc != -EINVAL || !e.msg[0])
			abort();
	} else {
		check_selector(sel);
		round_trip(sel);
		selector_free(sel);
	}
	if (!size)
		return 0;
	/* The first byte picks `now` near either end of the range too, so the
	 * overflow checks of now+/-duration get exercised. */
	if (data[0] < 85)
		now = 1795600800000000000LL;
	else
		now = data[0] < 170 ? INT64_MAX - 1000 : INT64_MIN + 1000;
	e.msg[0] = '\0';
	if (time_parse(s + 1, size - 1, now, &t, &e) && !e.msg[0])
		abort();
	e.msg[0] = '\0';
	if (duration_parse(s + 1, size - 1, &t, &e) && !e.msg[0])
		abort();
	if (!e.msg[0] && t < 0)
		abort();
	return 0;
}
