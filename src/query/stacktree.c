#include "stacktree.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../base/sat.h"
#include "../base/intern.h"
#include "../base/u64map.h"
#include "../base/xalloc.h"

struct stacktree {
	struct stacktree_node *node;
	size_t nnode, cap_node;
	struct intern *names;
	struct u64map child;   /* (parent << 32 | name) -> node index */
	uint32_t *scratch;     /* stacktree_children's result */
	size_t cap_scratch;
	uint32_t *path;        /* stacktree_add_pprof's root-first stack */
	size_t cap_path;
};

/* Name ids are never UINT32_MAX, so it can mark "not computed yet". */
#define FRAME_UNSET UINT32_MAX
/* A function with no name: its frames are named by their address. */
#define FRAME_BY_ADDR (UINT32_MAX - 1)

struct pprof_frames {
	const struct pprof_profile *p;
	struct intern *names;
	uint32_t *off; /* location j owns id[off[j] .. off[j + 1]) */
	uint32_t *id;  /* id[off[j]] == FRAME_UNSET until j is first asked */
	uint32_t *fn;  /* per function: name id, FRAME_UNSET, FRAME_BY_ADDR */
	struct buf tmp;
};

/* ---- frame names ---- */

static void put_addr(struct buf *out, uint64_t addr)
{
	buf_printf(out, "0x%" PRIx64, addr);
}

static void put_basename(struct buf *out, struct pprof_str s)
{
	const char *slash = s.len ? memrchr(s.ptr, '/', s.len) : NULL;
	size_t skip = slash ? (size_t)(slash - s.ptr) + 1 : 0;

	buf_append(out, s.ptr + skip, s.len - skip);
}

/* A location without lines: "<mapping file basename> 0x<addr>". */
static void put_unsymbolized(const struct pprof_profile *p,
			     const struct pprof_location *l, struct buf *out)
{
	if (l->mapping) {
		const struct pprof_mapping *m = &p->mapping[l->mapping - 1];
		struct pprof_str f = pprof_s(p, m->filename);

		if (f.len) {
			put_basename(out, f);
			buf_putc(out, ' ');
		}
	}
	put_addr(out, l->address);
}

/* The function's own name, or an empty string when it has none. */
static struct pprof_str function_name(const struct pprof_profile *p,
				      uint32_t fn)
{
	struct pprof_str s = pprof_s(p, p->function[fn].name);

	return s.len ? s : pprof_s(p, p->function[fn].system_name);
}

void pprof_frame_name(const struct pprof_profile *p, uint32_t loc, uint32_t k,
		      struct buf *out)
{
	const struct pprof_location *l = &p->location[loc];
	struct pprof_str s;

	if (!l->nline) {
		put_unsymbolized(p, l, out);
		return;
	}
	s = function_name(p, p->line[l->line_off + k].function);
	if (s.len)
		buf_append(out, s.ptr, s.len);
	else
		put_addr(out, l->address);
}

struct pprof_frames *pprof_frames_new(const struct pprof_profile *p,
				      struct intern *names)
{
	struct pprof_frames *f = xcalloc(1, sizeof(*f));
	uint32_t j, nframe = 0;

	f->p = p;
	f->names = names;
	f->off = xmalloc(((size_t)p->nlocation + 1) * sizeof(*f->off));
	for (j = 0; j < p->nlocation; j++) {
		f->off[j] = nframe;
		nframe += p->location[j].nline ? p->location[j].nline : 1;
	}
	f->off[p->nlocation] = nframe;
	f->id = xmalloc(((size_t)nframe + 1) * sizeof(*f->id));
	memset(f->id, 0xff, ((size_t)nframe + 1) * sizeof(*f->id));
	f->fn = xmalloc(((size_t)p->nfunction + 1) * sizeof(*f->fn));
	memset(f->fn, 0xff, ((size_t)p->nfunction + 1) * sizeof(*f->fn));
	return f;
}

void pprof_frames_free(struct pprof_frames *f)
{
	if (!f)
		return;
	free(f->off);
	free(f->id);
	free(f->fn);
	buf_release(&f->tmp);
	free(f);
}

static uint32_t frames_intern_formatted(struct pprof_frames *f, uint32_t loc,
					uint32_t k)
{
	buf_reset(&f->tmp);
	pprof_frame_name(f->p, loc, k, &f->tmp);
	return intern_put(f->names, f->tmp.data, f->tmp.len, NULL);
}

/* Line k's name id; named functions are interned once per profile. */
static uint32_t frames_line_id(struct pprof_frames *f, uint32_t loc,
			       uint32_t k)
{
	uint32_t fn = f->p->line[f->p->location[loc].line_off + k].function;
	struct pprof_str s;

	if (f->fn[fn] == FRAME_UNSET) {
		s = function_name(f->p, fn);
		f->fn[fn] = s.len ? intern_put(f->names, s.ptr, s.len, NULL)
				  : FRAME_BY_ADDR;
	}
	if (f->fn[fn] == FRAME_BY_ADDR)
		return frames_intern_formatted(f, loc, k);
	return f->fn[fn];
}

