/* The HTTP API: ingest, queries, health and metrics. See docs/API.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/intern.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../ingest/multipart.h"
#include "../ingest/name.h"
#include "../ingest/normalize.h"
#include "../pprof/decode.h"
#include "../pprof/encode.h"
#include "../pprof/folded.h"
#include "../query/flamegraph.h"
#include "../query/sandwich.h"
#include "../query/selector.h"
#include "../query/stacktree.h"
#include "../query/top.h"
#include "../scrape/scrape.h"
#include "../ui/ui.h"
#include "api.h"
#include "api_regress.h"
#include "debug.h"
#include "metrics.h"

#define HOUR_NS (3600 * STORE_NS_PER_SEC)

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * STORE_NS_PER_SEC + t.tv_nsec;
}

/* ---- health and metrics ------------------------------------------------- */

static void h_healthy(struct http_req *r, struct http_resp *w)
{
	(void)r;
	buf_puts(&w->body, "Stackyard is healthy.\n");
}

static void h_ready(struct http_req *r, struct http_resp *w)
{
	struct api *a = r->app;

	if (!__atomic_load_n(&a->ready, __ATOMIC_ACQUIRE)) {
		http_error(w, 503, "starting or stopping");
		return;
	}
	buf_puts(&w->body, "Stackyard is ready.\n");
}

static void h_metrics(struct http_req *r, struct http_resp *w)
{
	struct api *a = r->app;
	struct store_stats st;
	struct err e = {0};

	w->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metrics_write(a->metrics, store_stats(a->store, &st, &e) < 0 ? NULL : &st, &w->body);
	scraper_metrics_write(a->scraper, &w->body);
}

static void h_reload(struct http_req *r, struct http_resp *w)
{
	struct err e = {0};

	if (server_reload(r->app, &e) < 0) {
		http_error(w, 400, "reload failed, the running configuration stays: %s", e.msg);
		return;
	}
	http_json(w);
	buf_puts(&w->body, "{\"status\":\"reloaded\"}\n");
}

/* ---- ingest --------------------------------------------------------------- */

/* Pyroscope's type suffix of an application name -> our profile name. */
static const struct {
	const char *suffix, *name, *type, *unit;
} suffixes[] = {
	{"cpu", "process_cpu", "cpu", "nanoseconds"},
	{"itimer", "process_cpu", "cpu", "nanoseconds"},
	{"wall", "wall", "wall", "nanoseconds"},
	{"alloc_objects", "memory", "alloc_objects", "count"},
	{"alloc_space", "memory", "alloc_space", "bytes"},
	{"inuse_objects", "memory", "inuse_objects", "count"},
	{"inuse_space", "memory", "inuse_space", "bytes"},
	{"goroutines", "goroutine", "goroutine", "count"},
	{"mutex_count", "mutex", "contentions", "count"},
	{"mutex_duration", "mutex", "delay", "nanoseconds"},
	{"block_count", "block", "contentions", "count"},
	{"block_duration", "block", "delay", "nanoseconds"},
	{"exceptions", "exceptions", "exceptions", "count"},
	{"lock_count", "lock", "contentions", "count"},
	{"lock_duration", "lock", "delay", "nanoseconds"},
};

static int suffix_index(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (!strcmp(suffixes[i].suffix, s))
			return (int)i;
	return -1;
}

static int arg_time(struct http_req *r, const char *name, int64_t dflt, int64_t *out,
		    struct http_resp *w)
{
	const char *v = http_arg(r, name);
	struct err e = {0};

	if (!v || !*v) {
		*out = dflt;
		return 0;
	}
	if (time_parse(v, strlen(v), now_ns(), out, &e) < 0) {
		http_error(w, 400, "%s: %s", name, e.msg);
		return -1;
	}
	return 0;
}

/* Text formats become a one-type profile as Pyroscope builds them: cpu
 * counts are samples at sampleRate Hz, stored as nanoseconds. */
