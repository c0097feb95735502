/* selector: `TYPE{matchers}` selectors, query times and durations.
 *
 * Every input here comes straight from an HTTP query string: it may hold NUL
 * bytes and is not NUL-terminated. So each parser walks a cursor bounded by
 * len, never hands the raw input to libc string functions, and copies out
 * only what it has checked (decoded values, which must not hold NUL). */
#include "selector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"

#define NS_PER_S 1000000000LL

/* A bounded cursor; `what` ("selector", "time", "duration") starts errors. */
struct cur {
	const char *s;
	size_t len;
	size_t pos;
	const char *what;
	struct err *e;
};

static int peek(const struct cur *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static int at_end(const struct cur *c)
{
	return c->pos >= c->len;
}

/* Record "<what>: position <pos>: <message>"; returns -EINVAL. */
static int fail_at(const struct cur *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(const struct cur *c, size_t pos, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(c->e, -EINVAL, "%s: position %zu: %s", c->what, pos, msg);
}

/* The byte under the cursor as a message shows it: unprintable bytes (NUL
 * above all) must not end up raw in an error message. */
static const char *show_next(const struct cur *c, char buf[16])
{
	int ch = peek(c);

	if (ch < 0)
		return "end of input";
	if (ch > 0x20 && ch < 0x7f)
		snprintf(buf, 16, "'%c'", ch);
	else
		snprintf(buf, 16, "byte 0x%02x", (unsigned)ch);
	return buf;
}

/* Character classes by hand: <ctype.h> would follow the locale. */
static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_name_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static int is_name_char(int ch)
{
	return is_name_start(ch) || is_digit(ch) || ch == '.';
}

static int is_type_char(int ch)
{
	return is_name_char(ch) || ch == '-';
}

static void skip_ws(struct cur *c)
{
	int ch;

	while ((ch = peek(c)) == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
		c->pos++;
}

int label_name_valid(const char *name, size_t len)
{
	size_t i;

	if (!name || !len || !is_name_start((unsigned char)name[0]))
		return 0;
	for (i = 1; i < len; i++)
		if (!is_name_char((unsigned char)name[i]))
			return 0;
	return 1;
}

/* ---- profile type ids ---- */

/* Check a profile type id and copy it without a trailing ":delta" (the
 * Pyroscope spelling of the same series). On error *why says what is wrong. */
static int type_normalize(const char *t, size_t n, char **out, const char **why)
{
	size_t i, start = 0, parts = 0, keep = n;

	for (i = 0; i <= n; i++) {
		if (i < n && t[i] != ':') {
			if (!is_type_char((unsigned char)t[i])) {
				*why = "parts may hold only [A-Za-z0-9_.-]";
				return -EINVAL;
			}
			continue;
		}
		if (i == start) {
			*why = "empty part";
			return -EINVAL;
		}
		if (++parts == 5)
			keep = i;
		if (parts == 6 && !(i - start == 5 && !memcmp(t + start, "delta", 5))) {
			*why = "a 6th part may only be \"delta\"";
			return -EINVAL;
		}
		start = i + 1;
	}
	if (parts != 5 && parts != 6) {
		*why = "expected 5 colon-separated parts "
		       "(name:sample_type:sample_unit:period_type:period_unit)";
		return -EINVAL;
	}
	*out = xstrndup(t, keep);
	return 0;
}

/* ---- selectors ---- */

struct parser {
	struct cur c;
	struct selector *sel;
	size_t cap;                 /* of sel->m */
	size_t nwritten;            /* matchers as written, for the cap */
	/* Where each matcher starts, for regex errors reported after parsing. */
	size_t mpos[SELECTOR_MAX_MATCHERS];
};

/* Longest first, so "=~" is not read as "=" followed by '~'. */
static const struct {
	const char *tok;
	enum match_op op;
} match_ops[] = {
	{"=~", MATCH_RE}, {"!~", MATCH_NRE}, {"!=", MATCH_NE}, {"=", MATCH_EQ},
};

static const char *op_name(enum match_op op)
{
	size_t i;

	for (i = 0; i < sizeof(match_ops) / sizeof(match_ops[0]); i++)
		if (match_ops[i].op == op)
			return match_ops[i].tok;
	return "?";
}

/* Go/Prometheus escapes. \x, \u and octal would need byte and UTF-8
 * encoding rules of their own; nobody writes them in label values, so they
 * are refused with a message rather than half-supported. */
static const struct {
	char in, out;
} escapes[] = {
	{'"', '"'}, {'\'', '\''}, {'\\', '\\'}, {'n', '\n'}, {'t', '\t'},
	{'r', '\r'}, {'a', '\a'}, {'b', '\b'}, {'f', '\f'}, {'v', '\v'},
};

/* The cursor is just past a backslash; decode the escape into *ch. */
static int unescape(struct cur *c, int *ch)
{
	char show[16];
	size_t i;
	int x = peek(c);

	for (i = 0; x >= 0 && i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		if (escapes[i].in == x) {
			c->pos++;
			*ch = (unsigned char)escapes[i].out;
			return 0;
		}
	}
	if (x == 'x' || x == 'u' || x == 'U' || is_digit(x))
		return fail_at(c, c->pos - 1, "unsupported escape '\\%c': "
			       "write the character itself", x);
	return fail_at(c, c->pos - 1, "unknown escape: backslash before %s",
		       show_next(c, show));
}

/* A quoted value: "..." and '...' with escapes, `...` raw (as Prometheus).
 * The decoded text becomes a C string, so a NUL byte cannot be in it. */
static int parse_string(struct cur *c, char **out)
{
	size_t start = c->pos, n = 0;
	int q = peek(c), ch, rc;
	char show[16], *buf;

	if (q != '"' && q != '\'' && q != '`')
		return fail_at(c, start, "expected a quoted value, got %s",
			       show_next(c, show));
	c->pos++;
	/* Decoding only shrinks text: the rest of the input bounds it. */
	buf = xmalloc(c->len - c->pos + 1);
	for (;;) {
		ch = peek(c);
		/* A backslash that ends the input escapes nothing. */
		if (ch < 0 || (ch == '\\' && q != '`' && c->pos + 1 == c->len)) {
			rc = fail_at(c, start, "unterminated string");
			goto fail;
		}
		c->pos++;
		if (ch == q)
			break;
		if (ch == 0) {
			rc = fail_at(c, c->pos - 1, "NUL byte in a value");
			goto fail;
		}
		if (ch == '\n' && q != '`') {
			rc = fail_at(c, c->pos - 1, "newline in a quoted value (write \\n)");
			goto fail;
		}
		if (ch == '\\' && q != '`' && (rc = unescape(c, &ch)) < 0)
			goto fail;
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
fail:
	free(buf);
	return rc;
}

static int parse_name(struct cur *c, char **out)
{
	size_t start = c->pos;
	char show[16];

	while (is_name_char(peek(c)))
		c->pos++;
	if (c->pos == start)
		return fail_at(c, start, "expected a label name, got %s",
			       show_next(c, show));
	if (!is_name_start((unsigned char)c->s[start]))
		return fail_at(c, start, "invalid label name \"%.*s\": must start "
			       "with a letter or '_'", (int)(c->pos - start), c->s + start);
	*out = xstrndup(c->s + start, c->pos - start);
	return 0;
}

static int parse_op(struct cur *c, enum match_op *op)
{
	size_t i, n;

	for (i = 0; i < sizeof(match_ops) / sizeof(match_ops[0]); i++) {
		n = strlen(match_ops[i].tok);
		if (c->len - c->pos >= n && !memcmp(c->s + c->pos, match_ops[i].tok, n)) {
			c->pos += n;
			*op = match_ops[i].op;
			return 0;
		}
	}
	return fail_at(c, c->pos, "expected '=', '!=', '=~' or '!~'");
}

/* Set the selector's type from the TYPE prefix or from a
 * __profile_type__="..." matcher; both may be given if they agree. */
static int set_type(struct parser *p, size_t pos, const char *t, size_t n)
{
	const char *why = NULL;
	char *norm;

	if (type_normalize(t, n, &norm, &why) < 0)
		return fail_at(&p->c, pos, "invalid profile type \"%.*s\": %s",
			       (int)(n > 128 ? 128 : n), t, why);
	if (!p->sel->profile_type) {
		p->sel->profile_type = norm;
		return 0;
	}
	if (strcmp(p->sel->profile_type, norm)) {
		fail_at(&p->c, pos, "conflicting profile types \"%s\" and \"%s\"",
			p->sel->profile_type, norm);
		free(norm);
		return -EINVAL;
	}
	free(norm);
	return 0;
}

static int parse_matcher(struct parser *p)
{
	struct cur *c = &p->c;
	size_t start = c->pos, vpos;
	char *name = NULL, *value = NULL;
	struct matcher *m;
	enum match_op op = MATCH_EQ;
	int rc;

	if (p->nwritten++ == SELECTOR_MAX_MATCHERS)
		return fail_at(c, start, "more than %d matchers", SELECTOR_MAX_MATCHERS);
	if ((rc = parse_name(c, &name)) < 0)
		return rc;
	skip_ws(c);
	if ((rc = parse_op(c, &op)) < 0)
		goto out;
	skip_ws(c);
	vpos = c->pos;
	if ((rc = parse_string(c, &value)) < 0)
		goto out;
	if (op == MATCH_EQ && !strcmp(name, "__profile_type__")) {
		/* The same thing as the TYPE prefix: keep one representation. */
		rc = set_type(p, vpos, value, strlen(value));
		goto out;
	}
	XGROW(p->sel->m, p->cap, p->sel->nm + 1);
	m = &p->sel->m[p->sel->nm];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->value = value;
	m->op = op;
	p->mpos[p->sel->nm++] = start;
	return 0;
out:
	free(name);
	free(value);
	return rc;
}

static int parse_braces(struct parser *p)
{
	struct cur *c = &p->c;
	char show[16];
	int rc;

	c->pos++; /* '{' */
	for (;;) {
		skip_ws(c);
		if (peek(c) == '}')
			break;
		if ((rc = parse_matcher(p)) < 0)
			return rc;
		skip_ws(c);
		if (peek(c) == ',')
			c->pos++;
		else if (peek(c) != '}')
			return fail_at(c, c->pos, "expected ',' or '}' after a matcher, got %s",
				       show_next(c, show));
	}
	c->pos++; /* '}' */
	return 0;
}

static int parse_selector(struct parser *p)
{
	struct cur *c = &p->c;
	size_t start;
	char show[16];
	int rc;

	skip_ws(c);
	if (at_end(c))
		return fail_at(c, c->pos, "empty selector: expected a profile type or '{'");
	if (peek(c) != '{') {
		start = c->pos;
		while (is_type_char(peek(c)) || peek(c) == ':')
			c->pos++;
		if (c->pos == start)
			return fail_at(c, start, "expected a profile type or '{', got %s",
				       show_next(c, show));
		if ((rc = set_type(p, start, c->s + start, c->pos - start)) < 0)
			return rc;
		skip_ws(c);
	}
	if (peek(c) == '{' && (rc = parse_braces(p)) < 0)
		return rc;
	skip_ws(c);
	if (!at_end(c))
		return fail_at(c, c->pos, "unexpected %s after the selector",
			       show_next(c, show));
	return 0;
}

/* Skip a bracket expression the way glibc's ERE reads one: a leading '^'
 * and ']' are literal, [:class:] [=x=] [.x.] may hold ']'. p is at '['; the
 * result is at the closing ']' or the string's end. */
static const char *skip_bracket(const char *p)
{
	char t;

	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (p[0] == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			t = p[1];
			for (p += 2; *p && !(p[0] == t && p[1] == ']'); p++)
				;
			if (*p)
				p += 2;
			continue;
		}
		p++;
	}
	return p;
}

/* What a regex may cost. regcomp expands repetition by copying: "a+" is
 * "aa*" and "a{n}" is n copies of a, so nesting multiplies ("x+++..."
 * doubles per '+' and ran the fuzzer out of memory), and regexec's time
 * grows with the copies times the value's length. Label regexes are small
 * (a long "a|b|c|..." list costs one node a byte, within the cap); the
 * repeat cap is RE2's, which Prometheus users already live with. */
#define REGEX_MAX_NODES 5000
#define REGEX_MAX_REPEAT 1000
#define REGEX_MAX_DEPTH 64

/* One open group of the walk: its size so far and its last atom's. */
struct re_group {
	uint64_t size, last;
};

static void re_atom(struct re_group *g, uint64_t n)
{
	g->size += n;
	g->last = n;
}

/* The last atom repeated up to k times: k copies plus an operator node. */
static void re_repeat(struct re_group *g, uint64_t k)
{
	uint64_t grown = g->last * k + 1;

	g->size += grown - g->last;
	g->last = grown;
}

/* "{n}", "{n,}", "{n,m}" at p: the largest count (clamped, so it cannot
 * overflow), with *end at the closing '}'. 0 if malformed: then glibc
 * reads the '{' as a literal or regcomp rejects it. */
static uint64_t re_interval(const char *p, const char **end)
{
	uint64_t n[2] = {0, 0};
	int i = 0;

	for (p++; *p && *p != '}'; p++) {
		if (*p == ',' && i == 0)
			i = 1;
		else if (!is_digit((unsigned char)*p))
			return 0;
		else if (n[i] <= REGEX_MAX_REPEAT)
			n[i] = n[i] * 10 + (uint64_t)(*p - '0');
	}
	if (!*p)
		return 0;
	*end = p;
	return (n[0] > n[1] ? n[0] : n[1]) + 1;
}

/* How one token of an ERE changes the walk. */
enum re_tok { RE_ATOM, RE_OPEN, RE_CLOSE, RE_ALT, RE_QUANT };

/* Classify the token at *pp, moving *pp to its last byte; *k is the copies
 * a quantifier makes. */
static enum re_tok re_next(const char **pp, uint64_t *k)
{
	const char *p = *pp, *end = p;

	*k = 1;
	switch (*p) {
	case '\\':
		if (p[1])
			(*pp)++;
		return RE_ATOM;
	case '[':
		*pp = skip_bracket(p);
		if (!**pp)
			(*pp)--; /* unterminated: regcomp reports it */
		return RE_ATOM;
	case '(':
		return RE_OPEN;
	case ')':
		return RE_CLOSE;
	case '|':
		return RE_ALT;
	case '*':
	case '?':
		return RE_QUANT;
	case '+':
		*k = 2;
		return RE_QUANT;
	case '{':
		if (!(*k = re_interval(p, &end))) {
			*k = 1;
			return RE_ATOM;
		}
		*pp = end;
		return RE_QUANT;
	}
	return RE_ATOM;
}

/* Walk an ERE as glibc's parser reads it and refuse what our anchoring or
 * matching cannot live with; regcomp judges everything else.
 *  - An unmatched ')': glibc takes it as a literal, so "a)|(b" would close
 *    our "^(" early and leave "(b)$" anchored at one end only.
 *  - Back-references: glibc's ERE has them, RE2 does not, and matching
 *    them backtracks (exponential time).
 *  - Nested repetition ("a**", "a+{2}"): undefined in POSIX, refused by
 *    RE2, and slow in glibc. One '?' after a quantifier (RE2's lazy form)
 *    passes, since it changes nothing for a whole-value match.
 *  - Repeat counts above REGEX_MAX_REPEAT, expansion above REGEX_MAX_NODES
 *    and nesting deeper than REGEX_MAX_DEPTH. */
static int regex_check(const char *v, const char **why)
{
	struct re_group st[REGEX_MAX_DEPTH];
	enum re_tok t, prev = RE_ALT;
	const char *p;
	int d = 0, lazy = 0;
	uint64_t k;

	memset(&st[0], 0, sizeof(st[0]));
	for (p = v; *p; p++) {
		if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9') {
			*why = "back-references are not supported";
			return -EINVAL;
		}
		t = re_next(&p, &k);
		if (t == RE_QUANT && prev == RE_QUANT && (*p != '?' || lazy)) {
			*why = "nested repetition operator";
			return -EINVAL;
		}
		if (t == RE_QUANT && k > REGEX_MAX_REPEAT + 1) {
			*why = "repeat count above 1000";
			return -EINVAL;
		}
		lazy = t == RE_QUANT && prev == RE_QUANT;
		prev = t;
		switch (t) {
		case RE_ATOM:
			re_atom(&st[d], 1);
			break;
		case RE_OPEN:
			if (++d == REGEX_MAX_DEPTH) {
				*why = "groups nested too deeply";
				return -EINVAL;
			}
			memset(&st[d], 0, sizeof(st[d]));
			break;
		case RE_CLOSE:
			if (d == 0) {
				*why = "unmatched ')'";
				return -EINVAL;
			}
			d--;
			re_atom(&st[d], st[d + 1].size + 1);
			break;
		case RE_ALT:
			st[d].last = 0;
			break;
		case RE_QUANT:
			re_repeat(&st[d], k);
			break;
		}
		if (st[d].size > REGEX_MAX_NODES) {
			*why = "too complex (repetition expands it too far)";
			return -EINVAL;
		}
	}
	return 0;
}

/* Compile m's regex, anchored at both ends as Prometheus anchors RE2. */
static int compile_one(struct parser *p, size_t i)
{
	struct matcher *m = &p->sel->m[i];
	size_t n = strlen(m->value);
	const char *bad = NULL;
	char *pat, why[160];
	int rc;

	if (regex_check(m->value, &bad) < 0)
		return fail_at(&p->c, p->mpos[i], "matcher %s%s\"%.64s\": invalid "
			       "regular expression: %s", m->name, op_name(m->op),
			       m->value, bad);
	pat = xmalloc(n + 5);
	memcpy(pat, "^(", 2);
	memcpy(pat + 2, m->value, n);
	memcpy(pat + 2 + n, ")$", 3);
	rc = regcomp(&m->re, pat, REG_EXTENDED | REG_NOSUB);
	free(pat);
	if (rc) {
		regerror(rc, &m->re, why, sizeof(why));
		return fail_at(&p->c, p->mpos[i], "matcher %s%s\"%.64s\": invalid "
			       "regular expression: %s", m->name, op_name(m->op),
			       m->value, why);
	}
	return 0;
}

static int is_regex(const struct matcher *m)
{
	return m->op == MATCH_RE || m->op == MATCH_NRE;
}

/* Free sel, whose regexes are compiled in the first `compiled` matchers
 * only (a failed parse stops part way). */
static void sel_destroy(struct selector *sel, size_t compiled)
{
	size_t i;

	if (!sel)
		return;
	for (i = 0; i < sel->nm; i++) {
		if (i < compiled && is_regex(&sel->m[i]))
			regfree(&sel->m[i].re);
		free(sel->m[i].name);
		free(sel->m[i].value);
	}
	free(sel->m);
	free(sel->profile_type);
	free(sel);
}

void selector_free(struct selector *sel)
{
	if (sel)
		sel_destroy(sel, sel->nm);
}

int selector_parse(const char *s, size_t len, struct selector **out, struct err *e)
{
	struct parser p = {.c = {.s = s, .len = len, .what = "selector", .e = e}};
	size_t i;
	int rc;

	*out = NULL;
	if (len > SELECTOR_MAX_LEN)
		return err_set(e, -EINVAL, "selector: %zu bytes, limit is %d",
			       len, SELECTOR_MAX_LEN);
	p.sel = xcalloc(1, sizeof(*p.sel));
	/* Regexes are compiled once the matcher array stops moving: POSIX
	 * does not promise that a regex_t may be copied. */
	rc = parse_selector(&p);
	for (i = 0; !rc && i < p.sel->nm; i++)
		if (is_regex(&p.sel->m[i]) && (rc = compile_one(&p, i)) < 0)
			break;
	if (rc < 0) {
		/* Matchers from i on hold no compiled regex. */
		sel_destroy(p.sel, i);
		return rc;
	}
	*out = p.sel;
	return 0;
}

int matcher_match(const struct matcher *m, const char *value)
{
	if (!value)
		value = "";
	switch (m->op) {
	case MATCH_EQ:
		return !strcmp(m->value, value);
	case MATCH_NE:
		return strcmp(m->value, value) != 0;
	case MATCH_RE:
		return !regexec(&m->re, value, 0, NULL, 0);
	case MATCH_NRE:
		return regexec(&m->re, value, 0, NULL, 0) != 0;
	}
	return 0;
}

/* ---- durations ---- */

/* Longest first where one unit prefixes another ("ms" before "m"). */
static const struct {
	const char *name;
	int64_t ns;
} units[] = {
	{"ns", 1},
	{"us", 1000},
	{"\xc2\xb5s", 1000}, /* U+00B5 MICRO SIGN, as Go accepts */
	{"\xce\xbcs", 1000}, /* U+03BC GREEK SMALL LETTER MU, likewise */
	{"ms", 1000000},
	{"s", NS_PER_S},
	{"m", 60 * NS_PER_S},
	{"h", 3600 * NS_PER_S},
	{"d", 86400 * NS_PER_S},
	{"w", 7 * 86400 * NS_PER_S},
};

/* Read decimal digits (at least one) into *v; more than INT64_MAX fails. */
static int parse_uint(struct cur *c, int64_t *v)
{
	size_t start = c->pos;
	char show[16];
	int64_t n = 0, d;

	if (!is_digit(peek(c)))
		return fail_at(c, c->pos, "expected a number, got %s", show_next(c, show));
	while (is_digit(peek(c))) {
		d = peek(c) - '0';
		if (n > (INT64_MAX - d) / 10)
			return fail_at(c, start, "number too large");
		n = n * 10 + d;
		c->pos++;
	}
	*v = n;
	return 0;
}

static int parse_unit(struct cur *c, int64_t *ns)
{
	size_t i, n;
	char show[16];

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].name);
		if (c->len - c->pos >= n && !memcmp(c->s + c->pos, units[i].name, n)) {
			c->pos += n;
			*ns = units[i].ns;
			return 0;
		}
	}
	return fail_at(c, c->pos, "expected a unit (ns, us, ms, s, m, h, d, w), got %s",
		       show_next(c, show));
}

