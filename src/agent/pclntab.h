/* pclntab: Go's function table (.gopclntab): name, file, line and inlined
 * frames of a program counter, without DWARF or a symbol table, so stripped
 * Go binaries (-ldflags='-s -w') are named.
 *
 * Formats: Go 1.16/1.17 (magic 0xfffffffa), 1.18/1.19 (0xfffffff0) and 1.20
 * onwards (0xfffffff1). The layouts are in pclntab.c. Finding the table:
 * the .gopclntab section; else the runtime.pclntab symbol; else a scan of
 * the read-only PT_LOAD segments for the header. The text start is the
 * header's textStart, or (Go 1.26 writes 0) runtime.text / moduledata.text.
 * moduledata (for moduledata.gofunc, the base of the inline trees) is found
 * by runtime.firstmoduledata, else by scanning data segments for its first
 * word, a pointer to the pclntab (read through R_*_RELATIVE relocations in
 * PIE binaries, where the word on disk is 0).
 *
 * The bytes are untrusted: every offset is checked against its region, and
 * pc-value tables are decoded with a step cap.
 *
 * Strings returned point into the ELF image and live as long as it.
 */
#ifndef STACKYARD_AGENT_PCLNTAB_H
#define STACKYARD_AGENT_PCLNTAB_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "elfsym.h"

#define PCLNTAB_MAX_INLINE 64 /* frames of one pc; deeper nests are cut */

struct pclntab;

struct pcln_frame {
	const char *function; /* NULL when unknown */
	const char *file;     /* NULL when unknown */
	int64_t line;         /* 0 when unknown */
};

/* Find and validate the pclntab of elf (which must outlive it). -ENOENT when
 * elf is not a Go binary; -EINVAL (e set) when the table is damaged or of
 * an unsupported version. */
int pclntab_open(const struct elfsym *elf, struct pclntab **out,
		 struct err *e);
void pclntab_free(struct pclntab *t);

/* Frames of vaddr (an ELF virtual address), innermost inlined first and the
 * physical function last; returns how many (at most max), 0 when vaddr is
 * in no Go function. */
size_t pclntab_lookup(const struct pclntab *t, uint64_t vaddr,
		      struct pcln_frame *frames, size_t max);

/* The format's magic and text bounds, for tests and logs. */
uint32_t pclntab_magic(const struct pclntab *t);
uint64_t pclntab_text_start(const struct pclntab *t);
/* Number of functions, and the entry of function i (i < nfunc). */
size_t pclntab_nfunc(const struct pclntab *t);
uint64_t pclntab_func_entry(const struct pclntab *t, size_t i);

#endif
