/* buf: a growable byte buffer.
 *
 * Invariant: data[len] is always '\0' when data is not NULL, so a buf
 * holding text can be used as a C string. The buf owns data; buf_detach()
 * hands ownership to the caller. A zeroed struct buf is an empty buffer.
 * Growth aborts only on genuine out-of-memory (see xalloc.h): callers that
 * take untrusted sizes check their own caps first. */
#ifndef STACKYARD_BASE_BUF_H
#define STACKYARD_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_putc(struct buf *b, int c);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);               /* len = 0, keeps memory */
void buf_release(struct buf *b);             /* frees memory */
uint8_t *buf_detach(struct buf *b, size_t *len); /* caller owns result */

/* Append v in decimal. */
void buf_put_i64(struct buf *b, int64_t v);
void buf_put_u64(struct buf *b, uint64_t v);

#endif
