/* The scraper (scrape.h): units, the network thread, target sync, reload.
 *
 * Threads and what they own:
 *   - the network thread owns the curl multi handle, every unit's transfer
 *     (easy, headers, body), schedules, the runtime (jobs, relabelers,
 *     file_sd watchers) and the units array; it changes the array and the
 *     runtime only under s->mu, so readers holding s->mu (targets JSON,
 *     metrics, workers) see a consistent picture. It holds s->mu only to
 *     install what it prepared without it: a sync builds the new units
 *     array unlocked and swaps it in;
 *   - the discovery thread (discovery.c) reads file_sd files and plans the
 *     units of their targets (plan.c), with no lock held, for the network
 *     thread to install;
 *   - workers own a unit from the moment it is queued (u->queued) until
 *     they clear the flag: its work body and delta state. A unit removed
 *     while queued is marked dead and freed by its worker.
 * Status fields and per-job counters change under s->mu. */
#include "scrape.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "../base/file.h"
#include "../base/intern.h"
#include "../base/xalloc.h"
#include "delta.h"
#include "scrape_int.h"

int64_t scrape_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * STORE_NS_PER_SEC + t.tv_nsec;
}

/* ---- units -------------------------------------------------------------------- */

/* The first due time: the unit's stagger offset within the interval. */
static int64_t first_due(const char *url, int64_t interval, int64_t now)
{
	int64_t off = (int64_t)(XXH3_64bits(url, strlen(url)) % (uint64_t)interval);
	int64_t due = now - now % interval + off;

	return due < now ? due + interval : due;
}

/* The counters row of (job, profile type), created on first use. */
static uint32_t stat_row(struct scraper *s, const char *job, const char *prof)
{
	struct buf k = BUF_INIT;
	uint32_t id;

	buf_printf(&k, "%s%c%s", job, 0, prof);
	/* With the final NUL: status.c reads the key back as two C strings. */
	id = intern_put(s->stat_keys, k.data, k.len + 1, NULL);
	XGROW(s->stats, s->stats_cap, (size_t)id + 1);
	if (id + 1 > s->nstats) {
		memset(&s->stats[id], 0, sizeof(s->stats[id]));
		s->nstats = id + 1;
	}
	buf_release(&k);
	return id;
}

void scrape_unit_free(struct unit *u)
{
	if (!u)
		return;
	buf_release(&u->body);
	buf_release(&u->work);
	labelset_release(&u->labels);
	delta_free(u->delta);
	free(u->key);
	free(u->url);
	free(u->job_name);
	free(u->prof_name);
	free(u);
}

/* ---- sync: the planned units against the running ones ---------------------------
 *
 * The plan (plan.c) was made off this thread; matching it against the
 * running units is a lookup per planned unit, at most global.max_targets.
 * The network thread alone changes the units array and the runtime, so it
 * reads them unlocked; it takes s->mu only to install the result: the
 * fields others read under the lock, the counters rows of new units, the
 * units that go, the array, the drop counts. */

struct sync {
	struct scraper *s;
	struct intern *old;      /* keys of the running units; id = index */
	char *claimed;           /* per running unit: kept */
	struct unit **next;
	size_t nnext, cap;
	int64_t now;
};

/* The running unit w names, or a new one (taking w's strings). */
static void sync_one(struct sync *y, struct want *w)
{
	const struct scrape_job *j = &y->s->rt->cfg->jobs[w->job];
	uint32_t id = intern_find(y->old, w->key, strlen(w->key));
	struct unit *u;

	if (id != INTERN_NONE && !y->claimed[id]) {
		y->claimed[id] = 1;
		u = y->s->units[id];
		if (u->interval != j->interval)
			u->next_due = first_due(u->url, j->interval, y->now);
	} else {
		u = xcalloc(1, sizeof(*u));
		u->key = w->key;
		u->url = w->url;
		u->labels = w->labels;
		u->job_name = xstrdup(j->job_name);
		u->prof_name = xstrdup(j->profiles[w->prof].name);
		u->stat = STAT_NONE;
		u->delta = delta_new();
		u->next_due = first_due(u->url, j->interval, y->now);
		w->key = w->url = NULL;
		w->labels = (struct labelset){0};
	}
	u->job = j;
	u->prof = &j->profiles[w->prof];
	u->interval = j->interval;
	y->next[y->nnext++] = u;
}

