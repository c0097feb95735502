/* The text sources of symbols: /proc/PID/maps parsing and address
 * translation, /proc/kallsyms, perf maps, and C++/Rust demangling (names
 * from g++ and rustc objects, c++filt as the oracle). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../../src/agent/demangle.h"
#include "../../src/agent/kallsyms.h"
#include "../../src/agent/perfmap.h"
#include "../../src/agent/procmaps.h"
#include "../../src/agent/symbolize.h"
#include "agenttest.h"

static void test_maps_parse(void **state)
{
	static const char text[] =
		"55d0c3a00000-55d0c3a02000 r--p 00000000 fd:01 1234567                    /usr/bin/my prog\n"
		"55d0c3a02000-55d0c3a07000 r-xp 00002000 fd:01 1234567                    /usr/bin/my prog\n"
		"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
		"7f1000000000-7f1000001000 r-xs 0001f000 103:02 99 /tmp/x.so (deleted)\n"
		"7ffd1c1f0000-7ffd1c211000 rw-p 00000000 00:00 0                          [stack]\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
	struct procmaps m;
	struct err e = {0};
	const struct procmaps_entry *x;

	(void)state;
	assert_int_equal(procmaps_parse(text, strlen(text), &m, &e), 0);
	assert_int_equal(m.n, 6);
	assert_string_equal(m.v[0].path, "/usr/bin/my prog");
	assert_int_equal(m.v[1].perms, PROCMAPS_R | PROCMAPS_X);
	assert_int_equal(m.v[1].offset, 0x2000);
	assert_int_equal(m.v[1].inode, 1234567);
	assert_int_equal(m.v[1].dev_major, 0xfd);
	assert_string_equal(m.v[2].path, "");
	assert_string_equal(m.v[3].path, "/tmp/x.so (deleted)");
	assert_int_equal(m.v[3].dev_major, 0x103);
	assert_int_equal(m.v[5].start, 0xffffffffff600000ull);
	x = procmaps_find(&m, 0x55d0c3a02010);
	assert_ptr_equal(x, &m.v[1]);
	assert_null(procmaps_find(&m, 0x55d0c3a07000));
	assert_ptr_equal(procmaps_find(&m, 0x7ffd1c210fff), &m.v[4]);
	procmaps_release(&m);
	procmaps_release(NULL);

	/* Damaged lines are refused with their number. */
	static const char *const bad[] = {
		"55d0c3a00000-55d0c3a02000 r--p 00000000 fd:01\n",
		"55d0c3a02000-55d0c3a00000 r--p 00000000 fd:01 1 /x\n", /* end < start */
		"55d0c3a00000-55d0c3a02000 rzxp 00000000 fd:01 1 /x\n",
		"155d0c3a00000000-55d0c3a02000 r--p 00000000 fd:01 1 /x\n", /* 17 digits */
		"00400000-00401000 r-xp 00000000 fd:01 1/x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char two[512];

		snprintf(two, sizeof(two), "00400000-00401000 r-xp 00000000 fd:01 1 /ok\n%s", bad[i]);
		assert_int_equal(procmaps_parse(two, strlen(two), &m, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "line 2"));
		assert_null(m.v);
	}
}

