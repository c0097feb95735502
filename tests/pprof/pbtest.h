/* pbtest: hand-writing protobuf bytes for decoder tests.
 *
 * Deliberately independent of src/pprof/pbwire.c: a test that encoded its
 * input with the code under test could not catch a bug shared by the reader
 * and the writer. Unlike pb_put_uint(), these always write the field, even
 * when the value is 0, so tests can produce "id 0" and other edge cases.
 *
 * Header-only; every function is static inline so that a test file using
 * only some of them still builds with -Werror. */
#ifndef STACKYARD_TESTS_PBTEST_H
#define STACKYARD_TESTS_PBTEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/file.h"
#include "../../src/pprof/decode.h"

#include "../../src/base/buf.h"

/* Field numbers of profile.proto (reference/pprof.md 1.2). */
enum {
	PBT_P_SAMPLE_TYPE = 1, PBT_P_SAMPLE = 2, PBT_P_MAPPING = 3,
	PBT_P_LOCATION = 4, PBT_P_FUNCTION = 5, PBT_P_STRING = 6,
	PBT_P_DROP = 7, PBT_P_KEEP = 8, PBT_P_TIME = 9, PBT_P_DURATION = 10,
	PBT_P_PERIOD_TYPE = 11, PBT_P_PERIOD = 12, PBT_P_COMMENT = 13,
	PBT_P_DEFAULT_TYPE = 14, PBT_P_DOC_URL = 15,
};

static inline void pbt_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	buf_append(b, tmp, n);
}

static inline void pbt_tag(struct buf *b, uint32_t num, unsigned wt)
{
	pbt_varint(b, ((uint64_t)num << 3) | wt);
}

/* tag + varint, written even when v == 0 */
static inline void pbt_uint(struct buf *b, uint32_t num, uint64_t v)
{
	pbt_tag(b, num, 0);
	pbt_varint(b, v);
}

static inline void pbt_bytes(struct buf *b, uint32_t num, const void *p,
			     size_t len)
{
	pbt_tag(b, num, 2);
	pbt_varint(b, len);
	buf_append(b, p, len);
}

static inline void pbt_str(struct buf *b, uint32_t num, const char *s)
{
	pbt_bytes(b, num, s, strlen(s));
}

/* Append sub as a length-delimited field and release it. */
static inline void pbt_msg(struct buf *b, uint32_t num, struct buf *sub)
{
	pbt_bytes(b, num, sub->data, sub->len);
	buf_release(sub);
}

static inline void pbt_packed(struct buf *b, uint32_t num, const uint64_t *v,
			      size_t n)
{
	struct buf sub = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		pbt_varint(&sub, v[i]);
	pbt_msg(b, num, &sub);
}

