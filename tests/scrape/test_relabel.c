/* Unit tests for relabel: label sets, every action (table-driven, many cases
 * taken from Prometheus' model/relabel/relabel_test.go and its docs),
 * anchoring, template expansion, compile errors and hashmod.
 *
 * Known hashmod values were computed outside the code under test with
 * md5sum and python3: the last 16 hex digits of the digest, read as a
 * big-endian uint64, modulo the modulus:
 *   printf baz | md5sum      -> 73feffa4b7f6bb68 e44cf984c85f6e88
 *   python3 -c 'print(0xe44cf984c85f6e88 % 1000)'            -> 976
 * (976 is also what Prometheus' own relabel_test.go expects for "baz"),
 *   printf 'foo\nbar' | md5sum -> ... 3ec798554f1fe7e6 -> % 1000 = 734
 *   printf foo | md5sum        -> ... edef654fccc4a4d8 -> % 1000 = 696
 *   printf '10.0.0.1:6060' | md5sum -> ... 3d556f4e1ab9f535 -> % 7 = 3
 *   printf '' | md5sum -> d41d8cd98f00b204 e9800998ecf8427e -> % 1000 = 958
 * and, across MD5's 64-byte blocks and its padding edge (55/56 bytes), the
 * first n bytes of "0123456789" repeated, % 1000 (test_hashmod_lengths):
 *   n=55 -> 453, n=56 -> 497, n=64 -> 620, n=100 -> 32 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/scrape/relabel.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct rspec {
	enum relabel_action action;
	const char *src[4];   /* NULL-terminated */
	const char *regex;    /* NULL: default */
	const char *target;
	const char *repl;     /* NULL: default */
	const char *sep;      /* NULL: default */
	uint64_t modulus;
};

struct rcase {
	const char *name;
	const char *in[16];   /* name, value, ..., NULL */
	struct rspec rules[4];
	size_t nrules;
	int keep;
	const char *out;      /* "a=x,b=y" sorted; ignored when dropped */
};

