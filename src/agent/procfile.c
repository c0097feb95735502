#include "procfile.h"

#include <stdlib.h>

#include "../base/file.h"

int procfile_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;

	while (s < end && n < 17) {
		int c = (unsigned char)*s, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		x = x << 4 | (uint64_t)d;
		s++;
		n++;
	}
	if (n == 0 || n > 16)
		return -1;
	*v = x;
	*p = s;
	return 0;
}

/* Regular files only (file_read_regular): a perf map is written by the
 * profiled process, which could make it a FIFO; /proc files are regular. */
int procfile_parse(const char *path, size_t max, procfile_parse_fn parse,
		   void *out, struct err *e)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = file_read_regular(path, max, &data, &len, e);

	if (rc)
		return rc;
	rc = parse((const char *)data, len, out, e);
	free(data);
	return rc;
}
