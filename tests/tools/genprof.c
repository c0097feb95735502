/* genprof: a deterministic generator of realistic Go-like pprof profiles.
 *
 *   genprof [--seed N] [--samples N] [--depth N] [--functions N]
 *           [--sample-types K] [--labels|--no-labels] [--inline|--no-inline]
 *           [--sparse-ids] [-o FILE]
 *
 * The "program" (function names, files, call graph, call sites, which
 * locations carry inlined frames) depends only on --functions and --inline,
 * so profiles taken with different seeds describe the same program, as a
 * series of profiles of one service would: merging them exercises identity by
 * content. The seed drives everything that differs between two profiles of
 * the same program: the sampled stacks, their values and labels, the order in
 * which functions and locations are first seen (hence their ids), time_nanos,
 * and with --sparse-ids the random 64-bit ids.
 *
 * Stacks start at runtime.goexit, go through one of a few entry points
 * (runtime.main -> main.main, net/http.(*conn).serve, a worker pool) and then
 * walk the fixed call graph, preferring each function's first callees so that
 * prefixes are shared. Their depth varies around --depth; about one stack in
 * ten recurses (a function appears twice); some end in runtime leaves. About
 * 10% of locations hold 2-3 lines (inlined frames).
 *
 * Sample types, in order (K of them): samples/count, cpu/nanoseconds,
 * wall/nanoseconds, alloc_objects/count, alloc_space/bytes,
 * inuse_objects/count, inuse_space/bytes, then extraN/count. cpu equals
 * samples * period (period_type cpu/nanoseconds, period 10 ms). With K >= 3
 * default_sample_type is "cpu" (not the last type), so the default rule is
 * exercised. Output is gzipped profile.proto, to stdout unless -o. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/base/xalloc.h"
#include "../../src/pprof/encode.h"
#include "../../src/pprof/profile.h"

#define NONE UINT32_MAX
#define PERIOD 10000000LL
#define MAX_SITES 4

/* ---- PRNG: splitmix64 ---------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

/* Uniform in [0, n), n > 0. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability num/den. */
static int rng_chance(struct rng *r, uint32_t num, uint32_t den)
{
	return rng_below(r, den) < num;
}

/* ---- the program: functions, call sites, call graph ---------------------- */

struct pfunc {
	char name[160];
	char file[160];
	int64_t start_line;
	uint32_t nsite;       /* locations (call sites) in this function */
	uint32_t loc_base;    /* first program location */
	uint32_t ncallee;
	uint32_t callee[5];
};

struct ploc {
	uint32_t func;        /* physical function */
	uint32_t ninl;        /* inlined callees, innermost first */
	uint32_t inl[2];
	uint64_t address;
	int64_t line;
};

/* Fixed functions at the start of the table. */
enum {
	F_GOEXIT,
	F_RT_MAIN,
	F_MAIN_MAIN,
	F_HTTP_SERVE,
	F_POOL_RUN,
	F_MALLOCGC,
	F_MEMMOVE,
	F_SYSCALL,
	F_FUTEX,
	F_NANOTIME,
	F_NFIXED
};

static const char *const fixed_names[F_NFIXED][2] = {
	{"runtime.goexit", "/usr/lib/go-1.19/src/runtime/asm_amd64.s"},
	{"runtime.main", "/usr/lib/go-1.19/src/runtime/proc.go"},
	{"main.main", "/home/build/src/github.com/acme/svc/cmd/svc/main.go"},
	{"net/http.(*conn).serve", "/usr/lib/go-1.19/src/net/http/server.go"},
	{"github.com/acme/svc/worker.(*Pool).run.func1",
	 "/home/build/src/github.com/acme/svc/worker/pool.go"},
	{"runtime.mallocgc", "/usr/lib/go-1.19/src/runtime/malloc.go"},
	{"runtime.memmove", "/usr/lib/go-1.19/src/runtime/memmove_amd64.s"},
	{"syscall.Syscall", "/usr/lib/go-1.19/src/syscall/syscall_linux.go"},
	{"runtime.futex", "/usr/lib/go-1.19/src/runtime/sys_linux_amd64.s"},
	{"runtime.nanotime1", "/usr/lib/go-1.19/src/runtime/sys_linux_amd64.s"},
};

struct program {
	struct pfunc *f;
	uint32_t nf;
	struct ploc *l;
	uint32_t nl;
};

#define MAP_START 0x400000ULL

