// SPDX-License-Identifier: MIT
/*
 * Snapshots on disk: CRC-32C, and a snapshot written through the part API,
 * edited, and read back.  Damage is test_snapshot_damage.c's, interrupted
 * writers test_snapshot_crash.c's, the host and state checks
 * test_snapshot_compat.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snaptest.h"

/* ---- CRC-32C ---- */

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

START_TEST(round_trip)
{
	struct snapshot_dir d;
	struct snapshot_manifest *m = &d.m;
	uint8_t *back = map(MEM_SIZE);
	unsigned char *core = malloc(MEM_SIZE / PAGE);
	unsigned int resident = 0;

	ck_assert_ptr_nonnull(back);
	ck_assert_ptr_nonnull(core);
	open_snapshot(&d);
	ck_assert_uint_eq(m->format, 2);
	ck_assert_uint_eq(m->generation, 1);
	ck_assert_str_eq(m->created, man.created);
	ck_assert_str_eq(m->reason, "SIGUSR1");
	ck_assert_str_eq(m->guest, "build/guest/hello");
	ck_assert_uint_eq(m->nr_cpus, 2);
	ck_assert_uint_eq(m->mem_size, MEM_SIZE);
	ck_assert_uint_eq(m->guest_xcr0, 0x2e7);
	ck_assert_str_eq(m->host.vendor, "AuthenticAMD");
	ck_assert_uint_eq(m->host.family, man.host.family);
	ck_assert_uint_eq(m->host.model, man.host.model);
	ck_assert_uint_eq(m->host.stepping, man.host.stepping);
	ck_assert_str_eq(m->host.model_name, man.host.model_name);
	ck_assert_uint_eq(m->host.xcr0_supported, 0x2e7);
	ck_assert_uint_eq(m->host.xss_supported, 0);
	ck_assert_uint_eq(m->host.uabi_size, 4096);
	ck_assert_str_eq(m->host.fpvm_version, "0.1.0");
	ck_assert_uint_eq(m->nr_parts, NR_PARTS + 1);
	for (unsigned int i = 0; i < m->nr_parts; i++) {
		ck_assert_str_eq(m->parts[i].name, man.parts[i].name);
		ck_assert_uint_eq(m->parts[i].size, man.parts[i].size);
		ck_assert_uint_eq(m->parts[i].crc, man.parts[i].crc);
		ck_assert_uint_eq(m->parts[i].flags, 0);
	}
	for (size_t i = 0; i < NR_PARTS; i++) {
		void *buf;
		size_t size;

		ck_assert_msg(!snapshot_part_read(&d, parts[i].name, &buf, &size, &err), "%s",
			      err.msg);
		ck_assert_uint_eq(size, parts[i].size);
		ck_assert_mem_eq(buf, part_data[i], size);
		free(buf);
		ck_assert_uint_eq(snapshot_part_find(m, parts[i].name)->flags,
				  SNAPSHOT_PART_CHECKED);
		ck_assert_msg(!snapshot_part_verify(&d, parts[i].name, &err), "%s", err.msg);
	}
	ck_assert_msg(!snapshot_memory_verify(&d, &err), "%s", err.msg);
	ck_assert_msg(!snapshot_memory_read(&d, back, MEM_SIZE, &err), "%s", err.msg);
	/* Only the pages with data were written: the rest of the mapping is untouched. */
	ck_assert_int_eq(mincore(back, MEM_SIZE, core), 0);
	for (size_t i = 0; i < MEM_SIZE / PAGE; i++)
		resident += core[i] & 1;
	ck_assert_uint_le(resident, 16);
	ck_assert_int_eq(memcmp(back, mem, MEM_SIZE), 0);
	snapshot_close(&d);
	free(core);
	munmap(back, MEM_SIZE);
}
END_TEST

