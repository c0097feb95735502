/* filesd: target files in Prometheus' file_sd format (JSON and YAML), the
 * errors they give with their line, and the watcher: globs, files added,
 * changed and removed, a broken file keeping its last good targets, and
 * relative paths resolved against the configuration's directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/scrape/config.h"
#include "../../src/scrape/filesd.h"

static int parse(const char *text, struct static_config **g, size_t *n, struct err *e)
{
	size_t len = strlen(text);
	char *p = malloc(len ? len : 1);
	int rc;

	assert_non_null(p);
	memcpy(p, text, len);
	rc = scrape_targets_parse(p, len, "t.json", g, n, e);
	free(p);
	return rc;
}

static void test_json_with_tabs_and_escapes(void **state)
{
	/* What json.dump(indent="\t") writes, with \/ and \u escapes. */
	const char *text = "[\n\t{\n\t\t\"targets\": [\"10.0.0.1:6060\", \"api\\/x:1\"],\n"
			   "\t\t\"labels\": {\"env\": \"prod\", \"team\": \"caf\\u00e9\"}\n\t},\n"
			   "\t{\"targets\": [\"10.0.0.2:6060\"]}\n]\n";
	struct static_config *g = NULL;
	struct err e = {0};
	size_t n = 0;

	(void)state;
	/* "api/x:1" is not host:port: the error names line 3. */
	assert_int_equal(parse(text, &g, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "t.json:3:"));
	text = "[\n\t{\n\t\t\"targets\": [\"10.0.0.1:6060\"],\n"
	       "\t\t\"labels\": {\"env\": \"pr\\/od\", \"team\": \"caf\\u00e9\"}\n\t},\n"
	       "\t{\"targets\": [\"10.0.0.2:6060\"]}\n]\n";
	assert_int_equal(parse(text, &g, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].ntargets, 1);
	assert_string_equal(g[0].targets[0], "10.0.0.1:6060");
	assert_int_equal(g[0].nlabels, 2);
	assert_string_equal(g[0].labels[0].name, "env");
	assert_string_equal(g[0].labels[0].value, "pr/od");
	assert_string_equal(g[0].labels[1].value, "caf\xc3\xa9");
	assert_int_equal(g[1].nlabels, 0);
	static_configs_free(g, n);
}

static void test_yaml_and_empty(void **state)
{
	struct static_config *g = NULL;
	struct err e = {0};
	size_t n = 9;

	(void)state;
	assert_int_equal(parse("- targets: [a:1, b:2]\n  labels: {x: y}\n", &g, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].ntargets, 2);
	static_configs_free(g, n);
	assert_int_equal(parse("", &g, &n, &e), 0);
	assert_int_equal(n, 0);
	static_configs_free(g, n);
	assert_int_equal(parse("[]", &g, &n, &e), 0);
	assert_int_equal(n, 0);
	static_configs_free(g, n);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"{\"targets\": [\"a:1\"]}", "t.json:1: target groups: expected a list"},
		{"[{\"targets\": [\"a:1\"], \"labls\": {}}]", "unknown key 'labls'"},
		{"[\n{\"targets\": [\"a\"]}]", "t.json:2: targets: 'a' is not host:port"},
		{"[{\"targets\": [\"a:1\"], \"labels\": {\"bad-name\": \"x\"}}]", "not a valid label name"},
		{"[{\"targets\": [\"a:1\"]}", "invalid YAML"},
	};
	struct static_config *g = NULL;
	struct err e = {0};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].text, &g, &n, &e), -EINVAL);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("%s: got '%s', want '%s'", bad[i].text, e.msg, bad[i].want);
		assert_null(g);
	}
}

/* ---- the watcher, on real files ---- */

static char dir[256];

