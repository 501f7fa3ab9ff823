// SPDX-License-Identifier: MIT
/*
 * The Linux boot protocol loader (loader/linux.c) on synthetic bzImages:
 * what it accepts, where it puts each piece, what the zero page, page
 * tables and entry state say, and the one-line refusals.
 */
#include <stdlib.h>
#include <string.h>

#include "../../loader/linux.h"
#include "testutil.h"

#define SETUP_SECTS	4
#define SETUP_SIZE	((SETUP_SECTS + 1) * 512)
#define KERNEL_SIZE	0x4000
#define IMAGE_SIZE	(SETUP_SIZE + KERNEL_SIZE)
#define MiB		(1ULL << 20)

static uint8_t image[IMAGE_SIZE];
static struct linux_boot *b;
static struct fpvm_error err;

static void put16(size_t off, uint16_t v) { memcpy(image + off, &v, 2); }
static void put32(size_t off, uint32_t v) { memcpy(image + off, &v, 4); }
static void put64(size_t off, uint64_t v) { memcpy(image + off, &v, 8); }

static uint32_t zp32(size_t off)
{
	uint32_t v;

	memcpy(&v, b->zero_page + off, 4);
	return v;
}

static uint64_t zp64(size_t off)
{
	uint64_t v;

	memcpy(&v, b->zero_page + off, 8);
	return v;
}

