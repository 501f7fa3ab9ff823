// SPDX-License-Identifier: MIT
/*
 * Damaged snapshots: every kind of damage a part or the manifest can
 * suffer, each refused with one line naming the part or the manifest line,
 * and never by blocking or by following a link.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snaptest.h"

/* ---- damaged parts ---- */

/* Both ways in: reading the part and verifying it. */
static void expect_part_error(const char *name, const char *want)
{
	struct snapshot_dir d;
	void *buf = NULL;
	size_t size;

	open_snapshot(&d);
	if (strcmp(name, "memory")) {
		expect_error(snapshot_part_read(&d, name, &buf, &size, &err), want);
		ck_assert_ptr_null(buf);
		expect_error(snapshot_part_verify(&d, name, &err), want);
	} else {
		uint8_t *back = map(MEM_SIZE);

		ck_assert_ptr_nonnull(back);
		expect_error(snapshot_memory_read(&d, back, MEM_SIZE, &err), want);
		munmap(back, MEM_SIZE);
		expect_error(snapshot_memory_verify(&d, &err), want);
	}
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	/* An unused part is verified all the same (snapshot show, restore). */
	if (snapshot_part_find(&d.m, name) && strcmp(name, "memory"))
		expect_error(snapshot_verify_unread(&d, &err), want);
	snapshot_close(&d);
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
	int fd = parts_fd();

	ck_assert_int_eq(unlinkat(fd, "vcpu1.state", 0), 0);
	close(fd);
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
	int fd = parts_fd();

	ck_assert_int_eq(unlinkat(fd, "vcpu1.state", 0), 0);
	ck_assert_int_eq(symlinkat("vcpu0.state", fd, "vcpu1.state"), 0);
	close(fd);
	expect_part_error("vcpu1.state", "snapshot: part vcpu1.state: a symbolic link");
}
END_TEST

/* A FIFO where a part should be: refused at once, never a reader blocked forever. */
START_TEST(part_fifo)
{
	int fd = parts_fd();

	ck_assert_int_eq(unlinkat(fd, "devices", 0), 0);
	ck_assert_int_eq(mkfifoat(fd, "devices", 0644), 0);
	ck_assert_int_eq(unlinkat(fd, "memory", 0), 0);
	ck_assert_int_eq(mkfifoat(fd, "memory", 0644), 0);
	close(fd);
	alarm(10);
	expect_part_error("devices", "snapshot: part devices: is a FIFO, not a regular file");
	expect_part_error("memory", "snapshot: part memory: is a FIFO, not a regular file");
	alarm(0);
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
	struct snapshot_dir d;

	ck_assert_ptr_nonnull(back);
	open_snapshot(&d);
	expect_error(snapshot_memory_read(&d, back, 2 * MEM_SIZE, &err),
		     "snapshot: part memory: 67108864 bytes of guest memory, but this VM has");
	snapshot_close(&d);
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
	edit("format = 2", "format = 3\n",
	     "snapshot: manifest: format 3; this fpvm reads formats 1 and 2");
}
END_TEST

START_TEST(manifest_size_overflows)
{
	edit("part = vcpu0.state", "part = vcpu0.state 99999999999999999999999 0x0\n",
	     "snapshot: manifest line 19: part vcpu0.state: size 99999999999999999999999: not a");
}
END_TEST

START_TEST(manifest_part_too_big)
{
	edit("part = vcpu1.state", "part = vcpu1.state 67108865 0x0\n",
	     "snapshot: manifest line 20: part vcpu1.state: 67108865 bytes, more than the 64 MiB");
}
END_TEST

START_TEST(manifest_duplicate_part)
{
	edit("part = vcpu1.state", "part = vcpu0.state 1234 0x0\n",
	     "line 20: part vcpu0.state: listed twice");
}
END_TEST

START_TEST(manifest_part_names)
{
	edit("part = devices", "part = a/b 1 0x0\n", "line 21: part 'a/b': not a part name");
	edit("part = empty", "part = .. 0 0x0\n", "line 22: part '..': not a part name");
	edit("part = vcpu0.state", "part = manifest 1234 0x0\n",
	     "line 19: part 'manifest': not a part name");
	edit("part = vcpu0.state", "part = gen-2 1234 0x0\n",
	     "line 19: part 'gen-2': not a part name");
	edit("part = vcpu1.state", "part = vcpu1.state 70000\n",
	     "line 20: part: not 'NAME SIZE CRC'");
}
END_TEST