static void program_build(struct program *pg, uint32_t nf, uint32_t depth,
			  int inl)
{
	struct rng r = {0x5eedf00dULL ^ ((uint64_t)nf << 20)};
	uint32_t i, k, nl = 0, span;
	uint64_t addr = MAP_START + 0x1000;

	pg->nf = nf;
	pg->f = xcalloc(nf, sizeof(*pg->f));
	for (i = 0; i < nf; i++) {
		struct pfunc *f = &pg->f[i];

		if (i < F_NFIXED) {
			snprintf(f->name, sizeof(f->name), "%s", fixed_names[i][0]);
			snprintf(f->file, sizeof(f->file), "%s", fixed_names[i][1]);
		} else {
			uint32_t pkg = rng_below(&r, 40 + nf / 25);
			uint32_t ty = rng_below(&r, 12);
			uint32_t kind = rng_below(&r, 10);

			if (kind < 6)
				snprintf(f->name, sizeof(f->name),
					 "github.com/acme/svc/pkg%u.(*Type%u).Method%u",
					 pkg, ty, i);
			else if (kind < 8)
				snprintf(f->name, sizeof(f->name),
					 "github.com/acme/svc/pkg%u.func%u", pkg, i);
			else if (kind < 9)
				snprintf(f->name, sizeof(f->name),
					 "github.com/acme/svc/pkg%u.(*Type%u).Method%u.func%u",
					 pkg, ty, i, 1 + rng_below(&r, 3));
			else
				snprintf(f->name, sizeof(f->name),
					 "github.com/acme/lib/v%u/util.Helper%u",
					 2 + rng_below(&r, 3), i);
			snprintf(f->file, sizeof(f->file),
				 "/home/build/src/github.com/acme/svc/pkg%u/file%u.go",
				 pkg, ty);
		}
		f->start_line = 10 + (int64_t)rng_below(&r, 2000);
		f->nsite = 1 + rng_below(&r, MAX_SITES);
		f->loc_base = nl;
		nl += f->nsite;
	}

	/* Call graph: callees lie mostly "downstream" so that deep walks go
	 * through many distinct functions; the fixed leaves call nothing. */
	span = 2 * (nf - F_NFIXED) / (depth ? depth : 1);
	if (span < 2)
		span = 2;
	for (i = 0; i < nf; i++) {
		struct pfunc *f = &pg->f[i];

		if (i == F_MALLOCGC || i == F_MEMMOVE || i == F_SYSCALL ||
		    i == F_FUTEX || i == F_NANOTIME)
			continue;
		if (i == F_GOEXIT) {
			f->ncallee = 3;
			f->callee[0] = F_RT_MAIN;
			f->callee[1] = F_HTTP_SERVE;
			f->callee[2] = F_POOL_RUN;
			continue;
		}
		if (i == F_RT_MAIN) {
			f->ncallee = 1;
			f->callee[0] = F_MAIN_MAIN;
			continue;
		}
		f->ncallee = 2 + rng_below(&r, 4);
		for (k = 0; k < f->ncallee; k++) {
			uint32_t base = i < F_NFIXED ? F_NFIXED : i;
			uint32_t c = base + 1 + rng_below(&r, span);

			f->callee[k] = F_NFIXED + (c - F_NFIXED) % (nf - F_NFIXED);
		}
	}

	pg->nl = nl;
	pg->l = xcalloc(nl, sizeof(*pg->l));
	for (i = 0; i < nf; i++) {
		struct pfunc *f = &pg->f[i];

		for (k = 0; k < f->nsite; k++) {
			struct ploc *l = &pg->l[f->loc_base + k];

			l->func = i;
			l->address = addr + rng_below(&r, 0x40);
			addr += 0x40 + 16 * (uint64_t)rng_below(&r, 64);
			l->line = f->start_line + 1 + rng_below(&r, 120);
			if (inl && i >= F_NFIXED && rng_chance(&r, 1, 10)) {
				l->ninl = 1 + rng_below(&r, 2);
				l->inl[0] = F_NFIXED + rng_below(&r, nf - F_NFIXED);
				l->inl[1] = F_NFIXED + rng_below(&r, nf - F_NFIXED);
			}
		}
	}
}

static void program_free(struct program *pg)
{
	free(pg->f);
	free(pg->l);
}

/* ---- the profile ---------------------------------------------------------- */

struct gen {
	struct pprof_profile *p;
	const struct program *pg;
	uint32_t *fmap;    /* program function -> profile function, or NONE */
	uint32_t *lmap;    /* program location -> profile location, or NONE */
	uint32_t mapping;  /* profile mapping index */
};

