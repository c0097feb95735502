/* One block file: schema, writer, sealing, reader. See block.h. */
#include "block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/sat.h"
#include "../base/h128map.h"
#include "../base/intern.h"
#include "../base/u64map.h"
#include "../base/xalloc.h"
#include "../pprof/merge.h"
#include "../pprof/pbwire.h"
#include "blob.h"

#define BLOCK_APP_ID 0x53594b31 /* "SYK1" */
#define BLOCK_FORMAT 1

/* The largest pprof period each series had in the block (added after
 * format 1's first blocks: a writer creates it in older files, readers
 * treat its absence as period 0). */
#define PERIODS_TABLE "CREATE TABLE IF NOT EXISTS periods(series INTEGER PRIMARY KEY," \
	" period INTEGER NOT NULL);"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS strings(id INTEGER PRIMARY KEY, s BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS mappings(id INTEGER PRIMARY KEY, start INTEGER,"
	" lim INTEGER, off INTEGER, file INTEGER, build_id INTEGER);"
	"CREATE TABLE IF NOT EXISTS functions(id INTEGER PRIMARY KEY, name INTEGER,"
	" system_name INTEGER, file INTEGER, start_line INTEGER);"
	"CREATE TABLE IF NOT EXISTS locations(id INTEGER PRIMARY KEY, mapping INTEGER,"
	" address INTEGER, lines BLOB, frames BLOB, function INTEGER);"
	"CREATE TABLE IF NOT EXISTS stack_chunks(first INTEGER PRIMARY KEY, n INTEGER NOT NULL,"
	" blob BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, profile_type TEXT NOT NULL,"
	" labels TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS series_labels(name TEXT, value TEXT, series INTEGER,"
	" PRIMARY KEY(name, value, series)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS profiles(series INTEGER, ts INTEGER, duration INTEGER,"
	" total INTEGER, blob BLOB, PRIMARY KEY(series, ts)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS rollups(series INTEGER, span INTEGER, ts INTEGER,"
	" total INTEGER, n INTEGER, blob BLOB, PRIMARY KEY(series, span, ts)) WITHOUT ROWID;"
	PERIODS_TABLE;

/* The writer's view: what is in the file, keyed for dedup. Index k of each
 * intern table is row id k + 1. */
struct wcache {
	int loaded;
	struct intern *strs, *funcs, *maps, *locs, *series;
	struct u64map nodes;      /* parent << 32 | location -> node id */
	uint32_t nnodes;          /* node ids used so far (root is 0) */
	/* Fast paths, memory only: pprof location content -> location id,
	 * and a whole stack of location ids -> its leaf node. They spare
	 * the per-string and per-frame lookups when a program's profiles
	 * repeat, which continuous profiling is all about. Keys are 128-bit
	 * XXH3 hashes of the content (a collision needs ~2^64 keys; the
	 * slow path, used on a miss, compares everything). Capped; dropped
	 * with the rest of the cache. */
	struct h128map loc_content, stack_keys;
	struct blob_ctx bc;       /* zstd contexts for the writer */
	uint32_t pend_first;      /* first node id not yet in a chunk */
	uint64_t *pend;           /* (id - parent, location) per pending node */
	size_t npend, cap_pend;
	int64_t *map_start;       /* per mapping id - 1 */
	size_t cap_map_start;
	sqlite3_stmt *ins_str, *ins_map, *ins_func, *ins_loc, *ins_stack,
		*ins_series, *ins_label, *ins_profile;
	sqlite3_stmt *ins_period;
	int64_t *period;          /* per series id - 1: largest period written */
	size_t cap_period;
};

/* A block's node -> store-wide id map for one registry generation (see
 * block.h): path[node] is the node's path id in that registry, sym[k] the
 * registry id + 1 of the block's symbol k (frame name by string id, or
 * location by location id; 0 = not mapped yet). */
struct idmap {
	uint64_t gen;                 /* the registry's generation; 0 = none */
	uint32_t *path;
	uint32_t n;                   /* nodes 0..n-1 mapped */
	size_t cap;
	uint32_t *sym;
	size_t cap_sym;
};

/* The readers' view: the stack tree and frame names, grown on demand. */
struct rcache {
	pthread_mutex_t mu;
	uint32_t nnodes;              /* ids 0..nnodes-1 known */
	uint32_t *parent, *loc;
	size_t cap_nodes;
	uint32_t nlocs;               /* location ids 1..nlocs known */
	uint32_t *frame_off;          /* per location id: range in frames[] */
	uint32_t *frames;             /* string ids, root first */
	size_t nframes, cap_frames, cap_locs;
	uint32_t nstrs;               /* string ids 1..nstrs known */
	struct pprof_str *strs;
	size_t cap_strs;
	struct intern *str_bytes;     /* owns the bytes strs[] point into */
	struct idmap pm;              /* frame paths (struct block_paths) */
	struct sview *sv;             /* series with labels, by id - 1 */
	size_t nsv, cap_sv;
	struct intern *sv_strs;       /* owns the series strings */
	struct pprof_profile *syms;   /* the block's symbols, for pprof output */
	struct idmap lm;              /* location paths (struct block_locs) */
};

struct block {
	char *path;
	int64_t start, end;
	int sealed;
	sqlite3 *db;                  /* writer connection, opened on demand */
	struct wcache w;
	struct rcache r;
};

struct block_reader {
	struct block *b;
	sqlite3 *db;
	struct blob_ctx bc;
	int sealed;                   /* as of the current read (reader_sealed) */
};

/* ---- helpers ------------------------------------------------------------ */

static int sql_err(struct err *e, sqlite3 *db, int rc, const char *what)
{
	int code = rc == SQLITE_FULL ? -ENOSPC : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB
		? -EUCLEAN : rc == SQLITE_BUSY ? -EBUSY : -EIO;

	return err_set(e, code, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* The end of a loop of sqlite3_step(): SQLITE_DONE is success, another
 * SQLite code an error named `what`, a negative errno (the loop's own
 * failure) passes through. */
static int rows_done(struct err *e, sqlite3 *db, int rc, const char *what)
{
	if (rc == SQLITE_DONE)
		return 0;
	return rc > 0 ? sql_err(e, db, rc, what) : rc;
}

static int exec(sqlite3 *db, const char *sql, struct err *e)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	char what[96];

	if (rc == SQLITE_OK)
		return 0;
	/* Long SQL (the schema) would push SQLite's reason out of e->msg. */
	snprintf(what, sizeof(what), "%.80s%s", sql, strlen(sql) > 80 ? "..." : "");
	return sql_err(e, db, rc, what);
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);

	return rc == SQLITE_OK ? 0 : sql_err(e, db, rc, sql);
}

/* Steps a write statement that returns no rows, then resets it. */
static int step_done(sqlite3 *db, sqlite3_stmt *st, struct err *e, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sql_err(e, db, rc, what);
}

static int64_t meta_int(sqlite3 *db, const char *key, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key=?", -1, &st, NULL))
		return dflt;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int open_db(const char *path, int flags, sqlite3 **db, struct err *e)
{
	int rc = sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		rc = sql_err(e, *db, rc, path);
		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(*db, 10000);
	return 0;
}

/* ---- open and create ---------------------------------------------------- */

static struct block *block_alloc(const char *path)
{
	struct block *b = xcalloc(1, sizeof(*b));

	b->path = xstrdup(path);
	pthread_mutex_init(&b->r.mu, NULL);
	return b;
}

/* The writer connection: WAL so readers never block it, synchronous=FULL
 * so a commit is on disk before it returns. Profiles are clustered by
 * series, so a commit dirties about one page per series it touches; with
 * SQLite's default checkpoint every 1,000 WAL pages nearly every commit
 * also copied its pages back into the file (and fsynced it). Checkpointing
 * every 8,192 pages (a 32 MB WAL) copies a page once for many commits:
 * bench_store's ingest went from 556,000 to 730,000 samples/s. */
static int writer_open(struct block *b, struct err *e)
{
	int rc;

	if (b->db)
		return 0;
	rc = open_db(b->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &b->db, e);
	if (!rc)
		rc = exec(b->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			  " PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=8192;", e);
	return rc;
}

/* A new block is built under "<path>.tmp" in one transaction and renamed
 * into place (then the directory is fsynced), so a crash while creating it
 * leaves either nothing or a complete, empty block: never a half-made file
 * that the next start would have to call corrupt. */
static int build_tmp(const char *tmp, int64_t start, int64_t end, struct err *e)
{
	sqlite3 *db = NULL;
	char sql[512];
	int rc;

	unlink(tmp);
	rc = open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, e);
	rc = rc ? rc : exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; BEGIN", e);
	rc = rc ? rc : exec(db, schema, e);
	if (!rc) {
		snprintf(sql, sizeof(sql),
			 "PRAGMA application_id=%d; PRAGMA user_version=%d;"
			 "INSERT INTO meta VALUES('start', %" PRId64 "), ('end', %" PRId64 "),"
			 " ('sealed', 0), ('format', %d); COMMIT;"
			 "PRAGMA wal_checkpoint(TRUNCATE);",
			 BLOCK_APP_ID, BLOCK_FORMAT, start, end, BLOCK_FORMAT);
		rc = exec(db, sql, e);
	}
	if (sqlite3_close(db) != SQLITE_OK && !rc)
		rc = err_set(e, -EIO, "%s: close failed", tmp);
	return rc;
}

static void fsync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int block_create(const char *path, int64_t start, int64_t end, struct block **out,
		 struct err *e)
{
	struct block *b = block_alloc(path);
	char tmp[4096];
	int rc;

	*out = NULL;
	b->start = start;
	b->end = end;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rc = build_tmp(tmp, start, end, e);
	if (!rc && rename(tmp, path) < 0)
		rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (!rc)
		fsync_parent(path);
	rc = rc ? rc : writer_open(b, e);
	if (rc) {
		unlink(tmp);
		block_close(b);
		return rc;
	}
	*out = b;
	return 0;
}

int block_open(const char *path, struct block **out, struct err *e)
{
	struct block *b = block_alloc(path);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, app = 0;

	*out = NULL;
	rc = open_db(path, SQLITE_OPEN_READONLY, &db, e);
	if (!rc && sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		app = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!rc && app != BLOCK_APP_ID)
		rc = err_set(e, -EUCLEAN, "%s: not a stackyard block (application_id %d)", path, app);
	if (!rc) {
		b->start = meta_int(db, "start", INT64_MIN);
		b->end = meta_int(db, "end", INT64_MIN);
		b->sealed = (int)meta_int(db, "sealed", 0);
		if (b->start == INT64_MIN || b->end <= b->start)
			rc = err_set(e, -EUCLEAN, "%s: block header is missing or damaged", path);
	}
	sqlite3_close(db);
	if (rc) {
		block_close(b);
		return rc;
	}
	*out = b;
	return 0;
}

static void wcache_release(struct wcache *w)
{
	sqlite3_finalize(w->ins_str);
	sqlite3_finalize(w->ins_map);
	sqlite3_finalize(w->ins_func);
	sqlite3_finalize(w->ins_loc);
	sqlite3_finalize(w->ins_stack);
	sqlite3_finalize(w->ins_series);
	sqlite3_finalize(w->ins_label);
	sqlite3_finalize(w->ins_profile);
	sqlite3_finalize(w->ins_period);
	free(w->period);
	intern_free(w->strs);
	intern_free(w->funcs);
	intern_free(w->maps);
	intern_free(w->locs);
	intern_free(w->series);
	h128map_release(&w->loc_content);
	h128map_release(&w->stack_keys);
	if (w->loaded)
		u64map_release(&w->nodes);
	free(w->map_start);
	free(w->pend);
	blob_ctx_release(&w->bc);
	memset(w, 0, sizeof(*w));
}

static void idmap_release(struct idmap *m)
{
	free(m->path);
	free(m->sym);
	memset(m, 0, sizeof(*m));
}

/* Room for nodes 0..nn-1 and symbols 0..nsym-1 (new symbols unmapped). */
static void idmap_grow(struct idmap *m, size_t nn, size_t nsym)
{
	size_t old = m->cap_sym;

	XGROW(m->path, m->cap, nn);
	if (old < nsym) {
		XGROW(m->sym, m->cap_sym, nsym);
		memset(m->sym + old, 0, (m->cap_sym - old) * sizeof(*m->sym));
	}
}

/* The map a merge against a registry of generation gen fills and reads
 * (the block's cache mutex held). The block caches one generation, the
 * newest it has met: a newer registry resets the cached map (it is rebuilt
 * from the root); a query that pinned an older registry before a rebuild
 * gets tmp, a map of its own for this call, and leaves the cache alone. */
static struct idmap *idmap_pick(struct idmap *cached, struct idmap *tmp, uint64_t gen)
{
	if (cached->gen > gen) {
		tmp->gen = gen;
		return tmp;
	}
	if (cached->gen < gen) {
		cached->gen = gen;
		cached->n = 0;
		if (cached->sym)
			memset(cached->sym, 0, cached->cap_sym * sizeof(*cached->sym));
	}
	return cached;
}

struct sview {
	uint32_t id;
	const char *type;
	struct label *l;
	size_t n, cap;
};

static void rcache_release(struct rcache *r)
{
	size_t i;

	for (i = 0; i < r->nsv; i++)
		free(r->sv[i].l);
	free(r->sv);
	intern_free(r->sv_strs);
	idmap_release(&r->pm);
	idmap_release(&r->lm);
	free(r->parent);
	free(r->loc);
	free(r->frame_off);
	free(r->frames);
	free(r->strs);
	intern_free(r->str_bytes);
	pprof_free(r->syms);
	pthread_mutex_destroy(&r->mu);
}

void block_close(struct block *b)
{
	if (!b)
		return;
	wcache_release(&b->w);
	sqlite3_close(b->db);
	rcache_release(&b->r);
	free(b->path);
	free(b);
}

int64_t block_start(const struct block *b) { return b->start; }
int64_t block_end(const struct block *b) { return b->end; }
const char *block_path(const struct block *b) { return b->path; }

/* Readers load the flag that block_seal() stores after its commit. */
int block_sealed(const struct block *b)
{
	return __atomic_load_n(&b->sealed, __ATOMIC_ACQUIRE);
}

/* Whether the reader's next read may use roll-ups. Taken before the read
 * starts its snapshot: sealing sets the flag after its commit, so a 1 here
 * means the snapshot has the roll-ups; a 0 reads raw profiles, which a
 * sealed block keeps too. (Read later, the flag could name roll-ups that
 * the snapshot predates.) */
static void reader_sealed(struct block_reader *r)
{
	r->sealed = block_sealed(r->b);
}

uint64_t block_file_bytes(const struct block *b)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	uint64_t total = 0;
	struct stat st;
	char p[4096];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", b->path, sfx[i]);
		if (!stat(p, &st))
			total += (uint64_t)st.st_size;
	}
	return total;
}

