/* Regression finding: per-profile shares, Welch's test, Bonferroni.
 * See regress.h and docs/REGRESS.md. */
#include "regress.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/sat.h"
#include "../base/arena.h"
#include "../base/xalloc.h"
#include "stats.h"

/* Running sums of one side, indexed by name id (functions) and by node of
 * the paths tree (call paths). */
struct side {
	uint32_t n, empty;
	struct stats_acc totals;       /* raw totals, not shares */
	struct stats_acc *fself, *ftotal;
	size_t cap_f;
	struct stats_acc *ptotal;
	size_t cap_p;
};

/* Per-profile scratch, valid where stamp == gen. */
struct scratch {
	uint32_t gen;
	uint32_t *stamp;
	int64_t *self, *tot;
	size_t cap;
	uint32_t *touched;
	size_t ntouched, cap_touched;
};

struct regress {
	struct stacktree *paths;
	struct side side[2];
	struct scratch nodes, names;
	uint8_t *rec;          /* node's name also names an ancestor */
	size_t nrec, cap_rec;
};

struct regress *regress_new(void)
{
	struct regress *r = xcalloc(1, sizeof(*r));

	r->paths = stacktree_new();
	return r;
}

static void scratch_release(struct scratch *s)
{
	free(s->stamp);
	free(s->self);
	free(s->tot);
	free(s->touched);
}

void regress_free(struct regress *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < 2; i++) {
		free(r->side[i].fself);
		free(r->side[i].ftotal);
		free(r->side[i].ptotal);
	}
	scratch_release(&r->nodes);
	scratch_release(&r->names);
	free(r->rec);
	stacktree_free(r->paths);
	free(r);
}

struct stacktree *regress_paths(struct regress *r)
{
	return r->paths;
}

uint32_t regress_count(const struct regress *r, int side)
{
	return r->side[side].n;
}

/* Grows *arr (elements of size sz, capacity *cap) to hold need, zeroing. */
static void grow_zero(void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t old = *cap;

	if (need <= old)
		return;
	xgrow(arr, cap, need, sz);
	memset((char *)*arr + old * sz, 0, (*cap - old) * sz);
}

#define GROWZ(arr, cap, need) grow_zero((void **)&(arr), &(cap), (need), sizeof(*(arr)))

static void scratch_fit(struct scratch *s, size_t n)
{
	size_t cap = s->cap;

	GROWZ(s->stamp, s->cap, n);
	if (s->cap != cap) {
		s->self = xrealloc(s->self, s->cap * sizeof(*s->self));
		s->tot = xrealloc(s->tot, s->cap * sizeof(*s->tot));
	}
}

static void scratch_begin(struct scratch *s)
{
	if (++s->gen == 0) {
		memset(s->stamp, 0, s->cap * sizeof(*s->stamp));
		s->gen = 1;
	}
	s->ntouched = 0;
}

static void scratch_touch(struct scratch *s, uint32_t i)
{
	if (s->stamp[i] == s->gen)
		return;
	s->stamp[i] = s->gen;
	s->self[i] = s->tot[i] = 0;
	XGROW(s->touched, s->cap_touched, s->ntouched + 1);
	s->touched[s->ntouched++] = i;
}

/* rec[i] for nodes the tree gained since the last profile: whether node
 * i's name appears among its ancestors, so that a function's total counts
 * a stack once however often the function recurses on it. */
static void rec_update(struct regress *r, const struct stacktree_node *nd, size_t nn)
{
	size_t i;

	GROWZ(r->rec, r->cap_rec, nn);
	for (i = r->nrec ? r->nrec : 1; i < nn; i++) {
		uint32_t p = nd[i].parent;
		while (p && nd[p].name != nd[i].name)
			p = nd[p].parent;
		r->rec[i] = p != 0;
	}
	r->nrec = nn;
}

