/* sat: saturating int64 arithmetic for sums of sample values.
 *
 * Values come from strangers' profiles: summed over many samples, profiles
 * and blocks they can pass INT64_MAX. Wrapping would show a huge cost as a
 * negative one (and is undefined behaviour); a sum that saturates stays at
 * the end of the scale where it belongs. Header-only. */
#ifndef STACKYARD_BASE_SAT_H
#define STACKYARD_BASE_SAT_H

#include <stdint.h>

static inline int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

#endif
