/* push: a bounded queue of profiles POSTed to a server's /ingest, with
 * retries and backoff, on its own thread (libcurl, easy interface).
 *
 * push_enqueue() never blocks. The queue holds at most max_bytes of bodies
 * and max_items entries; when one more would not fit, the OLDEST entries
 * are dropped (and counted) until it does, so a server that is down costs
 * bounded memory and the data lost is the stalest. A body larger than
 * max_bytes alone is dropped at once.
 *
 * Outcomes per profile: 2xx -> sent; 4xx other than 408 and 429 -> rejected
 * (the server will never take it: logged with its error, not retried);
 * anything else (connection refused, timeout, 5xx, 408, 429) -> retried
 * after a backoff doubling from backoff_min to backoff_max, reset by a
 * success.
 *
 * Ownership: push_enqueue() takes path and body (both malloc'ed).
 * push_free() waits up to `drain` ns to send what is queued, then drops
 * the rest (counted), and fills *final (if not NULL) with the last
 * figures; push_free(NULL, ...) is a no-op. Thread-safe. */
#ifndef STACKYARD_AGENT_PUSH_H
#define STACKYARD_AGENT_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

struct push_config {
	const char *server;        /* base URL, e.g. http://127.0.0.1:7117 */
	size_t max_bytes;          /* 0 = 16 MiB */
	size_t max_items;          /* 0 = 4096 */
	int64_t backoff_min;       /* ns; 0 = 500 ms */
	int64_t backoff_max;       /* ns; 0 = 30 s */
	long timeout_ms;           /* per request; 0 = 10 s */
};

struct push_stats {
	uint64_t sent, rejected, dropped, retries;
	size_t queued, queued_bytes;
};

struct push;

int push_new(const struct push_config *c, struct push **out, struct err *e);
void push_free(struct push *q, int64_t drain, struct push_stats *final);

/* path: "/ingest?name=...", already escaped. */
void push_enqueue(struct push *q, char *path, uint8_t *body, size_t len);

void push_get_stats(struct push *q, struct push_stats *st);

#endif