static int text_profile(struct http_req *r, const uint8_t *body, size_t len, int lines,
			int si, struct pprof_profile **out, struct err *e)
{
	const char *rate_s = http_arg(r, "sampleRate");
	long rate = rate_s ? strtol(rate_s, NULL, 10) : 100;
	struct folded_opts fo = {0};
	struct buf tmp = BUF_INIT;
	int64_t period = 1;
	size_t i;
	int rc;

	if (rate <= 0 || rate > 1000000)
		rate = 100;
	if (lines) {
		/* "lines": each line is one stack seen once. */
		for (i = 0; i < len; i++) {
			if (body[i] == '\n')
				buf_puts(&tmp, " 1");
			buf_putc(&tmp, body[i]);
		}
		if (len && body[len - 1] != '\n')
			buf_puts(&tmp, " 1");
		body = tmp.data;
		len = tmp.len;
	}
	if (si < 0 || !strcmp(suffixes[si].unit, "nanoseconds")) {
		period = 1000000000 / rate;
		fo.type = si < 0 ? "cpu" : suffixes[si].type;
		fo.unit = "nanoseconds";
	} else {
		fo.type = suffixes[si].type;
		fo.unit = suffixes[si].unit;
	}
	rc = folded_parse(body, len, &fo, out, e);
	buf_release(&tmp);
	if (rc < 0)
		return rc;
	for (i = 0; i < (*out)->nsample; i++) {
		int64_t v = (*out)->value[i];
		if (__builtin_mul_overflow(v, period, &(*out)->value[i])) {
			pprof_free(*out);
			*out = NULL;
			return err_set(e, -EINVAL, "stack %zu: %lld samples at sampleRate %ld Hz are "
				       "more than %lld ns", i + 1, (long long)v, rate,
				       (long long)INT64_MAX);
		}
	}
	(*out)->period_type.type = (*out)->sample_type[0].type;
	(*out)->period_type.unit = (*out)->sample_type[0].unit;
	(*out)->period = period;
	return 0;
}

/* The profile bytes of a request and whether they are pprof. */
static int ingest_body(struct http_req *r, const uint8_t **data, size_t *len, int *pprof,
		       int *lines, struct http_resp *w)
{
	const char *fmt = http_arg(r, "format"), *ct = http_header(r, "Content-Type");
	struct mpart parts[MULTIPART_MAX_PARTS];
	char boundary[128];
	const struct mpart *p;
	struct err e = {0};
	size_t n;

	*data = r->body.data;
	*len = r->body.len;
	*lines = fmt && !strcmp(fmt, "lines");
	*pprof = fmt && !strcmp(fmt, "pprof");
	if (ct && strstr(ct, "multipart/form-data")) {
		if (multipart_boundary(ct, boundary, sizeof(boundary), &e) < 0 ||
		    multipart_parse(r->body.data, r->body.len, boundary, parts, &n, &e) < 0) {
			http_error(w, 400, "%s", e.msg);
			return -1;
		}
		if (!(p = multipart_find(parts, n, "profile"))) {
			http_error(w, 400, "multipart form has no 'profile' part");
			return -1;
		}
		*data = p->data;
		*len = p->len;
		*pprof = 1;
		return 0;
	}
	if (fmt && strcmp(fmt, "pprof") && strcmp(fmt, "folded") && strcmp(fmt, "groups") &&
	    strcmp(fmt, "lines")) {
		http_error(w, 415, "format '%s' is not supported (pprof, folded, lines)", fmt);
		return -1;
	}
	return 0;
}

/* Pyroscope's tenant ids: at most 150 of [0-9a-zA-Z!-_.*'()], not "." or "..". */
static int tenant_valid(const char *t)
{
	size_t n = strlen(t), i;

	if (!n || n > 150 || !strcmp(t, ".") || !strcmp(t, ".."))
		return 0;
	for (i = 0; i < n; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'z') ||
		      (t[i] >= 'A' && t[i] <= 'Z') || strchr("!-_.*'()", t[i])))
			return 0;
	return 1;
}

/* Service name and labels for normalize(): the application name is
 * service_name unless the labels set one; X-Scope-OrgID, when sent, is
 * recorded as the __tenant__ label (tenant isolation comes later). */
