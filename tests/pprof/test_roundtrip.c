/* Round trips: decode -> pprof_encode -> decode must give the same profile,
 * compared by content (strings by value, references followed), since string
 * and table order may legitimately change. Where `go tool pprof` is on the
 * PATH it is the oracle: it must print our encoding exactly as it prints
 * the original. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/pprof/decode.h"
#include "../../src/pprof/encode.h"
#include "../../src/pprof/gz.h"
#include "../../src/pprof/profile.h"
#include "oracle.h"
#include "pbtest.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const files[] = {
	"etcd-allocs.pb.gz", "etcd-block.pb.gz", "etcd-cpu.pb.gz",
	"etcd-goroutine.pb.gz", "etcd-heap.pb.gz", "etcd-mutex.pb.gz",
	"gocompile-nethttp-cpu.pb.gz", "node-heap.pb.gz", "node-wall.pb.gz",
	"prometheus-allocs.pb.gz", "prometheus-block.pb.gz",
	"prometheus-cpu.pb.gz", "prometheus-goroutine.pb.gz",
	"prometheus-heap.pb.gz", "prometheus-mutex.pb.gz",
};

/* ---- comparison by content ---- */

static void same_str(const struct pprof_profile *a, uint32_t i,
		     const struct pprof_profile *b, uint32_t j)
{
	assert_true(i < a->nstr && j < b->nstr);
	assert_int_equal(a->str[i].len, b->str[j].len);
	assert_memory_equal(a->str[i].ptr, b->str[j].ptr, a->str[i].len);
}

static void same_vt(const struct pprof_profile *a, struct pprof_value_type x,
		    const struct pprof_profile *b, struct pprof_value_type y)
{
	same_str(a, x.type, b, y.type);
	same_str(a, x.unit, b, y.unit);
}

static void same_function(const struct pprof_profile *a, uint32_t i,
			  const struct pprof_profile *b, uint32_t j)
{
	const struct pprof_function *f = &a->function[i], *g = &b->function[j];

	assert_int_equal(f->id, g->id);
	same_str(a, f->name, b, g->name);
	same_str(a, f->system_name, b, g->system_name);
	same_str(a, f->filename, b, g->filename);
	assert_int_equal(f->start_line, g->start_line);
}

static void same_mapping(const struct pprof_profile *a, uint32_t i,
			 const struct pprof_profile *b, uint32_t j)
{
	const struct pprof_mapping *m = &a->mapping[i], *n = &b->mapping[j];

	assert_int_equal(m->id, n->id);
	assert_int_equal(m->start, n->start);
	assert_int_equal(m->limit, n->limit);
	assert_int_equal(m->offset, n->offset);
	same_str(a, m->filename, b, n->filename);
	same_str(a, m->build_id, b, n->build_id);
	/* The encoder may raise has_* flags (encode.h), never lower them. */
	assert_true(n->has_functions >= m->has_functions);
	assert_true(n->has_filenames >= m->has_filenames);
	assert_true(n->has_line_numbers >= m->has_line_numbers);
	assert_true(n->has_inline_frames >= m->has_inline_frames);
}

static void same_location(const struct pprof_profile *a, uint32_t i,
			  const struct pprof_profile *b, uint32_t j)
{
	const struct pprof_location *l = &a->location[i], *m = &b->location[j];
	uint32_t k;

	assert_int_equal(l->id, m->id);
	assert_int_equal(l->address, m->address);
	assert_int_equal(l->is_folded, m->is_folded);
	assert_int_equal(l->mapping == 0, m->mapping == 0);
	if (l->mapping)
		same_mapping(a, l->mapping - 1, b, m->mapping - 1);
	assert_int_equal(l->nline, m->nline);
	for (k = 0; k < l->nline; k++) {
		const struct pprof_line *x = &a->line[l->line_off + k];
		const struct pprof_line *y = &b->line[m->line_off + k];
		assert_int_equal(x->line, y->line);
		assert_int_equal(x->column, y->column);
		same_function(a, x->function, b, y->function);
	}
}

static void same_label(const struct pprof_profile *a, const struct pprof_label *x,
		       const struct pprof_profile *b, const struct pprof_label *y)
{
	same_str(a, x->key, b, y->key);
	same_str(a, x->str, b, y->str);
	same_str(a, x->num_unit, b, y->num_unit);
	assert_int_equal(x->num, y->num);
}

