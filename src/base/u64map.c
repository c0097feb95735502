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
	m->keys = xmalloc(n * sizeof(uint64_t));
	m->vals = xmalloc(n * sizeof(uint32_t));
	memset(m->vals, 0xff, n * sizeof(uint32_t));
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
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->mask = m->len = 0;
}

static void grow(struct u64map *m)
{
	uint64_t *ok = m->keys;
	uint32_t *ov = m->vals;
	size_t on = m->mask + 1, i;

	alloc_slots(m, on * 2);
	for (i = 0; i < on; i++) {
		size_t j;
		if (ov[i] == U64MAP_NONE)
			continue;
		j = slot_of(ok[i], m->mask);
		while (m->vals[j] != U64MAP_NONE)
			j = (j + 1) & m->mask;
		m->keys[j] = ok[i];
		m->vals[j] = ov[i];
	}
	free(ok);
	free(ov);
}

uint32_t u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	size_t i = slot_of(key, m->mask);

	while (m->vals[i] != U64MAP_NONE) {
		if (m->keys[i] == key)
			return m->vals[i];
		i = (i + 1) & m->mask;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	if (++m->len * 2 > m->mask + 1)
		grow(m);
	return U64MAP_NONE;
}

uint32_t u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i = slot_of(key, m->mask);

	while (m->vals[i] != U64MAP_NONE) {
		if (m->keys[i] == key)
			return m->vals[i];
		i = (i + 1) & m->mask;
	}
	return U64MAP_NONE;
}
