/* loader: read and decode a list of profile files ahead of their consumer.
 *
 * Worker threads decode files while the caller consumes them strictly in
 * order with loader_next(), so decoding overlaps merging on a multi-core
 * machine. At most `window` decoded profiles wait at any time, which bounds
 * memory whatever the number of files. The caller owns each profile
 * loader_next() returns. loader_stop(NULL) is a no-op. */
#ifndef STACKYARD_CLI_LOADER_H
#define STACKYARD_CLI_LOADER_H

#include "../base/err.h"
#include "../pprof/profile.h"

struct loader;

/* folded: parse files as collapsed stacks instead of pprof. threads = 0
 * picks one per online CPU (at most 8). */
struct loader *loader_start(char *const *files, int n, int folded, int threads);

/* The next profile in file order. On a decode error returns negative with
 * e->msg = "FILE: why"; later files are not returned. */
int loader_next(struct loader *l, struct pprof_profile **out, struct err *e);

void loader_stop(struct loader *l);

#endif