static void same_sample(const struct pprof_profile *a, size_t i,
			const struct pprof_profile *b, size_t j)
{
	const struct pprof_sample *s = &a->sample[i], *t = &b->sample[j];
	uint32_t k;

	assert_int_equal(s->nloc, t->nloc);
	for (k = 0; k < s->nloc; k++)
		same_location(a, a->sample_loc[s->loc_off + k], b,
			      b->sample_loc[t->loc_off + k]);
	assert_memory_equal(&a->value[i * a->nsample_type],
			    &b->value[j * b->nsample_type],
			    a->nsample_type * sizeof(int64_t));
	assert_int_equal(s->nlabel, t->nlabel);
	for (k = 0; k < s->nlabel; k++)
		same_label(a, &a->label[s->label_off + k], b,
			   &b->label[t->label_off + k]);
}

static void same_header(const struct pprof_profile *a,
			const struct pprof_profile *b)
{
	uint32_t i;

	assert_int_equal(a->nsample_type, b->nsample_type);
	for (i = 0; i < a->nsample_type; i++)
		same_vt(a, a->sample_type[i], b, b->sample_type[i]);
	same_vt(a, a->period_type, b, b->period_type);
	assert_true(a->time_nanos == b->time_nanos);
	assert_true(a->duration_nanos == b->duration_nanos);
	assert_true(a->period == b->period);
	same_str(a, a->drop_frames, b, b->drop_frames);
	same_str(a, a->keep_frames, b, b->keep_frames);
	same_str(a, a->default_sample_type, b, b->default_sample_type);
	same_str(a, a->doc_url, b, b->doc_url);
	assert_int_equal(a->ncomment, b->ncomment);
	for (i = 0; i < a->ncomment; i++)
		same_str(a, a->comment[i], b, b->comment[i]);
}

static void same_profile(const struct pprof_profile *a,
			 const struct pprof_profile *b)
{
	size_t i;

	same_header(a, b);
	assert_int_equal(a->nsample, b->nsample);
	assert_int_equal(a->nlocation, b->nlocation);
	assert_int_equal(a->nfunction, b->nfunction);
	assert_int_equal(a->nmapping, b->nmapping);
	for (i = 0; i < a->nsample; i++)
		same_sample(a, i, b, i);
	/* Tables too, not only what samples reach. */
	for (i = 0; i < a->nlocation; i++)
		same_location(a, (uint32_t)i, b, (uint32_t)i);
	for (i = 0; i < a->nfunction; i++)
		same_function(a, (uint32_t)i, b, (uint32_t)i);
	for (i = 0; i < a->nmapping; i++)
		same_mapping(a, (uint32_t)i, b, (uint32_t)i);
}

/* ---- helpers ---- */

static struct pprof_profile *decode_or_die(const uint8_t *d, size_t n)
{
	struct pprof_profile *p = NULL;
	struct err e = {0};
	int rc = pprof_decode(d, n, NULL, &p, &e);

	if (rc)
		print_error("decode: %s\n", e.msg);
	assert_int_equal(rc, 0);
	return p;
}

static struct pprof_profile *load(const char *name, uint8_t **data, size_t *len)
{
	char path[512];
	struct err e = {0};

	snprintf(path, sizeof(path), "%s/%s", testdata_dir(), name);
	assert_int_equal(file_read(path, 64u << 20, data, len, &e), 0);
	return decode_or_die(*data, *len);
}

/* pprof_encode output, checked to be gzip, decoded again. */
static struct pprof_profile *reencode(const struct pprof_profile *p,
				      uint8_t **gz, size_t *gzlen)
{
	struct err e = {0};

	assert_int_equal(pprof_encode(p, gz, gzlen, &e), 0);
	assert_true(*gzlen > 10);
	assert_int_equal((*gz)[0], 0x1f);
	assert_int_equal((*gz)[1], 0x8b);
	return decode_or_die(*gz, *gzlen);
}

/* ---- tests ---- */

