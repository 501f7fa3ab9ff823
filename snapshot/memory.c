// SPDX-License-Identifier: MIT
/*
 * The guest memory part: a sparse file the size of guest memory, holding
 * only the pages that are not zero.  A guest of gigabytes typically touched
 * a few megabytes of them, so both directions look only where data is:
 * writing, at the pages /proc/self/pagemap says were ever faulted in;
 * reading, at the file's data extents (SEEK_DATA/SEEK_HOLE).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define PAGE		SNAPSHOT_PAGE_SIZE
#define BATCH_PAGES	32768		/* pagemap entries read at a time: 128 MiB of memory */
#define RUN_MAX		(8U << 20)	/* bytes per pwrite() at most */
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)

/* 64 bytes a step; memcpy() as @p need not be aligned (a caller's buffer). */
static bool page_is_zero(const uint8_t *p)
{
	for (unsigned int off = 0; off < PAGE; off += 64) {
		uint64_t w[8];

		memcpy(w, p + off, sizeof(w));
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			return false;
	}
	return true;
}

/* A page's share of the memory CRC: its index, little endian, then its bytes. */
static uint32_t crc_page(uint32_t crc, uint64_t index, const uint8_t *page)
{
	uint8_t le[8];

	for (int k = 0; k < 8; k++)
		le[k] = (uint8_t)(index >> (8 * k));
	return crc32c(crc32c(crc, le, sizeof(le)), page, PAGE);
}

static int pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ENOSPC;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/*
 * Which of @nr pages from @addr may hold data: present or swapped.  A page
 * of a private anonymous mapping that is neither was never written and
 * reads as zero.  Without pagemap every page may.
 */
static void pages_in_use(int pagemap, const uint8_t *addr, unsigned int nr, uint64_t *ent)
{
	size_t len = nr * sizeof(*ent);
	off_t off = (off_t)((uintptr_t)addr / PAGE * sizeof(*ent));

	if (pagemap < 0 || pread(pagemap, ent, len, off) != (ssize_t)len)
		for (unsigned int i = 0; i < nr; i++)
			ent[i] = PM_PRESENT;
}

static int write_pages(int fd, const uint8_t *mem, uint64_t size, int pagemap, uint64_t *ent,
		       uint32_t *crc)
{
	uint64_t npages = size / PAGE, run = 0, run_len = 0;
	int r;

	*crc = 0;
	for (uint64_t base = 0; base < npages; base += BATCH_PAGES) {
		unsigned int nr = npages - base < BATCH_PAGES ? (unsigned int)(npages - base)
							      : BATCH_PAGES;

		pages_in_use(pagemap, mem + base * PAGE, nr, ent);
		for (unsigned int i = 0; i < nr; i++) {
			uint64_t idx = base + i;
			const uint8_t *page = mem + idx * PAGE;

			if (!(ent[i] & (PM_PRESENT | PM_SWAPPED)) || page_is_zero(page))
				continue;
			*crc = crc_page(*crc, idx, page);
			/* Contiguous data pages go out in one pwrite(). */
			if (run_len && (run + run_len != idx * PAGE || run_len >= RUN_MAX)) {
				r = pwrite_all(fd, mem + run, run_len, run);
				if (r)
					return r;
				run_len = 0;
			}
			if (!run_len)
				run = idx * PAGE;
			run_len += PAGE;
		}
	}
	return run_len ? pwrite_all(fd, mem + run, run_len, run) : 0;
}

int snapshot_memory_write(struct snapshot_writer *w, const void *mem, uint64_t size,
			  struct fpvm_error *err)
{
	int fd, pagemap = -1, r;
	uint64_t *ent;
	uint32_t crc = 0;

	if (!size || size % PAGE || size > SNAPSHOT_MAX_MEM)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EINVAL, "snapshot: part memory: %llu bytes, "
				 "not a non-zero multiple of %d of at most 1 TiB",
				 (unsigned long long)size, PAGE);
	ent = malloc(BATCH_PAGES * sizeof(*ent));
	if (!ent)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "snapshot: part memory: out of "
				 "memory");
	fd = snapshot_part_create(w, SNAPSHOT_MEMORY, err);
	if (fd < 0) {
		free(ent);
		return fd;
	}
	/* pagemap's entries are per host page, which must be the file's. */
	if (!((uintptr_t)mem % PAGE) && sysconf(_SC_PAGESIZE) == PAGE)
		pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	r = ftruncate(fd, (off_t)size) ? -errno : 0;
	if (!r)
		r = write_pages(fd, mem, size, pagemap, ent, &crc);
	if (pagemap >= 0)
		close(pagemap);
	free(ent);
	if (r) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: part memory: %s",
				 strerror(-r));
	}
	r = snapshot_part_close(fd, SNAPSHOT_MEMORY, err);
	if (r)
		return r;
	w->m.mem_size = size;
	return snapshot_part_set(&w->m, SNAPSHOT_MEMORY, size, crc, err);
}

