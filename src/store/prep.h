/* prep: the content keys of one decoded pprof, computed before the writer
 * lock so that the serial part of an append does as little as possible.
 *
 * A block's writer keeps two in-memory caches (block.c): location content
 * key -> location row, and stack key -> leaf node of the stack tree. Both
 * keys come from the pprof alone, never from pprof ids (producers renumber
 * those between profiles), so any thread can compute them while the data
 * it has just decoded is still in its cache, and the writer then needs one
 * map lookup per sample when its stack was seen before, instead of work
 * per location.
 *
 *   location key  XXH3-128 over: the mapping's identity (the XXH3-128 of
 *                 its build id, else of its file name; the size rounded up
 *                 to pages; the file offset), the address relative to the
 *                 mapping start, and per line the XXH3-128 of the
 *                 function's name, system name and file name, its start
 *                 line and the line number. A location without mapping
 *                 has zero words in the mapping's place and its absolute
 *                 address.
 *   stack key     XXH3-128 over the location keys of the sample, root
 *                 first; {0, 0} for a sample without locations.
 *
 * Equal keys mean equal content (a collision needs about 2^64 keys), and
 * the writer treats equal content as the same location, as pprof's merge
 * does. Different keys may still end at one row (the writer's own row keys
 * are finer or coarser in places), so the caches are shortcuts: a miss
 * takes the writer's slow path, which stays the authority.
 *
 * Memory: prep_build() fills arrays it allocates; prep_release() frees them
 * and accepts a zeroed or released struct. */
#ifndef STACKYARD_STORE_PREP_H
#define STACKYARD_STORE_PREP_H

#include <stddef.h>
#include <stdint.h>

#include "../base/h128map.h"
#include "../pprof/profile.h"

struct prep {
	struct h128 *loc;    /* per pprof location index */
	struct h128 *stack;  /* per pprof sample index */
};

void prep_build(const struct pprof_profile *p, struct prep *out);
void prep_release(struct prep *pr);

#endif
