#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/xalloc.h"

#define CGROUP_FILE_MAX 65536

char *procinfo_cgroup_parse(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *first = NULL, *first_end = NULL;

	/* Lines are "hierarchy-id:controllers:path". */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *c1, *c2;
		const char *le = nl ? nl : end;
		c1 = memchr(p, ':', (size_t)(le - p));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (c2 && c2 + 1 < le) {
			if (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1)
				return xstrndup(c2 + 1, (size_t)(le - c2 - 1));
			if (!first) {
				first = c2 + 1;
				first_end = le;
			}
		}
		p = le + 1;
	}
	return first ? xstrndup(first, (size_t)(first_end - first)) : NULL;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

void procinfo_container_id(const char *cgroup, char out[PROCINFO_ID_LEN + 1])
{
	size_t i, run = 0, n = strlen(cgroup);

	out[0] = '\0';
	for (i = 0; i <= n; i++) {
		if (i < n && is_hex(cgroup[i])) {
			run++;
			continue;
		}
		if (run == PROCINFO_ID_LEN)
			memcpy(out, cgroup + i - run, PROCINFO_ID_LEN + 1);
		run = 0;
	}
	if (out[0])
		out[PROCINFO_ID_LEN] = '\0';
}

/* The NT_GNU_BUILD_ID note in one note section or segment's data. */
static int find_note(Elf_Data *d, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t off = 0, name_off, desc_off, i;
	GElf_Nhdr nh;

	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const uint8_t *desc = (const uint8_t *)d->d_buf + desc_off;
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4) || !nh.n_descsz ||
		    nh.n_descsz > PROCINFO_ID_LEN)
			continue;
		for (i = 0; i < nh.n_descsz; i++) {
			out[2 * i] = hex[desc[i] >> 4];
			out[2 * i + 1] = hex[desc[i] & 15];
		}
		out[2 * i] = '\0';
		return 0;
	}
	return -ENOENT;
}

static int elf_build_id(Elf *elf, char *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t i, nph;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if ((d = elf_getdata(scn, NULL)) && find_note(d, out) == 0)
			return 0;
	}
	/* Section headers stripped: the PT_NOTE segments still hold it. */
	if (elf_getphdrnum(elf, &nph) < 0)
		return -ENOENT;
	for (i = 0; i < nph; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (d && find_note(d, out) == 0)
			return 0;
	}
	return -ENOENT;
}

int procinfo_build_id(const char *path, char out[2 * PROCINFO_ID_LEN + 1])
{
	Elf *elf;
	int fd, rc;

	out[0] = '\0';
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	rc = elf && elf_kind(elf) == ELF_K_ELF ? elf_build_id(elf, out) : -ENOEXEC;
	elf_end(elf);
	close(fd);
	return rc;
}

int procinfo_read(int pid, struct procinfo *pi, struct err *e)
{
	char path[64], exe[PATH_MAX];
	uint8_t *text = NULL;
	ssize_t n;
	size_t len;
	int rc;

	memset(pi, 0, sizeof(*pi));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if ((rc = file_read(path, CGROUP_FILE_MAX, &text, &len, e)) < 0)
		return rc == -ENOENT ? err_set(e, -ESRCH, "process %d is gone", pid) : rc;
	pi->cgroup = procinfo_cgroup_parse((const char *)text, len);
	free(text);
	if (!pi->cgroup)
		pi->cgroup = xstrdup("");
	procinfo_container_id(pi->cgroup, pi->container_id);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	pi->exe = xstrdup(exe);
	/* Through /proc/PID/exe: the file the process runs, even when its path
	 * is in another mount namespace or was replaced since; by its path if
	 * the process is exiting (the link goes before the process does). */
	if (n > 0 && procinfo_build_id(path, pi->build_id) == -ENOENT && exe[0] == '/' &&
	    access(path, F_OK) < 0)
		procinfo_build_id(exe, pi->build_id);
	return 0;
}

void procinfo_release(struct procinfo *pi)
{
	if (!pi)
		return;
	free(pi->exe);
	free(pi->cgroup);
	memset(pi, 0, sizeof(*pi));
}
