/* agent: whole-machine CPU profiles from the eBPF sampler, one pprof per
 * process (or per service) per interval.
 *
 * The loop (agent_run) consumes the sampler's ring buffer every 250 ms,
 * and at once when a process is sampled for the first time (so that its
 * maps are read while it lives).
 * Each sample is aggregated straight into the pprof of its process for the
 * current interval: a stack seen for the first time in the interval is
 * symbolized at once (so a process that exits before the interval ends is
 * still named: its maps were read while it lived), later ones only add to
 * the sample's counts. At the end of each interval every pprof is handed to
 * the emit callback, then dropped.
 *
 * Profiles: sample types samples/count and cpu/nanoseconds (value = count
 * * period), period type cpu/nanoseconds, period 1e9/frequency, locations
 * leaf first (kernel frames above user frames; kernel frames in the mapping
 * "[kernel.kallsyms]"). Labels of each profile (struct agent_profile):
 *   service_name  the process name (comm) by default
 *   pid, comm, exe, build_id, cgroup, container_id   per process (empty
 *                 ones are left out); with per_service, one profile per
 *                 service_name carries only comm and a numeric "pid" label
 *                 on each sample
 *   node          the host name
 *   the static labels of the configuration
 * then the relabel rules (Prometheus relabel_configs, scrape/relabel.h) run
 * over that set once per process: they may set service_name (from exe, a
 * cgroup, a container id...), add or drop labels, or drop the process
 * (keep/drop: it is then not profiled). Labels starting with "__" are
 * removed after the rules.
 *
 * The agent never samples its own process unless profile_self is set.
 * Not thread-safe: one thread runs the loop; agent_stop() may be called
 * from any thread or a signal handler. */
#ifndef STACKYARD_AGENT_AGENT_H
#define STACKYARD_AGENT_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/label.h"
#include "../pprof/profile.h"
#include "../scrape/config.h"

#define AGENT_NS_PER_SEC INT64_C(1000000000)
#define AGENT_SYMBOL_CACHE (64u << 20)

/* One profile of one interval. Everything is owned by the agent and valid
 * only during the emit call. */
struct agent_profile {
	const struct pprof_profile *p;
	const struct label *labels;  /* sorted by name */
	size_t nlabels;
	const char *service;         /* = the service_name label */
	int pid;                     /* 0 with per_service */
	int64_t start, duration;     /* ns */
};

/* Returns 0, or a negative errno (counted as an emit failure, logged). */
typedef int (*agent_emit_fn)(void *ctx, const struct agent_profile *ap);

struct agent_config {
	unsigned frequency;          /* Hz; 0 = 19 */
	int64_t interval;            /* ns; 0 = 10 s */
	int per_service;             /* one profile per service, not per process */
	int profile_self;            /* also sample the agent's own process */
	const int *pids;             /* only these processes (npids > 0) */
	size_t npids;
	const char *const *comms;    /* only processes with these names */
	size_t ncomms;
	const char *const *cgroups;  /* only processes in these cgroups (or below) */
	size_t ncgroups;
	const struct label *labels;  /* static labels, added to every profile */
	size_t nlabels;
	const struct relabel_rule *relabel;  /* run over each process's labels */
	size_t nrelabel;
	const char *node;            /* NULL = the host name */
	size_t max_stacks;           /* distinct stacks per interval; 0 = 200000 */
	uint64_t symbol_cache;       /* bytes of symbol tables kept for binaries no
					live process maps; 0 = AGENT_SYMBOL_CACHE */
	agent_emit_fn emit;
	void *emit_ctx;
	int quiet;                   /* no per-interval log line */
};

struct agent_stats {
	uint64_t samples;            /* aggregated into a profile */
	uint64_t lost;               /* ring buffer full (BPF side) */
	uint64_t stack_errors;       /* kernel or user stack not read */
	uint64_t filtered;           /* not selected by --pid/--comm/--cgroup */
	uint64_t self;               /* the agent's own ticks, skipped */
	uint64_t over_cap;           /* dropped beyond max_stacks, or 64 MiB of
					stack keys, in one interval */
	uint64_t profiles;           /* emitted */
	uint64_t emit_errors;
	uint64_t unsymbolized;       /* user frames the symbolizer could not name */
};

struct agent;

/* Loads and attaches the sampler. Fails with the sampler's message when
 * BPF or perf events are not permitted. */
int agent_new(const struct agent_config *c, struct agent **out, struct err *e);
void agent_free(struct agent *a);  /* NULL is a no-op */

/* Runs until agent_stop(); emits the last (partial) interval before it
 * returns. */
int agent_run(struct agent *a, struct err *e);
void agent_stop(struct agent *a);

void agent_get_stats(const struct agent *a, struct agent_stats *st);

/* The agent's part of a Stackyard configuration file (docs/CONFIG.md): the
 * job named "agent" in scrape_configs, whose relabel_configs the agent runs
 * over every process (it has no targets to scrape). NULL when absent. */
#define AGENT_JOB_NAME "agent"
const struct scrape_job *agent_config_job(const struct scrape_config *c);

#endif
