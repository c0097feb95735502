/* ELF symbols and /proc/PID/maps translation, against gcc-built programs.
 *
 * tests/agent/cprog is built as a PIE and as a -no-pie executable, with a
 * shared library and a library loaded later with dlopen; cxx.cc with g++.
 * Oracles: nm (every function symbol, looked up in its middle) and
 * addr2line -f; readelf -n for build ids; running programs that print the
 * addresses of their own functions, symbolized through /proc/PID/maps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../../src/agent/elfsym.h"
#include "../../src/agent/procmaps.h"
#include "../../src/agent/symbolize.h"
#include "agenttest.h"

#define SRC "tests/agent/cprog"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = at_tmpdir();
	if (at_sh("gcc -g -O1 -fPIC -shared -o %s/libfoo.so " SRC "/lib.c", dir) ||
	    at_sh("gcc -g -O1 -fPIC -shared -o %s/liblate.so " SRC "/late.c", dir) ||
	    at_sh("gcc -g -O1 -fPIE -pie -o %s/exe_pie " SRC "/main.c -L%s -lfoo "
		  "-Wl,-rpath,%s -ldl", dir, dir, dir) ||
	    at_sh("gcc -g -O1 -fno-pie -no-pie -o %s/exe_nopie " SRC "/main.c -L%s "
		  "-lfoo -Wl,-rpath,%s -ldl", dir, dir, dir) ||
	    at_sh("g++ -g -O1 -o %s/cxx " SRC "/cxx.cc", dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	at_rmdir(dir);
	dir = NULL;
	return 0;
}

struct nmsym {
	uint64_t addr, size;
	char name[512];
};

/* Function symbols of bin as nm lists them (defined, with a size). */
static size_t nm_funcs(const char *bin, struct nmsym **out)
{
	char *text = at_capture("(nm -S --defined-only %s; nm -D -S --defined-only %s) 2>/dev/null",
				bin, bin);
	char *save = NULL, *l;
	size_t n = 0, cap = 0;

	*out = NULL;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct nmsym y;
		char type;

		if (sscanf(l, "%" SCNx64 " %" SCNx64 " %c %511s", &y.addr, &y.size, &type,
			   y.name) != 4 ||
		    !strchr("TtWwi", type) || !y.size)
			continue;
		y.name[strcspn(y.name, "@")] = '\0'; /* nm -D: "name@@GLIBC_2.2.5" */
		XGROW(*out, cap, n + 1);
		(*out)[n++] = y;
	}
	free(text);
	return n;
}

/* Does some nm symbol at addr carry name? (aliases share an address) */
static int nm_has(const struct nmsym *v, size_t n, uint64_t addr, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].addr == addr && !strcmp(v[i].name, name))
			return 1;
	return 0;
}

static void check_against_nm(const char *bin, size_t *total)
{
	struct elfsym elf;
	struct err e = {0};
	struct nmsym *v;
	struct buf in = BUF_INIT;
	size_t n, i;
	int fd = open(bin, O_RDONLY | O_CLOEXEC);
	char *a2l, *cur, *l;
	size_t dwarf = 0;

	assert_true(fd >= 0);
	assert_int_equal(elfsym_open_fd(fd, bin, 0, &elf, &e), 0);
	close(fd);
	n = nm_funcs(bin, &v);
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		uint64_t mid = v[i].addr + v[i].size / 2;
		const struct elfsym_sym *y = elfsym_find(&elf, mid);

		assert_non_null(y);
		assert_int_equal(y->addr, v[i].addr);
		if (!nm_has(v, n, y->addr, elfsym_name(&elf, y)))
			fail_msg("%s %#" PRIx64 ": %s is not an nm name there", bin, mid,
				 elfsym_name(&elf, y));
		buf_printf(&in, "0x%" PRIx64 "\n", mid);
	}
	/* DWARF names the same functions: llvm-symbolizer prints a block of
	 * "function\nfile:line:col" per address, inlined frames first, the
	 * physical function last, then an empty line. */
	{
		char *path = at_fmt("%s/a2l.txt", dir);

		assert_int_equal(file_write_atomic(path, in.data, in.len, NULL), 0);
		a2l = at_capture("llvm-symbolizer --no-demangle --obj=%s < %s", bin, path);
		free(path);
	}
	cur = a2l;
	for (i = 0; i < n; i++) {
		const struct elfsym_sym *y = elfsym_find(&elf, v[i].addr + v[i].size / 2);
		char *last = NULL;

		while ((l = strsep(&cur, "\n")) && l[0]) {
			last = l;
			assert_non_null(strsep(&cur, "\n"));
		}
		assert_non_null(last);
		/* DWARF knows only the compiled functions; the rest print
		 * "??". Where it knows, it agrees with the symbol there. */
		if (strcmp(last, "??") && !nm_has(v, n, y->addr, last))
			fail_msg("%s: DWARF says %s, we say %s", bin, last,
				 elfsym_name(&elf, y));
		dwarf += strcmp(last, "??") != 0;
	}
	*total += n;
	fprintf(stderr, "# %s: %zu functions match nm, %zu named alike by llvm-symbolizer\n",
		bin, n, dwarf);
	free(a2l);
	free(v);
	buf_release(&in);
	elfsym_release(&elf);
}

