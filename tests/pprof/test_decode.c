/* Unit tests for pprof_decode(): hand-written protobuf bytes (pbtest.h),
 * the real profiles in testdata, and a table of malformed inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/gz.h"
#include "../../src/pprof/profile.h"
#include "pbtest.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int str_is(const struct pprof_profile *p, uint32_t i, const char *s)
{
	size_t n = strlen(s);

	return i < p->nstr && p->str[i].len == n && !memcmp(p->str[i].ptr, s, n);
}

/* Name of line k of location index li. */
static int loc_fn_is(const struct pprof_profile *p, uint32_t li, uint32_t k,
		     const char *name)
{
	const struct pprof_location *l = &p->location[li];

	if (k >= l->nline)
		return 0;
	return str_is(p, p->function[p->line[l->line_off + k].function].name, name);
}

static int decode_buf(const struct buf *b, const struct pprof_limits *lim,
		      struct pprof_profile **out, struct err *e)
{
	return pprof_decode(b->data, b->len, lim, out, e);
}

/* Decodes b, which must succeed, and releases b. */
static struct pprof_profile *must_decode(struct buf *b)
{
	struct pprof_profile *p = NULL;
	struct err e = {0};
	int rc = decode_buf(b, NULL, &p, &e);

	if (rc)
		print_error("decode: %d %s\n", rc, e.msg);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	buf_release(b);
	return p;
}

/* ---- valid inputs ---- */

static const char *const minimal_strings[] = {"", "samples", "count", "main",
					      NULL};

/* string_table ["", "samples", "count", "main"], one sample type, one
 * function, one location, one sample of value 5. */
static void build_minimal(struct buf *b)
{
	uint64_t loc = 1;
	int64_t v = 5;

	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_sample(b, &loc, 1, &v, 1);
	pbt_location(b, 1, 0, 0, 1, 10);
	pbt_function(b, 1, 3, 3, 0, 0);
	pbt_strings(b, minimal_strings);
}

static void check_minimal(const struct pprof_profile *p)
{
	assert_int_equal(p->nstr, 4);
	assert_true(str_is(p, 0, ""));
	assert_int_equal(p->nsample_type, 1);
	assert_true(str_is(p, p->sample_type[0].type, "samples"));
	assert_true(str_is(p, p->sample_type[0].unit, "count"));
	assert_int_equal(p->nsample, 1);
	assert_int_equal(p->sample[0].nloc, 1);
	assert_int_equal(p->value[0], 5);
	assert_int_equal(p->nlocation, 1);
	assert_int_equal(p->nfunction, 1);
	assert_int_equal(p->sample_loc[p->sample[0].loc_off], 0);
	assert_int_equal(p->location[0].id, 1);
	assert_int_equal(p->location[0].nline, 1);
	assert_int_equal(p->location[0].mapping, 0);
	assert_int_equal(p->line[p->location[0].line_off].function, 0);
	assert_int_equal(p->line[p->location[0].line_off].line, 10);
	assert_int_equal(p->function[0].id, 1);
	assert_true(str_is(p, p->function[0].name, "main"));
	assert_true(str_is(p, p->function[0].system_name, "main"));
	assert_int_equal(p->sample[0].nlabel, 0);
}

static void test_minimal(void **state)
{
	struct buf b = BUF_INIT;
	struct pprof_profile *p;

	(void)state;
	build_minimal(&b);
	p = must_decode(&b);
	check_minimal(p);
	pprof_free(p);
}

/* Same profile, fields in the reverse of Go's order: string table first,
 * functions before the locations that use them, samples last... and the
 * other way round. Order must not matter. */
static void test_field_order(void **state)
{
	struct buf b = BUF_INIT;
	struct pprof_profile *p;
	uint64_t loc = 1;
	int64_t v = 5;

	(void)state;
	pbt_strings(&b, minimal_strings);
	pbt_function(&b, 1, 3, 3, 0, 0);
	pbt_location(&b, 1, 0, 0, 1, 10);
	pbt_sample(&b, &loc, 1, &v, 1);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 1, 2);
	p = must_decode(&b);
	check_minimal(p);
	pprof_free(p);

	/* Sample first, string table split around everything else. */
	pbt_sample(&b, &loc, 1, &v, 1);
	pbt_str(&b, PBT_P_STRING, "");
	pbt_str(&b, PBT_P_STRING, "samples");
	pbt_location(&b, 1, 0, 0, 1, 10);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_str(&b, PBT_P_STRING, "count");
	pbt_function(&b, 1, 3, 3, 0, 0);
	pbt_str(&b, PBT_P_STRING, "main");
	p = must_decode(&b);
	check_minimal(p);
	pprof_free(p);
}

/* Three functions and locations 1..3, two sample types. */
static void build_three(struct buf *b)
{
	static const char *const s[] = {"", "samples", "count", "cpu",
					"nanoseconds", "a", "b", "c", NULL};

	pbt_strings(b, s);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 3, 4);
	pbt_function(b, 1, 5, 0, 0, 0);
	pbt_function(b, 2, 6, 0, 0, 0);
	pbt_function(b, 3, 7, 0, 0, 0);
	pbt_location(b, 1, 0, 0, 1, 1);
	pbt_location(b, 2, 0, 0, 2, 2);
	pbt_location(b, 3, 0, 0, 3, 3);
}

