/* multipart: boundaries from Content-Type and multipart/form-data bodies,
 * table-driven. Bodies are copied to heap buffers of exactly their length,
 * so a read past len shows up under ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ingest/multipart.h"

#define LIT(s) s, sizeof(s) - 1

/* ---- multipart_boundary ---- */

static const struct {
	const char *ct, *want;
} bgood[] = {
	{"multipart/form-data; boundary=XyZ", "XyZ"},
	{"multipart/form-data;boundary=XyZ", "XyZ"},
	{"Multipart/Form-Data; BOUNDARY=XyZ", "XyZ"},
	{"multipart/form-data; charset=utf-8; Boundary = abc-123 ;", "abc-123"},
	{"multipart/form-data; boundary=\"a b:c=d?e\"", "a b:c=d?e"},
	{"multipart/form-data; boundary=\"q\\\"x\"; x=y", NULL}, /* '"' not a bchar */
	{"multipart/form-data; x=\"a;boundary=no\"; boundary=yes", "yes"},
	/* What Go's mime/multipart and undici's FormData generate. */
	{"multipart/form-data; boundary=4d0bd0c3b1a9e2f8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6",
	 "4d0bd0c3b1a9e2f8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6"},
	{"multipart/form-data; boundary=----formdata-undici-068014712053",
	 "----formdata-undici-068014712053"},
	{"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
	 "----WebKitFormBoundary7MA4YWxkTrZu0gW"},
	/* 70 bytes is the limit. */
	{"multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789",
	 "0123456789012345678901234567890123456789012345678901234567890123456789"},
};

static const struct {
	const char *ct, *msg;
} bbad[] = {
	{"multipart/form-data", "has no boundary parameter"},
	{"multipart/form-data; charset=utf-8", "has no boundary parameter"},
	{"multipart/form-data; xboundary=abc", "has no boundary parameter"},
	{"application/octet-stream; boundary=abc", "is not multipart"},
	{"", "is not multipart"},
	{"multipart/form-data; boundary=", "malformed parameters"},
	{"multipart/form-data; boundary=\"\"", "boundary '' is not 1..70"},
	{"multipart/form-data; boundary=\"abc", "malformed parameters"},
	{"multipart/form-data; boundary=\"abc \"", "boundary 'abc ' is not"},
	{"multipart/form-data; boundary=a@b", "malformed parameters"},
	{"multipart/form-data; boundary=\"a@b\"", "boundary 'a@b' is not"},
	{"multipart/form-data; boundary=a; boundary=b", "boundary twice"},
	{"multipart/form-data; boundary=01234567890123456789012345678901234567890123456789012345678901234567890",
	 "boundary is 71 bytes, limit is 70"},
	{"multipart/form-data; boundary=\"0123456789012345678901234567890123456789012345678901234567890123456789012345\"",
	 "boundary is 76 bytes, limit is 70"},
	{"multipart/form-data boundary=abc", "malformed parameters"},
};

static void test_boundary(void **state)
{
	char out[71];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bgood) / sizeof(bgood[0]); i++) {
		struct err e = {0};
		int rc = multipart_boundary(bgood[i].ct, out, sizeof(out), &e);

		if (!bgood[i].want) {
			if (rc != -EINVAL)
				fail_msg("'%s': rc %d, want -EINVAL", bgood[i].ct, rc);
			continue;
		}
		if (rc)
			fail_msg("'%s': %s", bgood[i].ct, e.msg);
		if (strcmp(out, bgood[i].want))
			fail_msg("'%s': got '%s', want '%s'", bgood[i].ct, out, bgood[i].want);
	}
	for (i = 0; i < sizeof(bbad) / sizeof(bbad[0]); i++) {
		struct err e = {0};
		int rc = multipart_boundary(bbad[i].ct, out, sizeof(out), &e);

		if (rc != -EINVAL)
			fail_msg("'%s': rc %d, want -EINVAL", bbad[i].ct, rc);
		if (!strstr(e.msg, bbad[i].msg) || strncmp(e.msg, "multipart: ", 11))
			fail_msg("'%s': message '%s' lacks '%s'", bbad[i].ct, e.msg, bbad[i].msg);
		assert_string_equal(out, "");
	}
	/* Output buffer too small for a valid boundary. */
	{
		struct err e = {0};
		char small[4];

		assert_int_equal(multipart_boundary("multipart/form-data; boundary=abcd",
						    small, sizeof(small), &e), -ENOBUFS);
		assert_non_null(strstr(e.msg, "buffer holds 3"));
		assert_int_equal(multipart_boundary("multipart/form-data; boundary=abc",
						    small, sizeof(small), &e), 0);
		assert_string_equal(small, "abc");
		assert_int_equal(multipart_boundary(NULL, small, sizeof(small), NULL), -EINVAL);
	}
}

