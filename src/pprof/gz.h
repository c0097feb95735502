/* gz: gzip through libdeflate, with a cap on what inflating may produce.
 *
 * gz_is_gzip() tells gzip from raw protobuf by the magic 1f 8b. Inflating
 * handles concatenated members (as Go's reader does) and refuses to produce
 * more than `max` bytes, which is what stops a gzip bomb: the output buffer
 * never grows past max, whatever the trailer claims. */
#ifndef STACKYARD_PPROF_GZ_H
#define STACKYARD_PPROF_GZ_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

int gz_is_gzip(const uint8_t *p, size_t len);

/* Inflate [p, p+len) into *out (caller frees). Errors: -EINVAL for corrupt
 * data, -E2BIG past max. */
int gz_inflate(const uint8_t *p, size_t len, size_t max, uint8_t **out,
	       size_t *outlen, struct err *e);

/* Deflate to gzip at the given level (1..12; 6 is zlib's default). */
int gz_deflate(const uint8_t *p, size_t len, int level, uint8_t **out,
	       size_t *outlen, struct err *e);

#endif
