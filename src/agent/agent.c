#include "agent.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/buf.h"
#include "../base/intern.h"
#include "../base/log.h"
#include "../base/u64map.h"
#include "../base/xalloc.h"
#include "../scrape/relabel.h"
#include "procinfo.h"
#include "sampler.h"
#include "symbolize.h"

#define DEFAULT_FREQUENCY 19
#define DEFAULT_INTERVAL (10 * AGENT_NS_PER_SEC)
#define DEFAULT_MAX_STACKS 200000
#define MAX_STACK_BYTES (64u << 20)   /* of stack keys per interval: 64 MiB */
#define POLL_NS (250 * INT64_C(1000000))
#define NONE UINT32_MAX
#define KERNEL_PID (-1)

/* A process seen by the sampler. Metadata and labels (relabelled) are made
 * once, when it is first seen, and again when its name changes (exec). */
struct proc {
	int pid;
	char comm[SAMPLE_COMM_LEN + 1];
	struct procinfo info;
	struct labelset labels;
	int selected;
	uint32_t group;   /* its profile in the current interval, or NONE */
};

/* One pprof being built for the current interval. Each intern's ids are
 * the indices of what it keys in the profile, because an element is added
 * to the profile exactly when its key is new:
 *   stacks: (pid, depths, addresses) -> sample
 *   locs:   (pid, address)           -> location
 *   maps:   (pid, mapping start)     -> mapping
 *   funcs:  name NUL file            -> function */
struct group {
	struct pprof_profile *p;
	struct intern *stacks, *locs, *maps, *funcs;
	struct labelset labels;
	int pid;
};

struct agent {
	struct agent_config cfg;
	struct sampler *sampler;
	struct symbolizer *sym;
	struct relabeler *relabel;    /* NULL: no rules */
	char node[256];
	int64_t period;

	struct proc *procs;
	size_t nprocs, cap_procs;
	struct u64map pidx;           /* pid -> procs index */

	struct group *groups;
	size_t ngroups, cap_groups;
	struct intern *gkeys;         /* group key -> groups index */
	size_t nstacks, stack_bytes;  /* distinct stacks this interval, their keys' bytes */
	int64_t start;

	struct agent_stats st;
	uint64_t empty, unselected;   /* samples without frames, not selected */
	uint64_t last_samples;        /* st.samples at the last interval's end */
	atomic_int stop;              /* lock-free: safe from a signal handler */
};

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * AGENT_NS_PER_SEC + t.tv_nsec;
}

static int64_t now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* ---- processes ---------------------------------------------------------- */

/* cgroup is prefix itself or below it. */
static int cgroup_under(const char *cgroup, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (strncmp(cgroup, prefix, n))
		return 0;
	return cgroup[n] == '\0' || cgroup[n] == '/' || (n == 1 && prefix[0] == '/');
}

static int comm_selected(const struct agent *a, const struct proc *p)
{
	size_t i;

	for (i = 0; i < a->cfg.ncomms; i++)
		if (!strcmp(p->comm, a->cfg.comms[i]))
			return 1;
	return a->cfg.ncomms == 0;
}

static int cgroup_selected(const struct agent *a, const struct proc *p)
{
	size_t i;

	for (i = 0; i < a->cfg.ncgroups; i++)
		if (cgroup_under(p->info.cgroup ? p->info.cgroup : "", a->cfg.cgroups[i]))
			return 1;
	return a->cfg.ncgroups == 0;
}

static void label_num(struct labelset *ls, const char *name, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	labelset_set(ls, name, s);
}

static void label_str(struct labelset *ls, const char *name, const char *v)
{
	if (v && *v)
		labelset_set(ls, name, v);
}

/* The process's labels: what /proc says, the static labels, then the
 * relabel rules (which may also drop the process). Labels whose names
 * start with "__" are the rules' scratch space and are removed after,
 * as Prometheus does. Returns 0 when a rule dropped the process. */
