// SPDX-License-Identifier: MIT
/* ELF64 and Multiboot validation against a corpus of well-formed and malformed images. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../guest/abi.h"
#include "../../vmm/multiboot.h"
#include "testutil.h"

#define RAM_SIZE	(64ULL << 20)
#define STACKS_BASE	(RAM_SIZE - FPVM_BOOT_STACK_SIZE)
#define DATA_OFF	0x200

struct seg {
	uint32_t type, flags;
	uint64_t addr, filesz, memsz, offset;
};

static uint8_t image[4096];
static struct load_limits lim;
static struct fpvm_error err;
static struct elf_image img;

static void limits(void)
{
	lim = (struct load_limits){
		.ram = { { 0, RAM_SIZE, "RAM" } }, .nr_ram = 1,
		.reserved = { { 0, FPVM_IMAGE_BASE, "fpvm's boot area" },
			      { STACKS_BASE, RAM_SIZE, "the vCPU boot stacks" } },
		.nr_reserved = 2,
	};
}

/* A static x86-64 executable with the given program headers. */
static size_t build(const struct seg *segs, unsigned int n, uint64_t entry)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
	Elf64_Phdr *ph = (Elf64_Phdr *)(image + sizeof(*eh));

	memset(image, 0, sizeof(image));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)n;
	for (unsigned int i = 0; i < n; i++)
		ph[i] = (Elf64_Phdr){
			.p_type = segs[i].type, .p_flags = segs[i].flags,
			.p_offset = segs[i].offset ? segs[i].offset : DATA_OFF,
			.p_vaddr = segs[i].addr, .p_paddr = segs[i].addr,
			.p_filesz = segs[i].filesz, .p_memsz = segs[i].memsz,
		};
	memset(image + DATA_OFF, 0x90, 64);
	return DATA_OFF + 64;
}

static size_t good(void)
{
	const struct seg s[] = {
		{ PT_LOAD, PF_R | PF_X, 0x100000, 64, 0x1000, 0 },
		{ PT_LOAD, PF_R | PF_W, 0x200000, 0, 0x4000, 0 },
	};

	return build(s, 2, 0x100010);
}

static void expect_bad(size_t len, const char *fragment)
{
	int r = elf_validate(image, len, &lim, &img, &err);

	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_msg(strstr(err.msg, fragment), "message '%s' lacks '%s'", err.msg, fragment);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}

START_TEST(accepts_good_image)
{
	size_t len = good();

	ck_assert_int_eq(elf_validate(image, len, &lim, &img, &err), 0);
	ck_assert_uint_eq(img.entry, 0x100010);
	ck_assert_uint_eq(img.nr_segments, 2);
	ck_assert_uint_eq(img.seg[1].mem_size, 0x4000);
}
END_TEST

START_TEST(rejects_empty)
{
	expect_bad(0, "empty file");
}
END_TEST

START_TEST(rejects_bad_magic)
{
	size_t len = good();

	image[1] = 'X';
	expect_bad(len, "bad magic");
}
END_TEST

START_TEST(rejects_truncated_header)
{
	good();
	expect_bad(40, "truncated ELF header");
}
END_TEST

START_TEST(rejects_truncated_segment_data)
{
	good();
	expect_bad(DATA_OFF + 10, "beyond the end of the file");
}
END_TEST

START_TEST(rejects_truncated_program_headers)
{
	good();
	expect_bad(sizeof(Elf64_Ehdr) + 10, "program headers beyond");
}
END_TEST

START_TEST(rejects_wrong_class)
{
	size_t len = good();

	image[EI_CLASS] = ELFCLASS32;
	expect_bad(len, "not a 64-bit ELF");
}
END_TEST

START_TEST(rejects_big_endian)
{
	size_t len = good();

	image[EI_DATA] = ELFDATA2MSB;
	expect_bad(len, "little-endian");
}
END_TEST

START_TEST(rejects_wrong_machine)
{
	size_t len = good();

	((Elf64_Ehdr *)image)->e_machine = EM_AARCH64;
	expect_bad(len, "not an x86-64 ELF (machine 183)");
}
END_TEST

START_TEST(rejects_pie)
{
	size_t len = good();

	((Elf64_Ehdr *)image)->e_type = ET_DYN;
	expect_bad(len, "not a static executable");
}
END_TEST

START_TEST(rejects_interpreter)
{
	const struct seg s[] = {
		{ PT_INTERP, PF_R, 0x100000, 8, 8, 0 },
		{ PT_LOAD, PF_R | PF_X, 0x100000, 64, 0x1000, 0 },
	};

	expect_bad(build(s, 2, 0x100000), "dynamically linked");
}
END_TEST

START_TEST(rejects_segment_outside_ram)
{
	const struct seg s[] = { { PT_LOAD, PF_R | PF_X, RAM_SIZE + 0x1000, 64, 0x1000, 0 } };

	expect_bad(build(s, 1, RAM_SIZE + 0x1000), "outside guest RAM");
}
END_TEST

START_TEST(rejects_segment_crossing_ram_end)
{
	const struct seg s[] = { { PT_LOAD, PF_R | PF_X, 0x100000, 64, RAM_SIZE, 0 } };

	expect_bad(build(s, 1, 0x100000), "outside guest RAM");
}
END_TEST

