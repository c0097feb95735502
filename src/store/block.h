/* block: one time window of profiles in one SQLite file.
 *
 * A block covers [start, end) (default 2 h, aligned) and is written by one
 * writer until it is sealed; sealing adds roll-ups and makes it read-only.
 * The format is in docs/STORAGE.md; in short, per file:
 *
 *   strings, mappings, functions, locations   symbols, interned once
 *   stack_chunks(first, n, blob)              the stack tree, a chunk of
 *                                             new nodes per transaction; a
 *                                             stack is its leaf node id,
 *                                             node 0 is the root
 *   series, series_labels                     series and the label index
 *   profiles(series, ts, ..., blob)           one row per profile, samples
 *                                             as a blob (blob.h)
 *   rollups(series, span, ts, ..., blob)      merged profiles per window
 *
 * Writing (block_begin/put/commit) must be serialised by the caller. If a
 * commit fails, block_rollback() drops the writer's caches, which are
 * rebuilt from the file on the next write, so memory never claims what the
 * file does not hold.
 *
 * Reading is thread-safe and independent of the writer: each reader has
 * its own connection and sees committed data only. The reader's symbol
 * cache (stack tree, frame names) is shared by readers of one block and
 * only ever grows, since every table is append-only; its maps to
 * store-wide ids follow the registries' generations (below). */
#ifndef STACKYARD_STORE_BLOCK_H
#define STACKYARD_STORE_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "prep.h"
#include "store.h"

struct block;
struct block_reader;

/* Spans of the roll-ups a sealed block has, in ns: a fine one for the
 * edges of a range and the whole block for the rest. */
#define BLOCK_ROLLUP_FINE (600LL * STORE_NS_PER_SEC)

int block_create(const char *path, int64_t start, int64_t end,
		 struct block **out, struct err *e);
/* Opens an existing file and checks its header; does not read symbols. */
int block_open(const char *path, struct block **out, struct err *e);
void block_close(struct block *b);

int64_t block_start(const struct block *b);
int64_t block_end(const struct block *b);
int block_sealed(const struct block *b);
const char *block_path(const struct block *b);
uint64_t block_file_bytes(const struct block *b);

int block_begin(struct block *b, struct err *e);
/* pr holds sp's content keys (prep.h), computed by the caller outside
 * the writer's lock. */
int block_put(struct block *b, const struct store_profile *sp, const struct prep *pr,
	      struct err *e);
int block_commit(struct block *b, struct err *e);
void block_rollback(struct block *b);

/* Builds the roll-ups and marks the block sealed (one transaction). */
int block_seal(struct block *b, struct err *e);

/* Full integrity check (PRAGMA quick_check plus our header). */
int block_check(struct block *b, struct err *e);

int block_reader_open(struct block *b, struct block_reader **out, struct err *e);
void block_reader_close(struct block_reader *r);

/* Series of this block matching sel (sel may be NULL). ids[] gets their
 * ids (caller frees); cb, if given, sees each. */
int block_reader_series(struct block_reader *r, const struct selector *sel,
			uint32_t **ids, size_t *n, store_series_cb cb, void *ctx,
			struct err *e);
/* Label names, or values of one name, of the given series. */
int block_reader_labels(struct block_reader *r, const char *name,
			const uint32_t *ids, size_t n, store_string_cb cb,
			void *ctx, struct err *e);
int block_reader_profile_types(struct block_reader *r, store_string_cb cb,
			       void *ctx, struct err *e);
/* Merging across blocks. Each block numbers its stack nodes itself; a
 * store-wide tree of frame-name paths (struct block_paths, a stacktree used
 * as a registry) gives every block node a store-wide path id, computed once
 * per node and cached in the block's reader cache. A merge then only adds
 * numbers per path id (struct block_acc), whatever the number of blocks,
 * and the flame graph is built once at the end from the live paths.
 *
 * Registries and generations. A registry (struct block_paths, and struct
 * block_locs below) only grows: one entry per distinct path of the blocks
 * merged with it, including blocks long deleted. So the store replaces it
 * now and then with a fresh one (block_paths_new) that only the live
 * blocks fill. Each registry has a generation, unique and larger for newer
 * registries, and a reference count; the invariants:
 *   - a query pins one registry (block_paths_ref) for its whole duration
 *     and passes that one to every block_reader_merge and to the render,
 *     so every id in its block_acc and every id the render reads belong
 *     to one generation; the last reference frees it (block_paths_unref);
 *   - a block caches its node -> id map for one generation, the newest it
 *     has met. A merge checks the generation under the block's cache lock
 *     and fills and reads the map under it: a newer registry resets the
 *     map (rebuilt lazily by that merge), an older one (a query that began
 *     before a replacement) maps into a private map for that call;
 *   - lock order: a block's cache lock, then the registry's. */
struct block_paths;

