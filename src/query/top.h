/* top: flat and cumulative value per function, as `go tool pprof -top`.
 *
 * flat is the value of samples whose leaf frame is the function (the
 * innermost inlined frame counts as the leaf); cum counts each sample once
 * for every distinct function on its stack, however often that function
 * recurses. Functions are keyed by display name (pprof_frame_name), like
 * pprof's default "functions" granularity. total is the sum of |value|,
 * pprof's denominator for percentages.
 *
 * Several profiles can be added to one struct top; that equals the top of
 * their merge. The struct owns its memory; top_free(NULL) is a no-op. */
#ifndef STACKYARD_QUERY_TOP_H
#define STACKYARD_QUERY_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../pprof/profile.h"

struct top_row {
	uint32_t name; /* index for top_name() */
	int64_t flat, cum;
};

struct top;

struct top *top_new(void);
void top_free(struct top *t);

void top_add_pprof(struct top *t, const struct pprof_profile *p, int vi);

/* Rows sorted as pprof's text report: |flat| descending, then name, then
 * |cum| descending. The array is owned by t and valid until the next add. */
const struct top_row *top_rows(struct top *t, size_t *n);
int64_t top_total(const struct top *t);
const char *top_name(const struct top *t, uint32_t name, size_t *len);

/* At most limit rows (0 = all). */
void top_write_text(struct top *t, const char *unit, size_t limit,
		    struct buf *out);
void top_write_json(struct top *t, const char *type, const char *unit,
		    size_t limit, struct buf *out);

#endif