static void test_real_roundtrip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(files); i++) {
		uint8_t *data = NULL, *gz = NULL;
		size_t len = 0, gzlen = 0;
		struct pprof_profile *p = load(files[i], &data, &len), *q;
		struct buf raw = BUF_INIT;

		print_message("roundtrip %s\n", files[i]);
		q = reencode(p, &gz, &gzlen);
		same_profile(p, q);
		pprof_free(q);
		/* raw encoding: no gzip magic, decodes to the same */
		pprof_encode_raw(p, &raw);
		assert_false(gz_is_gzip(raw.data, raw.len));
		q = decode_or_die(raw.data, raw.len);
		same_profile(p, q);
		pprof_free(q);
		buf_release(&raw);
		free(gz);
		free(data);
		pprof_free(p);
	}
}

/* Encoding twice gives identical bytes, and re-encoding a decoded
 * encoding is a fixed point: the encoder is deterministic and does not
 * change its input. */
static void test_encode_deterministic(void **state)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct pprof_profile *p = load("etcd-heap.pb.gz", &data, &len), *q;
	struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;

	(void)state;
	pprof_encode_raw(p, &a);
	pprof_encode_raw(p, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	q = decode_or_die(a.data, a.len);
	pprof_encode_raw(q, &c);
	assert_int_equal(a.len, c.len);
	assert_memory_equal(a.data, c.data, a.len);
	pprof_free(q);
	pprof_free(p);
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);
	free(data);
}

/* A profile made with the builder: three sample types, inlining, a
 * mapping, labels of both kinds, negative and zero values, an empty stack,
 * and every header field. */
static struct pprof_profile *build_rich(void)
{
	struct pprof_profile *p = pprof_new();
	uint32_t m, f1, f2, f3, l1, l2, locs[2];
	int64_t v1[3] = {1, 1000, -5}, v2[3] = {0, 0, 0}, v3[3] = {INT64_MAX, -1, 3};
	size_t s;

	pprof_add_sample_type(p, "samples", "count");
	pprof_add_sample_type(p, "cpu", "nanoseconds");
	pprof_add_sample_type(p, "alloc_space", "bytes");
	p->period_type.type = pprof_intern_cstr(p, "cpu");
	p->period_type.unit = pprof_intern_cstr(p, "nanoseconds");
	p->period = 10000000;
	p->time_nanos = 1764000000000000000LL;
	p->duration_nanos = 10000000000LL;
	p->default_sample_type = pprof_intern_cstr(p, "cpu");
	p->doc_url = pprof_intern_cstr(p, "https://example.com/doc");
	p->drop_frames = pprof_intern_cstr(p, "runtime\\..*");
	p->keep_frames = pprof_intern_cstr(p, "runtime\\.main");
	pprof_add_comment(p, pprof_intern_cstr(p, "first comment"));
	pprof_add_comment(p, pprof_intern_cstr(p, "second"));

	m = pprof_add_mapping(p);
	p->mapping[m].start = 0x400000;
	p->mapping[m].limit = 0x800000;
	p->mapping[m].offset = 0x1000;
	p->mapping[m].filename = pprof_intern_cstr(p, "/usr/bin/app");
	p->mapping[m].build_id = pprof_intern_cstr(p, "abcdef0123");

	f1 = pprof_add_function(p);
	p->function[f1].name = pprof_intern_cstr(p, "main.inner");
	p->function[f1].system_name = pprof_intern_cstr(p, "main.inner");
	p->function[f1].filename = pprof_intern_cstr(p, "/src/main.go");
	p->function[f1].start_line = 10;
	f2 = pprof_add_function(p);
	p->function[f2].name = pprof_intern_cstr(p, "main.outer");
	p->function[f2].filename = pprof_intern_cstr(p, "/src/main.go");
	p->function[f2].start_line = 30;
	f3 = pprof_add_function(p);
	p->function[f3].name = pprof_intern(p, "weird\0name\xff", 11);

	l1 = pprof_add_location(p, 2);
	p->location[l1].mapping = m + 1;
	p->location[l1].address = 0x401234;
	p->line[p->location[l1].line_off].function = f1;
	p->line[p->location[l1].line_off].line = 12;
	p->line[p->location[l1].line_off].column = 7;
	p->line[p->location[l1].line_off + 1].function = f2;
	p->line[p->location[l1].line_off + 1].line = 33;
	l2 = pprof_add_location(p, 1);
	p->location[l2].address = 0xffffffffffffff00ULL;
	p->location[l2].is_folded = 1;
	p->line[p->location[l2].line_off].function = f3;

