/* loadgen: HTTP load generator for `stackyard server` (bench/server.sh).
 *
 *   loadgen --url http://127.0.0.1:PORT [options] FILE...
 *
 * FILEs are pprof profiles (gzipped or not), read into memory and decoded
 * once with pprof_decode() to count their samples. Then, over libcurl (one
 * easy handle, so one kept-alive connection, per client thread):
 *
 *   phase 1  --push-clients N threads POST the files round-robin to
 *            /ingest?name=svcNNN{env=bench}&format=pprof&from=T&until=T+10
 *            for --duration D seconds, or until --profiles K were sent.
 *   phase 2  (if --query-duration Q > 0) the pushes go on, and
 *            --query-clients M threads issue a mix of queries for Q seconds:
 *              fg_10m     flamegraph, one service, last 10 minutes
 *              fg_1h      flamegraph, one service, last hour
 *              fg_1h_all  flamegraph, all services, last hour
 *              top_1h     format=top, one service, last hour
 *              range_1h   /api/v1/range, all services, group_by=service_name
 *              labels     /api/v1/labels/service_name/values, last hour
 *            each client cycling through the kinds in this order.
 *
 * Push number s (counting from --seq-start) goes to service svc(s % S) with
 * S = --services, and timestamp NOW - (1 + (s / S) % SLOTS) * STEP with
 * SLOTS = --window / --step: newest first, so the last 10 minutes fill
 * first. After SLOTS rounds the service numbers move on (svc(S + ...)), so
 * every (series, timestamp) pair is new and nothing is deduplicated. NOW is
 * --now (default: the current time), the end of every query range.
 *
 * Per phase it prints requests by status, profiles/s, samples/s, MB/s of
 * bodies, latency percentiles (p50/p90/p99/max, ms) per request kind, and,
 * with --pid, the server's CPU time (utime + stime from /proc/PID/stat)
 * over the phase. The last line is "next-seq N" for a following run. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../src/base/err.h"
#include "../src/base/file.h"
#include "../src/base/xalloc.h"
#include "../src/pprof/decode.h"
#include "../src/pprof/profile.h"
#include "bench.h"

#define PROFILE_TYPE "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
#define MAX_STATUS 600

enum kind { K_PUSH, K_FG10M, K_FG1H, K_FG1H_ALL, K_TOP1H, K_RANGE1H, K_LABELS, NKIND };
static const char *const kind_name[NKIND] = {
	"push", "fg_10m", "fg_1h", "fg_1h_all", "top_1h", "range_1h", "labels",
};

struct input {
	const char *path;
	uint8_t *data;
	size_t len;
	size_t nsample;
};

/* What one thread saw of one kind in one phase. */
struct kstat {
	double *lat;             /* ms */
	size_t n, cap;
	uint64_t status[MAX_STATUS]; /* [0]: transport error (no HTTP answer) */
	uint64_t ok, samples, bytes_out, bytes_in;
};

struct opts {
	const char *url;
	int push_clients, query_clients, services;
	double duration, query_duration;
	long profiles;
	int64_t now, window, step;
	uint64_t seq_start;
	long pid;
	unsigned seed;
};

static struct opts O = {
	.push_clients = 4, .query_clients = 2, .services = 100,
	.duration = 10, .query_duration = 0, .window = 3000, .step = 10,
};
static struct input *inputs;
static size_t ninputs;

static atomic_uint_fast64_t next_seq;   /* pushes claimed (absolute seq) */
static atomic_int phase;                /* 0, 1 (queries running) */
static atomic_int stop;
static atomic_uint_fast64_t pushed;     /* completed pushes, all phases */

struct client {
	pthread_t th;
	int id;
	int query;
	struct kstat st[2][NKIND];
	char err[CURL_ERROR_SIZE];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void stat_add(struct kstat *s, double ms, long code)
{
	if (s->n == s->cap)
		xgrow((void **)&s->lat, &s->cap, s->n + 1, sizeof(*s->lat));
	s->lat[s->n++] = ms;
	s->status[code > 0 && code < MAX_STATUS ? code : 0]++;
	if (code == 200)
		s->ok++;
}

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	*(uint64_t *)ctx += size * n;
	return size * n;
}

static CURL *client_handle(struct client *c, uint64_t *bytes_in)
{
	CURL *h = curl_easy_init();

	if (!h) {
		fprintf(stderr, "loadgen: curl_easy_init failed\n");
		exit(1);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, bytes_in);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->err);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	return h;
}