/* The translation, on segment layouts seen in real files. */
static void test_to_vaddr(void **state)
{
	/* A typical PIE: the executable segment at file offset 0x1000 and
	 * vaddr 0x1000; a non-page-aligned data segment (offset 0x2db8,
	 * vaddr 0x3db8) as ld writes it. */
	static const struct load_seg pie[] = {
		{.vaddr = 0, .memsz = 0x628, .offset = 0, .filesz = 0x628, .flags = 4},
		{.vaddr = 0x1000, .memsz = 0x1b5, .offset = 0x1000, .filesz = 0x1b5, .flags = 5},
		{.vaddr = 0x3db8, .memsz = 0x260, .offset = 0x2db8, .filesz = 0x258, .flags = 6},
	};
	/* A shared library whose text vaddr differs from its offset (lld). */
	static const struct load_seg lld[] = {
		{.vaddr = 0, .memsz = 0x5000, .offset = 0, .filesz = 0x5000, .flags = 4},
		{.vaddr = 0x6000, .memsz = 0x20000, .offset = 0x5000, .filesz = 0x20000, .flags = 5},
	};
	uint64_t v;

	(void)state;
	/* Mapped at 0x555555554000 (offset 0) and 0x555555555000 (offset
	 * 0x1000): the address of vaddr 0x1139. */
	assert_int_equal(procmaps_to_vaddr(0x555555555139, 0x555555555000, 0x1000, pie, 3, &v), 0);
	assert_int_equal(v, 0x1139);
	assert_int_equal(procmaps_to_vaddr(0x555555557dc0, 0x555555557000, 0x2000, pie, 3, &v), 0);
	assert_int_equal(v, 0x3dc0);
	/* Past the file bytes of every segment. */
	assert_int_equal(procmaps_to_vaddr(0x555555559000, 0x555555557000, 0x2000, pie, 3, &v),
			 -ENOENT);
	/* lld: text at offset 0x5000, vaddr 0x6000, mapped at 0x7f0000005000. */
	assert_int_equal(procmaps_to_vaddr(0x7f0000005123, 0x7f0000005000, 0x5000, lld, 2, &v), 0);
	assert_int_equal(v, 0x6123);
	/* Below the mapping, and a wrap. */
	assert_int_equal(procmaps_to_vaddr(0x10, 0x1000, 0, lld, 2, &v), -ENOENT);
	assert_int_equal(procmaps_to_vaddr(UINT64_MAX, 0, UINT64_MAX, lld, 2, &v), -ENOENT);
}

static void test_kallsyms_parse(void **state)
{
	static const char text[] =
		"ffffffff81000000 T _stext\n"
		"ffffffff81000010 t helper\n"
		"ffffffff81000100 D some_data\n"
		"ffffffff81000200 T do_sys_open\n"
		"ffffffffc0000000 t mod_fn\t[mymod]\n"
		"bad line\n";
	static const char zero[] = "0000000000000000 T _stext\n0000000000000000 t helper\n";
	struct kallsyms k;
	struct err e = {0};
	uint64_t start;

	(void)state;
	assert_int_equal(kallsyms_parse(text, strlen(text), &k, &e), 0);
	assert_int_equal(k.tab.n, 4);
	assert_string_equal(kallsyms_find(&k, 0xffffffff81000005, &start), "_stext");
	assert_int_equal(start, 0xffffffff81000000);
	/* Data symbols are skipped: helper reaches do_sys_open. */
	assert_string_equal(kallsyms_find(&k, 0xffffffff81000150, NULL), "helper");
	assert_string_equal(kallsyms_find(&k, 0xffffffffc0000004, NULL), "mod_fn");
	assert_null(kallsyms_find(&k, 0xfffffffff0000000, NULL));
	assert_null(kallsyms_find(&k, 0x1000, NULL));
	kallsyms_release(&k);
	assert_int_equal(kallsyms_parse(zero, strlen(zero), &k, &e), -EPERM);
	assert_non_null(strstr(e.msg, "CAP_SYSLOG"));
}

/* Real /proc/kallsyms entries through the symbolizer. */
static void test_kernel_real(void **state)
{
	char *text = at_capture("cat /proc/kallsyms");
	struct err e = {0};
	struct symbolizer *s = symbolizer_new(&e);
	char *save = NULL, *l;
	size_t lines = 0, checked = 0;
	struct sym_loc loc;
	int rc;

	(void)state;
	rc = symbolizer_kernel(s, 0xffffffff81000000ull, &loc, &e);
	if (rc == -EPERM) {
		fprintf(stderr, "# kallsyms hidden here (%s)\n", e.msg);
		symbolizer_free(s);
		free(text);
		skip();
		return;
	}
	assert_int_equal(rc, 0);
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		uint64_t addr;
		char type, name[512];

		if (lines++ % 97 || sscanf(l, "%" SCNx64 " %c %511s", &addr, &type, name) != 3 ||
		    !strchr("tTwW", type))
			continue;
		assert_int_equal(symbolizer_kernel(s, addr, &loc, &e), 0);
		assert_string_equal(loc.mapping->path, "[kernel.kallsyms]");
		assert_int_equal(loc.nframes, 1);
		/* Several symbols may share an address; ours must be one of
		 * them, at this address. */
		if (strcmp(loc.frames[0].function, name)) {
			char *grep = at_capture("grep -c '^%016" PRIx64 " [tTwW] %s\\b' /proc/kallsyms",
						addr, loc.frames[0].function);

			if (atoi(grep) < 1)
				fail_msg("%#" PRIx64 ": %s, kallsyms has %s", addr,
					 loc.frames[0].function, name);
			free(grep);
		}
		checked++;
	}
	assert_true(checked > 100);
	fprintf(stderr, "# %zu kernel symbols of %zu kallsyms lines match\n", checked, lines);
	symbolizer_free(s);
	free(text);
}

