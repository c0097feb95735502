/* procfile: reading the text files the symbolizer parses (/proc/PID/maps,
 * /proc/kallsyms, /tmp/perf-PID.map) and their hexadecimal numbers. */
#ifndef STACKYARD_AGENT_PROCFILE_H
#define STACKYARD_AGENT_PROCFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

/* Parse 1 to 16 hex digits (either case) at *p, up to the first other byte
 * or end, and advance *p past them. -1 (nothing consumed) when there is no
 * digit or more than 16: no silent overflow. */
int procfile_hex(const char **p, const char *end, uint64_t *v);

/* Read path whole (at most max bytes) and hand its text to parse(text,
 * len, out, e); returns what parse returns, or the read's error. path must
 * be a regular file (-EINVAL otherwise): a FIFO is refused without
 * waiting. */
typedef int (*procfile_parse_fn)(const char *text, size_t len, void *out,
				 struct err *e);
int procfile_parse(const char *path, size_t max, procfile_parse_fn parse,
		   void *out, struct err *e);

#endif
