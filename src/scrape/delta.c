/* delta: cumulative pprof profiles turned into per-interval deltas.
 *
 * How it works (see delta.h for the contract):
 *
 *   1. q = pprof_merge([p]): a private, compacted copy of p in which samples
 *      equal by pprof identity are already summed and all-zero ones dropped.
 *   2. Every location of q is hashed by content (XXH3-128): its mapping
 *      (build id, else the file's basename), its address relative to the
 *      mapping start, and per line the function's display name (name, else
 *      system name, as pprof_frame_name() shows it) and line number. Never
 *      the location id: producers renumber those between snapshots.
 *   3. A sample's key is XXH3-128 over its location hashes (leaf first) and
 *      the hashes of its labels (string and numeric with unit, by content),
 *      sorted so that label order does not matter.
 *   4. The current totals per key (samples that share a key are summed) are
 *      compared with the baseline's. Any cumulative value that went down
 *      means the process restarted (or the counters were reset): the state
 *      is reset, the current profile becomes the baseline and *first = 1.
 *   5. Otherwise the cumulative values of q are replaced by the difference
 *      (the whole difference of a key goes to its first sample, its other
 *      samples get 0), snapshot values are left alone, and a second
 *      pprof_merge() drops the all-zero samples and the tables nothing
 *      references any more. time_nanos is p's; duration_nanos is the time
 *      since the baseline when both profiles carry a time.
 *
 * Memory: the baseline is one 16-byte key plus one int64 per cumulative
 * type per distinct key. It is capped at DELTA_MAX_KEYS keys: a profile with
 * more distinct keys resets the state and is reported as a first profile
 * (return 0, *first = 1, *out NULL) without being kept, so such a target
 * never yields deltas, but memory stays bounded. */
#include "delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../base/buf.h"
#include "../base/intern.h"
#include "../base/xalloc.h"
#include "../pprof/merge.h"

#define DELTA_MAX_KEYS 1000000u

struct delta {
	int have;              /* a baseline is held */
	struct buf types;      /* "type\0unit\0" per sample type of the baseline */
	struct intern *keys;   /* baseline keys: 16-byte sample hashes */
	int64_t *prev;         /* key id * ncum + c */
	size_t cap_prev;
	uint32_t ncum;         /* cumulative types in the baseline */
	int64_t time_nanos;    /* the baseline's */
};

struct delta *delta_new(void)
{
	return xcalloc(1, sizeof(struct delta));
}

static void delta_clear(struct delta *d)
{
	intern_free(d->keys);
	d->keys = NULL;
	free(d->prev);
	d->prev = NULL;
	d->cap_prev = 0;
	d->ncum = 0;
	d->have = 0;
	d->time_nanos = 0;
	buf_reset(&d->types);
}

void delta_free(struct delta *d)
{
	if (!d)
		return;
	delta_clear(d);
	buf_release(&d->types);
	free(d);
}

int delta_is_cumulative(const char *t)
{
	if (!t)
		return 0;
	/* heap/allocs: alloc_objects, alloc_space; block and mutex:
	 * contentions, delay; threadcreate counts since start as well
	 * (reference/pprof.md 2.3). */
	return !strncmp(t, "alloc_", 6) || !strcmp(t, "contentions") ||
	       !strcmp(t, "delay") || !strcmp(t, "threadcreate");
}

/* ---- hashing ---- */

static void put_u64(struct buf *b, uint64_t v)
{
	buf_append(b, &v, sizeof(v));
}

/* A length-prefixed string, so that concatenations cannot collide. */
static void put_str(struct buf *b, struct pprof_str s)
{
	uint32_t n = s.len;

	buf_append(b, &n, sizeof(n));
	if (n)
		buf_append(b, s.ptr, n);
}

static struct pprof_str basename_of(struct pprof_str s)
{
	const char *slash = s.len ? memrchr(s.ptr, '/', s.len) : NULL;
	size_t skip = slash ? (size_t)(slash - s.ptr) + 1 : 0;
	struct pprof_str r = {s.ptr + skip, (uint32_t)(s.len - skip)};

	return r;
}

static XXH128_hash_t hash_location(const struct pprof_profile *q, uint32_t j,
				   struct buf *b)
{
	const struct pprof_location *l = &q->location[j];
	uint64_t addr = l->address;
	uint32_t k;

