/* cli: the stackyard command line.
 *
 * main() dispatches argv[1] through a table of commands; each command is
 * `int cmd_NAME(int argc, char **argv)` with argv[0] the command name, and
 * returns the process exit status: 0 success, 1 failure (one line on
 * stderr saying what and where), 2 usage error. */
#ifndef STACKYARD_CLI_CLI_H
#define STACKYARD_CLI_CLI_H

#include <stdio.h>

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Prints "usage:" lines for a command table. */
void cli_usage(FILE *f, const char *prog, const struct cli_cmd *cmds);

/* Looks name up in cmds (NULL-terminated by name); NULL if absent. */
const struct cli_cmd *cli_find(const struct cli_cmd *cmds, const char *name);

/* Reports "stackyard: <msg>" on stderr and returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_pprof(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_regress(int argc, char **argv);

#endif
