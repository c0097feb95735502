/* scrape: pull profiles from /debug/pprof endpoints into the store.
 *
 * Every (target, profile type) is a unit with its own schedule, staggered
 * within the interval by a hash of the target so that a thousand targets
 * do not all fire at once. One network thread drives all transfers through
 * curl's multi interface, at most SCRAPE_MAX_INFLIGHT at a time (fewer when
 * the open-files limit is low); each transfer has the job's timeout and a
 * body cap (64 MiB), so a slow, hanging, huge or lying target costs only
 * its own unit. A finished body goes to a small pool of worker threads,
 * which decode it, make it a delta when its sample types are cumulative
 * (delta.h; the first scrape of such a unit only sets the baseline),
 * normalise it with the target's labels and store it, in batches, with the
 * scrape's start time. A unit whose previous scrape is still in flight or
 * being stored when it is due again skips that interval; skipped intervals
 * are counted (stackyard_scrape_missed_intervals_total).
 *
 * Targets come from static_configs and file_sd_configs (filesd.h, polled
 * every SCRAPE_SD_POLL_MS and read on a thread of their own, so that slow
 * or large files delay neither transfers nor the status pages), relabelled
 * per job, at most global.max_targets units in all (the rest are dropped,
 * logged and listed in discovery_errors). When the target list
 * changes, by discovery or by scraper_reload(), units are matched by
 * identity (job, profile type, URL, labels): those that stay keep their
 * schedule, delta baseline and status; new ones start on their own
 * staggered schedule; removed ones are stopped.
 *
 * Series labels: job, instance, the static and relabelled labels (those not
 * starting with "__"), service_name (the job unless a label sets it), and
 * __name__ (the profile type's name). */
#ifndef STACKYARD_SCRAPE_SCRAPE_H
#define STACKYARD_SCRAPE_SCRAPE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "../store/store.h"
#include "config.h"

#define SCRAPE_MAX_INFLIGHT 4096
#define SCRAPE_MAX_BODY (64u << 20)
#define SCRAPE_SD_POLL_MS 2000
#define SCRAPE_WORKERS 2

struct scraper;

/* How the scraper logs what an operator should see (target files that
 * cannot be read): the server's logger. */
typedef void (*scrape_log_fn)(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Takes ownership of cfg (also on error). log may be NULL (no logging). */
int scraper_start(struct scrape_config *cfg, struct store *store, scrape_log_fn log,
		  struct scraper **out, struct err *e);
/* Stops the threads, aborts transfers in flight, frees. NULL is a no-op. */
void scraper_stop(struct scraper *s);

/* Replaces the running configuration with cfg (owned by the scraper from
 * now on, also on error). Relabel rules are compiled first: on an error
 * nothing changes. Returns once the units run the new configuration,
 * with the targets of its file_sd files read. */
int scraper_reload(struct scraper *s, struct scrape_config *cfg, struct err *e);

/* scrape_config_load(path) then scraper_reload(): the one reload that
 * SIGHUP and POST /-/reload run. On an error (e says why, with file:line)
 * the running configuration stays. */
int scraper_reload_file(struct scraper *s, const char *path, struct err *e);

/* {"targets": [{"job", "url", "profile_type", "labels": {...}, "health",
 * "last_scrape", "duration_seconds", "last_error"}, ...],
 *  "discovery_errors": [{"job", "file", "error"}, ...]}
 * discovery_errors: target files that cannot be read, files over the
 * per-file_sd_configs limit (file: the first one ignored), and targets
 * dropped by global.max_targets (file: "").
 * s may be NULL (no configuration): empty lists. */
void scraper_targets_json(struct scraper *s, struct buf *out);

/* Prometheus text exposition of the scrape metrics per job and profile
 * type (see docs/API.md). s may be NULL: nothing is written. */
void scraper_metrics_write(struct scraper *s, struct buf *out);

#endif
