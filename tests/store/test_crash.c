/* Crash safety of the embedded store under SIGKILL.
 *
 * Each round forks a child that opens the store (the same directory every
 * round) and appends real CPU profiles as fast as it can, sometimes in
 * batches of 2-5, calling store_maintain every few appends so that
 * windows get sealed (and sealing gets interrupted too). Around each
 * store_append the child writes fixed-size records to a pipe: INTENT
 * before the call, ACK only after it returned 0. The parent kills the
 * child with SIGKILL after a random delay, reopens the store and checks:
 *
 *   - every acknowledged profile is there and merges, over [ts, ts+1),
 *     to exactly the in-memory stack tree of the profile that was sent;
 *   - the in-flight (intended, unacknowledged) batch is all-or-nothing per
 *     block window: each of its profiles merges to exactly its oracle or
 *     to nothing, never to something partial, and all of a window agree;
 *   - nothing that was never sent is there (whole-window merges equal the
 *     oracle sum of the present profiles; row counts match);
 *   - a profile once seen present (or absent) stays so in later rounds.
 *
 * Timestamps advance 10 min per profile, so 12 profiles fill a 2 h window
 * and rounds cross window boundaries; the child's maintenance seals them.
 * At the end the parent seals everything and checks again (roll-ups).
 *
 * Env: STACKYARD_CRASH_ROUNDS (default 25), STACKYARD_CRASH_SEED (default
 * time-based; printed), STACKYARD_TESTDATA. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/file.h"
#include "../../src/pprof/decode.h"
#include "../../src/store/store.h"
#include "../pprof/pbtest.h"

#define SEC STORE_NS_PER_SEC
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)
#define WINDOW (2 * HOUR)
/* Epoch-aligned to 2 h, so window k/12 holds profiles k..k+11. */
#define T0 ((int64_t)1795600800 * SEC)
#define STEP (10 * MIN)
#define PER_WINDOW ((int)(WINDOW / STEP))
#define MAX_PROFILES 200000
#define MAINT_EVERY 5

#define NFILES 3
static const char *const files[NFILES] = {
	"etcd-cpu.pb.gz", "prometheus-cpu.pb.gz", "gocompile-nethttp-cpu.pb.gz",
};
static const char *const queries[2] = {
	"process_cpu:samples:count:cpu:nanoseconds{service_name=\"crash\"}",
	"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"crash\"}",
};

enum { REC_INTENT = 1, REC_ACK = 2, REC_MAINT = 3, REC_MAINT_DONE = 4, REC_FAIL = 5 };

/* One pipe record; 16 bytes, so each write(2) is atomic. */
struct rec {
	uint32_t kind;
	uint32_t n;   /* profiles in the batch */
	int64_t k;    /* index of the first profile (ts_of(k)) */
};

enum { ST_NONE = 0, ST_ACKED, ST_INFLIGHT };

struct crash {
	char dir[64];
	struct store_config cfg;
	struct pprof_profile *p[NFILES];
	struct norm *norm[NFILES];
	char *oracle[NFILES][2];       /* folded text per file, per value index */
	/* per profile index k */
	uint8_t *state;                /* ST_* */
	int8_t *present;               /* -1 unknown, 0 absent, 1 present */
	uint32_t *batch;               /* batch number (for all-or-nothing) */
	int64_t next_k;                /* first index the next round may use */
	uint64_t rng;
	/* totals for the report */
	unsigned long acked, inflight, inflight_present, maint_started, maint_done,
		maint_cut, child_fail, merges;
};

static int64_t ts_of(int64_t k)
{
	return T0 + k * STEP + 7 * SEC;
}

static int file_of(int64_t k)
{
	return (int)(k % NFILES);
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static char *folded(struct stacktree *t)
{
	struct buf b = BUF_INIT;

	stacktree_write_folded(t, &b);
	buf_putc(&b, '\0');
	return (char *)buf_detach(&b, NULL);
}

/* ---- the child --------------------------------------------------------- */

static void put_rec(int fd, uint32_t kind, uint32_t n, int64_t k)
{
	struct rec r = {kind, n, k};
	ssize_t w;

	do
		w = write(fd, &r, sizeof(r));
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof(r))
		_exit(4);
}

