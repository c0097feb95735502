/* agenttest: helpers for the agent's tests that build and run real
 * programs (gcc, g++, rustc, Debian's Go) and read tool output (nm,
 * addr2line, go tool addr2line) as the oracle.
 *
 * Header-only, static functions; a test file uses what it needs. */
#ifndef STACKYARD_TESTS_AGENTTEST_H
#define STACKYARD_TESTS_AGENTTEST_H

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/buf.h"
#include "../../src/base/file.h"
#include "../../src/base/xalloc.h"

static inline __attribute__((format(printf, 1, 2))) char *at_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* Run a shell command; returns its exit status (-1 if it did not exit). */
static inline __attribute__((format(printf, 1, 2))) int at_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	st = system(cmd);
	if (st != 0)
		fprintf(stderr, "command failed (%d): %s\n", st, cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run a command and return its standard output (caller frees). */
static inline __attribute__((format(printf, 1, 2))) char *at_capture(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	char *cmd = NULL, chunk[65536];
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		abort();
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	pclose(f);
	free(cmd);
	buf_putc(&b, '\0');
	return (char *)buf_detach(&b, &n);
}

/* A fresh scratch directory (caller removes it with at_rmdir). */
static inline char *at_tmpdir(void)
{
	char *d = xstrdup("/tmp/stackyard-agent-test.XXXXXX");

	if (!mkdtemp(d))
		abort();
	return d;
}

static inline void at_rmdir(char *d)
{
	if (d)
		at_sh("rm -rf '%s'", d);
	free(d);
}

/* A child process with its stdin and stdout on pipes. */
struct at_child {
	pid_t pid;
	int in;    /* write end: the child's stdin */
	FILE *out; /* the child's stdout */
};

static inline int at_spawn(struct at_child *c, char *const argv[])
{
	int pin[2], pout[2];

	memset(c, 0, sizeof(*c));
	c->in = -1;

	if (pipe(pin) || pipe(pout))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	c->in = pin[1];
	c->out = fdopen(pout[0], "r");
	return c->out ? 0 : -1;
}

/* Read the child's output up to a line "ready" (excluded). */
static inline char *at_read_until_ready(struct at_child *c)
{
	struct buf b = BUF_INIT;
	char line[8192];
	size_t n;

	while (fgets(line, sizeof(line), c->out)) {
		if (!strcmp(line, "ready\n"))
			break;
		buf_puts(&b, line);
	}
	buf_putc(&b, '\0');
	return (char *)buf_detach(&b, &n);
}

/* Let the child finish (it exits on stdin EOF) and reap it. */
static inline void at_finish(struct at_child *c)
{
	int st;

	close(c->in);
	fclose(c->out);
	if (waitpid(c->pid, &st, 0) < 0 || !WIFEXITED(st))
		kill(c->pid, SIGKILL);
}

/* Is the program on PATH? */
static inline int at_have(const char *prog)
{
	char *out = at_capture("command -v %s 2>/dev/null", prog);
	int ok = out[0] != '\0';

	free(out);
	return ok;
}

/* Copy src to dst, patched as an ELF64 file by fn (which may fail: -1). */
static inline int at_patch_elf(const char *src, const char *dst,
			       int (*fn)(uint8_t *img, size_t len))
{
	uint8_t *img = NULL;
	size_t len = 0;
	int rc = file_read(src, 1u << 30, &img, &len, NULL);

	if (!rc)
		rc = len < sizeof(Elf64_Ehdr) ? -1 : fn(img, len);
	if (!rc)
		rc = file_write_atomic(dst, img, len, NULL);
	free(img);
	return rc ? -1 : 0;
}

/* Patches: drop the section headers (as section-stripping tools do), so
 * the pclntab has to be found by a scan of the segments. */
static inline int at_drop_sections(uint8_t *img, size_t len)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;

	(void)len;
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = 0;
	return 0;
}

/* Rename .data.rel.ro.gopclntab to .gopclntab (a suffix of the same
 * string), so that Go 1.19's `go tool addr2line`, which only looks for the
 * latter, can serve as the oracle for PIE binaries too. */
static inline int at_rename_pclntab(uint8_t *img, size_t len)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	const char *want = ".data.rel.ro.gopclntab";
	Elf64_Shdr *sh, *str;
	size_t i;

	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > len ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -1;
	sh = (Elf64_Shdr *)(img + eh->e_shoff);
	str = &sh[eh->e_shstrndx];
	for (i = 0; i < eh->e_shnum; i++) {
		uint64_t at = str->sh_offset + sh[i].sh_name;

		if (at + strlen(want) + 1 <= len && !strcmp((char *)img + at, want)) {
			sh[i].sh_name += 12; /* ".data.rel.ro" */
			return 0;
		}
	}
	return -1;
}

#endif
