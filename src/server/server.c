#include "server.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../agent/inserver.h"
#include "../base/log.h"
#include "../query/selector.h"
#include "../scrape/config.h"
#include "../scrape/scrape.h"
#include "api.h"
#include "metrics.h"

static const char usage[] =
	"usage: stackyard server [--listen ADDR] [--data DIR] [options]\n"
	"\n"
	"  --listen ADDR          address to serve on (default 127.0.0.1:7117)\n"
	"  --data DIR             data directory (default ./data)\n"
	"  --retention DUR        delete data older than this (default 30d)\n"
	"  --retention-size BYTES delete the oldest blocks beyond this size (default: none)\n"
	"  --block-duration DUR   time covered by one block (default 2h)\n"
	"  --warm DUR             after start-up, load the blocks of the last DUR in the\n"
	"                         background so first queries are fast (default 7d; 0: off)\n"
	"  --max-body BYTES       largest request body (default 16777216)\n"
	"  --max-decompressed B   largest profile after gunzip (default 536870912)\n"
	"  --max-labels N         labels per series (default 30)\n"
	"  --max-connections N    concurrent connections (default 256)\n"
	"  --config FILE          YAML configuration: scrape_configs (docs/CONFIG.md);\n"
	"                         SIGHUP or POST /-/reload re-reads it\n"
	"  --check-config         check --config and exit (0: valid; 1: errors, with lines)\n"
	"  --agent                also profile this machine with the eBPF agent (19 Hz,\n"
	"                         10 s profiles straight into the store; needs root;\n"
	"                         relabel_configs of a job named agent in --config apply)\n";

static void logf_(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(const char *level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, fmt, ap);
	va_end(ap);
}

static void observe(void *app, const struct http_req *r, int status, double seconds)
{
	struct api *a = app;

	metrics_http(a->metrics, r->route, status, seconds);
	if (status >= 500)
		logf_("error", "%s %s -> %d", r->method, r->path, status);
}

/* ---- maintenance thread ---------------------------------------------------- */

