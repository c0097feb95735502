/* client: a small HTTP client for the CLI commands (libcurl, easy interface).
 *
 * One struct client talks to one server (a base URL such as
 * "http://127.0.0.1:7117") and reuses its connection across requests.
 * Requests return 0 only for a 2xx reply. Otherwise they return a negative
 * errno and fill e with one line:
 *   -ECONNREFUSED / -EIO  the request did not complete:
 *                         "server http://127.0.0.1:7117: connection refused"
 *   -EPROTO               the server answered non-2xx: its JSON
 *                         {"error": "..."} message, else "HTTP 502: <body>"
 * The reply body (r->body) is filled in both the 2xx and non-2xx cases and
 * is owned by the caller (buf_release). client_free(NULL) is a no-op. */
#ifndef STACKYARD_CLI_CLIENT_H
#define STACKYARD_CLI_CLIENT_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/err.h"

struct client;

struct client_reply {
	long status;     /* HTTP status; 0 when no reply arrived */
	struct buf body;
};

/* NULL (with e set) when libcurl cannot be initialised. Trailing slashes of
 * server are dropped. */
struct client *client_new(const char *server, struct err *e);
void client_free(struct client *c);

/* The base URL, without trailing slashes. */
const char *client_server(const struct client *c);

/* path starts with '/' and carries an already escaped query string. */
int client_get(struct client *c, const char *path, struct client_reply *r,
	       struct err *e);
int client_post(struct client *c, const char *path, const void *body,
		size_t len, struct client_reply *r, struct err *e);

/* Append s percent-encoded for a URL query component. */
void client_put_escaped(struct buf *b, const char *s);

/* The server URL from --server, else $STACKYARD_SERVER, else the default. */
const char *client_default_server(const char *opt);

#define CLIENT_DEFAULT_SERVER "http://127.0.0.1:7117"

#endif