/* ---- multipart_parse ---- */

struct want_part {
	const char *name, *filename, *content_type;
	const char *data;
	size_t len;
};

static int parse(const char *body, size_t len, const char *boundary,
		 struct mpart *parts, size_t *n, struct err *e)
{
	uint8_t *p = malloc(len ? len : 1);
	int rc;

	assert_non_null(p);
	memcpy(p, body, len);
	rc = multipart_parse(p, len, boundary, parts, n, e);
	/* Data must lie inside the body; check before freeing it. */
	if (!rc) {
		size_t i;

		for (i = 0; i < *n; i++) {
			assert_true(parts[i].data >= p);
			assert_true(parts[i].len <= len);
			assert_true((size_t)(parts[i].data - p) <= len - parts[i].len);
			/* Rebase onto the caller's copy, which outlives p. */
			parts[i].data = (const uint8_t *)body + (parts[i].data - p);
		}
	}
	free(p);
	return rc;
}

static void check_parts(const char *what, const struct mpart *got, size_t n,
			const struct want_part *want, size_t nwant)
{
	size_t i;

	if (n != nwant)
		fail_msg("%s: %zu parts, want %zu", what, n, nwant);
	for (i = 0; i < n; i++) {
		if (strcmp(got[i].name, want[i].name) ||
		    strcmp(got[i].filename, want[i].filename) ||
		    strcmp(got[i].content_type, want[i].content_type))
			fail_msg("%s: part %zu: got name '%s' filename '%s' type '%s', "
				 "want '%s' '%s' '%s'", what, i + 1, got[i].name,
				 got[i].filename, got[i].content_type, want[i].name,
				 want[i].filename, want[i].content_type);
		if (got[i].len != want[i].len || memcmp(got[i].data, want[i].data, want[i].len))
			fail_msg("%s: part %zu: data of %zu bytes differs (want %zu)",
				 what, i + 1, got[i].len, want[i].len);
	}
}

static void put(char *body, size_t *len, const char *s, size_t l)
{
	memcpy(body + *len, s, l);
	*len += l;
}

/* A gzip-looking profile holding "--", CR, LF and a near-miss delimiter. */
static const char profile_bytes[] =
	"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff--\r\n--\r\n\r\n\n\r\x00\x01"
	"--BOUNDARYx\r\n"         /* prefix of a delimiter, then more text */
	"\n--BOUNDARY-\r\n"      /* one dash is not a close delimiter */
	"x--BOUNDARY\r\n"        /* not at the start of a line */
	"\r\n--BOUNDAR\r\n"      /* shorter */
	"\xff\xfe\r";

/* pyroscope-go: mime/multipart with CreateFormFile("profile",
 * "profile.pprof") and CreateFormFile("sample_type_config",
 * "sample_type_config.json"). */
#define GO_B "9051914041544d1b5b1c2dd3bfa1b6f3e2bcc4be1de6e3a1c0a8ec27c0e1"
static const char go_cfg[] =
	"{\"alloc_objects\":{\"units\":\"objects\"},\"alloc_space\":{\"units\":\"bytes\"},"
	"\"inuse_objects\":{\"units\":\"objects\",\"aggregation\":\"average\"},"
	"\"inuse_space\":{\"units\":\"bytes\",\"aggregation\":\"average\"}}";

