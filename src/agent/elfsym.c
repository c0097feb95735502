#include "elfsym.h"

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/buf.h"
#include "../base/xalloc.h"

/* Rank for choosing among aliases at one address, lower wins: global over
 * weak over local, then fewer leading underscores (printf over _IO_printf,
 * memcpy over __memcpy_avx_unaligned). */
static int alias_rank(unsigned char info, const char *name)
{
	int b, u = 0;

	switch (GELF_ST_BIND(info)) {
	case STB_GLOBAL:
		b = 0;
		break;
	case STB_WEAK:
		b = 1;
		break;
	default:
		b = 2;
		break;
	}
	while (u < 3 && name[u] == '_')
		u++;
	return b * 4 + u;
}

struct rawsym {
	uint64_t addr, size;
	uint32_t name;
	int rank;
};

static int rawsym_cmp(const void *a, const void *b)
{
	const struct rawsym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->size != y->size) /* the sized one describes the function */
		return x->size > y->size ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static uint32_t rd32(const uint8_t *p, int le)
{
	return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			    (uint32_t)p[3] << 24
		  : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
			    (uint32_t)p[0] << 24;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Walk the notes in [p, p+len): {u32 namesz, descsz, type; name; desc},
 * name and desc padded to 4 bytes. Picks the GNU and Go build ids. */
static void scan_notes(struct elfsym *s, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz = rd32(p + off, s->le), descsz = rd32(p + off + 4, s->le);
		uint32_t type = rd32(p + off + 8, s->le);
		size_t name = off + 12, nameal = ((size_t)namesz + 3) & ~(size_t)3;
		size_t desc, descal = ((size_t)descsz + 3) & ~(size_t)3;

		if (nameal > len - name)
			return;
		desc = name + nameal;
		if (descal > len - desc)
			return;
		if (namesz == 4 && !memcmp(p + name, "GNU", 4) && type == NT_GNU_BUILD_ID &&
		    descsz > 0 && descsz <= ELFSYM_BUILD_ID_MAX && !s->build_id[0])
			hex(s->build_id, p + desc, descsz);
		/* Go's linker: name "Go\0\0", type 4, desc = the build id text. */
		if (namesz == 4 && !memcmp(p + name, "Go\0", 4) && type == 4 &&
		    descsz > 0 && descsz < sizeof(s->go_build_id) && !s->go_build_id[0]) {
			memcpy(s->go_build_id, p + desc, descsz);
			s->go_build_id[descsz] = '\0';
			if (strlen(s->go_build_id) != descsz)
				s->go_build_id[0] = '\0';
		}
		off = desc + descal;
	}
}

static int read_segments(struct elfsym *s, struct err *e)
{
	size_t i, n;

	if (elf_getphdrnum(s->elf, &n))
		return err_set(e, -EINVAL, "elf: %s", elf_errmsg(-1));
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(s->elf, (int)i, &ph))
			return err_set(e, -EINVAL, "elf: program header %zu: %s", i,
				       elf_errmsg(-1));
		/* Only file bytes inside the image count. */
		if (ph.p_offset > s->len || ph.p_filesz > s->len - ph.p_offset)
			continue;
		if (ph.p_type == PT_NOTE) {
			scan_notes(s, s->img + ph.p_offset, ph.p_filesz);
			continue;
		}
		if (ph.p_type != PT_LOAD || s->nsegs == ELFSYM_MAX_SEGS)
			continue;
		s->segs[s->nsegs++] = (struct load_seg){
			.vaddr = ph.p_vaddr, .memsz = ph.p_memsz, .offset = ph.p_offset,
			.filesz = ph.p_filesz, .flags = ph.p_flags};
	}
	return 0;
}

