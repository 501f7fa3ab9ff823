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
