// SPDX-License-Identifier: MIT
/*
 * The page walk (mem.h), SDM vol. 3, 4.5: four levels of 512 entries,
 * a set PS bit ending the walk at a 1 GiB (PDPTE) or 2 MiB (PDE) page.
 */
#include <errno.h>

#include "mem.h"

#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LMA	(1ULL << 10)
#define PTE_P		(1ULL << 0)
#define PTE_PS		(1ULL << 7)
#define PTE_ADDR	0x000ffffffffff000ULL	/* bits 51:12 */

int gdb_translate(const struct gdb_mmu *mmu, gdb_phys_read read, void *ctx, uint64_t gva,
		  uint64_t *gpa, uint64_t *room)
{
	uint64_t table, entry = 0;
	int r;

	if (!(mmu->cr0 & CR0_PG)) {
		/* No paging: the linear address is physical, 32 bits of it outside long mode. */
		*gpa = gva & 0xffffffffULL;
		*room = 0x100000000ULL - *gpa;
		return gva >> 32 ? -EFAULT : 0;
	}
	if (!(mmu->efer & EFER_LMA) || !(mmu->cr4 & CR4_PAE) || (mmu->cr4 & CR4_LA57))
		return -EOPNOTSUPP;
	/* A non-canonical address has no translation (SDM vol. 1, 3.3.7.1). */
	if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
		return -EFAULT;
	table = mmu->cr3 & PTE_ADDR;
	for (int level = 3; level >= 0; level--) {
		unsigned int shift = 12 + 9 * (unsigned int)level;
		uint64_t index = (gva >> shift) & 511;

		r = read(ctx, table + index * 8, &entry);
		if (r)
			return r;
		if (!(entry & PTE_P))
			return -EFAULT;
		/* PS in a PDPTE (level 2) or PDE (level 1): a 1 GiB or 2 MiB page. */
		if (level == 0 || ((level == 1 || level == 2) && (entry & PTE_PS))) {
			uint64_t page = 1ULL << shift, mask = page - 1;

			*gpa = (entry & PTE_ADDR & ~mask) | (gva & mask);
			*room = page - (gva & mask);
			return 0;
		}
		table = entry & PTE_ADDR;
	}
	return -EFAULT;
}
