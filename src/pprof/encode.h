/* encode: struct pprof_profile -> profile.proto bytes, gzipped or raw.
 *
 * Fields are written in the order pprof's own encoder uses; repeated
 * scalars are packed when they have more than two elements (as pprof and
 * runtime/pprof do); zero scalars are omitted. Mapping flags are raised to
 * say what is symbolized: has_functions when every location of the mapping
 * has lines, has_filenames and has_line_numbers when all its lines carry
 * them, has_inline_frames when some location has several lines. The input
 * profile is not changed. The output is a new buffer the caller frees. */
#ifndef STACKYARD_PPROF_ENCODE_H
#define STACKYARD_PPROF_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "profile.h"

/* Append the raw (uncompressed) protobuf encoding to out. */
void pprof_encode_raw(const struct pprof_profile *p, struct buf *out);

/* Encode and gzip (libdeflate level 4: smaller than Go's default gzip). */
int pprof_encode(const struct pprof_profile *p, uint8_t **out, size_t *len,
		 struct err *e);

#endif
