/* The units a runtime wants (scrape_int.h): every target of every job,
 * labelled, relabelled, one per enabled profile type, with its URL, series
 * labels and identity key. Built with no lock and off the network thread
 * (on the discovery thread; at start, on the caller's): a job with a
 * hundred thousand targets costs seconds of relabelling, which must delay
 * neither transfers nor the status pages. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../base/intern.h"
#include "../base/xalloc.h"
#include "scrape_int.h"

static char *unit_url(const struct scrape_job *j, const char *scheme, const char *addr,
		      const struct pprof_target_cfg *p)
{
	struct buf u = BUF_INIT;
	char sep = '?';
	size_t i;

	buf_printf(&u, "%s://%s%s%s", scheme, addr, j->path_prefix ? j->path_prefix : "", p->path);
	for (i = 0; i < j->nparams; i++) {
		char *k = curl_easy_escape(NULL, j->params[i].name, 0);
		char *v = curl_easy_escape(NULL, j->params[i].value, 0);
		buf_printf(&u, "%c%s=%s", sep, k, v);
		curl_free(k);
		curl_free(v);
		sep = '&';
	}
	if (p->delta)
		buf_printf(&u, "%cseconds=%" PRId64, sep,
			   p->seconds ? p->seconds / STORE_NS_PER_SEC : j->interval / STORE_NS_PER_SEC);
	return (char *)buf_detach(&u, NULL);
}

/* The identity: job, profile type, URL, series labels. */
static char *want_key(const char *job, const char *prof, const char *url,
		      const struct labelset *labels)
{
	struct buf k = BUF_INIT;

	buf_printf(&k, "%s\x1f%s\x1f%s\x1f", job, prof, url);
	labels_format(labels->l, labels->n, &k);
	return (char *)buf_detach(&k, NULL);
}

/* The series labels of a target: its labels without the "__" ones, plus
 * instance and service_name unless set. */
static void series_labels(const struct labelset *ls, const char *job, struct labelset *out)
{
	size_t k;

	for (k = 0; k < ls->n; k++)
		if (strncmp(ls->l[k].name, "__", 2))
			labelset_set(out, ls->l[k].name, ls->l[k].value);
	if (!labelset_get(out, "instance"))
		labelset_set(out, "instance", labelset_get(ls, "__address__"));
	if (!labelset_get(out, "service_name"))
		labelset_set(out, "service_name", job);
}

static void want_release(struct want *w)
{
	free(w->key);
	free(w->url);
	labelset_release(&w->labels);
}

void plan_free(struct plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		want_release(&p->w[i]);
	free(p->w);
	free(p->dropped);
	free(p);
}

struct builder {
	const struct runtime *rt;
	struct plan *p;
	struct intern *seen;      /* keys wanted so far (duplicates are dropped) */
	uint32_t job;             /* the job being built */
};

/* One profile type of a relabelled target: wanted, a duplicate (dropped),
 * or over global.max_targets (counted). */
static void want_one(struct builder *b, const struct labelset *ls, uint32_t prof)
{
	const struct scrape_job *j = b->rt->jobs[b->job].job;
	const struct pprof_target_cfg *pc = &j->profiles[prof];
	const char *scheme = labelset_get(ls, "__scheme__");
	struct want w = {.job = b->job, .prof = prof};
	int is_new;

	w.url = unit_url(j, scheme ? scheme : j->scheme, labelset_get(ls, "__address__"), pc);
	series_labels(ls, j->job_name, &w.labels);
	w.key = want_key(j->job_name, pc->name, w.url, &w.labels);
	intern_put(b->seen, w.key, strlen(w.key), &is_new);
	if (is_new && b->p->n < b->rt->cfg->max_targets) {
		XGROW(b->p->w, b->p->cap, b->p->n + 1);
		b->p->w[b->p->n++] = w;
		return;
	}
	if (is_new)
		b->p->dropped[b->job]++;
	want_release(&w);
}

/* One discovered target: labels, relabelling, a unit per profile type. */
static void want_target(struct builder *b, const struct static_config *g, const char *target,
			const char *file)
{
	const struct jobrt *jr = &b->rt->jobs[b->job];
	const struct scrape_job *j = jr->job;
	struct labelset ls = {0};
	size_t i;

	labelset_set(&ls, "__address__", target);
	labelset_set(&ls, "__scheme__", j->scheme);
	labelset_set(&ls, "job", j->job_name);
	if (file)
		labelset_set(&ls, "__meta_filepath", file);
	for (i = 0; i < g->nlabels; i++)
		labelset_set(&ls, g->labels[i].name, g->labels[i].value);
	if ((!jr->rl || relabel_apply(jr->rl, &ls)) && labelset_get(&ls, "__address__"))
		for (i = 0; i < j->nprofiles; i++)
			if (j->profiles[i].enabled)
				want_one(b, &ls, (uint32_t)i);
	labelset_release(&ls);
}

static void want_groups(struct builder *b, const struct static_config *g, size_t ng,
			const char *file)
{
	size_t i, t;

	for (i = 0; i < ng; i++)
		for (t = 0; t < g[i].ntargets; t++)
			want_target(b, &g[i], g[i].targets[t], file);
}

/* File i of watcher k of the job: from its scan when there is one. */
static const char *sd_file(const struct jobrt *jr, size_t k, struct filesd_scan *const *sc,
			   size_t i, const struct static_config **g, size_t *ng)
{
	const char *err;

	if (sc)
		return filesd_scan_file(jr->sd[k], sc[k], i, g, ng);
	return filesd_file(jr->sd[k], i, g, ng, &err);
}

struct plan *plan_build(const struct runtime *rt, struct filesd_scan *const *sc)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct builder b = {.rt = rt, .p = p, .seen = intern_new(1024)};
	const struct static_config *g;
	size_t i, k, f, nf, ng;

	p->dropped = xcalloc(rt->cfg->njobs + 1, sizeof(*p->dropped));
	for (i = 0; i < rt->cfg->njobs; i++) {
		const struct jobrt *jr = &rt->jobs[i];
		/* This job's scans: runtime.sd holds the watchers in job order. */
		struct filesd_scan *const *jsc = sc ? sc + (jr->sd - rt->sd) : NULL;
		b.job = (uint32_t)i;
		want_groups(&b, jr->job->statics, jr->job->nstatics, NULL);
		for (k = 0; k < jr->job->nfile_sd; k++) {
			nf = jsc ? filesd_scan_nfiles(jsc[k]) : filesd_nfiles(jr->sd[k]);
			for (f = 0; f < nf; f++) {
				const char *path = sd_file(jr, k, jsc, f, &g, &ng);
				want_groups(&b, g, ng, path);
			}
		}
	}
	intern_free(b.seen);
	return p;
}
