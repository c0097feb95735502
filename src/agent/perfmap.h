/* perfmap: JIT symbols from /tmp/perf-PID.map.
 *
 * The format perf(1) reads: one "START SIZE NAME" per line, START and SIZE
 * in hex (an optional 0x), NAME the rest of the line (it may hold spaces).
 * Written by Node (--perf-basic-prof), JVM agents, .NET, LuaJIT and others.
 * Bad lines are skipped (a JIT may be writing the file as we read it), the
 * file size and entry count are capped. */
#ifndef STACKYARD_AGENT_PERFMAP_H
#define STACKYARD_AGENT_PERFMAP_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "addrtab.h"

#define PERFMAP_MAX_BYTES (256u << 20)
#define PERFMAP_MAX_ENTRIES (4u << 20)

struct perfmap {
	struct addrtab tab;
	size_t bad;  /* lines skipped */
};

int perfmap_parse(const char *text, size_t len, struct perfmap *out,
		  struct err *e);
/* Read the map of pid as the process sees it: /proc/PID/root/tmp/
 * perf-NSPID.map, NSPID the pid inside its pid namespace. -ENOENT when
 * the process writes none. */
int perfmap_load(int pid, struct perfmap *out, struct err *e);
/* Path of that file (for stat), into buf. */
void perfmap_path(int pid, char *buf, size_t size);
const char *perfmap_find(const struct perfmap *m, uint64_t addr,
			 uint64_t *start);
void perfmap_release(struct perfmap *m);

#endif