/* Collect the function symbols of one symbol table section. */
static int read_symtab(struct elfsym *s, Elf_Scn *scn, GElf_Shdr *sh,
		       struct rawsym **v, size_t *n, size_t *cap,
		       struct buf *names, struct err *e)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, count;

	if (!d || !sh->sh_entsize)
		return 0; /* an empty or unreadable table names nothing */
	count = d->d_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(d, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
			continue;
		name = elf_strptr(s->elf, sh->sh_link, sym.st_name);
		if (!name || !name[0])
			continue;
		if (*n == ELFSYM_MAX_SYMS)
			return err_set(e, -E2BIG, "elf: more than %u function symbols",
				       ELFSYM_MAX_SYMS);
		if (names->len > UINT32_MAX - 4096)
			return err_set(e, -E2BIG, "elf: symbol names too large");
		XGROW(*v, *cap, *n + 1);
		(*v)[(*n)++] = (struct rawsym){.addr = sym.st_value, .size = sym.st_size,
					       .name = (uint32_t)names->len,
					       .rank = alias_rank(sym.st_info, name)};
		buf_append(names, name, strlen(name) + 1);
	}
	return 0;
}

/* Notes in sections, for files without PT_NOTE (debug files). */
static void read_section_notes(struct elfsym *s)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    sh.sh_offset <= s->len && sh.sh_size <= s->len - sh.sh_offset)
			scan_notes(s, s->img + sh.sh_offset, sh.sh_size);
	}
}

static int read_symbols(struct elfsym *s, struct err *e)
{
	struct rawsym *v = NULL;
	size_t n = 0, cap = 0, i, out;
	struct buf names = BUF_INIT;
	Elf_Scn *scn = NULL;
	int rc = 0;

	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		rc = read_symtab(s, scn, &sh, &v, &n, &cap, &names, e);
		if (rc)
			goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), rawsym_cmp);
	s->syms = xmalloc((n ? n : 1) * sizeof(*s->syms));
	for (i = 0, out = 0; i < n; i++) {
		if (out && s->syms[out - 1].addr == v[i].addr)
			continue; /* an alias: the first one sorted wins */
		/* A size past the end of the address space is cut there. */
		s->syms[out++] = (struct elfsym_sym){
			v[i].addr, v[i].size > UINT64_MAX - v[i].addr ? UINT64_MAX - v[i].addr
								     : v[i].size,
			v[i].name};
	}
	/* Size-0 symbols reach the next symbol, within a bound; one at the
	 * very top of the address space gets 1 byte. */
	for (i = 0; i < out; i++) {
		uint64_t room;

		if (s->syms[i].size)
			continue;
		room = i + 1 < out ? s->syms[i + 1].addr - s->syms[i].addr
				   : UINT64_MAX - s->syms[i].addr;
		s->syms[i].size = room < ELFSYM_SIZE0_SPAN ? (room ? room : 1) : ELFSYM_SIZE0_SPAN;
	}
	s->nsyms = out;
	s->names = (char *)buf_detach(&names, &s->names_len);
	if (!s->names)
		s->names = xstrdup("");
out:
	free(v);
	buf_release(&names);
	return rc;
}

int elfsym_load_symbols(struct elfsym *s, struct err *e)
{
	if (s->syms_loaded)
		return 0;
	s->syms_loaded = 1; /* once, even when it fails: nothing changes */
	return read_symbols(s, e);
}

static int elfsym_init(Elf *elf, unsigned flags, struct elfsym *s,
		       struct err *e)
{
	GElf_Ehdr eh;
	size_t len;
	char *raw;
	int rc;

	s->elf = elf;
	if (elf_kind(elf) != ELF_K_ELF)
		return err_set(e, -EINVAL, "not an ELF file");
	raw = elf_rawfile(elf, &len);
	if (!raw || !gelf_getehdr(elf, &eh))
		return err_set(e, -EINVAL, "elf: %s", elf_errmsg(-1));
	s->img = (const uint8_t *)raw;
	s->len = len;
	s->type = eh.e_type;
	s->machine = eh.e_machine;
	s->is64 = eh.e_ident[EI_CLASS] == ELFCLASS64;
	s->le = eh.e_ident[EI_DATA] == ELFDATA2LSB;
	rc = read_segments(s, e);
	if (rc)
		return rc;
	read_section_notes(s);
	return flags & ELFSYM_LAZY ? 0 : elfsym_load_symbols(s, e);
}

