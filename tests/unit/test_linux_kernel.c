// SPDX-License-Identifier: MIT
/*
 * The Linux loader on a kernel no one here built: Debian's cloud kernel,
 * fetched at test time by tests/linux/kernel.py (never committed), or the
 * bzImage $FPVM_LINUX_KERNEL names.  Where neither can be had the test
 * skips (status 77) and says why.  The vmlinux inside the bzImage (kernel.py
 * --vmlinux extracts it) is a PVH kernel, loaded by loader/pvh.c here.  $FPVM_KERNEL_CACHE replaces the
 * download cache (default: the build's tcg-cache, shared with the lane).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../base/file.h"
#include "../../devices/devices.h"
#include "../../loader/linux.h"
#include "../../loader/loader.h"
#include "../../loader/pvh.h"
#include "testutil.h"

#define MiB		(1ULL << 20)
#define SKIP		77
#define KERNEL_MAX	(256ULL << 20)

static uint8_t *image;
static size_t image_len;
static char config_path[4096];
static char vmlinux_path[4096];		/* "": kernel.py could not extract it */
static struct linux_boot *b;
static struct fpvm_error err;

static struct linux_params params(uint64_t mem, const char *cmdline, const void *initrd,
				  uint64_t initrd_size)
{
	return (struct linux_params){
		.ram = { .low_size = mem }, .cmdline = cmdline,
		.initrd = initrd, .initrd_size = initrd_size, .acpi_rsdp = 0xe0000,
	};
}

static void setup(void)
{
	b = calloc(1, sizeof(*b));
	ck_assert_ptr_nonnull(b);
	err = (struct fpvm_error){ 0 };
}

static void teardown(void)
{
	free(b);
}

START_TEST(header)
{
	const uint8_t *payload;
	uint32_t payload_offset;
	struct linux_image img;

	ck_assert_int_eq(linux_parse(image, image_len, &img, &err), 0);
	ck_assert_uint_ge(img.version, LINUX_MIN_PROTOCOL);
	ck_assert(img.relocatable);
	ck_assert_uint_le(img.kernel_offset + img.kernel_size, image_len);
	ck_assert_uint_ge(img.init_size, img.kernel_size);
	ck_assert_uint_ge(img.cmdline_size, 255);
	/*
	 * payload_offset counts from the protected-mode code: a known
	 * compressor's magic there says the loader found where that code starts.
	 */
	memcpy(&payload_offset, image + 0x248, 4);
	ck_assert_uint_lt(payload_offset + 6, img.kernel_size);
	payload = image + img.kernel_offset + payload_offset;
	ck_assert_msg(!memcmp(payload, "\x1f\x8b", 2) || !memcmp(payload, "\xfd" "7zXZ", 5) ||
		      !memcmp(payload, "\x02\x21\x4c\x18", 4) ||
		      !memcmp(payload, "\x28\xb5\x2f\xfd", 4) || !memcmp(payload, "BZh", 3) ||
		      !memcmp(payload, "\x5d\x00", 2) || !memcmp(payload, "\x89LZO", 4),
		      "no compressed kernel at payload_offset 0x%x", payload_offset);
}
END_TEST

START_TEST(boots_laid_out)
{
	static const uint8_t initrd[1 << 20];
	const struct linux_params p = params(512 * MiB, "console=ttyS0 quiet", initrd,
					     sizeof(initrd));

	ck_assert_int_eq(linux_prepare(image, image_len, &p, b, &err), 0);
	ck_assert_uint_eq(b->kernel_addr % b->img.kernel_alignment, 0);
	ck_assert_uint_eq(b->kernel_addr, b->img.pref_address);
	ck_assert_uint_eq(b->entry.rip, b->kernel_addr + 0x200);
	ck_assert_uint_ge(b->initrd_addr, b->kernel_end);
	ck_assert_uint_le(b->initrd_addr + sizeof(initrd) - 1, b->img.initrd_addr_max);
	ck_assert_uint_eq(b->initrd_addr, 511 * MiB);
	ck_assert_mem_eq(b->zero_page + 0x1f1, image + 0x1f1, 0x210 - 0x1f1);
	ck_assert_mem_eq(b->zero_page + 0x211, image + 0x211, 0x218 - 0x211);
	ck_assert_mem_eq(b->zero_page + 0x22c, image + 0x22c, b->img.header_end - 0x22c);
}
END_TEST

