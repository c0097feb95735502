/* procinfo: what the agent labels a process with, read from /proc.
 *
 *   exe           readlink /proc/PID/exe ("" for kernel threads, or when gone)
 *   build_id      the GNU build id of that file, lowercase hex ("" if none)
 *   cgroup        the cgroup v2 path ("0::" line of /proc/PID/cgroup; on a
 *                 v1-only host, the first line's path)
 *   container_id  the last run of exactly 64 hex digits in the cgroup path:
 *                 docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>,
 *                 libpod-<id>, /docker/<id>, /kubepods/.../<id>
 *
 * The parsers are pure functions over bytes (unit-tested); procinfo_read()
 * does the I/O. A process that is gone gives -ESRCH. Ownership: struct
 * procinfo owns its strings; procinfo_release() frees them (a zeroed or
 * released struct is fine to release again). */
#ifndef STACKYARD_AGENT_PROCINFO_H
#define STACKYARD_AGENT_PROCINFO_H

#include <stddef.h>

#include "../base/err.h"

#define PROCINFO_ID_LEN 64

struct procinfo {
	char *exe;
	char *cgroup;
	char build_id[2 * PROCINFO_ID_LEN + 1];
	char container_id[PROCINFO_ID_LEN + 1];
};

int procinfo_read(int pid, struct procinfo *pi, struct err *e);
void procinfo_release(struct procinfo *pi);

/* The cgroup path in the text of /proc/PID/cgroup, as a new string
 * (caller frees), or NULL when there is none. */
char *procinfo_cgroup_parse(const char *text, size_t len);

/* The container id of a cgroup path into out ("" when none). */
void procinfo_container_id(const char *cgroup, char out[PROCINFO_ID_LEN + 1]);

/* The GNU build id note of an ELF file as lowercase hex. -ENOENT when the
 * file has none, -ENOEXEC when it is not ELF. */
int procinfo_build_id(const char *path, char out[2 * PROCINFO_ID_LEN + 1]);

#endif