static void check_stack_abc(const struct pprof_profile *p, size_t si)
{
	const struct pprof_sample *s = &p->sample[si];

	assert_int_equal(s->nloc, 3);
	assert_true(loc_fn_is(p, p->sample_loc[s->loc_off + 0], 0, "a"));
	assert_true(loc_fn_is(p, p->sample_loc[s->loc_off + 1], 0, "b"));
	assert_true(loc_fn_is(p, p->sample_loc[s->loc_off + 2], 0, "c"));
}

static void test_packed_unpacked(void **state)
{
	struct buf b = BUF_INIT, s = BUF_INIT;
	struct pprof_profile *p;
	uint64_t locs[] = {1, 2, 3};
	uint64_t vals[] = {7, 8};

	(void)state;
	build_three(&b);
	/* sample 0: both packed */
	pbt_packed(&s, 1, locs, 3);
	pbt_packed(&s, 2, vals, 2);
	pbt_msg(&b, PBT_P_SAMPLE, &s);
	/* sample 1: both unpacked, values before locations as Go writes */
	pbt_uint(&s, 2, 7);
	pbt_uint(&s, 2, 8);
	pbt_uint(&s, 1, 1);
	pbt_uint(&s, 1, 2);
	pbt_uint(&s, 1, 3);
	pbt_msg(&b, PBT_P_SAMPLE, &s);
	/* sample 2: mixed within one message */
	pbt_packed(&s, 1, locs, 2);
	pbt_uint(&s, 2, 7);
	pbt_uint(&s, 1, 3);
	pbt_packed(&s, 2, vals + 1, 1);
	pbt_msg(&b, PBT_P_SAMPLE, &s);
	p = must_decode(&b);
	assert_int_equal(p->nsample, 3);
	for (size_t i = 0; i < 3; i++) {
		check_stack_abc(p, i);
		assert_int_equal(p->value[i * 2 + 0], 7);
		assert_int_equal(p->value[i * 2 + 1], 8);
	}
	pprof_free(p);
}

/* Negative values are plain 10-byte varints, not zigzag; an empty stack
 * is valid. */
static void test_negative_and_empty_stack(void **state)
{
	struct buf b = BUF_INIT, s = BUF_INIT;
	struct pprof_profile *p;

	(void)state;
	build_three(&b);
	pbt_uint(&s, 2, (uint64_t)(int64_t)-3);
	pbt_uint(&s, 2, (uint64_t)INT64_MIN);
	pbt_msg(&b, PBT_P_SAMPLE, &s);
	p = must_decode(&b);
	assert_int_equal(p->nsample, 1);
	assert_int_equal(p->sample[0].nloc, 0);
	assert_int_equal(p->value[0], -3);
	assert_true(p->value[1] == INT64_MIN);
	pprof_free(p);
}

/* Ids are not indices: huge sparse ids (addresses as ids) resolve. */
static void test_sparse_ids(void **state)
{
	static const char *const str[] = {"", "samples", "count", "f", "g",
					  "/bin/x", NULL};
	const uint64_t fa = 0xdeadbeef00001234ULL, fb = UINT64_MAX;
	const uint64_t la = 0xdeadbeef00001234ULL, lb = 0x7fff00000000ULL;
	const uint64_t ma = 0xfeedface12345678ULL;
	struct buf b = BUF_INIT;
	struct pprof_profile *p;
	uint64_t locs[] = {lb, la};
	int64_t v = 1;
	uint32_t li;

	(void)state;
	pbt_strings(&b, str);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_mapping(&b, ma, 0x1000, 0x2000, 0, 5, 0);
	pbt_function(&b, fb, 4, 0, 0, 0);
	pbt_function(&b, fa, 3, 0, 0, 0);
	pbt_location(&b, la, ma, 0x1234, fa, 1);
	pbt_location(&b, lb, 0, 0, fb, 2);
	pbt_sample(&b, locs, 2, &v, 1);
	p = must_decode(&b);
	li = p->sample_loc[p->sample[0].loc_off];
	assert_int_equal(p->location[li].id, lb);
	assert_true(loc_fn_is(p, li, 0, "g"));
	assert_int_equal(p->location[li].mapping, 0);
	li = p->sample_loc[p->sample[0].loc_off + 1];
	assert_int_equal(p->location[li].id, la);
	assert_true(loc_fn_is(p, li, 0, "f"));
	assert_int_equal(p->location[li].address, 0x1234);
	assert_int_equal(p->location[li].mapping, 1);
	assert_int_equal(p->mapping[0].id, ma);
	assert_true(str_is(p, p->mapping[0].filename, "/bin/x"));
	pprof_free(p);
}

/* A mapping_id that points nowhere means "no mapping" (pprof does so). */
static void test_dangling_mapping(void **state)
{
	struct buf b = BUF_INIT;
	struct pprof_profile *p;
	uint64_t loc = 1;
	int64_t v = 5;

	(void)state;
	pbt_strings(&b, minimal_strings);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_function(&b, 1, 3, 3, 0, 0);
	pbt_location(&b, 1, 42, 0x10, 1, 10);
	pbt_sample(&b, &loc, 1, &v, 1);
	p = must_decode(&b);
	assert_int_equal(p->nlocation, 1);
	assert_int_equal(p->location[0].mapping, 0);
	assert_int_equal(p->location[0].address, 0x10);
	pprof_free(p);
}

