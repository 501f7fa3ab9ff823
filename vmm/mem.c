// SPDX-License-Identifier: MIT
/*
 * Guest RAM: one anonymous mapping split around the MMIO hole, like a PC:
 * up to 3 GiB below it, the rest from 4 GiB.  Pages are only touched when
 * the loader or the guest writes them, so a large --mem costs nothing.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "../guest/abi.h"
#include "mem.h"

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

int guest_mem_alloc(struct guest_mem *mem, uint64_t size, struct fpvm_error *err)
{
	void *p;

	*mem = (struct guest_mem){ 0 };
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, errno,
				 "cannot map %llu MiB of guest memory: %s",
				 (unsigned long long)(size >> 20), strerror(errno));
	guest_mem_layout(mem, size, p);
	return 0;
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	*mem = (struct guest_mem){ 0 };
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
