#include "ui.h"

#include <string.h>

#include "../server/http.h"

/* A page that runs only its own scripts: nothing inline, nothing from
 * elsewhere. Styles may be set from script (uPlot sizes its elements so);
 * images may be data: or blob: URLs (the PNG export). */
#define UI_CSP "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
	"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; " \
	"base-uri 'none'; frame-ancestors 'none'"

const struct ui_asset *ui_find(const char *path)
{
	size_t i;

	for (i = 0; i < ui_nassets; i++)
		if (!strcmp(ui_assets[i].path, path))
			return &ui_assets[i];
	return NULL;
}

/* Elements are "coding[;q=value]" separated by commas, e.g. "gzip,
 * deflate" or "gzip;q=0.5, br". */
int ui_accepts_gzip(const char *ae)
{
	while (ae && *ae) {
		const char *q;
		size_t n, k;

		ae += strspn(ae, " ");
		n = strcspn(ae, ",");
		k = strcspn(ae, ";, ");
		if ((k == 4 && !strncmp(ae, "gzip", 4)) || (k == 1 && *ae == '*')) {
			q = memchr(ae, '=', n);
			/* q=0, q=0.0, q=0.00 refuse it; anything else accepts */
			if (!q || strspn(q + 1, "0.") < strcspn(q + 1, ", "))
				return 1;
		}
		ae += n;
		ae += *ae == ',';
	}
	return 0;
}

static int etag_matches(const char *inm, const char *etag)
{
	return inm && (strstr(inm, etag) || !strcmp(inm, "*"));
}

void ui_serve(struct http_req *r, struct http_resp *w)
{
	const struct ui_asset *a = ui_find(r->path);
	int gz;

	if (!a) {
		http_error(w, 404, "no such page: %s", r->path);
		return;
	}
	w->headers[0] = (struct http_header){"ETag", a->etag};
	w->headers[1] = (struct http_header){"Cache-Control", "no-cache"};
	w->headers[2] = (struct http_header){"Vary", "Accept-Encoding"};
	w->headers[3] = (struct http_header){"X-Content-Type-Options", "nosniff"};
	w->headers[4] = (struct http_header){"Content-Security-Policy", UI_CSP};
	w->content_type = a->content_type;
	if (etag_matches(http_header(r, "If-None-Match"), a->etag)) {
		w->status = 304;
		return;
	}
	gz = a->gz && ui_accepts_gzip(http_header(r, "Accept-Encoding"));
	w->status = 200;
	buf_append(&w->body, gz ? a->gz : a->data, gz ? a->gz_len : a->len);
	if (gz)
		w->content_encoding = "gzip";
}
