/* normalize: one decoded pprof -> the series it feeds (see normalize.h).
 *
 * Three passes, none of which allocates per sample:
 *   1. group: each sample's string labels, minus dropped names, become a
 *      "raw key": (key, str) string-index pairs sorted by key index with
 *      repeated keys removed (the first occurrence in the sample wins).
 *      One intern lookup per sample turns the key into a raw group id.
 *      Indices are comparable because they all index one string table.
 *   2. resolve: each raw group (few, compared to samples) becomes its
 *      label set as text: given labels, the sample labels with sanitized
 *      names, service_name. Different raw groups can give the same set (a
 *      string table with repeated strings, two names sanitized alike,
 *      sample labels hidden by given ones), so a second intern over the
 *      set's canonical bytes gives the final group.
 *   3. per sample type: count the nonzero samples of each final group,
 *      then fill each series' sample list in one more pass.
 *
 * Decisions where the contract is silent (callers may rely on them):
 *   - A given label wins over a sample label of the same name.
 *   - service_name: the given one, else the samples' own service_name
 *     label, else "unknown".
 *   - Given labels named __name__ or __profile_type__ are an error; sample
 *     labels with those names are dropped (the automatic ones win). Other
 *     names starting with "__" are allowed.
 *   - pprof sample label NAMES are sanitized, the one exception to "never
 *     silently changed": producers use free-form keys ("thread id"), and
 *     failing a whole ingest over one would lose the profile. Every byte
 *     not allowed at its position becomes '_'. Labels with an empty name,
 *     and numeric labels, are ignored. Length caps still are errors.
 *   - If two sample labels in one set end with the same name (a repeated
 *     key, or two keys sanitized alike), the first wins: for a repeated key
 *     the first in the sample, otherwise the one whose key comes first in
 *     the string table.
 *   - Label values must not contain a NUL byte (they become C strings).
 *   - A series is emitted per label set with at least one nonzero sample;
 *     if no sample of a sample type is nonzero, one series with the base
 *     labels (given + service_name) and nsamples 0 records the idle
 *     profile. So series' samples never hold zero values.
 *   - The profile name is not the profile's to tell for block vs mutex (Go
 *     writes both alike): "block" is inferred; scrapers pass o->name. When
 *     nothing matches, the first sample type's name is the profile name,
 *     so that all series of one profile share one __name__.
 *   - Sample type, unit and period strings must not contain ':' (it
 *     separates the profile type id's parts). */
#include "normalize.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/intern.h"
#include "../base/xalloc.h"

#define NAME_MAX_LEN 128
#define VALUE_MAX_LEN 2048
#define DEFAULT_MAX_LABELS 30

/* keystate[] values for a pprof string index used as a label key. Values
 * >= KEY_NAME0 are KEY_NAME0 + index into ctx.names. */
#define KEY_UNSEEN 0
#define KEY_DROP 1
#define KEY_NAME0 2

static const char *const default_drop[] = {"span_id", "trace_id", "profile_id"};

/* The struct norm handed out is the first member, so norm_free can find
 * the arena that owns every string and array of the result. */
struct norm_owned {
	struct norm pub;
	struct arena *arena;
};

struct pair {
	uint32_t key, str; /* pprof string indices; no padding: hashed as bytes */
};

/* A label being assembled: value is either a C string (cstr) or pprof
 * bytes (v, vlen) to copy when the set turns out to be new. */
struct ent {
	const char *name;
	const char *cstr;
	const char *v;
	size_t vlen;
};

struct ctx {
	const struct pprof_profile *p;
	struct err *e;
	struct arena *a;
	const char *const *drop;
	size_t ndrop, max_labels;

	struct label *given;     /* validated, sorted, arena copies */
	size_t ngiven;

	uint32_t *keystate;      /* per string index, see KEY_* */
	const char **names;      /* sanitized sample label names (arena) */
	size_t nnames, cap_names;

