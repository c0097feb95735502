/* regress and stats: the distributions against closed forms, Welch's test
 * against hand-computed values, shares on hand-built profiles, and on
 * generated profile sets (tests/tools/regress_gen.h): an injected
 * regression ranks first and is flagged, and without one the rate of
 * flagged runs over 200 seeds stays within what the confidence promises. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/query/regress.h"
#include "../../src/query/regress_report.h"
#include "../../src/query/stats.h"
#include "../pprof/pbtest.h"
#include "../tools/regress_gen.h"

static void close_to(double a, double b, double rel, int line)
{
	if (!(fabs(a - b) <= rel * fabs(b) + 1e-300))
		fail_msg("line %d: %.17g is not %.17g", line, a, b);
}

#define CLOSE(a, b, rel) close_to((a), (b), (rel), __LINE__)

/* ---- distributions ---------------------------------------------------- */

static void test_t_closed_forms(void **state)
{
	static const double ts[] = {0, 0.1, 0.5, 1, 2, 3.5, 10, 100, 1e4};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		double t = ts[i];
		/* df = 1 (Cauchy): 1/2 - atan(t)/pi, written to keep the tail exact. */
		double c1 = atan2(1, t) / M_PI;
		/* df = 2: 1/2 - t / (2 sqrt(t^2 + 2)). */
		double c2 = 1 / (sqrt(t * t + 2) * (sqrt(t * t + 2) + t));
		CLOSE(stats_t_sf(t, 1), c1, 1e-10);
		CLOSE(stats_t_sf(t, 2), c2, 1e-10);
		CLOSE(stats_t_sf(-t, 1), 1 - c1, 1e-10);
		CLOSE(stats_t_sf(t, 0), 0.5 * erfc(t / M_SQRT2), 1e-12);
	}
	/* Large df approaches the normal. */
	CLOSE(stats_t_sf(1.959963984540054, 1e8), 0.025, 1e-6);
	/* Table values of Student's t. */
	CLOSE(stats_t_isf(0.025, 10), 2.228138851986522, 1e-9);
	CLOSE(stats_t_isf(0.005, 5), 4.032142983557536, 1e-9);
	CLOSE(stats_t_isf(0.05, 1), 6.313751514675043, 1e-9);
	/* The inverse, deep in the tail where Bonferroni levels live. */
	for (i = 1; i < 12; i++) {
		double p = pow(10, -(double)i);
		CLOSE(stats_t_sf(stats_t_isf(p, 7.3), 7.3), p, 1e-8);
		CLOSE(stats_t_sf(stats_t_isf(p, 400), 400), p, 1e-8);
	}
	CLOSE(stats_ibeta(1, 1, 0.3), 0.3, 1e-12);
	CLOSE(stats_ibeta(2.5, 4, 0.2), 1 - stats_ibeta(4, 2.5, 0.8), 1e-12);
}

static void acc_of(struct stats_acc *a, const double *v, size_t n)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < n; i++)
		stats_acc_add(a, v[i]);
}

static void test_welch_by_hand(void **state)
{
	static const double a[] = {1, 2, 3, 4, 5}, b[] = {2, 4, 6, 8, 10};
	struct stats_acc x, y;
	struct stats_welch w;
	int up;

	(void)state;
	acc_of(&x, a, 5);
	acc_of(&y, b, 5);
	stats_welch(&x, 5, &y, 5, &w);
	/* means 3 and 6, variances 2.5 and 10 */
	CLOSE(w.delta, 3, 1e-12);
	CLOSE(w.se, sqrt(2.5), 1e-12);
	CLOSE(w.df, 6.25 / (0.0625 + 1), 1e-12);
	CLOSE(stats_welch_p(&w, 0, &up), stats_t_sf(3 / sqrt(2.5), w.df), 1e-12);
	assert_int_equal(up, 1);
	/* Against a threshold: is the change above one? */
	CLOSE(stats_welch_p(&w, 1, &up), stats_t_sf(2 / sqrt(2.5), w.df), 1e-12);
	/* Rounding noise of constant data is no change, even at threshold 0. */
	w.delta = 1e-17;
	w.se = 1e-19;
	w.df = 10;
	CLOSE(stats_welch_p(&w, 0, &up), 1, 0);
	w.se = 0;
	w.delta = 0.2;
	CLOSE(stats_welch_p(&w, 0.1, &up), 0, 0);
	/* Zeros count: three observations absent out of five. */
	acc_of(&x, a, 2);
	stats_welch(&x, 5, &y, 5, &w);
	CLOSE(w.mean_a, 0.6, 1e-12);
}