static struct label *ingest_labels(const struct app_name *an, const char *tenant, size_t *n)
{
	struct label *l = xmalloc((an->nlabels + 2) * sizeof(*l));
	size_t i;

	for (i = 0; i < an->nlabels; i++)
		l[i] = an->labels[i];
	*n = an->nlabels;
	for (i = 0; i < an->nlabels && strcmp(l[i].name, "service_name"); i++)
		;
	if (i == an->nlabels)
		l[(*n)++] = (struct label){"service_name", an->service_name};
	if (tenant)
		l[(*n)++] = (struct label){"__tenant__", tenant};
	return l;
}

static int ingest_status(int rc)
{
	switch (rc) {
	case -E2BIG: return 413;
	case -EROFS: return 400;
	case -ENOSPC: return 507;
	case -EBUSY: return 503;
	default: return rc == -EINVAL ? 400 : 500;
	}
}

static int decode_profile(struct api *a, struct http_req *r, const uint8_t *data, size_t len,
			  int pprof, int lines, int si, struct pprof_profile **p, struct http_resp *w)
{
	struct err e = {0};
	int rc;

	if (pprof)
		rc = pprof_decode(data, len, &a->cfg->limits, p, &e);
	else
		rc = text_profile(r, data, len, lines, si, p, &e);
	if (rc < 0) {
		metrics_ingest_error(a->metrics, pprof ? "bad_pprof" : "bad_folded");
		http_error(w, rc == -E2BIG ? 413 : pprof ? 422 : 400, "%s", e.msg);
	}
	return rc;
}

static void h_ingest(struct http_req *r, struct http_resp *w)
{
	struct api *a = r->app;
	const char *nm = http_arg(r, "name"), *tenant;
	struct app_name *an = NULL;
	struct pprof_profile *p = NULL;
	struct norm *n = NULL;
	struct norm_opts o = {0};
	struct store_profile sp;
	struct label *labels = NULL;
	const uint8_t *data;
	struct err e = {0};
	int64_t from, until, now = now_ns();
	int pprof, lines, si, rc;
	size_t len;

	if (!nm || name_parse(nm, strlen(nm), &an, &e) < 0) {
		metrics_ingest_error(a->metrics, "bad_name");
		http_error(w, 400, "%s", nm ? e.msg : "missing 'name', e.g. name=myapp{env=prod}");
		goto out;
	}
	if (arg_time(r, "from", now, &from, w) < 0 || arg_time(r, "until", from, &until, w) < 0)
		goto out;
	if (ingest_body(r, &data, &len, &pprof, &lines, w) < 0)
		goto out;
	tenant = http_header(r, "X-Scope-OrgID");
	if (tenant && !tenant_valid(tenant)) {
		metrics_ingest_error(a->metrics, "bad_tenant");
		http_error(w, 400, "X-Scope-OrgID: '%.160s' is not a valid tenant id (at most 150 of "
			   "0-9 a-z A-Z ! - _ . * ' ( ))", tenant);
		goto out;
	}
	si = suffix_index(an->type_suffix);
	if (decode_profile(a, r, data, len, pprof, lines, si, &p, w) < 0)
		goto out;
	o.labels = labels = ingest_labels(an, tenant, &o.nlabels);
	o.name = si >= 0 ? suffixes[si].name : NULL;
	o.max_labels = a->cfg->max_labels;
	if ((rc = normalize(p, &o, &n, &e)) < 0) {
		metrics_ingest_error(a->metrics, "bad_labels");
		http_error(w, 400, "%s", e.msg);
		goto out;
	}
	sp = (struct store_profile){p, n, from, until > from ? until - from : 0};
	if ((rc = store_append(a->store, &sp, 1, &e)) < 0) {
		metrics_ingest_error(a->metrics, "store");
		http_error(w, ingest_status(rc), "storing the profile failed: %s", e.msg);
		goto out;
	}
	metrics_ingest(a->metrics, r->body.len, 1, p->nsample);
	w->status = 200;
out:
	norm_free(n);
	pprof_free(p);
	free(labels);
	name_free(an);
}

