/* stackyard pprof: offline tools on pprof files (top, merge, convert). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/file.h"
#include "../pprof/decode.h"
#include "../pprof/encode.h"
#include "../pprof/folded.h"
#include "../pprof/merge.h"
#include "../query/flamegraph.h"
#include "../query/stacktree.h"
#include "../query/top.h"
#include "cli.h"
#include "loader.h"

static const char top_usage[] =
	"usage: stackyard pprof top [--sample-type TYPE] [-n N] [--json] FILE...\n"
	"\n"
	"Merge the profiles and print the functions with the highest flat value,\n"
	"with flat, flat%, sum%, cum and cum% as `go tool pprof -top` does.\n"
	"\n"
	"  -t, --sample-type TYPE  sample type by name (alloc_space) or index;\n"
	"                          default: default_sample_type, else the last\n"
	"  -n, --nodes N           print at most N rows (default: all)\n"
	"      --json              {\"total\", \"sample_type\", \"rows\": [{name, flat, cum}]}\n";

static const char merge_usage[] =
	"usage: stackyard pprof merge -o OUT FILE...\n"
	"\n"
	"Merge the profiles as pprof's profile.Merge does and write gzipped pprof\n"
	"to OUT ('-' for standard output). The profiles must have the same sample\n"
	"types and period type.\n";

static const char convert_usage[] =
	"usage: stackyard pprof convert --to pprof|folded|json [--from pprof|folded]\n"
	"                               [--sample-type TYPE] [-o OUT] FILE\n"
	"\n"
	"  --to pprof    gzipped pprof\n"
	"  --to folded   one 'root;...;leaf count' line per stack\n"
	"  --to json     flame graph in Pyroscope's flamebearer layout\n"
	"  --from        input format (default pprof; folded reads collapsed stacks)\n"
	"  -o OUT        output file (default standard output)\n";

/* Reads and decodes one file. On failure prints "stackyard: FILE: why". */
static int load(const char *path, int folded, struct pprof_profile **out)
{
	char *files[1] = {(char *)path};
	struct loader *l = loader_start(files, 1, folded, 1);
	struct err e = {0};
	int rc = loader_next(l, out, &e);

	loader_stop(l);
	return rc < 0 ? cli_fail("%s", e.msg) : 0;
}

/* The sample type index to use: --sample-type, else pprof's default. */
static int pick_index(const struct pprof_profile *p, const char *want,
		      const char *path)
{
	int vi = want ? pprof_find_sample_type(p, want) : pprof_default_index(p);

	if (vi < 0 && want)
		cli_fail("%s: no sample type '%s'", path, want);
	else if (vi < 0)
		cli_fail("%s: the profile has no sample types", path);
	return vi;
}

static const char *str0(const struct pprof_profile *p, uint32_t i, struct buf *b)
{
	buf_reset(b);
	buf_append(b, p->str[i].ptr, p->str[i].len);
	return (const char *)b->data;
}

static int write_out(const char *path, struct buf *b)
{
	struct err e = {0};

	if (file_write_atomic(path, b->data ? b->data : (const uint8_t *)"", b->len, &e) < 0)
		return cli_fail("%s", e.msg);
	return 0;
}

static int top_run(char **files, int n, const char *want, size_t limit, int json)
{
	struct loader *l = loader_start(files, n, 0, 0);
	struct pprof_profile *first = NULL, *p = NULL;
	struct top *t = top_new();
	struct buf out = BUF_INIT, ty = BUF_INIT, un = BUF_INIT;
	struct err e = {0};
	int i, vi = -1, rc = 1;

	for (i = 0; i < n; i++) {
		if (loader_next(l, &p, &e) < 0) {
			cli_fail("%s", e.msg);
			goto out;
		}
		if (!first) {
			first = p;
			if ((vi = pick_index(first, want, files[i])) < 0)
				goto out;
		} else if (pprof_compatible(first, p, &e) < 0) {
			cli_fail("%s: %s", files[i], e.msg);
			goto out;
		}
		top_add_pprof(t, p, vi);
		if (p != first)
			pprof_free(p);
		p = NULL;
	}
	str0(first, first->sample_type[vi].type, &ty);
	str0(first, first->sample_type[vi].unit, &un);
	if (json)
		top_write_json(t, (char *)ty.data, (char *)un.data, limit, &out);
	else
		top_write_text(t, (char *)un.data, limit, &out);
	rc = write_out("-", &out);
out:
	loader_stop(l);
	if (p != first)
		pprof_free(p);
	pprof_free(first);
	top_free(t);
	buf_release(&out);
	buf_release(&ty);
	buf_release(&un);
	return rc;
}

