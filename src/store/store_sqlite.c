/* The embedded backend: a directory of SQLite blocks (block.h).
 *
 *   DIR/LOCK                    flock()ed while a process has the store
 *   DIR/blocks/<start>-<end>.db one block per window, times in Unix seconds
 *   DIR/corrupt/                blocks that failed to open, set aside
 *
 * A profile goes to the block of its window (start aligned to the block
 * duration). Windows stay writable until maintenance seals them (their
 * end plus head_grace has passed); a profile for a sealed window is
 * refused. Appends are serialised by one mutex; queries take a
 * reference-counted snapshot of the block list and never wait for the
 * writer, since every block reader has its own SQLite connection (WAL).
 *
 * A batch that spans several windows commits per block: if a later block
 * fails, the earlier ones stay committed and the caller gets the error;
 * the retry is harmless because (series, timestamp) is stored once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/intern.h"
#include "../base/xalloc.h"
#include "block.h"
#include "store.h"

#define DEFAULT_BLOCK (2 * 3600LL * STORE_NS_PER_SEC)
#define DEFAULT_RETENTION (30 * 86400LL * STORE_NS_PER_SEC)
#define DEFAULT_GRACE (600LL * STORE_NS_PER_SEC)

struct bref {
	struct block *b;
	int refs;      /* snapshots holding it, plus 1 while listed */
	int doomed;    /* unlink the files when the last reference goes */
};

struct sqstore {
	struct store_base base;
	struct store_config cfg;
	char *dir;
	int lockfd;
	pthread_mutex_t wmu;          /* the one writer (appends, maintenance) */
	pthread_mutex_t lmu;          /* the block list and reference counts */
	struct bref **blocks;         /* sorted by start */
	size_t n, cap;
	/* The current registries (block.h), swapped under lmu: store-wide
	 * frame paths for merges, locations for pprof merges. Each query
	 * pins the current ones; rmu serialises their replacement. */
	struct block_paths *paths;
	struct block_locs *locs;
	pthread_mutex_t rmu;
	uint64_t rebuilds;            /* registries replaced (__atomic) */
	/* Group commit: appends queue here; one leader commits them all. */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct gc_req *queue;
	int leading;
	/* Warm-up after opening (cfg.warm): one thread, stopped by sq_close. */
	pthread_t warm_thread;
	int warm_started;
	int warm_stop, warming;       /* __atomic */
};

struct gc_req {
	const struct store_profile *ps;
	const struct prep *pr;        /* per profile, built before queueing */
	size_t n;
	int rc, done;
	struct err e;
	struct gc_req *next;
};

/* ---- block list ----------------------------------------------------------- */

static void unlink_block_files(const char *path)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char p[4096];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static void bref_put(struct sqstore *s, struct bref *r)
{
	int last;

	pthread_mutex_lock(&s->lmu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&s->lmu);
	if (!last)
		return;
	if (r->doomed) {
		char *path = xstrdup(block_path(r->b));
		block_close(r->b);
		unlink_block_files(path);
		free(path);
	} else {
		block_close(r->b);
	}
	free(r);
}

/* The blocks overlapping [from, until), referenced; release with snap_put. */
static struct bref **snap_get(struct sqstore *s, int64_t from, int64_t until, size_t *n)
{
	struct bref **v;
	size_t i, k = 0;

	pthread_mutex_lock(&s->lmu);
	v = xmalloc((s->n + 1) * sizeof(*v));
	for (i = 0; i < s->n; i++) {
		struct block *b = s->blocks[i]->b;
		if (block_start(b) < until && block_end(b) > from) {
			s->blocks[i]->refs++;
			v[k++] = s->blocks[i];
		}
	}
	pthread_mutex_unlock(&s->lmu);
	*n = k;
	return v;
}

static void snap_put(struct sqstore *s, struct bref **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		bref_put(s, v[i]);
	free(v);
}

static void list_insert(struct sqstore *s, struct block *b)
{
	struct bref *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->b = b;
	r->refs = 1;
	pthread_mutex_lock(&s->lmu);
	XGROW(s->blocks, s->cap, s->n + 1);
	for (i = s->n; i > 0 && block_start(s->blocks[i - 1]->b) > block_start(b); i--)
		s->blocks[i] = s->blocks[i - 1];
	s->blocks[i] = r;
	s->n++;
	pthread_mutex_unlock(&s->lmu);
}

/* Takes block i off the list; its files go when the last reader is done. */
static void list_remove(struct sqstore *s, size_t i)
{
	struct bref *r;

	pthread_mutex_lock(&s->lmu);
	r = s->blocks[i];
	memmove(&s->blocks[i], &s->blocks[i + 1], (s->n - i - 1) * sizeof(*s->blocks));
	s->n--;
	r->doomed = 1;
	pthread_mutex_unlock(&s->lmu);
	bref_put(s, r);
}