/* One request; returns the HTTP status, 0 on a transport error. */
static long perform(CURL *h, struct client *c, const char *what)
{
	long code = 0;
	CURLcode rc = curl_easy_perform(h);

	if (rc != CURLE_OK) {
		static atomic_int reported;

		if (atomic_fetch_add(&reported, 1) < 5)
			fprintf(stderr, "loadgen: %s: %s\n", what,
				c->err[0] ? c->err : curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static void *push_main(void *arg)
{
	struct client *c = arg;
	uint64_t bytes_in = 0;
	CURL *h = client_handle(c, &bytes_in);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	uint64_t slots = (uint64_t)(O.window / O.step);
	char url[512];

	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	while (!atomic_load(&stop)) {
		uint64_t seq = atomic_fetch_add(&next_seq, 1);
		uint64_t rel = seq - O.seq_start, svc, round;
		const struct input *in = &inputs[seq % ninputs];
		int64_t ts;
		double t0;
		long code;
		int ph;

		if (O.profiles > 0 && rel >= (uint64_t)O.profiles) {
			/* phase 1 is over once K were sent: wait for phase 2 */
			while (!atomic_load(&stop) && atomic_load(&phase) == 0)
				usleep(1000);
			if (atomic_load(&stop))
				break;
		}
		svc = seq % (uint64_t)O.services;
		round = seq / (uint64_t)O.services;
		svc += (round / slots) * (uint64_t)O.services;
		ts = O.now - (int64_t)(1 + round % slots) * O.step;
		snprintf(url, sizeof(url),
			 "%s/ingest?name=svc%03" PRIu64 "%%7Benv%%3Dbench%%7D&format=pprof"
			 "&from=%" PRId64 "&until=%" PRId64,
			 O.url, svc, ts, ts + 10);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)in->data);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)in->len);
		t0 = now_s();
		code = perform(h, c, "push");
		ph = atomic_load(&phase);
		stat_add(&c->st[ph][K_PUSH], (now_s() - t0) * 1e3, code);
		atomic_fetch_add(&pushed, 1);
		if (code == 200) {
			c->st[ph][K_PUSH].samples += in->nsample;
			c->st[ph][K_PUSH].bytes_out += in->len;
			
		} else if (code != 0 && c->st[ph][K_PUSH].status[code < MAX_STATUS ? code : 0] <= 3) {
			fprintf(stderr, "loadgen: push seq %" PRIu64 ": HTTP %ld\n", seq, code);
		}
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return NULL;
}