/* Rules are written positionally with trailing fields left out. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define R_REPLACE RELABEL_REPLACE
#define R(...) {__VA_ARGS__}

static void to_rules(const struct rspec *s, size_t n, struct relabel_rule *r)
{
	size_t i, k;

	memset(r, 0, n * sizeof(*r));
	for (i = 0; i < n; i++) {
		for (k = 0; s[i].src[k]; k++)
			;
		r[i].source_labels = (char **)s[i].src;
		r[i].nsource = k;
		r[i].separator = (char *)(s[i].sep ? s[i].sep : ";");
		r[i].regex = (char *)(s[i].regex ? s[i].regex : "(.*)");
		r[i].target_label = (char *)s[i].target;
		r[i].replacement = (char *)(s[i].repl ? s[i].repl : "$1");
		r[i].modulus = s[i].modulus;
		r[i].action = s[i].action;
		r[i].line = (int)i + 1;
	}
}

static void fill(struct labelset *s, const char *const *in)
{
	size_t i;

	for (i = 0; in[i]; i += 2)
		labelset_set(s, in[i], in[i + 1]);
}

static void format(const struct labelset *s, struct buf *b)
{
	size_t i;

	buf_reset(b);
	buf_putc(b, 0);
	buf_reset(b);
	for (i = 0; i < s->n; i++)
		buf_printf(b, "%s%s=%s", i ? "," : "", s->l[i].name, s->l[i].value);
}

static struct relabeler *compile_ok(const struct rspec *s, size_t n)
{
	struct relabel_rule r[8];
	struct relabeler *rl = NULL;
	struct err e = {0};
	int rc;

	assert_true(n <= NELEM(r));
	to_rules(s, n, r);
	rc = relabel_compile(r, n, &rl, &e);
	if (rc)
		print_error("compile: %d %s\n", rc, e.msg);
	assert_int_equal(rc, 0);
	assert_non_null(rl);
	return rl;
}

static const struct rcase cases[] = {
	/* ---- replace (Prometheus relabel_test.go) ---- */
	{"replace groups", {"a", "foo", "b", "bar", "c", "baz", NULL},
	 {R(R_REPLACE, {"a"}, "f(.*)", "d", "ch${1}-ch${1}")}, 1, 1,
	 "a=foo,b=bar,c=baz,d=choo-choo"},
	{"replace two sources", {"a", "foo", "b", "bar", "c", "baz", NULL},
	 {R(R_REPLACE, {"a", "b"}, "f(.*);(.*)r", "a", "b${1}${2}m")}, 1, 1,
	 "a=boobam,b=bar,c=baz"},
	{"replace chain", {"a", "foo", "b", "bar", "c", "baz", NULL},
	 {R(R_REPLACE, {"a"}, "f(.*)", "d", "ch$1-ch$1"),
	  R(R_REPLACE, {"b"}, "(.*)", "b", "$1$1"),
	  R(R_REPLACE, {"d"}, "(.*)", "e", "$1")}, 3, 1,
	 "a=foo,b=barbar,c=baz,d=choo-choo,e=choo-choo"},
	{"replace anchored: no partial match", {"a", "abc", NULL},
	 {R(R_REPLACE, {"a"}, "(b)", "d", "$1")}, 1, 1, "a=abc"},
	{"replace anchored: alternation whole", {"a", "foobar", NULL},
	 {R(R_REPLACE, {"a"}, "foo|bar", "d", "hit")}, 1, 1, "a=foobar"},
	{"replace alternation matches one", {"a", "bar", NULL},
	 {R(R_REPLACE, {"a"}, "foo|bar", "d", "hit")}, 1, 1, "a=bar,d=hit"},
	{"replace default regex copies", {"__address__", "10.0.0.1:6060", NULL},
	 {R(R_REPLACE, {"__address__"}, NULL, "instance", NULL)}, 1, 1,
	 "__address__=10.0.0.1:6060,instance=10.0.0.1:6060"},
	{"replace host from address", {"__address__", "10.0.0.1:6060", NULL},
	 {R(R_REPLACE, {"__address__"}, "(.*):6060", "host", "$1")}, 1, 1,
	 "__address__=10.0.0.1:6060,host=10.0.0.1"},
	{"replace empty result deletes", {"a", "foo", "b", "bar", NULL},
	 {R(R_REPLACE, {"c"}, "(.*)", "b", "$1")}, 1, 1, "a=foo"},
	{"replace missing source is empty", {"a", "foo", NULL},
	 {R(R_REPLACE, {"missing", "a"}, ";(.*)", "b", "got-$1")}, 1, 1,
	 "a=foo,b=got-foo"},
	{"replace literal with $$", {"a", "foo", NULL},
	 {R(R_REPLACE, {"a"}, "(.*)", "b", "$$1-${1}")}, 1, 1,
	 "a=foo,b=$1-foo"},
	{"replace $1x is group 1x (empty)", {"a", "foo", NULL},
	 {R(R_REPLACE, {"a"}, "(.*)", "b", "[$1x]")}, 1, 1, "a=foo,b=[]"},
	{"replace ${1}x", {"a", "foo", NULL},
	 {R(R_REPLACE, {"a"}, "(.*)", "b", "${1}x")}, 1, 1, "a=foo,b=foox"},
	{"replace $0 is whole match", {"a", "foo", NULL},
	 {R(R_REPLACE, {"a"}, "f(o)o", "b", "$0/$1/$2")}, 1, 1,
	 "a=foo,b=foo/o/"},
	{"replace malformed $ kept", {"a", "foo", NULL},
	 {R(R_REPLACE, {"a"}, "(.*)", "b", "x$-${}y${1")}, 1, 1,
	 "a=foo,b=x$-${}y${1"},
	{"replace target from group", {"a", "some-name-value", NULL},
	 {R(R_REPLACE, {"a"}, "some-([^-]+)-([^,]+)", "${1}", "${2}")}, 1, 1,
	 "a=some-name-value,name=value"},
	{"replace invalid target leaves set", {"a", "some-name-0", NULL},
	 {R(R_REPLACE, {"a"}, "some-([^-]+)-([^,]+)", "${3}", "${1}")}, 1, 1,
	 "a=some-name-0"},
	{"replace target starting with digit", {"a", "some-0-value", NULL},
	 {R(R_REPLACE, {"a"}, "some-([^-]+)-([^,]+)", "${1}", "${2}")}, 1, 1,
	 "a=some-0-value"},
	{"replace overwrites", {"a", "foo", "b", "old", NULL},
	 {R(R_REPLACE, {"a"}, NULL, "b", NULL)}, 1, 1, "a=foo,b=foo"},
	{"replace custom separator", {"a", "x", "b", "y", NULL},
	 {R(R_REPLACE, {"a", "b"}, "(.*)", "c", "$1", "/")}, 1, 1,
	 "a=x,b=y,c=x/y"},
	{"replace dot matches newline", {"a", "foo\nbar", NULL},
	 {R(R_REPLACE, {"a"}, "foo.bar", "b", "ok")}, 1, 1,
	 "a=foo\nbar,b=ok"},

	/* ---- keep / drop ---- */
	{"drop match", {"a", "foo", "b", "bar", NULL},
	 {R(RELABEL_DROP, {"a"}, ".*o.*")}, 1, 0, NULL},
	{"drop no match", {"a", "foo", "b", "bar", NULL},
	 {R(RELABEL_DROP, {"a"}, "f")}, 1, 1, "a=foo,b=bar"},
	{"drop stops later rules", {"a", "foo", NULL},
	 {R(RELABEL_DROP, {"a"}, "foo"), R(R_REPLACE, {"a"}, NULL, "z")}, 2, 0,
	 NULL},
	{"keep match", {"a", "foo", NULL},
	 {R(RELABEL_KEEP, {"a"}, "f.*")}, 1, 1, "a=foo"},
	{"keep anchored", {"a", "foo", NULL},
	 {R(RELABEL_KEEP, {"a"}, "f")}, 1, 0, NULL},
	{"keep no match", {"a", "foo", NULL},
	 {R(RELABEL_KEEP, {"a"}, "no-match")}, 1, 0, NULL},
	{"keep missing label matches empty", {"a", "foo", NULL},
	 {R(RELABEL_KEEP, {"nope"}, "")}, 1, 1, "a=foo"},
	{"keep missing label vs .+", {"a", "foo", NULL},
	 {R(RELABEL_KEEP, {"nope"}, ".+")}, 1, 0, NULL},
	{"keep joined", {"job", "api", "env", "prod", NULL},
	 {R(RELABEL_KEEP, {"job", "env"}, "api;prod")}, 1, 1, "env=prod,job=api"},

	/* ---- labelmap ---- */
	{"labelmap prometheus", {"a", "foo", "b", "bar", "c", "baz", NULL},
	 {R(RELABEL_LABELMAP, {NULL}, "(b.*)", NULL, "bar_${1}")}, 1, 1,
	 "a=foo,b=bar,bar_b=bar,c=baz"},
	{"labelmap meta", {"__meta_my_bar", "aaa", "__meta_my_baz", "bbb",
			   "__meta_other", "ccc", NULL},
	 {R(RELABEL_LABELMAP, {NULL}, "__meta_(my.*)", NULL, "${1}")}, 1, 1,
	 "__meta_my_bar=aaa,__meta_my_baz=bbb,__meta_other=ccc,my_bar=aaa,"
	 "my_baz=bbb"},
	{"labelmap kubernetes pod labels",
	 {"__meta_kubernetes_pod_label_app", "api",
	  "__meta_kubernetes_pod_label_tier", "web",
	  "__meta_kubernetes_pod_name", "api-1", "job", "k8s", NULL},
	 {R(RELABEL_LABELMAP, {NULL}, "__meta_kubernetes_pod_label_(.+)")}, 1, 1,
	 "__meta_kubernetes_pod_label_app=api,__meta_kubernetes_pod_label_tier=web,"
	 "__meta_kubernetes_pod_name=api-1,app=api,job=k8s,tier=web"},
	{"labelmap invalid name skipped", {"__meta_x_1a", "v", NULL},
	 {R(RELABEL_LABELMAP, {NULL}, "__meta_x_(.*)")}, 1, 1, "__meta_x_1a=v"},
	{"labelmap then labeldrop meta", {"__meta_kubernetes_pod_label_app", "api",
					  "job", "k8s", NULL},
	 {R(RELABEL_LABELMAP, {NULL}, "__meta_kubernetes_pod_label_(.+)"),
	  R(RELABEL_LABELDROP, {NULL}, "__meta_.*")}, 2, 1, "app=api,job=k8s"},

	/* ---- labeldrop / labelkeep ---- */
	{"labeldrop", {"a", "foo", "b", "bar", "c", "baz", NULL},
	 {R(RELABEL_LABELDROP, {NULL}, "(b.*)")}, 1, 1, "a=foo,c=baz"},
	{"labeldrop anchored", {"ab", "1", "b", "2", NULL},
	 {R(RELABEL_LABELDROP, {NULL}, "b")}, 1, 1, "ab=1"},
	{"labeldrop all", {"a", "1", "b", "2", NULL},
	 {R(RELABEL_LABELDROP, {NULL}, ".*")}, 1, 1, ""},
	{"labelkeep", {"a", "foo", "b", "bar", "c", "baz", NULL},
	 {R(RELABEL_LABELKEEP, {NULL}, "(b.*)")}, 1, 1, "b=bar"},
	{"labelkeep alternation", {"a", "foo", "b", "bar", "c", "baz", NULL},
	 {R(RELABEL_LABELKEEP, {NULL}, "a|c")}, 1, 1, "a=foo,c=baz"},

	/* ---- hashmod (values: see the top of this file) ---- */
	{"hashmod baz", {"c", "baz", NULL},
	 {R(RELABEL_HASHMOD, {"c"}, NULL, "d", NULL, NULL, 1000)}, 1, 1,
	 "c=baz,d=976"},
	{"hashmod newline", {"a", "foo\nbar", NULL},
	 {R(RELABEL_HASHMOD, {"a"}, NULL, "b", NULL, NULL, 1000)}, 1, 1,
	 "a=foo\nbar,b=734"},
	{"hashmod foo", {"a", "foo", NULL},
	 {R(RELABEL_HASHMOD, {"a"}, NULL, "h", NULL, NULL, 1000)}, 1, 1,
	 "a=foo,h=696"},
	{"hashmod address mod 7", {"__address__", "10.0.0.1:6060", NULL},
	 {R(RELABEL_HASHMOD, {"__address__"}, NULL, "__tmp_hash", NULL, NULL, 7)},
	 1, 1, "__address__=10.0.0.1:6060,__tmp_hash=3"},
	{"hashmod missing source hashes empty", {"a", "x", NULL},
	 {R(RELABEL_HASHMOD, {"nope"}, NULL, "h", NULL, NULL, 1000)}, 1, 1,
	 "a=x,h=958"},
	{"hashmod then keep shard", {"__address__", "10.0.0.1:6060", NULL},
	 {R(RELABEL_HASHMOD, {"__address__"}, NULL, "__tmp_hash", NULL, NULL, 7),
	  R(RELABEL_KEEP, {"__tmp_hash"}, "3")}, 2, 1,
	 "__address__=10.0.0.1:6060,__tmp_hash=3"},
	{"hashmod then keep other shard", {"__address__", "10.0.0.1:6060", NULL},
	 {R(RELABEL_HASHMOD, {"__address__"}, NULL, "__tmp_hash", NULL, NULL, 7),
	  R(RELABEL_KEEP, {"__tmp_hash"}, "0")}, 2, 0, NULL},
};