static int all_digits(const struct cur *c)
{
	size_t i;

	for (i = c->pos; i < c->len; i++)
		if (!is_digit((unsigned char)c->s[i]))
			return 0;
	return i > c->pos;
}

/* The rest of c as a duration: <int><unit>..., or bare seconds. */
static int parse_duration(struct cur *c, int64_t *out)
{
	int64_t total = 0, n, unit = 0;
	size_t start;
	int rc;

	if (at_end(c))
		return fail_at(c, c->pos, "empty duration");
	if (all_digits(c)) {
		start = c->pos;
		if ((rc = parse_uint(c, &n)) < 0)
			return rc;
		if (__builtin_mul_overflow(n, NS_PER_S, out))
			return fail_at(c, start, "duration too large");
		return 0;
	}
	while (!at_end(c)) {
		start = c->pos;
		if ((rc = parse_uint(c, &n)) < 0 || (rc = parse_unit(c, &unit)) < 0)
			return rc;
		if (__builtin_mul_overflow(n, unit, &n) ||
		    __builtin_add_overflow(total, n, &total))
			return fail_at(c, start, "duration too large");
	}
	*out = total;
	return 0;
}

int duration_parse(const char *s, size_t len, int64_t *out, struct err *e)
{
	struct cur c = {.s = s, .len = len, .what = "duration", .e = e};

	return parse_duration(&c, out);
}

