/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: one mapping, split around the MMIO hole.
 */
#ifndef FPVM_VMM_MEM_H
#define FPVM_VMM_MEM_H

#include <stdint.h>

#include "../base/error.h"

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
int guest_mem_alloc(struct guest_mem *mem, uint64_t size, struct fpvm_error *err);
void guest_mem_free(struct guest_mem *mem);
/* Host pointer for [gpa, gpa + len), or NULL unless it is all RAM. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
uint64_t guest_mem_low_top(const struct guest_mem *mem);

#endif
