// SPDX-License-Identifier: MIT
/*
 * The machine a guest wakes up in: identity page tables, a boot GDT and
 * TSS, per-vCPU boot stacks and the entry registers.  Pure functions over
 * guest memory, so the layout is unit-tested without KVM.
 */
#include <errno.h>
#include <string.h>

#include "../guest/abi.h"
#include "boot.h"
#include "linux.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PTE_TABLE	(PTE_P | PTE_RW | PTE_US)

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define CR4_OSXSAVE	(1ULL << 18)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

#define SZ_1G		(1ULL << 30)
#define SZ_2M		(1ULL << 21)
#define SZ_4K		(1ULL << 12)
#define BOOT_TSS_SIZE	0x68

int boot_layout_init(struct boot_layout *b, const struct guest_mem *mem, unsigned int nr_cpus,
		     unsigned int nr_slots, struct fpvm_error *err)
{
	uint64_t low_top = guest_mem_low_top(mem);
	uint64_t stacks;

	if (nr_slots < nr_cpus)
		nr_slots = nr_cpus;
	stacks = (uint64_t)nr_slots * FPVM_BOOT_STACK_SIZE;
	uint64_t top = FPVM_HIGH_RAM_BASE;

	if (mem->nr_regions > 1)
		top = mem->region[1].gpa + mem->region[1].size;
	*b = (struct boot_layout){
		.nr_cpus = nr_cpus,
		.nr_slots = nr_slots,
		.map_top = (top + SZ_1G - 1) & ~(SZ_1G - 1),
	};
	/* Keep at least 512 KiB above the image base for the image itself. */
	if (low_top < FPVM_IMAGE_BASE + (512ULL << 10) + stacks)
		return fpvm_fail_config(err, CFG_MEM,
				 "%lluK is too small for %u vCPUs (needs at least %lluK)",
				 (unsigned long long)(mem->size >> 10), nr_slots,
				 (unsigned long long)((FPVM_IMAGE_BASE + (512ULL << 10) + stacks) >> 10));
	if (b->map_top / SZ_1G > FPVM_PD_MAX)
		return fpvm_fail_config(err, CFG_MEM, "too large to map");
	b->stacks_base = low_top - stacks;
	return 0;
}

static uint64_t *table(const struct guest_mem *mem, uint64_t gpa)
{
	return guest_mem_ptr(mem, gpa, SZ_4K);
}

static void write_gdt(const struct guest_mem *mem)
{
	uint64_t *gdt = table(mem, FPVM_GDT_ADDR);
	uint64_t base = FPVM_BOOT_TSS_ADDR, limit = BOOT_TSS_SIZE - 1;

	memset(gdt, 0, SZ_4K);
	gdt[FPVM_SEL_CODE64 / 8] = 0x00af9b000000ffffULL;	/* L, P, DPL0, exec/read */
	gdt[FPVM_SEL_DATA / 8] = 0x00cf93000000ffffULL;		/* G, D, P, DPL0, read/write */
	gdt[FPVM_SEL_BOOT_TSS / 8] = limit | ((base & 0xffffff) << 16) | (0x8bULL << 40) |
				     ((base >> 24) << 56);
	gdt[FPVM_SEL_BOOT_TSS / 8 + 1] = base >> 32;
	/* The boot TSS (at FPVM_BOOT_TSS_ADDR) stays zeroed: no I/O bitmap. */
}

int boot_write_tables(const struct boot_layout *b, const struct guest_mem *mem)
{
	uint64_t *pml4 = table(mem, FPVM_PML4_ADDR);
	uint64_t *pdpt = table(mem, FPVM_PDPT_ADDR);
	uint64_t *pt0 = table(mem, FPVM_PT0_ADDR);
	unsigned int nr_pd = (unsigned int)(b->map_top / SZ_1G);

	if (!pml4 || !pdpt || !pt0 || nr_pd > FPVM_PD_MAX)
		return -EINVAL;
	write_gdt(mem);
	memset(pml4, 0, SZ_4K);
	memset(pdpt, 0, SZ_4K);
	pml4[0] = FPVM_PDPT_ADDR | PTE_TABLE;
	/* Page 0 stays unmapped: a null dereference faults. */
	pt0[0] = 0;
	for (unsigned int i = 1; i < 512; i++)
		pt0[i] = (i * SZ_4K) | PTE_TABLE;
	for (unsigned int g = 0; g < nr_pd; g++) {
		uint64_t pd_gpa = FPVM_PD_ADDR + g * SZ_4K;
		uint64_t *pd = table(mem, pd_gpa);

		pdpt[g] = pd_gpa | PTE_TABLE;
		for (unsigned int i = 0; i < 512; i++)
			pd[i] = (g * SZ_1G + i * SZ_2M) | PTE_TABLE | PTE_PS;
	}
	table(mem, FPVM_PD_ADDR)[0] = FPVM_PT0_ADDR | PTE_TABLE;
	return 0;
}

