/* config: the YAML configuration (config.h), read with libyaml's document
 * API.
 *
 * The document is loaded whole, then walked with one {key, setter} table
 * per mapping type (walk_map); a setter checks its node's type and value
 * and names the node's line when it refuses it. Structs are filled in
 * place, and every array's count is set as soon as the (zeroed) array is
 * allocated, so scrape_config_free() cleans up after an error at any point.
 *
 * libyaml resolves an alias to the node it names, so a node can be reached
 * many times ("billion laughs"). The walk counts every node it visits,
 * aliases each time, against CONFIG_MAX_NODES, and the bytes of strings it
 * copies against CONFIG_MAX_BYTES: work and memory stay proportional to
 * what a 1 MiB document can hold without aliases.
 *
 * A plain null value (`key:`, `key: ~`, `key: null`) means the key is not
 * set, as in Prometheus. Parca's top-level `object_storage` is accepted and
 * ignored (storage is configured on the command line), so Parca's example
 * config loads. Prometheus' older `bearer_token` and `bearer_token_file`
 * are accepted as spellings of `authorization`. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "../base/buf.h"
#include "../base/file.h"
#include "../base/xalloc.h"
#include "../query/selector.h"

#define NS_PER_S 1000000000LL
#define CONFIG_MAX_TEXT (1024 * 1024)
#define CONFIG_MAX_JOBS 1000
#define CONFIG_MAX_TARGETS 100000
#define CONFIG_MAX_RELABEL 64
#define CONFIG_MAX_PROFILES 64
#define CONFIG_MAX_PARAMS 256
#define CONFIG_MAX_NODES 1000000
#define CONFIG_MAX_BYTES (8 * 1024 * 1024)
#define CONFIG_MAX_REGEX 4000
#define CONFIG_MAX_MAX_TARGETS 1000000

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct ctx {
	yaml_document_t *doc;
	const char *name;
	struct err *e;
	size_t nodes;            /* visited, aliases counted each time */
	size_t bytes;            /* of strings copied, likewise */
	size_t ntargets;         /* static targets so far */
	struct scrape_config *cfg;
	/* The job being read: lines where its auth settings were given. */
	int auth_line, legacy_line, basic_line;
};

struct field;
typedef int setter_fn(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj);

/* One key of a mapping: its setter writes into obj (at off, for the
 * generic setters). */
struct field {
	const char *key;
	setter_fn *set;
	size_t off;
};

#define SLOT(obj, f, type) ((type *)(void *)((char *)(obj) + (f)->off))

/* ---- errors ---- */

static int vfail_line(struct ctx *c, int line, const char *fmt, va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return err_set(c->e, -EINVAL, "%s:%d: %s", c->name, line, msg);
}

static int fail_line(struct ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_line(struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_line(c, line, fmt, ap);
	va_end(ap);
	return rc;
}

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

/* Record "<name>:<line of n>: <message>"; returns -EINVAL. */
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_line(c, line_of(n), fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- nodes ---- */

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < NELEM(nulls); i++)
		if (!strcmp((const char *)n->data.scalar.value, nulls[i]))
			return 1;
	return 0;
}

static int charge(struct ctx *c, const yaml_node_t *n, size_t k)
{
	c->nodes += k;
	if (c->nodes > CONFIG_MAX_NODES)
		return fail(c, n, "more than %d YAML nodes (an alias counts its "
			    "nodes each time it is used)", CONFIG_MAX_NODES);
	return 0;
}

static int charge_bytes(struct ctx *c, const yaml_node_t *n, size_t len)
{
	c->bytes += len;
	if (c->bytes > CONFIG_MAX_BYTES)
		return fail(c, n, "more than %d MiB of strings (an alias counts its "
			    "text each time it is used)", CONFIG_MAX_BYTES >> 20);
	return 0;
}

/* A copy of s (the value of n) for the structs, counted against the cap. */
static int keep(struct ctx *c, const yaml_node_t *n, const char *s, char **out)
{
	size_t len = strlen(s) + 1;
	int rc;

	if ((rc = charge_bytes(c, n, len)) < 0)
		return rc;
	*out = xmalloc(len);
	memcpy(*out, s, len);
	return 0;
}

/* The scalar n as a C string; lists, mappings and NUL bytes are errors. */
static int str_of(struct ctx *c, const yaml_node_t *n, const char *key, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, "%s: expected a string, got %s", key, kind(n));
	if (memchr(n->data.scalar.value, 0, n->data.scalar.length))
		return fail(c, n, "%s: NUL byte in a string", key);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

static int seq_of(struct ctx *c, const yaml_node_t *n, const char *key, size_t max,
		  yaml_node_item_t **items, size_t *count)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: expected a list, got %s", key, kind(n));
	*items = n->data.sequence.items.start;
	*count = (size_t)(n->data.sequence.items.top - *items);
	if (*count > max)
		return fail(c, n, "%s: %zu entries, at most %zu", key, *count, max);
	return charge(c, n, *count);
}

static int map_of(struct ctx *c, const yaml_node_t *n, const char *key, size_t max,
		  yaml_node_pair_t **pairs, size_t *count)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping, got %s", key, kind(n));
	*pairs = n->data.mapping.pairs.start;
	*count = (size_t)(n->data.mapping.pairs.top - *pairs);
	if (*count > max)
		return fail(c, n, "%s: %zu entries, at most %zu", key, *count, max);
	return charge(c, n, 2 * *count);
}

