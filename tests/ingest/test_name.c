/* name: Pyroscope application names `app.type{k=v,...}`, table-driven.
 * Every input is copied to a heap buffer of exactly its length, so a read
 * past len shows up under ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ingest/name.h"

/* A copy of (s, n) with no terminator after it. */
static char *exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static int parse(const char *s, size_t n, struct app_name **out, struct err *e)
{
	char *p = exact(s, n);
	int rc = name_parse(p, n, out, e);

	free(p);
	return rc;
}

/* "service|suffix|k=v;k=v" ("-" for no suffix). */
static void render(const struct app_name *a, char *buf, size_t cap)
{
	size_t n, i;

	n = (size_t)snprintf(buf, cap, "%s|%s|", a->service_name,
			     a->type_suffix ? a->type_suffix : "-");
	for (i = 0; i < a->nlabels && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s=%s", i ? ";" : "",
				      a->labels[i].name, a->labels[i].value);
}

static const struct {
	const char *in, *want;
} good[] = {
	{"myapp", "myapp|-|"},
	{"myapp.cpu", "myapp|cpu|"},
	{"myapp.cpu{}", "myapp|cpu|"},
	{"  myapp.cpu  { }  ", "myapp|cpu|"},
	{"my-app/api.alloc_space{env=prod, region = eu , pod=api-7f9c}",
	 "my-app/api|alloc_space|env=prod;region=eu;pod=api-7f9c"},
	{"app{path=/api/v1 users, msg = hello world }",
	 "app|-|path=/api/v1 users;msg=hello world"},
	{"app{k=}", "app|-|k="},
	{"app{k= , j=x}", "app|-|k=;j=x"},
	{"app{k=v,}", "app|-|k=v"},
	{"app{k={v}", "app|-|k={v"},
	{"my.app", "my.app|-|"},              /* unknown suffix stays */
	{"my.app.wall", "my.app|wall|"},
	{"a..cpu", "a.|cpu|"},
	{"app.cpux", "app.cpux|-|"},
	{"app.lock_duration", "app|lock_duration|"},
	{"app.inuse_objects", "app|inuse_objects|"},
	{"app.goroutines{a=1}", "app|goroutines|a=1"},
	{"app.exceptions", "app|exceptions|"},
	{"app{_x.y=1,A9=2}", "app|-|_x.y=1;A9=2"},
	/* Exactly what pyroscope-go and @pyroscope/nodejs send. */
	{"ride-sharing-app.cpu{__session_id__=8f1e2d3c4b5a6978,otel.scope.name="
	 "com.grafana.pyroscope/go,otel.scope.version=1.2.0,process.runtime.name=go,"
	 "process.runtime.version=go1.22.1,region=us-east}",
	 "ride-sharing-app|cpu|__session_id__=8f1e2d3c4b5a6978;otel.scope.name="
	 "com.grafana.pyroscope/go;otel.scope.version=1.2.0;process.runtime.name=go;"
	 "process.runtime.version=go1.22.1;region=us-east"},
	{"nodeapp{otel.scope.name=com.grafana.pyroscope/nodejs,otel.scope.version=0.6.4,"
	 "process.runtime.name=nodejs,process.runtime.version=20.20.2,env=verify}",
	 "nodeapp|-|otel.scope.name=com.grafana.pyroscope/nodejs;otel.scope.version=0.6.4;"
	 "process.runtime.name=nodejs;process.runtime.version=20.20.2;env=verify"},
	/* A service_name label overrides the application name and is not kept
	 * among the labels; the type suffix still comes from the app name. */
	{"myapp.cpu{env=prod,service_name=checkout}", "checkout|cpu|env=prod"},
	{"myapp{ service_name = my svc }", "my svc|-|"},
};

static void test_good(void **state)
{
	char buf[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct app_name *a = NULL;
		struct err e = {0};
		int rc = parse(good[i].in, strlen(good[i].in), &a, &e);

		if (rc)
			fail_msg("'%s': %s", good[i].in, e.msg);
		assert_non_null(a);
		render(a, buf, sizeof(buf));
		if (strcmp(buf, good[i].want))
			fail_msg("'%s': got '%s', want '%s'", good[i].in, buf, good[i].want);
		name_free(a);
	}
}

static const struct {
	const char *in;
	const char *msg; /* substring of the message */
} bad[] = {
	{"", "application name is empty"},
	{"   ", "application name is empty"},
	{"{a=b}", "application name is empty"},
	{"{service_name=x}", "application name is empty"},
	{".cpu", "application name is empty before '.cpu'"},
	{".cpu{a=b}", "application name is empty before '.cpu'"},
	{"app{", "missing '}'"},
	{"app{a=b", "missing '}'"},
	{"app}", "'}' without '{'"},
	{"app{=v}", "label 1: empty key"},
	{"app{ =v}", "label 1: empty key"},
	{"app{1k=v}", "name: label 1: key '1k' is not a valid label name"},
	{"app{a=b,1x=v}", "name: label 2: key '1x' is not a valid label name"},
	{"app{k-v=1}", "key 'k-v' is not a valid label name"},
	{"app{k}", "label 1: 'k' has no '='"},
	{"app{k=v,k=w}", "label 2: key 'k' given twice"},
	{"app{service_name=a,service_name=b}", "label 2: key 'service_name' given twice"},
	{"app{service_name=}", "service_name is empty"},
	{"app{k=a=b}", "value of 'k' contains '='"},
	{"app{a=b,,c=d}", "label 2: empty"},
	{"app{,}", "label 1: empty"},
	{"app{k=v}x", "unexpected text 'x' after '}'"},
	{"app{k=v}}", "unexpected text '}' after '}'"},
	{"app name{k=v}", "application name 'app name': byte ' ' at offset 3 is not allowed"},
	{"app\tname", "byte '\\x09' at offset 3"},
	{"app:x", "byte ':'"},
	{"ap\xc3\xa9", "byte '\\xc3'"},
};