/* line[0] is the innermost inlinee, the last line the physical caller. */
static void test_inlined(void **state)
{
	static const char *const str[] = {"", "samples", "count", "inner",
					  "outer", NULL};
	struct buf b = BUF_INIT, l = BUF_INIT;
	struct pprof_profile *p;
	uint64_t loc = 9;
	int64_t v = 1;
	const struct pprof_location *lo;

	(void)state;
	pbt_strings(&b, str);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_function(&b, 1, 3, 0, 0, 0);
	pbt_function(&b, 2, 4, 0, 0, 0);
	pbt_uint(&l, 1, 9);
	pbt_line(&l, 1, 11);
	pbt_line(&l, 2, 22);
	pbt_msg(&b, PBT_P_LOCATION, &l);
	pbt_sample(&b, &loc, 1, &v, 1);
	p = must_decode(&b);
	lo = &p->location[0];
	assert_int_equal(lo->nline, 2);
	assert_true(loc_fn_is(p, 0, 0, "inner"));
	assert_true(loc_fn_is(p, 0, 1, "outer"));
	assert_int_equal(p->line[lo->line_off].line, 11);
	assert_int_equal(p->line[lo->line_off + 1].line, 22);
	pprof_free(p);
}

static const struct pprof_label *find_label(const struct pprof_profile *p,
					    size_t si, const char *key)
{
	const struct pprof_sample *s = &p->sample[si];
	uint32_t k;

	for (k = 0; k < s->nlabel; k++)
		if (str_is(p, p->label[s->label_off + k].key, key))
			return &p->label[s->label_off + k];
	return NULL;
}

static void test_labels(void **state)
{
	static const char *const str[] = {"", "samples", "count", "main",
					  "thread", "worker", "bytes", "size",
					  "kb", "zero", "zerou", NULL};
	struct buf b = BUF_INIT, s = BUF_INIT, lab = BUF_INIT;
	struct pprof_profile *p;
	const struct pprof_label *l;

	(void)state;
	pbt_strings(&b, str);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_uint(&s, 2, 1);
	pbt_label(&s, 4, 5, 0, 0);     /* thread=worker */
	pbt_label(&s, 6, 0, 1024, 0);  /* bytes=1024 */
	pbt_label(&s, 7, 0, -5, 8);    /* size=-5 kb */
	pbt_label(&s, 10, 0, 0, 8);    /* zerou=0 kb: kept, has a unit */
	/* zero=0, no unit, no str: pprof drops it. Written with explicit
	 * zero fields so that presence on the wire cannot matter. */
	pbt_uint(&lab, 1, 9);
	pbt_uint(&lab, 2, 0);
	pbt_uint(&lab, 3, 0);
	pbt_uint(&lab, 4, 0);
	pbt_msg(&s, 3, &lab);
	pbt_msg(&b, PBT_P_SAMPLE, &s);
	p = must_decode(&b);
	assert_int_equal(p->sample[0].nlabel, 4);
	assert_null(find_label(p, 0, "zero"));
	l = find_label(p, 0, "thread");
	assert_non_null(l);
	assert_true(str_is(p, l->str, "worker"));
	l = find_label(p, 0, "bytes");
	assert_non_null(l);
	assert_int_equal(l->str, 0);
	assert_int_equal(l->num, 1024);
	assert_int_equal(l->num_unit, 0);
	l = find_label(p, 0, "size");
	assert_non_null(l);
	assert_int_equal(l->num, -5);
	assert_true(str_is(p, l->num_unit, "kb"));
	l = find_label(p, 0, "zerou");
	assert_non_null(l);
	assert_int_equal(l->num, 0);
	assert_true(str_is(p, l->num_unit, "kb"));
	pprof_free(p);
}

/* Unknown fields of every understood wire type, at the top level and in
 * every nested message, are skipped. */
static void add_unknown(struct buf *b)
{
	pbt_uint(b, 100, 0xffffffffffULL);
	pbt_fixed64(b, 101, 0x0123456789abcdefULL);
	pbt_str(b, 102, "ignored");
	pbt_fixed32(b, 103, 0xdeadbeef);
}

static void test_unknown_fields(void **state)
{
	struct buf b = BUF_INIT, m = BUF_INIT, l = BUF_INIT;
	struct pprof_profile *p;

	(void)state;
	add_unknown(&b);
	pbt_strings(&b, minimal_strings);
	pbt_uint(&m, 1, 1);
	add_unknown(&m);
	pbt_uint(&m, 2, 2);
	pbt_msg(&b, PBT_P_SAMPLE_TYPE, &m);
	add_unknown(&b);
	pbt_uint(&m, 1, 1);
	add_unknown(&m);
	pbt_uint(&m, 2, 3);
	add_unknown(&m);
	pbt_msg(&b, PBT_P_FUNCTION, &m);
	pbt_uint(&m, 1, 1);
	add_unknown(&m);
	pbt_uint(&l, 1, 1);
	add_unknown(&l);
	pbt_uint(&l, 2, 10);
	pbt_msg(&m, 4, &l);
	pbt_msg(&b, PBT_P_LOCATION, &m);
	add_unknown(&m);
	pbt_uint(&m, 1, 1);
	pbt_uint(&m, 2, 5);
	pbt_label(&m, 0, 0, 0, 0); /* fully empty label: dropped */
	add_unknown(&m);
	pbt_msg(&b, PBT_P_SAMPLE, &m);
	add_unknown(&b);
	p = must_decode(&b);
	assert_int_equal(p->nsample, 1);
	assert_int_equal(p->value[0], 5);
	assert_int_equal(p->sample[0].nlabel, 0);
	assert_true(str_is(p, p->function[0].name, "main"));
	assert_int_equal(p->line[p->location[0].line_off].line, 10);
	pprof_free(p);
}

