#include "scrape.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "../base/file.h"
#include "../base/json.h"
#include "../base/xalloc.h"
#include "../ingest/normalize.h"
#include "../pprof/decode.h"
#include "delta.h"
#include "relabel.h"

enum health { H_UNKNOWN, H_UP, H_DOWN };

struct unit {
	const struct scrape_job *job;
	const struct pprof_target_cfg *prof;
	char *url;
	struct labelset labels;   /* the series labels of this target */
	int64_t next_due;
	struct delta *delta;      /* for cumulative sample types */
	/* transfer in flight */
	CURL *easy;
	struct curl_slist *headers;
	struct buf body;
	int too_big;
	int64_t started;
	/* status, under scraper.mu */
	int64_t last_start, last_duration;
	enum health health;
	char last_error[256];
};

struct scraper {
	const struct scrape_config *cfg;
	struct store *store;
	struct unit *units;
	size_t nunits, cap;
	CURLM *multi;
	pthread_t thread;
	pthread_mutex_t mu;
	volatile int stop;
	int inflight;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * STORE_NS_PER_SEC + t.tv_nsec;
}

/* ---- building units --------------------------------------------------------- */

static char *unit_url(const struct scrape_job *j, const char *addr,
		      const struct pprof_target_cfg *p)
{
	struct buf u = BUF_INIT;
	char sep = '?';
	size_t i;

	buf_printf(&u, "%s://%s%s%s", j->scheme, addr, j->path_prefix ? j->path_prefix : "", p->path);
	for (i = 0; i < j->nparams; i++) {
		char *k = curl_easy_escape(NULL, j->params[i].name, 0);
		char *v = curl_easy_escape(NULL, j->params[i].value, 0);
		buf_printf(&u, "%c%s=%s", sep, k, v);
		curl_free(k);
		curl_free(v);
		sep = '&';
	}
	if (p->delta)
		buf_printf(&u, "%cseconds=%" PRId64, sep,
			   p->seconds ? p->seconds / STORE_NS_PER_SEC : j->interval / STORE_NS_PER_SEC);
	return (char *)buf_detach(&u, NULL);
}

/* The first due time: the target's stagger offset within the interval. */
static int64_t first_due(const char *url, int64_t interval, int64_t now)
{
	int64_t off = (int64_t)(XXH3_64bits(url, strlen(url)) % (uint64_t)interval);
	int64_t due = now - now % interval + off;

	return due < now ? due + interval : due;
}

static void add_units(struct scraper *s, const struct scrape_job *j, const struct labelset *ls)
{
	const char *addr = labelset_get(ls, "__address__");
	int64_t now = now_ns();
	size_t i, k;

	for (i = 0; i < j->nprofiles; i++) {
		struct unit *u;
		if (!j->profiles[i].enabled)
			continue;
		XGROW(s->units, s->cap, s->nunits + 1);
		u = &s->units[s->nunits++];
		memset(u, 0, sizeof(*u));
		u->job = j;
		u->prof = &j->profiles[i];
		u->url = unit_url(j, addr, u->prof);
		for (k = 0; k < ls->n; k++)
			if (strncmp(ls->l[k].name, "__", 2))
				labelset_set(&u->labels, ls->l[k].name, ls->l[k].value);
		if (!labelset_get(&u->labels, "instance"))
			labelset_set(&u->labels, "instance", addr);
		if (!labelset_get(&u->labels, "service_name"))
			labelset_set(&u->labels, "service_name", j->job_name);
		u->delta = delta_new();
		u->next_due = first_due(u->url, j->interval, now);
	}
}

/* One target of a static config: its label set, relabelled. */
static int add_target(struct scraper *s, const struct scrape_job *j, const struct relabeler *rl,
		      const struct static_config *sc, const char *target)
{
	struct labelset ls = {0};
	size_t i;

	labelset_set(&ls, "__address__", target);
	labelset_set(&ls, "__scheme__", j->scheme);
	labelset_set(&ls, "job", j->job_name);
	for (i = 0; i < sc->nlabels; i++)
		labelset_set(&ls, sc->labels[i].name, sc->labels[i].value);
	if (!rl || relabel_apply(rl, &ls))
		add_units(s, j, &ls);
	labelset_release(&ls);
	return 0;
}

static int add_job(struct scraper *s, const struct scrape_job *j, struct err *e)
{
	struct relabeler *rl = NULL;
	size_t i, t;
	int rc = 0;

	if (j->nrelabel && (rc = relabel_compile(j->relabel, j->nrelabel, &rl, e)) < 0)
		return err_prefix(e, "job %s", j->job_name);
	for (i = 0; i < j->nstatics; i++)
		for (t = 0; t < j->statics[i].ntargets; t++)
			add_target(s, j, rl, &j->statics[i], j->statics[i].targets[t]);
	relabel_free(rl);
	return rc;
}

