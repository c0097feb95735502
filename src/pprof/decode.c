/* pprof decoding in two passes over the (inflated) bytes.
 *
 * Pass 1 walks only the top level: it checks each known field's wire type,
 * counts the repeated messages and sums string bytes, so that limits are
 * enforced before anything big is allocated and the tables can be
 * allocated at their exact size. Pass 2 decodes every message into the flat
 * arrays of struct pprof_profile, keeping ids as they are. The resolve step
 * then turns ids into indices and applies pprof's validity rules.
 *
 * String indices are checked in pass 2 (pass 1 gave the table size), when
 * the message they belong to is complete, so the error can name its id. */
#include "decode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../base/u64map.h"
#include "../base/xalloc.h"
#include "gz.h"
#include "pbwire.h"

struct u64vec {
	uint64_t *v;
	size_t n, cap;
};

struct dec {
	const struct pprof_limits *lim;
	struct pprof_profile *p;
	struct err *e;
	struct u64vec loc_ids;      /* per sample_loc entry, raw location ids */
	struct u64vec values;       /* becomes p->value */
	struct u64vec line_fids;    /* per line, raw function ids */
	uint64_t *loc_mapping_ids;  /* per location, raw mapping ids */
	size_t nvalue_types;        /* sample_type count, known after pass 1 */
	size_t ntime;               /* time_nanos fields seen */
};

/* Wire type each known Profile field must have; -1 = varint or packed. */
static const int profile_wt[16] = {
	[1] = PB_LEN, [2] = PB_LEN, [3] = PB_LEN, [4] = PB_LEN, [5] = PB_LEN,
	[6] = PB_LEN, [7] = PB_VARINT, [8] = PB_VARINT, [9] = PB_VARINT,
	[10] = PB_VARINT, [11] = PB_LEN, [12] = PB_VARINT, [13] = -1,
	[14] = PB_VARINT, [15] = PB_VARINT,
};

static const char *const profile_field[16] = {
	[1] = "sample_type", [2] = "sample", [3] = "mapping", [4] = "location",
	[5] = "function", [6] = "string_table", [7] = "drop_frames",
	[8] = "keep_frames", [9] = "time_nanos", [10] = "duration_nanos",
	[11] = "period_type", [12] = "period", [13] = "comment",
	[14] = "default_sample_type", [15] = "doc_url",
};

static void vec_push(struct u64vec *v, uint64_t x)
{
	if (v->n == v->cap)
		XGROW(v->v, v->cap, v->n + 1);
	v->v[v->n++] = x;
}

static int wire_err(struct dec *d, const char *where, int rc)
{
	return err_set(d->e, -EINVAL, "%s: %s", where, pb_strerror(rc));
}

static int type_err(struct dec *d, const char *where, const struct pb_field *f)
{
	return err_set(d->e, -EINVAL, "%s: field %u has wire type %u, which does not match its type",
		       where, f->num, f->wt);
}

/* A repeated scalar may arrive packed (LEN) or one varint per field. */
static int read_repeated(struct dec *d, const struct pb_field *f,
			 struct u64vec *out, const char *where)
{
	const uint8_t *p, *end;
	uint64_t v;
	int rc;

	if (f->wt == PB_VARINT) {
		vec_push(out, f->v);
		return 0;
	}
	if (f->wt != PB_LEN)
		return type_err(d, where, f);
	p = f->data;
	end = f->data + f->len;
	if (out->n + f->len > out->cap)
		XGROW(out->v, out->cap, out->n + pb_count_varints(p, f->len));
	while (p < end) {
		rc = pb_varint(&p, end, &v);
		if (rc)
			return wire_err(d, where, rc);
		out->v[out->n++] = v;
	}
	return 0;
}

/* Checks a string index read from the wire against the table size. */
static int str_ok(struct dec *d, uint64_t idx, uint32_t *out)
{
	if (idx >= d->p->nstr)
		return 0;
	*out = (uint32_t)idx;
	return 1;
}

