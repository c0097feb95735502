/* Go pclntab reader against Debian's Go.
 *
 * tests/agent/goprog/main.go is built four ways (default, -ldflags='-s -w',
 * -buildmode=pie, both), plus a copy with the section headers dropped so the
 * table must be found by scanning segments. Oracles:
 *  - `go tool addr2line` for every function (entry, middle and last byte):
 *    its function is the physical one, its file:line the innermost inlined
 *    position. It only reads a section named .gopclntab, so PIE builds are
 *    checked through a copy whose .data.rel.ro.gopclntab is renamed.
 *  - the Go runtime itself: the program prints runtime.Callers pcs and
 *    runtime.CallersFrames frames (the runtime expands inlined calls into
 *    consecutive pcs); the symbolizer, reading /proc/PID/maps of the running
 *    program, must give the same frames for each pc.
 *  - a Go 1.20+ binary on the machine (docker, go1.24 with .symtab and
 *    DWARF) for the newer layout: function names against nm, lines and
 *    inlined frames against binutils' addr2line -f -i.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <time.h>

#include "../../src/agent/elfsym.h"
#include "../../src/agent/pclntab.h"
#include "../../src/agent/symbolize.h"
#include "agenttest.h"
#include "../fuzz/pclntab_elf.h"

#define GOPROG "tests/agent/goprog/main.go"

static char *dir;

enum { V_PLAIN, V_STRIP, V_PIE, V_PIE_STRIP, V_NOSEC, NVARIANT };
static const char *const vname[NVARIANT] = {"gp", "gp_s", "gp_pie", "gp_pie_s",
					    "gp_nosec"};
/* The binary `go tool addr2line` reads for each variant. */
static const char *const voracle[NVARIANT] = {"gp", "gp_s", "gp_pie_ren",
					      "gp_pie_s_ren", "gp_s"};

