/* Fault injection under the embedded store: a SQLite VFS shim
 * (faultvfs.h) installed as the default VFS makes writes, syncs or
 * truncates fail on demand. After every failure the store must report a
 * clear error, serve exactly what was acknowledged before (nothing of the
 * failed append, never part of it), accept writes again once the fault
 * clears, and read the same after a reopen. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/file.h"
#include "../../src/pprof/decode.h"
#include "../../src/store/store.h"
#include "../pprof/pbtest.h"
#include "faultvfs.h"

#define SEC STORE_NS_PER_SEC
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)
#define WINDOW (2 * HOUR)
#define GRACE (10 * MIN)
#define T0 ((int64_t)1795600800 * SEC)

#define NFILES 3
static const char *const files[NFILES] = {
	"etcd-cpu.pb.gz", "prometheus-cpu.pb.gz", "gocompile-nethttp-cpu.pb.gz",
};
static const char *const queries[2] = {
	"process_cpu:samples:count:cpu:nanoseconds{service_name=\"f\"}",
	"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"f\"}",
};

static struct pprof_profile *P[NFILES];
static struct norm *N[NFILES];

#define MAXACK 1024

/* One store under test and what it acknowledged. */
struct fx {
	char dir[64];
	struct store *s;
	struct store_config cfg;
	int64_t ts[MAXACK];     /* acknowledged profiles: timestamp, file */
	int file[MAXACK];
	size_t n;
};

