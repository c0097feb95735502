/* symbolize: sampled addresses -> mappings and (inlined) frames.
 *
 * The contract between the eBPF sampler (agent.c) and the symbolizers
 * (ELF .symtab/.dynsym, Go .gopclntab, /proc/kallsyms, /tmp/perf-PID.map,
 * demangling). Symbol tables are cached by build id (or by path, size and
 * mtime when a file has no build id), so a binary shared by many processes
 * is read once.
 *
 * Ownership: every pointer in a struct sym_loc (mapping, frames and the
 * strings they point to) is owned by the symbolizer and stays valid until
 * symbolizer_forget() of that pid (user frames) or symbolizer_free().
 * Callers copy what they keep longer (the agent interns into a pprof).
 *
 * A frame that cannot be named is not dropped: the location keeps its
 * mapping and address with nframes == 0, so pprof shows "module+0xoff".
 * Not thread-safe: one symbolizer per thread.
 */
#ifndef STACKYARD_AGENT_SYMBOLIZE_H
#define STACKYARD_AGENT_SYMBOLIZE_H

#include <stdint.h>
#include "../base/err.h"

struct sym_frame {
	const char *function;  /* demangled; NULL when unknown */
	const char *file;      /* NULL when unknown */
	int64_t line;          /* 0 when unknown */
};

struct sym_mapping {
	uint64_t start, limit;  /* [start, limit) in the process */
	uint64_t offset;        /* file offset of start */
	const char *path;       /* "/usr/bin/x", "[vdso]", "[kernel.kallsyms]" */
	const char *build_id;   /* lowercase hex; "" when none */
};

struct sym_loc {
	uint64_t addr;                     /* as sampled (process address) */
	const struct sym_mapping *mapping; /* NULL when no mapping covers addr */
	const struct sym_frame *frames;    /* innermost (inlined) first */
	uint32_t nframes;                  /* 0 when unnamed */
};

struct symbolizer;

/* NULL on error (e set). */
struct symbolizer *symbolizer_new(struct err *e);
void symbolizer_free(struct symbolizer *s); /* NULL is a no-op */

/* A user-space address of process pid. Re-reads /proc/PID/maps when addr
 * is not covered by a known mapping (dlopen, a JIT region), at most once
 * per 200 ms per process (a broken frame-pointer chain yields many such
 * addresses). Returns 0 and
 * fills out (possibly unnamed), or a negative errno when the process is gone
 * and was never seen (-ESRCH). */
int symbolizer_user(struct symbolizer *s, int pid, uint64_t addr,
		    struct sym_loc *out, struct err *e);

/* A kernel address, through /proc/kallsyms (read once, sorted). out is
 * always filled (mapping "[kernel.kallsyms]"). When kallsyms cannot be read
 * or hides addresses (no CAP_SYSLOG, kptr_restrict) the first call returns
 * that error (-EPERM, -EACCES, e says what is missing) and every call,
 * that one included, leaves kernel frames unnamed. */
int symbolizer_kernel(struct symbolizer *s, uint64_t addr, struct sym_loc *out,
		      struct err *e);

/* Like symbolizer_user() for a return address (every user frame but the
 * innermost of a stack): names the call instruction, addr - 1, so that the
 * line and the inlined frames are those of the call site, not of the next
 * statement. out->addr stays addr. */
int symbolizer_user_ret(struct symbolizer *s, int pid, uint64_t addr,
			struct sym_loc *out, struct err *e);

/* Counters for the agent's own metrics and the benchmark. */
struct symbolizer_stats {
	uint64_t lookups;      /* user + kernel calls */
	uint64_t cache_hits;   /* answered from a binary's address cache */
	uint64_t unnamed;      /* answers with nframes == 0 */
	uint64_t maps_reads;   /* /proc/PID/maps reads */
	uint64_t binaries_loaded, binaries_evicted;
	uint64_t binaries;     /* cached now */
	uint64_t cache_bytes;  /* their mapped files and tables */
	uint64_t procs;        /* processes known now */
};
void symbolizer_get_stats(const struct symbolizer *s,
			  struct symbolizer_stats *st);

/* Cap of the binary cache: binaries no live process maps are evicted,
 * least recently used first, while the cache holds more than max_bytes or
 * max_binaries. A binary mapped by a process not yet forgotten stays (the
 * pointers handed out for it must stay valid). Defaults below. */
#define SYMBOLIZER_CACHE_BYTES (256u << 20)
#define SYMBOLIZER_CACHE_BINARIES 256
void symbolizer_set_cache_cap(struct symbolizer *s, uint64_t max_bytes,
			      uint32_t max_binaries);

/* Where separate debug files are looked up by build id
 * (DIR/.build-id/xx/yyyy.debug) for binaries without .symtab; Debian's
 * debug packages install there. NULL or "" turns it off. Binaries already
 * cached keep what they found. */
#define SYMBOLIZER_DEBUG_DIR "/usr/lib/debug"
void symbolizer_set_debug_dir(struct symbolizer *s, const char *dir);

/* The process exited, or exec()ed (same pid, new image: the mappings last
 * read may still cover the new program's addresses): drop its mappings
 * (shared symbol tables stay cached by build id until symbolizer_free or
 * the cache cap evicts them). */
void symbolizer_forget(struct symbolizer *s, int pid);

#endif
