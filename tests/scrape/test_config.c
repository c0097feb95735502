/* config: the YAML configuration, field by field, the defaults, the
 * pprof_config merge, and a table of bad configs with the line and message
 * each must give. Inputs are copied to a heap buffer of exactly their
 * length, so a read past len shows up under ASan. */
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

#include "../../src/scrape/config.h"

#define NS 1000000000LL

static int parse(const char *text, struct scrape_config **out, struct err *e)
{
	size_t n = strlen(text);
	char *p = malloc(n ? n : 1);
	int rc;

	assert_non_null(p);
	memcpy(p, text, n);
	rc = scrape_config_parse(p, n, "config.yml", out, e);
	free(p);
	return rc;
}

static struct scrape_config *parse_ok(const char *text)
{
	struct scrape_config *c = NULL;
	struct err e = {0};

	if (parse(text, &c, &e) < 0)
		fail_msg("parse failed: %s", e.msg);
	assert_non_null(c);
	return c;
}

static const struct pprof_target_cfg *profile(const struct scrape_job *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->nprofiles; i++)
		if (!strcmp(j->profiles[i].name, name))
			return &j->profiles[i];
	return NULL;
}

static void assert_profile(const struct scrape_job *j, size_t i, const char *name,
			   const char *path, int enabled, int delta, int64_t seconds)
{
	assert_true(i < j->nprofiles);
	assert_string_equal(j->profiles[i].name, name);
	assert_string_equal(j->profiles[i].path, path);
	assert_int_equal(j->profiles[i].enabled, enabled);
	assert_int_equal(j->profiles[i].delta, delta);
	assert_int_equal(j->profiles[i].seconds, seconds);
}

static const char full_yaml[] =
	"object_storage:\n"                                          /* 1 */
	"  bucket: {type: FILESYSTEM, config: {directory: ./data}}\n"
	"scrape_configs:\n"
	"  - job_name: api\n"                                        /* 4 */
	"    scrape_interval: 15s\n"
	"    scrape_timeout: 20s\n"
	"    scheme: https\n"
	"    params:\n"
	"      debug: [\"0\"]\n"
	"      gc: [\"1\", \"2\"]\n"                                  /* 10 */
	"    static_configs:\n"
	"      - targets: [\"10.0.0.1:6060\", \"api-1:6060\"]\n"
	"        labels: {zone: a, env: prod}\n"
	"      - targets: [\"[::1]:6060\"]\n"
	"    file_sd_configs:\n"                                     /* 15 */
	"      - files: [\"/etc/stackyard/targets/*.json\"]\n"
	"        refresh_interval: 1m\n"
	"      - files: [a.yml, b.yaml]\n"
	"    relabel_configs:\n"
	"      - source_labels: [__address__, env]\n"                /* 20 */
	"        separator: \"/\"\n"
	"        regex: \"(.*):6060\"\n"
	"        target_label: instance\n"
	"        replacement: \"${1}\"\n"
	"        action: replace\n"                                  /* 25 */
	"      - source_labels: [__address__]\n"
	"        modulus: 2\n"
	"        target_label: __tmp_hash\n"
	"        action: HashMod\n"
	"      - action: labeldrop\n"                                /* 30 */
	"        regex: \"__meta_.*\"\n"
	"      - {action: keep, source_labels: [__tmp_hash], regex: \"0\"}\n"
	"    authorization:\n"
	"      type: Bearer\n"
	"      credentials_file: /var/run/secrets/token\n"           /* 35 */
	"    tls_config:\n"
	"      ca_file: ca.pem\n"
	"      cert_file: c.pem\n"
	"      key_file: k.pem\n"
	"      server_name: api.local\n"                             /* 40 */
	"      insecure_skip_verify: true\n"
	"    profiling_config:\n"
	"      path_prefix: /app/\n"
	"      pprof_config:\n"
	"        memory: {enabled: false}\n"                         /* 45 */
	"        fgprof: {enabled: true, path: /debug/fgprof, delta: true, seconds: 5}\n"
	"  - job_name: web\n"                                        /* 47 */
	"    basic_auth: {username: u, password: p}\n"
	"    static_configs: [{targets: ['web:80']}]\n"
	"  - job_name: k8s\n"                                        /* 50 */
	"    basic_auth:\n"
	"      username: admin\n"
	"      password_file: /etc/pw\n"
	"  - job_name: legacy\n"
	"    bearer_token: secret\n";                                /* 55 */