static int group_setup(void **state)
{
	int f;

	(void)state;
	if (fv_install() != SQLITE_OK)
		return -1;
	for (f = 0; f < NFILES; f++) {
		struct label l[1] = {{"service_name", "f"}};
		struct norm_opts o = {0};
		struct err e = {0};
		P[f] = testdata_load(files[f]);
		o.labels = l;
		o.nlabels = 1;
		if (normalize(P[f], &o, &N[f], &e) < 0)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	int f;

	(void)state;
	for (f = 0; f < NFILES; f++) {
		norm_free(N[f]);
		pprof_free(P[f]);
	}
	fv_uninstall();
	return 0;
}

static void open_fx(struct fx *f)
{
	struct err e = {0};

	if (store_open(&store_sqlite_ops, &f->cfg, &f->s, &e) < 0)
		fail_msg("open %s: %s", f->dir, e.msg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fv_clear();
	strcpy(f->dir, "/tmp/sy-faults-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->cfg.dir = f->dir;
	f->cfg.retention = -1;
	open_fx(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	fv_clear();
	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void reopen(struct fx *f)
{
	store_close(f->s);
	f->s = NULL;
	open_fx(f);
}

/* Appends files fi[0..n) at ts[0..n) in one store_append. On success the
 * profiles are recorded as acknowledged. */
static int put_batch(struct fx *f, const int *fi, const int64_t *ts, size_t n, struct err *e)
{
	struct store_profile sp[8];
	size_t i;
	int rc;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		sp[i].p = P[fi[i]];
		sp[i].n = N[fi[i]];
		sp[i].ts = ts[i];
		sp[i].duration = 10 * SEC;
	}
	memset(e, 0, sizeof(*e));
	rc = store_append(f->s, sp, n, e);
	if (rc == 0) {
		for (i = 0; i < n; i++) {
			assert_true(f->n < MAXACK);
			f->ts[f->n] = ts[i];
			f->file[f->n++] = fi[i];
		}
	}
	return rc;
}

static int put1(struct fx *f, int fi, int64_t ts, struct err *e)
{
	return put_batch(f, &fi, &ts, 1, e);
}

static void must_put(struct fx *f, int fi, int64_t ts)
{
	struct err e = {0};

	if (put1(f, fi, ts, &e) < 0)
		fail_msg("append (no fault armed) at %" PRId64 ": %s (%d)", ts, e.msg, e.code);
}

static char *folded(struct stacktree *t)
{
	struct buf b = BUF_INIT;

	stacktree_write_folded(t, &b);
	buf_putc(&b, '\0');
	return (char *)buf_detach(&b, NULL);
}

static char *merged(struct fx *f, int vi, int64_t from, int64_t until)
{
	struct stacktree *t = stacktree_new();
	struct selector *x = NULL;
	struct err e = {0};
	char *out;

	if (selector_parse(queries[vi], strlen(queries[vi]), &x, &e) < 0)
		fail_msg("selector: %s", e.msg);
	if (store_merge(f->s, x, from, until, t, &e) < 0)
		fail_msg("merge: %s", e.msg);
	out = folded(t);
	stacktree_free(t);
	selector_free(x);
	return out;
}

/* The oracle: the acknowledged profiles in [from, until). */
static char *expected(struct fx *f, int vi, int64_t from, int64_t until, size_t *count)
{
	struct stacktree *t = stacktree_new();
	char *out;
	size_t i, k = 0;

	for (i = 0; i < f->n; i++) {
		if (f->ts[i] >= from && f->ts[i] < until) {
			stacktree_add_pprof(t, P[f->file[i]], vi);
			k++;
		}
	}
	out = folded(t);
	stacktree_free(t);
	if (count)
		*count = k;
	return out;
}

static void assert_range(struct fx *f, int64_t from, int64_t until, const char *what)
{
	int vi;

	for (vi = 0; vi < 2; vi++) {
		size_t k;
		char *got = merged(f, vi, from, until), *want = expected(f, vi, from, until, &k);
		if (strcmp(got, want))
			fail_msg("%s: merge of %s over [T0%+" PRId64 "s, T0%+" PRId64 "s) differs from "
				 "the %zu acknowledged profiles (%zu vs %zu bytes of folded text)",
				 what, queries[vi], (from - T0) / SEC, (until - T0) / SEC, k,
				 strlen(got), strlen(want));
		free(got);
		free(want);
	}
}

/* Everything: the whole range, each acknowledged profile alone, each
 * window, and the row count. */
static void assert_consistent(struct fx *f, const char *what)
{
	struct store_stats st;
	struct err e = {0};
	uint64_t rows = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN, w;
	size_t i;

	for (i = 0; i < f->n; i++) {
		lo = f->ts[i] < lo ? f->ts[i] : lo;
		hi = f->ts[i] > hi ? f->ts[i] : hi;
		rows += N[f->file[i]]->nseries;
		assert_range(f, f->ts[i], f->ts[i] + 1, what);
	}
	assert_range(f, T0 - 10 * WINDOW, T0 + 100 * WINDOW, what);
	if (f->n)
		for (w = (lo - T0) / WINDOW; w <= (hi - T0) / WINDOW; w++)
			assert_range(f, T0 + w * WINDOW, T0 + (w + 1) * WINDOW, what);
	if (store_stats(f->s, &st, &e) < 0)
		fail_msg("%s: stats: %s", what, e.msg);
	if (st.profiles != rows)
		fail_msg("%s: %" PRIu64 " profile rows in the store, %" PRIu64 " acknowledged",
			 what, st.profiles, rows);
}

static uint64_t sealed_blocks(struct fx *f)
{
	struct store_stats st;
	struct err e = {0};

	if (store_stats(f->s, &st, &e) < 0)
		fail_msg("stats: %s", e.msg);
	return st.sealed_blocks;
}

static int corrupt_files(struct fx *f)
{
	char path[128];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/corrupt", f->dir);
	if (!(d = opendir(path)))
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The message must say what went wrong, not only where. */
static void assert_says_why(int rc, const struct err *e)
{
	assert_true(e->msg[0] != '\0');
	if (rc == -ENOSPC && !strstr(e->msg, "full"))
		fail_msg("disk-full error without the cause in its message: \"%s\"", e->msg);
	if (rc == -EIO && !strstr(e->msg, "I/O error"))
		fail_msg("I/O error without the cause in its message: \"%s\"", e->msg);
}

/* ---- (a) disk full ------------------------------------------------------- */

static void test_disk_full(void **state)
{
	struct fx *f = *state;
	unsigned long inj;
	struct err e;
	int rc;

	must_put(f, 0, T0 + 10 * SEC);
	must_put(f, 1, T0 + 20 * SEC);
	assert_consistent(f, "before the fault");

	fv_fail_writes = 1;
	inj = fv_injected;
	rc = put1(f, 2, T0 + 30 * SEC, &e);
	printf("disk full, existing window: rc %d, \"%s\"\n", rc, e.msg);
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(e.code, -ENOSPC);
	assert_true(e.msg[0] != '\0');
	assert_non_null(strstr(e.msg, "full"));
	assert_true(fv_injected > inj);
	/* A batch into the same window and one into a new window (a block
	 * that must be created on a full disk). */
	{
		int fi[3] = {0, 1, 2};
		int64_t ts[3] = {T0 + 40 * SEC, T0 + 50 * SEC, T0 + 60 * SEC};
		rc = put_batch(f, fi, ts, 3, &e);
		assert_int_equal(rc, -ENOSPC);
	}
	rc = put1(f, 0, T0 + 3 * HOUR, &e);
	printf("disk full, new window: rc %d, \"%s\"\n", rc, e.msg);
	assert_int_equal(rc, -ENOSPC);
	assert_says_why(rc, &e);
	/* Reads still work and show exactly what was committed. */
	assert_consistent(f, "during the fault");

	fv_clear();
	must_put(f, 2, T0 + 30 * SEC);
	{
		int fi[3] = {0, 1, 2};
		int64_t ts[3] = {T0 + 40 * SEC, T0 + 50 * SEC, T0 + 60 * SEC};
		if (put_batch(f, fi, ts, 3, &e) < 0)
			fail_msg("batch after the fault: %s", e.msg);
	}
	must_put(f, 0, T0 + 3 * HOUR);
	assert_consistent(f, "after the fault cleared");
	reopen(f);
	assert_consistent(f, "after reopen");
	assert_int_equal(corrupt_files(f), 0);
}

/* ---- (b) fsync fails ----------------------------------------------------- */

static void test_fsync_failure(void **state)
{
	struct fx *f = *state;
	unsigned long syncs;
	struct err e;
	int rc;

	must_put(f, 0, T0 + 10 * SEC);
	must_put(f, 1, T0 + 3 * HOUR);
	fv_fail_sync = 1;
	syncs = fv_nsyncs;
	rc = put1(f, 2, T0 + 20 * SEC, &e);
	printf("fsync fails: rc %d, \"%s\" (%lu syncs attempted)\n", rc, e.msg, fv_nsyncs - syncs);
	assert_int_equal(rc, -EIO);
	assert_says_why(rc, &e);
	{
		int fi[2] = {1, 2};
		int64_t ts[2] = {T0 + 30 * SEC, T0 + 3 * HOUR + 30 * SEC}; /* two windows */
		rc = put_batch(f, fi, ts, 2, &e);
		assert_true(rc < 0);
	}
	rc = put1(f, 2, T0 + 5 * HOUR, &e); /* a new block */
	assert_true(rc < 0);
	assert_consistent(f, "during the fsync fault");

	fv_clear();
	assert_consistent(f, "fault cleared, before any write");
	must_put(f, 0, T0 + 40 * SEC);
	must_put(f, 1, T0 + 3 * HOUR + 40 * SEC);
	assert_consistent(f, "after the fsync fault");
	reopen(f);
	assert_consistent(f, "after reopen");
	/* The retries of what failed: stored once each. */
	must_put(f, 2, T0 + 20 * SEC);
	must_put(f, 2, T0 + 5 * HOUR);
	assert_consistent(f, "after the retries");
	reopen(f);
	assert_consistent(f, "after the retries and reopen");
}

/* An fsync fails and the process dies right after (no clean close, so
 * the WAL is not folded back or removed): the failed append may come
 * back after recovery, but only whole. */
static void test_fsync_failure_then_crash(void **state)
{
	struct fx *f = *state;
	int status;
	pid_t pid;

	must_put(f, 0, T0 + 10 * SEC);
	store_close(f->s);
	f->s = NULL;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = NULL;
		struct store_profile sp[2];
		struct err e = {0};
		int rc;
		if (store_open(&store_sqlite_ops, &f->cfg, &s, &e) < 0)
			_exit(2);
		/* First a good append, so the WAL holds frames and the failing
		 * commit is the one whose frames are written but not synced. */
		sp[0] = (struct store_profile){P[2], N[2], T0 + 15 * SEC, 10 * SEC};
		if (store_append(s, sp, 1, &e) < 0)
			_exit(2);
		sp[0] = (struct store_profile){P[1], N[1], T0 + 20 * SEC, 10 * SEC};
		sp[1] = (struct store_profile){P[2], N[2], T0 + 30 * SEC, 10 * SEC};
		fv_fail_sync = 1;
		rc = store_append(s, sp, 2, &e);
		_exit(rc < 0 ? 0 : 1); /* no close: like a crash */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f->ts[f->n] = T0 + 15 * SEC; /* acknowledged by the child */
	f->file[f->n++] = 2;
	open_fx(f);
	{
		char *a = merged(f, 1, T0 + 20 * SEC, T0 + 20 * SEC + 1);
		char *b = merged(f, 1, T0 + 30 * SEC, T0 + 30 * SEC + 1);
		int present = *a != '\0';
		printf("fsync failed, then the process died: the failed batch is %s after recovery\n",
		       present ? "present (whole)" : "absent");
		if ((*a != '\0') != (*b != '\0'))
			fail_msg("the failed batch is half visible after recovery");
		free(a);
		free(b);
		if (present) {
			/* It must then be exactly right: count it as stored. */
			f->ts[f->n] = T0 + 20 * SEC;
			f->file[f->n++] = 1;
			f->ts[f->n] = T0 + 30 * SEC;
			f->file[f->n++] = 2;
		}
	}
	assert_consistent(f, "after the crash following a failed fsync");
	must_put(f, 0, T0 + 40 * SEC);
	assert_consistent(f, "after a later append");
}

/* ---- (c) writes fail after N succeed -------------------------------------- */

/* One batch of 3 with the fault armed after n writes; then the retry. */
static int fault_batch(struct fx *f, int n, int code, int64_t base, int i)
{
	int fi[3] = {i % 3, (i + 1) % 3, (i + 2) % 3};
	int64_t ts[3] = {base, base + SEC, base + 2 * SEC};
	unsigned long w0 = fv_nwrites;
	size_t before = f->n;
	char what[96];
	struct err e;
	int rc;

	fv_arm_after(n, code);
	rc = put_batch(f, fi, ts, 3, &e);
	printf("  fail after %2d writes (%s): append rc %d after %lu write calls%s%.100s\n", n,
	       code == SQLITE_FULL ? "SQLITE_FULL" : "SQLITE_IOERR_WRITE", rc, fv_nwrites - w0,
	       rc ? ": " : "", rc ? e.msg : "");
	fv_clear();
	if (rc < 0) {
		assert_int_equal(f->n, before);
		if (code == SQLITE_FULL)
			assert_int_equal(rc, -ENOSPC);
		else
			assert_int_equal(rc, -EIO);
		assert_says_why(rc, &e);
	}
	snprintf(what, sizeof(what), "after a write fault at %d (rc %d)", n, rc);
	assert_consistent(f, what);
	if (rc < 0 && put_batch(f, fi, ts, 3, &e) < 0)
		fail_msg("retry after the fault at %d: %s", n, e.msg);
	snprintf(what, sizeof(what), "after the retry of fault %d", n);
	assert_consistent(f, what);
	return rc < 0;
}

static void test_fail_after_n_writes(void **state)
{
	struct fx *f = *state;
	int n, failed = 0, tries = 0, i = 0;

	unsigned long w0, total;
	int step;

	must_put(f, 0, T0 + 1 * SEC);
	/* How many writes a batch into a new window takes: creating the
	 * block (schema, header) and its first transaction (every symbol). */
	{
		int fi[3] = {0, 1, 2};
		int64_t ts[3] = {T0 + 200 * WINDOW, T0 + 200 * WINDOW + SEC, T0 + 200 * WINDOW + 2 * SEC};
		struct err e;
		w0 = fv_nwrites;
		if (put_batch(f, fi, ts, 3, &e) < 0)
			fail_msg("probe append: %s", e.msg);
		total = fv_nwrites - w0;
	}
	step = (int)(total / 16) > 3 ? (int)(total / 16) : 3;
	/* Into a new window each time, faults spread over all those writes;
	 * the 1..40 step 3 range first, then the rest. */
	printf("new window per batch (%lu writes without a fault):\n", total);
	for (n = 1; n <= 40; n += 3, i++, tries++)
		failed += fault_batch(f, n, i % 2 ? SQLITE_IOERR_WRITE : SQLITE_FULL,
				      T0 + (int64_t)(i + 1) * WINDOW + 5 * MIN, i);
	for (; n <= (int)total + 2; n += step, i++, tries++)
		failed += fault_batch(f, n, i % 2 ? SQLITE_IOERR_WRITE : SQLITE_FULL,
				      T0 + (int64_t)(i + 1) * WINDOW + 5 * MIN, i);
	/* Into the first window, which exists: a commit writes few pages. */
	printf("existing window:\n");
	for (n = 0; n <= 6; n++, i++, tries++)
		failed += fault_batch(f, n, n % 2 ? SQLITE_IOERR_WRITE : SQLITE_FULL,
				      T0 + (int64_t)(n + 1) * 2 * MIN, i);
	printf("fail after N writes: %d of %d appends failed, the rest completed before the "
	       "fault hit\n", failed, tries);
	assert_true(failed > 0);
	reopen(f);
	assert_consistent(f, "after reopen");
	printf("fail after N writes: %d block files set aside as corrupt after reopen\n",
	       corrupt_files(f));
}

/* The writer's caches are rebuilt from the file after a reopen and after
 * every failed transaction; appending the same profiles again must then
 * find every symbol (no duplicate rows, no id clashes). Mappings without
 * a build id (gocompile's binary, [vdso]) once keyed differently on
 * reload and failed the third append with "UNIQUE constraint failed". */
static void test_reload_writer_cache(void **state)
{
	struct fx *f = *state;
	struct store_stats st0, st1;
	struct err e = {0};
	int i;

	for (i = 0; i < 4; i++) {
		must_put(f, 2, T0 + i * SEC);
		must_put(f, 0, T0 + 100 * SEC + i * SEC);
		if (i == 1)
			assert_int_equal(store_stats(f->s, &st0, &e), 0);
		reopen(f);
	}
	assert_consistent(f, "after appends across reopens");
	/* Same symbols: the file grows by the profile rows only. */
	assert_int_equal(store_stats(f->s, &st1, &e), 0);
	assert_int_equal(st1.series, st0.series);
	/* A failed transaction also rebuilds the caches. */
	fv_fail_writes = 1;
	assert_int_equal(put1(f, 2, T0 + 50 * SEC, &e), -ENOSPC);
	fv_clear();
	must_put(f, 2, T0 + 51 * SEC);
	must_put(f, 1, T0 + 52 * SEC);
	must_put(f, 2, T0 + 53 * SEC);
	assert_consistent(f, "after a failed transaction");
}

/* ---- (d) sealing fails --------------------------------------------------- */

static void fill_window(struct fx *f, int64_t w, int count)
{
	int k;

	for (k = 0; k < count; k++)
		must_put(f, k % NFILES, T0 + w * WINDOW + (int64_t)k * 17 * MIN + 3 * SEC);
}

/* Ranges whose merges a seal must not change: whole block (one roll-up),
 * aligned 10-min windows, edges, and beyond. */
static void snapshot(struct fx *f, int64_t w, char *out[12])
{
	static const int64_t r[6][2] = {
		{0, 7200}, {600, 3600}, {300, 4000}, {1, 7199}, {0, 10800}, {1200, 1800},
	};
	int i, vi;

	for (i = 0; i < 6; i++)
		for (vi = 0; vi < 2; vi++)
			out[i * 2 + vi] = merged(f, vi, T0 + w * WINDOW + r[i][0] * SEC,
						 T0 + w * WINDOW + r[i][1] * SEC);
}

static void assert_snapshot(struct fx *f, int64_t w, char *before[12], const char *what)
{
	char *now[12];
	int i;

	snapshot(f, w, now);
	for (i = 0; i < 12; i++) {
		if (strcmp(now[i], before[i]))
			fail_msg("%s: query %d over window %" PRId64 " changed (%zu -> %zu bytes)",
				 what, i, w, strlen(before[i]), strlen(now[i]));
		free(now[i]);
	}
}

static void free_snapshot(char *s[12])
{
	int i;

	for (i = 0; i < 12; i++)
		free(s[i]);
}

static void test_seal_failure(void **state)
{
	struct fx *f = *state;
	char *before[12];
	struct err e = {0};
	int rc;

	fill_window(f, 0, 7);
	must_put(f, 0, T0 + WINDOW + 5 * MIN); /* the next window stays open */
	snapshot(f, 0, before);
	assert_int_equal(sealed_blocks(f), 0);

	fv_fail_writes = 1;
	rc = store_maintain(f->s, T0 + WINDOW + GRACE, &e);
	printf("seal on a full disk: rc %d, \"%s\"\n", rc, e.msg);
	assert_int_equal(rc, -ENOSPC);
	assert_says_why(rc, &e);
	assert_int_equal(sealed_blocks(f), 0);
	assert_snapshot(f, 0, before, "after the failed seal");
	assert_consistent(f, "after the failed seal");

	/* A failing fsync too. */
	fv_clear();
	fv_fail_sync = 1;
	memset(&e, 0, sizeof(e));
	rc = store_maintain(f->s, T0 + WINDOW + GRACE, &e);
	printf("seal with failing fsync: rc %d, \"%s\"\n", rc, e.msg);
	assert_int_equal(rc, -EIO);
	assert_says_why(rc, &e);
	assert_int_equal(sealed_blocks(f), 0);
	assert_snapshot(f, 0, before, "after the failed seal (fsync)");
	fv_clear();
	/* Still unsealed, so still writable. */
	free_snapshot(before);
	must_put(f, 1, T0 + 119 * MIN);
	snapshot(f, 0, before);

	reopen(f);
	assert_int_equal(sealed_blocks(f), 0);
	assert_snapshot(f, 0, before, "after the failed seals and reopen");

	if (store_maintain(f->s, T0 + WINDOW + GRACE, &e) < 0)
		fail_msg("maintain after the fault: %s", e.msg);
	assert_int_equal(sealed_blocks(f), 1);
	assert_snapshot(f, 0, before, "after the seal");
	assert_consistent(f, "after the seal");
	reopen(f);
	assert_int_equal(sealed_blocks(f), 1);
	assert_snapshot(f, 0, before, "after the seal and reopen");
	assert_consistent(f, "after the seal and reopen");
	free_snapshot(before);
}

/* Sealing interrupted after N writes, N in a range: each window either
 * seals or stays as it was, and seals once the fault is gone. */
static void test_seal_fail_after_n(void **state)
{
	struct fx *f = *state;
	int n, failed = 0;
	int64_t w = 0;
	char what[96];

	for (n = 0; n <= 24; n++, w++) {
		char *before[12];
		uint64_t sealed0;
		struct err e = {0};
		int rc;

		fill_window(f, w, 5 + (int)(w % 3));
		sealed0 = sealed_blocks(f);
		snapshot(f, w, before);
		unsigned long w0 = fv_nwrites;
		fv_arm_after(n, n % 2 ? SQLITE_IOERR_WRITE : SQLITE_FULL);
		rc = store_maintain(f->s, T0 + (w + 1) * WINDOW + GRACE, &e);
		printf("  seal, fail after %2d writes: rc %d after %lu write calls%s%.100s\n", n, rc,
		       fv_nwrites - w0, rc ? ": " : "", rc ? e.msg : "");
		fv_clear();
		snprintf(what, sizeof(what), "seal with a write fault at %d (rc %d)", n, rc);
		if (rc < 0) {
			failed++;
			assert_says_why(rc, &e);
			assert_int_equal(sealed_blocks(f), sealed0);
		} else {
			assert_int_equal(sealed_blocks(f), sealed0 + 1);
		}
		assert_snapshot(f, w, before, what);
		if (store_maintain(f->s, T0 + (w + 1) * WINDOW + GRACE, &e) < 0)
			fail_msg("maintain after the fault at %d: %s", n, e.msg);
		assert_int_equal(sealed_blocks(f), sealed0 + 1);
		assert_snapshot(f, w, before, what);
		free_snapshot(before);
	}
	printf("seal fail after N writes: %d of %" PRId64 " seals failed\n", failed, w);
	assert_true(failed > 0);
	assert_consistent(f, "after all the seals");
	reopen(f);
	assert_consistent(f, "after reopen");
	assert_int_equal(corrupt_files(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_failure_then_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_after_n_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_writer_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_fail_after_n, setup, teardown),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
