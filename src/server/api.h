/* api: the server's handlers and the state they share. */
#ifndef STACKYARD_SERVER_API_H
#define STACKYARD_SERVER_API_H

#include "metrics.h"
#include "server.h"

struct scraper;

struct api {
	struct store *store;
	struct scraper *scraper;   /* NULL without --config */
	struct metrics *metrics;
	const struct server_config *cfg;
	int ready;                 /* atomic: set once everything runs */
};

/* Re-reads --config (SIGHUP, POST /-/reload) and logs the outcome. On an
 * error (e says why, with file:line) the running configuration stays. */
int server_reload(struct api *a, struct err *e);

#endif