/* ---- hand-built profiles ----------------------------------------------- */

/* Adds one profile of `side` from folded-like lines "a;b;c", values. */
static void add_profile(struct regress *r, int side, const char *const *stacks,
			const int64_t *values, size_t n)
{
	struct stacktree *t = regress_paths(r);
	uint32_t nodes[16];
	size_t i;

	for (i = 0; i < n; i++) {
		char buf[256], *tok, *save = NULL;
		uint32_t node = 0;
		snprintf(buf, sizeof(buf), "%s", stacks[i]);
		for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
			node = stacktree_child(t, node, stacktree_name(t, tok, strlen(tok)));
		nodes[i] = node;
	}
	regress_add(r, side, nodes, values, n);
}

static const struct regress_item *find_fn(const struct regress_report *rep, const char *name)
{
	size_t i;

	for (i = 0; i < rep->functions.n; i++)
		if (!strcmp(rep->functions.v[i].frames[0], name))
			return &rep->functions.v[i];
	fail_msg("function %s not in the report", name);
	return NULL;
}

static struct regress_report *report(struct regress *r, double conf, double thr)
{
	struct regress_opts o = {conf, thr, 0, "process_cpu:cpu:nanoseconds:cpu:nanoseconds"};
	struct regress_report *rep = NULL;
	struct err e = {0};

	if (regress_report(r, &o, &rep, &e) < 0)
		fail_msg("report: %s", e.msg);
	return rep;
}

static void test_shares_exact(void **state)
{
	static const char *const base[] = {"main;a;b", "main;a;c", "main;d;main;d"};
	static const char *const target[] = {"main;a;b", "main;a;c", "main;d;main;d", "main;e"};
	static const int64_t bv[] = {60, 30, 10}, tv[] = {120, 20, 20, 40};
	struct regress *r = regress_new();
	const struct regress_item *it;
	struct regress_report *rep;
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		add_profile(r, REGRESS_BASE, base, bv, 3);
		add_profile(r, REGRESS_TARGET, target, tv, 4);
	}
	rep = report(r, 0.99, 0.01);
	/* Identical profiles per side: no spread, so every change is certain. */
	it = find_fn(rep, "b");
	CLOSE(it->self.base, 0.6, 1e-12);
	CLOSE(it->self.target, 0.6, 1e-12);
	assert_int_equal(it->verdict, REGRESS_NOISE);
	it = find_fn(rep, "c");
	CLOSE(it->self.delta, 0.1 - 0.3, 1e-12);
	assert_int_equal(it->verdict, REGRESS_IMPROVEMENT);
	it = find_fn(rep, "e");
	CLOSE(it->self.delta, 0.2, 1e-12);
	assert_int_equal(it->verdict, REGRESS_REGRESSION);
	/* Recursion counts a stack once in total; main is on every stack. */
	it = find_fn(rep, "main");
	CLOSE(it->total.base, 1, 1e-12);
	CLOSE(it->self.base, 0, 1e-12);
	it = find_fn(rep, "d");
	CLOSE(it->total.base, 0.1, 1e-12);
	CLOSE(it->self.base, 0.1, 1e-12);
	/* Ranked by |change of self share|: c (-0.2) and e (+0.2) first. */
	assert_true(fabs(rep->functions.v[0].self.delta) >= 0.2 - 1e-12);
	assert_true(fabs(rep->functions.v[1].self.delta) >= 0.2 - 1e-12);
	assert_int_equal(rep->regressions, 1);
	assert_int_equal(rep->self_regressions, 1);
	/* c's self and a's total (a calls c) */
	assert_int_equal(rep->improvements, 2);
	/* main;e is new, hung under main; no path vanished. */
	assert_int_equal(rep->new_paths.all, 1);
	assert_int_equal(rep->new_paths.v[0].nframes, 2);
	assert_string_equal(rep->new_paths.v[0].frames[1], "e");
	assert_int_equal(rep->vanished_paths.all, 0);
	/* Totals: 100 per profile -> 200. */
	CLOSE(rep->base_total, 100, 1e-12);
	CLOSE(rep->totals.delta, 1, 1e-12);
	regress_report_free(rep);
	regress_free(r);
}

