/* SPDX-License-Identifier: MIT */
/*
 * Kernels with a PVH entry point (pvh.c): an ELF vmlinux whose "Xen" note
 * XEN_ELFNOTE_PHYS32_ENTRY gives the physical address of its 32-bit entry,
 * booted as Xen's PVH boot ABI (xen/include/public/arch-x86/hvm/start_info.h
 * and docs/misc/pvh.pandoc) describes: flat 32-bit protected mode with
 * paging off, EBX the physical address of struct hvm_start_info.  Linux
 * (CONFIG_PVH), as Firecracker, Cloud Hypervisor and QEMU boot it.
 */
#ifndef FPVM_LOADER_PVH_H
#define FPVM_LOADER_PVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

#define PVH_NOTE_NAME		"Xen"
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_START_MAGIC		0x336ec578u	/* XEN_HVM_START_MAGIC_VALUE */
#define PVH_START_VERSION	1		/* the first with the memory map */

/*
 * Where fpvm puts what the kernel reads at its entry, in the first MiB
 * (which Linux reserves whole), as for a bzImage (linux.h): the start
 * info, then the module list and the memory map, and the command line.
 */
#define PVH_START_INFO_ADDR	0x8000ULL
#define PVH_MODLIST_ADDR	0x8040ULL
#define PVH_MEMMAP_ADDR		0x8080ULL
#define PVH_CMDLINE_ADDR	0x20000ULL
/*
 * The start info has no field for the longest command line a kernel
 * takes: x86 Linux's COMMAND_LINE_SIZE (2048, the NUL included) is it.
 */
#define PVH_CMDLINE_MAX		2048

/* struct hvm_start_info, version 1 (start_info.h). */
struct pvh_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

/* struct hvm_modlist_entry */
struct pvh_module {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

/* struct hvm_memmap_table_entry: the types are e820's */
struct pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/*
 * The PVH entry of the ELF64 image @buf: 0 and *@entry, -ENOENT when it is
 * an ELF64 image without the note, or an input error naming what is wrong
 * with the note or the headers that lead to it.
 */
int pvh_find_entry(const void *buf, size_t len, uint32_t *entry, struct fpvm_error *err);

#endif
