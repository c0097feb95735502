/* scrape_int: the scraper's internals, shared by scrape.c (network thread,
 * sync, reload), discovery.c (runtime, file_sd thread), work.c (workers)
 * and status.c (targets JSON, metrics). Not an API: see scrape.h. */
#ifndef STACKYARD_SCRAPE_SCRAPE_INT_H
#define STACKYARD_SCRAPE_SCRAPE_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>

#include "../base/buf.h"
#include "config.h"
#include "filesd.h"
#include "relabel.h"
#include "scrape.h"

enum health { H_UNKNOWN, H_UP, H_DOWN };

#define STAT_NONE UINT32_MAX

/* One (target, profile type).
 *
 * key, job_name, prof_name, url and labels are set when the unit is made
 * and never change: they are its identity (the key is made of the others),
 * and a sync that wants other values makes another unit. So workers read
 * them with no lock. What a sync does change on a unit that stays is
 * either the network thread's own (job, prof, interval, next_due) or
 * written under mu (endpoint_delta, span), which take() copies. */
struct unit {
	char *key;                    /* identity: job, profile, URL, labels */
	char *job_name, *prof_name, *url;
	struct labelset labels;       /* the series labels */
	const struct scrape_job *job; /* network thread; re-pointed by sync */
	const struct pprof_target_cfg *prof; /* likewise */
	uint32_t stat;                /* row of scraper.stats; STAT_NONE until
	                                 the sync that made it is applied */
	int64_t interval;             /* ns */
	int64_t span;                 /* ns covered by one stored profile */
	int endpoint_delta;           /* the endpoint returns deltas (?seconds=) */
	int64_t next_due;
	/* the transfer (network thread) */
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to; /* tls_config.server_name */
	struct buf body;
	int too_big;
	int64_t started;
	/* hand-off: set by the network thread, cleared by a worker, under mu */
	int queued;
	int dead;                     /* removed while queued: the worker frees it */
	struct unit *qnext;
	struct buf work;              /* the body being processed */
	struct delta *delta;          /* workers only */
	/* status, under mu */
	int64_t last_start, last_duration;
	enum health health;
	char last_error[256];
};

struct jobrt {
	const struct scrape_job *job;
	struct relabeler *rl;         /* NULL without relabel_configs */
	struct filesd **sd;           /* one per file_sd_configs entry (in runtime.sd) */
	size_t dropped;               /* units over global.max_targets; under mu */
};

/* A configuration made ready to run: owns cfg. Network thread; changed
 * under mu. */
struct runtime {
	struct scrape_config *cfg;
	struct jobrt *jobs;           /* cfg->njobs */
	struct filesd **sd;           /* every job's watchers, in job order */
	size_t nsd;
};

/* A unit a runtime wants, before it is matched against the running ones. */
struct want {
	char *key, *url;              /* identity (as unit.key), URL */
	struct labelset labels;       /* the series labels */
	uint32_t job, prof;           /* indexes: cfg->jobs, that job's profiles */
};

/* plan.c: every unit a runtime wants, in configuration order (jobs in
 * order; a job's static targets, then its file_sd files by path),
 * duplicates removed, at most cfg->max_targets; what is over it is counted
 * per job. plan_build reads rt's watchers, or their scans when sc is not
 * NULL (one per runtime.sd, not applied yet). No lock: rt must not change
 * meanwhile. */
struct plan {
	struct want *w;
	size_t n, cap;
	size_t *dropped;              /* per job */
};

struct plan *plan_build(const struct runtime *rt, struct filesd_scan *const *sc);
void plan_free(struct plan *p);   /* NULL is a no-op */

/* Counters per (job, profile type); they outlive reloads. */
struct stat_row {
	uint64_t scrapes, errors, bytes, missed;
	uint64_t stored;              /* scrapes that stored a profile (not a baseline) */
	double seconds;               /* sum of transfer durations */
	double late;                  /* sum of start delays past the due time */
};

struct scraper {
	struct runtime *rt, *pending;
	struct store *store;
	scrape_log_fn log;
	struct unit **units;
	size_t nunits, cap;
	CURLM *multi;
	int inflight, max_inflight;
	int64_t next_sd_poll;
	struct runtime *retired;      /* network thread: replaced by a reload,
	                                 freed once units point at the new one */
	int64_t next_start;           /* ns; no unit is due before (0: look now) */
	int starved;                  /* a due unit waits for room in the pool */
	int ep;                       /* epoll: curl's sockets and the wakeup */
	int wake;                     /* eventfd: reload or stop */
	int64_t curl_deadline;        /* ns; curl's timer, -1 when none */
	pthread_t thread;
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t reload_cv;
	pthread_mutex_t reload_mu;    /* one reload at a time */
	uint64_t reloads;
	int last_reload_failed;
	/* work queue, under mu */
	struct unit *qhead, *qtail;
	pthread_cond_t work_cv;
	pthread_t workers[SCRAPE_WORKERS];
	int nworkers;
	/* discovery (discovery.c): file_sd scans and plans on their own thread */
	pthread_t sd_thread;
	int sd_running;
	pthread_cond_t sd_cv;         /* a request, or stop */
	int sd_stop;                  /* under mu */
	struct runtime *sd_req;       /* under mu: scan this runtime... */
	int64_t sd_now;               /* ...at this time... */
	int sd_force;                 /* ...and plan even if nothing changed */
	int sd_done;                  /* under mu: the result is there: */
	struct filesd_scan **sd_scans;/*   one scan per watcher */
	struct plan *sd_plan;         /*   NULL when nothing changed */
	int sd_busy;                  /* network thread: a request is out */
	/* counters, under mu */
	struct intern *stat_keys;     /* "job\0profile" -> row */
	struct stat_row *stats;
	size_t nstats, stats_cap;
};

int64_t scrape_now(void);
void scrape_unit_free(struct unit *u);
void scrape_wake(struct scraper *s);   /* the network thread */

/* discovery.c: the runtime. runtime_new compiles every job's relabel
 * rules and takes cfg (freed on error); runtime_adopt keeps, for the jobs
 * that stay, what their file_sd has read and their drop counts;
 * runtime_poll reads the files on the calling thread (the scraper's
 * start) and logs new errors, returning 1 when any target list changed. */
int runtime_new(struct scrape_config *cfg, struct runtime **out, struct err *e);
void runtime_free(struct runtime *rt);
void runtime_adopt(struct runtime *rt, struct runtime *old);
int runtime_poll(struct scraper *s, struct runtime *rt, int64_t now);

/* discovery.c: the discovery thread. Network thread: request a scan of
 * s->rt, and a plan of its units when a target list changed or force is
 * set; collect it (returns 1 when it was there: applied, new errors
 * logged, *plan the plan or NULL; 0 while it runs). */
int scrape_sd_start(struct scraper *s, struct err *e);
void scrape_sd_stop(struct scraper *s);   /* joins; frees a result not collected */
void scrape_sd_request(struct scraper *s, int64_t now, int force);
int scrape_sd_collect(struct scraper *s, struct plan **plan);

/* work.c. scrape_queue: under mu. */
void scrape_queue(struct scraper *s, struct unit *u);
int scrape_workers_start(struct scraper *s, struct err *e);
void scrape_workers_stop(struct scraper *s);

#endif