	struct intern *raw;      /* raw key -> raw group */
	uint32_t *raw_of;        /* sample -> raw group */
	uint32_t raw_empty;      /* raw group of "no sample labels" */
	struct intern *sets;     /* canonical label set -> final group */
	uint32_t *final_of_raw;  /* raw group -> final group */

	struct label **glabels;  /* final group -> its base labels (arena) */
	size_t *gnlabels;
	size_t ngroups, cap_glabels, cap_gnlabels;

	struct ent *ents;
	size_t cap_ents;
	struct buf kb;

	struct norm_series *series;
	size_t nseries, cap_series;
};

/* p's string i, with a non-NULL pointer even when empty (memcpy, memchr). */
static struct pprof_str pstr(const struct pprof_profile *p, uint32_t i)
{
	struct pprof_str s = pprof_s(p, i);

	if (!s.ptr)
		s.ptr = "";
	return s;
}

/* ---- profile names ------------------------------------------------------ */

static int str_is(const struct pprof_profile *p, uint32_t i, const char *s)
{
	size_t n = strlen(s);

	if (i >= p->nstr || p->str[i].len != n)
		return 0;
	return !n || !memcmp(p->str[i].ptr, s, n);
}

static int str_has_prefix(const struct pprof_profile *p, uint32_t i,
			  const char *s)
{
	size_t n = strlen(s);

	return i < p->nstr && p->str[i].len >= n &&
	       !memcmp(p->str[i].ptr, s, n);
}

/* The name Pyroscope and Parca give sample type vi, or NULL when nothing
 * matches. Order matters: Node's wall profile carries cpu/nanoseconds too,
 * and is named by its wall type. */
static const char *infer_name(const struct pprof_profile *p, int vi)
{
	uint32_t st = p->sample_type[vi].type, pt = p->period_type.type;
	uint32_t i;

	if (str_is(p, pt, "wall"))
		return "wall";
	for (i = 0; i < p->nsample_type; i++)
		if (str_is(p, p->sample_type[i].type, "wall"))
			return "wall";
	if (str_is(p, pt, "cpu") || str_is(p, st, "cpu"))
		return "process_cpu";
	if (str_has_prefix(p, st, "alloc_") || str_has_prefix(p, st, "inuse_") ||
	    str_is(p, pt, "space"))
		return "memory";
	if (str_is(p, st, "goroutine") || str_is(p, st, "goroutines") ||
	    str_is(p, pt, "goroutine"))
		return "goroutine";
	if (str_is(p, pt, "contentions") &&
	    (str_is(p, st, "contentions") || str_is(p, st, "delay")))
		return "block";
	return NULL;
}

/* The fallback name lives in a per-thread buffer, valid until this
 * thread's next call; normalize() itself copies it into its arena. */
const char *normalize_profile_name(const struct pprof_profile *p, int vi)
{
	static _Thread_local char fallback[VALUE_MAX_LEN + 1];
	const char *name;
	struct pprof_str s;
	size_t n;

	if (!p || vi < 0 || (uint32_t)vi >= p->nsample_type)
		return NULL;
	name = infer_name(p, vi);
	if (name)
		return name;
	s = pstr(p, p->sample_type[0].type);
	if (!s.len)
		return "unknown";
	n = s.len < VALUE_MAX_LEN ? s.len : VALUE_MAX_LEN;
	memcpy(fallback, s.ptr, n);
	fallback[n] = '\0';
	return fallback;
}

/* ---- label names -------------------------------------------------------- */

static int name_byte_ok(unsigned char c, size_t pos)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return pos > 0 && ((c >= '0' && c <= '9') || c == '.');
}

static int name_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!name_byte_ok((unsigned char)s[i], i))
			return 0;
	return i > 0;
}

