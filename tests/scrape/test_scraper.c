/* The scraper on a real store: global.max_targets keeps the first units in
 * configuration order and makes every drop visible (the log, the targets
 * JSON's discovery_errors, the per-job metric); a reload returns with the
 * new configuration's file_sd targets in place; file_sd's file limit is
 * shown and logged. The targets are closed ports on loopback: units exist and fail,
 * which is all these tests look at. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/buf.h"
#include "../../src/scrape/filesd.h"
#include "../../src/scrape/scrape.h"

/* ---- the log, as the server's logger would get it ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct buf logged = BUF_INIT;

static void test_log(const char *level, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_mu);
	buf_printf(&logged, "level=%s %s\n", level, line);
	pthread_mutex_unlock(&log_mu);
}

static int log_has(const char *s)
{
	int r;

	pthread_mutex_lock(&log_mu);
	r = logged.data && strstr((const char *)logged.data, s) != NULL;
	pthread_mutex_unlock(&log_mu);
	return r;
}

/* ---- a scraper on a fresh store ---- */

struct fixture {
	char dir[64];
	struct store *store;
	struct scraper *s;
};

static struct scrape_config *config(const char *text)
{
	struct scrape_config *c = NULL;
	struct err e = {0};

	if (scrape_config_parse(text, strlen(text), "t.yml", &c, &e) < 0)
		fail_msg("config: %s", e.msg);
	return c;
}

/* A store in fx->dir/data (fx->dir exists) and a scraper running text. */
/* Writes text to path, which must succeed. */
static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void start_in(struct fixture *fx, const char *text)
{
	struct store_config sc = {0};
	struct err e = {0};
	char data[128];

	snprintf(data, sizeof(data), "%s/data", fx->dir);
	sc.dir = data;
	if (store_open(&store_sqlite_ops, &sc, &fx->store, &e) < 0)
		fail_msg("store: %s", e.msg);
	if (scraper_start(config(text), fx->store, test_log, &fx->s, &e) < 0)
		fail_msg("scraper_start: %s", e.msg);
}

static void start(struct fixture *fx, const char *text)
{
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_scraper.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	start_in(fx, text);
}

static void stop(struct fixture *fx)
{
	char cmd[128];

	scraper_stop(fx->s);
	store_close(fx->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	buf_release(&logged);
}

static void reload(struct fixture *fx, const char *text)
{
	struct err e = {0};

	if (scraper_reload(fx->s, config(text), &e) < 0)
		fail_msg("reload: %s", e.msg);
}

/* What the status pages show now (caller frees). */
static char *targets_json(struct fixture *fx)
{
	struct buf b = BUF_INIT;

	scraper_targets_json(fx->s, &b);
	return (char *)buf_detach(&b, NULL);
}

static char *metrics(struct fixture *fx)
{
	struct buf b = BUF_INIT;

	scraper_metrics_write(fx->s, &b);
	buf_putc(&b, '\0');
	return (char *)buf_detach(&b, NULL);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

/* Targets of job in the targets list (not in discovery_errors). */
static size_t targets_of(const char *json, const char *job)
{
	char want[128], *list = strdup(json), *end;
	size_t n;

	assert_non_null(list);
	end = strstr(list, "\"discovery_errors\"");
	assert_non_null(end);
	*end = '\0';
	snprintf(want, sizeof(want), "{\"job\":\"%s\",", job);
	n = count(list, want);
	free(list);
	return n;
}

static const char *const cpu_only =
	"    profiling_config:\n      pprof_config:\n        memory: {enabled: false}\n"
	"        block: {enabled: false}\n        mutex: {enabled: false}\n"
	"        goroutine: {enabled: false}\n";

static char *two_jobs(const char *global)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%sscrape_configs:\n  - job_name: a\n    scrape_interval: 1m\n"
		   "    static_configs: [{targets: ['127.0.0.1:1', '127.0.0.1:2']}]\n%s"
		   "  - job_name: b\n    scrape_interval: 1m\n"
		   "    static_configs: [{targets: ['127.0.0.1:3', '127.0.0.1:4']}]\n%s",
		   global, cpu_only, cpu_only);
	return (char *)buf_detach(&b, NULL);
}

