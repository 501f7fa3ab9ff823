/* SPDX-License-Identifier: MIT */
/*
 * Linux kernels by the x86 boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst): a bzImage's setup header checked, then
 * everything the kernel needs at its 64-bit entry point laid out as data:
 * the pieces of guest memory to fill and the register state to enter
 * with.  Pure: no ioctls, no files, no guest memory of its own; the VMM
 * copies the pieces and applies the entry state (linux.c).
 */
#ifndef FPVM_LOADER_LINUX_H
#define FPVM_LOADER_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

/*
 * 2.12 is the first protocol version whose header says (xloadflags,
 * XLF_KERNEL_64) that the kernel has the 64-bit entry point fpvm uses;
 * every kernel since 3.8 has it.
 */
#define LINUX_MIN_PROTOCOL	0x020c
/* Enough of the file to hold the setup header up to kernel_info_offset. */
#define LINUX_HEADER_MIN	0x26c

/*
 * Where fpvm puts the boot structures, in the first MiB, below the EBDA at
 * 0x9fc00 and clear of the ACPI tables at 0xe0000: a GDT, identity page
 * tables for the first 4 GiB (a PML4, a PDPT and four page directories of
 * 2 MiB pages), the zero page (struct boot_params) and the command line.
 * Linux copies what it keeps before it reuses this memory.
 */
#define LINUX_GDT_ADDR		0x1000ULL
#define LINUX_PML4_ADDR		0x2000ULL
#define LINUX_PDPT_ADDR		0x3000ULL
#define LINUX_PD_ADDR		0x4000ULL	/* four pages: 0x4000-0x7fff */
#define LINUX_ZERO_PAGE_ADDR	0x8000ULL
#define LINUX_CMDLINE_ADDR	0x20000ULL
#define LINUX_CMDLINE_MAX	0x10000ULL	/* bytes, the terminating NUL included */
#define LINUX_NR_PD		4
/* The 64-bit entry point, from the protected-mode kernel's load address. */
#define LINUX_ENTRY_64		0x200
#define LINUX_GDT_ENTRIES	4	/* null, unused, __BOOT_CS, __BOOT_DS */

/* The boot GDT's selectors the 64-bit protocol requires (__BOOT_CS, __BOOT_DS). */
#define LINUX_BOOT_CS		0x10
#define LINUX_BOOT_DS		0x18

/* What a bzImage's setup header says, checked (linux_parse()). */
struct linux_image {
	uint16_t version;		/* protocol, 0x020f for 2.15 */
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;
	uint32_t header_end;		/* file offset just past the setup header */
	uint64_t kernel_offset;		/* the protected-mode kernel in the file */
	uint64_t kernel_size;
	uint64_t pref_address;
	uint32_t kernel_alignment;
	uint64_t init_size;		/* memory the kernel needs from its load address */
	uint32_t cmdline_size;		/* longest command line, NUL not counted */
	uint64_t initrd_addr_max;	/* highest address the initrd's last byte may have */
};

/* The guest's RAM, as the e820 map will give it to the kernel. */
struct linux_ram {
	uint64_t low_size;		/* RAM from 0 */
	uint64_t high_base, high_size;	/* RAM above the MMIO hole; 0 when there is none */
};

/* What the VMM asks for. */
struct linux_params {
	struct linux_ram ram;
	const char *cmdline;
	const void *initrd;		/* NULL: none */
	uint64_t initrd_size;
	uint64_t acpi_rsdp;		/* 0: the kernel finds the RSDP by scanning */
};

/* A range of guest memory and what goes there. */
struct linux_piece {
	const char *what;
	uint64_t gpa;
	const void *data;
	uint64_t len;
};

/*
 * The 64-bit entry state (boot.rst, "64-bit Boot Protocol"): long mode,
 * paging on with the identity map, a GDT with __BOOT_CS and __BOOT_DS
 * flat, CS and DS/ES/SS loaded from them, interrupts off, RSI the zero page.
 */
struct linux_entry {
	uint64_t rip, rsi;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs, ds;
};

#define LINUX_MAX_PIECES	8
#define LINUX_E820_MAX		128	/* entries the zero page holds */

/* Everything linux_prepare() computes; the pieces point into it and into the inputs. */
struct linux_boot {
	struct linux_image img;
	uint64_t kernel_addr, kernel_end;	/* [load address, + init_size) */
	uint64_t initrd_addr;			/* 0 without an initrd */
	struct linux_entry entry;
	struct linux_piece piece[LINUX_MAX_PIECES];
	unsigned int nr_pieces;
	uint8_t zero_page[4096];
	uint64_t gdt[LINUX_GDT_ENTRIES];
	uint64_t pml4[512], pdpt[512], pd[LINUX_NR_PD][512];
};

/* "HdrS" and the boot sector's signature: a bzImage, valid or not (linux_parse says). */
bool linux_detect(const void *buf, size_t len);
/* Checks the setup header: every failure is FPVM_ERR_INPUT with one line saying why. */
int linux_parse(const void *buf, size_t len, struct linux_image *img, struct fpvm_error *err);
/* The entry state for a kernel loaded at @kernel_addr (what linux_prepare() gives). */
void linux_entry_at(uint64_t kernel_addr, struct linux_entry *e);
/*
 * Parses @buf and lays the boot out in @b for @p: the kernel at its
 * preferred address, the initrd as high as it may go, the zero page with
 * the setup header, e820 map, command line and initrd; the GDT and page
 * tables; the entry state.  A command line or initrd the kernel cannot
 * take is FPVM_ERR_INPUT; RAM too small for them is FPVM_ERR_CONFIG (CFG_MEM).
 */
int linux_prepare(const void *buf, size_t len, const struct linux_params *p,
		  struct linux_boot *b, struct fpvm_error *err);

#endif
