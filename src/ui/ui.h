/* ui: the web UI, served from assets built into the binary.
 *
 * The files under src/ui/web (and the third-party files npm installs for
 * them, such as uPlot) are turned into a generated C file at build time by
 * src/ui/gen/embed.c; the server reads no files at run time and loads
 * nothing from elsewhere. GET / is the page; its scripts and styles are
 * under /ui/. Every asset has an ETag (If-None-Match answers 304) and is
 * revalidated on each load (Cache-Control: no-cache), and is sent gzipped
 * to clients that accept it. The page's state lives in its URL's query
 * string, so the server needs no route per view.
 *
 * All memory is static: the table is const data in the binary. */
#ifndef STACKYARD_UI_UI_H
#define STACKYARD_UI_UI_H

#include <stddef.h>

struct http_req;
struct http_resp;

struct ui_asset {
	const char *path;          /* URL path, "/" or "/ui/..." */
	const char *content_type;
	const unsigned char *data; /* the file's bytes */
	size_t len;
	const unsigned char *gz;   /* gzipped copy, NULL when not smaller */
	size_t gz_len;
	const char *etag;          /* quoted, e.g. "\"0123456789abcdef\"" */
};

/* Generated (build/gen/ui_assets.c). */
extern const struct ui_asset ui_assets[];
extern const size_t ui_nassets;

/* The asset at path, or NULL. */
const struct ui_asset *ui_find(const char *path);

/* Whether an Accept-Encoding header value accepts gzip ("gzip" or "*"
 * with a q that is not zero). NULL accepts nothing. */
int ui_accepts_gzip(const char *accept_encoding);

/* The handler for GET / and GET /ui/... (404 for an unknown asset). */
void ui_serve(struct http_req *r, struct http_resp *w);

/* The route table entries, for src/server/api.c. */
#define UI_ROUTES \
	{"GET", "/", ui_serve, "ui"}, \
	{"GET", "/ui/*", ui_serve, "ui"}

#endif
