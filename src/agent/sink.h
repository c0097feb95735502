/* sink: where the agent's profiles go (agent_emit_fn implementations).
 *
 *   sink_push   ctx = struct push *: encoded, queued for POST /ingest as
 *               name=agent{service_name=...,pid=...,...}&from&until&format=pprof
 *   sink_dir    ctx = const char *DIR: DIR/SERVICE-PID-UNIXMS.pb.gz (gzipped
 *               pprof, written atomically; per service: SERVICE-UNIXMS.pb.gz)
 *   sink_store  ctx = struct store *: normalised and appended, as /ingest
 *               does (`stackyard server --agent`)
 *
 * Label values travel in a Pyroscope application name, where ',', '}',
 * '=' cannot appear: those bytes become '_' in what is pushed. */
#ifndef STACKYARD_AGENT_SINK_H
#define STACKYARD_AGENT_SINK_H

#include "../base/buf.h"
#include "agent.h"

int sink_push(void *ctx, const struct agent_profile *ap);
int sink_dir(void *ctx, const struct agent_profile *ap);
int sink_store(void *ctx, const struct agent_profile *ap);

/* "/ingest?name=...&from=NS&until=NS&format=pprof" for ap. */
void sink_ingest_path(const struct agent_profile *ap, struct buf *out);

#endif