static inline void pbt_fixed64(struct buf *b, uint32_t num, uint64_t v)
{
	uint8_t tmp[8];
	int i;

	for (i = 0; i < 8; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	pbt_tag(b, num, 1);
	buf_append(b, tmp, 8);
}

static inline void pbt_fixed32(struct buf *b, uint32_t num, uint32_t v)
{
	uint8_t tmp[4];
	int i;

	for (i = 0; i < 4; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	pbt_tag(b, num, 5);
	buf_append(b, tmp, 4);
}

/* Profile.string_table from a NULL-terminated list. */
static inline void pbt_strings(struct buf *b, const char *const *s)
{
	for (; *s; s++)
		pbt_str(b, PBT_P_STRING, *s);
}

/* A ValueType message (sample_type or period_type). */
static inline void pbt_value_type(struct buf *b, uint32_t num, uint64_t type,
				  uint64_t unit)
{
	struct buf sub = BUF_INIT;

	pbt_uint(&sub, 1, type);
	pbt_uint(&sub, 2, unit);
	pbt_msg(b, num, &sub);
}

static inline void pbt_function(struct buf *b, uint64_t id, uint64_t name,
				uint64_t system_name, uint64_t filename,
				int64_t start_line)
{
	struct buf sub = BUF_INIT;

	pbt_uint(&sub, 1, id);
	pbt_uint(&sub, 2, name);
	pbt_uint(&sub, 3, system_name);
	pbt_uint(&sub, 4, filename);
	pbt_uint(&sub, 5, (uint64_t)start_line);
	pbt_msg(b, PBT_P_FUNCTION, &sub);
}

/* A Line message appended to a Location under construction. */
static inline void pbt_line(struct buf *loc, uint64_t function_id, int64_t line)
{
	struct buf sub = BUF_INIT;

	pbt_uint(&sub, 1, function_id);
	pbt_uint(&sub, 2, (uint64_t)line);
	pbt_msg(loc, 4, &sub);
}

/* A Location with one line (function_id 0 means no line at all). */
static inline void pbt_location(struct buf *b, uint64_t id, uint64_t mapping_id,
				uint64_t address, uint64_t function_id,
				int64_t line)
{
	struct buf sub = BUF_INIT;

	pbt_uint(&sub, 1, id);
	if (mapping_id)
		pbt_uint(&sub, 2, mapping_id);
	if (address)
		pbt_uint(&sub, 3, address);
	if (function_id)
		pbt_line(&sub, function_id, line);
	pbt_msg(b, PBT_P_LOCATION, &sub);
}

static inline void pbt_mapping(struct buf *b, uint64_t id, uint64_t start,
			       uint64_t limit, uint64_t offset, uint64_t filename,
			       uint64_t build_id)
{
	struct buf sub = BUF_INIT;

	pbt_uint(&sub, 1, id);
	pbt_uint(&sub, 2, start);
	pbt_uint(&sub, 3, limit);
	pbt_uint(&sub, 4, offset);
	pbt_uint(&sub, 5, filename);
	pbt_uint(&sub, 6, build_id);
	pbt_msg(b, PBT_P_MAPPING, &sub);
}

/* A Sample with packed location ids and values and no labels. */
static inline void pbt_sample(struct buf *b, const uint64_t *locs, size_t nloc,
			      const int64_t *vals, size_t nval)
{
	struct buf sub = BUF_INIT;
	size_t i;

	pbt_packed(&sub, 1, locs, nloc);
	pbt_tag(&sub, 2, 2);
	{
		struct buf v = BUF_INIT;
		for (i = 0; i < nval; i++)
			pbt_varint(&v, (uint64_t)vals[i]);
		pbt_varint(&sub, v.len);
		buf_append(&sub, v.data, v.len);
		buf_release(&v);
	}
	pbt_msg(b, PBT_P_SAMPLE, &sub);
}

/* A Label message appended to a Sample under construction. */
static inline void pbt_label(struct buf *sample, uint64_t key, uint64_t str,
			     int64_t num, uint64_t num_unit)
{
	struct buf sub = BUF_INIT;

	pbt_uint(&sub, 1, key);
	if (str)
		pbt_uint(&sub, 2, str);
	if (num)
		pbt_uint(&sub, 3, (uint64_t)num);
	if (num_unit)
		pbt_uint(&sub, 4, num_unit);
	pbt_msg(sample, 3, &sub);
}

/* Where the real profiles are: $STACKYARD_TESTDATA (tests/run.sh sets it),
 * else ../shared/testdata/pprof from the repository root, where CI puts
 * shared/ beside the checkout. */
static inline const char *testdata_dir(void)
{
	const char *d = getenv("STACKYARD_TESTDATA");

	return d ? d : "../shared/testdata/pprof";
}

/* A real profile from testdata_dir(), decoded; fails the test if it cannot
 * be read or decoded. Needs <cmocka.h> included before this header. */
static inline struct pprof_profile *testdata_load(const char *name)
{
	struct pprof_profile *p = NULL;
	struct err e = {0};
	char path[512];
	uint8_t *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", testdata_dir(), name);
	if (file_read(path, 1 << 28, &data, &len, &e) < 0)
		fail_msg("%s", e.msg);
	if (pprof_decode(data, len, NULL, &p, &e) < 0)
		fail_msg("%s: %s", name, e.msg);
	free(data);
	return p;
}

#endif
