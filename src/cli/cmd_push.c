/* stackyard push: upload local pprof files to a server's /ingest. */
#include <errno.h>
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
#include "cli.h"
#include "client.h"

#define NS_PER_SEC INT64_C(1000000000)
#define DEFAULT_DURATION (10 * NS_PER_SEC)
#define PROGRESS_ABOVE 5

static const char push_usage[] =
	"usage: stackyard push [--server URL] --name 'APP{k=v,...}' [--at T] FILE...\n"
	"\n"
	"Upload pprof files (gzipped or not) to a server, one POST /ingest each.\n"
	"Each file is decoded here first; a file that does not decode is reported\n"
	"and not sent, and the others are still pushed (exit status 1).\n"
	"\n"
	"  -s, --server URL  server (default $STACKYARD_SERVER, else " CLIENT_DEFAULT_SERVER ")\n"
	"  -N, --name NAME   application name and labels, e.g. 'api{env=prod}';\n"
	"                    the name becomes the series' service_name\n"
	"  -a, --at T        the profiles' time (Unix s/ms/us/ns, RFC 3339, now,\n"
	"                    now-15m ...). Default: each file's own time_nanos,\n"
	"                    else now. With several files, file i (counting from\n"
	"                    0, in the order given) is stored at T + i seconds, so\n"
	"                    that they do not collapse into one (series, time):\n"
	"                    the server stores one profile per series and time\n"
	"                    and keeps the first one sent.\n"
	"\n"
	"A profile covers [time, time + duration_nanos), or 10 s when the profile\n"
	"has no duration. Progress goes to standard error for more than 5 files.\n";

struct push_opts {
	const char *server, *name;
	int have_at;
	int64_t at;
};

struct push_stats {
	int ok, failed, total;
	uint64_t bytes;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * NS_PER_SEC + t.tv_nsec;
}

static int push_parse(int argc, char **argv, struct push_opts *o)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'N'},
		{"at", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct err e = {0};
	int c;

	while ((c = getopt_long(argc, argv, "s:N:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 'N': o->name = optarg; break;
		case 'a':
			if (time_parse(optarg, strlen(optarg), now_ns(), &o->at, &e) < 0)
				return cli_fail("--at: %s", e.msg) + 1;
			o->have_at = 1;
			break;
		case 'h': fputs(push_usage, stdout); return -1;
		default: fputs(push_usage, stderr); return 2;
		}
	}
	if (!o->name || !*o->name || optind >= argc) {
		if (!o->name || !*o->name)
			cli_fail("push: --name is required, e.g. --name 'api{env=prod}'");
		fputs(push_usage, stderr);
		return 2;
	}
	return 0;
}

/* "/ingest?name=...&from=NS&until=NS&format=pprof" for file i. */
static void ingest_path(const struct push_opts *o, const struct pprof_profile *p,
			int i, struct buf *path)
{
	int64_t from, dur = p->duration_nanos > 0 ? p->duration_nanos : DEFAULT_DURATION;

	if (o->have_at)
		from = o->at + (int64_t)i * NS_PER_SEC;
	else
		from = p->time_nanos > 0 ? p->time_nanos : now_ns();
	buf_puts(path, "/ingest?name=");
	client_put_escaped(path, o->name);
	buf_printf(path, "&from=%" PRId64 "&until=%" PRId64 "&format=pprof", from, from + dur);
}

/* Reads and decodes one file; on failure reports "FILE: why". */
static int load_file(const char *file, uint8_t **data, size_t *len,
		     struct pprof_profile **p)
{
	struct err e = {0};

	*p = NULL;
	if (file_read(file, pprof_default_limits.max_compressed, data, len, &e) < 0)
		return cli_fail("%s", e.msg);
	if (pprof_decode(*data, *len, NULL, p, &e) < 0) {
		free(*data);
		*data = NULL;
		return cli_fail("%s: %s", file, e.msg);
	}
	return 0;
}

/* 0 pushed, 1 this file failed, -1 the server is unreachable. */
static int push_one(struct client *c, const struct push_opts *o, const char *file,
		    int i, struct push_stats *st)
{
	struct client_reply r = {0, BUF_INIT};
	struct pprof_profile *p;
	struct buf path = BUF_INIT;
	struct err e = {0};
	uint8_t *data;
	size_t len;
	int rc;

	if (load_file(file, &data, &len, &p))
		return 1;
	ingest_path(o, p, i, &path);
	rc = client_post(c, (const char *)path.data, data, len, &r, &e);
	if (rc < 0 && !r.status)
		cli_fail("%s", e.msg);
	else if (rc < 0)
		cli_fail("%s: %s", file, e.msg);
	else
		st->bytes += len;
	pprof_free(p);
	free(data);
	buf_release(&path);
	buf_release(&r.body);
	return rc < 0 ? (r.status ? 1 : -1) : 0;
}

static void progress(const struct push_stats *st, int done, int end)
{
	static int tty = -1;
	int step = st->total / 10 ? st->total / 10 : 1;

	if (st->total <= PROGRESS_ABOVE)
		return;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (tty)
		fprintf(stderr, "\rpushed %d/%d%s", st->ok, st->total, end ? "\n" : "");
	else if (!end && (done % step == 0 || done == st->total))
		fprintf(stderr, "pushed %d/%d\n", st->ok, st->total);
}

static void summary(const struct push_stats *st, const char *server)
{
	double b = (double)st->bytes;

	if (b >= 1024.0 * 1024)
		printf("pushed %d profile%s (%.1f MB) to %s", st->ok, st->ok == 1 ? "" : "s",
		       b / (1024.0 * 1024), server);
	else
		printf("pushed %d profile%s (%.1f kB) to %s", st->ok, st->ok == 1 ? "" : "s",
		       b / 1024.0, server);
	if (st->failed)
		printf("; %d of %d failed", st->failed, st->total);
	putchar('\n');
	fflush(stdout);
}

static int push_run(const struct push_opts *o, char **files, int n)
{
	struct push_stats st = {0, 0, n, 0};
	struct client *c;
	struct err e = {0};
	int i, rc = 0;

	if (!(c = client_new(o->server, &e)))
		return cli_fail("%s", e.msg);
	for (i = 0; i < n && rc >= 0; i++) {
		if ((rc = push_one(c, o, files[i], i, &st)) == 0)
			st.ok++;
		else
			st.failed++;
		progress(&st, i + 1, 0);
	}
	progress(&st, i, 1);
	if (rc >= 0)
		summary(&st, client_server(c));
	client_free(c);
	return rc < 0 || st.failed ? 1 : 0;
}

int cmd_push(int argc, char **argv)
{
	struct push_opts o = {NULL, NULL, 0, 0};
	int rc = push_parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	o.server = client_default_server(o.server);
	return push_run(&o, argv + optind, argc - optind);
}
