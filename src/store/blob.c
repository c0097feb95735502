#include "blob.h"

#include <errno.h>
#include <stdlib.h>
#include <zstd.h>

#include "../base/sat.h"
#include "../base/xalloc.h"
#include "../pprof/pbwire.h"

enum { BLOB_PLAIN = 1, BLOB_ZSTD = 2 };

/* A blob never decompresses past this: a corrupt length must not make us
 * allocate gigabytes. 64 Mi pairs of at most 16 bytes each. */
#define BLOB_MAX_PLAIN (1u << 30)
#define BLOB_ZSTD_LEVEL 3
/* Below this, zstd's frame header costs more than it saves. */
#define BLOB_MIN_COMPRESS 64

static int pair_cmp(const void *a, const void *b)
{
	const struct blob_pair *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void blob_ctx_release(struct blob_ctx *c)
{
	if (!c)
		return;
	buf_release(&c->scratch);
	ZSTD_freeCCtx(c->zc);
	ZSTD_freeDCtx(c->zd);
	c->zc = c->zd = NULL;
}

/* The container: kind byte, then the plain bytes or a zstd frame of them. */
static void wrap(struct blob_ctx *c, const struct buf *plain, struct buf *out)
{
	size_t bound, z;

	if (plain->len < BLOB_MIN_COMPRESS) {
		buf_putc(out, BLOB_PLAIN);
		buf_append(out, plain->data, plain->len);
		return;
	}
	bound = ZSTD_compressBound(plain->len);
	buf_putc(out, BLOB_ZSTD);
	pb_put_varint(out, plain->len);
	buf_reserve(out, bound);
	if (!c->zc)
		c->zc = ZSTD_createCCtx();
	z = ZSTD_compressCCtx(c->zc, out->data + out->len, bound, plain->data, plain->len,
			      BLOB_ZSTD_LEVEL);
	/* ZSTD_compress fails only on bad arguments, which these are not. */
	out->len += ZSTD_isError(z) ? 0 : z;
	out->data[out->len] = '\0';
}

void blob_encode(struct blob_ctx *c, struct blob_pair *pairs, size_t *n, struct buf *out)
{
	struct buf plain = BUF_INIT;
	size_t i, k = 0;
	uint32_t prev = 0;

	qsort(pairs, *n, sizeof(*pairs), pair_cmp);
	for (i = 0; i < *n; i++) {
		if (k && pairs[k - 1].node == pairs[i].node)
			pairs[k - 1].value += pairs[i].value;
		else
			pairs[k++] = pairs[i];
	}
	*n = k;
	pb_put_varint(&plain, k);
	for (i = 0; i < k; i++) {
		pb_put_varint(&plain, pairs[i].node - prev);
		pb_put_varint(&plain, zigzag(pairs[i].value));
		prev = pairs[i].node;
	}
	wrap(c, &plain, out);
	buf_release(&plain);
}

void blob_pack(struct blob_ctx *c, const uint64_t *v, size_t n, struct buf *out)
{
	struct buf plain = BUF_INIT;
	size_t i;

	pb_put_varint(&plain, n);
	for (i = 0; i < n; i++)
		pb_put_varint(&plain, v[i]);
	wrap(c, &plain, out);
	buf_release(&plain);
}

/* The plain form of b, in b itself or decompressed into scratch. */
static int plain_of(struct blob_ctx *c, const uint8_t *b, size_t len, const uint8_t **p,
		    size_t *plen, struct err *e)
{
	const uint8_t *q = b + 1, *end = b + len;
	uint64_t want;
	size_t got;

	if (!len)
		return err_set(e, -EINVAL, "blob: empty");
	if (b[0] == BLOB_PLAIN) {
		*p = b + 1;
		*plen = len - 1;
		return 0;
	}
	if (b[0] != BLOB_ZSTD)
		return err_set(e, -EINVAL, "blob: unknown kind %u", b[0]);
	if (pb_varint(&q, end, &want) || want > BLOB_MAX_PLAIN)
		return err_set(e, -EINVAL, "blob: bad length");
	buf_reset(&c->scratch);
	buf_reserve(&c->scratch, (size_t)want);
	if (!c->zd)
		c->zd = ZSTD_createDCtx();
	got = ZSTD_decompressDCtx(c->zd, c->scratch.data, (size_t)want, q, (size_t)(end - q));
	if (ZSTD_isError(got) || got != want)
		return err_set(e, -EINVAL, "blob: corrupt zstd frame");
	*p = c->scratch.data;
	*plen = got;
	return 0;
}

/* Walks the pairs of a plain blob; fn returns nonzero to stop with error. */
static int walk(const uint8_t *p, size_t len, size_t nacc,
		void (*fn)(void *ctx, size_t i, uint32_t node, int64_t v), void *ctx,
		size_t *count, struct err *e)
{
	const uint8_t *end = p + len;
	uint64_t n, d, v, node = 0;
	size_t i;

	if (pb_varint(&p, end, &n) || n > len)
		return err_set(e, -EINVAL, "blob: bad pair count");
	for (i = 0; i < n; i++) {
		if (pb_varint(&p, end, &d) || pb_varint(&p, end, &v))
			return err_set(e, -EINVAL, "blob: truncated at pair %zu", i);
		node += d;
		if (node >= nacc)
			return err_set(e, -EINVAL, "blob: stack node %llu out of range (%zu nodes)",
				       (unsigned long long)node, nacc);
		fn(ctx, i, (uint32_t)node, unzigzag(v));
	}
	if (count)
		*count = (size_t)n;
	return 0;
}

struct acc_ctx {
	int64_t *acc, total;
};

static void acc_fn(void *ctx, size_t i, uint32_t node, int64_t v)
{
	struct acc_ctx *c = ctx;

	(void)i;
	c->acc[node] = sat_add(c->acc[node], v);
	c->total = sat_add(c->total, v);
}

int blob_accumulate(struct blob_ctx *bc, const uint8_t *b, size_t len, int64_t *acc,
		    size_t nacc, int64_t *total, struct err *e)
{
	struct acc_ctx c = {acc, 0};
	const uint8_t *p;
	size_t plen;
	int rc;

	if ((rc = plain_of(bc, b, len, &p, &plen, e)) < 0)
		return rc;
	if ((rc = walk(p, plen, nacc, acc_fn, &c, NULL, e)) < 0)
		return rc;
	if (total)
		*total = sat_add(*total, c.total);
	return 0;
}

static void dec_fn(void *ctx, size_t i, uint32_t node, int64_t v)
{
	struct blob_pair *out = ctx;

	out[i].node = node;
	out[i].value = v;
}

int blob_decode(struct blob_ctx *c, const uint8_t *b, size_t len, struct blob_pair **out,
		size_t *n, struct err *e)
{
	const uint8_t *p, *q, *end;
	uint64_t cnt;
	size_t plen;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = plain_of(c, b, len, &p, &plen, e)) < 0)
		return rc;
	q = p;
	end = p + plen;
	if (pb_varint(&q, end, &cnt) || cnt > plen)
		return err_set(e, -EINVAL, "blob: bad pair count");
	*out = xmalloc((size_t)(cnt + 1) * sizeof(**out));
	rc = walk(p, plen, UINT32_MAX, dec_fn, *out, n, e);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int blob_unpack(struct blob_ctx *c, const uint8_t *b, size_t len, size_t max, uint64_t **out,
		size_t *n, struct err *e)
{
	const uint8_t *p, *end;
	uint64_t cnt, i;
	size_t plen;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = plain_of(c, b, len, &p, &plen, e)) < 0)
		return rc;
	end = p + plen;
	if (pb_varint(&p, end, &cnt) || cnt > plen || cnt > max)
		return err_set(e, -EINVAL, "blob: bad value count");
	*out = xmalloc((size_t)(cnt + 1) * sizeof(**out));
	for (i = 0; i < cnt; i++) {
		if (pb_varint(&p, end, &(*out)[i])) {
			free(*out);
			*out = NULL;
			return err_set(e, -EINVAL, "blob: truncated at value %llu", (unsigned long long)i);
		}
	}
	*n = (size_t)cnt;
	return 0;
}