/* ---- one transfer ------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct unit *u = arg;
	size_t len = size * n;

	if (u->body.len + len > SCRAPE_MAX_BODY) {
		u->too_big = 1;
		return 0; /* aborts the transfer */
	}
	buf_append(&u->body, p, len);
	return len;
}

/* A secret from a file, read at every scrape so rotated tokens are used. */
static char *read_secret(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct err e = {0};

	if (file_read(path, 64 * 1024, &data, &len, &e) < 0)
		return NULL;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
		len--;
	data[len] = '\0';
	return (char *)data;
}

static void set_auth(struct unit *u, CURL *c)
{
	const struct scrape_job *j = u->job;
	char *tok = j->bearer_file ? read_secret(j->bearer_file) : NULL, *pw;
	struct buf h = BUF_INIT;

	if (tok || j->bearer) {
		buf_printf(&h, "Authorization: Bearer %s", tok ? tok : j->bearer);
		u->headers = curl_slist_append(u->headers, (char *)h.data);
	}
	if (j->basic_user) {
		pw = j->basic_pass_file ? read_secret(j->basic_pass_file) : NULL;
		curl_easy_setopt(c, CURLOPT_USERNAME, j->basic_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pw ? pw : j->basic_pass ? j->basic_pass : "");
		free(pw);
	}
	free(tok);
	buf_release(&h);
}

static void set_tls(const struct scrape_job *j, CURL *c)
{
	if (j->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, j->ca_file);
	if (j->cert_file)
		curl_easy_setopt(c, CURLOPT_SSLCERT, j->cert_file);
	if (j->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, j->key_file);
	if (j->insecure_skip_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void start(struct scraper *s, struct unit *u)
{
	CURL *c = curl_easy_init();
	long timeout_ms = (long)(u->job->timeout / 1000000);

	if (!c)
		return;
	buf_reset(&u->body);
	u->too_big = 0;
	u->headers = NULL;
	u->started = now_ns();
	curl_easy_setopt(c, CURLOPT_URL, u->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(c, CURLOPT_PRIVATE, u);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "stackyard-scraper");
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	set_auth(u, c);
	set_tls(u->job, c);
	if (u->headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, u->headers);
	u->easy = c;
	curl_multi_add_handle(s->multi, c);
	s->inflight++;
}

static void set_status(struct scraper *s, struct unit *u, enum health h, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_status(struct scraper *s, struct unit *u, enum health h, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->mu);
	u->health = h;
	u->last_start = u->started;
	u->last_duration = now_ns() - u->started;
	va_start(ap, fmt);
	vsnprintf(u->last_error, sizeof(u->last_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&s->mu);
}

static int has_cumulative(const struct pprof_profile *p)
{
	uint32_t i;

	for (i = 0; i < p->nsample_type; i++) {
		struct pprof_str t = p->str[p->sample_type[i].type];
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)t.len, t.ptr);
		if (delta_is_cumulative(name))
			return 1;
	}
	return 0;
}

/* Decoded, made a delta if need be, normalised and stored. */
static void process(struct scraper *s, struct unit *u)
{
	struct pprof_profile *p = NULL, *d = NULL;
	struct norm_opts o = {0};
	struct norm *n = NULL;
	struct store_profile sp;
	struct err e = {0};
	int first = 0;

	if (pprof_decode(u->body.data, u->body.len, NULL, &p, &e) < 0) {
		set_status(s, u, H_DOWN, "not a pprof profile: %s", e.msg);
		return;
	}
	if (!u->prof->delta && has_cumulative(p)) {
		if (delta_compute(u->delta, p, &d, &first, &e) < 0) {
			set_status(s, u, H_DOWN, "delta: %s", e.msg);
			goto out;
		}
		if (first) {
			set_status(s, u, H_UP, "%s", "");
			goto out;
		}
	}
	o.name = u->prof->name;
	o.labels = u->labels.l;
	o.nlabels = u->labels.n;
	if (normalize(d ? d : p, &o, &n, &e) < 0) {
		set_status(s, u, H_DOWN, "labels: %s", e.msg);
		goto out;
	}
	sp = (struct store_profile){d ? d : p, n, u->started,
				    u->prof->delta ? (u->prof->seconds ? u->prof->seconds : u->job->interval)
						   : u->job->interval};
	if (store_append(s->store, &sp, 1, &e) < 0)
		set_status(s, u, H_DOWN, "storing: %s", e.msg);
	else
		set_status(s, u, H_UP, "%s", "");
out:
	norm_free(n);
	pprof_free(d);
	pprof_free(p);
}

static void finish(struct scraper *s, CURL *c, CURLcode res)
{
	struct unit *u = NULL;
	long code = 0;

	curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&u);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (u->too_big)
		set_status(s, u, H_DOWN, "response larger than %u bytes", SCRAPE_MAX_BODY);
	else if (res != CURLE_OK)
		set_status(s, u, H_DOWN, "%s", curl_easy_strerror(res));
	else if (code != 200)
		set_status(s, u, H_DOWN, "HTTP %ld: %.120s", code, u->body.data ? (char *)u->body.data : "");
	else
		process(s, u);
	curl_multi_remove_handle(s->multi, c);
	curl_easy_cleanup(c);
	curl_slist_free_all(u->headers);
	u->headers = NULL;
	u->easy = NULL;
	buf_release(&u->body);
	s->inflight--;
}