/* ---- queries -------------------------------------------------------------- */

/* from/until (default: the last hour) and the selector, parsed. */
struct qargs {
	struct selector *sel;
	int64_t from, until;
};

static int query_args(struct http_req *r, const char *qname, int need_type, struct qargs *q,
		      struct http_resp *w)
{
	const char *qs = http_arg(r, qname);
	struct err e = {0};
	int64_t now = now_ns();

	q->sel = NULL;
	if (arg_time(r, "until", now, &q->until, w) < 0 ||
	    arg_time(r, "from", q->until - HOUR_NS, &q->from, w) < 0)
		return -1;
	if (q->until <= q->from) {
		http_error(w, 400, "'from' must be before 'until'");
		return -1;
	}
	if (qs && *qs && selector_parse(qs, strlen(qs), &q->sel, &e) < 0) {
		http_error(w, 400, "%s: %s", qname, e.msg);
		return -1;
	}
	if (need_type && (!q->sel || !q->sel->profile_type)) {
		http_error(w, 400, "%s must name a profile type, e.g. "
			   "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\"}", qname);
		selector_free(q->sel);
		q->sel = NULL;
		return -1;
	}
	return 0;
}

struct strlist {
	struct buf *out;
	int n;
};

static int add_str(void *ctx, const char *s)
{
	struct strlist *l = ctx;

	if (l->n++)
		buf_putc(l->out, ',');
	json_put_str(l->out, s, strlen(s));
	return 0;
}

static void strings_reply(struct http_resp *w, int rc, struct err *e)
{
	if (rc < 0) {
		http_error(w, 500, "%s", e->msg);
		return;
	}
	buf_puts(&w->body, "]}\n");
}

/* The list endpoints share their arguments (query, from, until) and their
 * shape ({"KEY": [...]}); each differs only in the store call. */
typedef int (*list_fn)(struct api *a, const struct qargs *q, const void *arg,
		       struct strlist *l, struct err *e);

static void list_reply(struct http_req *r, struct http_resp *w, const char *key,
		       list_fn fn, const void *arg)
{
	struct strlist l = {&w->body, 0};
	struct qargs q;
	struct err e = {0};

	if (query_args(r, "query", 0, &q, w) < 0)
		return;
	http_json(w);
	buf_printf(&w->body, "{\"%s\":[", key);
	strings_reply(w, fn(r->app, &q, arg, &l, &e), &e);
	selector_free(q.sel);
}

static int list_types(struct api *a, const struct qargs *q, const void *arg,
		      struct strlist *l, struct err *e)
{
	(void)arg;
	return store_profile_types(a->store, q->from, q->until, add_str, l, e);
}

static int list_names(struct api *a, const struct qargs *q, const void *arg,
		      struct strlist *l, struct err *e)
{
	(void)arg;
	return store_label_names(a->store, q->sel, q->from, q->until, add_str, l, e);
}

static int list_values(struct api *a, const struct qargs *q, const void *name,
		       struct strlist *l, struct err *e)
{
	return store_label_values(a->store, name, q->sel, q->from, q->until, add_str, l, e);
}

static void put_labels_obj(struct buf *out, const struct label *l, size_t n)
{
	size_t i;

	buf_putc(out, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		json_put_str(out, l[i].name, strlen(l[i].name));
		buf_putc(out, ':');
		json_put_str(out, l[i].value, strlen(l[i].value));
	}
	buf_putc(out, '}');
}

static int add_series(void *ctx, const struct store_series_info *s)
{
	struct strlist *l = ctx;

	if (l->n++)
		buf_putc(l->out, ',');
	buf_puts(l->out, "{\"profile_type\":");
	json_put_str(l->out, s->profile_type, strlen(s->profile_type));
	buf_puts(l->out, ",\"labels\":");
	put_labels_obj(l->out, s->labels, s->nlabels);
	buf_putc(l->out, '}');
	return 0;
}