/* A bzImage as a 6.1 kernel's header has it: protocol 2.15, relocatable, 64-bit entry. */
static void build(void)
{
	memset(image, 0, sizeof(image));
	image[0x1f1] = SETUP_SECTS;
	put32(0x1f4, KERNEL_SIZE / 16);
	put16(0x1fe, 0xaa55);
	image[0x200] = 0xeb;
	image[0x201] = 0x6a;			/* header ends at 0x26c */
	memcpy(image + 0x202, "HdrS", 4);
	put16(0x206, 0x020f);
	image[0x211] = 0x01;			/* LOADED_HIGH */
	put32(0x214, 0x100000);
	put32(0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(0x230, 0x200000);			/* kernel_alignment */
	image[0x234] = 1;			/* relocatable */
	image[0x235] = 21;
	put16(0x236, 0x7f);			/* xloadflags */
	put32(0x238, 2047);			/* cmdline_size */
	put64(0x258, 0x1000000);		/* pref_address */
	put32(0x260, 0x800000);			/* init_size */
	for (size_t i = 0; i < KERNEL_SIZE; i++)
		image[SETUP_SIZE + i] = (uint8_t)(i * 7 + 1);
}

static void setup(void)
{
	build();
	b = calloc(1, sizeof(*b));
	ck_assert_ptr_nonnull(b);
	err = (struct fpvm_error){ 0 };
}

static void teardown(void)
{
	free(b);
}

static struct linux_params params(uint64_t mem, const char *cmdline, const void *initrd,
				  uint64_t initrd_size)
{
	uint64_t low = mem < 0xc0000000ULL ? mem : 0xc0000000ULL;

	return (struct linux_params){
		.ram = { .low_size = low, .high_base = mem > low ? 1ULL << 32 : 0,
			 .high_size = mem - low },
		.cmdline = cmdline, .initrd = initrd, .initrd_size = initrd_size,
		.acpi_rsdp = 0xe0000,
	};
}

static int prepare(size_t len, const struct linux_params *p)
{
	return linux_prepare(image, len, p, b, &err);
}

/* The guest-physical address the loader's page tables map @va to, or ~0. */
static uint64_t walk(uint64_t va)
{
	uint64_t e = b->pml4[(va >> 39) & 511], pd_gpa;

	if (!(e & 1) || (e & ~0xfffULL) != LINUX_PDPT_ADDR)
		return ~0ULL;
	e = b->pdpt[(va >> 30) & 511];
	pd_gpa = e & ~0xfffULL;
	if (!(e & 1) || pd_gpa < LINUX_PD_ADDR || pd_gpa >= LINUX_PD_ADDR + LINUX_NR_PD * 0x1000)
		return ~0ULL;
	e = b->pd[(pd_gpa - LINUX_PD_ADDR) / 0x1000][(va >> 21) & 511];
	if (!(e & 1) || !(e & 0x80))
		return ~0ULL;
	return (e & ~0x1fffffULL) + (va & 0x1fffff);
}

static const struct linux_piece *piece(const char *what)
{
	for (unsigned int i = 0; i < b->nr_pieces; i++)
		if (!strcmp(b->piece[i].what, what))
			return &b->piece[i];
	return NULL;
}

static void assert_fails(int r, enum fpvm_err_class cls, const char *text)
{
	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(err.cls, cls);
	ck_assert_msg(strstr(err.msg, text), "\"%s\" lacks \"%s\"", err.msg, text);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	ck_assert_ptr_null(strstr(err.msg, "--"));
}

START_TEST(detects_bzimage_only)
{
	ck_assert(linux_detect(image, sizeof(image)));
	ck_assert(!linux_detect(image, 0x205));
	memcpy(image, "\177ELF", 4);
	ck_assert(linux_detect(image, sizeof(image)));
	image[0x202] = 'h';
	ck_assert(!linux_detect(image, sizeof(image)));
}
END_TEST

START_TEST(parses_header)
{
	struct linux_image img;

	ck_assert_int_eq(linux_parse(image, sizeof(image), &img, &err), 0);
	ck_assert_uint_eq(img.version, 0x020f);
	ck_assert_uint_eq(img.kernel_offset, SETUP_SIZE);
	ck_assert_uint_eq(img.kernel_size, KERNEL_SIZE);
	ck_assert_uint_eq(img.header_end, 0x26c);
	ck_assert(img.relocatable);
	ck_assert_uint_eq(img.pref_address, 0x1000000);
	ck_assert_uint_eq(img.init_size, 0x800000);
	ck_assert_uint_eq(img.cmdline_size, 2047);
	ck_assert_uint_eq(img.initrd_addr_max, 0x7fffffff);
	/* setup_sects 0 means 4 (boot.rst). */
	image[0x1f1] = 0;
	ck_assert_int_eq(linux_parse(image, sizeof(image), &img, &err), 0);
	ck_assert_uint_eq(img.kernel_offset, 5 * 512);
	/* init_size below the kernel's own size: the kernel's size. */
	put32(0x260, 0x100);
	ck_assert_int_eq(linux_parse(image, sizeof(image), &img, &err), 0);
	ck_assert_uint_eq(img.init_size, KERNEL_SIZE);
}
END_TEST

START_TEST(lays_out_boot)
{
	static const uint8_t initrd[5000] = { 1 };
	const struct linux_params p = params(256 * MiB, "console=ttyS0 quiet", initrd,
					     sizeof(initrd));
	const struct linux_piece *k, *i;

	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->kernel_addr, 0x1000000);
	ck_assert_uint_eq(b->kernel_end, 0x1800000);
	/* The initrd: page-aligned, as high as low RAM allows. */
	ck_assert_uint_eq(b->initrd_addr, 256 * MiB - 0x2000);
	k = piece("the kernel");
	i = piece("the initrd");
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(i);
	ck_assert_uint_eq(k->gpa, 0x1000000);
	ck_assert_ptr_eq(k->data, image + SETUP_SIZE);
	ck_assert_uint_eq(k->len, KERNEL_SIZE);
	ck_assert_ptr_eq(i->data, initrd);
	ck_assert_uint_eq(i->len, sizeof(initrd));
	ck_assert_str_eq(piece("the command line")->data, "console=ttyS0 quiet");
	ck_assert_uint_eq(piece("the command line")->len, strlen("console=ttyS0 quiet") + 1);
	/* Every piece in low RAM, none over another, none over the legacy area. */
	for (unsigned int x = 0; x < b->nr_pieces; x++) {
		const struct linux_piece *a = &b->piece[x];

		ck_assert_uint_le(a->gpa + a->len, p.ram.low_size);
		ck_assert(a->gpa + a->len <= 0x9fc00 || a->gpa >= 0x100000);
		for (unsigned int y = 0; y < x; y++)
			ck_assert_msg(a->gpa >= b->piece[y].gpa + b->piece[y].len ||
				      b->piece[y].gpa >= a->gpa + a->len, "%s overlaps %s",
				      a->what, b->piece[y].what);
	}
	ck_assert_uint_ge(i->gpa, b->kernel_end);
}
END_TEST

