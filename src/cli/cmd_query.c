/* stackyard query: run a query against a server and print or save it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/buf.h"
#include "../base/file.h"
#include "../pprof/decode.h"
#include "../query/selector.h"
#include "../query/top.h"
#include "cli.h"
#include "client.h"

static const char query_usage[] =
	"usage: stackyard query [--server URL] [--from T] [--until T]\n"
	"                       [--format top|folded|pprof|flamegraph] [-n N]\n"
	"                       [-o FILE] 'PROFILE_TYPE{matchers}'\n"
	"\n"
	"Merge the profiles a selector matches between two times on a server and\n"
	"print the result, e.g.\n"
	"  stackyard query 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\"}'\n"
	"\n"
	"  -s, --server URL   server (default $STACKYARD_SERVER, else " CLIENT_DEFAULT_SERVER ")\n"
	"  -f, --from T       start (default now-1h)\n"
	"  -u, --until T      end (default now)\n"
	"                     T: Unix s/ms/us/ns, RFC 3339, now, now-15m, now-2h ...\n"
	"  -F, --format F     top        table of functions as `go tool pprof -top` (default)\n"
	"                     folded     one 'root;...;leaf value' line per stack\n"
	"                     pprof      gzipped pprof; needs -o FILE when standard\n"
	"                                output is a terminal\n"
	"                     flamegraph flame graph JSON (Pyroscope's flamebearer)\n"
	"  -n, --nodes N      top: print at most N rows (default: all)\n"
	"  -o, --output FILE  write to FILE (atomically) instead of standard output\n";

enum { FMT_TOP, FMT_FOLDED, FMT_PPROF, FMT_FLAME };

struct query_opts {
	const char *server, *from, *until, *out, *selector;
	int format;
	size_t nodes;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int parse_format(const char *s)
{
	static const char *const names[] = {"top", "folded", "pprof", "flamegraph"};
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* A --from/--until value in Unix nanoseconds; fails with a usage error. */
static int parse_time(const char *opt, const char *s, int64_t now, int64_t *out)
{
	struct err e = {0};

	if (time_parse(s, strlen(s), now, out, &e) < 0)
		return cli_fail("%s: %s", opt, e.msg) + 1;
	return 0;
}

static int parse_nodes(const char *s, size_t *out)
{
	char *end;

	*out = strtoul(s, &end, 10);
	if (*end || !*s || *s == '-')
		return cli_fail("-n: '%s' is not a number", s) + 1;
	return 0;
}

static int query_parse(int argc, char **argv, struct query_opts *o)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"from", required_argument, NULL, 'f'},
		{"until", required_argument, NULL, 'u'},
		{"format", required_argument, NULL, 'F'},
		{"nodes", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:f:u:F:n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 'f': o->from = optarg; break;
		case 'u': o->until = optarg; break;
		case 'o': o->out = optarg; break;
		case 'F':
			if ((o->format = parse_format(optarg)) < 0)
				return cli_fail("--format: '%s' is not top, folded, pprof "
						"or flamegraph", optarg) + 1;
			break;
		case 'n':
			if (parse_nodes(optarg, &o->nodes))
				return 2;
			break;
		case 'h': fputs(query_usage, stdout); return -1;
		default: fputs(query_usage, stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		fputs(query_usage, stderr);
		return 2;
	}
	o->selector = argv[optind];
	return 0;
}

/* "/api/v1/query?query=...&from=NS&until=NS&format=..." */
static int query_path(const struct query_opts *o, struct buf *path)
{
	int64_t now = now_ns(), from, until;
	int rc;

	if ((rc = parse_time("--until", o->until, now, &until)) ||
	    (rc = parse_time("--from", o->from, now, &from)))
		return rc;
	buf_puts(path, "/api/v1/query?query=");
	client_put_escaped(path, o->selector);
	buf_printf(path, "&from=%" PRId64 "&until=%" PRId64 "&format=%s", from, until,
		   o->format == FMT_FLAME ? "flamegraph" :
		   o->format == FMT_FOLDED ? "folded" : "pprof");
	return 0;
}

/* The merged pprof the server sent, as pprof's top table. */
static int render_top(const struct buf *body, size_t nodes, struct buf *out)
{
	struct pprof_profile *p = NULL;
	struct top *t;
	struct buf unit = BUF_INIT;
	struct err e = {0};

	if (pprof_decode(body->data, body->len, NULL, &p, &e) < 0)
		return cli_fail("query: the server's pprof reply: %s", e.msg);
	if (p->nsample_type > 0)
		buf_append(&unit, p->str[p->sample_type[0].unit].ptr,
			   p->str[p->sample_type[0].unit].len);
	buf_putc(&unit, 0);
	if (!p->nsample)
		fputs("stackyard: query: no samples matched\n", stderr);
	t = top_new();
	if (p->nsample_type > 0)
		top_add_pprof(t, p, 0);
	top_write_text(t, (const char *)unit.data, nodes, out);
	top_free(t);
	pprof_free(p);
	buf_release(&unit);
	return 0;
}

static int write_result(const char *path, const struct buf *b)
{
	struct err e = {0};

	if (file_write_atomic(path, b->data ? b->data : (const uint8_t *)"", b->len, &e) < 0)
		return cli_fail("%s", e.msg);
	return 0;
}

static int query_output(const struct query_opts *o, const struct buf *body)
{
	const char *path = o->out ? o->out : "-";
	struct buf text = BUF_INIT;
	int rc;

	if (o->format != FMT_TOP)
		return write_result(path, body);
	rc = render_top(body, o->nodes, &text);
	if (!rc)
		rc = write_result(path, &text);
	buf_release(&text);
	return rc;
}

static int query_run(const struct query_opts *o)
{
	struct client_reply r = {0, BUF_INIT};
	struct buf path = BUF_INIT;
	struct client *c;
	struct err e = {0};
	int rc;

	if ((rc = query_path(o, &path)))
		return rc;
	if (!(c = client_new(o->server, &e))) {
		buf_release(&path);
		return cli_fail("%s", e.msg);
	}
	rc = client_get(c, (const char *)path.data, &r, &e);
	if (rc < 0 && r.status && strncmp(e.msg, "query: ", 7))
		rc = cli_fail("query: %s", e.msg);
	else if (rc < 0)
		rc = cli_fail("%s", e.msg);
	else
		rc = query_output(o, &r.body);
	client_free(c);
	buf_release(&r.body);
	buf_release(&path);
	return rc;
}

int cmd_query(int argc, char **argv)
{
	struct query_opts o = {NULL, "now-1h", "now", NULL, NULL, FMT_TOP, 0};
	int rc = query_parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	o.server = client_default_server(o.server);
	if (o.format == FMT_PPROF && (!o.out || !strcmp(o.out, "-")) && isatty(STDOUT_FILENO))
		return cli_fail("query: pprof output is binary; give -o FILE or "
				"redirect standard output") + 1;
	return query_run(&o);
}
