/* SPDX-License-Identifier: MIT */
/*
 * Multiboot v1 kernels: detection, validation into loadable segments, and
 * the information structure for EBX (multiboot.c).
 */
#ifndef FPVM_VMM_MULTIBOOT_H
#define FPVM_VMM_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "loader.h"
#include "mem.h"

#define MB_BOOTLOADER_MAGIC	0x2badb002u	/* in EAX at entry */
/* Between the device tree's window and the image; reserved in the memory map. */
#define FPVM_MB_INFO_ADDR	0xf0000u
#define FPVM_MB_INFO_MAX	0x10000u

struct multiboot_module {
	uint64_t start, end;		/* where it lies in guest memory */
	const char *string;
};

struct multiboot_boot {
	const char *cmdline;		/* the kernel's path, then its arguments */
	const struct multiboot_module *modules;
	unsigned int nr_modules;
};

/* A Multiboot header in the first 8 KiB (valid or not: validation says). */
bool multiboot_detect(const void *buf, size_t len);
int multiboot_validate(const void *buf, size_t len, const struct load_limits *lim,
		       struct elf_image *img, struct fpvm_error *err);
int multiboot_write_info(const struct guest_mem *mem, const struct multiboot_boot *mb,
			 struct fpvm_error *err);

#endif
