/* metrics: the server's own numbers, in Prometheus text format.
 *
 *   stackyard_http_requests_total{route,code}     counter
 *   stackyard_http_request_duration_seconds       histogram, by route
 *   stackyard_ingest_profiles_total               counter
 *   stackyard_ingest_samples_total                counter
 *   stackyard_ingest_bytes_total                  counter (request bytes)
 *   stackyard_ingest_errors_total{reason}         counter
 *   stackyard_store_blocks / _sealed_blocks / _series / _profiles / _bytes   gauges
 *
 * Thread-safe (one mutex; updates are a few additions). */
#ifndef STACKYARD_SERVER_METRICS_H
#define STACKYARD_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../store/store.h"

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

void metrics_http(struct metrics *m, const char *route, int status, double seconds);
void metrics_ingest(struct metrics *m, uint64_t bytes, uint64_t profiles, uint64_t samples);
void metrics_ingest_error(struct metrics *m, const char *reason);

/* Appends the text exposition; st may be NULL. */
void metrics_write(struct metrics *m, const struct store_stats *st, struct buf *out);

#endif