static void side_fit(struct side *s, size_t nn, size_t nnames)
{
	size_t cap = s->cap_f;

	GROWZ(s->fself, s->cap_f, nnames);
	if (s->cap_f != cap) {
		s->ftotal = xrealloc(s->ftotal, s->cap_f * sizeof(*s->ftotal));
		memset(s->ftotal + cap, 0, (s->cap_f - cap) * sizeof(*s->ftotal));
	}
	GROWZ(s->ptotal, s->cap_p, nn);
}

/* Folds the profile now in r->nodes (self and total values per node,
 * profile total T) into side s: shares per path and per function. */
static void fold_profile(struct regress *r, struct side *s, int64_t T)
{
	size_t nn, i;
	const struct stacktree_node *nd = stacktree_nodes(r->paths, &nn);
	struct scratch *ns = &r->nodes, *fs = &r->names;

	rec_update(r, nd, nn);
	scratch_fit(fs, stacktree_nnames(r->paths));
	side_fit(s, nn, stacktree_nnames(r->paths));
	scratch_begin(fs);
	for (i = 0; i < ns->ntouched; i++) {
		uint32_t v = ns->touched[i], f = nd[v].name;
		stats_acc_add(&s->ptotal[v], (double)ns->tot[v] / (double)T);
		scratch_touch(fs, f);
		fs->self[f] += ns->self[v];
		if (!r->rec[v])
			fs->tot[f] += ns->tot[v];
	}
	for (i = 0; i < fs->ntouched; i++) {
		uint32_t f = fs->touched[i];
		if (fs->self[f])
			stats_acc_add(&s->fself[f], (double)fs->self[f] / (double)T);
		if (fs->tot[f])
			stats_acc_add(&s->ftotal[f], (double)fs->tot[f] / (double)T);
	}
	stats_acc_add(&s->totals, (double)T);
	s->n++;
}

void regress_add(struct regress *r, int side, const uint32_t *nodes, const int64_t *values,
		 size_t n)
{
	struct side *s = &r->side[side ? 1 : 0];
	struct scratch *ns = &r->nodes;
	const struct stacktree_node *nd;
	size_t nn, i;
	int64_t T = 0;

	nd = stacktree_nodes(r->paths, &nn);
	scratch_fit(ns, nn);
	scratch_begin(ns);
	/* A stack's value goes to its node's self and to the total of the
	 * node and of every ancestor (the root excluded): one walk up per
	 * stack, cheaper than ordering the touched nodes. */
	for (i = 0; i < n; i++) {
		uint32_t v;
		if (!values[i] || !nodes[i] || nodes[i] >= nn)
			continue;
		for (v = nodes[i]; v; v = nd[v].parent) {
			scratch_touch(ns, v);
			ns->tot[v] = sat_add(ns->tot[v], values[i]);
		}
		ns->self[nodes[i]] = sat_add(ns->self[nodes[i]], values[i]);
		T = sat_add(T, values[i]);
	}
	if (T <= 0) {
		s->empty++;
		return;
	}
	fold_profile(r, s, T);
}

void regress_add_tree(struct regress *r, int side, const struct stacktree *t)
{
	size_t nn, i, k = 0;
	const struct stacktree_node *nd = stacktree_nodes(t, &nn);
	uint32_t *map = xmalloc((nn + 1) * sizeof(*map)), *nodes = xmalloc((nn + 1) * sizeof(*nodes));
	int64_t *values = xmalloc((nn + 1) * sizeof(*values));

	map[0] = 0;
	for (i = 1; i < nn; i++) {
		size_t len;
		const char *s = stacktree_name_str(t, nd[i].name, &len);
		map[i] = stacktree_child(r->paths, map[nd[i].parent],
					 stacktree_name(r->paths, s, len));
		if (nd[i].self) {
			nodes[k] = map[i];
			values[k++] = nd[i].self;
		}
	}
	regress_add(r, side, nodes, values, k);
	free(map);
	free(nodes);
	free(values);
}

