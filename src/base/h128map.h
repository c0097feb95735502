/* h128map: 128-bit hash -> uint32 map (open addressing, linear probing).
 *
 * For caches keyed by a strong hash of some content (XXH3-128) instead of
 * the content itself: the key lives in the slot, so a lookup is one probe
 * sequence over 24-byte slots with no pointer chasing and no memcmp of the
 * content. Keys are already uniformly distributed, so the low word picks
 * the slot. A collision of two different contents needs about 2^64 keys.
 * The map owns its memory; h128map_release(NULL) is a no-op. */
#ifndef STACKYARD_BASE_H128MAP_H
#define STACKYARD_BASE_H128MAP_H

#include <stddef.h>
#include <stdint.h>

#define H128MAP_NONE UINT32_MAX

struct h128 {
	uint64_t lo, hi;
};

struct h128map_slot {
	uint64_t lo, hi;
	uint32_t val; /* H128MAP_NONE marks an empty slot */
};

struct h128map {
	struct h128map_slot *slots;
	size_t mask, len;
};

void h128map_init(struct h128map *m, size_t expect);
void h128map_release(struct h128map *m);

/* Inserts key -> val unless key is present; returns the previous value or
 * H128MAP_NONE. val must not be H128MAP_NONE. */
uint32_t h128map_put(struct h128map *m, struct h128 key, uint32_t val);
uint32_t h128map_get(const struct h128map *m, struct h128 key);

/* Bytes held by the slot array (for caps). */
size_t h128map_bytes(const struct h128map *m);

#endif