static void check_api_targets(const struct scrape_job *j)
{
	assert_int_equal(j->nstatics, 2);
	assert_int_equal(j->statics[0].ntargets, 2);
	assert_string_equal(j->statics[0].targets[0], "10.0.0.1:6060");
	assert_string_equal(j->statics[0].targets[1], "api-1:6060");
	assert_int_equal(j->statics[0].nlabels, 2);   /* sorted by name */
	assert_string_equal(j->statics[0].labels[0].name, "env");
	assert_string_equal(j->statics[0].labels[0].value, "prod");
	assert_string_equal(j->statics[0].labels[1].name, "zone");
	assert_string_equal(j->statics[0].labels[1].value, "a");
	assert_int_equal(j->statics[1].ntargets, 1);
	assert_string_equal(j->statics[1].targets[0], "[::1]:6060");
	assert_int_equal(j->statics[1].nlabels, 0);
	assert_int_equal(j->nfile_sd, 2);
	assert_int_equal(j->file_sd[0].nfiles, 1);
	assert_string_equal(j->file_sd[0].files[0], "/etc/stackyard/targets/*.json");
	assert_int_equal(j->file_sd[0].refresh, 60 * NS);
	assert_int_equal(j->file_sd[1].nfiles, 2);
	assert_string_equal(j->file_sd[1].files[0], "a.yml");
	assert_string_equal(j->file_sd[1].files[1], "b.yaml");
	assert_int_equal(j->file_sd[1].refresh, 300 * NS);
}

static void check_api_relabel(const struct scrape_job *j)
{
	const struct relabel_rule *r = j->relabel;

	assert_int_equal(j->nrelabel, 4);
	assert_int_equal(r[0].nsource, 2);
	assert_string_equal(r[0].source_labels[0], "__address__");
	assert_string_equal(r[0].source_labels[1], "env");
	assert_string_equal(r[0].separator, "/");
	assert_string_equal(r[0].regex, "(.*):6060");
	assert_string_equal(r[0].target_label, "instance");
	assert_string_equal(r[0].replacement, "${1}");
	assert_int_equal(r[0].action, RELABEL_REPLACE);
	assert_int_equal(r[0].line, 20);
	assert_int_equal(r[1].action, RELABEL_HASHMOD);
	assert_int_equal(r[1].modulus, 2);
	assert_string_equal(r[1].target_label, "__tmp_hash");
	assert_string_equal(r[1].separator, ";");
	assert_string_equal(r[1].regex, "(.*)");
	assert_string_equal(r[1].replacement, "$1");
	assert_int_equal(r[1].line, 26);
	assert_int_equal(r[2].action, RELABEL_LABELDROP);
	assert_int_equal(r[2].nsource, 0);
	assert_null(r[2].target_label);
	assert_string_equal(r[2].regex, "__meta_.*");
	assert_int_equal(r[3].action, RELABEL_KEEP);
	assert_string_equal(r[3].regex, "0");
	assert_int_equal(r[3].line, 32);
}

static void check_api_rest(const struct scrape_job *j)
{
	assert_null(j->bearer);
	assert_string_equal(j->bearer_file, "/var/run/secrets/token");
	assert_null(j->basic_user);
	assert_null(j->basic_pass);
	assert_null(j->basic_pass_file);
	assert_string_equal(j->ca_file, "ca.pem");
	assert_string_equal(j->cert_file, "c.pem");
	assert_string_equal(j->key_file, "k.pem");
	assert_string_equal(j->server_name, "api.local");
	assert_int_equal(j->insecure_skip_verify, 1);
	assert_string_equal(j->path_prefix, "/app");
	assert_int_equal(j->nprofiles, 6);
	assert_profile(j, 0, "process_cpu", "/debug/pprof/profile", 1, 1, 0);
	assert_profile(j, 1, "memory", "/debug/pprof/allocs", 0, 0, 0);
	assert_profile(j, 2, "block", "/debug/pprof/block", 1, 0, 0);
	assert_profile(j, 3, "mutex", "/debug/pprof/mutex", 1, 0, 0);
	assert_profile(j, 4, "goroutine", "/debug/pprof/goroutine", 1, 0, 0);
	assert_profile(j, 5, "fgprof", "/debug/fgprof", 1, 1, 5 * NS);
}

