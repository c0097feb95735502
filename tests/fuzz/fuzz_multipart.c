/* libFuzzer target: the first line of the input is a Content-Type value
 * (or, when it does not start with "multipart/", the bare boundary), the
 * rest is the body given to multipart_parse(). Every part's data must lie
 * within the body, names must be non-empty and NUL-terminated in their
 * fields, and failures must carry a "multipart: " message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/ingest/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int rc, const struct err *e)
{
	if (rc != -EINVAL || e->code != rc || strncmp(e->msg, "multipart: ", 11))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpart parts[MULTIPART_MAX_PARTS];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hl = nl ? (size_t)(nl - data) : size, blen, n = 0, i;
	char line[256], b[71];
	struct err e = {0};
	uint8_t *body;
	int rc;

	if (hl >= sizeof(line))
		return 0;
	memcpy(line, data, hl);
	line[hl] = '\0';
	if (hl >= 10 && !memcmp(line, "multipart/", 10)) {
		rc = multipart_boundary(line, b, sizeof(b), &e);
		if (rc) {
			check_err(rc, &e);
			return 0;
		}
		if (!b[0] || strlen(b) > 70)
			abort();
	} else {
		memcpy(b, line, hl < 70 ? hl : 70);
		b[hl < 70 ? hl : 70] = '\0';
	}
	/* An exact-size copy of the body: a read past it is an ASan report. */
	blen = nl ? size - hl - 1 : 0;
	body = malloc(blen ? blen : 1);
	if (!body)
		return 0;
	if (blen)
		memcpy(body, nl + 1, blen);
	e.msg[0] = '\0';
	rc = multipart_parse(body, blen, b, parts, &n, &e);
	if (rc) {
		check_err(rc, &e);
		if (n)
			abort();
	} else {
		if (n < 1 || n > MULTIPART_MAX_PARTS)
			abort();
		for (i = 0; i < n; i++) {
			const struct mpart *p = &parts[i];

			if (p->data < body || p->len > blen ||
			    (size_t)(p->data - body) > blen - p->len)
				abort();
			if (!memchr(p->name, '\0', sizeof(p->name)) || !p->name[0] ||
			    !memchr(p->filename, '\0', sizeof(p->filename)) ||
			    !memchr(p->content_type, '\0', sizeof(p->content_type)))
				abort();
			if (multipart_find(parts, n, p->name) > p)
				abort();
		}
	}
	free(body);
	return 0;
}