/* Whether bytes (s, n), once sanitized, equal the C string name. */
static int sanitized_eq(const char *s, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name_byte_ok((unsigned char)s[i], i) ? s[i] : '_';
		if (c != name[i])
			return 0;
	}
	return 1;
}

/* First sight of pprof string k as a label key: decide drop or keep, and
 * keep the sanitized name once for every sample that uses it. */
static int key_classify(struct ctx *c, uint32_t k)
{
	struct pprof_str s = pstr(c->p, k);
	char *name;
	size_t i;

	c->keystate[k] = KEY_DROP;
	if (!s.len || sanitized_eq(s.ptr, s.len, "__name__") ||
	    sanitized_eq(s.ptr, s.len, "__profile_type__"))
		return 0;
	for (i = 0; i < c->ndrop; i++)
		if (sanitized_eq(s.ptr, s.len, c->drop[i]))
			return 0;
	if (s.len > NAME_MAX_LEN)
		return err_set(c->e, -EINVAL,
			       "pprof sample label \"%.64s...\": name is %u bytes, limit is %d",
			       s.ptr, s.len, NAME_MAX_LEN);
	name = arena_strndup(c->a, s.ptr, s.len);
	for (i = 0; i < s.len; i++)
		if (!name_byte_ok((unsigned char)name[i], i))
			name[i] = '_';
	XGROW(c->names, c->cap_names, c->nnames + 1);
	c->names[c->nnames] = name;
	c->keystate[k] = (uint32_t)(KEY_NAME0 + c->nnames++);
	return 0;
}

/* ---- given labels ------------------------------------------------------- */

static int check_value(struct ctx *c, const char *name, const char *v,
		       size_t n)
{
	if (n > VALUE_MAX_LEN)
		return err_set(c->e, -EINVAL,
			       "label %s: value is %zu bytes, limit is %d",
			       name, n, VALUE_MAX_LEN);
	if (memchr(v, '\0', n))
		return err_set(c->e, -EINVAL,
			       "label %s: value contains a NUL byte", name);
	return 0;
}

static int check_given(struct ctx *c, const struct label *l)
{
	size_t n;

	if (!l->name || !l->value)
		return err_set(c->e, -EINVAL, "label %s: name or value is NULL",
			       l->name ? l->name : "(null)");
	if (!strcmp(l->name, "__name__") || !strcmp(l->name, "__profile_type__"))
		return err_set(c->e, -EINVAL, "label %s is reserved", l->name);
	n = strlen(l->name);
	if (n > NAME_MAX_LEN)
		return err_set(c->e, -EINVAL,
			       "label %.64s...: name is %zu bytes, limit is %d",
			       l->name, n, NAME_MAX_LEN);
	if (!name_valid(l->name))
		return err_set(c->e, -EINVAL,
			       "label \"%s\": invalid name, must match [A-Za-z_][A-Za-z0-9_.]*",
			       l->name);
	return check_value(c, l->name, l->value, strlen(l->value));
}

/* Validate the given labels and keep sorted arena copies of them. */
static int load_given(struct ctx *c, const struct norm_opts *o)
{
	size_t i;
	int rc;

	if (!o->nlabels)
		return 0;
	if (!o->labels)
		return err_set(c->e, -EINVAL, "%zu labels given but no array",
			       o->nlabels);
	c->given = arena_alloc(c->a, o->nlabels * sizeof(*c->given));
	for (i = 0; i < o->nlabels; i++) {
		rc = check_given(c, &o->labels[i]);
		if (rc < 0)
			return rc;
		c->given[i].name = arena_strndup(c->a, o->labels[i].name,
						 strlen(o->labels[i].name));
		c->given[i].value = arena_strndup(c->a, o->labels[i].value,
						  strlen(o->labels[i].value));
	}
	c->ngiven = o->nlabels;
	labels_sort(c->given, c->ngiven);
	for (i = 1; i < c->ngiven; i++)
		if (!strcmp(c->given[i - 1].name, c->given[i].name))
			return err_set(c->e, -EINVAL, "label %s is given twice",
				       c->given[i].name);
	return 0;
}

