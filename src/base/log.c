#include "log.h"

#include <stdio.h>
#include <time.h>

void log_vprintf(const char *level, const char *fmt, va_list ap)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	/* The whole line under stderr's lock: threads never interleave. */
	flockfile(stderr);
	fprintf(stderr, "ts=%s level=%s msg=\"", ts, level);
	vfprintf(stderr, fmt, ap);
	fputs("\"\n", stderr);
	funlockfile(stderr);
}

void log_printf(const char *level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, fmt, ap);
	va_end(ap);
}
