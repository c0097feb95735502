/* prep: content keys of a decoded pprof (see prep.h). */
#include "prep.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../base/xalloc.h"

struct ctx {
	const struct pprof_profile *p;
	struct h128 *strh;   /* per string index, {0, 0} = not hashed yet */
	uint64_t *w;         /* words of one location's content */
	size_t cap_w;
	struct h128 *keys;   /* one sample's location keys */
	size_t cap_keys;
};

static struct h128 hash_bytes(const void *p, size_t len)
{
	XXH128_hash_t h = XXH3_128bits(p, len);

	return (struct h128){h.low64, h.high64};
}

static void str_words(struct ctx *c, uint32_t i, uint64_t *w)
{
	w[0] = c->strh[i].lo;
	w[1] = c->strh[i].hi;
}

static struct h128 location_key(struct ctx *c, uint32_t li)
{
	const struct pprof_profile *p = c->p;
	const struct pprof_location *l = &p->location[li];
	uint64_t addr = l->address, *w;
	size_t n = 5 + 8 * (size_t)l->nline;
	uint32_t i;

	XGROW(c->w, c->cap_w, n);
	w = c->w;
	memset(w, 0, 4 * sizeof(*w));
	if (l->mapping) {
		const struct pprof_mapping *m = &p->mapping[l->mapping - 1];
		str_words(c, p->str[m->build_id].len ? m->build_id : m->filename, w);
		w[2] = (m->limit - m->start + 0xfff) & ~(uint64_t)0xfff;
		w[3] = m->offset;
		addr -= m->start;
	}
	w[4] = addr;
	for (i = 0, w += 5; i < l->nline; i++, w += 8) {
		const struct pprof_line *ln = &p->line[l->line_off + i];
		const struct pprof_function *f = &p->function[ln->function];
		str_words(c, f->name, w);
		str_words(c, f->system_name, w + 2);
		str_words(c, f->filename, w + 4);
		w[6] = (uint64_t)f->start_line;
		w[7] = (uint64_t)ln->line;
	}
	return hash_bytes(c->w, n * sizeof(*c->w));
}

/* The sample's location keys root first, gathered into c->keys. */
static struct h128 stack_key(struct ctx *c, const struct h128 *loc, const struct pprof_sample *s)
{
	const uint32_t *ids = c->p->sample_loc + s->loc_off;
	uint32_t k;

	if (!s->nloc)
		return (struct h128){0, 0};
	XGROW(c->keys, c->cap_keys, s->nloc);
	for (k = 0; k < s->nloc; k++)
		c->keys[k] = loc[ids[s->nloc - 1 - k]];
	return hash_bytes(c->keys, (size_t)s->nloc * sizeof(*c->keys));
}

void prep_build(const struct pprof_profile *p, struct prep *out)
{
	struct ctx c = {0};
	size_t i;

	c.p = p;
	/* Every string, once, in table order: the strings lie in that order
	 * in the decoded bytes, so this reads memory sequentially, where
	 * hashing them as locations name them would jump around. */
	c.strh = xmalloc((p->nstr + 1) * sizeof(*c.strh));
	for (i = 0; i < p->nstr; i++)
		c.strh[i] = hash_bytes(p->str[i].ptr ? p->str[i].ptr : "", p->str[i].len);
	out->loc = xmalloc((p->nlocation + 1) * sizeof(*out->loc));
	out->stack = xmalloc((p->nsample + 1) * sizeof(*out->stack));
	for (i = 0; i < p->nlocation; i++)
		out->loc[i] = location_key(&c, (uint32_t)i);
	for (i = 0; i < p->nsample; i++)
		out->stack[i] = stack_key(&c, out->loc, &p->sample[i]);
	free(c.strh);
	free(c.w);
	free(c.keys);
}

void prep_release(struct prep *pr)
{
	if (!pr)
		return;
	free(pr->loc);
	free(pr->stack);
	pr->loc = pr->stack = NULL;
}
