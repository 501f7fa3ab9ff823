// SPDX-License-Identifier: MIT
/*
 * The register map (regs.h).  The names and feature split are gdb's
 * x86-64 target description features (gdb's manual, "i386 Features"):
 * gdb checks them by name, and builds $ymmN and $zmmN itself from xmmN,
 * ymmNh and zmmNh, so the halves are what travels.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "regs.h"

static const char *const gpr_names[16] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const seg_names[6] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const char *const fpctl_names[8] = {
	"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
};

static void add(struct gdb_regset *set, const char *name, unsigned int bytes,
		enum gdb_reg_kind kind, unsigned int index, enum gdb_feature feat, const char *type)
{
	struct gdb_reg *r = &set->reg[set->nr++];

	snprintf(r->name, sizeof(r->name), "%s", name);
	r->bytes = (uint16_t)bytes;
	r->kind = (uint8_t)kind;
	r->index = (uint8_t)index;
	r->feature = (uint8_t)feat;
	r->type = type;
	r->offset = set->g_bytes;
	set->g_bytes += bytes;
}

static void add_n(struct gdb_regset *set, const char *fmt, unsigned int from, unsigned int to,
		  unsigned int bytes, enum gdb_reg_kind kind, enum gdb_feature feat,
		  const char *type)
{
	char name[8];

	for (unsigned int i = from; i < to; i++) {
		snprintf(name, sizeof(name), fmt, i);
		add(set, name, bytes, kind, i, feat, type);
	}
}

void gdb_regset_init(struct gdb_regset *set, uint64_t xcr0)
{
	memset(set, 0, sizeof(*set));
	set->xcr0 = xcr0;
	for (unsigned int i = 0; i < 16; i++)
		add(set, gpr_names[i], 8, GDB_REG_GPR, i, GDB_FEAT_CORE,
		    i == 6 || i == 7 ? "data_ptr" : "int64");
	add(set, "rip", 8, GDB_REG_RIP, 0, GDB_FEAT_CORE, "code_ptr");
	add(set, "eflags", 4, GDB_REG_EFLAGS, 0, GDB_FEAT_CORE, "i386_eflags");
	for (unsigned int i = 0; i < 6; i++)
		add(set, seg_names[i], 4, GDB_REG_SEG, i, GDB_FEAT_CORE, "int32");
	add_n(set, "st%u", 0, 8, 10, GDB_REG_ST, GDB_FEAT_CORE, "i387_ext");
	for (unsigned int i = 0; i < 8; i++)
		add(set, fpctl_names[i], 4, GDB_REG_FCTRL + i, 0, GDB_FEAT_CORE, "int");
	add_n(set, "xmm%u", 0, 16, 16, GDB_REG_XMM, GDB_FEAT_SSE, "vec128");
	add(set, "mxcsr", 4, GDB_REG_MXCSR, 0, GDB_FEAT_SSE, "i386_mxcsr");
	add(set, "fs_base", 8, GDB_REG_FS_BASE, 0, GDB_FEAT_SEGMENTS, "int");
	add(set, "gs_base", 8, GDB_REG_GS_BASE, 0, GDB_FEAT_SEGMENTS, "int");
	if (xcr0 & XMASK(YMM))
		add_n(set, "ymm%uh", 0, 16, 16, GDB_REG_YMMH, GDB_FEAT_AVX, "uint128");
	if ((xcr0 & XMASK(YMM)) && (xcr0 & XFEATURE_MASK_AVX512) == XFEATURE_MASK_AVX512) {
		add_n(set, "xmm%u", 16, 32, 16, GDB_REG_XMM, GDB_FEAT_AVX512, "vec128");
		add_n(set, "ymm%uh", 16, 32, 16, GDB_REG_YMMH, GDB_FEAT_AVX512, "uint128");
		add_n(set, "k%u", 0, 8, 8, GDB_REG_K, GDB_FEAT_AVX512, "uint64");
		add_n(set, "zmm%uh", 0, 32, 32, GDB_REG_ZMMH, GDB_FEAT_AVX512, "v2ui128");
	}
	if (xcr0 & XMASK(PKRU))
		add(set, "pkru", 4, GDB_REG_PKRU, 0, GDB_FEAT_PKEYS, "uint32");
}

int gdb_regset_find(const struct gdb_regset *set, const char *name)
{
	for (unsigned int i = 0; i < set->nr; i++)
		if (!strcmp(set->reg[i].name, name))
			return (int)i;
	return -1;
}

/* kvm_regs' fields are in rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp order; gdb's has rbp first. */
static __u64 *gpr(struct kvm_regs *r, unsigned int i)
{
	__u64 *f[16] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return f[i];
}