static int list_series(struct api *a, const struct qargs *q, const void *arg,
		       struct strlist *l, struct err *e)
{
	(void)arg;
	return store_series(a->store, q->sel, q->from, q->until, add_series, l, e);
}

static void h_profile_types(struct http_req *r, struct http_resp *w)
{
	list_reply(r, w, "profile_types", list_types, NULL);
}

static void h_labels(struct http_req *r, struct http_resp *w)
{
	list_reply(r, w, "names", list_names, NULL);
}

/* /api/v1/labels/NAME/values */
static void h_label_values(struct http_req *r, struct http_resp *w)
{
	const char *p = r->path + strlen("/api/v1/labels/"), *slash = strchr(p, '/');
	char name[256];

	if (!slash || strcmp(slash, "/values") || slash == p || (size_t)(slash - p) >= sizeof(name)) {
		http_error(w, 404, "expected /api/v1/labels/NAME/values");
		return;
	}
	memcpy(name, p, (size_t)(slash - p));
	name[slash - p] = '\0';
	if (!label_name_valid(name, strlen(name))) {
		http_error(w, 400, "'%s' is not a valid label name", name);
		return;
	}
	list_reply(r, w, "values", list_values, name);
}

static void h_series(struct http_req *r, struct http_resp *w)
{
	list_reply(r, w, "series", list_series, NULL);
}

/* The parts of a profile type id: name:type:unit:period_type:period_unit. */
struct ptype {
	char buf[512];
	const char *part[5];
};

static void ptype_split(const char *id, struct ptype *t)
{
	char *p;
	int i;

	snprintf(t->buf, sizeof(t->buf), "%s", id);
	p = t->buf;
	for (i = 0; i < 5; i++) {
		char *c = strchr(p, ':');
		t->part[i] = p;
		if (!c) {
			for (i++; i < 5; i++)
				t->part[i] = "";
			break;
		}
		*c = '\0';
		p = c + 1;
	}
}

enum { QF_FLAME, QF_TOP, QF_FOLDED, QF_PPROF, QF_SANDWICH };

static int query_format(const char *f)
{
	static const struct { const char *name; int fmt; } fmts[] = {
		{"flamegraph", QF_FLAME}, {"json", QF_FLAME}, {"top", QF_TOP},
		{"folded", QF_FOLDED}, {"collapsed", QF_FOLDED}, {"pprof", QF_PPROF},
		{"sandwich", QF_SANDWICH},
	};
	size_t i;

	if (!f || !*f)
		return QF_FLAME;
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(f, fmts[i].name))
			return fmts[i].fmt;
	return -1;
}

/* p as gzipped pprof, the body of a 200. */
static void send_pprof(const struct pprof_profile *p, struct http_resp *w)
{
	struct err e = {0};
	uint8_t *gz;
	size_t len;

	if (pprof_encode(p, &gz, &len, &e) < 0) {
		http_error(w, 500, "%s", e.msg);
		return;
	}
	w->content_type = "application/octet-stream";
	buf_append(&w->body, gz, len);
	free(gz);
}

/* format=pprof: every stored symbol (mappings, addresses, lines), not the
 * names-only tree the other formats render from. */
static void merged_pprof(struct api *a, const struct selector *sel, int64_t from,
			 int64_t until, struct http_resp *w)
{
	struct pprof_profile *p;
	struct err e = {0};

	if (store_merge_pprof(a->store, sel, from, until, &p, &e) < 0)
		http_error(w, e.code == -EINVAL ? 400 : 500, "%s", e.msg);
	else
		send_pprof(p, w);
	pprof_free(p);
}

static void render(struct stacktree *t, const struct ptype *pt, int fmt, size_t max_nodes,
		   struct http_resp *w)
{
	struct pprof_profile *p;
	struct flamegraph_meta meta = {pt->part[1], pt->part[2], max_nodes};
	struct top *top;

