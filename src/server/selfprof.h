/* selfprof: the server's own CPU profile, as Go's /debug/pprof/profile.
 *
 * While a profile runs, a process-wide ITIMER_PROF timer sends SIGPROF
 * every 1/SELFPROF_HZ s of CPU time the process uses; the kernel delivers
 * it to a thread that is running, so busy threads are sampled in
 * proportion to their CPU. The handler walks that thread's frame pointers
 * (the build keeps them: -fno-omit-frame-pointer) from the interrupted
 * context into a slot of a preallocated buffer claimed with one atomic
 * add: no lock, no allocation, nothing that is not async-signal-safe.
 * Each frame is read with process_vm_readv(), which fails with EFAULT
 * instead of faulting, so a frame pointer that a library compiled without
 * them left holding garbage ends the walk rather than the process. A leaf
 * that keeps no frame (GCC's choice for leaves that need no stack) would
 * hide its caller: the word at sp is taken as the caller's return address
 * when it follows a call to where the leaf runs (selfprof.c, fix_leaf).
 *
 * When the time is up the timer stops, the handler is drained, and the
 * stacks are counted and symbolized with the agent's ELF symbolizer
 * (symbolize.h: mappings from /proc/self/maps, names from the binary's
 * .symtab/.dynsym), into a gzipped pprof with Go's CPU layout: sample
 * types samples/count and cpu/nanoseconds, period cpu/nanoseconds.
 *
 * One profile at a time (the timer and the buffer are per process). */
#ifndef STACKYARD_SERVER_SELFPROF_H
#define STACKYARD_SERVER_SELFPROF_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define SELFPROF_HZ 100
#define SELFPROF_MAX_DEPTH 64
#define SELFPROF_MAX_SECONDS 300
#define SELFPROF_MAX_SAMPLES 65536   /* a longer or busier profile drops the rest */

/* Profiles the process for `seconds` (1..SELFPROF_MAX_SECONDS) and returns
 * the gzipped pprof in *out (caller frees). -EBUSY when another profile is
 * running. */
int selfprof_cpu(int seconds, uint8_t **out, size_t *len, struct err *e);

#endif