/* ---- times ---- */

/* Digit count tells the Unix unit apart: seconds fill 10 digits until 2286,
 * and each finer unit adds three. */
static const struct {
	size_t max_digits;
	int64_t scale;
} unix_units[] = {
	{10, NS_PER_S}, {13, 1000000}, {16, 1000}, {19, 1},
};

static int parse_unix(struct cur *c, int64_t *out)
{
	size_t i, digits = c->len;
	int64_t n;
	int rc;

	for (i = 0; i < sizeof(unix_units) / sizeof(unix_units[0]); i++)
		if (digits <= unix_units[i].max_digits)
			break;
	if (i == sizeof(unix_units) / sizeof(unix_units[0]))
		return fail_at(c, 0, "%zu digits: Unix times have at most 19 "
			       "(nanoseconds)", digits);
	if ((rc = parse_uint(c, &n)) < 0)
		return rc;
	if (__builtin_mul_overflow(n, unix_units[i].scale, out))
		return fail_at(c, 0, "time out of range");
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): timegm() without the TZ machinery. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int64_t m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

/* Read exactly `width` digits into *v. */
static int fixed_digits(struct cur *c, unsigned width, const char *name, int64_t *v)
{
	unsigned i;

	*v = 0;
	for (i = 0; i < width; i++) {
		if (!is_digit(peek(c)))
			return fail_at(c, c->pos, "expected the %u-digit %s", width, name);
		*v = *v * 10 + (peek(c) - '0');
		c->pos++;
	}
	return 0;
}

