/* sampler: the BPF side of the agent, loaded and attached.
 *
 * sampler_open() loads profile.bpf.c (CO-RE, from the skeleton built into
 * the binary), opens a software CPU-clock perf event at `frequency` Hz on
 * every online CPU (pid -1: every task on that CPU), attaches the program
 * to each, and maps the ring buffer. sampler_poll() hands every record
 * waiting in the ring to the callback, in the caller's thread.
 *
 * Where BPF or perf events are not permitted, sampler_open() fails with one
 * message that names what is missing (root, CAP_BPF/CAP_PERFMON,
 * kernel.perf_event_paranoid, kernel BTF).
 *
 * Ownership: the record passed to the callback lives in the ring buffer and
 * is valid only during the call. sampler_close(NULL) is a no-op. */
#ifndef STACKYARD_AGENT_SAMPLER_H
#define STACKYARD_AGENT_SAMPLER_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "sample.h"

struct sampler_config {
	unsigned frequency;   /* Hz, 1..SAMPLER_MAX_FREQUENCY */
	int self_pid;         /* never sampled; 0 = none */
	const int *pids;      /* when npids > 0, only these processes */
	size_t npids;         /* at most SAMPLER_MAX_PIDS */
};

#define SAMPLER_MAX_FREQUENCY 10000
#define SAMPLER_MAX_PIDS 1024

typedef void (*sampler_fn)(void *ctx, const struct cpu_sample *s);

struct sampler;

int sampler_open(const struct sampler_config *c, sampler_fn fn, void *ctx,
		 struct sampler **out, struct err *e);
void sampler_close(struct sampler *s);

/* Waits up to timeout_ms (0: not at all) for the first tick of a process
 * not seen before (the BPF side wakes the ring only for those), then
 * consumes every record waiting. Returns how many, or a negative errno. */
int sampler_poll(struct sampler *s, int timeout_ms, struct err *e);

/* The BPF counters summed over CPUs (enum cpu_stat). */
void sampler_stats(const struct sampler *s, uint64_t out[CPU_STAT_N]);

/* CPUs with an attached event. */
unsigned sampler_ncpus(const struct sampler *s);

#endif
