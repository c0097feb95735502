/* sample: the record the BPF program (profile.bpf.c) writes to the ring
 * buffer for each CPU-clock tick, and the counters it keeps.
 *
 * Shared by the BPF side (types from vmlinux.h) and userspace (types from
 * <linux/types.h>); both see the same layout. Stacks are leaf first, as
 * bpf_get_stack() returns them: [0] is the interrupted instruction, the
 * rest are return addresses. Depth is capped at SAMPLE_MAX_DEPTH, the
 * kernel's default kernel.perf_event_max_stack. */
#ifndef STACKYARD_AGENT_SAMPLE_H
#define STACKYARD_AGENT_SAMPLE_H

#define SAMPLE_MAX_DEPTH 127
#define SAMPLE_COMM_LEN 16

/* flags */
#define SAMPLE_KTHREAD 1u  /* a kernel thread: no user stack by nature */

struct cpu_sample {
	__u32 pid;                      /* thread group id (the process) */
	__u32 tid;
	__u64 cgroup_id;                /* cgroup v2 id (inode of its directory) */
	char comm[SAMPLE_COMM_LEN];     /* the process's (group leader's) name */
	__u16 nkern, nuser;             /* frames in kern[], user[] */
	__u32 flags;
	__u64 kern[SAMPLE_MAX_DEPTH];
	__u64 user[SAMPLE_MAX_DEPTH];
};

/* Per-CPU counters (an array map indexed by these). */
enum cpu_stat {
	CPU_STAT_SAMPLES,      /* ticks recorded */
	CPU_STAT_LOST,         /* ring buffer full: the tick is lost */
	CPU_STAT_KSTACK_ERR,   /* kernel stack could not be read (besides -EFAULT) */
	CPU_STAT_USTACK_ERR,   /* user stack could not be read (not a kthread) */
	CPU_STAT_FILTERED,     /* pid not asked for (--pid) */
	CPU_STAT_SELF,         /* the agent itself, skipped */
	CPU_STAT_N
};

#endif
