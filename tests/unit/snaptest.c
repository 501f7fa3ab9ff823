// SPDX-License-Identifier: MIT
/* The snapshot tests' shared fixture (snaptest.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snaptest.h"

struct fpvm_error err;
char base[512];
char dir[600];
int dfd = -1;
char orig[8192];
size_t orig_len;
uint8_t *mem;
struct snapshot_manifest man;

const struct test_part parts[NR_PARTS] = {
	{ "vcpu0.state", 1234 }, { "vcpu1.state", 70000 }, { "devices", 1 }, { "empty", 0 },
};
uint8_t *part_data[NR_PARTS];
const uint64_t touched[4] = { 0, 5 * PAGE + 100, 32ULL << 20 | 17, MEM_SIZE - 1 };

/* The definition, a bit at a time: what both fast paths must agree with. */
uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78U & (0U - (crc & 1)));
	}
	return ~crc;
}

void fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245U + 12345U;
		p[i] = (uint8_t)(seed >> 16);
	}
}

void *map(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void host_of(const char *fixture, bool kvm, struct snapshot_host *h)
{
	struct cpuid_fixture f;

	ck_assert_int_eq(cpuid_fixture_load(fixture, &f), 0);
	snapshot_host_from_cpuid(h, kvm ? f.kvm : f.host);
	cpuid_fixture_free(&f);
}

/*
 * Outside the forked tests, once per test case: a failed test does not
 * get its checked teardown, but what it left is in @base all the same.
 */
void make_base(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/fpvm-test-snapshot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		perror(base);
		exit(1);
	}
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void remove_base(void)
{
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fill_manifest(struct snapshot_manifest *m)
{
	snprintf(m->reason, sizeof(m->reason), "SIGUSR1");
	snprintf(m->guest, sizeof(m->guest), "build/guest/hello");
	m->nr_cpus = 2;
	m->guest_xcr0 = 0x2e7;
	host_of("cpuid/amd-epyc-avx512-pvm-host.txt", true, &m->host);
	snprintf(m->host.fpvm_version, sizeof(m->host.fpvm_version), "0.1.0");
	m->host.xcr0_supported = 0x2e7;
	m->host.uabi_size = 4096;
}

void write_snapshot(void)
{
	struct snapshot_writer w = { 0 };
	ssize_t n;
	int fd;

	/* A new directory each time: a failed test's files stay out of the next one. */
	snprintf(dir, sizeof(dir), "%s/snap-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_msg(!snapshot_write_begin(&w, dir, &err), "%s", err.msg);
	fill_manifest(&w.m);

	mem = map(MEM_SIZE);
	ck_assert_ptr_nonnull(mem);
	for (size_t i = 0; i < sizeof(touched) / sizeof(touched[0]); i++)
		mem[touched[i]] = (uint8_t)(0xa0 + i);
	mem[100 * PAGE + 5] = 0;	/* present, but zero: not in the file */

	for (size_t i = 0; i < NR_PARTS; i++) {
		part_data[i] = malloc(parts[i].size + 1);
		ck_assert_ptr_nonnull(part_data[i]);
		fill_random(part_data[i], parts[i].size, (uint32_t)i + 100);
		ck_assert_msg(!snapshot_part_write(&w, parts[i].name, part_data[i], parts[i].size,
						   &err), "%s", err.msg);
	}
	ck_assert_msg(!snapshot_memory_write(&w, mem, MEM_SIZE, &err), "%s", err.msg);
	/* What was written, kept apart from the writer, which frees its own. */
	man = w.m;
	man.parts = malloc(w.m.nr_parts * sizeof(*man.parts));
	ck_assert_ptr_nonnull(man.parts);
	memcpy(man.parts, w.m.parts, w.m.nr_parts * sizeof(*man.parts));
	man.generation = w.gen;
	ck_assert_msg(!snapshot_write_commit(&w, &err), "%s", err.msg);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	fd = openat(dfd, "manifest", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, orig, sizeof(orig));
	close(fd);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, sizeof(orig));
	orig_len = (size_t)n;
}

void remove_snapshot(void)
{
	close(dfd);
	dfd = -1;
	munmap(mem, MEM_SIZE);
	snapshot_manifest_free(&man);
	for (size_t i = 0; i < NR_PARTS; i++)
		free(part_data[i]);
}

void open_snapshot(struct snapshot_dir *d)
{
	ck_assert_msg(!snapshot_open(dir, d, &err), "%s", err.msg);
}

int parts_fd(void)
{
	struct snapshot_manifest m;
	char gen[16];
	int fd;

	ck_assert_msg(!snapshot_manifest_read(dfd, &m, &err), "%s", err.msg);
	snprintf(gen, sizeof(gen), "gen-%u", m.generation);
	fd = openat(dfd, m.format == SNAPSHOT_FORMAT_FLAT ? "." : gen, O_RDONLY | O_DIRECTORY);
	snapshot_manifest_free(&m);
	ck_assert_int_ge(fd, 0);
	return fd;
}

void flip_bit(const char *name, off_t off, unsigned int bit)
{
	int pfd = parts_fd(), fd = openat(pfd, name, O_RDWR);
	uint8_t b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= (uint8_t)(1U << bit);
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
	close(pfd);
}

void truncate_part(const char *name, off_t size)
{
	int pfd = parts_fd(), fd = openat(pfd, name, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	close(fd);
	close(pfd);
}

void expect_error(int r, const char *want)
{
	ck_assert_msg(r < 0, "succeeded; expected '%s'", want);
	ck_assert_msg(strstr(err.msg, want), "'%s' does not say '%s'", err.msg, want);
	ck_assert_msg(!strncmp(err.msg, "snapshot", 8), "'%s'", err.msg);
	ck_assert_msg(!strchr(err.msg, '\n'), "'%s' is more than one line", err.msg);
	ck_assert_int_ne(err.cls, FPVM_ERR_NONE);
}
