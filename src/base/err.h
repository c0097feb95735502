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

#endif