/* The key of a mapping pair, which must be a string. */
static int key_of(struct ctx *c, const yaml_node_pair_t *p, const char *what,
		  yaml_node_t **k, const char **s)
{
	*k = node(c, p->key);
	if ((*k)->type != YAML_SCALAR_NODE)
		return fail(c, *k, "%s: a key must be a string, not %s", what, kind(*k));
	return str_of(c, *k, what, s);
}

/* Apply table f to the mapping n: unknown and repeated keys are errors,
 * null values leave a field unset. */
static int walk_map(struct ctx *c, yaml_node_t *n, const char *what,
		    const struct field *f, size_t nf, void *obj)
{
	yaml_node_pair_t *pairs;
	yaml_node_t *k, *v;
	uint64_t seen = 0;
	const char *key;
	size_t i, j, count;
	char buf[ERR_SHOW_SIZE];
	int rc;

	if ((rc = map_of(c, n, what, SIZE_MAX, &pairs, &count)) < 0)
		return rc;
	for (i = 0; i < count; i++) {
		if ((rc = key_of(c, &pairs[i], what, &k, &key)) < 0)
			return rc;
		for (j = 0; j < nf && strcmp(f[j].key, key); j++)
			;
		if (j == nf)
			return fail(c, k, "unknown key '%s' in %s", err_show(key, strlen(key), buf), what);
		if (seen & (1ULL << j))
			return fail(c, k, "%s: '%s' given twice", what, key);
		seen |= 1ULL << j;
		v = node(c, pairs[i].value);
		if (!is_null(v) && (rc = f[j].set(c, &f[j], v, obj)) < 0)
			return rc;
	}
	return 0;
}

/* ---- generic setters ---- */

static int set_str(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	char **slot = SLOT(obj, f, char *);
	const char *s;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	free(*slot);
	*slot = NULL;
	return keep(c, v, s, slot);
}

static int set_bool(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	static const struct {
		const char *s;
		int v;
	} words[] = {
		{"true", 1}, {"True", 1}, {"TRUE", 1},
		{"false", 0}, {"False", 0}, {"FALSE", 0},
	};
	const char *s;
	char buf[ERR_SHOW_SIZE];
	size_t i;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	for (i = 0; i < NELEM(words); i++) {
		if (!strcmp(s, words[i].s)) {
			*SLOT(obj, f, int) = words[i].v;
			return 0;
		}
	}
	return fail(c, v, "%s: '%s' is not true or false", f->key, err_show(s, strlen(s), buf));
}

static int set_duration(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	const char *s;
	char buf[ERR_SHOW_SIZE];
	int64_t d;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if (duration_parse(s, strlen(s), &d, NULL) < 0)
		return fail(c, v, "%s: '%s' is not a duration", f->key, err_show(s, strlen(s), buf));
	if (d <= 0)
		return fail(c, v, "%s: must be greater than 0", f->key);
	*SLOT(obj, f, int64_t) = d;
	return 0;
}

/* Decimal digits only (no sign, no 0x), within max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*out = n;
	return 0;
}

static int set_u64(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	const char *s;
	char buf[ERR_SHOW_SIZE];
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if (parse_uint(s, UINT64_MAX, SLOT(obj, f, uint64_t)) < 0)
		return fail(c, v, "%s: '%s' is not a non-negative integer", f->key,
			    err_show(s, strlen(s), buf));
	return 0;
}

/* Whole seconds in the YAML (as Parca), nanoseconds in the struct. */
static int set_seconds(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	const char *s;
	char buf[ERR_SHOW_SIZE];
	uint64_t n;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if (parse_uint(s, INT64_MAX / NS_PER_S, &n) < 0)
		return fail(c, v, "%s: '%s' is not a number of seconds", f->key,
			    err_show(s, strlen(s), buf));
	*SLOT(obj, f, int64_t) = (int64_t)n * NS_PER_S;
	return 0;
}

/* ---- targets, labels, params ---- */

static int is_host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
}

static int is_ip6_char(char ch)
{
	return (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
	       (ch >= '0' && ch <= '9') || ch == ':' || ch == '.';
}

/* host:port or [v6]:port, port 1..65535. */
static int target_valid(const char *s)
{
	const char *colon = strrchr(s, ':'), *p;
	int (*ok)(char) = is_host_char;
	uint64_t port;

	if (!colon || parse_uint(colon + 1, 65535, &port) < 0 || !port)
		return 0;
	if (s[0] == '[') {
		if (colon - s < 3 || colon[-1] != ']')
			return 0;
		ok = is_ip6_char;
		s++;
		colon--;
	}
	if (colon == s)
		return 0;
	for (p = s; p < colon; p++)
		if (!ok(*p))
			return 0;
	return 1;
}

/* A sequence of strings (at most max) into a new array, each vetted by
 * ok() when given; a refused one is reported as "KEY: 'VALUE' WHY". The
 * array is attached before the items are read, so a failure part-way
 * leaves nothing scrape_config_free() cannot free. */
static int str_seq(struct ctx *c, yaml_node_t *v, const char *key, size_t max,
		   int (*ok)(const char *s), const char *why, char ***out, size_t *nout)
{
	yaml_node_item_t *items;
	yaml_node_t *it;
	const char *s;
	size_t i, n;
	char buf[ERR_SHOW_SIZE];
	int rc;

	if ((rc = seq_of(c, v, key, max, &items, &n)) < 0)
		return rc;
	*out = xcalloc(n ? n : 1, sizeof(**out));
	*nout = n;
	for (i = 0; i < n; i++) {
		it = node(c, items[i]);
		if ((rc = str_of(c, it, key, &s)) < 0)
			return rc;
		if (ok && !ok(s))
			return fail(c, it, "%s: '%s' %s", key, err_show(s, strlen(s), buf), why);
		if ((rc = keep(c, it, s, &(*out)[i])) < 0)
			return rc;
	}
	return 0;
}

static int set_targets(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct static_config *sc = obj;
	int rc = str_seq(c, v, f->key, CONFIG_MAX_TARGETS, target_valid, "is not host:port",
			 &sc->targets, &sc->ntargets);

	if (rc < 0)
		return rc;
	if (c->ntargets + sc->ntargets > CONFIG_MAX_TARGETS)
		return fail(c, v, "targets: more than %d static targets in the "
			    "configuration", CONFIG_MAX_TARGETS);
	c->ntargets += sc->ntargets;
	return 0;
}

struct label_at {
	struct label l;
	int line;
};

static int label_at_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label_at *)a)->l.name,
		      ((const struct label_at *)b)->l.name);
}

