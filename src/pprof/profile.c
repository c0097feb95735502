#include "profile.h"

#include <stdlib.h>
#include <string.h>

#include "../base/intern.h"
#include "../base/xalloc.h"

const struct pprof_limits pprof_default_limits = {
	.max_compressed = 256u << 20,
	.max_decompressed = 512u << 20,
	.max_samples = 8000000,
	.max_stack_depth = 4096,
	.max_string_bytes = 256u << 20,
	.max_labels = 256,
};

struct pprof_profile *pprof_new(void)
{
	struct pprof_profile *p = xcalloc(1, sizeof(*p));

	pprof_intern(p, "", 0);
	return p;
}

void pprof_free(struct pprof_profile *p)
{
	if (!p)
		return;
	free(p->str);
	free(p->sample_type);
	free(p->sample);
	free(p->sample_loc);
	free(p->value);
	free(p->label);
	free(p->mapping);
	free(p->location);
	free(p->line);
	free(p->function);
	free(p->comment);
	free(p->backing);
	free(p->stridx);
	intern_free(p->strtab);
	free(p);
}

/* A decoded profile has no dedup table yet: build it from str[] the first
 * time someone adds a string, so decoded and built profiles behave alike.
 * A decoded table may hold duplicates; stridx maps each intern id to the
 * first str[] index holding those bytes. */
static void strtab_ensure(struct pprof_profile *p)
{
	uint32_t i, id;
	int is_new;

	if (p->strtab)
		return;
	p->strtab = intern_new(p->nstr + 16);
	for (i = 0; i < p->nstr; i++) {
		id = intern_put(p->strtab, p->str[i].ptr, p->str[i].len, &is_new);
		if (is_new) {
			XGROW(p->stridx, p->cap_stridx, (size_t)id + 1);
			p->stridx[id] = i;
		}
	}
}

uint32_t pprof_intern(struct pprof_profile *p, const char *s, size_t len)
{
	uint32_t id;
	int is_new;

	strtab_ensure(p);
	id = intern_put(p->strtab, s, len, &is_new);
	if (!is_new)
		return p->stridx[id];
	XGROW(p->str, p->cap_str, (size_t)p->nstr + 1);
	XGROW(p->stridx, p->cap_stridx, (size_t)id + 1);
	/* Point at the interned copy: it lives as long as the profile. */
	p->str[p->nstr].ptr = intern_key(p->strtab, id, NULL);
	p->str[p->nstr].len = (uint32_t)len;
	p->stridx[id] = p->nstr;
	return p->nstr++;
}

uint32_t pprof_intern_cstr(struct pprof_profile *p, const char *s)
{
	return pprof_intern(p, s, strlen(s));
}

uint32_t pprof_add_sample_type(struct pprof_profile *p, const char *type,
			       const char *unit)
{
	XGROW(p->sample_type, p->cap_sample_type, (size_t)p->nsample_type + 1);
	p->sample_type[p->nsample_type].type = pprof_intern_cstr(p, type);
	p->sample_type[p->nsample_type].unit = pprof_intern_cstr(p, unit);
	return p->nsample_type++;
}

uint32_t pprof_add_mapping(struct pprof_profile *p)
{
	XGROW(p->mapping, p->cap_mapping, (size_t)p->nmapping + 1);
	memset(&p->mapping[p->nmapping], 0, sizeof(p->mapping[0]));
	p->mapping[p->nmapping].id = (uint64_t)p->nmapping + 1;
	return p->nmapping++;
}

uint32_t pprof_add_function(struct pprof_profile *p)
{
	XGROW(p->function, p->cap_function, (size_t)p->nfunction + 1);
	memset(&p->function[p->nfunction], 0, sizeof(p->function[0]));
	p->function[p->nfunction].id = (uint64_t)p->nfunction + 1;
	return p->nfunction++;
}

uint32_t pprof_add_location(struct pprof_profile *p, uint32_t nline)
{
	struct pprof_location *l;

	XGROW(p->location, p->cap_location, (size_t)p->nlocation + 1);
	XGROW(p->line, p->cap_line, p->nline + nline);
	l = &p->location[p->nlocation];
	memset(l, 0, sizeof(*l));
	l->id = (uint64_t)p->nlocation + 1;
	l->line_off = (uint32_t)p->nline;
	l->nline = nline;
	if (nline)
		memset(&p->line[p->nline], 0, nline * sizeof(p->line[0]));
	p->nline += nline;
	return p->nlocation++;
}

size_t pprof_add_sample(struct pprof_profile *p, const uint32_t *locs,
			uint32_t nloc, const int64_t *values, uint32_t nlabel)
{
	struct pprof_sample *s;
	size_t nv = p->nsample_type;

	XGROW(p->sample, p->cap_sample, p->nsample + 1);
	XGROW(p->sample_loc, p->cap_sample_loc, p->nsample_loc + nloc);
	XGROW(p->value, p->cap_value, (p->nsample + 1) * nv);
	XGROW(p->label, p->cap_label, p->nlabel + nlabel);
	s = &p->sample[p->nsample];
	s->loc_off = (uint32_t)p->nsample_loc;
	s->nloc = nloc;
	s->label_off = (uint32_t)p->nlabel;
	s->nlabel = nlabel;
	if (nloc)
		memcpy(&p->sample_loc[p->nsample_loc], locs, nloc * sizeof(*locs));
	p->nsample_loc += nloc;
	if (nv)
		memcpy(&p->value[p->nsample * nv], values, nv * sizeof(*values));
	if (nlabel)
		memset(&p->label[p->nlabel], 0, nlabel * sizeof(p->label[0]));
	p->nlabel += nlabel;
	return p->nsample++;
}

void pprof_add_comment(struct pprof_profile *p, uint32_t str)
{
	XGROW(p->comment, p->cap_comment, (size_t)p->ncomment + 1);
	p->comment[p->ncomment++] = str;
}

static int str_eq(const struct pprof_profile *p, uint32_t i, const char *s)
{
	size_t n = strlen(s);

	return p->str[i].len == n && !memcmp(p->str[i].ptr, s, n);
}

int pprof_default_index(const struct pprof_profile *p)
{
	uint32_t i;

	if (!p->nsample_type)
		return -1;
	if (p->default_sample_type) {
		struct pprof_str d = p->str[p->default_sample_type];
		for (i = 0; i < p->nsample_type; i++) {
			struct pprof_str t = p->str[p->sample_type[i].type];
			if (t.len == d.len && !memcmp(t.ptr, d.ptr, d.len))
				return (int)i;
		}
	}
	return (int)p->nsample_type - 1;
}

int pprof_find_sample_type(const struct pprof_profile *p, const char *name)
{
	uint32_t i;
	char *end;
	long v;

	for (i = 0; i < p->nsample_type; i++)
		if (str_eq(p, p->sample_type[i].type, name))
			return (int)i;
	if (*name >= '0' && *name <= '9') {
		v = strtol(name, &end, 10);
		if (!*end && v >= 0 && v < (long)p->nsample_type)
			return (int)v;
	}
	return -1;
}
