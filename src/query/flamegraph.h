/* flamegraph: a stacktree as Pyroscope's "flamebearer" JSON.
 *
 *   {"version":1,
 *    "flamebearer":{"names":["total",...],
 *                   "levels":[[x_delta,total,self,name_index, ...], ...],
 *                   "numTicks":N,"maxSelf":M},
 *    "metadata":{"format":"single","name":"cpu","units":"nanoseconds"}}
 *
 * Level d lists the nodes at depth d (root at 0) left to right. Within a
 * level, x_delta is the gap since the end of the previous node on that row;
 * a child starts at its parent's x plus the totals of its preceding
 * siblings, and siblings are ordered by name. This is the layout
 * Pyroscope's and Grafana's renderers read. */
#ifndef STACKYARD_QUERY_FLAMEGRAPH_H
#define STACKYARD_QUERY_FLAMEGRAPH_H

#include "../base/buf.h"
#include "stacktree.h"

struct flamegraph_meta {
	const char *name;  /* sample type, e.g. "cpu" */
	const char *units; /* sample unit, e.g. "nanoseconds" */
	size_t max_nodes;  /* 0 = all; else keep about this many of the
			    * largest nodes, the rest drawn as gaps */
};

void flamegraph_write_json(struct stacktree *t, const struct flamegraph_meta *m,
			   struct buf *out);

/* Two trees (base left, target right) as Pyroscope's diff flamebearer:
 * nodes are the union of both sides' paths, each as 7 numbers
 * [l_x_delta, l_total, l_self, r_x_delta, r_total, r_self, name_index],
 * both x columns delta-coded within the level as in the single layout;
 * numTicks is left + right, plus "leftTicks" and "rightTicks", and
 * metadata.format "double". */
void flamegraph_write_diff_json(struct stacktree *left, struct stacktree *right,
				const struct flamegraph_meta *m, struct buf *out);

#endif