static void test_go_sdk(void **state)
{
	struct mpart parts[MULTIPART_MAX_PARTS];
	char body[2048], b[80];
	struct err e = {0};
	size_t n = 0, len = 0;
	struct want_part want[2] = {
		{"profile", "profile.pprof", "application/octet-stream",
		 profile_bytes, sizeof(profile_bytes) - 1},
		{"sample_type_config", "sample_type_config.json", "application/octet-stream",
		 go_cfg, sizeof(go_cfg) - 1},
	};
	const struct mpart *p;

	(void)state;
	assert_int_equal(multipart_boundary("multipart/form-data; boundary=" GO_B,
					    b, sizeof(b), &e), 0);
#define PUT(...) put(body, &len, __VA_ARGS__)
	PUT(LIT("--" GO_B "\r\n"
		"Content-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n"));
	PUT(profile_bytes, sizeof(profile_bytes) - 1);
	PUT(LIT("\r\n--" GO_B "\r\n"
		"Content-Disposition: form-data; name=\"sample_type_config\"; "
		"filename=\"sample_type_config.json\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n"));
	PUT(go_cfg, sizeof(go_cfg) - 1);
	PUT(LIT("\r\n--" GO_B "--\r\n"));
#undef PUT
	if (parse(body, len, b, parts, &n, &e))
		fail_msg("%s", e.msg);
	check_parts("go", parts, n, want, 2);
	p = multipart_find(parts, n, "sample_type_config");
	assert_ptr_equal(p, &parts[1]);
	assert_null(multipart_find(parts, n, "prev_profile"));
	assert_null(multipart_find(NULL, 0, "profile"));
	assert_null(multipart_find(parts, n, NULL));
}

/* The near misses of profile_bytes against the boundary BOUNDARY itself,
 * with a preamble and an epilogue. */
static void test_binary(void **state)
{
	struct mpart parts[MULTIPART_MAX_PARTS];
	char body[1024];
	struct err e = {0};
	size_t n = 0, len = 0;
	struct want_part want[1] = {
		{"profile", "", "", profile_bytes, sizeof(profile_bytes) - 1},
	};

	(void)state;
#define PUT(...) put(body, &len, __VA_ARGS__)
	PUT(LIT("This is the preamble.\r\n--BOUNDARYnot\r\n--BOUNDARY \t\r\n"
		"content-disposition: form-data; name=profile\r\n\r\n"));
	PUT(profile_bytes, sizeof(profile_bytes) - 1);
	PUT(LIT("\r\n--BOUNDARY--\r\nepilogue\r\n--BOUNDARY\r\n"));
#undef PUT
	if (parse(body, len, "BOUNDARY", parts, &n, &e))
		fail_msg("%s", e.msg);
	check_parts("binary", parts, n, want, 1);
}

/* @pyroscope/nodejs: undici's FormData with one Blob part "profile". */
static void test_nodejs_sdk(void **state)
{
	static const char body[] =
		"------formdata-undici-068014712053\r\n"
		"Content-Disposition: form-data; name=\"profile\"; filename=\"profile\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n"
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\r\n--\r\n"
		"\r\n"
		"------formdata-undici-068014712053--\r\n";
	struct mpart parts[MULTIPART_MAX_PARTS];
	struct want_part want[1] = {
		{"profile", "profile", "application/octet-stream",
		 "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\r\n--\r\n", 16},
	};
	struct err e = {0};
	char b[80];
	size_t n = 0;

	(void)state;
	assert_int_equal(multipart_boundary(
		"multipart/form-data; boundary=----formdata-undici-068014712053",
		b, sizeof(b), &e), 0);
	if (parse(body, sizeof(body) - 1, b, parts, &n, &e))
		fail_msg("%s", e.msg);
	check_parts("nodejs", parts, n, want, 1);
}

