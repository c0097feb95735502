/* pclntab: Go's function table. Layouts (all integers in the target's byte
 * order, "uintptr" ptrsize bytes; see Go's runtime/symtab.go, runtime2.go,
 * debug/gosym/pclntab.go):
 *
 * header   u32 magic; u8 0, 0; u8 quantum (pc unit); u8 ptrsize;
 *          then uintptr words:
 *   1.16:  nfunc nfiles funcnameOff cuOff filetabOff pctabOff pclnOff
 *   1.18+: nfunc nfiles textStart funcnameOff cuOff filetabOff pctabOff pclnOff
 *          (offsets from the header; regions funcnametab = [funcnameOff,
 *          cuOff), cutab (u32s) = [cuOff, filetabOff), filetab = [filetabOff,
 *          pctabOff), pctab = [pctabOff, pclnOff), pclntable = [pclnOff, end))
 * functab  at pclntable, nfunc+1 entries (the last one is the end pc):
 *   1.16:  {uintptr entry; uintptr funcoff}       (absolute pcs)
 *   1.18+: {u32 entryoff; u32 funcoff}            (entry = textStart+entryoff)
 * _func    at pclntable + funcoff:
 *   1.16:  uintptr entry; i32 nameOff, args; u32 deferreturn, pcsp, pcfile,
 *          pcln, npcdata, cuOffset; u8 funcID, _, _, nfuncdata;
 *          u32 pcdata[npcdata]; (pointer aligned) uintptr funcdata[nfuncdata]
 *   1.18:  u32 entryOff; i32 nameOff, args; u32 deferreturn, pcsp, pcfile,
 *          pcln, npcdata, cuOffset; u8 funcID, flag, _, nfuncdata;
 *          u32 pcdata[npcdata]; u32 funcdata[nfuncdata] (from gofunc, ~0 none)
 *   1.20+: as 1.18 with i32 startLine after cuOffset
 * pc-value tables (pctab + off): pairs of uvarints (zig-zag value delta,
 *          pc delta * quantum) from the function entry, value starting at -1.
 * inline tree (funcdata[FUNCDATA_InlTree], indexed by the pc-value table
 *          pcdata[PCDATA_InlTreeIndex]; -1 = not inlined at this pc):
 *   1.16-1.19: {i16 parent; u8 funcID, _; i32 file, line, nameOff, parentPc}
 *   1.20+:     {u8 funcID, _[3]; i32 nameOff, parentPc, startLine}
 */
#include "pclntab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"

#define MAGIC_116 0xfffffffau
#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u

#define PCDATA_INL_TREE_INDEX 2
#define FUNCDATA_INL_TREE 3
#define SCAN_MAX (512u << 20)   /* bytes scanned for a sectionless table */
#define PCVALUE_MAX_STEPS 1000000
#define MAX_NFUNC (16u << 20)
/* moduledata candidates checked: each may read a word through the
 * relocations (a scan of them all), so a file with many words or
 * relocations naming the table would cost candidates x relocations. A Go
 * binary has one or two. */
#define MODULEDATA_MAX_CANDIDATES 64

struct region {
	const uint8_t *p;
	size_t len;
};

struct pclntab {
	const struct elfsym *elf;
	const uint8_t *tab;  /* the header */
	size_t len;          /* bytes known to belong to the table */
	uint64_t va;         /* its virtual address */
	uint32_t magic;
	int le;
	unsigned quantum, ptrsize;
	uint64_t nfunc, text_start;
	struct region funcname, cutab, filetab, pctab, pcln;
	uint64_t gofunc;     /* moduledata.gofunc (1.18+), 0 if not found */
	size_t func_hdr;     /* size of _func before pcdata[] */
	size_t inl_size;     /* size of one inlinedCall */
};

/* ---- bounded reads --------------------------------------------------------- */

static uint64_t rd(const uint8_t *p, unsigned n, int le)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[le ? i : n - 1 - i] << (8 * i);
	return v;
}

