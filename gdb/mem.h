/* SPDX-License-Identifier: MIT */
/*
 * Guest-virtual to guest-physical addresses through the guest's own page
 * tables, as the vCPU's control registers say it translates (SDM vol. 3,
 * 4.1): 4-level long mode, or no paging (a Multiboot kernel's 32-bit
 * protected mode, flat).  Pure: page-table entries are read through the
 * caller's accessor, which refuses anything outside guest RAM, so a walk
 * never touches host memory.
 */
#ifndef FPVM_GDB_MEM_H
#define FPVM_GDB_MEM_H

#include <stdint.h>

/* Reads 8 bytes of guest-physical memory at @gpa; -EFAULT outside RAM. */
typedef int (*gdb_phys_read)(void *ctx, uint64_t gpa, uint64_t *val);

struct gdb_mmu {
	uint64_t cr0, cr3, cr4, efer;
};

/*
 * @gva to *@gpa, and in *@room how many bytes from there lie in the same
 * page.  -EFAULT: not mapped, or a page table outside RAM; -EOPNOTSUPP: a
 * paging mode fpvm's guests do not use (32-bit or PAE paging, 5 levels).
 */
int gdb_translate(const struct gdb_mmu *mmu, gdb_phys_read read, void *ctx, uint64_t gva,
		  uint64_t *gpa, uint64_t *room);

#endif
