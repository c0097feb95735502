/* http: the HTTP layer, libmicrohttpd behind a table of routes.
 *
 * One thread per connection (libmicrohttpd's internal threads): a slow
 * query holds its own thread only. A request's body is collected up to
 * max_body bytes; past that the request is answered 413 without reading
 * the rest. Handlers fill a struct http_resp; errors are JSON
 * {"error": "..."} with a fitting status (http_error()).
 *
 * Ownership: a request and everything hung on it lives until its response
 * is sent; the response body is handed to libmicrohttpd (no copy). */
#ifndef STACKYARD_SERVER_HTTP_H
#define STACKYARD_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"

struct MHD_Connection;

struct http_req {
	const char *method;
	const char *path;
	struct MHD_Connection *conn;
	struct buf body;
	void *app;              /* the server's state, as given to http_start */
	const char *route;      /* route name, for metrics */
	const char *path_arg;   /* {name} of /api/v1/labels/{name}/values */
};

struct http_header {
	const char *name, *value;
};

#define HTTP_MAX_HEADERS 6

struct http_resp {
	int status;
	const char *content_type;
	struct buf body;
	const char *content_encoding;   /* e.g. "gzip"; NULL for none */
	/* More headers (ETag, Cache-Control, ...): static strings; the
	 * list ends at the first NULL name. */
	struct http_header headers[HTTP_MAX_HEADERS];
};

typedef void (*http_handler)(struct http_req *r, struct http_resp *w);

struct http_route {
	const char *method;     /* "GET", "POST"; NULL = any of GET, POST */
	const char *path;       /* exact, or prefix when it ends in '*' */
	http_handler fn;
	const char *name;       /* for metrics */
};

struct http_config {
	const char *listen;     /* "127.0.0.1:7117", "[::1]:7117", ":7117" */
	size_t max_body;        /* bytes; default 16 MiB */
	unsigned max_conns;     /* default 256 */
	unsigned timeout_s;     /* idle connection timeout; default 60 */
};

struct http_server;

/* Called after every response, for metrics and logs. */
typedef void (*http_observe)(void *app, const struct http_req *r, int status,
			     double seconds);

int http_start(const struct http_config *cfg, const struct http_route *routes,
	       void *app, http_observe observe, struct http_server **out, struct err *e);
/* Stops accepting, waits for requests in flight, frees. NULL is a no-op. */
void http_stop(struct http_server *s);

/* A query-string argument (decoded), or NULL. */
const char *http_arg(const struct http_req *r, const char *name);
/* A request header, or NULL. */
const char *http_header(const struct http_req *r, const char *name);

/* An error response: {"error": "<msg>"} with status. */
void http_error(struct http_resp *w, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Starts a JSON response (status 200, application/json). */
void http_json(struct http_resp *w);

#endif
