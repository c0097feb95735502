/* multipart: multipart/form-data bodies (see multipart.h).
 *
 * The body is untrusted bytes from the network: every scan is bounded by
 * len, nothing relies on a terminator, and header values are copied into
 * bounded buffers before any libc string function sees them.
 *
 * Decisions worth knowing:
 *  - A delimiter line is "--" boundary at the start of the body or right
 *    after a LF, followed by optional blanks (transport padding) and CRLF
 *    or LF; the close delimiter is "--" boundary "--" and anything after it
 *    (the epilogue) is ignored. "--" boundary followed by anything else is
 *    data, as in Go's mime/multipart, so data may hold "--" and CR/LF.
 *  - A part's data ends before the CRLF (or LF) that precedes the next
 *    delimiter. A delimiter right after the part's headers means empty data.
 *  - Headers: "Name: value" lines up to an empty line, names matched
 *    case-insensitively; obsolete line folding (continuation lines starting
 *    with a blank) is joined. Headers other than Content-Disposition and
 *    Content-Type are ignored.
 *  - Content-Disposition must be "form-data" with a non-empty name;
 *    parameter values may be tokens or quoted strings with backslash
 *    escapes; other parameters (filename*, ...) are ignored. A repeated
 *    name or filename parameter, or a repeated header, is an error.
 *  - A body with no part at all (close delimiter first) is an error: the
 *    RFC requires one part and callers need one.
 */
#include "multipart.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MP_MAX_BOUNDARY 70
#define MP_MAX_HEADERS 8192

/* Character classes by hand: <ctype.h> would follow the locale. */
static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* RFC 2046 bchars (space is allowed, but not last). */
static int is_bchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '\'' || c == '(' || c == ')' ||
	       c == '+' || c == '_' || c == ',' || c == '-' || c == '.' ||
	       c == '/' || c == ':' || c == '=' || c == '?' || c == ' ';
}