static int proc_labels(const struct agent *a, struct proc *p)
{
	struct labelset *ls = &p->labels;
	size_t i;
	int keep;

	labelset_release(ls);
	labelset_set(ls, "service_name", p->comm);
	labelset_set(ls, "comm", p->comm);
	label_str(ls, "node", a->node);
	label_num(ls, "pid", p->pid);
	label_str(ls, "exe", p->info.exe);
	label_str(ls, "build_id", p->info.build_id);
	label_str(ls, "cgroup", p->info.cgroup);
	label_str(ls, "container_id", p->info.container_id);
	for (i = 0; i < a->cfg.nlabels; i++)
		labelset_set(ls, a->cfg.labels[i].name, a->cfg.labels[i].value);
	keep = !a->relabel || relabel_apply(a->relabel, ls);
	for (i = ls->n; i-- > 0;)
		if (!strncmp(ls->l[i].name, "__", 2))
			labelset_del(ls, ls->l[i].name);
	if (!labelset_get(ls, "service_name") || !*labelset_get(ls, "service_name"))
		labelset_set(ls, "service_name", p->comm);
	return keep;
}

static void proc_load(struct agent *a, struct proc *p, const struct cpu_sample *s)
{
	memcpy(p->comm, s->comm, SAMPLE_COMM_LEN);
	p->comm[SAMPLE_COMM_LEN] = '\0';
	procinfo_release(&p->info);
	p->group = NONE;
	/* --comm first: a process it leaves out costs no /proc reads. */
	if (!(p->selected = comm_selected(a, p)))
		return;
	/* A process gone already keeps empty metadata; its samples count. */
	if (procinfo_read(p->pid, &p->info, NULL) < 0) {
		p->info.exe = xstrdup("");
		p->info.cgroup = xstrdup("");
	}
	p->selected = cgroup_selected(a, p) && proc_labels(a, p);
}

static struct proc *proc_get(struct agent *a, const struct cpu_sample *s)
{
	uint32_t i = u64map_get(&a->pidx, s->pid);
	struct proc *p;

