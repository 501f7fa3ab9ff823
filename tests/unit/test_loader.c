// SPDX-License-Identifier: MIT
/*
 * The loader (loader/): ELF64 and Multiboot validation against a corpus of
 * well-formed and malformed images, what each kind leaves in guest memory
 * and its entry state, and image files that are no files.  This program
 * links the loader and base alone: the loader is pure.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../guest/abi.h"
#include "../../loader/loader.h"
#include "check_run.h"

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
static struct image img;

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
	int r = image_validate(image, len, &lim, &img, &err);

	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_msg(strstr(err.msg, fragment), "message '%s' lacks '%s'", err.msg, fragment);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}

START_TEST(accepts_good_image)
{
	size_t len = good();

	ck_assert_int_eq(image_detect(image, len), IMAGE_ELF64);
	ck_assert_int_eq(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert_int_eq(img.kind, IMAGE_ELF64);
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

/* A static host program is ET_EXEC without an interpreter: its TLS tells it. */
START_TEST(rejects_thread_local_storage)
{
	const struct seg s[] = {
		{ PT_LOAD, PF_R | PF_X, 0x100000, 64, 0x1000, 0 },
		{ PT_TLS, PF_R, 0x100040, 0, 16, 0 },
	};

	expect_bad(build(s, 2, 0x100000), "a host program, not a guest");
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

/* Guest RAM of @size bytes on the heap: calloc's pages are zero, as a new VM's are. */
static void mem_alloc(struct guest_mem *mem, uint64_t size)
{
	uint8_t *host = calloc(1, size);

	ck_assert_ptr_nonnull(host);
	guest_mem_layout(mem, size, host);
}

static void mem_free(struct guest_mem *mem)
{
	free(mem->host);
}

/* image_load_file(): what only a file system can produce. */
START_TEST(load_rejects_directory_and_missing_file)
{
	struct guest_mem mem;

	mem_alloc(&mem, RAM_SIZE);
	ck_assert_int_lt(image_load_file("/tmp", &mem, &lim, &img, &err), 0);
	ck_assert_str_eq(err.msg, "/tmp: is a directory");
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_int_lt(image_load_file("/nonexistent/x.elf", &mem, &lim, &img, &err), 0);
	ck_assert_str_eq(err.msg, "/nonexistent/x.elf: No such file or directory");
	mem_free(&mem);
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
	mem_alloc(&mem, RAM_SIZE);
	ck_assert_int_eq(image_load_file(path, &mem, &lim, &img, &err), 0);
	p = guest_mem_ptr(&mem, 0x100000, 64);
	ck_assert_uint_eq(p[0], 0x90);
	ck_assert_uint_eq(p[63], 0x90);
	ck_assert_uint_eq(p[64], 0);

	/* An empty file: the message names the file and the problem. */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	ck_assert_int_lt(image_load_file(path, &mem, &lim, &img, &err), 0);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, ": empty file"), "%s", err.msg);
	unlink(path);
	mem_free(&mem);
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

	ck_assert_int_eq(image_detect(image, len), IMAGE_MULTIBOOT);
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
	ck_assert_int_eq(image_detect(image, sizeof(image)), IMAGE_ELF64);
}
END_TEST

/*
 * A FIFO would block the read until a writer came, a device could be
 * endless: both are refused at once, naming the path (fpvm run's status 65).
 */
