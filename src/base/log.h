/* log: one line per event on standard error, in logfmt:
 *
 *	ts=2026-11-25T12:00:00Z level=info msg="listening on ..."
 *
 * What the server and the agent write. The message is printf-formatted and
 * written as is (callers quote untrusted text with err_show()). */
#ifndef STACKYARD_BASE_LOG_H
#define STACKYARD_BASE_LOG_H

#include <stdarg.h>

void log_printf(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vprintf(const char *level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
