/* xalloc: allocation that never returns NULL.
 *
 * Like git's xmalloc and Redis' zmalloc, these abort the process with a
 * message when the system is out of memory. That is safe only because every
 * size that untrusted input can grow is capped before it reaches an
 * allocator (see pprof_limits); an abort here is a bug or a genuinely
 * exhausted machine, never an attacker's choice. */
#ifndef STACKYARD_BASE_XALLOC_H
#define STACKYARD_BASE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *arr (of element size `size`) so that it holds at least `need`
 * elements; *cap is updated. Growth is geometric. */
void xgrow(void **arr, size_t *cap, size_t need, size_t size);

/* The common case (room left) costs a compare, not a call. */
#define XGROW(arr, cap, need)                                              \
	do {                                                               \
		if ((size_t)(need) > (cap))                                \
			xgrow((void **)&(arr), &(cap), (need), sizeof(*(arr))); \
	} while (0)

#endif
