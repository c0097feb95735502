/* intern: byte strings to dense ids, and back.
 *
 * intern_put() returns the same id for equal byte strings and hands out new
 * ids densely from 0 in first-seen order. That one mechanism serves string
 * tables (pprof, storage), and every "same key means same thing" table in
 * merging (functions, locations, samples, mappings), where the key is the
 * object's identity serialised to bytes.
 *
 * Keys are copied into memory the table owns; intern_key() pointers stay
 * valid until intern_free(). Hashing is XXH3. intern_free(NULL) is a no-op. */
#ifndef STACKYARD_BASE_INTERN_H
#define STACKYARD_BASE_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern;

struct intern *intern_new(size_t expect);
void intern_free(struct intern *in);

/* Returns the id of key; *is_new (if not NULL) tells whether it was added. */
uint32_t intern_put(struct intern *in, const void *key, size_t len, int *is_new);

/* Returns the id of key, or INTERN_NONE when absent. */
#define INTERN_NONE UINT32_MAX
uint32_t intern_find(const struct intern *in, const void *key, size_t len);

const void *intern_key(const struct intern *in, uint32_t id, size_t *len);
uint32_t intern_count(const struct intern *in);

/* Bytes held by keys (for caps and accounting). */
size_t intern_bytes(const struct intern *in);

#endif
