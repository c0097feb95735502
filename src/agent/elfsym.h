/* elfsym: one ELF file's symbols, build id and load segments (libelf).
 *
 * elfsym_open_fd() maps the file read-only through libelf (ELF_C_READ_MMAP)
 * and keeps the mapping while the struct lives, so section bytes (a Go
 * .gopclntab) are read in place; elfsym_open_mem() parses a caller's buffer
 * (tests, fuzzing), which must outlive the struct.
 *
 * The function table (read at open, or with ELFSYM_LAZY on first
 * elfsym_load_symbols()) merges .symtab and .dynsym: STT_FUNC and STT_GNU_IFUNC
 * symbols defined in a section, sorted by address; of several symbols at one
 * address (aliases) the global one is kept. Names are copied. A symbol of
 * size 0 (hand-written assembly) covers up to the next symbol, at most
 * ELFSYM_SIZE0_SPAN bytes.
 *
 * The file is untrusted: libelf checks the headers; everything read here by
 * hand (notes, segments) is bounds-checked against the file size, and the
 * symbol count is capped (ELFSYM_MAX_SYMS).
 */
#ifndef STACKYARD_AGENT_ELFSYM_H
#define STACKYARD_AGENT_ELFSYM_H

#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

#include "../base/err.h"
#include "procmaps.h"

#define ELFSYM_MAX_SYMS (8u << 20)
#define ELFSYM_MAX_SEGS 64
#define ELFSYM_SIZE0_SPAN 4096
#define ELFSYM_BUILD_ID_MAX 64 /* bytes; GNU ids are 20 (sha1) or 16 (md5) */

struct elfsym_sym {
	uint64_t addr, size;
	uint32_t name; /* offset into names */
};

struct elfsym {
	Elf *elf;
	const uint8_t *img; /* the whole file */
	size_t len;
	int type;           /* ET_EXEC, ET_DYN, ... */
	int is64, le;       /* class and byte order */
	unsigned machine;   /* e_machine */
	struct load_seg segs[ELFSYM_MAX_SEGS];
	size_t nsegs;
	char build_id[2 * ELFSYM_BUILD_ID_MAX + 1]; /* GNU, lowercase hex, or "" */
	char go_build_id[128];                      /* .note.go.buildid, or "" */
	struct elfsym_sym *syms;
	size_t nsyms;
	char *names;
	size_t names_len;
	int syms_loaded;
};

/* flags: ELFSYM_LAZY leaves the function table for elfsym_load_symbols()
 * (a Go binary named by its pclntab may never need it). */
#define ELFSYM_LAZY 1u

/* Parse the ELF file open on fd (the fd may be closed afterwards). */
int elfsym_open_fd(int fd, const char *path, unsigned flags, struct elfsym *out,
		   struct err *e);

/* Parse an image in memory. libelf may convert data in place, hence not
 * const; img must outlive *out. */
int elfsym_open_mem(uint8_t *img, size_t len, unsigned flags,
		    struct elfsym *out, struct err *e);

/* Read the function table if not yet read (after ELFSYM_LAZY). */
int elfsym_load_symbols(struct elfsym *s, struct err *e);

void elfsym_release(struct elfsym *s); /* NULL is a no-op */

/* The function symbol holding vaddr, or NULL. */
const struct elfsym_sym *elfsym_find(const struct elfsym *s, uint64_t vaddr);

static inline const char *elfsym_name(const struct elfsym *s,
				      const struct elfsym_sym *y)
{
	return s->names + y->name;
}

/* A section's bytes (inside the file image) and address. -ENOENT when the
 * file has no such section (or it has no file bytes, SHT_NOBITS). */
struct elfsym_sec {
	const uint8_t *data;
	size_t size;
	uint64_t addr;
};
int elfsym_section(const struct elfsym *s, const char *name,
		   struct elfsym_sec *out);

/* Value of the symbol `name` from .symtab or .dynsym, of any type
 * (runtime.text, runtime.firstmoduledata). -ENOENT when absent. */
int elfsym_symbol(const struct elfsym *s, const char *name, uint64_t *value);

/* The file bytes at virtual address vaddr of a PT_LOAD segment, and how
 * many follow in that segment (*avail). NULL when vaddr has no file bytes. */
const uint8_t *elfsym_at(const struct elfsym *s, uint64_t vaddr, size_t *avail);

#endif
