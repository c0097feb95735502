#include "metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../base/xalloc.h"

static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define MAX_KEYS 128

/* Counters keyed by a small string pair (route and code, or a reason). */
struct counter {
	char a[48], b[48];
	uint64_t n;
};

struct histo {
	char route[48];
	uint64_t le[NBUCKETS], count;
	double sum;
};

struct metrics {
	pthread_mutex_t mu;
	struct counter req[MAX_KEYS], err[MAX_KEYS];
	size_t nreq, nerr;
	struct histo h[MAX_KEYS];
	size_t nh;
	uint64_t profiles, samples, bytes;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* The counter for (a, b), added if there is room; NULL when the table is
 * full (a bounded number of routes and reasons exists, so it never is). */
static struct counter *counter(struct counter *c, size_t *n, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(c[i].a, a) && !strcmp(c[i].b, b))
			return &c[i];
	if (*n == MAX_KEYS)
		return NULL;
	snprintf(c[*n].a, sizeof(c[*n].a), "%s", a);
	snprintf(c[*n].b, sizeof(c[*n].b), "%s", b);
	return &c[(*n)++];
}

static struct histo *histo(struct metrics *m, const char *route)
{
	size_t i;

	for (i = 0; i < m->nh; i++)
		if (!strcmp(m->h[i].route, route))
			return &m->h[i];
	if (m->nh == MAX_KEYS)
		return NULL;
	snprintf(m->h[m->nh].route, sizeof(m->h[m->nh].route), "%s", route);
	return &m->h[m->nh++];
}

void metrics_http(struct metrics *m, const char *route, int status, double seconds)
{
	char code[8];
	struct counter *c;
	struct histo *h;
	size_t i;

	snprintf(code, sizeof(code), "%d", status);
	pthread_mutex_lock(&m->mu);
	if ((c = counter(m->req, &m->nreq, route ? route : "none", code)))
		c->n++;
	if ((h = histo(m, route ? route : "none"))) {
		for (i = 0; i < NBUCKETS; i++)
			h->le[i] += seconds <= buckets[i];
		h->count++;
		h->sum += seconds;
	}
	pthread_mutex_unlock(&m->mu);
}

void metrics_ingest(struct metrics *m, uint64_t bytes, uint64_t profiles, uint64_t samples)
{
	pthread_mutex_lock(&m->mu);
	m->bytes += bytes;
	m->profiles += profiles;
	m->samples += samples;
	pthread_mutex_unlock(&m->mu);
}

void metrics_ingest_error(struct metrics *m, const char *reason)
{
	struct counter *c;

	pthread_mutex_lock(&m->mu);
	if ((c = counter(m->err, &m->nerr, reason, "")))
		c->n++;
	pthread_mutex_unlock(&m->mu);
}

static void write_histograms(struct metrics *m, struct buf *out)
{
	size_t i, k;

	buf_puts(out, "# HELP stackyard_http_request_duration_seconds Time to answer a request.\n"
		      "# TYPE stackyard_http_request_duration_seconds histogram\n");
	for (i = 0; i < m->nh; i++) {
		const struct histo *h = &m->h[i];
		for (k = 0; k < NBUCKETS; k++)
			buf_printf(out, "stackyard_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %" PRIu64 "\n",
				   h->route, buckets[k], h->le[k]);
		buf_printf(out, "stackyard_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
			   h->route, h->count);
		buf_printf(out, "stackyard_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", h->route, h->sum);
		buf_printf(out, "stackyard_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
			   h->route, h->count);
	}
}

static void gauge(struct buf *out, const char *name, const char *help, uint64_t v)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRIu64 "\n", name, help, name, name, v);
}

void metrics_write(struct metrics *m, const struct store_stats *st, struct buf *out)
{
	size_t i;

	pthread_mutex_lock(&m->mu);
	buf_puts(out, "# HELP stackyard_http_requests_total Requests answered, by route and status.\n"
		      "# TYPE stackyard_http_requests_total counter\n");
	for (i = 0; i < m->nreq; i++)
		buf_printf(out, "stackyard_http_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n",
			   m->req[i].a, m->req[i].b, m->req[i].n);
	write_histograms(m, out);
	buf_printf(out, "# HELP stackyard_ingest_profiles_total Profiles stored.\n"
		   "# TYPE stackyard_ingest_profiles_total counter\nstackyard_ingest_profiles_total %" PRIu64 "\n"
		   "# HELP stackyard_ingest_samples_total Samples stored.\n"
		   "# TYPE stackyard_ingest_samples_total counter\nstackyard_ingest_samples_total %" PRIu64 "\n"
		   "# HELP stackyard_ingest_bytes_total Request bytes of accepted profiles.\n"
		   "# TYPE stackyard_ingest_bytes_total counter\nstackyard_ingest_bytes_total %" PRIu64 "\n",
		   m->profiles, m->samples, m->bytes);
	buf_puts(out, "# HELP stackyard_ingest_errors_total Rejected ingest requests, by reason.\n"
		      "# TYPE stackyard_ingest_errors_total counter\n");
	for (i = 0; i < m->nerr; i++)
		buf_printf(out, "stackyard_ingest_errors_total{reason=\"%s\"} %" PRIu64 "\n", m->err[i].a,
			   m->err[i].n);
	pthread_mutex_unlock(&m->mu);
	if (!st)
		return;
	gauge(out, "stackyard_store_blocks", "Blocks in the store.", st->blocks);
	gauge(out, "stackyard_store_sealed_blocks", "Sealed blocks.", st->sealed_blocks);
	gauge(out, "stackyard_store_series", "Series (counted per block).", st->series);
	gauge(out, "stackyard_store_profiles", "Stored profiles.", st->profiles);
	gauge(out, "stackyard_store_bytes", "Bytes on disk.", st->bytes);
	gauge(out, "stackyard_store_registry_paths", "Frame paths held in memory for merges.",
	      st->reg_paths);
	gauge(out, "stackyard_store_registry_locations",
	      "Locations held in memory for pprof merges.", st->reg_locations);
	gauge(out, "stackyard_store_registry_rebuilds",
	      "Times the merge registries were started afresh after retention.", st->reg_rebuilds);
}
