#include "push.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "agent.h"

#define NS_PER_MS INT64_C(1000000)
#define REPLY_MAX 4096

struct item {
	struct item *next;
	char *path;
	uint8_t *body;
	size_t len;
};

struct push {
	struct push_config cfg;
	char *server;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *head, *tail;     /* oldest first */
	struct push_stats st;
	int stop;
	int64_t drain_until;          /* set by push_free */
	int down;                     /* the last attempt failed (for logging) */
};

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * AGENT_NS_PER_SEC + t.tv_nsec;
}

static void item_free(struct item *it)
{
	free(it->path);
	free(it->body);
	free(it);
}

/* Caller holds mu. */
static struct item *pop_head(struct push *q)
{
	struct item *it = q->head;

	if (!it)
		return NULL;
	q->head = it->next;
	if (!q->head)
		q->tail = NULL;
	q->st.queued--;
	q->st.queued_bytes -= it->len;
	return it;
}

/* Caller holds mu. Drops the oldest until `len` more bytes and one more
 * item fit. Returns how many were dropped. */
static uint64_t make_room(struct push *q, size_t len)
{
	uint64_t n = 0;

	while (q->head && (q->st.queued + 1 > q->cfg.max_items ||
			   q->st.queued_bytes + len > q->cfg.max_bytes)) {
		item_free(pop_head(q));
		n++;
	}
	q->st.dropped += n;
	return n;
}

void push_enqueue(struct push *q, char *path, uint8_t *body, size_t len)
{
	struct item *it;
	uint64_t dropped, total;
	size_t queued, bytes;

	if (len > q->cfg.max_bytes) {
		free(path);
		free(body);
		pthread_mutex_lock(&q->mu);
		q->st.dropped++;
		pthread_mutex_unlock(&q->mu);
		log_printf("warn", "push: a %zu-byte profile is larger than the queue (%zu bytes): dropped",
			  len, q->cfg.max_bytes);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	it->path = path;
	it->body = body;
	it->len = len;
	pthread_mutex_lock(&q->mu);
	dropped = make_room(q, len);
	total = q->st.dropped;
	queued = q->st.queued + 1;
	bytes = q->st.queued_bytes + len;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->st.queued++;
	q->st.queued_bytes += len;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (dropped)
		log_printf("warn", "push: queue full: dropped the %" PRIu64 " oldest profile(s) "
			  "(%" PRIu64 " dropped so far); %zu bytes in %zu profiles queued, cap %zu bytes",
			  dropped, total, bytes, queued, q->cfg.max_bytes);
}

static size_t on_reply(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t len = size * n;

	if (b->len < REPLY_MAX)
		buf_append(b, p, len < REPLY_MAX - b->len ? len : REPLY_MAX - b->len);
	return len;
}

enum outcome { SENT, REJECTED, RETRY };

static enum outcome post(struct push *q, CURL *c, const struct item *it, struct buf *why)
{
	struct buf url = BUF_INIT, reply = BUF_INIT;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	enum outcome o;
	CURLcode rc;
	long status = 0;

	buf_printf(&url, "%s%s", q->server, it->path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, (char *)url.data);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (char *)it->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, q->cfg.timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	buf_reset(why);
	if (rc != CURLE_OK) {
		buf_printf(why, "%s", curl_easy_strerror(rc));
		o = RETRY;
	} else if (status >= 200 && status < 300) {
		o = SENT;
	} else {
		buf_printf(why, "HTTP %ld: %.200s", status, reply.data ? (char *)reply.data : "");
		o = status >= 400 && status < 500 && status != 408 && status != 429 ? REJECTED
										     : RETRY;
	}
	curl_slist_free_all(h);
	buf_release(&url);
	buf_release(&reply);
	return o;
}

/* Caller holds mu. Sleeps until `until` (monotonic) or push_free(). */
static void wait_until(struct push *q, int64_t until)
{
	struct timespec ts;
	int64_t real, d = until - mono_ns();

	if (d <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	real = (int64_t)ts.tv_sec * AGENT_NS_PER_SEC + ts.tv_nsec + d;
	ts.tv_sec = real / AGENT_NS_PER_SEC;
	ts.tv_nsec = real % AGENT_NS_PER_SEC;
	pthread_cond_timedwait(&q->cv, &q->mu, &ts);
}

/* The item goes back to the front for the next attempt (unless the queue
 * filled meanwhile and it no longer fits: then it is the oldest, dropped). */
static void requeue(struct push *q, struct item *it)
{
	if (q->st.queued + 1 > q->cfg.max_items || q->st.queued_bytes + it->len > q->cfg.max_bytes) {
		item_free(it);
		q->st.dropped++;
		return;
	}
	it->next = q->head;
	q->head = it;
	if (!q->tail)
		q->tail = it;
	q->st.queued++;
	q->st.queued_bytes += it->len;
}

static void log_outcome(struct push *q, enum outcome o, const struct buf *why)
{
	if (o == SENT && q->down) {
		log_printf("info", "push: %s is back", q->server);
		q->down = 0;
	} else if (o == RETRY && !q->down) {
		log_printf("warn", "push: %s: %s; retrying with backoff", q->server, (char *)why->data);
		q->down = 1;
	} else if (o == REJECTED) {
		log_printf("error", "push: %s rejected a profile: %s", q->server, (char *)why->data);
	}
}

static void *worker(void *arg)
{
	struct push *q = arg;
	struct buf why = BUF_INIT;
	CURL *c = curl_easy_init();
	int64_t backoff = 0, deadline;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct item *it;
		enum outcome o;
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!q->head || (q->stop && mono_ns() >= q->drain_until))
			break;
		it = pop_head(q);
		pthread_mutex_unlock(&q->mu);
		o = c ? post(q, c, it, &why) : RETRY;
		log_outcome(q, o, &why);
		pthread_mutex_lock(&q->mu);
		if (o == SENT)
			q->st.sent++;
		else if (o == REJECTED)
			q->st.rejected++;
		if (o != RETRY) {
			item_free(it);
			backoff = 0;
			continue;
		}
		q->st.retries++;
		requeue(q, it);
		if (q->stop)  /* one last attempt each when stopping, no backoff */
			break;
		backoff = backoff ? backoff * 2 : q->cfg.backoff_min;
		if (backoff > q->cfg.backoff_max)
			backoff = q->cfg.backoff_max;
		/* New profiles signal the condition too: keep waiting. */
		for (deadline = mono_ns() + backoff; !q->stop && mono_ns() < deadline;)
			wait_until(q, deadline);
	}
	/* Stopping: what could not be sent in time is dropped, counted. */
	while (q->head) {
		item_free(pop_head(q));
		q->st.dropped++;
	}
	pthread_mutex_unlock(&q->mu);
	curl_easy_cleanup(c);
	buf_release(&why);
	return NULL;
}