static int setup(void **state)
{
	static const char *const flags[4] = {"", "-ldflags='-s -w'", "-buildmode=pie",
					     "-buildmode=pie -ldflags='-s -w'"};
	char *a, *b;
	int i;

	(void)state;
	if (!at_have("go")) {
		fprintf(stderr, "go not found: Debian's golang-go builds the test programs\n");
		return -1;
	}
	dir = at_tmpdir();
	/* go needs a build cache and a GOPATH: under $HOME when there is one
	 * (warm across runs), else in the scratch directory. */
	if (!getenv("HOME") && !getenv("GOCACHE")) {
		a = at_fmt("%s/gocache", dir);
		b = at_fmt("%s/gopath", dir);
		setenv("GOCACHE", a, 1);
		setenv("GOPATH", b, 1);
		free(a);
		free(b);
	}
	for (i = 0; i < 4; i++)
		if (at_sh("GO111MODULE=off CGO_ENABLED=0 go build %s -o %s/%s " GOPROG,
			  flags[i], dir, vname[i]))
			return -1;
	a = at_fmt("%s/gp_s", dir);
	b = at_fmt("%s/gp_nosec", dir);
	if (at_patch_elf(a, b, at_drop_sections) || chmod(b, 0755))
		return -1;
	free(a);
	free(b);
	for (i = V_PIE; i <= V_PIE_STRIP; i++) {
		a = at_fmt("%s/%s", dir, vname[i]);
		b = at_fmt("%s/%s_ren", dir, vname[i]);
		if (at_patch_elf(a, b, at_rename_pclntab))
			return -1;
		free(a);
		free(b);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	at_rmdir(dir);
	dir = NULL;
	return 0;
}

struct gobin {
	int fd;
	struct elfsym elf;
	struct pclntab *t;
};

static void gobin_open(struct gobin *g, const char *path)
{
	struct err e = {0};

	g->fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(g->fd >= 0);
	assert_int_equal(elfsym_open_fd(g->fd, path, 0, &g->elf, &e), 0);
	assert_int_equal(pclntab_open(&g->elf, &g->t, &e), 0);
}

static void gobin_close(struct gobin *g)
{
	pclntab_free(g->t);
	elfsym_release(&g->elf);
	close(g->fd);
}

/* Compare pclntab answers with `go tool addr2line` for three addresses of
 * every function. Returns the number of addresses checked. */
static size_t check_addr2line(const char *bin, const char *oracle)
{
	struct gobin g;
	struct buf in = BUF_INIT;
	size_t i, n, checked = 0, bad = 0;
	char *inpath, *out, *line, *save = NULL;
	uint64_t *addrs;

	gobin_open(&g, bin);
	n = pclntab_nfunc(g.t);
	assert_true(n > 1000);
	addrs = xmalloc(3 * n * sizeof(*addrs));
	for (i = 0; i + 1 < n; i++) {
		uint64_t lo = pclntab_func_entry(g.t, i), hi = pclntab_func_entry(g.t, i + 1);

		assert_true(hi >= lo);
		if (hi == lo)
			continue;
		addrs[checked++] = lo;
		addrs[checked++] = lo + (hi - lo) / 2;
		addrs[checked++] = hi - 1;
	}
	for (i = 0; i < checked; i++)
		buf_printf(&in, "0x%" PRIx64 "\n", addrs[i]);
	inpath = at_fmt("%s/addrs.txt", dir);
	assert_int_equal(file_write_atomic(inpath, in.data, in.len, NULL), 0);
	out = at_capture("go tool addr2line %s < %s", oracle, inpath);
	line = strtok_r(out, "\n", &save);
	for (i = 0; i < checked; i++) {
		struct pcln_frame f[PCLNTAB_MAX_INLINE];
		char *fileline = strtok_r(NULL, "\n", &save), *colon;
		size_t k;
		char want[8192];

		assert_non_null(line);
		assert_non_null(fileline);
		k = pclntab_lookup(g.t, addrs[i], f, PCLNTAB_MAX_INLINE);
		colon = strrchr(fileline, ':');
		assert_non_null(colon);
		if (!k) {
			/* Only where the oracle knows nothing either. */
			if (strcmp(line, "?")) {
				fprintf(stderr, "%s %#" PRIx64 ": unnamed, addr2line says %s\n",
					bin, addrs[i], line);
				bad++;
			}
		} else {
			/* Unknown position (padding after a function): ours is
			 * NULL and 0, Go prints an empty file and line -1. */
			if (f[0].file || f[0].line)
				snprintf(want, sizeof(want), "%s:%" PRId64,
					 f[0].file ? f[0].file : "?", f[0].line);
			else
				snprintf(want, sizeof(want), ":-1");
			if (!f[k - 1].function || strcmp(f[k - 1].function, line) ||
			    strcmp(want, fileline)) {
				fprintf(stderr, "%s %#" PRIx64 ": got %s %s, addr2line %s %s\n",
					bin, addrs[i], f[k - 1].function, want, line, fileline);
				bad++;
			}
		}
		line = strtok_r(NULL, "\n", &save);
	}
	assert_int_equal(bad, 0);
	free(out);
	free(inpath);
	free(addrs);
	buf_release(&in);
	gobin_close(&g);
	return checked;
}

static void test_addr2line(void **state)
{
	int v;

	(void)state;
	for (v = 0; v < NVARIANT; v++) {
		char *bin = at_fmt("%s/%s", dir, vname[v]);
		char *oracle = at_fmt("%s/%s", dir, voracle[v]);
		size_t n = check_addr2line(bin, oracle);

		fprintf(stderr, "# %s: %zu addresses match go tool addr2line\n", vname[v], n);
		free(bin);
		free(oracle);
	}
}

/* Which way each variant's table was found, and the magic of Go 1.19. */
static void test_locate(void **state)
{
	int v;

	(void)state;
	for (v = 0; v < NVARIANT; v++) {
		char *bin = at_fmt("%s/%s", dir, vname[v]);
		struct elfsym_sec sec;
		struct gobin g;

		gobin_open(&g, bin);
		assert_int_equal(pclntab_magic(g.t), 0xfffffff0u);
		assert_int_equal(pclntab_text_start(g.t), 0x401000);
		if (v == V_NOSEC)
			assert_int_equal(elfsym_section(&g.elf, ".gopclntab", &sec), -ENOENT);
		gobin_close(&g);
		free(bin);
	}
}

/* The runtime's frames of the program's pcs, one line each. */
struct rt_frame {
	uint64_t pc;
	char func[256], file[1024];
	int64_t line;
};

static size_t parse_runtime(char *text, struct rt_frame *fr, size_t max)
{
	char *save = NULL, *l;
	uint64_t pc = 0;
	size_t n = 0;

	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "pc ", 3)) {
			pc = strtoull(l + 3, NULL, 16);
		} else if (!strncmp(l, "frame ", 6) && n < max) {
			char *f = l + 6, *t1 = strchr(f, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

			assert_non_null(t2);
			*t1 = *t2 = '\0';
			fr[n].pc = pc;
			snprintf(fr[n].func, sizeof(fr[n].func), "%s", f);
			snprintf(fr[n].file, sizeof(fr[n].file), "%s", t1 + 1);
			fr[n].line = strtoll(t2 + 1, NULL, 10);
			n++;
		}
	}
	return n;
}