#define STR_CHECK(d, idx, out, ...)                                          \
	do {                                                                 \
		if (!str_ok((d), (idx), (out)))                              \
			return err_set((d)->e, -EINVAL, __VA_ARGS__);        \
	} while (0)

#define STR_RANGE "string index %" PRIu64 " out of range (%u strings)"

/* ---- pass 1 --------------------------------------------------------- */

struct counts {
	size_t sample_type, sample, mapping, location, function, str, comment;
	size_t str_bytes;
};

static int pass1_field(struct dec *d, const struct pb_field *f, struct counts *c)
{
	int want = f->num < 16 ? profile_wt[f->num] : 0;

	if (f->num < 16 && want != 0 && want != -1 && f->wt != want)
		return type_err(d, profile_field[f->num], f);
	if (f->num == 13 && f->wt != PB_VARINT && f->wt != PB_LEN)
		return type_err(d, "comment", f);
	switch (f->num) {
	case 1: c->sample_type++; break;
	case 2: c->sample++; break;
	case 3: c->mapping++; break;
	case 4: c->location++; break;
	case 5: c->function++; break;
	case 6:
		/* Strings are taken here, as pass 2 needs the whole table
		 * (Go writes it last): capped now, before the table grows. */
		if (c->str >= d->lim->max_samples)
			return err_set(d->e, -E2BIG, "more than %zu strings", d->lim->max_samples);
		XGROW(d->p->str, d->p->cap_str, c->str + 2);
		d->p->str[c->str].ptr = (const char *)f->data;
		d->p->str[c->str].len = (uint32_t)f->len;
		c->str++;
		c->str_bytes += f->len;
		break;
	case 9: d->ntime++; break;
	case 13:
		c->comment += f->wt == PB_LEN ? pb_count_varints(f->data, f->len) : 1;
		break;
	}
	return 0;
}

static int check_counts(struct dec *d, const struct counts *c)
{
	const struct pprof_limits *l = d->lim;
	size_t max = l->max_samples;

	if (c->sample > max)
		return err_set(d->e, -E2BIG, "%zu samples exceed the limit of %zu", c->sample, max);
	if (c->location > max || c->function > max || c->mapping > max || c->str > max)
		return err_set(d->e, -E2BIG, "more than %zu locations, functions, mappings or strings", max);
	if (c->str_bytes > l->max_string_bytes)
		return err_set(d->e, -E2BIG, "string table of %zu bytes exceeds the limit of %zu",
			       c->str_bytes, l->max_string_bytes);
	if (c->sample_type > UINT16_MAX)
		return err_set(d->e, -E2BIG, "%zu sample types", c->sample_type);
	if (d->ntime > 1)
		return err_set(d->e, -EINVAL, "concatenated profiles detected (time_nanos appears %zu times)",
			       d->ntime);
	return 0;
}

static int pass1(struct dec *d, const uint8_t *b, size_t n, struct counts *c)
{
	struct pb_reader r = {b, b + n};
	struct pb_field f;
	int rc;

	while ((rc = pb_next(&r, &f)) == 1)
		if ((rc = pass1_field(d, &f, c)) < 0)
			return rc;
	if (rc < 0)
		return err_set(d->e, -EINVAL, "not a pprof profile: malformed protobuf near byte %zu (%s)",
			       (size_t)(r.p - b), pb_strerror(rc));
	return check_counts(d, c);
}

