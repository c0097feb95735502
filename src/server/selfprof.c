#include "selfprof.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../agent/symbolize.h"
#include "../base/intern.h"
#include "../base/xalloc.h"
#include "../pprof/encode.h"
#include "../pprof/profile.h"

#define NS_PER_S 1000000000LL
#define PERIOD_NS (NS_PER_S / SELFPROF_HZ)
#define MAX_FRAME_SPAN (8u << 20) /* a frame pointer this far above sp is garbage */

struct slot {
	uint32_t n;
	uint64_t sp_word;    /* the word at the interrupted sp (see fix_leaf) */
	uint64_t pc[SELFPROF_MAX_DEPTH];
};

/* Shared with the signal handler. The handler touches only these, with
 * atomics: slots and cap are set before armed and kept until active has
 * dropped to zero after armed was cleared. */
static struct {
	struct slot *slots;
	uint32_t cap;
	uint32_t next;     /* next free slot (may run past cap) */
	int armed;
	int active;        /* handlers running now */
	pid_t pid;
} g;

static int busy;                     /* a profile is running */
static struct symbolizer *symbols;   /* used only by the running profile */

/* ---- the signal handler ------------------------------------------------------- */

static void context_regs(const ucontext_t *uc, uint64_t *pc, uint64_t *fp, uint64_t *sp)
{
#if defined(__x86_64__)
	*pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	*fp = (uint64_t)uc->uc_mcontext.gregs[REG_RBP];
	*sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	*pc = uc->uc_mcontext.pc;
	*fp = uc->uc_mcontext.regs[29];
	*sp = uc->uc_mcontext.sp;
#else
	(void)uc;
	*pc = *fp = *sp = 0;
#endif
}

/* len bytes at addr in this process, read without faulting. */
static int read_mem(uint64_t addr, void *out, size_t len)
{
	struct iovec local = {out, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};

	return process_vm_readv(g.pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* A frame record {saved fp, return address}. */
static int read_frame(uint64_t fp, uint64_t fr[2])
{
	return read_mem(fp, fr, 2 * sizeof(uint64_t));
}

/* Frame pointers go up the stack: each saved fp is above the last, within
 * MAX_FRAME_SPAN of the interrupted sp, and aligned. */
static uint32_t walk(const ucontext_t *uc, uint64_t *pcs, uint64_t *sp_word)
{
	uint64_t pc, fp, sp, fr[2];
	uint32_t n = 0;

	context_regs(uc, &pc, &fp, &sp);
	if (!pc)
		return 0;
	if (read_mem(sp, sp_word, sizeof(*sp_word)) < 0)
		*sp_word = 0;
	pcs[n++] = pc;
	while (n < SELFPROF_MAX_DEPTH && fp >= sp && fp - sp < MAX_FRAME_SPAN && !(fp & 7)) {
		if (read_frame(fp, fr) < 0 || fr[1] < 4096)
			break;
		pcs[n++] = fr[1];
		if (fr[0] <= fp)
			break;
		fp = fr[0];
	}
	return n;
}

static void on_sigprof(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uint32_t i;

	(void)sig;
	(void)si;
	__atomic_add_fetch(&g.active, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&g.armed, __ATOMIC_SEQ_CST)) {
		i = __atomic_fetch_add(&g.next, 1, __ATOMIC_RELAXED);
		if (i < g.cap)
			g.slots[i].n = walk(uc, g.slots[i].pc, &g.slots[i].sp_word);
	}
	__atomic_sub_fetch(&g.active, 1, __ATOMIC_SEQ_CST);
	errno = saved;
}

/* The handler stays installed once set: a SIGPROF still in flight after a
 * profile must not meet the default action, which ends the process. */
static int install_err;

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigprof;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPROF, &sa, NULL) < 0)
		install_err = -errno;
}

/* ---- sampling ---------------------------------------------------------------------- */

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * NS_PER_S + t.tv_nsec;
}

static int set_timer(long usec)
{
	struct itimerval it = {{0, usec}, {0, usec}};

	return setitimer(ITIMER_PROF, &it, NULL);
}

/* Samples for `seconds`; returns the number of slots filled. */
static uint32_t sample(int seconds, int64_t *duration, struct err *e)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t want = (uint64_t)SELFPROF_HZ * (uint64_t)seconds * (uint64_t)(ncpu > 0 ? ncpu : 1) + 1024;
	struct timespec until;
	int64_t t0;
	uint32_t n;

	g.cap = want < SELFPROF_MAX_SAMPLES ? (uint32_t)want : SELFPROF_MAX_SAMPLES;
	g.slots = xcalloc(g.cap, sizeof(*g.slots));
	g.next = 0;
	g.pid = getpid();
	__atomic_store_n(&g.armed, 1, __ATOMIC_SEQ_CST);
	t0 = mono_ns();
	if (set_timer(PERIOD_NS / 1000) < 0) {
		err_set(e, -errno, "setitimer(ITIMER_PROF): %s", strerror(errno));
		__atomic_store_n(&g.armed, 0, __ATOMIC_SEQ_CST);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
	set_timer(0);
	__atomic_store_n(&g.armed, 0, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&g.active, __ATOMIC_SEQ_CST))
		sched_yield();
	*duration = mono_ns() - t0;
	n = __atomic_load_n(&g.next, __ATOMIC_SEQ_CST);
	return n < g.cap ? n : g.cap;
}