static void check_running(const char *bin, int *inlined_seen)
{
	struct rt_frame rt[64];
	struct symbolizer *s;
	struct at_child c = {0};
	struct err e = {0};
	char *argv[] = {(char *)bin, NULL}, *text;
	size_t n, i, k;

	assert_int_equal(at_spawn(&c, argv), 0);
	text = at_read_until_ready(&c);
	n = parse_runtime(text, rt, 64);
	assert_true(n >= 8);
	s = symbolizer_new(&e);
	assert_non_null(s);
	for (i = 0; i < n; i++) {
		struct sym_loc loc;

		assert_int_equal(symbolizer_user_ret(s, c.pid, rt[i].pc, &loc, &e), 0);
		assert_non_null(loc.mapping);
		assert_string_equal(loc.mapping->path, bin);
		assert_true(loc.nframes >= 1);
		assert_true(i + loc.nframes <= n);
		/* Our frames for pc i are the runtime's for pcs i, i+1, ... */
		for (k = 0; k < loc.nframes; k++) {
			assert_string_equal(loc.frames[k].function, rt[i + k].func);
			assert_string_equal(loc.frames[k].file, rt[i + k].file);
			assert_int_equal(loc.frames[k].line, rt[i + k].line);
		}
		if (loc.nframes == 3 && !strcmp(loc.frames[0].function, "main.inlinedHelper") &&
		    !strcmp(loc.frames[1].function, "main.midInlined") &&
		    !strcmp(loc.frames[2].function, "main.outerFunc"))
			(*inlined_seen)++;
	}
	symbolizer_free(s);
	at_finish(&c);
	free(text);
}

static void test_running_programs(void **state)
{
	int v, inlined = 0;

	(void)state;
	for (v = 0; v < NVARIANT; v++) {
		char *bin = at_fmt("%s/%s", dir, vname[v]);

		check_running(bin, &inlined);
		free(bin);
	}
	/* The two-level inline (outerFunc <- midInlined <- inlinedHelper) was
	 * expanded in every variant. */
	assert_int_equal(inlined, NVARIANT);
}

/* Assembly functions carry an ABI suffix in .symtab and DWARF only. */
static int same_name(const char *theirs, const char *ours)
{
	size_t n = strlen(ours);

	return !strncmp(theirs, ours, n) && (!theirs[n] || !strcmp(theirs + n, ".abi0"));
}

/* Go 1.20+ layout (magic 0xfffffff1) against nm and binutils addr2line on
 * a binary from the machine, when there is one. */