	locs[0] = l1;
	locs[1] = l2;
	s = pprof_add_sample(p, locs, 2, v1, 3);
	p->label[p->sample[s].label_off].key = pprof_intern_cstr(p, "thread");
	p->label[p->sample[s].label_off].str = pprof_intern_cstr(p, "worker-1");
	p->label[p->sample[s].label_off + 1].key = pprof_intern_cstr(p, "bytes");
	p->label[p->sample[s].label_off + 1].num = 4096;
	p->label[p->sample[s].label_off + 2].key = pprof_intern_cstr(p, "size");
	p->label[p->sample[s].label_off + 2].num = -7;
	p->label[p->sample[s].label_off + 2].num_unit = pprof_intern_cstr(p, "kb");
	pprof_add_sample(p, locs + 1, 1, v2, 0); /* all zero: still encoded */
	pprof_add_sample(p, NULL, 0, v3, 0);     /* empty stack */
	/* the same stack again: encoding must not merge */
	pprof_add_sample(p, locs, 2, v3, 0);
	return p;
}

static void test_built_roundtrip(void **state)
{
	struct pprof_profile *p = build_rich(), *q, *r;
	uint8_t *gz = NULL;
	size_t gzlen = 0;
	struct buf raw = BUF_INIT;

	(void)state;
	q = reencode(p, &gz, &gzlen);
	same_profile(p, q);
	assert_int_equal(q->nsample, 4);
	assert_int_equal(pprof_default_index(q), 1);
	/* the encoder raises flags for what is symbolized (encode.h) */
	assert_int_equal(q->mapping[0].has_functions, 1);
	assert_int_equal(q->mapping[0].has_inline_frames, 1);
	pprof_encode_raw(p, &raw);
	r = decode_or_die(raw.data, raw.len);
	same_profile(p, r);
	pprof_free(r);
	pprof_free(q);
	pprof_free(p);
	buf_release(&raw);
	free(gz);
}

/* An empty profile (pprof_new() and nothing else) encodes and decodes. */
static void test_empty_roundtrip(void **state)
{
	struct pprof_profile *p = pprof_new(), *q;
	struct buf raw = BUF_INIT;

	(void)state;
	pprof_encode_raw(p, &raw);
	/* "" alone must still be written: an empty buffer is -ENODATA */
	assert_true(raw.len > 0);
	q = decode_or_die(raw.data, raw.len);
	assert_int_equal(q->nsample, 0);
	assert_int_equal(q->nsample_type, 0);
	pprof_free(q);
	pprof_free(p);
	buf_release(&raw);
}

/* ---- go tool pprof as the oracle ---- */

static void test_go_pprof_oracle(void **state)
{
	char tmpl[] = "/tmp/stackyard-rt-XXXXXX";
	size_t i;
	int fd;

	(void)state;
	if (!have_go()) {
		fail_msg("go not found: the go tool pprof oracle is required "
			 "(scripts/deps.sh installs golang-go)");
	}
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	for (i = 0; i < NELEM(files); i++) {
		uint8_t *data = NULL, *gz = NULL;
		size_t len = 0, gzlen = 0;
		struct pprof_profile *p = load(files[i], &data, &len);
		char path[512], *want, *got;
		struct err e = {0};

		snprintf(path, sizeof(path), "'%s/%s'", testdata_dir(), files[i]);
		assert_int_equal(pprof_encode(p, &gz, &gzlen, &e), 0);
		assert_int_equal(file_write_atomic(tmpl, gz, gzlen, &e), 0);
		want = pprof_raw(path);
		got = pprof_raw(tmpl);
		assert_non_null(want);
		assert_non_null(got);
		strip_mapping_flags(want);
		strip_mapping_flags(got);
		if (strcmp(want, got))
			print_error("%s: go tool pprof -raw differs\n", files[i]);
		assert_string_equal(want, got);
		free(want);
		free(got);
		free(gz);
		free(data);
		pprof_free(p);
	}
	unlink(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_roundtrip),
		cmocka_unit_test(test_encode_deterministic),
		cmocka_unit_test(test_built_roundtrip),
		cmocka_unit_test(test_empty_roundtrip),
		cmocka_unit_test(test_go_pprof_oracle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
