/* merge: combine profiles exactly as pprof's profile.Merge does.
 *
 * Requirements (pprof's compatible()): the same period_type, and the same
 * sample types (type and unit) in the same order; otherwise -EINVAL with a
 * message naming the first difference.
 *
 * Identity, as pprof keys it:
 *   mapping  (size rounded up to 4 KiB, file offset, build id else file)
 *   function (name, system name, file name, start line)
 *   location (address - mapping start, mapping, is_folded, lines)
 *   sample   (locations, string labels, numeric labels with units)
 * Values of equal samples are summed; samples whose values are all zero are
 * dropped; ids are renumbered densely from 1 in first-seen order, the first
 * mapping seen first. Header: time_nanos min (pprof's rule), duration_nanos
 * summed, period max, comments united, default_sample_type and doc_url the
 * first non-empty, the rest from the first profile.
 *
 * The sources are not changed. *out is a new profile (pprof_free()). */
#ifndef STACKYARD_PPROF_MERGE_H
#define STACKYARD_PPROF_MERGE_H

#include <stddef.h>

#include "../base/err.h"
#include "profile.h"

/* Returns 0 if a and b can be merged, else -EINVAL with the reason. */
int pprof_compatible(const struct pprof_profile *a,
		     const struct pprof_profile *b, struct err *e);

int pprof_merge(struct pprof_profile *const *srcs, size_t n,
		struct pprof_profile **out, struct err *e);

/* Streaming form of the same merge, for many profiles that need not all be
 * in memory at once: add them one by one (each may be freed right after
 * its add), then finish. The result equals pprof_merge() of the same
 * sequence. An add that fails (incompatible) changes nothing. */
struct pprof_merger;

struct pprof_merger *pprof_merger_new(void);
int pprof_merger_add(struct pprof_merger *m, const struct pprof_profile *src,
		     struct err *e);
/* The merged profile (caller frees), or -EINVAL if nothing was added. The
 * merger is freed either way. */
int pprof_merger_finish(struct pprof_merger *m, struct pprof_profile **out,
			struct err *e);
/* Frees a merger without finishing (NULL is a no-op). */
void pprof_merger_free(struct pprof_merger *m);

/* A merger as a symbol registry, for stores that keep symbols apart from
 * samples: pprof_merger_source() names the profile whose locations the
 * following pprof_merger_location() calls map (call it again whenever that
 * profile changes or grows; the memo of the previous source is dropped);
 * pprof_merger_location() maps location li of it, with its mapping,
 * functions and strings, into the merger's profile by pprof's identity and
 * returns its index there. pprof_merger_symbols() is that profile: its
 * symbols only ever grow; it has no samples unless some were added. */
void pprof_merger_source(struct pprof_merger *m, const struct pprof_profile *src);
uint32_t pprof_merger_location(struct pprof_merger *m, uint32_t li);
const struct pprof_profile *pprof_merger_symbols(const struct pprof_merger *m);

#endif
