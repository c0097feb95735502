/* pclntab_elf: wrap pclntab bytes in a minimal ELF64 file, for the fuzz
 * target and the unit tests of the older and newer table layouts.
 *
 * Two PT_LOAD segments over the whole file: read-only at 0x400000 and
 * writable at 0x800000 (where the moduledata scan looks). The table sits at
 * file offset PCLNTAB_ELF_AT, so at 0x400000 + PCLNTAB_ELF_AT; with
 * with_section, a .gopclntab section names it, else a reader has to scan.
 * A PT_NOTE holds Go's build-id note, as in every binary Go links (readers
 * only scan for the table in Go binaries).
 * Returns a malloc'd image (NULL on allocation failure). Header-only. */
#ifndef STACKYARD_TESTS_PCLNTAB_ELF_H
#define STACKYARD_TESTS_PCLNTAB_ELF_H

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCLNTAB_ELF_AT 0x100

static inline uint8_t *pclntab_elf(const uint8_t *tab, size_t tlen,
				   int with_section, size_t *out_len)
{
	static const char shstr[] = "\0.gopclntab\0.shstrtab";
	size_t strs = PCLNTAB_ELF_AT + ((tlen + 7) & ~(size_t)7);
	size_t shoff = strs + ((sizeof(shstr) + 7) & ~(size_t)7);
	size_t len = shoff + 3 * sizeof(Elf64_Shdr);
	uint8_t *img = calloc(1, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph;
	Elf64_Shdr *sh;
	int i;

	if (!img)
		return NULL;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	ph = (Elf64_Phdr *)(img + eh->e_phoff);
	for (i = 0; i < 2; i++) {
		ph[i].p_type = PT_LOAD;
		ph[i].p_flags = i ? PF_R | PF_W : PF_R;
		ph[i].p_vaddr = ph[i].p_paddr = i ? 0x800000 : 0x400000;
		ph[i].p_filesz = ph[i].p_memsz = len;
		ph[i].p_align = 0x1000;
	}
	{
		/* {namesz 4, descsz 8, type 4 (Go build id)} "Go\0\0" "testbuid":
		 * 24 bytes right after the three program headers, up to 0x100. */
		static const uint32_t hdr[3] = {4, 8, 4};
		size_t at = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
		memcpy(img + at, hdr, sizeof(hdr));
		memcpy(img + at + 12, "Go\0\0testbuid", 12);
		ph[2] = (Elf64_Phdr){.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = at,
				     .p_vaddr = 0x400000 + at, .p_paddr = 0x400000 + at,
				     .p_filesz = 24, .p_memsz = 24, .p_align = 4};
	}
	memcpy(img + PCLNTAB_ELF_AT, tab, tlen);
	memcpy(img + strs, shstr, sizeof(shstr));
	if (with_section) {
		eh->e_shoff = shoff;
		eh->e_shentsize = sizeof(Elf64_Shdr);
		eh->e_shnum = 3;
		eh->e_shstrndx = 2;
		sh = (Elf64_Shdr *)(img + shoff);
		sh[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_PROGBITS,
				     .sh_flags = SHF_ALLOC,
				     .sh_addr = 0x400000 + PCLNTAB_ELF_AT,
				     .sh_offset = PCLNTAB_ELF_AT, .sh_size = tlen,
				     .sh_addralign = 1};
		sh[2] = (Elf64_Shdr){.sh_name = 12, .sh_type = SHT_STRTAB,
				     .sh_offset = strs, .sh_size = sizeof(shstr),
				     .sh_addralign = 1};
	}
	*out_len = len;
	return img;
}

#endif