/* A new path is listed where it hangs (its parent exists on the other
 * side), not once per descendant; likewise a vanished one. */
static void test_new_and_vanished(void **state)
{
	static const char *const base[] = {"main;a;b", "main;a;c"};
	static const char *const target[] = {"main;a;b", "main;z;y"};
	static const int64_t v[] = {50, 50};
	struct regress *r = regress_new();
	struct regress_report *rep;
	const struct regress_item *it;
	int i;

	(void)state;
	for (i = 0; i < REGRESS_MIN_PROFILES; i++) {
		add_profile(r, REGRESS_BASE, base, v, 2);
		add_profile(r, REGRESS_TARGET, target, v, 2);
	}
	rep = report(r, 0.99, 0.05);
	assert_int_equal(rep->new_paths.all, 1);
	it = &rep->new_paths.v[0];
	assert_int_equal(it->nframes, 2);
	assert_string_equal(it->frames[0], "main");
	assert_string_equal(it->frames[1], "z");
	CLOSE(it->total.target, 0.5, 1e-12);
	assert_int_equal(it->verdict, REGRESS_REGRESSION);
	assert_int_equal(rep->vanished_paths.all, 1);
	it = &rep->vanished_paths.v[0];
	assert_int_equal(it->nframes, 3);
	assert_string_equal(it->frames[2], "c");
	assert_int_equal(it->verdict, REGRESS_IMPROVEMENT);
	assert_int_equal(it->total.ntarget, 0);
	assert_int_equal(it->total.nbase, REGRESS_MIN_PROFILES);
	regress_report_free(rep);
	regress_free(r);
}

static void test_too_few_and_empty(void **state)
{
	static const char *const s[] = {"main;a"};
	static const int64_t v[] = {10}, zero[] = {0};
	struct regress_opts o = {0.99, 0.01, 0, NULL};
	struct regress_report *rep = NULL;
	struct regress *r = regress_new();
	struct err e = {0};
	int i;

	(void)state;
	assert_int_equal(regress_report(r, &o, &rep, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "base: no profiles"));
	for (i = 0; i < REGRESS_MIN_PROFILES; i++)
		add_profile(r, REGRESS_BASE, s, v, 1);
	for (i = 0; i < REGRESS_MIN_PROFILES - 1; i++)
		add_profile(r, REGRESS_TARGET, s, v, 1);
	add_profile(r, REGRESS_TARGET, s, zero, 1); /* empty: does not count */
	assert_int_equal(regress_report(r, &o, &rep, &e), -EDOM);
	assert_null(rep);
	assert_non_null(strstr(e.msg, "too few profiles to judge: target has 4 non-empty profiles"));
	add_profile(r, REGRESS_TARGET, s, v, 1);
	assert_int_equal(regress_report(r, &o, &rep, &e), 0);
	assert_int_equal(rep->empty_target, 1);
	assert_int_equal(rep->ntarget, REGRESS_MIN_PROFILES);
	regress_report_free(rep);
	o.confidence = 1;
	assert_int_equal(regress_report(r, &o, &rep, &e), -EINVAL);
	regress_free(r);
}

