/* Merging as pprof's profile/merge.go does it.
 *
 * Every "same thing" test is an intern table over a key serialised to
 * bytes: the intern id of a new key is the index of the new element in the
 * destination, because elements are appended exactly when their key is
 * new. Keys are built from destination indices (strings, mappings,
 * functions, locations), so equal content from different sources meets in
 * one key. Per source, src index -> dst index arrays memoise the work so
 * each location is keyed once per source, not once per sample. */
#include "merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/intern.h"
#include "../base/xalloc.h"

#define NONE UINT32_MAX

struct merger {
	struct pprof_profile *dst;
	struct intern *mkeys, *fkeys, *lkeys, *skeys;
	struct buf key;
	/* per source */
	const struct pprof_profile *src;
	uint32_t *strmap, *mapmap, *fnmap, *locmap;
	int64_t *mapoff;
	uint32_t *locs;
	size_t cap_locs;
	struct pprof_label *labels;
	size_t cap_labels;
};

struct pprof_merger {
	struct merger m;
	struct pprof_profile *first; /* header of the first source */
};

static int sv_eq(struct pprof_str a, struct pprof_str b)
{
	return a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

static int vt_eq(const struct pprof_profile *a, struct pprof_value_type x,
		 const struct pprof_profile *b, struct pprof_value_type y)
{
	return sv_eq(a->str[x.type], b->str[y.type]) &&
	       sv_eq(a->str[x.unit], b->str[y.unit]);
}

static void put_types(struct buf *b, const struct pprof_profile *p)
{
	uint32_t i;

	buf_putc(b, '[');
	for (i = 0; i < p->nsample_type; i++) {
		struct pprof_str t = p->str[p->sample_type[i].type];
		struct pprof_str u = p->str[p->sample_type[i].unit];
		buf_printf(b, "%s%.*s/%.*s", i ? " " : "", (int)t.len, t.ptr, (int)u.len, u.ptr);
	}
	buf_putc(b, ']');
}

int pprof_compatible(const struct pprof_profile *a, const struct pprof_profile *b,
		     struct err *e)
{
	struct buf msg = BUF_INIT;
	uint32_t i;
	int same = a->nsample_type == b->nsample_type;

	if (!vt_eq(a, a->period_type, b, b->period_type)) {
		struct pprof_str x = a->str[a->period_type.type], y = b->str[b->period_type.type];
		return err_set(e, -EINVAL, "incompatible period types: %.*s and %.*s",
			       (int)x.len, x.ptr, (int)y.len, y.ptr);
	}
	for (i = 0; same && i < a->nsample_type; i++)
		same = vt_eq(a, a->sample_type[i], b, b->sample_type[i]);
	if (same)
		return 0;
	buf_puts(&msg, "incompatible sample types: ");
	put_types(&msg, a);
	buf_puts(&msg, " and ");
	put_types(&msg, b);
	err_set(e, -EINVAL, "%s", (char *)msg.data);
	buf_release(&msg);
	return -EINVAL;
}

/* ---- per-source mapping of strings and objects ---------------------- */

static uint32_t map_str(struct merger *m, uint32_t s)
{
	if (m->strmap[s] == NONE)
		m->strmap[s] = pprof_intern(m->dst, m->src->str[s].ptr, m->src->str[s].len);
	return m->strmap[s];
}

static void key_u64(struct buf *k, uint64_t v)
{
	buf_append(k, &v, sizeof(v));
}

/* Returns the dst mapping index for src mapping mi (0-based). */
static uint32_t map_mapping(struct merger *m, uint32_t mi)
{
	const struct pprof_mapping *s = &m->src->mapping[mi];
	uint64_t size = s->limit - s->start;
	uint32_t id, who;
	int is_new;

	if (m->mapmap[mi] != NONE)
		return m->mapmap[mi];
	/* pprof rounds the size up to 4 KiB to absorb small differences. */
	size = (size + 0xfff) & ~(uint64_t)0xfff;
	who = s->build_id && m->src->str[s->build_id].len ? s->build_id : s->filename;
	buf_reset(&m->key);
	key_u64(&m->key, size);
	key_u64(&m->key, s->offset);
	key_u64(&m->key, who ? map_str(m, who) : 0);
	id = intern_put(m->mkeys, m->key.data, m->key.len, &is_new);
	if (is_new) {
		struct pprof_mapping *d;
		pprof_add_mapping(m->dst);
		d = &m->dst->mapping[id];
		*d = *s;
		d->id = (uint64_t)id + 1;
		d->filename = map_str(m, s->filename);
		d->build_id = map_str(m, s->build_id);
	}
	m->mapoff[mi] = (int64_t)(m->dst->mapping[id].start - s->start);
	m->mapmap[mi] = id;
	return id;
}

static uint32_t map_function(struct merger *m, uint32_t fi)
{
	const struct pprof_function *s = &m->src->function[fi];
	uint32_t id, name, sys, file;
	int is_new;

	if (m->fnmap[fi] != NONE)
		return m->fnmap[fi];
	name = map_str(m, s->name);
	sys = map_str(m, s->system_name);
	file = map_str(m, s->filename);
	buf_reset(&m->key);
	key_u64(&m->key, (uint64_t)s->start_line);
	key_u64(&m->key, name);
	key_u64(&m->key, sys);
	key_u64(&m->key, file);
	id = intern_put(m->fkeys, m->key.data, m->key.len, &is_new);
	if (is_new) {
		struct pprof_function *d;
		pprof_add_function(m->dst);
		d = &m->dst->function[id];
		d->name = name;
		d->system_name = sys;
		d->filename = file;
		d->start_line = s->start_line;
	}
	m->fnmap[fi] = id;
	return id;
}

static uint32_t map_location(struct merger *m, uint32_t li)
{
	const struct pprof_location *s = &m->src->location[li];
	uint64_t addr = s->address, keyaddr = s->address;
	uint32_t dmap = 0, id, k;
	int is_new;

	if (m->locmap[li] != NONE)
		return m->locmap[li];
	if (s->mapping) {
		uint32_t mi = s->mapping - 1;
		dmap = map_mapping(m, mi) + 1;
		addr = (uint64_t)((int64_t)s->address + m->mapoff[mi]);
		keyaddr = s->address - m->src->mapping[mi].start;
	}
	/* Functions first: map_function() uses m->key itself. */
	for (k = 0; k < s->nline; k++)
		map_function(m, m->src->line[s->line_off + k].function);
	buf_reset(&m->key);
	key_u64(&m->key, keyaddr);
	key_u64(&m->key, dmap);
	key_u64(&m->key, s->is_folded);
	for (k = 0; k < s->nline; k++) {
		const struct pprof_line *ln = &m->src->line[s->line_off + k];
		key_u64(&m->key, m->fnmap[ln->function]);
		key_u64(&m->key, (uint64_t)ln->line);
		key_u64(&m->key, (uint64_t)ln->column);
	}
	id = intern_put(m->lkeys, m->key.data, m->key.len, &is_new);
	if (is_new) {
		struct pprof_location *d;
		pprof_add_location(m->dst, s->nline);
		d = &m->dst->location[id];
		d->address = addr;
		d->mapping = dmap;
		d->is_folded = s->is_folded;
		for (k = 0; k < s->nline; k++) {
			const struct pprof_line *ln = &m->src->line[s->line_off + k];
			struct pprof_line *dl = &m->dst->line[d->line_off + k];
			dl->function = m->fnmap[ln->function];
			dl->line = ln->line;
			dl->column = ln->column;
		}
	}
	m->locmap[li] = id;
	return id;
}

/* ---- samples -------------------------------------------------------- */

/* Labels in the sample key: string labels, then numeric ones, each group
 * stably sorted by key, so the same key -> values set keys the same way
 * whatever order the producer wrote it in (Go keeps labels in a map). */
static int label_cmp(const void *a, const void *b)
{
	const struct pprof_label *x = a, *y = b;
	int xs = x->str != 0, ys = y->str != 0;

	if (xs != ys)
		return ys - xs;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

static void sort_labels(struct pprof_label *l, size_t n)
{
	size_t i, j;

	/* Insertion sort: stable, and label lists are short. */
	for (i = 1; i < n; i++) {
		struct pprof_label t = l[i];
		for (j = i; j > 0 && label_cmp(&l[j - 1], &t) > 0; j--)
			l[j] = l[j - 1];
		l[j] = t;
	}
}

static int is_zero(const int64_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return 0;
	return 1;
}

static void map_sample(struct merger *m, size_t si)
{
	const struct pprof_profile *src = m->src;
	const struct pprof_sample *s = &src->sample[si];
	const int64_t *v = &src->value[si * src->nsample_type];
	size_t nv = src->nsample_type, k;
	uint8_t *kp;
	uint32_t id;
	int is_new;

	XGROW(m->locs, m->cap_locs, s->nloc);
	XGROW(m->labels, m->cap_labels, s->nlabel);
	for (k = 0; k < s->nloc; k++)
		m->locs[k] = map_location(m, src->sample_loc[s->loc_off + k]);
	for (k = 0; k < s->nlabel; k++) {
		struct pprof_label l = src->label[s->label_off + k];
		l.key = map_str(m, l.key);
		l.str = l.str ? map_str(m, l.str) : 0;
		l.num_unit = l.num_unit ? map_str(m, l.num_unit) : 0;
		m->labels[k] = l;
	}
	sort_labels(m->labels, s->nlabel);
	/* Key: nloc, locations, then (key, str, num_unit, num) per label,
	 * written field by field (struct padding must not reach it). */
	buf_reset(&m->key);
	buf_reserve(&m->key, 4 + 4 * (size_t)s->nloc + 20 * (size_t)s->nlabel);
	kp = m->key.data;
	memcpy(kp, &s->nloc, 4);
	memcpy(kp + 4, m->locs, 4 * (size_t)s->nloc);
	kp += 4 + 4 * (size_t)s->nloc;
	for (k = 0; k < s->nlabel; k++, kp += 20) {
		memcpy(kp, &m->labels[k].key, 4);
		memcpy(kp + 4, &m->labels[k].str, 4);
		memcpy(kp + 8, &m->labels[k].num_unit, 4);
		memcpy(kp + 12, &m->labels[k].num, 8);
	}
	m->key.len = (size_t)(kp - m->key.data);
	id = intern_put(m->skeys, m->key.data, m->key.len, &is_new);
	if (is_new) {
		size_t di = pprof_add_sample(m->dst, m->locs, s->nloc, v, s->nlabel);
		if (s->nlabel)
			memcpy(&m->dst->label[m->dst->sample[di].label_off], m->labels,
			       s->nlabel * sizeof(struct pprof_label));
		return;
	}
	for (k = 0; k < nv; k++)
		m->dst->value[(size_t)id * nv + k] += v[k];
}

/* ---- headers -------------------------------------------------------- */

static void combine_header(struct merger *m, int first)
{
	const struct pprof_profile *s = m->src;
	struct pprof_profile *d = m->dst;
	uint32_t i, k;

	if (first) {
		for (i = 0; i < s->nsample_type; i++) {
			struct pprof_value_type vt = {map_str(m, s->sample_type[i].type),
						      map_str(m, s->sample_type[i].unit)};
			XGROW(d->sample_type, d->cap_sample_type, (size_t)d->nsample_type + 1);
			d->sample_type[d->nsample_type++] = vt;
		}
		d->period_type.type = map_str(m, s->period_type.type);
		d->period_type.unit = map_str(m, s->period_type.unit);
		d->drop_frames = map_str(m, s->drop_frames);
		d->keep_frames = map_str(m, s->keep_frames);
	}
	/* pprof: "if timeNanos == 0 || s.TimeNanos < timeNanos" */
	if (first || d->time_nanos == 0 || s->time_nanos < d->time_nanos)
		d->time_nanos = s->time_nanos;
	d->duration_nanos += s->duration_nanos;
	if (first || s->period > d->period)
		d->period = s->period;
	if (!d->default_sample_type && s->default_sample_type)
		d->default_sample_type = map_str(m, s->default_sample_type);
	if (!d->doc_url && s->doc_url)
		d->doc_url = map_str(m, s->doc_url);
	for (i = 0; i < s->ncomment; i++) {
		uint32_t c = map_str(m, s->comment[i]);
		for (k = 0; k < d->ncomment && d->comment[k] != c; k++)
			;
		if (k == d->ncomment)
			pprof_add_comment(d, c);
	}
}

static void begin_source(struct merger *m, const struct pprof_profile *src)
{
	m->src = src;
	m->strmap = xrealloc(m->strmap, (src->nstr + 1) * sizeof(uint32_t));
	memset(m->strmap, 0xff, (src->nstr + 1) * sizeof(uint32_t));
	m->strmap[0] = 0;
	m->mapmap = xrealloc(m->mapmap, (src->nmapping + 1) * sizeof(uint32_t));
	memset(m->mapmap, 0xff, (src->nmapping + 1) * sizeof(uint32_t));
	m->mapoff = xrealloc(m->mapoff, (src->nmapping + 1) * sizeof(int64_t));
	m->fnmap = xrealloc(m->fnmap, (src->nfunction + 1) * sizeof(uint32_t));
	memset(m->fnmap, 0xff, (src->nfunction + 1) * sizeof(uint32_t));
	m->locmap = xrealloc(m->locmap, (src->nlocation + 1) * sizeof(uint32_t));
	memset(m->locmap, 0xff, (src->nlocation + 1) * sizeof(uint32_t));
}

static void merger_release(struct merger *m)
{
	intern_free(m->mkeys);
	intern_free(m->fkeys);
	intern_free(m->lkeys);
	intern_free(m->skeys);
	buf_release(&m->key);
	free(m->strmap);
	free(m->mapmap);
	free(m->mapoff);
	free(m->fnmap);
	free(m->locmap);
	free(m->locs);
	free(m->labels);
}

struct pprof_merger *pprof_merger_new(void)
{
	struct pprof_merger *pm = xcalloc(1, sizeof(*pm));
	struct merger *m = &pm->m;

	m->dst = pprof_new();
	m->mkeys = intern_new(16);
	m->fkeys = intern_new(1024);
	m->lkeys = intern_new(1024);
	m->skeys = intern_new(1024);
	return pm;
}

void pprof_merger_free(struct pprof_merger *pm)
{
	if (!pm)
		return;
	merger_release(&pm->m);
	pprof_free(pm->m.dst);
	pprof_free(pm->first);
	free(pm);
}

/* The first profile's header is kept for compatibility checks, so that
 * callers may free each source right after adding it. */
static struct pprof_profile *header_copy(const struct pprof_profile *src)
{
	struct pprof_profile *h = pprof_new();
	uint32_t i;

	for (i = 0; i < src->nsample_type; i++) {
		struct pprof_str t = src->str[src->sample_type[i].type];
		struct pprof_str u = src->str[src->sample_type[i].unit];
		XGROW(h->sample_type, h->cap_sample_type, (size_t)h->nsample_type + 1);
		h->sample_type[h->nsample_type].type = pprof_intern(h, t.ptr, t.len);
		h->sample_type[h->nsample_type++].unit = pprof_intern(h, u.ptr, u.len);
	}
	h->period_type.type = pprof_intern(h, src->str[src->period_type.type].ptr,
					   src->str[src->period_type.type].len);
	h->period_type.unit = pprof_intern(h, src->str[src->period_type.unit].ptr,
					   src->str[src->period_type.unit].len);
	return h;
}

int pprof_merger_add(struct pprof_merger *pm, const struct pprof_profile *src,
		     struct err *e)
{
	struct merger *m = &pm->m;
	size_t si;
	int rc;

	if (pm->first && (rc = pprof_compatible(pm->first, src, e)) < 0)
		return rc;
	begin_source(m, src);
	combine_header(m, !pm->first);
	if (!pm->first)
		pm->first = header_copy(src);
	/* The first mapping is the main binary: keep it first. */
	if (!m->dst->nmapping && src->nmapping)
		map_mapping(m, 0);
	for (si = 0; si < src->nsample; si++)
		if (!is_zero(&src->value[si * src->nsample_type], src->nsample_type))
			map_sample(m, si);
	return 0;
}

void pprof_merger_source(struct pprof_merger *pm, const struct pprof_profile *src)
{
	begin_source(&pm->m, src);
}

uint32_t pprof_merger_location(struct pprof_merger *pm, uint32_t li)
{
	return map_location(&pm->m, li);
}

const struct pprof_profile *pprof_merger_symbols(const struct pprof_merger *pm)
{
	return pm->m.dst;
}

static int has_zero_sample(const struct pprof_profile *p)
{
	size_t i;

	for (i = 0; i < p->nsample; i++)
		if (is_zero(&p->value[i * p->nsample_type], p->nsample_type))
			return 1;
	return 0;
}

int pprof_merger_finish(struct pprof_merger *pm, struct pprof_profile **out,
			struct err *e)
{
	struct pprof_profile *p;
	int rc = 0;

	*out = NULL;
	if (!pm->first) {
		pprof_merger_free(pm);
		return err_set(e, -EINVAL, "no profiles to merge");
	}
	p = pm->m.dst;
	pm->m.dst = NULL;
	pprof_merger_free(pm);
	/* Values that summed to zero: merge again to drop them and whatever
	 * only they referenced, as pprof does. */
	if (has_zero_sample(p)) {
		struct pprof_merger *again = pprof_merger_new();
		pprof_merger_add(again, p, e);
		pprof_free(p);
		rc = pprof_merger_finish(again, &p, e);
	}
	*out = p;
	return rc;
}

int pprof_merge(struct pprof_profile *const *srcs, size_t n,
		struct pprof_profile **out, struct err *e)
{
	struct pprof_merger *pm;
	size_t i;

	*out = NULL;
	if (!n)
		return err_set(e, -EINVAL, "no profiles to merge");
	/* Check all first: a failed merge must not have done half the work. */
	for (i = 1; i < n; i++)
		if (pprof_compatible(srcs[0], srcs[i], e) < 0)
			return err_prefix(e, "profile %zu", i + 1);
	pm = pprof_merger_new();
	for (i = 0; i < n; i++)
		pprof_merger_add(pm, srcs[i], e);
	return pprof_merger_finish(pm, out, e);
}