/* ---- the report ------------------------------------------------------- */

/* What testing needs besides the sums: alpha and the family size. */
struct judge {
	double alpha, thr;
	size_t m;
	uint32_t nb, nt;
	double *qmemo;   /* interval quantile per whole df, for ranking */
};

#define QMEMO_DF 2000

/* The interval half-width over se at df rounded down (so never narrower),
 * memoised: ranking needs it for every feature, and a quantile costs a
 * few hundred CDF evaluations. */
static double q_rank(struct judge *j, double df)
{
	int k = !(df >= 1) ? 1 : df > QMEMO_DF ? QMEMO_DF : (int)df;

	if (!j->qmemo)
		j->qmemo = xcalloc(QMEMO_DF + 1, sizeof(*j->qmemo));
	if (!j->qmemo[k])
		j->qmemo[k] = stats_t_isf(j->alpha / (2 * (double)j->m), k);
	return j->qmemo[k];
}

/* The change we can vouch for: |delta| less the interval's half-width,
 * at least 0 (and 0 for untested features). Ranking by it puts first what
 * is both large and clear of the noise. */
static double sure_change(struct judge *j, const struct regress_stat *st,
			  const struct stats_welch *w)
{
	if (!st->tested)
		return 0;
	return fmax(0, fabs(st->delta) - (w->se > 0 ? q_rank(j, w->df) * w->se : 0));
}

static const struct stats_acc zero_acc;

static int worth_testing(const struct judge *j, const struct stats_acc *a,
			 const struct stats_acc *b)
{
	return (a->sum + b->sum) / (j->nb + j->nt) >= REGRESS_MIN_SHARE;
}

/* Fills st from the sums; the interval is computed later, for the rows
 * that are shown (it needs a quantile, which costs a few hundred CDFs). */
static void test_feature(const struct judge *j, const struct stats_acc *a, const struct stats_acc *b,
		  struct regress_stat *st, struct stats_welch *w)
{
	int up;

	stats_welch(a, j->nb, b, j->nt, w);
	st->base = w->mean_a;
	st->target = w->mean_b;
	st->delta = w->delta;
	st->nbase = a->present;
	st->ntarget = b->present;
	st->tested = worth_testing(j, a, b);
	st->lo = st->hi = st->delta;
	st->p = 1;
	st->verdict = REGRESS_NOISE;
	if (!st->tested)
		return;
	st->p = fmin(1, stats_welch_p(w, j->thr, &up) * 2 * (double)j->m);
	if (st->p < j->alpha)
		st->verdict = up ? REGRESS_REGRESSION : REGRESS_IMPROVEMENT;
}

static void interval(const struct judge *j, const struct stats_welch *w, struct regress_stat *st)
{
	double q;

	if (!st->tested || w->se <= 0)
		return;
	q = stats_t_isf(j->alpha / (2 * (double)j->m), w->df);
	st->lo = w->delta - q * w->se;
	st->hi = w->delta + q * w->se;
}

/* A row under construction: the item plus what its interval needs. */
struct row {
	struct regress_item it;
	struct stats_welch ws, wt;
	double tie;      /* second key: |delta| of the ranked quantity */
	uint32_t id;
};

static const struct stats_acc *acc_at(const struct stats_acc *v, size_t cap, size_t i)
{
	return v && i < cap ? &v[i] : &zero_acc;
}

static size_t count_tests(struct regress *r, const struct judge *j, size_t nn, size_t nnames)
{
	const struct side *b = &r->side[0], *t = &r->side[1];
	size_t m = 0, i;

	for (i = 1; i < nnames; i++) {
		m += worth_testing(j, acc_at(b->fself, b->cap_f, i), acc_at(t->fself, t->cap_f, i));
		m += worth_testing(j, acc_at(b->ftotal, b->cap_f, i), acc_at(t->ftotal, t->cap_f, i));
	}
	for (i = 1; i < nn; i++)
		m += worth_testing(j, acc_at(b->ptotal, b->cap_p, i), acc_at(t->ptotal, t->cap_p, i));
	return m ? m : 1;
}

