/* stacktree: stacks merged into a tree of frame names.
 *
 * Node 0 is the root ("total"). Every other node is (parent, name) and
 * holds self (value of stacks ending here) and total (self plus all
 * descendants). Adding a stack walks from the root, creating nodes as
 * needed, so merging many profiles is adding numbers per node. This is what
 * flame graphs, folded output and (later) the query engine render.
 *
 * Names are interned in the tree; name ids are dense from 0, and name 0 is
 * "total". The tree owns all its memory; stacktree_free(NULL) is a no-op. */
#ifndef STACKYARD_QUERY_STACKTREE_H
#define STACKYARD_QUERY_STACKTREE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "../pprof/profile.h"

struct stacktree_node {
	uint32_t parent;
	uint32_t name;
	uint32_t first_child;  /* 0 = none (the root is never a child) */
	uint32_t next_sibling; /* 0 = none */
	int64_t self, total;
};

struct stacktree;

struct stacktree *stacktree_new(void);
void stacktree_free(struct stacktree *t);

uint32_t stacktree_name(struct stacktree *t, const char *s, size_t len);
const char *stacktree_name_str(const struct stacktree *t, uint32_t name,
			       size_t *len);
uint32_t stacktree_nnames(const struct stacktree *t);

/* Add value v to the stack names[0] (root-most) .. names[n-1] (leaf). */
void stacktree_add(struct stacktree *t, const uint32_t *names, size_t n,
		   int64_t v);

/* Building node by node (the store does this from its own stack tree):
 * the child of parent named name, created empty if absent; and v added to
 * node's self and to the total of node and every ancestor. */
uint32_t stacktree_child(struct stacktree *t, uint32_t parent, uint32_t name);
void stacktree_add_self(struct stacktree *t, uint32_t node, int64_t v);

/* Add every sample of p, using value index vi, with inlined frames expanded
 * (the caller above its inlinees). Samples with value 0 are skipped. */
void stacktree_add_pprof(struct stacktree *t, const struct pprof_profile *p,
			 int vi);

const struct stacktree_node *stacktree_nodes(const struct stacktree *t,
					     size_t *n);

/* Children of node, sorted by name (bytewise). *n gets their count; the
 * returned array (node indices) is valid until the next call on t. */
const uint32_t *stacktree_children(struct stacktree *t, uint32_t node,
				   size_t *n);

/* Folded text, one line per stack with self > 0, frames root first joined
 * by ';' (a ';' inside a name becomes ':', a newline a space), lines in
 * depth-first order with children sorted by name. */
void stacktree_write_folded(struct stacktree *t, struct buf *out);

/* The tree as a pprof profile (caller frees): one function and location
 * per frame name, one sample per node with self != 0, leaf first. Names
 * only: addresses and line numbers are not in a stacktree. Parents must
 * precede children in node order, which stacktree guarantees. */
struct pprof_profile *stacktree_to_pprof(const struct stacktree *t, const char *type,
					 const char *unit, const char *period_type,
					 const char *period_unit, int64_t period);

/* The display name of frame k of location loc in p: the function's name,
 * else its system name, else the mapping file and address, else the
 * address. Used wherever a pprof frame becomes a string. */
void pprof_frame_name(const struct pprof_profile *p, uint32_t loc, uint32_t k,
		      struct buf *out);

/* The frames of p's locations as name ids interned in names, each name
 * formatted and interned once per profile (per function where it has a
 * name), so that walking samples neither formats nor hashes. frames_get
 * returns location loc's *n frames root first: the physical caller, then
 * its inlinees, the innermost last, valid until pprof_frames_free(). Shared
 * by stacktree and top; pprof_frames_free(NULL) is a no-op. */
struct intern;
struct pprof_frames;

struct pprof_frames *pprof_frames_new(const struct pprof_profile *p,
				      struct intern *names);
void pprof_frames_free(struct pprof_frames *f);
const uint32_t *pprof_frames_get(struct pprof_frames *f, uint32_t loc,
				 uint32_t *n);

#endif
