/* store: where profiles live, behind a table of function pointers.
 *
 * The query engine and the server talk to a struct store; a backend
 * (struct store_ops) implements it. The embedded backend (store_sqlite.c)
 * keeps time-partitioned SQLite blocks in a directory; a second backend
 * (ClickHouse, later) must pass the same conformance suite
 * (tests/store/test_conformance.c), which drives only this header.
 *
 * Time is Unix nanoseconds throughout; ranges are [from, until).
 *
 * Concurrency: one struct store may be used from many threads. Appends are
 * serialised (one writer); queries read committed data through their own
 * connections and never wait for an append to finish.
 *
 * Durability: store_append() returns 0 only after the batch is committed
 * durably (fsync); then a crash loses none of it. Appending the same
 * (series, timestamp) again stores nothing new.
 *
 * Ownership: results handed to callbacks are valid only during the call;
 * a stacktree passed in is filled, not replaced. */
#ifndef STACKYARD_STORE_STORE_H
#define STACKYARD_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/label.h"
#include "../ingest/normalize.h"
#include "../pprof/profile.h"
#include "../query/selector.h"
#include "../query/stacktree.h"

#define STORE_NS_PER_SEC ((int64_t)1000000000)

struct store_config {
	const char *dir;             /* data directory, created if missing */
	int64_t block_duration;      /* ns; default 2 h */
	int64_t retention;           /* ns; 0 = default 30 days; < 0 = keep forever */
	uint64_t retention_bytes;    /* 0 = no size limit */
	int64_t head_grace;          /* ns a window stays writable after its end; default 10 min */
	int64_t warm;                /* ns: after opening, a background thread loads the
	                                blocks of the last `warm` (newest first) as their
	                                first query would; 0 = none */
};

/* One profile to store: a decoded pprof and the series it feeds. */
struct store_profile {
	const struct pprof_profile *p;
	const struct norm *n;
	int64_t ts;                  /* profile timestamp, ns */
	int64_t duration;            /* ns, 0 if unknown */
};

struct store_series_info {
	const char *profile_type;
	const struct label *labels;  /* sorted */
	size_t nlabels;
};

struct store_point {
	int64_t ts;                  /* start of the step */
	int64_t value;
};

struct store_stats {
	uint64_t blocks, sealed_blocks, series, profiles, bytes;
	int64_t min_time, max_time;
	int warming;                 /* the warm-up after opening is still running */
	/* In-memory registries the store keeps for merges (0 in a backend
	 * without them): frame paths, location paths and locations, and how
	 * often they were started afresh to drop what deleted blocks left. */
	uint64_t reg_paths, reg_lpaths, reg_locations, reg_rebuilds;
};

struct store;

typedef int (*store_series_cb)(void *ctx, const struct store_series_info *s);
typedef int (*store_string_cb)(void *ctx, const char *s);
typedef int (*store_range_cb)(void *ctx, const struct store_series_info *group,
			      const struct store_point *pts, size_t n);
/* One stored profile (store_profiles): its series, its timestamp and its
 * stacks as (node, value) pairs, nodes being ids in the caller's paths
 * tree. A node may appear more than once: add the values. */
typedef int (*store_profile_cb)(void *ctx, const struct store_series_info *s, int64_t ts,
				const uint32_t *nodes, const int64_t *values, size_t n);