/* Retention removed the block since the caller's snapshot was taken: its
 * paths would only fill the registries with what no query can ask for,
 * after maintenance counted what the live blocks need (warm_main). */
static int bref_doomed(struct sqstore *s, struct bref *r)
{
	int d;

	pthread_mutex_lock(&s->lmu);
	d = r->doomed;
	pthread_mutex_unlock(&s->lmu);
	return d;
}

/* The current registries, referenced for one query (block.h). */
static struct block_paths *paths_pin(struct sqstore *s)
{
	struct block_paths *p;

	pthread_mutex_lock(&s->lmu);
	p = block_paths_ref(s->paths);
	pthread_mutex_unlock(&s->lmu);
	return p;
}

static struct block_locs *locs_pin(struct sqstore *s)
{
	struct block_locs *l;

	pthread_mutex_lock(&s->lmu);
	l = block_locs_ref(s->locs);
	pthread_mutex_unlock(&s->lmu);
	return l;
}

/* ---- open and close ------------------------------------------------------- */

static int mkdir_p(const char *path, struct err *e)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static void set_aside(struct sqstore *s, const char *name, const char *why)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char from[4096], to[4096];
	size_t i;

	fprintf(stderr, "stackyard: store: %s/blocks/%s: %s; moved to %s/corrupt/\n", s->dir,
		name, why, s->dir);
	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s/blocks/%s%s", s->dir, name, sfx[i]);
		snprintf(to, sizeof(to), "%s/corrupt/%s%s", s->dir, name, sfx[i]);
		rename(from, to);
	}
}

/* A "<block>.db.tmp" is a block whose creation a crash interrupted before
 * its rename: it never held data. */
static void remove_tmp(struct sqstore *s, const char *name)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[4096];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/blocks/%s%s", s->dir, name, sfx[i]);
		unlink(p);
	}
}

/* Opens every block; damaged ones are reported and moved to corrupt/. The
 * recent, unsealed blocks (the only ones a crash could have been writing)
 * also get an integrity check; sealed ones only a header check, so that
 * reopening a large store stays fast. */
static int load_blocks(struct sqstore *s, struct err *e)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/blocks", s->dir);
	if (!(d = opendir(path)))
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct block *b;
		struct err be = {0};
		if (len > 7 && !strcmp(de->d_name + len - 7, ".db.tmp")) {
			remove_tmp(s, de->d_name);
			continue;
		}
		if (len < 4 || strcmp(de->d_name + len - 3, ".db"))
			continue;
		snprintf(path, sizeof(path), "%s/blocks/%s", s->dir, de->d_name);
		if (block_open(path, &b, &be) < 0 ||
		    (!block_sealed(b) && block_check(b, &be) < 0)) {
			if (be.code != -EUCLEAN && be.code != 0 && be.code != -EIO) {
				closedir(d);
				return err_set(e, be.code, "%s", be.msg);
			}
			set_aside(s, de->d_name, be.msg);
			continue;
		}
		list_insert(s, b);
	}
	closedir(d);
	return 0;
}

static void sq_close(struct store *st)
{
	struct sqstore *s = (struct sqstore *)st;
	size_t i;

	if (!s)
		return;
	if (s->warm_started) {
		__atomic_store_n(&s->warm_stop, 1, __ATOMIC_RELEASE);
		pthread_join(s->warm_thread, NULL);
	}
	for (i = 0; i < s->n; i++)
		bref_put(s, s->blocks[i]);
	free(s->blocks);
	if (s->lockfd >= 0)
		close(s->lockfd);
	pthread_mutex_destroy(&s->wmu);
	pthread_mutex_destroy(&s->lmu);
	pthread_mutex_destroy(&s->qmu);
	pthread_cond_destroy(&s->qcv);
	pthread_mutex_destroy(&s->rmu);
	block_paths_unref(s->paths);
	block_locs_unref(s->locs);
	free(s->dir);
	free(s);
}

static int take_lock(struct sqstore *s, struct err *e)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/LOCK", s->dir);
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0)
		return err_set(e, -EBUSY, "%s: another stackyard process is using this data directory",
			       s->dir);
	return 0;
}

/* The first query after opening a store would load every block it reads
 * (stack tree, frame names, store-wide path ids: about 90 ms a block on
 * these machines, 7.6 s for a week of 2 h blocks). This thread does that
 * ahead of time, newest block first, for the blocks of the last cfg.warm,
 * while the server already answers. Queries that come first are correct,
 * only as slow as without it; errors here are left for queries to report. */