/* ---- writer ------------------------------------------------------------- */

/* Rows come back in id order and ids must be exactly 1..n: a gap means the
 * file is not what this writer would have written. */
static int load_rows(struct block *b, const char *sql, struct intern *in,
		     void (*key)(struct block *, sqlite3_stmt *, struct buf *),
		     struct err *e)
{
	struct buf k = BUF_INIT;
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(b->db, sql, &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		buf_reset(&k);
		key(b, st, &k);
		if (id != (int64_t)intern_count(in) + 1) {
			rc = err_set(e, -EUCLEAN, "%s: ids not dense in '%s'", b->path, sql);
			goto out;
		}
		intern_put(in, k.data, k.len, NULL);
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(e, b->db, rc, sql);
out:
	sqlite3_finalize(st);
	buf_release(&k);
	return rc;
}

static void key_blob(struct block *b, sqlite3_stmt *st, struct buf *k)
{
	(void)b;
	buf_append(k, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
}

static void key_u32(struct buf *k, uint32_t v) { buf_append(k, &v, 4); }
static void key_u64(struct buf *k, uint64_t v) { buf_append(k, &v, 8); }

/* pprof's mapping identity: size rounded up to 4 KiB, offset, build id or
 * file (here a string id, 0 for neither). */
static void mapping_key(struct buf *k, uint64_t start, uint64_t lim, uint64_t off,
			uint32_t who)
{
	key_u64(k, (lim - start + 0xfff) & ~(uint64_t)0xfff);
	key_u64(k, off);
	key_u32(k, who);
}

/* Whether block string id `id` (loaded already) is a non-empty string. */
static int str_nonempty(struct block *b, uint32_t id)
{
	size_t len = 0;

	if (id < 1 || id > intern_count(b->w.strs))
		return 0;
	intern_key(b->w.strs, id - 1, &len);
	return len > 0;
}

static void key_mapping(struct block *b, sqlite3_stmt *st, struct buf *k)
{
	uint32_t id = (uint32_t)sqlite3_column_int64(st, 0);
	uint32_t file = (uint32_t)sqlite3_column_int64(st, 4);
	uint32_t build = (uint32_t)sqlite3_column_int64(st, 5);

	XGROW(b->w.map_start, b->w.cap_map_start, id);
	b->w.map_start[id - 1] = sqlite3_column_int64(st, 1);
	/* The same identity map_mapping() used: an empty string (what an
	 * absent build id or file name is stored as) does not count. */
	mapping_key(k, (uint64_t)sqlite3_column_int64(st, 1), (uint64_t)sqlite3_column_int64(st, 2),
		    (uint64_t)sqlite3_column_int64(st, 3),
		    str_nonempty(b, build) ? build : str_nonempty(b, file) ? file : 0);
}

static void function_key(struct buf *k, uint32_t name, uint32_t sys, uint32_t file,
			 int64_t start_line)
{
	key_u32(k, name);
	key_u32(k, sys);
	key_u32(k, file);
	key_u64(k, (uint64_t)start_line);
}

static void key_function(struct block *b, sqlite3_stmt *st, struct buf *k)
{
	(void)b;
	function_key(k, (uint32_t)sqlite3_column_int64(st, 1), (uint32_t)sqlite3_column_int64(st, 2),
		     (uint32_t)sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
}

/* Location identity: mapping, address relative to the mapping start (ASLR),
 * and the lines. */
static void location_key(struct block *b, struct buf *k, uint32_t mapping, uint64_t addr,
			 const void *lines, size_t nlines)
{
	if (mapping)
		addr -= (uint64_t)b->w.map_start[mapping - 1];
	key_u32(k, mapping);
	key_u64(k, addr);
	buf_append(k, lines, nlines);
}

static void key_location(struct block *b, sqlite3_stmt *st, struct buf *k)
{
	location_key(b, k, (uint32_t)sqlite3_column_int64(st, 1),
		     (uint64_t)sqlite3_column_int64(st, 2), sqlite3_column_blob(st, 3),
		     (size_t)sqlite3_column_bytes(st, 3));
}

static void key_series(struct block *b, sqlite3_stmt *st, struct buf *k)
{
	(void)b;
	buf_append(k, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
}

/* The stack tree is stored as chunks, one per transaction that created
 * nodes: blob_pack of (id - parent, location) per node, ids first..first+n-1. */
static int chunk_decode(const uint8_t *bl, size_t len, int64_t first, int64_t n,
			void (*fn)(void *ctx, uint32_t id, uint32_t parent, uint32_t loc),
			void *ctx, struct blob_ctx *bc, struct err *e)
{
	uint64_t *v;
	size_t nv, i;
	int rc;

	if (n < 0 || n > UINT32_MAX / 2 || first < 1 || first > UINT32_MAX - n)
		return err_set(e, -EUCLEAN, "stack chunk at %" PRId64 " has a bad header", first);
	if ((rc = blob_unpack(bc, bl, len, (size_t)n * 2, &v, &nv, e)) < 0)
		return rc;
	if (nv != (size_t)n * 2) {
		free(v);
		return err_set(e, -EUCLEAN, "stack chunk at %" PRId64 ": %zu values for %" PRId64 " nodes",
			       first, nv, n);
	}
	for (i = 0; i < (size_t)n; i++) {
		uint64_t id = (uint64_t)first + i;
		if (v[2 * i] < 1 || v[2 * i] > id || v[2 * i + 1] < 1 || v[2 * i + 1] > UINT32_MAX) {
			free(v);
			return err_set(e, -EUCLEAN, "stack node %llu is damaged", (unsigned long long)id);
		}
		fn(ctx, (uint32_t)id, (uint32_t)(id - v[2 * i]), (uint32_t)v[2 * i + 1]);
	}
	free(v);
	return 0;
}

/* Calls fn for every chunk with first >= from, in id order, checking that
 * ids continue exactly where the previous chunk (or `from`) ended. */
static int each_chunk(sqlite3 *db, const char *path, uint32_t from,
		      void (*fn)(void *ctx, uint32_t id, uint32_t parent, uint32_t loc),
		      void *ctx, uint32_t *next, struct err *e)
{
	struct blob_ctx bc = {0};
	sqlite3_stmt *st;
	int rc;

	*next = from;
	if ((rc = prepare(db, "SELECT first, n, blob FROM stack_chunks WHERE first >= ? ORDER BY first",
			  &st, e)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
		if (first != *next) {
			rc = err_set(e, -EUCLEAN, "%s: stack chunks not contiguous at %" PRId64, path, first);
			goto out;
		}
		rc = chunk_decode(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
				  first, n, fn, ctx, &bc, e);
		if (rc < 0)
			goto out;
		*next = (uint32_t)(first + n);
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(e, db, rc, "stack_chunks");
out:
	sqlite3_finalize(st);
	blob_ctx_release(&bc);
	return rc;
}

static void wnode(void *ctx, uint32_t id, uint32_t parent, uint32_t loc)
{
	struct wcache *w = ctx;

	u64map_put(&w->nodes, (uint64_t)parent << 32 | loc, id);
}

static int load_nodes(struct block *b, struct err *e)
{
	int rc;

	u64map_init(&b->w.nodes, 1024);
	rc = each_chunk(b->db, b->path, 1, wnode, &b->w, &b->w.nnodes, e);
	b->w.pend_first = b->w.nnodes;
	return rc;
}

static int prepare_inserts(struct block *b, struct err *e)
{
	struct wcache *w = &b->w;
	int rc = 0;

	rc = rc ? rc : prepare(b->db, "INSERT INTO strings(id, s) VALUES(?,?)", &w->ins_str, e);
	rc = rc ? rc : prepare(b->db, "INSERT INTO mappings VALUES(?,?,?,?,?,?)", &w->ins_map, e);
	rc = rc ? rc : prepare(b->db, "INSERT INTO functions VALUES(?,?,?,?,?)", &w->ins_func, e);
	rc = rc ? rc : prepare(b->db, "INSERT INTO locations VALUES(?,?,?,?,?,?)", &w->ins_loc, e);
	rc = rc ? rc : prepare(b->db, "INSERT INTO stack_chunks VALUES(?,?,?)", &w->ins_stack, e);
	rc = rc ? rc : prepare(b->db, "INSERT INTO series VALUES(?,?,?)", &w->ins_series, e);
	rc = rc ? rc : prepare(b->db, "INSERT INTO series_labels VALUES(?,?,?)", &w->ins_label, e);
	rc = rc ? rc : prepare(b->db, "INSERT OR IGNORE INTO profiles VALUES(?,?,?,?,?)",
			       &w->ins_profile, e);
	return rc;
}

static int periods_prepare(struct block *b, struct err *e)
{
	int rc = exec(b->db, PERIODS_TABLE, e);

	return rc ? rc : prepare(b->db, "INSERT INTO periods VALUES(?,?) ON CONFLICT(series)"
				 " DO UPDATE SET period=max(period, excluded.period)",
				 &b->w.ins_period, e);
}

static int wcache_load(struct block *b, struct err *e)
{
	struct wcache *w = &b->w;
	int rc;

	if (w->loaded)
		return 0;
	w->strs = intern_new(4096);
	w->funcs = intern_new(1024);
	w->maps = intern_new(16);
	w->locs = intern_new(4096);
	w->series = intern_new(64);
	h128map_init(&w->loc_content, 4096);
	h128map_init(&w->stack_keys, 4096);
	w->loaded = 1;
	rc = load_rows(b, "SELECT id, s FROM strings ORDER BY id", w->strs, key_blob, e);
	rc = rc ? rc : load_rows(b, "SELECT * FROM mappings ORDER BY id", w->maps, key_mapping, e);
	rc = rc ? rc : load_rows(b, "SELECT * FROM functions ORDER BY id", w->funcs, key_function, e);
	rc = rc ? rc : load_rows(b, "SELECT * FROM locations ORDER BY id", w->locs, key_location, e);
	rc = rc ? rc : load_rows(b, "SELECT id, labels FROM series ORDER BY id", w->series, key_series, e);
	rc = rc ? rc : load_nodes(b, e);
	rc = rc ? rc : prepare_inserts(b, e);
	rc = rc ? rc : periods_prepare(b, e);
	if (rc)
		wcache_release(w);
	return rc;
}

/* Per-profile memo: pprof index -> block id (0 = not yet mapped). */
struct put {
	struct block *b;
	const struct pprof_profile *p;
	const struct prep *pr;
	uint32_t *str, *map, *fn, *loc, *leaf;
	struct buf key, tmp, frames;
	struct blob_pair *pairs;
	size_t cap_pairs;
	struct err *e;
};

static int put_string(struct put *c, const char *s, size_t len, uint32_t *id)
{
	struct wcache *w = &c->b->w;
	int is_new;
	uint32_t k = intern_put(w->strs, s, len, &is_new);

	*id = k + 1;
	if (!is_new)
		return 0;
	sqlite3_bind_int64(w->ins_str, 1, *id);
	sqlite3_bind_blob(w->ins_str, 2, len ? s : "", (int)len, SQLITE_STATIC);
	return step_done(c->b->db, w->ins_str, c->e, "insert string");
}

static int map_str(struct put *c, uint32_t i, uint32_t *id)
{
	int rc = 0;

	if (!c->str[i])
		rc = put_string(c, c->p->str[i].ptr, c->p->str[i].len, &c->str[i]);
	*id = c->str[i];
	return rc;
}

/* Writes a row whose values are all integers; NULL ends the list. */
static int put_row(struct put *c, sqlite3_stmt *st, const int64_t *v, size_t n,
		   const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		sqlite3_bind_int64(st, (int)i + 1, v[i]);
	return step_done(c->b->db, st, c->e, what);
}

static int map_mapping(struct put *c, uint32_t mi, uint32_t *id)
{
	const struct pprof_mapping *m = &c->p->mapping[mi];
	struct wcache *w = &c->b->w;
	uint32_t file, build, k;
	int is_new, rc;

	if (c->map[mi]) {
		*id = c->map[mi];
		return 0;
	}
	if ((rc = map_str(c, m->filename, &file)) < 0 || (rc = map_str(c, m->build_id, &build)) < 0)
		return rc;
	buf_reset(&c->key);
	mapping_key(&c->key, m->start, m->limit, m->offset,
		    c->p->str[m->build_id].len ? build : c->p->str[m->filename].len ? file : 0);
	k = intern_put(w->maps, c->key.data, c->key.len, &is_new);
	*id = c->map[mi] = k + 1;
	if (!is_new)
		return 0;
	XGROW(w->map_start, w->cap_map_start, (size_t)k + 1);
	w->map_start[k] = (int64_t)m->start;
	{
		int64_t v[6] = {k + 1, (int64_t)m->start, (int64_t)m->limit, (int64_t)m->offset,
				file, build};
		return put_row(c, w->ins_map, v, 6, "insert mapping");
	}
}

static int map_function(struct put *c, uint32_t fi, uint32_t *id)
{
	const struct pprof_function *f = &c->p->function[fi];
	struct wcache *w = &c->b->w;
	uint32_t name, sys, file, k;
	int is_new, rc;

	if (c->fn[fi]) {
		*id = c->fn[fi];
		return 0;
	}
	if ((rc = map_str(c, f->name, &name)) < 0 || (rc = map_str(c, f->system_name, &sys)) < 0 ||
	    (rc = map_str(c, f->filename, &file)) < 0)
		return rc;
	buf_reset(&c->key);
	function_key(&c->key, name, sys, file, f->start_line);
	k = intern_put(w->funcs, c->key.data, c->key.len, &is_new);
	*id = c->fn[fi] = k + 1;
	if (!is_new)
		return 0;
	{
		int64_t v[5] = {k + 1, name, sys, file, f->start_line};
		return put_row(c, w->ins_func, v, 5, "insert function");
	}
}

/* The names a location shows in a flame graph, root first, as string ids
 * in c->frames; and its lines as (function id, line) varints in c->tmp. */
static int location_parts(struct put *c, uint32_t li)
{
	const struct pprof_location *l = &c->p->location[li];
	struct buf name = BUF_INIT;
	uint32_t k, n = l->nline ? l->nline : 1, id;
	int rc = 0;

	buf_reset(&c->tmp);
	buf_reset(&c->frames);
	for (k = 0; k < l->nline && !rc; k++) {
		const struct pprof_line *ln = &c->p->line[l->line_off + k];
		rc = map_function(c, ln->function, &id);
		pb_put_varint(&c->tmp, id);
		pb_put_varint(&c->tmp, (uint64_t)ln->line);
	}
	for (k = n; k-- > 0 && !rc;) {
		buf_reset(&name);
		pprof_frame_name(c->p, li, k, &name);
		rc = put_string(c, (const char *)name.data, name.len, &id);
		pb_put_varint(&c->frames, id);
	}
	buf_release(&name);
	return rc;
}

#define WCACHE_FAST_BYTES (64u << 20) /* per fast-path table */

/* Fast-path tables stop growing at their cap (the slow path still works). */
static void fast_put(struct h128map *m, struct h128 key, uint32_t val)
{
	if (h128map_bytes(m) <= WCACHE_FAST_BYTES)
		h128map_put(m, key, val);
}

static int map_location_slow(struct put *c, uint32_t li, uint32_t *id);

static int map_location(struct put *c, uint32_t li, uint32_t *id)
{
	struct wcache *w = &c->b->w;
	struct h128 key;
	uint32_t k;
	int rc;

	if (c->loc[li]) {
		*id = c->loc[li];
		return 0;
	}
	key = c->pr->loc[li];
	k = h128map_get(&w->loc_content, key);
	if (k != H128MAP_NONE) {
		*id = c->loc[li] = k;
		return 0;
	}
	if ((rc = map_location_slow(c, li, id)) < 0)
		return rc;
	fast_put(&w->loc_content, key, *id);
	return 0;
}

static int map_location_slow(struct put *c, uint32_t li, uint32_t *id)
{
	const struct pprof_location *l = &c->p->location[li];
	struct wcache *w = &c->b->w;
	uint64_t addr = l->address;
	uint32_t mapping = 0, k;
	int is_new, rc;

	if (l->mapping && (rc = map_mapping(c, l->mapping - 1, &mapping)) < 0)
		return rc;
	if ((rc = location_parts(c, li)) < 0)
		return rc;
	/* Rebased to the block's mapping, as pprof's merge does, so that the
	 * row's address minus its mapping's start is this profile's offset
	 * into the binary whatever base the process had. */
	if (mapping)
		addr = addr - c->p->mapping[l->mapping - 1].start +
		       (uint64_t)w->map_start[mapping - 1];
	buf_reset(&c->key);
	location_key(c->b, &c->key, mapping, addr, c->tmp.data, c->tmp.len);
	k = intern_put(w->locs, c->key.data, c->key.len, &is_new);
	*id = c->loc[li] = k + 1;
	if (!is_new)
		return 0;
	sqlite3_bind_int64(w->ins_loc, 1, k + 1);
	sqlite3_bind_int64(w->ins_loc, 2, mapping);
	sqlite3_bind_int64(w->ins_loc, 3, (int64_t)addr);
	sqlite3_bind_blob(w->ins_loc, 4, c->tmp.data ? (void *)c->tmp.data : "", (int)c->tmp.len,
			  SQLITE_STATIC);
	sqlite3_bind_blob(w->ins_loc, 5, c->frames.data ? (void *)c->frames.data : "",
			  (int)c->frames.len, SQLITE_STATIC);
	/* The innermost function as a plain integer, for reading by hand. */
	sqlite3_bind_int64(w->ins_loc, 6, l->nline ? c->fn[c->p->line[l->line_off].function] : 0);
	return step_done(c->b->db, w->ins_loc, c->e, "insert location");
}

static int node_child(struct put *c, uint32_t parent, uint32_t loc, uint32_t *id)
{
	struct wcache *w = &c->b->w;
	uint64_t key = (uint64_t)parent << 32 | loc;
	uint32_t n = u64map_get(&w->nodes, key);

	if (n != U64MAP_NONE) {
		*id = n;
		return 0;
	}
	if (w->nnodes == UINT32_MAX)
		return err_set(c->e, -E2BIG, "%s: stack tree is full", c->b->path);
	*id = w->nnodes++;
	u64map_put(&w->nodes, key, *id);
	/* Written as one chunk at commit (block_commit). */
	XGROW(w->pend, w->cap_pend, w->npend + 2);
	w->pend[w->npend++] = *id - parent;
	w->pend[w->npend++] = loc;
	return 0;
}

/* qsort_r is a GNU extension with argument orders that differ between
 * libcs; a thread-local pointer is portable and block_put is never
 * re-entered on one thread. */
static __thread const struct pprof_profile *order_p;

static int root_first_cmp(const void *a, const void *b)
{
	const struct pprof_profile *p = order_p;
	const struct pprof_sample *x = &p->sample[*(const uint32_t *)a];
	const struct pprof_sample *y = &p->sample[*(const uint32_t *)b];
	uint32_t i, n = x->nloc < y->nloc ? x->nloc : y->nloc;

	for (i = 0; i < n; i++) {
		uint32_t lx = p->sample_loc[x->loc_off + x->nloc - 1 - i];
		uint32_t ly = p->sample_loc[y->loc_off + y->nloc - 1 - i];
		if (lx != ly)
			return lx < ly ? -1 : 1;
	}
	return x->nloc < y->nloc ? -1 : x->nloc > y->nloc;
}

/* Walks the stacks of samples order[0..n) down the tree, adding the nodes
 * and locations it lacks. order[] is root-first lexicographic by location
 * list, so each sample shares its longest possible prefix with the
 * previous one and only the differing suffix needs lookups. */
static int walk_stacks(struct put *c, const uint32_t *order, size_t n)
{
	const struct pprof_profile *p = c->p;
	uint32_t *path = NULL, *nodes = NULL, k, loc;
	size_t cap_path = 0, cap_nodes = 0, depth = 0, i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		const struct pprof_sample *s = &p->sample[order[i]];
		const uint32_t *ids = p->sample_loc + s->loc_off;
		size_t same = 0;

		XGROW(path, cap_path, (size_t)s->nloc + 1);
		XGROW(nodes, cap_nodes, (size_t)s->nloc + 1);
		/* path[] holds the previous sample's pprof locations, root
		 * first, and nodes[] their tree nodes. */
		while (same < depth && same < s->nloc && path[same] == ids[s->nloc - 1 - same])
			same++;
		for (k = (uint32_t)same; k < s->nloc && !rc; k++) {
			path[k] = ids[s->nloc - 1 - k];
			rc = map_location(c, path[k], &loc);
			rc = rc ? rc : node_child(c, k ? nodes[k - 1] : 0, loc, &nodes[k]);
		}
		if (rc)
			break;
		depth = s->nloc;
		c->leaf[order[i]] = nodes[s->nloc - 1];
		fast_put(&c->b->w.stack_keys, c->pr->stack[order[i]], c->leaf[order[i]]);
	}
	free(path);
	free(nodes);
	return rc;
}

/* Leaf stack nodes of every sample of the profile, into c->leaf: one map
 * lookup for a stack the block has seen, a walk for the rest. */
static int sample_leaves(struct put *c)
{
	const struct pprof_profile *p = c->p;
	struct wcache *w = &c->b->w;
	uint32_t *order = xmalloc((p->nsample + 1) * sizeof(*order));
	size_t nmiss = 0, i;
	int rc;

	for (i = 0; i < p->nsample; i++) {
		uint32_t id = 0;
		if (p->sample[i].nloc)
			id = h128map_get(&w->stack_keys, c->pr->stack[i]);
		if (id == H128MAP_NONE)
			order[nmiss++] = (uint32_t)i;
		else
			c->leaf[i] = id;
	}
	order_p = p;
	qsort(order, nmiss, sizeof(*order), root_first_cmp);
	rc = walk_stacks(c, order, nmiss);
	free(order);
	return rc;
}

static int series_id(struct put *c, const struct norm_series *ns, uint32_t *id)
{
	struct wcache *w = &c->b->w;
	uint32_t k;
	size_t i;
	int is_new, rc;

	buf_reset(&c->key);
	labels_format(ns->labels, ns->nlabels, &c->key);
	k = intern_put(w->series, c->key.data, c->key.len, &is_new);
	*id = k + 1;
	if (!is_new)
		return 0;
	sqlite3_bind_int64(w->ins_series, 1, *id);
	sqlite3_bind_text(w->ins_series, 2, ns->profile_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->ins_series, 3, (const char *)c->key.data, (int)c->key.len, SQLITE_STATIC);
	if ((rc = step_done(c->b->db, w->ins_series, c->e, "insert series")) < 0)
		return rc;
	for (i = 0; i < ns->nlabels; i++) {
		sqlite3_bind_text(w->ins_label, 1, ns->labels[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(w->ins_label, 2, ns->labels[i].value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w->ins_label, 3, *id);
		if ((rc = step_done(c->b->db, w->ins_label, c->e, "insert label")) < 0)
			return rc;
	}
	return 0;
}

/* Remembers the profile's period for the series when it is the largest
 * yet (memory spares the write when it is not). */
static int put_period(struct put *c, uint32_t sid)
{
	struct wcache *w = &c->b->w;
	size_t old = w->cap_period;

	XGROW(w->period, w->cap_period, (size_t)sid);
	memset(w->period + old, 0, (w->cap_period - old) * sizeof(*w->period));
	if (c->p->period <= w->period[sid - 1])
		return 0;
	w->period[sid - 1] = c->p->period;
	sqlite3_bind_int64(w->ins_period, 1, sid);
	sqlite3_bind_int64(w->ins_period, 2, c->p->period);
	return step_done(c->b->db, w->ins_period, c->e, "insert period");
}

static int put_series(struct put *c, const struct store_profile *sp,
		      const struct norm_series *ns)
{
	const struct pprof_profile *p = c->p;
	struct wcache *w = &c->b->w;
	struct buf blob = BUF_INIT;
	size_t i, n = ns->nsamples;
	int64_t total = 0;
	uint32_t sid;
	int rc;

	if ((rc = series_id(c, ns, &sid)) < 0 || (rc = put_period(c, sid)) < 0)
		return rc;
	XGROW(c->pairs, c->cap_pairs, n + 1);
	for (i = 0; i < n; i++) {
		uint32_t si = ns->samples[i];
		c->pairs[i].node = c->leaf[si];
		c->pairs[i].value = p->value[(size_t)si * p->nsample_type + (size_t)ns->value_index];
		total = sat_add(total, c->pairs[i].value);
	}
	blob_encode(&w->bc, c->pairs, &n, &blob);
	sqlite3_bind_int64(w->ins_profile, 1, sid);
	sqlite3_bind_int64(w->ins_profile, 2, sp->ts);
	sqlite3_bind_int64(w->ins_profile, 3, sp->duration);
	sqlite3_bind_int64(w->ins_profile, 4, total);
	sqlite3_bind_blob(w->ins_profile, 5, blob.data, (int)blob.len, SQLITE_STATIC);
	rc = step_done(c->b->db, w->ins_profile, c->e, "insert profile");
	buf_release(&blob);
	return rc;
}

int block_put(struct block *b, const struct store_profile *sp, const struct prep *pr,
	      struct err *e)
{
	const struct pprof_profile *p = sp->p;
	struct put c = {0};
	size_t i;
	int rc = 0;

	if (b->sealed)
		return err_set(e, -EROFS, "%s: block is sealed", b->path);
	c.b = b;
	c.p = p;
	c.pr = pr;
	c.e = e;
	c.str = xcalloc(p->nstr + 1, sizeof(uint32_t));
	c.map = xcalloc(p->nmapping + 1, sizeof(uint32_t));
	c.fn = xcalloc(p->nfunction + 1, sizeof(uint32_t));
	c.loc = xcalloc(p->nlocation + 1, sizeof(uint32_t));
	c.leaf = xcalloc(p->nsample + 1, sizeof(uint32_t));
	rc = sample_leaves(&c);
	for (i = 0; i < sp->n->nseries && !rc; i++)
		rc = put_series(&c, sp, &sp->n->series[i]);
	free(c.str);
	free(c.map);
	free(c.fn);
	free(c.loc);
	free(c.leaf);
	free(c.pairs);
	buf_release(&c.key);
	buf_release(&c.tmp);
	buf_release(&c.frames);
	return rc;
}

int block_begin(struct block *b, struct err *e)
{
	int rc;

	if (b->sealed)
		return err_set(e, -EROFS, "%s: block is sealed", b->path);
	rc = writer_open(b, e);
	rc = rc ? rc : wcache_load(b, e);
	return rc ? rc : exec(b->db, "BEGIN IMMEDIATE", e);
}

/* The nodes created in this transaction become one stack chunk. */
static int flush_nodes(struct block *b, struct err *e)
{
	struct wcache *w = &b->w;
	struct buf blob = BUF_INIT;
	int rc;

	if (!w->npend)
		return 0;
	blob_pack(&w->bc, w->pend, w->npend, &blob);
	sqlite3_bind_int64(w->ins_stack, 1, w->pend_first);
	sqlite3_bind_int64(w->ins_stack, 2, (int64_t)(w->npend / 2));
	sqlite3_bind_blob(w->ins_stack, 3, blob.data, (int)blob.len, SQLITE_STATIC);
	rc = step_done(b->db, w->ins_stack, e, "insert stack chunk");
	buf_release(&blob);
	return rc;
}

int block_commit(struct block *b, struct err *e)
{
	int rc = flush_nodes(b, e);

	rc = rc ? rc : exec(b->db, "COMMIT", e);
	if (!rc) {
		b->w.pend_first = b->w.nnodes;
		b->w.npend = 0;
	}
	return rc;
}

void block_rollback(struct block *b)
{
	if (b->db)
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	/* What the caches learnt during the failed transaction is not in the
	 * file: forget everything, reload on the next write. */
	wcache_release(&b->w);
}

/* ---- reader cache ------------------------------------------------------- */

static void rnode(void *ctx, uint32_t id, uint32_t parent, uint32_t loc)
{
	struct rcache *r = ctx;
	size_t cap = r->cap_nodes;

	XGROW(r->parent, r->cap_nodes, (size_t)id + 1);
	if (r->cap_nodes != cap)
		r->loc = xrealloc(r->loc, r->cap_nodes * sizeof(*r->loc));
	r->parent[id] = parent;
	/* A location the cache does not know reads as no frames. */
	r->loc[id] = loc <= r->nlocs ? loc : 0;
}

/* Extends the cache with rows committed since it was last filled. Called
 * with r->mu held and inside the reader's read transaction, so every node
 * a blob of that snapshot names is known afterwards. */
static int rcache_refresh(struct block_reader *rd, struct err *e)
{
	struct rcache *r = &rd->b->r;
	sqlite3_stmt *st;
	int rc;

	if (!r->str_bytes) {
		r->str_bytes = intern_new(4096);
		r->nnodes = 1; /* the root */
		XGROW(r->parent, r->cap_nodes, 1);
		r->loc = xrealloc(r->loc, r->cap_nodes * sizeof(*r->loc));
		r->parent[0] = r->loc[0] = 0;
		/* String id 0 is no string: make it "" so a damaged frame
		 * list reads as an empty name, not as garbage. */
		XGROW(r->strs, r->cap_strs, 1);
		r->strs[0].ptr = "";
		r->strs[0].len = 0;
		/* Location 0 (none) has the empty frame range [0, 0). */
		XGROW(r->frame_off, r->cap_locs, 2);
		r->frame_off[0] = r->frame_off[1] = 0;
	}
	if ((rc = prepare(rd->db, "SELECT id, s FROM strings WHERE id > ? ORDER BY id", &st, e)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, r->nstrs);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		const void *s = sqlite3_column_blob(st, 1);
		uint32_t k = intern_put(r->str_bytes, s ? s : "", len, NULL);
		XGROW(r->strs, r->cap_strs, (size_t)r->nstrs + 2);
		r->strs[++r->nstrs].ptr = intern_key(r->str_bytes, k, NULL);
		r->strs[r->nstrs].len = (uint32_t)len;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_err(e, rd->db, rc, "strings");
	if ((rc = prepare(rd->db, "SELECT id, frames FROM locations WHERE id > ? ORDER BY id", &st, e)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, r->nlocs);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *p = sqlite3_column_blob(st, 1);
		const uint8_t *end = p + sqlite3_column_bytes(st, 1);
		uint64_t v;
		XGROW(r->frame_off, r->cap_locs, (size_t)r->nlocs + 3);
		r->frame_off[++r->nlocs] = (uint32_t)r->nframes;
		while (p && p < end && !pb_varint(&p, end, &v)) {
			XGROW(r->frames, r->cap_frames, r->nframes + 1);
			r->frames[r->nframes++] = v <= r->nstrs ? (uint32_t)v : 0;
		}
		r->frame_off[r->nlocs + 1] = (uint32_t)r->nframes;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_err(e, rd->db, rc, "locations");
	return each_chunk(rd->db, rd->b->path, r->nnodes, rnode, r, &r->nnodes, e);
}

int block_reader_open(struct block *b, struct block_reader **out, struct err *e)
{
	struct block_reader *r = xcalloc(1, sizeof(*r));
	int rc;

	r->b = b;
	rc = open_db(b->path, SQLITE_OPEN_READONLY, &r->db, e);
	if (rc) {
		free(r);
		*out = NULL;
		return rc;
	}
	*out = r;
	return 0;
}

void block_reader_close(struct block_reader *r)
{
	if (!r)
		return;
	sqlite3_close(r->db);
	blob_ctx_release(&r->bc);
	free(r);
}

/* ---- reader: series ----------------------------------------------------- */

static const char *sv_str(struct rcache *c, const char *s)
{
	return intern_key(c->sv_strs, intern_put(c->sv_strs, s, strlen(s) + 1, NULL), NULL);
}

/* Extends the series cache with series committed since the last call
 * (r->b->r.mu held). Series ids are dense, so the cache is c->sv[id - 1]. */
static int series_refresh(struct block_reader *r, struct err *e)
{
	struct rcache *c = &r->b->r;
	size_t known = c->nsv, i;
	sqlite3_stmt *st;
	int rc;

	if (!c->sv_strs)
		c->sv_strs = intern_new(256);
	if ((rc = prepare(r->db, "SELECT id, profile_type FROM series WHERE id > ? ORDER BY id", &st, e)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)known);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) != (int64_t)c->nsv + 1)
			break;
		XGROW(c->sv, c->cap_sv, c->nsv + 1);
		memset(&c->sv[c->nsv], 0, sizeof(c->sv[0]));
		c->sv[c->nsv].id = (uint32_t)(c->nsv + 1);
		c->sv[c->nsv++].type = sv_str(c, (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_ROW ? err_set(e, -EUCLEAN, "%s: series ids not dense", r->b->path)
					: sql_err(e, r->db, rc, "series");
	if (c->nsv == known)
		return 0;
	/* Only when new series appeared: the label index is keyed by name. */
	if ((rc = prepare(r->db, "SELECT series, name, value FROM series_labels WHERE series > ?", &st, e)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)known);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t sid = sqlite3_column_int64(st, 0);
		struct sview *v;
		if (sid <= (int64_t)known || (size_t)sid > c->nsv)
			continue;
		v = &c->sv[sid - 1];
		XGROW(v->l, v->cap, v->n + 1);
		v->l[v->n].name = sv_str(c, (const char *)sqlite3_column_text(st, 1));
		v->l[v->n++].value = sv_str(c, (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	for (i = known; i < c->nsv; i++)
		labels_sort(c->sv[i].l, c->sv[i].n);
	return rc == SQLITE_DONE ? 0 : sql_err(e, r->db, rc, "series_labels");
}

static int selected(const struct sview *s, const struct selector *sel)
{
	size_t i;

	if (!sel)
		return 1;
	if (sel->profile_type && strcmp(sel->profile_type, s->type))
		return 0;
	for (i = 0; i < sel->nm; i++)
		if (!matcher_match(&sel->m[i], labels_get(s->l, s->n, sel->m[i].name)))
			return 0;
	return 1;
}

int block_reader_series(struct block_reader *r, const struct selector *sel,
			uint32_t **ids, size_t *n, store_series_cb cb, void *ctx,
			struct err *e)
{
	struct rcache *c = &r->b->r;
	size_t i, cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	pthread_mutex_lock(&c->mu);
	rc = series_refresh(r, e);
	for (i = 0; i < c->nsv && !rc; i++) {
		struct store_series_info info = {c->sv[i].type, c->sv[i].l, c->sv[i].n};
		if (!selected(&c->sv[i], sel))
			continue;
		XGROW(*ids, cap, *n + 1);
		(*ids)[(*n)++] = c->sv[i].id;
		if (cb && (rc = cb(ctx, &info)) != 0)
			rc = rc < 0 ? rc : 0;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* From the series cache: no SQL, so the cost is the labels of the given
 * series, not a scan of the label index per series. */
int block_reader_labels(struct block_reader *r, const char *name, const uint32_t *ids,
			size_t n, store_string_cb cb, void *ctx, struct err *e)
{
	struct rcache *c = &r->b->r;
	struct intern *seen = intern_new(64);
	size_t i, k;
	int rc;

	pthread_mutex_lock(&c->mu);
	rc = series_refresh(r, e);
	for (i = 0; i < n && !rc; i++) {
		const struct sview *v;
		if (ids[i] < 1 || ids[i] > c->nsv)
			continue;
		v = &c->sv[ids[i] - 1];
		for (k = 0; k < v->n && !rc; k++) {
			const char *s = name ? (strcmp(v->l[k].name, name) ? NULL : v->l[k].value)
					     : v->l[k].name;
			int is_new;
			if (!s)
				continue;
			intern_put(seen, s, strlen(s), &is_new);
			if (is_new && cb && cb(ctx, s) < 0)
				rc = -ECANCELED;
		}
	}
	pthread_mutex_unlock(&c->mu);
	intern_free(seen);
	return rc;
}

int block_reader_profile_types(struct block_reader *r, store_string_cb cb, void *ctx,
			       struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(r->db, "SELECT DISTINCT profile_type FROM series", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0)) < 0)
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_err(e, r->db, rc, "profile types");
}

/* ---- reader: planning --------------------------------------------------- */

/* Which rows cover [from, until) in this block: raw profiles at the edges,
 * roll-ups where a sealed block has whole windows inside the range. */
struct piece {
	int rollup;       /* 0 = profiles table */
	int64_t span;     /* roll-up span */
	int64_t from, until;
};

static size_t plan(const struct block *b, int sealed, int64_t from, int64_t until,
		   struct piece *p)
{
	int64_t lo = from > b->start ? from : b->start;
	int64_t hi = until < b->end ? until : b->end;
	int64_t ws, we;
	size_t n = 0;

	if (hi <= lo)
		return 0;
	if (!sealed) {
		p[0] = (struct piece){0, 0, lo, hi};
		return 1;
	}
	if (lo == b->start && hi == b->end) {
		p[0] = (struct piece){1, b->end - b->start, b->start, b->start + 1};
		return 1;
	}
	ws = b->start + (lo - b->start + BLOCK_ROLLUP_FINE - 1) / BLOCK_ROLLUP_FINE * BLOCK_ROLLUP_FINE;
	we = b->start + (hi - b->start) / BLOCK_ROLLUP_FINE * BLOCK_ROLLUP_FINE;
	if (we <= ws) {
		p[0] = (struct piece){0, 0, lo, hi};
		return 1;
	}
	if (lo < ws)
		p[n++] = (struct piece){0, 0, lo, ws};
	p[n++] = (struct piece){1, BLOCK_ROLLUP_FINE, ws, we};
	if (we < hi)
		p[n++] = (struct piece){0, 0, we, hi};
	return n;
}

static int piece_stmt(struct block_reader *r, const struct piece *pc, const char *cols,
		      sqlite3_stmt **st, struct err *e)
{
	char sql[256];
	int rc;

	if (pc->rollup)
		snprintf(sql, sizeof(sql), "SELECT %s FROM rollups WHERE series=? AND span=%lld"
			 " AND ts>=? AND ts<?", cols, (long long)pc->span);
	else
		snprintf(sql, sizeof(sql), "SELECT %s FROM profiles WHERE series=? AND ts>=? AND ts<?",
			 cols);
	rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : sql_err(e, r->db, rc, sql);
}

/* ---- reader: merge ------------------------------------------------------ */

static int accumulate(struct block_reader *r, const uint32_t *ids, size_t n,
		      int64_t from, int64_t until, int64_t *acc, size_t nacc, struct err *e)
{
	struct piece pcs[3];
	size_t np = plan(r->b, r->sealed, from, until, pcs), i, k;
	int rc = 0;

	for (k = 0; k < np && !rc; k++) {
		sqlite3_stmt *st;
		if ((rc = piece_stmt(r, &pcs[k], "blob", &st, e)) < 0)
			break;
		for (i = 0; i < n && !rc; i++) {
			sqlite3_bind_int64(st, 1, ids[i]);
			sqlite3_bind_int64(st, 2, pcs[k].from);
			sqlite3_bind_int64(st, 3, pcs[k].until);
			while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW)
				rc = blob_accumulate(&r->bc, sqlite3_column_blob(st, 0),
						     (size_t)sqlite3_column_bytes(st, 0), acc, nacc,
						     NULL, e);
			rc = rows_done(e, r->db, rc, "read profiles");
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
	if (rc < 0)
		err_prefix(e, "%s", r->b->path);
	return rc;
}

/* ---- store-wide registries ----------------------------------------------- */

/* What both registries share: the lock over their contents, the
 * generation and the reference count (block.h). */
struct registry {
	pthread_mutex_t mu;
	uint64_t gen;
	int refs;                     /* __atomic */
};

struct block_paths {
	struct registry g;
	struct stacktree *tree;
};

struct block_locs {
	struct registry g;
	struct pprof_merger *reg;     /* symbols only */
	struct u64map kids;           /* parent path << 32 | location -> path */
	uint32_t *parent, *loc;       /* per path id; 0 is the root */
	size_t n, cap;
};

static uint64_t registry_last_gen; /* __atomic */

static void registry_init(struct registry *g)
{
	pthread_mutex_init(&g->mu, NULL);
	g->gen = __atomic_add_fetch(&registry_last_gen, 1, __ATOMIC_RELAXED);
	g->refs = 1;
}

/* Drops a reference; 1 if it was the last (the caller then frees). */
static int registry_unref(struct registry *g)
{
	if (__atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL))
		return 0;
	pthread_mutex_destroy(&g->mu);
	return 1;
}

/* Registry entries the current-generation maps of blocks v[] use, with
 * their ancestors (paths are trees, and a path needs its parents). c->mu
 * then g->mu, the order merges take them in. */
static size_t count_live(struct registry *g, const void *reg, size_t (*size)(const void *reg),
			 uint32_t (*parent)(const void *reg, uint32_t id), size_t mapoff,
			 struct block *const *v, size_t n)
{
	uint8_t *mark = NULL;
	size_t cap = 0, live = 0, i;
	uint32_t k, id;

	for (i = 0; i < n; i++) {
		struct rcache *c = &v[i]->r;
		const struct idmap *m = (const struct idmap *)((const char *)c + mapoff);
		pthread_mutex_lock(&c->mu);
		if (m->gen == g->gen) {
			size_t old = cap;
			pthread_mutex_lock(&g->mu);
			XGROW(mark, cap, size(reg));
			memset(mark + old, 0, cap - old);
			for (k = 0; k < m->n; k++)
				for (id = m->path[k]; !mark[id]; id = parent(reg, id)) {
					mark[id] = 1;
					live++;
				}
			pthread_mutex_unlock(&g->mu);
		}
		pthread_mutex_unlock(&c->mu);
	}
	free(mark);
	return live;
}

/* Gives nodes [m->n, nn) their store-wide path ids (c->mu and p's lock
 * held). A node's path is its parent's path plus its location's frames;
 * parents have smaller ids, so one ascending pass suffices. */
static void map_paths(struct rcache *c, struct idmap *m, struct block_paths *p, uint32_t nn)
{
	uint32_t i, f;

	if (m->n >= nn)
		return;
	idmap_grow(m, nn, (size_t)c->nstrs + 1);
	if (!m->n)
		m->path[m->n++] = 0;
	for (i = m->n; i < nn; i++) {
		uint32_t g = m->path[c->parent[i]], loc = c->loc[i];
		for (f = c->frame_off[loc]; f < c->frame_off[loc + 1]; f++) {
			uint32_t s = c->frames[f];
			if (!m->sym[s])
				m->sym[s] = stacktree_name(p->tree, c->strs[s].ptr, c->strs[s].len) + 1;
			g = stacktree_child(p->tree, g, m->sym[s] - 1);
		}
		m->path[i] = g;
	}
	m->n = nn;
}

/* Adds a block's per-node values into out, indexed by the store-wide id
 * each node maps to (ids < nids); out grows zeroed to hold nids. */
static void acc_add(struct block_acc *out, size_t nids, const int64_t *acc,
		    const uint32_t *map, size_t nn)
{
	size_t i;

	if (out->cap < nids) {
		size_t old = out->cap;
		XGROW(out->v, out->cap, nids);
		memset(out->v + old, 0, (out->cap - old) * sizeof(*out->v));
	}
	for (i = 0; i < nn; i++)
		if (acc[i])
			out->v[map[i]] = sat_add(out->v[map[i]], acc[i]);
}

/* Opens a read transaction and brings the block's reader cache up to it.
 * On success the transaction is open (end it with COMMIT) and *nn and
 * *nstrs are the node and string counts the cache had under it. */
static int reader_begin(struct block_reader *r, size_t *nn, uint32_t *nstrs, struct err *e)
{
	struct rcache *c = &r->b->r;
	int rc;

	reader_sealed(r);
	if ((rc = exec(r->db, "BEGIN", e)) < 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	rc = rcache_refresh(r, e);
	*nn = c->nnodes;
	*nstrs = c->nstrs;
	pthread_mutex_unlock(&c->mu);
	if (rc < 0)
		sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int block_reader_merge(struct block_reader *r, struct block_paths *paths,
		       const uint32_t *ids, size_t n, int64_t from, int64_t until,
		       struct block_acc *out, struct err *e)
{
	struct rcache *c = &r->b->r;
	int64_t *acc = NULL;
	size_t nn, ntree;
	uint32_t nstrs;
	int rc;

	if (!n)
		return 0;
	if ((rc = reader_begin(r, &nn, &nstrs, e)) < 0)
		return rc;
	acc = xcalloc(nn, sizeof(*acc));
	rc = accumulate(r, ids, n, from, until, acc, nn, e);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	if (!rc) {
		struct idmap tmp = {0}, *m;
		pthread_mutex_lock(&c->mu);
		m = idmap_pick(&c->pm, &tmp, paths->g.gen);
		pthread_mutex_lock(&paths->g.mu);
		map_paths(c, m, paths, (uint32_t)nn);
		stacktree_nodes(paths->tree, &ntree);
		pthread_mutex_unlock(&paths->g.mu);
		acc_add(out, ntree, acc, m->path, nn);
		pthread_mutex_unlock(&c->mu);
		idmap_release(&tmp);
	}
	free(acc);
	return rc;
}

int block_reader_warm(struct block_reader *r, struct block_paths *paths, struct err *e)
{
	struct rcache *c = &r->b->r;
	uint32_t *ids = NULL, nstrs;
	size_t n, nn;
	int rc;

	if ((rc = block_reader_series(r, NULL, &ids, &n, NULL, NULL, e)) < 0)
		return rc;
	free(ids);
	if ((rc = reader_begin(r, &nn, &nstrs, e)) < 0)
		return rc;
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	/* A registry older than the block's map: a rebuild came first, and
	 * warming for a registry queries no longer use would be wasted. */
	if (c->pm.gen <= paths->g.gen) {
		struct idmap *m = idmap_pick(&c->pm, NULL, paths->g.gen);
		pthread_mutex_lock(&paths->g.mu);
		map_paths(c, m, paths, (uint32_t)nn);
		pthread_mutex_unlock(&paths->g.mu);
	}
	pthread_mutex_unlock(&c->mu);
	return 0;
}

struct block_paths *block_paths_new(void)
{
	struct block_paths *p = xcalloc(1, sizeof(*p));

	registry_init(&p->g);
	p->tree = stacktree_new();
	return p;
}

struct block_paths *block_paths_ref(struct block_paths *p)
{
	__atomic_add_fetch(&p->g.refs, 1, __ATOMIC_RELAXED);
	return p;
}

void block_paths_unref(struct block_paths *p)
{
	if (!p || !registry_unref(&p->g))
		return;
	stacktree_free(p->tree);
	free(p);
}

static size_t paths_size(const void *reg)
{
	size_t n;

	stacktree_nodes(((const struct block_paths *)reg)->tree, &n);
	return n;
}

static uint32_t paths_parent(const void *reg, uint32_t id)
{
	size_t n;

	return stacktree_nodes(((const struct block_paths *)reg)->tree, &n)[id].parent;
}

size_t block_paths_size(struct block_paths *p)
{
	size_t n;

	pthread_mutex_lock(&p->g.mu);
	n = paths_size(p);
	pthread_mutex_unlock(&p->g.mu);
	return n;
}

size_t block_paths_live(struct block_paths *p, struct block *const *v, size_t n)
{
	return count_live(&p->g, p, paths_size, paths_parent, offsetof(struct rcache, pm), v, n);
}

/* The output node for path g, creating it and any missing ancestors. */
static uint32_t render_node(const struct stacktree_node *nodes, struct block_paths *p,
			    uint32_t g, uint32_t *out_of, uint32_t *name_of,
			    uint32_t **chain, size_t *cap, struct stacktree *out)
{
	size_t depth = 0;
	uint32_t node;

	while (g && !out_of[g]) {
		XGROW(*chain, *cap, depth + 1);
		(*chain)[depth++] = g;
		g = nodes[g].parent;
	}
	node = g ? out_of[g] - 1 : 0;
	while (depth--) {
		uint32_t c = (*chain)[depth], nm = nodes[c].name;
		if (!name_of[nm]) {
			size_t len;
			const char *s = stacktree_name_str(p->tree, nm, &len);
			name_of[nm] = stacktree_name(out, s, len) + 1;
		}
		node = stacktree_child(out, node, name_of[nm] - 1);
		out_of[c] = node + 1;
	}
	return node;
}

void block_paths_render(struct block_paths *p, const struct block_acc *acc,
			struct stacktree *out)
{
	const struct stacktree_node *nodes;
	uint32_t *out_of, *name_of, *chain = NULL;
	size_t n, cap = 0, g;

	pthread_mutex_lock(&p->g.mu);
	nodes = stacktree_nodes(p->tree, &n);
	out_of = xcalloc(n + 1, sizeof(*out_of));
	name_of = xcalloc((size_t)stacktree_nnames(p->tree) + 1, sizeof(*name_of));
	for (g = 0; g < n && g < acc->cap; g++)
		if (acc->v[g])
			stacktree_add_self(out, render_node(nodes, p, (uint32_t)g, out_of, name_of,
							    &chain, &cap, out), acc->v[g]);
	pthread_mutex_unlock(&p->g.mu);
	free(out_of);
	free(name_of);
	free(chain);
}

/* ---- reader: merged pprof with full symbols ----------------------------- */

/* pprof output needs every symbol, not only frame names. Each block's
 * symbol tables are mirrored once in its reader cache as a pprof profile
 * (c->syms: string index = string id, other indices = row id - 1), grown
 * as the block grows, and each location a merge reaches is mapped once
 * into a store-wide registry (struct block_locs: a pprof_merger used for
 * its identities, so equal locations from any block are one, as in
 * pprof's merge). Nodes then get store-wide location-path ids, cached per
 * block like the frame-path ids of flame graphs, so a merge only adds
 * numbers per path id and the profile is rendered once at the end. */

static int sym_str(const struct pprof_profile *p, int64_t id, uint32_t *out)
{
	if (id < 0 || id >= (int64_t)p->nstr)
		return -EUCLEAN;
	*out = (uint32_t)id;
	return 0;
}

static int sym_mapping(struct pprof_profile *p, sqlite3_stmt *st)
{
	struct pprof_mapping m = {0};
	uint32_t k;

	if (sym_str(p, sqlite3_column_int64(st, 4), &m.filename) < 0 ||
	    sym_str(p, sqlite3_column_int64(st, 5), &m.build_id) < 0)
		return -EUCLEAN;
	m.start = (uint64_t)sqlite3_column_int64(st, 1);
	m.limit = (uint64_t)sqlite3_column_int64(st, 2);
	m.offset = (uint64_t)sqlite3_column_int64(st, 3);
	k = pprof_add_mapping(p);
	m.id = p->mapping[k].id;
	p->mapping[k] = m;
	return 0;
}

static int sym_function(struct pprof_profile *p, sqlite3_stmt *st)
{
	struct pprof_function f = {0};
	uint32_t k;

	if (sym_str(p, sqlite3_column_int64(st, 1), &f.name) < 0 ||
	    sym_str(p, sqlite3_column_int64(st, 2), &f.system_name) < 0 ||
	    sym_str(p, sqlite3_column_int64(st, 3), &f.filename) < 0)
		return -EUCLEAN;
	f.start_line = sqlite3_column_int64(st, 4);
	k = pprof_add_function(p);
	f.id = p->function[k].id;
	p->function[k] = f;
	return 0;
}

/* Lines are (function id, line) varints, innermost first, as in pprof:
 * counted and checked first, then copied into the new location. */
static int sym_location(struct pprof_profile *p, sqlite3_stmt *st)
{
	int64_t mapping = sqlite3_column_int64(st, 1);
	const uint8_t *b0 = sqlite3_column_blob(st, 3), *b, *end;
	uint64_t fid, line;
	uint32_t nl = 0, k, li;
	struct pprof_line *ln;

	if (mapping < 0 || mapping > (int64_t)p->nmapping)
		return -EUCLEAN;
	end = b0 ? b0 + sqlite3_column_bytes(st, 3) : NULL; /* no lines: NULL */
	for (b = b0; b && b < end; nl++)
		if (pb_varint(&b, end, &fid) || pb_varint(&b, end, &line) || fid < 1 ||
		    fid > p->nfunction)
			return -EUCLEAN;
	li = pprof_add_location(p, nl);
	p->location[li].address = (uint64_t)sqlite3_column_int64(st, 2);
	p->location[li].mapping = (uint32_t)mapping;
	ln = &p->line[p->location[li].line_off];
	for (b = b0, k = 0; k < nl; k++) {
		pb_varint(&b, end, &fid);
		pb_varint(&b, end, &line);
		ln[k] = (struct pprof_line){(uint32_t)fid - 1, (int64_t)line, 0};
	}
	return 0;
}

/* Appends rows with id > known, which must continue the dense ids. */
static int sym_rows(struct block_reader *rd, const char *sql, uint32_t known,
		    int (*row)(struct pprof_profile *p, sqlite3_stmt *st), struct err *e)
{
	struct pprof_profile *p = rd->b->r.syms;
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(rd->db, sql, &st, e)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, known);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) != (int64_t)known + 1 || row(p, st) < 0) {
			rc = err_set(e, -EUCLEAN, "%s: row %lld of '%.40s' is damaged", rd->b->path,
				     (long long)sqlite3_column_int64(st, 0), sql);
			break;
		}
		known++;
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : rc == SQLITE_DONE ? 0 : sql_err(e, rd->db, rc, sql);
}

/* Extends c->syms with what this read transaction sees (c->mu held,
 * after rcache_refresh, which loaded the strings). */
static int syms_refresh(struct block_reader *rd, struct err *e)
{
	struct rcache *c = &rd->b->r;
	struct pprof_profile *p;
	int rc;

	if (!c->syms)
		c->syms = pprof_new();
	p = c->syms;
	XGROW(p->str, p->cap_str, (size_t)c->nstrs + 1);
	for (; p->nstr <= c->nstrs; p->nstr++)
		p->str[p->nstr] = c->strs[p->nstr];
	rc = sym_rows(rd, "SELECT * FROM mappings WHERE id > ? ORDER BY id", p->nmapping,
		      sym_mapping, e);
	rc = rc ? rc : sym_rows(rd, "SELECT * FROM functions WHERE id > ? ORDER BY id",
				p->nfunction, sym_function, e);
	rc = rc ? rc : sym_rows(rd, "SELECT id, mapping, address, lines FROM locations"
				" WHERE id > ? ORDER BY id", p->nlocation, sym_location, e);
	return rc;
}

struct block_locs *block_locs_new(void)
{
	struct block_locs *l = xcalloc(1, sizeof(*l));

	registry_init(&l->g);
	l->reg = pprof_merger_new();
	u64map_init(&l->kids, 1024);
	XGROW(l->parent, l->cap, 1);
	l->loc = xrealloc(l->loc, l->cap * sizeof(*l->loc));
	l->parent[0] = l->loc[0] = 0;
	l->n = 1;
	return l;
}

struct block_locs *block_locs_ref(struct block_locs *l)
{
	__atomic_add_fetch(&l->g.refs, 1, __ATOMIC_RELAXED);
	return l;
}

void block_locs_unref(struct block_locs *l)
{
	if (!l || !registry_unref(&l->g))
		return;
	pprof_merger_free(l->reg);
	u64map_release(&l->kids);
	free(l->parent);
	free(l->loc);
	free(l);
}

static size_t locs_size(const void *reg)
{
	return ((const struct block_locs *)reg)->n;
}

static uint32_t locs_parent(const void *reg, uint32_t id)
{
	return ((const struct block_locs *)reg)->parent[id];
}

size_t block_locs_size(struct block_locs *l, size_t *locations)
{
	size_t n;

	pthread_mutex_lock(&l->g.mu);
	n = l->n;
	if (locations)
		*locations = pprof_merger_symbols(l->reg)->nlocation;
	pthread_mutex_unlock(&l->g.mu);
	return n;
}

size_t block_locs_live(struct block_locs *l, struct block *const *v, size_t n)
{
	return count_live(&l->g, l, locs_size, locs_parent, offsetof(struct rcache, lm), v, n);
}

/* The store-wide path: parent path plus registry location (l->g.mu held). */
static uint32_t locs_child(struct block_locs *l, uint32_t parent, uint32_t loc)
{
	uint64_t key = (uint64_t)parent << 32 | loc;
	uint32_t id = u64map_get(&l->kids, key);
	size_t cap = l->cap;

	if (id != U64MAP_NONE)
		return id;
	XGROW(l->parent, l->cap, l->n + 1);
	if (l->cap != cap)
		l->loc = xrealloc(l->loc, l->cap * sizeof(*l->loc));
	id = (uint32_t)l->n++;
	l->parent[id] = parent;
	l->loc[id] = loc;
	u64map_put(&l->kids, key, id);
	return id;
}

/* Gives nodes [m->n, nn) their store-wide location paths (c->mu and l's
 * lock held), mapping each block location into the registry once. */
static void map_lpaths(struct rcache *c, struct idmap *m, struct block_locs *l, uint32_t nn)
{
	uint32_t i;
	int sourced = 0;

	if (m->n >= nn)
		return;
	idmap_grow(m, nn, (size_t)c->syms->nlocation + 1);
	if (!m->n)
		m->path[m->n++] = 0;
	for (i = m->n; i < nn; i++) {
		uint32_t g = m->path[c->parent[i]], loc = c->loc[i];
		if (loc && loc <= c->syms->nlocation) {
			if (!m->sym[loc]) {
				if (!sourced++)
					pprof_merger_source(l->reg, c->syms);
				m->sym[loc] = pprof_merger_location(l->reg, loc - 1) + 1;
			}
			g = locs_child(l, g, m->sym[loc] - 1);
		}
		m->path[i] = g;
	}
	m->n = nn;
}

/* Remaps what the cache had mapped for an older registry; the cache holds
 * everything that takes (nodes, frame names, symbols), so no SQL. */
void block_rebind(struct block *b, struct block_paths *p, struct block_locs *l)
{
	struct rcache *c = &b->r;
	uint32_t nn;

	pthread_mutex_lock(&c->mu);
	if (p && c->pm.gen && c->pm.gen < p->g.gen) {
		nn = c->pm.n;
		idmap_pick(&c->pm, NULL, p->g.gen);
		pthread_mutex_lock(&p->g.mu);
		map_paths(c, &c->pm, p, nn);
		pthread_mutex_unlock(&p->g.mu);
	}
	if (l && c->lm.gen && c->lm.gen < l->g.gen && c->syms) {
		nn = c->lm.n;
		idmap_pick(&c->lm, NULL, l->g.gen);
		pthread_mutex_lock(&l->g.mu);
		map_lpaths(c, &c->lm, l, nn);
		pthread_mutex_unlock(&l->g.mu);
	}
	pthread_mutex_unlock(&c->mu);
}

/* The profile header from the profiles the range selects: time_nanos the
 * earliest, duration_nanos the sum, period the largest (pprof's merge
 * rules), read from the profiles table even where roll-ups give the
 * samples (roll-ups keep no times). */
static int pprof_header(struct block_reader *r, const uint32_t *ids, size_t n, int64_t from,
			int64_t until, struct pprof_profile *p, struct err *e)
{
	int64_t lo = from > r->b->start ? from : r->b->start;
	int64_t hi = until < r->b->end ? until : r->b->end;
	sqlite3_stmt *st = NULL, *per = NULL;
	size_t i;
	int rc;

	rc = prepare(r->db, "SELECT min(ts), sum(duration), count(*) FROM profiles"
		     " WHERE series=? AND ts>=? AND ts<?", &st, e);
	/* Blocks written before periods existed have no such table. */
	if (sqlite3_prepare_v2(r->db, "SELECT period FROM periods WHERE series=?", -1, &per,
			       NULL) != SQLITE_OK)
		per = NULL;
	for (i = 0; i < n && !rc; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, lo);
		sqlite3_bind_int64(st, 3, hi);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			rc = sql_err(e, r->db, rc, "profile times");
			break;
		}
		rc = 0;
		if (sqlite3_column_int64(st, 2)) {
			int64_t t = sqlite3_column_int64(st, 0);
			if (!p->time_nanos || t < p->time_nanos)
				p->time_nanos = t;
			p->duration_nanos += sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		if (per) {
			sqlite3_bind_int64(per, 1, ids[i]);
			if (sqlite3_step(per) == SQLITE_ROW && sqlite3_column_int64(per, 0) > p->period)
				p->period = sqlite3_column_int64(per, 0);
			sqlite3_reset(per);
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(per);
	return rc;
}

int block_reader_pprof(struct block_reader *r, struct block_locs *l, const uint32_t *ids,
		       size_t n, int64_t from, int64_t until, struct block_acc *out,
		       struct pprof_profile *hdr, struct err *e)
{
	struct rcache *c = &r->b->r;
	int64_t *acc = NULL;
	size_t nn = 0, npath;
	int rc;

	if (!n)
		return 0;
	reader_sealed(r);
	if ((rc = exec(r->db, "BEGIN", e)) < 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	rc = rcache_refresh(r, e);
	rc = rc ? rc : syms_refresh(r, e);
	nn = c->nnodes;
	pthread_mutex_unlock(&c->mu);
	if (!rc) {
		acc = xcalloc(nn + 1, sizeof(*acc));
		rc = accumulate(r, ids, n, from, until, acc, nn, e);
	}
	rc = rc ? rc : pprof_header(r, ids, n, from, until, hdr, e);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	if (!rc) {
		struct idmap tmp = {0}, *m;
		pthread_mutex_lock(&c->mu);
		m = idmap_pick(&c->lm, &tmp, l->g.gen);
		pthread_mutex_lock(&l->g.mu);
		map_lpaths(c, m, l, (uint32_t)nn);
		npath = l->n;
		pthread_mutex_unlock(&l->g.mu);
		acc_add(out, npath, acc, m->path, nn);
		pthread_mutex_unlock(&c->mu);
		idmap_release(&tmp);
	}
	free(acc);
	return rc;
}

/* Copying registry symbols into the output: registry index -> output
 * index + 1 per kind, so each symbol is copied once. */
struct render {
	const struct pprof_profile *reg;
	struct pprof_profile *out;
	uint32_t *str, *map, *fn, *loc;
};

static uint32_t render_str(struct render *x, uint32_t s)
{
	if (!x->str[s])
		x->str[s] = pprof_intern(x->out, x->reg->str[s].ptr, x->reg->str[s].len) + 1;
	return x->str[s] - 1;
}

static uint32_t render_fn(struct render *x, uint32_t fi)
{
	const struct pprof_function *f = &x->reg->function[fi];
	struct pprof_function d = *f;
	uint32_t k;

	if (x->fn[fi])
		return x->fn[fi] - 1;
	d.name = render_str(x, f->name);
	d.system_name = render_str(x, f->system_name);
	d.filename = render_str(x, f->filename);
	k = pprof_add_function(x->out);
	d.id = x->out->function[k].id;
	x->out->function[k] = d;
	x->fn[fi] = k + 1;
	return k;
}

static uint32_t render_loc(struct render *x, uint32_t li)
{
	const struct pprof_location *l = &x->reg->location[li];
	uint32_t k, d, mi = 0;

	if (x->loc[li])
		return x->loc[li] - 1;
	if (l->mapping && !(mi = x->map[l->mapping - 1])) {
		struct pprof_mapping m = x->reg->mapping[l->mapping - 1];
		m.filename = render_str(x, m.filename);
		m.build_id = render_str(x, m.build_id);
		mi = pprof_add_mapping(x->out) + 1;
		m.id = x->out->mapping[mi - 1].id;
		x->out->mapping[mi - 1] = m;
		x->map[l->mapping - 1] = mi;
	}
	for (k = 0; k < l->nline; k++)
		render_fn(x, x->reg->line[l->line_off + k].function);
	d = pprof_add_location(x->out, l->nline);
	x->out->location[d].address = l->address;
	x->out->location[d].mapping = mi;
	for (k = 0; k < l->nline; k++) {
		struct pprof_line ln = x->reg->line[l->line_off + k];
		ln.function = x->fn[ln.function] - 1;
		x->out->line[x->out->location[d].line_off + k] = ln;
	}
	x->loc[li] = d + 1;
	return d;
}

void block_locs_render(struct block_locs *l, const struct block_acc *acc,
		       struct pprof_profile *out)
{
	struct render x;
	uint32_t *stack = NULL, g, p;
	size_t cap = 0, depth;

	pthread_mutex_lock(&l->g.mu);
	x.reg = pprof_merger_symbols(l->reg);
	x.out = out;
	x.str = xcalloc((size_t)x.reg->nstr + 1, sizeof(*x.str));
	x.map = xcalloc((size_t)x.reg->nmapping + 1, sizeof(*x.map));
	x.fn = xcalloc((size_t)x.reg->nfunction + 1, sizeof(*x.fn));
	x.loc = xcalloc((size_t)x.reg->nlocation + 1, sizeof(*x.loc));
	for (g = 1; g < l->n && g < acc->cap; g++) {
		if (!acc->v[g])
			continue;
		for (depth = 0, p = g; p; p = l->parent[p]) {
			XGROW(stack, cap, depth + 1);
			stack[depth++] = render_loc(&x, l->loc[p]);
		}
		pprof_add_sample(out, stack, (uint32_t)depth, &acc->v[g], 0);
	}
	pthread_mutex_unlock(&l->g.mu);
	free(x.str);
	free(x.map);
	free(x.fn);
	free(x.loc);
	free(stack);
}

/* ---- reader: totals over time ------------------------------------------- */

int block_reader_range(struct block_reader *r, const uint32_t *ids, size_t n,
		       int64_t from, int64_t until, int64_t step, int64_t *sums,
		       size_t nsteps, struct err *e)
{
	struct piece pcs[3];
	size_t np, i, k;
	int rc = 0;

	reader_sealed(r);
	np = plan(r->b, r->sealed, from, until, pcs);

	for (k = 0; k < np && !rc; k++) {
		sqlite3_stmt *st;
		/* A roll-up window counts at its start: exact when the step is a
		 * multiple of the window, close otherwise. */
		if (pcs[k].rollup && pcs[k].span > step)
			pcs[k] = (struct piece){0, 0, pcs[k].from, pcs[k].until};
		if ((rc = piece_stmt(r, &pcs[k], "ts, total", &st, e)) < 0)
			break;
		for (i = 0; i < n && !rc; i++) {
			sqlite3_bind_int64(st, 1, ids[i]);
			sqlite3_bind_int64(st, 2, pcs[k].from);
			sqlite3_bind_int64(st, 3, pcs[k].until);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				int64_t ts = sqlite3_column_int64(st, 0);
				size_t s = (size_t)((ts - from) / step);
				if (ts >= from && s < nsteps)
					sums[i * nsteps + s] = sat_add(sums[i * nsteps + s], sqlite3_column_int64(st, 1));
			}
			rc = rc == SQLITE_DONE ? 0 : sql_err(e, r->db, rc, "read totals");
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
	return rc;
}

int block_reader_count(struct block_reader *r, uint64_t *series, uint64_t *profiles,
		       int64_t *min_ts, int64_t *max_ts, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	rc = prepare(r->db, "SELECT (SELECT count(*) FROM series), count(*), min(ts), max(ts)"
		     " FROM profiles", &st, e);
	if (rc < 0)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*series = (uint64_t)sqlite3_column_int64(st, 0);
		*profiles = (uint64_t)sqlite3_column_int64(st, 1);
		*min_ts = sqlite3_column_int64(st, 2);
		*max_ts = sqlite3_column_int64(st, 3);
		rc = 0;
	} else {
		rc = sql_err(e, r->db, rc, "count");
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- reader: one profile at a time ------------------------------------- */

/* Per-call state of block_reader_profiles: where each block node and each
 * frame string landed in the caller's tree (index + 1; 0 = not yet). */
struct pmap {
	uint32_t *out_of, *name_of, *chain;
	size_t cap_chain, nstrs;
	uint32_t *nodes;
	int64_t *values;
};

/* The caller's node for block node i (c->mu held). Walks up to the first
 * mapped ancestor, then down again adding each location's frames. */
static uint32_t pmap_node(struct rcache *c, struct pmap *m, struct stacktree *t, uint32_t i)
{
	size_t depth = 0;
	uint32_t g, f;

	while (i && !m->out_of[i]) {
		XGROW(m->chain, m->cap_chain, depth + 1);
		m->chain[depth++] = i;
		i = c->parent[i];
	}
	g = i ? m->out_of[i] - 1 : 0;
	while (depth--) {
		uint32_t k = m->chain[depth], loc = c->loc[k];
		for (f = c->frame_off[loc]; f < c->frame_off[loc + 1]; f++) {
			uint32_t s = c->frames[f];
			if (!m->name_of[s])
				m->name_of[s] = stacktree_name(t, c->strs[s].ptr, c->strs[s].len) + 1;
			g = stacktree_child(t, g, m->name_of[s] - 1);
		}
		m->out_of[k] = g + 1;
	}
	return g;
}

/* Maps one row's pairs and hands them to cb. */
static int profile_row(struct block_reader *r, struct pmap *m, size_t nn, struct stacktree *t,
		       uint32_t series, int64_t ts, const uint8_t *bl, size_t len,
		       block_profile_cb cb, void *ctx, struct err *e)
{
	struct rcache *c = &r->b->r;
	struct blob_pair *pairs;
	size_t n, i;
	int rc;

	if ((rc = blob_decode(&r->bc, bl, len, &pairs, &n, e)) < 0)
		return rc;
	m->nodes = xrealloc(m->nodes, (n + 1) * sizeof(*m->nodes));
	m->values = xrealloc(m->values, (n + 1) * sizeof(*m->values));
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < n && !rc; i++) {
		if (pairs[i].node >= nn) {
			rc = err_set(e, -EUCLEAN, "blob names stack node %u past the stack table",
				     pairs[i].node);
			break;
		}
		m->nodes[i] = pmap_node(c, m, t, pairs[i].node);
		m->values[i] = pairs[i].value;
	}
	pthread_mutex_unlock(&c->mu);
	free(pairs);
	if (!rc && cb(ctx, series, ts, m->nodes, m->values, n) != 0)
		rc = err_set(e, -ECANCELED, "stopped by the caller");
	return rc;
}

static int profile_rows(struct block_reader *r, struct pmap *m, size_t nn, const uint32_t *ids,
			size_t n, int64_t from, int64_t until, struct stacktree *t,
			block_profile_cb cb, void *ctx, struct err *e)
{
	struct piece raw = {0, 0, from, until};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((rc = piece_stmt(r, &raw, "ts, blob", &st, e)) < 0)
		return rc;
	for (i = 0; i < n && !rc; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, until);
		while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW)
			rc = profile_row(r, m, nn, t, ids[i], sqlite3_column_int64(st, 0),
					 sqlite3_column_blob(st, 1),
					 (size_t)sqlite3_column_bytes(st, 1), cb, ctx, e);
		rc = rows_done(e, r->db, rc, "read profiles");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

int block_reader_profiles(struct block_reader *r, const uint32_t *ids, size_t n, int64_t from,
			  int64_t until, struct stacktree *paths, block_profile_cb cb, void *ctx,
			  struct err *e)
{
	struct pmap m = {0};
	uint32_t nstrs;
	size_t nn;
	int rc;

	if (!n)
		return 0;
	if ((rc = reader_begin(r, &nn, &nstrs, e)) < 0)
		goto out;
	m.nstrs = nstrs;
	m.out_of = xcalloc(nn + 1, sizeof(*m.out_of));
	m.name_of = xcalloc(m.nstrs + 1, sizeof(*m.name_of));
	rc = profile_rows(r, &m, nn, ids, n, from, until, paths, cb, ctx, e);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
out:
	if (rc < 0 && rc != -ECANCELED)
		err_prefix(e, "%s", r->b->path);
	free(m.out_of);
	free(m.name_of);
	free(m.chain);
	free(m.nodes);
	free(m.values);
	return rc;
}

/* ---- sealing ------------------------------------------------------------ */

/* Sums blobs per node into acc, remembering which nodes it touched. */
struct sum {
	int64_t *acc;
	uint8_t *mark;       /* node is in touched[] */
	uint32_t *touched;
	size_t ntouched, nacc;
	int64_t total;
	uint32_t nprof;
};

static int sum_add(struct sum *s, const uint8_t *b, size_t len, struct blob_ctx *bc,
		   struct err *e)
{
	struct blob_pair *pairs;
	size_t n, i;
	int rc;

	if ((rc = blob_decode(bc, b, len, &pairs, &n, e)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (pairs[i].node >= s->nacc) {
			free(pairs);
			return err_set(e, -EUCLEAN, "blob names stack node %u past the stack table",
				       pairs[i].node);
		}
		if (!s->mark[pairs[i].node]) {
			s->mark[pairs[i].node] = 1;
			s->touched[s->ntouched++] = pairs[i].node;
		}
		s->acc[pairs[i].node] = sat_add(s->acc[pairs[i].node], pairs[i].value);
		s->total = sat_add(s->total, pairs[i].value);
	}
	s->nprof++;
	free(pairs);
	return 0;
}

/* Writes the sum as one roll-up row and clears it. A node whose values
 * cancel to zero is simply absent from the blob. */
static int sum_flush(struct block *b, sqlite3_stmt *ins, uint32_t series, int64_t span,
		     int64_t ts, struct sum *s, struct blob_ctx *bc, struct err *e)
{
	struct blob_pair *pairs = xmalloc((s->ntouched + 1) * sizeof(*pairs));
	struct buf blob = BUF_INIT;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < s->ntouched; i++) {
		uint32_t node = s->touched[i];
		if (s->acc[node])
			pairs[n++] = (struct blob_pair){node, s->acc[node]};
		s->acc[node] = 0;
		s->mark[node] = 0;
	}
	blob_encode(bc, pairs, &n, &blob);
	sqlite3_bind_int64(ins, 1, series);
	sqlite3_bind_int64(ins, 2, span);
	sqlite3_bind_int64(ins, 3, ts);
	sqlite3_bind_int64(ins, 4, s->total);
	sqlite3_bind_int64(ins, 5, s->nprof);
	sqlite3_bind_blob(ins, 6, blob.data, (int)blob.len, SQLITE_STATIC);
	rc = step_done(b->db, ins, e, "insert rollup");
	s->ntouched = 0;
	s->total = 0;
	s->nprof = 0;
	free(pairs);
	buf_release(&blob);
	return rc;
}

/* Roll-ups of one series: one row per fine window that has profiles, and
 * one for the whole block. */
static int seal_series(struct block *b, sqlite3_stmt *sel, sqlite3_stmt *ins,
		       uint32_t series, struct sum *fine, struct sum *all, struct blob_ctx *bc,
		       struct err *e)
{
	int64_t win = INT64_MIN;
	int rc = 0;

	sqlite3_bind_int64(sel, 1, series);
	while (!rc && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(sel, 0);
		int64_t w = b->start + (ts - b->start) / BLOCK_ROLLUP_FINE * BLOCK_ROLLUP_FINE;
		const uint8_t *bl = sqlite3_column_blob(sel, 1);
		size_t len = (size_t)sqlite3_column_bytes(sel, 1);
		rc = 0;
		if (w != win && win != INT64_MIN)
			rc = sum_flush(b, ins, series, BLOCK_ROLLUP_FINE, win, fine, bc, e);
		win = w;
		rc = rc ? rc : sum_add(fine, bl, len, bc, e);
		rc = rc ? rc : sum_add(all, bl, len, bc, e);
	}
	sqlite3_reset(sel);
	rc = rows_done(e, b->db, rc, "read profiles");
	if (!rc && win != INT64_MIN)
		rc = sum_flush(b, ins, series, BLOCK_ROLLUP_FINE, win, fine, bc, e);
	if (!rc && all->nprof)
		rc = sum_flush(b, ins, series, b->end - b->start, b->start, all, bc, e);
	return rc;
}

static void sum_init(struct sum *s, size_t nacc)
{
	s->acc = xcalloc(nacc, sizeof(*s->acc));
	s->mark = xcalloc(nacc, 1);
	s->touched = xmalloc(nacc * sizeof(*s->touched));
	s->nacc = nacc;
	s->ntouched = 0;
	s->total = 0;
	s->nprof = 0;
}

static void sum_release(struct sum *s)
{
	free(s->acc);
	free(s->mark);
	free(s->touched);
}

int block_seal(struct block *b, struct err *e)
{
	sqlite3_stmt *sel = NULL, *ins = NULL;
	struct sum fine, all;
	struct blob_ctx bc = {0};
	uint32_t nseries, i;
	int rc;

	if (b->sealed)
		return 0;
	if ((rc = block_begin(b, e)) < 0)
		return rc;
	nseries = intern_count(b->w.series);
	sum_init(&fine, b->w.nnodes);
	sum_init(&all, b->w.nnodes);
	rc = prepare(b->db, "SELECT ts, blob FROM profiles WHERE series=? ORDER BY ts", &sel, e);
	rc = rc ? rc : prepare(b->db, "INSERT OR REPLACE INTO rollups VALUES(?,?,?,?,?,?)", &ins, e);
	for (i = 1; i <= nseries && !rc; i++)
		rc = seal_series(b, sel, ins, i, &fine, &all, &bc, e);
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	rc = rc ? rc : exec(b->db, "UPDATE meta SET value=1 WHERE key='sealed'", e);
	rc = rc ? rc : block_commit(b, e);
	if (rc) {
		block_rollback(b);
	} else {
		/* Fold the WAL into the file: a sealed block is one file. */
		sqlite3_exec(b->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		wcache_release(&b->w);
		__atomic_store_n(&b->sealed, 1, __ATOMIC_RELEASE);
	}
	sum_release(&fine);
	sum_release(&all);
	blob_ctx_release(&bc);
	return rc;
}

int block_check(struct block *b, struct err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = open_db(b->path, SQLITE_OPEN_READONLY, &db, e)) < 0)
		return rc;
	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(st, 0);
		rc = res && !strcmp(res, "ok") ? 0
			: err_set(e, -EUCLEAN, "%s: integrity check failed: %s", b->path, res ? res : "?");
	} else {
		rc = sql_err(e, db, rc, b->path);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