struct block_acc {
	int64_t *v;      /* value per path id */
	size_t cap;
};

/* A new, empty registry holding one reference (the caller's). */
struct block_paths *block_paths_new(void);
/* Another reference to p, which the caller must keep alive meanwhile (hold
 * a reference, or the lock under which it read the pointer to p). */
struct block_paths *block_paths_ref(struct block_paths *p);
/* Drops a reference; the last one frees p. NULL is a no-op. */
void block_paths_unref(struct block_paths *p);
/* Entries (paths, with the root) in p. */
size_t block_paths_size(struct block_paths *p);
/* Entries of p that the maps of blocks v[0..n) use, with their ancestors:
 * what p would hold if only those blocks had been merged with it. */
size_t block_paths_live(struct block_paths *p, struct block *const *v, size_t n);
/* Adds the values of acc to out, one stack per live path. */
void block_paths_render(struct block_paths *p, const struct block_acc *acc,
			struct stacktree *out);

/* Adds the merged stacks of the series in [from, until) to acc. */
int block_reader_merge(struct block_reader *r, struct block_paths *paths,
		       const uint32_t *ids, size_t n, int64_t from, int64_t until,
		       struct block_acc *acc, struct err *e);
/* Loads what the first merge of this block would (series, stack tree,
 * frame names, the nodes' store-wide path ids), so that it does not have to.
 * Used by the store's warm-up after opening. Maps nothing if the block
 * already serves a newer registry than paths. */
int block_reader_warm(struct block_reader *r, struct block_paths *paths, struct err *e);
/* Merging to pprof with every symbol the blocks keep (mappings,
 * addresses, lines, functions with files). Each block's locations are
 * mapped once into a store-wide registry (a pprof_merger: pprof's merge
 * identities) and its nodes get store-wide location-path ids, cached in
 * the block's reader cache; a merge adds numbers per path id into a
 * struct block_acc and block_locs_render() builds the profile once. The
 * registry and path tree grow by one entry per distinct location and
 * location path merged to pprof, and are replaced and pinned by
 * generation exactly as struct block_paths is (above). Addresses are
 * rebased to the first mapping the registry saw with that identity, as
 * pprof's merge does. */
struct block_locs;

struct block_locs *block_locs_new(void);
struct block_locs *block_locs_ref(struct block_locs *l);
void block_locs_unref(struct block_locs *l);
/* Location paths (with the root) in l; *locations, if given, gets the
 * number of registry locations. */
size_t block_locs_size(struct block_locs *l, size_t *locations);
/* Location paths of l that the maps of blocks v[0..n) use (as
 * block_paths_live). */
size_t block_locs_live(struct block_locs *l, struct block *const *v, size_t n);
/* After a registry was replaced: maps into p and l (either may be NULL)
 * the nodes that b had mapped into an older one, so that the next query
 * does not pay for it. Blocks never merged stay unmapped. */
void block_rebind(struct block *b, struct block_paths *p, struct block_locs *l);
/* Adds the merged stacks of the series in [from, until) to acc by path id,
 * and into hdr's header: time_nanos (earliest profile), duration_nanos
 * (their sum), period (the largest a selected series had in the block). */
int block_reader_pprof(struct block_reader *r, struct block_locs *l, const uint32_t *ids,
		       size_t n, int64_t from, int64_t until, struct block_acc *acc,
		       struct pprof_profile *hdr, struct err *e);
/* Adds one sample per path with a value in acc to out (locations leaf
 * first, with their mappings, functions and strings copied into out). */
void block_locs_render(struct block_locs *l, const struct block_acc *acc,
		       struct pprof_profile *out);
/* Adds per-step totals of series ids[i] into sums[i * nsteps + k]. */
int block_reader_range(struct block_reader *r, const uint32_t *ids, size_t n,
		       int64_t from, int64_t until, int64_t step, int64_t *sums,
		       size_t nsteps, struct err *e);
/* Visits each stored profile (raw rows, never roll-ups) of series ids[]
 * in [from, until), series by series, in time order. cb gets the series
 * id, the timestamp and the profile's (node, value) pairs, with nodes in
 * paths: a stacktree of the caller's, grown with one node per frame-name
 * path (values are not added to it). A node may repeat within one call.
 * A nonzero return from cb stops the walk with -ECANCELED. */
typedef int (*block_profile_cb)(void *ctx, uint32_t series, int64_t ts, const uint32_t *nodes,
				const int64_t *values, size_t n);
int block_reader_profiles(struct block_reader *r, const uint32_t *ids, size_t n, int64_t from,
			  int64_t until, struct stacktree *paths, block_profile_cb cb, void *ctx,
			  struct err *e);
/* Number of profile rows (for stats). */
int block_reader_count(struct block_reader *r, uint64_t *series, uint64_t *profiles,
		       int64_t *min_ts, int64_t *max_ts, struct err *e);

#endif