static void test_go120_binary(void **state)
{
	const char *bin = "/usr/local/bin/docker";
	struct buf in = BUF_INIT;
	size_t i, n, checked = 0, bad_name = 0, bad_line = 0, inl = 0, nodwarf = 0;
	char *out, *cur, *l, *inpath;
	uint64_t addrs[600];
	struct gobin g;

	(void)state;
	if (access(bin, R_OK)) {
		skip(); /* no Go 1.20+ binary with symbols here */
		return;
	}
	gobin_open(&g, bin);
	assert_int_equal(pclntab_magic(g.t), 0xfffffff1u);
	n = pclntab_nfunc(g.t);
	/* Function names against the ELF symbol table (nm). */
	for (i = 0; i + 1 < n && checked < 600; i += n / 600 + 1) {
		uint64_t lo = pclntab_func_entry(g.t, i), hi = pclntab_func_entry(g.t, i + 1);
		const struct elfsym_sym *y = elfsym_find(&g.elf, lo);
		struct pcln_frame f[PCLNTAB_MAX_INLINE];
		size_t k = pclntab_lookup(g.t, lo, f, PCLNTAB_MAX_INLINE);

		assert_true(k >= 1);
		if (!y || y->addr != lo || !same_name(elfsym_name(&g.elf, y), f[k - 1].function)) {
			fprintf(stderr, "docker %#" PRIx64 ": pclntab %s, symtab %s\n", lo,
				f[k - 1].function, y ? elfsym_name(&g.elf, y) : "-");
			bad_name++;
		}
		addrs[checked++] = lo + (hi - lo) / 2;
	}
	assert_int_equal(bad_name, 0);
	/* Lines and inlined frames against DWARF: llvm-symbolizer prints per
	 * address one block of "function\nfile:line:column" frames, innermost
	 * first, then a blank line; "??" where DWARF knows nothing. */
	for (i = 0; i < checked; i++)
		buf_printf(&in, "0x%" PRIx64 "\n", addrs[i]);
	inpath = at_fmt("%s/addrs120.txt", dir);
	assert_int_equal(file_write_atomic(inpath, in.data, in.len, NULL), 0);
	out = at_capture("llvm-symbolizer --obj=%s < %s", bin, inpath);
	cur = out;
	for (i = 0; i < checked; i++) {
		struct pcln_frame f[PCLNTAB_MAX_INLINE];
		size_t k = pclntab_lookup(g.t, addrs[i], f, PCLNTAB_MAX_INLINE), j = 0;
		int ok = 1, unknown = 0;
		char want[4096];

		/* One block: pairs of lines up to an empty line. */
		while ((l = strsep(&cur, "\n")) && l[0]) {
			char *fl = strsep(&cur, "\n");

			assert_non_null(fl);
			/* "??", or a line 0 ("go.go:0" for wrappers): DWARF
			 * does not know the position. */
			if (!strcmp(l, "??") || strstr(fl, ":0:")) {
				unknown = 1;
				continue;
			}
			/* Go's DWARF writes a relative file ("<autogenerated>")
			 * as "./<autogenerated>"; pclntab has it bare. */
			if (!strncmp(fl, "./", 2))
				fl += 2;
			if (j < k) {
				snprintf(want, sizeof(want), "%s:%" PRId64 ":", f[j].file,
					 f[j].line);
				if (!same_name(l, f[j].function) || strncmp(fl, want, strlen(want)))
					ok = 0;
			}
			j++;
		}
		assert_non_null(l);
		if (unknown) {
			nodwarf++;
		} else if (!ok || j != k) {
			fprintf(stderr, "docker %#" PRIx64 ": %zu frames, DWARF %zu (first %s %s:%" PRId64 ")\n",
				addrs[i], k, j, f[0].function, f[0].file, f[0].line);
			bad_line++;
		}
		inl += k > 1;
	}
	fprintf(stderr, "# docker (go1.20+ layout): %zu names match nm; %zu frame chains "
		"match DWARF (%zu with inlined frames), %zu without DWARF, %zu differ\n",
		checked, checked - nodwarf - bad_line, inl, nodwarf, bad_line);
	/* Go's DWARF and pclntab come from the same compiler tables. */
	assert_int_equal(bad_line, 0);
	free(out);
	free(inpath);
	buf_release(&in);
	gobin_close(&g);
}

