/* Dispatch to the backend: the SQLite VFS pattern, thin and boring. */
#include "store.h"

#include <errno.h>

#define OPS(s) (((struct store_base *)(s))->ops)

int store_open(const struct store_ops *ops, const struct store_config *cfg,
	       struct store **out, struct err *e)
{
	return ops->open(cfg, out, e);
}

void store_close(struct store *s)
{
	if (s)
		OPS(s)->close(s);
}

int store_append(struct store *s, const struct store_profile *ps, size_t n, struct err *e)
{
	return OPS(s)->append(s, ps, n, e);
}

int store_series(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		 store_series_cb cb, void *ctx, struct err *e)
{
	return OPS(s)->series(s, sel, from, until, cb, ctx, e);
}

int store_label_names(struct store *s, const struct selector *sel, int64_t from,
		      int64_t until, store_string_cb cb, void *ctx, struct err *e)
{
	return OPS(s)->label_names(s, sel, from, until, cb, ctx, e);
}

int store_label_values(struct store *s, const char *name, const struct selector *sel,
		       int64_t from, int64_t until, store_string_cb cb, void *ctx,
		       struct err *e)
{
	return OPS(s)->label_values(s, name, sel, from, until, cb, ctx, e);
}

int store_profile_types(struct store *s, int64_t from, int64_t until,
			store_string_cb cb, void *ctx, struct err *e)
{
	return OPS(s)->profile_types(s, from, until, cb, ctx, e);
}

int store_merge(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		struct stacktree *out, struct err *e)
{
	if (!sel || !sel->profile_type)
		return err_set(e, -EINVAL, "merge needs a profile type, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}");
	return OPS(s)->merge(s, sel, from, until, out, e);
}

int store_merge_pprof(struct store *s, const struct selector *sel, int64_t from,
		      int64_t until, struct pprof_profile **out, struct err *e)
{
	*out = NULL;
	if (!sel || !sel->profile_type)
		return err_set(e, -EINVAL, "merge needs a profile type, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}");
	if (!OPS(s)->merge_pprof)
		return err_set(e, -ENOTSUP, "the %s store cannot merge to pprof", OPS(s)->name);
	return OPS(s)->merge_pprof(s, sel, from, until, out, e);
}

int store_range(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		int64_t step, const char *group_by, store_range_cb cb, void *ctx,
		struct err *e)
{
	if (step <= 0 || until <= from)
		return err_set(e, -EINVAL, "range needs from < until and a positive step");
	if ((until - from) / step > 100000)
		return err_set(e, -E2BIG, "range of %lld steps exceeds the limit of 100000",
			       (long long)((until - from) / step));
	return OPS(s)->range(s, sel, from, until, step, group_by, cb, ctx, e);
}

int store_maintain(struct store *s, int64_t now, struct err *e)
{
	return OPS(s)->maintain(s, now, e);
}

int store_stats(struct store *s, struct store_stats *st, struct err *e)
{
	return OPS(s)->stats(s, st, e);
}

int store_profiles(struct store *s, const struct selector *sel, int64_t from, int64_t until,
		   struct stacktree *paths, store_profile_cb cb, void *ctx, struct err *e)
{
	if (!sel || !sel->profile_type)
		return err_set(e, -EINVAL, "profiles needs a profile type, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}");
	if (!OPS(s)->profiles)
		return err_set(e, -ENOTSUP, "the %s store cannot list single profiles", OPS(s)->name);
	return OPS(s)->profiles(s, sel, from, until, paths, cb, ctx, e);
}