/* Stops a unit that is no longer wanted. Network thread, under s->mu. */
static void retire(struct scraper *s, struct unit *u)
{
	if (u->easy) {
		curl_multi_remove_handle(s->multi, u->easy);
		curl_easy_cleanup(u->easy);
		curl_slist_free_all(u->headers);
		curl_slist_free_all(u->connect_to);
		u->easy = NULL;
		u->headers = NULL;
		u->connect_to = NULL;
		s->inflight--;
	}
	if (u->queued)
		u->dead = 1;
	else
		scrape_unit_free(u);
}

/* Installs y. Under s->mu; prev gets each job's previous drop count. */
static void sync_install(struct sync *y, const size_t *dropped, size_t *prev)
{
	struct scraper *s = y->s;
	size_t i;

	for (i = 0; i < y->nnext; i++) {
		struct unit *u = y->next[i];
		if (u->stat == STAT_NONE)
			u->stat = stat_row(s, u->job_name, u->prof_name);
		u->endpoint_delta = u->prof->delta;
		u->span = u->prof->delta && u->prof->seconds ? u->prof->seconds : u->interval;
	}
	for (i = 0; i < s->nunits; i++)
		if (!y->claimed[i])
			retire(s, s->units[i]);
	free(s->units);
	s->units = y->next;
	s->nunits = y->nnext;
	s->cap = y->cap;
	s->next_start = 0;
	for (i = 0; i < s->rt->cfg->njobs; i++) {
		prev[i] = s->rt->jobs[i].dropped;
		s->rt->jobs[i].dropped = dropped[i];
	}
}

/* A job that starts or stops losing targets to the cap, or loses a
 * different number, is logged. */
static void log_dropped(struct scraper *s, const size_t *prev, const size_t *now)
{
	const struct scrape_config *cfg = s->rt->cfg;
	size_t i;

	for (i = 0; s->log && i < cfg->njobs; i++) {
		if (now[i] == prev[i])
			continue;
		if (now[i])
			s->log("warn", "scrape: job %s: %zu targets (target x profile type) are not "
			       "scraped: over global.max_targets (%zu)", cfg->jobs[i].job_name, now[i],
			       cfg->max_targets);
		else
			s->log("info", "scrape: job %s: every target is scraped again (within "
			       "global.max_targets)", cfg->jobs[i].job_name);
	}
}

/* Makes the units those p plans for s->rt, and frees p. Network thread. */
static void sync_units(struct scraper *s, struct plan *p)
{
	struct sync y = {.s = s, .now = scrape_now()};
	size_t *prev = xcalloc(s->rt->cfg->njobs + 1, sizeof(*prev)), i;

	y.old = intern_new(s->nunits);
	y.claimed = xcalloc(s->nunits + 1, 1);
	y.cap = p->n + 1;
	y.next = xcalloc(y.cap, sizeof(*y.next));
	for (i = 0; i < s->nunits; i++)
		intern_put(y.old, s->units[i]->key, strlen(s->units[i]->key), NULL);
	for (i = 0; i < p->n; i++)
		sync_one(&y, &p->w[i]);
	pthread_mutex_lock(&s->mu);
	sync_install(&y, p->dropped, prev);
	pthread_mutex_unlock(&s->mu);
	log_dropped(s, prev, p->dropped);
	intern_free(y.old);
	free(y.claimed);
	free(prev);
	plan_free(p);
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

/* tls_config.server_name: the name the certificate is checked against
 * (and sent as SNI) while the connection goes to the target's address.
 * curl takes that name from the URL's host, so the URL names server_name
 * and CURLOPT_CONNECT_TO sends the connection to the real host and port. */
static void set_server_name(struct unit *u, CURL *c)
{
	const char *auth = strstr(u->url, "://"), *path, *colon;
	struct buf url = BUF_INIT, to = BUF_INIT;

	if (!u->job->server_name || !auth)
		return;
	auth += 3;
	path = auth + strcspn(auth, "/?");
	colon = memrchr(auth, ':', (size_t)(path - auth));
	if (!colon || (auth[0] == '[' && colon < (const char *)memchr(auth, ']', (size_t)(path - auth))))
		return;   /* no port: config.c requires one, so not reached */
	buf_printf(&url, "%.*s%s%s", (int)(auth - u->url), u->url, u->job->server_name, colon);
	buf_printf(&to, "%s:%.*s:%.*s", u->job->server_name, (int)(path - colon - 1), colon + 1,
		   (int)(path - auth), auth);
	u->connect_to = curl_slist_append(NULL, (char *)to.data);
	curl_easy_setopt(c, CURLOPT_URL, (char *)url.data);
	curl_easy_setopt(c, CURLOPT_CONNECT_TO, u->connect_to);
	buf_release(&url);
	buf_release(&to);
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
	u->started = scrape_now();
	curl_easy_setopt(c, CURLOPT_URL, u->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(c, CURLOPT_PRIVATE, u);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "stackyard-scraper");
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	/* A Content-Length over the cap fails before any byte is read; the
	 * write callback still caps bodies without one (and decompressed). */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SCRAPE_MAX_BODY);
	set_auth(u, c);
	set_tls(u->job, c);
	set_server_name(u, c);
	if (u->headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, u->headers);
	u->easy = c;
	curl_multi_add_handle(s->multi, c);
	s->inflight++;
}

