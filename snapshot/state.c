// SPDX-License-Identifier: MIT
/*
 * Whether a vCPU's saved state is one KVM takes back.  KVM checks what
 * userspace sets against the vCPU's CPUID (arch/x86/kvm/x86.c:
 * kvm_is_valid_sregs(), kvm_is_valid_cr0/cr4(), kvm_valid_efer(),
 * kvm_apic_set_base(), kvm_arch_vcpu_ioctl_set_mpstate(), __kvm_set_xcr();
 * cpuid.c: KVM_MAX_CPUID_ENTRIES) and answers EINVAL; the snapshot carries
 * that CPUID, so the same rules decide here, with no KVM, whether the
 * snapshot is consistent in itself.  What this host's KVM lacks is another
 * question (compat.c).
 */
#include <errno.h>
#include <stdio.h>

#include "../fpstate/fpstate.h"
#include "check.h"

#define KVM_MAX_CPUID_ENTRIES	256	/* arch/x86/include/asm/kvm_host.h */

#define CR0_PE		(1ULL << 0)
#define CR0_NW		(1ULL << 29)
#define CR0_CD		(1ULL << 30)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define APIC_BASE_BSP	(1ULL << 8)
#define APIC_BASE_EXTD	(1ULL << 10)
#define APIC_BASE_EN	(1ULL << 11)

enum reg { EAX, EBX, ECX, EDX };

/* A CPUID feature bit: leaf, sub-leaf, register, bit. */
struct feature {
	uint32_t leaf, sub;
	enum reg reg;
	unsigned int bit;
};

#define F(l, s, r, b)	((struct feature){ l, s, r, b })
#define NONE		((struct feature){ 0, 0, EAX, 32 })	/* no feature needed */

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, uint32_t leaf, uint32_t sub)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf && c->entries[i].index == sub)
			return &c->entries[i];
	return NULL;
}

static bool has(const struct kvm_cpuid2 *c, struct feature f)
{
	const struct kvm_cpuid_entry2 *e;
	uint32_t v;

	if (f.bit >= 32)
		return true;
	e = find(c, f.leaf, f.sub);
	if (!e)
		return false;
	v = f.reg == EAX ? e->eax : f.reg == EBX ? e->ebx : f.reg == ECX ? e->ecx : e->edx;
	return (v >> f.bit) & 1;
}

/*
 * CR4 and EFER bits KVM knows, each with the CPUID feature a guest needs
 * to have it set (SDM vol. 3, 2.5 and 2.2.1; KVM's CR4_RESERVED_BITS and
 * __cr4_reserved_bits()).  A bit not listed is reserved.
 */
static const struct control_bit {
	unsigned int bit;
	const char *name;
	struct feature need, or;
} cr4_bits[] = {
	{ 0, "VME", NONE, NONE }, { 1, "PVI", NONE, NONE }, { 2, "TSD", NONE, NONE },
	{ 3, "DE", NONE, NONE }, { 4, "PSE", NONE, NONE }, { 5, "PAE", NONE, NONE },
	{ 6, "MCE", NONE, NONE }, { 7, "PGE", NONE, NONE }, { 8, "PCE", NONE, NONE },
	{ 9, "OSFXSR", NONE, NONE }, { 10, "OSXMMEXCPT", NONE, NONE },
	{ 11, "UMIP", F(7, 0, ECX, 2), NONE }, { 12, "LA57", F(7, 0, ECX, 16), NONE },
	{ 13, "VMXE", F(1, 0, ECX, 5), NONE }, { 16, "FSGSBASE", F(7, 0, EBX, 0), NONE },
	{ 17, "PCIDE", F(1, 0, ECX, 17), NONE }, { 18, "OSXSAVE", F(1, 0, ECX, 26), NONE },
	{ 20, "SMEP", F(7, 0, EBX, 7), NONE }, { 21, "SMAP", F(7, 0, EBX, 20), NONE },
	{ 22, "PKE", F(7, 0, ECX, 3), NONE },
	{ 23, "CET", F(7, 0, ECX, 7), F(7, 0, EDX, 20) },	/* shadow stacks or IBT */
	{ 28, "LAM_SUP", F(7, 1, EAX, 26), NONE }, { 32, "FRED", F(7, 1, EAX, 17), NONE },
}, efer_bits[] = {
	{ 0, "SCE", NONE, NONE }, { 8, "LME", F(0x80000001, 0, EDX, 29), NONE },
	{ 10, "LMA", F(0x80000001, 0, EDX, 29), NONE }, { 11, "NXE", F(0x80000001, 0, EDX, 20), NONE },
	{ 12, "SVME", F(0x80000001, 0, ECX, 2), NONE }, { 13, "LMSLE", NONE, NONE },
	{ 14, "FFXSR", F(0x80000001, 0, EDX, 25), NONE }, { 15, "TCE", NONE, NONE },
	{ 21, "AUTOIBRS", NONE, NONE },
};

