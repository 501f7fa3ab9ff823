// SPDX-License-Identifier: MIT
/*
 * Linux bzImages through the loader's front (loader/bzimage.c behind
 * loader.h): detected as their own kind on the PC platform, the kernel as
 * one segment, the command line and initrd checked before KVM, the command
 * line fpvm adds, and the BSP alone at the 64-bit entry.
 */
#include <stdlib.h>
#include <string.h>

#include "../../loader/linux.h"
#include "../../loader/loader.h"
#include "testutil.h"

#define SETUP_SIZE	(5 * 512)
#define KERNEL_SIZE	0x2000
#define IMAGE_SIZE	(SETUP_SIZE + KERNEL_SIZE)
#define MEM_SIZE	(32ULL << 20)

static uint8_t image[IMAGE_SIZE];
static uint8_t *host;
static struct guest_mem mem;
static struct boot_layout bl;
static struct load_limits lim;
static struct fpvm_error err;

static void put(size_t off, uint64_t v, size_t n) { memcpy(image + off, &v, n); }

/* A 6.1 kernel's header: protocol 2.15, relocatable, 64-bit entry, 8 MiB init_size. */
static void setup(void)
{
	memset(image, 0, sizeof(image));
	image[0x1f1] = 4;
	put(0x1f4, KERNEL_SIZE / 16, 4);
	put(0x1fe, 0xaa55, 2);
	image[0x200] = 0xeb;
	image[0x201] = 0x6a;
	memcpy(image + 0x202, "HdrS", 4);
	put(0x206, 0x020f, 2);
	image[0x211] = 0x01;
	put(0x22c, 0x7fffffff, 4);
	put(0x230, 0x200000, 4);
	image[0x234] = 1;
	put(0x236, 0x7f, 2);
	put(0x238, 64, 4);		/* cmdline_size: small, to be exceeded */
	put(0x258, 0x1000000, 8);
	put(0x260, 0x800000, 4);
	for (size_t i = 0; i < KERNEL_SIZE; i++)
		image[SETUP_SIZE + i] = (uint8_t)(i * 5 + 3);
	host = calloc(1, MEM_SIZE);
	ck_assert_ptr_nonnull(host);
	guest_mem_layout(&mem, MEM_SIZE, host);
	ck_assert_int_eq(boot_layout_init(&bl, &mem, 1, 1, &err), 0);
	load_limits_init(&lim, &mem, &bl);
	err = (struct fpvm_error){ 0 };
}

static void teardown(void)
{
	free(host);
}

static struct image_boot boot_of(int nargs, char **args, const struct image_module *mods,
				 unsigned int nr_mods)
{
	return (struct image_boot){
		.image = image, .image_len = sizeof(image), .path = "bzImage",
		.nargs = nargs, .args = args, .modules = mods, .nr_modules = nr_mods,
	};
}

START_TEST(front_detects_linux)
{
	ck_assert_int_eq(image_detect(image, sizeof(image)), IMAGE_LINUX);
	ck_assert(image_kind_pc(IMAGE_LINUX));
	ck_assert(image_kind_modules(IMAGE_LINUX));
	image[0x205] = 'X';
	ck_assert_int_ne(image_detect(image, sizeof(image)), IMAGE_LINUX);
}
END_TEST

START_TEST(kernel_is_one_segment)
{
	struct image img;

	ck_assert_int_eq(image_validate(image, sizeof(image), &lim, &img, &err), 0);
	ck_assert_int_eq(img.kind, IMAGE_LINUX);
	ck_assert_uint_eq(img.nr_segments, 1);
	ck_assert_uint_eq(img.seg[0].gpa, 0x1000000);
	ck_assert_uint_eq(img.seg[0].file_offset, SETUP_SIZE);
	ck_assert_uint_eq(img.seg[0].file_size, KERNEL_SIZE);
	ck_assert_uint_eq(img.seg[0].mem_size, 0x800000);
	ck_assert_uint_eq(img.entry, 0x1000000 + LINUX_ENTRY_64);
}
END_TEST