/* A damaged header is refused, not read past its end. */
static void test_damaged(void **state)
{
	char *bin = at_fmt("%s/gp", dir);
	uint8_t *img = NULL, *copy;
	struct elfsym elf;
	struct elfsym_sec sec;
	struct pclntab *t;
	struct err e = {0};
	size_t len, off;
	int rc;

	(void)state;
	assert_int_equal(file_read(bin, 1u << 30, &img, &len, NULL), 0);
	assert_int_equal(elfsym_open_mem(img, len, 0, &elf, &e), 0);
	assert_int_equal(elfsym_section(&elf, ".gopclntab", &sec), 0);
	off = (size_t)(sec.data - img);
	elfsym_release(&elf);
	/* Each header word set to a huge value in turn. */
	for (size_t w = 0; w < 8; w++) {
		copy = xmalloc(len);
		memcpy(copy, img, len);
		memset(copy + off + 8 + 8 * w, 0xee, 8);
		assert_int_equal(elfsym_open_mem(copy, len, 0, &elf, &e), 0);
		rc = pclntab_open(&elf, &t, &e);
		if (w == 1) { /* nfiles is not used */
			assert_int_equal(rc, 0);
			pclntab_free(t);
		} else if (w == 2) { /* textStart: lookups just miss */
			assert_int_equal(rc, 0);
			struct pcln_frame f[4];
			assert_int_equal(pclntab_lookup(t, 0x401000, f, 4), 0);
			pclntab_free(t);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_null(t);
		}
		elfsym_release(&elf);
		free(copy);
	}
	free(img);
	free(bin);
}

/* The Go 1.16 and 1.20+ layouts (Debian's Go is 1.19) on hand-built
 * tables: tests/fuzz/gen_pclntab_seeds.py writes two functions, main.outer
 * at 0x401000 (lines 10 and 12, main.inl inlined over [0x10, 0x20) with its
 * call at +8) and main.leaf at 0x401040 (b.go:5), each layout with a
 * section and without (found by scanning, the inline tree's base by the
 * moduledata scan; the scan variants of 1.18/1.20 with textStart zeroed, as
 * Go 1.26 writes it, so the text start comes from moduledata.text). The
 * fuzz target starts from the same files. */
static void test_layouts(void **state)
{
	static const char *const names[] = {"go116", "go118", "go120"};
	static const uint32_t magic[] = {0xfffffffau, 0xfffffff0u, 0xfffffff1u};
	char *sdir = at_fmt("%s/seeds", dir);
	size_t i, k;

	(void)state;
	assert_int_equal(at_sh("python3 tests/fuzz/gen_pclntab_seeds.py %s", sdir), 0);
	for (i = 0; i < 3; i++) {
		for (k = 0; k < 2; k++) {
			char *p = at_fmt("%s/%s-%s.bin", sdir, names[i], k ? "scan" : "section");
			uint8_t *seed = NULL, *img;
			size_t slen = 0, len = 0;
			struct pcln_frame f[8];
			struct elfsym elf;
			struct elfsym_sec sec;
			struct pclntab *t;
			struct err e = {0};

			assert_int_equal(file_read(p, 1 << 20, &seed, &slen, NULL), 0);
			assert_int_equal(seed[0], k);
			/* Go 1.26 writes textStart 0: the scan variants of 1.18
			 * and 1.20 get a zero, so the text start has to come from
			 * moduledata.text. */
			if (k && i > 0) {
				memset(seed + 1 + 8 + 2 * 8, 0, 8);
				assert_int_equal(seed[1 + 8 + 2 * 8 - 8], 2); /* nfiles */
			}
			img = pclntab_elf(seed + 1, slen - 1, !k, &len);
			assert_non_null(img);
			assert_int_equal(elfsym_open_mem(img, len, 0, &elf, &e), 0);
			assert_int_equal(elfsym_section(&elf, ".gopclntab", &sec), k ? -ENOENT : 0);
			assert_int_equal(pclntab_open(&elf, &t, &e), 0);
			assert_int_equal(pclntab_magic(t), magic[i]);
			assert_int_equal(pclntab_nfunc(t), 2);
			assert_int_equal(pclntab_text_start(t), i ? 0x401000 : 0);
			assert_int_equal(pclntab_func_entry(t, 1), 0x401040);

			assert_int_equal(pclntab_lookup(t, 0x401000, f, 8), 1);
			assert_string_equal(f[0].function, "main.outer");
			assert_string_equal(f[0].file, "a.go");
			assert_int_equal(f[0].line, 10);
			/* Inlined: the callee at the pc, the caller at its call. */
			assert_int_equal(pclntab_lookup(t, 0x401015, f, 8), 2);
			assert_string_equal(f[0].function, "main.inl");
			assert_int_equal(f[0].line, 10);
			assert_string_equal(f[1].function, "main.outer");
			assert_string_equal(f[1].file, "a.go");
			assert_int_equal(f[1].line, 10);
			/* Room for one frame: the innermost. */
			assert_int_equal(pclntab_lookup(t, 0x401015, f, 1), 1);
			assert_string_equal(f[0].function, "main.inl");
			assert_int_equal(pclntab_lookup(t, 0x401030, f, 8), 1);
			assert_int_equal(f[0].line, 12);
			assert_int_equal(pclntab_lookup(t, 0x40105f, f, 8), 1);
			assert_string_equal(f[0].function, "main.leaf");
			assert_string_equal(f[0].file, "b.go");
			assert_int_equal(f[0].line, 5);
			/* Outside the text. */
			assert_int_equal(pclntab_lookup(t, 0x401060, f, 8), 0);
			assert_int_equal(pclntab_lookup(t, 0x400fff, f, 8), 0);
			pclntab_free(t);
			elfsym_release(&elf);
			free(img);
			free(seed);
			free(p);
		}
	}
	free(sdir);
}