/* The end of a transfer: an error is the unit's status at once; a body goes
 * to the workers. */
static void finish(struct scraper *s, CURL *c, CURLcode res)
{
	struct unit *u = NULL;
	long code = 0;
	char msg[sizeof(u->last_error)] = "";

	curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&u);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (u->too_big || res == CURLE_FILESIZE_EXCEEDED)
		snprintf(msg, sizeof(msg), "response larger than %u bytes", SCRAPE_MAX_BODY);
	else if (res != CURLE_OK)
		snprintf(msg, sizeof(msg), "%s", curl_easy_strerror(res));
	else if (code != 200)
		snprintf(msg, sizeof(msg), "HTTP %ld: %.120s", code,
			 u->body.data ? (char *)u->body.data : "");
	curl_multi_remove_handle(s->multi, c);
	curl_easy_cleanup(c);
	curl_slist_free_all(u->headers);
	curl_slist_free_all(u->connect_to);
	u->headers = NULL;
	u->connect_to = NULL;
	u->easy = NULL;
	s->inflight--;
	/* It may be due again already (a CPU profile answers at the end of its
	 * interval), or a unit may be waiting for the slot it freed. */
	if (u->next_due < s->next_start || s->starved)
		s->next_start = 0;

	pthread_mutex_lock(&s->mu);
	u->last_start = u->started;
	u->last_duration = scrape_now() - u->started;
	s->stats[u->stat].scrapes++;
	s->stats[u->stat].seconds += (double)u->last_duration / 1e9;
	s->stats[u->stat].bytes += u->body.len;
	if (msg[0]) {
		s->stats[u->stat].errors++;
		u->health = H_DOWN;
		snprintf(u->last_error, sizeof(u->last_error), "%s", msg);
		buf_release(&u->body);
	} else {
		u->work = u->body;
		u->body = (struct buf)BUF_INIT;
		scrape_queue(s, u);
	}
	pthread_mutex_unlock(&s->mu);
}

/* ---- the network thread ----------------------------------------------------------- */

/* Starts what is due; returns when to look again (ns): the next due time
 * of a unit not in flight, at most 1 s away.
 *
 * Due times stay on the unit's grid (first due + k intervals). A unit that
 * is due while its previous scrape is still running (a CPU profile takes
 * the whole interval to answer) starts as soon as that one ends, so that
 * consecutive CPU profiles cover the timeline; a due time that is a whole
 * interval in the past is dropped and counted as missed. */
static int64_t start_due(struct scraper *s)
{
	int64_t now = scrape_now(), next = now + STORE_NS_PER_SEC;
	size_t i;

	s->starved = 0;
	for (i = 0; i < s->nunits; i++) {
		struct unit *u = s->units[i];
		int busy = u->easy || __atomic_load_n(&u->queued, __ATOMIC_ACQUIRE);
		int go = !busy && s->inflight < s->max_inflight;
		uint64_t missed = 0;

		if (u->next_due > now) {
			next = u->next_due < next ? u->next_due : next;
			continue;
		}
		while (u->next_due + u->interval <= now) {
			u->next_due += u->interval;
			missed++;
		}
		if (missed || go) {
			pthread_mutex_lock(&s->mu);
			s->stats[u->stat].missed += missed;
			s->stats[u->stat].late += go ? (double)(now - u->next_due) / 1e9 : 0;
			pthread_mutex_unlock(&s->mu);
		}
		if (go) {
			start(s, u);
			u->next_due += u->interval;
			next = u->next_due < next ? u->next_due : next;
		} else if (!busy) {
			s->starved = 1;   /* waits for room in the transfer pool */
		}
	}
	return next;
}