/* The fields of "YYYY-MM-DDTHH:MM:SS", each followed by one of `seps`. */
static const struct {
	unsigned width;
	int min, max;
	const char *name;
	const char *seps, *seps_msg;
} date_fields[] = {
	{4, 0, 9999, "year", "-", "'-'"},
	{2, 1, 12, "month", "-", "'-'"},
	{2, 1, 31, "day", "Tt ", "'T' or ' '"},
	{2, 0, 23, "hour", ":", "':'"},
	{2, 0, 59, "minute", ":", "':'"},
	{2, 0, 59, "second", "", ""},
};

#define NFIELDS (sizeof(date_fields) / sizeof(date_fields[0]))

static int parse_fields(struct cur *c, int64_t v[NFIELDS])
{
	size_t i, pos;
	int rc;

	for (i = 0; i < NFIELDS; i++) {
		pos = c->pos;
		if ((rc = fixed_digits(c, date_fields[i].width, date_fields[i].name, &v[i])) < 0)
			return rc;
		if (v[i] < date_fields[i].min || v[i] > date_fields[i].max)
			return fail_at(c, pos, "%s %lld out of range", date_fields[i].name,
				       (long long)v[i]);
		if (!date_fields[i].seps[0])
			continue;
		if (at_end(c) || !strchr(date_fields[i].seps, c->s[c->pos]) ||
		    !c->s[c->pos])
			return fail_at(c, c->pos, "expected %s after the %s",
				       date_fields[i].seps_msg, date_fields[i].name);
		c->pos++;
	}
	if (v[2] > days_in_month(v[0], v[1]))
		return fail_at(c, 8, "day %lld out of range for %04lld-%02lld",
			       (long long)v[2], (long long)v[0], (long long)v[1]);
	return 0;
}