START_TEST(refusals)
{
	static const uint8_t initrd[1];
	char *line = malloc(b->img.cmdline_size + 2 > 4096 ? b->img.cmdline_size + 2 : 4096);
	struct linux_params p;

	ck_assert_int_eq(linux_parse(image, image_len, &b->img, &err), 0);
	memset(line, 'x', b->img.cmdline_size + 1);
	line[b->img.cmdline_size] = 0;
	p = params(512 * MiB, line, NULL, 0);
	ck_assert_int_eq(linux_prepare(image, image_len, &p, b, &err), 0);
	line[b->img.cmdline_size] = 'x';
	line[b->img.cmdline_size + 1] = 0;
	ck_assert_int_lt(linux_prepare(image, image_len, &p, b, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "(cmdline_size)"));
	free(line);
	/* 3 GiB of low RAM: an initrd of 2 GiB ends past initrd_addr_max (2 GiB - 1). */
	p = params(3072 * MiB, "", initrd, 2048 * MiB);
	ck_assert_int_lt(linux_prepare(image, image_len, &p, b, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "initrd_addr_max 0x7fffffff"));
	/* fpvm's default 64M is too small for this kernel; the message says how much is not. */
	p = params(64 * MiB, "", NULL, 0);
	ck_assert_int_lt(linux_prepare(image, image_len, &p, b, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "64M is too small for this Linux kernel"));
	/* Cut inside the kernel. */
	ck_assert_int_lt(linux_parse(image, b->img.kernel_offset + b->img.kernel_size - 1,
				     &b->img, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "truncated Linux image"));
}
END_TEST

/* What the Linux tests rely on the kernel having built in. */
START_TEST(built_in)
{
	static const char *const needed[] = {
		"CONFIG_SERIAL_8250_CONSOLE=y", "CONFIG_BLK_DEV_INITRD=y", "CONFIG_RD_GZIP=y",
		"CONFIG_X86_IOPL_IOPERM=y", "CONFIG_ACPI=y", "CONFIG_SMP=y", "CONFIG_PROC_FS=y",
		"CONFIG_PVH=y",
	};
	uint8_t *text;
	size_t len;

	if (!config_path[0])
		return;
	ck_assert_int_eq(file_read_regular(AT_FDCWD, config_path, 0, 4 << 20, FPVM_ERR_INPUT, &text,
					   &len, &err), 0);
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		ck_assert_msg(strstr((char *)text, needed[i]), "%s lacks %s", config_path, needed[i]);
	free(text);
}
END_TEST

/*
 * The vmlinux in the bzImage: its PVH note found, its segments where
 * Linux links them physically (16 MiB up), the start info written for it,
 * and RAM below its end refused as too small.
 */
