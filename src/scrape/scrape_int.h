/* scrape_int: the scraper's internals, shared by scrape.c (network thread,
 * sync, reload), work.c (workers) and status.c (targets JSON, metrics).
 * Not an API: see scrape.h. */
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

/* One (target, profile type). */
struct unit {
	char *key;                    /* identity: job, profile, URL, labels */
	char *job_name, *prof_name, *url;
	struct labelset labels;       /* the series labels */
	const struct scrape_job *job; /* network thread; re-pointed by sync */
	uint32_t stat;                /* row of scraper.stats */
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
	struct filesd **sd;           /* one per file_sd_configs entry */
};

/* A configuration made ready to run: owns cfg. */
struct runtime {
	struct scrape_config *cfg;
	struct jobrt *jobs;           /* cfg->njobs */
};

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
	/* counters, under mu */
	struct intern *stat_keys;     /* "job\0profile" -> row */
	struct stat_row *stats;
	size_t nstats, stats_cap;
};

int64_t scrape_now(void);
void scrape_unit_free(struct unit *u);

/* work.c. scrape_queue: under mu. */
void scrape_queue(struct scraper *s, struct unit *u);
int scrape_workers_start(struct scraper *s, struct err *e);
void scrape_workers_stop(struct scraper *s);

#endif
