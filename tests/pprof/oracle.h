/* oracle.h: `go tool pprof` as the reference in C tests.
 *
 * Header-only (static functions) for the unit tests that compare our
 * output with pprof's own reading of it. go is a declared dependency
 * (scripts/deps.sh), so a missing go is a test failure, not a skip. */
#ifndef STACKYARD_TESTS_ORACLE_H
#define STACKYARD_TESTS_ORACLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/buf.h"

static inline int have_go(void)
{
	return system("go version >/dev/null 2>&1") == 0;
}

/* Output of `go tool pprof -raw ARGS` (ARGS is shell text: quote paths),
 * or NULL after printing the failure. Caller frees. */
static inline char *pprof_raw(const char *args)
{
	char cmd[2048], tmp[4096];
	struct buf out = BUF_INIT;
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "go tool pprof -raw %s 2>&1", args);
	f = popen(cmd, "r");
	if (!f)
		return NULL;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&out, tmp, n);
	if (pclose(f) != 0) {
		fprintf(stderr, "%s: %s\n", cmd, out.data ? (char *)out.data : "");
		buf_release(&out);
		return NULL;
	}
	return (char *)buf_detach(&out, NULL);
}

/* Drop the mapping flags ("[FN]") from -raw output: our encoder raises
 * them where locations are symbolized, pprof's keeps what it read. */
static inline void strip_mapping_flags(char *s)
{
	char *p = strstr(s, "\nMappings\n"), *q;

	while (p && (p = strchr(p, '[')) && (q = strchr(p, ']')))
		memmove(p, q + 1, strlen(q + 1) + 1);
}

#endif
