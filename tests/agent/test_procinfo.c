/* procinfo: cgroup lines, container ids, build ids, and a live process.
 *
 * Build ids are checked against readelf -n (binutils) on real binaries:
 * this test binary (linked with a GNU build id by Debian's gcc) and
 * /bin/true. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/agent/procinfo.h"

static void test_cgroup_v2_line_wins(void **state)
{
	static const char text[] =
		"12:cpu,cpuacct:/v1/path\n"
		"0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n";
	char *cg = procinfo_cgroup_parse(text, sizeof(text) - 1);

	(void)state;
	assert_string_equal(cg, "/system.slice/docker-0123456789abcdef0123456789abcdef"
				"0123456789abcdef0123456789abcdef.scope");
	free(cg);
}

static void test_cgroup_v1_only_and_bad(void **state)
{
	static const char v1[] = "4:memory:/kubepods/burstable/podx/abc\n3:cpu:/other";
	static const char bad[] = "no colons here\n:\n1:x\n";
	char *cg = procinfo_cgroup_parse(v1, sizeof(v1) - 1);

	(void)state;
	assert_string_equal(cg, "/kubepods/burstable/podx/abc");
	free(cg);
	assert_null(procinfo_cgroup_parse(bad, sizeof(bad) - 1));
	assert_null(procinfo_cgroup_parse("", 0));
	/* Not NUL-terminated: the parser must stop at len. */
	cg = procinfo_cgroup_parse("0::/a.slice/b", 8);
	assert_string_equal(cg, "/a.sl");
	free(cg);
}

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_container_ids(void **state)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{"/system.slice/docker-" ID ".scope", ID},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1_2.slice/"
		 "cri-containerd-" ID ".scope", ID},
		{"/machine.slice/libpod-" ID ".scope/container", ID},
		{"/docker/" ID, ID},
		{"/kubepods/burstable/pod7f3a/" ID, ID},
		{"/crio-" ID, ID},
		{"/user.slice/user-0.slice/session-3.scope", ""},
		{"/x/" ID "f", ""},                  /* 65 hex digits: not an id */
		{"/x/" ID "/y/abc", ID},             /* the last 64-digit run */
		{"", ""},
	};
	char out[PROCINFO_ID_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		procinfo_container_id(cases[i].path, out);
		assert_string_equal(out, cases[i].want);
	}
}

/* readelf -n FILE's "Build ID: ..." */
static void readelf_build_id(const char *path, char *out, size_t cap)
{
	char cmd[512], line[512];
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	assert_non_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Build ID: ");
		if (p) {
			snprintf(out, cap, "%s", p + 10);
			out[strcspn(out, "\n")] = '\0';
		}
	}
	pclose(f);
}

static void test_build_ids_against_readelf(void **state)
{
	char self[4096], got[2 * PROCINFO_ID_LEN + 1], want[256];
	const char *files[] = {self, "/bin/true"};
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t i;

	(void)state;
	assert_true(n > 0);
	self[n] = '\0';
	for (i = 0; i < 2; i++) {
		readelf_build_id(files[i], want, sizeof(want));
		if (!want[0]) {
			assert_int_equal(procinfo_build_id(files[i], got), -ENOENT);
			continue;
		}
		assert_int_equal(procinfo_build_id(files[i], got), 0);
		assert_string_equal(got, want);
	}
	assert_int_equal(procinfo_build_id("/proc/self/status", got), -ENOEXEC);
	assert_int_equal(procinfo_build_id("/does/not/exist", got), -ENOENT);
}

static void test_read_self_and_gone(void **state)
{
	struct procinfo pi;
	char exe[4096];
	ssize_t n;

	(void)state;
	assert_int_equal(procinfo_read(getpid(), &pi, NULL), 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(pi.exe, exe);
	assert_non_null(pi.cgroup);
	assert_true(pi.build_id[0] != '\0');
	procinfo_release(&pi);
	procinfo_release(&pi);  /* released twice is fine */
	/* Above pid_max (at most 2^22): never a process. */
	assert_int_equal(procinfo_read(1 << 23, &pi, NULL), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_v2_line_wins),
		cmocka_unit_test(test_cgroup_v1_only_and_bad),
		cmocka_unit_test(test_container_ids),
		cmocka_unit_test(test_build_ids_against_readelf),
		cmocka_unit_test(test_read_self_and_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