/* Zero, in a copy of a PIE, the moduledata words the reader uses (pcHeader,
 * funcnametab, gofunc of Go 1.18/1.19): what a linker that leaves pointer
 * words to R_X86_64_RELATIVE relocations writes on disk. The moduledata is
 * the target of the relocation whose addend is the pclntab's address. */
static uint64_t patch_va;

static int zero_moduledata(uint8_t *img, size_t len)
{
	static const unsigned words[] = {0, 1, 38};
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	size_t i, k, zeroed = 0;

	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Rela *r = (const Elf64_Rela *)(img + sh[i].sh_offset);

		if (sh[i].sh_type != SHT_RELA)
			continue;
		for (k = 0; k < sh[i].sh_size / sizeof(*r); k++) {
			size_t j, w;

			if (ELF64_R_TYPE(r[k].r_info) != R_X86_64_RELATIVE ||
			    (uint64_t)r[k].r_addend != patch_va)
				continue;
			for (w = 0; w < 3; w++) {
				uint64_t va = r[k].r_offset + 8ull * words[w];

				for (j = 0; j < eh->e_phnum; j++)
					if (ph[j].p_type == PT_LOAD && va >= ph[j].p_vaddr &&
					    va + 8 <= ph[j].p_vaddr + ph[j].p_filesz &&
					    ph[j].p_offset + (va - ph[j].p_vaddr) + 8 <= len) {
						memset(img + ph[j].p_offset + (va - ph[j].p_vaddr), 0, 8);
						zeroed++;
					}
			}
		}
	}
	return zeroed >= 3 ? 0 : -1;
}

/* The same answers, inlined frames included, when those words are 0 on
 * disk and come from the relocations. */
