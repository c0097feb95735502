/* synth: CPU profiles with symbols of their own, for the store tests of
 * the store-wide registries (paths and locations that only some blocks
 * have). Header-only, static inline, like tests/pprof/pbtest.h. */
#ifndef STACKYARD_TESTS_STORE_SYNTH_H
#define STACKYARD_TESTS_STORE_SYNTH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/pprof/profile.h"

/* The sample and period types of Go's CPU profiles (etcd-cpu.pb.gz), so
 * that pprof_merge takes these together with real ones. */
#define SYNTH_PERIOD 10000000

/* nstacks samples, each a stack of depth frames of its own under a shared
 * "main": functions "<prefix>.s<i>.d<k>", one location each, no mapping.
 * Sample i counts i + 1 samples of SYNTH_PERIOD ns. */
static inline struct pprof_profile *synth_profile(const char *prefix, uint32_t nstacks,
						  uint32_t depth)
{
	struct pprof_profile *p = pprof_new();
	uint32_t *locs = calloc((size_t)depth + 1, sizeof(*locs)), i, k;
	char name[128];

	pprof_add_sample_type(p, "samples", "count");
	pprof_add_sample_type(p, "cpu", "nanoseconds");
	p->period_type.type = pprof_intern_cstr(p, "cpu");
	p->period_type.unit = pprof_intern_cstr(p, "nanoseconds");
	p->period = SYNTH_PERIOD;
	for (i = 0; i <= depth * nstacks; i++) {
		uint32_t f = pprof_add_function(p), l = pprof_add_location(p, 1);
		if (i == depth * nstacks)
			snprintf(name, sizeof(name), "main");
		else
			snprintf(name, sizeof(name), "%s.s%u.d%u", prefix, i / depth, i % depth);
		p->function[f].name = pprof_intern_cstr(p, name);
		p->line[p->location[l].line_off].function = f;
		p->line[p->location[l].line_off].line = i == depth * nstacks ? 1 : (int64_t)i + 2;
	}
	for (i = 0; i < nstacks; i++) {
		int64_t v[2] = {(int64_t)i + 1, ((int64_t)i + 1) * SYNTH_PERIOD};
		for (k = 0; k < depth; k++)
			locs[k] = i * depth + k;
		locs[depth] = depth * nstacks;
		pprof_add_sample(p, locs, depth + 1, v, 0);
	}
	free(locs);
	return p;
}

#endif
