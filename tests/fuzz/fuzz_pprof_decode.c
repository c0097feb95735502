/* libFuzzer target: pprof_decode() on arbitrary bytes.
 *
 * Beyond "no crash, no leak, no UB" (the sanitizers), it checks the
 * decoder's contract: a failure leaves *out NULL with a message and one of
 * the documented codes; a success re-encodes (pprof_encode) and decodes
 * again to the same shape and values. Limits are tight so that the fuzzer
 * explores structure rather than allocation. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/encode.h"
#include "../../src/pprof/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const struct pprof_profile *a,
		       const struct pprof_profile *b)
{
	size_t i;

	if (a->nsample != b->nsample || a->nsample_type != b->nsample_type ||
	    a->nlocation != b->nlocation || a->nfunction != b->nfunction ||
	    a->nmapping != b->nmapping || a->nlabel != b->nlabel ||
	    a->nsample_loc != b->nsample_loc || a->nline != b->nline)
		abort();
	if (a->nsample && a->nsample_type &&
	    memcmp(a->value, b->value,
		   a->nsample * a->nsample_type * sizeof(int64_t)))
		abort();
	for (i = 0; i < a->nsample; i++)
		if (a->sample[i].nloc != b->sample[i].nloc ||
		    a->sample[i].nlabel != b->sample[i].nlabel)
			abort();
	if (a->time_nanos != b->time_nanos || a->period != b->period ||
	    a->duration_nanos != b->duration_nanos || a->ncomment != b->ncomment)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pprof_limits lim = pprof_default_limits;
	struct pprof_profile *p = NULL, *q = NULL;
	struct err e = {0};
	uint8_t *gz = NULL;
	size_t gzlen = 0;
	int rc;

	lim.max_compressed = 2u << 20;
	lim.max_decompressed = 4u << 20;
	lim.max_samples = 100000;
	lim.max_string_bytes = 4u << 20;
	rc = pprof_decode(data, size, &lim, &p, &e);
	if (rc) {
		if (p || !e.msg[0] ||
		    (rc != -EINVAL && rc != -E2BIG && rc != -ENODATA))
			abort();
		return 0;
	}
	if (!p)
		abort();
	if (pprof_encode(p, &gz, &gzlen, &e))
		abort();
	/* Default limits: re-encoding may be somewhat larger than the input. */
	if (pprof_decode(gz, gzlen, NULL, &q, &e))
		abort();
	check_same(p, q);
	free(gz);
	pprof_free(q);
	pprof_free(p);
	return 0;
}