static void test_pie_relocations(void **state)
{
	char *bin = at_fmt("%s/gp_pie_s", dir), *zero = at_fmt("%s/gp_pie_zero", dir);
	struct elfsym_sec sec;
	struct gobin a, b;
	size_t i, n, inl = 0;

	(void)state;
	gobin_open(&a, bin);
	assert_int_equal(elfsym_section(&a.elf, ".data.rel.ro.gopclntab", &sec), 0);
	patch_va = sec.addr;
	assert_int_equal(at_patch_elf(bin, zero, zero_moduledata), 0);
	gobin_open(&b, zero);
	n = pclntab_nfunc(a.t);
	for (i = 0; i + 1 < n; i++) {
		uint64_t lo = pclntab_func_entry(a.t, i), hi = pclntab_func_entry(a.t, i + 1);
		uint64_t pc;

		for (pc = lo; pc < hi; pc += (hi - lo) / 8 + 1) {
			struct pcln_frame fa[PCLNTAB_MAX_INLINE], fb[PCLNTAB_MAX_INLINE];
			size_t na = pclntab_lookup(a.t, pc, fa, PCLNTAB_MAX_INLINE);
			size_t nb = pclntab_lookup(b.t, pc, fb, PCLNTAB_MAX_INLINE), k;

			assert_int_equal(na, nb);
			for (k = 0; k < na; k++) {
				assert_string_equal(fa[k].function, fb[k].function);
				assert_int_equal(fa[k].line, fb[k].line);
			}
			inl += na > 1;
		}
	}
	assert_true(inl > 100);
	fprintf(stderr, "# PIE with moduledata words from relocations: same answers, "
		"%zu with inlined frames\n", inl);
	gobin_close(&a);
	gobin_close(&b);
	free(bin);
	free(zero);
}

static uint64_t value_of(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "%s ", key);
	p = strstr(text, pat);
	assert_non_null(p);
	return strtoull(p + strlen(pat), NULL, 16);
}

/* cgo, linked by the external linker: C code is not in the pclntab, so it
 * is named by ELF symbols (.symtab; stripped, .dynsym, where cgo exports
 * its C functions). An address of the file that no table covers (its ELF
 * header) stays unnamed but keeps its mapping. Go code is named either way. */
static void test_cgo(void **state)
{
	static const char *const flags[2] = {"", "-ldflags='-s -w'"};
	int v;

	(void)state;
	if (!at_have("gcc")) {
		skip();
		return;
	}
	for (v = 0; v < 2; v++) {
		char *bin = at_fmt("%s/cgo%d", dir, v), *text;
		char *argv[] = {bin, NULL};
		struct at_child c = {0};
		struct err e = {0};
		struct symbolizer *s = symbolizer_new(&e);
		struct sym_loc loc;

		assert_int_equal(at_sh("GO111MODULE=off CGO_ENABLED=1 go build %s -o %s "
				       "tests/agent/cgoprog/main.go", flags[v], bin), 0);
		assert_int_equal(at_spawn(&c, argv), 0);
		text = at_read_until_ready(&c);
		assert_int_equal(symbolizer_user(s, c.pid, value_of(text, "go") + 4, &loc, &e), 0);
		assert_true(loc.nframes >= 1);
		assert_string_equal(loc.frames[loc.nframes - 1].function, "main.goWork");
		assert_non_null(strstr(loc.frames[0].file, "cgoprog/main.go"));
		assert_int_equal(symbolizer_user(s, c.pid, value_of(text, "c") + 4, &loc, &e), 0);
		assert_non_null(loc.mapping);
		assert_string_equal(loc.mapping->path, bin);
		assert_int_equal(loc.nframes, 1);
		assert_string_equal(loc.frames[0].function, "c_spin");
		assert_int_equal(symbolizer_user(s, c.pid, 0x400010, &loc, &e), 0);
		assert_non_null(loc.mapping);
		assert_string_equal(loc.mapping->path, bin);
		assert_int_equal(loc.nframes, 0);
		assert_null(loc.frames);
		at_finish(&c);
		symbolizer_free(s);
		free(text);
		free(bin);
	}
}

/* A table whose moduledata is missing, in a file whose writable segment
 * holds many words equal to the table's address (each a moduledata
 * candidate whose next word is 0, read through the relocations) and a
 * .rela.dyn of many relocations. Each candidate used to scan every
 * relocation: K x R steps, minutes for a 4 MB file. The file is untrusted
 * (any binary a profiled process runs): opening it must stay cheap; the
 * table still opens, without inline trees (no moduledata). */
#define HOSTILE_K 50000 /* candidates */
#define HOSTILE_R 50000 /* relocations */

