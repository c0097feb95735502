/* relabel: Prometheus relabelling (model/relabel/relabel.go) over a label
 * set, with POSIX extended regexes.
 *
 * Each regex is compiled as "^(" regex ")$": anchored like Prometheus'
 * "^(?s:regex)$", but the wrapper is a capturing group, so regmatch index
 * k + 1 holds the user's group k (and index 1, like 0, the whole match).
 *
 * Templates (replacement, and a replace rule's target_label) expand as Go's
 * regexp.Expand: $name or ${name}, name = letters, digits and '_', taken as
 * long as possible ($1x is ${1x}, not ${1}x); a purely numeric name without
 * a leading zero is a group number; any other name, a group that does not
 * exist or did not participate expands to nothing (POSIX has no named
 * groups); "$$" is a literal '$'; a '$' not followed by a valid name is
 * kept as it is.
 *
 * Differences from Prometheus that come from the regex engine: POSIX
 * submatches are leftmost-longest where RE2's are leftmost-first, and RE2
 * syntax (\d, (?i), non-greedy) is not available. Label names must match
 * [a-zA-Z_][a-zA-Z0-9_]* (Prometheus' legacy validation). */
#include "relabel.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/xalloc.h"

/* ---- label sets ---- */

/* Index of name, or where it would be inserted (*found = 0). */
static size_t ls_find(const struct labelset *s, const char *name, int *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->l[mid].name, name);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

void labelset_set(struct labelset *s, const char *name, const char *value)
{
	int found;
	size_t i = ls_find(s, name, &found);
	char *v = xstrdup(value ? value : "");

	if (found) {
		free((char *)s->l[i].value);
		s->l[i].value = v;
		return;
	}
	XGROW(s->l, s->cap, s->n + 1);
	memmove(&s->l[i + 1], &s->l[i], (s->n - i) * sizeof(*s->l));
	s->l[i].name = xstrdup(name);
	s->l[i].value = v;
	s->n++;
}

const char *labelset_get(const struct labelset *s, const char *name)
{
	int found;
	size_t i = ls_find(s, name, &found);

	return found ? s->l[i].value : NULL;
}

static void ls_remove_at(struct labelset *s, size_t i)
{
	free((char *)s->l[i].name);
	free((char *)s->l[i].value);
	memmove(&s->l[i], &s->l[i + 1], (s->n - i - 1) * sizeof(*s->l));
	s->n--;
}

void labelset_del(struct labelset *s, const char *name)
{
	int found;
	size_t i = ls_find(s, name, &found);

	if (found)
		ls_remove_at(s, i);
}

void labelset_release(struct labelset *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free((char *)s->l[i].name);
		free((char *)s->l[i].value);
	}
	free(s->l);
	s->l = NULL;
	s->n = s->cap = 0;
}

/* ---- MD5 (RFC 1321), for hashmod ---- */

struct md5 {
	uint32_t h[4];
	uint64_t len;
	uint8_t blk[64];
	size_t nblk;
};

static uint32_t rol32(uint32_t x, int c)
{
	return (x << c) | (x >> (32 - c));
}