/* Read the label mapping into tmp (strings still the document's). */
static int read_labels(struct ctx *c, yaml_node_pair_t *pairs, size_t n,
		       struct label_at *tmp)
{
	yaml_node_t *k;
	const char *name;
	char buf[ERR_SHOW_SIZE];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = key_of(c, &pairs[i], "labels", &k, &name)) < 0)
			return rc;
		if (!label_name_valid(name, strlen(name)))
			return fail(c, k, "labels: '%s' is not a valid label name",
				    err_show(name, strlen(name), buf));
		if ((rc = str_of(c, node(c, pairs[i].value), name, &tmp[i].l.value)) < 0)
			return rc;
		tmp[i].l.name = name;
		tmp[i].line = line_of(k);
	}
	return 0;
}

/* Labels are kept as a sorted set (label.h), so a repeated name is an
 * error rather than a silent choice. */
static int set_labels(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct static_config *sc = obj;
	yaml_node_pair_t *pairs;
	struct label_at *tmp;
	size_t i, n;
	int rc;

	if ((rc = map_of(c, v, f->key, SIZE_MAX, &pairs, &n)) < 0)
		return rc;
	tmp = xcalloc(n ? n : 1, sizeof(*tmp));
	if ((rc = read_labels(c, pairs, n, tmp)) < 0)
		goto out;
	qsort(tmp, n, sizeof(*tmp), label_at_cmp);
	for (i = 1; i < n; i++)
		if (!strcmp(tmp[i].l.name, tmp[i - 1].l.name)) {
			rc = fail_line(c, tmp[i].line, "labels: '%s' given twice",
				       tmp[i].l.name);
			goto out;
		}
	sc->labels = xcalloc(n ? n : 1, sizeof(*sc->labels));
	sc->nlabels = n;
	for (i = 0; i < n && rc == 0; i++)
		if ((rc = keep(c, v, tmp[i].l.name, (char **)&sc->labels[i].name)) == 0)
			rc = keep(c, v, tmp[i].l.value, (char **)&sc->labels[i].value);
out:
	free(tmp);
	return rc;
}

/* One query parameter: name -> list of values, appended in order. */
static int add_param(struct ctx *c, struct scrape_job *j, const char *name, yaml_node_t *v)
{
	yaml_node_item_t *items;
	struct label *p;
	const char *val;
	size_t i, n;
	int rc;

	if ((rc = seq_of(c, v, name, CONFIG_MAX_PARAMS, &items, &n)) < 0)
		return rc;
	if (j->nparams + n > CONFIG_MAX_PARAMS)
		return fail(c, v, "params: more than %d values", CONFIG_MAX_PARAMS);
	j->params = xrealloc(j->params, (j->nparams + n + 1) * sizeof(*j->params));
	for (i = 0; i < n; i++) {
		if ((rc = str_of(c, node(c, items[i]), name, &val)) < 0)
			return rc;
		p = &j->params[j->nparams++];
		p->name = p->value = NULL;
		if ((rc = keep(c, v, name, (char **)&p->name)) < 0 ||
		    (rc = keep(c, v, val, (char **)&p->value)) < 0)
			return rc;
	}
	return 0;
}

static int set_params(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	yaml_node_pair_t *pairs;
	yaml_node_t *k, *k2;
	const char *name, *other;
	size_t i, j, n;
	char buf[ERR_SHOW_SIZE];
	int rc;

	if ((rc = map_of(c, v, f->key, CONFIG_MAX_PARAMS, &pairs, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = key_of(c, &pairs[i], "params", &k, &name)) < 0)
			return rc;
		if (!*name)
			return fail(c, k, "params: empty parameter name");
		for (j = 0; j < i; j++)
			if (!key_of(c, &pairs[j], "params", &k2, &other) && !strcmp(name, other))
				return fail(c, k, "params: '%s' given twice", err_show(name, strlen(name), buf));
		if ((rc = add_param(c, obj, name, node(c, pairs[i].value))) < 0)
			return rc;
	}
	return 0;
}

/* ---- static_configs, file_sd_configs ---- */

static const struct field static_fields[] = {
	{"targets", set_targets, 0},
	{"labels", set_labels, 0},
};