static uint8_t *hostile_elf(const uint8_t *tab, size_t tlen, size_t *out_len)
{
	static const char shstr[] = "\0.gopclntab\0.rela.dyn\0.shstrtab";
	size_t cand = PCLNTAB_ELF_AT + ((tlen + 7) & ~(size_t)7);
	size_t rela = cand + (size_t)HOSTILE_K * 16, strs = rela + (size_t)HOSTILE_R * 24;
	size_t shoff = strs + ((sizeof(shstr) + 7) & ~(size_t)7);
	size_t len = shoff + 4 * sizeof(Elf64_Shdr), i;
	uint8_t *img = calloc(1, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + shoff);
	Elf64_Rela *r = (Elf64_Rela *)(img + rela);

	assert_non_null(img);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	for (i = 0; i < 2; i++)
		ph[i] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = i ? PF_R | PF_W : PF_R,
				     .p_vaddr = i ? 0x800000 : 0x400000,
				     .p_paddr = i ? 0x800000 : 0x400000,
				     .p_filesz = len, .p_memsz = len, .p_align = 0x1000};
	memcpy(img + PCLNTAB_ELF_AT, tab, tlen);
	for (i = 0; i < HOSTILE_K; i++) /* {table address, 0} */
		memcpy(img + cand + 16 * i, &(uint64_t){0x400000 + PCLNTAB_ELF_AT}, 8);
	for (i = 0; i < HOSTILE_R; i++)
		r[i] = (Elf64_Rela){.r_offset = 0x900000 + 8 * i, .r_info = R_X86_64_RELATIVE,
				    .r_addend = 1};
	memcpy(img + strs, shstr, sizeof(shstr));
	eh->e_shoff = shoff;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = 4;
	eh->e_shstrndx = 3;
	sh[1] = (Elf64_Shdr){.sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			     .sh_addr = 0x400000 + PCLNTAB_ELF_AT, .sh_offset = PCLNTAB_ELF_AT,
			     .sh_size = tlen, .sh_addralign = 1};
	sh[2] = (Elf64_Shdr){.sh_name = 12, .sh_type = SHT_RELA, .sh_flags = SHF_ALLOC,
			     .sh_addr = 0x400000 + rela, .sh_offset = rela,
			     .sh_size = (size_t)HOSTILE_R * 24, .sh_entsize = 24, .sh_addralign = 8};
	sh[3] = (Elf64_Shdr){.sh_name = 22, .sh_type = SHT_STRTAB, .sh_offset = strs,
			     .sh_size = sizeof(shstr), .sh_addralign = 1};
	*out_len = len;
	return img;
}

static void test_hostile_moduledata(void **state)
{
	char *sdir = at_fmt("%s/hseeds", dir), *p = at_fmt("%s/go118-section.bin", sdir);
	uint8_t *seed = NULL, *img;
	size_t slen = 0, len = 0;
	struct pcln_frame f[8];
	struct timespec t0, t1;
	struct elfsym elf;
	struct pclntab *t;
	struct err e = {0};
	double secs;

	(void)state;
	assert_int_equal(at_sh("python3 tests/fuzz/gen_pclntab_seeds.py %s", sdir), 0);
	assert_int_equal(file_read(p, 1 << 20, &seed, &slen, NULL), 0);
	/* The seed ends with its moduledata (44 words): no longer one. */
	assert_true(slen > 1 + 44 * 8);
	memset(seed + slen - 44 * 8, 0, 8);
	img = hostile_elf(seed + 1, slen - 1, &len);
	assert_int_equal(elfsym_open_mem(img, len, 0, &elf, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pclntab_open(&elf, &t, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "# %d moduledata candidates x %d relocations: opened in %.3f s\n",
		HOSTILE_K, HOSTILE_R, secs);
	assert_true(secs < 2.0);
	assert_int_equal(pclntab_lookup(t, 0x401000, f, 8), 1);
	assert_string_equal(f[0].function, "main.outer");
	pclntab_free(t);
	elfsym_release(&elf);
	free(img);
	free(seed);
	free(p);
	free(sdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_addr2line),
		cmocka_unit_test(test_running_programs),
		cmocka_unit_test(test_go120_binary),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_cgo),
		cmocka_unit_test(test_pie_relocations),
		cmocka_unit_test(test_hostile_moduledata),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
