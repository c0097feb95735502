/* libFuzzer target: ELF symbol tables, notes and segments (elfsym) on
 * arbitrary files, and the Go pclntab reader on the same file. Every
 * symbol found must be the one looked up, and every pointer handed out
 * must stay inside the image or the symbol names. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/agent/elfsym.h"
#include "../../src/agent/pclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfsym elf;
	struct elfsym_sec sec;
	struct pclntab *t;
	uint64_t v;
	size_t i, avail;
	uint8_t *img;

	if (size > (4u << 20))
		return 0;
	/* An exact-size copy: a read past size is an ASan report. */
	img = malloc(size ? size : 1);
	if (!img)
		return 0;
	memcpy(img, data, size);
	if (elfsym_open_mem(img, size, 0, &elf, NULL)) {
		free(img);
		return 0;
	}
	if (strlen(elf.build_id) % 2 || elf.nsegs > ELFSYM_MAX_SEGS)
		abort();
	for (i = 0; i < elf.nsyms; i++) {
		const struct elfsym_sym *y = &elf.syms[i];
		const struct elfsym_sym *f = elfsym_find(&elf, y->addr);

		if (y->name >= elf.names_len || !y->size || !f || f->addr != y->addr)
			abort();
		if (i && elf.syms[i - 1].addr >= y->addr)
			abort();
		if (y->size > 1 && elfsym_find(&elf, y->addr + y->size - 1) != y &&
		    !(i + 1 < elf.nsyms && elf.syms[i + 1].addr < y->addr + y->size))
			abort();
	}
	if (!elfsym_section(&elf, ".text", &sec) &&
	    (sec.data < elf.img || sec.size > elf.len || sec.data + sec.size > elf.img + elf.len))
		abort();
	for (i = 0; i < elf.nsegs; i++) {
		const uint8_t *p = elfsym_at(&elf, elf.segs[i].vaddr, &avail);

		if (p && (p < elf.img || avail > elf.len || p + avail > elf.img + elf.len))
			abort();
	}
	elfsym_symbol(&elf, "main", &v);
	if (!pclntab_open(&elf, &t, NULL)) {
		struct pcln_frame f[PCLNTAB_MAX_INLINE];

		for (i = 0; i < pclntab_nfunc(t) && i < 32; i++)
			pclntab_lookup(t, pclntab_func_entry(t, i) + 1, f, PCLNTAB_MAX_INLINE);
		pclntab_free(t);
	}
	elfsym_release(&elf);
	free(img);
	return 0;
}
