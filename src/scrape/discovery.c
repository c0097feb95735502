/* The scraper's runtime (a configuration made ready to run) and its
 * file_sd discovery thread (scrape_int.h).
 *
 * Reading target files can take long: a slow or hung network file system,
 * a file of megabytes, thousands of files; and so can relabelling the
 * targets they list. The network thread drives every transfer and the lock
 * guards the status pages, so neither may wait for that. The network
 * thread asks the discovery thread for a scan of the running runtime's
 * watchers (scrape_sd_request); the discovery thread globs, stats, reads
 * and parses with no lock held (filesd_scan, which changes no watcher),
 * and when a target list changed plans the units from the scans
 * (plan_build), and hands both back; the network thread installs the scans
 * under the lock by moving pointers (scrape_sd_collect), frees what they
 * replaced with the lock released, and syncs the units with the plan.
 *
 * While a scan is out, the network thread changes no watcher: it neither
 * collects another scan nor switches to a reloaded runtime (adoption moves
 * watchers' files, and the old runtime is freed), so the discovery thread
 * reads watchers that stay put. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"
#include "scrape_int.h"

/* ---- runtime ------------------------------------------------------------------ */

void runtime_free(struct runtime *rt)
{
	size_t i;

	if (!rt)
		return;
	for (i = 0; rt->jobs && i < rt->cfg->njobs; i++)
		relabel_free(rt->jobs[i].rl);
	for (i = 0; i < rt->nsd; i++)
		filesd_free(rt->sd[i]);
	free(rt->sd);
	free(rt->jobs);
	scrape_config_free(rt->cfg);
	free(rt);
}

int runtime_new(struct scrape_config *cfg, struct runtime **out, struct err *e)
{
	struct runtime *rt = xcalloc(1, sizeof(*rt));
	size_t i, k;
	int rc;

	rt->cfg = cfg;
	rt->jobs = xcalloc(cfg->njobs ? cfg->njobs : 1, sizeof(*rt->jobs));
	for (i = 0; i < cfg->njobs; i++)
		rt->nsd += cfg->jobs[i].nfile_sd;
	rt->sd = xcalloc(rt->nsd ? rt->nsd : 1, sizeof(*rt->sd));
	rt->nsd = 0;
	for (i = 0; i < cfg->njobs; i++) {
		struct jobrt *jr = &rt->jobs[i];
		jr->job = &cfg->jobs[i];
		jr->sd = &rt->sd[rt->nsd];
		for (k = 0; k < jr->job->nfile_sd; k++)
			rt->sd[rt->nsd++] = filesd_new(&jr->job->file_sd[k]);
		if (jr->job->nrelabel &&
		    (rc = relabel_compile(jr->job->relabel, jr->job->nrelabel, &jr->rl, e)) < 0) {
			err_prefix(e, "job %s", jr->job->job_name);
			runtime_free(rt);
			return rc;
		}
	}
	*out = rt;
	return 0;
}

void runtime_adopt(struct runtime *rt, struct runtime *old)
{
	size_t i, j, k;

	for (i = 0; old && i < rt->cfg->njobs; i++)
		for (j = 0; j < old->cfg->njobs; j++) {
			if (strcmp(rt->jobs[i].job->job_name, old->jobs[j].job->job_name))
				continue;
			/* What runs until the sync: the log tells changes. */
			rt->jobs[i].dropped = old->jobs[j].dropped;
			for (k = 0; k < rt->jobs[i].job->nfile_sd && k < old->jobs[j].job->nfile_sd; k++)
				filesd_adopt(rt->jobs[i].sd[k], old->jobs[j].sd[k]);
		}
}

static void log_sd_error(const char *path, const char *error, void *arg)
{
	const struct scraper *s = arg;

	if (!s->log)
		return;
	if (path)   /* the error names it */
		s->log("warn", "file_sd: %s (its last good targets are kept)", error);
	else
		s->log("warn", "file_sd: %s", error);
}

