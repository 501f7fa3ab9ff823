// SPDX-License-Identifier: MIT
/* Opening KVM: every failure has its own message and status 69. */
#include <errno.h>
#include <string.h>

#include "testutil.h"

#define FIXTURE_FILE FIXTURE_DIR "/cpuid/amd-epyc-avx512-pvm-host.txt"

static int api_version = KVM_API_VERSION;
static int missing_cap = -1;
static int cpuid_calls;
static unsigned int cpuid_needs;	/* entries the fake KVM_GET_SUPPORTED_CPUID has */

/* A KVM that answers what the test says; /dev/null stands in for the fd. */
static int fake_ioctl(int fd, unsigned long request, unsigned long arg)
{
	(void)fd;
	switch (request) {
	case KVM_GET_API_VERSION:
		return api_version;
	case KVM_CHECK_EXTENSION:
		if ((int)arg == missing_cap)
			return 0;
		return arg == KVM_CAP_MAX_VCPUS ? 288 : 1;
	case KVM_GET_VCPU_MMAP_SIZE:
		return 3 * 4096;
	case KVM_GET_SUPPORTED_CPUID: {
		struct kvm_cpuid2 *c = (void *)arg;

		cpuid_calls++;
		/* Too small a buffer gets E2BIG, as from the real thing. */
		if (c->nent < cpuid_needs) {
			errno = E2BIG;
			return -1;
		}
		c->nent = 1;
		c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd };
		return 0;
	}
	}
	errno = ENOTTY;
	return -1;
}

static const struct kvm_ops fake_ops = { .ioctl = fake_ioctl };
static struct fpvm_error err;

static void reset(void)
{
	api_version = KVM_API_VERSION;
	missing_cap = -1;
	cpuid_calls = 0;
	cpuid_needs = 100;
}

START_TEST(opens_a_good_kvm)
{
	struct kvm kvm;

	ck_assert_int_eq(kvm_open_ops(&kvm, "/dev/null", &fake_ops, &err), 0);
	ck_assert_int_eq(kvm.max_vcpus, 288);
	ck_assert_int_eq(kvm.vcpu_mmap_size, 3 * 4096);
	ck_assert_uint_eq(kvm.cpuid->nent, 1);
	/* One call: a second would make KVM compute the whole table again. */
	ck_assert_int_eq(cpuid_calls, 1);
	ck_assert_ptr_nonnull(kvm_cpuid_find(kvm.cpuid, 0, 0));
	ck_assert_ptr_null(kvm_cpuid_find(kvm.cpuid, 1, 0));
	kvm_close(&kvm);
}
END_TEST

START_TEST(a_larger_cpuid_table_is_retried)
{
	struct kvm kvm;

	cpuid_needs = 300;
	ck_assert_int_eq(kvm_open_ops(&kvm, "/dev/null", &fake_ops, &err), 0);
	ck_assert_int_eq(cpuid_calls, 2);	/* 256 entries: E2BIG; 512: fits */
	kvm_close(&kvm);
}
END_TEST

START_TEST(wrong_api_version)
{
	struct kvm kvm;

	api_version = 11;
	ck_assert_int_lt(kvm_open_ops(&kvm, "/dev/null", &fake_ops, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_UNAVAILABLE);
	ck_assert_str_eq(err.msg, "/dev/null: KVM API version 11, fpvm needs 12");
	ck_assert_int_eq(kvm.fd, -1);
}
END_TEST

START_TEST(missing_capability)
{
	struct kvm kvm;

	missing_cap = KVM_CAP_IMMEDIATE_EXIT;
	ck_assert_int_lt(kvm_open_ops(&kvm, "/dev/null", &fake_ops, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_UNAVAILABLE);
	ck_assert_str_eq(err.msg, "/dev/null: required capability KVM_CAP_IMMEDIATE_EXIT is missing");
	missing_cap = KVM_CAP_XCRS;
	ck_assert_int_lt(kvm_open_ops(&kvm, "/dev/null", &fake_ops, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "KVM_CAP_XCRS"));
}
END_TEST

START_TEST(not_a_kvm_device)
{
	struct kvm kvm;

	/* The real ioctl on /dev/null: ENOTTY. */
	ck_assert_int_lt(kvm_open(&kvm, "/dev/null", &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "/dev/null: not a KVM device"));
	/* A regular file is refused before any ioctl. */
	ck_assert_int_lt(kvm_open_ops(&kvm, FIXTURE_FILE, &fake_ops, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, ": not a KVM device"));
}
END_TEST

START_TEST(missing_device)
{
	struct kvm kvm;

	ck_assert_int_lt(kvm_open(&kvm, "/nonexistent/kvm", &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/kvm: no such device (is the kvm module"));
	/* An empty path is named as such, never as ': no such device'. */
	ck_assert_int_lt(kvm_open(&kvm, "", &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_UNAVAILABLE);
	ck_assert_str_eq(err.msg, "an empty path names no KVM device");
	ck_assert_int_eq(kvm.fd, -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kvm");
	TCase *tc = tcase_create("open");

	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_add_test(tc, opens_a_good_kvm);
	tcase_add_test(tc, a_larger_cpuid_table_is_retried);
	tcase_add_test(tc, wrong_api_version);
	tcase_add_test(tc, missing_capability);
	tcase_add_test(tc, not_a_kvm_device);
	tcase_add_test(tc, missing_device);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