static void child_fail(int fd, int64_t k, const char *what, const struct err *e)
{
	fprintf(stderr, "crash child: %s at k=%" PRId64 ": %s (%d)\n", what, k, e->msg, e->code);
	put_rec(fd, REC_FAIL, 0, k);
	_exit(3);
}

static void child_run(struct crash *c, int fd, int64_t k, uint64_t seed)
{
	struct store_profile sp[5];
	struct store *s = NULL;
	struct err e = {0};
	unsigned long napp = 0;

	if (store_open(&store_sqlite_ops, &c->cfg, &s, &e) < 0)
		child_fail(fd, k, "open", &e);
	for (;;) {
		uint32_t n = rnd(&seed) % 4 == 0 ? 2 + (uint32_t)(rnd(&seed) % 4) : 1, i;
		for (i = 0; i < n; i++) {
			int f = file_of(k + i);
			sp[i].p = c->p[f];
			sp[i].n = c->norm[f];
			sp[i].ts = ts_of(k + i);
			sp[i].duration = 10 * SEC;
		}
		put_rec(fd, REC_INTENT, n, k);
		if (store_append(s, sp, n, &e) < 0)
			child_fail(fd, k, "append", &e);
		put_rec(fd, REC_ACK, n, k);
		k += n;
		if (++napp % MAINT_EVERY == 0) {
			put_rec(fd, REC_MAINT, 0, k - 1);
			if (store_maintain(s, ts_of(k - 1), &e) < 0)
				child_fail(fd, k, "maintain", &e);
			put_rec(fd, REC_MAINT_DONE, 0, k - 1);
		}
	}
}

/* ---- the parent's checks ----------------------------------------------- */

static char *merged(struct crash *c, struct store *s, int vi, int64_t from, int64_t until)
{
	struct stacktree *t = stacktree_new();
	struct selector *x = NULL;
	struct err e = {0};
	char *out;

	if (selector_parse(queries[vi], strlen(queries[vi]), &x, &e) < 0)
		fail_msg("selector: %s", e.msg);
	if (store_merge(s, x, from, until, t, &e) < 0)
		fail_msg("merge [%" PRId64 ", %" PRId64 "): %s", from, until, e.msg);
	c->merges++;
	out = folded(t);
	stacktree_free(t);
	selector_free(x);
	return out;
}

static void snippet(const char *s, char *out, size_t n)
{
	size_t len = strlen(s);

	snprintf(out, n, "%.*s%s (%zu bytes)", (int)(len < 120 ? len : 120), s,
		 len > 120 ? "..." : "", len);
}

/* Checks profile k: returns 1 present (exactly), 0 absent; fails on
 * anything else, or when an acknowledged profile is missing. */
static int check_one(struct crash *c, struct store *s, int64_t k, int round)
{
	int vi, pres[2];

	for (vi = 0; vi < 2; vi++) {
		char *got = merged(c, s, vi, ts_of(k), ts_of(k) + 1);
		const char *want = c->oracle[file_of(k)][vi];
		if (!strcmp(got, want)) {
			pres[vi] = 1;
		} else if (!*got && c->state[k] != ST_ACKED) {
			pres[vi] = 0;
		} else {
			char g[200], w[200];
			snippet(got, g, sizeof(g));
			snippet(want, w, sizeof(w));
			fail_msg("round %d: profile k=%" PRId64 " ts=%" PRId64 " (%s, %s, batch %u) "
				 "type %s: %s\n  got:  %s\n  want: %s",
				 round, k, ts_of(k), files[file_of(k)],
				 c->state[k] == ST_ACKED ? "ACKNOWLEDGED" : "in flight",
				 c->batch[k], queries[vi],
				 !*got ? "LOST (merge is empty)" : "merge differs (partial or extra data)",
				 g, w);
		}
		free(got);
	}
	if (pres[0] != pres[1])
		fail_msg("round %d: in-flight profile k=%" PRId64 " half visible: %s present, %s absent",
			 round, k, queries[pres[0] ? 0 : 1], queries[pres[0] ? 1 : 0]);
	if (c->present[k] >= 0 && c->present[k] != pres[0])
		fail_msg("round %d: profile k=%" PRId64 " was %s in an earlier check, now %s",
			 round, k, c->present[k] ? "present" : "absent", pres[0] ? "present" : "absent");
	return pres[0];
}