static void *warm_main(void *arg)
{
	struct sqstore *s = arg;
	int64_t until = INT64_MIN;
	struct bref **v;
	size_t n, i;

	v = snap_get(s, INT64_MIN, INT64_MAX, &n);
	for (i = 0; i < n; i++)
		if (block_end(v[i]->b) > until)
			until = block_end(v[i]->b);
	for (i = n; i-- > 0 && !__atomic_load_n(&s->warm_stop, __ATOMIC_ACQUIRE);) {
		struct block_reader *r;
		struct err e = {0};
		if (block_end(v[i]->b) <= until - s->cfg.warm || bref_doomed(s, v[i]))
			continue;
		if (block_reader_open(v[i]->b, &r, &e) == 0) {
			/* Pinned per block: a rebuild meanwhile is followed. */
			struct block_paths *p = paths_pin(s);
			block_reader_warm(r, p, &e);
			block_paths_unref(p);
			block_reader_close(r);
		}
	}
	snap_put(s, v, n);
	__atomic_store_n(&s->warming, 0, __ATOMIC_RELEASE);
	return NULL;
}

static void warm_start(struct sqstore *s)
{
	if (s->cfg.warm <= 0 || !s->n)
		return;
	s->warming = 1;
	if (pthread_create(&s->warm_thread, NULL, warm_main, s) == 0)
		s->warm_started = 1;
	else
		s->warming = 0; /* no thread: queries load blocks themselves */
}

static int sq_open(const struct store_config *cfg, struct store **out, struct err *e)
{
	struct sqstore *s = xcalloc(1, sizeof(*s));
	char path[4096];
	int rc;

	*out = NULL;
	s->base.ops = &store_sqlite_ops;
	s->cfg = *cfg;
	s->lockfd = -1;
	s->dir = xstrdup(cfg->dir ? cfg->dir : "data");
	s->cfg.dir = s->dir;
	if (s->cfg.block_duration <= 0)
		s->cfg.block_duration = DEFAULT_BLOCK;
	if (s->cfg.retention == 0)
		s->cfg.retention = DEFAULT_RETENTION;
	if (s->cfg.head_grace <= 0)
		s->cfg.head_grace = DEFAULT_GRACE;
	pthread_mutex_init(&s->wmu, NULL);
	pthread_mutex_init(&s->lmu, NULL);
	pthread_mutex_init(&s->qmu, NULL);
	pthread_cond_init(&s->qcv, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	s->paths = block_paths_new();
	s->locs = block_locs_new();
	rc = mkdir_p(s->dir, e);
	snprintf(path, sizeof(path), "%s/blocks", s->dir);
	rc = rc ? rc : mkdir_p(path, e);
	snprintf(path, sizeof(path), "%s/corrupt", s->dir);
	rc = rc ? rc : mkdir_p(path, e);
	rc = rc ? rc : take_lock(s, e);
	rc = rc ? rc : load_blocks(s, e);
	if (rc) {
		sq_close((struct store *)s);
		return rc;
	}
	warm_start(s);
	*out = (struct store *)s;
	return 0;
}

/* ---- append ------------------------------------------------------------- */

static int64_t window_of(const struct sqstore *s, int64_t ts)
{
	int64_t d = s->cfg.block_duration, w = ts / d * d;

	return ts < 0 && w != ts ? w - d : w;
}

/* The block for window start w, created if absent. Writer lock held. */
static int block_for(struct sqstore *s, int64_t w, struct block **out, struct err *e)
{
	char path[4096];
	size_t i;
	int rc;

	pthread_mutex_lock(&s->lmu);
	for (i = 0; i < s->n; i++) {
		if (block_start(s->blocks[i]->b) == w) {
			*out = s->blocks[i]->b;
			pthread_mutex_unlock(&s->lmu);
			return block_sealed(*out)
				? err_set(e, -EROFS, "profile at %" PRId64 " s is too old: its window is sealed",
					  w / STORE_NS_PER_SEC)
				: 0;
		}
	}
	pthread_mutex_unlock(&s->lmu);
	snprintf(path, sizeof(path), "%s/blocks/%" PRId64 "-%" PRId64 ".db", s->dir,
		 w / STORE_NS_PER_SEC, (w + s->cfg.block_duration) / STORE_NS_PER_SEC);
	if ((rc = block_create(path, w, w + s->cfg.block_duration, out, e)) < 0)
		return rc;
	list_insert(s, *out);
	return 0;
}

/* A profile to write and its content keys. */
struct item {
	const struct store_profile *sp;
	const struct prep *pr;
};

static int ts_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->sp->ts < y->sp->ts ? -1 : x->sp->ts > y->sp->ts;
}

/* Commits the profiles of one window (v[0..n)). */
static int append_window(struct sqstore *s, const struct item *v, size_t n, struct err *e)
{
	struct block *b;
	size_t i;
	int rc;

	if ((rc = block_for(s, window_of(s, v[0].sp->ts), &b, e)) < 0)
		return rc;
	if ((rc = block_begin(b, e)) < 0)
		return rc;
	for (i = 0; i < n && !rc; i++)
		rc = block_put(b, v[i].sp, v[i].pr, e);
	rc = rc ? rc : block_commit(b, e);
	if (rc)
		block_rollback(b);
	return rc;
}