static void test_header_fields(void **state)
{
	static const char *const str[] = {"", "samples", "count", "cpu",
					  "nanoseconds", "c1", "c2", "c3",
					  "https://doc", "drop.*", "keep", NULL};
	struct buf b = BUF_INIT;
	struct pprof_profile *p;
	uint64_t c[] = {5, 6, 7};

	(void)state;
	pbt_strings(&b, str);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_value_type(&b, PBT_P_SAMPLE_TYPE, 3, 4);
	pbt_value_type(&b, PBT_P_PERIOD_TYPE, 3, 4);
	pbt_uint(&b, PBT_P_TIME, 1700000000000000000ULL);
	pbt_uint(&b, PBT_P_DURATION, 5000000000ULL);
	pbt_uint(&b, PBT_P_PERIOD, 10000000);
	pbt_packed(&b, PBT_P_COMMENT, c, 2); /* comments packed... */
	pbt_uint(&b, PBT_P_COMMENT, c[2]);  /* ...and unpacked */
	pbt_uint(&b, PBT_P_DEFAULT_TYPE, 3);
	pbt_uint(&b, PBT_P_DOC_URL, 8);
	pbt_uint(&b, PBT_P_DROP, 9);
	pbt_uint(&b, PBT_P_KEEP, 10);
	p = must_decode(&b);
	assert_int_equal(p->nsample, 0);
	assert_int_equal(p->nsample_type, 2);
	assert_true(p->time_nanos == 1700000000000000000LL);
	assert_true(p->duration_nanos == 5000000000LL);
	assert_int_equal(p->period, 10000000);
	assert_true(str_is(p, p->period_type.type, "cpu"));
	assert_true(str_is(p, p->period_type.unit, "nanoseconds"));
	assert_int_equal(p->ncomment, 3);
	assert_true(str_is(p, p->comment[0], "c1"));
	assert_true(str_is(p, p->comment[2], "c3"));
	assert_true(str_is(p, p->default_sample_type, "cpu"));
	assert_int_equal(pprof_default_index(p), 1);
	assert_true(str_is(p, p->doc_url, "https://doc"));
	assert_true(str_is(p, p->drop_frames, "drop.*"));
	assert_true(str_is(p, p->keep_frames, "keep"));
	pprof_free(p);
}

/* The decoder must not keep pointers into the caller's input. */
static void test_input_not_referenced(void **state)
{
	struct buf b = BUF_INIT;
	struct pprof_profile *p = NULL;
	struct err e = {0};

	(void)state;
	build_minimal(&b);
	assert_int_equal(decode_buf(&b, NULL, &p, &e), 0);
	memset(b.data, 0xaa, b.len);
	buf_release(&b);
	check_minimal(p);
	pprof_free(p);
}

static void test_gzip_equals_raw(void **state)
{
	struct buf b = BUF_INIT;
	struct pprof_profile *p = NULL;
	struct err e = {0};
	uint8_t *gz = NULL;
	size_t gzlen = 0;

	(void)state;
	build_minimal(&b);
	assert_int_equal(gz_deflate(b.data, b.len, 6, &gz, &gzlen, &e), 0);
	assert_true(gz_is_gzip(gz, gzlen));
	assert_false(gz_is_gzip(b.data, b.len));
	assert_int_equal(pprof_decode(gz, gzlen, NULL, &p, &e), 0);
	check_minimal(p);
	pprof_free(p);
	free(gz);
	buf_release(&b);
}

/* Per-type totals of the real profiles, from the oracle
 * `go tool pprof -raw FILE` (Go 1.19 pprof). Block and mutex profiles taken
 * with no contention legitimately hold zero samples. */
static const struct real_file {
	const char *name;
	int64_t total[4];
} real_files[] = {
	{"etcd-allocs.pb.gz", {25001, 7273832, 14804, 4099571}},
	{"etcd-block.pb.gz", {0, 0}},
	{"etcd-cpu.pb.gz", {38, 380000000}},
	{"etcd-goroutine.pb.gz", {41}},
	{"etcd-heap.pb.gz", {21358, 4623899, 14804, 4099571}},
	{"etcd-mutex.pb.gz", {5, 219810}},
	{"gocompile-nethttp-cpu.pb.gz", {389, 3890000000}},
	{"node-heap.pb.gz", {33971, 6075302}},
	{"node-wall.pb.gz", {295, 3032316000, 3248129548}},
	{"prometheus-allocs.pb.gz", {60643, 7894880, 21179, 5796175}},
	{"prometheus-block.pb.gz", {0, 0}},
	{"prometheus-cpu.pb.gz", {3, 30000000}},
	{"prometheus-goroutine.pb.gz", {24}},
	{"prometheus-heap.pb.gz", {60643, 7894880, 21179, 5796175}},
	{"prometheus-mutex.pb.gz", {0, 0}},
};

