/* name: Pyroscope application names, `app.cpu{k=v,...}` (see name.h).
 *
 * The input comes from a URL query parameter: it is not NUL-terminated and
 * may hold any byte, NUL included. The parser walks (s, len) by index, never
 * hands it to libc string functions, and copies out only checked pieces.
 *
 * Decisions beyond Pyroscope's own parser (api/model/labelset), which is
 * more lenient:
 *  - "Spaces" trimmed around the application name, keys and values are the
 *    ASCII blanks Go's strings.TrimSpace removes: ' ', \t, \n, \v, \f, \r.
 *  - A key given twice is an error (Pyroscope keeps the last one).
 *  - Text after '}' is an error, except trailing blanks.
 *  - One empty pair is tolerated only at the end, so "app{k=v,}" and "app{}"
 *    parse, as in Pyroscope; "app{a=b,,c=d}" does not.
 *  - A value may hold any byte but ',', '}', '=' and NUL (NUL could not live
 *    in a C string).
 *  - A `service_name` label overrides the application name as the series'
 *    service_name (Pyroscope does the same in createLabels); it is not kept
 *    among the labels, and its value must not be empty. The application
 *    name before '{' is still required and still gives type_suffix.
 */
#include "name.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"

#define NAME_MAX_INPUT 8192
#define NAME_MAX_LABELS 64
#define NAME_MAX_KEY 128
#define NAME_MAX_VALUE 2048

static const char *const known_types[] = {
	"cpu",          "itimer",         "wall",           "alloc_objects",
	"alloc_space",  "inuse_objects",  "inuse_space",    "goroutines",
	"mutex_count",  "mutex_duration", "block_count",    "block_duration",
	"exceptions",   "lock_count",     "lock_duration",
};

/* Character classes by hand: <ctype.h> would follow the locale. */
static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_app_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-' ||
	       c == '/';
}

static int key_valid(const char *k, size_t n)
{
	size_t i;

	if (!n || !(is_alpha((unsigned char)k[0]) || k[0] == '_'))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* Trim blanks from both ends of [*b, *e). */
static void trim(const char *s, size_t *b, size_t *e)
{
	while (*b < *e && is_blank((unsigned char)s[*b]))
		(*b)++;
	while (*e > *b && is_blank((unsigned char)s[*e - 1]))
		(*e)--;
}

static const char *find_byte(const char *s, size_t b, size_t e, char c)
{
	size_t i;

	for (i = b; i < e; i++)
		if (s[i] == c)
			return s + i;
	return NULL;
}

void name_free(struct app_name *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nlabels; i++) {
		free((char *)n->labels[i].name);
		free((char *)n->labels[i].value);
	}
	free(n->labels);
	free(n->service_name);
	free(n->type_suffix);
	free(n);
}

/* The application name [b, e) (already trimmed) into n. */
static int parse_app(const char *s, size_t b, size_t e, struct app_name *n,
		     struct err *err)
{
	char sh[ERR_SHOW_SIZE], sb[ERR_SHOW_SIZE];
	size_t i, dot, tl;

	if (b == e)
		return err_set(err, -EINVAL,
			       "name: application name is empty (want app.cpu{k=v,...})");
	for (i = b; i < e; i++)
		if (!is_app_char((unsigned char)s[i]))
			return err_set(err, -EINVAL,
				       "name: application name '%s': byte '%s' at offset %zu "
				       "is not allowed (only A-Z a-z 0-9 _ . - /)",
				       err_show(s + b, e - b, sh),
				       err_show(s + i, 1, sb), i);
	/* A known type after the last dot is the profile type. */
	for (dot = e; dot > b && s[dot - 1] != '.'; dot--)
		;
	if (dot > b) {
		tl = e - dot;
		for (i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++) {
			if (strlen(known_types[i]) == tl &&
			    !memcmp(known_types[i], s + dot, tl)) {
				if (dot - 1 == b)
					return err_set(err, -EINVAL,
						       "name: application name is empty "
						       "before '.%s'", known_types[i]);
				n->type_suffix = xstrdup(known_types[i]);
				e = dot - 1;
				break;
			}
		}
	}
	n->service_name = xstrndup(s + b, e - b);
	return 0;
}

/* One key=value pair [b, e) (not trimmed), the idx'th (1-based). */
static int parse_pair(const char *s, size_t b, size_t e, size_t idx,
		      struct app_name *n, size_t *cap, char **override,
		      struct err *err)
{
	const char *eq = find_byte(s, b, e, '=');
	size_t kb = b, ke, vb, ve, i;
	char sh[ERR_SHOW_SIZE];

