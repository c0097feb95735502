/* libFuzzer target: sandwich_build() on any tree and function name. The
 * input is a function name (first line) and folded stacks (the rest),
 * parsed by the real folded parser. Whatever they are, the callers and
 * callees trees each total the function's cumulative value as top counts
 * it (recursion once), the number of outermost calls is zero exactly when
 * that value is zero and the function is absent, and the input tree is
 * unchanged. Also feeds the first line to ui_accepts_gzip(), the other
 * parser of untrusted text in the UI's code path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pprof/folded.h"
#include "../../src/query/sandwich.h"
#include "../../src/query/top.h"
#include "../../src/ui/ui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t root_total(const struct stacktree *t)
{
	size_t n;

	return stacktree_nodes(t, &n)[0].total;
}

/* fn's cum by top, an independent count (0 when absent). */
static int64_t top_cum(const struct pprof_profile *p, const char *fn, size_t len)
{
	struct top *t = top_new();
	const struct top_row *r;
	int64_t cum = 0;
	size_t n, i, l;

	top_add_pprof(t, p, 0);
	r = top_rows(t, &n);
	for (i = 0; i < n; i++) {
		const char *s = top_name(t, r[i].name, &l);
		if (l == len && !memcmp(s, fn, len))
			cum = r[i].cum;
	}
	top_free(t);
	return cum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct folded_opts fo = {0};
	struct pprof_profile *p = NULL;
	struct stacktree *t, *up, *down;
	struct err e = {0};
	size_t fl, nodes_before, nodes_after, calls;
	char *fn;

	if (!nl)
		return 0;
	fl = (size_t)(nl - data);
	fn = malloc(fl + 1);
	memcpy(fn, data, fl);
	fn[fl] = '\0';
	(void)ui_accepts_gzip(fn);
	fo.max_lines = 1000;
	fo.max_depth = 64;
	if (folded_parse(nl + 1, size - fl - 1, &fo, &p, &e) < 0) {
		free(fn);
		return 0;
	}
	t = stacktree_new();
	up = stacktree_new();
	down = stacktree_new();
	stacktree_add_pprof(t, p, 0);
	(void)stacktree_nodes(t, &nodes_before);
	calls = sandwich_build(t, fn, fl, up, down);
	(void)stacktree_nodes(t, &nodes_after);
	if (nodes_before != nodes_after)
		abort();
	if (root_total(up) != root_total(down) || root_total(up) != top_cum(p, fn, fl))
		abort();
	if (!calls && root_total(up))
		abort();
	stacktree_free(t);
	stacktree_free(up);
	stacktree_free(down);
	pprof_free(p);
	free(fn);
	return 0;
}