static void test_parse_options(void **state)
{
	struct err e = {0};
	double v;

	(void)state;
	assert_int_equal(regress_parse_threshold("5%", &v, &e), 0);
	CLOSE(v, 0.05, 1e-12);
	assert_int_equal(regress_parse_threshold("0.02", &v, &e), 0);
	CLOSE(v, 0.02, 1e-12);
	assert_int_equal(regress_parse_threshold("0", &v, &e), 0);
	assert_int_equal(regress_parse_confidence("99%", &v, &e), 0);
	CLOSE(v, 0.99, 1e-12);
	assert_int_equal(regress_parse_confidence("0.9", &v, &e), 0);
	assert_int_equal(regress_parse_threshold("5", &v, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "threshold"));
	assert_int_equal(regress_parse_threshold("-1%", &v, &e), -EINVAL);
	assert_int_equal(regress_parse_threshold("5%x", &v, &e), -EINVAL);
	assert_int_equal(regress_parse_threshold("", &v, &e), -EINVAL);
	assert_int_equal(regress_parse_confidence("1", &v, &e), -EINVAL);
	assert_int_equal(regress_parse_confidence("nan", &v, &e), -EINVAL);
	assert_int_equal(regress_parse_confidence("abc", &v, &e), -EINVAL);
}

/* ---- generated sets ---------------------------------------------------- */

/* One generated run: n profiles a side, `by` injected into function f of
 * the target (by = 0: none). */
static struct regress *gen_run(const struct rg_prog *prog, int f, double by, uint64_t seed, int n)
{
	struct rg_prog tp = *prog;
	struct regress *r = regress_new();
	struct stacktree *t = regress_paths(r);
	struct rg_rng rng = {seed * 1000003 + 11};
	uint32_t leaf[RG_STACKS];
	int64_t counts[RG_STACKS];
	int s, k, side;

	for (s = 0; s < prog->nstack; s++) {
		uint32_t node = 0;
		for (k = 0; k < prog->depth[s]; k++) {
			const char *nm = prog->name[prog->frames[s][k]];
			node = stacktree_child(t, node, stacktree_name(t, nm, strlen(nm)));
		}
		leaf[s] = node;
	}
	if (by > 0)
		rg_inject(&tp, f, by);
	for (side = 0; side < 2; side++) {
		for (k = 0; k < n; k++) {
			rg_profile(side ? &tp : prog, &rng, 0.15, 1000, counts);
			for (s = 0; s < prog->nstack; s++)
				counts[s] *= 10000000; /* 10 ms per sample */
			regress_add(r, side, leaf, counts, (size_t)prog->nstack);
		}
	}
	return r;
}

static void test_injected_regression_found(void **state)
{
	struct rg_prog prog;
	uint64_t seed;

	(void)state;
	rg_program(&prog, 1);
	for (seed = 1; seed <= 20; seed++) {
		int f = rg_by_rank(&prog, (int)(seed % 5) + 1);
		struct regress *r = gen_run(&prog, f, 0.05, seed, 30);
		struct regress_report *rep = report(r, 0.99, 0.01);
		const struct regress_item *top = &rep->functions.v[0], *path = &rep->paths.v[0];
		if (strcmp(top->frames[0], prog.name[f]))
			fail_msg("seed %llu: %s ranks first, not the injected %s",
				 (unsigned long long)seed, top->frames[0], prog.name[f]);
		assert_int_equal(top->verdict, REGRESS_REGRESSION);
		assert_int_equal(top->self.verdict, REGRESS_REGRESSION);
		/* The interval holds the injected size. */
		assert_true(top->self.lo < 0.05 && top->self.hi > 0.05);
		assert_true(top->self.lo > 0.01);
		assert_string_equal(path->frames[path->nframes - 1], prog.name[f]);
		assert_true(rep->regressions >= 1);
		regress_report_free(rep);
		regress_free(r);
	}
}

/* Any row flagged, function or path, counts as a false positive. */
static int any_flagged(const struct regress_report *rep)
{
	size_t i;

	if (rep->regressions || rep->improvements)
		return 1;
	for (i = 0; i < rep->paths.n; i++)
		if (rep->paths.v[i].verdict != REGRESS_NOISE)
			return 1;
	return 0;
}

static void fpr(double confidence, int runs, int *flagged)
{
	struct rg_prog prog;
	int seed;

	rg_program(&prog, 2);
	*flagged = 0;
	for (seed = 1; seed <= runs; seed++) {
		struct regress *r = gen_run(&prog, 0, 0, (uint64_t)seed + 5000, 30);
		struct regress_report *rep = report(r, confidence, 0);
		*flagged += any_flagged(rep);
		regress_report_free(rep);
		regress_free(r);
	}
}

