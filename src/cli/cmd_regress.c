/* stackyard regress: which functions and call paths changed their share of
 * the cost between a base and a target, from a server or from files.
 * Exit status: 0 nothing regressed beyond the threshold, 1 something did,
 * 2 an error (bad usage, unreachable server, too few profiles ...). */
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/xalloc.h"
#include "../ingest/normalize.h"
#include "../query/regress.h"
#include "../query/regress_report.h"
#include "cli.h"
#include "client.h"
#include "loader.h"

static const char regress_usage[] =
	"usage: stackyard regress [--server URL] --base SEL --target SEL\n"
	"                         [--base-from T] [--base-until T] [--from T] [--until T]\n"
	"                         [--threshold 1%] [--confidence 0.99]\n"
	"                         [--format table|json|markdown] [-n ROWS]\n"
	"       stackyard regress --base-files A.pb.gz... --target-files B.pb.gz...\n"
	"                         [--sample-type TYPE] [options as above]\n"
	"\n"
	"Rank the functions and call paths whose share of the cost changed between\n"
	"a base and a target, with a verdict (regression, improvement, noise) at the\n"
	"confidence, from the spread between individual profiles (docs/REGRESS.md).\n"
	"\n"
	"  -s, --server URL      server (default $STACKYARD_SERVER, else " CLIENT_DEFAULT_SERVER ")\n"
	"      --base SEL        base profiles, e.g. 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{version=\"1\"}'\n"
	"      --target SEL      target profiles, the same profile type\n"
	"      --from/--until T  target range (default now-1h .. now)\n"
	"      --base-from/--base-until T  base range (default: the target's)\n"
	"                        T: Unix s/ms/us/ns, RFC 3339, now, now-15m ...\n"
	"      --base-files F... base pprof files (shell globs, or quoted globs)\n"
	"      --target-files F... target pprof files; one file is one profile\n"
	"  -t, --sample-type T   files: sample type by name or index (default: pprof's)\n"
	"      --threshold X     share change that matters, in points of the total:\n"
	"                        5% or 0.05 (default 1%)\n"
	"      --confidence C    family-wise confidence, 0.99 or 99% (default 0.99)\n"
	"  -F, --format F        table (default), json, markdown (for a PR comment)\n"
	"  -n, --rows N          rows per list (default 20; 0 = all)\n"
	"\n"
	"Exit status: 0 no function regressed beyond the threshold at the confidence,\n"
	"1 some function did, 2 error (including too few profiles to judge).\n";

enum { FMT_TABLE, FMT_JSON, FMT_MARKDOWN };

struct ropts {
	const char *server, *base, *target, *base_from, *base_until, *from, *until;
	const char *threshold, *confidence, *sample_type, *format_s, *rows_s;
	char **files[2];
	int nfiles[2];
	int format;
	size_t rows;
	int help;
};

/* The options: a string value stored at `off`, or a list of files. */
enum { OPT_STR, OPT_FILES, OPT_HELP };

static const struct ropt {
	const char *name;
	char shrt;
	int kind;
	size_t off;   /* OPT_STR: offset of the string; OPT_FILES: side */
} ropts_table[] = {
	{"server", 's', OPT_STR, offsetof(struct ropts, server)},
	{"base", 0, OPT_STR, offsetof(struct ropts, base)},
	{"target", 0, OPT_STR, offsetof(struct ropts, target)},
	{"base-from", 0, OPT_STR, offsetof(struct ropts, base_from)},
	{"base-until", 0, OPT_STR, offsetof(struct ropts, base_until)},
	{"from", 'f', OPT_STR, offsetof(struct ropts, from)},
	{"until", 'u', OPT_STR, offsetof(struct ropts, until)},
	{"threshold", 0, OPT_STR, offsetof(struct ropts, threshold)},
	{"confidence", 0, OPT_STR, offsetof(struct ropts, confidence)},
	{"sample-type", 't', OPT_STR, offsetof(struct ropts, sample_type)},
	{"format", 'F', OPT_STR, offsetof(struct ropts, format_s)},
	{"rows", 'n', OPT_STR, offsetof(struct ropts, rows_s)},
	{"base-files", 0, OPT_FILES, 0},
	{"target-files", 0, OPT_FILES, 1},
	{"help", 'h', OPT_HELP, 0},
};

#define NOPTS (sizeof(ropts_table) / sizeof(ropts_table[0]))

static const struct ropt *find_opt(const char *arg, const char **inline_val)
{
	size_t i, len;

	*inline_val = NULL;
	if (arg[0] == '-' && arg[1] && arg[1] != '-' && !arg[2]) {
		for (i = 0; i < NOPTS; i++)
			if (ropts_table[i].shrt == arg[1])
				return &ropts_table[i];
		return NULL;
	}
	if (strncmp(arg, "--", 2))
		return NULL;
	arg += 2;
	len = strcspn(arg, "=");
	for (i = 0; i < NOPTS; i++) {
		if (strlen(ropts_table[i].name) == len && !strncmp(ropts_table[i].name, arg, len)) {
			*inline_val = arg[len] == '=' ? arg + len + 1 : NULL;
			return &ropts_table[i];
		}
	}
	return NULL;
}

