// SPDX-License-Identifier: MIT
/*
 * Parts: plain files in a generation's directory, each listed in the
 * manifest with its size and CRC-32C.  Any part, the same way: the memory
 * part (memory.c) is built on these functions, and they know nothing of it.  A part is written once, from the
 * caller's bytes, and read once, from one descriptor into memory: the CRC
 * checked is the CRC of the bytes the caller then uses, and nothing is
 * opened again by path after the check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/file.h"
#include "internal.h"

#define IO_CHUNK	(1U << 20)

int snapshot_prefix(struct fpvm_error *err, const char *prefix, int r)
{
	char msg[sizeof(err->msg)];

	int n = snprintf(msg, sizeof(msg), "%s", prefix);

	snprintf(msg + n, sizeof(msg) - (size_t)n, "%.*s", (int)(sizeof(msg) - (size_t)n - 1),
		 err->msg);
	memcpy(err->msg, msg, sizeof(msg));
	return r;
}

void snapshot_step(struct snapshot_writer *w)
{
	if (w->crash_point)
		w->crash_point(w->crash_arg, w->steps);
	w->steps++;
}

void snapshot_gen_name(char name[16], unsigned int gen)
{
	snprintf(name, 16, "gen-%u", gen);
}

unsigned int snapshot_gen_number(const char *name)
{
	unsigned long long n = 0;

	if (strncmp(name, "gen-", 4) || !name[4] || strlen(name) > 13 || name[4] == '0')
		return 0;
	for (const char *c = name + 4; *c; c++) {
		if (*c < '0' || *c > '9')
			return 0;
		n = n * 10 + (unsigned int)(*c - '0');
	}
	return n <= SNAPSHOT_MAX_GEN ? (unsigned int)n : 0;
}

bool snapshot_part_name_valid(const char *name)
{
	size_t len = strnlen(name, SNAPSHOT_NAME_MAX);

	if (!len || len == SNAPSHOT_NAME_MAX || name[0] == '.')
		return false;
	/*
	 * The directory's own names: a format 1 part, beside the manifest,
	 * must never be taken for them.
	 */
	if (!strcmp(name, "manifest") || !strcmp(name, "manifest.tmp") || snapshot_gen_number(name))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

const char *snapshot_vcpu_part(char name[SNAPSHOT_NAME_MAX], unsigned int vcpu,
			       enum snapshot_vcpu_part what)
{
	static const char *const suffix[] = {
		[SNAPSHOT_VCPU_STATE] = "state", [SNAPSHOT_VCPU_CPUID] = "cpuid",
		[SNAPSHOT_VCPU_XSAVE] = "xsave", [SNAPSHOT_VCPU_LAYOUT] = "layout",
	};

	snprintf(name, SNAPSHOT_NAME_MAX, "vcpu%u.%s", vcpu, suffix[what]);
	return name;
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

	if (!p) {
		r = snapshot_part_append(m, name, size, crc);
		if (r == -ENOMEM)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: part %s: out of "
					 "memory", name);
		if (r)
			return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: part %s: more than %d "
					 "parts", name, SNAPSHOT_MAX_PARTS);
		p = &m->parts[m->nr_parts - 1];
	}
	p->size = size;
	p->crc = crc;
	p->flags |= SNAPSHOT_PART_WRITTEN;
	return 0;
}

/* ---- writing ---- */

static int check_name(const char *name, struct fpvm_error *err)
{
	if (snapshot_part_name_valid(name))
		return 0;
	return fpvm_fail(err, FPVM_ERR_OUTPUT, EINVAL, "snapshot: part '%.*s': not a part name "
			 "(A-Z a-z 0-9 . _ -, at most %d, no leading '.')",
			 SNAPSHOT_NAME_MAX, name, SNAPSHOT_NAME_MAX - 1);
}

int snapshot_part_create(struct snapshot_writer *w, const char *name, struct fpvm_error *err)
{
	int fd;

	snapshot_step(w);
	fd = file_create(w->gen_fd, name, 0644, err);
	return fd < 0 ? snapshot_prefix(err, "snapshot: part ", fd) : fd;
}

int snapshot_part_close(int fd, const char *name, struct fpvm_error *err)
{
	int r = fdatasync(fd) ? -errno : 0;

	if (close(fd) && !r)
		r = -errno;
	if (r)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: part %s: %s", name,
				 strerror(-r));
	return 0;
}

