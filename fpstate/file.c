// SPDX-License-Identifier: MIT
/*
 * Saved fpstates: DIR/vcpuN.xsave holds the uABI buffer exactly as KVM
 * returned it; DIR/vcpuN.layout describes it (layout_text.c), so it can be
 * decoded on any other machine.  Both are read and written through
 * base/file.h: a FIFO or a directory given as either is refused at once,
 * and nothing is written through a symbolic link.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/file.h"
#include "fpstate.h"

/* A layout is a page of text; anything much larger is not one. */
#define LAYOUT_FILE_MAX	(64U << 10)

int fpstate_file_set_image(struct fpstate_file *sf, const void *image, size_t len,
			   const char *name, struct fpstate_error *err)
{
	if (len != sf->size)
		return fpstate_error_set(err, "%s: %zu bytes, but its layout says %u", name, len,
					 sf->size);
	sf->buf = aligned_alloc(64, (sf->size + 63) & ~63U);
	if (!sf->buf)
		return fpstate_error_set(err, "out of memory");
	memcpy(sf->buf, image, len);
	return 0;
}

/* Creates @name in @dirfd and writes @len bytes of @buf to stable storage. */
static int write_file(int dirfd, const char *dir, const char *name, const void *buf, size_t len,
		      struct fpstate_error *err)
{
	struct fpvm_error ferr;
	int fd = file_create(dirfd, name, 0666, &ferr), r;

	/* file_create names @name alone; the directory completes the path. */
	if (fd < 0)
		return fpstate_error_set(err, "%s/%s", dir, ferr.msg);
	r = file_write_all(fd, buf, len);
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (r)
		return fpstate_error_set(err, "%s/%s: %s", dir, name, strerror(-r));
	return 0;
}

int fpstate_file_save(const char *dir, int vcpu, const struct fpstate *fps, uint64_t xcr0,
		      struct fpstate_error *err)
{
	char name[32];
	size_t len;
	char *text = fpstate_layout_format(fps, xcr0, vcpu, &len);
	int dirfd, r;

	if (!text)
		return fpstate_error_set(err, "out of memory");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = fpstate_error_set(err, "%s: %s", dir, strerror(errno));
		free(text);
		return r;
	}
	snprintf(name, sizeof(name), "vcpu%d.xsave", vcpu);
	r = write_file(dirfd, dir, name, fps->buf, fps->size, err);
	snprintf(name, sizeof(name), "vcpu%d.layout", vcpu);
	if (!r)
		r = write_file(dirfd, dir, name, text, len, err);
	close(dirfd);
	free(text);
	return r;
}

/* NAME.layout, parsed into @sf. */
static int load_layout(const char *path, struct fpstate_file *sf, struct fpstate_error *err)
{
	struct fpvm_error ferr;
	uint8_t *text;
	size_t len;
	int r = file_read_regular(AT_FDCWD, path, 0, LAYOUT_FILE_MAX, FPVM_ERR_INPUT, &text, &len,
				  &ferr);

	if (r)
		return fpstate_error_set(err, "%s (needed to decode the .xsave file)", ferr.msg);
	r = fpstate_layout_parse((const char *)text, len, path, sf, err);
	free(text);
	return r;
}

int fpstate_file_load(const char *path, struct fpstate_file *sf, struct fpstate_error *err)
{
	char lpath[4096];
	size_t len = strlen(path), n;
	struct fpvm_error ferr;
	uint64_t size;
	uint8_t *image;
	int fd, r;

	memset(sf, 0, sizeof(*sf));
	if (len < 6 || strcmp(path + len - 6, ".xsave") || len + 1 >= sizeof(lpath))
		return fpstate_error_set(err, "%s: expected a NAME.xsave file", path);
	snprintf(lpath, sizeof(lpath), "%.*s.layout", (int)(len - 6), path);
	r = load_layout(lpath, sf, err);
	if (r)
		return r;
	/* Sized before it is read: a file of the wrong size is named as such, never read. */
	fd = file_open_regular(AT_FDCWD, path, 0, FPVM_ERR_INPUT, &size, &ferr);
	if (fd < 0)
		return fpstate_error_set(err, "%s", ferr.msg);
	if (size != sf->size) {
		close(fd);
		return fpstate_error_set(err, "%s: %llu bytes, but its layout says %u", path,
					 (unsigned long long)size, sf->size);
	}
	r = file_read_fd(fd, path, sf->size, FPVM_ERR_INPUT, &image, &n, &ferr);
	close(fd);
	if (r)
		return fpstate_error_set(err, "%s", ferr.msg);
	r = fpstate_file_set_image(sf, image, n, path, err);
	free(image);
	return r;
}

void fpstate_file_free(struct fpstate_file *sf)
{
	free(sf->buf);
	sf->buf = NULL;
}
