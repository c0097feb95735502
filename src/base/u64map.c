#include "u64map.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static size_t slot_of(uint64_t k, size_t mask)
{
	/* splitmix64 finaliser: ids are often sequential or page-aligned. */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	k ^= k >> 31;
	return (size_t)k & mask;
}

static void alloc_slots(struct u64map *m, size_t n)
{
	size_t i;

	m->slots = xmalloc(n * sizeof(*m->slots));
	for (i = 0; i < n; i++)
		m->slots[i].val = U64MAP_NONE;
	m->mask = n - 1;
}

void u64map_init(struct u64map *m, size_t expect)
{
	size_t n = 16;

	while (n < expect * 2)
		n *= 2;
	alloc_slots(m, n);
	m->len = 0;
}

void u64map_release(struct u64map *m)
{
	if (!m)
		return;
	free(m->slots);
	m->slots = NULL;
	m->mask = m->len = 0;
}

static void grow(struct u64map *m)
{
	struct u64map_slot *old = m->slots;
	size_t on = m->mask + 1, i;

	alloc_slots(m, on * 2);
	for (i = 0; i < on; i++) {
		size_t j;
		if (old[i].val == U64MAP_NONE)
			continue;
		j = slot_of(old[i].key, m->mask);
		while (m->slots[j].val != U64MAP_NONE)
			j = (j + 1) & m->mask;
		m->slots[j] = old[i];
	}
	free(old);
}

uint32_t u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	size_t i = slot_of(key, m->mask);

	while (m->slots[i].val != U64MAP_NONE) {
		if (m->slots[i].key == key)
			return m->slots[i].val;
		i = (i + 1) & m->mask;
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	if (++m->len * 2 > m->mask + 1)
		grow(m);
	return U64MAP_NONE;
}

uint32_t u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i = slot_of(key, m->mask);

	while (m->slots[i].val != U64MAP_NONE) {
		if (m->slots[i].key == key)
			return m->slots[i].val;
		i = (i + 1) & m->mask;
	}
	return U64MAP_NONE;
}
