// SPDX-License-Identifier: MIT
/*
 * Per-vCPU CPUID: KVM's supported table, with this vCPU's APIC ID in the
 * topology leaves and the hypervisor bit set.
 */
#include <stdlib.h>
#include <string.h>

#include "vcpu.h"

#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_1_EDX_HTT		(1U << 28)

#define XF_YMM		(1ULL << 2)
#define XF_AVX512	(7ULL << 5)		/* opmask, ZMM_Hi256, Hi16_ZMM */
#define XF_PKRU		(1ULL << 9)
#define XF_AMX		(3ULL << 17)		/* XTILECFG, XTILEDATA */

/* Which feature bits of which leaf need which XSAVE components (SDM vol. 1, 13.1). */
static const struct {
	uint32_t function, index;
	unsigned int reg;		/* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
	uint32_t bits;
	uint64_t needs;
} xcr0_features[] = {
	{ 1, 0, 2, (1U << 12) | (1U << 28) | (1U << 29), XF_YMM },	/* FMA, AVX, F16C */
	{ 7, 0, 1, 1U << 5, XF_YMM },					/* AVX2 */
	{ 7, 1, 0, (1U << 4) | (1U << 23), XF_YMM },			/* AVX-VNNI, AVX-IFMA */
	/* AVX512F, DQ, IFMA, PF, ER, CD, BW, VL */
	{ 7, 0, 1, 0xdc230000U, XF_YMM | XF_AVX512 },
	/* AVX512_VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
	{ 7, 0, 2, (1U << 1) | (1U << 6) | (1U << 11) | (1U << 12) | (1U << 14),
	  XF_YMM | XF_AVX512 },
	/* AVX512_4VNNIW, 4FMAPS, VP2INTERSECT, FP16 */
	{ 7, 0, 3, (1U << 2) | (1U << 3) | (1U << 8) | (1U << 23), XF_YMM | XF_AVX512 },
	{ 7, 1, 0, 1U << 5, XF_YMM | XF_AVX512 },			/* AVX512_BF16 */
	{ 7, 0, 2, (1U << 3) | (1U << 4), XF_PKRU },			/* PKU, OSPKE */
	{ 7, 0, 3, (1U << 22) | (1U << 24) | (1U << 25), XF_AMX },	/* AMX-BF16, TILE, INT8 */
};

void cpuid_hide_xcr0_features(struct kvm_cpuid2 *cpuid, uint64_t xcr0)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
		uint32_t *regs[] = { &e->eax, &e->ebx, &e->ecx, &e->edx };

		for (size_t f = 0; f < sizeof(xcr0_features) / sizeof(xcr0_features[0]); f++)
			if (e->function == xcr0_features[f].function &&
			    e->index == xcr0_features[f].index &&
			    (xcr0 & xcr0_features[f].needs) != xcr0_features[f].needs)
				*regs[xcr0_features[f].reg] &= ~xcr0_features[f].bits;
	}
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int id,
				  unsigned int nr_cpus)
{
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);

	if (!c)
		return NULL;
	memcpy(c, supported, size);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* EBX[31:24] initial APIC ID, [23:16] logical processors */
			e->ebx = (e->ebx & 0x0000ffff) | (id << 24) |
				 ((nr_cpus > 255 ? 255 : nr_cpus) << 16);
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (nr_cpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			break;
		case 0xb:
		case 0x1f:
			/* EDX: x2APIC ID of this logical processor, every sub-leaf */
			e->edx = id;
			break;
		}
	}
	return c;
}
