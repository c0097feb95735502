/* name: Pyroscope's application name with labels, as /ingest receives it.
 *
 *   name=myapp.cpu{env=prod,region=eu-west-1,pod=api-7f9c}
 *
 * The text before '{' is the application name: it becomes service_name.
 * Pyroscope SDKs append ".cpu", ".alloc_objects" and so on to name the
 * profile type; name_parse() reports that suffix separately (type_suffix)
 * when it is one Pyroscope knows (cpu, itimer, wall, alloc_objects,
 * alloc_space, inuse_objects, inuse_space, goroutines, mutex_count,
 * mutex_duration, block_count, block_duration, exceptions, lock_count,
 * lock_duration) and strips it from service_name. Inside the braces:
 * comma-separated key=value pairs, spaces around keys and values trimmed;
 * values may contain spaces and '/' but not ',' '}' '='. An empty value is
 * allowed; an empty key is not.
 *
 * Checks, each a clear error naming the problem (-EINVAL): empty or missing
 * application name; application name bytes outside [A-Za-z0-9_.\-/]; a key
 * not matching [A-Za-z_][A-Za-z0-9_.]*; a key given twice; a missing '}'
 * or text after it; more than 64 labels; a key over 128 or a value over
 * 2048 bytes; total input over 8 KiB. Parsing is pure over (s, len), which
 * need not be NUL-terminated; there is a fuzz target.
 *
 * On success *out owns all its strings (name_free(NULL) is a no-op); labels
 * are in input order, service_name is not among them. */
#ifndef STACKYARD_INGEST_NAME_H
#define STACKYARD_INGEST_NAME_H

#include <stddef.h>

#include "../base/err.h"
#include "../base/label.h"

struct app_name {
	char *service_name;     /* "myapp" */
	char *type_suffix;      /* "cpu", or NULL when none was given */
	struct label *labels;   /* owned strings */
	size_t nlabels;
};

int name_parse(const char *s, size_t len, struct app_name **out, struct err *e);
void name_free(struct app_name *n);

#endif