int snapshot_part_write(struct snapshot_writer *w, const char *name, const void *buf,
			size_t size, struct fpvm_error *err)
{
	int r = check_name(name, err), fd;

	if (r)
		return r;
	if (size > SNAPSHOT_MAX_PART_SIZE)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EFBIG, "snapshot: part %s: %zu bytes, more "
				 "than the %llu MiB a part may have", name, size,
				 SNAPSHOT_MAX_PART_SIZE >> 20);
	fd = snapshot_part_create(w, name, err);
	if (fd < 0)
		return fd;
	r = file_write_all(fd, buf, size);
	if (r) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: part %s: %s", name,
				 strerror(-r));
	}
	return snapshot_part_close(fd, name, err) ?:
	       snapshot_part_set(&w->m, name, size, crc32c(0, buf, size), err);
}

/* ---- reading ---- */

int snapshot_part_open(struct snapshot_dir *d, const char *name, struct snapshot_part **part,
		       struct fpvm_error *err)
{
	struct snapshot_part *p = (struct snapshot_part *)snapshot_part_find(&d->m, name);
	uint64_t size;
	int fd;

	if (!p)
		return fpvm_fail(err, FPVM_ERR_INPUT, ENOENT, "snapshot: part %s: not in the "
				 "manifest", name);
	fd = file_open_regular(d->parts_fd, name, FILE_NOFOLLOW, FPVM_ERR_INPUT, &size, err);
	if (fd == -ENOENT)
		return fpvm_fail(err, FPVM_ERR_INPUT, ENOENT, "snapshot: part %s: missing", name);
	if (fd < 0)
		return snapshot_prefix(err, "snapshot: part ", fd);
	if (size != p->size) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part %s: %llu bytes, the "
				 "manifest says %llu%s", name, (unsigned long long)size,
				 (unsigned long long)p->size, size < p->size ? " (truncated)" : "");
	}
	*part = p;
	return fd;
}

/*
 * Reads all @size bytes into @buf when it is given, else a chunk at a time
 * into @chunk; either way the CRC of what was read.  -EIO: the file ended
 * early (it shrank since its size was checked).
 */
static int read_crc(int fd, uint64_t size, uint8_t *buf, uint8_t *chunk, uint32_t *crc)
{
	uint64_t done = 0;

	*crc = 0;
	while (done < size) {
		uint64_t left = size - done;
		size_t want = buf ? (size_t)left : (size_t)(left < IO_CHUNK ? left : IO_CHUNK);
		uint8_t *to = buf ? buf + done : chunk;
		ssize_t n = read(fd, to, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		*crc = crc32c(*crc, to, (size_t)n);
		done += (uint64_t)n;
	}
	return 0;
}

static int check_crc(struct snapshot_part *p, int r, uint32_t crc, struct fpvm_error *err)
{
	if (r == -EIO)
		return fpvm_fail(err, FPVM_ERR_INPUT, EIO, "snapshot: part %s: shorter than it was "
				 "a moment ago", p->name);
	if (r)
		return fpvm_fail(err, FPVM_ERR_INPUT, -r, "snapshot: part %s: %s", p->name,
				 strerror(-r));
	if (crc != p->crc)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part %s: checksum "
				 "mismatch (damaged)", p->name);
	p->flags |= SNAPSHOT_PART_CHECKED;
	return 0;
}

int snapshot_part_read(struct snapshot_dir *d, const char *name, void **buf, size_t *size,
		       struct fpvm_error *err)
{
	struct snapshot_part *p;
	uint32_t crc = 0;
	uint8_t *b;
	int fd, r;

	*buf = NULL;
	fd = snapshot_part_open(d, name, &p, err);
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
	r = check_crc(p, r, crc, err);
	close(fd);
	if (r) {
		free(b);
		return r;
	}
	*buf = b;
	*size = (size_t)p->size;
	return 0;
}

int snapshot_part_verify(struct snapshot_dir *d, const char *name, struct fpvm_error *err)
{
	struct snapshot_part *p;
	uint8_t *chunk;
	uint32_t crc = 0;
	int fd, r;

	chunk = malloc(IO_CHUNK);
	if (!chunk)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: part %s: out of memory",
				 name);
	fd = snapshot_part_open(d, name, &p, err);
	if (fd < 0) {
		free(chunk);
		return fd;
	}
	r = read_crc(fd, p->size, NULL, chunk, &crc);
	r = check_crc(p, r, crc, err);
	close(fd);
	free(chunk);
	return r;
}
