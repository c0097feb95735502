#include "filesd.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/file.h"
#include "../base/xalloc.h"

/* A file's identity: a change of any of these means "read it again". An
 * editor's atomic rename changes the inode; an in-place write changes the
 * size or the modification time. */
struct ident {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime;
};

struct sdfile {
	char *path;
	struct ident id;
	int64_t read_at;          /* ns; when last read (good or bad) */
	struct static_config *g;  /* last good groups */
	size_t ng;
	char error[512];
	int reported;             /* error given to filesd_report() */
};

/* A file list: a watcher's, or a scan's. limit is the FILESD_MAX_FILES
 * error (path: the first file ignored), an entry so that it is recorded
 * and reported once like a file's. */
struct list {
	struct sdfile *files;     /* sorted by path */
	size_t n;
	struct sdfile limit;
};

struct filesd {
	const struct file_sd_config *cfg;
	struct list l;
};

#define NO_KEEP SIZE_MAX

struct filesd_scan {
	struct list l;
	/* Per entry: the index in the watcher's list of the entry whose
	 * groups it keeps (not read again, or read and broken), NO_KEEP when
	 * it has its own. A kept entry's groups are NULL here until
	 * filesd_apply() moves them, so a scan frees only what it read. */
	size_t *keep;
	int changed;
};

struct filesd *filesd_new(const struct file_sd_config *cfg)
{
	struct filesd *f = xcalloc(1, sizeof(*f));

	f->cfg = cfg;
	return f;
}

static void sdfile_release(struct sdfile *sf)
{
	free(sf->path);
	static_configs_free(sf->g, sf->ng);
}

static void list_release(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		sdfile_release(&l->files[i]);
	free(l->files);
	sdfile_release(&l->limit);
	memset(l, 0, sizeof(*l));
}

void filesd_free(struct filesd *f)
{
	if (!f)
		return;
	list_release(&f->l);
	free(f);
}

static int same_patterns(const struct file_sd_config *a, const struct file_sd_config *b)
{
	size_t i;

	if (a->nfiles != b->nfiles)
		return 0;
	for (i = 0; i < a->nfiles; i++)
		if (strcmp(a->files[i], b->files[i]))
			return 0;
	return 1;
}

