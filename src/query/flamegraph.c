#include "flamegraph.h"

#include <stdlib.h>
#include <string.h>

#include "../base/sat.h"
#include "../base/json.h"
#include "../base/xalloc.h"

struct fg_item {
	uint32_t node;
	int64_t x; /* absolute offset from the left edge */
};

struct fg_level {
	struct fg_item *item;
	size_t n, cap;
};

/* State of one rendering: levels go to a side buffer because the names
 * that precede them in the JSON are known only once every level is out. */
struct fg {
	struct stacktree *t;
	const struct stacktree_node *node;
	struct fg_level cur, next;
	uint32_t *index;  /* tree name id -> names[] position, or UINT32_MAX */
	uint32_t *order;  /* names[] position -> tree name id */
	uint32_t norder;
	struct buf levels;
	int64_t max_self;
	int64_t min_total;  /* nodes below this are left out (max_nodes) */
};

static void fg_init(struct fg *g, struct stacktree *t)
{
	size_t nnames = stacktree_nnames(t), n;

	memset(g, 0, sizeof(*g));
	g->t = t;
	g->node = stacktree_nodes(t, &n);
	g->index = xmalloc(nnames * sizeof(*g->index));
	memset(g->index, 0xff, nnames * sizeof(*g->index));
	g->order = xmalloc(nnames * sizeof(*g->order));
}

static void fg_release(struct fg *g)
{
	free(g->cur.item);
	free(g->next.item);
	free(g->index);
	free(g->order);
	buf_release(&g->levels);
}

/* names[] position of a tree name, assigned in order of first emission. */
static uint32_t fg_name_index(struct fg *g, uint32_t name)
{
	if (g->index[name] == UINT32_MAX) {
		g->index[name] = g->norder;
		g->order[g->norder++] = name;
	}
	return g->index[name];
}

static void fg_push(struct fg_level *l, uint32_t node, int64_t x)
{
	XGROW(l->item, l->cap, l->n + 1);
	l->item[l->n].node = node;
	l->item[l->n].x = x;
	l->n++;
}

/* Queue node's children for the next level: its self comes first, then
 * each child in name order takes its total's width. */
static void fg_queue_children(struct fg *g, const struct fg_item *it)
{
	int64_t x = sat_add(it->x, g->node[it->node].self);
	const uint32_t *c;
	size_t n, i;

	c = stacktree_children(g->t, it->node, &n);
	for (i = 0; i < n; i++) {
		/* A node left out keeps its width as a gap, so every node that
		 * is drawn stays where it belongs. */
		if (g->node[c[i]].total && g->node[c[i]].total >= g->min_total)
			fg_push(&g->next, c[i], x);
		x = sat_add(x, g->node[c[i]].total);
	}
}

static void fg_put_int(struct buf *b, int64_t v, int comma)
{
	if (comma)
		buf_putc(b, ',');
	buf_put_i64(b, v);
}

/* Emit the current level as one row and queue the next one. */
static void fg_emit_level(struct fg *g)
{
	int64_t end = 0; /* previous node's abs x + total */
	const struct stacktree_node *n;
	size_t i;

	buf_putc(&g->levels, g->levels.len ? ',' : '[');
	buf_putc(&g->levels, '[');
	for (i = 0; i < g->cur.n; i++) {
		n = &g->node[g->cur.item[i].node];
		fg_put_int(&g->levels, g->cur.item[i].x - end, i > 0);
		fg_put_int(&g->levels, n->total, 1);
		fg_put_int(&g->levels, n->self, 1);
		fg_put_int(&g->levels, fg_name_index(g, n->name), 1);
		end = sat_add(g->cur.item[i].x, n->total);
		if (n->self > g->max_self)
			g->max_self = n->self;
		fg_queue_children(g, &g->cur.item[i]);
	}
	buf_putc(&g->levels, ']');
}

static void fg_put_names(struct fg *g, struct buf *out)
{
	const char *s;
	size_t len;
	uint32_t i;

	buf_putc(out, '[');
	for (i = 0; i < g->norder; i++) {
		if (i)
			buf_putc(out, ',');
		s = stacktree_name_str(g->t, g->order[i], &len);
		json_put_str(out, s, len);
	}
	buf_putc(out, ']');
}

