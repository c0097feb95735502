/* u64map: a uint64 -> uint32 hash map (open addressing, linear probing).
 *
 * Used to resolve sparse pprof ids (addresses used as ids, Node.js key maps)
 * to dense array indices, and for (parent, name) -> child in stack trees.
 * Key and value share a slot so a lookup touches one cache line. The map
 * owns its memory; u64map_release(NULL) is a no-op. Key 0 is allowed. */
#ifndef STACKYARD_BASE_U64MAP_H
#define STACKYARD_BASE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

#define U64MAP_NONE UINT32_MAX

struct u64map_slot {
	uint64_t key;
	uint32_t val; /* U64MAP_NONE marks an empty slot */
};

struct u64map {
	struct u64map_slot *slots;
	size_t mask, len;
};

void u64map_init(struct u64map *m, size_t expect);
void u64map_release(struct u64map *m);

/* Insert key -> val. Returns the previous value for key, or U64MAP_NONE if
 * key was absent (in which case it is now present). val must not be
 * U64MAP_NONE. */
uint32_t u64map_put(struct u64map *m, uint64_t key, uint32_t val);
uint32_t u64map_get(const struct u64map *m, uint64_t key);

#endif
