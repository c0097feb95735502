/* delta: cumulative pprof profiles turned into per-interval deltas.
 *
 * Go's allocs (alloc_objects, alloc_space), block and mutex profiles count
 * since the process started. Storing them as they come would make every
 * scrape repeat all history, so the scraper keeps the previous profile of
 * each (target, profile type) and stores the difference. Samples are keyed
 * by their stack as function names and addresses (never pprof location ids,
 * which producers renumber) plus their labels. A value that went down means
 * the process restarted: the state is reset and the new profile is taken
 * as it is (never a negative value). Sample types that are snapshots
 * (inuse_*, goroutine) pass through unchanged.
 *
 * delta_is_cumulative() tells which sample types are cumulative: alloc_*,
 * contentions and delay (block, mutex), and any type the caller marks. */
#ifndef STACKYARD_SCRAPE_DELTA_H
#define STACKYARD_SCRAPE_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../pprof/profile.h"

struct delta;

struct delta *delta_new(void);
void delta_free(struct delta *d);

int delta_is_cumulative(const char *sample_type);

/* Computes the delta of p against the previous profile given to d, and
 * remembers p's cumulative values for next time. On the first call, or
 * after a reset, *out is NULL and *first is 1: there is no interval yet
 * (callers store nothing, as Parca does). Otherwise *out is a new profile
 * (caller frees) with the same sample types as p: cumulative types hold the
 * difference, snapshot types p's own values; samples whose values are all
 * zero are dropped. p is not changed and may be freed afterwards. A change
 * of sample types resets the state. */
int delta_compute(struct delta *d, const struct pprof_profile *p,
		  struct pprof_profile **out, int *first, struct err *e);

#endif
