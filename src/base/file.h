/* file: whole-file reading and crash-safe writing. */
#ifndef STACKYARD_BASE_FILE_H
#define STACKYARD_BASE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Read all of path ("-" is standard input) into *data (caller frees with
 * free()). Fails with -EFBIG when the file is larger than max bytes. */
int file_read(const char *path, size_t max, uint8_t **data, size_t *len,
	      struct err *e);
/* As file_read, for a path that must be a regular file (-EINVAL "not a
 * regular file" otherwise): for files others can replace, where a FIFO
 * would block open() and read() for ever. Not "-". */
int file_read_regular(const char *path, size_t max, uint8_t **data, size_t *len,
		      struct err *e);
/* The same from an open fd (left open); path names it in errors. */
int file_read_fd(int fd, const char *path, size_t max, uint8_t **data, size_t *len,
		 struct err *e);

/* Write len bytes to path atomically: a temporary file beside it, fsync,
 * rename, fsync of the directory. On failure path is untouched. "-" writes
 * to standard output. */
int file_write_atomic(const char *path, const void *data, size_t len,
		      struct err *e);

#endif