static int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{"sample-type", required_argument, NULL, 't'},
		{"nodes", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *want = NULL;
	size_t limit = 0;
	int json = 0, c;
	char *end;

	while ((c = getopt_long(argc, argv, "t:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': want = optarg; break;
		case 'n':
			limit = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_fail("-n: '%s' is not a number", optarg) + 1;
			break;
		case 'j': json = 1; break;
		case 'h': fputs(top_usage, stdout); return 0;
		default: fputs(top_usage, stderr); return 2;
		}
	}
	if (optind >= argc) {
		fputs(top_usage, stderr);
		return 2;
	}
	return top_run(argv + optind, argc - optind, want, limit, json);
}

static int encode_to(const struct pprof_profile *p, const char *path)
{
	struct err e = {0};
	struct buf b = BUF_INIT;
	uint8_t *data;
	size_t len;
	int rc;

	if (pprof_encode(p, &data, &len, &e) < 0)
		return cli_fail("%s", e.msg);
	b.data = data;
	b.len = b.cap = len;
	rc = write_out(path, &b);
	free(data);
	return rc;
}

static int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pprof_merger *pm = NULL;
	struct pprof_profile *p = NULL, *m = NULL;
	struct loader *l = NULL;
	const char *outp = NULL;
	struct err e = {0};
	int c, i, n, rc = 1;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': outp = optarg; break;
		case 'h': fputs(merge_usage, stdout); return 0;
		default: fputs(merge_usage, stderr); return 2;
		}
	}
	if (!outp || optind >= argc) {
		fputs(merge_usage, stderr);
		return 2;
	}
	n = argc - optind;
	l = loader_start(argv + optind, n, 0, 0);
	pm = pprof_merger_new();
	for (i = 0; i < n; i++) {
		if (loader_next(l, &p, &e) < 0) {
			cli_fail("%s", e.msg);
			goto out;
		}
		if (pprof_merger_add(pm, p, &e) < 0) {
			cli_fail("%s: %s", argv[optind + i], e.msg);
			goto out;
		}
		pprof_free(p);
		p = NULL;
	}
	rc = pprof_merger_finish(pm, &m, &e);
	pm = NULL;
	rc = rc < 0 ? cli_fail("%s", e.msg) : encode_to(m, outp);
out:
	loader_stop(l);
	pprof_merger_free(pm);
	pprof_free(p);
	pprof_free(m);
	return rc;
}

/* Renders p as folded text or flamebearer JSON into out. */
static int render_tree(const struct pprof_profile *p, int vi, int json, struct buf *out)
{
	struct stacktree *t = stacktree_new();
	struct buf ty = BUF_INIT, un = BUF_INIT;
	struct flamegraph_meta meta = {0};

	stacktree_add_pprof(t, p, vi);
	if (json) {
		meta.name = str0(p, p->sample_type[vi].type, &ty);
		meta.units = str0(p, p->sample_type[vi].unit, &un);
		flamegraph_write_json(t, &meta, out);
	} else {
		stacktree_write_folded(t, out);
	}
	stacktree_free(t);
	buf_release(&ty);
	buf_release(&un);
	return 0;
}

enum { FMT_PPROF, FMT_FOLDED, FMT_JSON };

static int parse_format(const char *s, int *out)
{
	static const struct { const char *name; int fmt; } fmts[] = {
		{"pprof", FMT_PPROF}, {"folded", FMT_FOLDED}, {"json", FMT_JSON},
		{"flamegraph", FMT_JSON},
	};
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		if (!strcmp(s, fmts[i].name)) {
			*out = fmts[i].fmt;
			return 0;
		}
	}
	return -1;
}

static int convert_run(const char *path, int from, int to, const char *want,
		       const char *outp)
{
	struct pprof_profile *p = NULL;
	struct buf out = BUF_INIT;
	int vi, rc = 1;

	if (load(path, from == FMT_FOLDED, &p))
		return 1;
	if (to == FMT_PPROF) {
		rc = encode_to(p, outp);
		goto done;
	}
	if ((vi = pick_index(p, want, path)) < 0)
		goto done;
	render_tree(p, vi, to == FMT_JSON, &out);
	rc = write_out(outp, &out);
done:
	pprof_free(p);
	buf_release(&out);
	return rc;
}

static int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 'T'},
		{"from", required_argument, NULL, 'F'},
		{"sample-type", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *want = NULL, *outp = "-";
	int c, to = -1, from = FMT_PPROF;

	while ((c = getopt_long(argc, argv, "t:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (parse_format(optarg, &to) < 0)
				return cli_fail("--to: unknown format '%s' (pprof, folded, json)", optarg) + 1;
			break;
		case 'F':
			if (parse_format(optarg, &from) < 0 || from == FMT_JSON)
				return cli_fail("--from: unknown format '%s' (pprof, folded)", optarg) + 1;
			break;
		case 't': want = optarg; break;
		case 'o': outp = optarg; break;
		case 'h': fputs(convert_usage, stdout); return 0;
		default: fputs(convert_usage, stderr); return 2;
		}
	}
	if (to < 0 || optind != argc - 1) {
		fputs(convert_usage, stderr);
		return 2;
	}
	return convert_run(argv[optind], from, to, want, outp);
}

static const struct cli_cmd pprof_cmds[] = {
	{"top", cmd_top, "top functions by flat and cum, like go tool pprof -top"},
	{"merge", cmd_merge, "merge profiles into one gzipped pprof"},
	{"convert", cmd_convert, "convert to pprof, folded stacks or flame graph JSON"},
	{NULL, NULL, NULL},
};

int cmd_pprof(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		cli_usage(stderr, "stackyard pprof", pprof_cmds);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_usage(stdout, "stackyard pprof", pprof_cmds);
		return 0;
	}
	c = cli_find(pprof_cmds, argv[1]);
	if (!c) {
		cli_fail("pprof: unknown command '%s'", argv[1]);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}
