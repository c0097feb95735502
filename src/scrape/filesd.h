/* filesd: file-based target discovery, as Prometheus' file_sd_configs.
 *
 * A watcher holds one file_sd_config's glob patterns and, per matching
 * file, the last target groups read from it successfully. A poll globs the
 * patterns again and re-reads a file when its identity (device, inode,
 * size, modification time) changed or when refresh_interval has passed;
 * the scraper polls every few seconds. A file that no longer matches drops
 * its targets. A file that cannot be read or parsed keeps its last good
 * groups and records the error (filesd_file()), so a half-written or
 * broken file never empties a job; the error clears when a later read
 * succeeds. At most FILESD_MAX_FILES files are read (the first by path);
 * the others are ignored and that is an error too (filesd_limit()).
 *
 * A poll is two steps, so that the reading (a slow file system, a large
 * file, many files) happens with no lock held: filesd_scan() globs, stats,
 * reads and parses into a new file list without changing the watcher, and
 * filesd_apply() installs that list by moving pointers. filesd_poll() does
 * both.
 *
 * Files are kept sorted by path, so the target list is the same whatever
 * the order the directory lists them in.
 *
 * Threads: one owner. While a filesd_scan() of f runs (on any thread), f
 * may be read (filesd_nfiles, filesd_file, filesd_limit) but not changed
 * or freed. */
#ifndef STACKYARD_SCRAPE_FILESD_H
#define STACKYARD_SCRAPE_FILESD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define FILESD_MAX_FILES 10000

struct filesd;

/* cfg (patterns, refresh interval) must outlive the watcher. Reads nothing
 * yet: the first filesd_poll() does. */
struct filesd *filesd_new(const struct file_sd_config *cfg);
void filesd_free(struct filesd *f);   /* NULL is a no-op */

/* Takes over old's files and their last good groups when old watches the
 * same patterns (a reload that kept this file_sd_config), so that a file
 * that is broken at reload time still contributes its last good targets.
 * old is left empty. */
void filesd_adopt(struct filesd *f, struct filesd *old);

/* What one poll found: the new file list, with the groups of the files
 * it read again. */
struct filesd_scan;

/* Globs and reads what changed since f's last poll (or adoption); now is
 * in ns. Changes nothing in f. Never NULL. */
struct filesd_scan *filesd_scan(const struct filesd *f, int64_t now);

/* Installs sc, scanned from f with nothing applied or adopted into f
 * since; quick: no reading and no freeing. sc then holds f's previous
 * list (free it with filesd_scan_free(), which needs no lock). Returns 1
 * when the set of files or any file's groups changed, else 0. */
int filesd_apply(struct filesd *f, struct filesd_scan *sc);

void filesd_scan_free(struct filesd_scan *sc);   /* NULL is a no-op */

/* Before filesd_apply(), what it will install: whether anything changed,
 * and file i as filesd_file() will then show it (its groups may be f's,
 * so f must not change meanwhile). */
int filesd_scan_changed(const struct filesd_scan *sc);
size_t filesd_scan_nfiles(const struct filesd_scan *sc);
const char *filesd_scan_file(const struct filesd *f, const struct filesd_scan *sc, size_t i,
			     const struct static_config **groups, size_t *ngroups);

/* filesd_scan(), filesd_apply(), filesd_scan_free(). */
int filesd_poll(struct filesd *f, int64_t now);

size_t filesd_nfiles(const struct filesd *f);
/* File i (sorted by path): its path, last good groups, and the error of
 * the last read ("" when it succeeded). Pointers stay valid until the next
 * filesd_poll(). */
const char *filesd_file(const struct filesd *f, size_t i, const struct static_config **groups,
			size_t *ngroups, const char **error);

/* When more than FILESD_MAX_FILES files match: the first one ignored
 * (by path), with the error that says how many; else NULL. Valid until
 * the next filesd_apply(). */
const char *filesd_limit(const struct filesd *f, const char **error);

/* Calls fn once for each error not reported yet (a new error, or the same
 * file failing again after a good read). path is NULL for the
 * FILESD_MAX_FILES error (its message names the files). */
typedef void (*filesd_report_fn)(const char *path, const char *error, void *arg);
void filesd_report(struct filesd *f, filesd_report_fn fn, void *arg);

#endif
