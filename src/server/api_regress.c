/* GET /api/v1/regress: base and target selectors and ranges, read one
 * stored profile at a time (store_profiles) into regress, answered as
 * JSON, Markdown or a text table. */
#include "api_regress.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../query/regress.h"
#include "../query/regress_report.h"
#include "../query/selector.h"
#include "../store/store.h"
#include "api.h"

#define HOUR_NS (3600 * STORE_NS_PER_SEC)

enum { RF_JSON, RF_MARKDOWN, RF_TABLE };

struct side_args {
	const char *q;
	struct selector *sel;
	int64_t from, until;
};

struct rargs {
	struct side_args side[2];  /* REGRESS_BASE, REGRESS_TARGET */
	struct regress_opts o;
	int format;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * STORE_NS_PER_SEC + t.tv_nsec;
}

static int time_arg(struct http_req *r, const char *name, int64_t dflt, int64_t *out,
		    struct http_resp *w)
{
	const char *v = http_arg(r, name);
	struct err e = {0};

	*out = dflt;
	if (v && *v && time_parse(v, strlen(v), now_ns(), out, &e) < 0) {
		http_error(w, 400, "%s: %s", name, e.msg);
		return -1;
	}
	return 0;
}

static int side_arg(struct http_req *r, const char *qname, struct side_args *s,
		    struct http_resp *w)
{
	struct err e = {0};

	s->q = http_arg(r, qname);
	if (!s->q || !*s->q) {
		http_error(w, 400, "%s: missing; give a selector such as "
			   "process_cpu:cpu:nanoseconds:cpu:nanoseconds{version=\"1.2\"}", qname);
		return -1;
	}
	if (selector_parse(s->q, strlen(s->q), &s->sel, &e) < 0) {
		http_error(w, 400, "%s: %s", qname, e.msg);
		return -1;
	}
	if (!s->sel->profile_type) {
		http_error(w, 400, "%s must name a profile type, e.g. "
			   "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\"}", qname);
		return -1;
	}
	if (s->until <= s->from) {
		http_error(w, 400, "%s: the range must start before it ends", qname);
		return -1;
	}
	return 0;
}

static int format_arg(const char *f)
{
	static const struct { const char *name; int fmt; } fmts[] = {
		{"json", RF_JSON}, {"markdown", RF_MARKDOWN}, {"md", RF_MARKDOWN}, {"table", RF_TABLE},
		{"text", RF_TABLE},
	};
	size_t i;

	if (!f || !*f)
		return RF_JSON;
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(f, fmts[i].name))
			return fmts[i].fmt;
	return -1;
}

static int opts_args(struct http_req *r, struct rargs *a, struct http_resp *w)
{
	const char *thr = http_arg(r, "threshold"), *conf = http_arg(r, "confidence");
	const char *lim = http_arg(r, "limit");
	struct err e = {0};
	char *end;

	a->o.threshold = 0.01;
	a->o.confidence = 0.99;
	a->o.limit = 100;
	if ((thr && *thr && regress_parse_threshold(thr, &a->o.threshold, &e) < 0) ||
	    (conf && *conf && regress_parse_confidence(conf, &a->o.confidence, &e) < 0)) {
		http_error(w, 400, "%s", e.msg);
		return -1;
	}
	if (lim && *lim) {
		/* Digits only: strtoull() would skip blanks, wrap "-5" and
		 * saturate on overflow. */
		errno = 0;
		a->o.limit = (size_t)strtoull(lim, &end, 10);
		if (*end || *lim < '0' || *lim > '9' || errno) {
			http_error(w, 400, "limit: '%.40s' is not a row count (digits; 0 = every row)",
				   lim);
			return -1;
		}
	}
	if ((a->format = format_arg(http_arg(r, "format"))) < 0) {
		http_error(w, 400, "format must be json, markdown or table");
		return -1;
	}
	return 0;
}

/* The target range defaults to the last hour, the base range to the
 * target's (two versions side by side); each bound can be moved. */
