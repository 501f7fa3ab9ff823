// SPDX-License-Identifier: MIT
/*
 * The snapshot directory and its parts: plain files, each listed in the
 * manifest with its size and CRC-32C, and checked against both before
 * anything of it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

#define IO_CHUNK	(1U << 20)

int snapshot_dir_create(const char *path, int *dirfd, struct fpvm_error *err)
{
	int fd;

	if (mkdir(path, 0755) && errno != EEXIST)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "snapshot %s: %s", path,
				 strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "snapshot %s: %s", path,
				 strerror(errno));
	/* An old snapshot here stops being one before any of its parts change. */
	if ((unlinkat(fd, "manifest", 0) && errno != ENOENT) ||
	    (unlinkat(fd, "manifest.tmp", 0) && errno != ENOENT)) {
		int e = errno;

		close(fd);
		return fpvm_fail(err, FPVM_ERR_OUTPUT, e, "snapshot %s: cannot remove the old "
				 "manifest: %s", path, strerror(e));
	}
	*dirfd = fd;
	return 0;
}

int snapshot_dir_open(const char *path, int *dirfd, struct fpvm_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fpvm_fail(err, FPVM_ERR_INPUT, errno, "snapshot %s: %s", path,
				 strerror(errno));
	*dirfd = fd;
	return 0;
}

bool snapshot_part_name_valid(const char *name)
{
	size_t len = strnlen(name, SNAPSHOT_NAME_MAX);

	if (!len || len == SNAPSHOT_NAME_MAX || name[0] == '.')
		return false;
	/* The manifest's own files: a part must never overwrite them. */
	if (!strcmp(name, "manifest") || !strcmp(name, "manifest.tmp"))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/*
 * The array's room follows from nr_parts (16, then powers of two), so the
 * manifest needs no capacity field and appending is amortised O(1).
 */
int snapshot_part_append(struct snapshot_manifest *m, const char *name, uint64_t size,
			 uint32_t crc)
{
	unsigned int n = m->nr_parts;
	struct snapshot_part *p;

	if (n >= SNAPSHOT_MAX_PARTS)
		return -E2BIG;
	if (!m->parts || (n >= 16 && !(n & (n - 1)))) {
		p = realloc(m->parts, (n < 16 ? 16 : 2 * (size_t)n) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		m->parts = p;
	}
	p = &m->parts[m->nr_parts++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->size = size;
	p->crc = crc;
	return 0;
}

const struct snapshot_part *snapshot_part_find(const struct snapshot_manifest *m, const char *name)
{
	for (unsigned int i = 0; i < m->nr_parts; i++)
		if (!strcmp(m->parts[i].name, name))
			return &m->parts[i];
	return NULL;
}

int snapshot_part_set(struct snapshot_manifest *m, const char *name, uint64_t size, uint32_t crc,
		      struct fpvm_error *err)
{
	struct snapshot_part *p = (struct snapshot_part *)snapshot_part_find(m, name);
	int r;

	if (p) {
		p->size = size;
		p->crc = crc;
		return 0;
	}
	r = snapshot_part_append(m, name, size, crc);
	if (r == -ENOMEM)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: part %s: out of memory",
				 name);
	if (r)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: part %s: more than %d parts",
				 name, SNAPSHOT_MAX_PARTS);
	return 0;
}

static int check_name(const char *name, struct fpvm_error *err)
{
	if (snapshot_part_name_valid(name))
		return 0;
	return fpvm_fail(err, FPVM_ERR_OUTPUT, EINVAL, "snapshot: part '%.*s': not a part name "
			 "(A-Z a-z 0-9 . _ -, at most %d, no leading '.')",
			 SNAPSHOT_NAME_MAX, name, SNAPSHOT_NAME_MAX - 1);
}

int snapshot_file_write(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	const uint8_t *p = buf;
	int e = 0;

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n ? errno : ENOSPC;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	/* On the disk before the manifest that lists it is. */
	if (!e && fdatasync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	return -e;
}

int snapshot_part_write(int dirfd, struct snapshot_manifest *m, const char *name, const void *buf,
			size_t size, struct fpvm_error *err)
{
	int r = check_name(name, err);

	if (r)
		return r;
	if (!strcmp(name, SNAPSHOT_MEMORY))
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EINVAL, "snapshot: part memory: written by "
				 "snapshot_memory_write() only");
	if (size > SNAPSHOT_MAX_PART_SIZE)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EFBIG, "snapshot: part %s: %zu bytes, more "
				 "than the %llu MiB a part may have", name, size,
				 SNAPSHOT_MAX_PART_SIZE >> 20);
	r = snapshot_file_write(dirfd, name, buf, size);
	if (r)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: part %s: %s", name,
				 strerror(-r));
	return snapshot_part_set(m, name, size, crc32c(0, buf, size), err);
}

/* The part's file, open; -errno, with what was wrong in @err. */
static int open_file(int dirfd, const char *name, struct stat *st, enum fpvm_err_class cls,
		     struct fpvm_error *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT)
		return fpvm_fail(err, cls, ENOENT, "snapshot: part %s: missing", name);
	if (fd < 0 && errno == ELOOP)
		return fpvm_fail(err, cls, ELOOP, "snapshot: part %s: a symbolic link, not a file",
				 name);
	if (fd < 0)
		return fpvm_fail(err, cls, errno, "snapshot: part %s: %s", name, strerror(errno));
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return fpvm_fail(err, cls, EINVAL, "snapshot: part %s: not a regular file", name);
	}
	return fd;
}