static int verdict_of(const struct regress_stat *a, const struct regress_stat *b)
{
	if (a->verdict == REGRESS_REGRESSION || b->verdict == REGRESS_REGRESSION)
		return REGRESS_REGRESSION;
	if (a->verdict == REGRESS_IMPROVEMENT || b->verdict == REGRESS_IMPROVEMENT)
		return REGRESS_IMPROVEMENT;
	return REGRESS_NOISE;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->it.score != y->it.score)
		return x->it.score < y->it.score ? 1 : -1;
	if (x->tie != y->tie)
		return x->tie < y->tie ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

static const char *name_copy(struct regress *r, struct arena *a, uint32_t name)
{
	size_t len;
	const char *s = stacktree_name_str(r->paths, name, &len);

	return arena_strndup(a, s, len);
}

/* Frames of path node v, root first. */
static void path_frames(struct regress *r, struct arena *a, uint32_t v, struct regress_item *it)
{
	size_t nn, d = 0, k;
	const struct stacktree_node *nd = stacktree_nodes(r->paths, &nn);
	uint32_t u;

	for (u = v; u; u = nd[u].parent)
		d++;
	it->frames = arena_alloc(a, (d + 1) * sizeof(*it->frames));
	it->nframes = d;
	for (u = v, k = d; u; u = nd[u].parent)
		it->frames[--k] = name_copy(r, a, nd[u].name);
}

/* Sorts rows, keeps the first limit, gives them frames and intervals. */
static void finish_list(struct regress *r, const struct judge *j, struct arena *a, struct row *rows,
			size_t n, size_t limit, int paths, int (*cmp)(const void *, const void *),
			struct regress_list *out)
{
	size_t i, keep = limit && limit < n ? limit : n;

	qsort(rows, n, sizeof(*rows), cmp);
	out->all = n;
	out->n = keep;
	out->v = arena_zalloc(a, (keep + 1) * sizeof(*out->v));
	for (i = 0; i < keep; i++) {
		struct regress_item *it = &out->v[i];
		*it = rows[i].it;
		interval(j, &rows[i].ws, &it->self);
		interval(j, &rows[i].wt, &it->total);
		if (paths) {
			path_frames(r, a, rows[i].id, it);
		} else {
			it->frames = arena_alloc(a, sizeof(*it->frames));
			it->frames[0] = name_copy(r, a, rows[i].id);
			it->nframes = 1;
		}
	}
}

static void build_functions(struct regress *r, struct judge *j, struct arena *a,
			    size_t limit, struct regress_report *rep)
{
	const struct side *b = &r->side[0], *t = &r->side[1];
	size_t nnames = stacktree_nnames(r->paths), i, n = 0;
	struct row *rows = xcalloc(nnames + 1, sizeof(*rows));

	for (i = 1; i < nnames; i++) {
		const struct stats_acc *bs = acc_at(b->fself, b->cap_f, i), *ts = acc_at(t->fself, t->cap_f, i);
		const struct stats_acc *bt = acc_at(b->ftotal, b->cap_f, i), *tt = acc_at(t->ftotal, t->cap_f, i);
		struct row *w = &rows[n];
		if (!bt->present && !tt->present)
			continue;
		test_feature(j, bs, ts, &w->it.self, &w->ws);
		test_feature(j, bt, tt, &w->it.total, &w->wt);
		w->it.verdict = verdict_of(&w->it.self, &w->it.total);
		w->it.score = sure_change(j, &w->it.self, &w->ws);
		w->tie = fabs(w->it.self.delta);
		w->id = (uint32_t)i;
		rep->regressions += w->it.verdict == REGRESS_REGRESSION;
		rep->self_regressions += w->it.self.verdict == REGRESS_REGRESSION;
		rep->improvements += w->it.verdict == REGRESS_IMPROVEMENT;
		n++;
	}
	finish_list(r, j, a, rows, n, limit, 0, row_cmp, &rep->functions);
	free(rows);
}