static void test_cases(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		const struct rcase *c = &cases[i];
		struct relabeler *rl = compile_ok(c->rules, c->nrules);
		struct labelset s = {0};
		int keep;

		fill(&s, c->in);
		keep = relabel_apply(rl, &s);
		format(&s, &b);
		if (keep != c->keep ||
		    (c->keep && strcmp((const char *)b.data, c->out))) {
			print_error("case '%s': keep %d (want %d), labels {%s} "
				    "(want {%s})\n", c->name, keep, c->keep,
				    (const char *)b.data, c->out ? c->out : "");
			bad++;
		}
		labelset_release(&s);
		relabel_free(rl);
	}
	buf_release(&b);
	assert_int_equal(bad, 0);
}

static void test_labelset(void **state)
{
	struct labelset s = {0};
	const char *names[] = {"m", "c", "z", "a", "q"};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(names); i++)
		labelset_set(&s, names[i], names[i]);
	assert_int_equal(s.n, 5);
	for (i = 1; i < s.n; i++)
		assert_true(strcmp(s.l[i - 1].name, s.l[i].name) < 0);
	labelset_set(&s, "c", "new");
	assert_int_equal(s.n, 5);
	assert_string_equal(labelset_get(&s, "c"), "new");
	assert_null(labelset_get(&s, "b"));
	labelset_del(&s, "c");
	labelset_del(&s, "nope");
	assert_int_equal(s.n, 4);
	assert_null(labelset_get(&s, "c"));
	assert_string_equal(labelset_get(&s, "z"), "z");
	labelset_set(&s, "empty", "");
	assert_string_equal(labelset_get(&s, "empty"), "");
	labelset_release(&s);
	assert_int_equal(s.n, 0);
	labelset_release(&s);
	labelset_release(NULL);
}