static void check_totals(const struct pprof_profile *p, const struct real_file *f)
{
	uint32_t t;
	size_t i;

	assert_true(p->nsample_type >= 1 && p->nsample_type <= 4);
	for (t = 0; t < p->nsample_type; t++) {
		int64_t sum = 0;
		for (i = 0; i < p->nsample; i++)
			sum += p->value[i * p->nsample_type + t];
		if (sum != f->total[t])
			print_error("%s type %u: total %lld, pprof says %lld\n", f->name,
				    t, (long long)sum, (long long)f->total[t]);
		assert_true(sum == f->total[t]);
	}
	assert_true(p->nsample > 0 || f->total[0] == 0);
}

static void decode_real(const struct real_file *f)
{
	struct pprof_profile *p = NULL;
	struct err e = {0};
	uint8_t *data = NULL, *raw = NULL;
	size_t len = 0, rawlen = 0;
	char path[512];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", testdata_dir(), f->name);
	assert_int_equal(file_read(path, 64u << 20, &data, &len, &e), 0);
	rc = pprof_decode(data, len, NULL, &p, &e);
	if (rc)
		print_error("%s: %s\n", path, e.msg);
	assert_int_equal(rc, 0);
	check_totals(p, f);
	assert_true(p->nmapping > 0 || !strncmp(f->name, "node", 4));
	pprof_free(p);
	/* and the same bytes gunzipped */
	assert_int_equal(gz_inflate(data, len, 64u << 20, &raw, &rawlen, &e), 0);
	assert_int_equal(pprof_decode(raw, rawlen, NULL, &p, &e), 0);
	check_totals(p, f);
	pprof_free(p);
	free(raw);
	free(data);
}

/* Every real profile in testdata decodes to pprof's totals, and the table
 * above covers every file there (a new file must be added to it). */
static void test_real_files(void **state)
{
	char pat[512];
	glob_t g;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(real_files); i++)
		decode_real(&real_files[i]);
	snprintf(pat, sizeof(pat), "%s/*.pb.gz", testdata_dir());
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, NELEM(real_files));
	globfree(&g);
}

/* ---- malformed inputs ---- */

static void m_empty(struct buf *b)
{
	(void)b;
}

static void m_trunc_varint(struct buf *b)
{
	build_minimal(b);
	buf_append(b, "\x48\x80\x80", 3); /* time_nanos, varint cut short */
}

static void m_long_varint(struct buf *b)
{
	build_minimal(b);
	buf_append(b, "\x48\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 12);
}

static void m_group(struct buf *b)
{
	build_minimal(b);
	pbt_tag(b, 20, 3);
}

static void m_wiretype4(struct buf *b)
{
	build_minimal(b);
	pbt_tag(b, 20, 4);
}

static void m_wiretype7(struct buf *b)
{
	build_minimal(b);
	pbt_tag(b, 20, 7);
	pbt_varint(b, 1);
}

static void m_field0(struct buf *b)
{
	build_minimal(b);
	pbt_uint(b, 0, 1);
}

static void m_wrong_wt(struct buf *b)
{
	build_minimal(b);
	pbt_uint(b, PBT_P_SAMPLE_TYPE, 5);
}

static void m_wrong_wt_nested(struct buf *b)
{
	struct buf l = BUF_INIT;

	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_function(b, 1, 3, 3, 0, 0);
	pbt_uint(&l, 1, 1);
	pbt_uint(&l, 4, 1); /* Location.line as a varint */
	pbt_msg(b, PBT_P_LOCATION, &l);
}

static void m_len_past_end(struct buf *b)
{
	build_minimal(b);
	pbt_tag(b, PBT_P_SAMPLE, 2);
	pbt_varint(b, 10);
	buf_append(b, "\x08\x01\x10", 3);
}

static void m_huge_len(struct buf *b)
{
	build_minimal(b);
	pbt_tag(b, PBT_P_SAMPLE, 2);
	pbt_varint(b, 0xffffffffffULL);
	buf_append(b, "\x08\x01", 2);
}

static void m_huge_len_nested(struct buf *b)
{
	struct buf s = BUF_INIT;

	build_minimal(b);
	pbt_tag(&s, 3, 2);              /* Sample.label */
	pbt_varint(&s, UINT64_MAX);     /* would wrap a pointer */
	pbt_msg(b, PBT_P_SAMPLE, &s);
}

static void m_trunc_packed(struct buf *b)
{
	struct buf s = BUF_INIT;

	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_bytes(&s, 1, "\x81", 1);    /* packed ids, last varint cut */
	pbt_uint(&s, 2, 1);
	pbt_msg(b, PBT_P_SAMPLE, &s);
}

static void m_str0(struct buf *b)
{
	static const char *const s[] = {"x", "samples", "count", NULL};

	pbt_strings(b, s);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
}

static void m_no_strings(struct buf *b)
{
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
}

static void m_fn_name_range(struct buf *b)
{
	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_function(b, 1, 4, 0, 0, 0);
}

static void m_fn_name_negative(struct buf *b)
{
	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_function(b, 1, (uint64_t)-1, 0, 0, 0);
}

static void m_st_range(struct buf *b)
{
	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 99);
}

static void m_label_range(struct buf *b)
{
	struct buf s = BUF_INIT;

	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_uint(&s, 2, 1);
	pbt_label(&s, 1, 1000, 0, 0);
	pbt_msg(b, PBT_P_SAMPLE, &s);
}