static void fg_put_meta(const struct flamegraph_meta *m, struct buf *out)
{
	const char *name = m && m->name ? m->name : "";
	const char *units = m && m->units ? m->units : "";

	buf_puts(out, "\"metadata\":{\"format\":\"single\",\"name\":");
	json_put_str(out, name, strlen(name));
	buf_puts(out, ",\"units\":");
	json_put_str(out, units, strlen(units));
	buf_putc(out, '}');
}

/* Breadth first, one level at a time; the root is always drawn so that an
 * empty tree still renders as a lone "total" bar. */
static int cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The smallest total a node may have so that about max nodes remain: the
 * max-th largest total (ties may keep a few more). A child's total never
 * exceeds its parent's, so what remains is a connected tree. */
static int64_t min_total_for(const struct stacktree_node *n, size_t nn, size_t max)
{
	int64_t *t, v;
	size_t i;

	if (!max || nn <= max)
		return 0;
	t = xmalloc(nn * sizeof(*t));
	for (i = 0; i < nn; i++)
		t[i] = n[i].total < 0 ? -n[i].total : n[i].total;
	qsort(t, nn, sizeof(*t), cmp_desc);
	v = t[max - 1];
	free(t);
	return v > 0 ? v : 1;
}

void flamegraph_write_json(struct stacktree *t, const struct flamegraph_meta *m,
			   struct buf *out)
{
	struct fg g;
	struct fg_level swap;
	size_t nn;

	fg_init(&g, t);
	stacktree_nodes(t, &nn);
	g.min_total = min_total_for(g.node, nn, m ? m->max_nodes : 0);
	fg_push(&g.cur, 0, 0);
	while (g.cur.n) {
		fg_emit_level(&g);
		swap = g.cur;
		g.cur = g.next;
		g.next = swap;
		g.next.n = 0;
	}
	buf_putc(&g.levels, ']');
	buf_puts(out, "{\"version\":1,\"flamebearer\":{\"names\":");
	fg_put_names(&g, out);
	buf_puts(out, ",\"levels\":");
	buf_append(out, g.levels.data, g.levels.len);
	buf_puts(out, ",\"numTicks\":");
	buf_put_i64(out, g.node[0].total);
	buf_puts(out, ",\"maxSelf\":");
	buf_put_i64(out, g.max_self);
	buf_puts(out, "},");
	fg_put_meta(m, out);
	buf_putc(out, '}');
	fg_release(&g);
}

/* ---- diff: two trees side by side, Pyroscope's "double" layout ---------- */

struct dside {
	int64_t *total, *self; /* per union node */
};

struct ditem {
	uint32_t node;
	int64_t xl, xr;
};

/* Adds tree t into the union u, recording its numbers in side s. */
static void union_add(struct stacktree *u, struct stacktree *t, struct dside *s, size_t cap)
{
	const struct stacktree_node *n;
	uint32_t *map;
	size_t nn, i;

	n = stacktree_nodes(t, &nn);
	map = xcalloc(nn + 1, sizeof(*map));
	s->total[0] = sat_add(s->total[0], n[0].total);
	s->self[0] = sat_add(s->self[0], n[0].self);
	for (i = 1; i < nn; i++) {
		size_t len;
		const char *nm = stacktree_name_str(t, n[i].name, &len);
		map[i] = stacktree_child(u, map[n[i].parent], stacktree_name(u, nm, len));
		if (map[i] < cap) {
			s->total[map[i]] = sat_add(s->total[map[i]], n[i].total);
			s->self[map[i]] = sat_add(s->self[map[i]], n[i].self);
		}
	}
	free(map);
}

static void dpush(struct ditem **v, size_t *n, size_t *cap, uint32_t node, int64_t xl, int64_t xr)
{
	XGROW(*v, *cap, *n + 1);
	(*v)[(*n)++] = (struct ditem){node, xl, xr};
}