static int may_shrink(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH));
}

int elfsym_open_fd(int fd, const char *path, unsigned flags, struct elfsym *out,
		   struct err *e)
{
	Elf *elf;
	int rc;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	/* A mapping of a file someone else may truncate (a binary its process
	 * owns or can write) takes SIGBUS at the next read past the new end:
	 * such a file is read into memory instead (ELF_C_READ, then FDREAD
	 * below). Root's own files, writable by root only, stay mapped. */
	elf = elf_begin(fd, may_shrink(fd) ? ELF_C_READ : ELF_C_READ_MMAP, NULL);
	if (!elf)
		return err_set(e, -EINVAL, "%s: %s", path, elf_errmsg(-1));
	/* Read everything in (a no-op when libelf could map the file), then
	 * the fd can go. */
	if (elf_cntl(elf, ELF_C_FDREAD)) {
		rc = err_set(e, -EIO, "%s: %s", path, elf_errmsg(-1));
		elf_end(elf);
		return rc;
	}
	elf_cntl(elf, ELF_C_FDDONE);
	rc = elfsym_init(elf, flags, out, e);
	if (rc) {
		err_prefix(e, "%s", path);
		elfsym_release(out);
	}
	return rc;
}

int elfsym_open_mem(uint8_t *img, size_t len, unsigned flags,
		    struct elfsym *out, struct err *e)
{
	Elf *elf;
	int rc;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)img, len);
	if (!elf)
		return err_set(e, -EINVAL, "elf: %s", elf_errmsg(-1));
	rc = elfsym_init(elf, flags, out, e);
	if (rc)
		elfsym_release(out);
	return rc;
}

void elfsym_release(struct elfsym *s)
{
	if (!s)
		return;
	if (s->elf)
		elf_end(s->elf);
	free(s->syms);
	free(s->names);
	memset(s, 0, sizeof(*s));
}

const struct elfsym_sym *elfsym_find(const struct elfsym *s, uint64_t vaddr)
{
	size_t lo = 0, hi = s->nsyms;
	const struct elfsym_sym *y;

	/* The last symbol starting at or before vaddr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	y = &s->syms[lo - 1];
	return vaddr - y->addr < y->size ? y : NULL;
}

int elfsym_section(const struct elfsym *s, const char *name,
		   struct elfsym_sec *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(s->elf, &shstrndx))
		return -ENOENT;
	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(s->elf, shstrndx, sh.sh_name);
		if (!n || strcmp(n, name))
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > s->len ||
		    sh.sh_size > s->len - sh.sh_offset)
			return -ENOENT;
		out->data = s->img + sh.sh_offset;
		out->size = sh.sh_size;
		out->addr = sh.sh_addr;
		return 0;
	}
	return -ENOENT;
}

int elfsym_symbol(const struct elfsym *s, const char *name, uint64_t *value)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, count;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		count = d->d_size / sh.sh_entsize;
		for (i = 0; i < count; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, (int)i, &sym))
				break;
			n = elf_strptr(s->elf, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, name) && sym.st_shndx != SHN_UNDEF) {
				*value = sym.st_value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

const uint8_t *elfsym_at(const struct elfsym *s, uint64_t vaddr, size_t *avail)
{
	size_t i;

	for (i = 0; i < s->nsegs; i++) {
		const struct load_seg *g = &s->segs[i];

		if (vaddr >= g->vaddr && vaddr - g->vaddr < g->filesz) {
			*avail = g->filesz - (vaddr - g->vaddr);
			return s->img + g->offset + (vaddr - g->vaddr);
		}
	}
	return NULL;
}