static uint32_t gen_function(struct gen *g, uint32_t fi)
{
	const struct pfunc *pf = &g->pg->f[fi];
	struct pprof_function *f;
	uint32_t idx, name, file;

	if (g->fmap[fi] != NONE)
		return g->fmap[fi];
	name = pprof_intern_cstr(g->p, pf->name);
	file = pprof_intern_cstr(g->p, pf->file);
	idx = pprof_add_function(g->p);
	f = &g->p->function[idx];
	f->name = name;
	f->system_name = name;
	f->filename = file;
	f->start_line = pf->start_line;
	g->fmap[fi] = idx;
	return idx;
}

static uint32_t gen_location(struct gen *g, uint32_t li)
{
	const struct ploc *pl = &g->pg->l[li];
	uint32_t fn[3], nline = 0, idx, k;
	int64_t ln[3];

	if (g->lmap[li] != NONE)
		return g->lmap[li];
	/* Functions first: adding them must not move the location's lines. */
	for (k = 0; k < pl->ninl; k++) {
		const struct pfunc *inf = &g->pg->f[pl->inl[k]];

		fn[nline] = gen_function(g, pl->inl[k]);
		ln[nline] = inf->start_line + 1 + (int64_t)((pl->address >> 4) % 30);
		nline++;
	}
	fn[nline] = gen_function(g, pl->func);
	ln[nline] = pl->line;
	nline++;
	idx = pprof_add_location(g->p, nline);
	g->p->location[idx].mapping = g->mapping + 1;
	g->p->location[idx].address = pl->address;
	for (k = 0; k < nline; k++) {
		struct pprof_line *l = &g->p->line[g->p->location[idx].line_off + k];

		l->function = fn[k];
		l->line = ln[k];
	}
	g->lmap[li] = idx;
	return idx;
}

struct opts {
	uint64_t seed;
	uint32_t samples, depth, functions, sample_types;
	int labels, inl, sparse;
	const char *out;
};

static const char *const type_names[][2] = {
	{"samples", "count"},      {"cpu", "nanoseconds"},
	{"wall", "nanoseconds"},   {"alloc_objects", "count"},
	{"alloc_space", "bytes"},  {"inuse_objects", "count"},
	{"inuse_space", "bytes"},
};
#define NTYPE_NAMES (sizeof(type_names) / sizeof(type_names[0]))

static const char *const handlers[] = {
	"/api/v1/query", "/api/v1/push", "/metrics", "/debug/pprof/profile",
	"/api/v1/series",
};

/* A random stack, root first, as program locations. Returns its depth. */
static uint32_t gen_stack(const struct program *pg, struct rng *r,
			  uint32_t target, uint32_t *stack, uint32_t *funcs,
			  uint32_t cap)
{
	uint32_t n = 0, f = F_GOEXIT, next, c, k;
	int recursed = !rng_chance(r, 1, 9); /* ~11% of stacks recurse */
	uint32_t leaf_rt = rng_chance(r, 3, 10) ? 1 + rng_below(r, 2) : 0;

	if (target > cap)
		target = cap;
	if (leaf_rt >= target)
		leaf_rt = 0;
	for (;;) {
		const struct pfunc *pf = &pg->f[f];

		funcs[n] = f;
		if (n + 1 >= target - leaf_rt || pf->ncallee == 0) {
			stack[n++] = pf->loc_base + rng_below(r, pf->nsite);
			break;
		}
		/* The first callee 3 times in 4, then each next one half as
		 * often: hot paths, shared prefixes. */
		c = 0;
		if (rng_chance(r, 1, 4))
			for (c = 1; c + 1 < pf->ncallee && rng_chance(r, 1, 2); c++)
				;
		stack[n++] = pf->loc_base + c % pf->nsite;
		next = pf->callee[c];
		if (!recursed && n > 4 && rng_chance(r, 1, 12)) {
			/* Recursion: call back into an ancestor (not a fixed one). */
			k = 3 + rng_below(r, n - 3);
			if (funcs[k] >= F_NFIXED) {
				next = funcs[k];
				recursed = 1;
			}
		}
		f = next;
	}
	for (k = 0; k < leaf_rt && n < cap; k++) {
		static const uint32_t leaves[] = {F_MALLOCGC, F_MEMMOVE,
						  F_SYSCALL, F_FUTEX,
						  F_NANOTIME};
		const struct pfunc *pf = &pg->f[leaves[rng_below(r, 5)]];

		stack[n++] = pf->loc_base + rng_below(r, pf->nsite);
	}
	return n;
}