/* Commits profiles (any windows) under the writer lock. */
static int append_locked(struct sqstore *s, struct item *v, size_t n, struct err *e)
{
	size_t i, j;
	int rc = 0;

	qsort(v, n, sizeof(*v), ts_cmp);
	pthread_mutex_lock(&s->wmu);
	for (i = 0; i < n && !rc; i = j) {
		int64_t w = window_of(s, v[i].sp->ts);
		for (j = i + 1; j < n && window_of(s, v[j].sp->ts) == w; j++)
			;
		rc = append_window(s, v + i, j - i, e);
	}
	pthread_mutex_unlock(&s->wmu);
	return rc;
}

static int append_reqs(struct sqstore *s, struct gc_req *reqs, struct err *e)
{
	struct item *v;
	struct gc_req *r;
	size_t n = 0, k = 0, i;
	int rc;

	for (r = reqs; r; r = r->next)
		n += r->n;
	v = xmalloc((n + 1) * sizeof(*v));
	for (r = reqs; r; r = r->next)
		for (i = 0; i < r->n; i++)
			v[k++] = (struct item){&r->ps[i], &r->pr[i]};
	rc = append_locked(s, v, n, e);
	free(v);
	return rc;
}

/* Group commit: concurrent appends wait in a queue; the first caller that
 * finds no leader takes the whole queue and commits it in one transaction
 * per window (one fsync for many requests). If that fails, each request is
 * retried alone so that one bad request does not fail its neighbours; the
 * retries are harmless since a (series, timestamp) is stored once. */
static int sq_append(struct store *st, const struct store_profile *ps, size_t n, struct err *e)
{
	struct sqstore *s = (struct sqstore *)st;
	struct gc_req me = {ps, NULL, n, 0, 0, {0}, NULL}, *batch, *r;
	struct prep *pr = xcalloc(n + 1, sizeof(*pr));
	size_t i;
	int rc;

	/* Outside every lock: concurrent appenders hash in parallel. */
	for (i = 0; i < n; i++)
		prep_build(ps[i].p, &pr[i]);
	me.pr = pr;
	pthread_mutex_lock(&s->qmu);
	me.next = s->queue;
	s->queue = &me;
	while (!me.done) {
		if (s->leading) {
			pthread_cond_wait(&s->qcv, &s->qmu);
			continue;
		}
		s->leading = 1;
		batch = s->queue;
		s->queue = NULL;
		pthread_mutex_unlock(&s->qmu);
		rc = append_reqs(s, batch, &me.e);
		for (r = batch; r; r = r->next) {
			if (rc && batch->next) {
				struct gc_req *next = r->next;
				r->next = NULL;
				r->rc = append_reqs(s, r, &r->e);
				r->next = next;
			} else {
				r->rc = rc;
				if (r != &me)
					r->e = me.e;
			}
		}
		pthread_mutex_lock(&s->qmu);
		for (r = batch; r; r = r->next)
			r->done = 1;
		s->leading = 0;
		pthread_cond_broadcast(&s->qcv);
	}
	pthread_mutex_unlock(&s->qmu);
	for (i = 0; i < n; i++)
		prep_release(&pr[i]);
	free(pr);
	if (me.rc && e)
		*e = me.e;
	return me.rc;
}

/* ---- queries -------------------------------------------------------------- */

/* Runs fn on a reader of every block overlapping [from, until). */
static int each_block(struct sqstore *s, int64_t from, int64_t until,
		      int (*fn)(struct block_reader *r, void *ctx, struct err *e),
		      void *ctx, struct err *e)
{
	size_t n, i;
	struct bref **v = snap_get(s, from, until, &n);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		struct block_reader *r;
		if ((rc = block_reader_open(v[i]->b, &r, e)) < 0)
			break;
		rc = fn(r, ctx, e);
		block_reader_close(r);
	}
	snap_put(s, v, n);
	return rc;
}

/* Series seen in several blocks are reported once (by canonical labels). */
struct series_q {
	const struct selector *sel;
	store_series_cb cb;
	void *ctx;
	struct intern *seen;
	struct buf key;
};

static int series_seen_cb(void *ctx, const struct store_series_info *info)
{
	struct series_q *q = ctx;
	int is_new;

	buf_reset(&q->key);
	labels_format(info->labels, info->nlabels, &q->key);
	intern_put(q->seen, q->key.data, q->key.len, &is_new);
	return is_new ? q->cb(q->ctx, info) : 0;
}

static int series_block(struct block_reader *r, void *ctx, struct err *e)
{
	struct series_q *q = ctx;
	uint32_t *ids;
	size_t n;
	int rc = block_reader_series(r, q->sel, &ids, &n, series_seen_cb, q, e);

	free(ids);
	return rc;
}

