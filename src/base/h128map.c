#include "h128map.h"

#include <stdlib.h>

#include "xalloc.h"

static void alloc_slots(struct h128map *m, size_t n)
{
	size_t i;

	m->slots = xmalloc(n * sizeof(*m->slots));
	for (i = 0; i < n; i++)
		m->slots[i].val = H128MAP_NONE;
	m->mask = n - 1;
}

void h128map_init(struct h128map *m, size_t expect)
{
	size_t n = 16;

	while (n < expect * 2)
		n *= 2;
	alloc_slots(m, n);
	m->len = 0;
}

void h128map_release(struct h128map *m)
{
	if (!m)
		return;
	free(m->slots);
	m->slots = NULL;
	m->mask = m->len = 0;
}

size_t h128map_bytes(const struct h128map *m)
{
	return m->slots ? (m->mask + 1) * sizeof(*m->slots) : 0;
}

/* The slot holding key, or the empty slot where it would go. */
static struct h128map_slot *find(const struct h128map *m, struct h128 key)
{
	size_t i = (size_t)key.lo & m->mask;

	while (m->slots[i].val != H128MAP_NONE &&
	       (m->slots[i].lo != key.lo || m->slots[i].hi != key.hi))
		i = (i + 1) & m->mask;
	return &m->slots[i];
}

static void grow(struct h128map *m)
{
	struct h128map_slot *old = m->slots;
	size_t on = m->mask + 1, i;

	alloc_slots(m, on * 2);
	for (i = 0; i < on; i++)
		if (old[i].val != H128MAP_NONE)
			*find(m, (struct h128){old[i].lo, old[i].hi}) = old[i];
	free(old);
}

uint32_t h128map_put(struct h128map *m, struct h128 key, uint32_t val)
{
	struct h128map_slot *s = find(m, key);

	if (s->val != H128MAP_NONE)
		return s->val;
	s->lo = key.lo;
	s->hi = key.hi;
	s->val = val;
	if (++m->len * 2 > m->mask + 1)
		grow(m);
	return H128MAP_NONE;
}

uint32_t h128map_get(const struct h128map *m, struct h128 key)
{
	return find(m, key)->val;
}