static void alloc_tables(struct dec *d, const struct counts *c)
{
	struct pprof_profile *p = d->p;

	XGROW(p->str, p->cap_str, c->str + 1);
	p->nstr = (uint32_t)c->str;
	memset(&p->str[p->nstr], 0, sizeof(*p->str)); /* as calloc left it before */
	p->sample_type = xcalloc(c->sample_type + 1, sizeof(*p->sample_type));
	p->cap_sample_type = c->sample_type + 1;
	p->sample = xcalloc(c->sample + 1, sizeof(*p->sample));
	p->cap_sample = c->sample + 1;
	p->mapping = xcalloc(c->mapping + 1, sizeof(*p->mapping));
	p->cap_mapping = c->mapping + 1;
	p->location = xcalloc(c->location + 1, sizeof(*p->location));
	p->cap_location = c->location + 1;
	p->function = xcalloc(c->function + 1, sizeof(*p->function));
	p->cap_function = c->function + 1;
	p->comment = xcalloc(c->comment + 1, sizeof(*p->comment));
	p->cap_comment = c->comment + 1;
	d->loc_mapping_ids = xcalloc(c->location + 1, sizeof(uint64_t));
	d->nvalue_types = c->sample_type;
}

/* ---- pass 2: messages ----------------------------------------------- */

static int dec_value_type(struct dec *d, const uint8_t *b, size_t n,
			  struct pprof_value_type *vt, const char *where)
{
	struct pb_reader r = {b, b + n};
	struct pb_field f;
	uint64_t type = 0, unit = 0;
	int rc;

	while ((rc = pb_next(&r, &f)) == 1) {
		if (f.num > 2)
			continue;
		if (f.wt != PB_VARINT)
			return type_err(d, where, &f);
		if (f.num == 1)
			type = f.v;
		else
			unit = f.v;
	}
	if (rc < 0)
		return wire_err(d, where, rc);
	STR_CHECK(d, type, &vt->type, "%s: type: " STR_RANGE, where, type, d->p->nstr);
	STR_CHECK(d, unit, &vt->unit, "%s: unit: " STR_RANGE, where, unit, d->p->nstr);
	return 0;
}

static int dec_label(struct dec *d, const uint8_t *b, size_t n, size_t si)
{
	struct pb_reader r = {b, b + n};
	struct pb_field f;
	uint64_t v[5] = {0};
	struct pprof_label l;
	int rc;

	while ((rc = pb_next(&r, &f)) == 1) {
		if (f.num > 4)
			continue;
		if (f.wt != PB_VARINT)
			return type_err(d, "label", &f);
		v[f.num] = f.v;
	}
	if (rc < 0)
		return err_set(d->e, -EINVAL, "sample %zu: label: %s", si, pb_strerror(rc));
	STR_CHECK(d, v[1], &l.key, "sample %zu: label key: " STR_RANGE, si, v[1], d->p->nstr);
	STR_CHECK(d, v[2], &l.str, "sample %zu: label str: " STR_RANGE, si, v[2], d->p->nstr);
	STR_CHECK(d, v[4], &l.num_unit, "sample %zu: label num_unit: " STR_RANGE, si, v[4], d->p->nstr);
	l.num = (int64_t)v[3];
	/* pprof keeps a label only if it is a string label or its number or
	 * unit is set; a numeric 0 without unit disappears on decode. */
	if (!l.str && !l.num && !l.num_unit)
		return 0;
	if (l.str) {
		l.num = 0;
		l.num_unit = 0;
	}
	XGROW(d->p->label, d->p->cap_label, d->p->nlabel + 1);
	d->p->label[d->p->nlabel++] = l;
	return 0;
}

