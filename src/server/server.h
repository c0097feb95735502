/* server: `stackyard server`, the store behind an HTTP API.
 *
 * Routes (docs/API.md): POST /ingest (Pyroscope's ingest, also at
 * /pyroscope/ingest), GET /api/v1/{profile-types, labels,
 * labels/NAME/values, series, query, range, profile}, /metrics,
 * /-/healthy, /-/ready. A maintenance thread seals, rolls up and applies
 * retention every minute. SIGTERM or SIGINT: stop accepting, finish the
 * requests in flight, close the store (everything acknowledged is already
 * durable), exit 0. */
#ifndef STACKYARD_SERVER_SERVER_H
#define STACKYARD_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "../pprof/profile.h"
#include "../store/store.h"
#include "http.h"

struct server_config {
	struct http_config http;
	struct store_config store;
	struct pprof_limits limits;     /* for ingested profiles */
	size_t max_labels;              /* per series; default 30 */
	int64_t maintain_every;         /* ns; default 60 s */
	const char *config;             /* --config FILE, or NULL */
	int check_config;               /* --check-config */
	int agent;                      /* --agent: the eBPF agent, into the store */
};

struct server;

/* The route table (exposed for tests and docs). */
extern const struct http_route server_routes[];

int server_main(int argc, char **argv);

#endif
