/* normalize: one decoded pprof -> the series it feeds.
 *
 * A pprof with several sample types becomes one series per sample type,
 * named by its profile type id `name:sample_type:sample_unit:period_type:
 * period_unit` (for example process_cpu:cpu:nanoseconds:cpu:nanoseconds).
 * Series labels are the given labels, plus
 *   service_name      the given one, else the "service_name" of labels,
 *                     else "unknown"
 *   __name__          the profile name (process_cpu, memory, goroutine, ...)
 *   __profile_type__  the profile type id
 * and, per sample, the sample's string labels (pprof labels such as a
 * handler or a pod), except the names in drop_labels (default span_id,
 * trace_id, profile_id: unbounded values that would explode the number of
 * series). Samples with different label sets therefore land in different
 * series; numeric labels are ignored. The profile name, when not given,
 * is inferred as Pyroscope and Parca name Go's profiles:
 *   cpu/nanoseconds or samples/count with period cpu  -> process_cpu
 *   alloc_* / inuse_* (space or objects)             -> memory
 *   goroutine(s)                                      -> goroutine
 *   contentions/delay with period contentions         -> block (Go's block and
 *                                                        mutex profiles look
 *                                                        alike: callers pass
 *                                                        name "mutex")
 *   anything else                                     -> the first sample type
 *
 * Labels are validated: names match [A-Za-z_][A-Za-z0-9_.]*, at most
 * max_labels per series (default 30), name length <= 128, value length <=
 * 2048 bytes; a bad given label is an error naming it. The one exception:
 * label names inside pprof samples are free-form in practice ("thread id"),
 * so bytes not allowed in a label name become '_' rather than failing the
 * whole profile; their length caps are still errors.
 *
 * Output: struct norm holds the series; each lists the indices of the pprof
 * samples it owns and the value index to read. The pprof is not copied: it
 * must outlive the struct norm. norm_free(NULL) is a no-op. */
#ifndef STACKYARD_INGEST_NORMALIZE_H
#define STACKYARD_INGEST_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/label.h"
#include "../pprof/profile.h"

struct norm_series {
	char *profile_type;     /* owned */
	struct label *labels;   /* owned strings; sorted by name, unique names */
	size_t nlabels;
	int value_index;        /* which pprof value this series reads */
	uint32_t *samples;      /* pprof sample indices, nonzero values only */
	size_t nsamples;
	int64_t total;          /* sum of the series' values */
};

struct norm {
	struct norm_series *series;
	size_t nseries;
};

struct norm_opts {
	const char *name;               /* profile name; NULL = infer */
	const struct label *labels;     /* given labels (service_name, job, ...) */
	size_t nlabels;
	const char *const *drop_labels; /* NULL = span_id, trace_id, profile_id */
	size_t ndrop;
	size_t max_labels;              /* 0 = 30 */
};

int normalize(const struct pprof_profile *p, const struct norm_opts *o,
	      struct norm **out, struct err *e);
void norm_free(struct norm *n);

/* Profile name inferred for sample type vi of p (see above). */
const char *normalize_profile_name(const struct pprof_profile *p, int vi);

#endif
