// SPDX-License-Identifier: MIT
/*
 * The host fpstate check compares the thread's XSAVE images from before
 * and after KVM_RUN: a changed register is reported by name and counted;
 * a changed XINUSE bit alone is not a leak.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static struct fake_vm f;
static struct cpuid_fixture fx;

static void setup(void)
{
	struct fpstate_error err;

	fake_vm_init(&f, 16ULL << 20);
	ck_assert_int_eq(cpuid_fixture_load("cpuid/amd-epyc-avx512-pvm-host.txt", &fx), 0);
	ck_assert_int_eq(xstate_layout_init(&f.vm.host.layout, fx.host, &err), 0);
	f.vm.host.xcr0 = 0xe7;
	ck_assert_int_eq(fpstate_alloc(&f.vcpu->host_fps, &f.vm.host.layout, 0xe7, 4096, false,
				       &err), 0);
	f.vcpu->host_after = aligned_alloc(64, 4096);
	fpstate_init_uabi(f.vcpu->host_fps.buf, 4096);
	memcpy(f.vcpu->host_after, f.vcpu->host_fps.buf, 4096);
	f.vcpu->run->exit_reason = KVM_EXIT_IO;
}

static void teardown(void)
{
	fpstate_free(&f.vcpu->host_fps);
	free(f.vcpu->host_after);
	cpuid_fixture_free(&fx);
	fake_vm_free(&f);
}

START_TEST(identical_images_pass)
{
	vcpu_check_host_fpstate(f.vcpu);
	ck_assert_uint_eq(atomic_load(&f.vm.host_fpstate_changes), 0);
}
END_TEST

START_TEST(changed_register_is_caught)
{
	uint64_t bv = 0xe7;

	/* zmm20 byte 5 (Hi16_ZMM at 1408 on this AMD host) differs after KVM_RUN. */
	memcpy(f.vcpu->host_fps.buf + 512, &bv, 8);
	memcpy(f.vcpu->host_after + 512, &bv, 8);
	f.vcpu->host_after[1408 + 4 * 64 + 5] = 0x42;
	vcpu_check_host_fpstate(f.vcpu);
	ck_assert_uint_eq(atomic_load(&f.vm.host_fpstate_changes), 1);
	vcpu_check_host_fpstate(f.vcpu);
	ck_assert_uint_eq(atomic_load(&f.vm.host_fpstate_changes), 2);
}
END_TEST

START_TEST(xinuse_change_alone_is_not_a_leak)
{
	uint64_t before = 0xe7, after = 0x3;

	/* AVX-512 state in use before, init after: all of it zero either way. */
	memcpy(f.vcpu->host_fps.buf + 512, &before, 8);
	memcpy(f.vcpu->host_after + 512, &after, 8);
	vcpu_check_host_fpstate(f.vcpu);
	ck_assert_uint_eq(atomic_load(&f.vm.host_fpstate_changes), 0);
	/* ... but init after non-zero contents before is a change. */
	f.vcpu->host_fps.buf[1408] = 1;
	vcpu_check_host_fpstate(f.vcpu);
	ck_assert_uint_eq(atomic_load(&f.vm.host_fpstate_changes), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostfpu");
	TCase *tc = tcase_create("check");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identical_images_pass);
	tcase_add_test(tc, changed_register_is_caught);
	tcase_add_test(tc, xinuse_change_alone_is_not_a_leak);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