START_TEST(rejects_segment_in_boot_area)
{
	const struct seg s[] = { { PT_LOAD, PF_R | PF_X, 0x1000, 64, 0x1000, 0 } };

	expect_bad(build(s, 1, 0x1000), "overlaps fpvm's boot area");
}
END_TEST

START_TEST(rejects_segment_over_boot_stacks)
{
	const struct seg s[] = { { PT_LOAD, PF_R | PF_X, STACKS_BASE - 0x1000, 64, 0x2000, 0 } };

	expect_bad(build(s, 1, STACKS_BASE - 0x1000), "overlaps the vCPU boot stacks");
}
END_TEST

START_TEST(rejects_overlapping_segments)
{
	const struct seg s[] = {
		{ PT_LOAD, PF_R | PF_X, 0x100000, 64, 0x2000, 0 },
		{ PT_LOAD, PF_R | PF_W, 0x101000, 0, 0x2000, 0 },
	};

	expect_bad(build(s, 2, 0x100000), "segment 1 overlaps an earlier segment");
}
END_TEST

START_TEST(rejects_wrapping_segment)
{
	const struct seg s[] = { { PT_LOAD, PF_R | PF_X, 0xfffffffffffff000ULL, 64, 0x2000, 0 } };

	expect_bad(build(s, 1, 0xfffffffffffff000ULL), "wraps around");
}
END_TEST

START_TEST(rejects_entry_outside_segments)
{
	const struct seg s[] = { { PT_LOAD, PF_R | PF_X, 0x100000, 64, 0x1000, 0 } };

	expect_bad(build(s, 1, 0x300000), "entry point 0x300000 is not inside");
}
END_TEST

START_TEST(rejects_entry_in_data_segment)
{
	const struct seg s[] = {
		{ PT_LOAD, PF_R | PF_X, 0x100000, 64, 0x1000, 0 },
		{ PT_LOAD, PF_R | PF_W, 0x200000, 0, 0x1000, 0 },
	};

	expect_bad(build(s, 2, 0x200000), "not inside an executable segment");
}
END_TEST

START_TEST(rejects_filesz_above_memsz)
{
	const struct seg s[] = { { PT_LOAD, PF_R | PF_X, 0x100000, 64, 32, 0 } };

	expect_bad(build(s, 1, 0x100000), "file size exceeds memory size");
}
END_TEST

START_TEST(rejects_non_identity_segment)
{
	size_t len = good();

	((Elf64_Phdr *)(image + sizeof(Elf64_Ehdr)))->p_vaddr = 0xffffffff80000000ULL;
	expect_bad(len, "identity-mapped");
}
END_TEST

START_TEST(rejects_no_loadable_segments)
{
	const struct seg s[] = { { PT_NOTE, PF_R, 0, 8, 8, 0 } };

	expect_bad(build(s, 1, 0x100000), "no loadable segments");
}
END_TEST

START_TEST(rejects_no_program_headers)
{
	expect_bad(build(NULL, 0, 0x100000), "no program headers");
}
END_TEST

/* elf_load_file(): what only a file system can produce. */
START_TEST(load_rejects_directory_and_missing_file)
{
	struct guest_mem mem;

	ck_assert_int_eq(guest_mem_alloc(&mem, RAM_SIZE, &err), 0);
	ck_assert_int_lt(elf_load_file("/tmp", &mem, &lim, &img, &err), 0);
	ck_assert_str_eq(err.msg, "/tmp: is a directory");
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_int_lt(elf_load_file("/nonexistent/x.elf", &mem, &lim, &img, &err), 0);
	ck_assert_str_eq(err.msg, "/nonexistent/x.elf: No such file or directory");
	guest_mem_free(&mem);
}
END_TEST

START_TEST(load_copies_segments_and_names_file)
{
	char path[] = "/tmp/fpvm-elf-XXXXXX";
	int fd = mkstemp(path);
	struct guest_mem mem;
	size_t len = good();
	uint8_t *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, image, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(guest_mem_alloc(&mem, RAM_SIZE, &err), 0);
	ck_assert_int_eq(elf_load_file(path, &mem, &lim, &img, &err), 0);
	p = guest_mem_ptr(&mem, 0x100000, 64);
	ck_assert_uint_eq(p[0], 0x90);
	ck_assert_uint_eq(p[63], 0x90);
	ck_assert_uint_eq(p[64], 0);

	/* An empty file: the message names the file and the problem. */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	ck_assert_int_lt(elf_load_file(path, &mem, &lim, &img, &err), 0);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, ": empty file"), "%s", err.msg);
	unlink(path);
	guest_mem_free(&mem);
}
END_TEST

/* A flat Multiboot kernel: the header at @off, the a.out kludge's fields. */
static size_t flat_multiboot(uint32_t off, uint32_t flags, uint32_t load_end, uint32_t bss_end,
			     uint32_t entry)
{
	uint32_t h[8] = {
		0x1badb002, flags, -(0x1badb002 + flags), 0x100000 + off, 0x100000, load_end,
		bss_end, entry,
	};

	memset(image, 0x90, sizeof(image));	/* no ELF magic anywhere */
	memcpy(image + off, h, sizeof(h));
	return sizeof(image);
}