static void test_full(void **state)
{
	struct scrape_config *c = parse_ok(full_yaml);
	const struct scrape_job *j = &c->jobs[0];

	(void)state;
	assert_int_equal(c->njobs, 4);
	assert_string_equal(j->job_name, "api");
	assert_int_equal(j->line, 4);
	assert_int_equal(j->interval, 15 * NS);
	assert_int_equal(j->timeout, 20 * NS);
	assert_string_equal(j->scheme, "https");
	assert_int_equal(j->nparams, 3);
	assert_string_equal(j->params[0].name, "debug");
	assert_string_equal(j->params[0].value, "0");
	assert_string_equal(j->params[1].name, "gc");
	assert_string_equal(j->params[1].value, "1");
	assert_string_equal(j->params[2].name, "gc");
	assert_string_equal(j->params[2].value, "2");
	check_api_targets(j);
	check_api_relabel(j);
	check_api_rest(j);

	j = &c->jobs[1];
	assert_string_equal(j->job_name, "web");
	assert_int_equal(j->line, 47);
	assert_string_equal(j->basic_user, "u");
	assert_string_equal(j->basic_pass, "p");
	assert_null(j->basic_pass_file);
	assert_null(j->bearer);
	assert_string_equal(j->statics[0].targets[0], "web:80");
	j = &c->jobs[2];
	assert_string_equal(j->basic_user, "admin");
	assert_null(j->basic_pass);
	assert_string_equal(j->basic_pass_file, "/etc/pw");
	assert_int_equal(j->nstatics, 0);
	j = &c->jobs[3];
	assert_string_equal(j->bearer, "secret");
	assert_null(j->bearer_file);
	scrape_config_free(c);
}

static void test_defaults(void **state)
{
	struct scrape_config *c =
		parse_ok("scrape_configs: [{job_name: a, static_configs: [{targets: ['h:1']}]}]");
	const struct scrape_job *j = &c->jobs[0];

	(void)state;
	assert_int_equal(c->njobs, 1);
	assert_int_equal(c->max_targets, SCRAPE_DEFAULT_MAX_TARGETS);
	assert_string_equal(j->job_name, "a");
	assert_int_equal(j->line, 1);
	assert_int_equal(j->interval, 10 * NS);
	assert_int_equal(j->timeout, 13 * NS);
	assert_string_equal(j->scheme, "http");
	assert_int_equal(j->nparams, 0);
	assert_int_equal(j->nstatics, 1);
	assert_int_equal(j->statics[0].ntargets, 1);
	assert_string_equal(j->statics[0].targets[0], "h:1");
	assert_int_equal(j->nfile_sd, 0);
	assert_int_equal(j->nrelabel, 0);
	assert_null(j->bearer);
	assert_null(j->bearer_file);
	assert_null(j->basic_user);
	assert_null(j->ca_file);
	assert_null(j->server_name);
	assert_int_equal(j->insecure_skip_verify, 0);
	assert_null(j->path_prefix);
	assert_int_equal(j->nprofiles, 5);
	assert_profile(j, 0, "process_cpu", "/debug/pprof/profile", 1, 1, 0);
	assert_profile(j, 1, "memory", "/debug/pprof/allocs", 1, 0, 0);
	assert_profile(j, 2, "block", "/debug/pprof/block", 1, 0, 0);
	assert_profile(j, 3, "mutex", "/debug/pprof/mutex", 1, 0, 0);
	assert_profile(j, 4, "goroutine", "/debug/pprof/goroutine", 1, 0, 0);
	scrape_config_free(c);
}

static void test_timeout_follows_interval(void **state)
{
	struct scrape_config *c = parse_ok("scrape_configs:\n- job_name: a\n  scrape_interval: 1m\n");

	(void)state;
	assert_int_equal(c->jobs[0].interval, 60 * NS);
	assert_int_equal(c->jobs[0].timeout, 63 * NS);
	scrape_config_free(c);
}