static void *query_main(void *arg)
{
	struct client *c = arg;
	uint64_t bytes_in = 0;
	CURL *h = client_handle(c, &bytes_in);
	unsigned rnd = O.seed * 7919u + (unsigned)c->id;
	int k = K_FG10M + c->id % (NKIND - 1);
	char url[1024], sel[256];

	while (!atomic_load(&stop)) {
		int64_t until = O.now, from = k == K_FG10M ? O.now - 600 : O.now - 3600;
		int svc = (int)(rand_r(&rnd) % (unsigned)O.services);
		char *esc;
		double t0;
		long code;

		if (k == K_FG10M || k == K_FG1H || k == K_TOP1H)
			snprintf(sel, sizeof(sel), PROFILE_TYPE "{service_name=\"svc%03d\"}", svc);
		else
			snprintf(sel, sizeof(sel), PROFILE_TYPE);
		esc = curl_easy_escape(h, sel, 0);
		switch (k) {
		case K_FG10M:
		case K_FG1H:
		case K_FG1H_ALL:
			snprintf(url, sizeof(url), "%s/api/v1/query?query=%s&from=%" PRId64
				 "&until=%" PRId64 "&format=flamegraph", O.url, esc, from, until);
			break;
		case K_TOP1H:
			snprintf(url, sizeof(url), "%s/api/v1/query?query=%s&from=%" PRId64
				 "&until=%" PRId64 "&format=top", O.url, esc, from, until);
			break;
		case K_RANGE1H:
			snprintf(url, sizeof(url), "%s/api/v1/range?query=%s&from=%" PRId64
				 "&until=%" PRId64 "&step=1m&group_by=service_name",
				 O.url, esc, from, until);
			break;
		default:
			snprintf(url, sizeof(url), "%s/api/v1/labels/service_name/values?from=%" PRId64
				 "&until=%" PRId64, O.url, from, until);
			break;
		}
		curl_free(esc);
		curl_easy_setopt(h, CURLOPT_URL, url);
		bytes_in = 0;
		t0 = now_s();
		code = perform(h, c, kind_name[k]);
		stat_add(&c->st[1][k], (now_s() - t0) * 1e3, code);
		c->st[1][k].bytes_in += bytes_in;
		if (code != 200 && code != 0 && c->st[1][k].status[code < MAX_STATUS ? code : 0] <= 3)
			fprintf(stderr, "loadgen: %s: HTTP %ld: %s\n", kind_name[k], code, url);
		k = k == K_LABELS ? K_FG10M : k + 1;
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* Server CPU (utime + stime) in seconds, or -1. */
static double server_cpu(void)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;
	int i;

	if (O.pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", O.pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (!(p = strrchr(buf, ')')))
		return -1;
	p += 2; /* fields from 3 (state) on */
	for (i = 3; i < 14 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double pct(const double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Merges kind k of phase ph over all clients into *out. */
static void merge(struct client *cl, int ncl, int ph, int k, struct kstat *out)
{
	int i;
	size_t j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ncl; i++) {
		const struct kstat *s = &cl[i].st[ph][k];

		for (j = 0; j < s->n; j++) {
			if (out->n == out->cap)
				xgrow((void **)&out->lat, &out->cap, out->n + 1, sizeof(*out->lat));
			out->lat[out->n++] = s->lat[j];
		}
		for (j = 0; j < MAX_STATUS; j++)
			out->status[j] += s->status[j];
		out->ok += s->ok;
		out->samples += s->samples;
		out->bytes_out += s->bytes_out;
		out->bytes_in += s->bytes_in;
	}
	qsort(out->lat, out->n, sizeof(*out->lat), cmp_double);
}

static void print_statuses(const struct kstat *s)
{
	size_t j;
	int first = 1;

	printf("[");
	for (j = 0; j < MAX_STATUS; j++) {
		if (!s->status[j])
			continue;
		if (j)
			printf("%s%zu: %" PRIu64, first ? "" : ", ", j, s->status[j]);
		else
			printf("%stransport error: %" PRIu64, first ? "" : ", ", s->status[j]);
		first = 0;
	}
	printf("]");
}

static void report(struct client *cl, int ncl, int ph, double wall, double cpu)
{
	struct kstat s;
	int k;

	merge(cl, ncl, ph, K_PUSH, &s);
	printf("  %-10s %7zu requests %s\n", "push", s.n, s.n ? "" : "(none)");
	if (s.n) {
		printf("             status ");
		print_statuses(&s);
		printf("\n             %.1f profiles/s, %.0f samples/s, %.2f MB/s gz bodies (200s only)\n",
		       (double)s.ok / wall, (double)s.samples / wall, (double)s.bytes_out / 1e6 / wall);
		printf("             latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
		       pct(s.lat, s.n, .5), pct(s.lat, s.n, .9), pct(s.lat, s.n, .99),
		       s.lat[s.n - 1]);
	}
	if (cpu >= 0) {
		printf("  server cpu %.2f s over %.1f s wall (%.0f%% of one core)", cpu, wall,
		       100 * cpu / wall);
		if (s.ok)
			printf(", %.2f ms per stored profile", cpu * 1e3 / (double)s.ok);
		printf("\n");
	}
	free(s.lat);
	if (ph == 0)
		return;
	for (k = K_FG10M; k < NKIND; k++) {
		merge(cl, ncl, ph, k, &s);
		if (!s.n) {
			free(s.lat);
			continue;
		}
		printf("  %-10s %7zu requests ", kind_name[k], s.n);
		print_statuses(&s);
		printf(" %.1f/s, avg answer %.1f KB\n", (double)s.n / wall,
		       (double)s.bytes_in / 1e3 / (double)s.n);
		printf("             latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
		       pct(s.lat, s.n, .5), pct(s.lat, s.n, .9), pct(s.lat, s.n, .99),
		       s.lat[s.n - 1]);
		free(s.lat);
	}
}

static void usage(FILE *f)
{
	fputs("usage: loadgen --url URL [--push-clients N] [--query-clients M]\n"
	      "               [--duration D | --profiles K] [--query-duration Q]\n"
	      "               [--services S] [--now UNIX_S] [--window S] [--step S]\n"
	      "               [--seq-start N] [--pid SERVER_PID] [--seed N] FILE...\n", f);
}

static int parse_args(int argc, char **argv, int *first)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-')
			break;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!v) {
			fprintf(stderr, "loadgen: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--url"))
			O.url = v;
		else if (!strcmp(a, "--push-clients"))
			O.push_clients = atoi(v);
		else if (!strcmp(a, "--query-clients"))
			O.query_clients = atoi(v);
		else if (!strcmp(a, "--duration"))
			O.duration = atof(v);
		else if (!strcmp(a, "--profiles"))
			O.profiles = atol(v);
		else if (!strcmp(a, "--query-duration"))
			O.query_duration = atof(v);
		else if (!strcmp(a, "--services"))
			O.services = atoi(v);
		else if (!strcmp(a, "--now"))
			O.now = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--window"))
			O.window = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--step"))
			O.step = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--seq-start"))
			O.seq_start = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--pid"))
			O.pid = atol(v);
		else if (!strcmp(a, "--seed"))
			O.seed = (unsigned)atoi(v);
		else {
			fprintf(stderr, "loadgen: unknown option %s\n", a);
			return -1;
		}
	}
	*first = i;
	if (!O.url || i >= argc || O.push_clients < 0 || O.query_clients < 0 ||
	    O.services < 1 || O.step < 1 || O.window < O.step ||
	    (O.push_clients == 0 && O.query_clients == 0)) {
		usage(stderr);
		return -1;
	}
	if (!O.now)
		O.now = (int64_t)time(NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct client *cl;
	int first, ncl, i;
	size_t samples = 0, bytes = 0;
	double t0, t1, t2, c0, c1, c2;

	if (parse_args(argc, argv, &first) < 0)
		return 2;
	ninputs = (size_t)(argc - first);
	inputs = xcalloc(ninputs, sizeof(*inputs));
	for (i = first; i < argc; i++) {
		struct input *in = &inputs[i - first];
		struct pprof_profile *p = NULL;
		struct err e = {0};

		in->path = argv[i];
		if (file_read(in->path, (size_t)1 << 30, &in->data, &in->len, &e) < 0 ||
		    pprof_decode(in->data, in->len, NULL, &p, &e) < 0) {
			fprintf(stderr, "loadgen: %s: %s\n", in->path, e.msg);
			return 1;
		}
		in->nsample = p->nsample;
		samples += p->nsample;
		bytes += in->len;
		pprof_free(p);
	}
	printf("inputs: %zu files, %.2f MB, %zu samples (%.0f per profile)\n", ninputs,
	       (double)bytes / 1e6, samples, (double)samples / (double)ninputs);
	if (curl_global_init(CURL_GLOBAL_ALL) != 0) {
		fprintf(stderr, "loadgen: curl_global_init failed\n");
		return 1;
	}
	atomic_store(&next_seq, O.seq_start);
	ncl = O.push_clients + O.query_clients;
	cl = xcalloc((size_t)ncl, sizeof(*cl));
	for (i = 0; i < ncl; i++) {
		cl[i].id = i < O.push_clients ? i : i - O.push_clients;
		cl[i].query = i >= O.push_clients;
	}

	/* phase 1: pushes only */
	c0 = server_cpu();
	t0 = now_s();
	for (i = 0; i < O.push_clients; i++)
		pthread_create(&cl[i].th, NULL, push_main, &cl[i]);
	if (O.push_clients > 0) {
		for (;;) {
			usleep(2000);
			if (now_s() - t0 >= O.duration && O.profiles <= 0)
				break;
			if (O.profiles > 0 && atomic_load(&pushed) >= (uint64_t)O.profiles)
				break;
		}
	}
	t1 = now_s();
	c1 = server_cpu();
	if (O.query_duration > 0 && O.query_clients > 0) {
		atomic_store(&phase, 1);
		for (i = O.push_clients; i < ncl; i++)
			pthread_create(&cl[i].th, NULL, query_main, &cl[i]);
		while (now_s() - t1 < O.query_duration)
			usleep(2000);
	}
	atomic_store(&stop, 1);
	t2 = now_s();
	c2 = server_cpu();
	for (i = 0; i < ncl; i++)
		if (i < O.push_clients || (O.query_duration > 0 && O.query_clients > 0))
			pthread_join(cl[i].th, NULL);

	if (O.push_clients > 0) {
		printf("phase 1: %d push clients, no queries, %.1f s\n", O.push_clients, t1 - t0);
		report(cl, ncl, 0, t1 - t0, c0 >= 0 && c1 >= 0 ? c1 - c0 : -1);
	}
	if (O.query_duration > 0 && O.query_clients > 0) {
		printf("phase 2: %d push clients, %d query clients, %.1f s\n", O.push_clients,
		       O.query_clients, t2 - t1);
		report(cl, ncl, 1, t2 - t1, c1 >= 0 && c2 >= 0 ? c2 - c1 : -1);
	}
	printf("next-seq %" PRIu64 "\n", (uint64_t)atomic_load(&next_seq));
	curl_global_cleanup();
	return 0;
}
