/* libFuzzer target: name_parse() on arbitrary bytes. A parse either fails
 * with -EINVAL and a "name: " message and no result, or gives a result
 * that keeps every promise of name.h: a non-empty service name, a known
 * suffix, at most 64 labels with valid, unique keys and bounded values,
 * and no service_name label. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/ingest/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (!n || n > 128 || !((k[0] >= 'a' && k[0] <= 'z') ||
			       (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_' || k[i] == '.'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_name *a = (struct app_name *)&a;
	struct err e = {0};
	size_t i, j;
	int rc;

	/* An exact-size copy: a read past size is an ASan report. */
	char *s = malloc(size ? size : 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	rc = name_parse(s, size, &a, &e);
	free(s);
	if (rc) {
		if (a || rc != -EINVAL || e.code != rc || strncmp(e.msg, "name: ", 6))
			abort();
		return 0;
	}
	if (!a || !a->service_name || !a->service_name[0] || size > 8192)
		abort();
	if (a->type_suffix && !a->type_suffix[0])
		abort();
	if (a->nlabels > 64 || (a->nlabels && !a->labels))
		abort();
	for (i = 0; i < a->nlabels; i++) {
		const char *k = a->labels[i].name, *v = a->labels[i].value;

		if (!key_ok(k) || !strcmp(k, "service_name") || strlen(v) > 2048 ||
		    strchr(v, ',') || strchr(v, '}') || strchr(v, '='))
			abort();
		for (j = 0; j < i; j++)
			if (!strcmp(k, a->labels[j].name))
				abort();
	}
	name_free(a);
	return 0;
}