	switch (fmt) {
	case QF_FLAME:
		http_json(w);
		flamegraph_write_json(t, &meta, &w->body);
		return;
	case QF_FOLDED:
		w->content_type = "text/plain; charset=utf-8";
		stacktree_write_folded(t, &w->body);
		return;
	}
	p = stacktree_to_pprof(t, pt->part[1], pt->part[2], pt->part[3], pt->part[4], 0);
	if (fmt == QF_TOP) {
		top = top_new();
		top_add_pprof(top, p, 0);
		http_json(w);
		top_write_json(top, pt->part[1], pt->part[2], 0, &w->body);
		top_free(top);
	} else {
		send_pprof(p, w);
	}
	pprof_free(p);
}

/* max_nodes (Pyroscope also says max-nodes and maxNodes): 0 = all. */
static int max_nodes_arg(struct http_req *r, size_t *out, struct http_resp *w)
{
	static const char *const names[] = {"max_nodes", "max-nodes", "maxNodes"};
	const char *v = NULL;
	char *end;
	size_t i;

	for (i = 0; i < 3 && !v; i++)
		v = http_arg(r, names[i]);
	*out = 0;
	if (!v || !*v)
		return 0;
	*out = (size_t)strtoull(v, &end, 10);
	if (*end || *v == '-') {
		http_error(w, 400, "max_nodes: '%s' is not a number", v);
		return -1;
	}
	return 0;
}

/* format=sandwich needs function=NAME (a frame name, at most 4 KiB). */
static const char *sandwich_arg(struct http_req *r, struct http_resp *w)
{
	const char *fn = http_arg(r, "function");

	if (!fn || !*fn || strlen(fn) > 4096) {
		http_error(w, 400, "format=sandwich needs function=NAME (at most 4096 bytes)");
		return NULL;
	}
	return fn;
}

static void sandwich_reply(struct stacktree *t, const struct ptype *pt, size_t max_nodes,
			   const char *fn, struct http_resp *w)
{
	struct flamegraph_meta meta = {pt->part[1], pt->part[2], max_nodes};

	http_json(w);
	sandwich_write_json(t, fn, strlen(fn), &meta, &w->body);
}

static void merged(struct http_req *r, struct http_resp *w, int64_t from, int64_t until,
		   struct selector *sel)
{
	struct api *a = r->app;
	int fmt = query_format(http_arg(r, "format"));
	struct stacktree *t;
	struct ptype pt;
	struct err e = {0};
	size_t max_nodes;
	const char *fn = NULL;

	if (fmt < 0) {
		http_error(w, 400, "format must be flamegraph, top, folded, pprof or sandwich");
		return;
	}
	if (fmt == QF_SANDWICH && !(fn = sandwich_arg(r, w)))
		return;
	if (max_nodes_arg(r, &max_nodes, w) < 0)
		return;
	if (fmt == QF_PPROF) {
		merged_pprof(a, sel, from, until, w);
		return;
	}
	t = stacktree_new();
	if (store_merge(a->store, sel, from, until, t, &e) < 0) {
		http_error(w, e.code == -EINVAL ? 400 : 500, "%s", e.msg);
	} else {
		ptype_split(sel->profile_type, &pt);
		if (fmt == QF_SANDWICH)
			sandwich_reply(t, &pt, max_nodes, fn, w);
		else
			render(t, &pt, fmt, max_nodes, w);
	}
	stacktree_free(t);
}

static void h_query(struct http_req *r, struct http_resp *w)
{
	struct qargs q;

	if (query_args(r, "query", 1, &q, w) < 0)
		return;
	merged(r, w, q.from, q.until, q.sel);
	selector_free(q.sel);
}

/* One stored profile: the one at `at` (ns resolution after parsing). */
static void h_profile(struct http_req *r, struct http_resp *w)
{
	struct qargs q;
	int64_t at;

	if (query_args(r, "query", 1, &q, w) < 0)
		return;
	if (!http_arg(r, "at")) {
		http_error(w, 400, "missing 'at': the profile's timestamp");
	} else if (arg_time(r, "at", 0, &at, w) == 0) {
		merged(r, w, at, at + 1, q.sel);
	}
	selector_free(q.sel);
}

