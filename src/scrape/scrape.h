/* scrape: pull profiles from /debug/pprof endpoints into the store.
 *
 * Every (target, profile type) is a unit with its own schedule, staggered
 * within the interval by a hash of the target so that a thousand targets
 * do not all fire at once. One thread drives all transfers through curl's
 * multi interface, at most SCRAPE_MAX_INFLIGHT at a time; each transfer has
 * the job's timeout and a body cap (64 MiB), so a slow, hanging, huge or
 * lying target costs only its own unit. A scraped profile is decoded, made
 * a delta when its sample types are cumulative (delta.h; the first scrape
 * of such a unit only sets the baseline), normalised with the target's
 * labels and stored with the scrape's start time.
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

#define SCRAPE_MAX_INFLIGHT 64
#define SCRAPE_MAX_BODY (64u << 20)

struct scraper;

/* cfg must outlive the scraper. */
int scraper_start(const struct scrape_config *cfg, struct store *store,
		  struct scraper **out, struct err *e);
/* Stops the thread, aborts transfers in flight, frees. NULL is a no-op. */
void scraper_stop(struct scraper *s);

/* {"targets": [{"job", "url", "profile_type", "labels": {...}, "health",
 * "last_scrape", "duration_seconds", "last_error"}, ...]} */
void scraper_targets_json(struct scraper *s, struct buf *out);

#endif