/* RFC 7230 tchar, for unquoted parameter values and names. */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int ieq(const char *a, size_t an, const char *b)
{
	size_t i, bn = strlen(b);

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int boundary_valid(const char *b, size_t n)
{
	size_t i;

	if (n < 1 || n > MP_MAX_BOUNDARY || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return 0;
	return 1;
}

/* ---- parameters: `; name=value` lists (Content-Type, Content-Disposition) */

struct pcur {
	const char *s;
	size_t len, pos;
};

static void skip_blanks(struct pcur *c)
{
	while (c->pos < c->len && is_blank((unsigned char)c->s[c->pos]))
		c->pos++;
}

/* Read one value (token or quoted string) at c into out (NUL-terminated,
 * outsz bytes). Returns 0, -EINVAL when malformed, -ENAMETOOLONG when it
 * does not fit; *vlen gets the decoded length either way it got that far. */
static int read_value(struct pcur *c, char *out, size_t outsz, size_t *vlen)
{
	size_t n = 0;
	int over = 0;

	if (c->pos < c->len && c->s[c->pos] == '"') {
		c->pos++;
		for (;;) {
			unsigned char ch;

			if (c->pos >= c->len)
				return -EINVAL; /* unterminated quote */
			ch = (unsigned char)c->s[c->pos++];
			if (ch == '"')
				break;
			if (ch == '\\') {
				if (c->pos >= c->len)
					return -EINVAL;
				ch = (unsigned char)c->s[c->pos++];
			}
			if (ch == '\0' || ch == '\r' || ch == '\n')
				return -EINVAL;
			if (n + 1 < outsz)
				out[n] = (char)ch;
			else
				over = 1;
			n++;
		}
	} else {
		while (c->pos < c->len && is_tchar((unsigned char)c->s[c->pos])) {
			if (n + 1 < outsz)
				out[n] = c->s[c->pos];
			else
				over = 1;
			n++;
			c->pos++;
		}
		if (!n)
			return -EINVAL;
	}
	*vlen = n;
	if (over)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return 0;
}

/* At c (just past the previous item): blanks, then ';' and a parameter
 * name and '='. Returns 1 with the name span, 0 at the end, -EINVAL when
 * malformed. A trailing ';' is tolerated. */
static int next_param(struct pcur *c, const char **name, size_t *nlen)
{
	size_t b;

	skip_blanks(c);
	if (c->pos >= c->len)
		return 0;
	if (c->s[c->pos] != ';')
		return -EINVAL;
	c->pos++;
	skip_blanks(c);
	if (c->pos >= c->len)
		return 0;
	b = c->pos;
	while (c->pos < c->len && is_tchar((unsigned char)c->s[c->pos]))
		c->pos++;
	if (c->pos == b)
		return -EINVAL;
	*name = c->s + b;
	*nlen = c->pos - b;
	skip_blanks(c);
	if (c->pos >= c->len || c->s[c->pos] != '=')
		return -EINVAL;
	c->pos++;
	skip_blanks(c);
	return 1;
}

int multipart_boundary(const char *content_type, char *out, size_t outsz,
		       struct err *e)
{
	char v[MP_MAX_BOUNDARY + 2], sh[200];
	struct pcur c;
	const char *pn;
	size_t pl, vl = 0;
	int found = 0, rc;

	if (out && outsz)
		out[0] = '\0';
	if (!content_type || !out)
		return err_set(e, -EINVAL, "multipart: no Content-Type");
	c.s = content_type;
	c.len = strlen(content_type);
	c.pos = 0;
	skip_blanks(&c);
	if (c.len - c.pos < 10 || !ieq(c.s + c.pos, 10, "multipart/"))
		return err_set(e, -EINVAL,
			       "multipart: Content-Type '%s' is not multipart/...",
			       err_show(content_type, c.len, sh));
	while (c.pos < c.len && c.s[c.pos] != ';' && !is_blank((unsigned char)c.s[c.pos]))
		c.pos++;
	while ((rc = next_param(&c, &pn, &pl)) == 1) {
		int is_b = ieq(pn, pl, "boundary");
		char skip[1];

		if (is_b && found)
			return err_set(e, -EINVAL,
				       "multipart: Content-Type has boundary twice");
		rc = is_b ? read_value(&c, v, sizeof(v), &vl)
			  : read_value(&c, skip, sizeof(skip), &pl);
		if (rc == -EINVAL)
			break;
		if (is_b && (rc || vl > MP_MAX_BOUNDARY))
			return err_set(e, -EINVAL,
				       "multipart: boundary is %zu bytes, limit is %d",
				       vl, MP_MAX_BOUNDARY);
		found |= is_b;
	}
	if (rc < 0)
		return err_set(e, -EINVAL,
			       "multipart: malformed parameters at offset %zu of "
			       "Content-Type '%s'", c.pos, err_show(content_type, c.len, sh));
	if (!found)
		return err_set(e, -EINVAL,
			       "multipart: Content-Type '%s' has no boundary parameter",
			       err_show(content_type, c.len, sh));
	if (!boundary_valid(v, vl))
		return err_set(e, -EINVAL,
			       "multipart: boundary '%s' is not 1..%d RFC 2046 characters",
			       err_show(v, vl, sh), MP_MAX_BOUNDARY);
	if (vl + 1 > outsz)
		return err_set(e, -ENOBUFS,
			       "multipart: boundary is %zu bytes, buffer holds %zu",
			       vl, outsz ? outsz - 1 : 0);
	memcpy(out, v, vl + 1);
	return 0;
}

/* ---- body ---- */

struct mp {
	const uint8_t *b;
	size_t len;
	const char *bd; /* boundary */
	size_t bl;
	struct err *e;
};

/* Is there a delimiter line at p (which must be 0 or follow a LF)? Returns
 * 0 if not, 1 for a delimiter (*next = start of the next part's headers),
 * 2 for the close delimiter. */
static int delim_at(const struct mp *m, size_t p, size_t *next)
{
	size_t q = p + 2 + m->bl;

	if (m->len - p < 2 + m->bl || m->b[p] != '-' || m->b[p + 1] != '-' ||
	    memcmp(m->b + p + 2, m->bd, m->bl))
		return 0;
	if (m->len - q >= 2 && m->b[q] == '-' && m->b[q + 1] == '-')
		return 2;
	while (q < m->len && is_blank(m->b[q]))
		q++;
	if (q < m->len && m->b[q] == '\n') {
		*next = q + 1;
		return 1;
	}
	if (m->len - q >= 2 && m->b[q] == '\r' && m->b[q + 1] == '\n') {
		*next = q + 2;
		return 1;
	}
	return 0;
}

/* The first delimiter line at or after from that starts at from or after a
 * LF. Returns its kind (see delim_at), 0 when none; *at gets its offset. */
static int find_delim(const struct mp *m, size_t from, size_t *at, size_t *next)
{
	size_t p = from;
	int k;

	for (;;) {
		const uint8_t *nl;

		if (p >= m->len)
			return 0;
		if ((k = delim_at(m, p, next)))
			break;
		nl = memchr(m->b + p, '\n', m->len - p);
		if (!nl)
			return 0;
		p = (size_t)(nl - m->b) + 1;
	}
	*at = p;
	return k;
}

/* Copy a header value [vb, ve) into out (outsz bytes); error if too long. */
static int copy_field(const struct mp *m, size_t idx, const char *what,
		      const char *v, size_t vl, char *out, size_t outsz)
{
	if (vl + 1 > outsz)
		return err_set(m->e, -EINVAL,
			       "multipart: part %zu: %s is %zu bytes, limit is %zu",
			       idx, what, vl, outsz - 1);
	if (memchr(v, '\0', vl))
		return err_set(m->e, -EINVAL,
			       "multipart: part %zu: %s contains a NUL byte", idx, what);
	memcpy(out, v, vl);
	out[vl] = '\0';
	return 0;
}

/* Content-Disposition: form-data; name="x"; filename="y" */
static int parse_disposition(const struct mp *m, size_t idx, const char *v,
			     size_t vl, struct mpart *pt)
{
	struct pcur c = {v, vl, 0};
	char val[512], sh[200];
	const char *pn;
	size_t pl, dl, n;
	int rc, have_name = 0, have_file = 0;

	while (c.pos < c.len && is_tchar((unsigned char)c.s[c.pos]))
		c.pos++;
	dl = c.pos;
	if (!ieq(v, dl, "form-data"))
		return err_set(m->e, -EINVAL,
			       "multipart: part %zu: Content-Disposition is '%s', want form-data",
			       idx, err_show(v, vl, sh));
	while ((rc = next_param(&c, &pn, &pl)) == 1) {
		int is_name = ieq(pn, pl, "name"), is_file = ieq(pn, pl, "filename");

		if ((is_name && have_name) || (is_file && have_file))
			return err_set(m->e, -EINVAL,
				       "multipart: part %zu: Content-Disposition has %s twice",
				       idx, is_name ? "name" : "filename");
		n = 0;
		rc = read_value(&c, val, sizeof(val), &n);
		if (rc == -EINVAL)
			break;
		if (!is_name && !is_file)
			continue; /* too long is fine for what we ignore */
		if (rc)
			return err_set(m->e, -EINVAL,
				       "multipart: part %zu: %s is %zu bytes, limit is %zu",
				       idx, is_name ? "name" : "filename", n,
				       (is_name ? sizeof(pt->name) : sizeof(pt->filename)) - 1);
		rc = is_name ? copy_field(m, idx, "name", val, n, pt->name, sizeof(pt->name))
			     : copy_field(m, idx, "filename", val, n, pt->filename,
					  sizeof(pt->filename));
		if (rc)
			return rc;
		have_name |= is_name;
		have_file |= is_file;
	}
	if (rc < 0)
		return err_set(m->e, -EINVAL,
			       "multipart: part %zu: malformed Content-Disposition '%s'",
			       idx, err_show(v, vl, sh));
	if (!have_name || !pt->name[0])
		return err_set(m->e, -EINVAL,
			       "multipart: part %zu: Content-Disposition has no name", idx);
	return 0;
}

/* One logical header line (h, hl), folded lines already joined. */
static int header(const struct mp *m, size_t idx, const char *h, size_t hl,
		  struct mpart *pt, int *seen_cd, int *seen_ct)
{
	const char *colon = memchr(h, ':', hl);
	size_t nb = 0, ne, vb, ve = hl;
	char sh[ERR_SHOW_SIZE];

	ne = colon ? (size_t)(colon - h) : 0;
	while (ne > nb && is_blank((unsigned char)h[ne - 1]))
		ne--;
	if (!colon || ne == nb)
		return err_set(m->e, -EINVAL,
			       "multipart: part %zu: malformed header line '%s'", idx,
			       err_show(h, hl, sh));
	vb = ne + 1;
	while (vb < ve && is_blank((unsigned char)h[vb]))
		vb++;
	while (ve > vb && is_blank((unsigned char)h[ve - 1]))
		ve--;
	if (ieq(h, ne, "content-disposition")) {
		if ((*seen_cd)++)
			return err_set(m->e, -EINVAL,
				       "multipart: part %zu: Content-Disposition given twice", idx);
		return parse_disposition(m, idx, h + vb, ve - vb, pt);
	}
	if (ieq(h, ne, "content-type")) {
		if ((*seen_ct)++)
			return err_set(m->e, -EINVAL,
				       "multipart: part %zu: Content-Type given twice", idx);
		return copy_field(m, idx, "Content-Type", h + vb, ve - vb,
				  pt->content_type, sizeof(pt->content_type));
	}
	return 0;
}

/* The headers of part idx from p; *data gets where its data starts. */
static int headers(const struct mp *m, size_t idx, size_t p, size_t *data,
		   struct mpart *pt)
{
	char line[MP_MAX_HEADERS];
	size_t ll = 0, start = p;
	int have = 0, seen_cd = 0, seen_ct = 0, rc;

	for (;;) {
		const uint8_t *nl = memchr(m->b + p, '\n', m->len - p);
		size_t e, q;

		if (!nl)
			return err_set(m->e, -EINVAL,
				       "multipart: part %zu: headers not terminated by an empty line",
				       idx);
		q = (size_t)(nl - m->b) + 1;
		if (q - start > MP_MAX_HEADERS)
			return err_set(m->e, -EINVAL,
				       "multipart: part %zu: headers over %d bytes", idx,
				       MP_MAX_HEADERS);
		e = (size_t)(nl - m->b);
		if (e > p && m->b[e - 1] == '\r')
			e--;
		if (e > p && is_blank(m->b[p]) && have) {
			/* Folded continuation: join with one space. */
			line[ll++] = ' ';
			while (p < e && is_blank(m->b[p]))
				p++;
		} else {
			if (have) {
				rc = header(m, idx, line, ll, pt, &seen_cd, &seen_ct);
				if (rc)
					return rc;
			}
			have = e > p;
			ll = 0;
		}
		/* Fits: the headers so far are under MP_MAX_HEADERS bytes. */
		memcpy(line + ll, m->b + p, e - p);
		ll += e - p;
		p = q;
		if (!have)
			break;
	}
	if (!seen_cd)
		return err_set(m->e, -EINVAL,
			       "multipart: part %zu: missing Content-Disposition", idx);
	*data = p;
	return 0;
}

int multipart_parse(const uint8_t *body, size_t len, const char *boundary,
		    struct mpart *parts, size_t *n, struct err *e)
{
	struct mp m;
	size_t at, next, np = 0;
	char sh[ERR_SHOW_SIZE];
	int k, rc;

	if (n)
		*n = 0;
	if (!boundary || !parts || !n || (!body && len))
		return err_set(e, -EINVAL, "multipart: invalid arguments");
	m.b = body;
	m.len = len;
	m.bd = boundary;
	m.bl = strnlen(boundary, MP_MAX_BOUNDARY + 1);
	m.e = e;
	if (!boundary_valid(boundary, m.bl))
		return err_set(e, -EINVAL,
			       "multipart: boundary '%s' is not 1..%d RFC 2046 characters",
			       err_show(boundary, m.bl, sh), MP_MAX_BOUNDARY);
	k = body ? find_delim(&m, 0, &at, &next) : 0;
	if (!k)
		return err_set(e, -EINVAL,
			       "multipart: boundary '--%s' not found in the body",
			       err_show(boundary, m.bl, sh));
	if (k == 2)
		return err_set(e, -EINVAL,
			       "multipart: no parts (close delimiter first)");
	for (;;) {
		struct mpart *pt;
		size_t data, end;

		if (np == MULTIPART_MAX_PARTS)
			return err_set(e, -EINVAL, "multipart: more than %d parts",
				       MULTIPART_MAX_PARTS);
		pt = &parts[np];
		memset(pt, 0, sizeof(*pt));
		rc = headers(&m, np + 1, next, &data, pt);
		if (rc)
			return rc;
		k = find_delim(&m, data, &at, &next);
		if (!k)
			return err_set(e, -EINVAL,
				       "multipart: part %zu ('%s'): no closing boundary '--%s'",
				       np + 1, err_show(pt->name, strlen(pt->name), sh),
				       boundary);
		end = at;
		if (end > data) {
			end--; /* the LF before the delimiter */
			if (end > data && body[end - 1] == '\r')
				end--;
		}
		pt->data = body + data;
		pt->len = end - data;
		np++;
		if (k == 2)
			break;
	}
	*n = np;
	return 0;
}

const struct mpart *multipart_find(const struct mpart *parts, size_t n,
				   const char *name)
{
	size_t i;

	if (!parts || !name)
		return NULL;
	for (i = 0; i < n; i++)
		if (!strcmp(parts[i].name, name))
			return &parts[i];
	return NULL;
}