	if (i != U64MAP_NONE) {
		p = &a->procs[i];
		if (strncmp(p->comm, s->comm, SAMPLE_COMM_LEN))
			proc_load(a, p, s);
		return p;
	}
	XGROW(a->procs, a->cap_procs, a->nprocs + 1);
	p = &a->procs[a->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = (int)s->pid;
	u64map_put(&a->pidx, s->pid, (uint32_t)a->nprocs++);
	proc_load(a, p, s);
	return p;
}

static int alive(int pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Forgets the processes that exited (their profiles were just emitted). */
static void procs_gc(struct agent *a)
{
	size_t i, n = 0;

	u64map_release(&a->pidx);
	u64map_init(&a->pidx, a->nprocs);
	for (i = 0; i < a->nprocs; i++) {
		struct proc *p = &a->procs[i];
		p->group = NONE;
		if (!alive(p->pid)) {
			symbolizer_forget(a->sym, p->pid);
			procinfo_release(&p->info);
			labelset_release(&p->labels);
			continue;
		}
		a->procs[n] = *p;
		u64map_put(&a->pidx, (uint64_t)p->pid, (uint32_t)n++);
	}
	a->nprocs = n;
}

/* ---- profiles ----------------------------------------------------------- */

/* The labels of a profile: the process's, or with per_service only those
 * its service's processes share by construction. */
static void group_labels(const struct agent *a, const struct proc *p, struct labelset *ls)
{
	static const char *const per_process[] = {"pid", "exe", "build_id", "cgroup",
						  "container_id"};
	size_t i;

	for (i = 0; i < p->labels.n; i++)
		labelset_set(ls, p->labels.l[i].name, p->labels.l[i].value);
	if (a->cfg.per_service)
		for (i = 0; i < sizeof(per_process) / sizeof(per_process[0]); i++)
			labelset_del(ls, per_process[i]);
}

static struct group *group_get(struct agent *a, struct proc *p)
{
	struct group *g;
	char key[64];
	uint32_t id;
	int n, is_new;

	if (p->group != NONE)
		return &a->groups[p->group];
	if (a->cfg.per_service)
		n = snprintf(key, sizeof(key), "s:%s", labelset_get(&p->labels, "service_name"));
	else
		n = snprintf(key, sizeof(key), "p:%d:%s", p->pid, p->comm);
	/* A longer service name is cut in the key only (rare; shared then). */
	id = intern_put(a->gkeys, key, n < (int)sizeof(key) ? (size_t)n : sizeof(key) - 1,
			&is_new);
	p->group = id;
	if (!is_new)
		return &a->groups[id];
	XGROW(a->groups, a->cap_groups, a->ngroups + 1);
	g = &a->groups[a->ngroups++];
	memset(g, 0, sizeof(*g));
	g->pid = a->cfg.per_service ? 0 : p->pid;
	g->p = pprof_new();
	g->stacks = intern_new(64);
	g->locs = intern_new(256);
	g->maps = intern_new(16);
	g->funcs = intern_new(256);
	pprof_add_sample_type(g->p, "samples", "count");
	pprof_add_sample_type(g->p, "cpu", "nanoseconds");
	g->p->period_type.type = pprof_intern_cstr(g->p, "cpu");
	g->p->period_type.unit = pprof_intern_cstr(g->p, "nanoseconds");
	g->p->period = a->period;
	group_labels(a, p, &g->labels);
	return g;
}

static void group_release(struct group *g)
{
	pprof_free(g->p);
	intern_free(g->stacks);
	intern_free(g->locs);
	intern_free(g->maps);
	intern_free(g->funcs);
	labelset_release(&g->labels);
}

static uint32_t map_get(struct group *g, int pid, const struct sym_mapping *m)
{
	struct pprof_mapping *pm;
	int64_t key[2] = {pid, (int64_t)m->start};
	uint32_t id, i;
	int is_new;

	id = intern_put(g->maps, key, sizeof(key), &is_new);
	if (!is_new)
		return id;
	i = pprof_add_mapping(g->p);
	pm = &g->p->mapping[i];
	pm->start = m->start;
	pm->limit = m->limit;
	pm->offset = m->offset;
	pm->filename = pprof_intern_cstr(g->p, m->path ? m->path : "");
	pm->build_id = pprof_intern_cstr(g->p, m->build_id ? m->build_id : "");
	return i;
}

static uint32_t func_get(struct group *g, const struct sym_frame *f)
{
	const char *name = f->function ? f->function : "[unknown]";
	const char *file = f->file ? f->file : "";
	size_t nn = strlen(name), nf = strlen(file);
	char small[512], *key = nn + nf + 1 <= sizeof(small) ? small : xmalloc(nn + nf + 1);
	struct pprof_function *pf;
	uint32_t id, i;
	int is_new;

	memcpy(key, name, nn);
	key[nn] = '\0';
	memcpy(key + nn + 1, file, nf);
	id = intern_put(g->funcs, key, nn + nf + 1, &is_new);
	if (key != small)
		free(key);
	if (!is_new)
		return id;
	i = pprof_add_function(g->p);
	pf = &g->p->function[i];
	pf->name = pprof_intern(g->p, name, nn);
	pf->system_name = pf->name;
	pf->filename = pprof_intern(g->p, file, nf);
	return i;
}

/* The location of addr, symbolized the first time it is seen. Caller
 * frames hold return addresses: they are looked up at addr - 1, inside the
 * call instruction, so that a call ending a function (or an inlined body)
 * is named after its caller, not after what follows it. */
static uint32_t loc_get(struct agent *a, struct group *g, int pid, uint64_t addr, int leaf)
{
	int64_t key[2] = {pid, (int64_t)addr};
	struct sym_loc sl = {0};
	uint32_t id, i, k, nf;
	int is_new, rc;

	id = intern_put(g->locs, key, sizeof(key), &is_new);
	if (!is_new)
		return id;
	if (pid == KERNEL_PID)
		rc = symbolizer_kernel(a->sym, leaf ? addr : addr - 1, &sl, NULL);
	else if (leaf)
		rc = symbolizer_user(a->sym, pid, addr, &sl, NULL);
	else
		rc = symbolizer_user_ret(a->sym, pid, addr, &sl, NULL);
	nf = rc == 0 ? sl.nframes : 0;
	if (!nf && pid != KERNEL_PID)
		a->st.unsymbolized++;
	i = pprof_add_location(g->p, nf);
	g->p->location[i].address = addr;
	if (rc == 0 && sl.mapping)
		g->p->location[i].mapping = map_get(g, pid, sl.mapping) + 1;
	for (k = 0; k < nf; k++) {
		uint32_t fi = func_get(g, &sl.frames[k]);
		struct pprof_line *ln = &g->p->line[g->p->location[i].line_off + k];
		ln->function = fi;
		ln->line = sl.frames[k].line;
	}
	return i;
}

static void add_sample(struct agent *a, struct group *g, const struct proc *p,
		       const struct cpu_sample *s)
{
	uint64_t key[2 + 2 * SAMPLE_MAX_DEPTH];
	uint32_t locs[2 * SAMPLE_MAX_DEPTH], nk = s->nkern, nu = s->nuser, i, id;
	int64_t vals[2] = {1, a->period};
	size_t len, si;
	int is_new;

	if (nk > SAMPLE_MAX_DEPTH)
		nk = SAMPLE_MAX_DEPTH;
	if (nu > SAMPLE_MAX_DEPTH)
		nu = SAMPLE_MAX_DEPTH;
	if (!nk && !nu) {
		a->empty++;
		return;
	}
	key[0] = (uint64_t)p->pid;
	key[1] = nk | (uint64_t)nu << 16;
	memcpy(key + 2, s->addr, (nk + nu) * sizeof(*key));
	len = (2 + nk + nu) * sizeof(*key);
	id = intern_find(g->stacks, key, len);
	if (id != INTERN_NONE) {
		g->p->value[(size_t)id * 2] += vals[0];
		g->p->value[(size_t)id * 2 + 1] += vals[1];
		a->st.samples++;
		return;
	}
	if (a->nstacks >= a->cfg.max_stacks || a->stack_bytes + len > MAX_STACK_BYTES) {
		a->st.over_cap++;
		return;
	}
	intern_put(g->stacks, key, len, &is_new);
	a->nstacks++;
	a->stack_bytes += len;
	/* Leaf first: kernel frames, then user frames. The first user frame
	 * is the interrupted instruction only when the tick hit user mode;
	 * otherwise it is where the system call will return to. */
	for (i = 0; i < nk; i++)
		locs[i] = loc_get(a, g, KERNEL_PID, s->addr[i], i == 0);
	for (i = 0; i < nu; i++)
		locs[nk + i] = loc_get(a, g, p->pid, s->addr[nk + i], i == 0 && nk == 0);
	si = pprof_add_sample(g->p, locs, nk + nu, vals, a->cfg.per_service ? 1 : 0);
	if (a->cfg.per_service) {
		struct pprof_label *l = &g->p->label[g->p->sample[si].label_off];
		l->key = pprof_intern_cstr(g->p, "pid");
		l->num = p->pid;
	}
	a->st.samples++;
}

static void on_sample(void *ctx, const struct cpu_sample *s)
{
	struct agent *a = ctx;
	struct proc *p = proc_get(a, s);

	if (!p->selected) {
		a->unselected++;
		return;
	}
	add_sample(a, group_get(a, p), p, s);
}

/* ---- the loop ----------------------------------------------------------- */

/* pprof takes the first mapping for the main binary ("File:" in go tool
 * pprof): move the executable's mapping first, if the profile has one. */
static void main_mapping_first(struct group *g)
{
	const char *exe = labelset_get(&g->labels, "exe");
	struct pprof_profile *p = g->p;
	struct pprof_mapping t;
	uint32_t m, j;

	if (!exe || !*exe)
		return;
	for (m = 0; m < p->nmapping; m++) {
		struct pprof_str f = pprof_s(p, p->mapping[m].filename);
		if (f.len == strlen(exe) && !memcmp(f.ptr, exe, f.len))
			break;
	}
	if (m == 0 || m == p->nmapping)
		return;
	t = p->mapping[0];
	p->mapping[0] = p->mapping[m];
	p->mapping[m] = t;
	p->mapping[0].id = 1;
	p->mapping[m].id = m + 1;
	for (j = 0; j < p->nlocation; j++) {
		if (p->location[j].mapping == 1)
			p->location[j].mapping = m + 1;
		else if (p->location[j].mapping == m + 1)
			p->location[j].mapping = 1;
	}
}

/* The labels as pprof comments ("pid=42"), so that a profile written to a
 * file (--output) still says whose it is; go tool pprof -comments. */
static void label_comments(struct group *g)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < g->labels.n; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s=%s", g->labels.l[i].name, g->labels.l[i].value);
		pprof_add_comment(g->p, pprof_intern(g->p, (char *)b.data, b.len));
	}
	buf_release(&b);
}

