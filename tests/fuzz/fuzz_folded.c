/* libFuzzer target: folded_parse() on arbitrary bytes; a parsed profile
 * must encode and decode back to the same samples and values. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/encode.h"
#include "../../src/pprof/folded.h"
#include "../../src/pprof/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct folded_opts o = {.max_lines = 100000, .max_depth = 1024};
	struct pprof_profile *p = NULL, *q = NULL;
	struct buf raw = BUF_INIT;
	struct err e = {0};
	int rc;

	rc = folded_parse(data, size, &o, &p, &e);
	if (rc) {
		if (p || !e.msg[0] || rc > 0)
			abort();
		return 0;
	}
	if (!p || p->nsample_type != 1)
		abort();
	pprof_encode_raw(p, &raw);
	if (pprof_decode(raw.data, raw.len, NULL, &q, &e))
		abort();
	if (q->nsample != p->nsample || q->nlocation != p->nlocation ||
	    q->nfunction != p->nfunction ||
	    (p->nsample && memcmp(p->value, q->value, p->nsample * sizeof(int64_t))))
		abort();
	buf_release(&raw);
	pprof_free(q);
	pprof_free(p);
	return 0;
}
