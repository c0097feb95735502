#include "kallsyms.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfile.h"

/* One line: returns 1 when it is a text symbol (fills addr, name). */
static int parse_line(const char *p, const char *end, uint64_t *addr,
		      const char **name, size_t *namelen, int *zero)
{
	uint64_t a;
	const char *s;

	if (procfile_hex(&p, end, &a) || end - p < 3 || p[0] != ' ' || p[2] != ' ')
		return 0;
	if (!p[1] || !strchr("tTwW", p[1]))
		return 0;
	p += 3;
	/* The name ends at a tab (before "[module]") or the line's end. */
	for (s = p; s < end && *s != '\t' && *s != ' '; s++)
		;
	if (s == p)
		return 0;
	*zero = a == 0;
	*addr = a;
	*name = p;
	*namelen = (size_t)(s - p);
	return 1;
}

int kallsyms_parse(const char *text, size_t len, struct kallsyms *out,
		   struct err *e)
{
	const char *p = text, *end = text + len;
	size_t nzero = 0, ntext = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *name;
		size_t namelen;
		uint64_t addr;
		int zero;

		if (parse_line(p, le, &addr, &name, &namelen, &zero)) {
			ntext++;
			if (zero)
				nzero++;
			else
				addrtab_add(&out->tab, addr, 0, name, namelen);
		}
		p = le + 1;
	}
	if (ntext && nzero == ntext) {
		addrtab_release(&out->tab);
		return err_set(e, -EPERM,
			       "kallsyms: every address reads as 0: kernel symbols need "
			       "CAP_SYSLOG (run as root) or kernel.kptr_restrict=0");
	}
	addrtab_sort(&out->tab);
	out->lowest = out->tab.n ? out->tab.v[0].start : 0;
	return 0;
}

static int parse_any(const char *text, size_t len, void *out, struct err *e)
{
	return kallsyms_parse(text, len, out, e);
}

int kallsyms_load(const char *path, struct kallsyms *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	return procfile_parse(path, KALLSYMS_MAX_BYTES, parse_any, out, e);
}

const char *kallsyms_find(const struct kallsyms *k, uint64_t addr,
			  uint64_t *start)
{
	return addrtab_find(&k->tab, addr, start);
}

void kallsyms_release(struct kallsyms *k)
{
	if (!k)
		return;
	addrtab_release(&k->tab);
	memset(k, 0, sizeof(*k));
}