START_TEST(zero_page)
{
	static const uint8_t initrd[5000];
	const struct linux_params p = params(256 * MiB, "root=/dev/ram0", initrd, sizeof(initrd));

	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	/* The image's own setup header, then the boot loader's fields. */
	ck_assert_mem_eq(b->zero_page + 0x1f1, image + 0x1f1, 0x1fa - 0x1f1);
	ck_assert_mem_eq(b->zero_page + 0x202, "HdrS", 4);
	ck_assert_uint_eq(zp32(0x260), 0x800000);
	ck_assert_uint_eq(b->zero_page[0x1fa] | b->zero_page[0x1fb] << 8, 0xffff);
	ck_assert_uint_eq(b->zero_page[0x210], 0xff);
	ck_assert_uint_eq(zp32(0x228), LINUX_CMDLINE_ADDR);
	ck_assert_uint_eq(zp32(0x218), b->initrd_addr);
	ck_assert_uint_eq(zp32(0x21c), sizeof(initrd));
	ck_assert_uint_eq(zp64(0x070), 0xe0000);
	ck_assert_uint_eq(b->zero_page[0x1ef], 0);
	/* e820: RAM to the EBDA, the legacy area reserved, RAM from 1 MiB. */
	ck_assert_uint_eq(b->zero_page[0x1e8], 3);
	ck_assert_uint_eq(zp64(0x2d0), 0);
	ck_assert_uint_eq(zp64(0x2d0 + 8), 0x9fc00);
	ck_assert_uint_eq(zp32(0x2d0 + 16), 1);
	ck_assert_uint_eq(zp64(0x2e4), 0x9fc00);
	ck_assert_uint_eq(zp64(0x2e4 + 8), 0x100000 - 0x9fc00);
	ck_assert_uint_eq(zp32(0x2e4 + 16), 2);
	ck_assert_uint_eq(zp64(0x2f8), 0x100000);
	ck_assert_uint_eq(zp64(0x2f8 + 8), 255 * MiB);
	ck_assert_uint_eq(zp32(0x2f8 + 16), 1);
}
END_TEST

/* The longest header a jump offset can give is copied only as far as the zero page has room. */
START_TEST(long_header)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	image[0x201] = 0xff;
	memset(image + 0x26c, 0x5a, 0x301 - 0x26c);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->img.header_end, 0x301);
	ck_assert_uint_eq(b->zero_page[0x28f], 0x5a);
	for (size_t i = 0x290; i < 0x2d0; i++)
		ck_assert_uint_eq(b->zero_page[i], 0);
	ck_assert_uint_eq(zp64(0x2d0 + 8), 0x9fc00);
}
END_TEST

START_TEST(e820_high_ram)
{
	const struct linux_params p = params(4096 * MiB, "", NULL, 0);

	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->zero_page[0x1e8], 4);
	ck_assert_uint_eq(zp64(0x2f8 + 8), 0xc0000000ULL - 0x100000);
	ck_assert_uint_eq(zp64(0x30c), 1ULL << 32);
	ck_assert_uint_eq(zp64(0x30c + 8), 1ULL << 30);
	ck_assert_uint_eq(zp32(0x30c + 16), 1);
	/* No initrd: none in the zero page, no piece. */
	ck_assert_uint_eq(zp32(0x218), 0);
	ck_assert_uint_eq(zp32(0x21c), 0);
	ck_assert_ptr_null(piece("the initrd"));
}
END_TEST

START_TEST(rsdp_only_from_2_14)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	put16(0x206, 0x020d);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(zp64(0x070), 0);
}
END_TEST

