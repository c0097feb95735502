/* genregress: a set of pprof files of one generated program with realistic
 * noise (regress_gen.h), optionally with a regression of known size.
 *
 *   genregress [--program N] [--seed N] [--profiles N] [--samples N]
 *              [--sigma S] [--type cpu|heap|goroutine|mutex|block]
 *              [--inject NAME | --inject-rank R] [--by DELTA]
 *              [--time T0] -o PREFIX
 *
 * Writes PREFIX-0001.pb.gz ... PREFIX-NNNN.pb.gz, one profile each, ten
 * seconds apart from T0 (Unix seconds). --program fixes the program
 * (names, stacks, weights): give base and target the same --program and
 * different --seed. --inject makes function NAME's expected self share
 * grow by --by (default 0.05: five points of the total); --inject-rank R
 * picks the function with the R-th largest self share (0 = largest). The
 * injected function's name is printed on standard output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/pprof/encode.h"
#include "../../src/pprof/profile.h"
#include "regress_gen.h"

/* Sample types per kind and each one's value per sample. */
static const struct kind {
	const char *name;
	const char *period_type, *period_unit;
	int64_t period;
	int ntypes;
	const char *types[4][2];
	int64_t per_sample[4];
} kinds[] = {
	{"cpu", "cpu", "nanoseconds", 10000000, 2,
	 {{"samples", "count"}, {"cpu", "nanoseconds"}}, {1, 10000000}},
	{"heap", "space", "bytes", 524288, 4,
	 {{"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"},
	  {"inuse_space", "bytes"}}, {3, 4096, 1, 1024}},
	{"goroutine", "goroutine", "count", 1, 1, {{"goroutine", "count"}}, {1}},
	{"mutex", "contentions", "count", 1, 2,
	 {{"contentions", "count"}, {"delay", "nanoseconds"}}, {1, 150000}},
	{"block", "contentions", "count", 1, 2,
	 {{"contentions", "count"}, {"delay", "nanoseconds"}}, {1, 2500000}},
};

struct gopts {
	uint64_t program, seed;
	int profiles, samples;
	double sigma, by;
	const struct kind *kind;
	const char *inject, *out;
	int inject_rank;
	int64_t t0;
};

static int usage(void)
{
	fputs("usage: genregress [--program N] [--seed N] [--profiles N] [--samples N]\n"
	      "                  [--sigma S] [--type cpu|heap|goroutine|mutex|block]\n"
	      "                  [--inject NAME | --inject-rank R] [--by DELTA] [--time T0]\n"
	      "                  -o PREFIX\n", stderr);
	return 2;
}

static struct pprof_profile *build(const struct rg_prog *prog, const int64_t *counts,
				   const struct gopts *o, int64_t ts)
{
	const struct kind *k = o->kind;
	struct pprof_profile *p = pprof_new();
	uint32_t loc[RG_FUNCS], stack[RG_DEPTH];
	int64_t values[4];
	int f, s, d, t;

	pprof_intern_cstr(p, "");
	for (t = 0; t < k->ntypes; t++)
		pprof_add_sample_type(p, k->types[t][0], k->types[t][1]);
	p->period_type.type = pprof_intern_cstr(p, k->period_type);
	p->period_type.unit = pprof_intern_cstr(p, k->period_unit);
	p->period = k->period;
	p->time_nanos = ts;
	p->duration_nanos = 10000000000LL;
	for (f = 0; f < RG_FUNCS; f++) {
		uint32_t fn = pprof_add_function(p), l;
		p->function[fn].name = pprof_intern_cstr(p, prog->name[f]);
		p->function[fn].system_name = p->function[fn].name;
		p->function[fn].filename = pprof_intern_cstr(p, "main.go");
		l = pprof_add_location(p, 1);
		p->location[l].address = 0x401000 + (uint64_t)f * 64;
		p->line[p->location[l].line_off].function = fn;
		p->line[p->location[l].line_off].line = 10 + f;
		loc[f] = l;
	}
	for (s = 0; s < prog->nstack; s++) {
		if (!counts[s])
			continue;
		for (d = 0; d < prog->depth[s]; d++)
			stack[d] = loc[prog->frames[s][prog->depth[s] - 1 - d]];
		for (t = 0; t < k->ntypes; t++)
			values[t] = counts[s] * k->per_sample[t];
		pprof_add_sample(p, stack, (uint32_t)prog->depth[s], values, 0);
	}
	return p;
}

static int write_set(const struct rg_prog *prog, const struct gopts *o)
{
	struct rg_rng rng = {o->seed * 2654435761ULL + 1};
	int64_t counts[RG_STACKS];
	char path[4096];
	struct err e = {0};
	int i;

	for (i = 0; i < o->profiles; i++) {
		struct pprof_profile *p;
		uint8_t *gz;
		size_t len;
		rg_profile(prog, &rng, o->sigma, o->samples, counts);
		p = build(prog, counts, o, (o->t0 + (int64_t)i * 10) * 1000000000LL);
		snprintf(path, sizeof(path), "%s-%04d.pb.gz", o->out, i + 1);
		if (pprof_encode(p, &gz, &len, &e) < 0 || file_write_atomic(path, gz, len, &e) < 0) {
			fprintf(stderr, "genregress: %s: %s\n", path, e.msg);
			pprof_free(p);
			return 1;
		}
		free(gz);
		pprof_free(p);
	}
	return 0;
}

static int parse(int argc, char **argv, struct gopts *o)
{
	int i;
	size_t k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--program"))
			o->program = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--seed"))
			o->seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--profiles"))
			o->profiles = atoi(v);
		else if (!strcmp(a, "--samples"))
			o->samples = atoi(v);
		else if (!strcmp(a, "--sigma"))
			o->sigma = atof(v);
		else if (!strcmp(a, "--by"))
			o->by = atof(v);
		else if (!strcmp(a, "--inject"))
			o->inject = v;
		else if (!strcmp(a, "--inject-rank"))
			o->inject_rank = atoi(v);
		else if (!strcmp(a, "--time"))
			o->t0 = strtoll(v, NULL, 10);
		else if (!strcmp(a, "-o"))
			o->out = v;
		else if (!strcmp(a, "--type")) {
			for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k].name, v); k++)
				;
			if (k == sizeof(kinds) / sizeof(kinds[0]))
				return usage();
			o->kind = &kinds[k];
		} else {
			return usage();
		}
	}
	return o->out && o->profiles > 0 && o->samples > 0 ? 0 : usage();
}

int main(int argc, char **argv)
{
	struct gopts o = {1, 1, 30, 1000, 0.15, 0.05, &kinds[0], NULL, NULL, -1, 1795600800};
	struct rg_prog prog;
	int f = -1;

	if (parse(argc, argv, &o))
		return 2;
	rg_program(&prog, o.program);
	if (o.inject) {
		for (f = 0; f < RG_FUNCS && strcmp(prog.name[f], o.inject); f++)
			;
		if (f == RG_FUNCS || rg_self_share(&prog, f) <= 0) {
			fprintf(stderr, "genregress: no leaf function '%s' in program %" PRIu64 "\n",
				o.inject, o.program);
			return 2;
		}
	} else if (o.inject_rank >= 0) {
		f = rg_by_rank(&prog, o.inject_rank);
	}
	if (f >= 0) {
		printf("%s\n", prog.name[f]);
		rg_inject(&prog, f, o.by);
	}
	return write_set(&prog, &o);
}
