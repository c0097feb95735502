/* decode: bytes (gzipped or raw profile.proto) -> struct pprof_profile.
 *
 * A pure function over its input: it reads [data, data+len) and nothing
 * else, and never writes to it. Fields may come in any order; repeated
 * scalars may be packed, unpacked or both; unknown fields are skipped. The
 * result is validated by pprof's own rules (CheckValid and postDecode): ids
 * nonzero and unique, every id and string index resolves, each sample has
 * one value per sample type, string_table[0] is "", no concatenated
 * profiles. Errors name the message, its position or id, and the field:
 *   "location id 17: line 2: function id 99 not found"
 *
 * On success *out is a new profile the caller frees with pprof_free(). On
 * failure *out is NULL, e (if given) holds the message, and the return is
 * -EINVAL (malformed), -E2BIG (a limit), or -ENODATA (empty input). */
#ifndef STACKYARD_PPROF_DECODE_H
#define STACKYARD_PPROF_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "profile.h"

/* lim may be NULL for pprof_default_limits. */
int pprof_decode(const uint8_t *data, size_t len,
		 const struct pprof_limits *lim, struct pprof_profile **out,
		 struct err *e);

#endif