START_TEST(manifest_memory_size)
{
	edit("part = memory", "part = memory 4096 0x0\n",
	     "line 23: part memory: 4096 bytes, but mem_size is 67108864");
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
	expect_manifest_error("snapshot: manifest: more than the 1 MiB a manifest may have");
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

/* Format 2 names its parts' directory; format 1 (parts beside the manifest) has none. */
START_TEST(manifest_generation)
{
	edit("generation = ", NULL, "snapshot: manifest: no generation line");
	edit("generation = ", "generation = 0\n",
	     "line 18: generation: not a number from 1 to 999999999");
	edit("format = ", "format = 1\n", "line 18: generation: not in a format 1 manifest");
}
END_TEST

/* A FIFO or a link where the manifest should be: refused at once, never followed or waited on. */
START_TEST(manifest_not_a_file)
{
	struct snapshot_dir d;

	ck_assert_int_eq(renameat(dfd, "manifest", dfd, "elsewhere"), 0);
	ck_assert_int_eq(symlinkat("elsewhere", dfd, "manifest"), 0);
	expect_error(snapshot_open(dir, &d, &err), "snapshot: manifest: a symbolic link, not a file");
	ck_assert_int_eq(unlinkat(dfd, "manifest", 0), 0);
	ck_assert_int_eq(mkfifoat(dfd, "manifest", 0644), 0);
	alarm(10);
	expect_error(snapshot_open(dir, &d, &err), "snapshot: manifest: is a FIFO, not a regular "
		     "file");
	alarm(0);
	ck_assert_int_eq(d.fd, -1);
}
END_TEST

/* The generation the manifest names: there, and a directory, never a link. */
START_TEST(generation_missing_or_link)
{
	struct snapshot_dir d;

	ck_assert_int_eq(renameat(dfd, "gen-1", dfd, "moved"), 0);
	expect_error(snapshot_open(dir, &d, &err), "snapshot: gen-1: missing, but the manifest "
		     "names it");
	ck_assert_int_eq(symlinkat("moved", dfd, "gen-1"), 0);
	expect_error(snapshot_open(dir, &d, &err), "snapshot: gen-1: not a directory");
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
}
END_TEST

/*
 * A format 1 snapshot (fpvm 0.1.0: parts beside the manifest) is read from
 * DIR itself; the next snapshot written there is format 2, and removes the
 * old parts only once it is the snapshot.
 */
START_TEST(format_1_read_and_replaced)
{
	struct snapshot_writer w = { 0 };
	struct snapshot_dir d;
	int from = parts_fd();
	void *buf;
	size_t size;

	for (unsigned int i = 0; i < man.nr_parts; i++)
		ck_assert_int_eq(renameat(from, man.parts[i].name, dfd, man.parts[i].name), 0);
	close(from);
	ck_assert_int_eq(unlinkat(dfd, "gen-1", AT_REMOVEDIR), 0);
	load_text();
	replace_line("format = ", "format = 1\n");
	replace_line("generation = ", NULL);
	resum();
	store_text();
	open_snapshot(&d);
	ck_assert_uint_eq(d.m.format, 1);
	ck_assert_uint_eq(d.m.generation, 0);
	ck_assert_msg(!snapshot_part_read(&d, "vcpu1.state", &buf, &size, &err), "%s", err.msg);
	ck_assert_mem_eq(buf, part_data[1], size);
	free(buf);
	ck_assert_msg(!snapshot_memory_verify(&d, &err) && !snapshot_verify_unread(&d, &err), "%s",
		      err.msg);
	snapshot_close(&d);
	/* Replaced: by an edit, whose kept parts are linked from DIR. */
	ck_assert_msg(!snapshot_edit_begin(&w, dir, &err), "%s", err.msg);
	ck_assert_uint_eq(w.gen, 1);
	ck_assert_msg(!snapshot_part_write(&w, "devices", "x", 1, &err), "%s", err.msg);
	ck_assert_msg(!snapshot_write_commit(&w, &err), "%s", err.msg);
	for (unsigned int i = 0; i < man.nr_parts; i++)
		ck_assert_int_eq(faccessat(dfd, man.parts[i].name, F_OK, 0), -1);
	open_snapshot(&d);
	ck_assert_uint_eq(d.m.format, 2);
	ck_assert_uint_eq(d.m.generation, 1);
	ck_assert_msg(!snapshot_memory_verify(&d, &err) && !snapshot_verify_unread(&d, &err), "%s",
		      err.msg);
	snapshot_close(&d);
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

int main(void)
{
	Suite *s = suite_create("snapshot-damage");
	TCase *part = tcase_create("damaged-parts"), *mf = tcase_create("damaged-manifest");

	tcase_add_unchecked_fixture(part, make_base, remove_base);
	tcase_add_checked_fixture(part, write_snapshot, remove_snapshot);
	tcase_add_test(part, part_truncated);
	tcase_add_test(part, part_grown);
	tcase_add_test(part, part_bit_flipped);
	tcase_add_test(part, part_deleted);
	tcase_add_test(part, part_not_listed);
	tcase_add_test(part, part_symlink);
	tcase_add_test(part, part_fifo);
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
	tcase_add_test(mf, manifest_generation);
	tcase_add_test(mf, manifest_not_a_file);
	tcase_add_test(mf, generation_missing_or_link);
	tcase_add_test(mf, format_1_read_and_replaced);
	tcase_add_test(mf, parse_tiny_inputs);
	suite_add_tcase(s, mf);
	return run_suite(s);
}
