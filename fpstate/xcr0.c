// SPDX-License-Identifier: MIT
/*
 * XCR0: feature names, the rules KVM applies to a guest's XCR0
 * (__kvm_set_xcr() and kvm_vcpu_ioctl_x86_set_xcrs()), and the guest
 * default feature set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpstate.h"

static const char *const names[XFEATURE_MAX] = {
	[XFEATURE_FP] = "x87",
	[XFEATURE_SSE] = "sse",
	[XFEATURE_YMM] = "avx",
	[XFEATURE_BNDREGS] = "bndregs",
	[XFEATURE_BNDCSR] = "bndcsr",
	[XFEATURE_OPMASK] = "opmask",
	[XFEATURE_ZMM_HI256] = "zmm_hi256",
	[XFEATURE_HI16_ZMM] = "hi16_zmm",
	[XFEATURE_PT] = "pt",
	[XFEATURE_PKRU] = "pkru",
	[XFEATURE_PASID] = "pasid",
	[XFEATURE_CET_USER] = "cet_user",
	[XFEATURE_CET_KERNEL] = "cet_kernel",
	[XFEATURE_UINTR] = "uintr",
	[XFEATURE_LBR] = "lbr",
	[XFEATURE_HWP] = "hwp",
	[XFEATURE_XTILE_CFG] = "xtilecfg",
	[XFEATURE_XTILE_DATA] = "xtiledata",
	[XFEATURE_APX] = "apx",
};

const char *xfeature_name(unsigned int bit)
{
	return bit < XFEATURE_MAX && names[bit] ? names[bit] : "unknown";
}

char *xfeatures_str(uint64_t mask, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int bit = 0; bit < XFEATURE_MAX && n < size; bit++) {
		if (!(mask & (1ULL << bit)))
			continue;
		if (names[bit])
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", names[bit]);
		else
			n += (size_t)snprintf(buf + n, size - n, "%sbit%u", n ? "," : "", bit);
	}
	if (!mask)
		snprintf(buf, size, "none");
	return buf;
}

/*
 * Names users type beside the features': the groups KVM requires to be set
 * together (xcr0_check()), then the kernel's names for two features.
 */
static const struct {
	const char *name;
	uint64_t mask;
} groups[] = {
	{ "avx512", XFEATURE_MASK_AVX512 },
	{ "amx", XFEATURE_MASK_XTILE },
	{ "mpx", XFEATURE_MASK_MPX },
	{ "fp", XMASK(FP) },
	{ "ymm", XMASK(YMM) },
};

#define NR_GROUPS	(sizeof(groups) / sizeof(groups[0]))

char *xfeatures_describe(uint64_t mask, char *buf, size_t size)
{
	char names_buf[160];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_GROUPS && n < size; i++) {
		uint64_t g = groups[i].mask;

		/* A single feature's other name is no group. */
		if (!(g & (g - 1)) || (mask & g) != g)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s (%s)", n ? ", " : "", groups[i].name,
				      xfeatures_str(g, names_buf, sizeof(names_buf)));
		mask &= ~g;
	}
	if (mask && n < size)
		snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
			 xfeatures_str(mask, names_buf, sizeof(names_buf)));
	return buf;
}

static int parse_name(const char *s, size_t len, uint64_t *mask)
{
	for (size_t i = 0; i < NR_GROUPS; i++)
		if (strlen(groups[i].name) == len && !strncasecmp(s, groups[i].name, len)) {
			*mask |= groups[i].mask;
			return 0;
		}
	for (unsigned int bit = 0; bit < XFEATURE_MAX; bit++)
		if (names[bit] && strlen(names[bit]) == len && !strncasecmp(s, names[bit], len)) {
			*mask |= 1ULL << bit;
			return 0;
		}
	return -EINVAL;
}