static void emit_all(struct agent *a, int64_t now)
{
	size_t i;

	for (i = 0; i < a->ngroups; i++) {
		struct group *g = &a->groups[i];
		struct agent_profile ap;
		int rc;

		g->p->time_nanos = a->start;
		g->p->duration_nanos = now - a->start;
		main_mapping_first(g);
		label_comments(g);
		ap.p = g->p;
		ap.labels = g->labels.l;
		ap.nlabels = g->labels.n;
		ap.service = labelset_get(&g->labels, "service_name");
		ap.pid = g->pid;
		ap.start = a->start;
		ap.duration = now - a->start;
		rc = a->cfg.emit ? a->cfg.emit(a->cfg.emit_ctx, &ap) : 0;
		if (rc < 0)
			a->st.emit_errors++;
		else
			a->st.profiles++;
		group_release(g);
	}
	a->ngroups = 0;
	a->nstacks = 0;
	a->stack_bytes = 0;
	intern_free(a->gkeys);
	a->gkeys = intern_new(64);
	procs_gc(a);
}

/* The BPF counters and ours, as one view. */
static void refresh_stats(struct agent *a)
{
	uint64_t v[CPU_STAT_N];

	sampler_stats(a->sampler, v);
	a->st.lost = v[CPU_STAT_LOST];
	a->st.stack_errors = v[CPU_STAT_KSTACK_ERR] + v[CPU_STAT_USTACK_ERR] + a->empty;
	a->st.filtered = v[CPU_STAT_FILTERED] + a->unselected;
	a->st.self = v[CPU_STAT_SELF];
}

