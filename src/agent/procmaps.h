/* procmaps: /proc/PID/maps, and process address -> ELF virtual address.
 *
 * A maps line is "start-end perms offset dev inode [path]", all numbers in
 * hex but the inode (decimal); the path may hold spaces and ends the line
 * (a deleted file has " (deleted)" appended, which is kept as the kernel
 * wrote it). The parser takes the text as bytes, so it can be fuzzed, and
 * caps the number of entries (PROCMAPS_MAX) and the line length.
 *
 * Translation (the part unwinders get wrong): the kernel maps a file range
 * [offset, offset + end - start) at start. An address a in that mapping is
 * at file offset  off = a - start + offset;  the ELF virtual address of that
 * byte is  off - p_offset + p_vaddr  of the PT_LOAD segment whose file range
 * holds off. This holds for ET_EXEC (where it gives back a), PIE and shared
 * libraries alike, and for segments whose offset is not page aligned, where
 * "a - load bias" computed from .text alone (BCC) goes wrong.
 */
#ifndef STACKYARD_AGENT_PROCMAPS_H
#define STACKYARD_AGENT_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include "../base/err.h"

#define PROCMAPS_MAX 65536  /* entries: a process with more is cut (and told) */

#define PROCMAPS_R 1
#define PROCMAPS_W 2
#define PROCMAPS_X 4

struct procmaps_entry {
	uint64_t start, end;   /* [start, end) */
	uint64_t offset;       /* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	uint32_t perms;        /* PROCMAPS_R | _W | _X */
	const char *path;      /* "" for anonymous; "[vdso]", "/usr/lib/x.so" */
};

/* The entries of one read, sorted by start as the kernel lists them. The
 * struct owns entries and their paths; procmaps_release() frees them. */
struct procmaps {
	struct procmaps_entry *v;
	size_t n;
	char *paths;           /* one block for every path */
};

/* Parse the text of a maps file. Lines that do not parse are an error
 * (-EINVAL, with the line number): the kernel writes only good ones. */
int procmaps_parse(const char *text, size_t len, struct procmaps *out,
		   struct err *e);

/* Read /proc/PID/maps. -ESRCH when the process does not exist. */
int procmaps_read(int pid, struct procmaps *out, struct err *e);

void procmaps_release(struct procmaps *m);

/* The entry holding addr, or NULL. */
const struct procmaps_entry *procmaps_find(const struct procmaps *m,
					   uint64_t addr);

/* A PT_LOAD program header as needed for translation. */
struct load_seg {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	uint32_t flags;        /* PF_X | PF_W | PF_R */
};

/* Translate addr of a mapping that starts at map_start and maps the file
 * from map_offset into an ELF virtual address. Returns 0, or -ENOENT when
 * no PT_LOAD holds that file byte (e.g. a mapping of non-loaded data). */
int procmaps_to_vaddr(uint64_t addr, uint64_t map_start, uint64_t map_offset,
		      const struct load_seg *segs, size_t nsegs,
		      uint64_t *vaddr);

#endif
