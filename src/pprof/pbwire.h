/* pbwire: the protobuf wire format, read and written by hand.
 *
 * Why not protobuf-c or nanopb: pprof decoding is the hot path of ingest. A
 * reader that walks the bytes once, skips what it does not know and writes
 * straight into our flat arrays avoids an intermediate object tree and one
 * allocation per message (docs/ARCHITECTURE.md has the measurements).
 *
 * Reading is a pure function over (const uint8_t *, size_t): pb_next()
 * yields one field at a time and never reads outside [p, end). */
#ifndef STACKYARD_PPROF_PBWIRE_H
#define STACKYARD_PPROF_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

enum {
	PB_VARINT = 0,
	PB_FIXED64 = 1,
	PB_LEN = 2,
	PB_FIXED32 = 5,
};

struct pb_reader {
	const uint8_t *p, *end;
};

struct pb_field {
	uint32_t num;
	uint8_t wt;
	uint64_t v;          /* PB_VARINT, PB_FIXED64, PB_FIXED32 */
	const uint8_t *data; /* PB_LEN */
	size_t len;          /* PB_LEN */
};

/* Errors pb_next() and pb_varint() report. */
enum {
	PB_OK = 0,
	PB_ERR_TRUNCATED = -1,   /* a field runs past the end */
	PB_ERR_VARINT = -2,      /* varint longer than 10 bytes */
	PB_ERR_WIRETYPE = -3,    /* groups (3, 4) or wire types 6, 7 */
	PB_ERR_FIELDNUM = -4,    /* field number 0 */
};

const char *pb_strerror(int rc);


/* Reads one varint from [*p, end), advancing *p. Returns PB_OK or an error. */
static inline int pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	int shift;

	if (p < end && *p < 0x80) {
		*out = *p;
		*pp = p + 1;
		return PB_OK;
	}
	for (shift = 0; shift < 70; shift += 7) {
		uint8_t b;
		if (p >= end)
			return PB_ERR_TRUNCATED;
		b = *p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			*out = v;
			*pp = p;
			return PB_OK;
		}
	}
	return PB_ERR_VARINT;
}

/* Reads the next field. Returns 1 with *f filled, 0 at the end, or a
 * negative PB_ERR_*. Always inlined: decoding calls it once per field of
 * every message; inlining made bench_decode 22% faster on genprof's
 * profiles. */
static inline __attribute__((always_inline)) int pb_next(struct pb_reader *r, struct pb_field *f)
{
	uint64_t tag, len;
	int rc;

	if (r->p >= r->end)
		return 0;
	rc = pb_varint(&r->p, r->end, &tag);
	if (rc)
		return rc;
	if ((tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
		return PB_ERR_FIELDNUM;
	f->num = (uint32_t)(tag >> 3);
	f->wt = (uint8_t)(tag & 7);
	f->data = NULL;
	f->len = 0;
	switch (f->wt) {
	case PB_VARINT:
		rc = pb_varint(&r->p, r->end, &f->v);
		return rc ? rc : 1;
	case PB_FIXED64:
		if (r->end - r->p < 8)
			return PB_ERR_TRUNCATED;
		f->v = 0;
		for (int i = 7; i >= 0; i--)
			f->v = (f->v << 8) | r->p[i];
		r->p += 8;
		return 1;
	case PB_FIXED32:
		if (r->end - r->p < 4)
			return PB_ERR_TRUNCATED;
		f->v = (uint64_t)r->p[0] | (uint64_t)r->p[1] << 8 |
		       (uint64_t)r->p[2] << 16 | (uint64_t)r->p[3] << 24;
		r->p += 4;
		return 1;
	case PB_LEN:
		rc = pb_varint(&r->p, r->end, &len);
		if (rc)
			return rc;
		if (len > (uint64_t)(r->end - r->p))
			return PB_ERR_TRUNCATED;
		f->data = r->p;
		f->len = (size_t)len;
		r->p += len;
		return 1;
	default:
		return PB_ERR_WIRETYPE;
	}
}

/* Number of varints in a packed run (bytes with the high bit clear). */
size_t pb_count_varints(const uint8_t *p, size_t len);

/* Writers append to a buf. */
void pb_put_varint(struct buf *b, uint64_t v);
void pb_put_tag(struct buf *b, uint32_t num, int wt);
/* tag + varint, skipped when v == 0 (proto3 default) */
void pb_put_uint(struct buf *b, uint32_t num, uint64_t v);
void pb_put_int(struct buf *b, uint32_t num, int64_t v);
/* tag + length + bytes (always written, even when empty) */
void pb_put_bytes(struct buf *b, uint32_t num, const void *p, size_t len);

#endif
