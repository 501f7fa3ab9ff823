/* SPDX-License-Identifier: MIT */
/*
 * The contract between fpvm and the guests it boots: guest physical layout,
 * entry state, port map and the control-port protocol.  Both sides include
 * this header, so it must stay freestanding (no libc, no kernel headers).
 * docs/guests.md ("Entry ABI") is the prose version of this file.
 */
#ifndef FPVM_GUEST_ABI_H
#define FPVM_GUEST_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/*
 * Guest physical layout.  The first MiB belongs to fpvm; ELF segments load
 * at or above FPVM_IMAGE_BASE.  Page 0 is left unmapped so that a null
 * pointer dereference in a guest is a #PF instead of silent corruption.
 */
#define FPVM_GDT_ADDR		0x1000ULL	/* boot GDT, then boot TSS */
#define FPVM_BOOT_TSS_ADDR	0x1080ULL
#define FPVM_PML4_ADDR		0x2000ULL
#define FPVM_PDPT_ADDR		0x3000ULL
#define FPVM_PT0_ADDR		0x4000ULL	/* 4 KiB pages for the first 2 MiB */
#define FPVM_PD_ADDR		0x5000ULL	/* one page directory per GiB */
#define FPVM_PD_MAX		72
#define FPVM_FDT_ADDR		0x50000ULL	/* flattened device tree */
#define FPVM_FDT_MAX		0xa0000ULL
#define FPVM_IMAGE_BASE		0x100000ULL

/* RAM above this goes to 4 GiB and up; the hole is for MMIO. */
#define FPVM_RAM_LOW_MAX	0xc0000000ULL
#define FPVM_HIGH_RAM_BASE	0x100000000ULL

/*
 * Each vCPU gets its own boot stack at the top of low RAM; vCPU n's stack
 * ends (RSP at entry) at FDT /cpus/cpu@n "fpvm,boot-stack" + size.
 */
#define FPVM_BOOT_STACK_SIZE	0x8000ULL

/* Boot GDT selectors; the guest may load its own GDT with the same ones. */
#define FPVM_SEL_CODE64		0x08
#define FPVM_SEL_DATA		0x10
#define FPVM_SEL_BOOT_TSS	0x18

/*
 * Entry state (all vCPUs start at once, at the ELF entry point):
 *   64-bit mode, CPL0, interrupts off, identity-mapped paging,
 *   CR0.MP|NE|WP, CR0.EM|TS clear, CR4.OSFXSR|OSXMMEXCPT|OSXSAVE,
 *   XCR0 = the configured guest XCR0 (see fpvm probe),
 *   RDI = FDT address, RSI = vCPU index, RDX = number of vCPUs,
 *   RSP = top of this vCPU's boot stack (16-byte aligned), RFLAGS = 0x2.
 */

/* Ports */
#define FPVM_PORT_DEBUG_EXIT	0x00f4	/* isa-debug-exit, iosize 4: 0xf4-0xf7 */
#define FPVM_PORT_SERIAL	0x03f8	/* 16550A, 8 registers */
#define FPVM_PORT_CTL		0x0600	/* 32-bit write: address of a request */

/*
 * Control-port protocol.  The guest writes the guest-physical address
 * of a struct fpvm_ctl_req (below 4 GiB, 8-byte aligned) to FPVM_PORT_CTL
 * with a 32-bit OUT; fpvm handles it before the OUT completes and stores a
 * result in req->result.
 */
#ifndef __ASSEMBLER__
#define FPVM_CTL_MAGIC		0x6670766dU	/* "fpvm" */

enum fpvm_ctl_op {
	FPVM_CTL_EXCEPTION = 1,	/* payload: struct fpvm_exception; ends the VM */
	FPVM_CTL_PANIC = 2,	/* payload: NUL-terminated message; ends the VM */
	FPVM_CTL_LEAK_ROUND = 3,	/* leak guest writer: struct fpvm_leak_report */
	FPVM_CTL_LEAK_READER = 4,	/* leak guest reader: struct fpvm_leak_report */
	/*
	 * No payload: fpvm pauses every vCPU and writes a snapshot
	 * (--snapshot-dir).  The result is 0 in the VM that goes on, 1 in
	 * each VM restored from it (like fork()), or -errno.
	 */
	FPVM_CTL_SNAPSHOT = 5,
};

#define FPVM_SNAPSHOT_RESTORED	1

struct fpvm_ctl_req {
	uint32_t magic;
	uint32_t op;
	uint32_t size;		/* payload bytes following this header */
	int32_t result;		/* written by fpvm: 0 or -errno */
};

/* Register indices in struct fpvm_exception.gpr[] (kernel pt_regs order). */
enum fpvm_gpr {
	FPVM_R15, FPVM_R14, FPVM_R13, FPVM_R12, FPVM_RBP, FPVM_RBX, FPVM_R11,
	FPVM_R10, FPVM_R9, FPVM_R8, FPVM_RAX, FPVM_RCX, FPVM_RDX, FPVM_RSI,
	FPVM_RDI, FPVM_NR_GPRS
};

/* What the guest's exception handler saw; layout shared with entry.S. */
struct fpvm_exception {
	uint64_t gpr[FPVM_NR_GPRS];
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
	uint64_t cr2;
	uint64_t vcpu;
};

/*
 * fpvm leakcheck: a register word the leak guest found where it expected
 * another.  @reg and @word follow guest/canary.h; @offset is the byte
 * offset of the word in the XSAVE image.  fpvm decodes @found.
 */
struct fpvm_leak_item {
	uint16_t reg;
	uint16_t word;
	uint32_t offset;
	uint64_t found;
	uint64_t expected;
};

#define FPVM_LEAK_MAX_ITEMS	32

struct fpvm_leak_report {
	uint32_t vcpu;
	uint32_t nr_items;	/* at most FPVM_LEAK_MAX_ITEMS */
	uint64_t round;		/* writer: the round just checked; reader: 0 */
	uint64_t mismatches;	/* all of them, including those not itemised */
	uint64_t xstate_bv;	/* of the image the guest read */
	struct fpvm_leak_item item[FPVM_LEAK_MAX_ITEMS];
};

#endif /* __ASSEMBLER__ */

#endif