static void m_label_key_range(struct buf *b)
{
	struct buf s = BUF_INIT;

	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_uint(&s, 2, 1);
	pbt_label(&s, 1u << 31, 1, 0, 0);
	pbt_msg(b, PBT_P_SAMPLE, &s);
}

static void m_mapping_file_range(struct buf *b)
{
	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_mapping(b, 1, 0, 0x1000, 0, 4, 0);
}

static void m_period_type_range(struct buf *b)
{
	build_minimal(b);
	pbt_value_type(b, PBT_P_PERIOD_TYPE, 1, 17);
}

static void m_comment_range(struct buf *b)
{
	build_minimal(b);
	pbt_uint(b, PBT_P_COMMENT, 4);
}

static void m_default_type_range(struct buf *b)
{
	build_minimal(b);
	pbt_uint(b, PBT_P_DEFAULT_TYPE, 4);
}

static void m_loc_id0(struct buf *b)
{
	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_function(b, 1, 3, 0, 0, 0);
	pbt_location(b, 0, 0, 0, 1, 1);
}

static void m_fn_id0(struct buf *b)
{
	pbt_strings(b, minimal_strings);
	pbt_value_type(b, PBT_P_SAMPLE_TYPE, 1, 2);
	pbt_function(b, 0, 3, 0, 0, 0);
}

static void m_map_id0(struct buf *b)
{
	build_minimal(b);
	pbt_mapping(b, 0, 0, 0x1000, 0, 0, 0);
}

static void m_dup_fn(struct buf *b)
{
	build_minimal(b);
	pbt_function(b, 1, 3, 0, 0, 0);
}

static void m_dup_loc(struct buf *b)
{
	build_minimal(b);
	pbt_location(b, 1, 0, 0, 1, 11);
}

static void m_dup_map(struct buf *b)
{
	build_minimal(b);
	pbt_mapping(b, 7, 0, 0x1000, 0, 0, 0);
	pbt_mapping(b, 7, 0x1000, 0x2000, 0, 0, 0);
}

static void m_missing_loc(struct buf *b)
{
	uint64_t locs[] = {1, 77};
	int64_t v = 1;

	build_minimal(b);
	pbt_sample(b, locs, 2, &v, 1);
}

static void m_missing_fn(struct buf *b)
{
	build_minimal(b);
	pbt_location(b, 2, 0, 0, 55, 1);
}

static void m_too_few_values(struct buf *b)
{
	uint64_t loc = 1;
	int64_t v = 1;

	build_three(b);
	pbt_sample(b, &loc, 1, &v, 1);
}

static void m_too_many_values(struct buf *b)
{
	uint64_t loc = 1;
	int64_t v[] = {1, 2};

	build_minimal(b);
	pbt_sample(b, &loc, 1, v, 2);
}

static void m_no_sample_type(struct buf *b)
{
	uint64_t loc = 1;
	int64_t v = 1;

	pbt_strings(b, minimal_strings);
	pbt_function(b, 1, 3, 0, 0, 0);
	pbt_location(b, 1, 0, 0, 1, 1);
	pbt_sample(b, &loc, 1, &v, 0);
}

/* Two serialized profiles glued together (pprof issue #273). */
static void m_concat(struct buf *b)
{
	struct buf one = BUF_INIT;

	build_minimal(&one);
	pbt_uint(&one, PBT_P_TIME, 1);
	buf_append(b, one.data, one.len);
	buf_append(b, one.data, one.len);
	buf_release(&one);
}

static void m_corrupt_gzip(struct buf *b)
{
	struct buf raw = BUF_INIT;
	uint8_t *gz = NULL;
	size_t n = 0;

	build_minimal(&raw);
	assert_int_equal(gz_deflate(raw.data, raw.len, 6, &gz, &n, NULL), 0);
	gz[n / 2] ^= 0x55;  /* damages the deflate stream or the CRC */
	gz[n - 5] ^= 0x01;  /* the CRC/size trailer for sure */
	buf_append(b, gz, n);
	free(gz);
	buf_release(&raw);
}

static void m_truncated_gzip(struct buf *b)
{
	struct buf raw = BUF_INIT;
	uint8_t *gz = NULL;
	size_t n = 0;

	build_minimal(&raw);
	assert_int_equal(gz_deflate(raw.data, raw.len, 6, &gz, &n, NULL), 0);
	buf_append(b, gz, n - 6);
	free(gz);
	buf_release(&raw);
}

static void m_gzip_magic_only(struct buf *b)
{
	buf_append(b, "\x1f\x8b", 2);
}

struct bad_case {
	const char *name;
	void (*build)(struct buf *b);
	int rc;
	const char *want; /* '|'-separated: any one must occur (case-insensitive) */
};

