/* blob: the samples of one stored profile, as bytes.
 *
 * A profile row holds (stack node id, value) pairs, node ids unique and
 * ascending. Format (all integers LEB128 varints):
 *
 *   byte 0     kind: 1 = plain, 2 = zstd
 *   kind 2:    varint plain_len, then one zstd frame of the plain form
 *   plain:     varint n, then n pairs: varint (node - previous node),
 *              varint zigzag(value); the first delta is from node 0
 *
 * Delta-coded ids of a sorted stack set are mostly one or two bytes; zstd
 * then removes the repetition across pairs. Decoding checks every length
 * and refuses node ids at or past the caller's bound: a corrupt block
 * reads as an error, never as memory outside the accumulator. */
#ifndef STACKYARD_STORE_BLOB_H
#define STACKYARD_STORE_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"

struct blob_pair {
	uint32_t node;
	int64_t value;
};

/* Reusable state: a scratch buffer and zstd contexts, which are costly to
 * create (a fresh context per blob made decompression 70% of a merge).
 * One per thread of work; zero-initialise, release when done. */
struct blob_ctx {
	struct buf scratch;
	void *zc, *zd;   /* ZSTD_CCtx, ZSTD_DCtx, created on first use */
};

void blob_ctx_release(struct blob_ctx *c);

/* Sorts pairs by node, sums duplicates (n is updated), encodes to out. */
void blob_encode(struct blob_ctx *c, struct blob_pair *pairs, size_t *n, struct buf *out);

/* Adds each value to acc[node] (node < nacc required) and to *total.
 */
int blob_accumulate(struct blob_ctx *c, const uint8_t *b, size_t len, int64_t *acc,
		    size_t nacc, int64_t *total, struct err *e);

/* Decodes into pairs (caller frees *out). */
int blob_decode(struct blob_ctx *c, const uint8_t *b, size_t len, struct blob_pair **out,
		size_t *n, struct err *e);

/* A plain array of unsigned integers in the same container (kind byte,
 * optional zstd): varint n, then n varints. For the stack tree's chunks. */
void blob_pack(struct blob_ctx *c, const uint64_t *v, size_t n, struct buf *out);
/* Decodes at most max values; *out is malloc'd (caller frees). */
int blob_unpack(struct blob_ctx *c, const uint8_t *b, size_t len, size_t max, uint64_t **out,
		size_t *n, struct err *e);

#endif
