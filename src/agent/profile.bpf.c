// SPDX-License-Identifier: GPL-2.0
/* profile.bpf.c: one sample per CPU-clock tick (a per-CPU software perf
 * event at the configured frequency), with the kernel and user stacks
 * (frame pointers, walked by the kernel's bpf_get_stack), pid, tid, the
 * process name and cgroup, built in a per-CPU scratch record and copied to
 * a ring buffer with only the frames present. Userspace (sampler.c)
 * consumes the ring every 250 ms and aggregates; nothing is aggregated here,
 * so no hash map can collide or fill, and a process that exits between two
 * drains is still fully accounted for (OTEL's design, ebpf.md §1.6).
 *
 * Every tick that is not recorded is counted in `stats` by reason. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "sample.h"

#define EFAULT 14
#define PF_KTHREAD 0x00200000

char LICENSE[] SEC("license") = "GPL"; /* bpf_get_stack is GPL-only */

/* Set by userspace before load. */
const volatile __u32 self_pid = 0;      /* 0: profile the agent too */
const volatile __u8 filter_pids = 0;    /* 1: only pids in `pids` */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);  /* resized by userspace */
} samples SEC(".maps");

/* The record being built: too large for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_sample);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CPU_STAT_N);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* Processes already announced. The first tick of any other wakes userspace
 * at once, so that it reads the new process's maps while it lives: a
 * program that runs for a few milliseconds is still named. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} known SEC(".maps");

/* Per CPU: when it last woke userspace, and whether a new process is
 * waiting for a wakeup that was held back. Wakeups are at most one per
 * WAKE_GAP_NS per CPU, so a machine starting thousands of processes a
 * second does not wake the agent thousands of times; a held-back one is
 * sent by the first tick after the gap. */
#define WAKE_GAP_NS (20 * 1000 * 1000)
struct wake_state {
	__u64 last;
	__u64 pending;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wake_state);
} wakes SEC(".maps");

static __always_inline void count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);

	if (v)
		*v += 1;
}

/* Frames from a bpf_get_stack() result (bytes, or a negative errno),
 * masked so that the verifier knows the bound. */
static __always_inline __u32 frames(long n)
{
	return n > 0 ? (__u32)(n / sizeof(__u64)) & SAMPLE_MAX_DEPTH : 0;
}

/* BPF_RB_FORCE_WAKEUP for the first tick of a process not yet announced
 * (or the first tick after a held-back one), else BPF_RB_NO_WAKEUP. */
static __always_inline __u64 wake_flag(__u32 pid)
{
	struct wake_state *w;
	__u32 zero = 0;
	__u8 one = 1;
	__u64 now;

	w = bpf_map_lookup_elem(&wakes, &zero);
	if (!w)
		return BPF_RB_NO_WAKEUP;
	if (!bpf_map_lookup_elem(&known, &pid)) {
		bpf_map_update_elem(&known, &pid, &one, BPF_ANY);
		w->pending = 1;
	}
	if (!w->pending)
		return BPF_RB_NO_WAKEUP;
	now = bpf_ktime_get_ns();
	if (now - w->last < WAKE_GAP_NS)
		return BPF_RB_NO_WAKEUP;
	w->last = now;
	w->pending = 0;
	return BPF_RB_FORCE_WAKEUP;
}

SEC("perf_event")
int sample_cpu(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct task_struct *task;
	struct cpu_sample *s;
	__u32 zero = 0, nk, nu;
	__u64 wake;
	long n;

	if (pid == 0)  /* the idle task */
		return 0;
	if (pid == self_pid) {
		count(CPU_STAT_SELF);
		return 0;
	}
	if (filter_pids && !bpf_map_lookup_elem(&pids, &pid)) {
		count(CPU_STAT_FILTERED);
		return 0;
	}
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	s->pid = pid;
	s->tid = (__u32)id;
	s->cgroup_id = bpf_get_current_cgroup_id();
	BPF_CORE_READ_STR_INTO(&s->comm, task, group_leader, comm);
	s->flags = BPF_CORE_READ(task, flags) & PF_KTHREAD ? SAMPLE_KTHREAD : 0;

	/* -EFAULT: no kernel stack (the tick hit user mode). */
	n = bpf_get_stack(ctx, s->addr, SAMPLE_MAX_DEPTH * sizeof(__u64), 0);
	if (n < 0 && n != -EFAULT)
		count(CPU_STAT_KSTACK_ERR);
	nk = frames(n);
	n = bpf_get_stack(ctx, &s->addr[nk], SAMPLE_MAX_DEPTH * sizeof(__u64), BPF_F_USER_STACK);
	if (n < 0 && !(s->flags & SAMPLE_KTHREAD))
		count(CPU_STAT_USTACK_ERR);
	nu = frames(n);
	s->nkern = (__u16)nk;
	s->nuser = (__u16)nu;

	/* No wakeup but for a new process: userspace polls on a timer, so a
	 * tick costs no context switch (OTEL measured per-event wakeups at
	 * twice the agent's CPU). */
	wake = wake_flag(pid);
	if (bpf_ringbuf_output(&samples, s, SAMPLE_SIZE(nk + nu), wake) < 0) {
		count(CPU_STAT_LOST);
		return 0;
	}
	count(CPU_STAT_SAMPLES);
	return 0;
}