static const struct bad_case bad_cases[] = {
	{"empty input", m_empty, -ENODATA, "empty"},
	{"truncated varint", m_trunc_varint, -EINVAL, "truncat"},
	{"11-byte varint", m_long_varint, -EINVAL, "varint"},
	{"wire type 3", m_group, -EINVAL, "wire type"},
	{"wire type 4", m_wiretype4, -EINVAL, "wire type"},
	{"wire type 7", m_wiretype7, -EINVAL, "wire type"},
	{"field number 0", m_field0, -EINVAL, "field"},
	{"sample_type as varint", m_wrong_wt, -EINVAL, "sample_type|sample type"},
	{"Location.line as varint", m_wrong_wt_nested, -EINVAL, "location"},
	{"LEN past end", m_len_past_end, -EINVAL, "truncat"},
	{"huge LEN", m_huge_len, -EINVAL, "truncat"},
	{"huge LEN nested", m_huge_len_nested, -EINVAL, "sample"},
	{"truncated packed", m_trunc_packed, -EINVAL, "sample"},
	{"string_table[0] not empty", m_str0, -EINVAL, "string_table"},
	{"no string table", m_no_strings, -EINVAL, "string"},
	{"function name out of range", m_fn_name_range, -EINVAL, "function"},
	{"function name negative", m_fn_name_negative, -EINVAL, "function"},
	{"sample_type out of range", m_st_range, -EINVAL, "sample_type|sample type"},
	{"label str out of range", m_label_range, -EINVAL, "label"},
	{"label key out of range", m_label_key_range, -EINVAL, "label"},
	{"mapping file out of range", m_mapping_file_range, -EINVAL, "mapping"},
	{"period_type out of range", m_period_type_range, -EINVAL, "period"},
	{"comment out of range", m_comment_range, -EINVAL, "comment"},
	{"default_sample_type out of range", m_default_type_range, -EINVAL,
	 "default_sample_type|default sample type"},
	{"location id 0", m_loc_id0, -EINVAL, "location"},
	{"function id 0", m_fn_id0, -EINVAL, "function"},
	{"mapping id 0", m_map_id0, -EINVAL, "mapping"},
	{"duplicate function id", m_dup_fn, -EINVAL, "function"},
	{"duplicate location id", m_dup_loc, -EINVAL, "location"},
	{"duplicate mapping id", m_dup_map, -EINVAL, "mapping"},
	{"missing location", m_missing_loc, -EINVAL, "location id 77"},
	{"missing function", m_missing_fn, -EINVAL, "function id 55"},
	{"1 value, 2 types", m_too_few_values, -EINVAL, "value"},
	{"2 values, 1 type", m_too_many_values, -EINVAL, "value"},
	{"samples, no sample type", m_no_sample_type, -EINVAL, "sample type|value"},
	{"two time_nanos", m_concat, -EINVAL, "concatenated|time_nanos"},
	{"corrupt gzip", m_corrupt_gzip, -EINVAL, "gzip"},
	{"truncated gzip", m_truncated_gzip, -EINVAL, "gzip"},
	{"gzip magic only", m_gzip_magic_only, -EINVAL, "gzip"},
};