/* ---- pass 1: samples -> raw groups -------------------------------------- */

/* Insert into pv[0..*n) kept sorted by key; a key already there keeps its
 * first value. */
static void pair_insert(struct pair *pv, size_t *n, struct pair x)
{
	size_t k = *n;

	while (k > 0 && pv[k - 1].key > x.key)
		k--;
	if (k > 0 && pv[k - 1].key == x.key)
		return;
	memmove(&pv[k + 1], &pv[k], (*n - k) * sizeof(*pv));
	pv[k] = x;
	(*n)++;
}

/* The raw key of sample i in pv; returns its length or negative errno. */
static int sample_key(struct ctx *c, size_t i, struct pair *pv, size_t *n)
{
	const struct pprof_sample *s = &c->p->sample[i];
	uint32_t j;
	int rc;

	*n = 0;
	for (j = 0; j < s->nlabel; j++) {
		const struct pprof_label *l = &c->p->label[s->label_off + j];
		if (!l->str)
			continue;
		if (c->keystate[l->key] == KEY_UNSEEN) {
			rc = key_classify(c, l->key);
			if (rc < 0)
				return rc;
		}
		if (c->keystate[l->key] != KEY_DROP)
			pair_insert(pv, n, (struct pair){l->key, l->str});
	}
	return 0;
}

static int group_samples(struct ctx *c)
{
	const struct pprof_profile *p = c->p;
	struct pair *pv = NULL;
	size_t cap = 0, i, n;
	uint32_t empty = INTERN_NONE;
	int rc = 0;

	c->raw = intern_new(16);
	c->raw_of = xmalloc((p->nsample ? p->nsample : 1) * sizeof(*c->raw_of));
	if (p->nlabel)
		c->keystate = xcalloc(p->nstr, sizeof(*c->keystate));
	for (i = 0; i < p->nsample; i++) {
		if (!p->sample[i].nlabel) {
			if (empty == INTERN_NONE)
				empty = intern_put(c->raw, "", 0, NULL);
			c->raw_of[i] = empty;
			continue;
		}
		XGROW(pv, cap, p->sample[i].nlabel);
		rc = sample_key(c, i, pv, &n);
		if (rc < 0)
			goto out;
		c->raw_of[i] = intern_put(c->raw, n ? (const void *)pv : "",
					  n * sizeof(*pv), NULL);
	}
	/* Ids are in first-seen order, and so will be the series. The empty
	 * set always exists: an idle sample type's series uses it. */
	c->raw_empty = intern_put(c->raw, "", 0, NULL);
out:
	free(pv);
	return rc;
}

/* ---- pass 2: raw groups -> label sets ----------------------------------- */

static void ent_push(struct ctx *c, size_t *n, struct ent x)
{
	XGROW(c->ents, c->cap_ents, *n + 1);
	c->ents[(*n)++] = x;
}

/* Stable sort by name, then drop later duplicates: given labels were
 * pushed first, so they win; the default service_name was pushed last. */
static size_t ents_sort_unique(struct ent *v, size_t n)
{
	size_t i, j, out;

	for (i = 1; i < n; i++) {
		struct ent t = v[i];
		for (j = i; j > 0 && strcmp(v[j - 1].name, t.name) > 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	for (i = 0, out = 0; i < n; i++)
		if (!out || strcmp(v[out - 1].name, v[i].name))
			v[out++] = v[i];
	return out;
}

static int too_many(struct ctx *c, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < n && b.len < 400; i++)
		buf_printf(&b, "%s%s", i ? "," : "", c->ents[i].name);
	rc = err_set(c->e, -EINVAL,
		     "too many labels: %zu, limit is %zu (%s, __name__, __profile_type__); drop pprof labels with drop_labels",
		     n + 2, c->max_labels, b.data ? (char *)b.data : "");
	buf_release(&b);
	return rc;
}

/* Keep a new final group's labels: arena copies, sorted, unique. */
static void group_add(struct ctx *c, size_t n)
{
	struct label *l = arena_alloc(c->a, (n ? n : 1) * sizeof(*l));
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ent *x = &c->ents[i];
		l[i].name = x->name;
		l[i].value = x->cstr ? x->cstr : arena_strndup(c->a, x->v, x->vlen);
	}
	XGROW(c->glabels, c->cap_glabels, c->ngroups + 1);
	XGROW(c->gnlabels, c->cap_gnlabels, c->ngroups + 1);
	c->glabels[c->ngroups] = l;
	c->gnlabels[c->ngroups++] = n;
}

