/* SPDX-License-Identifier: MIT */
/*
 * gdb's registers for an x86-64 vCPU: which ones, in which order and how
 * wide, as the target description (target_xml.c) tells gdb, and where
 * each lives in KVM's state (struct kvm_regs, struct kvm_sregs) or in the
 * XSAVE image decoded by fpstate/.  Pure: the stub reads the state, this
 * maps it, and writes go back through fpstate/ and its validation.
 */
#ifndef FPVM_GDB_REGS_H
#define FPVM_GDB_REGS_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "../fpstate/fpstate.h"

enum gdb_reg_kind {
	GDB_REG_GPR,		/* index into kvm_regs' rax..r15 in gdb's order */
	GDB_REG_RIP,
	GDB_REG_EFLAGS,
	GDB_REG_SEG,		/* cs ss ds es fs gs */
	GDB_REG_ST,
	GDB_REG_FCTRL, GDB_REG_FSTAT, GDB_REG_FTAG, GDB_REG_FISEG, GDB_REG_FIOFF,
	GDB_REG_FOSEG, GDB_REG_FOOFF, GDB_REG_FOP,
	GDB_REG_XMM,		/* low 128 bits of zmm[index] */
	GDB_REG_MXCSR,
	GDB_REG_FS_BASE, GDB_REG_GS_BASE,
	GDB_REG_YMMH,		/* bits 128-255 */
	GDB_REG_ZMMH,		/* bits 256-511 */
	GDB_REG_K,
	GDB_REG_PKRU,
};

/* The target description's features, in the order they are described. */
enum gdb_feature {
	GDB_FEAT_CORE, GDB_FEAT_SSE, GDB_FEAT_SEGMENTS, GDB_FEAT_AVX, GDB_FEAT_AVX512,
	GDB_FEAT_PKEYS, GDB_NR_FEATURES,
};

struct gdb_reg {
	char name[8];
	uint16_t bytes;
	uint8_t kind;		/* enum gdb_reg_kind */
	uint8_t index;
	uint8_t feature;	/* enum gdb_feature */
	const char *type;	/* the description's type */
	uint32_t offset;	/* in the 'g' packet's bytes */
};

/* 40 core, 17 SSE, 2 segment bases, 16 AVX, 72 AVX-512, PKRU. */
#define GDB_MAX_REGS	148

struct gdb_regset {
	uint64_t xcr0;
	unsigned int nr;
	uint32_t g_bytes;	/* all registers together: the 'g' packet is twice as long */
	struct gdb_reg reg[GDB_MAX_REGS];
};

/*
 * The registers a vCPU with @xcr0 has: core and SSE always (x87 and SSE
 * state are in every XSAVE image), AVX with YMM, AVX-512 only with all
 * three of its components, PKU with PKRU.
 */
void gdb_regset_init(struct gdb_regset *set, uint64_t xcr0);
/* The register gdb calls @name, or -1. */
int gdb_regset_find(const struct gdb_regset *set, const char *name);

/* A vCPU's state as the stub read it. */
struct gdb_cpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct fpregs fp;
};

/* Register @i's bytes (set->reg[i].bytes, little-endian) into @out. */
void gdb_reg_get(const struct gdb_regset *set, unsigned int i, const struct gdb_cpu *cpu,
		 uint8_t *out);
/*
 * @in into register @i of @cpu.  Which part of the state changed comes
 * back: GDB_CHANGED_REGS, _SREGS or _FP (whose component then counts as
 * in use in fp.xstate_bv, as XRSTOR needs to load it).
 */
#define GDB_CHANGED_REGS	(1U << 0)
#define GDB_CHANGED_SREGS	(1U << 1)
#define GDB_CHANGED_FP		(1U << 2)
unsigned int gdb_reg_set(const struct gdb_regset *set, unsigned int i, struct gdb_cpu *cpu,
			 const uint8_t *in);


/*
 * @fp encoded into @image (@fps->size bytes, the vCPU's uABI buffer) and
 * checked as KVM_SET_XSAVE and fpvm's rules would: 0, or -EINVAL with
 * @diag saying why, and the image is then not to be set.
 */
int gdb_fp_encode(struct fpstate *fps, const struct fpregs *fp, uint8_t *image,
		  struct fpstate_diag *diag);

#endif
