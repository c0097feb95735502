/* kallsyms: kernel text symbols from /proc/kallsyms.
 *
 * Lines are "ADDR TYPE NAME [MODULE]"; text symbols (types t, T, w, W) are
 * kept, sorted once, and looked up by "last start <= addr" (the file has no
 * sizes, so a symbol reaches the next one). When every address reads as 0
 * the reader lacks CAP_SYSLOG or kptr_restrict hides them: that is -EPERM
 * with a message that says so. */
#ifndef STACKYARD_AGENT_KALLSYMS_H
#define STACKYARD_AGENT_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "addrtab.h"

#define KALLSYMS_MAX_BYTES (256u << 20)

struct kallsyms {
	struct addrtab tab;
	uint64_t lowest; /* lowest text address, 0 when empty */
};

int kallsyms_parse(const char *text, size_t len, struct kallsyms *out,
		   struct err *e);
int kallsyms_load(const char *path, struct kallsyms *out, struct err *e);
/* Symbol name holding addr or NULL; *start is its address. */
const char *kallsyms_find(const struct kallsyms *k, uint64_t addr,
			  uint64_t *start);
void kallsyms_release(struct kallsyms *k);

#endif
