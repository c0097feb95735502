/* label: a name=value pair, and sorted label sets.
 *
 * A label set is an array sorted by name with unique names; that order is
 * what makes two sets comparable and hashable byte for byte (series
 * identity). Who owns the strings is the container's business: see the
 * struct that holds the array. */
#ifndef STACKYARD_BASE_LABEL_H
#define STACKYARD_BASE_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct label {
	const char *name;
	const char *value;
};

/* Sort by name (strcmp); stable for equal names. */
void labels_sort(struct label *l, size_t n);

/* The value of name in a sorted set, or NULL. */
const char *labels_get(const struct label *l, size_t n, const char *name);

/* Canonical text of a sorted set: {a="x", b="y"} with Go-style escapes. */
void labels_format(const struct label *l, size_t n, struct buf *out);

#endif
