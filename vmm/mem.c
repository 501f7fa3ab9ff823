// SPDX-License-Identifier: MIT
/*
 * Guest RAM: one anonymous mapping split around the MMIO hole
 * (loader/guest_mem.c).  Pages are only touched when the loader or the
 * guest writes them, so a large --mem costs nothing.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mem.h"

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
