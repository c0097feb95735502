/* client: the CLI's HTTP client over libcurl. See client.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../base/xalloc.h"
#include "client.h"

#define CONNECT_TIMEOUT_S 10L
#define REQUEST_TIMEOUT_S 600L

struct client {
	CURL *h;
	char *server;
	char errbuf[CURL_ERROR_SIZE];
};

struct client *client_new(const char *server, struct err *e)
{
	struct client *c;
	size_t n = strlen(server);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err_set(e, -EIO, "libcurl could not be initialised");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	if (!(c->h = curl_easy_init())) {
		free(c);
		curl_global_cleanup();
		err_set(e, -EIO, "libcurl could not be initialised");
		return NULL;
	}
	while (n > 0 && server[n - 1] == '/')
		n--;
	c->server = xstrndup(server, n);
	return c;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->h);
	free(c->server);
	free(c);
	curl_global_cleanup();
}

const char *client_server(const struct client *c)
{
	return c->server;
}

const char *client_default_server(const char *opt)
{
	const char *env = getenv("STACKYARD_SERVER");

	if (opt && *opt)
		return opt;
	return env && *env ? env : CLIENT_DEFAULT_SERVER;
}

void client_put_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p)) {
			buf_putc(b, *p);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	buf_append(ctx, ptr, size * nmemb);
	return size * nmemb;
}

/* ---- the server's {"error": "..."} ---------------------------------------- */

static void put_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_putc(b, (int)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (int)(0xC0 | (cp >> 6)));
		buf_putc(b, (int)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (int)(0xE0 | (cp >> 12)));
		buf_putc(b, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (int)(0x80 | (cp & 0x3F)));
	}
}

/* One escape after a backslash at *p; advances *p. */
static void put_escape(struct buf *b, const char **p, const char *end)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *q = strchr(from, **p);
	char hex[5] = {0};

	if (**p == 'u' && end - *p >= 5) {
		memcpy(hex, *p + 1, 4);
		put_utf8(b, strtoul(hex, NULL, 16));
		*p += 5;
		return;
	}
	buf_putc(b, q && **p ? to[q - from] : **p);
	(*p)++;
}

/* The value of "error" in a JSON object body, decoded; 0 if none. */
static int json_error(const char *s, size_t len, struct buf *out)
{
	const char *end = s + len, *p = memmem(s, len, "\"error\"", 7);

	if (!p)
		return 0;
	for (p += 7; p < end && (isspace((unsigned char)*p) || *p == ':'); p++)
		;
	if (p >= end || *p++ != '"')
		return 0;
	while (p < end && *p != '"') {
		if (*p == '\\' && p + 1 < end) {
			p++;
			put_escape(out, &p, end);
		} else {
			buf_putc(out, *p++);
		}
	}
	return out->len > 0;
}

static int http_failure(struct client_reply *r, struct err *e)
{
	struct buf msg = BUF_INIT;
	size_t n = r->body.len;
	const char *s = (const char *)r->body.data;

	if (!json_error(s ? s : "", n, &msg)) {
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			n--;
		buf_printf(&msg, "HTTP %ld%s%.*s", r->status, n ? ": " : "",
			   (int)(n > 200 ? 200 : n), s ? s : "");
	}
	err_set(e, -EPROTO, "%s", (char *)msg.data);
	buf_release(&msg);
	return -EPROTO;
}

/* "connection refused" for the common case, else curl's own words. */
static int transport_failure(struct client *c, CURLcode rc, struct err *e)
{
	long oserr = 0;
	char why[CURL_ERROR_SIZE + 64];

	curl_easy_getinfo(c->h, CURLINFO_OS_ERRNO, &oserr);
	if (rc == CURLE_COULDNT_CONNECT && oserr) {
		snprintf(why, sizeof(why), "%s", strerror((int)oserr));
		why[0] = (char)tolower((unsigned char)why[0]);
	} else {
		snprintf(why, sizeof(why), "%s",
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
	}
	return err_set(e, oserr == ECONNREFUSED ? -ECONNREFUSED : -EIO,
		       "server %s: %s", c->server, why);
}

static int perform(struct client *c, const char *path, struct client_reply *r,
		   struct err *e)
{
	struct buf url = BUF_INIT;
	CURLcode rc;

	buf_printf(&url, "%s%s", c->server, path);
	r->status = 0;
	buf_reset(&r->body);
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->h, CURLOPT_URL, (char *)url.data);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "stackyard-cli");
	rc = curl_easy_perform(c->h);
	buf_release(&url);
	if (rc != CURLE_OK)
		return transport_failure(c, rc, e);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status < 200 || r->status > 299)
		return http_failure(r, e);
	return 0;
}

int client_get(struct client *c, const char *path, struct client_reply *r,
	       struct err *e)
{
	curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
	return perform(c, path, r, e);
}

int client_post(struct client *c, const char *path, const void *body,
		size_t len, struct client_reply *r, struct err *e)
{
	struct curl_slist *h = NULL;
	int rc;

	h = curl_slist_append(h, "Content-Type: application/octet-stream");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c->h, CURLOPT_POST, 1L);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, h);
	rc = perform(c, path, r, e);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	return rc;
}