static void test_pprof_merge(void **state)
{
	struct scrape_config *c = parse_ok(
		"scrape_configs:\n"
		"- job_name: a\n"
		"  profiling_config:\n"
		"    pprof_config:\n"
		"      memory: {enabled: false}\n"
		"      fgprof: {path: /debug/fgprof, delta: true}\n"
		"      process_cpu: {path: /cpu, seconds: 30}\n"
		"      goroutine:\n");
	const struct scrape_job *j = &c->jobs[0];

	(void)state;
	assert_int_equal(j->nprofiles, 6);
	assert_profile(j, 0, "process_cpu", "/cpu", 1, 1, 30 * NS);
	assert_profile(j, 1, "memory", "/debug/pprof/allocs", 0, 0, 0);
	assert_profile(j, 2, "block", "/debug/pprof/block", 1, 0, 0);
	assert_profile(j, 4, "goroutine", "/debug/pprof/goroutine", 1, 0, 0);
	assert_profile(j, 5, "fgprof", "/debug/fgprof", 1, 1, 0);
	assert_null(profile(j, "nope"));
	assert_null(j->path_prefix);
	scrape_config_free(c);
}

/* The prefix is kept apart from the paths (the scraper joins them), with
 * its trailing slashes trimmed so the join has exactly one. */
static void test_path_prefix(void **state)
{
	static const struct {
		const char *yaml_prefix, *want;
	} cases[] = {
		{"/debug", "/debug"}, {"/debug/", "/debug"}, {"/a/b//", "/a/b"},
		{"\"\"", NULL}, {"/", NULL},
	};
	struct scrape_config *c;
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "scrape_configs:\n- job_name: a\n  "
			 "profiling_config: {path_prefix: %s}\n", cases[i].yaml_prefix);
		c = parse_ok(text);
		if (cases[i].want)
			assert_string_equal(c->jobs[0].path_prefix, cases[i].want);
		else
			assert_null(c->jobs[0].path_prefix);
		assert_string_equal(c->jobs[0].profiles[0].path, "/debug/pprof/profile");
		scrape_config_free(c);
	}
}

static void test_empty_and_null(void **state)
{
	static const char *const texts[] = {
		"", "# nothing\n", "~\n", "scrape_configs:\n", "scrape_configs: []\n",
		"---\nscrape_configs: ~\n...\n",
	};
	struct scrape_config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		c = parse_ok(texts[i]);
		assert_int_equal(c->njobs, 0);
		scrape_config_free(c);
	}
	scrape_config_free(NULL);
}

static void test_anchors(void **state)
{
	struct scrape_config *c = parse_ok(
		"scrape_configs:\n"
		"- job_name: a\n"
		"  static_configs: &s [{targets: ['h:1', 'h:2'], labels: {x: y}}]\n"
		"- job_name: b\n"
		"  static_configs: *s\n");

	(void)state;
	assert_int_equal(c->njobs, 2);
	assert_string_equal(c->jobs[1].statics[0].targets[1], "h:2");
	assert_string_equal(c->jobs[1].statics[0].labels[0].value, "y");
	assert_ptr_not_equal(c->jobs[0].statics[0].targets[0], c->jobs[1].statics[0].targets[0]);
	scrape_config_free(c);
}

/* Aliases multiply: one label map of 1000 entries used by 2000 static
 * configs is 2 million labels from 20 KB of text. The walk counts every
 * node it visits and stops. */
static void test_alias_bomb(void **state)
{
	struct scrape_config *c = NULL;
	struct err e = {0};
	size_t n = 0, cap = 64 * 1024;
	char *text = malloc(cap);
	int i;

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text, cap, "scrape_configs:\n- job_name: a\n  static_configs:\n"
			      "  - &s {targets: [], labels: {");
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, cap - n, "%sa%d: x", i ? ", " : "", i);
	n += (size_t)snprintf(text + n, cap - n, "}}\n");
	for (i = 0; i < 2000; i++)
		n += (size_t)snprintf(text + n, cap - n, "  - *s\n");
	assert_int_equal(parse(text, &c, &e), -EINVAL);
	assert_null(c);
	assert_non_null(strstr(e.msg, "more than 1000000 YAML nodes"));
	free(text);
}