/* ---- the pprof ----------------------------------------------------------------------- */

struct builder {
	struct pprof_profile *p;
	struct intern *stacks, *locs, *funcs, *maps;
	int64_t *counts;
	size_t ncounts;
};

static uint32_t mapping_of(struct builder *b, const struct sym_mapping *m)
{
	struct pprof_mapping *pm;
	uint32_t id;
	int is_new;

	if (!m)
		return 0;
	id = intern_put(b->maps, &m->start, sizeof(m->start), &is_new);
	if (is_new) {
		uint32_t i = pprof_add_mapping(b->p);
		uint32_t file = pprof_intern_cstr(b->p, m->path ? m->path : "");
		uint32_t bid = pprof_intern_cstr(b->p, m->build_id ? m->build_id : "");
		pm = &b->p->mapping[i];
		pm->start = m->start;
		pm->limit = m->limit;
		pm->offset = m->offset;
		pm->filename = file;
		pm->build_id = bid;
	}
	return id + 1;
}

static uint32_t function_of(struct builder *b, const struct sym_frame *f)
{
	const char *name = f->function ? f->function : "??", *file = f->file ? f->file : "";
	struct buf k = BUF_INIT;
	uint32_t id;
	int is_new;

	buf_printf(&k, "%s%c%s", name, 0, file);
	id = intern_put(b->funcs, k.data, k.len, &is_new);
	buf_release(&k);
	if (is_new) {
		uint32_t i = pprof_add_function(b->p);
		uint32_t n = pprof_intern_cstr(b->p, name), fl = pprof_intern_cstr(b->p, file);
		b->p->function[i].name = n;
		b->p->function[i].system_name = n;
		b->p->function[i].filename = fl;
	}
	return id;
}

/* The location of addr; ret says it is a return address (every frame but
 * the leaf), symbolized as the call instruction before it. */
static uint32_t location_of(struct builder *b, struct symbolizer *sym, uint64_t addr, int ret)
{
	uint64_t key[2] = {addr, (uint64_t)ret};
	struct sym_loc sl = {0};
	struct err e = {0};
	uint32_t id, li, k, mi;
	int is_new;

	id = intern_put(b->locs, key, sizeof(key), &is_new);
	if (!is_new)
		return id;
	if ((ret ? symbolizer_user_ret : symbolizer_user)(sym, g.pid, addr, &sl, &e) < 0)
		sl = (struct sym_loc){.addr = addr};
	mi = mapping_of(b, sl.mapping);
	li = pprof_add_location(b->p, sl.nframes);
	b->p->location[li].address = addr;
	b->p->location[li].mapping = mi;
	for (k = 0; k < sl.nframes; k++) {
		uint32_t fi = function_of(b, &sl.frames[k]);
		struct pprof_line *l = &b->p->line[b->p->location[li].line_off + k];
		l->function = fi;
		l->line = sl.frames[k].line;
	}
	return li;
}

/* pprof takes the first mapping for the main binary: make it ours. */
static void main_mapping_first(struct builder *b, struct symbolizer *sym)
{
	struct sym_loc sl = {0};
	struct err e = {0};

	if (symbolizer_user(sym, g.pid, (uint64_t)(uintptr_t)&selfprof_cpu, &sl, &e) == 0)
		mapping_of(b, sl.mapping);
}

/* GCC keeps no frame in a leaf function that needs no stack, even with
 * -fno-omit-frame-pointer, and a sample taken in a function's prologue
 * sees no frame yet: then fp is still the caller's, and the walk skips the
 * caller. In both cases the word at sp is the return address into the
 * caller. It is taken as a frame when it follows a direct call (E8 rel32)
 * whose target is where the leaf runs: the call's target is at or below
 * the pc within 64 KiB, or (a call through the PLT into a library) the pc
 * is in another object than the call. x86-64 only. */
