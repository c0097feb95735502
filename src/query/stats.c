#include "stats.h"

#include <float.h>
#include <math.h>

#define TINY 1e-300

/* Lentz's continued fraction for I_x(a, b) (converges for
 * x < (a + 1) / (a + b + 2); the caller swaps otherwise). */
static double beta_cf(double a, double b, double x)
{
	double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap, h;
	int m;

	d = 1 / (fabs(d) < TINY ? TINY : d);
	h = d;
	for (m = 1; m <= 1000; m++) {
		double m2 = 2.0 * m, aa, del;

		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d;
		c = 1 + aa / c;
		d = 1 / (fabs(d) < TINY ? TINY : d);
		c = fabs(c) < TINY ? TINY : c;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		c = 1 + aa / c;
		d = 1 / (fabs(d) < TINY ? TINY : d);
		c = fabs(c) < TINY ? TINY : c;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return h;
}

double stats_ibeta(double a, double b, double x)
{
	double lbt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * beta_cf(a, b, x) / a;
	return 1 - exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

double stats_t_sf(double t, double df)
{
	double tail;

	if (isnan(t))
		return 1;
	if (!(df > 0) || df > 1e9)
		return 0.5 * erfc(t / M_SQRT2);
	/* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2); halve for one tail. */
	tail = 0.5 * stats_ibeta(df / 2, 0.5, df / (df + t * t));
	return t >= 0 ? tail : 1 - tail;
}

double stats_t_isf(double p, double df)
{
	double lo = 0, hi = 1, mid;
	int i;

	if (p >= 0.5)
		return p >= 1 ? -INFINITY : -stats_t_isf(1 - p, df);
	if (p <= 0)
		return INFINITY;
	while (stats_t_sf(hi, df) > p && hi < 1e300)
		hi *= 2;
	for (i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
		mid = (lo + hi) / 2;
		if (stats_t_sf(mid, df) > p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static double var_of(const struct stats_acc *a, uint32_t n, double mean)
{
	double v = (a->sumsq - n * mean * mean) / (n - 1);

	return v > 0 ? v : 0;
}

void stats_welch(const struct stats_acc *a, uint32_t na, const struct stats_acc *b,
		 uint32_t nb, struct stats_welch *w)
{
	double va, vb, qa, qb;

	w->mean_a = a->sum / na;
	w->mean_b = b->sum / nb;
	w->delta = w->mean_b - w->mean_a;
	va = var_of(a, na, w->mean_a);
	vb = var_of(b, nb, w->mean_b);
	qa = va / na;
	qb = vb / nb;
	w->se = sqrt(qa + qb);
	if (qa + qb <= 0) {
		w->df = 0;
		return;
	}
	w->df = (qa + qb) * (qa + qb) /
		(qa * qa / (na - 1) + qb * qb / (nb - 1));
}

double stats_welch_p(const struct stats_welch *w, double thr, int *up)
{
	double tr, ti;

	*up = w->delta >= 0;
	/* Not beyond the threshold at all (within rounding): nothing to
	 * test. Also keeps rounding noise in constant data (delta and se
	 * both ~1e-17) from reading as a certain change. */
	if (fabs(w->delta) <= thr + 1e-12)
		return 1;
	if (w->se <= 0)
		return 0;
	tr = (w->delta - thr) / w->se;
	ti = (-w->delta - thr) / w->se;
	return stats_t_sf(*up ? tr : ti, w->df);
}
