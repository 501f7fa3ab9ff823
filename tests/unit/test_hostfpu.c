// SPDX-License-Identifier: MIT
/*
 * The host fpstate check compares the thread's XSAVE images from before
 * and after KVM_RUN: a changed register is reported by name; a changed
 * XINUSE bit alone is not a leak.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static struct cpuid_fixture fx;
static struct guest_fpu_cfg cfg;
static struct guest_fpu fpu = { .cfg = &cfg };
static struct vcpu v = { .fpu = &fpu };
static struct vcpu *vcpu = &v;

static void setup(void)
{
	struct fpstate_error err;

	ck_assert_int_eq(cpuid_fixture_load("cpuid/amd-epyc-avx512-pvm-host.txt", &fx), 0);
	ck_assert_int_eq(xstate_layout_init(&cfg.host.layout, fx.host, &err), 0);
	cfg.host.xcr0 = 0xe7;
	ck_assert_int_eq(fpstate_alloc(&vcpu->host_fps, &cfg.host.layout, 0xe7, 4096, false,
				       &err), 0);
	vcpu->host_after = aligned_alloc(64, 4096);
	fpstate_init_uabi(vcpu->host_fps.buf, 4096);
	memcpy(vcpu->host_after, vcpu->host_fps.buf, 4096);
}

static void teardown(void)
{
	fpstate_free(&vcpu->host_fps);
	free(vcpu->host_after);
	cpuid_fixture_free(&fx);
}

/* vcpu_host_fpstate_diff()'s verdict; a change must name @reg. */
static int diff(const char *reg)
{
	char *text;
	int r = vcpu_host_fpstate_diff(vcpu, &text);

	ck_assert_int_ge(r, 0);
	ck_assert(r == 0 || (text && strstr(text, reg)));
	free(text);
	return r;
}

START_TEST(identical_images_pass)
{
	ck_assert_int_eq(diff(""), 0);
}
END_TEST

START_TEST(changed_register_is_caught)
{
	uint64_t bv = 0xe7;

	/* zmm20 byte 5 (Hi16_ZMM at 1408 on this AMD host) differs after KVM_RUN. */
	memcpy(vcpu->host_fps.buf + 512, &bv, 8);
	memcpy(vcpu->host_after + 512, &bv, 8);
	vcpu->host_after[1408 + 4 * 64 + 5] = 0x42;
	ck_assert_int_eq(diff("zmm20"), 1);
	ck_assert_int_eq(diff("zmm20"), 1);
}
END_TEST

START_TEST(xinuse_change_alone_is_not_a_leak)
{
	uint64_t before = 0xe7, after = 0x3;

	/* AVX-512 state in use before, init after: all of it zero either way. */
	memcpy(vcpu->host_fps.buf + 512, &before, 8);
	memcpy(vcpu->host_after + 512, &after, 8);
	ck_assert_int_eq(diff(""), 0);
	/* ... but init after non-zero contents before is a change. */
	vcpu->host_fps.buf[1408] = 1;
	ck_assert_int_eq(diff("zmm16"), 1);
}
END_TEST

/*
 * guest_fpu_open(), the one set-up sequence: a KVM that cannot be opened
 * leaves nothing open and is reported as unavailable; on a host without
 * AMX the permission is refused before KVM is even opened.
 */
START_TEST(open_in_order)
{
	struct fpvm_error err = { 0 };
	struct guest_fpu_cfg c;
	struct kvm kvm;

	ck_assert_int_lt(guest_fpu_open(&kvm, &c, "/nonexistent/kvm", false, NULL, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_UNAVAILABLE);
	ck_assert_msg(strstr(err.msg, "/nonexistent/kvm: no such device"), "%s", err.msg);
	ck_assert_int_eq(kvm.fd, -1);
	if (!(host_xgetbv0() & XMASK(XTILE_DATA))) {
		memset(&err, 0, sizeof(err));
		ck_assert_int_lt(guest_fpu_open(&kvm, &c, "/nonexistent/kvm", true, NULL, &err), 0);
		ck_assert_int_eq(err.item, CFG_AMX);
		ck_assert_msg(!strstr(err.msg, "/nonexistent"), "KVM opened first: %s", err.msg);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostfpu");
	TCase *tc = tcase_create("check");
	TCase *open_tc = tcase_create("open");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identical_images_pass);
	tcase_add_test(tc, changed_register_is_caught);
	tcase_add_test(tc, xinuse_change_alone_is_not_a_leak);
	suite_add_tcase(s, tc);
	tcase_add_test(open_tc, open_in_order);
	suite_add_tcase(s, open_tc);
	return run_suite(s);
}
