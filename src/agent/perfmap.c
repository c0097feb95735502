#include "perfmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfile.h"

/* A hex number with an optional "0x". */
static int hexnum(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (procfile_hex(&s, end, v))
		return -1;
	*p = s;
	return 0;
}

int perfmap_parse(const char *text, size_t len, struct perfmap *out,
		  struct err *e)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *s = p, *ls = p;
		uint64_t start, size;

		p = le + 1;
		if (le > s && le[-1] == '\r')
			le--;
		if (hexnum(&s, le, &start) || s >= le || *s++ != ' ' ||
		    hexnum(&s, le, &size) || s >= le || *s++ != ' ' || s == le ||
		    size == 0) {
			if (le > ls) /* an empty line is not a bad one */
				out->bad++;
			continue;
		}
		if (out->tab.n == PERFMAP_MAX_ENTRIES) {
			addrtab_release(&out->tab);
			return err_set(e, -E2BIG, "perf map: more than %u entries",
				       PERFMAP_MAX_ENTRIES);
		}
		addrtab_add(&out->tab, start, size, s, (size_t)(le - s));
	}
	addrtab_sort(&out->tab);
	return 0;
}

/* The pid as the process itself knows it: the last field of NSpid. */
static int ns_pid(int pid)
{
	char path[64], line[256];
	FILE *f;
	int nspid = pid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f)) {
		char *last, *tok, *save = NULL;

		if (strncmp(line, "NSpid:", 6))
			continue;
		last = NULL;
		for (tok = strtok_r(line + 6, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			last = tok;
		if (last)
			nspid = atoi(last);
		break;
	}
	fclose(f);
	return nspid > 0 ? nspid : pid;
}

void perfmap_path(int pid, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/%d/root/tmp/perf-%d.map", pid, ns_pid(pid));
}

static int parse_any(const char *text, size_t len, void *out, struct err *e)
{
	return perfmap_parse(text, len, out, e);
}

int perfmap_load(int pid, struct perfmap *out, struct err *e)
{
	char path[128];

	memset(out, 0, sizeof(*out));
	perfmap_path(pid, path, sizeof(path));
	return procfile_parse(path, PERFMAP_MAX_BYTES, parse_any, out, e);
}

const char *perfmap_find(const struct perfmap *m, uint64_t addr,
			 uint64_t *start)
{
	return addrtab_find(&m->tab, addr, start);
}

void perfmap_release(struct perfmap *m)
{
	if (!m)
		return;
	addrtab_release(&m->tab);
	memset(m, 0, sizeof(*m));
}