/* The on-disk rule: DIR/manifest names gen-1, which holds every part and nothing else. */
START_TEST(directory_layout)
{
	const char *names[NR_PARTS + 1] = { "memory" };
	int fd = parts_fd();
	unsigned int n = 0;
	struct stat st;
	DIR *d;

	for (size_t i = 0; i < NR_PARTS; i++)
		names[i + 1] = parts[i].name;
	for (size_t i = 0; i <= NR_PARTS; i++) {
		ck_assert_int_eq(fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW), 0);
		ck_assert(S_ISREG(st.st_mode));
		ck_assert_int_eq(faccessat(dfd, names[i], F_OK, AT_SYMLINK_NOFOLLOW), -1);
	}
	d = fdopendir(fd);
	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	ck_assert_uint_eq(n, NR_PARTS + 1 + 2);
	ck_assert_int_eq(fstatat(dfd, "gen-1", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(faccessat(dfd, "manifest.tmp", F_OK, 0), -1);
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
	int fd = parts_fd();
	struct stat st;

	ck_assert_int_eq(fstatat(fd, "memory", &st, AT_SYMLINK_NOFOLLOW), 0);
	close(fd);
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
		"format = 2", "fpvm_version = 0.1.0", "created = ", "reason = SIGUSR1",
		"guest = build/guest/hello", "cpus = 2", "mem_size = 67108864",
		"guest_xcr0 = 0x2e7", "host_vendor = AuthenticAMD", "host_family = ",
		"host_model = ", "host_stepping = ", "host_model_name",
		"host_xcr0_supported = 0x2e7",
		"host_xss_supported = 0x0", "host_uabi_size = 4096", "generation = 1",
		"part = vcpu0.state 1234 0x", "part = vcpu1.state 70000 0x", "part = devices 1 0x",
		"part = empty 0 0x00000000", "part = memory 67108864 0x", "checksum = 0x",
	};
	char text[4096], *line, *save = NULL;
	size_t i = 0;

	ck_assert_uint_lt(orig_len, sizeof(text));
	memcpy(text, orig, orig_len);
	text[orig_len] = '\0';
	ck_assert_int_eq(text[orig_len - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		ck_assert_uint_lt(i, sizeof(order) / sizeof(order[0]));
		ck_assert_msg(!strncmp(line, order[i], strlen(order[i])), "line %zu: '%s'", i + 1,
			      line);
	}
	ck_assert_uint_eq(i, sizeof(order) / sizeof(order[0]));
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
	ck_assert_msg(!strncmp(buf, "{\"format\": 2, \"generation\": 1, \"fpvm_version\": "
			       "\"0.1.0\", ", 55), "%s", buf);
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
	ck_assert_ptr_nonnull(strstr(buf, "parts in:  gen-1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "vcpu1.state"));
	free(buf);
}
END_TEST

/*
 * An edit: one part written again, one added, the rest kept, all in a new
 * generation; the first is gone, the snapshot is whole.
 */
START_TEST(edit_and_rewrite)
{
	static const char text[] = "{\"written\": \"by someone else\"}\n";
	struct snapshot_writer w = { 0 };
	struct snapshot_dir d;
	const struct snapshot_part *p;
	void *buf;
	size_t size;

	ck_assert_msg(!snapshot_edit_begin(&w, dir, &err), "%s", err.msg);
	ck_assert_uint_eq(w.gen, 2);
	ck_assert_str_eq(w.m.reason, "SIGUSR1");
	ck_assert_msg(!snapshot_part_write(&w, "devices.json", text, strlen(text), &err), "%s",
		      err.msg);
	ck_assert_msg(!snapshot_part_write(&w, "vcpu0.state", "new", 3, &err), "%s", err.msg);
	ck_assert_uint_eq(w.m.nr_parts, NR_PARTS + 2);
	ck_assert_msg(!snapshot_write_commit(&w, &err), "%s", err.msg);
	ck_assert_int_eq(faccessat(dfd, "gen-1", F_OK, 0), -1);
	open_snapshot(&d);
	ck_assert_uint_eq(d.m.generation, 2);
	p = snapshot_part_find(&d.m, "devices.json");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->size, strlen(text));
	ck_assert_uint_eq(p->crc, crc_ref(0, (const uint8_t *)text, strlen(text)));
	ck_assert_msg(!snapshot_part_read(&d, "vcpu0.state", &buf, &size, &err), "%s", err.msg);
	ck_assert_uint_eq(size, 3);
	ck_assert_mem_eq(buf, "new", 3);
	free(buf);
	/* The kept parts: the same bytes, the memory with them. */
	ck_assert_msg(!snapshot_part_read(&d, "vcpu1.state", &buf, &size, &err), "%s", err.msg);
	ck_assert_mem_eq(buf, part_data[1], size);
	free(buf);
	ck_assert_msg(!snapshot_memory_verify(&d, &err), "%s", err.msg);
	ck_assert_msg(!snapshot_verify_unread(&d, &err), "%s", err.msg);
	snapshot_close(&d);
}
END_TEST

/* A buffer not page-aligned: no pagemap, every page examined; the same file. */
START_TEST(memory_from_unaligned_buffer)
{
	uint64_t size = 1 << 20;
	uint8_t *raw = calloc(1, size + 1), *src = raw + 1, *back = map(size);
	struct snapshot_writer w = { 0 };
	struct snapshot_dir d;

	ck_assert_ptr_nonnull(raw);
	ck_assert_ptr_nonnull(back);
	src[0] = 1;
	src[17 * PAGE + 9] = 2;
	src[size - 1] = 3;
	ck_assert_msg(!snapshot_write_begin(&w, dir, &err), "%s", err.msg);
	fill_manifest(&w.m);
	ck_assert_msg(!snapshot_memory_write(&w, src, size, &err), "%s", err.msg);
	ck_assert_uint_eq(w.m.mem_size, size);
	ck_assert_msg(!snapshot_write_commit(&w, &err), "%s", err.msg);
	open_snapshot(&d);
	ck_assert_msg(!snapshot_memory_read(&d, back, size, &err), "%s", err.msg);
	ck_assert_int_eq(memcmp(back, src, size), 0);
	snapshot_close(&d);
	munmap(back, size);
	free(raw);
}
END_TEST

/* A 4 GiB guest that touched three pages costs milliseconds either way. */
START_TEST(memory_4g_sparse_is_fast)
{
	uint64_t size = 4ULL << 30;
	uint8_t *big = map(size), *back = map(size);
	struct snapshot_writer w = { 0 };
	struct snapshot_dir d;
	struct timespec t0, t1, t2;
	double wr, rd;

	if (!big || !back) {
		/* No 4 GiB of address space here (a strict overcommit policy). */
		if (big)
			munmap(big, size);
		return;
	}
	big[12345] = 1;
	big[(2ULL << 30) + 7] = 2;
	big[size - 1] = 3;
	ck_assert_msg(!snapshot_write_begin(&w, dir, &err), "%s", err.msg);
	fill_manifest(&w.m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(!snapshot_memory_write(&w, big, size, &err), "%s", err.msg);
	ck_assert_msg(!snapshot_write_commit(&w, &err), "%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	open_snapshot(&d);
	ck_assert_uint_eq(d.m.mem_size, size);
	ck_assert_msg(!snapshot_memory_read(&d, back, size, &err), "%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	wr = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	rd = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
	/* Generous for valgrind; examining every page takes seconds. */
	ck_assert_msg(wr < 3 && rd < 3, "write %.3f s, read %.3f s", wr, rd);
	ck_assert_uint_eq(back[12345], 1);
	ck_assert_uint_eq(back[(2ULL << 30) + 7], 2);
	ck_assert_uint_eq(back[size - 1], 3);
	snapshot_close(&d);
	munmap(big, size);
	munmap(back, size);
}
END_TEST

START_TEST(dir_errors)
{
	struct snapshot_writer w = { 0 };
	struct snapshot_dir d;

	ck_assert_int_eq(snapshot_open("/nonexistent/fpvm-snap", &d, &err), -ENOENT);
	ck_assert_str_eq(err.msg, "snapshot /nonexistent/fpvm-snap: No such file or directory");
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_int_eq(d.fd, -1);
	ck_assert_int_lt(snapshot_write_begin(&w, "/nonexistent/fpvm-snap", &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_OUTPUT);
	ck_assert_int_eq(w.fd, -1);
	/* Beginning a snapshot over one unmakes nothing: the earlier stays until the commit. */
	ck_assert_msg(!snapshot_write_begin(&w, dir, &err), "%s", err.msg);
	ck_assert_uint_eq(w.gen, 2);
	ck_assert_uint_eq(w.old_gen, 1);
	open_snapshot(&d);
	ck_assert_uint_eq(d.m.generation, 1);
	snapshot_close(&d);
	/* ... and an abort leaves nothing of the new one. */
	snapshot_write_abort(&w);
	ck_assert_int_eq(faccessat(dfd, "gen-2", F_OK, 0), -1);
	open_snapshot(&d);
	ck_assert_msg(!snapshot_verify_unread(&d, &err), "%s", err.msg);
	snapshot_close(&d);
}
END_TEST

START_TEST(write_refuses_bad_input)
{
	struct snapshot_writer w = { 0 };
	struct snapshot_dir d;

	ck_assert_msg(!snapshot_write_begin(&w, dir, &err), "%s", err.msg);
	fill_manifest(&w.m);
	expect_error(snapshot_part_write(&w, "../escape", "x", 1, &err), "'../escape'");
	expect_error(snapshot_part_write(&w, "manifest", "x", 1, &err), "'manifest'");
	expect_error(snapshot_part_write(&w, "gen-7", "x", 1, &err), "'gen-7'");
	expect_error(snapshot_part_write(&w, "big", mem, SNAPSHOT_MAX_PART_SIZE + 1, &err),
		     "part big: 67108865 bytes, more than");
	ck_assert_int_eq(faccessat(w.gen_fd, "big", F_OK, 0), -1);
	expect_error(snapshot_memory_write(&w, mem, 4097, &err), "part memory");
	/* What the reader would refuse is never written, and the old snapshot stands. */
	ck_assert_msg(!snapshot_memory_write(&w, mem, MEM_SIZE, &err), "%s", err.msg);
	w.m.nr_cpus = 0;
	expect_error(snapshot_write_commit(&w, &err), "line 7: cpus");
	ck_assert_int_eq(err.cls, FPVM_ERR_OUTPUT);
	ck_assert_int_eq(faccessat(dfd, "manifest.tmp", F_OK, 0), -1);
	ck_assert_int_eq(faccessat(dfd, "gen-2", F_OK, 0), -1);
	open_snapshot(&d);
	ck_assert_uint_eq(d.m.generation, 1);
	snapshot_close(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *crc = tcase_create("crc32c"), *disk = tcase_create("disk");

	tcase_add_test(crc, crc_known_vectors);
	tcase_add_test(crc, crc_chaining);
	tcase_add_test(crc, crc_hw_equals_sw);
	suite_add_tcase(s, crc);

	tcase_add_unchecked_fixture(disk, make_base, remove_base);
	tcase_add_checked_fixture(disk, write_snapshot, remove_snapshot);
	tcase_set_timeout(disk, 60);
	tcase_add_test(disk, round_trip);
	tcase_add_test(disk, directory_layout);
	tcase_add_test(disk, memory_file_is_sparse);
	tcase_add_test(disk, memory_crc_definition);
	tcase_add_test(disk, manifest_layout);
	tcase_add_test(disk, print_json_and_text);
	tcase_add_test(disk, edit_and_rewrite);
	tcase_add_test(disk, memory_from_unaligned_buffer);
	tcase_add_test(disk, memory_4g_sparse_is_fast);
	tcase_add_test(disk, dir_errors);
	tcase_add_test(disk, write_refuses_bad_input);
	suite_add_tcase(s, disk);

	return run_suite(s);
}
