#include "top.h"

#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/sat.h"
#include "../base/intern.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "stacktree.h"

/* Per name. stamp is the last sample that added to cum, so a recursive
 * function counts once per sample; 0 means the name was never on a stack
 * and gets no row. */
struct top_acc {
	int64_t flat, cum;
	uint64_t stamp;
};

struct top {
	struct intern *names;
	struct top_acc *acc;
	size_t nacc, cap_acc;
	uint64_t stamp;     /* samples counted so far, across profiles */
	uint64_t total;     /* sum of |value|, wrapping like the int64 sums */
	char *type;         /* first profile's sample type, for the report */
	struct top_row *rows;
	size_t nrows, cap_rows;
	int rows_valid;
};

static uint64_t mag(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

struct top *top_new(void)
{
	struct top *t = xcalloc(1, sizeof(*t));

	t->names = intern_new(1024);
	return t;
}

void top_free(struct top *t)
{
	if (!t)
		return;
	intern_free(t->names);
	free(t->acc);
	free(t->type);
	free(t->rows);
	free(t);
}

/* Names appear as frames are first resolved; keep acc[] covering them. */
static void top_grow(struct top *t)
{
	size_t n = intern_count(t->names);

	if (n <= t->nacc)
		return;
	XGROW(t->acc, t->cap_acc, n);
	memset(&t->acc[t->nacc], 0, (n - t->nacc) * sizeof(*t->acc));
	t->nacc = n;
}

static void top_count_cum(struct top *t, const uint32_t *ids, uint32_t n,
			  int64_t v)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct top_acc *a = &t->acc[ids[i]];

		if (a->stamp != t->stamp) {
			a->stamp = t->stamp;
			a->cum = sat_add(a->cum, v);
		}
	}
}

static void top_add_sample(struct top *t, struct pprof_frames *f,
			   const struct pprof_profile *p,
			   const struct pprof_sample *s, int64_t v)
{
	const uint32_t *locs = &p->sample_loc[s->loc_off];
	const uint32_t *ids;
	uint32_t i, n;

	t->stamp++;
	t->total = sat_add(t->total, mag(v));
	for (i = 0; i < s->nloc; i++) {
		ids = pprof_frames_get(f, locs[i], &n);
		top_grow(t);
		/* Frames are root first: the leaf is the innermost inlinee. */
		if (i == 0)
			t->acc[ids[n - 1]].flat = sat_add(t->acc[ids[n - 1]].flat, v);
		top_count_cum(t, ids, n, v);
	}
}

static void top_note_type(struct top *t, const struct pprof_profile *p,
			  int vi)
{
	struct pprof_str s = pprof_s(p, p->sample_type[vi].type);

	if (!t->type)
		t->type = xstrndup(s.ptr, s.len);
}

void top_add_pprof(struct top *t, const struct pprof_profile *p, int vi)
{
	struct pprof_frames *f;
	int64_t v;
	size_t i;

	if (vi < 0 || (uint32_t)vi >= p->nsample_type)
		return;
	top_note_type(t, p, vi);
	t->rows_valid = 0;
	f = pprof_frames_new(p, t->names);
	for (i = 0; i < p->nsample; i++) {
		v = p->value[i * p->nsample_type + (uint32_t)vi];
		if (v)
			top_add_sample(t, f, p, &p->sample[i], v);
	}
	pprof_frames_free(f);
}

static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct top_row *ra = a, *rb = b;
	const struct top *t = arg;
	uint64_t fa = mag(ra->flat), fb = mag(rb->flat);
	uint64_t ca = mag(ra->cum), cb = mag(rb->cum);
	const char *sa, *sb;
	size_t la, lb;
	int c;

	if (fa != fb)
		return fa > fb ? -1 : 1;
	sa = top_name(t, ra->name, &la);
	sb = top_name(t, rb->name, &lb);
	c = memcmp(sa, sb, la < lb ? la : lb);
	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return (ca < cb) - (ca > cb);
}

const struct top_row *top_rows(struct top *t, size_t *n)
{
	uint32_t i;

	if (!t->rows_valid) {
		t->nrows = 0;
		XGROW(t->rows, t->cap_rows, t->nacc + 1);
		for (i = 0; i < t->nacc; i++) {
			if (!t->acc[i].stamp)
				continue;
			t->rows[t->nrows].name = i;
			t->rows[t->nrows].flat = t->acc[i].flat;
			t->rows[t->nrows].cum = t->acc[i].cum;
			t->nrows++;
		}
		qsort_r(t->rows, t->nrows, sizeof(*t->rows), row_cmp, t);
		t->rows_valid = 1;
	}
	*n = t->nrows;
	return t->rows;
}

