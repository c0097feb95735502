#include "label.h"

#include <string.h>

void labels_sort(struct label *l, size_t n)
{
	size_t i, j;

	/* Insertion sort: stable, and label sets are small (capped at 30+). */
	for (i = 1; i < n; i++) {
		struct label t = l[i];
		for (j = i; j > 0 && strcmp(l[j - 1].name, t.name) > 0; j--)
			l[j] = l[j - 1];
		l[j] = t;
	}
}

const char *labels_get(const struct label *l, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(l[mid].name, name);
		if (!c)
			return l[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void put_quoted(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (; *s; s++) {
		switch (*s) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		default: buf_putc(out, *s);
		}
	}
	buf_putc(out, '"');
}

void labels_format(const struct label *l, size_t n, struct buf *out)
{
	size_t i;

	buf_putc(out, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_puts(out, ", ");
		buf_puts(out, l[i].name);
		buf_putc(out, '=');
		put_quoted(out, l[i].value);
	}
	buf_putc(out, '}');
}