static const struct {
	const char *what, *body, *boundary;
	struct want_part want[3];
	size_t n;
} pgood[] = {
	{"LF only",
	 "--b\nContent-Disposition: form-data; name=\"a\"\n\nx\ny\n--b\n"
	 "Content-Disposition: form-data; name=\"c\"; filename=\"f.txt\"\n"
	 "Content-Type: text/plain\n\n\n--b--\n",
	 "b",
	 {{"a", "", "", "x\ny", 3}, {"c", "f.txt", "text/plain", "", 0}}, 2},
	{"quoted boundary with space",
	 "--a b:c\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n--a b:c--",
	 "a b:c", {{"x", "", "", "v", 1}}, 1},
	{"parameters in any order, case, escapes, unknown ones",
	 "--b\r\nCONTENT-DISPOSITION:FORM-DATA;FILENAME=\"a \\\"q\\\" b.pprof\";"
	 " filename*=UTF-8''x ; Name = profile\r\ncontent-type:  application/x-gzip  \r\n"
	 "X-Other: whatever\r\n\r\ndata\r\n--b--\r\n",
	 "b", {{"profile", "a \"q\" b.pprof", "application/x-gzip", "data", 4}}, 1},
	{"empty data right after headers",
	 "--b\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n--b--\r\n",
	 "b", {{"e", "", "", "", 0}}, 1},
	{"empty data before CRLF",
	 "--b\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--b--",
	 "b", {{"e", "", "", "", 0}}, 1},
	{"data ending in CR LF CR LF keeps all but the last CRLF",
	 "--b\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\nz\r\n\r\n\r\n--b--",
	 "b", {{"e", "", "", "z\r\n\r\n", 5}}, 1},
	{"folded header",
	 "--b\r\nContent-Disposition: form-data;\r\n\tname=\"folded\"\r\n\r\nv\r\n--b--",
	 "b", {{"folded", "", "", "v", 1}}, 1},
	{"three parts, same name twice",
	 "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
	 "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n2\r\n"
	 "--b\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--b--",
	 "b", {{"a", "", "", "1", 1}, {"a", "", "", "2", 1}, {"c", "", "", "3", 1}}, 3},
};

static const struct {
	const char *what, *body, *boundary, *msg;
} pbad[] = {
	{"missing final delimiter",
	 "--b\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\ndata\r\n",
	 "b", "part 1 ('profile'): no closing boundary '--b'"},
	{"delimiter but no close",
	 "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ndata\r\n--b\r\n",
	 "b", "part 2: headers not terminated"},
	{"missing name",
	 "--b\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\nd\r\n--b--",
	 "b", "part 1: Content-Disposition has no name"},
	{"empty name",
	 "--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nd\r\n--b--",
	 "b", "part 1: Content-Disposition has no name"},
	{"missing Content-Disposition",
	 "--b\r\nContent-Type: text/plain\r\n\r\nd\r\n--b--",
	 "b", "multipart: part 1: missing Content-Disposition"},
	{"no headers at all", "--b\r\n\r\nd\r\n--b--", "b",
	 "multipart: part 1: missing Content-Disposition"},
	{"not form-data",
	 "--b\r\nContent-Disposition: attachment; name=a\r\n\r\nd\r\n--b--",
	 "b", "part 1: Content-Disposition is 'attachment; name=a', want form-data"},
	{"name twice",
	 "--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nd\r\n--b--",
	 "b", "part 1: Content-Disposition has name twice"},
	{"Content-Disposition twice",
	 "--b\r\nContent-Disposition: form-data; name=a\r\n"
	 "Content-Disposition: form-data; name=b\r\n\r\nd\r\n--b--",
	 "b", "part 1: Content-Disposition given twice"},
	{"unterminated quote",
	 "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nd\r\n--b--",
	 "b", "part 1: malformed Content-Disposition"},
	{"header without colon",
	 "--b\r\nContent-Disposition form-data\r\n\r\nd\r\n--b--",
	 "b", "part 1: malformed header line 'Content-Disposition form-data'"},
	{"boundary not found", "hello\r\n--c\r\n", "b",
	 "multipart: boundary '--b' not found in the body"},
	{"boundary only as a prefix", "--bb\r\n", "b", "not found"},
	{"empty body", "", "b", "not found"},
	{"close delimiter first", "--b--\r\n", "b", "no parts"},
	{"headers never end",
	 "--b\r\nContent-Disposition: form-data; name=a\r\n", "b",
	 "part 1: headers not terminated"},
	{"bad boundary argument", "--b c \r\n", "b c ", "boundary 'b c ' is not"},
	{"empty boundary argument", "--\r\n", "", "boundary '' is not"},
};

