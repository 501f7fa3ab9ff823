// SPDX-License-Identifier: MIT
/*
 * Snapshots on disk: CRC-32C, a snapshot written and read back, every kind
 * of damage a snapshot can suffer each refused with a message naming what
 * is damaged, and the host checks on the CPUID fixtures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <ftw.h>

#include "../../snapshot/snapshot.h"
#include "testutil.h"

static struct fpvm_error err;

/* ---- CRC-32C ---- */

/* The definition, a bit at a time: what both fast paths must agree with. */
static uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78U & (0U - (crc & 1)));
	}
	return ~crc;
}

static void fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245U + 12345U;
		p[i] = (uint8_t)(seed >> 16);
	}
}

START_TEST(crc_known_vectors)
{
	uint8_t zeros[32] = { 0 }, ones[32], inc[32];

	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++)
		inc[i] = (uint8_t)i;
	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xe3069283);
	ck_assert_uint_eq(crc32c_sw(0, "123456789", 9), 0xe3069283);
	ck_assert_uint_eq(crc_ref(0, (const uint8_t *)"123456789", 9), 0xe3069283);
	/* RFC 3720, B.4 (iSCSI) */
	ck_assert_uint_eq(crc32c(0, zeros, 32), 0x8a9136aa);
	ck_assert_uint_eq(crc32c(0, ones, 32), 0x62a8ab43);
	ck_assert_uint_eq(crc32c(0, inc, 32), 0x46dd794e);
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
	if (crc32c_hw_available())
		ck_assert_uint_eq(crc32c_hw(0, "123456789", 9), 0xe3069283);
}
END_TEST

START_TEST(crc_chaining)
{
	uint8_t buf[300];

	fill_random(buf, sizeof(buf), 1);
	for (size_t n = 0; n <= sizeof(buf); n += 7) {
		uint32_t whole = crc32c(0, buf, n);

		ck_assert_uint_eq(whole, crc_ref(0, buf, n));
		for (size_t i = 0; i <= n; i++)
			ck_assert_uint_eq(crc32c(crc32c(0, buf, i), buf + i, n - i), whole);
	}
}
END_TEST

START_TEST(crc_hw_equals_sw)
{
	size_t big = 1 << 20;
	uint8_t *buf = malloc(big + 64);

	ck_assert_ptr_nonnull(buf);
	fill_random(buf, big + 64, 7);
	for (size_t align = 0; align < 16; align++) {
		for (size_t len = 0; len < 1100; len += (len < 80 ? 1 : 37)) {
			uint32_t ref = crc_ref(0x12345678, buf + align, len);

			ck_assert_uint_eq(crc32c_sw(0x12345678, buf + align, len), ref);
			if (crc32c_hw_available())
				ck_assert_uint_eq(crc32c_hw(0x12345678, buf + align, len), ref);
			ck_assert_uint_eq(crc32c(0x12345678, buf + align, len), ref);
		}
	}
	for (size_t align = 0; align < 9; align++) {
		uint32_t sw = crc32c_sw(0, buf + align, big - align * 3);

		ck_assert_uint_eq(sw, crc_ref(0, buf + align, big - align * 3));
		if (crc32c_hw_available())
			ck_assert_uint_eq(crc32c_hw(0, buf + align, big - align * 3), sw);
	}
	free(buf);
}
END_TEST

/* ---- a good snapshot, written before every test of the next sections ---- */

#define MEM_SIZE	(64ULL << 20)
#define PAGE		SNAPSHOT_PAGE_SIZE

static char base[512];		/* every test's snapshot is in here */
static char dir[600];
static int dfd = -1;
static char orig[8192];		/* the good manifest */
static size_t orig_len;
static uint8_t *mem;
static struct snapshot_manifest man;

static const struct {
	const char *name;
	size_t size;
} parts[] = {
	{ "vcpu0.state", 1234 }, { "vcpu1.state", 70000 }, { "devices", 1 }, { "empty", 0 },
};
#define NR_PARTS (sizeof(parts) / sizeof(parts[0]))
static uint8_t *part_data[NR_PARTS];

/* Bytes written into guest memory: pages 0, 5, the middle, and the last. */
static const uint64_t touched[] = { 0, 5 * PAGE + 100, 32ULL << 20 | 17, MEM_SIZE - 1 };

static void *map(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void host_of(const char *fixture, bool kvm, struct snapshot_host *h)
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
static void make_base(void)
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

static void remove_base(void)
{
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_snapshot(void)
{
	ssize_t n;
	int fd;

	/* A new directory each time: a failed test's files stay out of the next one. */
	snprintf(dir, sizeof(dir), "%s/snap-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_msg(!snapshot_dir_create(dir, &dfd, &err), "%s", err.msg);

	snapshot_manifest_init(&man);
	snprintf(man.reason, sizeof(man.reason), "SIGUSR1");
	snprintf(man.guest, sizeof(man.guest), "build/guest/hello");
	man.nr_cpus = 2;
	man.guest_xcr0 = 0x2e7;
	host_of("cpuid/amd-epyc-avx512-pvm-host.txt", true, &man.host);
	snprintf(man.host.fpvm_version, sizeof(man.host.fpvm_version), "0.1.0");
	man.host.xcr0_supported = 0x2e7;
	man.host.uabi_size = 4096;

	mem = map(MEM_SIZE);
	ck_assert_ptr_nonnull(mem);
	for (size_t i = 0; i < sizeof(touched) / sizeof(touched[0]); i++)
		mem[touched[i]] = (uint8_t)(0xa0 + i);
	mem[100 * PAGE + 5] = 0;	/* present, but zero: not in the file */

	for (size_t i = 0; i < NR_PARTS; i++) {
		part_data[i] = malloc(parts[i].size + 1);
		ck_assert_ptr_nonnull(part_data[i]);
		fill_random(part_data[i], parts[i].size, (uint32_t)i + 100);
		ck_assert_msg(!snapshot_part_write(dfd, &man, parts[i].name, part_data[i],
						   parts[i].size, &err), "%s", err.msg);
	}
	ck_assert_msg(!snapshot_memory_write(dfd, &man, mem, MEM_SIZE, &err), "%s", err.msg);
	ck_assert_msg(!snapshot_manifest_write(dfd, &man, &err), "%s", err.msg);
	fd = openat(dfd, "manifest", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, orig, sizeof(orig));
	close(fd);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, sizeof(orig));
	orig_len = (size_t)n;
}

static void remove_snapshot(void)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dfd, e->d_name, 0);
	closedir(d);
	close(dfd);
	dfd = -1;
	rmdir(dir);
	munmap(mem, MEM_SIZE);
	snapshot_manifest_free(&man);
	for (size_t i = 0; i < NR_PARTS; i++)
		free(part_data[i]);
}