void filesd_adopt(struct filesd *f, struct filesd *old)
{
	if (!old || !same_patterns(f->cfg, old->cfg))
		return;
	list_release(&f->l);
	f->l = old->l;
	memset(&old->l, 0, sizeof(old->l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every path the patterns match, sorted and unique (caller frees). The
 * caller caps the count: capping here, before the sort, would keep a
 * different set of files depending on the order of the patterns. */
static char **expand(const struct file_sd_config *cfg, size_t *n)
{
	char **out = NULL;
	size_t cap = 0, i, k;
	glob_t g;

	*n = 0;
	for (i = 0; i < cfg->nfiles; i++) {
		memset(&g, 0, sizeof(g));
		if (glob(cfg->files[i], 0, NULL, &g) != 0) {
			globfree(&g);
			continue;
		}
		for (k = 0; k < g.gl_pathc; k++) {
			XGROW(out, cap, *n + 1);
			out[(*n)++] = xstrdup(g.gl_pathv[k]);
		}
		globfree(&g);
	}
	if (*n)
		qsort(out, *n, sizeof(*out), cmp_str);
	for (i = k = 0; i < *n; i++) {
		if (k && !strcmp(out[k - 1], out[i]))
			free(out[i]);
		else
			out[k++] = out[i];
	}
	*n = k;
	return out;
}

static int ident_of(const char *path, struct ident *id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

/* Records msg as sf's error; a message it did not have is reported again.
 * Compared as stored (truncated), so a long message repeated is one. */
static void set_error(struct sdfile *sf, const char *msg)
{
	if (strncmp(sf->error, msg, sizeof(sf->error) - 1))
		sf->reported = 0;
	snprintf(sf->error, sizeof(sf->error), "%s", msg);
}

/* Read sf's file again. Returns 1 when its groups changed (sf then owns
 * the new ones); on an error sf records it and keeps what it had. */
static int reread(struct sdfile *sf, int64_t now)
{
	struct static_config *g;
	uint8_t *data = NULL;
	size_t len, ng;
	struct err e = {0};
	int rc;

	sf->read_at = now;
	/* Regular files only: a FIFO would block open() and read() for ever,
	 * and with them every later poll and reload. */
	rc = file_read_regular(sf->path, SCRAPE_TARGETS_MAX_TEXT, &data, &len, &e);
	if (rc == 0)
		rc = scrape_targets_parse((const char *)data, len, sf->path, &g, &ng, &e);
	free(data);
	if (rc < 0) {
		set_error(sf, e.msg);
		return 0;
	}
	sf->error[0] = '\0';
	static_configs_free(sf->g, sf->ng);
	sf->g = g;
	sf->ng = ng;
	return 1;
}

/* The entry for path in a list (sorted), or NULL. */
static const struct sdfile *find(const struct list *l, const char *path)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->files[mid].path, path);
		if (!c)
			return &l->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Entry i of the scan, for path (taken): the watcher's entry carried over
 * (its groups kept) unless the file is new, changed or due for a refresh
 * and reads well. Returns 1 when the file is new or its groups changed. */
static int scan_file(const struct filesd *f, struct filesd_scan *sc, size_t i, char *path,
		     int64_t now)
{
	const struct sdfile *old = find(&f->l, path);
	struct sdfile *sf = &sc->l.files[i];
	struct ident id = {0};
	int rc = ident_of(path, &id);

	sc->keep[i] = NO_KEEP;
	if (old) {
		*sf = *old;
		sf->g = NULL;
		sf->ng = 0;
		sc->keep[i] = (size_t)(old - f->l.files);
	}
	sf->path = path;
	if (rc < 0) {
		char msg[sizeof(sf->error)];
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(-rc));
		set_error(sf, msg);
		/* So that the file is read (and the error cleared) when it
		 * can be stat'ed again, even with its old identity. */
		memset(&sf->id, 0, sizeof(sf->id));
		return !old;
	}
	if (old && !memcmp(&id, &sf->id, sizeof(id)) && now - sf->read_at < f->cfg->refresh)
		return 0;
	sf->id = id;
	if (!reread(sf, now))
		return !old;
	sc->keep[i] = NO_KEEP;
	return 1;
}

/* Paths beyond FILESD_MAX_FILES (paths[max..n), freed here) are an error
 * of their own, reported like a file's. */
static void scan_limit(const struct filesd *f, struct filesd_scan *sc, char **paths, size_t n)
{
	struct sdfile *lim = &sc->l.limit;
	char msg[sizeof(lim->error)];
	size_t i;

	*lim = f->l.limit;
	lim->path = NULL;
	lim->g = NULL;
	lim->ng = 0;
	if (n <= FILESD_MAX_FILES) {
		lim->error[0] = '\0';
		return;
	}
	snprintf(msg, sizeof(msg), "%zu files match, more than the limit of %d: the first %d by "
		 "path are read, the other %zu ignored (from %s on)", n, FILESD_MAX_FILES,
		 FILESD_MAX_FILES, n - FILESD_MAX_FILES, paths[FILESD_MAX_FILES]);
	set_error(lim, msg);
	lim->path = paths[FILESD_MAX_FILES];
	for (i = FILESD_MAX_FILES + 1; i < n; i++)
		free(paths[i]);
}

struct filesd_scan *filesd_scan(const struct filesd *f, int64_t now)
{
	struct filesd_scan *sc = xcalloc(1, sizeof(*sc));
	size_t n, i;
	char **paths = expand(f->cfg, &n);

	scan_limit(f, sc, paths, n);
	sc->l.n = n < FILESD_MAX_FILES ? n : FILESD_MAX_FILES;
	sc->l.files = xcalloc(sc->l.n ? sc->l.n : 1, sizeof(*sc->l.files));
	sc->keep = xcalloc(sc->l.n ? sc->l.n : 1, sizeof(*sc->keep));
	sc->changed = sc->l.n != f->l.n;
	for (i = 0; i < sc->l.n; i++)
		sc->changed |= scan_file(f, sc, i, paths[i], now);
	free(paths);
	return sc;
}

int filesd_apply(struct filesd *f, struct filesd_scan *sc)
{
	struct list prev = f->l;
	size_t i;

	for (i = 0; i < sc->l.n; i++) {
		struct sdfile *old;
		if (sc->keep[i] == NO_KEEP)
			continue;
		old = &prev.files[sc->keep[i]];
		sc->l.files[i].g = old->g;
		sc->l.files[i].ng = old->ng;
		old->g = NULL;
		old->ng = 0;
	}
	f->l = sc->l;
	sc->l = prev;
	/* prev's entries no longer match the indexes (and are freed whole). */
	free(sc->keep);
	sc->keep = NULL;
	return sc->changed;
}

void filesd_scan_free(struct filesd_scan *sc)
{
	if (!sc)
		return;
	list_release(&sc->l);
	free(sc->keep);
	free(sc);
}

int filesd_scan_changed(const struct filesd_scan *sc)
{
	return sc->changed;
}

size_t filesd_scan_nfiles(const struct filesd_scan *sc)
{
	return sc->l.n;
}

const char *filesd_scan_file(const struct filesd *f, const struct filesd_scan *sc, size_t i,
			     const struct static_config **groups, size_t *ngroups)
{
	const struct sdfile *sf = &sc->l.files[i];

	if (sc->keep[i] != NO_KEEP)
		sf = &f->l.files[sc->keep[i]];
	*groups = sf->g;
	*ngroups = sf->ng;
	return sc->l.files[i].path;
}

int filesd_poll(struct filesd *f, int64_t now)
{
	struct filesd_scan *sc = filesd_scan(f, now);
	int changed = filesd_apply(f, sc);

	filesd_scan_free(sc);
	return changed;
}

size_t filesd_nfiles(const struct filesd *f)
{
	return f->l.n;
}

const char *filesd_file(const struct filesd *f, size_t i, const struct static_config **groups,
			size_t *ngroups, const char **error)
{
	*groups = f->l.files[i].g;
	*ngroups = f->l.files[i].ng;
	*error = f->l.files[i].error;
	return f->l.files[i].path;
}

const char *filesd_limit(const struct filesd *f, const char **error)
{
	*error = f->l.limit.error;
	return f->l.limit.path;
}

static void report_one(struct sdfile *sf, const char *path, filesd_report_fn fn, void *arg)
{
	if (sf->error[0] && !sf->reported) {
		sf->reported = 1;
		fn(path, sf->error, arg);
	}
}

void filesd_report(struct filesd *f, filesd_report_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < f->l.n; i++)
		report_one(&f->l.files[i], f->l.files[i].path, fn, arg);
	report_one(&f->l.limit, NULL, fn, arg);
}