	if (!eq)
		return err_set(err, -EINVAL, "name: label %zu: '%s' has no '='",
			       idx, err_show(s + b, e - b, sh));
	ke = (size_t)(eq - s);
	vb = ke + 1;
	ve = e;
	trim(s, &kb, &ke);
	trim(s, &vb, &ve);
	if (kb == ke)
		return err_set(err, -EINVAL, "name: label %zu: empty key", idx);
	if (ke - kb > NAME_MAX_KEY)
		return err_set(err, -EINVAL,
			       "name: label %zu: key '%s' is %zu bytes, limit is %d",
			       idx, err_show(s + kb, ke - kb, sh), ke - kb, NAME_MAX_KEY);
	if (!key_valid(s + kb, ke - kb))
		return err_set(err, -EINVAL,
			       "name: label %zu: key '%s' is not a valid label name "
			       "([A-Za-z_][A-Za-z0-9_.]*)",
			       idx, err_show(s + kb, ke - kb, sh));
	if (ve - vb > NAME_MAX_VALUE)
		return err_set(err, -EINVAL,
			       "name: label %zu: value of '%s' is %zu bytes, limit is %d",
			       idx, err_show(s + kb, ke - kb, sh), ve - vb, NAME_MAX_VALUE);
	for (i = vb; i < ve; i++) {
		if (s[i] == '=')
			return err_set(err, -EINVAL,
				       "name: label %zu: value of '%s' contains '='",
				       idx, err_show(s + kb, ke - kb, sh));
		if (s[i] == '\0')
			return err_set(err, -EINVAL,
				       "name: label %zu: value of '%s' contains a NUL byte",
				       idx, err_show(s + kb, ke - kb, sh));
	}
	/* Duplicates: the key is valid, so it holds no NUL and strncmp is safe
	 * against the stored (NUL-terminated) names. */
	if (*override && ke - kb == 12 && !memcmp(s + kb, "service_name", 12))
		goto dup;
	for (i = 0; i < n->nlabels; i++)
		if (strlen(n->labels[i].name) == ke - kb &&
		    !memcmp(n->labels[i].name, s + kb, ke - kb))
			goto dup;
	if (ke - kb == 12 && !memcmp(s + kb, "service_name", 12)) {
		if (vb == ve)
			return err_set(err, -EINVAL,
				       "name: label %zu: service_name is empty", idx);
		*override = xstrndup(s + vb, ve - vb);
		return 0;
	}
	XGROW(n->labels, *cap, n->nlabels + 1);
	n->labels[n->nlabels].name = xstrndup(s + kb, ke - kb);
	n->labels[n->nlabels].value = xstrndup(s + vb, ve - vb);
	n->nlabels++;
	return 0;
dup:
	return err_set(err, -EINVAL, "name: label %zu: key '%s' given twice", idx,
		       err_show(s + kb, ke - kb, sh));
}

/* The labels between '{' at open and the end of input. */
static int parse_labels(const char *s, size_t len, size_t open,
			struct app_name *n, char **override, struct err *err)
{
	const char *close = find_byte(s, open + 1, len, '}');
	size_t cb, pos, end, idx = 0, cap = 0, b, e, i;
	char sh[ERR_SHOW_SIZE];
	int rc;

	if (!close)
		return err_set(err, -EINVAL, "name: missing '}' after '{' at offset %zu",
			       open);
	cb = (size_t)(close - s);
	for (i = cb + 1; i < len; i++)
		if (!is_blank((unsigned char)s[i]))
			return err_set(err, -EINVAL,
				       "name: unexpected text '%s' after '}' at offset %zu",
				       err_show(s + i, len - i, sh), i);
	pos = open + 1;
	for (;;) {
		const char *comma = find_byte(s, pos, cb, ',');

		end = comma ? (size_t)(comma - s) : cb;
		idx++;
		b = pos;
		e = end;
		trim(s, &b, &e);
		if (b == e) {
			/* Empty pair: fine only as the last one ("{}", "{k=v,}"). */
			if (comma)
				return err_set(err, -EINVAL,
					       "name: label %zu: empty (stray ',')", idx);
			break;
		}
		if (idx > NAME_MAX_LABELS)
			return err_set(err, -EINVAL, "name: more than %d labels",
				       NAME_MAX_LABELS);
		rc = parse_pair(s, pos, end, idx, n, &cap, override, err);
		if (rc)
			return rc;
		if (!comma)
			break;
		pos = end + 1;
	}
	return 0;
}

int name_parse(const char *s, size_t len, struct app_name **out, struct err *e)
{
	struct app_name *n;
	char *override = NULL;
	size_t open, b, ae;
	const char *brace;
	int rc;

	if (out)
		*out = NULL;
	if (!out || (!s && len))
		return err_set(e, -EINVAL, "name: invalid arguments");
	if (len > NAME_MAX_INPUT)
		return err_set(e, -EINVAL, "name: %zu bytes, limit is %d", len,
			       NAME_MAX_INPUT);
	brace = s ? find_byte(s, 0, len, '{') : NULL;
	open = brace ? (size_t)(brace - s) : len;
	if (!brace && s && find_byte(s, 0, len, '}'))
		return err_set(e, -EINVAL, "name: '}' without '{'");
	n = xcalloc(1, sizeof(*n));
	b = 0;
	ae = open;
	if (s)
		trim(s, &b, &ae);
	rc = parse_app(s, b, ae, n, e);
	if (!rc && brace)
		rc = parse_labels(s, len, open, n, &override, e);
	if (rc) {
		free(override);
		name_free(n);
		return rc;
	}
	if (override) {
		free(n->service_name);
		n->service_name = override;
	}
	*out = n;
	return 0;
}