/* Reloads two_jobs(global); the targets JSON after it (caller frees). */
static char *reload_max(struct fixture *fx, const char *global)
{
	char *cfg = two_jobs(global);

	reload(fx, cfg);
	free(cfg);
	return targets_json(fx);
}

static void test_max_targets_drops_visibly(void **state)
{
	struct fixture fx;
	char *cfg = two_jobs("global: {max_targets: 3}\n"), *j, *m;

	(void)state;
	start(&fx, cfg);
	j = targets_json(&fx);
	/* Configuration order: both of a's, then b's first. */
	assert_int_equal(targets_of(j, "a"), 2);
	assert_int_equal(targets_of(j, "b"), 1);
	assert_non_null(strstr(j, "127.0.0.1:3"));
	assert_null(strstr(j, "127.0.0.1:4"));
	if (!strstr(j, "{\"job\":\"b\",\"file\":\"\",\"error\":\"1 targets (target x profile type) "
		       "not scraped: over global.max_targets (3)\"}"))
		fail_msg("no drop in discovery_errors: %s", j);
	assert_int_equal(count(j, "max_targets"), 1);   /* job a lost nothing */
	m = metrics(&fx);
	assert_non_null(strstr(m, "\nstackyard_scrape_targets_dropped{job=\"a\"} 0\n"));
	assert_non_null(strstr(m, "\nstackyard_scrape_targets_dropped{job=\"b\"} 1\n"));
	assert_true(log_has("level=warn scrape: job b: 1 targets"));
	assert_false(log_has("job a:"));
	free(j);
	free(m);
	free(cfg);

	/* Room for all: the drop, its error and its metric go, and that is
	 * logged too. */
	j = reload_max(&fx, "global: {max_targets: 4}\n");
	assert_int_equal(targets_of(j, "b"), 2);
	assert_non_null(strstr(j, "\"discovery_errors\":[]"));
	m = metrics(&fx);
	assert_non_null(strstr(m, "\nstackyard_scrape_targets_dropped{job=\"b\"} 0\n"));
	assert_true(log_has("level=info scrape: job b: every target is scraped again"));
	free(j);
	free(m);

	/* One unit: every other one of a and b is dropped, each job counted. */
	j = reload_max(&fx, "global: {max_targets: 1}\n");
	assert_int_equal(targets_of(j, "a"), 1);
	assert_int_equal(targets_of(j, "b"), 0);
	assert_non_null(strstr(j, "{\"job\":\"a\",\"file\":\"\",\"error\":\"1 targets"));
	assert_non_null(strstr(j, "{\"job\":\"b\",\"file\":\"\",\"error\":\"2 targets"));
	assert_true(log_has("level=warn scrape: job b: 2 targets"));
	free(j);
	stop(&fx);
}

/* The cap counts what the scraper runs, after relabelling and duplicates:
 * a target listed twice or dropped by relabelling takes no room. */
static void test_max_targets_counts_units(void **state)
{
	struct fixture fx;
	char *j;

	(void)state;
	start(&fx, "global: {max_targets: 2}\nscrape_configs:\n  - job_name: a\n"
		   "    static_configs: [{targets: ['127.0.0.1:1', '127.0.0.1:1', '127.0.0.1:9', "
		   "'127.0.0.1:2']}]\n    relabel_configs:\n"
		   "      - {source_labels: [__address__], regex: '.*:9', action: drop}\n");
	j = targets_json(&fx);
	/* 2 targets x 5 profile types: the first two units are 127.0.0.1:1's. */
	assert_int_equal(targets_of(j, "a"), 2);
	assert_null(strstr(j, "127.0.0.1:2/"));
	assert_non_null(strstr(j, "\"error\":\"8 targets (target x profile type) not scraped"));
	free(j);
	stop(&fx);
}

/* A reload returns once the new configuration's file_sd files are read
 * and their targets run: what the caller of POST /-/reload sees next. */
