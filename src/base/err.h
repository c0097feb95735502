/* err: an error code with a human-readable message.
 *
 * Functions that can fail return 0 or a negative errno and, when given a
 * non-NULL struct err, fill it with a one-line message that says what is
 * wrong and, where it helps, what to do. The message never ends in a newline.
 *
 *	if (n > lim)
 *		return err_set(e, -E2BIG, "sample %zu: %u frames, limit is %u", ...);
 */
#ifndef STACKYARD_BASE_ERR_H
#define STACKYARD_BASE_ERR_H

#include <stddef.h>

struct err {
	int code;
	char msg[512];
};

/* Record code and message in e (if e is not NULL); returns code. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "<prefix>: ". Returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void err_clear(struct err *e);

/* Untrusted text as an error message may quote it: at most 40 bytes,
 * unprintable bytes, quotes and backslashes as \xNN, "..." when cut, so
 * neither a NUL nor a terminal escape reaches a log. Returns out. */
#define ERR_SHOW_SIZE 200
const char *err_show(const char *p, size_t n, char out[ERR_SHOW_SIZE]);

#endif
