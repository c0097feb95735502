/* sandwich: one function's callers and callees, from a merged stack tree.
 *
 * Only the outermost calls of the function count (a call not made from
 * inside another call of it), so recursion is counted once and each root's
 * total equals the function's cumulative value, as in top's "cum".
 *
 *   callees: root -> fn -> what fn called -> ...: the subtrees of the
 *            outermost calls merged.
 *   callers: root -> fn -> its caller -> the caller's caller -> ... up to
 *            the root-most frame (an inverted tree), each path weighted by
 *            the call's total. A renderer draws it with fn at the bottom.
 *
 * Both are built from the full tree (before any max_nodes trimming), so a
 * small caller or callee is not lost to the trimming of the whole graph. */
#ifndef STACKYARD_QUERY_SANDWICH_H
#define STACKYARD_QUERY_SANDWICH_H

#include <stddef.h>

#include "../base/buf.h"
#include "flamegraph.h"
#include "stacktree.h"

/* Fill callers and callees (new, empty trees the caller owns) for the
 * function named fn[0..len) in t. Returns the number of outermost calls
 * found (0 when fn is not in t: both trees stay empty). */
size_t sandwich_build(const struct stacktree *t, const char *fn, size_t len,
		      struct stacktree *callers, struct stacktree *callees);

/* {"function":"fn","callers":FLAMEBEARER,"callees":FLAMEBEARER}, each
 * flamebearer as flamegraph_write_json writes it (m->max_nodes applies to
 * each). */
void sandwich_write_json(const struct stacktree *t, const char *fn, size_t len,
			 const struct flamegraph_meta *m, struct buf *out);

#endif
