/* stackyard agent: whole-machine CPU profiles through eBPF, pushed to a
 * server or written to a directory (src/agent/agent.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../agent/agent.h"
#include "../agent/push.h"
#include "../agent/sink.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../query/selector.h"
#include "cli.h"
#include "client.h"

#define MAX_LIST 1024
#define PUSH_DRAIN (5 * AGENT_NS_PER_SEC)

static const char agent_usage[] =
	"usage: stackyard agent [--server URL] [--frequency HZ] [--interval D]\n"
	"                       [--label k=v]... [--pid N]... [--comm NAME]...\n"
	"                       [--cgroup PATH]... [--output DIR] [--per-service]\n"
	"                       [--config FILE]\n"
	"\n"
	"Samples every CPU at HZ with eBPF (kernel and user stacks, frame pointers)\n"
	"and makes one CPU profile per process per interval, labelled service_name\n"
	"(the process name), pid, comm, exe, build_id, cgroup, container_id, node.\n"
	"Needs root, or CAP_BPF and CAP_PERFMON.\n"
	"\n"
	"  -s, --server URL     push to this server's /ingest (default $STACKYARD_SERVER,\n"
	"                       else " CLIENT_DEFAULT_SERVER "; not used with --output alone)\n"
	"  -F, --frequency HZ   samples per second per CPU (default 19)\n"
	"  -i, --interval D     one profile per process every D (default 10s)\n"
	"  -l, --label K=V      a label added to every profile (repeatable;\n"
	"                       --label service_name=X names the service)\n"
	"  -p, --pid N          only this process (repeatable)\n"
	"  -c, --comm NAME      only processes with this name (repeatable)\n"
	"  -g, --cgroup PATH    only processes in this cgroup v2 path or below (repeatable)\n"
	"  -o, --output DIR     write pprof files to DIR instead of pushing\n"
	"      --per-service    one profile per service name, not per process\n"
	"      --profile-self   also profile the agent itself\n"
	"      --queue-bytes N  pushes waiting for a server that is down are capped at\n"
	"                       N bytes, dropping the oldest (default 16777216)\n"
	"      --node NAME      the node label (default: the host name)\n"
	"      --config FILE    a Stackyard configuration (docs/CONFIG.md): the\n"
	"                       relabel_configs of its job named 'agent' run over each\n"
	"                       process's labels (set service_name, drop processes)\n"
	"      --check          load and attach the sampler, then exit: 0 if it is\n"
	"                       permitted here, 1 with what is missing\n";

struct agent_opts {
	struct agent_config cfg;
	const char *server, *output, *config;
	size_t queue_bytes;
	int check;
	int *pids;
	const char **comms, **cgroups;
	struct label *labels;
};

static struct agent *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		agent_stop(running);
}

static int label_opt(struct agent_opts *o, char *v)
{
	char *eq = strchr(v, '=');
	const char *p;

	if (!eq || eq == v)
		return cli_fail("--label: '%s' is not K=V", v);
	*eq = '\0';
	for (p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
		      (p > v && ((*p >= '0' && *p <= '9') || *p == '.'))))
			return cli_fail("--label: '%s' is not a label name ([A-Za-z_][A-Za-z0-9_.]*)", v);
	o->labels[o->cfg.nlabels].name = v;
	o->labels[o->cfg.nlabels++].value = eq + 1;
	return 0;
}

static int num_opt(const char *name, const char *v, long lo, long hi, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return cli_fail("%s: '%s' is not a number from %ld to %ld", name, v, lo, hi);
	*out = n;
	return 0;
}

static int one_opt(struct agent_opts *o, int ch, char *arg)
{
	struct agent_config *c = &o->cfg;
	struct err e = {0};
	long n;

	switch (ch) {
	case 's': o->server = arg; return 0;
	case 'o': o->output = arg; return 0;
	case 'P': c->per_service = 1; return 0;
	case 'S': c->profile_self = 1; return 0;
	case 'N': c->node = arg; return 0;
	case 'K': o->check = 1; return 0;
	case 'C': o->config = arg; return 0;
	case 'l': return label_opt(o, arg);
	case 'c': o->comms[c->ncomms++] = arg; return 0;
	case 'g': o->cgroups[c->ncgroups++] = arg; return 0;
	case 'F':
		if (num_opt("--frequency", arg, 1, 10000, &n))
			return 1;
		c->frequency = (unsigned)n;
		return 0;
	case 'p':
		if (num_opt("--pid", arg, 1, INT32_MAX, &n))
			return 1;
		o->pids[c->npids++] = (int)n;
		return 0;
	case 'Q':
		if (num_opt("--queue-bytes", arg, 1, LONG_MAX, &n))
			return 1;
		o->queue_bytes = (size_t)n;
		return 0;
	case 'i':
		if (duration_parse(arg, strlen(arg), &c->interval, &e) < 0 || c->interval <= 0 ||
		    c->interval < AGENT_NS_PER_SEC / 10)
			return cli_fail("--interval: %s", e.msg[0] ? e.msg : "must be at least 100ms");
		return 0;
	}
	return 2;
}

static int parse(int argc, char **argv, struct agent_opts *o)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"frequency", required_argument, NULL, 'F'},
		{"interval", required_argument, NULL, 'i'},
		{"label", required_argument, NULL, 'l'},
		{"pid", required_argument, NULL, 'p'},
		{"comm", required_argument, NULL, 'c'},
		{"cgroup", required_argument, NULL, 'g'},
		{"output", required_argument, NULL, 'o'},
		{"per-service", no_argument, NULL, 'P'},
		{"profile-self", no_argument, NULL, 'S'},
		{"queue-bytes", required_argument, NULL, 'Q'},
		{"node", required_argument, NULL, 'N'},
		{"check", no_argument, NULL, 'K'},
		{"config", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "s:F:i:l:p:c:g:o:h", opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(agent_usage, stdout);
			return -1;
		}
		if (o->cfg.nlabels >= MAX_LIST || o->cfg.npids >= MAX_LIST ||
		    o->cfg.ncomms >= MAX_LIST || o->cfg.ncgroups >= MAX_LIST)
			return cli_fail("at most %d of each of --label, --pid, --comm, --cgroup",
					MAX_LIST) + 1;
		if (ch == '?' || (rc = one_opt(o, ch, optarg)) == 2) {
			fputs(agent_usage, stderr);
			return 2;
		}
		if (rc)
			return 2;
	}
	if (optind != argc) {
		cli_fail("agent: unexpected argument '%s'", argv[optind]);
		fputs(agent_usage, stderr);
		return 2;
	}
	return 0;
}

static void final_report(struct agent *a, const struct push_stats *ps)
{
	struct agent_stats st;

	agent_get_stats(a, &st);
	log_printf("info",
		  "agent: stopped; %" PRIu64 " profiles, %" PRIu64 " samples, %" PRIu64
		  " lost, %" PRIu64 " stack errors, %" PRIu64 " filtered, %" PRIu64
		  " of its own skipped",
		  st.profiles, st.samples, st.lost, st.stack_errors, st.filtered, st.self);
	if (!ps)
		return;
	log_printf("info",
		  "push: %" PRIu64 " sent, %" PRIu64 " rejected, %" PRIu64 " dropped, %" PRIu64
		  " retries",
		  ps->sent, ps->rejected, ps->dropped, ps->retries);
}

/* With both --output and --server, profiles go to both. */
struct both {
	const char *dir;
	struct push *q;
};