struct store_ops {
	const char *name;
	int (*open)(const struct store_config *cfg, struct store **out, struct err *e);
	void (*close)(struct store *s);
	int (*append)(struct store *s, const struct store_profile *ps, size_t n,
		      struct err *e);
	int (*series)(struct store *s, const struct selector *sel, int64_t from,
		      int64_t until, store_series_cb cb, void *ctx, struct err *e);
	int (*label_names)(struct store *s, const struct selector *sel, int64_t from,
			   int64_t until, store_string_cb cb, void *ctx, struct err *e);
	int (*label_values)(struct store *s, const char *name, const struct selector *sel,
			    int64_t from, int64_t until, store_string_cb cb, void *ctx,
			    struct err *e);
	int (*profile_types)(struct store *s, int64_t from, int64_t until,
			     store_string_cb cb, void *ctx, struct err *e);
	int (*merge)(struct store *s, const struct selector *sel, int64_t from,
		     int64_t until, struct stacktree *out, struct err *e);
	int (*range)(struct store *s, const struct selector *sel, int64_t from,
		     int64_t until, int64_t step, const char *group_by,
		     store_range_cb cb, void *ctx, struct err *e);
	int (*maintain)(struct store *s, int64_t now, struct err *e);
	int (*stats)(struct store *s, struct store_stats *st, struct err *e);
	int (*profiles)(struct store *s, const struct selector *sel, int64_t from,
			int64_t until, struct stacktree *paths, store_profile_cb cb,
			void *ctx, struct err *e);
	int (*merge_pprof)(struct store *s, const struct selector *sel, int64_t from,
			   int64_t until, struct pprof_profile **out, struct err *e);
};

/* The embedded backend. */
extern const struct store_ops store_sqlite_ops;

/* Thin wrappers over s->ops (a struct store starts with its ops). */
int store_open(const struct store_ops *ops, const struct store_config *cfg,
	       struct store **out, struct err *e);
void store_close(struct store *s);  /* NULL is a no-op */
int store_append(struct store *s, const struct store_profile *ps, size_t n, struct err *e);
int store_series(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		 store_series_cb cb, void *ctx, struct err *e);
int store_label_names(struct store *s, const struct selector *sel, int64_t from,
		      int64_t until, store_string_cb cb, void *ctx, struct err *e);
int store_label_values(struct store *s, const char *name, const struct selector *sel,
		       int64_t from, int64_t until, store_string_cb cb, void *ctx,
		       struct err *e);
int store_profile_types(struct store *s, int64_t from, int64_t until,
			store_string_cb cb, void *ctx, struct err *e);
/* Adds the sum of values per stack over the selected series and range to
 * out. The selector must name a profile type. */
int store_merge(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		struct stacktree *out, struct err *e);
/* The same merge as full-fidelity pprof (*out, caller frees): samples are
 * stacks of the stored locations with their mappings, addresses and lines
 * (inlined frames in order), functions with names, system names, files and
 * start lines; equal locations and stacks are summed across profiles and
 * blocks with pprof's merge identity (pprof_merge). One sample type and the
 * period type, from the selector's profile type; time_nanos the earliest
 * selected profile, duration_nanos the sum of their durations, period the
 * largest stored. An empty selection gives a profile with no samples. */
int store_merge_pprof(struct store *s, const struct selector *sel, int64_t from,
		      int64_t until, struct pprof_profile **out, struct err *e);
/* Totals per step ([from + k*step, from + (k+1)*step)), one callback per
 * series, or per value of group_by when it is given. */
int store_range(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		int64_t step, const char *group_by, store_range_cb cb, void *ctx,
		struct err *e);
/* Seals windows past their grace, builds roll-ups, applies retention. */
int store_maintain(struct store *s, int64_t now, struct err *e);
int store_stats(struct store *s, struct store_stats *st, struct err *e);
/* Visits every stored profile (never a roll-up) of the selected series in
 * [from, until), one callback each, for statistics that need the spread
 * between profiles. Stacks become nodes of paths (one node per frame-name
 * path, root first, as store_merge builds them; paths only grows, and its
 * values are left alone), so that every profile of every block speaks of
 * the same path by the same node id. Order: unspecified. The selector must
 * name a profile type. A nonzero return from cb stops the visit:
 * -ECANCELED. */
int store_profiles(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		   struct stacktree *paths, store_profile_cb cb, void *ctx, struct err *e);

/* Every store begins with this header. */
struct store_base {
	const struct store_ops *ops;
};

#endif