static int new_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double sx = fmax(x->it.total.base, x->it.total.target);
	double sy = fmax(y->it.total.base, y->it.total.target);

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Paths: ranked by where the change concentrates, the sure change of v
 * minus the largest sure change of v's children, so the deepest path that
 * still holds the change comes first rather than each of its ancestors
 * (which hold it too). Paths absent
 * from one side whose parent is present on it are new (vanished). */
static void build_paths(struct regress *r, struct judge *j, struct arena *a, size_t limit,
			struct regress_report *rep)
{
	const struct side *b = &r->side[0], *t = &r->side[1];
	size_t nn, i, n = 0, nnew = 0, ngone = 0;
	const struct stacktree_node *nd = stacktree_nodes(r->paths, &nn);
	struct row *rows = xcalloc(nn + 1, sizeof(*rows));
	struct row *fresh = xcalloc(nn + 1, sizeof(*fresh)), *gone = xcalloc(nn + 1, sizeof(*gone));
	double *maxc = xcalloc(nn + 1, sizeof(*maxc));
	uint32_t *row_of = xcalloc(nn + 1, sizeof(*row_of));

	for (i = 1; i < nn; i++) {
		const struct stats_acc *bt = acc_at(b->ptotal, b->cap_p, i), *tt = acc_at(t->ptotal, t->cap_p, i);
		const struct stats_acc *bp = acc_at(b->ptotal, b->cap_p, nd[i].parent);
		const struct stats_acc *tp = acc_at(t->ptotal, t->cap_p, nd[i].parent);
		struct row *w = &rows[n];
		if (!bt->present && !tt->present)
			continue;
		test_feature(j, bt, tt, &w->it.total, &w->wt);
		w->it.verdict = w->it.total.verdict;
		w->it.score = sure_change(j, &w->it.total, &w->wt);
		w->tie = fabs(w->it.total.delta);
		w->id = (uint32_t)i;
		row_of[i] = (uint32_t)n + 1;
		if (!bt->present && (!nd[i].parent || bp->present))
			fresh[nnew++] = *w;
		if (!tt->present && (!nd[i].parent || tp->present))
			gone[ngone++] = *w;
		n++;
	}
	/* Children have larger ids: a descending pass sees them first. */
	for (i = nn; i-- > 1;) {
		uint32_t p = nd[i].parent;
		if (row_of[i] && p)
			maxc[p] = fmax(maxc[p], rows[row_of[i] - 1].it.score);
	}
	for (i = 1; i < nn; i++)
		if (row_of[i])
			rows[row_of[i] - 1].it.score -= maxc[i];
	finish_list(r, j, a, rows, n, limit, 1, row_cmp, &rep->paths);
	finish_list(r, j, a, fresh, nnew, limit, 1, new_cmp, &rep->new_paths);
	finish_list(r, j, a, gone, ngone, limit, 1, new_cmp, &rep->vanished_paths);
	free(rows);
	free(fresh);
	free(gone);
	free(maxc);
	free(row_of);
}

/* Totals per profile (not shares): one test at the confidence, relative
 * to the base mean. Informational: shares cannot see a uniform change. */
static void build_totals(struct regress *r, const struct judge *j, struct regress_report *rep)
{
	struct judge one = *j;
	struct stats_welch w;
	struct regress_stat *st = &rep->totals;
	double mb;
	int up;

	one.m = 1;
	stats_welch(&r->side[0].totals, j->nb, &r->side[1].totals, j->nt, &w);
	mb = w.mean_a;
	rep->base_total = w.mean_a;
	rep->target_total = w.mean_b;
	/* Relative terms, so the threshold reads the same as for shares. */
	w.delta /= mb;
	w.se /= mb;
	st->base = 1;
	st->target = w.mean_b / mb;
	st->delta = w.delta;
	st->nbase = j->nb;
	st->ntarget = j->nt;
	st->tested = 1;
	st->p = fmin(1, 2 * stats_welch_p(&w, j->thr, &up));
	st->verdict = st->p < j->alpha ? (up ? REGRESS_REGRESSION : REGRESS_IMPROVEMENT)
				       : REGRESS_NOISE;
	st->lo = st->hi = st->delta;
	interval(&one, &w, st);
}