static void put(const char *name, const char *text)
{
	char path[512], tmp[520];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

/* Targets over all files, as "file:target" lines, for comparison. */
static void dump(const struct filesd *f, char *out, size_t cap)
{
	const struct static_config *g;
	const char *err, *path;
	size_t i, k, t, ng, len = 0;

	out[0] = '\0';
	for (i = 0; i < filesd_nfiles(f); i++) {
		path = strrchr(filesd_file(f, i, &g, &ng, &err), '/') + 1;
		for (k = 0; k < ng; k++)
			for (t = 0; t < g[k].ntargets; t++)
				len += (size_t)snprintf(out + len, cap - len, "%s:%s%s ", path,
							g[k].targets[t], err[0] ? "!" : "");
	}
}

static void count_report(const char *path, const char *error, void *arg)
{
	(void)path;
	(void)error;
	++*(int *)arg;
}

/* A fresh directory (tmpl, into dir) and a watcher of dir/t*.json that
 * refreshes every 5 min; pattern (512 bytes) and files[0] back cfg. */
static struct filesd *watch_dir(const char *tmpl, struct file_sd_config *cfg, char *pattern,
				char **files)
{
	snprintf(dir, sizeof(dir), "%s", tmpl);
	assert_non_null(mkdtemp(dir));
	snprintf(pattern, 512, "%s/t*.json", dir);
	files[0] = pattern;
	cfg->files = files;
	cfg->nfiles = 1;
	cfg->refresh = 300LL * 1000000000;
	return filesd_new(cfg);
}

static void test_watch(void **state)
{
	struct file_sd_config cfg = {0};
	char pattern[512], got[1024], *files[1];
	struct filesd *f, *f2;
	const struct static_config *g;
	const char *err;
	size_t ng;
	int64_t now = 1000;

	(void)state;
	f = watch_dir("/tmp/test_filesd.XXXXXX", &cfg, pattern, files);

	assert_int_equal(filesd_poll(f, now), 0);   /* nothing yet */
	assert_int_equal(filesd_nfiles(f), 0);
	put("t1.json", "[{\"targets\": [\"a:1\", \"b:1\"]}]");
	put("other.json", "[{\"targets\": [\"z:1\"]}]");   /* not matched */
	assert_int_equal(filesd_poll(f, now), 1);
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1 t1.json:b:1 ");
	assert_int_equal(filesd_poll(f, now), 0);   /* unchanged */

	put("t2.json", "[{\"targets\": [\"c:1\"]}]");
	assert_int_equal(filesd_poll(f, now), 1);
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1 t1.json:b:1 t2.json:c:1 ");

	/* Broken: the last good targets stay, with the error. */
	put("t1.json", "[{\"targets\": [\"a:1\", \"b:1\"]");
	assert_int_equal(filesd_poll(f, now), 0);
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1! t1.json:b:1! t2.json:c:1 ");
	filesd_file(f, 0, &g, &ng, &err);
	if (!strstr(err, "t1.json:") || !strstr(err, "invalid YAML"))
		fail_msg("error: %s", err);
	/* Reported once, not at every poll. */
	{
		int n = 0;
		filesd_report(f, count_report, &n);
		filesd_poll(f, now);
		filesd_report(f, count_report, &n);
		assert_int_equal(n, 1);
	}

	/* Fixed, with one target fewer. */
	put("t1.json", "- targets: [a:1]\n");
	assert_int_equal(filesd_poll(f, now), 1);
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1 t2.json:c:1 ");

	/* A reload with the same patterns adopts the files, good and bad. */
	f2 = filesd_new(&cfg);
	filesd_adopt(f2, f);
	assert_int_equal(filesd_nfiles(f), 0);
	dump(f2, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1 t2.json:c:1 ");
	filesd_free(f);

	/* Removed. */
	snprintf(got, sizeof(got), "%s/t2.json", dir);
	assert_int_equal(unlink(got), 0);
	assert_int_equal(filesd_poll(f2, now), 1);
	dump(f2, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1 ");
	filesd_free(f2);

	snprintf(got, sizeof(got), "rm -rf '%s'", dir);
	assert_int_equal(system(got), 0);
}

static void test_relative_paths(void **state)
{
	char d[] = "/tmp/test_filesd_cfg.XXXXXX", path[256], want[256];
	struct scrape_config *c = NULL;
	struct err e = {0};
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(d));
	snprintf(path, sizeof(path), "%s/stackyard.yml", d);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [t/*.json, /abs/x.yml]\n"
	      "    authorization: {credentials_file: token}\n", f);
	fclose(f);
	assert_int_equal(scrape_config_load(path, &c, &e), 0);
	snprintf(want, sizeof(want), "%s/t/*.json", d);
	assert_string_equal(c->jobs[0].file_sd[0].files[0], want);
	assert_string_equal(c->jobs[0].file_sd[0].files[1], "/abs/x.yml");
	snprintf(want, sizeof(want), "%s/token", d);
	assert_string_equal(c->jobs[0].bearer_file, want);
	scrape_config_free(c);
	unlink(path);
	rmdir(d);
}

static void test_patterns(void **state)
{
	static const char *const bad[] = {"a/*/b.json", "a/*x*.json", "a/b.txt"};
	char text[256];
	struct scrape_config *c = NULL;
	struct err e = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n"
			 "      - files: ['%s']\n", bad[i]);
		assert_int_equal(scrape_config_parse(text, strlen(text), "c.yml", &c, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "c.yml:4: files:"));
	}
	snprintf(text, sizeof(text), "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n"
		 "      - files: ['a/b/t_*.yaml', 'x.JSON', 'y?.yml']\n");
	assert_int_equal(scrape_config_parse(text, strlen(text), "c.yml", &c, &e), 0);
	scrape_config_free(c);
}

/* A file that matches but cannot be stat'ed (a dangling symlink, a file
 * removed between the glob and the stat) is reported once, not at every
 * poll: the server polls every few seconds and logs each report. */
static void test_stat_error_reported_once(void **state)
{
	struct file_sd_config cfg = {0};
	char d[] = "/tmp/test_filesd_stat.XXXXXX", pattern[256], link[256], *files[1] = {pattern};
	struct filesd *f;
	int n = 0, i;

	(void)state;
	assert_non_null(mkdtemp(d));
	snprintf(pattern, sizeof(pattern), "%s/*.json", d);
	snprintf(link, sizeof(link), "%s/gone.json", d);
	assert_int_equal(symlink("/nonexistent/target.json", link), 0);
	cfg.files = files;
	cfg.nfiles = 1;
	cfg.refresh = 300LL * 1000000000;
	f = filesd_new(&cfg);
	for (i = 0; i < 5; i++) {
		filesd_poll(f, 1000 + i);
		filesd_report(f, count_report, &n);
	}
	assert_int_equal(filesd_nfiles(f), 1);
	assert_int_equal(n, 1);
	filesd_free(f);
	unlink(link);
	rmdir(d);
}

/* A FIFO that matches the pattern (a tool writing through a pipe, or
 * anyone who can write in the directory) must not block the poll: the
 * discovery thread would never poll or reload again. Polled in a child
 * that is killed if it waits. */
static void test_fifo_does_not_block(void **state)
{
	char d[] = "/tmp/test_filesd_fifo.XXXXXX", pattern[256], fifo[256];
	pid_t child;
	int status = 0, i;

	(void)state;
	assert_non_null(mkdtemp(d));
	snprintf(pattern, sizeof(pattern), "%s/*.json", d);
	snprintf(fifo, sizeof(fifo), "%s/t.json", d);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct file_sd_config cfg = {0};
		char *files[1] = {pattern};
		const struct static_config *g;
		const char *err;
		struct filesd *f;
		size_t ng;

		cfg.files = files;
		cfg.nfiles = 1;
		cfg.refresh = 300LL * 1000000000;
		f = filesd_new(&cfg);
		filesd_poll(f, 1000);
		filesd_file(f, 0, &g, &ng, &err);
		fprintf(stderr, "# FIFO target file: %s\n", err);
		_exit(filesd_nfiles(f) == 1 && strstr(err, "not a regular file") ? 0 : 1);
	}
	for (i = 0; i < 50 && waitpid(child, &status, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	if (i == 50) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	unlink(fifo);
	rmdir(d);
	if (i == 50)
		fail_msg("filesd_poll over a FIFO: still waiting after 5 s");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A scan reads with the watcher untouched (the discovery thread scans
 * while the status pages read it): only filesd_apply() changes what it
 * shows, and a scan freed unapplied changes nothing. */
static void test_scan_then_apply(void **state)
{
	struct file_sd_config cfg = {0};
	char pattern[512], got[1024], cmd[300], *files[1];
	struct filesd_scan *sc;
	struct filesd *f;
	const struct static_config *g;
	const char *err;
	size_t ng;

	(void)state;
	f = watch_dir("/tmp/test_filesd_scan.XXXXXX", &cfg, pattern, files);
	put("t1.json", "[{\"targets\": [\"a:1\"]}]");
	assert_int_equal(filesd_poll(f, 1000), 1);

	put("t1.json", "[{\"targets\": [\"a:1\"");   /* broken */
	put("t2.json", "[{\"targets\": [\"c:1\"]}]");
	sc = filesd_scan(f, 2000);
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1 ");
	filesd_file(f, 0, &g, &ng, &err);
	assert_string_equal(err, "");
	filesd_scan_free(sc);
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1 ");

	sc = filesd_scan(f, 3000);
	assert_int_equal(filesd_apply(f, sc), 1);
	filesd_scan_free(sc);   /* the list it replaced */
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1! t2.json:c:1 ");

	/* Nothing changed: nothing to apply, and the kept groups move. */
	sc = filesd_scan(f, 4000);
	assert_int_equal(filesd_apply(f, sc), 0);
	filesd_scan_free(sc);
	dump(f, got, sizeof(got));
	assert_string_equal(got, "t1.json:a:1! t2.json:c:1 ");
	filesd_free(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void count_limit(const char *path, const char *error, void *arg)
{
	(void)error;
	if (!path)
		++*(int *)arg;
}

/* More than FILESD_MAX_FILES files: the first by path are read, the others
 * ignored, and that is an error, reported once, that says so; overlapping
 * patterns count a file once. */
static void test_file_limit(void **state)
{
	struct file_sd_config cfg = {0};
	char p1[512], p2[512], name[64], cmd[300], *files[2] = {p1, p2};
	const struct static_config *g;
	const char *err, *first;
	struct filesd *f;
	size_t i, ng, targets = 0;
	int n = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_filesd_limit.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/t*.json", dir);
	snprintf(p2, sizeof(p2), "%s/t0*.json", dir);
	cfg.files = files;
	cfg.nfiles = 2;
	cfg.refresh = 300LL * 1000000000;
	for (i = 0; i < FILESD_MAX_FILES + 2; i++) {
		char text[64];
		snprintf(name, sizeof(name), "t%05zu.json", i);
		snprintf(text, sizeof(text), "[{\"targets\": [\"h%zu:1\"]}]", i);
		put(name, text);
	}
	f = filesd_new(&cfg);
	assert_int_equal(filesd_poll(f, 1000), 1);
	assert_int_equal(filesd_nfiles(f), FILESD_MAX_FILES);
	for (i = 0; i < filesd_nfiles(f); i++) {
		filesd_file(f, i, &g, &ng, &err);
		targets += ng ? g[0].ntargets : 0;
	}
	assert_int_equal(targets, FILESD_MAX_FILES);
	first = filesd_limit(f, &err);
	assert_non_null(first);
	assert_non_null(strstr(first, "/t10000.json"));
	if (!strstr(err, "10002 files match, more than the limit of 10000") ||
	    !strstr(err, "the other 2 ignored") || !strstr(err, "t10000.json"))
		fail_msg("limit error: %s", err);
	filesd_report(f, count_limit, &n);
	filesd_poll(f, 2000);
	filesd_report(f, count_limit, &n);
	assert_int_equal(n, 1);

	/* Back under the limit: the error goes. */
	for (i = FILESD_MAX_FILES; i < FILESD_MAX_FILES + 2; i++) {
		snprintf(cmd, sizeof(cmd), "%s/t%05zu.json", dir, i);
		assert_int_equal(unlink(cmd), 0);
	}
	assert_int_equal(filesd_poll(f, 3000), 0);
	assert_null(filesd_limit(f, &err));
	assert_string_equal(err, "");
	filesd_free(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_with_tabs_and_escapes),
		cmocka_unit_test(test_yaml_and_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_stat_error_reported_once),
		cmocka_unit_test(test_fifo_does_not_block),
		cmocka_unit_test(test_scan_then_apply),
		cmocka_unit_test(test_file_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