/* Fill location loc's ids root first, i.e. lines last to first. */
static void frames_fill(struct pprof_frames *f, uint32_t loc)
{
	uint32_t *id = &f->id[f->off[loc]];
	uint32_t nline = f->p->location[loc].nline, k;

	if (!nline) {
		id[0] = frames_intern_formatted(f, loc, 0);
		return;
	}
	for (k = 0; k < nline; k++)
		id[nline - 1 - k] = frames_line_id(f, loc, k);
}

const uint32_t *pprof_frames_get(struct pprof_frames *f, uint32_t loc,
				 uint32_t *n)
{
	if (f->id[f->off[loc]] == FRAME_UNSET)
		frames_fill(f, loc);
	*n = f->off[loc + 1] - f->off[loc];
	return &f->id[f->off[loc]];
}

/* ---- the tree ---- */

struct stacktree *stacktree_new(void)
{
	struct stacktree *t = xcalloc(1, sizeof(*t));

	t->names = intern_new(1024);
	stacktree_name(t, "total", 5);
	u64map_init(&t->child, 1024);
	XGROW(t->node, t->cap_node, 1);
	memset(&t->node[0], 0, sizeof(t->node[0]));
	t->nnode = 1;
	return t;
}

void stacktree_free(struct stacktree *t)
{
	if (!t)
		return;
	free(t->node);
	intern_free(t->names);
	u64map_release(&t->child);
	free(t->scratch);
	free(t->path);
	free(t);
}

uint32_t stacktree_name(struct stacktree *t, const char *s, size_t len)
{
	return intern_put(t->names, s, len, NULL);
}

const char *stacktree_name_str(const struct stacktree *t, uint32_t name,
			       size_t *len)
{
	return intern_key(t->names, name, len);
}

uint32_t stacktree_nnames(const struct stacktree *t)
{
	return intern_count(t->names);
}

const struct stacktree_node *stacktree_nodes(const struct stacktree *t,
					     size_t *n)
{
	*n = t->nnode;
	return t->node;
}

/* The child of parent named name, created (with zero counts) if absent.
 * New children go to the head of the sibling list; order is imposed only
 * when someone asks (stacktree_children). */
static uint32_t child_get(struct stacktree *t, uint32_t parent, uint32_t name)
{
	uint64_t key = (uint64_t)parent << 32 | name;
	uint32_t c = u64map_get(&t->child, key);
	struct stacktree_node *n;

	if (c != U64MAP_NONE)
		return c;
	c = (uint32_t)t->nnode;
	XGROW(t->node, t->cap_node, t->nnode + 1);
	n = &t->node[t->nnode++];
	memset(n, 0, sizeof(*n));
	n->parent = parent;
	n->name = name;
	n->next_sibling = t->node[parent].first_child;
	t->node[parent].first_child = c;
	u64map_put(&t->child, key, c);
	return c;
}

uint32_t stacktree_child(struct stacktree *t, uint32_t parent, uint32_t name)
{
	return child_get(t, parent, name);
}

void stacktree_add_self(struct stacktree *t, uint32_t node, int64_t v)
{
	t->node[node].self = sat_add(t->node[node].self, v);
	for (;;) {
		t->node[node].total = sat_add(t->node[node].total, v);
		if (!node)
			break;
		node = t->node[node].parent;
	}
}

void stacktree_add(struct stacktree *t, const uint32_t *names, size_t n,
		   int64_t v)
{
	uint32_t node = 0;
	size_t i;

	t->node[0].total = sat_add(t->node[0].total, v);
	for (i = 0; i < n; i++) {
		node = child_get(t, node, names[i]);
		t->node[node].total = sat_add(t->node[node].total, v);
	}
	t->node[node].self = sat_add(t->node[node].self, v);
}

/* Sample s's frames, root first, into t->path; returns their count. */
static size_t sample_path(struct stacktree *t, struct pprof_frames *f,
			  const struct pprof_profile *p,
			  const struct pprof_sample *s)
{
	const uint32_t *locs = &p->sample_loc[s->loc_off];
	const uint32_t *ids;
	uint32_t i, n;
	size_t len = 0;

	for (i = s->nloc; i-- > 0;) {
		ids = pprof_frames_get(f, locs[i], &n);
		XGROW(t->path, t->cap_path, len + n);
		memcpy(&t->path[len], ids, n * sizeof(*ids));
		len += n;
	}
	return len;
}

void stacktree_add_pprof(struct stacktree *t, const struct pprof_profile *p,
			 int vi)
{
	struct pprof_frames *f;
	size_t i, n;
	int64_t v;

	if (vi < 0 || (uint32_t)vi >= p->nsample_type)
		return;
	f = pprof_frames_new(p, t->names);
	for (i = 0; i < p->nsample; i++) {
		v = p->value[i * p->nsample_type + (uint32_t)vi];
		if (!v)
			continue;
		n = sample_path(t, f, p, &p->sample[i]);
		stacktree_add(t, t->path, n, v);
	}
	pprof_frames_free(f);
}

