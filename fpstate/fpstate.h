/* SPDX-License-Identifier: MIT */
/*
 * Guest FPU/XSAVE state, managed the way Linux manages guest fpstates
 * (arch/x86/kernel/fpu/, arch/x86/kvm/x86.c).  Pure: no ioctls, no
 * instructions that read this machine's state.  Callers hand in CPUID
 * tables and buffers, so every function runs on real CPUID fixtures of
 * other machines in unit tests.
 */
#ifndef FPVM_FPSTATE_H
#define FPVM_FPSTATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum xfeature {
	XFEATURE_FP,
	XFEATURE_SSE,
	XFEATURE_YMM,
	XFEATURE_BNDREGS,
	XFEATURE_BNDCSR,
	XFEATURE_OPMASK,
	XFEATURE_ZMM_HI256,
	XFEATURE_HI16_ZMM,
	XFEATURE_PT,
	XFEATURE_PKRU,
	XFEATURE_PASID,
	XFEATURE_CET_USER,
	XFEATURE_CET_KERNEL,
	XFEATURE_RSRVD13,
	XFEATURE_UINTR,
	XFEATURE_LBR,
	XFEATURE_HWP,
	XFEATURE_XTILE_CFG,
	XFEATURE_XTILE_DATA,
	XFEATURE_APX,
	XFEATURE_MAX = 64,
};

#define XMASK(f)			(1ULL << XFEATURE_##f)
#define XFEATURE_MASK_FPSSE		(XMASK(FP) | XMASK(SSE))
#define XFEATURE_MASK_AVX512		(XMASK(OPMASK) | XMASK(ZMM_HI256) | XMASK(HI16_ZMM))
#define XFEATURE_MASK_MPX		(XMASK(BNDREGS) | XMASK(BNDCSR))
#define XFEATURE_MASK_XTILE		(XMASK(XTILE_CFG) | XMASK(XTILE_DATA))
#define XFEATURE_MASK_SUPERVISOR	(XMASK(PT) | XMASK(PASID) | XMASK(CET_USER) | \
					 XMASK(CET_KERNEL) | XMASK(UINTR) | XMASK(LBR) | \
					 XMASK(HWP))
/* Guest-only supervisor state (Linux 6.17): never in a non-guest fpstate. */
#define XFEATURE_MASK_GUEST_SUPERVISOR	XMASK(CET_KERNEL)
#define XFEATURE_MASK_USER_DYNAMIC	XMASK(XTILE_DATA)
/* What KVM can expose in XCR0 at all (KVM_SUPPORTED_XCR0). */
#define KVM_SUPPORTED_XCR0		(XFEATURE_MASK_FPSSE | XMASK(YMM) | XFEATURE_MASK_MPX | \
					 XFEATURE_MASK_AVX512 | XMASK(PKRU) | XFEATURE_MASK_XTILE)

#define XSAVE_LEGACY_SIZE	512
#define XSAVE_HDR_OFFSET	512
#define XSAVE_HDR_SIZE		64
#define XSAVE_EXT_OFFSET	576
#define XSAVE_UABI_MIN		4096	/* struct kvm_xsave; CVE-2022-49557 */
#define MXCSR_DEFAULT		0x1f80
#define MXCSR_MASK_DEFAULT	0xffbf	/* when FXSAVE reports 0 (SDM 11.6.6) */
#define FCW_DEFAULT		0x037f

const char *xfeature_name(unsigned int bit);
/* "x87,sse,avx" names; writes at most size bytes, returns buf. */
char *xfeatures_str(uint64_t mask, char *buf, size_t size);
/* Parses "x87,sse,avx", "avx512" (all three), "amx" (both), or a number. */
int xfeatures_parse(const char *s, uint64_t *mask, char *err, size_t errlen);
/* "avx512 (opmask,zmm_hi256,hi16_zmm), pkru": the groups KVM takes only whole, by name. */
char *xfeatures_describe(uint64_t mask, char *buf, size_t size);

/* ---- layout: CPUID leaf 0xD (layout.c) ---- */

#define XCOMP_SUPERVISOR	(1U << 0)
#define XCOMP_ALIGNED		(1U << 1)
#define XCOMP_XFD		(1U << 2)

struct xstate_component {
	uint32_t size;
	uint32_t offset;	/* standard format; 0 for supervisor components */
	uint32_t flags;		/* XCOMP_* from sub-leaf ECX */
};

struct xstate_layout {
	uint64_t xcr0_supported;	/* 0xD.0 EDX:EAX */
	uint64_t xss_supported;		/* 0xD.1 EDX:ECX */
	uint32_t xsave_features;	/* 0xD.1 EAX: XSAVEOPT, XSAVEC, XGETBV1, XSAVES, XFD */
	uint32_t max_size;		/* 0xD.0 ECX */
	uint32_t mxcsr_mask;		/* from FXSAVE; 0 means MXCSR_MASK_DEFAULT */
	struct xstate_component comp[XFEATURE_MAX];
};