START_TEST(entry_state)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);
	uint64_t cs, ds;

	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->entry.rip, 0x1000200);
	ck_assert_uint_eq(b->entry.rsi, LINUX_ZERO_PAGE_ADDR);
	ck_assert_uint_eq(b->entry.cr3, LINUX_PML4_ADDR);
	ck_assert(b->entry.cr0 & (1ULL << 31));		/* PG */
	ck_assert(b->entry.cr0 & 1);			/* PE */
	ck_assert(b->entry.cr4 & (1ULL << 5));		/* PAE */
	ck_assert_uint_eq(b->entry.efer & 0x500, 0x500);	/* LME, LMA */
	/* __BOOT_CS: 64-bit code; __BOOT_DS: flat writable data; both present, DPL 0. */
	ck_assert_uint_eq(b->entry.cs, 0x10);
	ck_assert_uint_eq(b->entry.ds, 0x18);
	ck_assert_uint_eq(b->entry.gdt_base, LINUX_GDT_ADDR);
	ck_assert_uint_ge(b->entry.gdt_limit, 0x1f);
	cs = b->gdt[2];
	ds = b->gdt[3];
	ck_assert((cs >> 53) & 1);			/* L */
	ck_assert_uint_eq((cs >> 40) & 0x9a, 0x9a);	/* present, code, readable */
	ck_assert_uint_eq((ds >> 40) & 0x9a, 0x92);	/* present, data, writable */
	ck_assert_uint_eq((ds >> 45) & 3, 0);
	ck_assert_uint_eq(piece("the boot GDT")->gpa, LINUX_GDT_ADDR);
	ck_assert_uint_eq(piece("the zero page")->gpa, LINUX_ZERO_PAGE_ADDR);
}
END_TEST

/* The identity map covers the kernel, zero page, command line and initrd: all of 4 GiB. */
START_TEST(identity_map)
{
	static const uint8_t initrd[100];
	const struct linux_params p = params(1024 * MiB, "x", initrd, sizeof(initrd));
	const uint64_t probes[] = {
		0, LINUX_ZERO_PAGE_ADDR, LINUX_CMDLINE_ADDR, 0x1000200, 0x3fffffff, 0x40000000,
		0xbfffffffULL, 0xfee00000ULL, 0xffffffffULL,
	};

	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		ck_assert_uint_eq(walk(probes[i]), probes[i]);
	ck_assert_uint_eq(walk(b->initrd_addr + 50), b->initrd_addr + 50);
	ck_assert_uint_eq(walk(1ULL << 32), ~0ULL);
	ck_assert_uint_eq(piece("the PML4")->gpa, LINUX_PML4_ADDR);
	ck_assert_uint_eq(piece("the page directories")->len, LINUX_NR_PD * 4096);
}
END_TEST

START_TEST(relocation)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	/* Relocatable with pref_address below 1 MiB: the first aligned address from 1 MiB. */
	put64(0x258, 0x1000);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->kernel_addr, 0x200000);
	/* An unaligned pref_address is rounded up to kernel_alignment. */
	put64(0x258, 0x1000001);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->kernel_addr, 0x1200000);
	/* Not relocatable: at pref_address, exactly. */
	image[0x234] = 0;
	put64(0x258, 0x1100000);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->kernel_addr, 0x1100000);
	ck_assert_uint_eq(b->entry.rip, 0x1100200);
	put64(0x258, 0x80000);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "below 1 MiB");
}
END_TEST

START_TEST(not_a_bzimage)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	memcpy(image + 0x202, "ELF!", 4);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "not a Linux bzImage");
	build();
	put16(0x1fe, 0);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "not a Linux bzImage");
	build();
	image[0x211] = 0;
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "zImage");
}
END_TEST

START_TEST(truncated)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	/* Cut in the kernel, in the setup code, in the header itself. */
	assert_fails(prepare(IMAGE_SIZE - 1, &p), FPVM_ERR_INPUT, "truncated Linux image");
	ck_assert_ptr_nonnull(strstr(err.msg, "its header says 18944"));
	assert_fails(prepare(SETUP_SIZE - 16, &p), FPVM_ERR_INPUT, "truncated Linux image");
	assert_fails(prepare(0x240, &p), FPVM_ERR_INPUT, "truncated Linux image");
	assert_fails(prepare(0x100, &p), FPVM_ERR_INPUT, "not a Linux bzImage");
	/* A kernel of 0 bytes. */
	put32(0x1f4, 0);
	assert_fails(prepare(IMAGE_SIZE, &p), FPVM_ERR_INPUT, "syssize 0");
	/* A header that ends before init_size. */
	build();
	image[0x201] = 0x40;
	assert_fails(prepare(IMAGE_SIZE, &p), FPVM_ERR_INPUT, "before init_size");
}
END_TEST