	buf_reset(b);
	if (l->mapping) {
		const struct pprof_mapping *m = &q->mapping[l->mapping - 1];
		struct pprof_str bid = pprof_s(q, m->build_id);

		if (bid.len) {
			buf_putc(b, 'b');
			put_str(b, bid);
		} else {
			buf_putc(b, 'f');
			put_str(b, basename_of(pprof_s(q, m->filename)));
		}
		if (addr >= m->start)
			addr -= m->start;
	} else {
		buf_putc(b, '-');
	}
	put_u64(b, addr);
	put_u64(b, l->nline);
	for (k = 0; k < l->nline; k++) {
		const struct pprof_line *ln = &q->line[l->line_off + k];
		const struct pprof_function *f = &q->function[ln->function];
		struct pprof_str s = pprof_s(q, f->name);

		if (!s.len)
			s = pprof_s(q, f->system_name);
		put_str(b, s);
		put_u64(b, (uint64_t)ln->line);
	}
	return XXH3_128bits(b->data, b->len);
}

static XXH128_hash_t hash_label(const struct pprof_profile *q,
				const struct pprof_label *l, struct buf *b)
{
	buf_reset(b);
	put_str(b, pprof_s(q, l->key));
	if (l->str) {
		buf_putc(b, 's');
		put_str(b, pprof_s(q, l->str));
	} else {
		buf_putc(b, 'n');
		put_u64(b, (uint64_t)l->num);
		put_str(b, pprof_s(q, l->num_unit));
	}
	return XXH3_128bits(b->data, b->len);
}

static int h128_cmp(const void *a, const void *b)
{
	const XXH128_hash_t *x = a, *y = b;

	if (x->high64 != y->high64)
		return x->high64 < y->high64 ? -1 : 1;
	if (x->low64 != y->low64)
		return x->low64 < y->low64 ? -1 : 1;
	return 0;
}

/* The 16 bytes of sample i's key in q. */
static void sample_key(const struct pprof_profile *q, size_t i,
		       const XXH128_hash_t *lochash, XXH128_hash_t **lh,
		       size_t *cap_lh, struct buf *tmp, struct buf *kb,
		       uint8_t out[16])
{
	const struct pprof_sample *s = &q->sample[i];
	XXH128_hash_t h;
	uint32_t k;

	buf_reset(kb);
	put_u64(kb, s->nloc);
	for (k = 0; k < s->nloc; k++)
		buf_append(kb, &lochash[q->sample_loc[s->loc_off + k]],
			   sizeof(XXH128_hash_t));
	if (s->nlabel) {
		XGROW(*lh, *cap_lh, s->nlabel);
		for (k = 0; k < s->nlabel; k++)
			(*lh)[k] = hash_label(q, &q->label[s->label_off + k], tmp);
		qsort(*lh, s->nlabel, sizeof(XXH128_hash_t), h128_cmp);
		buf_append(kb, *lh, s->nlabel * sizeof(XXH128_hash_t));
	}
	h = XXH3_128bits(kb->data, kb->len);
	memcpy(out, &h.high64, 8);
	memcpy(out + 8, &h.low64, 8);
}

static void types_sig(const struct pprof_profile *p, struct buf *b)
{
	uint32_t t;

	buf_reset(b);
	for (t = 0; t < p->nsample_type; t++) {
		struct pprof_str ty = pprof_s(p, p->sample_type[t].type);
		struct pprof_str un = pprof_s(p, p->sample_type[t].unit);

		put_str(b, ty);
		put_str(b, un);
	}
}