/* A failure, with one line beginning "snapshot: " that says @want. */
static void expect_error(int r, const char *want)
{
	ck_assert_msg(r < 0, "succeeded; expected '%s'", want);
	ck_assert_msg(strstr(err.msg, want), "'%s' does not say '%s'", err.msg, want);
	ck_assert_msg(!strncmp(err.msg, "snapshot: ", 10), "'%s'", err.msg);
	ck_assert_msg(!strchr(err.msg, '\n'), "'%s' is more than one line", err.msg);
	ck_assert_int_ne(err.cls, FPVM_ERR_NONE);
}

static void read_manifest(struct snapshot_manifest *m)
{
	ck_assert_msg(!snapshot_manifest_read(dfd, m, &err), "%s", err.msg);
}

START_TEST(round_trip)
{
	struct snapshot_manifest m;
	uint8_t *back = map(MEM_SIZE);
	unsigned char *core = malloc(MEM_SIZE / PAGE);
	unsigned int resident = 0;

	ck_assert_ptr_nonnull(back);
	ck_assert_ptr_nonnull(core);
	read_manifest(&m);
	ck_assert_uint_eq(m.format, 1);
	ck_assert_str_eq(m.created, man.created);
	ck_assert_str_eq(m.reason, "SIGUSR1");
	ck_assert_str_eq(m.guest, "build/guest/hello");
	ck_assert_uint_eq(m.nr_cpus, 2);
	ck_assert_uint_eq(m.mem_size, MEM_SIZE);
	ck_assert_uint_eq(m.guest_xcr0, 0x2e7);
	ck_assert_str_eq(m.host.vendor, "AuthenticAMD");
	ck_assert_uint_eq(m.host.family, man.host.family);
	ck_assert_uint_eq(m.host.model, man.host.model);
	ck_assert_uint_eq(m.host.stepping, man.host.stepping);
	ck_assert_str_eq(m.host.model_name, man.host.model_name);
	ck_assert_uint_eq(m.host.xcr0_supported, 0x2e7);
	ck_assert_uint_eq(m.host.xss_supported, 0);
	ck_assert_uint_eq(m.host.uabi_size, 4096);
	ck_assert_str_eq(m.host.fpvm_version, "0.1.0");
	ck_assert_uint_eq(m.nr_parts, NR_PARTS + 1);
	for (unsigned int i = 0; i < m.nr_parts; i++) {
		ck_assert_str_eq(m.parts[i].name, man.parts[i].name);
		ck_assert_uint_eq(m.parts[i].size, man.parts[i].size);
		ck_assert_uint_eq(m.parts[i].crc, man.parts[i].crc);
	}
	for (size_t i = 0; i < NR_PARTS; i++) {
		void *buf;
		size_t size;

		ck_assert_msg(!snapshot_part_read(dfd, &m, parts[i].name, &buf, &size, &err), "%s",
			      err.msg);
		ck_assert_uint_eq(size, parts[i].size);
		ck_assert_mem_eq(buf, part_data[i], size);
		free(buf);
		ck_assert_msg(!snapshot_part_verify(dfd, &m, parts[i].name, &err), "%s", err.msg);
	}
	ck_assert_msg(!snapshot_part_verify(dfd, &m, "memory", &err), "%s", err.msg);
	ck_assert_msg(!snapshot_memory_read(dfd, &m, back, MEM_SIZE, &err), "%s", err.msg);
	/* Only the pages with data were written: the rest of the mapping is untouched. */
	ck_assert_int_eq(mincore(back, MEM_SIZE, core), 0);
	for (size_t i = 0; i < MEM_SIZE / PAGE; i++)
		resident += core[i] & 1;
	ck_assert_uint_le(resident, 16);
	ck_assert_int_eq(memcmp(back, mem, MEM_SIZE), 0);
	snapshot_manifest_free(&m);
	free(core);
	munmap(back, MEM_SIZE);
}
END_TEST