static int set_statics(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj;
	yaml_node_item_t *items;
	size_t i, n;
	int rc;

	if ((rc = seq_of(c, v, f->key, CONFIG_MAX_TARGETS, &items, &n)) < 0)
		return rc;
	j->statics = xcalloc(n ? n : 1, sizeof(*j->statics));
	j->nstatics = n;
	for (i = 0; i < n; i++)
		if ((rc = walk_map(c, node(c, items[i]), "static_configs", static_fields,
				   NELEM(static_fields), &j->statics[i])) < 0)
			return rc;
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

/* Glob patterns of target files, named as Prometheus requires
 * (^[^*]*(\*[^/]*)?\.(json|yml|yaml)$): at most one '*', and only in the
 * last path segment. */
static int sd_file_ok(const char *s)
{
	const char *star = strchr(s, '*');

	if (star && (strchr(star + 1, '*') || strchr(star, '/')))
		return 0;
	return has_suffix(s, ".json") || has_suffix(s, ".yml") || has_suffix(s, ".yaml");
}

static int set_files(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct file_sd_config *fs = obj;

	return str_seq(c, v, f->key, SIZE_MAX, sd_file_ok, "must end in .json, .yml or .yaml, "
		       "with at most one '*', in the last path segment", &fs->files, &fs->nfiles);
}

static const struct field file_sd_fields[] = {
	{"files", set_files, 0},
	{"refresh_interval", set_duration, offsetof(struct file_sd_config, refresh)},
};

static int set_file_sd(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj;
	yaml_node_item_t *items;
	yaml_node_t *it;
	size_t i, n;
	int rc;

	if ((rc = seq_of(c, v, f->key, SIZE_MAX, &items, &n)) < 0)
		return rc;
	j->file_sd = xcalloc(n ? n : 1, sizeof(*j->file_sd));
	j->nfile_sd = n;
	for (i = 0; i < n; i++) {
		it = node(c, items[i]);
		j->file_sd[i].refresh = 300 * NS_PER_S;
		if ((rc = walk_map(c, it, "file_sd_configs", file_sd_fields,
				   NELEM(file_sd_fields), &j->file_sd[i])) < 0)
			return rc;
		if (!j->file_sd[i].nfiles)
			return fail(c, it, "file_sd_configs: files is required");
	}
	return 0;
}

/* ---- relabel_configs ---- */

static const struct {
	const char *name;
	enum relabel_action action;
} actions[] = {	/* in enum relabel_action order */
	{"replace", RELABEL_REPLACE}, {"keep", RELABEL_KEEP}, {"drop", RELABEL_DROP},
	{"labelmap", RELABEL_LABELMAP}, {"labeldrop", RELABEL_LABELDROP},
	{"labelkeep", RELABEL_LABELKEEP}, {"hashmod", RELABEL_HASHMOD},
};

/* Case does not matter, as in Prometheus. */
static int set_action(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct relabel_rule *r = obj;
	const char *s;
	char buf[ERR_SHOW_SIZE];
	size_t i;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	for (i = 0; i < NELEM(actions); i++) {
		if (!strcasecmp(s, actions[i].name)) {
			r->action = actions[i].action;
			return 0;
		}
	}
	return fail(c, v, "action: '%s' is not one of replace, keep, drop, labelmap, "
		    "labeldrop, labelkeep, hashmod", err_show(s, strlen(s), buf));
}

/* Check re as the selector checks a `=~` value: compiled anchored
 * ("^(re)$", REG_EXTENDED), and refused where glibc would read the
 * anchoring differently or expand it beyond what matching can afford.
 * On failure why holds the reason. */
static int regex_vet(const char *re, char *why, size_t cap)
{
	size_t n = strlen(re), k = 0;
	struct selector *sel = NULL;
	struct err e = {0};
	const char *p;
	char *q = xmalloc(2 * n + 16);
	int rc;

	k += (size_t)sprintf(q, "{a=~\"");
	for (p = re; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '\n')
			q[k++] = '\\';
		q[k++] = *p == '\n' ? 'n' : *p;
	}
	memcpy(q + k, "\"}", 2);
	rc = selector_parse(q, k + 2, &sel, &e);
	free(q);
	selector_free(sel);
	if (rc < 0) {
		p = strstr(e.msg, "invalid regular expression: ");
		snprintf(why, cap, "%.200s", p ? p + strlen("invalid regular expression: ") : e.msg);
	}
	return rc;
}

static int set_regex(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct relabel_rule *r = obj;
	char buf[ERR_SHOW_SIZE], why[256];
	const char *s;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if (strlen(s) > CONFIG_MAX_REGEX)
		return fail(c, v, "regex: longer than %d bytes", CONFIG_MAX_REGEX);
	if (regex_vet(s, why, sizeof(why)) < 0)
		return fail(c, v, "regex: '%s' is not a valid regular expression: %s",
			    err_show(s, strlen(s), buf), why);
	free(r->regex);
	r->regex = NULL;
	return keep(c, v, s, &r->regex);
}

static int name_ok(const char *s)
{
	return label_name_valid(s, strlen(s));
}

static int set_source_labels(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct relabel_rule *r = obj;

	return str_seq(c, v, f->key, SIZE_MAX, name_ok, "is not a valid label name",
		       &r->source_labels, &r->nsource);
}

static const struct field relabel_fields[] = {
	{"source_labels", set_source_labels, 0},
	{"separator", set_str, offsetof(struct relabel_rule, separator)},
	{"regex", set_regex, 0},
	{"target_label", set_str, offsetof(struct relabel_rule, target_label)},
	{"replacement", set_str, offsetof(struct relabel_rule, replacement)},
	{"modulus", set_u64, offsetof(struct relabel_rule, modulus)},
	{"action", set_action, 0},
};