/* ".123456789" (optional) as nanoseconds. */
static int parse_fraction(struct cur *c, int64_t *ns)
{
	size_t start;
	int digits = 0;

	*ns = 0;
	if (peek(c) != '.')
		return 0;
	start = ++c->pos;
	for (; is_digit(peek(c)); c->pos++) {
		if (++digits > 9)
			return fail_at(c, start, "more than 9 fractional digits");
		*ns = *ns * 10 + (peek(c) - '0');
	}
	if (!digits)
		return fail_at(c, start, "expected digits after '.'");
	for (; digits < 9; digits++)
		*ns *= 10;
	return 0;
}

/* "Z" or "+HH:MM" / "-HH:MM" as seconds east of UTC. */
static int parse_offset(struct cur *c, int64_t *off)
{
	size_t pos = c->pos;
	int64_t h, m;
	int sign = peek(c), rc;

	*off = 0;
	if (sign == 'Z' || sign == 'z') {
		c->pos++;
		return 0;
	}
	if (sign != '+' && sign != '-')
		return fail_at(c, pos, "expected 'Z' or a +HH:MM offset");
	c->pos++;
	if ((rc = fixed_digits(c, 2, "offset hour", &h)) < 0)
		return rc;
	if (peek(c) != ':')
		return fail_at(c, c->pos, "expected ':' in the offset");
	c->pos++;
	if ((rc = fixed_digits(c, 2, "offset minute", &m)) < 0)
		return rc;
	if (h > 23 || m > 59)
		return fail_at(c, pos, "offset out of range");
	*off = (sign == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

static int parse_rfc3339(struct cur *c, int64_t *out)
{
	int64_t v[NFIELDS], frac, off, secs, ns;
	char show[16];
	int rc;

	if ((rc = parse_fields(c, v)) < 0 || (rc = parse_fraction(c, &frac)) < 0 ||
	    (rc = parse_offset(c, &off)) < 0)
		return rc;
	if (!at_end(c))
		return fail_at(c, c->pos, "unexpected %s after the time", show_next(c, show));
	/* Years 0-9999 keep secs far inside int64; only the ns step can overflow. */
	secs = days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 +
	       v[5] - off;
	if (__builtin_mul_overflow(secs, NS_PER_S, &ns) ||
	    __builtin_add_overflow(ns, frac, out))
		return fail_at(c, 0, "time out of range (1677-09-21 to 2262-04-11 in nanoseconds)");
	return 0;
}

/* "now", "now-<duration>", "now+<duration>". */
static int parse_now(struct cur *c, int64_t now_ns, int64_t *out)
{
	int64_t d;
	int sign, rc;

	c->pos = 3;
	if (at_end(c)) {
		*out = now_ns;
		return 0;
	}
	sign = peek(c);
	if (sign != '-' && sign != '+')
		return fail_at(c, c->pos, "expected '-' or '+' after \"now\"");
	c->pos++;
	if ((rc = parse_duration(c, &d)) < 0)
		return rc;
	if (sign == '-' ? __builtin_sub_overflow(now_ns, d, out)
			: __builtin_add_overflow(now_ns, d, out))
		return fail_at(c, 0, "time out of range");
	return 0;
}

int time_parse(const char *s, size_t len, int64_t now_ns, int64_t *out, struct err *e)
{
	struct cur c = {.s = s, .len = len, .what = "time", .e = e};
	size_t digits = 0;

	if (!len)
		return fail_at(&c, 0, "empty time");
	if (len >= 3 && !memcmp(s, "now", 3))
		return parse_now(&c, now_ns, out);
	if (s[0] == '-')
		return fail_at(&c, 0, "negative times are not accepted");
	while (digits < len && is_digit((unsigned char)s[digits]))
		digits++;
	if (digits == len)
		return parse_unix(&c, out);
	if (digits == 4 && s[4] == '-')
		return parse_rfc3339(&c, out);
	return fail_at(&c, 0, "\"%.*s\" is not a time: expected Unix seconds, "
		       "milliseconds, microseconds or nanoseconds, RFC 3339, "
		       "\"now\" or \"now-<duration>\"", (int)(len > 64 ? 64 : len), s);
}
