#include "debug.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "selfprof.h"

void debug_pprof_index(struct http_req *r, struct http_resp *w)
{
	(void)r;
	w->content_type = "text/html; charset=utf-8";
	buf_puts(&w->body,
		 "<html><head><title>/debug/pprof/</title></head><body>\n"
		 "<p>Stackyard's own profiles. This is a C program: Go's goroutine, heap, allocs,\n"
		 "block, mutex and threadcreate profiles do not apply.</p>\n"
		 "<table>\n"
		 "<tr><td><a href=\"profile?seconds=30\">profile</a></td><td>CPU profile of the "
		 "server's threads (?seconds=N, default 30, at most 300), gzipped pprof</td></tr>\n"
		 "<tr><td><a href=\"cmdline\">cmdline</a></td><td>the command line</td></tr>\n"
		 "</table></body></html>\n");
}

/* ?seconds=N: 1..SELFPROF_MAX_SECONDS, default 30 (as Go). */
static int seconds_arg(struct http_req *r, struct http_resp *w, int *out)
{
	const char *v = http_arg(r, "seconds");
	char *end;
	long n;

	*out = 30;
	if (!v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < 1 || n > SELFPROF_MAX_SECONDS) {
		http_error(w, 400, "seconds: expected a whole number of seconds, 1 to %d",
			   SELFPROF_MAX_SECONDS);
		return -1;
	}
	*out = (int)n;
	return 0;
}

void debug_pprof_profile(struct http_req *r, struct http_resp *w)
{
	struct err e = {0};
	uint8_t *data;
	size_t len;
	int seconds, rc;

	if (seconds_arg(r, w, &seconds) < 0)
		return;
	rc = selfprof_cpu(seconds, &data, &len, &e);
	if (rc == -EBUSY) {
		http_error(w, 429, "%s", e.msg);
		return;
	}
	if (rc < 0) {
		http_error(w, 500, "CPU profile: %s", e.msg);
		return;
	}
	w->content_type = "application/octet-stream";
	buf_append(&w->body, data, len);
	free(data);
}

void debug_pprof_cmdline(struct http_req *r, struct http_resp *w)
{
	struct err e = {0};
	uint8_t *data;
	size_t len;

	(void)r;
	if (file_read("/proc/self/cmdline", 1 << 20, &data, &len, &e) < 0) {
		http_error(w, 500, "%s", e.msg);
		return;
	}
	while (len && !data[len - 1])
		len--;
	buf_append(&w->body, data, len);
	free(data);
}

void debug_pprof_other(struct http_req *r, struct http_resp *w)
{
	const char *name = r->path + strlen("/debug/pprof/");

	http_error(w, 404, "/debug/pprof/%.40s is not available: Stackyard is a C program, and Go's "
		   "goroutine, heap, allocs, block, mutex, threadcreate and trace profiles describe "
		   "the Go runtime; its CPU profile is /debug/pprof/profile", name);
}