/* file_sd every SCRAPE_SD_POLL_MS, and a pending reload. A scan (and the
 * plan of the units, when a target list changed) is made on the discovery
 * thread; until it is collected neither the watchers nor the runtime
 * change (discovery.c). A reload switches runtimes at once but syncs only
 * with the plan made from the new one's first scan, so that units of
 * file_sd targets that stay are not dropped and made again in between;
 * until then the old runtime stays (units point at its jobs). */
static void discover(struct scraper *s)
{
	int64_t now = scrape_now();
	struct runtime *old = NULL;
	struct plan *p = NULL;
	int reload = 0;

	if (s->sd_busy && scrape_sd_collect(s, &p) && s->retired) {
		old = s->retired;
		s->retired = NULL;
	}
	if (p)
		sync_units(s, p);
	if (old) {
		/* Units now point at the new jobs: the old config can go. */
		runtime_free(old);
		pthread_mutex_lock(&s->mu);
		s->reloads++;
		pthread_cond_broadcast(&s->reload_cv);
		pthread_mutex_unlock(&s->mu);
	}
	if (s->sd_busy)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->pending) {
		runtime_adopt(s->pending, s->rt);
		s->retired = s->rt;
		s->rt = s->pending;
		s->pending = NULL;
		reload = 1;
	}
	pthread_mutex_unlock(&s->mu);
	if (reload || now >= s->next_sd_poll) {
		scrape_sd_request(s, now, reload);
		s->next_sd_poll = now + SCRAPE_SD_POLL_MS * 1000000LL;
	}
}

static int stopping(struct scraper *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

/* ---- the event loop: curl's socket interface over epoll --------------------------
 *
 * curl_multi_poll() would poll every transfer's socket and curl_multi_perform()
 * would visit every transfer, on every wake-up: with a thousand CPU
 * profiles in flight (each holds its socket for the whole interval) that was
 * three quarters of the server's CPU. With curl_multi_socket_action() curl
 * tells us which sockets to watch (on_socket) and when to call it back
 * (on_timer), and each wake-up touches only the sockets that are ready. */

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct scraper *s = arg;
	struct epoll_event ev = {0};

	(void)easy;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct scraper *s = arg;

	(void)multi;
	s->curl_deadline = timeout_ms < 0 ? -1 : scrape_now() + (int64_t)timeout_ms * 1000000;
	return 0;
}

void scrape_wake(struct scraper *s)
{
	uint64_t one = 1;
	ssize_t w = write(s->wake, &one, sizeof(one));

	(void)w;
}

/* ms until what comes first: a unit due, curl's timer, at most 1 s. */
static int wait_ms(struct scraper *s, int64_t next_due)
{
	int64_t now = scrape_now(), until = next_due;

	if (s->curl_deadline >= 0 && s->curl_deadline < until)
		until = s->curl_deadline;
	if (until <= now)
		return 0;
	return until - now > STORE_NS_PER_SEC ? 1000 : (int)((until - now + 999999) / 1000000);
}

static void drain_done(struct scraper *s)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(s->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			finish(s, m->easy_handle, m->data.result);
}

static void *loop(void *arg)
{
	struct scraper *s = arg;
	struct epoll_event evs[256];
	int running, n, i;

	while (!stopping(s)) {
		int64_t now;
		discover(s);
		now = scrape_now();
		if (now >= s->next_start)
			s->next_start = start_due(s);
		n = epoll_wait(s->ep, evs, 256, wait_ms(s, s->next_start));
		for (i = 0; i < n; i++) {
			int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
				    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
				    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
			if (evs[i].data.fd == s->wake) {
				uint64_t v;
				ssize_t r = read(s->wake, &v, sizeof(v));
				(void)r;
				continue;
			}
			curl_multi_socket_action(s->multi, evs[i].data.fd, flags, &running);
		}
		if (s->curl_deadline >= 0 && scrape_now() >= s->curl_deadline) {
			s->curl_deadline = -1;
			curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		drain_done(s);
	}
	return NULL;
}

static int loop_init(struct scraper *s, struct err *e)
{
	struct epoll_event ev = {.events = EPOLLIN};

	s->curl_deadline = -1;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ep < 0 || s->wake < 0)
		return err_set(e, -errno, "scrape: epoll/eventfd: %s", strerror(errno));
	ev.data.fd = s->wake;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->wake, &ev) < 0)
		return err_set(e, -errno, "scrape: epoll_ctl: %s", strerror(errno));
	if (!(s->multi = curl_multi_init()))
		return err_set(e, -ENOMEM, "scrape: cannot create a curl multi handle");
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	/* Keep a connection per target alive between scrapes: its profile
	 * types and the next interval reuse it (no connect, no TLS handshake). */
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->max_inflight);
	return 0;
}