START_TEST(check_before_kvm)
{
	static const uint8_t initrd[] = "initrd";
	const struct image_module two[] = { { initrd, 6, "" }, { initrd, 6, "" } };
	char long_arg[80];
	char *args[] = { long_arg };
	struct image img;
	struct image_boot boot;

	ck_assert_int_eq(image_validate(image, sizeof(image), &lim, &img, &err), 0);
	boot = boot_of(0, NULL, two, 1);
	ck_assert_int_eq(image_check_boot(&img, &lim, &boot, &err), 0);
	boot = boot_of(0, NULL, two, 2);
	ck_assert_int_ne(image_check_boot(&img, &lim, &boot, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_str_eq(err.msg, "a Linux kernel takes one initrd, not 2");
	memset(long_arg, 'x', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	boot = boot_of(1, args, NULL, 0);
	ck_assert_int_ne(image_check_boot(&img, &lim, &boot, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "limit of 64 (cmdline_size)"));
}
END_TEST

/* What the kernel finds at the zero page's cmd_line_ptr after image_prepare(). */
static const char *cmdline_for(int nargs, char **args)
{
	struct image img;
	struct image_boot boot = boot_of(nargs, args, NULL, 0);
	uint32_t ptr;

	ck_assert_int_eq(image_load(image, sizeof(image), "bzImage", &mem, &lim, &img, &err), 0);
	ck_assert_int_eq(image_prepare(&img, &mem, &bl, &boot, &err), 0);
	memcpy(&ptr, host + LINUX_ZERO_PAGE_ADDR + 0x228, 4);
	ck_assert_uint_eq(ptr, LINUX_CMDLINE_ADDR);
	return (const char *)host + ptr;
}

START_TEST(cmdline_defaults)
{
	char *quiet[] = { "quiet" };
	char *own[] = { "console=hvc0", "quiet", "panic=5", "--", "status=3" };
	char *console_only[] = { "console=ttyS1" };

	ck_assert_str_eq(cmdline_for(0, NULL), "console=ttyS0 panic=-1");
	ck_assert_str_eq(cmdline_for(1, quiet), "console=ttyS0 panic=-1 quiet");
	ck_assert_str_eq(cmdline_for(5, own), "console=hvc0 quiet panic=5 -- status=3");
	ck_assert_str_eq(cmdline_for(1, console_only), "panic=-1 console=ttyS1");
	/* The kernel's own bytes are where the segment says. */
	ck_assert_int_eq(memcmp(host + 0x1000000, image + SETUP_SIZE, KERNEL_SIZE), 0);
}
END_TEST

START_TEST(initrd_in_zero_page)
{
	static const uint8_t initrd[] = "070701 an initramfs";
	const struct image_module m = { initrd, sizeof(initrd), "" };
	struct image img;
	struct image_boot boot = boot_of(0, NULL, &m, 1);
	uint32_t addr, size;

	ck_assert_int_eq(image_load(image, sizeof(image), "bzImage", &mem, &lim, &img, &err), 0);
	ck_assert_int_eq(image_prepare(&img, &mem, &bl, &boot, &err), 0);
	memcpy(&addr, host + LINUX_ZERO_PAGE_ADDR + 0x218, 4);
	memcpy(&size, host + LINUX_ZERO_PAGE_ADDR + 0x21c, 4);
	ck_assert_uint_eq(size, sizeof(initrd));
	ck_assert_uint_ge(addr, 0x1800000);
	ck_assert_uint_le(addr + size, MEM_SIZE);
	ck_assert_int_eq(memcmp(host + addr, initrd, sizeof(initrd)), 0);
}
END_TEST

START_TEST(bsp_alone_at_entry)
{
	struct image img;
	struct kvm_regs regs;
	struct kvm_sregs sregs = { 0 };

	ck_assert_int_eq(image_validate(image, sizeof(image), &lim, &img, &err), 0);
	ck_assert(image_entry_state(&img, &bl, 0, true, &regs, &sregs));
	ck_assert_uint_eq(regs.rip, 0x1000000 + LINUX_ENTRY_64);
	ck_assert_uint_eq(regs.rsi, LINUX_ZERO_PAGE_ADDR);
	ck_assert_uint_eq(regs.rflags, 0x2);
	ck_assert_uint_eq(sregs.cr3, LINUX_PML4_ADDR);
	ck_assert_uint_eq(sregs.cs.selector, LINUX_BOOT_CS);
	ck_assert_uint_eq(sregs.ds.selector, LINUX_BOOT_DS);
	ck_assert(sregs.cs.l);
	ck_assert_uint_eq(sregs.efer & 0x500, 0x500);
	ck_assert(!image_entry_state(&img, &bl, 1, true, &regs, &sregs));
}
END_TEST

static Suite *bzimage_suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *tc = tcase_create("front");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, front_detects_linux);
	tcase_add_test(tc, kernel_is_one_segment);
	tcase_add_test(tc, check_before_kvm);
	tcase_add_test(tc, cmdline_defaults);
	tcase_add_test(tc, initrd_in_zero_page);
	tcase_add_test(tc, bsp_alone_at_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(bzimage_suite());
}