struct maint {
	struct api *a;
	int64_t every;
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *maint_loop(void *arg)
{
	struct maint *m = arg;
	struct timespec until;
	struct err e = {0};

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += m->every / STORE_NS_PER_SEC;
		pthread_cond_timedwait(&m->cv, &m->mu, &until);
		if (m->stop)
			break;
		pthread_mutex_unlock(&m->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		if (store_maintain(m->a->store, (int64_t)until.tv_sec * STORE_NS_PER_SEC, &e) < 0)
			logf_("error", "maintenance: %s", e.msg);
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* ---- options ----------------------------------------------------------------- */

static int size_opt(const char *name, const char *v, size_t *out)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (*end || !*v || n == 0) {
		fprintf(stderr, "stackyard: %s: '%s' is not a positive number\n", name, v);
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

static int dur_opt(const char *name, const char *v, int64_t *out)
{
	struct err e = {0};

	if (duration_parse(v, strlen(v), out, &e) < 0 || *out <= 0) {
		fprintf(stderr, "stackyard: %s: %s\n", name, e.msg[0] ? e.msg : "must be positive");
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct server_config *c)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"data", required_argument, NULL, 'd'},
		{"retention", required_argument, NULL, 'r'},
		{"retention-size", required_argument, NULL, 'R'},
		{"block-duration", required_argument, NULL, 'b'},
		{"warm", required_argument, NULL, 'W'},
		{"max-body", required_argument, NULL, 'B'},
		{"max-decompressed", required_argument, NULL, 'D'},
		{"max-labels", required_argument, NULL, 'L'},
		{"max-connections", required_argument, NULL, 'C'},
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'K'},
		{"agent", no_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	size_t n;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int rc = 0;
		switch (ch) {
		case 'l': c->http.listen = optarg; break;
		case 'd': c->store.dir = optarg; break;
		case 'r': rc = dur_opt("--retention", optarg, &c->store.retention); break;
		case 'R': rc = size_opt("--retention-size", optarg, &n); c->store.retention_bytes = n; break;
		case 'b': rc = dur_opt("--block-duration", optarg, &c->store.block_duration); break;
		case 'W':
			c->store.warm = 0;
			rc = strcmp(optarg, "0") ? dur_opt("--warm", optarg, &c->store.warm) : 0;
			break;
		case 'B': rc = size_opt("--max-body", optarg, &c->http.max_body); break;
		case 'D': rc = size_opt("--max-decompressed", optarg, &c->limits.max_decompressed); break;
		case 'L': rc = size_opt("--max-labels", optarg, &c->max_labels); break;
		case 'C': rc = size_opt("--max-connections", optarg, &n); c->http.max_conns = (unsigned)n; break;
		case 'c': c->config = optarg; break;
		case 'K': c->check_config = 1; break;
		case 'A': c->agent = 1; break;
		case 'h': fputs(usage, stdout); return 1;
		default: fputs(usage, stderr); return 2;
		}
		if (rc < 0)
			return 2;
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	return 0;
}

/* ---- reload ------------------------------------------------------------------ */

int server_reload(struct api *a, struct err *e)
{
	if (!a->scraper)
		return err_set(e, -EINVAL, "nothing to reload: the server was started without --config");
	if (scraper_reload_file(a->scraper, a->cfg->config, e) < 0) {
		logf_("error", "reload of %s failed, the running configuration stays: %s",
		      a->cfg->config, e->msg);
		return e->code;
	}
	logf_("info", "reloaded %s", a->cfg->config);
	return 0;
}

/* ---- main ------------------------------------------------------------------- */

static void signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/* Waits for SIGTERM or SIGINT; SIGHUP reloads the configuration. */
static int wait_for_signal(struct api *a)
{
	struct err e = {0};
	sigset_t set;
	int sig = 0;

	signal_set(&set);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		server_reload(a, &e);
	return sig;
}

int server_main(int argc, char **argv)
{
	struct server_config cfg = {0};
	struct scrape_config *scfg = NULL;
	struct api a = {0};
	struct maint m = {0};
	struct http_server *http = NULL;
	struct inserver *agent = NULL;
	pthread_t maint_thread;
	struct err e = {0};
	sigset_t set;
	int rc, sig;

	cfg.http.listen = "127.0.0.1:7117";
	cfg.store.dir = "data";
	cfg.store.warm = 7 * 24 * 3600 * STORE_NS_PER_SEC;
	cfg.limits = pprof_default_limits;
	cfg.max_labels = 30;
	cfg.maintain_every = 60 * STORE_NS_PER_SEC;
	if ((rc = parse_opts(argc, argv, &cfg)) != 0)
		return rc == 1 ? 0 : rc;
	/* Signals go to sigwait() in this thread only: block them before any
	 * thread starts, so every thread inherits the mask. */
	signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.config && scrape_config_load(cfg.config, &scfg, &e) < 0) {
		logf_("error", "%s", e.msg);
		return 1;
	}
	if (cfg.check_config) {
		size_t nt = 0, j, k;
		if (!cfg.config) {
			fprintf(stderr, "stackyard: --check-config needs --config FILE\n");
			return 2;
		}
		for (j = 0; j < scfg->njobs; j++)
			for (k = 0; k < scfg->jobs[j].nstatics; k++)
				nt += scfg->jobs[j].statics[k].ntargets;
		printf("%s: valid, %zu job(s), %zu static target(s)\n", cfg.config, scfg->njobs, nt);
		scrape_config_free(scfg);
		return 0;
	}
	a.cfg = &cfg;
	a.metrics = metrics_new();
	if (store_open(&store_sqlite_ops, &cfg.store, &a.store, &e) < 0) {
		logf_("error", "%s", e.msg);
		metrics_free(a.metrics);
		return 1;
	}
	/* The agent before the scraper takes scfg over (it reads the relabel
	 * rules of scfg's "agent" job, and keeps a compiled copy). */
	if (cfg.agent && inserver_start(NULL, scfg, a.store, &agent, &e) < 0) {
		logf_("error", "--agent: %s", e.msg);
		scrape_config_free(scfg);
		store_close(a.store);
		metrics_free(a.metrics);
		return 1;
	}
	/* The scraper first: the HTTP threads then see a.scraper set (their
	 * creation orders it), and a scrape of the server itself that comes
	 * before the listener only fails once. */
	if (scfg && scraper_start(scfg, a.store, logf_, &a.scraper, &e) < 0) {
		logf_("error", "%s", e.msg);
		inserver_stop(agent);
		store_close(a.store);
		metrics_free(a.metrics);
		return 1;
	}
	if (http_start(&cfg.http, server_routes, &a, observe, &http, &e) < 0) {
		logf_("error", "%s", e.msg);
		inserver_stop(agent);
		scraper_stop(a.scraper);
		store_close(a.store);
		metrics_free(a.metrics);
		return 1;
	}
	m.a = &a;
	m.every = cfg.maintain_every;
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	pthread_create(&maint_thread, NULL, maint_loop, &m);
	__atomic_store_n(&a.ready, 1, __ATOMIC_RELEASE);
	logf_("info", "listening on http://%s, data in %s", cfg.http.listen, cfg.store.dir);

	sig = wait_for_signal(&a);
	logf_("info", "signal %d: finishing requests in flight and closing", sig);
	__atomic_store_n(&a.ready, 0, __ATOMIC_RELEASE);
	http_stop(http);
	inserver_stop(agent);
	scraper_stop(a.scraper);
	pthread_mutex_lock(&m.mu);
	m.stop = 1;
	pthread_cond_signal(&m.cv);
	pthread_mutex_unlock(&m.mu);
	pthread_join(maint_thread, NULL);
	store_close(a.store);
	metrics_free(a.metrics);
	logf_("info", "stopped");
	return 0;
}