/* One 100 KB target used 100 times: 10 MB of strings from 100 KB. */
static void test_string_bomb(void **state)
{
	struct scrape_config *c = NULL;
	struct err e = {0};
	size_t n = 0, cap = 256 * 1024;
	char *text = malloc(cap);
	int i;

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text, cap, "scrape_configs:\n- job_name: a\n  static_configs:\n"
			      "  - targets: [&t ");
	memset(text + n, 'h', 100000);
	n += 100000;
	n += (size_t)snprintf(text + n, cap - n, ":1");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, cap - n, ", *t");
	snprintf(text + n, cap - n, "]\n");
	assert_int_equal(parse(text, &c, &e), -EINVAL);
	assert_null(c);
	assert_non_null(strstr(e.msg, "config.yml:4: more than 8 MiB of strings"));
	free(text);
}

static void test_limits(void **state)
{
	struct scrape_config *c = NULL;
	struct err e = {0};
	char *text;
	size_t n = 0, cap = 2u << 20;
	int i;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	n += (size_t)snprintf(text, cap, "scrape_configs:\n");
	for (i = 0; i < 1001; i++)
		n += (size_t)snprintf(text + n, cap - n, "- job_name: j%d\n", i);
	assert_int_equal(parse(text, &c, &e), -EINVAL);
	assert_string_equal(e.msg, "config.yml:2: scrape_configs: 1001 entries, at most 1000");

	n = (size_t)snprintf(text, cap, "scrape_configs:\n- job_name: a\n  static_configs:\n"
			     "  - targets: [h:1]\n  - targets: [h:1");
	for (i = 0; i < 99999; i++)   /* 1 + 100000 in all */
		n += (size_t)snprintf(text + n, cap - n, ",h:1");
	snprintf(text + n, cap - n, "]\n");
	assert_int_equal(parse(text, &c, &e), -EINVAL);
	assert_string_equal(e.msg, "config.yml:5: targets: more than 100000 static targets "
			    "in the configuration");

	n = (size_t)snprintf(text, cap, "scrape_configs:\n- job_name: a\n  relabel_configs:\n");
	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(text + n, cap - n, "  - {action: keep}\n");
	assert_int_equal(parse(text, &c, &e), -EINVAL);
	assert_string_equal(e.msg, "config.yml:4: relabel_configs: 65 entries, at most 64");

	memset(text, ' ', cap);
	assert_int_equal(scrape_config_parse(text, (1u << 20) + 1, "big.yml", &c, &e), -EFBIG);
	assert_non_null(strstr(e.msg, "big.yml: "));
	assert_null(c);
	free(text);
}

static void test_load(void **state)
{
	char path[] = "/tmp/stackyard-config-XXXXXX";
	static const char text[] = "scrape_configs:\n- job_name: a\n  scheme: ftp\n";
	struct scrape_config *c = NULL;
	struct err e = {0};
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(scrape_config_load(path, &c, &e), -EINVAL);
	assert_null(c);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, ":3: scheme: 'ftp' is not http or https"));
	unlink(path);
	assert_true(scrape_config_load(path, &c, &e) < 0);
	assert_null(c);
	assert_non_null(strstr(e.msg, path));
}

static void test_example(void **state)
{
	struct scrape_config *c = NULL;
	struct err e = {0};
	const struct scrape_job *j;

	(void)state;
	if (scrape_config_load("examples/stackyard.yml", &c, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c->njobs, 1);
	j = &c->jobs[0];
	assert_string_equal(j->job_name, "stackyard");
	assert_string_equal(j->statics[0].targets[0], "127.0.0.1:7117");
	assert_int_equal(j->nprofiles, 5);
	assert_int_equal(j->interval, 10 * NS);
	scrape_config_free(c);
}

/* The commented-out kube-apiserver job of the example parses too. */
static void test_example_commented_job(void **state)
{
	struct scrape_config *c = NULL;
	struct err e = {0};
	FILE *f = fopen("examples/stackyard.yml", "r");
	char line[512], *text = calloc(1, 1 << 16), *p;
	size_t n = 0;
	int in = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(text);
	n += (size_t)sprintf(text, "scrape_configs:\n");
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "# - job_name: kube-apiserver"))
			in = 1;
		if (in && (p = strstr(line, "# ")))
			n += (size_t)sprintf(text + n, "%.*s%s", (int)(p - line), line, p + 2);
	}
	fclose(f);
	assert_true(in);
	if (parse(text, &c, &e) < 0)
		fail_msg("%s\n%s", e.msg, text);
	assert_string_equal(c->jobs[0].job_name, "kube-apiserver");
	assert_string_equal(c->jobs[0].scheme, "https");
	assert_non_null(c->jobs[0].bearer_file);
	assert_non_null(c->jobs[0].ca_file);
	assert_int_equal(c->jobs[0].nrelabel, 1);
	scrape_config_free(c);
	free(text);
}

