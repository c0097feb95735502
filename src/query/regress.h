/* regress: which functions and call paths changed their share of the cost
 * between a base and a target set of profiles, and whether the change is
 * larger than the noise between profiles. The method, its assumptions and
 * how to read the numbers are in docs/REGRESS.md; in short:
 *
 *   - every profile is reduced to shares of its own total: per function
 *     its self and total (cum) share, per call path (a node of a tree of
 *     frame names, root first) the share of stacks passing through it;
 *   - per feature, base and target mean shares are compared with Welch's
 *     t-test over profiles (the profiles are the replicates, so the spread
 *     between profiles is the noise);
 *   - the verdict is at a family-wise confidence: Bonferroni over every
 *     feature tested, so the chance that any row of a report is flagged
 *     without a real change beyond the threshold is at most 1 - confidence;
 *   - a feature is a regression when the whole confidence interval of its
 *     share change lies above +threshold, an improvement when it lies below
 *     -threshold, noise otherwise.
 *
 * Memory is O(features), not O(profiles): a profile is folded into running
 * sums as it is added, so any number of profiles can stream through.
 *
 * Use: regress_new(); express each profile's stacks as nodes of
 * regress_paths() (store_profiles() does this) and call regress_add(), or
 * hand over a profile as its own stacktree with regress_add_tree(); then
 * regress_report() builds the report (regress_report.h renders it).
 * regress_free(NULL) is a no-op. */
#ifndef STACKYARD_QUERY_REGRESS_H
#define STACKYARD_QUERY_REGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "stacktree.h"

enum regress_side { REGRESS_BASE = 0, REGRESS_TARGET = 1 };

/* Fewer non-empty profiles than this on either side: "too few profiles to
 * judge". With fewer, the spread between profiles (the noise estimate)
 * rests on too few values to bound anything at a useful confidence. */
#define REGRESS_MIN_PROFILES 5

/* Features whose mean share over both sides is below this are reported but
 * not tested (verdict noise, tested false): they cannot matter at any
 * sensible threshold, and leaving them out of the Bonferroni family keeps
 * the test sharp for the ones that can. The filter ignores which side a
 * profile is on, so it does not bias the tests it keeps. */
#define REGRESS_MIN_SHARE 0.001

enum regress_verdict { REGRESS_NOISE = 0, REGRESS_REGRESSION, REGRESS_IMPROVEMENT };

struct regress_opts {
	double confidence;   /* family-wise, in (0, 1); e.g. 0.99 */
	double threshold;    /* share change that matters, as a fraction of the
			      * total: 0.01 = one percentage point */
	size_t limit;        /* rows per list in the report; 0 = all */
	const char *profile_type; /* copied into the report; may be NULL */
};

/* One tested quantity: mean shares (fractions of the profile total) and the
 * change, with its simultaneous confidence interval [lo, hi] and the
 * Bonferroni-adjusted p-value of "changed by more than the threshold". */
struct regress_stat {
	double base, target, delta, lo, hi, p;
	int verdict;         /* enum regress_verdict */
	int tested;          /* 0: below REGRESS_MIN_SHARE, lo/hi/p meaningless */
	uint32_t nbase, ntarget; /* profiles in which it appears */
};

/* A function (nframes = 1) or a call path (frames root first). Paths use
 * total only; self is the share of stacks ending exactly there, untested. */
struct regress_item {
	const char **frames;
	size_t nframes;
	struct regress_stat self, total;
	int verdict;         /* functions: regression if self or total is, etc. */
	double score;        /* the ranking key (see docs/REGRESS.md) */
};

struct regress_list {
	struct regress_item *v;
	size_t n;            /* rows in v (at most limit) */
	size_t all;          /* rows before the limit */
};

/* The whole answer; owns everything it points to (regress_report_free). */
struct regress_report {
	char *profile_type;
	double confidence, threshold;
	uint32_t nbase, ntarget;      /* non-empty profiles */
	uint32_t empty_base, empty_target; /* profiles with total 0, left out */
	double base_total, target_total;   /* mean total per profile */
	struct regress_stat totals;   /* the totals themselves (not shares),
				       * delta relative to base_total; one test */
	size_t ntests;                /* the Bonferroni family */
	size_t regressions, improvements; /* functions, by verdict */
	size_t self_regressions;      /* of those, regressed in their own code */
	struct regress_list functions, paths, new_paths, vanished_paths;
	struct arena *arena;
};

struct regress;

struct regress *regress_new(void);
void regress_free(struct regress *r);

/* The tree whose nodes regress_add() speaks of. Owned by r. */
struct stacktree *regress_paths(struct regress *r);

/* One profile of side: (node, value) pairs, nodes of regress_paths(r),
 * repeats allowed. Values are the profile's own (any unit); only shares of
 * the profile's total are compared. A profile whose total is not positive
 * is counted as empty and left out. */
void regress_add(struct regress *r, int side, const uint32_t *nodes, const int64_t *values,
		 size_t n);

/* One profile given as its own stacktree (self values are the samples). */
void regress_add_tree(struct regress *r, int side, const struct stacktree *t);

uint32_t regress_count(const struct regress *r, int side);

/* Builds the report. Fails with -EDOM and a message that says so when a
 * side has fewer than REGRESS_MIN_PROFILES non-empty profiles, -EINVAL on
 * bad options. */
int regress_report(struct regress *r, const struct regress_opts *o,
		   struct regress_report **out, struct err *e);
void regress_report_free(struct regress_report *rep);

/* "5%" -> 0.05, "0.05" -> 0.05; a threshold must be in [0, 1). */
int regress_parse_threshold(const char *s, double *out, struct err *e);
/* "0.99" or "99%" -> 0.99; must be in (0, 1). */
int regress_parse_confidence(const char *s, double *out, struct err *e);

#endif