struct fpstate_error {
	char msg[256];
};

/* Fills @err->msg; returns -EINVAL. */
int fpstate_error_set(struct fpstate_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int xstate_layout_init(struct xstate_layout *l, const struct kvm_cpuid2 *cpuid,
		       struct fpstate_error *err);
bool xstate_has(const struct xstate_layout *l, unsigned int bit);
/* A user component's size in the standard format, where the SDM fixes it; 0 elsewhere. */
uint32_t xstate_arch_size(unsigned int bit);
uint32_t xstate_size_standard(const struct xstate_layout *l, uint64_t mask);
uint32_t xstate_size_compacted(const struct xstate_layout *l, uint64_t mask);
uint32_t xstate_offset_compacted(const struct xstate_layout *l, uint64_t mask, unsigned int bit);
/* Rewrites leaf 0xD of a vCPU's CPUID so it offers exactly @xcr0. */
void xstate_cpuid_restrict(struct kvm_cpuid2 *cpuid, const struct xstate_layout *l,
			   uint64_t xcr0);

/* ---- XCR0 rules and guest defaults (xcr0.c) ---- */

enum xcr0_rule {
	XCR0_OK,
	XCR0_NEEDS_X87,		/* bit 0 must be set */
	XCR0_AVX_NEEDS_SSE,	/* AVX without SSE */
	XCR0_UNSUPPORTED,	/* bits outside the guest's supported XCR0 */
	XCR0_MPX_PAIR,		/* BNDREGS and BNDCSR together */
	XCR0_AVX512_NEEDS_AVX,	/* AVX-512 without AVX */
	XCR0_AVX512_ALL,	/* opmask, ZMM_Hi256, Hi16_ZMM together */
	XCR0_AMX_PAIR,		/* XTILECFG and XTILEDATA together */
};

const char *xcr0_rule_name(enum xcr0_rule rule);
/* KVM's __kvm_set_xcr() checks, in its order; the message names the rule. */
enum xcr0_rule xcr0_check(uint64_t xcr0, uint64_t guest_supported, struct fpstate_error *err);
/* KVM_SET_XCRS structure checks: nr_xcrs, flags, then XCR0 itself. */
int xcrs_validate(const struct kvm_xcrs *xcrs, uint64_t guest_supported,
		  struct fpstate_error *err);
/* The largest valid XCR0 within @mask: drops half-present groups. */
uint64_t xcr0_sanitize(uint64_t mask);

struct guest_xcr0_inputs {
	uint64_t kvm_supported;		/* KVM_GET_SUPPORTED_CPUID 0xD.0 */
	uint64_t host_supported;	/* what the host kernel offers user space */
	uint64_t guest_perm;		/* ARCH_GET_XCOMP_GUEST_PERM, or 0 */
};
/* KVM-supported & host-supported, minus dynamic features not permitted. */
uint64_t xcr0_guest_default(const struct guest_xcr0_inputs *in);

/* ---- struct fpstate and uABI buffers (buffer.c) ---- */

struct fpstate {
	const struct xstate_layout *layout;
	uint64_t xfeatures;	/* what this buffer may hold */
	uint32_t size;		/* uABI buffer size */
	bool is_guest;
	bool warned;		/* the guest-supervisor warning fires once */
	uint8_t *buf;		/* 64-byte aligned */
};

/* Guest buffer size: KVM_CAP_XSAVE2's answer, never below 4096. */
uint32_t fpstate_guest_uabi_size(int cap_xsave2, const struct xstate_layout *l, uint64_t xfeatures);
int fpstate_alloc(struct fpstate *fps, const struct xstate_layout *l, uint64_t xfeatures,
		  uint32_t size, bool is_guest, struct fpstate_error *err);
void fpstate_free(struct fpstate *fps);
/* The image a vCPU starts with: FCW 0x37f, MXCSR 0x1f80, all else init. */
void fpstate_init_uabi(void *buf, uint32_t size);

#define FPSTATE_DIAG_MAX 16

struct fpstate_diag {
	unsigned int nr_errors;
	unsigned int nr_warnings;
	unsigned int nr;
	struct {
		bool error;
		char msg[200];
	} item[FPSTATE_DIAG_MAX];
};

/*
 * Checks a uABI buffer as KVM_SET_XSAVE would, plus fpvm's guest/host
 * rules.  Returns 0, or -EINVAL when it has an error; warnings alone do
 * not fail.  @diag collects every finding.
 */
int fpstate_validate_uabi(struct fpstate *fps, const void *buf, size_t size,
			  struct fpstate_diag *diag);
const char *fpstate_diag_first_error(const struct fpstate_diag *diag);

/* ---- decoding (decode.c) ---- */

struct fpregs {
	uint64_t xstate_bv;
	uint64_t xcomp_bv;
	uint64_t features;	/* what the buffer may hold: which fields mean anything */
	uint16_t fcw, fsw, ftw, fop;	/* ftw: full 16-bit tag word */
	uint8_t ftw_abridged;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][10];	/* ST(0)..ST(7), 80-bit */
	uint8_t zmm[32][64];	/* xmm/ymm/zmm assembled from their pieces */
	uint64_t k[8];
	uint8_t bndregs[4][16];
	uint64_t bndcfgu, bndstatus;
	uint32_t pkru;
	uint8_t tilecfg[64];
	uint8_t tiledata[8][1024];
};