/* The action's requirements, as Prometheus states them; then defaults. */
static int finish_rule(struct ctx *c, const yaml_node_t *n, struct relabel_rule *r)
{
	const char *act = actions[r->action].name, *t = r->target_label;
	char buf[ERR_SHOW_SIZE];

	if ((r->action == RELABEL_REPLACE || r->action == RELABEL_HASHMOD) && !t)
		return fail(c, n, "relabel_configs: action %s needs target_label", act);
	if (r->action == RELABEL_HASHMOD && !r->modulus)
		return fail(c, n, "relabel_configs: action hashmod needs a modulus above 0");
	if (t && !label_name_valid(t, strlen(t)) &&
	    (r->action != RELABEL_REPLACE || !strchr(t, '$')))
		return fail(c, n, "relabel_configs: target_label '%s' is not a valid "
			    "label name", err_show(t, strlen(t), buf));
	if ((r->action == RELABEL_LABELDROP || r->action == RELABEL_LABELKEEP) &&
	    (r->nsource || t || r->modulus || r->separator || r->replacement))
		return fail(c, n, "relabel_configs: action %s takes only regex", act);
	if (!r->separator)
		r->separator = xstrdup(";");
	if (!r->regex)
		r->regex = xstrdup("(.*)");
	if (!r->replacement)
		r->replacement = xstrdup("$1");
	return 0;
}

static int set_relabel(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj;
	yaml_node_item_t *items;
	yaml_node_t *it;
	size_t i, n;
	int rc;

	if ((rc = seq_of(c, v, f->key, CONFIG_MAX_RELABEL, &items, &n)) < 0)
		return rc;
	j->relabel = xcalloc(n ? n : 1, sizeof(*j->relabel));
	j->nrelabel = n;
	for (i = 0; i < n; i++) {
		it = node(c, items[i]);
		j->relabel[i].action = RELABEL_REPLACE;
		j->relabel[i].line = line_of(it);
		if ((rc = walk_map(c, it, "relabel_configs", relabel_fields,
				   NELEM(relabel_fields), &j->relabel[i])) < 0 ||
		    (rc = finish_rule(c, it, &j->relabel[i])) < 0)
			return rc;
	}
	return 0;
}

/* ---- authorization, basic_auth, tls_config ---- */

static int set_auth_type(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	const char *s;
	char buf[ERR_SHOW_SIZE];
	int rc;

	(void)obj;
	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if (strcasecmp(s, "Bearer"))
		return fail(c, v, "authorization: type '%s' is not supported (only "
			    "Bearer; for Basic use basic_auth)", err_show(s, strlen(s), buf));
	return 0;
}

static const struct field auth_fields[] = {
	{"type", set_auth_type, 0},
	{"credentials", set_str, offsetof(struct scrape_job, bearer)},
	{"credentials_file", set_str, offsetof(struct scrape_job, bearer_file)},
};

static int set_authorization(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj;
	int rc;

	c->auth_line = line_of(v);
	if ((rc = walk_map(c, v, f->key, auth_fields, NELEM(auth_fields), obj)) < 0)
		return rc;
	if (!j->bearer && !j->bearer_file)
		return fail(c, v, "authorization: credentials or credentials_file is "
			    "required");
	return 0;
}

/* bearer_token, bearer_token_file: Prometheus' older spelling. */
static int set_legacy_bearer(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	c->legacy_line = line_of(v);
	return set_str(c, f, v, obj);
}

static const struct field basic_fields[] = {
	{"username", set_str, offsetof(struct scrape_job, basic_user)},
	{"password", set_str, offsetof(struct scrape_job, basic_pass)},
	{"password_file", set_str, offsetof(struct scrape_job, basic_pass_file)},
};

static int set_basic_auth(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj;
	int rc;

	c->basic_line = line_of(v);
	if ((rc = walk_map(c, v, f->key, basic_fields, NELEM(basic_fields), obj)) < 0)
		return rc;
	if (j->basic_pass && j->basic_pass_file)
		return fail(c, v, "basic_auth: password and password_file are mutually "
			    "exclusive");
	return 0;
}

static const struct field tls_fields[] = {
	{"ca_file", set_str, offsetof(struct scrape_job, ca_file)},
	{"cert_file", set_str, offsetof(struct scrape_job, cert_file)},
	{"key_file", set_str, offsetof(struct scrape_job, key_file)},
	{"server_name", set_str, offsetof(struct scrape_job, server_name)},
	{"insecure_skip_verify", set_bool, offsetof(struct scrape_job, insecure_skip_verify)},
};

static int set_tls(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj;
	int rc;

	if ((rc = walk_map(c, v, f->key, tls_fields, NELEM(tls_fields), obj)) < 0)
		return rc;
	if (!j->cert_file != !j->key_file)
		return fail(c, v, "tls_config: cert_file and key_file go together");
	return 0;
}

/* ---- profiling_config ---- */

static const struct {
	const char *name, *path;
	int delta;
} default_profiles[] = {
	{"process_cpu", "/debug/pprof/profile", 1},
	{"memory", "/debug/pprof/allocs", 0},
	{"block", "/debug/pprof/block", 0},
	{"mutex", "/debug/pprof/mutex", 0},
	{"goroutine", "/debug/pprof/goroutine", 0},
};

static void add_profile(struct scrape_job *j, const char *name, const char *path, int delta)
{
	struct pprof_target_cfg *p;

	j->profiles = xrealloc(j->profiles, (j->nprofiles + 1) * sizeof(*j->profiles));
	p = &j->profiles[j->nprofiles++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->path = path ? xstrdup(path) : NULL;
	p->enabled = 1;
	p->delta = delta;
}

/* An absolute URL path, nothing a URL would read as more than a path. */
static int check_path(struct ctx *c, yaml_node_t *v, const char *key, const char *s)
{
	char buf[ERR_SHOW_SIZE];
	const char *p;

	if (s[0] != '/')
		return fail(c, v, "%s: '%s' must start with '/'", key, err_show(s, strlen(s), buf));
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
			return fail(c, v, "%s: '%s' must not hold spaces, control "
				    "characters, '?' or '#'", key, err_show(s, strlen(s), buf));
	return 0;
}

static int set_path(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	const char *s;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0 || (rc = check_path(c, v, f->key, s)) < 0)
		return rc;
	return set_str(c, f, v, obj);
}

