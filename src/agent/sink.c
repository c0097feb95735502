#include "sink.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../ingest/normalize.h"
#include "../pprof/encode.h"
#include "../store/store.h"
#include "push.h"

/* Appends s with the bytes a Pyroscope name cannot carry replaced. */
static void put_value(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_putc(b, *s == ',' || *s == '}' || *s == '=' ? '_' : *s);
}

void sink_ingest_path(const struct agent_profile *ap, struct buf *out)
{
	struct buf name = BUF_INIT;
	char *esc;
	size_t i;

	/* "agent" is only the application name; the service_name label
	 * overrides it as the series' service_name. */
	buf_puts(&name, "agent{");
	for (i = 0; i < ap->nlabels; i++) {
		buf_printf(&name, "%s%s=", i ? "," : "", ap->labels[i].name);
		put_value(&name, ap->labels[i].value);
	}
	buf_putc(&name, '}');
	esc = curl_easy_escape(NULL, (char *)name.data, (int)name.len);
	buf_printf(out, "/ingest?name=%s&from=%" PRId64 "&until=%" PRId64 "&format=pprof",
		   esc ? esc : "", ap->start, ap->start + ap->duration);
	curl_free(esc);
	buf_release(&name);
}

int sink_push(void *ctx, const struct agent_profile *ap)
{
	struct buf path = BUF_INIT;
	struct err e = {0};
	uint8_t *body;
	size_t len;
	int rc;

	if ((rc = pprof_encode(ap->p, &body, &len, &e)) < 0) {
		log_printf("error", "encoding the profile of %s: %s", ap->service, e.msg);
		return rc;
	}
	sink_ingest_path(ap, &path);
	push_enqueue(ctx, (char *)buf_detach(&path, NULL), body, len);
	return 0;
}

/* A file name part: [A-Za-z0-9._-], others '_'. */
static void put_fname(struct buf *b, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
		buf_putc(b, ok ? c : '_');
	}
}

int sink_dir(void *ctx, const struct agent_profile *ap)
{
	const char *dir = ctx;
	struct buf path = BUF_INIT;
	struct err e = {0};
	uint8_t *body = NULL;
	size_t len;
	int rc;

	if ((rc = pprof_encode(ap->p, &body, &len, &e)) < 0)
		goto out;
	buf_printf(&path, "%s/", dir);
	put_fname(&path, ap->service ? ap->service : "unknown");
	if (ap->pid)
		buf_printf(&path, "-%d", ap->pid);
	buf_printf(&path, "-%" PRId64 ".pb.gz", ap->start / 1000000);
	rc = file_write_atomic((char *)path.data, body, len, &e);
out:
	if (rc < 0)
		log_printf("error", "writing the profile of %s: %s", ap->service, e.msg);
	free(body);
	buf_release(&path);
	return rc;
}

int sink_store(void *ctx, const struct agent_profile *ap)
{
	struct store_profile sp;
	struct norm_opts o = {0};
	struct norm *n = NULL;
	struct err e = {0};
	int rc;

	o.labels = ap->labels;
	o.nlabels = ap->nlabels;
	if ((rc = normalize(ap->p, &o, &n, &e)) < 0)
		goto out;
	sp = (struct store_profile){ap->p, n, ap->start, ap->duration};
	rc = store_append(ctx, &sp, 1, &e);
out:
	if (rc < 0)
		log_printf("error", "storing the profile of %s: %s", ap->service, e.msg);
	norm_free(n);
	return rc;
}