/* n bytes at off of r, or -1 when they are not all inside. */
static int get(const struct pclntab *t, struct region r, uint64_t off,
	       unsigned n, uint64_t *v)
{
	if (off > r.len || n > r.len - off)
		return -1;
	*v = rd(r.p + off, n, t->le);
	return 0;
}

static const char *str_at(struct region r, uint64_t off)
{
	const char *s;

	if (off >= r.len)
		return NULL;
	s = (const char *)r.p + off;
	return memchr(s, '\0', r.len - off) ? s : NULL;
}

static int uvarint(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	uint32_t x = 0;
	unsigned shift = 0;

	while (*p < end && shift < 35) {
		uint8_t b = *(*p)++;

		x |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/* ---- moduledata and relocations --------------------------------------------- */

/* Call fn(offset, addend, arg) for each R_*_RELATIVE relocation (64-bit
 * RELA) until it returns nonzero; returns that value, or 0. */
typedef int (*relative_fn)(uint64_t off, uint64_t addend, void *arg);

static int relative_each(const struct elfsym *elf, relative_fn fn, void *arg)
{
	static const char *const names[] = {".rela.dyn", ".rela"};
	size_t i, k;
	int rc;

	if (!elf->is64)
		return 0;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct elfsym_sec sec;

		if (elfsym_section(elf, names[k], &sec))
			continue;
		for (i = 0; i + 24 <= sec.size; i += 24) {
			uint32_t type = (uint32_t)rd(sec.data + i + 8, 8, elf->le);

			/* R_X86_64_RELATIVE 8, R_AARCH64_RELATIVE 1027 */
			if ((type == 8 || type == 1027) &&
			    (rc = fn(rd(sec.data + i, 8, elf->le),
				     rd(sec.data + i + 16, 8, elf->le), arg)))
				return rc;
		}
	}
	return 0;
}

struct reloc_query {
	const struct pclntab *t;
	uint64_t key, found;
	unsigned tried;      /* moduledata candidates checked */
};

static int addend_at(uint64_t off, uint64_t addend, void *arg)
{
	struct reloc_query *q = arg;

	if (off != q->key)
		return 0;
	q->found = addend;
	return 1;
}

/* A pointer-sized word at vaddr, through a relocation when 0 on disk. */
static int word_at(const struct pclntab *t, uint64_t vaddr, uint64_t *v)
{
	size_t avail;
	const uint8_t *p = elfsym_at(t->elf, vaddr, &avail);

	if (!p || avail < t->ptrsize)
		return -1;
	*v = rd(p, t->ptrsize, t->le);
	if (!*v) {
		struct reloc_query q = {t, vaddr, 0, 0};

		if (relative_each(t->elf, addend_at, &q))
			*v = q.found;
	}
	return 0;
}

static int moduledata_ok(const struct pclntab *t, uint64_t md)
{
	uint64_t w0, w1;

	return !word_at(t, md, &w0) && w0 == t->va &&
	       !word_at(t, md + t->ptrsize, &w1) &&
	       w1 == t->va + (uint64_t)(t->funcname.p - t->tab);
}

/* A relocation whose addend is the pclntab's address, at a moduledata. */
static int moduledata_reloc(uint64_t off, uint64_t addend, void *arg)
{
	struct reloc_query *q = arg;

	if (addend != q->key)
		return 0;
	if (q->tried++ == MODULEDATA_MAX_CANDIDATES)
		return -1; /* give up: not found */
	if (!moduledata_ok(q->t, off))
		return 0;
	q->found = off;
	return 1;
}

/* moduledata starts with a pointer to the pclntab followed by the
 * funcnametab slice: runtime.firstmoduledata, else a scan of the writable
 * segments for those two words. 0 when not found. */
static uint64_t find_moduledata(const struct pclntab *t)
{
	struct reloc_query q = {t, t->va, 0, 0};
	uint64_t md;
	size_t i;

	if (!elfsym_symbol(t->elf, "runtime.firstmoduledata", &md) &&
	    moduledata_ok(t, md))
		return md;
	for (i = 0; i < t->elf->nsegs && q.tried < MODULEDATA_MAX_CANDIDATES; i++) {
		const struct load_seg *g = &t->elf->segs[i];
		uint64_t off;

		if (!(g->flags & 2 /* PF_W */))
			continue;
		for (off = 0; off + 2 * t->ptrsize <= g->filesz; off += t->ptrsize) {
			const uint8_t *p = t->elf->img + g->offset + off;

			if (rd(p, t->ptrsize, t->le) != t->va)
				continue;
			if (q.tried++ == MODULEDATA_MAX_CANDIDATES)
				return 0;
			if (moduledata_ok(t, g->vaddr + off))
				return g->vaddr + off;
		}
	}
	/* A PIE whose words are all 0 on disk: the relocation's addend. */
	return relative_each(t->elf, moduledata_reloc, &q) > 0 ? q.found : 0;
}

/* ---- finding and checking the header ------------------------------------------ */

static int known_magic(uint32_t m)
{
	return m == MAGIC_116 || m == MAGIC_118 || m == MAGIC_120;
}

/* Parse the header at p (len bytes available). 0 when it is a valid one. */
static int parse_header(struct pclntab *t, const uint8_t *p, size_t len,
			uint64_t va, int le)
{
	uint64_t w[8], nw, off[5], i;
	unsigned ps;

	if (len < 16)
		return -1;
	t->le = le;
	t->magic = (uint32_t)rd(p, 4, le);
	ps = p[7];
	if (!known_magic(t->magic) || p[4] || p[5] || (ps != 4 && ps != 8) ||
	    (p[6] != 1 && p[6] != 2 && p[6] != 4))
		return -1;
	nw = t->magic == MAGIC_116 ? 7 : 8;
	if (len < 8 + nw * ps)
		return -1;
	for (i = 0; i < nw; i++)
		w[i] = rd(p + 8 + i * ps, ps, le);
	t->tab = p;
	t->len = len;
	t->va = va;
	t->quantum = p[6];
	t->ptrsize = ps;
	t->nfunc = w[0];
	t->text_start = t->magic == MAGIC_116 ? 0 : w[2];
	memcpy(off, &w[nw - 5], sizeof(off));
	/* Regions in order, inside the table. */
	if (off[0] < 8 + nw * ps)
		return -1;
	for (i = 0; i < 5; i++)
		if (off[i] > len || (i && off[i] < off[i - 1]))
			return -1;
	t->funcname = (struct region){p + off[0], off[1] - off[0]};
	t->cutab = (struct region){p + off[1], off[2] - off[1]};
	t->filetab = (struct region){p + off[2], off[3] - off[2]};
	t->pctab = (struct region){p + off[3], off[4] - off[3]};
	t->pcln = (struct region){p + off[4], len - off[4]};
	if (!t->nfunc || t->nfunc > MAX_NFUNC ||
	    (t->nfunc + 1) * (t->magic == MAGIC_116 ? 2 * ps : 8) > t->pcln.len)
		return -1;
	t->func_hdr = t->magic == MAGIC_116 ? ps + 36 : t->magic == MAGIC_118 ? 40 : 44;
	t->inl_size = t->magic == MAGIC_120 ? 16 : 20;
	return 0;
}

/* Scan the non-executable segments for a header: 8-aligned, "?? ff ff ff
 * 00 00 <quantum> <ptrsize>" in little-endian files. */
static int scan_for_table(struct pclntab *t)
{
	const struct elfsym *elf = t->elf;
	size_t i, scanned = 0;

	for (i = 0; i < elf->nsegs; i++) {
		const struct load_seg *g = &elf->segs[i];
		const uint8_t *base = elf->img + g->offset;
		uint64_t off;

		if (g->flags & 1 /* PF_X */)
			continue;
		for (off = 0; off + 16 <= g->filesz && scanned < SCAN_MAX;
		     off += 8, scanned += 8) {
			const uint8_t *p = base + off;
			int le = p[1] == 0xff && p[2] == 0xff && p[3] == 0xff;

			if (!le && !(p[0] == 0xff && p[1] == 0xff && p[2] == 0xff))
				continue;
			if (!parse_header(t, p, g->filesz - off, g->vaddr + off, le))
				return 0;
		}
	}
	return -ENOENT;
}

static int locate(struct pclntab *t)
{
	static const char *const secs[] = {".gopclntab", ".data.rel.ro.gopclntab"};
	const struct elfsym *elf = t->elf;
	struct elfsym_sec sec;
	uint64_t va, end;
	size_t i, avail;
	const uint8_t *p;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (!elfsym_section(elf, secs[i], &sec))
			return parse_header(t, sec.data, sec.size, sec.addr, elf->le)
				       ? -EINVAL
				       : 0;
	if (!elfsym_symbol(elf, "runtime.pclntab", &va) &&
	    (p = elfsym_at(elf, va, &avail))) {
		if (!elfsym_symbol(elf, "runtime.epclntab", &end) && end > va &&
		    end - va < avail)
			avail = end - va;
		return parse_header(t, p, avail, va, elf->le) ? -EINVAL : 0;
	}
	/* The scan touches every page of every data segment: worth it only
	 * for a Go binary stripped of its sections, which still carries the
	 * Go build-id note in a PT_NOTE segment. Without this, a whole-machine
	 * agent paged in every large C/C++ binary it met (201 MB resident
	 * against 74 MB measured). Go linked with -buildid= loses the note
	 * and, if also sectionless, its names. */
	if (!elf->go_build_id[0])
		return -ENOENT;
	return scan_for_table(t);
}

/* ---- lookups ---------------------------------------------------------------- */

static uint64_t entry_of(const struct pclntab *t, uint64_t i)
{
	uint64_t v = 0;

	if (t->magic == MAGIC_116)
		get(t, t->pcln, i * 2 * t->ptrsize, t->ptrsize, &v);
	else if (!get(t, t->pcln, i * 8, 4, &v))
		v += t->text_start;
	return v;
}

static int funcoff_of(const struct pclntab *t, uint64_t i, uint64_t *v)
{
	if (t->magic == MAGIC_116)
		return get(t, t->pcln, i * 2 * t->ptrsize + t->ptrsize, t->ptrsize, v);
	return get(t, t->pcln, i * 8 + 4, 4, v);
}

/* Value of the pc-value table at pctab+off for targetpc, or -1. */
static int32_t pcvalue(const struct pclntab *t, uint32_t off, uint64_t entry,
		       uint64_t targetpc)
{
	const uint8_t *p, *end = t->pctab.p + t->pctab.len;
	uint64_t pc = entry;
	int32_t val = -1;
	int steps;

	if (!off || off >= t->pctab.len)
		return -1;
	p = t->pctab.p + off;
	for (steps = 0; steps < PCVALUE_MAX_STEPS; steps++) {
		uint32_t uv, pcd;

		if (uvarint(&p, end, &uv) || (uv == 0 && steps))
			return -1;
		/* Zig-zag delta; wraps like Go's int32 instead of overflowing. */
		val = (int32_t)((uint32_t)val + ((uv & 1) ? ~(uv >> 1) : (uv >> 1)));
		if (uvarint(&p, end, &pcd))
			return -1;
		pc += (uint64_t)pcd * t->quantum;
		if (targetpc < pc)
			return val;
	}
	return -1;
}

/* A decoded _func. */
struct func {
	uint64_t entry, off; /* off: of the _func in pclntable */
	uint32_t name, pcfile, pcln, npcdata, cu, nfuncdata;
};

static int read_func(const struct pclntab *t, uint64_t i, struct func *f)
{
	/* After the entry field: nameOff +0, pcfile +16, pcln +20,
	 * npcdata +24, cuOffset +28. */
	static const unsigned at[5] = {0, 16, 20, 24, 28};
	uint64_t off, v[5], fe, nfd;
	unsigned base, k;

	if (funcoff_of(t, i, &off))
		return -1;
	base = t->magic == MAGIC_116 ? t->ptrsize : 4;
	if (get(t, t->pcln, off, base, &fe))
		return -1;
	for (k = 0; k < 5; k++)
		if (get(t, t->pcln, off + base + at[k], 4, &v[k]))
			return -1;
	if (get(t, t->pcln, off + t->func_hdr - 1, 1, &nfd))
		return -1;
	f->entry = t->magic == MAGIC_116 ? fe : fe + t->text_start;
	f->off = off;
	f->name = (uint32_t)v[0];
	f->pcfile = (uint32_t)v[1];
	f->pcln = (uint32_t)v[2];
	f->npcdata = (uint32_t)v[3];
	f->cu = (uint32_t)v[4];
	f->nfuncdata = (uint32_t)nfd;
	return 0;
}

static const char *func_name(const struct pclntab *t, uint32_t nameoff)
{
	return str_at(t->funcname, nameoff);
}

static const char *file_name(const struct pclntab *t, const struct func *f,
			     int32_t fileno)
{
	uint64_t off;

	if (fileno < 0 || get(t, t->cutab, ((uint64_t)f->cu + (uint64_t)fileno) * 4, 4, &off) ||
	    off == 0xffffffffu)
		return NULL;
	return str_at(t->filetab, off);
}

static uint32_t pcdata_off(const struct pclntab *t, const struct func *f,
			   uint32_t k)
{
	uint64_t v;

	if (k >= f->npcdata || get(t, t->pcln, f->off + t->func_hdr + 4ull * k, 4, &v))
		return 0;
	return (uint32_t)v;
}

/* The inline tree of f: its first byte and how many bytes follow. */
static const uint8_t *inl_tree(const struct pclntab *t, const struct func *f,
			       size_t *avail)
{
	uint64_t at = f->off + t->func_hdr + 4ull * f->npcdata, v, va;

	if (FUNCDATA_INL_TREE >= f->nfuncdata)
		return NULL;
	if (t->magic == MAGIC_116) {
		/* Absolute addresses, aligned to 8 in memory (the runtime
		 * aligns the address, so the table's address counts). */
		if (t->ptrsize == 8 && (t->va + (uint64_t)(t->pcln.p - t->tab) + at) % 8)
			at += 4;
		if (get(t, t->pcln, at + FUNCDATA_INL_TREE * t->ptrsize, t->ptrsize, &va) ||
		    !va)
			return NULL;
	} else {
		if (!t->gofunc ||
		    get(t, t->pcln, at + 4 * FUNCDATA_INL_TREE, 4, &v) || v == 0xffffffffu)
			return NULL;
		va = t->gofunc + v;
	}
	return elfsym_at(t->elf, va, avail);
}

/* One inlinedCall: the callee's name offset and the parent pc offset. */
static int inl_call(const struct pclntab *t, const uint8_t *tree, size_t avail,
		    int32_t ix, uint32_t *name, int32_t *parent_pc)
{
	struct region r = {tree, avail};
	uint64_t n, pp;
	uint64_t at = (uint64_t)ix * t->inl_size;

	if (t->magic == MAGIC_120) {
		if (get(t, r, at + 4, 4, &n) || get(t, r, at + 8, 4, &pp))
			return -1;
	} else if (get(t, r, at + 12, 4, &n) || get(t, r, at + 16, 4, &pp)) {
		return -1;
	}
	*name = (uint32_t)n;
	*parent_pc = (int32_t)(uint32_t)pp;
	return 0;
}

size_t pclntab_lookup(const struct pclntab *t, uint64_t vaddr,
		      struct pcln_frame *frames, size_t max)
{
	uint64_t lo = 0, hi, pc = vaddr;
	const uint8_t *tree = NULL;
	size_t n = 0, tree_avail = 0;
	uint32_t inl_tab;
	struct func f;

	if (!t || !max || vaddr < entry_of(t, 0) || vaddr >= entry_of(t, t->nfunc))
		return 0;
	hi = t->nfunc;
	while (hi - lo > 1) { /* entry(lo) <= vaddr < entry(hi) */
		uint64_t mid = lo + (hi - lo) / 2;

		if (entry_of(t, mid) <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	if (read_func(t, lo, &f) || f.entry != entry_of(t, lo))
		return 0;
	inl_tab = pcdata_off(t, &f, PCDATA_INL_TREE_INDEX);
	if (inl_tab)
		tree = inl_tree(t, &f, &tree_avail);
	while (n < max) {
		int32_t ix = tree ? pcvalue(t, inl_tab, f.entry, pc) : -1;
		int32_t line = pcvalue(t, f.pcln, f.entry, pc);
		uint32_t name = f.name;
		int32_t parent_pc = 0;

		if (ix >= 0 && inl_call(t, tree, tree_avail, ix, &name, &parent_pc))
			ix = -1; /* a damaged tree: report the physical function */
		frames[n].function = func_name(t, ix >= 0 ? name : f.name);
		frames[n].file = file_name(t, &f, pcvalue(t, f.pcfile, f.entry, pc));
		frames[n].line = line > 0 ? line : 0;
		n++;
		if (ix < 0)
			break;
		/* Continue at the call site in the caller; it must stay inside
		 * the function, or the tree is lying. */
		if (parent_pc < 0 || f.entry + (uint64_t)parent_pc >= entry_of(t, lo + 1))
			break;
		pc = f.entry + (uint64_t)parent_pc;
	}
	return n;
}

/* ---- life cycle ----------------------------------------------------------------- */

static uint64_t go_text_start(const struct pclntab *t, uint64_t md)
{
	struct elfsym_sec sec;
	uint64_t v;

	if (!elfsym_symbol(t->elf, "runtime.text", &v))
		return v;
	if (md && !word_at(t, md + 22ull * t->ptrsize, &v) && v)
		return v;
	if (!elfsym_section(t->elf, ".text", &sec))
		return sec.addr;
	return 0;
}

int pclntab_open(const struct elfsym *elf, struct pclntab **out,
		 struct err *e)
{
	struct pclntab *t = xcalloc(1, sizeof(*t));
	uint64_t md;
	int rc;

	*out = NULL;
	t->elf = elf;
	rc = locate(t);
	if (rc == -ENOENT) {
		free(t);
		return rc;
	}
	if (rc) {
		free(t);
		return err_set(e, -EINVAL, "pclntab: damaged or unsupported header");
	}
	if (t->magic != MAGIC_116) {
		md = find_moduledata(t);
		if (!t->text_start)
			t->text_start = go_text_start(t, md);
		if (md) {
			unsigned w = t->magic == MAGIC_118 ? 38 : 40;

			if (word_at(t, md + (uint64_t)w * t->ptrsize, &t->gofunc))
				t->gofunc = 0;
		}
		if (!t->text_start) {
			free(t);
			return err_set(e, -EINVAL, "pclntab: text start not found");
		}
	}
	*out = t;
	return 0;
}

void pclntab_free(struct pclntab *t)
{
	free(t);
}

uint32_t pclntab_magic(const struct pclntab *t)
{
	return t->magic;
}

uint64_t pclntab_text_start(const struct pclntab *t)
{
	return t->text_start;
}

size_t pclntab_nfunc(const struct pclntab *t)
{
	return (size_t)t->nfunc;
}

uint64_t pclntab_func_entry(const struct pclntab *t, size_t i)
{
	return i < t->nfunc ? entry_of(t, i) : 0;
}