static void add_file(struct ropts *o, int side, const char *f)
{
	o->files[side] = xrealloc(o->files[side], ((size_t)o->nfiles[side] + 2) * sizeof(char *));
	o->files[side][o->nfiles[side]++] = xstrdup(f);
	o->files[side][o->nfiles[side]] = NULL;
}

/* A file argument; one the shell left unexpanded ("A*.pb.gz") is globbed. */
static int add_files(struct ropts *o, int side, const char *arg)
{
	glob_t g;
	size_t i;

	if (!strpbrk(arg, "*?[")) {
		add_file(o, side, arg);
		return 0;
	}
	if (glob(arg, 0, NULL, &g) != 0)
		return cli_fail("regress: no files match '%s'", arg) + 1;
	for (i = 0; i < g.gl_pathc; i++)
		add_file(o, side, g.gl_pathv[i]);
	globfree(&g);
	return 0;
}

/* Files run until the next option. */
static int take_files(struct ropts *o, int side, int argc, char **argv, int *i, const char *first)
{
	int rc = first ? add_files(o, side, first) : 0;

	while (!rc && *i + 1 < argc && argv[*i + 1][0] != '-')
		rc = add_files(o, side, argv[++*i]);
	return rc;
}

static int parse_args(int argc, char **argv, struct ropts *o)
{
	int i, rc = 0;

	for (i = 1; i < argc && !rc; i++) {
		const char *val;
		const struct ropt *op = find_opt(argv[i], &val);
		if (!op) {
			cli_fail("regress: unknown argument '%s'", argv[i]);
			fputs(regress_usage, stderr);
			return 2;
		}
		if (op->kind == OPT_HELP) {
			o->help = 1;
			return 0;
		}
		if (op->kind == OPT_FILES) {
			rc = take_files(o, (int)op->off, argc, argv, &i, val);
			continue;
		}
		if (!val && i + 1 >= argc)
			return cli_fail("regress: --%s needs a value", op->name) + 1;
		*(const char **)((char *)o + op->off) = val ? val : argv[++i];
	}
	return rc;
}

static int check_args(struct ropts *o, struct regress_opts *ro)
{
	static const char *const fmts[] = {"table", "json", "markdown"};
	struct err e = {0};
	char *end;
	int files = o->nfiles[0] || o->nfiles[1], sel = o->base || o->target;

	if (files == sel || (files && (!o->nfiles[0] || !o->nfiles[1])) ||
	    (sel && (!o->base || !o->target)))
		return cli_fail("regress: give --base and --target (server), or --base-files and "
				"--target-files (offline)") + 1;
	for (o->format = 0; o->format_s && o->format < 3 && strcmp(o->format_s, fmts[o->format]);
	     o->format++)
		;
	if (o->format == 3)
		return cli_fail("regress: --format: '%s' is not table, json or markdown",
				o->format_s) + 1;
	o->rows = 20;
	if (o->rows_s) {
		o->rows = strtoul(o->rows_s, &end, 10);
		if (*end || !*o->rows_s || *o->rows_s == '-')
			return cli_fail("regress: --rows: '%s' is not a number", o->rows_s) + 1;
	}
	ro->threshold = 0.01;
	ro->confidence = 0.99;
	if ((o->threshold && regress_parse_threshold(o->threshold, &ro->threshold, &e) < 0) ||
	    (o->confidence && regress_parse_confidence(o->confidence, &ro->confidence, &e) < 0))
		return cli_fail("regress: %s", e.msg) + 1;
	return 0;
}

/* ---- offline: files --------------------------------------------------------- */

/* "name:type:unit:period_type:period_unit" of sample type vi. */
static void type_id(const struct pprof_profile *p, int vi, struct buf *out)
{
	struct pprof_str a = p->str[p->sample_type[vi].type], b = p->str[p->sample_type[vi].unit];
	struct pprof_str c = p->str[p->period_type.type], d = p->str[p->period_type.unit];

	buf_reset(out);
	buf_printf(out, "%s:%.*s:%.*s:%.*s:%.*s", normalize_profile_name(p, vi), (int)a.len, a.ptr,
		   (int)b.len, b.ptr, (int)c.len, c.ptr, (int)d.len, d.ptr);
}

/* The type of every profile must be the first one's (first_file's). */
static int same_type(const struct pprof_profile *p, int vi, const char *file, struct buf *first,
		     const char **first_file, struct buf *tmp)
{
	type_id(p, vi, tmp);
	if (!*first_file) {
		buf_reset(first);
		buf_append(first, tmp->data, tmp->len);
		*first_file = file;
		return 0;
	}
	if (strcmp((const char *)first->data, (const char *)tmp->data))
		return cli_fail("regress: incompatible profile types: %s is %s, %s is %s", *first_file,
				(const char *)first->data, file, (const char *)tmp->data) + 1;
	return 0;
}