int snapshot_part_open(int dirfd, const struct snapshot_manifest *m, const char *name,
		       const struct snapshot_part **part, struct fpvm_error *err)
{
	const struct snapshot_part *p = snapshot_part_find(m, name);
	struct stat st;
	int fd;

	if (!p)
		return fpvm_fail(err, FPVM_ERR_INPUT, ENOENT, "snapshot: part %s: not in the "
				 "manifest", name);
	fd = open_file(dirfd, name, &st, FPVM_ERR_INPUT, err);
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size != p->size) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part %s: %llu bytes, the "
				 "manifest says %llu%s", name, (unsigned long long)st.st_size,
				 (unsigned long long)p->size,
				 (uint64_t)st.st_size < p->size ? " (truncated)" : "");
	}
	*part = p;
	return fd;
}

/*
 * Reads all @size bytes at once when @buf is given, else in chunks into
 * @chunk; either way returns the CRC in *@crc.  0 or -errno (-EIO: short).
 */
static int read_crc(int fd, uint64_t size, uint8_t *buf, uint8_t *chunk, uint32_t *crc)
{
	uint64_t done = 0;

	*crc = 0;
	while (done < size) {
		size_t want = buf ? (size_t)(size - done) : (size_t)(size - done < IO_CHUNK ?
								     size - done : IO_CHUNK);
		uint8_t *to = buf ? buf + done : chunk;
		ssize_t n = pread(fd, to, want, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		*crc = crc32c(*crc, to, (size_t)n);
		done += (uint64_t)n;
	}
	return 0;
}

static int check_crc(const char *name, int r, uint32_t crc, uint32_t want, struct fpvm_error *err)
{
	if (r == -EIO)
		return fpvm_fail(err, FPVM_ERR_INPUT, EIO, "snapshot: part %s: shorter than it was "
				 "a moment ago", name);
	if (r)
		return fpvm_fail(err, FPVM_ERR_INPUT, -r, "snapshot: part %s: %s", name,
				 strerror(-r));
	if (crc != want)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part %s: checksum "
				 "mismatch (damaged)", name);
	return 0;
}

int snapshot_part_read(int dirfd, const struct snapshot_manifest *m, const char *name, void **buf,
		       size_t *size, struct fpvm_error *err)
{
	const struct snapshot_part *p;
	uint8_t *b;
	uint32_t crc = 0;
	int fd, r;

	if (!strcmp(name, SNAPSHOT_MEMORY))
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part memory: read by "
				 "snapshot_memory_read() only");
	fd = snapshot_part_open(dirfd, m, name, &p, err);
	if (fd < 0)
		return fd;
	/* The parser bounds every other part, so this allocation is bounded too. */
	b = malloc(p->size ? (size_t)p->size : 1);
	if (!b) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: part %s: out of memory",
				 name);
	}
	/* The read first: the CRC it computes is an argument of the check. */
	r = read_crc(fd, p->size, b, NULL, &crc);
	r = check_crc(name, r, crc, p->crc, err);
	close(fd);
	if (r) {
		free(b);
		return r;
	}
	*buf = b;
	*size = (size_t)p->size;
	return 0;
}

int snapshot_part_verify(int dirfd, const struct snapshot_manifest *m, const char *name,
			 struct fpvm_error *err)
{
	const struct snapshot_part *p;
	uint8_t *chunk;
	uint32_t crc = 0;
	int fd, r;

	if (!strcmp(name, SNAPSHOT_MEMORY))
		return snapshot_memory_verify(dirfd, m, err);
	chunk = malloc(IO_CHUNK);
	if (!chunk)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: part %s: out of memory",
				 name);
	fd = snapshot_part_open(dirfd, m, name, &p, err);
	if (fd < 0) {
		free(chunk);
		return fd;
	}
	r = read_crc(fd, p->size, NULL, chunk, &crc);
	r = check_crc(name, r, crc, p->crc, err);
	close(fd);
	free(chunk);
	return r;
}

int snapshot_part_add_file(int dirfd, struct snapshot_manifest *m, const char *name,
			   struct fpvm_error *err)
{
	bool memory = !strcmp(name, SNAPSHOT_MEMORY);
	uint8_t *chunk = NULL;
	struct stat st;
	uint32_t crc = 0;
	int fd, r;

	r = check_name(name, err);
	if (r)
		return r;
	fd = open_file(dirfd, name, &st, FPVM_ERR_OUTPUT, err);
	if (fd < 0)
		return fd;
	if (memory ? (uint64_t)st.st_size != m->mem_size : (uint64_t)st.st_size >
	    SNAPSHOT_MAX_PART_SIZE) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EFBIG, memory ?
				 "snapshot: part %s: %llu bytes, but mem_size is %llu" :
				 "snapshot: part %s: %llu bytes, more than a part may have (%llu)",
				 name, (unsigned long long)st.st_size, memory ?
				 (unsigned long long)m->mem_size : SNAPSHOT_MAX_PART_SIZE);
	}
	if (memory) {
		r = snapshot_memory_walk(fd, (uint64_t)st.st_size, NULL, &crc);
	} else {
		chunk = malloc(IO_CHUNK);
		r = chunk ? read_crc(fd, (uint64_t)st.st_size, NULL, chunk, &crc) : -ENOMEM;
	}
	close(fd);
	free(chunk);
	if (r)
		return fpvm_fail(err, r == -ENOMEM ? FPVM_ERR_SYSTEM : FPVM_ERR_OUTPUT, -r,
				 "snapshot: part %s: %s", name,
				 r == -EIO ? "changed while being read" : strerror(-r));
	return snapshot_part_set(m, name, (uint64_t)st.st_size, crc, err);
}
