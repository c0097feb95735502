/* addrtab: a sorted table of named address ranges, for the text symbol
 * sources that are plain lists (/proc/kallsyms, /tmp/perf-PID.map).
 *
 * Fill with addrtab_add(), then addrtab_sort() once; addrtab_find() is a
 * binary search. An entry added with size 0 reaches the next entry's start
 * (kallsyms has no sizes), at most ADDRTAB_SIZE0_SPAN bytes. The table owns
 * its names (one block); addrtab_release(NULL) is a no-op. */
#ifndef STACKYARD_AGENT_ADDRTAB_H
#define STACKYARD_AGENT_ADDRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

#define ADDRTAB_SIZE0_SPAN (1u << 20)

struct addrtab_ent {
	uint64_t start, end; /* [start, end) */
	size_t name;         /* offset into names */
};

struct addrtab {
	struct addrtab_ent *v;
	size_t n, cap;
	struct buf names;
};

void addrtab_add(struct addrtab *t, uint64_t start, uint64_t size,
		 const char *name, size_t namelen);
/* Sort by start; of entries at one start the last added stays (a JIT
 * reusing an address writes the new name later). */
void addrtab_sort(struct addrtab *t);
/* The name of the entry holding addr (its start in *start), or NULL. */
const char *addrtab_find(const struct addrtab *t, uint64_t addr,
			 uint64_t *start);
void addrtab_release(struct addrtab *t);

#endif