int push_new(const struct push_config *c, struct push **out, struct err *e)
{
	struct push *q;
	size_t n;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, -ENOMEM, "libcurl could not be initialised");
	q = xcalloc(1, sizeof(*q));
	q->cfg = *c;
	if (!q->cfg.max_bytes)
		q->cfg.max_bytes = 16u << 20;
	if (!q->cfg.max_items)
		q->cfg.max_items = 4096;
	if (q->cfg.backoff_min <= 0)
		q->cfg.backoff_min = 500 * NS_PER_MS;
	if (q->cfg.backoff_max <= 0)
		q->cfg.backoff_max = 30 * AGENT_NS_PER_SEC;
	if (q->cfg.timeout_ms <= 0)
		q->cfg.timeout_ms = 10000;
	q->server = xstrdup(c->server);
	for (n = strlen(q->server); n > 0 && q->server[n - 1] == '/'; n--)
		q->server[n - 1] = '\0';
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, worker, q) != 0) {
		free(q->server);
		free(q);
		return err_set(e, -EAGAIN, "cannot start the push thread");
	}
	*out = q;
	return 0;
}

void push_free(struct push *q, int64_t drain, struct push_stats *final)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	q->drain_until = mono_ns() + drain;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	if (final)
		*final = q->st;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->server);
	free(q);
}

void push_get_stats(struct push *q, struct push_stats *st)
{
	pthread_mutex_lock(&q->mu);
	*st = q->st;
	pthread_mutex_unlock(&q->mu);
}
