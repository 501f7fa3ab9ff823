// SPDX-License-Identifier: MIT
/*
 * Guest RAM's layout, like a PC's: up to 3 GiB below the MMIO hole, the
 * rest from 4 GiB (guest/abi.h).
 */
#include <stddef.h>

#include "../guest/abi.h"
#include "guest_mem.h"

void guest_mem_layout(struct guest_mem *mem, uint64_t size, uint8_t *host)
{
	uint64_t low = size < FPVM_RAM_LOW_MAX ? size : FPVM_RAM_LOW_MAX;

	*mem = (struct guest_mem){ .host = host, .size = size };
	mem->region[0] = (struct mem_region){ .gpa = 0, .size = low, .host = host };
	mem->nr_regions = 1;
	if (size > low) {
		mem->region[1] = (struct mem_region){
			.gpa = FPVM_HIGH_RAM_BASE, .size = size - low, .host = host ? host + low : NULL,
		};
		mem->nr_regions = 2;
	}
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct mem_region *r = &mem->region[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t guest_mem_low_top(const struct guest_mem *mem)
{
	return mem->region[0].size;
}