static void test_reload_returns_with_file_sd_targets(void **state)
{
	struct fixture fx;
	char sd[128], path[160], *cfg, *j;
	struct buf b = BUF_INIT;

	(void)state;
	start(&fx, "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['127.0.0.1:1']}]\n");
	snprintf(sd, sizeof(sd), "%s/sd", fx.dir);
	assert_int_equal(mkdir(sd, 0700), 0);
	snprintf(path, sizeof(path), "%s/t.json", sd);
	put_file(path, "[{\"targets\": [\"127.0.0.1:5\", \"127.0.0.1:6\"]}]");
	buf_printf(&b, "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['127.0.0.1:1']}]\n"
		   "  - job_name: sd\n    file_sd_configs: [{files: ['%s/*.json']}]\n%s", sd, cpu_only);
	cfg = (char *)buf_detach(&b, NULL);
	reload(&fx, cfg);
	j = targets_json(&fx);
	assert_int_equal(targets_of(j, "sd"), 2);
	assert_int_equal(targets_of(j, "a"), 5);
	free(j);
	free(cfg);
	stop(&fx);
}

/* More files than file_sd reads: the error names the first one ignored,
 * in discovery_errors and, once, in the log. */
static void test_file_limit_shown(void **state)
{
	struct fixture fx;
	char sd[128], path[160], want[300], *cfg, *j;
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	start(&fx, "scrape_configs: []\n");
	snprintf(sd, sizeof(sd), "%s/sd", fx.dir);
	assert_int_equal(mkdir(sd, 0700), 0);
	for (i = 0; i <= FILESD_MAX_FILES; i++) {
		snprintf(path, sizeof(path), "%s/t%05zu.json", sd, i);
		put_file(path, "[]");
	}
	buf_printf(&b, "scrape_configs:\n  - job_name: sd\n    file_sd_configs: [{files: ['%s/*.json']}]\n",
		   sd);
	cfg = (char *)buf_detach(&b, NULL);
	reload(&fx, cfg);
	j = targets_json(&fx);
	snprintf(want, sizeof(want), "{\"job\":\"sd\",\"file\":\"%s/t10000.json\",\"error\":"
		 "\"10001 files match, more than the limit of 10000", sd);
	if (!strstr(j, want))
		fail_msg("no file limit error: %s", j);
	assert_true(log_has("level=warn file_sd: 10001 files match"));
	free(j);
	free(cfg);
	stop(&fx);
}

/* A reload that changes a job's file_sd patterns reads the files again
 * (nothing to adopt) before it syncs, so a target that stays keeps its
 * unit: its schedule, status and delta baseline, here its last scrape. */
static void test_reload_keeps_file_sd_units(void **state)
{
	struct fixture fx;
	char sd[128], path[160], *cfg, *j;
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_scraper_sd.XXXXXX");
	assert_non_null(mkdtemp(fx.dir));
	snprintf(sd, sizeof(sd), "%s/sd", fx.dir);
	assert_int_equal(mkdir(sd, 0700), 0);
	snprintf(path, sizeof(path), "%s/t.json", sd);
	put_file(path, "[{\"targets\": [\"127.0.0.1:7\"]}]");
	buf_printf(&b, "scrape_configs:\n  - job_name: sd\n    scrape_interval: 1s\n"
		   "    file_sd_configs: [{files: ['%s/*.json']}]\n%s", sd, cpu_only);
	cfg = (char *)buf_detach(&b, NULL);
	start_in(&fx, cfg);
	free(cfg);
	/* Scraped (and refused) within its first second. */
	for (i = 0; i < 50; i++) {
		j = targets_json(&fx);
		if (!strstr(j, "\"last_scrape\":0,"))
			break;
		free(j);
		usleep(100 * 1000);
	}
	assert_true(i < 50);
	free(j);
	buf_printf(&b, "scrape_configs:\n  - job_name: sd\n    scrape_interval: 1s\n"
		   "    file_sd_configs: [{files: ['%s/*.json', '%s/*.yml']}]\n%s", sd, sd, cpu_only);
	cfg = (char *)buf_detach(&b, NULL);
	reload(&fx, cfg);
	j = targets_json(&fx);
	assert_int_equal(targets_of(j, "sd"), 1);
	if (strstr(j, "\"last_scrape\":0,"))
		fail_msg("the unit was made again: %s", j);
	free(j);
	free(cfg);
	stop(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_targets_drops_visibly),
		cmocka_unit_test(test_max_targets_counts_units),
		cmocka_unit_test(test_reload_returns_with_file_sd_targets),
		cmocka_unit_test(test_file_limit_shown),
		cmocka_unit_test(test_reload_keeps_file_sd_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
