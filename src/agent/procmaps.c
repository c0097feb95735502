#include "procmaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"
#include "procfile.h"

#define MAPS_MAX_BYTES (64u << 20) /* a maps file larger than this is refused */

static int dec_field(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;

	while (s < end && *s >= '0' && *s <= '9' && n < 20) {
		x = x * 10 + (uint64_t)(*s - '0');
		s++;
		n++;
	}
	if (n == 0 || n >= 20)
		return -1;
	*v = x;
	*p = s;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* One line "start-end perms offset major:minor inode path". The path
 * (possibly empty) is returned as [*path, *path + *pathlen). */
static int parse_line(const char *s, const char *end, struct procmaps_entry *m,
		      const char **path, size_t *pathlen)
{
	uint64_t maj, min;
	static const char flag[4] = {'r', 'w', 'x'};
	static const uint32_t bit[3] = {PROCMAPS_R, PROCMAPS_W, PROCMAPS_X};
	int i;

	if (procfile_hex(&s, end, &m->start) || expect(&s, end, '-') ||
	    procfile_hex(&s, end, &m->end) || expect(&s, end, ' '))
		return -1;
	if (m->end < m->start || end - s < 4)
		return -1;
	m->perms = 0;
	for (i = 0; i < 3; i++) {
		if (s[i] == flag[i])
			m->perms |= bit[i];
		else if (s[i] != '-')
			return -1;
	}
	if (s[3] != 'p' && s[3] != 's')
		return -1;
	s += 4;
	if (expect(&s, end, ' ') || procfile_hex(&s, end, &m->offset) ||
	    expect(&s, end, ' ') || procfile_hex(&s, end, &maj) ||
	    expect(&s, end, ':') || procfile_hex(&s, end, &min) ||
	    expect(&s, end, ' ') || dec_field(&s, end, &m->inode))
		return -1;
	if (maj > UINT32_MAX || min > UINT32_MAX)
		return -1;
	m->dev_major = (uint32_t)maj;
	m->dev_minor = (uint32_t)min;
	if (s < end && *s != ' ')
		return -1;
	skip_spaces(&s, end);
	*path = s;
	*pathlen = (size_t)(end - s);
	return 0;
}

int procmaps_parse(const char *text, size_t len, struct procmaps *out,
		   struct err *e)
{
	const char *p = text, *end = text + len;
	size_t cap = 0, pcap = 0, lineno = 0, pathbytes = 0, *pathoff = NULL;
	char *paths;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* Paths go into one block sized by the input: no block is reallocated
	 * under pointers already handed out. */
	paths = xmalloc(len + 1);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *path;
		size_t pathlen;
		struct procmaps_entry m;

		lineno++;
		if (le == p) { /* empty line, e.g. a final newline */
			p = le + 1;
			continue;
		}
		if (parse_line(p, le, &m, &path, &pathlen)) {
			char show[ERR_SHOW_SIZE];

			rc = err_set(e, -EINVAL, "maps: line %zu does not parse: %s",
				     lineno, err_show(p, (size_t)(le - p), show));
			goto fail;
		}
		if (out->n == PROCMAPS_MAX) {
			rc = err_set(e, -E2BIG, "maps: more than %d mappings",
				     PROCMAPS_MAX);
			goto fail;
		}
		XGROW(out->v, cap, out->n + 1);
		XGROW(pathoff, pcap, out->n + 1);
		memcpy(paths + pathbytes, path, pathlen);
		paths[pathbytes + pathlen] = '\0';
		pathoff[out->n] = pathbytes;
		pathbytes += pathlen + 1;
		out->v[out->n++] = m;
		p = le + (nl != NULL);
	}
	/* pathbytes <= len + 1: each path is a strict part of its line, and the
	 * line's newline (or the block's spare byte) pays for its NUL. */
	for (size_t i = 0; i < out->n; i++)
		out->v[i].path = paths + pathoff[i];
	out->paths = paths;
	free(pathoff);
	return 0;
fail:
	free(pathoff);
	free(paths);
	free(out->v);
	memset(out, 0, sizeof(*out));
	return rc;
}

static int parse_any(const char *text, size_t len, void *out, struct err *e)
{
	return procmaps_parse(text, len, out, e);
}

int procmaps_read(int pid, struct procmaps *out, struct err *e)
{
	char path[64];
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	rc = procfile_parse(path, MAPS_MAX_BYTES, parse_any, out, e);
	if (rc == -ENOENT)
		return err_set(e, -ESRCH, "pid %d: no such process", pid);
	if (rc == -EINVAL || rc == -E2BIG)
		err_prefix(e, "%s", path);
	return rc;
}

void procmaps_release(struct procmaps *m)
{
	if (!m)
		return;
	free(m->v);
	free(m->paths);
	memset(m, 0, sizeof(*m));
}

const struct procmaps_entry *procmaps_find(const struct procmaps *m,
					   uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	/* The kernel lists mappings in address order, without overlap. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

int procmaps_to_vaddr(uint64_t addr, uint64_t map_start, uint64_t map_offset,
		      const struct load_seg *segs, size_t nsegs,
		      uint64_t *vaddr)
{
	uint64_t off;
	size_t i;

	if (addr < map_start)
		return -ENOENT;
	off = addr - map_start + map_offset;
	if (off < map_offset) /* wrapped */
		return -ENOENT;
	for (i = 0; i < nsegs; i++) {
		const struct load_seg *s = &segs[i];

		if (off >= s->offset && off - s->offset < s->filesz) {
			*vaddr = off - s->offset + s->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}
