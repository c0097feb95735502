/* bench_symbolize: symbolization throughput of the agent's symbolizer.
 *
 *   bench_symbolize [-n ADDRS] [-r ROUNDS] BINARY [ARG...]
 *
 * Starts BINARY under ptrace, so it stops at its first instruction with the
 * executable mapped (nothing of it runs), and symbolizes ADDRS (default
 * 200000) random addresses inside its functions through
 * symbolizer_user_ret(), the path the agent takes for every user frame:
 * /proc/PID/maps, the file-offset -> ELF address translation, the binary
 * cache, then Go's pclntab (when BINARY is a Go program) or ELF symbols.
 * The addresses are drawn from the functions the binary's own tables list
 * (pclntab, else .symtab/.dynsym), uniformly over functions.
 *
 * Phases, each timed with CLOCK_MONOTONIC and repeated ROUNDS times (best
 * and median reported; each cold round uses a new symbolizer):
 *   load   the first address: maps read, ELF and pclntab opened
 *   cold   the other addresses, every one a cache miss
 *   warm   all addresses again, every one from the address cache
 * plus the cache's size and the process's resident memory growth. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/agent/elfsym.h"
#include "../src/agent/pclntab.h"
#include "../src/agent/procmaps.h"
#include "../src/agent/symbolize.h"
#include "../src/base/err.h"
#include "../src/base/xalloc.h"
#include "bench.h"

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

/* A child stopped at exec: its executable mapped, none of it run. */
static pid_t spawn_stopped(char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) {
		fprintf(stderr, "bench_symbolize: %s did not start\n", argv[0]);
		return -1;
	}
	return pid;
}