static void test_perfmap_parse(void **state)
{
	static const char text[] =
		"7f0000001000 40 LazyCompile:~main /app/a.js:1\n"
		"0x7f0000002000 0x100 stub with spaces\r\n"
		"\n"
		"zzzz 10 bad\n"
		"7f0000003000 0 zero sized\n"
		"7f0000004000 10\n"
		"7f0000001000 20 recompiled main\n";
	struct perfmap m;
	struct err e = {0};
	uint64_t start;

	(void)state;
	assert_int_equal(perfmap_parse(text, strlen(text), &m, &e), 0);
	assert_int_equal(m.bad, 3);
	assert_int_equal(m.tab.n, 2);
	/* The later entry at one address wins (a JIT reused it). */
	assert_string_equal(perfmap_find(&m, 0x7f000000101f, &start), "recompiled main");
	assert_null(perfmap_find(&m, 0x7f0000001020, NULL));
	assert_string_equal(perfmap_find(&m, 0x7f00000020ff, NULL), "stub with spaces");
	assert_null(perfmap_find(&m, 0x7f0000002100, NULL));
	perfmap_release(&m);
}

/* The perf map is a file the profiled process writes: it may make it a
 * FIFO (or a symlink to one), whose open() would wait for a writer for
 * ever and stall the agent's symbolizer. It must fail at once instead.
 * Loaded in a child, which the test kills if it is still waiting. */
static void test_perfmap_fifo(void **state)
{
	char path[128];
	pid_t child;
	int status = 0, i;

	(void)state;
	perfmap_path(getpid(), path, sizeof(path));
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct perfmap m;
		struct err e = {0};
		int rc = perfmap_load(getppid(), &m, &e);

		fprintf(stderr, "# FIFO perf map: %d (%s)\n", rc, e.msg);
		_exit(rc < 0 && strstr(e.msg, "not a regular file") ? 0 : 1);
	}
	for (i = 0; i < 50 && waitpid(child, &status, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	if (i == 50) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		unlink(path);
		fail_msg("perfmap_load of a FIFO still waiting after 5 s");
	}
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A mapped file's path is the profiled process's to change: replaced by a
 * FIFO, the symbolizer's open() of it (under /proc/PID/root, or the path
 * itself, when map_files is not allowed: an agent without CAP_SYS_ADMIN)
 * would wait for a writer for ever. The child, as nobody, maps a file,
 * unlinks it, puts a FIFO where maps says it is and symbolizes an address
 * in the mapping. */