static void md5_block(uint32_t h[4], const uint8_t *p)
{
	static const uint32_t K[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf,
		0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af,
		0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e,
		0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
		0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6,
		0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
		0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
		0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
		0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
		0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97,
		0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
		0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
		0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
	};
	static const int R[64] = {
		7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
		5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
		4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
		6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
	};
	uint32_t m[16], a = h[0], b = h[1], c = h[2], d = h[3], f, t;
	int i, g;

	for (i = 0; i < 16; i++)
		m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) & 15;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) & 15;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) & 15;
		}
		t = d;
		d = c;
		c = b;
		b = b + rol32(a + f + K[i] + m[g], R[i]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

static void md5_init(struct md5 *s)
{
	s->h[0] = 0x67452301;
	s->h[1] = 0xefcdab89;
	s->h[2] = 0x98badcfe;
	s->h[3] = 0x10325476;
	s->len = 0;
	s->nblk = 0;
}

static void md5_update(struct md5 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	s->len += n;
	while (n) {
		size_t take = 64 - s->nblk;

		if (take > n)
			take = n;
		memcpy(s->blk + s->nblk, p, take);
		s->nblk += take;
		p += take;
		n -= take;
		if (s->nblk == 64) {
			md5_block(s->h, s->blk);
			s->nblk = 0;
		}
	}
}

static void md5_final(struct md5 *s, uint8_t out[16])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (s->nblk < 56 ? 56 : 120) - s->nblk;
	int i;

	for (i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (uint8_t)(bits >> (8 * i));
	md5_update(s, pad, padlen + 8);
	for (i = 0; i < 16; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (8 * (i % 4)));
}

/* Prometheus: md5.Sum(val), binary.BigEndian.Uint64(sum[8:]) % modulus. */
static uint64_t hashmod(const char *s, size_t n, uint64_t modulus)
{
	struct md5 m;
	uint8_t sum[16];
	uint64_t v = 0;
	int i;

	md5_init(&m);
	md5_update(&m, s, n);
	md5_final(&m, sum);
	for (i = 8; i < 16; i++)
		v = v << 8 | sum[i];
	return v % modulus;
}

/* ---- compiled rules ---- */

struct rrule {
	enum relabel_action action;
	char **src;
	size_t nsrc;
	char *sep, *target, *repl;
	uint64_t modulus;
	regex_t re;
	size_t nmatch;  /* re_nsub + 1: the wrapper group included */
};

struct relabeler {
	struct rrule *r;
	size_t n;
};

static int valid_label_name(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 c == '_' || (i && c >= '0' && c <= '9');

		if (!ok)
			return 0;
	}
	return 1;
}

static const char *action_name(enum relabel_action a)
{
	switch (a) {
	case RELABEL_REPLACE: return "replace";
	case RELABEL_KEEP: return "keep";
	case RELABEL_DROP: return "drop";
	case RELABEL_LABELMAP: return "labelmap";
	case RELABEL_LABELDROP: return "labeldrop";
	case RELABEL_LABELKEEP: return "labelkeep";
	case RELABEL_HASHMOD: return "hashmod";
	}
	return "?";
}

static void rule_release(struct rrule *r, int has_re)
{
	size_t i;

	for (i = 0; i < r->nsrc; i++)
		free(r->src[i]);
	free(r->src);
	free(r->sep);
	free(r->target);
	free(r->repl);
	if (has_re)
		regfree(&r->re);
}

void relabel_free(struct relabeler *rl)
{
	size_t i;

	if (!rl)
		return;
	for (i = 0; i < rl->n; i++)
		rule_release(&rl->r[i], 1);
	free(rl->r);
	free(rl);
}

static int compile_one(const struct relabel_rule *in, size_t idx,
		       struct rrule *r, struct err *e)
{
	const char *re = in->regex ? in->regex : "(.*)";
	struct buf pat = BUF_INIT;
	char where[64];
	size_t i;
	int rc;

	if (in->line > 0)
		snprintf(where, sizeof(where), "line %d", in->line);
	else
		snprintf(where, sizeof(where), "rule %zu", idx + 1);

	switch (in->action) {
	case RELABEL_REPLACE:
	case RELABEL_KEEP:
	case RELABEL_DROP:
	case RELABEL_LABELMAP:
	case RELABEL_LABELDROP:
	case RELABEL_LABELKEEP:
	case RELABEL_HASHMOD:
		break;
	default:
		return err_set(e, -EINVAL, "relabel %s: unknown action %d", where,
			       (int)in->action);
	}
	if ((in->action == RELABEL_REPLACE || in->action == RELABEL_HASHMOD) &&
	    (!in->target_label || !*in->target_label))
		return err_set(e, -EINVAL,
			       "relabel %s: action %s needs a target_label", where,
			       action_name(in->action));
	if (in->action == RELABEL_REPLACE && !strchr(in->target_label, '$') &&
	    !valid_label_name(in->target_label, strlen(in->target_label)))
		return err_set(e, -EINVAL,
			       "relabel %s: '%s' is not a valid target_label "
			       "(use [a-zA-Z_][a-zA-Z0-9_]*)",
			       where, in->target_label);
	if (in->action == RELABEL_HASHMOD) {
		if (!valid_label_name(in->target_label, strlen(in->target_label)))
			return err_set(e, -EINVAL,
				       "relabel %s: '%s' is not a valid target_label "
				       "for hashmod", where, in->target_label);
		if (!in->modulus)
			return err_set(e, -EINVAL,
				       "relabel %s: hashmod needs a non-zero modulus",
				       where);
	}
	if ((in->action == RELABEL_LABELDROP || in->action == RELABEL_LABELKEEP) &&
	    (in->nsource || in->target_label))
		return err_set(e, -EINVAL,
			       "relabel %s: %s takes only 'regex' (no source_labels "
			       "or target_label)", where, action_name(in->action));