struct range_ctx {
	struct buf *out;
	int n;
};

static int add_range(void *ctx, const struct store_series_info *g, const struct store_point *p,
		     size_t n)
{
	struct range_ctx *c = ctx;
	size_t i;

	if (c->n++)
		buf_putc(c->out, ',');
	buf_puts(c->out, "{\"labels\":");
	put_labels_obj(c->out, g->labels, g->nlabels);
	buf_puts(c->out, ",\"points\":[");
	for (i = 0; i < n; i++)
		buf_printf(c->out, "%s[%" PRId64 ",%" PRId64 "]", i ? "," : "",
			   p[i].ts / 1000000, p[i].value);
	buf_puts(c->out, "]}");
	return 0;
}

static void h_range(struct http_req *r, struct http_resp *w)
{
	struct api *a = r->app;
	const char *step_s = http_arg(r, "step"), *group = http_arg(r, "group_by");
	struct range_ctx c = {&w->body, 0};
	struct qargs q;
	struct err e = {0};
	int64_t step;
	int rc;

	if (query_args(r, "query", 1, &q, w) < 0)
		return;
	if (step_s && *step_s) {
		if (duration_parse(step_s, strlen(step_s), &step, &e) < 0 || step <= 0) {
			http_error(w, 400, "step: %s", step_s ? e.msg : "must be positive");
			goto out;
		}
	} else {
		/* About 100 points, at least 10 s apart. */
		step = (q.until - q.from) / 100;
		if (step < 10 * STORE_NS_PER_SEC)
			step = 10 * STORE_NS_PER_SEC;
	}
	if (group && *group && !label_name_valid(group, strlen(group))) {
		http_error(w, 400, "group_by: '%s' is not a valid label name", group);
		goto out;
	}
	http_json(w);
	buf_puts(&w->body, "{\"series\":[");
	rc = store_range(a->store, q.sel, q.from, q.until, step, group, add_range, &c, &e);
	if (rc < 0)
		http_error(w, rc == -E2BIG || rc == -EINVAL ? 400 : 500, "%s", e.msg);
	else
		buf_puts(&w->body, "]}\n");
out:
	selector_free(q.sel);
}

/* ---- diff ------------------------------------------------------------------ */

/* One side of a comparison: selector and range from `qname`, `fname` and
 * `uname` (e.g. base, base_from, base_until), merged into t. */
static int diff_side(struct http_req *r, const char *qname, const char *fname,
		     const char *uname, struct stacktree *t, struct selector **sel,
		     struct http_resp *w)
{
	struct api *a = r->app;
	const char *qs = http_arg(r, qname);
	int64_t now = now_ns(), from, until;
	struct err e = {0};