static int emit_both(void *ctx, const struct agent_profile *ap)
{
	struct both *b = ctx;
	int rc = 0;

	if (b->dir)
		rc = sink_dir((void *)b->dir, ap);
	if (b->q && sink_push(b->q, ap) < 0)
		rc = -EIO;
	return rc;
}

/* The relabel rules of --config's "agent" job (*sc stays loaded: the
 * rules point into it). */
static int load_config(struct agent_opts *o, struct scrape_config **sc)
{
	const struct scrape_job *job;
	struct err e = {0};

	if (!o->config)
		return 0;
	if (scrape_config_load(o->config, sc, &e) < 0)
		return cli_fail("--config: %s", e.msg);
	if (!(job = agent_config_job(*sc)))
		return cli_fail("--config %s: no job named '" AGENT_JOB_NAME "' in scrape_configs",
				o->config);
	o->cfg.relabel = job->relabel;
	o->cfg.nrelabel = job->nrelabel;
	return 0;
}

static int run(struct agent_opts *o)
{
	struct push_config pc = {0};
	struct push_stats ps;
	struct both b = {o->output, NULL};
	struct agent *a = NULL;
	struct err e = {0};
	int rc = 0;

	o->cfg.emit = emit_both;
	o->cfg.emit_ctx = &b;
	/* The sampler first: where eBPF is not permitted, that is the one
	 * error, and nothing has been created. */
	if (agent_new(&o->cfg, &a, &e) < 0)
		return cli_fail("agent: %s", e.msg);
	if (o->check) {
		printf("agent: eBPF sampling is permitted here (%u Hz)\n",
		       o->cfg.frequency ? o->cfg.frequency : 19);
		agent_free(a);
		return 0;
	}
	if (o->output && mkdir(o->output, 0755) < 0 && errno != EEXIST) {
		agent_free(a);
		return cli_fail("--output %s: %s", o->output, strerror(errno));
	}
	if (!o->output || o->server) {
		pc.server = client_default_server(o->server);
		pc.max_bytes = o->queue_bytes;
		if (push_new(&pc, &b.q, &e) < 0) {
			agent_free(a);
			return cli_fail("%s", e.msg);
		}
	}
	running = a;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	log_printf("info", "agent: sampling every CPU; profiles to %s%s%s",
		  o->output ? o->output : "", o->output && b.q ? " and " : "",
		  b.q ? pc.server : "");
	if (agent_run(a, &e) < 0)
		rc = cli_fail("agent: %s", e.msg);
	running = NULL;
	push_free(b.q, PUSH_DRAIN, &ps);
	final_report(a, b.q ? &ps : NULL);
	agent_free(a);
	return rc;
}

int cmd_agent(int argc, char **argv)
{
	struct scrape_config *sc = NULL;
	struct agent_opts o = {0};
	int rc;

	o.pids = xcalloc(MAX_LIST, sizeof(*o.pids));
	o.comms = xcalloc(MAX_LIST, sizeof(*o.comms));
	o.cgroups = xcalloc(MAX_LIST, sizeof(*o.cgroups));
	o.labels = xcalloc(MAX_LIST, sizeof(*o.labels));
	rc = parse(argc, argv, &o);
	if (rc == 0)
		rc = load_config(&o, &sc);
	if (rc == 0) {
		o.cfg.pids = o.pids;
		o.cfg.comms = o.comms;
		o.cfg.cgroups = o.cgroups;
		o.cfg.labels = o.labels;
		rc = run(&o);
	}
	scrape_config_free(sc);
	free(o.pids);
	free(o.comms);
	free(o.cgroups);
	free(o.labels);
	return rc < 0 ? 0 : rc;
}