static int sq_series(struct store *st, const struct selector *sel, int64_t from,
		     int64_t until, store_series_cb cb, void *ctx, struct err *e)
{
	struct series_q q = {sel, cb, ctx, intern_new(256), BUF_INIT};
	int rc = each_block((struct sqstore *)st, from, until, series_block, &q, e);

	intern_free(q.seen);
	buf_release(&q.key);
	return rc;
}

/* Label names, values and profile types are collected across blocks,
 * deduplicated and handed out sorted. */
struct strings_q {
	const struct selector *sel;
	const char *name;
	struct intern *set;
};

static int collect_cb(void *ctx, const char *s)
{
	struct strings_q *q = ctx;

	intern_put(q->set, s, strlen(s) + 1, NULL);
	return 0;
}

static int labels_block(struct block_reader *r, void *ctx, struct err *e)
{
	struct strings_q *q = ctx;
	uint32_t *ids;
	size_t n;
	int rc = block_reader_series(r, q->sel, &ids, &n, NULL, NULL, e);

	if (!rc)
		rc = block_reader_labels(r, q->name, ids, n, collect_cb, q, e);
	free(ids);
	return rc;
}

static int types_block(struct block_reader *r, void *ctx, struct err *e)
{
	return block_reader_profile_types(r, collect_cb, ctx, e);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit_sorted(struct intern *set, store_string_cb cb, void *ctx)
{
	uint32_t n = intern_count(set), i;
	const char **v = xmalloc((n + 1) * sizeof(*v));
	int rc = 0;

	for (i = 0; i < n; i++)
		v[i] = intern_key(set, i, NULL);
	qsort(v, n, sizeof(*v), str_cmp);
	for (i = 0; i < n && !rc; i++)
		rc = cb(ctx, v[i]) < 0 ? -ECANCELED : 0;
	free(v);
	return rc;
}

static int strings_query(struct sqstore *s, const struct selector *sel, const char *name,
			 int types, int64_t from, int64_t until, store_string_cb cb,
			 void *ctx, struct err *e)
{
	struct strings_q q = {sel, name, intern_new(64)};
	int rc = each_block(s, from, until, types ? types_block : labels_block, &q, e);

	if (!rc)
		rc = emit_sorted(q.set, cb, ctx);
	intern_free(q.set);
	return rc;
}

static int sq_label_names(struct store *st, const struct selector *sel, int64_t from,
			  int64_t until, store_string_cb cb, void *ctx, struct err *e)
{
	return strings_query((struct sqstore *)st, sel, NULL, 0, from, until, cb, ctx, e);
}

static int sq_label_values(struct store *st, const char *name, const struct selector *sel,
			   int64_t from, int64_t until, store_string_cb cb, void *ctx,
			   struct err *e)
{
	return strings_query((struct sqstore *)st, sel, name, 0, from, until, cb, ctx, e);
}

static int sq_profile_types(struct store *st, int64_t from, int64_t until,
			    store_string_cb cb, void *ctx, struct err *e)
{
	return strings_query((struct sqstore *)st, NULL, NULL, 1, from, until, cb, ctx, e);
}

struct merge_q {
	const struct selector *sel;
	int64_t from, until;
	struct block_paths *paths;
	struct block_acc acc;
};

static int merge_block(struct block_reader *r, void *ctx, struct err *e)
{
	struct merge_q *q = ctx;
	uint32_t *ids;
	size_t n;
	int rc = block_reader_series(r, q->sel, &ids, &n, NULL, NULL, e);

	if (!rc)
		rc = block_reader_merge(r, q->paths, ids, n, q->from, q->until, &q->acc, e);
	free(ids);
	return rc;
}

static int sq_merge(struct store *st, const struct selector *sel, int64_t from,
		    int64_t until, struct stacktree *out, struct err *e)
{
	struct sqstore *s = (struct sqstore *)st;
	struct merge_q q = {sel, from, until, paths_pin(s), {NULL, 0}};
	int rc = each_block(s, from, until, merge_block, &q, e);

	if (!rc)
		block_paths_render(q.paths, &q.acc, out);
	block_paths_unref(q.paths);
	free(q.acc.v);
	return rc;
}

/* ---- merge to full-fidelity pprof ---------------------------------------- */

struct pprof_q {
	const struct selector *sel;
	int64_t from, until;
	struct block_locs *locs;
	struct block_acc acc;
	struct pprof_profile *out;
};

/* An empty profile with the sample type and period type that profile type
 * id name:type:unit:period_type:period_unit names ("" where parts lack). */
static struct pprof_profile *typed_profile(const char *id)
{
	struct pprof_profile *p = pprof_new();
	char *dup = xstrdup(id), *part[5], *s = dup;
	size_t i;

	for (i = 0; i < 5; i++) {
		char *c = s ? strchr(s, ':') : NULL;
		if (c)
			*c = '\0';
		part[i] = s ? s : "";
		s = c ? c + 1 : NULL;
	}
	pprof_add_sample_type(p, part[1], part[2]);
	p->period_type.type = pprof_intern_cstr(p, part[3]);
	p->period_type.unit = pprof_intern_cstr(p, part[4]);
	free(dup);
	return p;
}

static int pprof_block(struct block_reader *r, void *ctx, struct err *e)
{
	struct pprof_q *q = ctx;
	uint32_t *ids;
	size_t n;
	int rc = block_reader_series(r, q->sel, &ids, &n, NULL, NULL, e);

	if (!rc)
		rc = block_reader_pprof(r, q->locs, ids, n, q->from, q->until, &q->acc, q->out, e);
	free(ids);
	return rc;
}

static int sq_merge_pprof(struct store *st, const struct selector *sel, int64_t from,
			  int64_t until, struct pprof_profile **out, struct err *e)
{
	struct sqstore *s = (struct sqstore *)st;
	struct pprof_q q = {sel, from, until, locs_pin(s), {NULL, 0}, typed_profile(sel->profile_type)};
	int rc = each_block(s, from, until, pprof_block, &q, e);

	if (!rc)
		block_locs_render(q.locs, &q.acc, q.out);
	block_locs_unref(q.locs);
	free(q.acc.v);
	if (rc) {
		pprof_free(q.out);
		q.out = NULL;
	}
	*out = q.out;
	return rc;
}

/* ---- range: totals per step, per series or per label value -------------- */

struct group {
	struct label *labels;   /* owned copies */
	size_t n;
	int64_t *sums;
};

struct range_q {
	const struct selector *sel;
	const char *group_by;
	int64_t from, until, step;
	size_t nsteps;
	struct intern *keys;    /* group key -> group index */
	struct group *groups;
	size_t cap;
	uint32_t *gidx;         /* per series of the current block */
	size_t ngidx, capg;
	struct buf key;
};

static void group_new(struct range_q *q, uint32_t g, const struct store_series_info *info)
{
	struct group *gr;
	size_t i;

	XGROW(q->groups, q->cap, (size_t)g + 1);
	gr = &q->groups[g];
	gr->sums = xcalloc(q->nsteps, sizeof(*gr->sums));
	if (q->group_by) {
		const char *v = labels_get(info->labels, info->nlabels, q->group_by);
		gr->n = 1;
		gr->labels = xmalloc(sizeof(*gr->labels));
		gr->labels[0].name = xstrdup(q->group_by);
		gr->labels[0].value = xstrdup(v ? v : "");
		return;
	}
	gr->n = info->nlabels;
	gr->labels = xmalloc((info->nlabels + 1) * sizeof(*gr->labels));
	for (i = 0; i < info->nlabels; i++) {
		gr->labels[i].name = xstrdup(info->labels[i].name);
		gr->labels[i].value = xstrdup(info->labels[i].value);
	}
}

static int range_series_cb(void *ctx, const struct store_series_info *info)
{
	struct range_q *q = ctx;
	uint32_t g;
	int is_new;

	buf_reset(&q->key);
	if (q->group_by) {
		const char *v = labels_get(info->labels, info->nlabels, q->group_by);
		buf_puts(&q->key, v ? v : "");
	} else {
		labels_format(info->labels, info->nlabels, &q->key);
	}
	g = intern_put(q->keys, q->key.data, q->key.len, &is_new);
	if (is_new)
		group_new(q, g, info);
	XGROW(q->gidx, q->capg, q->ngidx + 1);
	q->gidx[q->ngidx++] = g;
	return 0;
}

static int range_block(struct block_reader *r, void *ctx, struct err *e)
{
	struct range_q *q = ctx;
	int64_t *sums;
	uint32_t *ids;
	size_t n, i, k;
	int rc;

	q->ngidx = 0;
	if ((rc = block_reader_series(r, q->sel, &ids, &n, range_series_cb, q, e)) < 0) {
		free(ids);
		return rc;
	}
	sums = xcalloc(n * q->nsteps + 1, sizeof(*sums));
	rc = block_reader_range(r, ids, n, q->from, q->until, q->step, sums, q->nsteps, e);
	for (i = 0; i < n && !rc; i++)
		for (k = 0; k < q->nsteps; k++)
			q->groups[q->gidx[i]].sums[k] += sums[i * q->nsteps + k];
	free(sums);
	free(ids);
	return rc;
}

static int sq_range(struct store *st, const struct selector *sel, int64_t from, int64_t until,
		    int64_t step, const char *group_by, store_range_cb cb, void *ctx,
		    struct err *e)
{
	struct range_q q = {0};
	struct store_point *pts;
	uint32_t g, ng;
	size_t k, i;
	int rc;

	q.sel = sel;
	q.group_by = group_by && *group_by ? group_by : NULL;
	q.from = from;
	q.until = until;
	q.step = step;
	q.nsteps = (size_t)((until - from + step - 1) / step);
	q.keys = intern_new(64);
	rc = each_block((struct sqstore *)st, from, until, range_block, &q, e);
	ng = intern_count(q.keys);
	pts = xmalloc((q.nsteps + 1) * sizeof(*pts));
	for (g = 0; g < ng; g++) {
		struct store_series_info info = {sel ? sel->profile_type : NULL,
						 q.groups[g].labels, q.groups[g].n};
		for (k = 0; k < q.nsteps; k++) {
			pts[k].ts = from + (int64_t)k * step;
			pts[k].value = q.groups[g].sums[k];
		}
		if (!rc && cb(ctx, &info, pts, q.nsteps) < 0)
			rc = -ECANCELED;
		for (i = 0; i < q.groups[g].n; i++) {
			free((char *)q.groups[g].labels[i].name);
			free((char *)q.groups[g].labels[i].value);
		}
		free(q.groups[g].labels);
		free(q.groups[g].sums);
	}
	free(pts);
	free(q.groups);
	free(q.gidx);
	buf_release(&q.key);
	intern_free(q.keys);
	return rc;
}

/* ---- profiles: one at a time, for statistics over profiles --------------- */

struct profiles_q {
	const struct selector *sel;
	int64_t from, until;
	struct stacktree *paths;
	store_profile_cb cb;
	void *ctx;
	struct store_series_info *info;  /* per series of the current block */
	size_t ninfo, cap;
	const uint32_t *ids;
	size_t at;                       /* index of the last row's series */
};

/* Series info points into the block's reader cache, which stays put while
 * the block is in our snapshot (labels of a known series never move). */
static int profiles_series_cb(void *ctx, const struct store_series_info *info)
{
	struct profiles_q *q = ctx;

	XGROW(q->info, q->cap, q->ninfo + 1);
	q->info[q->ninfo++] = *info;
	return 0;
}

static int profiles_row_cb(void *ctx, uint32_t series, int64_t ts, const uint32_t *nodes,
			   const int64_t *values, size_t n)
{
	struct profiles_q *q = ctx;
	size_t k;

	/* Rows come series by series in the order of ids[], so the search
	 * starts where the last row's series was: one step per series, not a
	 * scan of all series per row. */
	for (k = 0; k < q->ninfo; k++) {
		size_t i = (q->at + k) % q->ninfo;
		if (q->ids[i] == series) {
			q->at = i;
			return q->cb(q->ctx, &q->info[i], ts, nodes, values, n);
		}
	}
	return -EUCLEAN;
}

static int profiles_block(struct block_reader *r, void *ctx, struct err *e)
{
	struct profiles_q *q = ctx;
	uint32_t *ids;
	size_t n;
	int rc;

	q->ninfo = q->at = 0;
	rc = block_reader_series(r, q->sel, &ids, &n, profiles_series_cb, q, e);
	q->ids = ids;
	if (!rc)
		rc = block_reader_profiles(r, ids, n, q->from, q->until, q->paths, profiles_row_cb,
					   q, e);
	free(ids);
	return rc;
}

static int sq_profiles(struct store *st, const struct selector *sel, int64_t from,
		       int64_t until, struct stacktree *paths, store_profile_cb cb, void *ctx,
		       struct err *e)
{
	struct profiles_q q = {sel, from, until, paths, cb, ctx, NULL, 0, 0, NULL, 0};
	int rc = each_block((struct sqstore *)st, from, until, profiles_block, &q, e);

	free(q.info);
	return rc;
}

/* ---- maintenance and stats ---------------------------------------------- */

static int seal_due(struct sqstore *s, int64_t now, struct err *e)
{
	size_t n, i;
	struct bref **v = snap_get(s, INT64_MIN, INT64_MAX, &n);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		struct block *b = v[i]->b;
		if (!block_sealed(b) && block_end(b) + s->cfg.head_grace <= now)
			rc = block_seal(b, e);
	}
	snap_put(s, v, n);
	return rc;
}

