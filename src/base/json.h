/* json: writing JSON text into a buf.
 *
 * Output only: requests are parsed with jansson. Strings are escaped per
 * RFC 8259; bytes that are not valid UTF-8 are replaced by U+FFFD so the
 * output is always valid JSON whatever a profile's string table holds. */
#ifndef STACKYARD_BASE_JSON_H
#define STACKYARD_BASE_JSON_H

#include <stddef.h>

#include "buf.h"

/* Append s (n bytes) as a quoted JSON string. */
void json_put_str(struct buf *b, const char *s, size_t n);

#endif
