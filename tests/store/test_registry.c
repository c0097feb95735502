/* The store-wide registries of block.h (frame paths, locations) and their
 * generations: a block's cached id maps follow a newer registry, a query
 * that pinned an older one still merges correctly against it, and a fresh
 * registry filled by block_rebind() holds exactly what the live blocks
 * use. The oracle is the in-memory stacktree of the same pprof data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store/block.h"
#include "../pprof/pbtest.h"
#include "synth.h"

#define SEC STORE_NS_PER_SEC
#define HOUR (3600 * SEC)
#define T0 ((int64_t)1795600800 * SEC)
#define CPU "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
#define VI 1 /* cpu/nanoseconds in etcd-cpu.pb.gz and synth_profile() */

struct fx {
	char dir[64];
	struct block *b[2];         /* an "old" and a "live" block */
	struct pprof_profile *in[2][4];
	size_t nin[2];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct err e = {0};
	char path[128];
	int i;

	strcpy(f->dir, "/tmp/sy-registry-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%d.db", f->dir, i);
		if (block_create(path, T0 + i * 2 * HOUR, T0 + (i + 1) * 2 * HOUR, &f->b[i], &e) < 0)
			fail_msg("create: %s", e.msg);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	size_t i, k;

	for (i = 0; i < 2; i++) {
		block_close(f->b[i]);
		for (k = 0; k < f->nin[i]; k++)
			pprof_free(f->in[i][k]);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Writes p (taken) into block i, k seconds into it. */
static void put(struct fx *f, int i, struct pprof_profile *p, int k)
{
	struct label l[1] = {{"service_name", "x"}};
	struct norm_opts o = {0};
	struct store_profile sp = {0};
	struct norm *n = NULL;
	struct prep pr = {0};
	struct err e = {0};

	o.labels = l;
	o.nlabels = 1;
	if (normalize(p, &o, &n, &e) < 0)
		fail_msg("normalize: %s", e.msg);
	sp.p = p;
	sp.n = n;
	sp.ts = block_start(f->b[i]) + k * SEC;
	prep_build(p, &pr);
	if (block_begin(f->b[i], &e) < 0 || block_put(f->b[i], &sp, &pr, &e) < 0 ||
	    block_commit(f->b[i], &e) < 0)
		fail_msg("write: %s", e.msg);
	prep_release(&pr);
	norm_free(n);
	assert_true(f->nin[i] < 4);
	f->in[i][f->nin[i]++] = p;
}

static char *folded(struct stacktree *t)
{
	struct buf b = BUF_INIT;

	stacktree_write_folded(t, &b);
	stacktree_free(t);
	return (char *)buf_detach(&b, NULL);
}

/* What merging block i gives: the oracle. */
static char *want(struct fx *f, int i)
{
	struct stacktree *t = stacktree_new();
	size_t k;

	for (k = 0; k < f->nin[i]; k++)
		stacktree_add_pprof(t, f->in[i][k], VI);
	return folded(t);
}

/* The CPU series of block i (one reader kept open by the caller). */
static uint32_t *cpu_series(struct block_reader *r, size_t *n)
{
	struct selector *x = NULL;
	struct err e = {0};
	uint32_t *ids;

	if (selector_parse(CPU, strlen(CPU), &x, &e) < 0 ||
	    block_reader_series(r, x, &ids, n, NULL, NULL, &e) < 0)
		fail_msg("series: %s", e.msg);
	selector_free(x);
	return ids;
}

/* Block i merged with registry p, as folded text. */
static char *merge(struct fx *f, int i, struct block_paths *p)
{
	struct block_acc acc = {NULL, 0};
	struct stacktree *t = stacktree_new();
	struct block_reader *r;
	struct err e = {0};
	uint32_t *ids;
	size_t n;

	if (block_reader_open(f->b[i], &r, &e) < 0)
		fail_msg("open: %s", e.msg);
	ids = cpu_series(r, &n);
	if (block_reader_merge(r, p, ids, n, INT64_MIN, INT64_MAX, &acc, &e) < 0)
		fail_msg("merge: %s", e.msg);
	block_paths_render(p, &acc, t);
	block_reader_close(r);
	free(ids);
	free(acc.v);
	return folded(t);
}

/* Block i merged to pprof with registry l, read back as folded text. */
static char *merge_pprof(struct fx *f, int i, struct block_locs *l)
{
	struct block_acc acc = {NULL, 0};
	struct stacktree *t = stacktree_new();
	struct pprof_profile *out = pprof_new();
	struct block_reader *r;
	struct err e = {0};
	uint32_t *ids;
	size_t n;

	pprof_add_sample_type(out, "cpu", "nanoseconds");
	if (block_reader_open(f->b[i], &r, &e) < 0)
		fail_msg("open: %s", e.msg);
	ids = cpu_series(r, &n);
	if (block_reader_pprof(r, l, ids, n, INT64_MIN, INT64_MAX, &acc, out, &e) < 0)
		fail_msg("merge_pprof: %s", e.msg);
	block_locs_render(l, &acc, out);
	stacktree_add_pprof(t, out, 0);
	block_reader_close(r);
	pprof_free(out);
	free(ids);
	free(acc.v);
	return folded(t);
}

static void assert_merges(struct fx *f, int i, struct block_paths *p, struct block_locs *l)
{
	char *w = want(f, i), *got = merge(f, i, p), *gotp = merge_pprof(f, i, l);

	assert_true(strlen(w) > 100);
	assert_string_equal(got, w);
	assert_string_equal(gotp, w);
	free(w);
	free(got);
	free(gotp);
}

/* A block's cache moves to a newer registry; a query that pinned the
 * older one still merges right against it (with a map of its own), also
 * after the block grew, and adds nothing the older one lacked. The newer
 * registry sees another block first, so the two number block 0's paths
 * differently. */
static void test_stale_generation(void **state)
{
	struct fx *f = *state;
	struct block_paths *p1 = block_paths_new(), *p2 = block_paths_new();
	struct block_locs *l1 = block_locs_new(), *l2 = block_locs_new();
	size_t n1, nl1;

	put(f, 0, testdata_load("etcd-cpu.pb.gz"), 0);
	put(f, 0, synth_profile("a", 50, 3), 10);
	put(f, 1, synth_profile("other", 40, 2), 0);
	assert_merges(f, 0, p1, l1);
	n1 = block_paths_size(p1);
	nl1 = block_locs_size(l1, NULL);
	assert_int_equal(block_paths_live(p1, &f->b[0], 1), n1);
	assert_int_equal(block_locs_live(l1, &f->b[0], 1), nl1);
	assert_merges(f, 1, p2, l2);
	assert_merges(f, 0, p2, l2);            /* the cache follows gen 2 */
	assert_int_equal(block_paths_live(p2, &f->b[0], 1), n1);
	assert_int_equal(block_locs_live(l2, &f->b[0], 1), nl1);
	assert_int_equal(block_paths_live(p1, &f->b[0], 1), 0);
	assert_merges(f, 0, p1, l1);            /* a query pinned to gen 1 */
	assert_int_equal(block_paths_size(p1), n1);
	assert_int_equal(block_locs_size(l1, NULL), nl1);
	put(f, 0, synth_profile("b", 30, 2), 20);
	assert_merges(f, 0, p1, l1);            /* new nodes, old registry */
	assert_merges(f, 0, p2, l2);
	assert_int_equal(block_paths_live(p2, &f->b[0], 1), block_paths_size(p1));
	assert_int_equal(block_locs_live(l2, &f->b[0], 1), block_locs_size(l1, NULL));
	block_paths_unref(p1);
	block_paths_unref(p2);
	block_locs_unref(l1);
	block_locs_unref(l2);
}

/* After the old block goes, a fresh registry that the live block is
 * rebound into holds what the live block uses and no more: what
 * block_*_live() counted in the old registry, and what a registry that
 * only ever saw the live block holds. References keep a replaced
 * registry usable until its last user drops it. */
static void test_rebind_live_only(void **state)
{
	struct fx *f = *state;
	struct block_paths *p = block_paths_new(), *np = block_paths_new(), *solo = block_paths_new();
	struct block_locs *l = block_locs_new(), *nl = block_locs_new(), *lsolo = block_locs_new();
	size_t live, llive, locs_new, locs_solo;

	put(f, 0, synth_profile("old", 400, 4), 0);
	put(f, 0, testdata_load("etcd-cpu.pb.gz"), 10);
	put(f, 1, testdata_load("etcd-cpu.pb.gz"), 0);
	put(f, 1, synth_profile("live", 20, 3), 10);
	assert_merges(f, 0, p, l);
	assert_merges(f, 1, p, l);
	live = block_paths_live(p, &f->b[1], 1);
	llive = block_locs_live(l, &f->b[1], 1);
	assert_true(block_paths_size(p) >= live + 1600);
	assert_true(block_locs_size(l, NULL) >= llive + 1600);
	/* The store's swap: a query holding p keeps it alive meanwhile. */
	block_paths_ref(p);
	block_locs_ref(l);
	block_rebind(f->b[1], np, nl);
	block_rebind(f->b[0], NULL, NULL);     /* nothing to do */
	assert_int_equal(block_paths_size(np), live);
	assert_int_equal(block_locs_size(nl, &locs_new), llive);
	assert_int_equal(block_paths_live(np, &f->b[1], 1), live);
	block_paths_unref(p);
	block_locs_unref(l);
	assert_merges(f, 0, p, l);              /* the pinned query goes on */
	assert_merges(f, 1, np, nl);
	assert_merges(f, 1, solo, lsolo);
	assert_merges(f, 1, np, nl);
	assert_int_equal(block_paths_size(np), block_paths_size(solo));
	assert_int_equal(block_locs_size(nl, NULL), block_locs_size(lsolo, &locs_solo));
	assert_int_equal(locs_new, locs_solo);
	block_paths_unref(p);
	block_paths_unref(np);
	block_paths_unref(solo);
	block_locs_unref(l);
	block_locs_unref(nl);
	block_locs_unref(lsolo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebind_live_only, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