/* The final group of raw group r. */
static int resolve_group(struct ctx *c, uint32_t r, uint32_t *out)
{
	size_t klen, npair, n = 0, i;
	const struct pair *pv = intern_key(c->raw, r, &klen);
	int is_new, rc;

	npair = klen / sizeof(*pv);
	for (i = 0; i < c->ngiven; i++)
		ent_push(c, &n, (struct ent){c->given[i].name, c->given[i].value,
					     NULL, 0});
	for (i = 0; i < npair; i++) {
		struct pprof_str v = pstr(c->p, pv[i].str);
		const char *name = c->names[c->keystate[pv[i].key] - KEY_NAME0];
		rc = check_value(c, name, v.ptr, v.len);
		if (rc < 0) {
			/* err_prefix returns 0 when e is NULL: keep rc. */
			err_prefix(c->e, "pprof sample");
			return rc;
		}
		ent_push(c, &n, (struct ent){name, NULL, v.ptr, v.len});
	}
	ent_push(c, &n, (struct ent){"service_name", "unknown", NULL, 0});
	n = ents_sort_unique(c->ents, n);
	if (n + 2 > c->max_labels)
		return too_many(c, n);
	/* Canonical bytes: name NUL value NUL ...; neither holds a NUL. */
	buf_reset(&c->kb);
	for (i = 0; i < n; i++) {
		const struct ent *x = &c->ents[i];
		buf_append(&c->kb, x->name, strlen(x->name) + 1);
		if (x->cstr)
			buf_append(&c->kb, x->cstr, strlen(x->cstr));
		else
			buf_append(&c->kb, x->v, x->vlen);
		buf_putc(&c->kb, '\0');
	}
	*out = intern_put(c->sets, c->kb.data ? c->kb.data : (uint8_t *)"",
			  c->kb.len, &is_new);
	if (is_new)
		group_add(c, n);
	return 0;
}