/* The first bit of @v that is unknown, or known but not granted by @c. */
static int check_bits(const char *reg, uint64_t v, const struct control_bit *bits, size_t n,
		      const struct kvm_cpuid2 *c, char *why)
{
	for (unsigned int bit = 0; bit < 64; bit++) {
		size_t i;

		if (!((v >> bit) & 1))
			continue;
		for (i = 0; i < n && bits[i].bit != bit; i++)
			;
		if (i == n)
			return snprintf(why, SNAPSHOT_WHY_MAX, "%s 0x%llx: bit %u is reserved", reg,
					(unsigned long long)v, bit), -EINVAL;
		if (!has(c, bits[i].need) && !(bits[i].or.bit < 32 && has(c, bits[i].or)))
			return snprintf(why, SNAPSHOT_WHY_MAX, "%s 0x%llx: %s is set, but the vCPU's "
					"CPUID lacks its feature", reg, (unsigned long long)v,
					bits[i].name), -EINVAL;
	}
	return 0;
}

/* Physical address bits above MAXPHYADDR (CPUID 0x80000008 EAX[7:0]; 36 without the leaf). */
static uint64_t reserved_gpa_bits(const struct kvm_cpuid2 *c)
{
	const struct kvm_cpuid_entry2 *e = find(c, 0x80000008, 0);
	unsigned int maxphy = e && (e->eax & 0xff) ? e->eax & 0xff : 36;

	return maxphy >= 64 ? 0 : ~0ULL << maxphy;
}

int snapshot_check_cpuid_table(const struct kvm_cpuid2 *c, char why[SNAPSHOT_WHY_MAX])
{
	if (c->nent > KVM_MAX_CPUID_ENTRIES)
		return snprintf(why, SNAPSHOT_WHY_MAX, "%u entries, more than the %d KVM takes",
				c->nent, KVM_MAX_CPUID_ENTRIES), -EINVAL;
	/* Every x86 CPU has leaves 0 and 1; KVM derives the vCPU's model from them. */
	if (!find(c, 0, 0) || !find(c, 1, 0))
		return snprintf(why, SNAPSHOT_WHY_MAX, "%u entries, without leaf 0 or 1: not the "
				"CPUID of a vCPU that ran", c->nent), -EINVAL;
	return 0;
}