static void test_parse_table(void **state)
{
	struct mpart parts[MULTIPART_MAX_PARTS];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(pgood) / sizeof(pgood[0]); i++) {
		struct err e = {0};

		if (parse(pgood[i].body, strlen(pgood[i].body), pgood[i].boundary,
			  parts, &n, &e))
			fail_msg("%s: %s", pgood[i].what, e.msg);
		check_parts(pgood[i].what, parts, n, pgood[i].want, pgood[i].n);
	}
	for (i = 0; i < sizeof(pbad) / sizeof(pbad[0]); i++) {
		struct err e = {0};
		int rc;

		n = 99;
		rc = parse(pbad[i].body, strlen(pbad[i].body), pbad[i].boundary,
			   parts, &n, &e);
		if (rc != -EINVAL)
			fail_msg("%s: rc %d, want -EINVAL", pbad[i].what, rc);
		assert_int_equal(n, 0);
		if (!strstr(e.msg, pbad[i].msg) || strncmp(e.msg, "multipart: ", 11))
			fail_msg("%s: message '%s' lacks '%s'", pbad[i].what, e.msg, pbad[i].msg);
	}
}

/* n parts named p1..pn, each holding "vK". */
static size_t many(char *body, size_t cap, int nparts)
{
	size_t len = 0;
	int i;

	for (i = 1; i <= nparts; i++)
		len += (size_t)snprintf(body + len, cap - len,
					"--b\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nv%d\r\n",
					i, i);
	len += (size_t)snprintf(body + len, cap - len, "--b--\r\n");
	return len;
}

static void test_limits(void **state)
{
	struct mpart parts[MULTIPART_MAX_PARTS];
	static char body[20000];
	struct err e = {0};
	size_t n, len;
	char name[200];

	(void)state;
	len = many(body, sizeof(body), 16);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), 0);
	assert_int_equal(n, 16);
	assert_string_equal(parts[15].name, "p16");
	assert_int_equal(parts[15].len, 3);
	assert_memory_equal(parts[15].data, "v16", 3);

	len = many(body, sizeof(body), 17);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "multipart: more than 16 parts"));

	/* A 127-byte name fits, 128 does not; filename 255 / 256. */
	memset(name, 'n', 127);
	name[127] = '\0';
	len = (size_t)snprintf(body, sizeof(body),
			       "--b\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\nv\r\n--b--", name);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), 0);
	assert_string_equal(parts[0].name, name);
	memset(name, 'n', 128);
	name[128] = '\0';
	len = (size_t)snprintf(body, sizeof(body),
			       "--b\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\nv\r\n--b--", name);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "part 1: name is 128 bytes, limit is 127"));
	len = (size_t)snprintf(body, sizeof(body),
			       "--b\r\nContent-Disposition: form-data; name=a; filename=%0256d\r\n\r\nv\r\n--b--", 7);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "part 1: filename is 256 bytes, limit is 255"));
	len = (size_t)snprintf(body, sizeof(body),
			       "--b\r\nContent-Disposition: form-data; name=a; filename=%01000d\r\n\r\nv\r\n--b--", 7);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "part 1: filename is 1000 bytes, limit is 255"));
	len = (size_t)snprintf(body, sizeof(body),
			       "--b\r\nContent-Disposition: form-data; name=a\r\nContent-Type: %0128d\r\n\r\nv\r\n--b--", 7);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "part 1: Content-Type is 128 bytes, limit is 127"));

	/* Headers over 8 KiB. */
	len = (size_t)snprintf(body, sizeof(body),
			       "--b\r\nContent-Disposition: form-data; name=a\r\nX-Pad: %09000d\r\n\r\nv\r\n--b--", 7);
	assert_int_equal(parse(body, len, "b", parts, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "part 1: headers over 8192 bytes"));

	/* A NUL in a header value, and NULL arguments. */
	{
		static const char nul[] = "--b\r\nContent-Disposition: form-data; name=a\r\n"
					  "Content-Type: a\0b\r\n\r\nv\r\n--b--";

		assert_int_equal(parse(nul, sizeof(nul) - 1, "b", parts, &n, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "Content-Type contains a NUL byte"));
	}
	assert_int_equal(multipart_parse(NULL, 5, "b", parts, &n, &e), -EINVAL);
	assert_int_equal(multipart_parse((const uint8_t *)"x", 1, NULL, parts, &n, &e), -EINVAL);
	assert_int_equal(multipart_parse((const uint8_t *)"x", 1, "b", parts, &n, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_go_sdk),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_nodejs_sdk),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
