/* Regression reports as JSON, text and Markdown, and JSON read back. */
#include "regress_report.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/arena.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "units.h"

static const char *const verdicts[] = {"noise", "regression", "improvement"};

const char *regress_verdict_name(int verdict)
{
	return verdict >= 0 && verdict < 3 ? verdicts[verdict] : "noise";
}

/* ---- JSON out ------------------------------------------------------------- */

/* -0 as 0: "-0" would read back as the integer 0, and "-0.00" means nothing. */
static double nz(double v)
{
	return v == 0 ? 0 : v;
}

static void put_stat(struct buf *b, const char *key, const struct regress_stat *s)
{
	buf_printf(b, ",\"%s\":{\"base\":%.9g,\"target\":%.9g,\"delta\":%.9g,\"lo\":%.9g,"
		   "\"hi\":%.9g,\"p\":%.6g,\"verdict\":\"%s\",\"tested\":%s,"
		   "\"base_profiles\":%u,\"target_profiles\":%u}",
		   key, nz(s->base), nz(s->target), nz(s->delta), nz(s->lo), nz(s->hi), nz(s->p),
		   regress_verdict_name(s->verdict), s->tested ? "true" : "false", s->nbase,
		   s->ntarget);
}

static void put_list(struct buf *b, const char *key, const struct regress_list *l, int paths)
{
	size_t i, k;

	buf_printf(b, ",\"%s_count\":%zu,\"%s\":[", key, l->all, key);
	for (i = 0; i < l->n; i++) {
		const struct regress_item *it = &l->v[i];
		buf_puts(b, i ? ",{" : "{");
		if (paths) {
			buf_puts(b, "\"frames\":[");
			for (k = 0; k < it->nframes; k++) {
				if (k)
					buf_putc(b, ',');
				json_put_str(b, it->frames[k], strlen(it->frames[k]));
			}
			buf_putc(b, ']');
		} else {
			buf_puts(b, "\"name\":");
			json_put_str(b, it->frames[0], strlen(it->frames[0]));
		}
		buf_printf(b, ",\"verdict\":\"%s\",\"score\":%.9g", regress_verdict_name(it->verdict),
			   nz(it->score));
		if (!paths)
			put_stat(b, "self", &it->self);
		put_stat(b, "total", &it->total);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

void regress_write_json(const struct regress_report *rep, struct buf *b)
{
	const char *pt = rep->profile_type ? rep->profile_type : "";

	buf_puts(b, "{\"profile_type\":");
	json_put_str(b, pt, strlen(pt));
	buf_printf(b, ",\"method\":\"welch-bonferroni\",\"confidence\":%.9g,\"threshold\":%.9g,"
		   "\"min_profiles\":%d,\"min_share\":%.9g,\"tests\":%zu,"
		   "\"regressed\":%s,\"regressions\":%zu,\"self_regressions\":%zu,"
		   "\"improvements\":%zu,"
		   "\"base\":{\"profiles\":%u,\"empty\":%u,\"mean_total\":%.9g},"
		   "\"target\":{\"profiles\":%u,\"empty\":%u,\"mean_total\":%.9g}",
		   nz(rep->confidence), nz(rep->threshold), REGRESS_MIN_PROFILES, REGRESS_MIN_SHARE,
		   rep->ntests, rep->regressions ? "true" : "false", rep->regressions,
		   rep->self_regressions, rep->improvements, rep->nbase, rep->empty_base,
		   nz(rep->base_total), rep->ntarget, rep->empty_target, nz(rep->target_total));
	put_stat(b, "totals", &rep->totals);
	put_list(b, "functions", &rep->functions, 0);
	put_list(b, "paths", &rep->paths, 1);
	put_list(b, "new_paths", &rep->new_paths, 1);
	put_list(b, "vanished_paths", &rep->vanished_paths, 1);
	buf_puts(b, "}\n");
}

/* ---- text and Markdown ---------------------------------------------------- */

/* Percentage points with a sign: "+5.02", "-0.31". */
static void put_pts(struct buf *b, double v)
{
	double r = round(v * 10000) / 100;  /* as printed, so -0.001 reads +0.00 */

	buf_printf(b, "%+.2f", nz(r));
}

static void put_ci(struct buf *b, const struct regress_stat *s)
{
	put_pts(b, s->delta);
	if (!s->tested) {
		buf_puts(b, " (untested)");
		return;
	}
	buf_puts(b, " [");
	put_pts(b, s->lo);
	buf_puts(b, ", ");
	put_pts(b, s->hi);
	buf_putc(b, ']');
}

/* A path as "a > b > c", the last max frames with "... > " before. */
static void put_path(struct buf *b, const struct regress_item *it, size_t max)
{
	size_t k = it->nframes > max ? it->nframes - max : 0;

	if (k)
		buf_puts(b, "... > ");
	for (; k < it->nframes; k++)
		buf_printf(b, "%s%s", it->frames[k], k + 1 < it->nframes ? " > " : "");
}

static const char *unit_of(const struct regress_report *rep, char *tmp, size_t n)
{
	const char *pt = rep->profile_type ? rep->profile_type : "", *a = strchr(pt, ':');
	const char *u = a ? strchr(a + 1, ':') : NULL, *end;

	if (!u)
		return "count";
	end = strchr(u + 1, ':');
	snprintf(tmp, n, "%.*s", (int)(end ? (size_t)(end - u - 1) : strlen(u + 1)), u + 1);
	return tmp;
}

static void put_total(struct buf *b, const struct regress_report *rep, double v)
{
	char tmp[64];

	units_label(b, (int64_t)llround(v), unit_of(rep, tmp, sizeof(tmp)));
}

/* Summary lines shared by text and Markdown (md: bold the verdict). */
static void put_summary(struct buf *b, const struct regress_report *rep, int md)
{
	const char *em = md ? "**" : "";

	buf_printf(b, "%sVerdict: %s%s: ", em,
		   rep->regressions ? "REGRESSION" : rep->improvements ? "improvement" : "no change beyond the noise",
		   em);
	buf_printf(b, "%zu function%s regressed", rep->regressions,
		   rep->regressions == 1 ? "" : "s");
	if (rep->regressions)
		buf_printf(b, " (%zu in own code, %zu only through callees)", rep->self_regressions,
			   rep->regressions - rep->self_regressions);
	buf_printf(b, " and %zu improved by more than %.2f points of the total, at %.4g%% "
		   "confidence (Bonferroni over %zu tests).\n", rep->improvements,
		   rep->threshold * 100, rep->confidence * 100, rep->ntests);
	buf_printf(b, "%s%s%s: base %u profiles, target %u profiles; mean total per profile ",
		   md ? "`" : "", rep->profile_type ? rep->profile_type : "?", md ? "`" : "",
		   rep->nbase, rep->ntarget);
	put_total(b, rep, rep->base_total);
	buf_puts(b, " -> ");
	put_total(b, rep, rep->target_total);
	buf_printf(b, " (%+.1f%% [%+.1f%%, %+.1f%%], %s).\n", rep->totals.delta * 100,
		   rep->totals.lo * 100, rep->totals.hi * 100,
		   regress_verdict_name(rep->totals.verdict));
	if (rep->empty_base || rep->empty_target)
		buf_printf(b, "Left out as empty: %u base, %u target profiles.\n", rep->empty_base,
			   rep->empty_target);
}

static size_t nrows(const struct regress_list *l, size_t rows)
{
	return rows && rows < l->n ? rows : l->n;
}

static void text_paths(struct buf *b, const char *title, const struct regress_list *l, size_t rows)
{
	size_t i;

	buf_printf(b, "\n%s (%zu)\n", title, l->all);
	if (!l->n)
		return;
	buf_printf(b, "  %3s  %-11s %8s %8s  %-26s %s\n", "#", "verdict", "base", "target",
		   "change [CI], points", "call path (root > leaf)");
	for (i = 0; i < nrows(l, rows); i++) {
		const struct regress_item *it = &l->v[i];
		struct buf ci = BUF_INIT;
		put_ci(&ci, &it->total);
		buf_printf(b, "  %3zu  %-11s %7.2f%% %7.2f%%  %-26s ", i + 1,
			   regress_verdict_name(it->verdict), it->total.base * 100,
			   it->total.target * 100, (const char *)ci.data);
		put_path(b, it, 6);
		buf_putc(b, '\n');
		buf_release(&ci);
	}
}

void regress_write_text(const struct regress_report *rep, size_t rows, struct buf *b)
{
	const struct regress_list *f = &rep->functions;
	size_t i;

	put_summary(b, rep, 0);
	buf_printf(b, "\nFunctions, by change of self share (%zu)\n", f->all);
	buf_printf(b, "  %3s  %-11s %8s %8s  %-26s %8s %8s  %-26s %s\n", "#", "verdict", "self",
		   "->", "change [CI], points", "total", "->", "change [CI], points", "function");
	for (i = 0; i < nrows(f, rows); i++) {
		const struct regress_item *it = &f->v[i];
		struct buf s = BUF_INIT, t = BUF_INIT;
		put_ci(&s, &it->self);
		put_ci(&t, &it->total);
		buf_printf(b, "  %3zu  %-11s %7.2f%% %7.2f%%  %-26s %7.2f%% %7.2f%%  %-26s %s\n", i + 1,
			   regress_verdict_name(it->verdict), it->self.base * 100,
			   it->self.target * 100, (const char *)s.data, it->total.base * 100,
			   it->total.target * 100, (const char *)t.data, it->frames[0]);
		buf_release(&s);
		buf_release(&t);
	}
	text_paths(b, "Call paths, by where the change concentrates", &rep->paths, rows);
	text_paths(b, "New call paths", &rep->new_paths, rows);
	text_paths(b, "Vanished call paths", &rep->vanished_paths, rows);
}

/* A name in a Markdown table cell: code span, '|' escaped, '`' dropped. */
static void md_name(struct buf *b, const char *s)
{
	buf_putc(b, '`');
	for (; *s; s++) {
		if (*s == '|')
			buf_puts(b, "\\|");
		else if (*s != '`' && *s != '\n')
			buf_putc(b, *s);
	}
	buf_putc(b, '`');
}

static const char *md_verdict(int v)
{
	return v == REGRESS_REGRESSION ? "**regression**" : v == REGRESS_IMPROVEMENT ? "improvement"
										    : "noise";
}

static void md_paths(struct buf *b, const char *title, const struct regress_list *l, size_t rows)
{
	size_t i, k;

	buf_printf(b, "\n#### %s (%zu)\n\n", title, l->all);
	if (!l->n) {
		buf_puts(b, "None.\n");
		return;
	}
	buf_puts(b, "| # | call path (root → leaf) | base | target | change [CI], points | verdict |\n"
		    "|---:|---|---:|---:|---|---|\n");
	for (i = 0; i < nrows(l, rows); i++) {
		const struct regress_item *it = &l->v[i];
		buf_printf(b, "| %zu | ", i + 1);
		k = it->nframes > 6 ? it->nframes - 6 : 0;
		if (k)
			buf_puts(b, "… → ");
		for (; k < it->nframes; k++) {
			md_name(b, it->frames[k]);
			if (k + 1 < it->nframes)
				buf_puts(b, " → ");
		}
		buf_printf(b, " | %.2f%% | %.2f%% | ", it->total.base * 100, it->total.target * 100);
		put_ci(b, &it->total);
		buf_printf(b, " | %s |\n", md_verdict(it->verdict));
	}
}

void regress_write_markdown(const struct regress_report *rep, size_t rows, struct buf *b)
{
	const struct regress_list *f = &rep->functions;
	size_t i;

	buf_puts(b, "### Stackyard regression report\n\n");
	put_summary(b, rep, 1);
	buf_printf(b, "\n#### Functions, by change of self share (%zu)\n\n", f->all);
	buf_puts(b, "| # | function | self | change [CI], points | total | change [CI], points | verdict |\n"
		    "|---:|---|---:|---|---:|---|---|\n");
	for (i = 0; i < nrows(f, rows); i++) {
		const struct regress_item *it = &f->v[i];
		buf_printf(b, "| %zu | ", i + 1);
		md_name(b, it->frames[0]);
		buf_printf(b, " | %.2f%% → %.2f%% | ", it->self.base * 100, it->self.target * 100);
		put_ci(b, &it->self);
		buf_printf(b, " | %.2f%% → %.2f%% | ", it->total.base * 100, it->total.target * 100);
		put_ci(b, &it->total);
		buf_printf(b, " | %s |\n", md_verdict(it->verdict));
	}
	md_paths(b, "Call paths, by where the change concentrates", &rep->paths, rows);
	md_paths(b, "New call paths", &rep->new_paths, rows);
	md_paths(b, "Vanished call paths", &rep->vanished_paths, rows);
	buf_puts(b, "\n<sub>Shares are of each profile's total; changes in percentage points with "
		    "simultaneous confidence intervals. Method: docs/REGRESS.md.</sub>\n");
}

/* ---- JSON in ---------------------------------------------------------------- */

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* A count: whatever the JSON says, a number in [0, UINT32_MAX]. */
static uint32_t count(json_t *o, const char *k)
{
	double v = num(o, k);

	return v >= 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
}

static int verdict_from(json_t *o)
{
	const char *s = json_string_value(json_object_get(o, "verdict"));
	int i;

	for (i = 0; s && i < 3; i++)
		if (!strcmp(s, verdicts[i]))
			return i;
	return REGRESS_NOISE;
}

static void read_stat(json_t *o, struct regress_stat *s)
{
	s->base = num(o, "base");
	s->target = num(o, "target");
	s->delta = num(o, "delta");
	s->lo = num(o, "lo");
	s->hi = num(o, "hi");
	s->p = num(o, "p");
	s->verdict = verdict_from(o);
	s->tested = json_is_true(json_object_get(o, "tested"));
	s->nbase = count(o, "base_profiles");
	s->ntarget = count(o, "target_profiles");
}

static const char *str_in(struct arena *a, json_t *v)
{
	const char *s = json_string_value(v);

	return arena_strndup(a, s ? s : "", s ? json_string_length(v) : 0);
}

/* Functions have a "name", paths "frames" (root first). */
static int read_list(json_t *root, const char *key, int paths, struct arena *a,
		     struct regress_list *l, struct err *e)
{
	json_t *arr = json_object_get(root, key), *o;
	char ck[64];
	size_t i, k;

	if (!json_is_array(arr))
		return err_set(e, -EPROTO, "regress reply: '%s' is missing", key);
	snprintf(ck, sizeof(ck), "%s_count", key);
	l->n = json_array_size(arr);
	l->all = count(root, ck);
	l->v = arena_zalloc(a, (l->n + 1) * sizeof(*l->v));
	json_array_foreach(arr, i, o) {
		struct regress_item *it = &l->v[i];
		json_t *fr = json_object_get(o, "frames"), *x;
		if (paths) {
			it->nframes = json_array_size(fr); /* 0 when not an array */
			it->frames = arena_alloc(a, (it->nframes + 1) * sizeof(*it->frames));
			json_array_foreach(fr, k, x)
				it->frames[k] = str_in(a, x);
		} else {
			it->nframes = 1;
			it->frames = arena_alloc(a, sizeof(*it->frames));
			it->frames[0] = str_in(a, json_object_get(o, "name"));
		}
		it->verdict = verdict_from(o);
		it->score = num(o, "score");
		read_stat(json_object_get(o, "self"), &it->self);
		read_stat(json_object_get(o, "total"), &it->total);
	}
	return 0;
}

static void read_side(json_t *o, uint32_t *n, uint32_t *empty, double *mean)
{
	*n = count(o, "profiles");
	*empty = count(o, "empty");
	*mean = num(o, "mean_total");
}

int regress_read_json(const char *s, size_t len, struct regress_report **out, struct err *e)
{
	struct regress_report *rep;
	json_error_t je;
	json_t *root = json_loadb(s, len, 0, &je);
	const char *pt;
	int rc = 0;

	*out = NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set(e, -EPROTO, "regress reply is not a JSON object: %s", je.text);
	}
	rep = xcalloc(1, sizeof(*rep));
	rep->arena = arena_new();
	pt = json_string_value(json_object_get(root, "profile_type"));
	rep->profile_type = xstrdup(pt ? pt : "");
	rep->confidence = num(root, "confidence");
	rep->threshold = num(root, "threshold");
	rep->ntests = count(root, "tests");
	rep->regressions = count(root, "regressions");
	rep->self_regressions = count(root, "self_regressions");
	rep->improvements = count(root, "improvements");
	read_side(json_object_get(root, "base"), &rep->nbase, &rep->empty_base, &rep->base_total);
	read_side(json_object_get(root, "target"), &rep->ntarget, &rep->empty_target,
		  &rep->target_total);
	read_stat(json_object_get(root, "totals"), &rep->totals);
	if (!json_is_true(json_object_get(root, "regressed")) != !rep->regressions ||
	    rep->self_regressions > rep->regressions)
		rc = err_set(e, -EPROTO, "regress reply: 'regressed', 'regressions' and "
			     "'self_regressions' disagree");
	rc = rc ? rc : read_list(root, "functions", 0, rep->arena, &rep->functions, e);
	rc = rc ? rc : read_list(root, "paths", 1, rep->arena, &rep->paths, e);
	rc = rc ? rc : read_list(root, "new_paths", 1, rep->arena, &rep->new_paths, e);
	rc = rc ? rc : read_list(root, "vanished_paths", 1, rep->arena, &rep->vanished_paths, e);
	json_decref(root);
	if (rc) {
		regress_report_free(rep);
		return rc;
	}
	*out = rep;
	return 0;
}