/* Returns how many blocks went. */
static size_t apply_retention(struct sqstore *s, int64_t now)
{
	uint64_t total = 0;
	size_t i, gone = 0;

	if (s->cfg.retention > 0) {
		while (s->n && block_end(s->blocks[0]->b) <= now - s->cfg.retention) {
			list_remove(s, 0);
			gone++;
		}
	}
	if (!s->cfg.retention_bytes)
		return gone;
	for (i = 0; i < s->n; i++)
		total += block_file_bytes(s->blocks[i]->b);
	/* Oldest first, and never a block that still takes writes. */
	while (s->n > 1 && total > s->cfg.retention_bytes && block_sealed(s->blocks[0]->b)) {
		total -= block_file_bytes(s->blocks[0]->b);
		list_remove(s, 0);
		gone++;
	}
	return gone;
}

/* A registry is replaced when entries no live block uses (those of
 * deleted blocks) outnumber the used ones, and are at least this many:
 * so memory stays within twice what the live blocks need, and the cost
 * of a replacement (remapping the live blocks) is paid at most once per
 * as many entries freed. */
#define REGISTRY_MIN_GARBAGE 1024

static int registry_due(size_t size, size_t live)
{
	return size > live && size - live > live && size - live >= REGISTRY_MIN_GARBAGE;
}