static int msg_has(const char *msg, const char *alts)
{
	char tmp[256], *tok, *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", alts);
	for (tok = strtok_r(tmp, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
		if (strcasestr(msg, tok))
			return 1;
	return 0;
}

/* Decode must fail with rc, leave *out NULL and say what is wrong. */
static int expect_failure(const char *name, const uint8_t *data, size_t len,
			  const struct pprof_limits *lim, int rc,
			  const char *want)
{
	struct pprof_profile *p = (struct pprof_profile *)&p; /* poison */
	struct err e = {0};
	int got = pprof_decode(data, len, lim, &p, &e);
	int ok = got == rc && p == NULL && e.msg[0] && msg_has(e.msg, want) &&
		 !strchr(e.msg, '\n');

	if (getenv("TEST_VERBOSE"))
		print_message("%-32s rc %d: %s\n", name, got, e.msg);
	if (!ok) {
		print_error("case '%s': want rc %d and \"%s\"; got rc %d, out %s, msg \"%s\"\n",
			    name, rc, want, got, p ? "non-NULL" : "NULL", e.msg);
		if (got == 0)
			pprof_free(p);
	}
	return ok;
}

static void test_malformed(void **state)
{
	size_t i;
	int failures = 0;

	(void)state;
	for (i = 0; i < NELEM(bad_cases); i++) {
		struct buf b = BUF_INIT;
		bad_cases[i].build(&b);
		failures += !expect_failure(bad_cases[i].name, b.data, b.len, NULL,
					    bad_cases[i].rc, bad_cases[i].want);
		buf_release(&b);
	}
	assert_int_equal(failures, 0);
}

/* Every strict prefix of a valid profile either decodes or fails cleanly:
 * no crash, no leak (the sanitizer build checks), *out NULL on failure. */
static void test_prefixes(void **state)
{
	struct buf b = BUF_INIT;
	size_t n;

	(void)state;
	build_three(&b);
	{
		uint64_t locs[] = {1, 2, 3};
		int64_t v[] = {1, 2};
		pbt_sample(&b, locs, 3, v, 2);
	}
	for (n = 0; n < b.len; n++) {
		struct pprof_profile *p = (struct pprof_profile *)&n;
		struct err e = {0};
		int rc = pprof_decode(b.data, n, NULL, &p, &e);
		if (rc) {
			assert_true(rc < 0);
			assert_null(p);
			assert_true(e.msg[0] != 0);
		} else {
			pprof_free(p);
		}
	}
	buf_release(&b);
}

/* ---- limits ---- */

static void build_n_samples(struct buf *b, size_t n, size_t depth)
{
	uint64_t *locs = calloc(depth ? depth : 1, sizeof(*locs));
	int64_t v = 1;
	size_t i;

	build_minimal(b);
	for (i = 0; i < depth; i++)
		locs[i] = 1;
	for (i = 0; i < n; i++)
		pbt_sample(b, locs, depth, &v, 1);
	free(locs);
}

static void test_limit_samples(void **state)
{
	struct pprof_limits lim = pprof_default_limits;
	struct pprof_profile *p = NULL;
	struct buf b = BUF_INIT;

	(void)state;
	build_n_samples(&b, 9, 1); /* + 1 from build_minimal = 10 */
	lim.max_samples = 9;
	assert_true(expect_failure("max_samples", b.data, b.len, &lim, -E2BIG,
				   "sample"));
	lim.max_samples = 10;
	assert_int_equal(pprof_decode(b.data, b.len, &lim, &p, NULL), 0);
	assert_int_equal(p->nsample, 10);
	pprof_free(p);
	buf_release(&b);
}

/* The string table is capped while it is read (it may come first on the
 * wire, before anything else is counted). */
static void test_limit_string_count(void **state)
{
	struct pprof_limits lim = pprof_default_limits;
	struct pprof_profile *p = NULL;
	struct buf b = BUF_INIT;
	static const char *const more[] = {"a", "b", "c", "d", "e", "f", NULL};

	(void)state;
	build_minimal(&b);
	pbt_strings(&b, more); /* 4 + 6 = 10 strings */
	lim.max_samples = 9;
	assert_true(expect_failure("max strings", b.data, b.len, &lim, -E2BIG, "strings"));
	lim.max_samples = 10;
	assert_int_equal(pprof_decode(b.data, b.len, &lim, &p, NULL), 0);
	assert_int_equal(p->nstr, 10);
	assert_true(str_is(p, 9, "f"));
	pprof_free(p);
	buf_release(&b);
}

static void test_limit_depth(void **state)
{
	struct pprof_limits lim = pprof_default_limits;
	struct pprof_profile *p = NULL;
	struct buf b = BUF_INIT;

	(void)state;
	build_n_samples(&b, 1, 50);
	lim.max_stack_depth = 49;
	assert_true(expect_failure("max_stack_depth", b.data, b.len, &lim,
				   -E2BIG, "depth|frames"));
	lim.max_stack_depth = 50;
	assert_int_equal(pprof_decode(b.data, b.len, &lim, &p, NULL), 0);
	assert_int_equal(p->sample[1].nloc, 50);
	pprof_free(p);
	buf_release(&b);
}

static void test_limit_labels(void **state)
{
	struct pprof_limits lim = pprof_default_limits;
	struct buf b = BUF_INIT, s = BUF_INIT;
	int i;

	(void)state;
	build_minimal(&b);
	pbt_uint(&s, 2, 1);
	for (i = 0; i < 5; i++)
		pbt_label(&s, 3, 3, 0, 0);
	pbt_msg(&b, PBT_P_SAMPLE, &s);
	lim.max_labels = 4;
	assert_true(expect_failure("max_labels", b.data, b.len, &lim, -E2BIG,
				   "label"));
	buf_release(&b);
}

static void test_limit_strings(void **state)
{
	struct pprof_limits lim = pprof_default_limits;
	struct buf b = BUF_INIT;
	char big[1000];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	build_minimal(&b);
	pbt_str(&b, PBT_P_STRING, big);
	lim.max_string_bytes = 500;
	assert_true(expect_failure("max_string_bytes", b.data, b.len, &lim,
				   -E2BIG, "string"));
	buf_release(&b);
}

static void test_limit_compressed(void **state)
{
	struct pprof_limits lim = pprof_default_limits;
	struct buf b = BUF_INIT;

	(void)state;
	build_minimal(&b);
	lim.max_compressed = b.len - 1;
	assert_true(expect_failure("max_compressed", b.data, b.len, &lim,
				   -E2BIG, "limit"));
	buf_release(&b);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 64 MiB of zeros gzip to ~64 KiB: the output cap must stop inflation
 * early instead of trusting the size the trailer claims. */
static void test_gzip_bomb(void **state)
{
	struct pprof_limits lim = pprof_default_limits;
	size_t n = 64u << 20, gzlen = 0;
	uint8_t *zeros = calloc(1, n), *gz = NULL;
	double t0;

	(void)state;
	assert_non_null(zeros);
	assert_int_equal(gz_deflate(zeros, n, 1, &gz, &gzlen, NULL), 0);
	free(zeros);
	assert_true(gzlen < (1u << 20));
	lim.max_decompressed = 1u << 20;
	t0 = now_s();
	assert_true(expect_failure("gzip bomb", gz, gzlen, &lim, -E2BIG,
				   "limit|exceed"));
	/* generous for sanitizer builds; inflating all 64 MiB would not be
	 * the failure this catches, allocating it would be (ASan's RSS) */
	assert_true(now_s() - t0 < 5.0);
	free(gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_field_order),
		cmocka_unit_test(test_packed_unpacked),
		cmocka_unit_test(test_negative_and_empty_stack),
		cmocka_unit_test(test_sparse_ids),
		cmocka_unit_test(test_dangling_mapping),
		cmocka_unit_test(test_inlined),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_input_not_referenced),
		cmocka_unit_test(test_gzip_equals_raw),
		cmocka_unit_test(test_real_files),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_limit_samples),
		cmocka_unit_test(test_limit_string_count),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_labels),
		cmocka_unit_test(test_limit_strings),
		cmocka_unit_test(test_limit_compressed),
		cmocka_unit_test(test_gzip_bomb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
