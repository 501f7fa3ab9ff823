/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM as a description: its regions around the MMIO hole, and
 * guest-physical addresses turned into host pointers.  Pure, so the loader
 * and its tests need no VM; mapping the RAM is the VM's (vmm/mem.h).
 */
#ifndef FPVM_LOADER_GUEST_MEM_H
#define FPVM_LOADER_GUEST_MEM_H

#include <stdint.h>

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	uint8_t *host;		/* one mapping for all regions */
	uint64_t size;
	struct mem_region region[2];	/* below the MMIO hole, above 4 GiB */
	unsigned int nr_regions;
};

/* The regions of @size bytes of RAM at @host (NULL: the layout alone, nothing mapped). */
void guest_mem_layout(struct guest_mem *mem, uint64_t size, uint8_t *host);
/* Host pointer for [gpa, gpa + len), or NULL unless it is all RAM. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
uint64_t guest_mem_low_top(const struct guest_mem *mem);

#endif
