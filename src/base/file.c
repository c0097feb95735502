#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "xalloc.h"

int file_read(const char *path, size_t max, uint8_t **data, size_t *len,
	      struct err *e)
{
	int fd, rc;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	rc = file_read_fd(fd, path, max, data, len, e);
	if (fd > 0)
		close(fd);
	return rc;
}

int file_read_regular(const char *path, size_t max, uint8_t **data, size_t *len,
		      struct err *e)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = err_set(e, -EINVAL, "%s: not a regular file", path);
	else
		rc = file_read_fd(fd, path, max, data, len, e);
	close(fd);
	return rc;
}

int file_read_fd(int fd, const char *path, size_t max, uint8_t **data, size_t *len,
		 struct err *e)
{
	struct buf b = BUF_INIT;
	int rc = 0;

	for (;;) {
		ssize_t n;
		buf_reserve(&b, 65536);
		n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > max) {
			rc = err_set(e, -EFBIG, "%s: larger than the limit of %zu bytes",
				     path, max);
			goto out;
		}
	}
	*data = buf_detach(&b, len);
out:
	buf_release(&b);
	return rc;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int file_write_atomic(const char *path, const void *data, size_t len,
		      struct err *e)
{
	struct buf tmp = BUF_INIT;
	int fd, rc;

	if (!strcmp(path, "-")) {
		rc = write_all(1, data, len);
		return rc ? err_set(e, rc, "standard output: %s", strerror(-rc)) : 0;
	}
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open((char *)tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = write_all(fd, data, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename((char *)tmp.data, path) < 0)
		rc = -errno;
	if (rc) {
		unlink((char *)tmp.data);
		err_set(e, rc, "%s: %s", path, strerror(-rc));
		goto out;
	}
	fsync_dir(path);
out:
	buf_release(&tmp);
	return rc;
}