START_TEST(old_protocol)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	put16(0x206, 0x020b);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT,
		     "Linux boot protocol 2.11 is older than 2.12");
	put16(0x206, 0x020c);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
}
END_TEST

START_TEST(no_64bit_entry)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	put16(0x236, 0x7e);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "no 64-bit entry point");
}
END_TEST

START_TEST(bad_alignment)
{
	const struct linux_params p = params(256 * MiB, "", NULL, 0);

	put32(0x230, 0x300000);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "kernel_alignment 0x300000");
	put32(0x230, 0x100);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "kernel_alignment 0x100");
	image[0x234] = 0;	/* the alignment only matters to a relocatable kernel */
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
}
END_TEST

START_TEST(cmdline_limit)
{
	char line[2049];
	struct linux_params p;

	memset(line, 'a', sizeof(line) - 1);
	line[2047] = 0;
	p = params(256 * MiB, line, NULL, 0);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	line[2047] = 'a';
	line[2048] = 0;
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT,
		     "command line of 2048 bytes is longer than the kernel's limit of 2047");
	/* A kernel that takes more than fpvm's area still gets no more than the area. */
	put32(0x238, 0xffffffff);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
}
END_TEST

START_TEST(initrd_addr_max)
{
	static const uint8_t initrd[1];
	struct linux_params p = params(256 * MiB, "", initrd, 4 * MiB);

	/* The initrd's last byte may be at initrd_addr_max, not past it. */
	put32(0x22c, 0x1bfffff);
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->initrd_addr, 0x1800000);
	p.initrd_size = 4 * MiB + 1;
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT,
		     "initrd of 4194305 bytes does not fit between the kernel's end at 0x1800000 "
		     "and its initrd_addr_max 0x1bfffff");
}
END_TEST

START_TEST(ram_too_small)
{
	static const uint8_t initrd[1];
	struct linux_params p = params(24 * MiB, "", NULL, 0);

	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	p = params(23 * MiB, "", NULL, 0);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_CONFIG,
		     "23M is too small for this Linux kernel (it needs at least 24M)");
	ck_assert_int_eq(err.item, CFG_MEM);
	/* The initrd too big for RAM, where initrd_addr_max is not what binds. */
	p = params(32 * MiB, "", initrd, 8 * MiB + 1);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_CONFIG,
		     "32M is too small for this Linux kernel and its initrd (it needs at least 33M)");
	p.initrd_size = 8 * MiB;
	ck_assert_int_eq(prepare(sizeof(image), &p), 0);
	ck_assert_uint_eq(b->initrd_addr, 24 * MiB);
	/* A pref_address no RAM can hold. */
	image[0x234] = 0;
	put64(0x258, ~0ULL - 0x100);
	assert_fails(prepare(sizeof(image), &p), FPVM_ERR_INPUT, "beyond any RAM");
}
END_TEST

static Suite *linux_suite(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("bzimage");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, detects_bzimage_only);
	tcase_add_test(tc, parses_header);
	tcase_add_test(tc, lays_out_boot);
	tcase_add_test(tc, zero_page);
	tcase_add_test(tc, long_header);
	tcase_add_test(tc, e820_high_ram);
	tcase_add_test(tc, rsdp_only_from_2_14);
	tcase_add_test(tc, entry_state);
	tcase_add_test(tc, identity_map);
	tcase_add_test(tc, relocation);
	tcase_add_test(tc, not_a_bzimage);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, old_protocol);
	tcase_add_test(tc, no_64bit_entry);
	tcase_add_test(tc, bad_alignment);
	tcase_add_test(tc, cmdline_limit);
	tcase_add_test(tc, initrd_addr_max);
	tcase_add_test(tc, ram_too_small);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(linux_suite());
}