static struct kvm_segment code64(void)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = FPVM_SEL_CODE64,
		.type = 0xb, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
}

static struct kvm_segment data64(void)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = FPVM_SEL_DATA,
		.type = 0x3, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

void boot_vcpu_state(const struct boot_layout *b, unsigned int cpu, uint64_t entry, bool xsave,
		     struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	sregs->cs = code64();
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data64();
	sregs->tr = (struct kvm_segment){
		.base = FPVM_BOOT_TSS_ADDR, .limit = BOOT_TSS_SIZE - 1,
		.selector = FPVM_SEL_BOOT_TSS, .type = 0xb, .present = 1,
	};
	sregs->ldt = (struct kvm_segment){ .type = 0x2, .unusable = 1 };
	sregs->gdt = (struct kvm_dtable){ .base = FPVM_GDT_ADDR, .limit = 8 * 5 - 1 };
	sregs->idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
	sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs->cr3 = FPVM_PML4_ADDR;
	sregs->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (xsave ? CR4_OSXSAVE : 0);
	sregs->efer = EFER_LME | EFER_LMA;

	*regs = (struct kvm_regs){
		.rip = entry,
		.rsp = b->stacks_base + (uint64_t)(cpu + 1) * FPVM_BOOT_STACK_SIZE,
		.rdi = FPVM_FDT_ADDR,
		.rsi = cpu,
		.rdx = b->nr_cpus,
		.rflags = 0x2,
	};
}

/*
 * The Multiboot v1 machine state (Multiboot Specification 0.6.96, 3.2):
 * 32-bit protected mode with flat 4 GiB code and data segments, paging
 * off, interrupts off, EAX the boot loader magic, EBX the information
 * structure.  GDTR and IDTR are left for the kernel to load; the segment
 * registers' hidden parts are what counts.
 */
void boot_vcpu_state_real_mode(uint32_t vector, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	const struct kvm_segment data = {
		.limit = 0xffff, .type = 0x3, .present = 1, .s = 1,
	};

	sregs->cs = data;
	sregs->cs.type = 0xb;
	sregs->cs.selector = (uint16_t)(vector >> 4);
	sregs->cs.base = vector & ~0xfu;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = (struct kvm_segment){ .type = 0xb, .present = 1, .limit = 0xffff };
	sregs->ldt = (struct kvm_segment){ .type = 0x2, .present = 1, .limit = 0xffff };
	sregs->gdt = (struct kvm_dtable){ .limit = 0xffff };
	sregs->idt = (struct kvm_dtable){ .limit = 0x3ff };	/* the real-mode IVT at 0 */
	sregs->cr0 = CR0_ET;
	sregs->cr2 = sregs->cr3 = sregs->cr4 = 0;
	sregs->efer = 0;
	memset(sregs->interrupt_bitmap, 0, sizeof(sregs->interrupt_bitmap));
	*regs = (struct kvm_regs){ .rip = vector & 0xf, .rflags = 0x2 };
}

void boot_vcpu_state_multiboot(const struct boot_layout *b, uint32_t entry, uint32_t magic,
			       uint32_t info, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = FPVM_SEL_CODE64,
		.type = 0xb, .present = 1, .db = 1, .s = 1, .g = 1,
	};

	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data64();
	sregs->tr = (struct kvm_segment){ .type = 0xb, .present = 1, .limit = 0xffff };
	sregs->ldt = (struct kvm_segment){ .type = 0x2, .unusable = 1 };
	sregs->gdt = (struct kvm_dtable){ .base = FPVM_GDT_ADDR, .limit = 8 * 5 - 1 };
	sregs->idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
	sregs->cr0 = CR0_PE | CR0_ET;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
	*regs = (struct kvm_regs){
		.rip = entry,
		.rax = magic,
		.rbx = info,
		.rsp = b->stacks_base + FPVM_BOOT_STACK_SIZE,
		.rflags = 0x2,
	};
}

void boot_vcpu_state_linux(const struct linux_entry *e, struct kvm_regs *regs,
			   struct kvm_sregs *sregs)
{
	struct kvm_segment data = data64();

	sregs->cs = code64();
	sregs->cs.selector = e->cs;
	data.selector = e->ds;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = (struct kvm_segment){ .type = 0xb, .present = 1, .limit = 0xffff };
	sregs->ldt = (struct kvm_segment){ .type = 0x2, .unusable = 1 };
	sregs->gdt = (struct kvm_dtable){ .base = e->gdt_base, .limit = e->gdt_limit };
	sregs->idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
	sregs->cr0 = e->cr0;
	sregs->cr3 = e->cr3;
	sregs->cr4 = e->cr4;
	sregs->efer = e->efer;
	*regs = (struct kvm_regs){ .rip = e->rip, .rsi = e->rsi, .rflags = 0x2 };
}
