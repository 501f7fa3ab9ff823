// SPDX-License-Identifier: MIT
/*
 * A vCPU's state saved and loaded through a fake KVM that records every
 * ioctl: the load follows KVM's order (vcpu/state.c), MSRs KVM cannot read
 * are skipped on save, and MSRs a new vCPU already holds are not written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MSR_TSC		0x10
#define MSR_XFD		0x1c4
#define MSR_XFD_ERR	0x1c5
#define MSR_STAR	0xc0000081
#define MSR_ASYNC_PF	0x4b564d06	/* readable, and refused by KVM here */
#define MSR_UNREADABLE	0x12345

static uint32_t index_list[] = { MSR_STAR, MSR_UNREADABLE, MSR_XFD, MSR_TSC, MSR_ASYNC_PF,
				 MSR_XFD_ERR };
static unsigned long calls[64];
static unsigned int nr_calls;
static struct kvm_msr_entry set_msrs[2][8];
static uint32_t nr_set_msrs[2];
static uint64_t fresh_star;		/* what a new vCPU's STAR reads */
static unsigned long refuse;		/* an ioctl that fails, with refuse_errno */
static uint8_t set_tr_type;		/* TR's type as KVM_SET_SREGS got it */
static int refuse_errno;

static uint64_t msr_value(uint32_t index)
{
	switch (index) {
	case MSR_STAR:
		return fresh_star;
	case MSR_TSC:
		return 1000;
	case MSR_XFD:
		return 0;
	default:
		return 0;
	}
}

static int fake_ioctl(int fd, unsigned long req, unsigned long arg)
{
	(void)fd;
	if (nr_calls < 64)
		calls[nr_calls++] = req;
	if (req == refuse) {
		errno = refuse_errno;
		return -1;
	}
	if (req == KVM_GET_MSRS) {
		struct kvm_msrs *m = (void *)arg;

		/* KVM stops at the first MSR it cannot read and returns how many it read. */
		for (uint32_t i = 0; i < m->nmsrs; i++) {
			if (m->entries[i].index == MSR_UNREADABLE)
				return (int)i;
			m->entries[i].data = msr_value(m->entries[i].index);
		}
		return (int)m->nmsrs;
	}
	if (req == KVM_SET_SREGS)
		set_tr_type = ((struct kvm_sregs *)arg)->tr.type;
	if (req == KVM_SET_MSRS) {
		struct kvm_msrs *m = (void *)arg;
		unsigned int which = nr_set_msrs[0] ? 1 : 0;

		nr_set_msrs[which] = m->nmsrs;
		for (uint32_t i = 0; i < m->nmsrs && i < 8; i++) {
			if (m->entries[i].index == MSR_ASYNC_PF)
				return (int)i;
			set_msrs[which][i] = m->entries[i];
		}
		return (int)m->nmsrs;
	}
	return 0;
}

static const struct kvm_ops fake_ops = { .ioctl = fake_ioctl };
static struct kvm kvm;
static struct guest_fpu_cfg fpu_cfg;
static struct guest_fpu fpu;
static struct vcpu *vcpu;

static void setup(void)
{
	struct fpstate_error ferr;

	kvm = (struct kvm){ .ops = &fake_ops, .fd = -1, .msr_index = index_list,
			    .nr_msr_index = sizeof(index_list) / sizeof(index_list[0]) };
	memset(&fpu_cfg, 0, sizeof(fpu_cfg));
	fpu_cfg.layout = cpuid_fixture_layout("cpuid/amd-epyc-avx512-pvm-host.txt", true);
	fpu = (struct guest_fpu){ .cfg = &fpu_cfg, .xcr0 = 0x7, .xsave_size = 4096,
				  .has_xsave2 = true };
	vcpu = calloc(1, sizeof(*vcpu));
	*vcpu = (struct vcpu){ .kvm = &kvm, .fpu = &fpu, .fd = 3 };
	ck_assert_int_eq(fpstate_alloc(&vcpu->guest_fps, &fpu_cfg.layout, 0x7, 4096, true, &ferr),
			 0);
	fpstate_init_uabi(vcpu->guest_fps.buf, 4096);
	nr_calls = 0;
	nr_set_msrs[0] = nr_set_msrs[1] = 0;
	fresh_star = 0;
	refuse = 0;
}