/* No rules: keep, unchanged; a NULL relabeler too. */
static void test_empty(void **state)
{
	struct relabeler *rl = compile_ok(NULL, 0);
	struct labelset s = {0};

	(void)state;
	labelset_set(&s, "a", "b");
	assert_int_equal(relabel_apply(rl, &s), 1);
	assert_int_equal(relabel_apply(NULL, &s), 1);
	assert_int_equal(s.n, 1);
	labelset_release(&s);
	relabel_free(rl);
	relabel_free(NULL);
}

static void compile_fails(const struct rspec *s, const char *want)
{
	struct relabel_rule r[1];
	struct relabeler *rl = (struct relabeler *)1;
	struct err e = {0};
	int rc;

	to_rules(s, 1, r);
	r[0].line = 12;
	rc = relabel_compile(r, 1, &rl, &e);
	assert_int_equal(rc, -EINVAL);
	assert_null(rl);
	if (!strstr(e.msg, want) || !strstr(e.msg, "line 12"))
		fail_msg("error '%s' lacks '%s' or 'line 12'", e.msg, want);
}

static void test_compile_errors(void **state)
{
	struct rspec bad_re = R(R_REPLACE, {"a"}, "(", "b");
	struct rspec no_target = R(R_REPLACE, {"a"}, NULL, NULL);
	struct rspec bad_target = R(R_REPLACE, {"a"}, NULL, "0bad");
	struct rspec hm_zero = R(RELABEL_HASHMOD, {"a"}, NULL, "h", NULL, NULL, 0);
	struct rspec hm_notarget = R(RELABEL_HASHMOD, {"a"}, NULL, NULL, NULL, NULL, 2);
	struct rspec ld_src = R(RELABEL_LABELDROP, {"a"}, "x");
	struct rspec ok_dollar_target = R(R_REPLACE, {"a"}, "(.*)", "${1}");
	struct relabeler *rl;

	(void)state;
	compile_fails(&bad_re, "regex '('");
	compile_fails(&no_target, "target_label");
	compile_fails(&bad_target, "0bad");
	compile_fails(&hm_zero, "modulus");
	compile_fails(&hm_notarget, "target_label");
	compile_fails(&ld_src, "labeldrop");
	/* A target with $ is checked when expanded, not compiled. */
	rl = compile_ok(&ok_dollar_target, 1);
	relabel_free(rl);
}