int snapshot_check_sregs(const struct kvm_sregs *s, const struct kvm_cpuid2 *c,
			 char why[SNAPSHOT_WHY_MAX])
{
	uint64_t gpa_rsvd = reserved_gpa_bits(c);

	if (s->cr0 >> 32)
		return snprintf(why, SNAPSHOT_WHY_MAX, "CR0 0x%llx: bits above 31 are reserved",
				(unsigned long long)s->cr0), -EINVAL;
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		return snprintf(why, SNAPSHOT_WHY_MAX, "CR0 0x%llx: NW without CD",
				(unsigned long long)s->cr0), -EINVAL;
	if ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE))
		return snprintf(why, SNAPSHOT_WHY_MAX, "CR0 0x%llx: PG without PE",
				(unsigned long long)s->cr0), -EINVAL;
	if (check_bits("CR4", s->cr4, cr4_bits, sizeof(cr4_bits) / sizeof(cr4_bits[0]), c, why) ||
	    check_bits("EFER", s->efer, efer_bits, sizeof(efer_bits) / sizeof(efer_bits[0]), c,
		       why))
		return -EINVAL;
	/* Long mode is LME with paging: then PAE and LMA too; out of it, no LMA and no 64-bit CS. */
	if ((s->efer & EFER_LME) && (s->cr0 & CR0_PG)) {
		if (!(s->cr4 & CR4_PAE) || !(s->efer & EFER_LMA))
			return snprintf(why, SNAPSHOT_WHY_MAX, "long mode (EFER.LME, CR0.PG) without "
					"CR4.PAE or EFER.LMA"), -EINVAL;
		/* LAM's two CR3 control bits (62, 61) are no address bits where LAM is. */
		if (s->cr3 & gpa_rsvd & ~(has(c, F(7, 1, EAX, 26)) ? 3ULL << 61 : 0))
			return snprintf(why, SNAPSHOT_WHY_MAX, "CR3 0x%llx: bits above the vCPU's "
					"physical address width", (unsigned long long)s->cr3), -EINVAL;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return snprintf(why, SNAPSHOT_WHY_MAX, "EFER.LMA or a 64-bit CS outside long mode"),
		       -EINVAL;
	}
	/* The APIC base: its reserved bits, x2APIC only where CPUID has it, never x2APIC alone. */
	if (s->apic_base & ((gpa_rsvd | 0x2ff) & ~APIC_BASE_BSP))
		return snprintf(why, SNAPSHOT_WHY_MAX, "APIC base 0x%llx: reserved bits set",
				(unsigned long long)s->apic_base), -EINVAL;
	if ((s->apic_base & APIC_BASE_EXTD) &&
	    (!(s->apic_base & APIC_BASE_EN) || !has(c, F(1, 0, ECX, 21))))
		return snprintf(why, SNAPSHOT_WHY_MAX, "APIC base 0x%llx: x2APIC mode %s",
				(unsigned long long)s->apic_base, s->apic_base & APIC_BASE_EN ?
				"without x2apic in the vCPU's CPUID" : "with the APIC disabled"),
		       -EINVAL;
	return 0;
}

int snapshot_check_mp_state(uint32_t mp_state, bool lapic, char why[SNAPSHOT_WHY_MAX])
{
	switch (mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		return 0;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_SIPI_RECEIVED:
	case KVM_MP_STATE_AP_RESET_HOLD:
		if (lapic)
			return 0;
		return snprintf(why, SNAPSHOT_WHY_MAX, "MP state %u without an in-kernel LAPIC, "
				"where only 0 (runnable) is possible", mp_state), -EINVAL;
	default:
		return snprintf(why, SNAPSHOT_WHY_MAX, "MP state %u: not an x86 vCPU state",
				mp_state), -EINVAL;
	}
}

int snapshot_check_xcrs(const struct kvm_xcrs *x, const struct kvm_cpuid2 *c, uint64_t guest_xcr0,
			char why[SNAPSHOT_WHY_MAX])
{
	const struct kvm_cpuid_entry2 *d = find(c, 0xd, 0);
	uint64_t allowed = d ? (uint64_t)d->edx << 32 | d->eax : 0;
	struct fpstate_error ferr;

	/* KVM's guest_supported_xcr0 is leaf 0xD.0 of the vCPU's CPUID. */
	if (xcrs_validate(x, allowed, &ferr))
		return snprintf(why, SNAPSHOT_WHY_MAX, "%.*s", SNAPSHOT_WHY_MAX - 1, ferr.msg), -EINVAL;
	for (uint32_t i = 0; i < x->nr_xcrs; i++)
		if (x->xcrs[i].xcr == 0 && (x->xcrs[i].value & ~guest_xcr0))
			return snprintf(why, SNAPSHOT_WHY_MAX, "XCR0 0x%llx: beyond the manifest's "
					"guest XCR0 0x%llx", (unsigned long long)x->xcrs[i].value,
					(unsigned long long)guest_xcr0), -EINVAL;
	return 0;
}
