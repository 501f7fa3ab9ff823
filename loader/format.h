/* SPDX-License-Identifier: MIT */
/*
 * One kind of guest image, as the loader's front (image.c) dispatches to
 * it, the way the kernel's binfmts are: a new kind (a Linux bzImage) is a
 * new struct image_format in the front's table.  Private to loader/.
 */
#ifndef FPVM_LOADER_FORMAT_H
#define FPVM_LOADER_FORMAT_H

#include <errno.h>

#include "loader.h"

#define BAD(err, ...) fpvm_fail(err, FPVM_ERR_INPUT, ENOEXEC, __VA_ARGS__)

struct image_format {
	enum image_kind kind;
	bool pc;		/* boots on the PC platform (image_kind_pc()) */
	bool modules;		/* takes modules */
	bool is_linux;		/* a Linux kernel (image_kind_linux()) */
	/*
	 * Whether @buf claims to be of this kind: its header is there, valid
	 * or not (validation says).  NULL: the kind of whatever no other
	 * format claims, which then explains what is wrong with it.
	 */
	bool (*detect)(const void *buf, size_t len);
	/* The whole image checked against @lim, its segments into @img. */
	int (*validate)(const void *buf, size_t len, const struct load_limits *lim,
			struct image *img, struct fpvm_error *err);
	/* image_check_boot() for this kind; NULL: nothing to check. */
	int (*check)(const struct image *img, const struct load_limits *lim,
		     const struct image_boot *boot, struct fpvm_error *err);
	/* image_prepare() for this kind. */
	int (*prepare)(const struct image *img, const struct guest_mem *mem,
		       const struct boot_layout *b, const struct image_boot *boot,
		       struct fpvm_error *err);
	/* image_entry_state() for this kind. */
	bool (*entry)(const struct image *img, const struct boot_layout *b, unsigned int cpu,
		      bool xsave, struct kvm_regs *regs, struct kvm_sregs *sregs);
};

extern const struct image_format elf64_format;		/* elf.c */
extern const struct image_format multiboot_format;	/* multiboot.c */
extern const struct image_format linux_format;		/* bzimage.c */
extern const struct image_format pvh_format;		/* pvh.c */

/*
 * bzimage.c: a Linux kernel's command line, fpvm's defaults and then
 * @boot's arguments (caller frees; NULL: out of memory).
 */
char *linux_cmdline(const struct image_boot *boot);

/* segment.c: what every kind's segments must satisfy. */
bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1);
/*
 * Segment @s (number @n in the file's own count) lies in RAM, clear of
 * fpvm's structures and of the @nr_earlier segments before it.
 */
int segment_check(const struct image_segment *s, unsigned int n,
		  const struct image_segment *earlier, unsigned int nr_earlier,
		  const struct load_limits *lim, struct fpvm_error *err);

#endif
