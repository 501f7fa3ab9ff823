/* SPDX-License-Identifier: MIT */
/*
 * Files as fpvm reads and writes them, so that a hostile path can neither
 * block fpvm nor redirect a write: a file is opened without blocking (a
 * FIFO would wait for a writer forever), checked to be a regular file,
 * then read whole from that one descriptor; a file fpvm names itself is
 * created in a directory it holds open, never through a symbolic link.
 * Messages name the path, never an option: the command knows which.
 */
#ifndef FPVM_BASE_FILE_H
#define FPVM_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* How a file is opened: relative to a directory descriptor, and whether a link is refused. */
#define FILE_NOFOLLOW	(1U << 0)	/* a symbolic link is an error (ELOOP), not followed */

/*
 * Opens @path (relative to @dirfd, or AT_FDCWD) for reading; anything but a
 * regular file is refused without blocking.  Returns the descriptor (in
 * blocking mode again) or -errno, @err naming the path and the problem with
 * class @cls.  *@size, if not NULL, gets the file's size.
 */
int file_open_regular(int dirfd, const char *path, unsigned int flags, enum fpvm_err_class cls,
		      uint64_t *size, struct fpvm_error *err);

/*
 * A regular file's whole content, read from one descriptor; at most @max
 * bytes (a larger file is -EFBIG, "larger than N bytes").  *@buf is
 * malloc'd with one NUL byte past *@len, so text can be parsed in place.
 */
int file_read_regular(int dirfd, const char *path, unsigned int flags, uint64_t max,
		      enum fpvm_err_class cls, uint8_t **buf, size_t *len, struct fpvm_error *err);

/* Reads all of @fd (at most @max bytes) into a malloc'd, NUL-terminated buffer. */
int file_read_fd(int fd, const char *path, uint64_t max, enum fpvm_err_class cls, uint8_t **buf,
		 size_t *len, struct fpvm_error *err);

/*
 * Creates (or truncates) the regular file @name in @dirfd for writing, mode
 * @mode, never through a symbolic link and never blocking on a FIFO: what
 * stands at @name and is not a regular file is refused (FPVM_ERR_OUTPUT).
 */
int file_create(int dirfd, const char *name, unsigned int mode, struct fpvm_error *err);

/* Writes all of @buf; -errno on failure (a short write is -EIO). */
int file_write_all(int fd, const void *buf, size_t len);

#endif