/* Number of vector registers and their width in bytes for @features. */
unsigned int fpregs_vec_count(uint64_t features);
unsigned int fpregs_vec_bytes(uint64_t features);
int fpstate_decode(const struct xstate_layout *l, uint64_t features, const void *buf, size_t size,
		   struct fpregs *r);
int fpstate_encode(const struct xstate_layout *l, uint64_t features, const struct fpregs *r,
		   void *buf, size_t size);

/* ---- converting between layouts (convert.c) ---- */

/* True when every component bit >= 2 in @features has the same size and offset. */
bool xstate_layout_same(const struct xstate_layout *a, const struct xstate_layout *b,
			uint64_t features);
/*
 * Rewrites a uABI (standard format) image laid out per @from into @to's
 * layout: legacy area and header as they are, each user component in
 * @features moved to its offset in @to, every other byte of @dst zero.
 * Returns 0, or -EINVAL with @err naming the component or field.
 */
int fpstate_convert_uabi(const struct xstate_layout *from, const struct xstate_layout *to,
			 uint64_t features, const void *src, size_t src_size, void *dst,
			 size_t dst_size, struct fpstate_error *err);
/*
 * A saved image into a buffer of this host's layout and @dst_size: copied
 * where the layouts agree for @features (what lies past the smaller size is
 * no component's, and is zeroed), converted by fpstate_convert_uabi() where
 * they do not.
 */
int fpstate_import_uabi(const struct xstate_layout *from, const struct xstate_layout *to,
			uint64_t features, const void *src, size_t src_size, void *dst,
			size_t dst_size, struct fpstate_error *err);

/* ---- output (format.c) ---- */

void fpregs_print_text(FILE *f, const struct fpregs *r);
void fpregs_print_json(FILE *f, const struct fpregs *r);
/* Prints registers that differ; returns how many. */
unsigned int fpregs_diff(FILE *f, const struct fpregs *a, const struct fpregs *b, bool json);
void xstate_layout_print(FILE *f, const struct xstate_layout *l, uint64_t xcr0, bool json);

/* ---- saved buffers (file.c): NAME.xsave and its NAME.layout ---- */

struct fpstate_file {
	struct xstate_layout layout;
	uint64_t xcr0;
	uint64_t xfeatures;
	bool is_guest;
	int vcpu;
	uint32_t size;
	uint8_t *buf;
};

/*
 * The .layout text describing @fps (taken with XCR0 @xcr0, vCPU @vcpu):
 * malloc'd, NUL-terminated; NULL when out of memory.
 */
char *fpstate_layout_format(const struct fpstate *fps, uint64_t xcr0, int vcpu, size_t *len);
/*
 * Parses .layout text (@len bytes; @name labels messages) into @sf, all but
 * its image (@sf->buf is NULL).  Strict (layout_text.c): a bad number, a
 * missing or repeated key, an overlong line, or a layout the architecture
 * does not allow is -EINVAL, @err naming the line.
 */
int fpstate_layout_parse(const char *text, size_t len, const char *name, struct fpstate_file *sf,
			 struct fpstate_error *err);
/* Gives @sf its image: @len must be the layout's size; copied into an aligned buffer. */
int fpstate_file_set_image(struct fpstate_file *sf, const void *image, size_t len,
			   const char *name, struct fpstate_error *err);

/*
 * DIR/vcpuN.xsave and DIR/vcpuN.layout, created in DIR (never through a
 * symbolic link) and synced.
 */
int fpstate_file_save(const char *dir, int vcpu, const struct fpstate *fps, uint64_t xcr0,
		      struct fpstate_error *err);
/* NAME.xsave and the NAME.layout beside it; only regular files are read. */
int fpstate_file_load(const char *path, struct fpstate_file *f, struct fpstate_error *err);
void fpstate_file_free(struct fpstate_file *f);

#endif
