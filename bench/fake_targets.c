/* fake_targets: N Go-like /debug/pprof targets on loopback, for the scrape
 * benchmark (bench/scrape.sh).
 *
 *   fake_targets --targets N --base-port P --dir TESTDATA [--no-cpu-delay]
 *
 * Listens on 127.0.0.1:P .. P+N-1 (one epoll thread, keep-alive HTTP/1.1)
 * and answers like net/http/pprof, replaying stored profiles: even ports
 * serve etcd's, odd ports prometheus' (TESTDATA/{etcd,prometheus}-*.pb.gz):
 *   /debug/pprof/profile?seconds=S  the CPU profile, after S seconds (as Go
 *                                   does; --no-cpu-delay answers at once)
 *   /debug/pprof/allocs, block, mutex  cumulative: the k-th request of a
 *                                   target gets the profile with every value
 *                                   times k (k = 1..VARIANTS, then again
 *                                   from 1, which a scraper sees as a
 *                                   restart), so that deltas are not empty
 *   /debug/pprof/goroutine          the goroutine profile
 * On SIGINT or SIGTERM it prints, per profile type, the requests served
 * and the fewest and most any one target got, then exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/base/buf.h"
#include "../src/base/file.h"
#include "../src/base/xalloc.h"
#include "../src/pprof/decode.h"
#include "../src/pprof/encode.h"

#define VARIANTS 6
#define NTYPES 5
#define MAX_REQ 4096

enum ptype { T_CPU, T_ALLOCS, T_BLOCK, T_MUTEX, T_GOROUTINE };
static const char *const type_path[NTYPES] = {"/debug/pprof/profile", "/debug/pprof/allocs",
					      "/debug/pprof/block", "/debug/pprof/mutex",
					      "/debug/pprof/goroutine"};
static const char *const type_file[NTYPES] = {"cpu", "allocs", "block", "mutex", "goroutine"};
static const char *const sets[2] = {"etcd", "prometheus"};

struct body {
	uint8_t *data;
	size_t len;
};

/* bodies[set][type][variant]; non-cumulative types use variant 0 only. */
static struct body bodies[2][NTYPES][VARIANTS];

struct conn {
	int fd, port_idx;
	char req[MAX_REQ];
	size_t len;
	int64_t due;            /* ns; a CPU answer waiting, 0 = none */
	enum ptype due_type;
	struct conn *next_wait;
};

static int ntargets, base_port, cpu_delay = 1;
static uint64_t *served;     /* [target * NTYPES + type] */
static uint32_t *counter;    /* cumulative variant per [target * NTYPES + type] */
static volatile sig_atomic_t stop;

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cumulative(enum ptype t)
{
	return t == T_ALLOCS || t == T_BLOCK || t == T_MUTEX;
}

static void load(const char *dir)
{
	char path[4096];
	struct err e = {0};
	int s, t, v;

	for (s = 0; s < 2; s++)
		for (t = 0; t < NTYPES; t++) {
			struct pprof_profile *p = NULL;
			uint8_t *raw;
			size_t len, i;
			snprintf(path, sizeof(path), "%s/%s-%s.pb.gz", dir, sets[s], type_file[t]);
			if (file_read(path, 64 << 20, &raw, &len, &e) < 0 ||
			    pprof_decode(raw, len, NULL, &p, &e) < 0) {
				fprintf(stderr, "fake_targets: %s\n", e.msg);
				exit(1);
			}
			for (v = 0; v < (cumulative(t) ? VARIANTS : 1); v++) {
				for (i = 0; v && i < p->nsample * p->nsample_type; i++)
					p->value[i] = p->value[i] / v * (v + 1);
				if (pprof_encode(p, &bodies[s][t][v].data, &bodies[s][t][v].len, &e) < 0) {
					fprintf(stderr, "fake_targets: %s\n", e.msg);
					exit(1);
				}
			}
			pprof_free(p);
			free(raw);
		}
}

static void respond(struct conn *c, enum ptype t)
{
	size_t k = (size_t)c->port_idx * NTYPES + t;
	int v = cumulative(t) ? (int)(counter[k]++ % VARIANTS) : 0;
	const struct body *b = &bodies[c->port_idx & 1][t][v];
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
			 "Content-Length: %zu\r\n\r\n", b->len);
	struct buf out = BUF_INIT;
	size_t off = 0;

	buf_append(&out, head, (size_t)n);
	buf_append(&out, b->data, b->len);
	/* Bodies are small (a few KiB): a blocking write loop is fine here. */
	while (off < out.len) {
		ssize_t w = write(c->fd, out.data + off, out.len - off);
		if (w < 0 && errno == EAGAIN) {
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
			continue;
		}
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	buf_release(&out);
	served[k]++;
}

