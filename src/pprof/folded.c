#include "folded.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/intern.h"
#include "../base/xalloc.h"

struct fparse {
	struct pprof_profile *p;
	struct intern *stacks;      /* leaf-first location indices -> sample */
	uint32_t *loc_of_str;       /* string index -> location index + 1 */
	size_t cap_loc_of_str;
	uint32_t *locs;             /* current stack, root first */
	size_t cap_locs;
	size_t max_lines, max_depth;
};

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* The location for frame name [s, s+n), created on first sight. */
static uint32_t frame_loc(struct fparse *f, const char *s, size_t n)
{
	uint32_t str = pprof_intern(f->p, s, n), fn, loc;
	size_t old = f->cap_loc_of_str;

	if (str >= old) {
		XGROW(f->loc_of_str, f->cap_loc_of_str, (size_t)str + 1);
		memset(f->loc_of_str + old, 0, (f->cap_loc_of_str - old) * sizeof(uint32_t));
	}
	if (f->loc_of_str[str])
		return f->loc_of_str[str] - 1;
	fn = pprof_add_function(f->p);
	f->p->function[fn].name = str;
	f->p->function[fn].system_name = str;
	loc = pprof_add_location(f->p, 1);
	f->p->line[f->p->location[loc].line_off].function = fn;
	f->loc_of_str[str] = loc + 1;
	return loc;
}

static int parse_count(const uint8_t *s, size_t n, int64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > (uint64_t)INT64_MAX)
			return -1;
	}
	*out = (int64_t)v;
	return 0;
}

static int add_stack(struct fparse *f, const uint8_t *s, size_t n, int64_t v,
		     size_t lineno, struct err *e)
{
	size_t depth = 0, i, start = 0, half;
	uint32_t id;
	int is_new;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ';')
			continue;
		if (i == start)
			return err_set(e, -EINVAL, "line %zu: empty frame name", lineno);
		if (depth >= f->max_depth)
			return err_set(e, -E2BIG, "line %zu: more than %zu frames", lineno, f->max_depth);
		XGROW(f->locs, f->cap_locs, depth + 1);
		f->locs[depth++] = frame_loc(f, (const char *)s + start, i - start);
		start = i + 1;
	}
	/* pprof stacks are leaf first; folded lines are root first. */
	for (half = 0; half < depth / 2; half++) {
		uint32_t t = f->locs[half];
		f->locs[half] = f->locs[depth - 1 - half];
		f->locs[depth - 1 - half] = t;
	}
	id = intern_put(f->stacks, f->locs, depth * sizeof(uint32_t), &is_new);
	if (!is_new) {
		if (__builtin_add_overflow(f->p->value[id], v, &f->p->value[id]))
			return err_set(e, -EINVAL, "line %zu: the counts of this stack add up to "
				       "more than %lld", lineno, (long long)INT64_MAX);
		return 0;
	}
	if (f->p->nsample >= f->max_lines)
		return err_set(e, -E2BIG, "line %zu: more than %zu distinct stacks", lineno, f->max_lines);
	pprof_add_sample(f->p, f->locs, (uint32_t)depth, &v, 0);
	return 0;
}

static int parse_line(struct fparse *f, const uint8_t *s, size_t n, size_t lineno,
		      struct err *e)
{
	size_t sp;
	int64_t v;

	while (n && (is_space(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	while (n && is_space(*s)) {
		s++;
		n--;
	}
	if (!n)
		return 0;
	for (sp = n; sp > 0 && !is_space(s[sp - 1]); sp--)
		;
	if (!sp)
		return err_set(e, -EINVAL, "line %zu: no count after the stack", lineno);
	if (parse_count(s + sp, n - sp, &v) < 0)
		return err_set(e, -EINVAL, "line %zu: count is not a non-negative integer", lineno);
	while (sp && is_space(s[sp - 1]))
		sp--;
	if (!v)
		return 0;
	return add_stack(f, s, sp, v, lineno, e);
}

int folded_parse(const uint8_t *data, size_t len, const struct folded_opts *o,
		 struct pprof_profile **out, struct err *e)
{
	struct fparse f = {0};
	size_t pos = 0, lineno = 0;
	int rc = 0;

	*out = NULL;
	f.p = pprof_new();
	f.max_lines = o && o->max_lines ? o->max_lines : pprof_default_limits.max_samples;
	f.max_depth = o && o->max_depth ? o->max_depth : pprof_default_limits.max_stack_depth;
	f.stacks = intern_new(1024);
	pprof_add_sample_type(f.p, o && o->type ? o->type : "samples",
			      o && o->unit ? o->unit : "count");
	while (pos < len && rc == 0) {
		const uint8_t *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		rc = parse_line(&f, data + pos, end - pos, ++lineno, e);
		pos = end + 1;
	}
	intern_free(f.stacks);
	free(f.loc_of_str);
	free(f.locs);
	if (rc < 0) {
		pprof_free(f.p);
		return rc;
	}
	*out = f.p;
	return 0;
}
