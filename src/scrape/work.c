/* The scraper's workers (scrape.h): scraped bodies -> decoded, delta'd,
 * normalised profiles -> the store, a batch per store_append() so that
 * many small profiles share one commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ingest/normalize.h"
#include "../pprof/decode.h"
#include "delta.h"
#include "scrape_int.h"

#define WORK_BATCH 64

/* One body on its way to the store. */
struct item {
	struct unit *u;
	int64_t ts, span;
	int endpoint_delta;       /* u->endpoint_delta, read under the lock (a
	                             reload may rewrite it while we work) */
	struct pprof_profile *p, *d;
	struct norm *n;
	enum health health;
	char error[256];
};

void scrape_queue(struct scraper *s, struct unit *u)
{
	u->qnext = NULL;
	__atomic_store_n(&u->queued, 1, __ATOMIC_RELEASE);
	if (s->qtail)
		s->qtail->qnext = u;
	else
		s->qhead = u;
	s->qtail = u;
	pthread_cond_signal(&s->work_cv);
}

static int has_cumulative(const struct pprof_profile *p)
{
	uint32_t i;

	for (i = 0; i < p->nsample_type; i++) {
		struct pprof_str t = p->str[p->sample_type[i].type];
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)t.len, t.ptr);
		if (delta_is_cumulative(name))
			return 1;
	}
	return 0;
}

static void fail(struct item *it, const char *what, const struct err *e)
{
	it->health = H_DOWN;
	snprintf(it->error, sizeof(it->error), "%s: %.200s", what, e->msg);
}

/* Decoded, made a delta if need be, and normalised. it->n stays NULL when
 * there is nothing to store (an error, or a delta baseline). */
static void prepare(struct item *it)
{
	struct unit *u = it->u;
	struct norm_opts o = {0};
	struct err e = {0};
	int first = 0;

	it->health = H_UP;
	if (pprof_decode(u->work.data, u->work.len, NULL, &it->p, &e) < 0) {
		fail(it, "not a pprof profile", &e);
		return;
	}
	if (!it->endpoint_delta && has_cumulative(it->p)) {
		if (delta_compute(u->delta, it->p, &it->d, &first, &e) < 0) {
			fail(it, "delta", &e);
			return;
		}
		if (first)
			return;
	}
	/* Identity fields: never rewritten while the unit lives (scrape_int.h). */
	o.name = u->prof_name;
	o.labels = u->labels.l;
	o.nlabels = u->labels.n;
	if (normalize(it->d ? it->d : it->p, &o, &it->n, &e) < 0)
		fail(it, "labels", &e);
}

/* Stores the prepared items: one append for the batch; if it fails, one
 * per item, so that each error lands on its own unit. */
static void store_items(struct scraper *s, struct item *it, size_t n)
{
	struct store_profile sp[WORK_BATCH];
	size_t i, k = 0;
	struct err e = {0};

	for (i = 0; i < n; i++)
		if (it[i].n)
			sp[k++] = (struct store_profile){it[i].d ? it[i].d : it[i].p, it[i].n,
							 it[i].ts, it[i].span};
	if (!k || store_append(s->store, sp, k, &e) == 0)
		return;
	for (i = 0; i < n; i++) {
		struct store_profile one = {it[i].d ? it[i].d : it[i].p, it[i].n, it[i].ts, it[i].span};
		if (it[i].n && store_append(s->store, &one, 1, &e) < 0)
			fail(&it[i], "storing", &e);
	}
}

/* Takes up to WORK_BATCH queued units; 0 when stopping. Under mu. */
static size_t take(struct scraper *s, struct item *it)
{
	size_t n = 0;

	while (!s->qhead && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&s->work_cv, &s->mu);
	while (s->qhead && n < WORK_BATCH) {
		struct unit *u = s->qhead;
		s->qhead = u->qnext;
		if (!s->qhead)
			s->qtail = NULL;
		memset(&it[n], 0, sizeof(it[n]));
		it[n].u = u;
		it[n].ts = u->last_start;
		it[n].span = u->span;
		it[n].endpoint_delta = u->endpoint_delta;
		n++;
	}
	return n;
}

static void *worker(void *arg)
{
	struct scraper *s = arg;
	struct item *it = calloc(WORK_BATCH, sizeof(*it));
	size_t n, i;

	pthread_mutex_lock(&s->mu);
	while (it && (n = take(s, it)) > 0) {
		pthread_mutex_unlock(&s->mu);
		for (i = 0; i < n; i++)
			prepare(&it[i]);
		store_items(s, it, n);
		pthread_mutex_lock(&s->mu);
		for (i = 0; i < n; i++) {
			struct unit *u = it[i].u;
			u->health = it[i].health;
			snprintf(u->last_error, sizeof(u->last_error), "%s", it[i].error);
			if (it[i].health == H_DOWN)
				s->stats[u->stat].errors++;
			else if (it[i].n)
				s->stats[u->stat].stored++;
			buf_release(&u->work);
			__atomic_store_n(&u->queued, 0, __ATOMIC_RELEASE);
			if (u->dead)
				scrape_unit_free(u);
			norm_free(it[i].n);
			pprof_free(it[i].d);
			pprof_free(it[i].p);
		}
	}
	pthread_mutex_unlock(&s->mu);
	free(it);
	return NULL;
}

int scrape_workers_start(struct scraper *s, struct err *e)
{
	for (s->nworkers = 0; s->nworkers < SCRAPE_WORKERS; s->nworkers++)
		if (pthread_create(&s->workers[s->nworkers], NULL, worker, s) != 0) {
			scrape_workers_stop(s);
			return err_set(e, -EAGAIN, "scrape: cannot start a worker thread");
		}
	return 0;
}

/* Workers finish their batch and exit; what is still queued is dropped. */
void scrape_workers_stop(struct scraper *s)
{
	struct unit *u;
	int i;

	pthread_mutex_lock(&s->mu);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	while ((u = s->qhead)) {
		s->qhead = u->qnext;
		buf_release(&u->work);
		__atomic_store_n(&u->queued, 0, __ATOMIC_RELEASE);
		if (u->dead)
			scrape_unit_free(u);
	}
	s->qtail = NULL;
	pthread_cond_broadcast(&s->work_cv);
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
	s->nworkers = 0;
}