int xfeatures_parse(const char *s, uint64_t *mask, char *err, size_t errlen)
{
	char *end;

	*mask = 0;
	if (!s || !*s) {
		snprintf(err, errlen, "empty feature list");
		return -EINVAL;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		*mask = strtoull(s, &end, 0);
		if (errno || *end) {
			snprintf(err, errlen, "'%s' is not a number", s);
			return -EINVAL;
		}
		return 0;
	}
	while (*s) {
		size_t len = strcspn(s, ",");

		if (parse_name(s, len, mask)) {
			snprintf(err, errlen, "unknown feature '%.*s' (known: x87, sse, avx, "
				 "bndregs, bndcsr, mpx, opmask, zmm_hi256, hi16_zmm, avx512, pkru, "
				 "xtilecfg, xtiledata, amx)", (int)len, s);
			return -EINVAL;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

static const char *const rule_names[] = {
	[XCR0_OK] = "ok",
	[XCR0_NEEDS_X87] = "x87-required",
	[XCR0_AVX_NEEDS_SSE] = "avx-needs-sse",
	[XCR0_UNSUPPORTED] = "unsupported-bits",
	[XCR0_MPX_PAIR] = "mpx-pair",
	[XCR0_AVX512_NEEDS_AVX] = "avx512-needs-avx",
	[XCR0_AVX512_ALL] = "avx512-all-or-none",
	[XCR0_AMX_PAIR] = "amx-pair",
};

const char *xcr0_rule_name(enum xcr0_rule rule)
{
	return rule <= XCR0_AMX_PAIR ? rule_names[rule] : "?";
}

static enum xcr0_rule fail(struct fpstate_error *err, enum xcr0_rule rule, uint64_t xcr0,
			   const char *why)
{
	if (err)
		snprintf(err->msg, sizeof(err->msg), "XCR0 0x%llx violates rule %s: %s",
			 (unsigned long long)xcr0, rule_names[rule], why);
	return rule;
}

enum xcr0_rule xcr0_check(uint64_t xcr0, uint64_t guest_supported, struct fpstate_error *err)
{
	uint64_t bad = xcr0 & ~(guest_supported | XMASK(FP));

	if (!(xcr0 & XMASK(FP)))
		return fail(err, XCR0_NEEDS_X87, xcr0, "x87 (bit 0) must always be set");
	if ((xcr0 & XMASK(YMM)) && !(xcr0 & XMASK(SSE)))
		return fail(err, XCR0_AVX_NEEDS_SSE, xcr0, "AVX (bit 2) requires SSE (bit 1)");
	if (bad) {
		char names_buf[96], why[176];

		snprintf(why, sizeof(why), "%s (0x%llx) not in the guest's supported XCR0 0x%llx",
			 xfeatures_str(bad, names_buf, sizeof(names_buf)), (unsigned long long)bad,
			 (unsigned long long)guest_supported);
		return fail(err, XCR0_UNSUPPORTED, xcr0, why);
	}
	if (!(xcr0 & XMASK(BNDREGS)) != !(xcr0 & XMASK(BNDCSR)))
		return fail(err, XCR0_MPX_PAIR, xcr0,
			    "BNDREGS (bit 3) and BNDCSR (bit 4) must be set together");
	if (xcr0 & XFEATURE_MASK_AVX512) {
		if (!(xcr0 & XMASK(YMM)))
			return fail(err, XCR0_AVX512_NEEDS_AVX, xcr0,
				    "AVX-512 state (bits 5-7) requires AVX (bit 2)");
		if ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)
			return fail(err, XCR0_AVX512_ALL, xcr0,
				    "opmask, ZMM_Hi256 and Hi16_ZMM (bits 5-7) must be set together");
	}
	if ((xcr0 & XFEATURE_MASK_XTILE) && (xcr0 & XFEATURE_MASK_XTILE) != XFEATURE_MASK_XTILE)
		return fail(err, XCR0_AMX_PAIR, xcr0,
			    "XTILECFG (bit 17) and XTILEDATA (bit 18) must be set together");
	return XCR0_OK;
}

int xcrs_validate(const struct kvm_xcrs *xcrs, uint64_t guest_supported,
		  struct fpstate_error *err)
{
	if (xcrs->nr_xcrs > KVM_MAX_XCRS) {
		snprintf(err->msg, sizeof(err->msg), "kvm_xcrs: nr_xcrs %u exceeds %d", xcrs->nr_xcrs,
			 KVM_MAX_XCRS);
		return -EINVAL;
	}
	if (xcrs->flags) {
		snprintf(err->msg, sizeof(err->msg), "kvm_xcrs: flags 0x%x must be 0", xcrs->flags);
		return -EINVAL;
	}
	/* KVM ignores entries other than XCR0; so do we. */
	for (uint32_t i = 0; i < xcrs->nr_xcrs; i++)
		if (xcrs->xcrs[i].xcr == 0 &&
		    xcr0_check(xcrs->xcrs[i].value, guest_supported, err) != XCR0_OK)
			return -EINVAL;
	return 0;
}

uint64_t xcr0_sanitize(uint64_t mask)
{
	if (!(mask & XMASK(FP)))
		return 0;
	if (!(mask & XMASK(SSE)))
		mask &= ~XMASK(YMM);
	if ((mask & XFEATURE_MASK_MPX) != XFEATURE_MASK_MPX)
		mask &= ~XFEATURE_MASK_MPX;
	if (!(mask & XMASK(YMM)) || (mask & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)
		mask &= ~XFEATURE_MASK_AVX512;
	if ((mask & XFEATURE_MASK_XTILE) != XFEATURE_MASK_XTILE)
		mask &= ~XFEATURE_MASK_XTILE;
	return mask & ~XFEATURE_MASK_SUPERVISOR;
}

uint64_t xcr0_guest_default(const struct guest_xcr0_inputs *in)
{
	uint64_t mask = in->kvm_supported & in->host_supported & KVM_SUPPORTED_XCR0;

	/* Dynamic features only with permission; TILECFG goes with TILEDATA. */
	mask &= ~(XFEATURE_MASK_USER_DYNAMIC & ~in->guest_perm);
	return xcr0_sanitize(mask);
}
