/* regress_gen: sets of profiles of one program with realistic noise, and a
 * regression of known size injected into a known function. Shared by the
 * unit tests (tests/query/test_regress.c) and the genregress tool.
 *
 * The program (function names, call graph, stacks, their weights) depends
 * only on the program seed, so base and target describe the same program.
 * Per profile: every stack's weight is scaled by exp(sigma * z) (the
 * workload wanders: requests differ, caches warm), the profile's sample
 * count by exp(0.1 z), and then samples are drawn from the weights
 * (the sampling noise of a 100 Hz profiler). Injection multiplies the
 * weight of every stack ending in one function so that its expected self
 * share grows by exactly `by` (0.05 = five points of the total). */
#ifndef STACKYARD_TESTS_REGRESS_GEN_H
#define STACKYARD_TESTS_REGRESS_GEN_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RG_FUNCS 48
#define RG_STACKS 120
#define RG_DEPTH 10

struct rg_rng {
	uint64_t s;
};

static inline uint64_t rg_next(struct rg_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static inline double rg_unif(struct rg_rng *r)
{
	return ((double)(rg_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double rg_normal(struct rg_rng *r)
{
	return sqrt(-2 * log(rg_unif(r))) * cos(2 * M_PI * rg_unif(r));
}

struct rg_prog {
	char name[RG_FUNCS][48];
	int nstack;
	int frames[RG_STACKS][RG_DEPTH]; /* function indices, root first */
	int depth[RG_STACKS];
	double w[RG_STACKS];             /* sums to 1 */
};

/* Functions 0..2 are entry points; function i calls three of the
 * six functions after it, so stacks are acyclic, share prefixes and end
 * in many different functions. */
static inline void rg_program(struct rg_prog *p, uint64_t seed)
{
	static const char *const entries[] = {"runtime.main", "net/http.(*conn).serve",
					      "main.worker"};
	struct rg_rng r = {seed * 7919 + 17};
	int callee[RG_FUNCS][3], i, k;
	double sum = 0;

	for (i = 0; i < RG_FUNCS; i++) {
		if (i < 3)
			snprintf(p->name[i], sizeof(p->name[i]), "%s", entries[i]);
		else
			snprintf(p->name[i], sizeof(p->name[i]), "main.fn%02d", i);
		for (k = 0; k < 3; k++)
			callee[i][k] = i + 1 + (int)(rg_next(&r) % 6);
	}
	p->nstack = RG_STACKS;
	for (i = 0; i < RG_STACKS; i++) {
		int f = (int)(rg_next(&r) % 3), d = 0, want = 2 + (int)(rg_next(&r) % (RG_DEPTH - 2));
		p->frames[i][d++] = f;
		while (d < want && f < RG_FUNCS - 1) {
			f = callee[f][rg_next(&r) % 3];
			if (f >= RG_FUNCS)
				break;
			p->frames[i][d++] = f;
		}
		p->depth[i] = d;
		/* Zipf-like weights: a few hot stacks, a long tail. */
		p->w[i] = 1 / pow(i + 1, 1.1);
		sum += p->w[i];
	}
	for (i = 0; i < RG_STACKS; i++)
		p->w[i] /= sum;
}

static inline int rg_leaf(const struct rg_prog *p, int s)
{
	return p->frames[s][p->depth[s] - 1];
}

/* Expected self share of function f. */
static inline double rg_self_share(const struct rg_prog *p, int f)
{
	double s = 0;
	int i;

	for (i = 0; i < p->nstack; i++)
		if (rg_leaf(p, i) == f)
			s += p->w[i];
	return s;
}

/* The function with the rank-th largest expected self share (0 = top). */
static inline int rg_by_rank(const struct rg_prog *p, int rank)
{
	int used[RG_FUNCS] = {0}, best = 0, k, f;

	for (k = 0; k <= rank; k++) {
		best = -1;
		for (f = 0; f < RG_FUNCS; f++)
			if (!used[f] && (best < 0 || rg_self_share(p, f) > rg_self_share(p, best)))
				best = f;
		used[best] = 1;
	}
	return best;
}

/* Makes f's expected self share grow by `by` (f must have some). */
static inline void rg_inject(struct rg_prog *p, int f, double by)
{
	double s = rg_self_share(p, f), s2 = s + by, k = s2 * (1 - s) / (s * (1 - s2)), sum = 0;
	int i;

	for (i = 0; i < p->nstack; i++) {
		if (rg_leaf(p, i) == f)
			p->w[i] *= k;
		sum += p->w[i];
	}
	for (i = 0; i < p->nstack; i++)
		p->w[i] /= sum;
}

/* One profile: counts[s] samples per stack, about `samples` in all. */
static inline void rg_profile(const struct rg_prog *p, struct rg_rng *r, double sigma,
			      int samples, int64_t *counts)
{
	double cdf[RG_STACKS], sum = 0;
	int i, n = (int)lround(samples * exp(0.1 * rg_normal(r)));

	for (i = 0; i < p->nstack; i++) {
		sum += p->w[i] * exp(sigma * rg_normal(r));
		cdf[i] = sum;
		counts[i] = 0;
	}
	while (n-- > 0) {
		double u = rg_unif(r) * sum;
		int lo = 0, hi = p->nstack - 1;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		counts[lo]++;
	}
}

#endif