static int parse_args(struct http_req *r, struct rargs *a, struct http_resp *w)
{
	struct side_args *b = &a->side[REGRESS_BASE], *t = &a->side[REGRESS_TARGET];

	if (time_arg(r, "until", now_ns(), &t->until, w) < 0 ||
	    time_arg(r, "from", t->until - HOUR_NS, &t->from, w) < 0 ||
	    time_arg(r, "base_until", t->until, &b->until, w) < 0 ||
	    time_arg(r, "base_from", t->from, &b->from, w) < 0)
		return -1;
	if (side_arg(r, "base", b, w) < 0 || side_arg(r, "target", t, w) < 0)
		return -1;
	if (strcmp(b->sel->profile_type, t->sel->profile_type)) {
		http_error(w, 400, "incompatible profile types: base is %s, target is %s; "
			   "compare profiles of one type", b->sel->profile_type, t->sel->profile_type);
		return -1;
	}
	a->o.profile_type = t->sel->profile_type;
	return opts_args(r, a, w);
}

struct feed {
	struct regress *r;
	int side;
	uint32_t n;
};

static int feed_cb(void *ctx, const struct store_series_info *s, int64_t ts,
		   const uint32_t *nodes, const int64_t *values, size_t n)
{
	struct feed *f = ctx;

	(void)s;
	(void)ts;
	if (++f->n > API_REGRESS_MAX_PROFILES)
		return -1;
	regress_add(f->r, f->side, nodes, values, n);
	return 0;
}

static const char *const side_names[] = {"base", "target"};

static int read_side(struct api *api, struct regress *r, const struct rargs *a, int side,
		     struct http_resp *w)
{
	const struct side_args *s = &a->side[side];
	struct feed f = {r, side, 0};
	struct err e = {0};
	int rc = store_profiles(api->store, s->sel, s->from, s->until, regress_paths(r), feed_cb,
				&f, &e);

	if (rc == -ECANCELED && f.n > API_REGRESS_MAX_PROFILES) {
		http_error(w, 413, "%s: more than %d profiles in range; narrow the range or the selector",
			   side_names[side], API_REGRESS_MAX_PROFILES);
		return -1;
	}
	if (rc < 0) {
		http_error(w, rc == -EINVAL ? 400 : 500, "%s: %s", side_names[side], e.msg);
		return -1;
	}
	if (!f.n) {
		http_error(w, 422, "%s: no profiles match %s between %" PRId64 " and %" PRId64
			   " (Unix ns)", side_names[side], s->q, s->from, s->until);
		return -1;
	}
	return 0;
}

static void reply(struct http_resp *w, const struct regress_report *rep, int format)
{
	switch (format) {
	case RF_MARKDOWN:
		w->content_type = "text/markdown; charset=utf-8";
		regress_write_markdown(rep, 0, &w->body);
		return;
	case RF_TABLE:
		w->content_type = "text/plain; charset=utf-8";
		regress_write_text(rep, 0, &w->body);
		return;
	default:
		http_json(w);
		regress_write_json(rep, &w->body);
	}
}

void api_regress(struct http_req *r, struct http_resp *w)
{
	struct api *api = r->app;
	struct regress_report *rep = NULL;
	struct regress *rg = NULL;
	struct rargs a;
	struct err e = {0};
	int rc;

	memset(&a, 0, sizeof(a));
	if (parse_args(r, &a, w) < 0)
		goto out;
	rg = regress_new();
	if (read_side(api, rg, &a, REGRESS_BASE, w) < 0 || read_side(api, rg, &a, REGRESS_TARGET, w) < 0)
		goto out;
	if ((rc = regress_report(rg, &a.o, &rep, &e)) < 0) {
		http_error(w, rc == -EDOM || rc == -ENOENT ? 422 : 400, "%s", e.msg);
		goto out;
	}
	reply(w, rep, a.format);
out:
	regress_report_free(rep);
	regress_free(rg);
	selector_free(a.side[0].sel);
	selector_free(a.side[1].sel);
}