static void test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct app_name *a = (struct app_name *)&a;
		struct err e = {0};
		int rc = parse(bad[i].in, strlen(bad[i].in), &a, &e);

		if (rc != -EINVAL)
			fail_msg("'%s': rc %d, want -EINVAL", bad[i].in, rc);
		assert_null(a);
		assert_int_equal(e.code, -EINVAL);
		if (!strstr(e.msg, bad[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].in, e.msg, bad[i].msg);
		if (strncmp(e.msg, "name: ", 6))
			fail_msg("'%s': message '%s' lacks the 'name: ' prefix", bad[i].in, e.msg);
	}
}

/* NUL bytes: inside a value, in the app name, and the input is not read as
 * a C string (a NUL before the end does not end it). */
static void test_nul(void **state)
{
	static const char v[] = "app{k=a\0b}";
	static const char n[] = "ap\0p{k=v}";
	struct app_name *a = NULL;
	struct err e = {0};

	(void)state;
	assert_int_equal(parse(v, sizeof(v) - 1, &a, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "value of 'k' contains a NUL byte"));
	assert_int_equal(parse(n, sizeof(n) - 1, &a, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "byte '\\x00' at offset 2"));
	/* Length bounds the input: only "app.cpu" of "app.cpu{k=v}". */
	assert_int_equal(parse("app.cpu{k=v}", 7, &a, &e), 0);
	assert_string_equal(a->service_name, "app");
	assert_string_equal(a->type_suffix, "cpu");
	assert_int_equal(a->nlabels, 0);
	name_free(a);
	assert_int_equal(name_parse(NULL, 0, &a, &e), -EINVAL);
	assert_null(a);
	assert_int_equal(name_parse("x", 1, NULL, &e), -EINVAL);
	assert_int_equal(name_parse("", 0, &a, NULL), -EINVAL); /* NULL err ok */
	name_free(NULL);
}

static void test_limits(void **state)
{
	static char s[9000];
	struct app_name *a = NULL;
	struct err e = {0};
	size_t n, i;

	(void)state;
	/* 64 labels parse, 65 do not. */
	n = (size_t)snprintf(s, sizeof(s), "app{");
	for (i = 0; i < 64; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%sk%zu=v", i ? "," : "", i);
	memcpy(s + n, "}", 2);
	assert_int_equal(parse(s, n + 1, &a, &e), 0);
	assert_int_equal(a->nlabels, 64);
	assert_string_equal(a->labels[63].name, "k63");
	name_free(a);
	n += (size_t)snprintf(s + n, sizeof(s) - n, ",k64=v}");
	assert_int_equal(parse(s, n, &a, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "more than 64 labels"));

	/* A 128-byte key is fine, 129 is not. */
	memcpy(s, "app{", 4);
	memset(s + 4, 'k', 128);
	memcpy(s + 132, "=v}", 3);
	assert_int_equal(parse(s, 135, &a, &e), 0);
	assert_int_equal(strlen(a->labels[0].name), 128);
	name_free(a);
	memset(s + 4, 'k', 129);
	memcpy(s + 133, "=v}", 3);
	assert_int_equal(parse(s, 136, &a, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "is 129 bytes, limit is 128"));
	assert_non_null(strstr(e.msg, "kkk...")); /* shown cut */

	/* A 2048-byte value is fine, 2049 is not. */
	memcpy(s, "app{k=", 6);
	memset(s + 6, 'v', 2048);
	memcpy(s + 6 + 2048, "}", 1);
	assert_int_equal(parse(s, 6 + 2048 + 1, &a, &e), 0);
	assert_int_equal(strlen(a->labels[0].value), 2048);
	name_free(a);
	memset(s + 6, 'v', 2049);
	memcpy(s + 6 + 2049, "}", 1);
	assert_int_equal(parse(s, 6 + 2049 + 1, &a, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "value of 'k' is 2049 bytes, limit is 2048"));

	/* 8 KiB in all. */
	memset(s, 'a', 8192);
	assert_int_equal(parse(s, 8192, &a, &e), 0);
	assert_int_equal(strlen(a->service_name), 8192);
	name_free(a);
	memset(s, 'a', 8193);
	assert_int_equal(parse(s, 8193, &a, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "name: 8193 bytes, limit is 8192"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