/* Whole window w: merge equals the oracle sum of its present profiles. */
static void check_window(struct crash *c, struct store *s, int64_t w, int round)
{
	int64_t k0 = w * PER_WINDOW, k;
	int vi;

	for (vi = 0; vi < 2; vi++) {
		struct stacktree *t = stacktree_new();
		char *want, *got;
		int n = 0;
		for (k = k0; k < k0 + PER_WINDOW && k < c->next_k; k++) {
			if (c->present[k] == 1) {
				stacktree_add_pprof(t, c->p[file_of(k)], vi);
				n++;
			}
		}
		want = folded(t);
		stacktree_free(t);
		got = merged(c, s, vi, T0 + w * WINDOW, T0 + (w + 1) * WINDOW);
		if (strcmp(got, want)) {
			char g[200], x[200];
			snippet(got, g, sizeof(g));
			snippet(want, x, sizeof(x));
			fail_msg("round %d: window %" PRId64 " (%d present profiles) type %s: merge "
				 "differs from the oracle\n  got:  %s\n  want: %s",
				 round, w, n, queries[vi], g, x);
		}
		free(got);
		free(want);
	}
}

/* Row counts: one row per series of each present profile, none else. */
static void check_stats(struct crash *c, struct store *s, int round, struct store_stats *st)
{
	uint64_t want = 0;
	struct err e = {0};
	int64_t k;

	for (k = 0; k < c->next_k; k++)
		if (c->present[k] == 1)
			want += c->norm[file_of(k)]->nseries;
	if (store_stats(s, st, &e) < 0)
		fail_msg("round %d: stats: %s", round, e.msg);
	if (st->profiles != want)
		fail_msg("round %d: store holds %" PRIu64 " profile rows, expected %" PRIu64
			 " (extra or lost rows)", round, st->profiles, want);
}

static struct store *open_store(struct crash *c, int round)
{
	struct store *s = NULL;
	struct err e = {0};

	if (store_open(&store_sqlite_ops, &c->cfg, &s, &e) < 0)
		fail_msg("round %d: reopen after SIGKILL: %s (%d)", round, e.msg, e.code);
	return s;
}

/* Profiles [from, until): each checked; the in-flight batch all-or-nothing
 * per window. */
static void check_range(struct crash *c, struct store *s, int64_t from, int64_t until, int round)
{
	int64_t k;

	for (k = from; k < until; k++) {
		int p;
		if (c->state[k] == ST_NONE) {
			c->present[k] = 0;
			continue;
		}
		p = check_one(c, s, k, round);
		if (c->present[k] < 0 && c->state[k] == ST_INFLIGHT) {
			c->inflight++;
			c->inflight_present += (unsigned long)p;
		}
		c->present[k] = (int8_t)p;
	}
	for (k = from; k < until; k++) {
		int64_t j;
		if (c->state[k] != ST_INFLIGHT)
			continue;
		for (j = k + 1; j < until && c->batch[j] == c->batch[k] &&
				(ts_of(j) - T0) / WINDOW == (ts_of(k) - T0) / WINDOW; j++)
			if (c->present[j] != c->present[k])
				fail_msg("round %d: in-flight batch %u is partly visible in window %"
					 PRId64 ": k=%" PRId64 " %s, k=%" PRId64 " %s", round,
					 c->batch[k], (ts_of(k) - T0) / WINDOW, k,
					 c->present[k] ? "present" : "absent", j,
					 c->present[j] ? "present" : "absent");
	}
}

static void check_windows(struct crash *c, struct store *s, int64_t from, int64_t until, int round)
{
	int64_t w;

	if (until <= from)
		return;
	for (w = from / PER_WINDOW; w <= (until - 1) / PER_WINDOW; w++)
		check_window(c, s, w, round);
}