static void interval_end(struct agent *a, int64_t now)
{
	struct symbolizer_stats ss;
	size_t n = a->ngroups;

	emit_all(a, now);
	/* The interval's profiles are freed: give the pages back rather than
	 * keep the high-water mark of the busiest interval resident. */
	malloc_trim(0);
	refresh_stats(a);
	symbolizer_get_stats(a->sym, &ss);
	if (!a->cfg.quiet)
		log_printf("info",
			  "agent: %zu profiles, %" PRIu64 " samples in the interval; totals: "
			  "%" PRIu64 " samples, %" PRIu64 " lost, %" PRIu64 " stack errors, %" PRIu64
			  " filtered, %" PRIu64 " over the stack cap, %" PRIu64 " emit errors; "
			  "symbols: %" PRIu64 " processes, %" PRIu64 " binaries, %.1f MB",
			  n, a->st.samples - a->last_samples, a->st.samples, a->st.lost,
			  a->st.stack_errors, a->st.filtered, a->st.over_cap, a->st.emit_errors,
			  ss.procs, ss.binaries, (double)ss.cache_bytes / 1e6);
	a->last_samples = a->st.samples;
	a->start = now;
}

/* Intervals are scheduled on the monotonic clock (a wall clock stepped back
 * must not stall profiles); profiles are stamped with the wall clock. */