/* Kept without trailing slashes, so prefix + path has one; "" or "/" is
 * no prefix (NULL). */
static int set_prefix(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj;
	const char *s;
	size_t n;
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if ((*s && (rc = check_path(c, v, f->key, s)) < 0) ||
	    (rc = charge_bytes(c, v, strlen(s) + 1)) < 0)
		return rc;
	for (n = strlen(s); n && s[n - 1] == '/'; n--)
		;
	free(j->path_prefix);
	j->path_prefix = n ? xstrndup(s, n) : NULL;
	return 0;
}

static const struct field pprof_fields[] = {
	{"enabled", set_bool, offsetof(struct pprof_target_cfg, enabled)},
	{"path", set_path, offsetof(struct pprof_target_cfg, path)},
	{"delta", set_bool, offsetof(struct pprof_target_cfg, delta)},
	{"seconds", set_seconds, offsetof(struct pprof_target_cfg, seconds)},
};

static size_t find_profile(const struct scrape_job *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->nprofiles && strcmp(j->profiles[i].name, name); i++)
		;
	return i;
}

/* One pprof_config entry, merged over the profile of that name (or added:
 * then it needs a path). */
static int merge_profile(struct ctx *c, struct scrape_job *j, yaml_node_pair_t *pair,
			 uint64_t *seen)
{
	yaml_node_t *k, *v = node(c, pair->value);
	const char *name;
	char buf[ERR_SHOW_SIZE];
	size_t i;
	int rc;

	if ((rc = key_of(c, pair, "pprof_config", &k, &name)) < 0)
		return rc;
	if (!label_name_valid(name, strlen(name)))
		return fail(c, k, "pprof_config: '%s' is not a valid profile name "
			    "([A-Za-z_][A-Za-z0-9_.]*)", err_show(name, strlen(name), buf));
	if ((i = find_profile(j, name)) == j->nprofiles) {
		if (j->nprofiles == CONFIG_MAX_PROFILES)
			return fail(c, k, "pprof_config: more than %d profile types",
				    CONFIG_MAX_PROFILES);
		if ((rc = charge_bytes(c, k, strlen(name) + 1)) < 0)
			return rc;
		add_profile(j, name, NULL, 0);
	}
	if (*seen & (1ULL << i))
		return fail(c, k, "pprof_config: '%s' given twice", name);
	*seen |= 1ULL << i;
	if (!is_null(v) && (rc = walk_map(c, v, "pprof_config entry", pprof_fields,
					  NELEM(pprof_fields), &j->profiles[i])) < 0)
		return rc;
	if (!j->profiles[i].path)
		return fail(c, k, "pprof_config: '%s' needs a path", name);
	return 0;
}