/* Whether this filesystem keeps holes: a 1 MiB file never written takes no blocks. */
static bool holes_supported(void)
{
	int fd = openat(dfd, "probe", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct stat st;
	bool sparse;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	sparse = st.st_blocks * 512 < (1 << 19);
	close(fd);
	unlinkat(dfd, "probe", 0);
	return sparse;
}

START_TEST(memory_file_is_sparse)
{
	struct stat st;

	ck_assert_int_eq(fstatat(dfd, "memory", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, MEM_SIZE);
	if (holes_supported())
		ck_assert_msg((uint64_t)st.st_blocks * 512 <= 64 * PAGE, "%llu bytes allocated",
			      (unsigned long long)st.st_blocks * 512);
}
END_TEST

/* The file holds the pages, and the CRC is over exactly the non-zero ones. */
START_TEST(memory_crc_definition)
{
	const struct snapshot_part *p = snapshot_part_find(&man, "memory");
	uint64_t pages[] = { 0, 5, (32ULL << 20) / PAGE, MEM_SIZE / PAGE - 1 };
	uint32_t crc = 0;

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		uint8_t le[8];

		for (int k = 0; k < 8; k++)
			le[k] = (uint8_t)(pages[i] >> (8 * k));
		crc = crc_ref(crc, le, 8);
		crc = crc_ref(crc, mem + pages[i] * PAGE, PAGE);
	}
	ck_assert_uint_eq(p->crc, crc);
	ck_assert_uint_eq(p->size, MEM_SIZE);
}
END_TEST

/* The manifest's lines are the documented ones, in their order. */
START_TEST(manifest_layout)
{
	static const char *const order[] = {
		"# fpvm snapshot: the parts below, each with its size and CRC-32C",
		"format = 1", "fpvm_version = 0.1.0", "created = ", "reason = SIGUSR1",
		"guest = build/guest/hello", "cpus = 2", "mem_size = 67108864",
		"guest_xcr0 = 0x2e7", "host_vendor = AuthenticAMD", "host_family = ",
		"host_model = ", "host_stepping = ", "host_model_name",
		"host_xcr0_supported = 0x2e7",
		"host_xss_supported = 0x0", "host_uabi_size = 4096", "part = vcpu0.state 1234 0x",
		"part = vcpu1.state 70000 0x", "part = devices 1 0x", "part = empty 0 0x00000000",
		"part = memory 67108864 0x", "checksum = 0x",
	};
	char text[4096], *line, *save = NULL;
	int fd = openat(dfd, "manifest", O_RDONLY);
	ssize_t n;
	size_t i = 0;

	ck_assert_int_ge(fd, 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	text[n] = '\0';
	ck_assert_int_eq(text[n - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		ck_assert_uint_lt(i, sizeof(order) / sizeof(order[0]));
		ck_assert_msg(!strncmp(line, order[i], strlen(order[i])), "line %zu: '%s'", i + 1,
			      line);
	}
	ck_assert_uint_eq(i, sizeof(order) / sizeof(order[0]));
	ck_assert_int_eq(faccessat(dfd, "manifest.tmp", F_OK, 0), -1);
}
END_TEST

START_TEST(print_json_and_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	snapshot_manifest_print(f, &man, true);
	fclose(f);
	ck_assert_msg(!strncmp(buf, "{\"format\": 1, \"fpvm_version\": \"0.1.0\", ", 39), "%s",
		      buf);
	ck_assert_ptr_nonnull(strstr(buf, "\"cpus\": 2, \"mem_size\": 67108864, \"guest_xcr0\": "
				     "\"0x2e7\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"parts\": [{\"name\": \"vcpu0.state\", \"size\": 1234, "
				     "\"crc\": \"0x"));
	/* Left open for the caller's "vcpus" member. */
	ck_assert_int_eq(buf[len - 1], ']');
	ck_assert_ptr_null(strchr(buf, '\n'));
	free(buf);

	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	snapshot_manifest_print(f, &man, false);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "build/guest/hello: 2 vCPUs, 64 MiB, XCR0 0x2e7"));
	ck_assert_ptr_nonnull(strstr(buf, "vcpu1.state"));
	free(buf);
}
END_TEST

START_TEST(add_file_and_rewrite)
{
	static const char text[] = "{\"written\": \"by someone else\"}\n";
	struct snapshot_manifest m;
	const struct snapshot_part *p;
	uint32_t memory_crc = snapshot_part_find(&man, "memory")->crc;
	void *buf;
	size_t size;
	int fd = openat(dfd, "devices.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_msg(!snapshot_part_add_file(dfd, &man, "devices.json", &err), "%s", err.msg);
	/* The memory CRC of a file someone else wrote is the same. */
	ck_assert_msg(!snapshot_part_add_file(dfd, &man, "memory", &err), "%s", err.msg);
	ck_assert_uint_eq(snapshot_part_find(&man, "memory")->crc, memory_crc);
	/* Writing a part again replaces its entry. */
	ck_assert_msg(!snapshot_part_write(dfd, &man, "vcpu0.state", "new", 3, &err), "%s",
		      err.msg);
	ck_assert_uint_eq(man.nr_parts, NR_PARTS + 2);
	ck_assert_msg(!snapshot_manifest_write(dfd, &man, &err), "%s", err.msg);
	read_manifest(&m);
	p = snapshot_part_find(&m, "devices.json");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->size, strlen(text));
	ck_assert_uint_eq(p->crc, crc_ref(0, (const uint8_t *)text, strlen(text)));
	ck_assert_msg(!snapshot_part_read(dfd, &m, "vcpu0.state", &buf, &size, &err), "%s",
		      err.msg);
	ck_assert_uint_eq(size, 3);
	ck_assert_mem_eq(buf, "new", 3);
	free(buf);
	snapshot_manifest_free(&m);
}
END_TEST

/* A buffer not page-aligned: no pagemap, every page examined; the same file. */
START_TEST(memory_from_unaligned_buffer)
{
	uint64_t size = 1 << 20;
	uint8_t *raw = calloc(1, size + 1), *src = raw + 1, *back = map(size);
	struct snapshot_manifest m;

	ck_assert_ptr_nonnull(raw);
	ck_assert_ptr_nonnull(back);
	src[0] = 1;
	src[17 * PAGE + 9] = 2;
	src[size - 1] = 3;
	ck_assert_msg(!snapshot_memory_write(dfd, &man, src, size, &err), "%s", err.msg);
	ck_assert_uint_eq(man.mem_size, size);
	ck_assert_msg(!snapshot_manifest_write(dfd, &man, &err), "%s", err.msg);
	read_manifest(&m);
	ck_assert_msg(!snapshot_memory_read(dfd, &m, back, size, &err), "%s", err.msg);
	ck_assert_int_eq(memcmp(back, src, size), 0);
	snapshot_manifest_free(&m);
	munmap(back, size);
	free(raw);
}
END_TEST

/* A 4 GiB guest that touched three pages costs milliseconds either way. */
START_TEST(memory_4g_sparse_is_fast)
{
	uint64_t size = 4ULL << 30;
	uint8_t *big = map(size), *back = map(size);
	struct snapshot_manifest m;
	struct timespec t0, t1, t2;
	double w, r;

	if (!big || !back) {
		/* No 4 GiB of address space here (a strict overcommit policy). */
		if (big)
			munmap(big, size);
		return;
	}
	big[12345] = 1;
	big[(2ULL << 30) + 7] = 2;
	big[size - 1] = 3;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(!snapshot_memory_write(dfd, &man, big, size, &err), "%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(!snapshot_memory_read(dfd, &man, back, size, &err), "%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	w = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	r = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
	/* Generous for valgrind; examining every page takes seconds. */
	ck_assert_msg(w < 3 && r < 3, "write %.3f s, read %.3f s", w, r);
	ck_assert_uint_eq(back[12345], 1);
	ck_assert_uint_eq(back[(2ULL << 30) + 7], 2);
	ck_assert_uint_eq(back[size - 1], 3);
	ck_assert_msg(!snapshot_manifest_write(dfd, &man, &err), "%s", err.msg);
	read_manifest(&m);
	ck_assert_uint_eq(m.mem_size, size);
	snapshot_manifest_free(&m);
	munmap(big, size);
	munmap(back, size);
}
END_TEST

START_TEST(dir_errors)
{
	int fd;

	ck_assert_int_eq(snapshot_dir_open("/nonexistent/fpvm-snap", &fd, &err), -ENOENT);
	ck_assert_str_eq(err.msg, "snapshot /nonexistent/fpvm-snap: No such file or directory");
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_int_lt(snapshot_dir_create("/nonexistent/fpvm-snap", &fd, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_OUTPUT);
	/* Reusing a snapshot's directory unmakes the old snapshot first. */
	ck_assert_msg(!snapshot_dir_create(dir, &fd, &err), "%s", err.msg);
	close(fd);
	expect_error(snapshot_manifest_read(dfd, &(struct snapshot_manifest){ 0 }, &err),
		     "snapshot: manifest: missing");
	ck_assert_int_eq(faccessat(dfd, "vcpu0.state", F_OK, 0), 0);
}
END_TEST

START_TEST(write_refuses_bad_input)
{
	struct snapshot_manifest m = man;

	expect_error(snapshot_part_write(dfd, &man, "../escape", "x", 1, &err), "'../escape'");
	expect_error(snapshot_part_write(dfd, &man, "manifest", "x", 1, &err), "'manifest'");
	expect_error(snapshot_part_write(dfd, &man, "memory", "x", 1, &err), "part memory");
	expect_error(snapshot_part_write(dfd, &man, "big", mem, SNAPSHOT_MAX_PART_SIZE + 1, &err),
		     "part big: 67108865 bytes, more than");
	ck_assert_int_eq(faccessat(dfd, "big", F_OK, 0), -1);
	expect_error(snapshot_memory_write(dfd, &man, mem, 4097, &err), "part memory");
	/* What the reader would refuse is never written. */
	m.nr_cpus = 0;
	expect_error(snapshot_manifest_write(dfd, &m, &err), "line 7: cpus");
	ck_assert_int_eq(err.cls, FPVM_ERR_OUTPUT);
	m.nr_cpus = 2;
	snprintf(m.created, sizeof(m.created), "yesterday");
	expect_error(snapshot_manifest_write(dfd, &m, &err), "created");
	ck_assert_int_eq(faccessat(dfd, "manifest.tmp", F_OK, 0), -1);
	read_manifest(&m);	/* the old one stands */
	snapshot_manifest_free(&m);
}
END_TEST

/* ---- damaged parts ---- */

static void flip_bit(const char *name, off_t off, unsigned int bit)
{
	int fd = openat(dfd, name, O_RDWR);
	uint8_t b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= (uint8_t)(1U << bit);
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void truncate_part(const char *name, off_t size)
{
	int fd = openat(dfd, name, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	close(fd);
}

/* Both ways in: reading the part and verifying it. */
static void expect_part_error(const char *name, const char *want)
{
	struct snapshot_manifest m;
	void *buf = NULL;
	size_t size;

	read_manifest(&m);
	if (strcmp(name, "memory")) {
		expect_error(snapshot_part_read(dfd, &m, name, &buf, &size, &err), want);
		ck_assert_ptr_null(buf);
	} else {
		uint8_t *back = map(MEM_SIZE);

		ck_assert_ptr_nonnull(back);
		expect_error(snapshot_memory_read(dfd, &m, back, MEM_SIZE, &err), want);
		munmap(back, MEM_SIZE);
	}
	expect_error(snapshot_part_verify(dfd, &m, name, &err), want);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	snapshot_manifest_free(&m);
}

START_TEST(part_truncated)
{
	truncate_part("vcpu0.state", 1000);
	expect_part_error("vcpu0.state", "snapshot: part vcpu0.state: 1000 bytes, the manifest "
			  "says 1234 (truncated)");
}
END_TEST

START_TEST(part_grown)
{
	truncate_part("devices", 2);
	expect_part_error("devices", "snapshot: part devices: 2 bytes, the manifest says 1");
}
END_TEST

START_TEST(part_bit_flipped)
{
	flip_bit("vcpu1.state", 65537, 3);
	expect_part_error("vcpu1.state", "snapshot: part vcpu1.state: checksum mismatch (damaged)");
}
END_TEST

START_TEST(part_deleted)
{
	ck_assert_int_eq(unlinkat(dfd, "vcpu1.state", 0), 0);
	expect_part_error("vcpu1.state", "snapshot: part vcpu1.state: missing");
}
END_TEST

START_TEST(part_not_listed)
{
	expect_part_error("vcpu7.state", "snapshot: part vcpu7.state: not in the manifest");
}
END_TEST

START_TEST(part_symlink)
{
	ck_assert_int_eq(unlinkat(dfd, "vcpu1.state", 0), 0);
	ck_assert_int_eq(symlinkat("vcpu0.state", dfd, "vcpu1.state"), 0);
	expect_part_error("vcpu1.state", "snapshot: part vcpu1.state: a symbolic link");
}
END_TEST

START_TEST(memory_bit_flipped_in_data)
{
	flip_bit("memory", (off_t)touched[2], 0);
	expect_part_error("memory", "snapshot: part memory: checksum mismatch (damaged)");
}
END_TEST

START_TEST(memory_hole_made_nonzero)
{
	flip_bit("memory", 10 << 20, 6);
	expect_part_error("memory", "snapshot: part memory: checksum mismatch (damaged)");
}
END_TEST

START_TEST(memory_truncated)
{
	truncate_part("memory", MEM_SIZE - PAGE);
	expect_part_error("memory", "snapshot: part memory: 67104768 bytes, the manifest says "
			  "67108864 (truncated)");
}
END_TEST

START_TEST(memory_wrong_vm_size)
{
	uint8_t *back = map(2 * MEM_SIZE);

	ck_assert_ptr_nonnull(back);
	expect_error(snapshot_memory_read(dfd, &man, back, 2 * MEM_SIZE, &err),
		     "snapshot: part memory: 67108864 bytes of guest memory, but this VM has");
	munmap(back, 2 * MEM_SIZE);
}
END_TEST

/* ---- damaged manifests ---- */

static char *text;
static size_t text_len;

/* The good manifest, with room to grow, for an edit. */
static void load_text(void)
{
	text = malloc(orig_len + (3 << 20));
	ck_assert_ptr_nonnull(text);
	memcpy(text, orig, orig_len);
	text_len = orig_len;
}

static void store_text(void)
{
	int fd = openat(dfd, "manifest", O_WRONLY | O_TRUNC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, text_len), (ssize_t)text_len);
	close(fd);
	free(text);
	text = NULL;
}

/* Replaces the line starting with @prefix by @line (NULL: removes it), length @n. */
static void replace_line_n(const char *prefix, const char *line, size_t n)
{
	char *start = text, *end;

	while (strncmp(start, prefix, strlen(prefix))) {
		start = memchr(start, '\n', text_len - (size_t)(start - text));
		ck_assert_msg(start, "no line '%s'", prefix);
		start++;
	}
	end = (char *)memchr(start, '\n', text_len - (size_t)(start - text)) + 1;
	memmove(start + n, end, text_len - (size_t)(end - text));
	memcpy(start, line, n);
	text_len = text_len - (size_t)(end - start) + n;
}

static void replace_line(const char *prefix, const char *line)
{
	replace_line_n(prefix, line ? line : "", line ? strlen(line) : 0);
}

/* A checksum line that fits again, so that the rule under test is what fires. */
static void resum(void)
{
	char line[32];
	size_t start = text_len - 1;

	while (start && text[start - 1] != '\n')
		start--;
	text_len = start;
	text_len += (size_t)snprintf(line, sizeof(line), "checksum = 0x%08x\n",
				     crc_ref(0, (const uint8_t *)text, start));
	memcpy(text + start, line, strlen(line));
}

static void expect_manifest_error(const char *want)
{
	struct snapshot_manifest m = { .nr_parts = 7 };

	expect_error(snapshot_manifest_read(dfd, &m, &err), want);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_ptr_null(m.parts);
	ck_assert_uint_eq(m.nr_parts, 0);
}

/* Edits one line, with the checksum made to fit, and expects @want. */
static void edit(const char *prefix, const char *line, const char *want)
{
	load_text();
	replace_line(prefix, line);
	resum();
	store_text();
	expect_manifest_error(want);
}

START_TEST(manifest_deleted)
{
	ck_assert_int_eq(unlinkat(dfd, "manifest", 0), 0);
	expect_manifest_error("snapshot: manifest: missing");
}
END_TEST

START_TEST(manifest_byte_flipped)
{
	load_text();
	text[strstr(text, "hello") - text] ^= 0x20;
	store_text();
	expect_manifest_error("snapshot: manifest: checksum mismatch (damaged or edited)");
}
END_TEST

START_TEST(manifest_newer_format)
{
	edit("format = 1", "format = 2\n",
	     "snapshot: manifest: format 2; this fpvm reads format 1");
}
END_TEST

START_TEST(manifest_size_overflows)
{
	edit("part = vcpu0.state", "part = vcpu0.state 99999999999999999999999 0x0\n",
	     "snapshot: manifest line 18: part vcpu0.state: size 99999999999999999999999: not a");
}
END_TEST

START_TEST(manifest_part_too_big)
{
	edit("part = vcpu1.state", "part = vcpu1.state 67108865 0x0\n",
	     "snapshot: manifest line 19: part vcpu1.state: 67108865 bytes, more than the 64 MiB");
}
END_TEST

START_TEST(manifest_duplicate_part)
{
	edit("part = vcpu1.state", "part = vcpu0.state 1234 0x0\n",
	     "line 19: part vcpu0.state: listed twice");
}
END_TEST

START_TEST(manifest_part_names)
{
	edit("part = devices", "part = a/b 1 0x0\n", "line 20: part 'a/b': not a part name");
	edit("part = empty", "part = .. 0 0x0\n", "line 21: part '..': not a part name");
	edit("part = vcpu0.state", "part = manifest 1234 0x0\n",
	     "line 18: part 'manifest': not a part name");
	edit("part = vcpu1.state", "part = vcpu1.state 70000\n",
	     "line 19: part: not 'NAME SIZE CRC'");
}
END_TEST

START_TEST(manifest_memory_size)
{
	edit("part = memory", "part = memory 4096 0x0\n",
	     "line 22: part memory: 4096 bytes, but mem_size is 67108864");
}
END_TEST

START_TEST(manifest_unknown_key)
{
	edit("reason = ", "colour = blue\n", "snapshot: manifest line 5: colour: unknown key");
}
END_TEST

START_TEST(manifest_missing_key)
{
	edit("cpus = ", NULL, "snapshot: manifest: no cpus line");
}
END_TEST

START_TEST(manifest_duplicate_key)
{
	edit("reason = ", "guest = other\n", "line 6: guest: given twice (first on line 5)");
}
END_TEST

START_TEST(manifest_bad_numbers)
{
	edit("cpus = ", "cpus = 0\n",
	     "snapshot: manifest line 7: cpus: not a number from 1 to 1024");
	edit("cpus = ", "cpus = 1025\n", "line 7: cpus: not a number from 1 to 1024");
	edit("cpus = ", "cpus = -1\n", "line 7: cpus: not a number");
	edit("mem_size = ", "mem_size = 67108865\n",
	     "line 8: mem_size: not a non-zero multiple of 4096");
	edit("mem_size = ", "mem_size = 0\n", "line 8: mem_size: not a non-zero multiple");
	edit("mem_size = ", "mem_size = 2199023255552\n", "line 8: mem_size:");
	edit("guest_xcr0 = ", "guest_xcr0 = 0x10000000000000000\n",
	     "line 9: guest_xcr0: not a hex");
	edit("guest_xcr0 = ", "guest_xcr0 = 743\n", "line 9: guest_xcr0: not a hex");
	edit("host_family = ", "host_family = 4294967296\n", "line 11: host_family: not a number");
}
END_TEST

START_TEST(manifest_bad_strings)
{
	edit("host_vendor = ", "host_vendor = AuthenticAMDxxxx\n",
	     "line 10: host_vendor: longer than 15 bytes");
	edit("created = ", "created = yesterday\n", "line 4: created: not a UTC time");
	edit("guest = ", "guest build/guest/hello\n", "line 6: not a 'key = value' line");
	edit("host_model_name", "host_model_name = AMD\tEPYC\x01\n",
	     "line 14: a control character (0x01)");
}
END_TEST

START_TEST(manifest_long_line)
{
	char line[2100] = "guest = ";

	memset(line + 8, 'x', 2000);
	strcpy(line + 2008, "\n");
	edit("guest = ", line, "snapshot: manifest line 6: longer than 1024 bytes");
}
END_TEST

/* A huge line with no newline: the checksum line is gone with it. */
START_TEST(manifest_huge_line_no_newline)
{
	load_text();
	replace_line("checksum = ", NULL);
	memset(text + text_len, 'x', 512 << 10);
	text_len += 512 << 10;
	store_text();
	expect_manifest_error("snapshot: manifest: the last line is not its checksum");
}
END_TEST

START_TEST(manifest_too_big)
{
	load_text();
	memset(text + text_len, 'x', 2 << 20);
	text_len += 2 << 20;
	store_text();
	expect_manifest_error("snapshot: manifest: 2");
	ck_assert_ptr_nonnull(strstr(err.msg, "more than the 1 MiB"));
}
END_TEST

START_TEST(manifest_empty)
{
	load_text();
	text_len = 0;
	store_text();
	expect_manifest_error("snapshot: manifest: empty");
}
END_TEST

START_TEST(manifest_nul_byte)
{
	load_text();
	replace_line_n("reason = ", "reason = SIG\0USR1\n", 18);
	resum();
	store_text();
	expect_manifest_error("snapshot: manifest line 5: a NUL byte");
}
END_TEST

START_TEST(manifest_checksum_rules)
{
	load_text();
	replace_line("checksum = ", NULL);
	store_text();
	expect_manifest_error("snapshot: manifest: the last line is not its checksum");
	load_text();
	memcpy(text + text_len, "reason = late\n", 14);
	text_len += 14;
	store_text();
	expect_manifest_error("the last line is not its checksum");
	/* A checksum line before the end. */
	edit("reason = ", "checksum = 0x0\n", "line 5: checksum: not the last line");
	edit("format = ", "cpus = 2\n", "line 2: cpus: the first key must be format");
}
END_TEST

/* And straight into the parser, without a file. */
START_TEST(parse_tiny_inputs)
{
	struct snapshot_manifest m;
	static const char *const bad[] = {
		"\n", "checksum = 0x0", "checksum = 0x00000000\n", "#\nchecksum = 0x0\n",
		"checksum\n", "checksum = zz\n", "\0\0\0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_error(snapshot_manifest_parse(bad[i], strlen(bad[i]) + (i == 6 ? 3 : 0), &m,
						     &err), "snapshot: manifest");
		ck_assert_ptr_null(m.parts);
	}
	expect_error(snapshot_manifest_parse("", 0, &m, &err), "snapshot: manifest: empty");
	/* The checksum of nothing is 0: a manifest with no keys then lacks format. */
	expect_error(snapshot_manifest_parse("checksum = 0x00000000", 21, &m, &err),
		     "snapshot: manifest: no format line");
}
END_TEST

/* ---- whether a snapshot fits this host ---- */

#define AMD "cpuid/amd-epyc-avx512-pvm-host.txt"
#define XEON "cpuid/intel-xeon-avx512-pvm-host.txt"
#define SPR "cpuid/intel-sapphire-rapids.txt"
#define SKX "cpuid/intel-skylake-sp.txt"

static bool has_finding(const struct snapshot_findings *f, const char *want)
{
	for (unsigned int i = 0; i < f->nr; i++)
		if (strstr(f->item[i].msg, want))
			return true;
	return false;
}

static void print_findings(const struct snapshot_findings *f)
{
	for (unsigned int i = 0; i < f->nr; i++)
		fprintf(stderr, "  %s\n", f->item[i].msg);
}

START_TEST(cpuid_against_itself)
{
	static const char *const kvm_tables[] = { AMD, XEON };

	for (size_t i = 0; i < 2; i++) {
		struct snapshot_findings f = { 0 };
		struct cpuid_fixture c;

		ck_assert_int_eq(cpuid_fixture_load(kvm_tables[i], &c), 0);
		ck_assert_uint_gt(c.kvm->nent, 0);
		snapshot_check_cpuid(0, c.kvm, c.kvm, &f);
		snapshot_check_xfeatures(0, 0xe7, 0xe7, 0xe7, &f);
		ck_assert_uint_eq(f.nr, 0);
		ck_assert_uint_eq(f.nr_errors, 0);
		cpuid_fixture_free(&c);
	}
}
END_TEST

/*
 * Sapphire Rapids onto Skylake-SP.  The SPR fixture has leaf 0xD only (no
 * leaf 7): what differs there is XFD in 0xD.1 and the AMX state in XCR0.
 */
START_TEST(spr_onto_skx)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture spr, skx;

	ck_assert_int_eq(cpuid_fixture_load(SPR, &spr), 0);
	ck_assert_int_eq(cpuid_fixture_load(SKX, &skx), 0);
	snapshot_check_cpuid(1, spr.host, skx.host, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert_str_eq(f.item[0].msg, "vcpu 1: CPUID xfd (leaf 0xd.1 EAX bit 4): the guest was "
			 "given it, this host's KVM lacks it");
	snapshot_check_xfeatures(1, 0x602e7, 0x602e7, 0x2ff, &f);
	ck_assert_uint_eq(f.nr, 2);
	ck_assert_str_eq(f.item[1].msg, "vcpu 1: XCR0 0x602e7 has amx (xtilecfg,xtiledata), which "
			 "this host's KVM does not support");
	ck_assert_uint_eq(f.nr_errors, 2);
	/* The other way round, Skylake-SP's leaves 1 and 7 against nothing but 0xD. */
	memset(&f, 0, sizeof(f));
	snapshot_check_cpuid(0, skx.host, spr.host, &f);
	ck_assert_str_eq(f.item[0].msg, "vcpu 0: CPUID sse3 (leaf 0x1 ECX bit 0): the guest was "
			 "given it, this host's KVM lacks it");
	ck_assert(has_finding(&f, "CPUID sse4.2 (leaf 0x1 ECX bit 20)"));
	ck_assert(!has_finding(&f, "leaf 0x1 ECX bit 27"));	/* OSXSAVE is state */
	ck_assert(!has_finding(&f, "leaf 0x1 ECX bit 31"));	/* and hypervisor KVM's */
	ck_assert(!has_finding(&f, "leaf 0x1 EDX bit 9"));
	/* More than are kept: Skylake-SP has well over 64 feature bits. */
	ck_assert_uint_eq(f.nr, SNAPSHOT_MAX_FINDINGS);
	ck_assert_uint_gt(f.dropped, 0);
	ck_assert_uint_eq(f.nr_errors, f.nr + f.dropped);
	cpuid_fixture_free(&spr);
	cpuid_fixture_free(&skx);
}
END_TEST

/* What Sapphire Rapids adds in leaf 7, set on the Xeon's KVM table. */
START_TEST(amx_and_fp16_named)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture c;
	struct kvm_cpuid2 *g;
	size_t size;

	ck_assert_int_eq(cpuid_fixture_load(XEON, &c), 0);
	size = sizeof(*c.kvm) + c.kvm->nent * sizeof(c.kvm->entries[0]);
	g = malloc(size);
	ck_assert_ptr_nonnull(g);
	memcpy(g, c.kvm, size);
	for (unsigned int i = 0; i < g->nent; i++)
		if (g->entries[i].function == 7 && g->entries[i].index == 0)
			g->entries[i].edx |= 1U << 22 | 1U << 23 | 1U << 24 | 1U << 25 | 1U << 5;
	snapshot_check_cpuid(0, g, c.kvm, &f);
	if (f.nr != 5)
		print_findings(&f);
	ck_assert_uint_eq(f.nr, 5);
	ck_assert(has_finding(&f, "vcpu 0: CPUID amx-tile (leaf 0x7.0 EDX bit 24): the guest was "
			      "given it, this host's KVM lacks it"));
	ck_assert(has_finding(&f, "CPUID avx512-fp16 (leaf 0x7.0 EDX bit 23)"));
	ck_assert(has_finding(&f, "CPUID amx-bf16 (leaf 0x7.0 EDX bit 22)"));
	ck_assert(has_finding(&f, "CPUID amx-int8 (leaf 0x7.0 EDX bit 25)"));
	ck_assert(has_finding(&f, "vcpu 0: CPUID leaf 0x7.0 EDX bit 5: the guest was given it"));
	free(g);
	cpuid_fixture_free(&c);
}
END_TEST

/* The Xeon's KVM table onto Skylake-SP hardware: a newer guest, an older host. */
START_TEST(xeon_onto_skx)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture xeon, skx;

	ck_assert_int_eq(cpuid_fixture_load(XEON, &xeon), 0);
	ck_assert_int_eq(cpuid_fixture_load(SKX, &skx), 0);
	snapshot_check_cpuid(0, xeon.kvm, skx.host, &f);
	ck_assert(has_finding(&f, "CPUID gfni (leaf 0x7.0 ECX bit 8)"));
	ck_assert(has_finding(&f, "CPUID la57 (leaf 0x7.0 ECX bit 16)"));
	ck_assert(has_finding(&f, "CPUID movdir64b (leaf 0x7.0 ECX bit 28)"));
	ck_assert(has_finding(&f, "CPUID tsxldtrk (leaf 0x7.0 EDX bit 16)"));
	ck_assert(has_finding(&f, "CPUID fsrs (leaf 0x7.1 EAX bit 11)"));
	/* The dump's 0x80000001 EDX lacks SYSCALL (taken outside 64-bit mode). */
	ck_assert(has_finding(&f, "CPUID syscall (leaf 0x80000001 EDX bit 11)"));
	ck_assert(!has_finding(&f, "avx512f"));
	ck_assert_uint_eq(f.nr, 12);
	ck_assert_uint_eq(f.nr_errors, f.nr);
	cpuid_fixture_free(&xeon);
	cpuid_fixture_free(&skx);
}
END_TEST

