/* folded: Brendan Gregg's collapsed stacks, "root;caller;leaf 123\n".
 *
 * Parsing is a pure function over bytes. Each non-empty line is a stack,
 * frames separated by ';' root first, then whitespace, then a non-negative
 * integer count (the count is what follows the last space or tab). Lines
 * with equal stacks are summed. Blank lines and a trailing '\r' are
 * ignored. Errors name the line: "line 7: count is not an integer".
 *
 * The result is a profile with one sample type (type/unit as given, for
 * example "samples"/"count"), one function and one location per distinct
 * frame name, and one sample per distinct stack. */
#ifndef STACKYARD_PPROF_FOLDED_H
#define STACKYARD_PPROF_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "profile.h"

struct folded_opts {
	const char *type, *unit;        /* sample type; NULL = samples/count */
	size_t max_lines;               /* 0 = pprof_default_limits.max_samples */
	size_t max_depth;               /* 0 = pprof_default_limits.max_stack_depth */
};

int folded_parse(const uint8_t *data, size_t len, const struct folded_opts *o,
		 struct pprof_profile **out, struct err *e);

#endif
