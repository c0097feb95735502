/* libFuzzer target: scrape_targets_parse() (file_sd target files) on
 * arbitrary bytes. A failure must leave nothing and a message naming the
 * input; a success must hold valid groups (labels sorted and unique,
 * targets present), and be freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/scrape/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct static_config *g = (struct static_config *)1;
	struct err e = {0};
	size_t n = 7, i, k, total = 0;
	int rc;

	rc = scrape_targets_parse((const char *)data, size, "fuzz.json", &g, &n, &e);
	if (rc) {
		if (g || n || rc >= 0 || strncmp(e.msg, "fuzz.json", 9))
			abort();
		return 0;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < g[i].ntargets; k++)
			if (!g[i].targets[k] || !strchr(g[i].targets[k], ':'))
				abort();
		for (k = 1; k < g[i].nlabels; k++)
			if (strcmp(g[i].labels[k - 1].name, g[i].labels[k].name) >= 0)
				abort();
		total += g[i].ntargets;
	}
	if (total > 100000)
		abort();
	static_configs_free(g, n);
	return 0;
}