	buf_puts(&pat, "^(");
	buf_puts(&pat, re);
	buf_puts(&pat, ")$");
	rc = regcomp(&r->re, (const char *)pat.data, REG_EXTENDED);
	buf_release(&pat);
	if (rc) {
		char msg[256];

		regerror(rc, &r->re, msg, sizeof(msg));
		return err_set(e, -EINVAL, "relabel %s: regex '%s': %s", where, re,
			       msg);
	}
	r->nmatch = r->re.re_nsub + 1;
	r->action = in->action;
	r->modulus = in->modulus;
	r->sep = xstrdup(in->separator ? in->separator : ";");
	r->repl = xstrdup(in->replacement ? in->replacement : "$1");
	r->target = in->target_label ? xstrdup(in->target_label) : NULL;
	r->nsrc = in->nsource;
	r->src = xcalloc(in->nsource + 1, sizeof(*r->src));
	for (i = 0; i < in->nsource; i++)
		r->src[i] = xstrdup(in->source_labels[i] ? in->source_labels[i] : "");
	return 0;
}

int relabel_compile(const struct relabel_rule *rules, size_t n,
		    struct relabeler **out, struct err *e)
{
	struct relabeler *rl = xcalloc(1, sizeof(*rl));
	size_t i;
	int rc;

	*out = NULL;
	rl->r = xcalloc(n + 1, sizeof(*rl->r));
	for (i = 0; i < n; i++) {
		rc = compile_one(&rules[i], i, &rl->r[i], e);
		if (rc) {
			relabel_free(rl);
			return rc;
		}
		rl->n++;
	}
	*out = rl;
	return 0;
}

/* ---- applying ---- */

#define MATCH_STACK 32