static void make_sparse_ids(struct pprof_profile *p, uint64_t key)
{
	uint32_t i;

	/* mix64 is a bijection, so distinct inputs give distinct ids; the
	 * three kinds use disjoint inputs (top bits) to be safe. */
	for (i = 0; i < p->nlocation; i++)
		p->location[i].id = mix64(key ^ (((uint64_t)1 << 62) | i));
	for (i = 0; i < p->nfunction; i++)
		p->function[i].id = mix64(key ^ (((uint64_t)2 << 62) | i));
	for (i = 0; i < p->nmapping; i++)
		p->mapping[i].id = mix64(key ^ (((uint64_t)3 << 62) | i));
	for (i = 0; i < p->nlocation; i++)
		if (!p->location[i].id)
			p->location[i].id = UINT64_MAX;
	for (i = 0; i < p->nfunction; i++)
		if (!p->function[i].id)
			p->function[i].id = UINT64_MAX;
	for (i = 0; i < p->nmapping; i++)
		if (!p->mapping[i].id)
			p->mapping[i].id = UINT64_MAX;
}

static struct pprof_profile *generate(const struct opts *o)
{
	struct program pg;
	struct gen g;
	struct rng r = {o->seed * 0x2545f4914f6cdd1dULL + 0x1234567ULL};
	struct pprof_profile *p = pprof_new();
	uint32_t cap = o->depth + o->depth / 3 + 8;
	uint32_t *stack = xmalloc(cap * sizeof(*stack));
	uint32_t *funcs = xmalloc(cap * sizeof(*funcs));
	uint32_t *locs = xmalloc(cap * sizeof(*locs));
	int64_t *vals = xcalloc(o->sample_types, sizeof(*vals));
	uint32_t t, i, k, m;
	uint32_t k_handler = 0, k_bytes = 0, u_bytes = 0, hv[5];
	struct pprof_mapping *mp;
	char buf[64];

	program_build(&pg, o->functions, o->depth, o->inl);
	g.p = p;
	g.pg = &pg;
	g.fmap = xmalloc(pg.nf * sizeof(*g.fmap));
	g.lmap = xmalloc(pg.nl * sizeof(*g.lmap));
	memset(g.fmap, 0xff, pg.nf * sizeof(*g.fmap));
	memset(g.lmap, 0xff, pg.nl * sizeof(*g.lmap));

	for (t = 0; t < o->sample_types; t++) {
		if (t < NTYPE_NAMES) {
			pprof_add_sample_type(p, type_names[t][0], type_names[t][1]);
		} else {
			snprintf(buf, sizeof(buf), "extra%u", t);
			pprof_add_sample_type(p, buf, "count");
		}
	}
	p->period_type.type = pprof_intern_cstr(p, "cpu");
	p->period_type.unit = pprof_intern_cstr(p, "nanoseconds");
	p->period = PERIOD;
	p->duration_nanos = 10LL * 1000000000LL;
	p->time_nanos = 1764054000LL * 1000000000LL +
			(int64_t)(o->seed % 100000) * 10000000000LL +
			(int64_t)(mix64(o->seed) % 1000000000ULL);
	if (o->sample_types >= 3)
		p->default_sample_type = pprof_intern_cstr(p, "cpu");

	m = pprof_add_mapping(p);
	g.mapping = m;
	{
		uint32_t fname = pprof_intern_cstr(p, "/usr/bin/svc");
		uint32_t bid = pprof_intern_cstr(
			p, "7a3f9c1e5d2b8a4f6e0c9d1b3a5f7e2c4d6b8a0f");

		mp = &p->mapping[m];
		mp->start = MAP_START;
		mp->limit = MAP_START + 0x4000000ULL;
		mp->offset = 0;
		mp->filename = fname;
		mp->build_id = bid;
	}
	if (o->labels) {
		k_handler = pprof_intern_cstr(p, "handler");
		k_bytes = pprof_intern_cstr(p, "bytes");
		u_bytes = pprof_intern_cstr(p, "bytes");
		for (k = 0; k < 5; k++)
			hv[k] = pprof_intern_cstr(p, handlers[k]);
	}

