/* libFuzzer target: the agent's /proc/PID/cgroup parser and container id
 * extraction on arbitrary bytes. Cgroup names are chosen by whoever may
 * create cgroups (delegated subtrees, container runtimes). The path found
 * must be a substring of the input's lines; a container id, when found, is
 * 64 lowercase hex digits taken from that path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/agent/procinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cg = procinfo_cgroup_parse((const char *)data, size);
	char id[PROCINFO_ID_LEN + 1];
	size_t n, i;

	if (!cg)
		return 0;
	n = strlen(cg);
	if (n > size || !memmem(data, size, cg, n))
		abort();
	procinfo_container_id(cg, id);
	if (id[0]) {
		if (strlen(id) != PROCINFO_ID_LEN || !strstr(cg, id))
			abort();
		for (i = 0; i < PROCINFO_ID_LEN; i++)
			if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
				abort();
	}
	free(cg);
	return 0;
}