static void test_nm(void **state)
{
	static const char *const bins[] = {"exe_pie", "exe_nopie", "libfoo.so", "cxx"};
	size_t i, total = 0;

	(void)state;
	for (i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		char *p = at_fmt("%s/%s", dir, bins[i]);

		check_against_nm(p, &total);
		free(p);
	}
	/* And a big system library. */
	check_against_nm("/usr/lib/x86_64-linux-gnu/libc.so.6", &total);
	fprintf(stderr, "# %zu function symbols in all\n", total);
}

static void test_build_id(void **state)
{
	char *bin = at_fmt("%s/libfoo.so", dir), *out, *p;
	struct elfsym elf;
	struct err e = {0};
	int fd = open(bin, O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_int_equal(elfsym_open_fd(fd, bin, 0, &elf, &e), 0);
	close(fd);
	out = at_capture("readelf -n %s | sed -n 's/.*Build ID: //p'", bin);
	p = strchr(out, '\n');
	if (p)
		*p = '\0';
	assert_true(strlen(out) >= 32);
	assert_string_equal(elf.build_id, out);
	assert_int_equal(elf.type, ET_DYN);
	free(out);
	elfsym_release(&elf);
	free(bin);
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

static void expect_named(struct symbolizer *s, int pid, uint64_t addr,
			 const char *func, const char *path)
{
	struct sym_loc loc;
	struct err e = {0};

	assert_int_equal(symbolizer_user(s, pid, addr, &loc, &e), 0);
	assert_int_equal(loc.addr, addr);
	assert_non_null(loc.mapping);
	assert_string_equal(loc.mapping->path, path);
	assert_true(addr >= loc.mapping->start && addr < loc.mapping->limit);
	assert_int_equal(loc.nframes, 1);
	assert_string_equal(loc.frames[0].function, func);
	/* A return address just past a call names the same function. */
	assert_int_equal(symbolizer_user_ret(s, pid, addr + 1, &loc, &e), 0);
	assert_int_equal(loc.addr, addr + 1);
	assert_int_equal(loc.nframes, 1);
	assert_string_equal(loc.frames[0].function, func);
}

static void run_cprog(const char *exe_name)
{
	char *exe = at_fmt("%s/%s", dir, exe_name), *lib = at_fmt("%s/libfoo.so", dir);
	char *late = at_fmt("%s/liblate.so", dir), *text, *more, *cmd;
	char *argv[] = {exe, NULL};
	struct symbolizer_stats st;
	struct at_child c = {0};
	struct err e = {0};
	struct symbolizer *s = symbolizer_new(&e);
	struct sym_loc loc;
	uint64_t exe_func, lib_func, late_func;
	void *stackvar = &loc;

	assert_non_null(s);
	assert_int_equal(at_spawn(&c, argv), 0);
	text = at_read_until_ready(&c);
	exe_func = value_of(text, "exe");
	lib_func = value_of(text, "lib");
	expect_named(s, c.pid, exe_func, "exe_func", exe);
	expect_named(s, c.pid, lib_func, "lib_static", lib);

	/* Unnamed but kept: an address of no mapping, and one in a mapping
	 * without symbols (the child's stack is ours' layout, not its). */
	assert_int_equal(symbolizer_user(s, c.pid, 0x10, &loc, &e), 0);
	assert_null(loc.mapping);
	assert_int_equal(loc.nframes, 0);
	assert_int_equal(loc.addr, 0x10);

	/* A library loaded after the first read of the maps: re-read. */
	usleep(250 * 1000);
	cmd = at_fmt("dlopen %s\n", late);
	assert_int_equal(write(c.in, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	more = at_read_until_ready(&c);
	late_func = value_of(more, "late");
	assert_true(late_func != 0);
	expect_named(s, c.pid, late_func, "late_func", late);

	/* The process exits; what was seen stays until forget. */
	at_finish(&c);
	expect_named(s, c.pid, lib_func, "lib_static", lib);
	symbolizer_get_stats(s, &st);
	assert_int_equal(st.procs, 1);
	assert_true(st.binaries >= 3);
	assert_true(st.cache_hits > 0);
	symbolizer_forget(s, c.pid);
	symbolizer_get_stats(s, &st);
	assert_int_equal(st.procs, 0);
	/* Unreferenced binaries go when the cap says so. */
	symbolizer_set_cache_cap(s, 0, 0);
	symbolizer_get_stats(s, &st);
	assert_int_equal(st.binaries, 0);
	assert_int_equal(st.cache_bytes, 0);
	/* Gone and forgotten: -ESRCH. */
	assert_int_equal(symbolizer_user(s, c.pid, exe_func, &loc, &e), -ESRCH);
	(void)stackvar;
	symbolizer_free(s);
	free(text);
	free(more);
	free(cmd);
	free(exe);
	free(lib);
	free(late);
}

static void test_running_pie(void **state)
{
	(void)state;
	run_cprog("exe_pie");
}

static void test_running_nopie(void **state)
{
	(void)state;
	run_cprog("exe_nopie");
}

/* C++ names come back demangled. */
static void test_running_cxx(void **state)
{
	char *exe = at_fmt("%s/cxx", dir), *text;
	char *argv[] = {exe, NULL};
	struct at_child c = {0};
	struct err e = {0};
	struct symbolizer *s = symbolizer_new(&e);

	(void)state;
	assert_int_equal(at_spawn(&c, argv), 0);
	text = at_read_until_ready(&c);
	expect_named(s, c.pid, value_of(text, "method"), "shapes::Klass::method(int)", exe);
	expect_named(s, c.pid, value_of(text, "area"),
		     "shapes::Box<double>::area(double, double) const", exe);
	at_finish(&c);
	symbolizer_free(s);
	free(text);
	free(exe);
}

/* The symbolizer's own process: libc and this test binary, and a live
 * binary stays cached under a zero cap. */
static void test_self(void **state)
{
	struct err e = {0};
	struct symbolizer *s = symbolizer_new(&e);
	struct symbolizer_stats st;
	struct sym_loc loc;
	int i;

	/* libc's own qsort (under ASan, &qsort is the interceptor). */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uint64_t addr;

	(void)state;
	assert_non_null(libc);
	addr = (uint64_t)(uintptr_t)dlsym(libc, "qsort") + 2;
	symbolizer_set_cache_cap(s, 0, 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(symbolizer_user(s, getpid(), addr, &loc, &e), 0);
		assert_int_equal(loc.nframes, 1);
		assert_string_equal(loc.frames[0].function, "qsort");
		assert_non_null(strstr(loc.mapping->path, "libc.so"));
		assert_true(strlen(loc.mapping->build_id) >= 32);
	}
	symbolizer_get_stats(s, &st);
	assert_int_equal(st.binaries, 1);
	assert_int_equal(st.cache_hits, 1);
	symbolizer_free(s);
	dlclose(libc);
}

/* JIT code: anonymous executable memory named by /tmp/perf-PID.map. */
static void test_perf_map(void **state)
{
	char path[128], *text;
	struct err e = {0};
	struct symbolizer *s = symbolizer_new(&e);
	struct sym_loc loc;
	uint8_t *code;
	uint64_t base;

	(void)state;
	code = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(code != MAP_FAILED);
	base = (uint64_t)(uintptr_t)code;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	text = at_fmt("%" PRIx64 " 100 LazyCompile:*hot_loop /app/x.js:10\n"
		      "0x%" PRIx64 " 0x80 Interpreter: with spaces\n",
		      base, base + 0x100);
	assert_int_equal(file_write_atomic(path, text, strlen(text), NULL), 0);
	free(text);
	assert_int_equal(symbolizer_user(s, getpid(), base + 0x10, &loc, &e), 0);
	assert_non_null(loc.mapping);
	assert_string_equal(loc.mapping->path, "");
	assert_int_equal(loc.nframes, 1);
	assert_string_equal(loc.frames[0].function, "LazyCompile:*hot_loop /app/x.js:10");
	assert_int_equal(symbolizer_user(s, getpid(), base + 0x17f, &loc, &e), 0);
	assert_string_equal(loc.frames[0].function, "Interpreter: with spaces");
	/* Not in the map yet: unnamed, but the JIT may add it later. */
	assert_int_equal(symbolizer_user(s, getpid(), base + 0x1000, &loc, &e), 0);
	assert_int_equal(loc.nframes, 0);
	text = at_fmt("%" PRIx64 " 100 LazyCompile:*hot_loop /app/x.js:10\n"
		      "%" PRIx64 " 80 Interpreter: with spaces\n"
		      "%" PRIx64 " 200 Baseline: later_fn\n", base, base + 0x100, base + 0x1000);
	assert_int_equal(file_write_atomic(path, text, strlen(text), NULL), 0);
	free(text);
	assert_int_equal(symbolizer_user(s, getpid(), base + 0x1000, &loc, &e), 0);
	assert_int_equal(loc.nframes, 1);
	assert_string_equal(loc.frames[0].function, "Baseline: later_fn");
	unlink(path);
	munmap(code, 8192);
	symbolizer_free(s);
}

/* The vDSO: no file, read from the process's memory. The oracle is nm on
 * a dump of that memory. */
static void test_vdso(void **state)
{
	struct err e = {0};
	struct symbolizer *s = symbolizer_new(&e);
	char *dump = at_fmt("%s/vdso.so", dir), *text, *save = NULL, *l;
	const struct procmaps_entry *x = NULL;
	const Elf64_Phdr *ph;
	const Elf64_Ehdr *eh;
	struct procmaps m;
	struct sym_loc loc;
	size_t i, checked = 0;
	uint64_t base_vaddr = 0;

	(void)state;
	assert_int_equal(procmaps_read(getpid(), &m, &e), 0);
	for (i = 0; i < m.n; i++)
		if (!strcmp(m.v[i].path, "[vdso]"))
			x = &m.v[i];
	if (!x) {
		procmaps_release(&m);
		symbolizer_free(s);
		free(dump);
		skip();
		return;
	}
	eh = (const Elf64_Ehdr *)(uintptr_t)x->start;
	assert_int_equal(file_write_atomic(dump, eh, x->end - x->start, NULL), 0);
	ph = (const Elf64_Phdr *)(uintptr_t)(x->start + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			base_vaddr = ph[i].p_vaddr - ph[i].p_offset;
			break;
		}
	text = at_capture("nm -D --defined-only %s | awk '$2 ~ /^[TtWw]$/ { print $1, $3 }'", dump);
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		uint64_t v = strtoull(l, NULL, 16), addr = x->start + (v - base_vaddr);
		char *name = strchr(l, ' ') + 1;

		name[strcspn(name, "@")] = '\0';
		assert_int_equal(symbolizer_user(s, getpid(), addr, &loc, &e), 0);
		assert_string_equal(loc.mapping->path, "[vdso]");
		assert_true(strlen(loc.mapping->build_id) >= 32);
		assert_int_equal(loc.nframes, 1);
		/* Aliases (clock_gettime, __vdso_clock_gettime) share addresses. */
		{
			char *again = at_capture("nm -D --defined-only %s | grep -c '^0*%" PRIx64
						 " [TtWw] %s\\(@\\|$\\)'", dump, v,
						 loc.frames[0].function);

			assert_true(atoi(again) >= 1);
			free(again);
		}
		checked++;
	}
	assert_true(checked >= 4);
	fprintf(stderr, "# %zu vDSO symbols match nm on its memory\n", checked);
	free(text);
	free(dump);
	procmaps_release(&m);
	symbolizer_free(s);
}

/* A stripped library (only .dynsym) named in full through its separate
 * debug file, found by build id under the debug directory; without that
 * directory its static function stays unnamed. */
static void test_debug_file(void **state)
{
	char *lib = at_fmt("%s/libdbg.so", dir), *dbgdir = at_fmt("%s/debug", dir);
	char *bid, *nl;
	unsigned long (*lib_addr)(void);
	struct sym_loc loc;
	struct err e = {0};
	uint64_t addr;
	void *h;
	int pass;

	(void)state;
	assert_int_equal(at_sh("gcc -g -O1 -fPIC -shared -Wl,--build-id -o %s " SRC "/lib.c", lib), 0);
	bid = at_capture("readelf -n %s | sed -n 's/.*Build ID: //p'", lib);
	nl = strchr(bid, '\n');
	if (nl)
		*nl = '\0';
	assert_true(strlen(bid) > 8);
	assert_int_equal(at_sh("mkdir -p %s/.build-id/%.2s && objcopy --only-keep-debug %s "
			       "%s/.build-id/%.2s/%s.debug && strip --strip-all %s",
			       dbgdir, bid, lib, dbgdir, bid, bid + 2, lib), 0);
	h = dlopen(lib, RTLD_NOW);
	assert_non_null(h);
	*(void **)&lib_addr = dlsym(h, "lib_addr");
	assert_non_null(lib_addr);
	addr = lib_addr() + 1; /* lib_static, absent from .dynsym */
	for (pass = 0; pass < 2; pass++) {
		struct symbolizer *s = symbolizer_new(&e);

		symbolizer_set_debug_dir(s, pass ? dbgdir : "");
		assert_int_equal(symbolizer_user(s, getpid(), addr, &loc, &e), 0);
		assert_non_null(loc.mapping);
		assert_string_equal(loc.mapping->path, lib);
		assert_string_equal(loc.mapping->build_id, bid);
		if (pass) {
			assert_int_equal(loc.nframes, 1);
			assert_string_equal(loc.frames[0].function, "lib_static");
		} else {
			assert_int_equal(loc.nframes, 0);
		}
		/* Exported functions are named either way. */
		assert_int_equal(symbolizer_user(s, getpid(), (uint64_t)(uintptr_t)lib_addr + 1,
						 &loc, &e), 0);
		assert_int_equal(loc.nframes, 1);
		assert_string_equal(loc.frames[0].function, "lib_addr");
		symbolizer_free(s);
	}
	dlclose(h);
	free(bid);
	free(lib);
	free(dbgdir);
}

/* A binary its process may write (not root's, here nobody's) can be
 * truncated under the symbolizer's mapping of it: the next read of the
 * mapping (lazy symbols, pclntab lookups) used to take SIGBUS, killing the
 * agent. Such a file must be read into memory. Run in a child. */
static void test_truncated_under_us(void **state)
{
	char *copy = at_fmt("%s/victim", dir);
	pid_t child;
	int status = 0;

	(void)state;
	assert_int_equal(at_sh("cp /proc/%d/exe %s && chown 65534:65534 %s", (int)getpid(), copy,
			       copy), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct elfsym elf;
		struct err e = {0};
		int fd = open(copy, O_RDONLY | O_CLOEXEC);

		signal(SIGBUS, SIG_DFL); /* not cmocka's handler: die, the parent sees it */
		if (fd < 0 || elfsym_open_fd(fd, copy, ELFSYM_LAZY, &elf, &e))
			_exit(2);
		close(fd);
		if (truncate(copy, 0))
			_exit(3);
		if (elfsym_load_symbols(&elf, &e) || !elf.nsyms)
			_exit(4);
		fprintf(stderr, "# truncated after open: %zu symbols read\n", elf.nsyms);
		elfsym_release(&elf);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	if (WIFSIGNALED(status))
		fail_msg("killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nm),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_running_pie),
		cmocka_unit_test(test_running_nopie),
		cmocka_unit_test(test_running_cxx),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_perf_map),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_debug_file),
		cmocka_unit_test(test_truncated_under_us),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