/* hashmod over 1,000 addresses, modulus 2: two disjoint, non-empty shards
 * that together hold every address, each address in the same shard on
 * every run. */
static void test_hashmod_split(void **state)
{
	struct rspec hm = R(RELABEL_HASHMOD, {"__address__"}, NULL, "__tmp_hash",
			    NULL, NULL, 2);
	struct rspec keep0[2] = {hm, R(RELABEL_KEEP, {"__tmp_hash"}, "0")};
	struct rspec keep1[2] = {hm, R(RELABEL_KEEP, {"__tmp_hash"}, "1")};
	struct relabeler *r0 = compile_ok(keep0, 2), *r1 = compile_ok(keep1, 2);
	size_t n0 = 0, n1 = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		char addr[64];
		struct labelset a = {0}, b = {0};
		int k0, k1, again;

		snprintf(addr, sizeof(addr), "10.%zu.%zu.%zu:6060", i / 65536,
			 (i / 256) % 256, i % 256);
		labelset_set(&a, "__address__", addr);
		labelset_set(&b, "__address__", addr);
		k0 = relabel_apply(r0, &a);
		k1 = relabel_apply(r1, &b);
		assert_int_equal(k0 + k1, 1); /* exactly one shard */
		labelset_release(&a);
		labelset_set(&a, "__address__", addr);
		again = relabel_apply(r0, &a);
		assert_int_equal(again, k0);
		n0 += (size_t)k0;
		n1 += (size_t)k1;
		labelset_release(&a);
		labelset_release(&b);
	}
	assert_int_equal(n0 + n1, 1000);
	assert_true(n0 > 300 && n1 > 300); /* roughly even, never empty */
	relabel_free(r0);
	relabel_free(r1);
}

