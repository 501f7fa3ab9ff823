// SPDX-License-Identifier: MIT
/*
 * Guest RAM: one anonymous mapping split around the MMIO hole
 * (loader/guest_mem.c).  Pages are only touched when the loader or the
 * guest writes them, so a large --mem costs nothing.
 *
 * Test guests are kept in 4 KiB pages (guest_mem_small_pages()): the kernel
 * zeroes a transparent huge page whole at its first touch, 2 MiB for a
 * guest that writes a few KiB there, and this mapping's host and guest
 * addresses need not agree modulo 2 MiB, when KVM maps a huge page for the
 * guest only if they do (Documentation/virt/kvm/mmu.rst).  On the faithful
 * lane that zeroing was 6-7 ms a huge page: a third of kvm-unit-tests' tsc
 * run under fpvm (docs/performance.md).
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

void guest_mem_small_pages(const struct guest_mem *mem)
{
	/* Only a hint: a kernel without THP has nothing to turn off (EINVAL). */
	if (mem->host)
		madvise(mem->host, mem->size, MADV_NOHUGEPAGE);
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	*mem = (struct guest_mem){ 0 };
}