/* Logs the errors not logged yet. Network thread. */
static void runtime_report(struct scraper *s, struct runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->nsd; i++)
		filesd_report(rt->sd[i], log_sd_error, s);
}

int runtime_poll(struct scraper *s, struct runtime *rt, int64_t now)
{
	size_t i;
	int changed = 0;

	for (i = 0; i < rt->nsd; i++)
		changed |= filesd_poll(rt->sd[i], now);
	runtime_report(s, rt);
	return changed;
}

/* ---- the discovery thread ------------------------------------------------------- */

static void scans_free(struct filesd_scan **sc, size_t n)
{
	size_t i;

	for (i = 0; sc && i < n; i++)
		filesd_scan_free(sc[i]);
	free(sc);
}

/* Scans every watcher of rt, and plans its units when that changed any
 * target list or force is set. No lock held. */
static void sd_work(struct scraper *s, struct runtime *rt, int64_t now, int force)
{
	struct filesd_scan **sc = xcalloc(rt->nsd ? rt->nsd : 1, sizeof(*sc));
	struct plan *p = NULL;
	size_t i;

	for (i = 0; i < rt->nsd; i++) {
		sc[i] = filesd_scan(rt->sd[i], now);
		force |= filesd_scan_changed(sc[i]);
	}
	if (force)
		p = plan_build(rt, sc);
	pthread_mutex_lock(&s->mu);
	s->sd_scans = sc;
	s->sd_plan = p;
	s->sd_done = 1;
	pthread_mutex_unlock(&s->mu);
	scrape_wake(s);
}

static void *sd_main(void *arg)
{
	struct scraper *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->sd_stop) {
		struct runtime *rt = s->sd_req;
		int64_t now = s->sd_now;
		int force = s->sd_force;

		if (!rt) {
			pthread_cond_wait(&s->sd_cv, &s->mu);
			continue;
		}
		s->sd_req = NULL;
		pthread_mutex_unlock(&s->mu);
		sd_work(s, rt, now, force);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int scrape_sd_start(struct scraper *s, struct err *e)
{
	if (pthread_create(&s->sd_thread, NULL, sd_main, s) != 0)
		return err_set(e, -EAGAIN, "scrape: cannot start the discovery thread");
	s->sd_running = 1;
	return 0;
}

void scrape_sd_stop(struct scraper *s)
{
	if (s->sd_running) {
		pthread_mutex_lock(&s->mu);
		s->sd_stop = 1;
		pthread_cond_signal(&s->sd_cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->sd_thread, NULL);
		s->sd_running = 0;
	}
	/* A result nobody collected was of s->rt, which is still there. */
	scans_free(s->sd_scans, s->rt ? s->rt->nsd : 0);
	plan_free(s->sd_plan);
	s->sd_scans = NULL;
	s->sd_plan = NULL;
	s->sd_done = 0;
}

void scrape_sd_request(struct scraper *s, int64_t now, int force)
{
	pthread_mutex_lock(&s->mu);
	s->sd_req = s->rt;
	s->sd_now = now;
	s->sd_force = force;
	s->sd_busy = 1;
	pthread_cond_signal(&s->sd_cv);
	pthread_mutex_unlock(&s->mu);
}

int scrape_sd_collect(struct scraper *s, struct plan **plan)
{
	struct filesd_scan **sc = NULL;
	size_t i;

	*plan = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->sd_done) {
		sc = s->sd_scans;
		*plan = s->sd_plan;
		for (i = 0; i < s->rt->nsd; i++)
			filesd_apply(s->rt->sd[i], sc[i]);
		s->sd_scans = NULL;
		s->sd_plan = NULL;
		s->sd_done = 0;
	}
	pthread_mutex_unlock(&s->mu);
	if (!sc)
		return 0;
	s->sd_busy = 0;
	/* What the scans replaced, freed with the lock released. */
	scans_free(sc, s->rt->nsd);
	runtime_report(s, s->rt);
	return 1;
}