START_TEST(a_fifo_or_device_is_no_image)
{
	char dir[] = "/tmp/fpvm-loader-XXXXXX", fifo[64];
	uint8_t *buf = NULL;
	size_t len;

	alarm(10);	/* a read that blocks fails the test instead of hanging it */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo.elf", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_lt(image_read_file(fifo, RAM_SIZE, &buf, &len, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_str_eq(err.msg + strlen(dir), "/fifo.elf: is a FIFO, not a regular file");
	ck_assert_int_lt(image_read_file("/dev/zero", RAM_SIZE, &buf, &len, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_str_eq(err.msg, "/dev/zero: is a device, not a regular file");
	ck_assert_ptr_null(buf);
	unlink(fifo);
	rmdir(dir);
	alarm(0);
}
END_TEST

START_TEST(each_kind_says_what_it_boots_on)
{
	ck_assert(!image_kind_pc(IMAGE_ELF64));
	ck_assert(!image_kind_modules(IMAGE_ELF64));
	ck_assert(image_kind_pc(IMAGE_MULTIBOOT));
	ck_assert(image_kind_modules(IMAGE_MULTIBOOT));
}
END_TEST

/* A boot layout over @mem, its limits in the test's @lim. */
static struct boot_layout layout(struct guest_mem *mem, unsigned int nr_cpus)
{
	struct boot_layout b;

	mem_alloc(mem, RAM_SIZE);
	ck_assert_int_eq(boot_layout_init(&b, mem, nr_cpus, nr_cpus, &err), 0);
	load_limits_init(&lim, mem, &b);
	return b;
}

START_TEST(elf64_prepare_and_entry)
{
	const struct image_boot boot = { .path = "g.elf" };
	struct kvm_regs regs;
	struct kvm_sregs sregs = { 0 };
	struct guest_mem mem;
	struct boot_layout b = layout(&mem, 2);
	size_t len = good();

	ck_assert_int_eq(image_load(image, len, "g.elf", &mem, &lim, &img, &err), 0);
	ck_assert_int_eq(image_prepare(&img, &mem, &b, &boot, &err), 0);
	/* The page tables: PML4[0] points at the PDPT. */
	ck_assert_uint_eq(*(uint64_t *)guest_mem_ptr(&mem, FPVM_PML4_ADDR, 8) & ~0xfffULL,
			  FPVM_PDPT_ADDR);
	/* Every vCPU starts at the entry, in long mode, on its own stack. */
	for (unsigned int cpu = 0; cpu < 2; cpu++) {
		ck_assert(image_entry_state(&img, &b, cpu, true, &regs, &sregs));
		ck_assert_uint_eq(regs.rip, 0x100010);
		ck_assert_uint_eq(regs.rsi, cpu);
		ck_assert_uint_eq(regs.rsp, b.stacks_base + (cpu + 1) * FPVM_BOOT_STACK_SIZE);
		ck_assert(sregs.efer & (1 << 10));	/* LMA */
	}
	mem_free(&mem);
}
END_TEST

START_TEST(multiboot_prepare_modules_and_information)
{
	static const uint8_t mod0[] = "first module", mod1[5000] = { 1 };
	const struct image_module mods[] = {
		{ mod0, sizeof(mod0), "one" }, { mod1, sizeof(mod1), "" },
	};
	char *args[] = { "a", "b" };
	const struct image_boot boot = {
		.path = "k.elf", .nargs = 2, .args = args, .modules = mods, .nr_modules = 2,
	};
	struct guest_mem mem;
	struct boot_layout b = layout(&mem, 1);
	size_t len = flat_multiboot(64, 1u << 16, 0, 0x100000 + 8192, 0x100100);
	const uint32_t *info, *m;

	ck_assert_int_eq(image_load(image, len, "k.elf", &mem, &lim, &img, &err), 0);
	ck_assert_int_eq(image_prepare(&img, &mem, &b, &boot, &err), 0);
	info = guest_mem_ptr(&mem, FPVM_MB_INFO_ADDR, 88);
	/* Flags: mem, cmdline, mods, mmap, boot loader name. */
	ck_assert_uint_eq(info[0], (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	ck_assert_uint_eq(info[1], 639);
	ck_assert_str_eq(guest_mem_ptr(&mem, info[4], 12), "k.elf a b");
	ck_assert_str_eq(guest_mem_ptr(&mem, info[16], 5), "fpvm");
	ck_assert_uint_eq(info[5], 2);
	m = guest_mem_ptr(&mem, info[6], 32);
	/* Page-aligned above the kernel's last byte (0x102000), in order. */
	ck_assert_uint_eq(m[0], 0x102000);
	ck_assert_uint_eq(m[1], 0x102000 + sizeof(mod0));
	ck_assert_str_eq(guest_mem_ptr(&mem, m[2], 4), "one");
	ck_assert_uint_eq(m[4], 0x103000);
	ck_assert_uint_eq(m[5], 0x103000 + sizeof(mod1));
	ck_assert_str_eq(guest_mem_ptr(&mem, m[6], 1), "");
	ck_assert(!memcmp(guest_mem_ptr(&mem, m[0], sizeof(mod0)), mod0, sizeof(mod0)));
	ck_assert(!memcmp(guest_mem_ptr(&mem, m[4], sizeof(mod1)), mod1, sizeof(mod1)));
	mem_free(&mem);
}
END_TEST

START_TEST(multiboot_entry_bsp_only)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs = { 0 };
	struct guest_mem mem;
	struct boot_layout b = layout(&mem, 2);
	size_t len = flat_multiboot(64, 1u << 16, 0, 0x100000 + 8192, 0x100100);

	ck_assert_int_eq(image_validate(image, len, &lim, &img, &err), 0);
	ck_assert(image_entry_state(&img, &b, 0, true, &regs, &sregs));
	ck_assert_uint_eq(regs.rip, 0x100100);
	ck_assert_uint_eq(regs.rax, 0x2badb002);
	ck_assert_uint_eq(regs.rbx, FPVM_MB_INFO_ADDR);
	ck_assert_uint_eq(sregs.cr0 & 0x80000001, 1);	/* protected mode, paging off */
	/* An application processor waits for INIT/SIPI: no entry state. */
	ck_assert(!image_entry_state(&img, &b, 1, true, &regs, &sregs));
	mem_free(&mem);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader");
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
	tcase_add_test(tc, rejects_thread_local_storage);
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
	tcase_add_test(tc, a_fifo_or_device_is_no_image);
	tcase_add_test(tc, each_kind_says_what_it_boots_on);
	tcase_add_test(tc, elf64_prepare_and_entry);
	tcase_add_test(tc, multiboot_prepare_modules_and_information);
	tcase_add_test(tc, multiboot_entry_bsp_only);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