static void fix_leaf(struct slot *sl, struct symbolizer *sym)
{
#if defined(__x86_64__)
	uint64_t ret = sl->sp_word, target;
	struct sym_loc at_ret = {0}, at_pc = {0};
	struct err e = {0};
	uint8_t call[5];
	int32_t rel;

	if (!ret || (sl->n > 1 && sl->pc[1] == ret) || read_mem(ret - 5, call, sizeof(call)) < 0 ||
	    call[0] != 0xe8)
		return;
	memcpy(&rel, call + 1, sizeof(rel));
	target = ret + (uint64_t)(int64_t)rel;
	if (!(target <= sl->pc[0] && sl->pc[0] - target < 65536)) {
		if (symbolizer_user(sym, g.pid, ret, &at_ret, &e) < 0 || !at_ret.mapping ||
		    symbolizer_user(sym, g.pid, sl->pc[0], &at_pc, &e) < 0 || !at_pc.mapping ||
		    at_ret.mapping->start == at_pc.mapping->start)
			return;
	}
	if (sl->n == SELFPROF_MAX_DEPTH)
		sl->n--;
	memmove(&sl->pc[2], &sl->pc[1], (sl->n - 1) * sizeof(sl->pc[0]));
	sl->pc[1] = ret;
	sl->n++;
#else
	(void)sl;
	(void)sym;
#endif
}

static void count_stacks(struct builder *b, struct slot *slots, uint32_t n, struct symbolizer *sym)
{
	uint32_t i, id;

	for (i = 0; i < n; i++) {
		if (!slots[i].n)
			continue;
		fix_leaf(&slots[i], sym);
		id = intern_put(b->stacks, slots[i].pc, slots[i].n * sizeof(uint64_t), NULL);
		if (id >= b->ncounts) {
			size_t cap = b->ncounts;
			XGROW(b->counts, cap, (size_t)id + 1);
			memset(b->counts + b->ncounts, 0, (cap - b->ncounts) * sizeof(*b->counts));
			b->ncounts = cap;
		}
		b->counts[id]++;
	}
}

static void add_samples(struct builder *b, struct symbolizer *sym)
{
	uint32_t locs[SELFPROF_MAX_DEPTH], i, k, nstack = intern_count(b->stacks);

	for (i = 0; i < nstack; i++) {
		size_t len;
		const uint64_t *pcs = intern_key(b->stacks, i, &len);
		uint32_t n = (uint32_t)(len / sizeof(uint64_t));
		int64_t v[2] = {b->counts[i], b->counts[i] * PERIOD_NS};
		for (k = 0; k < n; k++)
			locs[k] = location_of(b, sym, pcs[k], k > 0);
		pprof_add_sample(b->p, locs, n, v, 0);
	}
}

static int build(uint32_t n, int64_t duration, uint8_t **out, size_t *len, struct err *e)
{
	struct builder b = {0};
	char note[96];
	int rc;

	if (!symbols && !(symbols = symbolizer_new(e)))
		return e->code;
	b.p = pprof_new();
	b.stacks = intern_new(1024);
	b.locs = intern_new(1024);
	b.funcs = intern_new(256);
	b.maps = intern_new(16);
	pprof_add_sample_type(b.p, "samples", "count");
	pprof_add_sample_type(b.p, "cpu", "nanoseconds");
	b.p->period_type.type = pprof_intern_cstr(b.p, "cpu");
	b.p->period_type.unit = pprof_intern_cstr(b.p, "nanoseconds");
	b.p->period = PERIOD_NS;
	b.p->duration_nanos = duration;
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		b.p->time_nanos = (int64_t)now.tv_sec * NS_PER_S + now.tv_nsec - duration;
	}
	main_mapping_first(&b, symbols);
	count_stacks(&b, g.slots, n, symbols);
	add_samples(&b, symbols);
	if (g.next > g.cap) {
		snprintf(note, sizeof(note), "%u samples dropped: more than %u in one profile",
			 g.next - g.cap, g.cap);
		pprof_add_comment(b.p, pprof_intern_cstr(b.p, note));
	}
	rc = pprof_encode(b.p, out, len, e);
	intern_free(b.stacks);
	intern_free(b.locs);
	intern_free(b.funcs);
	intern_free(b.maps);
	free(b.counts);
	pprof_free(b.p);
	return rc;
}

int selfprof_cpu(int seconds, uint8_t **out, size_t *len, struct err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int64_t duration = 0;
	uint32_t n;
	int rc;

	*out = NULL;
	*len = 0;
	if (seconds < 1 || seconds > SELFPROF_MAX_SECONDS)
		return err_set(e, -EINVAL, "seconds must be 1..%d", SELFPROF_MAX_SECONDS);
	if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQ_REL))
		return err_set(e, -EBUSY, "a CPU profile is already running; one at a time");
	pthread_once(&once, install);
	if (install_err) {
		rc = err_set(e, install_err, "sigaction(SIGPROF): %s", strerror(-install_err));
		goto out;
	}
	err_clear(e);
	n = sample(seconds, &duration, e);
	rc = e->code < 0 ? e->code : build(n, duration, out, len, e);
out:
	free(g.slots);
	g.slots = NULL;
	g.cap = 0;
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
	return rc;
}
