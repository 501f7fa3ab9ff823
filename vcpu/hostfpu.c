// SPDX-License-Identifier: MIT
/*
 * The host side of FPU state: what this machine and its kernel offer
 * (XGETBV, CPUID leaf 0xD, FXSAVE's MXCSR_MASK, arch_prctl), AMX guest
 * permission, and XSAVE of the calling thread's own registers.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fpu.h"

#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_OSXSAVE	(1U << 27)

static long arch_prctl(int code, unsigned long arg)
{
	return syscall(SYS_arch_prctl, code, arg);
}

uint64_t host_xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static uint32_t fxsave_mxcsr_mask(void)
{
	uint8_t area[512] __attribute__((aligned(16)));
	uint32_t mask;

	memset(area, 0, sizeof(area));
	__asm__ volatile("fxsave64 %0" : "=m"(area));
	memcpy(&mask, area + 28, 4);
	return mask ? mask : MXCSR_MASK_DEFAULT;
}

/*
 * Host leaf 0xD as a CPUID table the fpstate library can read.  Only the
 * sub-leaves of supported features: under a hypervisor every CPUID exits.
 */
static struct kvm_cpuid2 *host_leaf_0xd(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 64 * sizeof(c->entries[0]));
	uint32_t a, b, cx, d;
	uint64_t supported = 3;

	if (!c)
		return NULL;
	for (uint32_t i = 0; i < 64; i++) {
		if (!(supported & (1ULL << i)))
			continue;
		__cpuid_count(0xd, i, a, b, cx, d);
		if (i == 0)
			supported |= ((uint64_t)d << 32) | a;
		if (i == 1)
			supported |= ((uint64_t)d << 32) | cx;
		if (i >= 2 && !a)
			continue;
		c->entries[c->nent++] = (struct kvm_cpuid_entry2){
			.function = 0xd, .index = i, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
			.eax = a, .ebx = b, .ecx = cx, .edx = d,
		};
	}
	return c;
}

int host_fpu_probe(struct host_fpu *h, struct fpvm_error *err)
{
	struct fpstate_error ferr;
	uint32_t a, b, c, d;
	unsigned long mask;
	int r;

	memset(h, 0, sizeof(*h));
	__cpuid(1, a, b, c, d);
	if (!(c & CPUID_1_ECX_XSAVE) || !(c & CPUID_1_ECX_OSXSAVE))
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, ENOTSUP,
				 "this host has no XSAVE enabled (CPUID.1:ECX.OSXSAVE = 0)");
	h->xcr0 = host_xgetbv0();
	h->mxcsr_mask = fxsave_mxcsr_mask();
	if (arch_prctl(ARCH_GET_XCOMP_SUPP, (unsigned long)&mask) == 0) {
		h->xcomp_supp = mask;
		h->has_xcomp_supp = true;
	}
	if (arch_prctl(ARCH_GET_XCOMP_GUEST_PERM, (unsigned long)&mask) == 0) {
		h->guest_perm = mask;
		h->has_guest_perm = true;
	}
	h->cpuid = host_leaf_0xd();
	if (!h->cpuid)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = xstate_layout_init(&h->layout, h->cpuid, &ferr);
	if (r)
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, -r, "host CPUID: %s", ferr.msg);
	h->layout.mxcsr_mask = h->mxcsr_mask;
	return 0;
}

void host_fpu_release(struct host_fpu *h)
{
	free(h->cpuid);
	h->cpuid = NULL;
}

uint64_t host_fpu_user_features(const struct host_fpu *h)
{
	/* What the kernel offers user space, dynamic features included. */
	return h->has_xcomp_supp ? h->xcomp_supp : h->xcr0;
}

int host_request_amx_guest_perm(struct fpvm_error *err)
{
	unsigned long perm = 0;

	if (arch_prctl(ARCH_REQ_XCOMP_GUEST_PERM, XFEATURE_XTILE_DATA)) {
		int e = errno;

		fpvm_fail(err, FPVM_ERR_UNAVAILABLE, e,
				 "AMX guest permission refused (ARCH_REQ_XCOMP_GUEST_PERM: "
				 "%s): %s", strerror(e),
				 e == EINVAL || e == EOPNOTSUPP ? "this CPU or kernel has no AMX"
				 : e == EBUSY ? "a vCPU already exists in this process"
				 : "see the kernel log");
		err->item = CFG_AMX;
		return -e;
	}
	if (arch_prctl(ARCH_GET_XCOMP_GUEST_PERM, (unsigned long)&perm) || !(perm & XMASK(XTILE_DATA))) {
		fpvm_fail(err, FPVM_ERR_UNAVAILABLE, EPERM,
			  "permission request succeeded but XTILEDATA is not permitted");
		err->item = CFG_AMX;
		return -EPERM;
	}
	return 0;
}

void host_xrstor(const void *buf, uint64_t mask)
{
	__asm__ volatile("xrstor64 (%0)" : : "r"(buf), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

void host_xsave(void *buf, uint64_t mask)
{
	__asm__ volatile("xsave64 (%0)" : : "r"(buf), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}