static void test_mapped_file_fifo(void **state)
{
	char d[] = "/tmp/test_symtext_fifo.XXXXXX", file[128], old[128];
	pid_t child;
	int status = 0, i, fd;

	(void)state;
	assert_non_null(mkdtemp(d));
	assert_int_equal(chmod(d, 0777), 0);
	snprintf(file, sizeof(file), "%s/lib.so", d);
	snprintf(old, sizeof(old), "%s/lib.so (deleted)", d);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct symbolizer *sym;
		struct sym_loc loc;
		struct err e = {0};
		void *p;

		if (setgid(65534) || setuid(65534) || (fd = open(file, O_RDONLY)) < 0)
			_exit(2);
		p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		/* Unlinked, the mapping reads "PATH (deleted)" in maps: that
		 * name is the process's to create. */
		if (p == MAP_FAILED || unlink(file) || mkfifo(old, 0600) ||
		    !(sym = symbolizer_new(&e)))
			_exit(3);
		symbolizer_user(sym, getpid(), (uint64_t)(uintptr_t)p + 16, &loc, &e);
		symbolizer_free(sym);
		_exit(0);
	}
	for (i = 0; i < 50 && waitpid(child, &status, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	if (i == 50) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	unlink(file);
	unlink(old);
	rmdir(d);
	if (i == 50)
		fail_msg("symbolizing a mapping whose file became a FIFO: still waiting after 5 s");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Every mangled name of a g++ object demangles as c++filt does. */
static void test_demangle_cxx(void **state)
{
	char *d = at_tmpdir(), *names, *want, *save1 = NULL, *save2 = NULL, *a, *b;
	size_t n = 0;

	(void)state;
	/* -O0 keeps the std::string and template instances out of line. */
	assert_int_equal(at_sh("g++ -O0 -c -o %s/cxx.o tests/agent/cprog/cxx.cc", d), 0);
	names = at_capture("nm %s/cxx.o | awk '$NF ~ /^_Z/ { print $NF }'", d);
	want = at_capture("nm %s/cxx.o | awk '$NF ~ /^_Z/ { print $NF }' | c++filt", d);
	for (a = strtok_r(names, "\n", &save1), b = strtok_r(want, "\n", &save2); a && b;
	     a = strtok_r(NULL, "\n", &save1), b = strtok_r(NULL, "\n", &save2)) {
		char *got = demangle(a);

		assert_non_null(got);
		assert_string_equal(got, b);
		free(got);
		n++;
	}
	assert_true(n >= 10);
	fprintf(stderr, "# %zu C++ names demangle as c++filt does\n", n);
	/* Not mangled, or not valid: NULL. */
	assert_null(demangle("main"));
	assert_null(demangle("_Z"));
	assert_null(demangle("_ZN3foo"));
	assert_null(demangle("runtime.main"));
	free(names);
	free(want);
	at_rmdir(d);
}

/* Rust names, legacy and v0 mangling, from rustc. The oracle is c++filt
 * minus what a profile does not want: the legacy "::h<16 hex>" hash and
 * v0's "[<hex>]" crate disambiguators. */
static void test_demangle_rust(void **state)
{
	/* rustc's default is legacy; v0 is a stable flag. */
	static const char *const mangling[] = {"", "-C symbol-mangling-version=v0"};
	char *d;
	size_t i, n = 0;

	(void)state;
	if (!at_have("rustc")) {
		skip();
		return;
	}
	d = at_tmpdir();
	for (i = 0; i < 2; i++) {
		char *names, *want, *save1 = NULL, *save2 = NULL, *a, *b;
		int found_sum = 0, found_bump = 0;

		assert_int_equal(at_sh("rustc --crate-type=lib -O --emit=obj %s -o %s/rd.o "
				       "tests/agent/cprog/rustdemo.rs 2>/dev/null",
				       mangling[i], d), 0);
		names = at_capture("nm %s/rd.o | awk '$NF ~ /^_[ZR]/ { print $NF }'", d);
		want = at_capture("nm %s/rd.o | awk '$NF ~ /^_[ZR]/ { print $NF }' | c++filt | "
				  "sed -E 's/::h[0-9a-f]{16}$//; s/\\[[0-9a-f]+\\]//g'", d);
		for (a = strtok_r(names, "\n", &save1), b = strtok_r(want, "\n", &save2); a && b;
		     a = strtok_r(NULL, "\n", &save1), b = strtok_r(NULL, "\n", &save2)) {
			char *got = demangle(a);

			assert_non_null(got);
			assert_string_equal(got, b);
			found_sum |= !strcmp(got, "rustdemo::compute_sum");
			found_bump |= !strcmp(got, "rustdemo::Counter::bump") ||
				      !strcmp(got, "<rustdemo::Counter>::bump");
			free(got);
			n++;
		}
		assert_true(found_sum);
		assert_true(found_bump);
		free(names);
		free(want);
	}
	fprintf(stderr, "# %zu Rust names (legacy and v0) demangle\n", n);
	at_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_parse),
		cmocka_unit_test(test_to_vaddr),
		cmocka_unit_test(test_kallsyms_parse),
		cmocka_unit_test(test_kernel_real),
		cmocka_unit_test(test_perfmap_parse),
		cmocka_unit_test(test_perfmap_fifo),
		cmocka_unit_test(test_mapped_file_fifo),
		cmocka_unit_test(test_demangle_cxx),
		cmocka_unit_test(test_demangle_rust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