static int dec_sample(struct dec *d, const uint8_t *b, size_t n, size_t si)
{
	struct pprof_profile *p = d->p;
	struct pprof_sample *s = &p->sample[si];
	struct pb_reader r = {b, b + n};
	size_t loc0 = d->loc_ids.n, val0 = d->values.n;
	struct pb_field f;
	int rc;

	s->label_off = (uint32_t)p->nlabel;
	while ((rc = pb_next(&r, &f)) == 1) {
		if (f.num == 1)
			rc = read_repeated(d, &f, &d->loc_ids, "sample: location_id");
		else if (f.num == 2)
			rc = read_repeated(d, &f, &d->values, "sample: value");
		else if (f.num == 3 && f.wt == PB_LEN)
			rc = dec_label(d, f.data, f.len, si);
		else if (f.num == 3)
			rc = type_err(d, "sample: label", &f);
		else
			rc = 0;
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return err_set(d->e, -EINVAL, "sample %zu: %s", si, pb_strerror(rc));
	if (d->values.n - val0 != d->nvalue_types)
		return err_set(d->e, -EINVAL, "sample %zu: has %zu values, the profile has %zu sample types",
			       si, d->values.n - val0, d->nvalue_types);
	if (d->loc_ids.n - loc0 > d->lim->max_stack_depth)
		return err_set(d->e, -E2BIG, "sample %zu: %zu frames exceed the stack depth limit of %zu",
			       si, d->loc_ids.n - loc0, d->lim->max_stack_depth);
	s->nlabel = (uint32_t)(p->nlabel - s->label_off);
	if (s->nlabel > d->lim->max_labels)
		return err_set(d->e, -E2BIG, "sample %zu: %u labels exceed the limit of %zu",
			       si, s->nlabel, d->lim->max_labels);
	s->loc_off = (uint32_t)loc0;
	s->nloc = (uint32_t)(d->loc_ids.n - loc0);
	return 0;
}

static int dec_mapping(struct dec *d, const uint8_t *b, size_t n, size_t mi)
{
	struct pprof_mapping *m = &d->p->mapping[mi];
	struct pb_reader r = {b, b + n};
	struct pb_field f;
	uint64_t v[11] = {0};
	int rc;

	while ((rc = pb_next(&r, &f)) == 1) {
		if (f.num > 10)
			continue;
		if (f.wt != PB_VARINT)
			return type_err(d, "mapping", &f);
		v[f.num] = f.v;
	}
	if (rc < 0)
		return err_set(d->e, -EINVAL, "mapping #%zu: %s", mi, pb_strerror(rc));
	m->id = v[1];
	m->start = v[2];
	m->limit = v[3];
	m->offset = v[4];
	STR_CHECK(d, v[5], &m->filename, "mapping id %" PRIu64 ": filename: " STR_RANGE, m->id, v[5], d->p->nstr);
	STR_CHECK(d, v[6], &m->build_id, "mapping id %" PRIu64 ": build_id: " STR_RANGE, m->id, v[6], d->p->nstr);
	m->has_functions = v[7] != 0;
	m->has_filenames = v[8] != 0;
	m->has_line_numbers = v[9] != 0;
	m->has_inline_frames = v[10] != 0;
	return 0;
}

static int dec_line(struct dec *d, const uint8_t *b, size_t n, uint64_t *fid,
		    struct pprof_line *ln)
{
	struct pb_reader r = {b, b + n};
	struct pb_field f;
	int rc;

	while ((rc = pb_next(&r, &f)) == 1) {
		if (f.num > 3)
			continue;
		if (f.wt != PB_VARINT)
			return type_err(d, "line", &f);
		if (f.num == 1)
			*fid = f.v;
		else if (f.num == 2)
			ln->line = (int64_t)f.v;
		else
			ln->column = (int64_t)f.v;
	}
	return rc < 0 ? wire_err(d, "line", rc) : 0;
}

static int dec_location(struct dec *d, const uint8_t *b, size_t n, size_t li)
{
	struct pprof_profile *p = d->p;
	struct pprof_location *l = &p->location[li];
	struct pb_reader r = {b, b + n};
	struct pb_field f;
	int rc;

	l->line_off = (uint32_t)p->nline;
	while ((rc = pb_next(&r, &f)) == 1) {
		if (f.num == 4) {
			uint64_t fid = 0;
			if (f.wt != PB_LEN)
				return type_err(d, "location: line", &f);
			XGROW(p->line, p->cap_line, p->nline + 1);
			memset(&p->line[p->nline], 0, sizeof(p->line[0]));
			if ((rc = dec_line(d, f.data, f.len, &fid, &p->line[p->nline])) < 0)
				return err_prefix(d->e, "location #%zu", li);
			vec_push(&d->line_fids, fid);
			p->nline++;
			continue;
		}
		if (f.num > 5)
			continue;
		if (f.wt != PB_VARINT)
			return type_err(d, "location", &f);
		if (f.num == 1)
			l->id = f.v;
		else if (f.num == 2)
			d->loc_mapping_ids[li] = f.v;
		else if (f.num == 3)
			l->address = f.v;
		else if (f.num == 5)
			l->is_folded = f.v != 0;
	}
	if (rc < 0)
		return err_set(d->e, -EINVAL, "location #%zu: %s", li, pb_strerror(rc));
	l->nline = (uint32_t)(p->nline - l->line_off);
	return 0;
}

static int dec_function(struct dec *d, const uint8_t *b, size_t n, size_t fi)
{
	struct pprof_function *fn = &d->p->function[fi];
	struct pb_reader r = {b, b + n};
	struct pb_field f;
	uint64_t v[6] = {0};
	int rc;

	while ((rc = pb_next(&r, &f)) == 1) {
		if (f.num > 5)
			continue;
		if (f.wt != PB_VARINT)
			return type_err(d, "function", &f);
		v[f.num] = f.v;
	}
	if (rc < 0)
		return err_set(d->e, -EINVAL, "function #%zu: %s", fi, pb_strerror(rc));
	fn->id = v[1];
	STR_CHECK(d, v[2], &fn->name, "function id %" PRIu64 ": name: " STR_RANGE, fn->id, v[2], d->p->nstr);
	STR_CHECK(d, v[3], &fn->system_name, "function id %" PRIu64 ": system_name: " STR_RANGE, fn->id, v[3], d->p->nstr);
	STR_CHECK(d, v[4], &fn->filename, "function id %" PRIu64 ": filename: " STR_RANGE, fn->id, v[4], d->p->nstr);
	fn->start_line = (int64_t)v[5];
	return 0;
}

/* pass 1 took the string table (see pass1_field). */
static int check_strings(struct dec *d)
{
	const struct pprof_profile *p = d->p;

	if (!p->nstr || p->str[0].len != 0)
		return err_set(d->e, -EINVAL, "string_table[0] must be ''");
	return 0;
}

static int scalar_field(struct dec *d, const struct pb_field *f)
{
	struct pprof_profile *p = d->p;
	const char *name = profile_field[f->num];
	struct u64vec c = {0};
	size_t i;
	int rc = 0;

	switch (f->num) {
	case 7: STR_CHECK(d, f->v, &p->drop_frames, "%s: " STR_RANGE, name, f->v, p->nstr); break;
	case 8: STR_CHECK(d, f->v, &p->keep_frames, "%s: " STR_RANGE, name, f->v, p->nstr); break;
	case 9: p->time_nanos = (int64_t)f->v; break;
	case 10: p->duration_nanos = (int64_t)f->v; break;
	case 11: return dec_value_type(d, f->data, f->len, &p->period_type, "period_type");
	case 12: p->period = (int64_t)f->v; break;
	case 13:
		if ((rc = read_repeated(d, f, &c, "comment")) < 0)
			break;
		for (i = 0; i < c.n && !rc; i++) {
			if (!str_ok(d, c.v[i], &p->comment[p->ncomment]))
				rc = err_set(d->e, -EINVAL, "comment: " STR_RANGE, c.v[i], p->nstr);
			else
				p->ncomment++;
		}
		break;
	case 14: STR_CHECK(d, f->v, &p->default_sample_type, "%s: " STR_RANGE, name, f->v, p->nstr); break;
	case 15: STR_CHECK(d, f->v, &p->doc_url, "%s: " STR_RANGE, name, f->v, p->nstr); break;
	}
	free(c.v);
	return rc;
}

static int pass2(struct dec *d, const uint8_t *b, size_t n)
{
	struct pb_reader r = {b, b + n};
	struct pprof_profile *p = d->p;
	struct pb_field f;
	int rc = 0;

	while (rc >= 0 && pb_next(&r, &f) == 1) {
		switch (f.num) {
		case 1:
			rc = dec_value_type(d, f.data, f.len,
					    &p->sample_type[p->nsample_type++], "sample_type");
			break;
		case 2: rc = dec_sample(d, f.data, f.len, p->nsample++); break;
		case 3: rc = dec_mapping(d, f.data, f.len, p->nmapping++); break;
		case 4: rc = dec_location(d, f.data, f.len, p->nlocation++); break;
		case 5: rc = dec_function(d, f.data, f.len, p->nfunction++); break;
		case 6: break;
		default:
			if (f.num < 16)
				rc = scalar_field(d, &f);
		}
	}
	return rc < 0 ? rc : 0;
}

/* ---- resolve ids to indices ----------------------------------------- */

/* Ids resolve through `map` unless they are exactly 1..n in order (what Go
 * writes), in which case index = id - 1 and no map is built. */
struct idx {
	int dense;
	size_t n;
	struct u64map map;
};

static int idx_build(struct dec *d, struct idx *x, size_t n,
		     uint64_t (*id_of)(const struct pprof_profile *, size_t),
		     const char *what)
{
	size_t i;

	x->n = n;
	x->dense = 1;
	x->map.slots = NULL;
	for (i = 0; i < n && x->dense; i++)
		x->dense = id_of(d->p, i) == i + 1;
	if (x->dense)
		return 0;
	u64map_init(&x->map, n);
	for (i = 0; i < n; i++) {
		uint64_t id = id_of(d->p, i);
		if (!id)
			return err_set(d->e, -EINVAL, "%s #%zu: id 0 is reserved", what, i);
		if (u64map_put(&x->map, id, (uint32_t)i) != U64MAP_NONE)
			return err_set(d->e, -EINVAL, "%s id %" PRIu64 " appears more than once",
				       what, id);
	}
	return 0;
}

static uint32_t idx_get(const struct idx *x, uint64_t id)
{
	if (x->dense)
		return id >= 1 && id <= x->n ? (uint32_t)(id - 1) : U64MAP_NONE;
	return u64map_get(&x->map, id);
}

static void idx_release(struct idx *x)
{
	if (!x->dense)
		u64map_release(&x->map);
}

static uint64_t mapping_id(const struct pprof_profile *p, size_t i) { return p->mapping[i].id; }
static uint64_t location_id(const struct pprof_profile *p, size_t i) { return p->location[i].id; }
static uint64_t function_id(const struct pprof_profile *p, size_t i) { return p->function[i].id; }

static int resolve_locations(struct dec *d, const struct idx *maps, const struct idx *fns)
{
	struct pprof_profile *p = d->p;
	uint32_t i, k;

	for (i = 0; i < p->nlocation; i++) {
		struct pprof_location *l = &p->location[i];
		uint32_t m = d->loc_mapping_ids[i] ? idx_get(maps, d->loc_mapping_ids[i])
						   : U64MAP_NONE;
		/* An unknown mapping id means "no mapping", as in pprof. */
		l->mapping = m == U64MAP_NONE ? 0 : m + 1;
		for (k = 0; k < l->nline; k++) {
			uint64_t fid = d->line_fids.v[l->line_off + k];
			uint32_t fi = idx_get(fns, fid);
			if (fi == U64MAP_NONE)
				return err_set(d->e, -EINVAL,
					       "location id %" PRIu64 ": line %u: function id %" PRIu64 " not found",
					       l->id, k + 1, fid);
			p->line[l->line_off + k].function = fi;
		}
	}
	return 0;
}

static int resolve_samples(struct dec *d, const struct idx *locs)
{
	struct pprof_profile *p = d->p;
	size_t i, k;

	p->sample_loc = xmalloc((d->loc_ids.n + 1) * sizeof(uint32_t));
	p->cap_sample_loc = d->loc_ids.n + 1;
	p->nsample_loc = d->loc_ids.n;
	for (i = 0; i < p->nsample; i++) {
		const struct pprof_sample *s = &p->sample[i];
		for (k = s->loc_off; k < (size_t)s->loc_off + s->nloc; k++) {
			uint32_t li = idx_get(locs, d->loc_ids.v[k]);
			if (li == U64MAP_NONE)
				return err_set(d->e, -EINVAL, "sample %zu: location id %" PRIu64 " not found",
					       i, d->loc_ids.v[k]);
			p->sample_loc[k] = li;
		}
	}
	return 0;
}

static int resolve(struct dec *d)
{
	struct pprof_profile *p = d->p;
	struct idx maps, fns, locs;
	int rc;

	maps.dense = fns.dense = locs.dense = 1;
	if (p->nsample && !p->nsample_type)
		return err_set(d->e, -EINVAL, "missing sample type information");
	rc = idx_build(d, &maps, p->nmapping, mapping_id, "mapping");
	if (!rc)
		rc = idx_build(d, &fns, p->nfunction, function_id, "function");
	if (!rc)
		rc = idx_build(d, &locs, p->nlocation, location_id, "location");
	if (!rc)
		rc = resolve_locations(d, &maps, &fns);
	if (!rc)
		rc = resolve_samples(d, &locs);
	idx_release(&maps);
	idx_release(&fns);
	idx_release(&locs);
	return rc;
}

/* ---- entry point ---------------------------------------------------- */

static int decode_raw(struct dec *d, const uint8_t *b, size_t n)
{
	struct counts c = {0};
	int rc;

	if ((rc = pass1(d, b, n, &c)) < 0)
		return rc;
	alloc_tables(d, &c);
	if ((rc = check_strings(d)) < 0)
		return rc;
	if ((rc = pass2(d, b, n)) < 0)
		return rc;
	if ((rc = resolve(d)) < 0)
		return rc;
	d->p->value = (int64_t *)d->values.v;
	d->p->cap_value = d->values.cap;
	d->values.v = NULL;
	return 0;
}

static int take_bytes(const uint8_t *data, size_t len, const struct pprof_limits *lim,
		      uint8_t **owned, size_t *n, struct err *e)
{
	if (!len)
		return err_set(e, -ENODATA, "empty profile");
	if (len > lim->max_compressed)
		return err_set(e, -E2BIG, "profile of %zu bytes exceeds the limit of %zu",
			       len, lim->max_compressed);
	if (gz_is_gzip(data, len))
		return gz_inflate(data, len, lim->max_decompressed, owned, n, e);
	if (len > lim->max_decompressed)
		return err_set(e, -E2BIG, "profile of %zu bytes exceeds the limit of %zu",
			       len, lim->max_decompressed);
	*owned = xmalloc(len);
	memcpy(*owned, data, len);
	*n = len;
	return 0;
}

int pprof_decode(const uint8_t *data, size_t len, const struct pprof_limits *lim,
		 struct pprof_profile **out, struct err *e)
{
	struct dec d = {0};
	uint8_t *bytes = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	d.lim = lim ? lim : &pprof_default_limits;
	d.e = e;
	rc = take_bytes(data, len, d.lim, &bytes, &n, e);
	if (rc < 0)
		return rc;
	if (!n) {
		free(bytes);
		return err_set(e, -ENODATA, "empty profile");
	}
	d.p = xcalloc(1, sizeof(*d.p));
	d.p->backing = bytes;
	rc = decode_raw(&d, bytes, n);
	free(d.loc_ids.v);
	free(d.values.v);
	free(d.line_fids.v);
	free(d.loc_mapping_ids);
	if (rc < 0) {
		pprof_free(d.p);
		return rc;
	}
	*out = d.p;
	return 0;
}