START_TEST(multiboot_aout_kludge)
{
	size_t len = flat_multiboot(64, 1u << 16, 0, 0x100000 + 8192, 0x100100);

	ck_assert(multiboot_detect(image, len));
	ck_assert_int_eq(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_int_eq(img.kind, IMAGE_MULTIBOOT);
	ck_assert_uint_eq(img.nr_segments, 1);
	ck_assert_uint_eq(img.seg[0].gpa, 0x100000);
	ck_assert_uint_eq(img.seg[0].file_offset, 0);	/* header 64 bytes past load_addr */
	ck_assert_uint_eq(img.seg[0].file_size, sizeof(image));
	ck_assert_uint_eq(img.seg[0].mem_size, 8192);
	ck_assert_uint_eq(img.entry, 0x100100);
}
END_TEST

START_TEST(multiboot_rejects_what_it_cannot_boot)
{
	size_t len;

	len = flat_multiboot(64, 1u << 16, 0, 0, 0x100100);
	image[64 + 8] ^= 1;	/* checksum */
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "Multiboot header at offset 64: bad checksum"));
	len = flat_multiboot(0, (1u << 16) | (1u << 2), 0, 0, 0x100100);
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "requires a video mode"));
	len = flat_multiboot(0, (1u << 16) | (1u << 7), 0, 0, 0x100100);
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "an unknown feature"));
	len = flat_multiboot(0, 1u << 16, 0x100000 + 8192, 0, 0x100100);
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "load_end_addr 0x102000 lies beyond the file"));
	len = flat_multiboot(0, 1u << 16, 0, 0x100010, 0x100100);
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "bss_end_addr 0x100010 is below load_end_addr"));
	len = flat_multiboot(0, 1u << 16, 0, 0, 0x200000);
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "entry point 0x200000 is not inside"));
	/* Below 1 MiB is the kernel's, but for the ACPI tables' and information's area. */
	len = flat_multiboot(0, 1u << 16, 0, 0, 0x8010);
	memcpy(image + 16, &(uint32_t){ 0x8000 }, 4);	/* load_addr */
	memcpy(image + 12, &(uint32_t){ 0x8000 }, 4);	/* header_addr */
	ck_assert_int_eq(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_uint_eq(img.seg[0].gpa, 0x8000);
	len = flat_multiboot(0, 1u << 16, 0, 0, 0xf0010);
	memcpy(image + 16, &(uint32_t){ 0xf0000 }, 4);
	memcpy(image + 12, &(uint32_t){ 0xf0000 }, 4);
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "overlaps the ACPI tables and the Multiboot information"));
	/* ... and so do the ACPI tables below it, from 0xe0000. */
	len = flat_multiboot(0, 1u << 16, 0, 0, 0xe0010);
	memcpy(image + 16, &(uint32_t){ 0xe0000 }, 4);
	memcpy(image + 12, &(uint32_t){ 0xe0000 }, 4);
	ck_assert_int_lt(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "overlaps the ACPI tables"));
	/* The header must lie in the first 8 KiB. */
	memset(image, 0x90, sizeof(image));
	ck_assert(!multiboot_detect(image, sizeof(image)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("validate");

	tcase_add_checked_fixture(tc, limits, NULL);
	tcase_add_test(tc, accepts_good_image);
	tcase_add_test(tc, multiboot_aout_kludge);
	tcase_add_test(tc, multiboot_rejects_what_it_cannot_boot);
	tcase_add_test(tc, rejects_empty);
	tcase_add_test(tc, rejects_bad_magic);
	tcase_add_test(tc, rejects_truncated_header);
	tcase_add_test(tc, rejects_truncated_segment_data);
	tcase_add_test(tc, rejects_truncated_program_headers);
	tcase_add_test(tc, rejects_wrong_class);
	tcase_add_test(tc, rejects_big_endian);
	tcase_add_test(tc, rejects_wrong_machine);
	tcase_add_test(tc, rejects_pie);
	tcase_add_test(tc, rejects_interpreter);
	tcase_add_test(tc, rejects_segment_outside_ram);
	tcase_add_test(tc, rejects_segment_crossing_ram_end);
	tcase_add_test(tc, rejects_segment_in_boot_area);
	tcase_add_test(tc, rejects_segment_over_boot_stacks);
	tcase_add_test(tc, rejects_overlapping_segments);
	tcase_add_test(tc, rejects_wrapping_segment);
	tcase_add_test(tc, rejects_entry_outside_segments);
	tcase_add_test(tc, rejects_entry_in_data_segment);
	tcase_add_test(tc, rejects_filesz_above_memsz);
	tcase_add_test(tc, rejects_non_identity_segment);
	tcase_add_test(tc, rejects_no_loadable_segments);
	tcase_add_test(tc, rejects_no_program_headers);
	tcase_add_test(tc, load_rejects_directory_and_missing_file);
	tcase_add_test(tc, load_copies_segments_and_names_file);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