static int name_cmp(const void *a, const void *b, void *arg)
{
	const struct stacktree *t = arg;
	uint32_t na = t->node[*(const uint32_t *)a].name;
	uint32_t nb = t->node[*(const uint32_t *)b].name;
	size_t la, lb;
	const char *sa = stacktree_name_str(t, na, &la);
	const char *sb = stacktree_name_str(t, nb, &lb);
	int c = memcmp(sa, sb, la < lb ? la : lb);

	if (c)
		return c;
	return (la > lb) - (la < lb);
}

const uint32_t *stacktree_children(struct stacktree *t, uint32_t node,
				   size_t *n)
{
	uint32_t c;
	size_t k = 0;

	for (c = t->node[node].first_child; c; c = t->node[c].next_sibling) {
		XGROW(t->scratch, t->cap_scratch, k + 1);
		t->scratch[k++] = c;
	}
	if (k > 1)
		qsort_r(t->scratch, k, sizeof(*t->scratch), name_cmp, t);
	*n = k;
	return t->scratch;
}

/* ---- folded output ---- */

/* Append a name to a folded path; ';' would split the frame and a newline
 * the line, so they are replaced. */
static void folded_put_name(const struct stacktree *t, uint32_t name,
			    struct buf *out)
{
	size_t len, i, start = out->len;
	const char *s = stacktree_name_str(t, name, &len);

	buf_append(out, s, len);
	for (i = start; i < out->len; i++) {
		if (out->data[i] == ';')
			out->data[i] = ':';
		else if (out->data[i] == '\n' || out->data[i] == '\r')
			out->data[i] = ' ';
	}
}

struct folded_item {
	uint32_t node, depth;
};

struct folded_walk {
	struct folded_item *stack;
	size_t nstack, cap_stack;
	size_t *plen;  /* plen[d]: path length through the node at depth d */
	size_t cap_plen;
	struct buf path;
};

/* Push node's children so that they pop in name order. */
static void folded_push_children(struct stacktree *t, struct folded_walk *w,
				 uint32_t node, uint32_t depth)
{
	size_t n, i;
	const uint32_t *c = stacktree_children(t, node, &n);

	XGROW(w->stack, w->cap_stack, w->nstack + n);
	for (i = n; i-- > 0;) {
		w->stack[w->nstack].node = c[i];
		w->stack[w->nstack].depth = depth;
		w->nstack++;
	}
}

/* Depth-first with an explicit stack: stacks can be tens of thousands of
 * frames deep once inlinees are expanded. */
void stacktree_write_folded(struct stacktree *t, struct buf *out)
{
	struct folded_walk w = {0};
	struct folded_item it;
	const struct stacktree_node *n;

	folded_push_children(t, &w, 0, 1);
	while (w.nstack) {
		it = w.stack[--w.nstack];
		n = &t->node[it.node];
		w.path.len = it.depth > 1 ? w.plen[it.depth - 1] : 0;
		if (it.depth > 1)
			buf_putc(&w.path, ';');
		folded_put_name(t, n->name, &w.path);
		XGROW(w.plen, w.cap_plen, (size_t)it.depth + 1);
		w.plen[it.depth] = w.path.len;
		if (n->self) {
			buf_append(out, w.path.data, w.path.len);
			buf_putc(out, ' ');
			buf_put_i64(out, n->self);
			buf_putc(out, '\n');
		}
		folded_push_children(t, &w, it.node, it.depth + 1);
	}
	free(w.stack);
	free(w.plen);
	buf_release(&w.path);
}

struct pprof_profile *stacktree_to_pprof(const struct stacktree *t, const char *type,
					 const char *unit, const char *period_type,
					 const char *period_unit, int64_t period)
{
	struct pprof_profile *p = pprof_new();
	uint32_t *loc_of = xcalloc(t->nnode + 1, sizeof(*loc_of));
	uint32_t *name_loc = xcalloc((size_t)stacktree_nnames(t) + 1, sizeof(*name_loc));
	uint32_t *stack = NULL;
	size_t cap = 0, i;

	pprof_add_sample_type(p, type, unit);
	p->period_type.type = pprof_intern_cstr(p, period_type ? period_type : "");
	p->period_type.unit = pprof_intern_cstr(p, period_unit ? period_unit : "");
	p->period = period;
	for (i = 1; i < t->nnode; i++) {
		uint32_t nm = t->node[i].name, depth = 0, n;
		if (!name_loc[nm]) {
			size_t len;
			const char *s = stacktree_name_str(t, nm, &len);
			uint32_t fn = pprof_add_function(p), loc;
			p->function[fn].name = p->function[fn].system_name = pprof_intern(p, s, len);
			loc = pprof_add_location(p, 1);
			p->line[p->location[loc].line_off].function = fn;
			name_loc[nm] = loc + 1;
		}
		loc_of[i] = name_loc[nm];
		if (!t->node[i].self)
			continue;
		for (n = (uint32_t)i; n; n = t->node[n].parent) {
			XGROW(stack, cap, (size_t)depth + 1);
			stack[depth++] = loc_of[n] - 1;
		}
		pprof_add_sample(p, stack, depth, &t->node[i].self, 0);
	}
	free(loc_of);
	free(name_loc);
	free(stack);
	return p;
}