	if (arg_time(r, uname, now, &until, w) < 0 ||
	    arg_time(r, fname, until - HOUR_NS, &from, w) < 0)
		return -1;
	if (!qs || selector_parse(qs, strlen(qs), sel, &e) < 0 || !(*sel)->profile_type) {
		http_error(w, 400, "%s: %s", qname, !qs ? "missing" : e.msg[0] ? e.msg
			   : "must name a profile type");
		return -1;
	}
	if (store_merge(a->store, *sel, from, until, t, &e) < 0) {
		http_error(w, 500, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* Top rows of both sides: per function, base and target flat and cum. */
static void diff_top(struct stacktree *base, struct stacktree *target, const struct ptype *pt,
		     struct buf *out)
{
	struct pprof_profile *pb = stacktree_to_pprof(base, pt->part[1], pt->part[2], "", "", 0);
	struct pprof_profile *pt2 = stacktree_to_pprof(target, pt->part[1], pt->part[2], "", "", 0);
	struct top *tb = top_new(), *tt = top_new();
	struct intern *byname = intern_new(1024);
	const struct top_row *rb, *rt;
	size_t nb, nt, i;

	top_add_pprof(tb, pb, 0);
	top_add_pprof(tt, pt2, 0);
	rb = top_rows(tb, &nb);
	rt = top_rows(tt, &nt);
	for (i = 0; i < nb; i++) {
		size_t blen;
		const char *bn = top_name(tb, rb[i].name, &blen);
		intern_put(byname, bn, blen, NULL); /* id i: rows are unique by name */
	}
	buf_puts(out, ",\"top\":[");
	for (i = 0; i < nt; i++) {
		size_t len;
		const char *name = top_name(tt, rt[i].name, &len);
		uint32_t k = intern_find(byname, name, len);
		int64_t bf = k == INTERN_NONE ? 0 : rb[k].flat, bc = k == INTERN_NONE ? 0 : rb[k].cum;
		buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
		json_put_str(out, name, len);
		buf_printf(out, ",\"base_flat\":%" PRId64 ",\"base_cum\":%" PRId64
			   ",\"target_flat\":%" PRId64 ",\"target_cum\":%" PRId64 "}",
			   bf, bc, rt[i].flat, rt[i].cum);
	}
	buf_puts(out, "]");
	intern_free(byname);
	top_free(tb);
	top_free(tt);
	pprof_free(pb);
	pprof_free(pt2);
}

static void h_diff(struct http_req *r, struct http_resp *w)
{
	struct stacktree *base = stacktree_new(), *target = stacktree_new();
	struct selector *sb = NULL, *st = NULL;
	struct ptype pt;

	if (diff_side(r, "base", "base_from", "base_until", base, &sb, w) < 0 ||
	    diff_side(r, "target", "from", "until", target, &st, w) < 0)
		goto out;
	if (strcmp(sb->profile_type, st->profile_type)) {
		http_error(w, 400, "base and target have different profile types: %s and %s",
			   sb->profile_type, st->profile_type);
		goto out;
	}
	ptype_split(st->profile_type, &pt);
	http_json(w);
	{
		struct flamegraph_meta meta = {pt.part[1], pt.part[2], 0};
		flamegraph_write_diff_json(base, target, &meta, &w->body);
	}
	/* Reopen the object to add the top rows beside the flamebearer. */
	w->body.len--;
	diff_top(base, target, &pt, &w->body);
	buf_puts(&w->body, "}\n");
out:
	selector_free(sb);
	selector_free(st);
	stacktree_free(base);
	stacktree_free(target);
}

static void h_targets(struct http_req *r, struct http_resp *w)
{
	struct api *a = r->app;

	http_json(w);
	scraper_targets_json(a->scraper, &w->body);
}

const struct http_route server_routes[] = {
	{"POST", "/ingest", h_ingest, "ingest"},
	{"POST", "/pyroscope/ingest", h_ingest, "ingest"},
	{"GET", "/api/v1/profile-types", h_profile_types, "profile_types"},
	{"GET", "/api/v1/labels", h_labels, "labels"},
	{"GET", "/api/v1/labels/*", h_label_values, "label_values"},
	{"GET", "/api/v1/series", h_series, "series"},
	{"GET", "/api/v1/query", h_query, "query"},
	{"GET", "/api/v1/range", h_range, "range"},
	{"GET", "/api/v1/profile", h_profile, "profile"},
	{"GET", "/api/v1/diff", h_diff, "diff"},
	{"GET", "/api/v1/regress", api_regress, "regress"},
	{"GET", "/api/v1/targets", h_targets, "targets"},
	{"GET", "/metrics", h_metrics, "metrics"},
	{"GET", "/-/healthy", h_healthy, "healthy"},
	{"GET", "/-/ready", h_ready, "ready"},
	{"POST", "/-/reload", h_reload, "reload"},
	{"GET", "/debug/pprof/", debug_pprof_index, "debug_pprof"},
	{"GET", "/debug/pprof", debug_pprof_index, "debug_pprof"},
	{"GET", "/debug/pprof/profile", debug_pprof_profile, "debug_pprof_profile"},
	{"GET", "/debug/pprof/cmdline", debug_pprof_cmdline, "debug_pprof"},
	{"GET", "/debug/pprof/*", debug_pprof_other, "debug_pprof"},
	UI_ROUTES,
	{NULL, NULL, NULL, NULL},
};