int64_t top_total(const struct top *t)
{
	return (int64_t)t->total;
}

const char *top_name(const struct top *t, uint32_t name, size_t *len)
{
	return intern_key(t->names, name, len);
}

/* ---- reports ---- */

/* A value as pprof prints it, right-aligned in a column of width w. */
static void top_put_amount(struct buf *out, int64_t v, const char *unit,
			   const char *to, int w)
{
	struct buf num = BUF_INIT;

	units_label_to(&num, v, unit, to);
	buf_printf(out, "%*s", w, num.data ? (char *)num.data : "");
	buf_release(&num);
}

static void top_put_header(struct top *t, const char *unit, const char *to,
			   size_t shown, size_t nrows, int64_t shown_flat,
			   struct buf *out)
{
	struct buf pct = BUF_INIT;
	const char *p;

	if (t->type)
		buf_printf(out, "Type: %s\n", t->type);
	units_percent(&pct, shown_flat, top_total(t));
	for (p = (const char *)pct.data; *p == ' '; p++)
		;
	buf_puts(out, "Showing nodes accounting for ");
	units_label_to(out, shown_flat, unit, to);
	buf_printf(out, ", %s of ", p);
	units_label_to(out, top_total(t), unit, to);
	buf_puts(out, " total\n");
	if (shown < nrows)
		buf_printf(out, "Showing top %zu nodes out of %zu\n", shown, nrows);
	buf_puts(out, "      flat  flat%   sum%        cum   cum%\n");
	buf_release(&pct);
}

/* pprof's row: "%10s %s %s %10s %s  %s" (flat, flat%, sum%, cum, cum%, name). */
static void top_put_row(struct top *t, const struct top_row *r,
			const char *unit, const char *to, int64_t sum,
			struct buf *out)
{
	const char *name;
	size_t len;

	top_put_amount(out, r->flat, unit, to, 10);
	buf_putc(out, ' ');
	units_percent(out, r->flat, top_total(t));
	buf_putc(out, ' ');
	units_percent(out, sum, top_total(t));
	buf_putc(out, ' ');
	top_put_amount(out, r->cum, unit, to, 10);
	buf_putc(out, ' ');
	units_percent(out, r->cum, top_total(t));
	buf_puts(out, "  ");
	name = top_name(t, r->name, &len);
	buf_append(out, name, len);
	buf_putc(out, '\n');
}

static size_t top_shown(size_t nrows, size_t limit)
{
	return limit && limit < nrows ? limit : nrows;
}

void top_write_text(struct top *t, const char *unit, size_t limit,
		    struct buf *out)
{
	size_t n, shown, i;
	const struct top_row *r = top_rows(t, &n);
	int64_t shown_flat = 0, sum = 0, min = 0;
	const char *to;

	if (!unit)
		unit = "";
	shown = top_shown(n, limit);
	for (i = 0; i < shown; i++) {
		int64_t v = r[i].flat ? llabs(r[i].flat) : llabs(r[i].cum);
		shown_flat += r[i].flat;
		if (v && (!min || v < min))
			min = v;
	}
	to = units_report_unit(min, top_total(t), unit);
	top_put_header(t, unit, to, shown, n, shown_flat, out);
	for (i = 0; i < shown; i++) {
		sum += r[i].flat;
		top_put_row(t, &r[i], unit, to, sum, out);
	}
}

static void top_put_json_row(struct top *t, const struct top_row *r,
			     struct buf *out)
{
	const char *name;
	size_t len;

	name = top_name(t, r->name, &len);
	buf_puts(out, "{\"name\":");
	json_put_str(out, name, len);
	buf_puts(out, ",\"flat\":");
	buf_put_i64(out, r->flat);
	buf_puts(out, ",\"cum\":");
	buf_put_i64(out, r->cum);
	buf_putc(out, '}');
}

void top_write_json(struct top *t, const char *type, const char *unit,
		    size_t limit, struct buf *out)
{
	struct buf st = BUF_INIT;
	size_t n, shown, i;
	const struct top_row *r = top_rows(t, &n);

	buf_printf(&st, "%s/%s", type ? type : "", unit ? unit : "");
	buf_puts(out, "{\"total\":");
	buf_put_i64(out, top_total(t));
	buf_puts(out, ",\"sample_type\":");
	json_put_str(out, (const char *)st.data, st.len);
	buf_puts(out, ",\"rows\":[");
	shown = top_shown(n, limit);
	for (i = 0; i < shown; i++) {
		if (i)
			buf_putc(out, ',');
		top_put_json_row(t, &r[i], out);
	}
	buf_puts(out, "]}");
	buf_release(&st);
}
