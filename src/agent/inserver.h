/* inserver: `stackyard server --agent`, the agent on a thread of the
 * server, writing straight to its store (no HTTP, no encoding).
 *
 * inserver_start() loads and attaches the sampler in the caller's thread,
 * so that "not permitted" is reported at start-up, then runs the loop on a
 * new thread. inserver_stop() emits the last interval and joins; NULL is a
 * no-op. The server's own process is not sampled. */
#ifndef STACKYARD_AGENT_INSERVER_H
#define STACKYARD_AGENT_INSERVER_H

#include "../base/err.h"
#include "../store/store.h"
#include "agent.h"

struct inserver;

/* c may be NULL (defaults); its emit and emit_ctx are replaced. The
 * relabel rules of the "agent" job of sc (the server's --config), if any,
 * are the agent's; sc may be NULL and need not outlive the call. */
int inserver_start(const struct agent_config *c, const struct scrape_config *sc,
		   struct store *st, struct inserver **out, struct err *e);
void inserver_stop(struct inserver *s);

#endif