static int resolve_groups(struct ctx *c)
{
	uint32_t r, nraw = intern_count(c->raw);
	int rc;

	c->sets = intern_new(nraw);
	c->final_of_raw = xmalloc(nraw * sizeof(*c->final_of_raw));
	for (r = 0; r < nraw; r++) {
		rc = resolve_group(c, r, &c->final_of_raw[r]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- pass 3: series ----------------------------------------------------- */

/* name:type:unit:period_type:period_unit, checked for ':' in the parts. */
static int profile_type_id(struct ctx *c, int vi, const char *name,
			   char **out)
{
	const struct pprof_profile *p = c->p;
	uint32_t part[4] = {p->sample_type[vi].type, p->sample_type[vi].unit,
			    p->period_type.type, p->period_type.unit};
	struct buf b = BUF_INIT;
	size_t i;
	int rc = 0;

	buf_puts(&b, name);
	for (i = 0; i < 4; i++) {
		struct pprof_str s = part[i] < p->nstr ? pstr(p, part[i])
						       : (struct pprof_str){"", 0};

		if (memchr(s.ptr, ':', s.len) || memchr(s.ptr, '\0', s.len)) {
			rc = err_set(c->e, -EINVAL,
				     "sample type %d: \"%.*s\" contains ':' or NUL, which a profile type id cannot hold",
				     vi, (int)(s.len > 64 ? 64 : s.len), s.ptr);
			goto out;
		}
		buf_putc(&b, ':');
		buf_append(&b, s.ptr, s.len);
	}
	if (b.len > VALUE_MAX_LEN) {
		rc = err_set(c->e, -EINVAL,
			     "label __profile_type__: value is %zu bytes, limit is %d",
			     b.len, VALUE_MAX_LEN);
		goto out;
	}
	*out = arena_strndup(c->a, (char *)b.data, b.len);
out:
	buf_release(&b);
	return rc;
}

/* The profile name, an arena copy when it comes from the profile. */
static int profile_name(struct ctx *c, const struct norm_opts *o, int vi,
			const char **out)
{
	const char *name = o->name ? o->name : infer_name(c->p, vi);
	struct pprof_str s;
	size_t n;

	if (!name) {
		s = pstr(c->p, c->p->sample_type[0].type);
		name = s.len ? arena_strndup(c->a, s.ptr, s.len) : "unknown";
	}
	n = strlen(name);
	if (!n || n > VALUE_MAX_LEN || strchr(name, ':'))
		return err_set(c->e, -EINVAL,
			       "profile name \"%.64s\": must be 1 to %d bytes without ':'",
			       name, VALUE_MAX_LEN);
	*out = name;
	return 0;
}

/* Base labels of group g plus the two automatic ones, merged in order.
 * Base names never are __name__ or __profile_type__. */
static void series_labels(struct ctx *c, struct norm_series *s, size_t g,
			  const char *name)
{
	const struct label *base = c->glabels[g];
	size_t nb = c->gnlabels[g], i = 0, k = 0, n = 0;
	struct label aut[2] = {{"__name__", name},
			       {"__profile_type__", s->profile_type}};
	struct label *l = arena_alloc(c->a, (nb + 2) * sizeof(*l));

	while (i < nb || k < 2) {
		if (k < 2 && (i == nb || strcmp(aut[k].name, base[i].name) < 0))
			l[n++] = aut[k++];
		else
			l[n++] = base[i++];
	}
	s->labels = l;
	s->nlabels = n;
}

static struct norm_series *series_add(struct ctx *c, int vi, size_t g,
				      const char *name, char *ptype)
{
	struct norm_series *s;

	XGROW(c->series, c->cap_series, c->nseries + 1);
	s = &c->series[c->nseries++];
	memset(s, 0, sizeof(*s));
	s->profile_type = ptype;
	s->value_index = vi;
	series_labels(c, s, g, name);
	return s;
}

/* counts/totals/slot are scratch arrays of ngroups entries. */
static int emit_type(struct ctx *c, const struct norm_opts *o, int vi,
		     uint32_t *counts, int64_t *totals, uint32_t **slot)
{
	const struct pprof_profile *p = c->p;
	size_t nv = p->nsample_type, i, g, before = c->nseries;
	const char *name = NULL;
	char *ptype = NULL;
	int rc;

	rc = profile_name(c, o, vi, &name);
	if (rc < 0)
		return rc;
	rc = profile_type_id(c, vi, name, &ptype);
	if (rc < 0)
		return rc;
	memset(counts, 0, c->ngroups * sizeof(*counts));
	memset(totals, 0, c->ngroups * sizeof(*totals));
	for (i = 0; i < p->nsample; i++) {
		int64_t v = p->value[i * nv + vi];
		if (!v)
			continue;
		g = c->final_of_raw[c->raw_of[i]];
		counts[g]++;
		if (__builtin_add_overflow(totals[g], v, &totals[g]))
			return err_set(c->e, -EOVERFLOW,
				       "sample type %d: the sum of values overflows 64 bits",
				       vi);
	}
	for (g = 0; g < c->ngroups; g++) {
		struct norm_series *s;
		if (!counts[g])
			continue;
		s = series_add(c, vi, g, name, ptype);
		s->samples = arena_alloc(c->a, counts[g] * sizeof(*s->samples));
		s->nsamples = counts[g];
		s->total = totals[g];
		slot[g] = s->samples;
	}
	for (i = 0; i < p->nsample; i++) {
		if (!p->value[i * nv + vi])
			continue;
		g = c->final_of_raw[c->raw_of[i]];
		*slot[g]++ = (uint32_t)i;
	}
	if (c->nseries == before)
		series_add(c, vi, c->final_of_raw[c->raw_empty], name, ptype);
	return 0;
}

static int emit_series(struct ctx *c, const struct norm_opts *o)
{
	uint32_t *counts = xmalloc(c->ngroups * sizeof(*counts));
	int64_t *totals = xmalloc(c->ngroups * sizeof(*totals));
	uint32_t **slot = xmalloc(c->ngroups * sizeof(*slot));
	uint32_t vi;
	int rc = 0;

	for (vi = 0; vi < c->p->nsample_type; vi++) {
		rc = emit_type(c, o, (int)vi, counts, totals, slot);
		if (rc < 0)
			break;
	}
	free(counts);
	free(totals);
	free(slot);
	return rc;
}

/* ---- entry points ------------------------------------------------------- */

static void ctx_release(struct ctx *c)
{
	free(c->keystate);
	free(c->names);
	intern_free(c->raw);
	free(c->raw_of);
	intern_free(c->sets);
	free(c->final_of_raw);
	free(c->glabels);
	free(c->gnlabels);
	free(c->ents);
	buf_release(&c->kb);
	free(c->series);
}

static int check_profile(const struct pprof_profile *p, struct err *e)
{
	if (!p)
		return err_set(e, -EINVAL, "no profile");
	if (!p->nsample_type)
		return err_set(e, -EINVAL, "profile has no sample types");
	if (p->nsample > UINT32_MAX)
		return err_set(e, -E2BIG, "profile has %zu samples, limit is %u",
			       p->nsample, UINT32_MAX);
	return 0;
}

int normalize(const struct pprof_profile *p, const struct norm_opts *o,
	      struct norm **out, struct err *e)
{
	static const struct norm_opts none;
	struct norm_owned *no = NULL;
	struct ctx c;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if (!o)
		o = &none;
	rc = check_profile(p, e);
	if (rc < 0)
		goto out;
	c.p = p;
	c.e = e;
	c.a = arena_new();
	c.drop = o->drop_labels ? o->drop_labels : default_drop;
	c.ndrop = o->drop_labels ? o->ndrop
				 : sizeof(default_drop) / sizeof(*default_drop);
	c.max_labels = o->max_labels ? o->max_labels : DEFAULT_MAX_LABELS;
	rc = load_given(&c, o);
	if (rc < 0)
		goto out;
	rc = group_samples(&c);
	if (rc < 0)
		goto out;
	rc = resolve_groups(&c);
	if (rc < 0)
		goto out;
	rc = emit_series(&c, o);
	if (rc < 0)
		goto out;
	no = xcalloc(1, sizeof(*no));
	no->arena = c.a;
	no->pub.nseries = c.nseries;
	no->pub.series = arena_alloc(c.a, (c.nseries ? c.nseries : 1) *
						  sizeof(*c.series));
	if (c.nseries)
		memcpy(no->pub.series, c.series, c.nseries * sizeof(*c.series));
	c.a = NULL;
	*out = &no->pub;
out:
	arena_free(c.a);
	ctx_release(&c);
	return rc;
}

void norm_free(struct norm *n)
{
	struct norm_owned *no;

	if (!n)
		return;
	no = (struct norm_owned *)((char *)n - offsetof(struct norm_owned, pub));
	arena_free(no->arena);
	free(no);
}