static void test_false_positive_rate(void **state)
{
	int flagged;

	(void)state;
	/* Threshold 0, the strictest: any significant change is flagged. */
	fpr(0.99, 200, &flagged);
	printf("  no injection, confidence 0.99: %d of 200 runs flagged something\n", flagged);
	assert_true(flagged <= 2);
	fpr(0.9, 200, &flagged);
	printf("  no injection, confidence 0.90: %d of 200 runs flagged something\n", flagged);
	assert_true(flagged <= 20);
}

/* The same on a real profile's shape (the Go compiler's CPU profile: 341
 * samples over thousands of call paths): each sample's count scaled per
 * profile by exp(0.3 z); 50 runs of 30 + 30 profiles, no change. */
static void test_false_positive_rate_real_shape(void **state)
{
	struct pprof_profile *p = testdata_load("gocompile-nethttp-cpu.pb.gz");
	int vi = pprof_default_index(p), seed, side, k, flagged = 0;
	int64_t *orig = malloc(p->nsample * sizeof(*orig));
	size_t i;

	(void)state;
	for (i = 0; i < p->nsample; i++)
		orig[i] = p->value[i * p->nsample_type + (size_t)vi];
	for (seed = 1; seed <= 50; seed++) {
		struct rg_rng rng = {(uint64_t)seed * 7777 + 1};
		struct regress *r = regress_new();
		struct regress_report *rep;
		for (side = 0; side < 2; side++) {
			for (k = 0; k < 30; k++) {
				struct stacktree *t = stacktree_new();
				for (i = 0; i < p->nsample; i++)
					p->value[i * p->nsample_type + (size_t)vi] =
						llround((double)orig[i] * exp(0.3 * rg_normal(&rng)));
				stacktree_add_pprof(t, p, vi);
				regress_add_tree(r, side, t);
				stacktree_free(t);
			}
		}
		rep = report(r, 0.9, 0);
		flagged += any_flagged(rep);
		regress_report_free(rep);
		regress_free(r);
	}
	printf("  real shape, no change, confidence 0.90: %d of 50 runs flagged something\n",
	       flagged);
	assert_true(flagged <= 5);
	free(orig);
	pprof_free(p);
}

static void test_json_roundtrip(void **state)
{
	struct rg_prog prog;
	struct regress *r;
	struct regress_report *rep, *back = NULL;
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct err e = {0};

	(void)state;
	rg_program(&prog, 3);
	r = gen_run(&prog, rg_by_rank(&prog, 2), 0.06, 7, 20);
	rep = report(r, 0.95, 0.005);
	regress_write_json(rep, &a);
	if (regress_read_json((const char *)a.data, a.len, &back, &e) < 0)
		fail_msg("read: %s", e.msg);
	regress_write_json(back, &b);
	assert_string_equal(a.data, b.data);
	buf_reset(&a);
	buf_reset(&b);
	regress_write_markdown(rep, 10, &a);
	regress_write_markdown(back, 10, &b);
	assert_string_equal(a.data, b.data);
	regress_report_free(back);
	assert_non_null(strstr((const char *)a.data, "**Verdict: REGRESSION**"));
	assert_int_equal(regress_read_json("{\"a\":1}", 7, &back, &e) < 0 ? 0 : 1, 0);
	assert_int_equal(regress_read_json("not json", 8, &back, &e), -EPROTO);
	buf_release(&a);
	buf_release(&b);
	regress_report_free(rep);
	regress_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t_closed_forms),
		cmocka_unit_test(test_welch_by_hand),
		cmocka_unit_test(test_shares_exact),
		cmocka_unit_test(test_new_and_vanished),
		cmocka_unit_test(test_too_few_and_empty),
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_injected_regression_found),
		cmocka_unit_test(test_false_positive_rate),
		cmocka_unit_test(test_false_positive_rate_real_shape),
		cmocka_unit_test(test_json_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