static void teardown(void)
{
	fpstate_free(&vcpu->guest_fps);
	free(vcpu);
}

START_TEST(save_skips_msrs_kvm_cannot_read)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	struct fpvm_error err;

	ck_assert_int_eq(vcpu_save_state(vcpu, false, s, &err), 0);
	ck_assert_uint_eq(s->magic, VCPU_STATE_MAGIC);
	ck_assert_uint_eq(s->nr_msrs, 5);	/* all but MSR_UNREADABLE */
	for (uint32_t i = 0; i < s->nr_msrs; i++)
		ck_assert_uint_ne(s->msrs[i].index, MSR_UNREADABLE);
	ck_assert_uint_eq(s->msrs[0].index, MSR_STAR);
	ck_assert_uint_eq(s->msrs[1].index, MSR_XFD);
	/* No irqchip, no KVM_GET_LAPIC. */
	for (unsigned int i = 0; i < nr_calls; i++)
		ck_assert_uint_ne(calls[i], KVM_GET_LAPIC);
	free(s);
}
END_TEST

static unsigned int position(unsigned long req, unsigned int from)
{
	for (unsigned int i = from; i < nr_calls; i++)
		if (calls[i] == req)
			return i;
	ck_abort_msg("ioctl 0x%lx not issued", req);
	return 0;
}

START_TEST(load_follows_kvms_order)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	struct fpvm_error err;
	unsigned int p[10];

	ck_assert_int_eq(vcpu_save_state(vcpu, true, s, &err), 0);
	s->msrs[0].data = 0x23001000000000ULL;	/* STAR differs from a new vCPU's */
	s->msrs[1].data = 0x40000;		/* XFD arms tile data */
	nr_calls = 0;
	ck_assert_int_eq(vcpu_load_state(vcpu, s, vcpu->guest_fps.buf, &err), 0);
	p[0] = position(KVM_GET_MSRS, 0);	/* what the new vCPU holds */
	p[1] = position(KVM_SET_SREGS, p[0]);
	p[2] = position(KVM_SET_LAPIC, p[1]);	/* before IA32_TSC_DEADLINE */
	p[3] = position(KVM_SET_MSRS, p[2]);
	p[4] = position(KVM_SET_XCRS, p[3]);
	p[5] = position(KVM_SET_XSAVE, p[4]);
	p[6] = position(KVM_SET_MSRS, p[5]);	/* XFD after the image */
	p[7] = position(KVM_SET_VCPU_EVENTS, p[6]);
	p[8] = position(KVM_SET_MP_STATE, p[7]);
	p[9] = position(KVM_SET_REGS, p[8]);
	ck_assert_uint_lt(position(KVM_SET_DEBUGREGS, p[8]), p[9]);
	/* The first write: TSC first, STAR, never XFD or an unchanged MSR. */
	ck_assert_uint_eq(nr_set_msrs[0], 2);
	ck_assert_uint_eq(set_msrs[0][0].index, MSR_TSC);
	ck_assert_uint_eq(set_msrs[0][1].index, MSR_STAR);
	/* The second: XFD alone (XFD_ERR is unchanged). */
	ck_assert_uint_eq(nr_set_msrs[1], 1);
	ck_assert_uint_eq(set_msrs[1][0].index, MSR_XFD);
	ck_assert_uint_eq(set_msrs[1][0].data, 0x40000);
	free(s);
}
END_TEST

/*
 * TR as the CPU had it: KVM_GET_SREGS on SVM reports the TSS busy (11),
 * where SVM holds it available (9) after the guest's LTR; given back busy,
 * the lane's TCG refused every CPL3 IN/OUT of a restored guest.  VMX needs
 * it busy.  Which one is the host's vendor in KVM's CPUID.
 */
