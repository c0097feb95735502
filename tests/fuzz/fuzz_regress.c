/* libFuzzer target: regress_read_json() on arbitrary bytes (the CLI reads
 * a server's answer with it), and the threshold and confidence parsers
 * (HTTP query strings). A report that reads must render as JSON, text and
 * Markdown, and its JSON must read back to the same JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/buf.h"
#include "../../src/query/regress.h"
#include "../../src/query/regress_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_report(const struct regress_report *rep)
{
	struct regress_report *again = NULL;
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct err e = {0};

	regress_write_json(rep, &a);
	if (regress_read_json((const char *)a.data, a.len, &again, &e) < 0)
		abort();
	regress_write_json(again, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len))
		abort();
	buf_reset(&b);
	regress_write_text(rep, 0, &b);
	regress_write_markdown(rep, 3, &b);
	regress_report_free(again);
	buf_release(&a);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct regress_report *rep = NULL;
	struct err e = {0};
	char *s = malloc(size + 1);
	double v;

	memcpy(s, data, size);
	s[size] = '\0';
	if (regress_read_json((const char *)data, size, &rep, &e) == 0) {
		check_report(rep);
		regress_report_free(rep);
	} else if (rep || !e.msg[0]) {
		abort();
	}
	if (regress_parse_threshold(s, &v, &e) == 0 && !(v >= 0 && v < 1))
		abort();
	if (regress_parse_confidence(s, &v, &e) == 0 && !(v > 0 && v < 1))
		abort();
	free(s);
	return 0;
}
