// SPDX-License-Identifier: MIT
/*
 * Opening, reading and creating files without following links or blocking
 * (file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "is a directory";
	if (S_ISFIFO(mode))
		return "is a FIFO, not a regular file";
	if (S_ISSOCK(mode))
		return "is a socket, not a regular file";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "is a device, not a regular file";
	return "not a regular file";
}

/* Blocking mode back: the caller reads a regular file, where it never blocks anyway. */
static int clear_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) ? -errno : 0;
}

int file_open_regular(int dirfd, const char *path, unsigned int flags, enum fpvm_err_class cls,
		      uint64_t *size, struct fpvm_error *err)
{
	int oflags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	int fd, r;

	if (!*path)
		return fpvm_fail(err, cls, ENOENT, "an empty file name");
	if (flags & FILE_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = openat(dirfd, path, oflags);
	if (fd < 0 && errno == ELOOP && (flags & FILE_NOFOLLOW))
		return fpvm_fail(err, cls, ELOOP, "%s: a symbolic link, not a file", path);
	if (fd < 0)
		return fpvm_fail(err, cls, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		r = fpvm_fail(err, cls, errno, "%s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fpvm_fail(err, cls, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "%s: %s", path,
				 file_kind(st.st_mode));
	}
	r = clear_nonblock(fd);
	if (r) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "%s: %s", path, strerror(-r));
	}
	if (size)
		*size = (uint64_t)st.st_size;
	return fd;
}

int file_read_fd(int fd, const char *path, uint64_t max, enum fpvm_err_class cls, uint8_t **buf,
		 size_t *len, struct fpvm_error *err)
{
	size_t cap = 4096, done = 0;
	uint8_t *b = malloc(cap + 1);

	if (!b)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n;

		if (done == cap) {
			uint8_t *nb;

			/* One byte past @max tells a file of exactly @max from a larger one. */
			if (cap > max)
				break;
			cap = cap * 2 > max + 1 ? (size_t)max + 1 : cap * 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
			}
			b = nb;
		}
		n = read(fd, b + done, cap - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(b);
			return fpvm_fail(err, cls, e, "%s: %s", path, strerror(e));
		}
		if (!n)
			break;
		done += (size_t)n;
	}
	if (done > max) {
		free(b);
		return fpvm_fail(err, cls, EFBIG, "%s: larger than %llu bytes", path,
				 (unsigned long long)max);
	}
	b[done] = 0;
	*buf = b;
	*len = done;
	return 0;
}

int file_read_regular(int dirfd, const char *path, unsigned int flags, uint64_t max,
		      enum fpvm_err_class cls, uint8_t **buf, size_t *len, struct fpvm_error *err)
{
	uint64_t size;
	int fd = file_open_regular(dirfd, path, flags, cls, &size, err), r;

	if (fd < 0)
		return fd;
	if (size > max) {
		close(fd);
		return fpvm_fail(err, cls, EFBIG, "%s: larger than %llu bytes", path,
				 (unsigned long long)max);
	}
	r = file_read_fd(fd, path, max, cls, buf, len, err);
	close(fd);
	return r;
}

int file_create(int dirfd, const char *name, unsigned int mode, struct fpvm_error *err)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC |
				    O_NOCTTY, mode);
	struct stat st;
	int r;

	/* A FIFO without a reader answers ENXIO to a non-blocking open for writing. */
	if (fd < 0 && errno == ELOOP)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, ELOOP, "%s: a symbolic link; fpvm does not "
				 "write through links", name);
	if (fd < 0 && errno == ENXIO)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, ENXIO, "%s: is a FIFO, not a regular file",
				 name);
	if (fd < 0)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "%s: %s", name, strerror(errno));
	if (fstat(fd, &st)) {
		r = fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "%s: %s", name, strerror(errno));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EINVAL, "%s: %s", name, file_kind(st.st_mode));
	}
	/* Truncated only once it is known to be a regular file of ours to write. */
	r = ftruncate(fd, 0) ? -errno : clear_nonblock(fd);
	if (r) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "%s: %s", name, strerror(-r));
	}
	return fd;
}

int file_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