int agent_run(struct agent *a, struct err *e)
{
	int64_t now = mono_ns(), next = now + a->cfg.interval, tick = now + POLL_NS;
	int rc = 0;

	while (!atomic_load(&a->stop)) {
		int64_t until = tick < next ? tick : next;
		int ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;

		/* Returns early only for a new process (see sampler_poll). */
		if ((rc = sampler_poll(a->sampler, ms, e)) < 0)
			break;
		rc = 0;
		now = mono_ns();
		if (now >= tick)
			tick = now + POLL_NS;
		if (now >= next) {
			interval_end(a, now_ns());
			next += a->cfg.interval;
			if (next <= now)  /* suspended, or far behind: restart */
				next = now + a->cfg.interval;
		}
	}
	sampler_poll(a->sampler, 0, NULL);
	interval_end(a, now_ns());
	return rc;
}

void agent_stop(struct agent *a)
{
	atomic_store(&a->stop, 1);
}

const struct scrape_job *agent_config_job(const struct scrape_config *c)
{
	size_t i;

	for (i = 0; c && i < c->njobs; i++)
		if (!strcmp(c->jobs[i].job_name, AGENT_JOB_NAME))
			return &c->jobs[i];
	return NULL;
}

void agent_get_stats(const struct agent *a, struct agent_stats *st)
{
	*st = a->st;
}

int agent_new(const struct agent_config *c, struct agent **out, struct err *e)
{
	struct agent *a = xcalloc(1, sizeof(*a));
	struct sampler_config sc = {0};
	int rc;

	a->cfg = *c;
	if (!a->cfg.frequency)
		a->cfg.frequency = DEFAULT_FREQUENCY;
	if (a->cfg.interval <= 0)
		a->cfg.interval = DEFAULT_INTERVAL;
	if (!a->cfg.max_stacks)
		a->cfg.max_stacks = DEFAULT_MAX_STACKS;
	a->period = AGENT_NS_PER_SEC / a->cfg.frequency;
	if (c->node)
		snprintf(a->node, sizeof(a->node), "%s", c->node);
	else if (gethostname(a->node, sizeof(a->node) - 1) < 0)
		a->node[0] = '\0';
	u64map_init(&a->pidx, 256);
	a->gkeys = intern_new(64);
	if (c->nrelabel && (rc = relabel_compile(c->relabel, c->nrelabel, &a->relabel, e)) < 0)
		goto fail;
	if (!(a->sym = symbolizer_new(e))) {
		rc = e ? e->code : -ENOMEM;
		goto fail;
	}
	symbolizer_set_cache_cap(a->sym, a->cfg.symbol_cache ? a->cfg.symbol_cache
							     : AGENT_SYMBOL_CACHE,
				 SYMBOLIZER_CACHE_BINARIES);
	sc.frequency = a->cfg.frequency;
	sc.self_pid = c->profile_self ? 0 : getpid();
	sc.pids = c->pids;
	sc.npids = c->npids;
	if ((rc = sampler_open(&sc, on_sample, a, &a->sampler, e)) < 0)
		goto fail;
	a->start = now_ns();
	*out = a;
	return 0;
fail:
	agent_free(a);
	return rc;
}

void agent_free(struct agent *a)
{
	size_t i;

	if (!a)
		return;
	sampler_close(a->sampler);
	for (i = 0; i < a->ngroups; i++)
		group_release(&a->groups[i]);
	free(a->groups);
	intern_free(a->gkeys);
	for (i = 0; i < a->nprocs; i++) {
		procinfo_release(&a->procs[i].info);
		labelset_release(&a->procs[i].labels);
	}
	relabel_free(a->relabel);
	free(a->procs);
	u64map_release(&a->pidx);
	symbolizer_free(a->sym);
	free(a);
}
