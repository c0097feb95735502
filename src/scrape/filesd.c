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

struct filesd {
	const struct file_sd_config *cfg;
	struct sdfile *files;     /* sorted by path */
	size_t n;
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

static void files_free(struct sdfile *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sdfile_release(&files[i]);
	free(files);
}

void filesd_free(struct filesd *f)
{
	if (!f)
		return;
	files_free(f->files, f->n);
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
	files_free(f->files, f->n);
	f->files = old->files;
	f->n = old->n;
	old->files = NULL;
	old->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every path the patterns match, sorted and unique (caller frees). */
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
		for (k = 0; k < g.gl_pathc && *n < FILESD_MAX_FILES; k++) {
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

/* Read sf's file again. Returns 1 when its groups changed. */
static int reread(struct sdfile *sf, int64_t now)
{
	struct static_config *g;
	uint8_t *data = NULL;
	size_t len, ng;
	struct err e = {0};
	int rc;

	sf->read_at = now;
	/* Regular files only: a FIFO would block this thread, which holds
	 * the scraper's lock, for ever. */
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

/* The entry for path in the old list (sorted), or NULL. */
static struct sdfile *find(struct sdfile *files, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(files[mid].path, path);
		if (!c)
			return &files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int filesd_poll(struct filesd *f, int64_t now)
{
	size_t n, i;
	char **paths = expand(f->cfg, &n);
	struct sdfile *next = xcalloc(n ? n : 1, sizeof(*next));
	int changed = n != f->n;

	for (i = 0; i < n; i++) {
		struct sdfile *old = find(f->files, f->n, paths[i]), *sf = &next[i];
		struct ident id = {0};
		int rc = ident_of(paths[i], &id);

		if (old) {
			/* Moved; the old entry keeps its path for the search. */
			*sf = *old;
			old->g = NULL;
			old->ng = 0;
		} else {
			changed = 1;
		}
		sf->path = paths[i];
		if (rc < 0) {
			char msg[sizeof(sf->error)];
			snprintf(msg, sizeof(msg), "%s: %s", sf->path, strerror(-rc));
			set_error(sf, msg);
			continue;
		}
		if (!old || memcmp(&id, &sf->id, sizeof(id)) ||
		    now - sf->read_at >= f->cfg->refresh) {
			sf->id = id;
			changed |= reread(sf, now);
		}
	}
	free(paths);
	files_free(f->files, f->n);
	f->files = next;
	f->n = n;
	return changed;
}

size_t filesd_nfiles(const struct filesd *f)
{
	return f->n;
}

const char *filesd_file(const struct filesd *f, size_t i, const struct static_config **groups,
			size_t *ngroups, const char **error)
{
	*groups = f->files[i].g;
	*ngroups = f->files[i].ng;
	*error = f->files[i].error;
	return f->files[i].path;
}

void filesd_report(struct filesd *f, filesd_report_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->files[i].error[0] && !f->files[i].reported) {
			f->files[i].reported = 1;
			fn(f->files[i].path, f->files[i].error, arg);
		}
}