static struct kvm_segment *seg(struct kvm_sregs *s, unsigned int i)
{
	struct kvm_segment *f[6] = { &s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };

	return f[i];
}

/* The x87 control fields as 32-bit values, the 64-bit FXSAVE format's FIP/FDP split. */
static uint32_t fpctl_get(const struct fpregs *fp, enum gdb_reg_kind kind)
{
	switch (kind) {
	case GDB_REG_FCTRL: return fp->fcw;
	case GDB_REG_FSTAT: return fp->fsw;
	case GDB_REG_FTAG: return fp->ftw;
	case GDB_REG_FISEG: return (uint32_t)(fp->fip >> 32) & 0xffff;
	case GDB_REG_FIOFF: return (uint32_t)fp->fip;
	case GDB_REG_FOSEG: return (uint32_t)(fp->fdp >> 32) & 0xffff;
	case GDB_REG_FOOFF: return (uint32_t)fp->fdp;
	default: return fp->fop & 0x7ff;
	}
}

/* FXSAVE keeps one bit per register, set unless its tag is empty (3) (SDM 10.5.1.1). */
static uint8_t abridge(uint16_t ftw)
{
	uint8_t a = 0;

	for (unsigned int i = 0; i < 8; i++)
		if (((ftw >> (2 * i)) & 3) != 3)
			a |= (uint8_t)(1U << i);
	return a;
}

static void fpctl_set(struct fpregs *fp, enum gdb_reg_kind kind, uint32_t v)
{
	switch (kind) {
	case GDB_REG_FCTRL: fp->fcw = (uint16_t)v; break;
	case GDB_REG_FSTAT: fp->fsw = (uint16_t)v; break;
	case GDB_REG_FTAG:
		fp->ftw = (uint16_t)v;
		fp->ftw_abridged = abridge((uint16_t)v);
		break;
	case GDB_REG_FISEG:
		fp->fip = (fp->fip & 0xffffffffULL) | (uint64_t)(v & 0xffff) << 32;
		break;
	case GDB_REG_FIOFF: fp->fip = (fp->fip & ~0xffffffffULL) | v; break;
	case GDB_REG_FOSEG:
		fp->fdp = (fp->fdp & 0xffffffffULL) | (uint64_t)(v & 0xffff) << 32;
		break;
	case GDB_REG_FOOFF: fp->fdp = (fp->fdp & ~0xffffffffULL) | v; break;
	default: fp->fop = (uint16_t)(v & 0x7ff); break;
	}
}

void gdb_reg_get(const struct gdb_regset *set, unsigned int i, const struct gdb_cpu *cpu,
		 uint8_t *out)
{
	const struct gdb_reg *r = &set->reg[i];
	struct gdb_cpu *c = (struct gdb_cpu *)cpu;	/* gpr()/seg() only read through it here */
	uint32_t v32;

	memset(out, 0, r->bytes);
	switch ((enum gdb_reg_kind)r->kind) {
	case GDB_REG_GPR: memcpy(out, gpr(&c->regs, r->index), 8); break;
	case GDB_REG_RIP: memcpy(out, &cpu->regs.rip, 8); break;
	case GDB_REG_EFLAGS: memcpy(out, &cpu->regs.rflags, 4); break;
	case GDB_REG_SEG: memcpy(out, &seg(&c->sregs, r->index)->selector, 2); break;
	case GDB_REG_ST: memcpy(out, cpu->fp.st[r->index], 10); break;
	case GDB_REG_XMM: memcpy(out, cpu->fp.zmm[r->index], 16); break;
	case GDB_REG_YMMH: memcpy(out, cpu->fp.zmm[r->index] + 16, 16); break;
	case GDB_REG_ZMMH: memcpy(out, cpu->fp.zmm[r->index] + 32, 32); break;
	case GDB_REG_K: memcpy(out, &cpu->fp.k[r->index], 8); break;
	case GDB_REG_MXCSR: memcpy(out, &cpu->fp.mxcsr, 4); break;
	case GDB_REG_PKRU: memcpy(out, &cpu->fp.pkru, 4); break;
	case GDB_REG_FS_BASE: memcpy(out, &cpu->sregs.fs.base, 8); break;
	case GDB_REG_GS_BASE: memcpy(out, &cpu->sregs.gs.base, 8); break;
	default:
		v32 = fpctl_get(&cpu->fp, (enum gdb_reg_kind)r->kind);
		memcpy(out, &v32, 4);
		break;
	}
}