START_TEST(load_gives_tr_back_as_the_host_holds_it)
{
	static const char *const hosts[] = { "cpuid/amd-epyc-avx512-pvm-host.txt",
					     "cpuid/intel-skylake-sp.txt" };
	struct vcpu_state *s = malloc(sizeof(*s));
	struct fpvm_error err;

	ck_assert_int_eq(vcpu_save_state(vcpu, false, s, &err), 0);
	s->sregs.tr = (struct kvm_segment){ .base = 0xfffffe0000003000ULL, .limit = 0x4087,
					    .selector = 0x40, .type = 0xb, .present = 1 };
	for (unsigned int i = 0; i < 2; i++) {
		struct cpuid_fixture f;

		ck_assert_int_eq(cpuid_fixture_load(hosts[i], &f), 0);
		kvm.cpuid = f.kvm;
		set_tr_type = 0;
		ck_assert_int_eq(vcpu_load_state(vcpu, s, vcpu->guest_fps.buf, &err), 0);
		ck_assert_uint_eq(set_tr_type, (i == 0 ? 0x9 : 0xb));
		ck_assert_uint_eq(s->sregs.tr.type, 0xb);	/* the saved state is not changed */
		kvm.cpuid = NULL;
		cpuid_fixture_free(&f);
	}
	free(s);
}
END_TEST

START_TEST(load_names_a_refused_msr)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	struct fpvm_error err;

	ck_assert_int_eq(vcpu_save_state(vcpu, false, s, &err), 0);
	for (uint32_t i = 0; i < s->nr_msrs; i++)
		if (s->msrs[i].index == MSR_ASYNC_PF)
			s->msrs[i].data = 0x21;	/* differs, so it is written, and refused */
	ck_assert_int_lt(vcpu_load_state(vcpu, s, vcpu->guest_fps.buf, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "MSR 0x4b564d06 refused"));
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	free(s);
}
END_TEST

/*
 * KVM refusing a value (EINVAL) is the state's fault, and says what KVM
 * refused; any other failure is fpvm's own.
 */
START_TEST(load_names_what_kvm_refused)
{
	static const struct {
		unsigned long req;
		const char *what;
	} refused[] = {
		{ KVM_SET_SREGS, "KVM refused the saved special registers (KVM_SET_SREGS: " },
		{ KVM_SET_XCRS, "KVM refused the saved XCRs (KVM_SET_XCRS: " },
		{ KVM_SET_XSAVE, "KVM refused the saved XSAVE image (KVM_SET_XSAVE: " },
		{ KVM_SET_MP_STATE, "KVM refused the saved MP state (KVM_SET_MP_STATE: " },
		{ KVM_SET_REGS, "KVM refused the saved registers (KVM_SET_REGS: " },
	};
	struct vcpu_state *s = malloc(sizeof(*s));
	struct fpvm_error err;

	ck_assert_int_eq(vcpu_save_state(vcpu, false, s, &err), 0);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		refuse = refused[i].req;
		refuse_errno = EINVAL;
		ck_assert_int_eq(vcpu_load_state(vcpu, s, vcpu->guest_fps.buf, &err), -EINVAL);
		ck_assert_msg(strstr(err.msg, refused[i].what), "%s", err.msg);
		ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	}
	refuse = KVM_SET_SREGS;
	refuse_errno = EFAULT;
	ck_assert_int_eq(vcpu_load_state(vcpu, s, vcpu->guest_fps.buf, &err), -EFAULT);
	ck_assert_int_eq(err.cls, FPVM_ERR_SYSTEM);
	ck_assert_ptr_null(strstr(err.msg, "refused"));
	free(s);
}
END_TEST

START_TEST(load_refuses_a_foreign_state)
{
	struct vcpu_state *s = calloc(1, sizeof(*s));
	struct fpvm_error err;

	ck_assert_int_lt(vcpu_load_state(vcpu, s, vcpu->guest_fps.buf, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_uint_eq(nr_calls, 0);
	s->magic = VCPU_STATE_MAGIC;
	s->size = sizeof(*s);
	s->nr_msrs = VCPU_STATE_MAX_MSRS + 1;
	ck_assert_int_lt(vcpu_load_state(vcpu, s, vcpu->guest_fps.buf, &err), 0);
	ck_assert_uint_eq(nr_calls, 0);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vcpu_state");
	TCase *tc = tcase_create("state");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, save_skips_msrs_kvm_cannot_read);
	tcase_add_test(tc, load_follows_kvms_order);
	tcase_add_test(tc, load_gives_tr_back_as_the_host_holds_it);
	tcase_add_test(tc, load_names_a_refused_msr);
	tcase_add_test(tc, load_names_what_kvm_refused);
	tcase_add_test(tc, load_refuses_a_foreign_state);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