/* Reads [from, to) of the file a chunk at a time, taking in the non-zero pages. */
static int walk_extent(int fd, uint64_t from, uint64_t to, uint8_t *chunk, uint8_t *mem,
		       uint32_t *crc)
{
	while (from < to) {
		size_t want = to - from < RUN_MAX ? (size_t)(to - from) : RUN_MAX, got = 0;

		while (got < want) {
			ssize_t n = pread(fd, chunk + got, want - got, (off_t)(from + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n ? -errno : -EIO;	/* shorter than it said */
			got += (size_t)n;
		}
		for (size_t off = 0; off < want; off += PAGE) {
			const uint8_t *page = chunk + off;

			if (page_is_zero(page))
				continue;
			*crc = crc_page(*crc, (from + off) / PAGE, page);
			if (mem)
				memcpy(mem + from + off, page, PAGE);
		}
		from += want;
	}
	return 0;
}

/*
 * The memory CRC of an open memory file of @size bytes; pages with data
 * are copied to @mem when it is not NULL, after their share of the CRC is
 * taken from the same bytes.  0 or -errno.
 */
static int memory_walk(int fd, uint64_t size, void *mem, uint32_t *crc)
{
	uint8_t *chunk = aligned_alloc(PAGE, RUN_MAX);
	bool seek = true;
	uint64_t pos = 0;
	int r = 0;

	*crc = 0;
	if (size % PAGE) {
		free(chunk);
		return -EINVAL;
	}
	if (!chunk)
		return -ENOMEM;
	while (!r && pos < size) {
		off_t data = seek ? lseek(fd, (off_t)pos, SEEK_DATA) : (off_t)pos, hole;

		if (data < 0 && errno == ENXIO)
			break;		/* nothing but holes after pos */
		if (data < 0) {
			/* No SEEK_DATA here: read it all, zero pages skipped as ever. */
			seek = false;
			data = (off_t)pos;
		}
		hole = seek ? lseek(fd, data, SEEK_HOLE) : (off_t)size;
		if (hole < 0 || (uint64_t)hole > size)
			hole = (off_t)size;
		/* Extents come in filesystem blocks; pages are what the CRC is made of. */
		data &= ~(off_t)(PAGE - 1);
		if ((uint64_t)data < pos)
			data = (off_t)pos;
		hole = (off_t)(((uint64_t)hole + PAGE - 1) & ~(uint64_t)(PAGE - 1));
		if ((uint64_t)hole > size)
			hole = (off_t)size;
		r = walk_extent(fd, (uint64_t)data, (uint64_t)hole, chunk, mem, crc);
		pos = (uint64_t)hole;
	}
	free(chunk);
	return r;
}

static int check(struct snapshot_dir *d, void *mem, const uint64_t *size, struct fpvm_error *err)
{
	struct snapshot_part *p;
	uint32_t crc = 0;
	int fd, r;

	fd = snapshot_part_open(d, SNAPSHOT_MEMORY, &p, err);
	if (fd < 0)
		return fd;
	if (size && *size != p->size) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part memory: %llu "
				 "bytes of guest memory, but this VM has %llu",
				 (unsigned long long)p->size, (unsigned long long)*size);
	}
	r = memory_walk(fd, p->size, mem, &crc);
	close(fd);
	if (r == -EIO)
		return fpvm_fail(err, FPVM_ERR_INPUT, EIO, "snapshot: part memory: shorter than it "
				 "was a moment ago");
	if (r)
		return fpvm_fail(err, r == -ENOMEM ? FPVM_ERR_SYSTEM : FPVM_ERR_INPUT, -r,
				 "snapshot: part memory: %s", strerror(-r));
	if (crc != p->crc)
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "snapshot: part memory: checksum "
				 "mismatch (damaged)");
	p->flags |= SNAPSHOT_PART_CHECKED;
	return 0;
}

int snapshot_memory_read(struct snapshot_dir *d, void *mem, uint64_t size, struct fpvm_error *err)
{
	return check(d, mem, &size, err);
}

int snapshot_memory_verify(struct snapshot_dir *d, struct fpvm_error *err)
{
	return check(d, NULL, NULL, err);
}