struct bad {
	const char *text;
	int line;
	const char *msg;   /* a substring of the message after "config.yml:<line>: " */
};

static const struct bad bad_configs[] = {
	{"scrape_configs:\n- job_name: a\n  scrape_intervall: 10s\n", 3,
	 "unknown key 'scrape_intervall' in scrape_configs entry"},
	{"scrape_config: []\n", 1, "unknown key 'scrape_config'"},
	{"scrape_configs:\n- job_name: a\n  scrape_interval: 10x\n", 3,
	 "scrape_interval: '10x' is not a duration"},
	{"scrape_configs:\n- job_name: a\n  scrape_timeout: 0s\n", 3,
	 "scrape_timeout: must be greater than 0"},
	{"scrape_configs:\n- job_name: a\n  scheme: ftp\n", 3, "scheme: 'ftp' is not http or https"},
	{"scrape_configs: {job_name: a}\n", 1, "scrape_configs: expected a list, got a mapping"},
	{"scrape_configs:\n- job_name: a\n  static_configs: {targets: []}\n", 3,
	 "static_configs: expected a list, got a mapping"},
	{"scrape_configs:\n- job_name: [a]\n", 2, "job_name: expected a string, got a list"},
	{"scrape_configs:\n- scrape_interval: 1s\n", 2, "job_name is required"},
	{"scrape_configs:\n- job_name: a\n- job_name: b\n- job_name: a\n", 4,
	 "job_name: 'a' is already used on line 2"},
	{"scrape_configs:\n- job_name: a\n  static_configs:\n  - targets: [h]\n", 4,
	 "targets: 'h' is not host:port"},
	{"scrape_configs:\n- job_name: a\n  static_configs:\n  - targets: ['h:1', 'http://h:1']\n",
	 4, "targets: 'http://h:1' is not host:port"},
	{"scrape_configs:\n- job_name: a\n  static_configs:\n  - targets: ['h:1']\n"
	 "    labels: {1x: y}\n", 5, "labels: '1x' is not a valid label name"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - action: explode\n", 4,
	 "action: 'explode' is not one of replace"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - action: hashmod\n"
	 "    target_label: x\n", 4, "action hashmod needs a modulus"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - action: hashmod\n"
	 "    modulus: 3\n", 4, "action hashmod needs target_label"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - source_labels: [a]\n", 4,
	 "action replace needs target_label"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - target_label: x\n"
	 "    regex: '(a'\n", 5, "regex: '(a' is not a valid regular expression"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - target_label: x\n"
	 "    regex: 'a)|(b'\n", 5, "unmatched ')'"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - action: labeldrop\n"
	 "    source_labels: [a]\n", 4, "action labeldrop takes only regex"},
	{"scrape_configs:\n- job_name: a\n  relabel_configs:\n  - source_labels: [a-b]\n"
	 "    target_label: x\n", 4, "source_labels: 'a-b' is not a valid label name"},
	{"scrape_configs:\n- job_name: a\n  authorization:\n    type: Basic\n"
	 "    credentials: x\n", 4, "authorization: type 'Basic' is not supported"},
	{"scrape_configs:\n- job_name: a\n  authorization:\n    credentials: x\n"
	 "    credentials_file: f\n", 4,
	 "credentials and credentials_file are mutually exclusive"},
	{"scrape_configs:\n- job_name: a\n  authorization: {type: Bearer}\n", 3,
	 "credentials or credentials_file is required"},
	{"scrape_configs:\n- job_name: a\n  basic_auth:\n    username: u\n    password: p\n"
	 "    password_file: f\n", 4, "password and password_file are mutually exclusive"},
	{"scrape_configs:\n- job_name: a\n  authorization: {credentials: x}\n"
	 "  basic_auth: {username: u}\n", 4, "basic_auth and authorization are mutually exclusive"},
	{"scrape_configs:\n- job_name: a\n  bearer_token: x\n  authorization: {credentials: x}\n",
	 4, "authorization and bearer_token/bearer_token_file are mutually exclusive"},
	{"scrape_configs:\n- job_name: a\n  tls_config: {cert_file: c.pem}\n", 3,
	 "tls_config: cert_file and key_file go together"},
	{"scrape_configs:\n- job_name: a\n  tls_config: {insecure_skip_verify: maybe}\n", 3,
	 "insecure_skip_verify: 'maybe' is not true or false"},
	{"scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
	 "      fgprof: {delta: true}\n", 5, "pprof_config: 'fgprof' needs a path"},
	{"scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
	 "      memory: {path: debug/x}\n", 5, "path: 'debug/x' must start with '/'"},
	{"scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
	 "      memory: {keep_sample_type: []}\n", 5, "unknown key 'keep_sample_type'"},
	{"scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
	 "      process_cpu: {seconds: -1}\n", 5, "seconds: '-1' is not a number of seconds"},
	{"scrape_configs:\n- job_name: a\n  file_sd_configs:\n  - files: [x.txt]\n", 4,
	 "files: 'x.txt' must end in .json, .yml or .yaml"},
	{"scrape_configs:\n- job_name: a\n  file_sd_configs:\n  - refresh_interval: 1m\n", 4,
	 "file_sd_configs: files is required"},
	{"scrape_configs:\n- job_name: a\n  job_name: b\n", 3,
	 "scrape_configs entry: 'job_name' given twice"},
	{"scrape_configs:\n- job_name: a\n  static_configs:\n  - targets: ['h:1']\n"
	 "    labels: {x: a, x: b}\n", 5, "labels: 'x' given twice"},
	{"scrape_configs:\n- job_name: a\n  params: {debug: '1'}\n", 3,
	 "debug: expected a list, got a scalar"},
	{"scrape_configs:\n- job_name: a\n   scheme: http\n", 3, "invalid YAML"},
	{"scrape_configs:\n- job_name: *nope\n", 2, "invalid YAML"},
	{"scrape_configs: []\n---\nscrape_configs: []\n", 3, "more than one YAML document"},
	{"- a\n", 1, "the configuration: expected a mapping, got a list"},
	{"scrape_configs:\n- job_name: \"a\\0b\"\n", 2, "job_name: NUL byte in a string"},
	{"global:\n  max_targets: 0\n", 2, "max_targets: must be from 1 to 1000000"},
	{"global:\n  max_targets: 1000001\n", 2, "max_targets: must be from 1 to 1000000"},
	{"global:\n  max_targets: -5\n", 2, "max_targets: '-5' is not a non-negative integer"},
	{"global:\n  max_targets: [1]\n", 2, "max_targets: expected a string, got a list"},
	{"global:\n  scrape_interval: 15s\n", 2, "unknown key 'scrape_interval' in global"},
	{"global: 5\n", 1, "global: expected a mapping, got a scalar"},
};

