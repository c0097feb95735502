/* filesd: file-based target discovery, as Prometheus' file_sd_configs.
 *
 * A watcher holds one file_sd_config's glob patterns and, per matching
 * file, the last target groups read from it successfully. filesd_poll()
 * globs the patterns again and re-reads a file when its identity (device,
 * inode, size, modification time) changed or when refresh_interval has
 * passed; it is cheap (a glob and a stat per file) and is called every few
 * seconds. A file that no longer matches drops its targets. A file that
 * cannot be read or parsed keeps its last good groups and records the
 * error (filesd_file()), so a half-written or broken file never empties a
 * job; the error clears when a later read succeeds.
 *
 * Files are kept sorted by path, so the target list is the same whatever
 * the order the directory lists them in. Not thread-safe: one owner. */
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

/* Globs and re-reads what changed; now is in ns. Returns 1 when the set of
 * files or any file's groups changed, else 0. */
int filesd_poll(struct filesd *f, int64_t now);

size_t filesd_nfiles(const struct filesd *f);
/* File i (sorted by path): its path, last good groups, and the error of
 * the last read ("" when it succeeded). Pointers stay valid until the next
 * filesd_poll(). */
const char *filesd_file(const struct filesd *f, size_t i, const struct static_config **groups,
			size_t *ngroups, const char **error);

/* Calls fn once for each read error not reported yet (a new error, or the
 * same file failing again after a good read). */
typedef void (*filesd_report_fn)(const char *path, const char *error, void *arg);
void filesd_report(struct filesd *f, filesd_report_fn fn, void *arg);

#endif