START_TEST(amd_onto_intel)
{
	struct snapshot_findings f = { 0 };
	struct cpuid_fixture amd, xeon;

	ck_assert_int_eq(cpuid_fixture_load(AMD, &amd), 0);
	ck_assert_int_eq(cpuid_fixture_load(XEON, &xeon), 0);
	snapshot_check_cpuid(0, amd.kvm, xeon.kvm, &f);
	ck_assert(has_finding(&f, "CPUID misalignsse (leaf 0x80000001 ECX bit 7)"));
	ck_assert(has_finding(&f, "CPUID topoext (leaf 0x80000001 ECX bit 22)"));
	ck_assert(has_finding(&f, "CPUID mmxext (leaf 0x80000001 EDX bit 22)"));
	ck_assert(has_finding(&f, "CPUID clzero (leaf 0x80000008 EBX bit 0)"));
	ck_assert(has_finding(&f, "CPUID leaf 0x80000008 EBX bit 30: the guest was given it"));
	/* AMD's copies of leaf 1 EDX are there on Intel through leaf 1. */
	ck_assert(!has_finding(&f, "CPUID fpu (leaf 0x80000001"));
	ck_assert(!has_finding(&f, "CPUID cx8 (leaf 0x80000001"));
	cpuid_fixture_free(&amd);
	cpuid_fixture_free(&xeon);
}
END_TEST