/* Signed arithmetic without overflow UB: values wrap as the counters do. */
static int64_t wrap_add(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static int64_t wrap_sub(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

int delta_compute(struct delta *d, const struct pprof_profile *p,
		  struct pprof_profile **out, int *first, struct err *e)
{
	struct pprof_profile *src = (struct pprof_profile *)p, *q = NULL, *res = NULL;
	struct buf sig = BUF_INIT, tmp = BUF_INIT, kb = BUF_INIT;
	XXH128_hash_t *lochash = NULL, *lh = NULL;
	size_t cap_lh = 0, i, cap_tot = 0, cap_firsts = 0;
	struct intern *cur = NULL;
	uint32_t *skey = NULL, *cum = NULL, ncum = 0, nkey, t, j, c;
	size_t *firsts = NULL;
	int64_t *tot = NULL, *diff = NULL;
	int rc, reset = 0;

	*out = NULL;
	*first = 0;
	rc = pprof_merge(&src, 1, &q, e);
	if (rc)
		return err_prefix(e, "delta");

	cum = xmalloc(((size_t)q->nsample_type + 1) * sizeof(*cum));
	for (t = 0; t < q->nsample_type; t++) {
		struct pprof_str ty = pprof_s(q, q->sample_type[t].type);
		char name[64];

		if (ty.len < sizeof(name)) {
			memcpy(name, ty.ptr, ty.len);
			name[ty.len] = '\0';
			if (delta_is_cumulative(name))
				cum[ncum++] = t;
		}
	}

	lochash = xmalloc(((size_t)q->nlocation + 1) * sizeof(*lochash));
	for (j = 0; j < q->nlocation; j++)
		lochash[j] = hash_location(q, j, &tmp);

	/* Totals per key of the current profile. */
	cur = intern_new(q->nsample);
	skey = xmalloc((q->nsample + 1) * sizeof(*skey));
	for (i = 0; i < q->nsample; i++) {
		uint8_t k16[16];
		int is_new;
		uint32_t id;

		sample_key(q, i, lochash, &lh, &cap_lh, &tmp, &kb, k16);
		id = intern_put(cur, k16, sizeof(k16), &is_new);
		if (intern_count(cur) > DELTA_MAX_KEYS) {
			/* Too many distinct stacks to remember: reset and
			 * keep nothing (see the top of this file). */
			delta_clear(d);
			*first = 1;
			goto out;
		}
		skey[i] = id;
		if (is_new) {
			XGROW(firsts, cap_firsts, (size_t)id + 1);
			firsts[id] = i;
			if (ncum) {
				XGROW(tot, cap_tot, ((size_t)id + 1) * ncum);
				memset(&tot[(size_t)id * ncum], 0, ncum * sizeof(*tot));
			}
		}
		for (c = 0; c < ncum; c++) {
			int64_t *slot = &tot[(size_t)id * ncum + c];

			*slot = wrap_add(*slot, q->value[i * q->nsample_type + cum[c]]);
		}
	}
	nkey = intern_count(cur);

	types_sig(q, &sig);
	if (!d->have || sig.len != d->types.len ||
	    (sig.len && memcmp(sig.data, d->types.data, sig.len)))
		reset = 1;

	if (!reset && ncum) {
		diff = xmalloc(((size_t)nkey * ncum + 1) * sizeof(*diff));
		for (j = 0; j < nkey && !reset; j++) {
			size_t klen;
			const void *k = intern_key(cur, j, &klen);
			uint32_t pid = intern_find(d->keys, k, klen);

			for (c = 0; c < ncum; c++) {
				int64_t now = tot[(size_t)j * ncum + c];
				int64_t was = pid == INTERN_NONE ? 0
					    : d->prev[(size_t)pid * ncum + c];

				if (now < was) {
					reset = 1; /* a counter went down: restart */
					break;
				}
				diff[(size_t)j * ncum + c] = wrap_sub(now, was);
			}
		}
	}

	if (!reset) {
		for (i = 0; i < q->nsample; i++) {
			uint32_t id = skey[i];

			for (c = 0; c < ncum; c++)
				q->value[i * q->nsample_type + cum[c]] =
					firsts[id] == i ? diff[(size_t)id * ncum + c] : 0;
		}
		rc = pprof_merge(&q, 1, &res, e);
		if (rc) {
			rc = err_prefix(e, "delta");
			goto out;
		}
		res->time_nanos = p->time_nanos;
		if (p->time_nanos && d->time_nanos && p->time_nanos > d->time_nanos)
			res->duration_nanos = p->time_nanos - d->time_nanos;
	}

	/* The current profile is the new baseline either way. */
	intern_free(d->keys);
	free(d->prev);
	d->keys = cur;
	d->prev = tot;
	d->cap_prev = cap_tot;
	d->ncum = ncum;
	d->time_nanos = p->time_nanos;
	d->have = 1;
	buf_reset(&d->types);
	buf_append(&d->types, sig.data, sig.len);
	cur = NULL;
	tot = NULL;
	if (reset)
		*first = 1;
	else
		*out = res;
	res = NULL;
out:
	pprof_free(res);
	pprof_free(q);
	intern_free(cur);
	free(tot);
	free(diff);
	free(firsts);
	free(skey);
	free(lochash);
	free(lh);
	free(cum);
	buf_release(&sig);
	buf_release(&tmp);
	buf_release(&kb);
	return rc;
}
