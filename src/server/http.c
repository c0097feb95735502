#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../base/json.h"
#include "../base/xalloc.h"

struct http_server {
	struct MHD_Daemon *d;
	const struct http_route *routes;
	void *app;
	http_observe observe;
	size_t max_body;
};

/* Per-request state, created at the first call of the access handler. */
struct req_state {
	struct http_req r;
	int too_large;
	double t0;
};

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void http_json(struct http_resp *w)
{
	w->status = 200;
	w->content_type = "application/json";
}

void http_error(struct http_resp *w, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_reset(&w->body);
	buf_puts(&w->body, "{\"error\":");
	json_put_str(&w->body, msg, strlen(msg));
	buf_puts(&w->body, "}\n");
	w->status = status;
	w->content_type = "application/json";
	w->content_encoding = NULL;
	memset(w->headers, 0, sizeof(w->headers));
}

const char *http_arg(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static int path_match(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(pattern, path, n - 1);
	return !strcmp(pattern, path);
}

static const struct http_route *route_find(const struct http_route *routes,
					   const char *method, const char *path, int *bad_method)
{
	const struct http_route *rt;

	*bad_method = 0;
	for (rt = routes; rt->path; rt++) {
		if (!path_match(rt->path, path))
			continue;
		if (rt->method ? !strcmp(rt->method, method)
			       : (!strcmp(method, "GET") || !strcmp(method, "POST")))
			return rt;
		*bad_method = 1;
	}
	return NULL;
}

static enum MHD_Result respond(struct MHD_Connection *c, struct http_resp *w)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = w->body.len, i;
	void *data = buf_detach(&w->body, NULL);

	resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
				w->content_type ? w->content_type : "text/plain; charset=utf-8");
	if (w->content_encoding)
		MHD_add_response_header(resp, "Content-Encoding", w->content_encoding);
	for (i = 0; i < HTTP_MAX_HEADERS && w->headers[i].name; i++)
		MHD_add_response_header(resp, w->headers[i].name, w->headers[i].value);
	ret = MHD_queue_response(c, (unsigned)w->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void dispatch(struct http_server *s, struct req_state *st, struct http_resp *w)
{
	const struct http_route *rt;
	int bad_method;

	if (st->too_large) {
		http_error(w, 413, "request body exceeds the limit of %zu bytes", s->max_body);
		return;
	}
	rt = route_find(s->routes, st->r.method, st->r.path, &bad_method);
	if (!rt) {
		if (bad_method)
			http_error(w, 405, "method %s not allowed on %s", st->r.method, st->r.path);
		else
			http_error(w, 404, "no such endpoint: %s", st->r.path);
		return;
	}
	st->r.route = rt->name;
	rt->fn(&st->r, w);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	struct req_state *st = *req_cls;
	struct http_resp w = {0};
	enum MHD_Result ret;

	(void)version;
	if (!st) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		st = xcalloc(1, sizeof(*st));
		st->r.method = method;
		st->r.path = url;
		st->r.conn = c;
		st->r.app = s->app;
		st->t0 = mono();
		*req_cls = st;
		/* Refuse an announced oversized body before reading any of it. */
		if (cl && strtoull(cl, NULL, 10) > s->max_body) {
			st->too_large = 1;
			http_error(&w, 413, "request body of %s bytes exceeds the limit of %zu bytes",
				   cl, s->max_body);
			return respond(c, &w);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!st->too_large && st->r.body.len + *upload_size > s->max_body) {
			st->too_large = 1;
			buf_release(&st->r.body);
		}
		if (!st->too_large)
			buf_append(&st->r.body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	dispatch(s, st, &w);
	if (!w.status)
		w.status = 200;
	ret = respond(c, &w);
	if (s->observe)
		s->observe(s->app, &st->r, w.status, mono() - st->t0);
	buf_release(&w.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req_state *st = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!st)
		return;
	buf_release(&st->r.body);
	free(st);
	*req_cls = NULL;
}

/* "host:port", "[v6]:port" or ":port" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, struct err *e)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl;
	long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!colon)
		return err_set(e, -EINVAL, "--listen %s: expected host:port", listen);
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		return err_set(e, -EINVAL, "--listen %s: bad port", listen);
	hl = (size_t)(colon - listen);
	if (hl >= sizeof(host))
		return err_set(e, -EINVAL, "--listen %s: host too long", listen);
	memcpy(host, listen, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return err_set(e, -EINVAL, "--listen %s: bad IPv6 address", listen);
		return 0;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (!hl || !strcmp(host, "0.0.0.0"))
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (!strcmp(host, "localhost"))
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return err_set(e, -EINVAL, "--listen %s: bad IPv4 address (use an address, not a name)",
				       listen);
	}
	return 0;
}

int http_start(const struct http_config *cfg, const struct http_route *routes, void *app,
	       http_observe observe, struct http_server **out, struct err *e)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	/* poll(), not select(): a scraping server holds thousands of sockets,
	 * and select() refuses any descriptor past FD_SETSIZE (1024). */
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	int rc;

	*out = NULL;
	if ((rc = parse_listen(cfg->listen, &ss, e)) < 0) {
		free(s);
		return rc;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->routes = routes;
	s->app = app;
	s->observe = observe;
	s->max_body = cfg->max_body ? cfg->max_body : 16u << 20;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, cfg->max_conns ? cfg->max_conns : 256u,
				MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s ? cfg->timeout_s : 60u,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return err_set(e, -EADDRINUSE, "cannot listen on %s: %s (address in use or not available)",
			       cfg->listen, strerror(errno ? errno : EADDRINUSE));
	}
	*out = s;
	return 0;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