START_TEST(host_identity)
{
	struct snapshot_host skx = { 0 }, amd = { 0 }, xeon = { 0 };

	host_of(SKX, false, &skx);
	ck_assert_str_eq(skx.vendor, "GenuineIntel");
	ck_assert_uint_eq(skx.family, 6);
	ck_assert_uint_eq(skx.model, 0x55);
	ck_assert_uint_eq(skx.stepping, 4);
	ck_assert_str_eq(skx.model_name, "Intel(R) Xeon(R) Silver 4108 CPU @ 1.80GHz");
	host_of(AMD, true, &amd);
	ck_assert_str_eq(amd.vendor, "AuthenticAMD");
	ck_assert_uint_eq(amd.family, 0xf + 0xb);
	ck_assert_uint_eq(amd.model, 2);
	ck_assert_uint_eq(amd.stepping, 1);
	ck_assert_str_eq(amd.model_name, "");	/* KVM's table has no brand string */
	host_of(XEON, true, &xeon);
	ck_assert_uint_eq(xeon.family, 6);
	ck_assert_uint_eq(xeon.model, 0xcf);
}
END_TEST

START_TEST(host_vendor_and_model)
{
	struct snapshot_findings f = { 0 };
	struct snapshot_host skx = { 0 }, amd = { 0 }, xeon = { 0 };

	host_of(SKX, false, &skx);
	host_of(AMD, true, &amd);
	host_of(XEON, true, &xeon);
	snapshot_check_host(&xeon, &amd, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert_uint_eq(f.nr_errors, 0);
	ck_assert(!f.item[0].error);
	ck_assert_str_eq(f.item[0].msg, "the snapshot comes from a GenuineIntel host; this is "
			 "AuthenticAMD: the guest keeps its CPUID, and the XSAVE image is "
			 "converted between layouts where they differ");
	memset(&f, 0, sizeof(f));
	snapshot_check_host(&skx, &xeon, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert(!f.item[0].error);
	ck_assert(has_finding(&f, "family 6 model 85 host; this is family 6 model 207"));
	memset(&f, 0, sizeof(f));
	snapshot_check_host(&amd, &amd, &f);
	ck_assert_uint_eq(f.nr, 0);
}
END_TEST

START_TEST(xfeatures)
{
	struct snapshot_findings f = { 0 };

	snapshot_check_xfeatures(0, 0x2e7, 0x2e7, 0x7, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert_str_eq(f.item[0].msg, "vcpu 0: XCR0 0x2e7 has avx512 (opmask,zmm_hi256,"
			 "hi16_zmm), pkru, which this host's KVM does not support");
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(2, 0x2e7, 0x2e7, 0x207, &f);
	ck_assert_str_eq(f.item[0].msg, "vcpu 2: XCR0 0x2e7 has avx512 (opmask,zmm_hi256,"
			 "hi16_zmm), which this host's KVM does not support");
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(0, 0x7, 0x207, 0x7, &f);
	ck_assert_uint_eq(f.nr, 1);
	ck_assert(has_finding(&f, "vcpu 0: the XSAVE image (XSTATE_BV 0x207) holds pkru"));
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(0, 0x60207, 0x20003, 0x7, &f);
	ck_assert(has_finding(&f, "XCR0 0x60207 has amx (xtilecfg,xtiledata), pkru"));
	ck_assert_uint_eq(f.nr, 1);	/* the image's xtilecfg is already said */
	memset(&f, 0, sizeof(f));
	snapshot_check_xfeatures(0, 0x2e7, 0x3, 0x2e7, &f);
	ck_assert_uint_eq(f.nr, 0);
}
END_TEST

START_TEST(msrs)
{
	static const uint32_t saved[] = { 0x10, 0x1c4, 0xda0, 0xc0000103, 0x12345678, 0x4b564d01 };
	static const uint32_t host[] = { 0xc0000103, 0x10, 0xda0 };
	struct snapshot_findings f = { 0 };

	snapshot_check_msrs(3, saved, 6, host, 3, &f);
	ck_assert_uint_eq(f.nr, 3);
	ck_assert_uint_eq(f.nr_errors, 3);
	ck_assert_str_eq(f.item[0].msg, "vcpu 3: MSR 0x1c4 (IA32_XFD): saved, but this host's KVM "
			 "cannot restore it");
	ck_assert_str_eq(f.item[1].msg, "vcpu 3: MSR 0x12345678: saved, but this host's KVM cannot "
			 "restore it");
	ck_assert(has_finding(&f, "MSR 0x4b564d01 (KVM_SYSTEM_TIME_NEW)"));
	memset(&f, 0, sizeof(f));
	snapshot_check_msrs(0, host, 3, saved, 6, &f);
	ck_assert_uint_eq(f.nr, 0);
}
END_TEST

/* Past SNAPSHOT_MAX_FINDINGS findings are counted, not kept. */
START_TEST(findings_dropped)
{
	struct snapshot_findings f = { 0 };
	struct kvm_cpuid2 *g = calloc(1, sizeof(*g) + 8 * sizeof(g->entries[0]));
	struct kvm_cpuid2 empty = { 0 };
	static const uint32_t leaves[][2] = {
		{ 1, 0 }, { 7, 0 }, { 7, 1 }, { 0xd, 1 }, { 0x80000001, 0 }, { 0x80000008, 0 },
	};

	ck_assert_ptr_nonnull(g);
	for (unsigned int i = 0; i < 6; i++)
		g->entries[g->nent++] = (struct kvm_cpuid_entry2){
			.function = leaves[i][0], .index = leaves[i][1],
			.eax = ~0U, .ebx = ~0U, .ecx = ~0U, .edx = ~0U,
		};
	snapshot_check_cpuid(0, g, &empty, &f);
	ck_assert_uint_eq(f.nr, SNAPSHOT_MAX_FINDINGS);
	/* 10 registers of 32 bits, less the 6 ignored bits (HTT is topology) */
	ck_assert_uint_eq(f.nr_errors, 10 * 32 - 6);
	ck_assert_uint_eq(f.dropped, f.nr_errors - SNAPSHOT_MAX_FINDINGS);
	free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *crc = tcase_create("crc32c"), *disk = tcase_create("disk");
	TCase *part = tcase_create("damaged-parts"), *mf = tcase_create("damaged-manifest");
	TCase *compat = tcase_create("compat");

	tcase_add_test(crc, crc_known_vectors);
	tcase_add_test(crc, crc_chaining);
	tcase_add_test(crc, crc_hw_equals_sw);
	suite_add_tcase(s, crc);

	tcase_add_unchecked_fixture(disk, make_base, remove_base);
	tcase_add_checked_fixture(disk, write_snapshot, remove_snapshot);
	tcase_set_timeout(disk, 60);
	tcase_add_test(disk, round_trip);
	tcase_add_test(disk, memory_file_is_sparse);
	tcase_add_test(disk, memory_crc_definition);
	tcase_add_test(disk, manifest_layout);
	tcase_add_test(disk, print_json_and_text);
	tcase_add_test(disk, add_file_and_rewrite);
	tcase_add_test(disk, memory_from_unaligned_buffer);
	tcase_add_test(disk, memory_4g_sparse_is_fast);
	tcase_add_test(disk, dir_errors);
	tcase_add_test(disk, write_refuses_bad_input);
	suite_add_tcase(s, disk);

	tcase_add_unchecked_fixture(part, make_base, remove_base);
	tcase_add_checked_fixture(part, write_snapshot, remove_snapshot);
	tcase_add_test(part, part_truncated);
	tcase_add_test(part, part_grown);
	tcase_add_test(part, part_bit_flipped);
	tcase_add_test(part, part_deleted);
	tcase_add_test(part, part_not_listed);
	tcase_add_test(part, part_symlink);
	tcase_add_test(part, memory_bit_flipped_in_data);
	tcase_add_test(part, memory_hole_made_nonzero);
	tcase_add_test(part, memory_truncated);
	tcase_add_test(part, memory_wrong_vm_size);
	suite_add_tcase(s, part);

	tcase_add_unchecked_fixture(mf, make_base, remove_base);
	tcase_add_checked_fixture(mf, write_snapshot, remove_snapshot);
	tcase_add_test(mf, manifest_deleted);
	tcase_add_test(mf, manifest_byte_flipped);
	tcase_add_test(mf, manifest_newer_format);
	tcase_add_test(mf, manifest_size_overflows);
	tcase_add_test(mf, manifest_part_too_big);
	tcase_add_test(mf, manifest_duplicate_part);
	tcase_add_test(mf, manifest_part_names);
	tcase_add_test(mf, manifest_memory_size);
	tcase_add_test(mf, manifest_unknown_key);
	tcase_add_test(mf, manifest_missing_key);
	tcase_add_test(mf, manifest_duplicate_key);
	tcase_add_test(mf, manifest_bad_numbers);
	tcase_add_test(mf, manifest_bad_strings);
	tcase_add_test(mf, manifest_long_line);
	tcase_add_test(mf, manifest_huge_line_no_newline);
	tcase_add_test(mf, manifest_too_big);
	tcase_add_test(mf, manifest_empty);
	tcase_add_test(mf, manifest_nul_byte);
	tcase_add_test(mf, manifest_checksum_rules);
	tcase_add_test(mf, parse_tiny_inputs);
	suite_add_tcase(s, mf);

	tcase_add_test(compat, cpuid_against_itself);
	tcase_add_test(compat, spr_onto_skx);
	tcase_add_test(compat, amx_and_fp16_named);
	tcase_add_test(compat, xeon_onto_skx);
	tcase_add_test(compat, amd_onto_intel);
	tcase_add_test(compat, host_identity);
	tcase_add_test(compat, host_vendor_and_model);
	tcase_add_test(compat, xfeatures);
	tcase_add_test(compat, msrs);
	tcase_add_test(compat, findings_dropped);
	suite_add_tcase(s, compat);
	return run_suite(s);
}
