#include "addrtab.h"

#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"

void addrtab_add(struct addrtab *t, uint64_t start, uint64_t size,
		 const char *name, size_t namelen)
{
	/* Nothing can start at the last address and hold a byte. */
	if (start == UINT64_MAX)
		return;
	XGROW(t->v, t->cap, t->n + 1);
	/* end == start marks "no size" until addrtab_sort. */
	t->v[t->n].start = start;
	t->v[t->n].end = size > UINT64_MAX - start ? UINT64_MAX : start + size;
	t->v[t->n].name = t->names.len;
	t->n++;
	buf_append(&t->names, name, namelen);
	buf_putc(&t->names, '\0');
}

static int ent_cmp(const void *a, const void *b)
{
	const struct addrtab_ent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* Stable on insertion order: names offsets grow as entries are added. */
	return x->name < y->name ? -1 : x->name > y->name;
}

void addrtab_sort(struct addrtab *t)
{
	size_t i, out = 0;

	if (!t->n)
		return;
	qsort(t->v, t->n, sizeof(*t->v), ent_cmp);
	for (i = 0; i < t->n; i++) {
		if (out && t->v[out - 1].start == t->v[i].start)
			out--; /* the later entry replaces it */
		t->v[out++] = t->v[i];
	}
	t->n = out;
	for (i = 0; i < t->n; i++) {
		struct addrtab_ent *x = &t->v[i];
		uint64_t lim;

		if (x->end != x->start)
			continue;
		lim = x->start + ADDRTAB_SIZE0_SPAN < x->start ? UINT64_MAX
							       : x->start + ADDRTAB_SIZE0_SPAN;
		x->end = i + 1 < t->n && t->v[i + 1].start < lim ? t->v[i + 1].start : lim;
	}
}

const char *addrtab_find(const struct addrtab *t, uint64_t addr,
			 uint64_t *start)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= t->v[lo - 1].end)
		return NULL;
	if (start)
		*start = t->v[lo - 1].start;
	return (const char *)t->names.data + t->v[lo - 1].name;
}

void addrtab_release(struct addrtab *t)
{
	if (!t)
		return;
	free(t->v);
	buf_release(&t->names);
	memset(t, 0, sizeof(*t));
}