START_TEST(pvh_vmlinux)
{
	static char *args[] = { "quiet" };
	static const uint8_t initrd[1 << 20];
	const struct image_module mod = { initrd, sizeof(initrd), "" };
	const struct image_boot boot = { .path = "vmlinux", .nargs = 1, .args = args,
					  .modules = &mod, .nr_modules = 1 };
	struct pvh_start_info si;
	struct load_limits lim;
	struct boot_layout bl;
	struct guest_mem mem;
	struct image img;
	uint8_t *elf, *host;
	size_t len;

	if (!vmlinux_path[0])
		return;
	ck_assert_int_eq(file_read_regular(AT_FDCWD, vmlinux_path, 0, KERNEL_MAX, FPVM_ERR_INPUT,
					   &elf, &len, &err), 0);
	ck_assert_int_eq(image_detect(elf, len), IMAGE_PVH);
	host = calloc(1, 256 * MiB);
	ck_assert_ptr_nonnull(host);
	guest_mem_layout(&mem, 256 * MiB, host);
	ck_assert_int_eq(boot_layout_init(&bl, &mem, 1, 1, &err), 0);
	load_limits_init(&lim, &mem, &bl);
	ck_assert_int_eq(image_load(elf, len, "vmlinux", &mem, &lim, &img, &err), 0);
	ck_assert_int_eq(img.kind, IMAGE_PVH);
	ck_assert_uint_ge(img.nr_segments, 2);
	for (unsigned int i = 0; i < img.nr_segments; i++)
		ck_assert_uint_ge(img.seg[i].gpa, 16 * MiB);
	ck_assert_uint_ge(img.entry, img.seg[0].gpa);
	ck_assert_uint_lt(img.entry, img.seg[0].gpa + img.seg[0].mem_size);
	ck_assert_int_eq(image_check_boot(&img, &lim, &boot, &err), 0);
	ck_assert_int_eq(image_prepare(&img, &mem, &bl, &boot, &err), 0);
	memcpy(&si, host + PVH_START_INFO_ADDR, sizeof(si));
	ck_assert_uint_eq(si.magic, PVH_START_MAGIC);
	ck_assert_uint_eq(si.nr_modules, 1);
	ck_assert_uint_eq(si.rsdp_paddr, ACPI_TABLES_ADDR);
	ck_assert_str_eq((char *)host + si.cmdline_paddr, "console=ttyS0 panic=-1 quiet");
	free(host);
	/* 32M is short of the kernel's end: a RAM size to raise, with what it needs. */
	guest_mem_layout(&mem, 32 * MiB, NULL);
	ck_assert_int_eq(boot_layout_init(&bl, &mem, 1, 1, &err), 0);
	load_limits_init(&lim, &mem, &bl);
	ck_assert_int_ne(image_validate(elf, len, &lim, &img, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
	ck_assert_msg(strstr(err.msg, "32M is too small for this PVH kernel (it needs at least"),
		      "%s", err.msg);
	free(elf);
}
END_TEST

/*
 * The path kernel.py prints with @opt ("" or " --vmlinux"), or "" and its
 * exit status when it cannot fetch one.
 */
static int fetch(const char *opt, char *path, size_t size)
{
	const char *cache = getenv("FPVM_KERNEL_CACHE");
	char cmd[8192];
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "python3 '%s' --cache '%s'%s", KERNEL_FETCH,
		 cache && *cache ? cache : KERNEL_CACHE, opt);
	f = popen(cmd, "r");
	if (!f || !fgets(path, (int)size, f))
		path[0] = 0;
	st = f ? pclose(f) : -1;
	path[strcspn(path, "\n")] = 0;
	if (!st && path[0])
		return 0;
	path[0] = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The kernel's path: $FPVM_LINUX_KERNEL, or what kernel.py fetched; exits 77 without one. */
static void find_kernel(char *path, size_t size)
{
	const char *env = getenv("FPVM_LINUX_KERNEL");
	int st;

	if (env && *env) {
		snprintf(path, size, "%s", env);
		return;
	}
	st = fetch("", path, size);
	if (st) {
		printf("SKIP: no kernel: %s exited %d (its reason above)\n", KERNEL_FETCH, st);
		exit(SKIP);
	}
	if (fetch(" --vmlinux", vmlinux_path, sizeof(vmlinux_path)))
		printf("no vmlinux: the PVH test passes without running (the reason above)\n");
}

int main(void)
{
	char path[4096];
	Suite *s = suite_create("linux-kernel");
	TCase *tc = tcase_create("debian-cloud");

	find_kernel(path, sizeof(path));
	if (file_read_regular(AT_FDCWD, path, 0, KERNEL_MAX, FPVM_ERR_INPUT, &image, &image_len,
			      &err)) {
		printf("FAIL: %s\n", err.msg);
		return 1;
	}
	printf("kernel: %s\n", path);
	/* Debian's package puts config-VERSION beside vmlinuz-VERSION. */
	if (strstr(path, "/vmlinuz-")) {
		snprintf(config_path, sizeof(config_path), "%.*sconfig-%s", (int)(strstr(path, "vmlinuz-") - path),
			 path, strstr(path, "vmlinuz-") + 8);
		if (access(config_path, R_OK))
			config_path[0] = 0;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, header);
	tcase_add_test(tc, boots_laid_out);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, built_in);
	tcase_add_test(tc, pvh_vmlinux);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