/* Runs r's regex on s; on a match fills m (r->nmatch entries). */
static int rule_match(const struct rrule *r, const char *s, regmatch_t *m)
{
	return regexec(&r->re, s, r->nmatch, m, 0) == 0;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Go's regexp.Expand of tmpl against the match m of s (see the top). */
static void expand(const char *tmpl, const char *s, const regmatch_t *m,
		   size_t nmatch, struct buf *out)
{
	const char *p = tmpl;

	buf_reset(out);
	while (*p) {
		const char *dollar = strchr(p, '$'), *name, *rest;
		size_t nlen, k;
		long num;

		if (!dollar) {
			buf_puts(out, p);
			break;
		}
		buf_append(out, p, (size_t)(dollar - p));
		p = dollar + 1;
		if (*p == '$') {
			buf_putc(out, '$');
			p++;
			continue;
		}
		if (*p == '{') {
			name = p + 1;
			for (nlen = 0; is_name_char(name[nlen]); nlen++)
				;
			if (!nlen || name[nlen] != '}') {
				buf_putc(out, '$'); /* malformed: literal */
				continue;
			}
			rest = name + nlen + 1;
		} else {
			name = p;
			for (nlen = 0; is_name_char(name[nlen]); nlen++)
				;
			if (!nlen) {
				buf_putc(out, '$');
				continue;
			}
			rest = name + nlen;
		}
		p = rest;
		num = 0;
		for (k = 0; k < nlen; k++) {
			if (name[k] < '0' || name[k] > '9' || num >= 100000000L) {
				num = -1;
				break;
			}
			num = num * 10 + (name[k] - '0');
		}
		if (name[0] == '0' && nlen > 1)
			num = -1;
		/* The user's group num is index num + 1 (the wrapper is 1). */
		if (num >= 0 && (size_t)num + 1 < nmatch && m[num + 1].rm_so >= 0)
			buf_append(out, s + m[num + 1].rm_so,
				   (size_t)(m[num + 1].rm_eo - m[num + 1].rm_so));
	}
}

static void join_sources(const struct rrule *r, const struct labelset *s,
			 struct buf *out)
{
	size_t i;

	buf_reset(out);
	buf_putc(out, 0);
	buf_reset(out); /* data is non-NULL and "" from here on */
	for (i = 0; i < r->nsrc; i++) {
		const char *v = labelset_get(s, r->src[i]);

		if (i)
			buf_puts(out, r->sep);
		if (v)
			buf_puts(out, v);
	}
}

/* Runs one rule; returns 0 when the target is dropped. */
static int apply_one(const struct rrule *r, struct labelset *s, regmatch_t *m,
		     struct buf *val, struct buf *b1, struct buf *b2)
{
	struct label *snap;
	size_t i, n;
	char num[32];

	switch (r->action) {
	case RELABEL_KEEP:
		join_sources(r, s, val);
		return rule_match(r, (const char *)val->data, m);
	case RELABEL_DROP:
		join_sources(r, s, val);
		return !rule_match(r, (const char *)val->data, m);
	case RELABEL_REPLACE:
		join_sources(r, s, val);
		if (!rule_match(r, (const char *)val->data, m))
			return 1;
		expand(r->target, (const char *)val->data, m, r->nmatch, b1);
		if (!valid_label_name((const char *)b1->data, b1->len) ||
		    strlen((const char *)b1->data) != b1->len)
			return 1;
		expand(r->repl, (const char *)val->data, m, r->nmatch, b2);
		if (!b2->len)
			labelset_del(s, (const char *)b1->data);
		else
			labelset_set(s, (const char *)b1->data,
				     (const char *)b2->data);
		return 1;
	case RELABEL_HASHMOD:
		join_sources(r, s, val);
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)hashmod((const char *)val->data,
						     val->len, r->modulus));
		labelset_set(s, r->target, num);
		return 1;
	case RELABEL_LABELMAP:
		/* Over a snapshot, as Prometheus' Builder.Range does. */
		n = s->n;
		snap = xcalloc(n + 1, sizeof(*snap));
		for (i = 0; i < n; i++) {
			snap[i].name = xstrdup(s->l[i].name);
			snap[i].value = xstrdup(s->l[i].value);
		}
		for (i = 0; i < n; i++) {
			if (!rule_match(r, snap[i].name, m))
				continue;
			expand(r->repl, snap[i].name, m, r->nmatch, b1);
			if (!valid_label_name((const char *)b1->data, b1->len))
				continue;
			if (!*snap[i].value)
				labelset_del(s, (const char *)b1->data);
			else
				labelset_set(s, (const char *)b1->data, snap[i].value);
		}
		for (i = 0; i < n; i++) {
			free((char *)snap[i].name);
			free((char *)snap[i].value);
		}
		free(snap);
		return 1;
	case RELABEL_LABELDROP:
	case RELABEL_LABELKEEP:
		for (i = 0; i < s->n;) {
			int hit = rule_match(r, s->l[i].name, m);

			if (hit == (r->action == RELABEL_LABELDROP))
				ls_remove_at(s, i);
			else
				i++;
		}
		return 1;
	}
	return 1;
}

int relabel_apply(const struct relabeler *rl, struct labelset *s)
{
	struct buf val = BUF_INIT, b1 = BUF_INIT, b2 = BUF_INIT;
	regmatch_t stack[MATCH_STACK], *m;
	size_t i, most = 1;
	int keep = 1;

	if (!rl)
		return 1;
	for (i = 0; i < rl->n; i++)
		if (rl->r[i].nmatch > most)
			most = rl->r[i].nmatch;
	m = most <= MATCH_STACK ? stack : xmalloc(most * sizeof(*m));
	for (i = 0; i < rl->n && keep; i++)
		keep = apply_one(&rl->r[i], s, m, &val, &b1, &b2);
	if (m != stack)
		free(m);
	buf_release(&val);
	buf_release(&b1);
	buf_release(&b2);
	return keep;
}
