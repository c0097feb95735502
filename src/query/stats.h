/* stats: the few distributions and tests regression finding needs.
 *
 * Pure functions over doubles, no allocation. Accuracy: about 1e-12
 * relative in the tails that matter here (probabilities down to 1e-15),
 * enough for Bonferroni levels over a million tests. */
#ifndef STACKYARD_QUERY_STATS_H
#define STACKYARD_QUERY_STATS_H

#include <stdint.h>

/* The regularised incomplete beta function I_x(a, b), a, b > 0. */
double stats_ibeta(double a, double b, double x);

/* Upper tail of Student's t with df degrees of freedom: P(T > t).
 * df <= 0 or NaN reads as a normal distribution (infinite df). */
double stats_t_sf(double t, double df);

/* The t with P(T > t) = p, 0 < p < 1 (inverse of stats_t_sf). */
double stats_t_isf(double p, double df);

/* Running sums of one variable over a sample, for Welch's test. Values
 * absent from an observation count as 0, so only present ones are added;
 * n (the sample size) is given when testing. */
struct stats_acc {
	double sum, sumsq;
	uint32_t present;  /* observations with a nonzero value */
};

static inline void stats_acc_add(struct stats_acc *a, double x)
{
	a->sum += x;
	a->sumsq += x * x;
	a->present++;
}

/* Welch's comparison of means: target minus base. */
struct stats_welch {
	double mean_a, mean_b;   /* base, target */
	double delta;            /* mean_b - mean_a */
	double se;               /* standard error of delta; 0 if both constant */
	double df;               /* Welch-Satterthwaite degrees of freedom */
};

/* na, nb >= 2. */
void stats_welch(const struct stats_acc *a, uint32_t na, const struct stats_acc *b,
		 uint32_t nb, struct stats_welch *w);

/* One-sided p-value that delta exceeds +thr (regression side, *up = 1) or
 * falls below -thr (*up = 0), whichever is smaller. 1 when |delta| is not
 * beyond thr (by more than 1e-12: rounding); else with se = 0 it is 0, a
 * difference without any spread being certain. */
double stats_welch_p(const struct stats_welch *w, double thr, int *up);

#endif