static int set_pprof(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	yaml_node_pair_t *pairs;
	uint64_t seen = 0;
	size_t i, n;
	int rc;

	if ((rc = map_of(c, v, f->key, CONFIG_MAX_PROFILES, &pairs, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = merge_profile(c, obj, &pairs[i], &seen)) < 0)
			return rc;
	return 0;
}

static const struct field profiling_fields[] = {
	{"path_prefix", set_prefix, 0},
	{"pprof_config", set_pprof, 0},
};

static int set_profiling(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	return walk_map(c, v, f->key, profiling_fields, NELEM(profiling_fields), obj);
}

/* ---- jobs ---- */

static int set_job_name(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_job *j = obj, *other;
	const char *s;
	char buf[ERR_SHOW_SIZE];
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if (!*s)
		return fail(c, v, "job_name: must not be empty");
	for (other = c->cfg->jobs; other < j; other++)
		if (!strcmp(other->job_name, s))
			return fail(c, v, "job_name: '%s' is already used on line %d",
				    err_show(s, strlen(s), buf), other->line);
	return keep(c, v, s, &j->job_name);
}

static int set_scheme(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	const char *s;
	char buf[ERR_SHOW_SIZE];
	int rc;

	if ((rc = str_of(c, v, f->key, &s)) < 0)
		return rc;
	if (strcmp(s, "http") && strcmp(s, "https"))
		return fail(c, v, "scheme: '%s' is not http or https", err_show(s, strlen(s), buf));
	return set_str(c, f, v, obj);
}

static const struct field job_fields[] = {
	{"job_name", set_job_name, 0},
	{"scrape_interval", set_duration, offsetof(struct scrape_job, interval)},
	{"scrape_timeout", set_duration, offsetof(struct scrape_job, timeout)},
	{"scheme", set_scheme, offsetof(struct scrape_job, scheme)},
	{"params", set_params, 0},
	{"static_configs", set_statics, 0},
	{"file_sd_configs", set_file_sd, 0},
	{"relabel_configs", set_relabel, 0},
	{"authorization", set_authorization, 0},
	{"bearer_token", set_legacy_bearer, offsetof(struct scrape_job, bearer)},
	{"bearer_token_file", set_legacy_bearer, offsetof(struct scrape_job, bearer_file)},
	{"basic_auth", set_basic_auth, 0},
	{"tls_config", set_tls, 0},
	{"profiling_config", set_profiling, 0},
};

/* One way to authenticate, one source of each secret. */
static int check_auth(struct ctx *c, const struct scrape_job *j)
{
	int bearer_line = c->auth_line ? c->auth_line : c->legacy_line;

	if (c->auth_line && c->legacy_line)
		return fail_line(c, c->auth_line > c->legacy_line ? c->auth_line :
				 c->legacy_line, "authorization and bearer_token/"
				 "bearer_token_file are mutually exclusive");
	if (j->bearer && j->bearer_file)
		return fail_line(c, bearer_line, c->auth_line ?
				 "authorization: credentials and credentials_file are "
				 "mutually exclusive" : "bearer_token and bearer_token_file "
				 "are mutually exclusive");
	if (c->basic_line && bearer_line)
		return fail_line(c, c->basic_line > bearer_line ? c->basic_line :
				 bearer_line, "basic_auth and authorization are "
				 "mutually exclusive");
	return 0;
}

static int finish_job(struct ctx *c, const yaml_node_t *n, struct scrape_job *j)
{
	if (!j->job_name)
		return fail(c, n, "scrape_configs: job_name is required");
	if (!j->scheme)
		j->scheme = xstrdup("http");
	if (!j->timeout && __builtin_add_overflow(j->interval, 3 * NS_PER_S, &j->timeout))
		return fail(c, n, "scrape_interval: too large");
	return check_auth(c, j);
}

static int parse_job(struct ctx *c, yaml_node_t *n, struct scrape_job *j)
{
	size_t i;
	int rc;

	j->line = line_of(n);
	j->interval = 10 * NS_PER_S;
	for (i = 0; i < NELEM(default_profiles); i++)
		add_profile(j, default_profiles[i].name, default_profiles[i].path,
			    default_profiles[i].delta);
	c->auth_line = c->legacy_line = c->basic_line = 0;
	if ((rc = walk_map(c, n, "scrape_configs entry", job_fields, NELEM(job_fields), j)) < 0)
		return rc;
	return finish_job(c, n, j);
}

static int set_jobs(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	struct scrape_config *cfg = obj;
	yaml_node_item_t *items;
	size_t i, n;
	int rc;

	if ((rc = seq_of(c, v, f->key, CONFIG_MAX_JOBS, &items, &n)) < 0)
		return rc;
	cfg->jobs = xcalloc(n ? n : 1, sizeof(*cfg->jobs));
	cfg->njobs = n;
	for (i = 0; i < n; i++)
		if ((rc = parse_job(c, node(c, items[i]), &cfg->jobs[i])) < 0)
			return rc;
	return 0;
}

/* Parca's storage settings: not ours (see the command line), but a Parca
 * config must load. */
static int set_ignored(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	(void)obj;
	if (v->type != YAML_MAPPING_NODE)
		return fail(c, v, "%s: expected a mapping, got %s", f->key, kind(v));
	return 0;
}

/* global.max_targets: 1 to CONFIG_MAX_MAX_TARGETS. */
static int set_max_targets(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	const struct field at_n = {f->key, set_u64, 0};
	uint64_t n = 0;
	int rc;

	if ((rc = set_u64(c, &at_n, v, &n)) < 0)
		return rc;
	if (n < 1 || n > CONFIG_MAX_MAX_TARGETS)
		return fail(c, v, "%s: must be from 1 to %d", f->key, CONFIG_MAX_MAX_TARGETS);
	*SLOT(obj, f, size_t) = (size_t)n;
	return 0;
}

static const struct field global_fields[] = {
	{"max_targets", set_max_targets, offsetof(struct scrape_config, max_targets)},
};

static int set_global(struct ctx *c, const struct field *f, yaml_node_t *v, void *obj)
{
	return walk_map(c, v, f->key, global_fields, NELEM(global_fields), obj);
}

static const struct field top_fields[] = {
	{"scrape_configs", set_jobs, 0},
	{"object_storage", set_ignored, 0},
	{"global", set_global, 0},
};

/* ---- loading ---- */

static int yaml_fail(struct ctx *c, const yaml_parser_t *p)
{
	size_t line = (p->error == YAML_READER_ERROR ? p->mark.line : p->problem_mark.line) + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(c->e, -ENOMEM, "%s: out of memory reading YAML", c->name);
	return err_set(c->e, -EINVAL, "%s:%zu: invalid YAML: %s%s%s%s", c->name, line,
		       p->problem ? p->problem : "syntax error",
		       p->context ? " (" : "", p->context ? p->context : "",
		       p->context ? ")" : "");
}

/* Load the one document of text into doc. */
static int load(struct ctx *c, const char *text, size_t len, yaml_document_t *doc)
{
	yaml_parser_t p;
	yaml_document_t extra;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_initialize(&p))
		return err_set(c->e, -ENOMEM, "%s: out of memory", c->name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, doc)) {
		rc = yaml_fail(c, &p);
		yaml_parser_delete(&p);
		return rc;
	}
	if (!yaml_parser_load(&p, &extra)) {
		rc = yaml_fail(c, &p);
	} else {
		if ((root = yaml_document_get_root_node(&extra)))
			rc = fail(c, root, "more than one YAML document");
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&p);
	if (rc < 0)
		yaml_document_delete(doc);
	return rc;
}

