#include "intern.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "arena.h"
#include "xalloc.h"

/* Open addressing with linear probing. A slot holds id+1 (0 = empty) and the
 * low 32 bits of the key's hash, so most mismatches are rejected without
 * touching the key bytes. The table is kept at most half full. */
struct slot {
	uint32_t id1;
	uint32_t hash;
};

struct entry {
	const uint8_t *key;
	uint32_t len;
};

struct intern {
	struct slot *slots;
	size_t mask;
	struct entry *ent;
	size_t nent, capent;
	size_t bytes;
	struct arena *keys;
};

struct intern *intern_new(size_t expect)
{
	struct intern *in = xcalloc(1, sizeof(*in));
	size_t n = 16;

	while (n < expect * 2)
		n *= 2;
	in->slots = xcalloc(n, sizeof(struct slot));
	in->mask = n - 1;
	in->keys = arena_new();
	return in;
}

void intern_free(struct intern *in)
{
	if (!in)
		return;
	free(in->slots);
	free(in->ent);
	arena_free(in->keys);
	free(in);
}

static void rehash(struct intern *in)
{
	size_t n = (in->mask + 1) * 2, i;
	struct slot *s = xcalloc(n, sizeof(struct slot));

	for (i = 0; i <= in->mask; i++) {
		struct slot o = in->slots[i];
		size_t j;
		if (!o.id1)
			continue;
		j = o.hash & (n - 1);
		while (s[j].id1)
			j = (j + 1) & (n - 1);
		s[j] = o;
	}
	free(in->slots);
	in->slots = s;
	in->mask = n - 1;
}

/* Returns the slot index holding key, or the empty slot where it belongs. */
static size_t probe(const struct intern *in, const void *key, size_t len,
		    uint32_t h)
{
	size_t i = h & in->mask;

	for (;;) {
		struct slot s = in->slots[i];
		if (!s.id1)
			return i;
		if (s.hash == h) {
			const struct entry *e = &in->ent[s.id1 - 1];
			if (e->len == len && (len == 0 || !memcmp(e->key, key, len)))
				return i;
		}
		i = (i + 1) & in->mask;
	}
}

uint32_t intern_find(const struct intern *in, const void *key, size_t len)
{
	uint32_t h = (uint32_t)XXH3_64bits(key, len);
	size_t i = probe(in, key, len, h);

	return in->slots[i].id1 ? in->slots[i].id1 - 1 : INTERN_NONE;
}

uint32_t intern_put(struct intern *in, const void *key, size_t len, int *is_new)
{
	uint32_t h = (uint32_t)XXH3_64bits(key, len);
	size_t i = probe(in, key, len, h);
	struct entry *e;
	uint8_t *copy;

	if (in->slots[i].id1) {
		if (is_new)
			*is_new = 0;
		return in->slots[i].id1 - 1;
	}
	XGROW(in->ent, in->capent, in->nent + 1);
	copy = arena_alloc(in->keys, len ? len : 1);
	if (len)
		memcpy(copy, key, len);
	e = &in->ent[in->nent];
	e->key = copy;
	e->len = (uint32_t)len;
	in->slots[i].id1 = (uint32_t)++in->nent;
	in->slots[i].hash = h;
	in->bytes += len;
	if (in->nent * 2 > in->mask + 1)
		rehash(in);
	if (is_new)
		*is_new = 1;
	return (uint32_t)(in->nent - 1);
}

const void *intern_key(const struct intern *in, uint32_t id, size_t *len)
{
	const struct entry *e = &in->ent[id];

	if (len)
		*len = e->len;
	return e->key;
}

uint32_t intern_count(const struct intern *in)
{
	return (uint32_t)in->nent;
}

size_t intern_bytes(const struct intern *in)
{
	return in->bytes;
}
