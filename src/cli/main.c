/* stackyard: one binary, a table of subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../server/server.h"
#include "cli.h"

#ifndef STACKYARD_VERSION
#define STACKYARD_VERSION "0.1.0-dev"
#endif

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("stackyard %s\n", STACKYARD_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{"server", server_main, "run the server: ingest, storage, query API"},
	{"pprof", cmd_pprof, "offline tools on pprof files: top, merge, convert"},
	{"push", cmd_push, "upload pprof files to a server"},
	{"query", cmd_query, "run a query on a server: top, folded, pprof, flame graph"},
	{"regress", cmd_regress, "which functions and call paths regressed: base vs target"},
	{"version", cmd_version, "print the version"},
	{"help", cmd_help, "show this help"},
	{NULL, NULL, NULL},
};

void cli_usage(FILE *f, const char *prog, const struct cli_cmd *cmds)
{
	const struct cli_cmd *c;

	fprintf(f, "usage: %s COMMAND [ARGS]\n\ncommands:\n", prog);
	for (c = cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n", prog);
}

const struct cli_cmd *cli_find(const struct cli_cmd *cmds, const char *name)
{
	const struct cli_cmd *c;

	for (c = cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("stackyard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Stackyard: continuous profiling.\n\n");
	cli_usage(stdout, "stackyard", commands);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		cli_usage(stderr, "stackyard", commands);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	c = cli_find(commands, argv[1]);
	if (!c) {
		cli_fail("unknown command '%s'; run 'stackyard --help'", argv[1]);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}