/* Parse text and apply fn to its root (a null root applies nothing). */
static int parse_doc(struct ctx *c, const char *text, size_t len, size_t max,
		     int (*fn)(struct ctx *c, yaml_node_t *root, void *obj), void *obj)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc;

	if (len > max)
		return err_set(c->e, -EFBIG, "%s: %zu bytes, at most %zu", c->name, len, max);
	if ((rc = load(c, text, len, &doc)) < 0)
		return rc;
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root))
		rc = fn(c, root, obj);
	yaml_document_delete(&doc);
	c->doc = NULL;
	return rc;
}

static int walk_top(struct ctx *c, yaml_node_t *root, void *obj)
{
	return walk_map(c, root, "the configuration", top_fields, NELEM(top_fields), obj);
}

int scrape_config_parse(const char *text, size_t len, const char *name,
			struct scrape_config **out, struct err *e)
{
	struct ctx c = {.name = name ? name : "config", .e = e};
	int rc;

	*out = NULL;
	c.cfg = xcalloc(1, sizeof(*c.cfg));
	c.cfg->max_targets = SCRAPE_DEFAULT_MAX_TARGETS;
	if ((rc = parse_doc(&c, text, len, CONFIG_MAX_TEXT, walk_top, c.cfg)) < 0) {
		scrape_config_free(c.cfg);
		return rc;
	}
	*out = c.cfg;
	return 0;
}

/* A target file's root: a list of {targets, labels}, each read as a
 * static_configs entry. */
struct groups {
	struct static_config *g;
	size_t n;
};

static int walk_groups(struct ctx *c, yaml_node_t *root, void *obj)
{
	struct groups *gs = obj;
	yaml_node_item_t *items;
	size_t i, n;
	int rc;

	if ((rc = seq_of(c, root, "target groups", CONFIG_MAX_TARGETS, &items, &n)) < 0)
		return rc;
	gs->g = xcalloc(n ? n : 1, sizeof(*gs->g));
	gs->n = n;
	for (i = 0; i < n; i++)
		if ((rc = walk_map(c, node(c, items[i]), "a target group", static_fields,
				   NELEM(static_fields), &gs->g[i])) < 0)
			return rc;
	return 0;
}

int scrape_targets_parse(const char *text, size_t len, const char *name,
			 struct static_config **out, size_t *nout, struct err *e)
{
	struct ctx c = {.name = name ? name : "targets", .e = e};
	struct groups gs = {0};
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = parse_doc(&c, text, len, SCRAPE_TARGETS_MAX_TEXT, walk_groups, &gs)) < 0) {
		static_configs_free(gs.g, gs.n);
		return rc;
	}
	*out = gs.g;
	*nout = gs.n;
	return 0;
}

/* Relative file names in a configuration are relative to the directory of
 * the configuration file, as in Prometheus. */
static void resolve(char **path, const char *dir)
{
	struct buf b = BUF_INIT;

	if (!*path || (*path)[0] == '/' || !dir)
		return;
	buf_printf(&b, "%s/%s", dir, *path);
	free(*path);
	*path = (char *)buf_detach(&b, NULL);
}

static void resolve_job(struct scrape_job *j, const char *dir)
{
	char **files[] = {&j->bearer_file, &j->basic_pass_file, &j->ca_file, &j->cert_file,
			  &j->key_file};
	size_t i, k;

	for (i = 0; i < NELEM(files); i++)
		resolve(files[i], dir);
	for (i = 0; i < j->nfile_sd; i++)
		for (k = 0; k < j->file_sd[i].nfiles; k++)
			resolve(&j->file_sd[i].files[k], dir);
}

int scrape_config_load(const char *path, struct scrape_config **out, struct err *e)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : NULL;
	uint8_t *data;
	size_t len, i;
	int rc;

	*out = NULL;
	if ((rc = file_read(path, CONFIG_MAX_TEXT, &data, &len, e)) < 0)
		goto out;
	rc = scrape_config_parse((const char *)data, len, path, out, e);
	free(data);
	for (i = 0; rc == 0 && i < (*out)->njobs; i++)
		resolve_job(&(*out)->jobs[i], dir);
out:
	free(dir);
	return rc;
}

/* ---- freeing ---- */

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Label arrays here own their strings. */
static void free_labels(struct label *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)l[i].name);
		free((char *)l[i].value);
	}
	free(l);
}

static void free_rule(struct relabel_rule *r)
{
	free_strv(r->source_labels, r->nsource);
	free(r->separator);
	free(r->regex);
	free(r->target_label);
	free(r->replacement);
}

void static_configs_free(struct static_config *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free_strv(g[i].targets, g[i].ntargets);
		free_labels(g[i].labels, g[i].nlabels);
	}
	free(g);
}

static void free_job(struct scrape_job *j)
{
	size_t i;

	free(j->job_name);
	free(j->scheme);
	free_labels(j->params, j->nparams);
	static_configs_free(j->statics, j->nstatics);
	for (i = 0; i < j->nfile_sd; i++)
		free_strv(j->file_sd[i].files, j->file_sd[i].nfiles);
	free(j->file_sd);
	for (i = 0; i < j->nrelabel; i++)
		free_rule(&j->relabel[i]);
	free(j->relabel);
	free(j->bearer);
	free(j->bearer_file);
	free(j->basic_user);
	free(j->basic_pass);
	free(j->basic_pass_file);
	free(j->ca_file);
	free(j->cert_file);
	free(j->key_file);
	free(j->server_name);
	free(j->path_prefix);
	for (i = 0; i < j->nprofiles; i++) {
		free(j->profiles[i].name);
		free(j->profiles[i].path);
	}
	free(j->profiles);
}

void scrape_config_free(struct scrape_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->njobs; i++)
		free_job(&c->jobs[i]);
	free(c->jobs);
	free(c);
}
