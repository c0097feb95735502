#include "sandwich.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "../base/xalloc.h"

#define UNSET UINT32_MAX

/* Source name ids -> destination name ids, interned on first use. */
struct namemap {
	const struct stacktree *src;
	struct stacktree *dst;
	uint32_t *id;
};

static void namemap_init(struct namemap *m, const struct stacktree *src, struct stacktree *dst)
{
	uint32_t n = stacktree_nnames(src), i;

	m->src = src;
	m->dst = dst;
	m->id = xmalloc((n ? n : 1) * sizeof(*m->id));
	for (i = 0; i < n; i++)
		m->id[i] = UNSET;
}

static uint32_t namemap_get(struct namemap *m, uint32_t name)
{
	if (m->id[name] == UNSET) {
		size_t len;
		const char *s = stacktree_name_str(m->src, name, &len);
		m->id[name] = stacktree_name(m->dst, s, len);
	}
	return m->id[name];
}

/* The name id of fn in t, or UNSET. Names are scanned rather than
 * interned so that t is not changed. Name 0 is the root's "total", but a
 * frame may be called that too: the root node itself is never a call. */
static uint32_t find_name(const struct stacktree *t, const char *fn, size_t len)
{
	uint32_t n = stacktree_nnames(t), i;
	size_t l;

	for (i = 0; i < n; i++) {
		const char *s = stacktree_name_str(t, i, &l);
		if (l == len && !memcmp(s, fn, len))
			return i;
	}
	return UNSET;
}

/* The path from node n up to the root's child, as callers: fn first. */
static void add_callers(const struct stacktree_node *nodes, uint32_t n, struct namemap *m)
{
	uint32_t at = 0, k;

	for (k = n; k != 0; k = nodes[k].parent)
		at = stacktree_child(m->dst, at, namemap_get(m, nodes[k].name));
	stacktree_add_self(m->dst, at, nodes[n].total);
}

size_t sandwich_build(const struct stacktree *t, const char *fn, size_t len,
		      struct stacktree *callers, struct stacktree *callees)
{
	struct namemap mc, me;
	const struct stacktree_node *nodes;
	uint32_t fid = find_name(t, fn, len), *img;
	uint8_t *under; /* under[k]: a strict ancestor of k is fn */
	size_t nn, k, calls = 0;

	if (fid == UNSET)
		return 0;
	nodes = stacktree_nodes(t, &nn);
	namemap_init(&mc, t, callers);
	namemap_init(&me, t, callees);
	under = xcalloc(nn, 1);
	img = xmalloc(nn * sizeof(*img));
	/* Parents precede children in node order, so one pass sees each
	 * node's parent first: img[k] is k's node in callees. */
	for (k = 1; k < nn; k++) {
		uint32_t p = nodes[k].parent;
		under[k] = p && (under[p] || nodes[p].name == fid);
		if (under[k]) {
			img[k] = stacktree_child(callees, img[p], namemap_get(&me, nodes[k].name));
		} else if (nodes[k].name == fid) {
			img[k] = stacktree_child(callees, 0, namemap_get(&me, fid));
			add_callers(nodes, (uint32_t)k, &mc);
			calls++;
		} else {
			continue;
		}
		if (nodes[k].self)
			stacktree_add_self(callees, img[k], nodes[k].self);
	}
	free(img);
	free(under);
	free(mc.id);
	free(me.id);
	return calls;
}

void sandwich_write_json(const struct stacktree *t, const char *fn, size_t len,
			 const struct flamegraph_meta *m, struct buf *out)
{
	struct stacktree *callers = stacktree_new(), *callees = stacktree_new();

	sandwich_build(t, fn, len, callers, callees);
	buf_puts(out, "{\"function\":");
	json_put_str(out, fn, len);
	buf_puts(out, ",\"callers\":");
	flamegraph_write_json(callers, m, out);
	buf_puts(out, ",\"callees\":");
	flamegraph_write_json(callees, m, out);
	buf_puts(out, "}\n");
	stacktree_free(callers);
	stacktree_free(callees);
}