/* ---- one round ---------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int take_rec(struct crash *c, const struct rec *r, uint32_t *nbatch, int round)
{
	uint32_t i;

	if (r->k < 0 || r->k + r->n > MAX_PROFILES)
		fail_msg("round %d: bad record k=%" PRId64 " n=%u", round, r->k, r->n);
	switch (r->kind) {
	case REC_INTENT:
		++*nbatch;
		for (i = 0; i < r->n; i++) {
			if (c->state[r->k + i] != ST_NONE)
				fail_msg("round %d: child reused k=%" PRId64, round, r->k + i);
			c->state[r->k + i] = ST_INFLIGHT;
			c->batch[r->k + i] = *nbatch;
		}
		if (r->k + r->n > c->next_k)
			c->next_k = r->k + r->n;
		break;
	case REC_ACK:
		for (i = 0; i < r->n; i++) {
			if (c->state[r->k + i] != ST_INFLIGHT)
				fail_msg("round %d: ack without intent k=%" PRId64, round, r->k + i);
			c->state[r->k + i] = ST_ACKED;
			c->acked++;
		}
		break;
	case REC_MAINT:
		c->maint_started++;
		return 1;
	case REC_MAINT_DONE:
		c->maint_done++;
		return 2;
	case REC_FAIL:
		c->child_fail++;
		fail_msg("round %d: the child failed at k=%" PRId64 " (see its stderr)", round, r->k);
		break;
	default:
		fail_msg("round %d: bad record kind %u", round, r->kind);
	}
	return 0;
}

static void run_round(struct crash *c, int round, uint32_t *nbatch)
{
	int64_t k0 = c->next_k, delay = 1 + (int64_t)(rnd(&c->rng) % 400), deadline;
	uint64_t child_seed = rnd(&c->rng) | 1;
	int fds[2], status, in_maint = 0, x;
	unsigned char buf[sizeof(struct rec) * 64];
	size_t have = 0;
	pid_t pid;

	if (pipe(fds) < 0)
		fail_msg("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		child_run(c, fds[1], k0, child_seed);
		_exit(0);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	deadline = now_ms() + delay;
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd pf = {fds[0], POLLIN, 0};
		ssize_t r;
		size_t off;
		if (left <= 0)
			break;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		r = read(fds[0], buf + have, sizeof(buf) - have);
		if (r == 0)
			break; /* the child is gone: its FAIL record tells why */
		if (r < 0)
			continue;
		have += (size_t)r;
		for (off = 0; off + sizeof(struct rec) <= have; off += sizeof(struct rec)) {
			struct rec rc;
			memcpy(&rc, buf + off, sizeof(rc));
			x = take_rec(c, &rc, nbatch, round);
			in_maint = x == 1 ? 1 : x == 2 ? 0 : in_maint;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		fail_msg("waitpid: %s", strerror(errno));
	/* Drain what the child wrote before it died. */
	fcntl(fds[0], F_SETFL, 0);
	for (;;) {
		ssize_t r = read(fds[0], buf + have, sizeof(buf) - have);
		size_t off;
		if (r <= 0)
			break;
		have += (size_t)r;
		for (off = 0; off + sizeof(struct rec) <= have; off += sizeof(struct rec)) {
			struct rec rc;
			memcpy(&rc, buf + off, sizeof(rc));
			x = take_rec(c, &rc, nbatch, round);
			in_maint = x == 1 ? 1 : x == 2 ? 0 : in_maint;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	close(fds[0]);
	if (have)
		fail_msg("round %d: torn pipe record (%zu bytes)", round, have);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("round %d: the child ended on its own (status 0x%x), not by SIGKILL",
			 round, status);
	c->maint_cut += (unsigned long)in_maint;
	{
		struct store *s = open_store(c, round);
		struct store_stats st;
		int64_t k, lost = 0;
		check_range(c, s, k0, c->next_k, round);
		check_windows(c, s, k0, c->next_k, round);
		check_stats(c, s, round, &st);
		for (k = k0; k < c->next_k; k++)
			lost += c->state[k] == ST_ACKED && c->present[k] != 1;
		printf("round %2d: delay %3" PRId64 " ms, profiles %" PRId64 "..%" PRId64
		       " (%" PRId64 " sent), %s; store: %" PRIu64 " blocks (%" PRIu64
		       " sealed), %" PRIu64 " rows\n",
		       round, delay, k0, c->next_k - 1, c->next_k - k0,
		       in_maint ? "killed during maintain" : "killed during append",
		       st.blocks, st.sealed_blocks, st.profiles);
		assert_int_equal(lost, 0);
		store_close(s);
	}
}

static void full_pass(struct crash *c, const char *what)
{
	struct store *s = open_store(c, -1);
	struct store_stats st;
	int64_t k, acked = 0;

	check_range(c, s, 0, c->next_k, -1);
	check_windows(c, s, 0, c->next_k, -1);
	check_stats(c, s, -1, &st);
	for (k = 0; k < c->next_k; k++) {
		acked += c->state[k] == ST_ACKED;
		if (c->state[k] == ST_ACKED && c->present[k] != 1)
			fail_msg("acknowledged profile k=%" PRId64 " lost", k);
	}
	printf("%s: %" PRId64 " profiles sent, %" PRId64 " acknowledged, all present; "
	       "stats: %" PRIu64 " blocks (%" PRIu64 " sealed), %" PRIu64 " series, %" PRIu64
	       " rows, %" PRIu64 " bytes, time %" PRId64 "..%" PRId64 "\n",
	       what, c->next_k, acked, st.blocks, st.sealed_blocks, st.series, st.profiles,
	       st.bytes, st.min_time, st.max_time);
	store_close(s);
}

static void test_sigkill_rounds(void **state)
{
	struct crash *c = calloc(1, sizeof(*c));
	const char *env = getenv("STACKYARD_CRASH_ROUNDS");
	const char *senv = getenv("STACKYARD_CRASH_SEED");
	int rounds = env ? atoi(env) : 25, r, f, vi;
	uint64_t seed;
	uint32_t nbatch = 0;
	int64_t t_start = now_ms();
	char cmd[128];

	(void)state;
	if (rounds < 1)
		rounds = 1;
	seed = senv ? strtoull(senv, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (!seed)
		seed = 1;
	c->rng = seed;
	printf("crash test: %d rounds, seed %" PRIu64 " (STACKYARD_CRASH_SEED to repeat)\n",
	       rounds, seed);
	strcpy(c->dir, "/tmp/sy-crash-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	c->cfg.dir = c->dir;
	c->cfg.retention = -1; /* keep every profile: the timestamps span days */
	c->state = calloc(MAX_PROFILES, 1);
	c->present = malloc(MAX_PROFILES);
	memset(c->present, -1, MAX_PROFILES);
	c->batch = calloc(MAX_PROFILES, sizeof(*c->batch));
	for (f = 0; f < NFILES; f++) {
		struct label l[1] = {{"service_name", "crash"}};
		struct norm_opts o = {0};
		struct err e = {0};
		c->p[f] = testdata_load(files[f]);
		o.labels = l;
		o.nlabels = 1;
		if (normalize(c->p[f], &o, &c->norm[f], &e) < 0)
			fail_msg("normalize %s: %s", files[f], e.msg);
		for (vi = 0; vi < 2; vi++) {
			struct stacktree *t = stacktree_new();
			stacktree_add_pprof(t, c->p[f], vi);
			c->oracle[f][vi] = folded(t);
			stacktree_free(t);
			assert_true(strlen(c->oracle[f][vi]) > 0);
		}
	}
	for (r = 0; r < rounds; r++) {
		run_round(c, r, &nbatch);
		if (c->next_k + 1000 > MAX_PROFILES)
			fail_msg("too many profiles for MAX_PROFILES");
	}
	/* Everything ever acknowledged, after the last kill. */
	full_pass(c, "after the last round");
	/* Seal every window (roll-ups) and check again. */
	{
		struct store *s = open_store(c, -1);
		struct err e = {0};
		if (store_maintain(s, ts_of(c->next_k) + 7 * 24 * HOUR, &e) < 0)
			fail_msg("final maintain: %s", e.msg);
		store_close(s);
	}
	full_pass(c, "after sealing all");
	{
		struct store *s = open_store(c, -1);
		struct store_stats st;
		struct err e = {0};
		assert_int_equal(store_stats(s, &st, &e), 0);
		assert_int_equal(st.blocks, st.sealed_blocks);
		store_close(s);
	}
	printf("crash test: seed %" PRIu64 ", %d rounds, %" PRId64 " profiles sent, %lu acked, "
	       "%lu in flight at a kill (%lu of them present), maintain started %lu / finished %lu, "
	       "%lu kills during maintain, %lu merges checked, %.1f s\n",
	       seed, rounds, c->next_k, c->acked, c->inflight, c->inflight_present,
	       c->maint_started, c->maint_done, c->maint_cut, c->merges,
	       (double)(now_ms() - t_start) / 1000.0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd) != 0)
		fail_msg("could not remove %s", c->dir);
	for (f = 0; f < NFILES; f++) {
		norm_free(c->norm[f]);
		pprof_free(c->p[f]);
		free(c->oracle[f][0]);
		free(c->oracle[f][1]);
	}
	free(c->state);
	free(c->present);
	free(c->batch);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_rounds),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
