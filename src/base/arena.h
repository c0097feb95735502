/* arena: a bump allocator for request, query and profile lifetimes.
 *
 * Memory handed out stays valid, at a fixed address, until arena_free().
 * Individual allocations are never freed. Allocations are 8-byte aligned.
 * Out of memory aborts (xalloc.h). arena_free(NULL) is a no-op. */
#ifndef STACKYARD_BASE_ARENA_H
#define STACKYARD_BASE_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);

void *arena_alloc(struct arena *a, size_t n);   /* uninitialised */
void *arena_zalloc(struct arena *a, size_t n);  /* zeroed */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* Bytes handed out so far (for accounting and limits). */
size_t arena_used(const struct arena *a);

#endif