static int check_side(const struct side *s, const char *name, struct err *e)
{
	if (!s->n && !s->empty)
		return err_set(e, -ENOENT, "%s: no profiles to compare", name);
	if (s->n < REGRESS_MIN_PROFILES)
		return err_set(e, -EDOM, "too few profiles to judge: %s has %u non-empty profile%s, "
			       "at least %d are needed on each side; widen the range or collect more",
			       name, s->n, s->n == 1 ? "" : "s", REGRESS_MIN_PROFILES);
	return 0;
}

int regress_report(struct regress *r, const struct regress_opts *o, struct regress_report **out,
		   struct err *e)
{
	struct regress_report *rep;
	struct judge j;
	size_t nn;
	int rc;

	*out = NULL;
	if (!(o->confidence > 0 && o->confidence < 1))
		return err_set(e, -EINVAL, "confidence must be between 0 and 1, e.g. 0.99");
	if (!(o->threshold >= 0 && o->threshold < 1))
		return err_set(e, -EINVAL, "threshold must be at least 0 and below 100%%");
	if ((rc = check_side(&r->side[0], "base", e)) < 0 ||
	    (rc = check_side(&r->side[1], "target", e)) < 0)
		return rc;
	stacktree_nodes(r->paths, &nn);
	j.alpha = 1 - o->confidence;
	j.thr = o->threshold;
	j.nb = r->side[0].n;
	j.nt = r->side[1].n;
	j.m = count_tests(r, &j, nn, stacktree_nnames(r->paths));
	rep = xcalloc(1, sizeof(*rep));
	rep->arena = arena_new();
	rep->profile_type = o->profile_type ? xstrdup(o->profile_type) : NULL;
	rep->confidence = o->confidence;
	rep->threshold = o->threshold;
	rep->nbase = j.nb;
	rep->ntarget = j.nt;
	rep->empty_base = r->side[0].empty;
	rep->empty_target = r->side[1].empty;
	rep->ntests = j.m;
	j.qmemo = NULL;
	build_totals(r, &j, rep);
	build_functions(r, &j, rep->arena, o->limit, rep);
	build_paths(r, &j, rep->arena, o->limit, rep);
	free(j.qmemo);
	*out = rep;
	return 0;
}

void regress_report_free(struct regress_report *rep)
{
	if (!rep)
		return;
	arena_free(rep->arena);
	free(rep->profile_type);
	free(rep);
}

/* ---- options ---------------------------------------------------------- */

/* A number with an optional '%' (then divided by 100). */
static int parse_fraction(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int regress_parse_threshold(const char *s, double *out, struct err *e)
{
	char show[ERR_SHOW_SIZE];

	if (parse_fraction(s, out) < 0 || *out < 0 || *out >= 1)
		return err_set(e, -EINVAL, "threshold: '%s' is not a share change such as 5%% or 0.05",
			       err_show(s ? s : "", s ? strlen(s) : 0, show));
	return 0;
}

int regress_parse_confidence(const char *s, double *out, struct err *e)
{
	char show[ERR_SHOW_SIZE];

	if (parse_fraction(s, out) < 0 || *out <= 0 || *out >= 1)
		return err_set(e, -EINVAL, "confidence: '%s' is not a probability such as 0.99 or 99%%",
			       err_show(s ? s : "", s ? strlen(s) : 0, show));
	return 0;
}