	for (i = 0; i < o->samples; i++) {
		uint32_t jitter = o->depth / 4;
		uint32_t target = o->depth - jitter + rng_below(&r, 2 * jitter + 1);
		uint32_t n, nlab = 0, lo;
		int has_handler = 0, has_bytes = 0;
		int64_t count;
		size_t si;

		if (target < 2)
			target = 2;
		n = gen_stack(&pg, &r, target, stack, funcs, cap);
		for (k = 0; k < n; k++) /* leaf first */
			locs[k] = gen_location(&g, stack[n - 1 - k]);

		/* Mostly 1, a heavy tail. */
		count = 1;
		while (count < 64 && rng_chance(&r, 1, 3))
			count *= 2;
		count += rng_below(&r, (uint32_t)count);
		for (t = 0; t < o->sample_types; t++) {
			switch (t) {
			case 0: vals[t] = count; break;
			case 1: vals[t] = count * PERIOD; break;
			case 2:
				vals[t] = count * PERIOD +
					  (int64_t)rng_below(&r, 4) * PERIOD;
				break;
			case 3:
			case 5:
				vals[t] = t == 5 && rng_chance(&r, 1, 2)
						  ? 0
						  : (int64_t)(1 + rng_below(&r, 5000));
				break;
			case 4:
			case 6:
				vals[t] = vals[t - 1] * (8 << rng_below(&r, 8));
				break;
			default:
				vals[t] = rng_below(&r, 1000);
				break;
			}
		}

		if (o->labels) {
			has_handler = rng_chance(&r, 2, 5);
			has_bytes = rng_chance(&r, 1, 5);
		}
		nlab = (uint32_t)has_handler + (uint32_t)has_bytes;
		si = pprof_add_sample(p, locs, n, vals, nlab);
		lo = p->sample[si].label_off;
		if (has_handler) {
			p->label[lo].key = k_handler;
			p->label[lo].str = hv[rng_below(&r, 5)];
			lo++;
		}
		if (has_bytes) {
			p->label[lo].key = k_bytes;
			p->label[lo].num = (int64_t)1 << (4 + rng_below(&r, 20));
			p->label[lo].num_unit = u_bytes;
		}
	}

	if (o->sparse)
		make_sparse_ids(p, mix64(o->seed ^ 0xa5a5a5a5deadbeefULL));

	free(g.fmap);
	free(g.lmap);
	free(stack);
	free(funcs);
	free(locs);
	free(vals);
	program_free(&pg);
	return p;
}

/* ---- command line ---------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: genprof [--seed N] [--samples N] [--depth N] "
	      "[--functions N]\n"
	      "               [--sample-types K] [--labels|--no-labels] "
	      "[--inline|--no-inline]\n"
	      "               [--sparse-ids] [-o FILE]\n"
	      "Writes a deterministic, realistic gzipped pprof profile "
	      "(stdout unless -o).\n"
	      "Defaults: seed 1, samples 1200, depth 30, functions 3000, "
	      "sample-types 2, labels and inline on.\n",
	      f);
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s) {
		fprintf(stderr, "genprof: %s needs a value\n", opt);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "genprof: %s: '%s' is not a number in [%" PRIu64
			", %" PRIu64 "]\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {1, 1200, 30, 3000, 2, 1, 1, 0, "-"};
	struct pprof_profile *p;
	struct err e = {0};
	uint8_t *data = NULL;
	size_t len = 0;
	uint64_t v;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(a, val, 0, UINT64_MAX, &o.seed))
				return 2;
			i++;
		} else if (!strcmp(a, "--samples")) {
			if (parse_u64(a, val, 0, 100000000, &v))
				return 2;
			o.samples = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--depth")) {
			if (parse_u64(a, val, 2, 4000, &v))
				return 2;
			o.depth = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--functions")) {
			if (parse_u64(a, val, 2 * F_NFIXED, 10000000, &v))
				return 2;
			o.functions = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--sample-types")) {
			if (parse_u64(a, val, 1, 64, &v))
				return 2;
			o.sample_types = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--labels")) {
			o.labels = 1;
		} else if (!strcmp(a, "--no-labels")) {
			o.labels = 0;
		} else if (!strcmp(a, "--inline")) {
			o.inl = 1;
		} else if (!strcmp(a, "--no-inline")) {
			o.inl = 0;
		} else if (!strcmp(a, "--sparse-ids")) {
			o.sparse = 1;
		} else if (!strcmp(a, "-o")) {
			if (!val) {
				fprintf(stderr, "genprof: -o needs a file name\n");
				return 2;
			}
			o.out = val;
			i++;
		} else {
			fprintf(stderr, "genprof: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}

	p = generate(&o);
	if (pprof_encode(p, &data, &len, &e) < 0) {
		fprintf(stderr, "genprof: encode: %s\n", e.msg);
		pprof_free(p);
		return 1;
	}
	pprof_free(p);
	if (file_write_atomic(o.out, data, len, &e) < 0) {
		fprintf(stderr, "genprof: %s\n", e.msg);
		free(data);
		return 1;
	}
	free(data);
	return 0;
}