/* Process address of ELF address vaddr of path in pid's mappings. */
static int to_process(const struct procmaps *m, const char *path,
		      const struct elfsym *elf, uint64_t vaddr, uint64_t *addr)
{
	size_t i, k;

	for (i = 0; i < elf->nsegs; i++) {
		const struct load_seg *g = &elf->segs[i];
		uint64_t off;

		if (vaddr < g->vaddr || vaddr - g->vaddr >= g->filesz)
			continue;
		off = vaddr - g->vaddr + g->offset;
		for (k = 0; k < m->n; k++) {
			const struct procmaps_entry *x = &m->v[k];

			if (!strcmp(x->path, path) && off >= x->offset &&
			    off - x->offset < x->end - x->start) {
				*addr = x->start + (off - x->offset);
				return 0;
			}
		}
	}
	return -ENOENT;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Function bounds [lo, hi) from the binary's tables. */
static size_t functions(const struct elfsym *elf, uint64_t **lo, uint64_t **hi,
			int *is_go)
{
	struct pclntab *t = NULL;
	size_t n = 0, i;

	*is_go = !pclntab_open(elf, &t, NULL);
	if (*is_go) {
		size_t nf = pclntab_nfunc(t);

		*lo = xmalloc(nf * sizeof(**lo));
		*hi = xmalloc(nf * sizeof(**hi));
		for (i = 0; i + 1 < nf; i++) {
			uint64_t a = pclntab_func_entry(t, i), b = pclntab_func_entry(t, i + 1);

			if (b > a + 1) {
				(*lo)[n] = a;
				(*hi)[n++] = b;
			}
		}
		pclntab_free(t);
		return n;
	}
	*lo = xmalloc((elf->nsyms + 1) * sizeof(**lo));
	*hi = xmalloc((elf->nsyms + 1) * sizeof(**hi));
	for (i = 0; i < elf->nsyms; i++) {
		if (elf->syms[i].size > 1) {
			(*lo)[n] = elf->syms[i].addr;
			(*hi)[n++] = elf->syms[i].addr + elf->syms[i].size;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	size_t naddr = 200000, rounds = 5, nfunc, i, r, named = 0, framesum = 0;
	uint64_t *lo, *hi, *addrs;
	double *load, *cold, *warm;
	struct symbolizer_stats st;
	struct procmaps maps;
	struct elfsym elf;
	struct err e = {0};
	int opt, fd, is_go;
	char *real;
	long rss0, rss1 = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+n:r:")) != -1) {
		if (opt == 'n')
			naddr = strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			rounds = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (optind >= argc || naddr < 2 || !rounds) {
		fprintf(stderr, "usage: bench_symbolize [-n ADDRS] [-r ROUNDS] BINARY [ARG...]\n");
		return 2;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || elfsym_open_fd(fd, argv[optind], 0, &elf, &e)) {
		fprintf(stderr, "bench_symbolize: %s: %s\n", argv[optind],
			fd < 0 ? strerror(errno) : e.msg);
		return 1;
	}
	close(fd);
	nfunc = functions(&elf, &lo, &hi, &is_go);
	if (!nfunc) {
		fprintf(stderr, "bench_symbolize: %s: no functions\n", argv[optind]);
		return 1;
	}
	/* The maps name the file by its real path (no symlinks). */
	real = realpath(argv[optind], NULL);
	pid = spawn_stopped(argv + optind);
	if (!real || pid < 0 || procmaps_read(pid, &maps, &e)) {
		fprintf(stderr, "bench_symbolize: %s\n", real ? e.msg : strerror(errno));
		if (pid > 0)
			kill(pid, SIGKILL);
		return 1;
	}
	addrs = xmalloc(naddr * sizeof(*addrs));
	for (i = 0; i < naddr; i++) {
		size_t f = next_rand() % nfunc;
		uint64_t va = lo[f] + next_rand() % (hi[f] - lo[f]);

		/* A return address: the symbolizer names va (addr - 1). */
		if (to_process(&maps, real, &elf, va, &addrs[i])) {
			fprintf(stderr, "bench_symbolize: %#llx is not mapped\n",
				(unsigned long long)va);
			kill(pid, SIGKILL);
			return 1;
		}
		addrs[i]++;
	}
	load = xcalloc(rounds, sizeof(*load));
	cold = xcalloc(rounds, sizeof(*cold));
	warm = xcalloc(rounds, sizeof(*warm));
	rss0 = rss_kb();
	for (r = 0; r < rounds; r++) {
		struct symbolizer *s = symbolizer_new(&e);
		struct sym_loc loc;
		double t0, t1, t2, t3;

		t0 = now();
		symbolizer_user_ret(s, pid, addrs[0], &loc, &e);
		t1 = now();
		for (i = 1; i < naddr; i++)
			symbolizer_user_ret(s, pid, addrs[i], &loc, &e);
		t2 = now();
		for (i = 0; i < naddr; i++) {
			symbolizer_user_ret(s, pid, addrs[i], &loc, &e);
			if (r == 0) {
				named += loc.nframes > 0;
				framesum += loc.nframes;
			}
		}
		t3 = now();
		load[r] = t1 - t0;
		cold[r] = t2 - t1;
		warm[r] = t3 - t2;
		if (r == rounds - 1) {
			symbolizer_get_stats(s, &st);
			rss1 = rss_kb();
		}
		symbolizer_free(s);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	qsort(load, rounds, sizeof(double), cmp_double);
	qsort(cold, rounds, sizeof(double), cmp_double);
	qsort(warm, rounds, sizeof(double), cmp_double);
	printf("binary: %s (%s, %zu functions, %.1f MB)\n", argv[optind],
	       is_go ? "Go pclntab" : "ELF symbols", nfunc, (double)elf.len / 1e6);
	printf("addresses: %zu random return addresses in its functions, %zu rounds; "
	       "%zu named (%.2f frames each with inlining)\n",
	       naddr, rounds, named, named ? (double)framesum / (double)named : 0.0);
	printf("load (first address: maps, ELF, tables)  best %8.2f ms  median %8.2f ms\n",
	       load[0] * 1e3, load[rounds / 2] * 1e3);
	printf("cold (cache misses)   best %10.0f addr/s  median %10.0f addr/s  (%.2f us/addr)\n",
	       (double)(naddr - 1) / cold[0], (double)(naddr - 1) / cold[rounds / 2],
	       cold[0] * 1e6 / (double)(naddr - 1));
	printf("warm (cache hits)     best %10.0f addr/s  median %10.0f addr/s  (%.3f us/addr)\n",
	       (double)naddr / warm[0], (double)naddr / warm[rounds / 2],
	       warm[0] * 1e6 / (double)naddr);
	printf("cache: %llu binaries, %.1f MB accounted (the mapped file included); "
	       "RSS +%.1f MB over the run\n",
	       (unsigned long long)st.binaries, (double)st.cache_bytes / 1e6,
	       (double)(rss1 - rss0) / 1024.0);
	free(load);
	free(cold);
	free(warm);
	free(addrs);
	free(lo);
	free(hi);
	procmaps_release(&maps);
	elfsym_release(&elf);
	free(real);
	return 0;
}