/* A component written from gdb is in use from then on: XRSTOR loads it only so. */
static unsigned int fp_changed(struct gdb_cpu *cpu, uint64_t mask)
{
	cpu->fp.xstate_bv |= mask & cpu->fp.features;
	return GDB_CHANGED_FP;
}

unsigned int gdb_reg_set(const struct gdb_regset *set, unsigned int i, struct gdb_cpu *cpu,
			 const uint8_t *in)
{
	const struct gdb_reg *r = &set->reg[i];
	uint32_t v32 = 0;
	uint16_t v16;

	switch ((enum gdb_reg_kind)r->kind) {
	case GDB_REG_GPR: memcpy(gpr(&cpu->regs, r->index), in, 8); return GDB_CHANGED_REGS;
	case GDB_REG_RIP: memcpy(&cpu->regs.rip, in, 8); return GDB_CHANGED_REGS;
	case GDB_REG_EFLAGS:
		memcpy(&v32, in, 4);
		cpu->regs.rflags = v32;
		return GDB_CHANGED_REGS;
	case GDB_REG_SEG:
		memcpy(&v16, in, 2);
		seg(&cpu->sregs, r->index)->selector = v16;
		return GDB_CHANGED_SREGS;
	case GDB_REG_FS_BASE: memcpy(&cpu->sregs.fs.base, in, 8); return GDB_CHANGED_SREGS;
	case GDB_REG_GS_BASE: memcpy(&cpu->sregs.gs.base, in, 8); return GDB_CHANGED_SREGS;
	case GDB_REG_ST:
		memcpy(cpu->fp.st[r->index], in, 10);
		return fp_changed(cpu, XMASK(FP));
	case GDB_REG_XMM:
		memcpy(cpu->fp.zmm[r->index], in, 16);
		return fp_changed(cpu, r->index < 16 ? XMASK(SSE) : XMASK(HI16_ZMM));
	case GDB_REG_YMMH:
		memcpy(cpu->fp.zmm[r->index] + 16, in, 16);
		return fp_changed(cpu, r->index < 16 ? XMASK(YMM) : XMASK(HI16_ZMM));
	case GDB_REG_ZMMH:
		memcpy(cpu->fp.zmm[r->index] + 32, in, 32);
		return fp_changed(cpu, r->index < 16 ? XMASK(ZMM_HI256) : XMASK(HI16_ZMM));
	case GDB_REG_K: memcpy(&cpu->fp.k[r->index], in, 8); return fp_changed(cpu, XMASK(OPMASK));
	case GDB_REG_MXCSR:
		memcpy(&cpu->fp.mxcsr, in, 4);
		return fp_changed(cpu, XMASK(SSE));
	case GDB_REG_PKRU: memcpy(&cpu->fp.pkru, in, 4); return fp_changed(cpu, XMASK(PKRU));
	default:
		memcpy(&v32, in, 4);
		fpctl_set(&cpu->fp, (enum gdb_reg_kind)r->kind, v32);
		return fp_changed(cpu, XMASK(FP));
	}
}

int gdb_fp_encode(struct fpstate *fps, const struct fpregs *fp, uint8_t *image,
		  struct fpstate_diag *diag)
{
	memset(diag, 0, sizeof(*diag));
	if (fpstate_encode(fps->layout, fps->xfeatures, fp, image, fps->size)) {
		diag->nr_errors = diag->nr = 1;
		diag->item[0].error = true;
		snprintf(diag->item[0].msg, sizeof(diag->item[0].msg),
			 "registers do not fit a %u-byte XSAVE image", fps->size);
		return -EINVAL;
	}
	return fpstate_validate_uabi(fps, image, fps->size, diag) ? -EINVAL : 0;
}
