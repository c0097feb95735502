/* sample: the record the BPF program (profile.bpf.c) writes to the ring
 * buffer for each CPU-clock tick, and the counters it keeps.
 *
 * Shared by the BPF side (types from vmlinux.h) and userspace (types from
 * <linux/types.h>); both see the same layout. addr[] holds the kernel stack
 * (nkern frames) then the user stack (nuser frames), each leaf first as
 * bpf_get_stack() returns them: the first is the interrupted instruction,
 * the rest are return addresses. Only the frames present are written to the
 * ring (SAMPLE_SIZE), so a typical tick takes a few hundred bytes, not 2 KiB.
 * Depth is capped at SAMPLE_MAX_DEPTH per stack, the kernel's default
 * kernel.perf_event_max_stack. */
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
	__u64 addr[2 * SAMPLE_MAX_DEPTH];
};

/* Bytes of a record with n frames in all. */
#define SAMPLE_HEADER_SIZE (sizeof(struct cpu_sample) - 2 * SAMPLE_MAX_DEPTH * sizeof(__u64))
#define SAMPLE_SIZE(n) (SAMPLE_HEADER_SIZE + (n) * sizeof(__u64))

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