/* After retention: starts fresh registries if the old ones are mostly
 * garbage, then remaps the live blocks that had been merged into the old
 * ones, outside the writer lock. Queries in flight keep the registries
 * they pinned (block.h). */
static void registry_shrink(struct sqstore *s)
{
	struct block_paths *p, *np = NULL;
	struct block_locs *l, *nl = NULL;
	struct block **bv;
	struct bref **v;
	size_t n, i, live;

	pthread_mutex_lock(&s->rmu);
	v = snap_get(s, INT64_MIN, INT64_MAX, &n);
	bv = xmalloc((n + 1) * sizeof(*bv));
	for (i = 0; i < n; i++)
		bv[i] = v[i]->b;
	p = paths_pin(s);
	l = locs_pin(s);
	/* Live first: queries may grow a registry meanwhile, never shrink it. */
	live = block_paths_live(p, bv, n);
	if (registry_due(block_paths_size(p), live))
		np = block_paths_new();
	live = block_locs_live(l, bv, n);
	if (registry_due(block_locs_size(l, NULL), live))
		nl = block_locs_new();
	if (np || nl) {
		pthread_mutex_lock(&s->lmu);
		if (np)
			s->paths = np;
		if (nl)
			s->locs = nl;
		pthread_mutex_unlock(&s->lmu);
		/* The store's references to the old ones; ours go below. */
		if (np)
			block_paths_unref(p);
		if (nl)
			block_locs_unref(l);
		__atomic_add_fetch(&s->rebuilds, 1, __ATOMIC_RELAXED);
		for (i = 0; i < n; i++)
			block_rebind(bv[i], np, nl);
	}
	block_paths_unref(p);
	block_locs_unref(l);
	free(bv);
	snap_put(s, v, n);
	pthread_mutex_unlock(&s->rmu);
}

