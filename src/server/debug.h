/* debug: the server's own /debug/pprof endpoints, as Go's net/http/pprof
 * serves them, so that a Stackyard server can scrape itself:
 *   /debug/pprof/              index
 *   /debug/pprof/profile       CPU profile, ?seconds=N (default 30), gzipped
 *                              pprof (selfprof.h); one at a time: a second
 *                              concurrent request gets 429
 *   /debug/pprof/cmdline       the command line, arguments NUL-separated
 * Go's other profiles (goroutine, heap, allocs, block, mutex,
 * threadcreate, trace) describe the Go runtime, which a C program has not:
 * they answer 404 and say so. */
#ifndef STACKYARD_SERVER_DEBUG_H
#define STACKYARD_SERVER_DEBUG_H

#include "http.h"

void debug_pprof_index(struct http_req *r, struct http_resp *w);
void debug_pprof_profile(struct http_req *r, struct http_resp *w);
void debug_pprof_cmdline(struct http_req *r, struct http_resp *w);
void debug_pprof_other(struct http_req *r, struct http_resp *w);

#endif