/* global.max_targets: set, at its bounds, and null (the default). */
static void test_max_targets(void **state)
{
	static const struct {
		const char *text;
		size_t want;
	} cases[] = {
		{"global: {max_targets: 5}\nscrape_configs: []\n", 5},
		{"global:\n  max_targets: 1\n", 1},
		{"global:\n  max_targets: 1000000\n", 1000000},
		{"global:\n  max_targets:\n", SCRAPE_DEFAULT_MAX_TARGETS},
		{"global: {}\n", SCRAPE_DEFAULT_MAX_TARGETS},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scrape_config *c = parse_ok(cases[i].text);
		assert_int_equal(c->max_targets, cases[i].want);
		scrape_config_free(c);
	}
}

static void test_bad(void **state)
{
	struct scrape_config *c;
	struct err e;
	char prefix[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		const struct bad *b = &bad_configs[i];

		c = (struct scrape_config *)1;
		memset(&e, 0, sizeof(e));
		if (parse(b->text, &c, &e) != -EINVAL)
			fail_msg("case %zu parsed:\n%s", i, b->text);
		assert_null(c);
		snprintf(prefix, sizeof(prefix), "config.yml:%d: ", b->line);
		if (strncmp(e.msg, prefix, strlen(prefix)) || !strstr(e.msg, b->msg))
			fail_msg("case %zu: got \"%s\", want \"%s...%s\"", i, e.msg, prefix, b->msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_timeout_follows_interval),
		cmocka_unit_test(test_pprof_merge),
		cmocka_unit_test(test_path_prefix),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_string_bomb),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_commented_job),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_max_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