static int sq_maintain(struct store *st, int64_t now, struct err *e)
{
	struct sqstore *s = (struct sqstore *)st;
	size_t gone;
	int rc;

	pthread_mutex_lock(&s->wmu);
	rc = seal_due(s, now, e);
	gone = apply_retention(s, now);
	pthread_mutex_unlock(&s->wmu);
	/* Only deleted blocks leave entries that nothing live uses. */
	if (gone)
		registry_shrink(s);
	return rc;
}

struct stats_q {
	struct store_stats *st;
};

static int stats_block(struct block_reader *r, void *ctx, struct err *e)
{
	struct stats_q *q = ctx;
	uint64_t series = 0, profiles = 0;
	int64_t lo = 0, hi = 0;
	int rc = block_reader_count(r, &series, &profiles, &lo, &hi, e);

	if (rc)
		return rc;
	q->st->series += series;
	q->st->profiles += profiles;
	if (profiles && (!q->st->min_time || lo < q->st->min_time))
		q->st->min_time = lo;
	if (profiles && hi > q->st->max_time)
		q->st->max_time = hi;
	return 0;
}

static void registry_stats(struct sqstore *s, struct store_stats *out)
{
	struct block_paths *p = paths_pin(s);
	struct block_locs *l = locs_pin(s);
	size_t locations;

	out->reg_paths = block_paths_size(p);
	out->reg_lpaths = block_locs_size(l, &locations);
	out->reg_locations = locations;
	out->reg_rebuilds = __atomic_load_n(&s->rebuilds, __ATOMIC_RELAXED);
	block_paths_unref(p);
	block_locs_unref(l);
}

static int sq_stats(struct store *st, struct store_stats *out, struct err *e)
{
	struct sqstore *s = (struct sqstore *)st;
	struct stats_q q = {out};
	size_t n, i;
	struct bref **v;

	memset(out, 0, sizeof(*out));
	out->warming = __atomic_load_n(&s->warming, __ATOMIC_ACQUIRE);
	registry_stats(s, out);
	v = snap_get(s, INT64_MIN, INT64_MAX, &n);
	for (i = 0; i < n; i++) {
		out->blocks++;
		out->sealed_blocks += block_sealed(v[i]->b) != 0;
		out->bytes += block_file_bytes(v[i]->b);
	}
	snap_put(s, v, n);
	return each_block(s, INT64_MIN, INT64_MAX, stats_block, &q, e);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.append = sq_append,
	.series = sq_series,
	.label_names = sq_label_names,
	.label_values = sq_label_values,
	.profile_types = sq_profile_types,
	.merge = sq_merge,
	.range = sq_range,
	.maintain = sq_maintain,
	.stats = sq_stats,
	.profiles = sq_profiles,
	.merge_pprof = sq_merge_pprof,
};