static void not_found(struct conn *c)
{
	static const char r[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	ssize_t w = write(c->fd, r, sizeof(r) - 1);

	(void)w;
}

/* A complete request head in c->req: answer it now or schedule it. */
static void handle(int ep, struct conn *c, struct conn **waiting)
{
	char *sp1 = memchr(c->req, ' ', c->len), *sp2, *q, *sec;
	int t;

	if (!sp1 || !(sp2 = memchr(sp1 + 1, ' ', c->len - (size_t)(sp1 + 1 - c->req)))) {
		not_found(c);
		return;
	}
	*sp2 = '\0';
	q = strchr(sp1 + 1, '?');
	if (q)
		*q++ = '\0';
	for (t = 0; t < NTYPES && strcmp(sp1 + 1, type_path[t]); t++)
		;
	if (t == NTYPES) {
		not_found(c);
		return;
	}
	if (t == T_CPU && cpu_delay && q && (sec = strstr(q, "seconds="))) {
		c->due = now_ns() + atoll(sec + 8) * 1000000000LL;
		c->due_type = T_CPU;
		c->next_wait = *waiting;
		*waiting = c;
		/* Out of epoll while it waits (level-triggered EOF would spin). */
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		return;
	}
	respond(c, (enum ptype)t);
}

static void on_readable(int ep, struct conn *c, struct conn **waiting)
{
	for (;;) {
		ssize_t r = read(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);
		char *end;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0 || c->len + (size_t)r >= sizeof(c->req) - 1) {
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			free(c);
			return;
		}
		c->len += (size_t)r;
		c->req[c->len] = '\0';
		if ((end = strstr(c->req, "\r\n\r\n"))) {
			size_t used = (size_t)(end + 4 - c->req);
			handle(ep, c, waiting);
			memmove(c->req, c->req + used, c->len - used);
			c->len -= used;
			if (c->due)
				return;         /* one request at a time */
		}
	}
}

/* Answers the CPU profiles whose time has come; returns ms to the next. */
static int run_due(int ep, struct conn **waiting)
{
	int64_t now = now_ns(), next = now + 1000000000;
	struct conn **pp = waiting, *c;

	while ((c = *pp)) {
		if (c->due > now) {
			if (c->due < next)
				next = c->due;
			pp = &c->next_wait;
			continue;
		}
		*pp = c->next_wait;
		c->due = 0;
		respond(c, c->due_type);
		{
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		}
		on_readable(ep, c, waiting);
	}
	return (int)((next - now) / 1000000) + 1;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void report(void)
{
	int t, i;

	for (t = 0; t < NTYPES; t++) {
		uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
		for (i = 0; i < ntargets; i++) {
			uint64_t n = served[(size_t)i * NTYPES + t];
			sum += n;
			lo = n < lo ? n : lo;
			hi = n > hi ? n : hi;
		}
		printf("%s served %" PRIu64 " per-target min %" PRIu64 " max %" PRIu64 "\n",
		       type_file[t], sum, lo, hi);
	}
	fflush(stdout);
}

/* Returns the listening socket, or -1. */
static int listen_on(int ep, int idx)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(base_port + idx))};
	struct epoll_event ev = {.events = EPOLLIN};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "fake_targets: port %d: %s\n", base_port + idx, strerror(errno));
		return -1;
	}
	ev.data.u64 = (uint64_t)idx << 1 | 1;   /* odd: a listener (pointers are even) */
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return fd;
}

static void accept_all(int ep, int lfd_idx, int lfd)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		struct conn *c = xcalloc(1, sizeof(*c));
		struct epoll_event ev = {.events = EPOLLIN};
		c->fd = fd;
		c->port_idx = lfd_idx;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	struct conn *waiting = NULL;
	struct rlimit rl;
	int *lfds, ep, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--targets") && i + 1 < argc)
			ntargets = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--base-port") && i + 1 < argc)
			base_port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--no-cpu-delay"))
			cpu_delay = 0;
		else {
			fprintf(stderr, "usage: fake_targets --targets N --base-port P --dir TESTDATA "
				"[--no-cpu-delay]\n");
			return 2;
		}
	}
	if (ntargets <= 0 || base_port <= 0 || base_port + ntargets > 65536 || !dir) {
		fprintf(stderr, "fake_targets: --targets, --base-port and --dir are required\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	load(dir);
	served = xcalloc((size_t)ntargets * NTYPES, sizeof(*served));
	counter = xcalloc((size_t)ntargets * NTYPES, sizeof(*counter));
	lfds = xcalloc((size_t)ntargets, sizeof(*lfds));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	for (i = 0; i < ntargets; i++)
		if ((lfds[i] = listen_on(ep, i)) < 0)
			return 1;
	printf("ready %d targets on 127.0.0.1:%d-%d\n", ntargets, base_port, base_port + ntargets - 1);
	fflush(stdout);
	while (!stop) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, run_due(ep, &waiting)), k;
		for (k = 0; k < n; k++) {
			if (evs[k].data.u64 & 1) {
				int idx = (int)(evs[k].data.u64 >> 1);
				accept_all(ep, idx, lfds[idx]);
			} else {
				struct conn *c = evs[k].data.ptr;
				if (!c->due)
					on_readable(ep, c, &waiting);
			}
		}
	}
	report();
	return 0;
}