struct offline {
	struct regress *r;
	struct buf type, tmp;
	const char *type_file;
	const char *want;
};

static int load_side(struct offline *off, struct ropts *o, int side)
{
	struct loader *l = loader_start(o->files[side], o->nfiles[side], 0, 0);
	struct pprof_profile *p;
	struct err e = {0};
	int i, rc = 0;

	for (i = 0; !rc && i < o->nfiles[side]; i++) {
		const char *file = o->files[side][i];
		int vi;
		if (loader_next(l, &p, &e) < 0) {
			rc = cli_fail("regress: %s", e.msg) + 1;
			break;
		}
		vi = off->want ? pprof_find_sample_type(p, off->want) : pprof_default_index(p);
		if (vi < 0)
			rc = cli_fail("regress: %s: no sample type '%s'", file,
				      off->want ? off->want : "(none)") + 1;
		rc = rc ? rc : same_type(p, vi, file, &off->type, &off->type_file, &off->tmp);
		if (!rc) {
			struct stacktree *t = stacktree_new();
			stacktree_add_pprof(t, p, vi);
			regress_add_tree(off->r, side, t);
			stacktree_free(t);
		}
		pprof_free(p);
	}
	loader_stop(l);
	return rc;
}

static int run_files(struct ropts *o, struct regress_opts *ro, struct regress_report **rep)
{
	struct offline off = {regress_new(), BUF_INIT, BUF_INIT, NULL, o->sample_type};
	struct err e = {0};
	int rc = load_side(&off, o, REGRESS_BASE);

	rc = rc ? rc : load_side(&off, o, REGRESS_TARGET);
	if (!rc) {
		ro->profile_type = (const char *)off.type.data;
		if (regress_report(off.r, ro, rep, &e) < 0)
			rc = cli_fail("regress: %s", e.msg) + 1;
	}
	regress_free(off.r);
	buf_release(&off.type);
	buf_release(&off.tmp);
	return rc;
}

/* ---- server ------------------------------------------------------------------- */

static void put_arg(struct buf *b, const char *name, const char *v)
{
	if (!v)
		return;
	buf_printf(b, "&%s=", name);
	client_put_escaped(b, v);
}

static int run_server(struct ropts *o, const struct regress_opts *ro, struct buf *json)
{
	struct client_reply r = {0, BUF_INIT};
	struct buf path = BUF_INIT;
	struct err e = {0};
	struct client *c = client_new(client_default_server(o->server), &e);
	int rc = 0;

	if (!c)
		return cli_fail("regress: %s", e.msg) + 1;
	buf_puts(&path, "/api/v1/regress?format=json");
	put_arg(&path, "base", o->base);
	put_arg(&path, "target", o->target);
	put_arg(&path, "base_from", o->base_from);
	put_arg(&path, "base_until", o->base_until);
	put_arg(&path, "from", o->from);
	put_arg(&path, "until", o->until);
	buf_printf(&path, "&threshold=%.17g&confidence=%.17g&limit=%zu", ro->threshold,
		   ro->confidence, o->format == FMT_JSON ? (size_t)0 : o->rows);
	if (client_get(c, (const char *)path.data, &r, &e) < 0)
		rc = cli_fail("regress: %s", e.msg) + 1;
	else
		buf_append(json, r.body.data, r.body.len);
	client_free(c);
	buf_release(&r.body);
	buf_release(&path);
	return rc;
}

static int emit(const struct ropts *o, const struct regress_report *rep)
{
	struct buf out = BUF_INIT;

	if (o->format == FMT_JSON)
		regress_write_json(rep, &out);
	else if (o->format == FMT_MARKDOWN)
		regress_write_markdown(rep, o->rows, &out);
	else
		regress_write_text(rep, o->rows, &out);
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	if (fflush(stdout) != 0)
		return cli_fail("regress: writing the report failed") + 1;
	return rep->regressions ? 1 : 0;
}

static void ropts_release(struct ropts *o)
{
	int s, i;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < o->nfiles[s]; i++)
			free(o->files[s][i]);
		free(o->files[s]);
	}
}

int cmd_regress(int argc, char **argv)
{
	struct ropts o;
	struct regress_opts ro = {0.99, 0.01, 0, NULL};
	struct regress_report *rep = NULL;
	struct buf json = BUF_INIT;
	struct err e = {0};
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_args(argc, argv, &o);
	if (!rc && o.help) {
		fputs(regress_usage, stdout);
		ropts_release(&o);
		return 0;
	}
	rc = rc ? rc : check_args(&o, &ro);
	if (!rc && o.nfiles[0]) {
		rc = run_files(&o, &ro, &rep);
	} else if (!rc) {
		rc = run_server(&o, &ro, &json);
		if (!rc && regress_read_json((const char *)json.data, json.len, &rep, &e) < 0)
			rc = cli_fail("regress: %s", e.msg) + 1;
	}
	if (!rc)
		rc = emit(&o, rep);
	regress_report_free(rep);
	buf_release(&json);
	ropts_release(&o);
	return rc;
}