static void test_hashmod_lengths(void **state)
{
	static const struct {
		size_t n;
		const char *want;
	} v[] = {{55, "453"}, {56, "497"}, {64, "620"}, {100, "32"}};
	struct rspec hm = R(RELABEL_HASHMOD, {"v"}, NULL, "h", NULL, NULL, 1000);
	struct relabeler *rl = compile_ok(&hm, 1);
	char val[128];
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(v); i++) {
		struct labelset s = {0};

		for (k = 0; k < v[i].n; k++)
			val[k] = (char)('0' + k % 10);
		val[v[i].n] = '\0';
		labelset_set(&s, "v", val);
		assert_int_equal(relabel_apply(rl, &s), 1);
		assert_string_equal(labelset_get(&s, "h"), v[i].want);
		labelset_release(&s);
	}
	relabel_free(rl);
}

/* Many groups: more than the on-stack match array. */
static void test_many_groups(void **state)
{
	struct buf re = BUF_INIT, val = BUF_INIT;
	struct labelset s = {0};
	struct relabeler *rl;
	struct rspec r;
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		buf_puts(&re, "(.)");
		buf_putc(&val, 'a' + i % 26);
	}
	r = (struct rspec)R(R_REPLACE, {"v"}, (const char *)re.data, "out",
			    "$1${2}$40$39");
	rl = compile_ok(&r, 1);
	labelset_set(&s, "v", (const char *)val.data);
	assert_int_equal(relabel_apply(rl, &s), 1);
	assert_string_equal(labelset_get(&s, "out"), "abnm");
	labelset_release(&s);
	relabel_free(rl);
	buf_release(&re);
	buf_release(&val);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labelset),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_hashmod_split),
		cmocka_unit_test(test_hashmod_lengths),
		cmocka_unit_test(test_many_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
