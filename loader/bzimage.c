// SPDX-License-Identifier: MIT
/*
 * Linux bzImages as one of the loader's formats (format.h): linux.c does
 * the boot protocol; this file gives it fpvm's RAM, the kernel's command
 * line and its initrd, and maps the protected-mode kernel to the one
 * segment every format has.
 */
#include <stdlib.h>
#include <string.h>

#include "../devices/devices.h"
#include "format.h"
#include "linux.h"

/*
 * What fpvm puts in front of the guest's arguments, each only when the
 * arguments do not set the same parameter: the console on fpvm's UART,
 * and a panic that resets at once (the kernel's default, panic=0, spins
 * forever; fpvm reports the reset after a panic line as the panic).
 */
static const char *const cmdline_defaults[] = { "console=ttyS0", "panic=-1" };
#define NR_DEFAULTS (sizeof(cmdline_defaults) / sizeof(cmdline_defaults[0]))

static bool arg_given(const struct image_boot *boot, const char *param)
{
	size_t key = strcspn(param, "=") + 1;

	for (int i = 0; i < boot->nargs; i++)
		if (!strncmp(boot->args[i], param, key))
			return true;
	return false;
}

/* The defaults not given, then the arguments, blank-separated. */
char *linux_cmdline(const struct image_boot *boot)
{
	size_t len = 1;
	char *line, *p;

	for (int i = 0; i < boot->nargs; i++)
		len += strlen(boot->args[i]) + 1;
	for (size_t d = 0; d < NR_DEFAULTS; d++)
		len += strlen(cmdline_defaults[d]) + 1;
	line = malloc(len);
	if (!line)
		return NULL;
	p = line;
	*p = '\0';
	for (size_t d = 0; d < NR_DEFAULTS; d++)
		if (!arg_given(boot, cmdline_defaults[d]))
			p = stpcpy(stpcpy(p, p == line ? "" : " "), cmdline_defaults[d]);
	for (int i = 0; i < boot->nargs; i++)
		p = stpcpy(stpcpy(p, p == line ? "" : " "), boot->args[i]);
	return line;
}

/* RAM as the limits have it: low RAM from 0, and RAM above the MMIO hole if any. */
static struct linux_ram ram_of(const struct load_limits *lim)
{
	struct linux_ram ram = { .low_size = lim->nr_ram ? lim->ram[0].end : 0 };

	if (lim->nr_ram > 1) {
		ram.high_base = lim->ram[1].start;
		ram.high_size = lim->ram[1].end - lim->ram[1].start;
	}
	return ram;
}

/*
 * The kernel where linux.c places it, init_size bytes of it (what it
 * needs while it decompresses itself), as the image's one segment.
 */
static int linux_validate(const void *buf, size_t len, const struct load_limits *lim,
			  struct image *img, struct fpvm_error *err)
{
	const struct linux_params p = { .ram = ram_of(lim), .cmdline = "" };
	struct linux_boot *b = malloc(sizeof(*b));
	int r;

	*img = (struct image){ .kind = IMAGE_LINUX };
	if (!b)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = linux_prepare(buf, len, &p, b, err);
	if (!r) {
		img->entry = b->entry.rip;
		img->nr_segments = 1;
		img->seg[0] = (struct image_segment){
			.gpa = b->kernel_addr, .file_offset = b->img.kernel_offset,
			.file_size = b->img.kernel_size, .mem_size = b->kernel_end - b->kernel_addr,
		};
	}
	free(b);
	return r;
}

/*
 * The boot laid out for @boot's command line and initrd; @mem NULL only
 * checks it.  The kernel's own piece is already in place (image_load()).
 */
static int linux_boot(const struct image_boot *boot, const struct linux_ram *ram,
		      const struct guest_mem *mem, struct fpvm_error *err)
{
	struct linux_params p = { .ram = *ram };
	struct linux_boot *b;
	char *cmdline;
	int r;

	if (boot->nr_modules > 1)
		return BAD(err, "a Linux kernel takes one initrd, not %u", boot->nr_modules);
	if (!boot->image)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "a Linux kernel's boot needs its image");
	if (boot->nr_modules) {
		p.initrd = boot->modules[0].data;
		p.initrd_size = boot->modules[0].len;
	}
	cmdline = linux_cmdline(boot);
	b = malloc(sizeof(*b));
	if (!cmdline || !b) {
		free(cmdline);
		free(b);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	}
	p.cmdline = cmdline;
	/* The PC platform's RSDP: found by the zero page's field, or by the scan. */
	p.acpi_rsdp = ACPI_TABLES_ADDR;
	r = linux_prepare(boot->image, boot->image_len, &p, b, err);
	for (unsigned int i = 1; !r && mem && i < b->nr_pieces; i++) {
		const struct linux_piece *piece = &b->piece[i];
		void *dst = guest_mem_ptr(mem, piece->gpa, piece->len);

		if (!dst)
			r = fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "%s at 0x%llx is outside RAM",
				      piece->what, (unsigned long long)piece->gpa);
		else
			memcpy(dst, piece->data, piece->len);
	}
	free(cmdline);
	free(b);
	return r;
}

static int linux_check(const struct image *img, const struct load_limits *lim,
		       const struct image_boot *boot, struct fpvm_error *err)
{
	const struct linux_ram ram = ram_of(lim);

	(void)img;
	return linux_boot(boot, &ram, NULL, err);
}

static int linux_format_prepare(const struct image *img, const struct guest_mem *mem,
				const struct boot_layout *bl, const struct image_boot *boot,
				struct fpvm_error *err)
{
	struct linux_ram ram = { .low_size = guest_mem_low_top(mem) };

	(void)img;
	(void)bl;
	if (mem->nr_regions > 1) {
		ram.high_base = mem->region[1].gpa;
		ram.high_size = mem->region[1].size;
	}
	return linux_boot(boot, &ram, mem, err);
}

/* The BSP at the 64-bit entry; the others wait for INIT/SIPI, as on a PC. */
static bool linux_entry(const struct image *img, const struct boot_layout *b, unsigned int cpu,
			bool xsave, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	struct linux_entry e;

	(void)b;
	(void)xsave;
	if (cpu)
		return false;
	linux_entry_at(img->entry - LINUX_ENTRY_64, &e);
	boot_vcpu_state_linux(&e, regs, sregs);
	return true;
}

const struct image_format linux_format = {
	.kind = IMAGE_LINUX,
	.pc = true,
	.modules = true,
	.is_linux = true,
	.detect = linux_detect,
	.validate = linux_validate,
	.check = linux_check,
	.prepare = linux_format_prepare,
	.entry = linux_entry,
};