/* Each transfer holds a socket: use the hard limit of open files, and keep
 * half of it for the rest of the server. */
static int max_inflight(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 2 > SCRAPE_MAX_INFLIGHT)
		return SCRAPE_MAX_INFLIGHT;
	return rl.rlim_cur / 2 > 16 ? (int)(rl.rlim_cur / 2) : 16;
}

int scraper_start(struct scrape_config *cfg, struct store *store, scrape_log_fn log,
		  struct scraper **out, struct err *e)
{
	struct scraper *s;
	int rc;

	*out = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s = xcalloc(1, sizeof(*s));
	s->store = store;
	s->log = log;
	s->max_inflight = max_inflight();
	s->stat_keys = intern_new(64);
	s->ep = s->wake = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->reload_mu, NULL);
	pthread_cond_init(&s->reload_cv, NULL);
	pthread_cond_init(&s->work_cv, NULL);
	pthread_cond_init(&s->sd_cv, NULL);
	s->stop = 1; /* until the threads run: scraper_stop() must not join */
	if ((rc = runtime_new(cfg, &s->rt, e)) < 0)
		goto fail;
	if ((rc = loop_init(s, e)) < 0)
		goto fail;
	runtime_poll(s, s->rt, scrape_now());
	s->next_sd_poll = scrape_now() + SCRAPE_SD_POLL_MS * 1000000LL;
	sync_units(s, plan_build(s->rt, NULL));
	if ((rc = scrape_sd_start(s, e)) < 0)
		goto fail;
	s->stop = 0;
	if ((rc = scrape_workers_start(s, e)) < 0)
		goto fail;
	if (pthread_create(&s->thread, NULL, loop, s) != 0) {
		scrape_workers_stop(s);
		rc = err_set(e, -EAGAIN, "scrape: cannot start the scrape thread");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	s->stop = 1;
	scraper_stop(s);
	return rc;
}

void scraper_stop(struct scraper *s)
{
	size_t i;

	if (!s)
		return;
	if (!stopping(s)) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
		scrape_wake(s);
		pthread_join(s->thread, NULL);
		scrape_workers_stop(s);
	}
	scrape_sd_stop(s);
	for (i = 0; i < s->nunits; i++) {
		s->units[i]->queued = 0; /* workers are gone */
		retire(s, s->units[i]);
	}
	free(s->units);
	curl_multi_cleanup(s->multi);
	if (s->ep >= 0)
		close(s->ep);
	if (s->wake >= 0)
		close(s->wake);
	runtime_free(s->rt);
	runtime_free(s->retired);
	runtime_free(s->pending);
	intern_free(s->stat_keys);
	free(s->stats);
	pthread_cond_destroy(&s->work_cv);
	pthread_cond_destroy(&s->sd_cv);
	pthread_cond_destroy(&s->reload_cv);
	pthread_mutex_destroy(&s->reload_mu);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int scraper_reload(struct scraper *s, struct scrape_config *cfg, struct err *e)
{
	struct runtime *rt;
	uint64_t before;
	int rc;

	if ((rc = runtime_new(cfg, &rt, e)) < 0)
		return rc;
	pthread_mutex_lock(&s->reload_mu);
	pthread_mutex_lock(&s->mu);
	s->pending = rt;
	before = s->reloads;
	pthread_mutex_unlock(&s->mu);
	scrape_wake(s);
	pthread_mutex_lock(&s->mu);
	/* Until the units run the new configuration (discover()). */
	while (s->reloads == before)
		pthread_cond_wait(&s->reload_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&s->reload_mu);
	return 0;
}

int scraper_reload_file(struct scraper *s, const char *path, struct err *e)
{
	struct scrape_config *cfg;
	int rc;

	rc = scrape_config_load(path, &cfg, e);
	if (rc == 0)
		rc = scraper_reload(s, cfg, e);
	pthread_mutex_lock(&s->mu);
	s->last_reload_failed = rc < 0;
	pthread_mutex_unlock(&s->mu);
	return rc;
}