void flamegraph_write_diff_json(struct stacktree *left, struct stacktree *right,
				const struct flamegraph_meta *m, struct buf *out)
{
	struct stacktree *u = stacktree_new();
	size_t cap = 0, ncur = 0, nnext = 0, capc = 0, capn = 0, i, k, nu;
	struct ditem *cur = NULL, *next = NULL;
	struct dside l, r;
	struct fg g;
	int64_t max_self = 0;

	stacktree_nodes(left, &i);
	stacktree_nodes(right, &k);
	cap = i + k + 1; /* the union has at most this many nodes */
	l.total = xcalloc(cap, sizeof(int64_t));
	l.self = xcalloc(cap, sizeof(int64_t));
	r.total = xcalloc(cap, sizeof(int64_t));
	r.self = xcalloc(cap, sizeof(int64_t));
	union_add(u, left, &l, cap);
	union_add(u, right, &r, cap);
	stacktree_nodes(u, &nu);
	fg_init(&g, u);
	dpush(&cur, &ncur, &capc, 0, 0, 0);
	while (ncur) {
		int64_t endl = 0, endr = 0;
		buf_putc(&g.levels, g.levels.len ? ',' : '[');
		buf_putc(&g.levels, '[');
		nnext = 0;
		for (i = 0; i < ncur; i++) {
			uint32_t nd = cur[i].node;
			const uint32_t *c;
			size_t nc;
			int64_t xl = sat_add(cur[i].xl, l.self[nd]), xr = sat_add(cur[i].xr, r.self[nd]);
			fg_put_int(&g.levels, cur[i].xl - endl, i > 0);
			fg_put_int(&g.levels, l.total[nd], 1);
			fg_put_int(&g.levels, l.self[nd], 1);
			fg_put_int(&g.levels, cur[i].xr - endr, 1);
			fg_put_int(&g.levels, r.total[nd], 1);
			fg_put_int(&g.levels, r.self[nd], 1);
			fg_put_int(&g.levels, fg_name_index(&g, g.node[nd].name), 1);
			endl = sat_add(cur[i].xl, l.total[nd]);
			endr = sat_add(cur[i].xr, r.total[nd]);
			max_self = l.self[nd] > max_self ? l.self[nd] : max_self;
			max_self = r.self[nd] > max_self ? r.self[nd] : max_self;
			c = stacktree_children(u, nd, &nc);
			for (k = 0; k < nc; k++) {
				if (!l.total[c[k]] && !r.total[c[k]])
					continue;
				dpush(&next, &nnext, &capn, c[k], xl, xr);
				xl = sat_add(xl, l.total[c[k]]);
				xr = sat_add(xr, r.total[c[k]]);
			}
		}
		buf_putc(&g.levels, ']');
		{
			struct ditem *t = cur;
			size_t tc = capc;
			cur = next;
			capc = capn;
			next = t;
			capn = tc;
			ncur = nnext;
		}
	}
	buf_puts(out, "{\"version\":1,\"flamebearer\":{\"names\":");
	fg_put_names(&g, out);
	buf_puts(out, ",\"levels\":");
	if (g.levels.len)
		buf_append(out, g.levels.data, g.levels.len);
	buf_puts(out, "],\"numTicks\":");
	buf_put_i64(out, sat_add(l.total[0], r.total[0]));
	buf_puts(out, ",\"maxSelf\":");
	buf_put_i64(out, max_self);
	buf_puts(out, "},\"metadata\":{\"format\":\"double\",\"name\":");
	json_put_str(out, m && m->name ? m->name : "", strlen(m && m->name ? m->name : ""));
	buf_puts(out, ",\"units\":");
	json_put_str(out, m && m->units ? m->units : "", strlen(m && m->units ? m->units : ""));
	buf_puts(out, "},\"leftTicks\":");
	buf_put_i64(out, l.total[0]);
	buf_puts(out, ",\"rightTicks\":");
	buf_put_i64(out, r.total[0]);
	buf_putc(out, '}');
	fg_release(&g);
	free(cur);
	free(next);
	free(l.total);
	free(l.self);
	free(r.total);
	free(r.self);
	stacktree_free(u);
}