/* ---- the loop ------------------------------------------------------------------- */

/* Starts what is due; returns ms until the next unit is due (at most 1 s). */
static int start_due(struct scraper *s)
{
	int64_t now = now_ns(), next = now + STORE_NS_PER_SEC;
	size_t i;

	for (i = 0; i < s->nunits; i++) {
		struct unit *u = &s->units[i];
		if (!u->easy && u->next_due <= now && s->inflight < SCRAPE_MAX_INFLIGHT) {
			start(s, u);
			/* A unit that fell behind skips the intervals it missed. */
			while (u->next_due <= now)
				u->next_due += u->job->interval;
		}
		if (!u->easy && u->next_due < next)
			next = u->next_due;
	}
	return next <= now ? 0 : (int)((next - now) / 1000000) + 1;
}

static void *loop(void *arg)
{
	struct scraper *s = arg;
	int running, left;

	while (!s->stop) {
		CURLMsg *m;
		int wait_ms = start_due(s);
		curl_multi_perform(s->multi, &running);
		while ((m = curl_multi_info_read(s->multi, &left)))
			if (m->msg == CURLMSG_DONE)
				finish(s, m->easy_handle, m->data.result);
		curl_multi_poll(s->multi, NULL, 0, wait_ms > 1000 ? 1000 : wait_ms, NULL);
	}
	return NULL;
}

int scraper_start(const struct scrape_config *cfg, struct store *store, struct scraper **out,
		  struct err *e)
{
	struct scraper *s = xcalloc(1, sizeof(*s));
	size_t i;
	int rc = 0;

	*out = NULL;
	s->cfg = cfg;
	s->store = store;
	pthread_mutex_init(&s->mu, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < cfg->njobs && !rc; i++)
		rc = add_job(s, &cfg->jobs[i], e);
	if (!rc && !(s->multi = curl_multi_init()))
		rc = err_set(e, -ENOMEM, "scrape: cannot create a curl multi handle");
	if (!rc && pthread_create(&s->thread, NULL, loop, s) != 0)
		rc = err_set(e, -EAGAIN, "scrape: cannot start the scrape thread");
	if (rc) {
		s->stop = 1;
		scraper_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

void scraper_stop(struct scraper *s)
{
	size_t i;

	if (!s)
		return;
	if (!s->stop) {
		s->stop = 1;
		curl_multi_wakeup(s->multi);
		pthread_join(s->thread, NULL);
	}
	for (i = 0; i < s->nunits; i++) {
		struct unit *u = &s->units[i];
		if (u->easy) {
			curl_multi_remove_handle(s->multi, u->easy);
			curl_easy_cleanup(u->easy);
			curl_slist_free_all(u->headers);
		}
		buf_release(&u->body);
		labelset_release(&u->labels);
		delta_free(u->delta);
		free(u->url);
	}
	curl_multi_cleanup(s->multi);
	free(s->units);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static const char *const health_name[] = {"unknown", "up", "down"};

void scraper_targets_json(struct scraper *s, struct buf *out)
{
	size_t i, k;

	buf_puts(out, "{\"targets\":[");
	pthread_mutex_lock(&s->mu);
	for (i = 0; s && i < s->nunits; i++) {
		const struct unit *u = &s->units[i];
		buf_puts(out, i ? ",{\"job\":" : "{\"job\":");
		json_put_str(out, u->job->job_name, strlen(u->job->job_name));
		buf_puts(out, ",\"url\":");
		json_put_str(out, u->url, strlen(u->url));
		buf_puts(out, ",\"profile_type\":");
		json_put_str(out, u->prof->name, strlen(u->prof->name));
		buf_puts(out, ",\"labels\":{");
		for (k = 0; k < u->labels.n; k++) {
			if (k)
				buf_putc(out, ',');
			json_put_str(out, u->labels.l[k].name, strlen(u->labels.l[k].name));
			buf_putc(out, ':');
			json_put_str(out, u->labels.l[k].value, strlen(u->labels.l[k].value));
		}
		buf_printf(out, "},\"health\":\"%s\",\"last_scrape\":%" PRId64 ",\"duration_seconds\":%.3f,"
			   "\"last_error\":", health_name[u->health], u->last_start / 1000000,
			   (double)u->last_duration / 1e9);
		json_put_str(out, u->last_error, strlen(u->last_error));
		buf_putc(out, '}');
	}
	pthread_mutex_unlock(&s->mu);
	buf_puts(out, "]}\n");
}
