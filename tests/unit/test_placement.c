// SPDX-License-Identifier: MIT
/* base/placement.c: CPU lists, vCPU placements and policies, and what is refused. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "../../base/placement.h"
#include "testutil.h"

static const char *list_of(const char *s)
{
	static char buf[128];
	struct fpvm_error err = { 0 };
	struct cpu_mask m;

	if (parse_cpu_list(s, &m, &err))
		return NULL;
	return cpu_mask_format(&m, buf, sizeof(buf));
}

START_TEST(cpu_lists_round_trip)
{
	ck_assert_str_eq(list_of("0"), "0");
	ck_assert_str_eq(list_of("3,1"), "1,3");
	ck_assert_str_eq(list_of("0-3"), "0-3");
	ck_assert_str_eq(list_of("0-2,3,7,9-10"), "0-3,7,9-10");
	ck_assert_str_eq(list_of("5-5"), "5");
	ck_assert_str_eq(list_of("1023"), "1023");
}
END_TEST

/* Each bad list is refused with one line that quotes it. */
START_TEST(bad_cpu_lists_are_refused)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1,,2", "a", "-1", "1-", "-", "3-1", "1024", "0-1024",
		"99999999999999999999", " 1", "1 ", "+1", "0x1", "1:2", "1-2-3",
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fpvm_error err = { 0 };
		struct cpu_mask m;

		ck_assert_msg(parse_cpu_list(bad[i], &m, &err) == -EINVAL, "'%s' taken", bad[i]);
		ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
		ck_assert_ptr_null(strchr(err.msg, '\n'));
		ck_assert_msg(strstr(err.msg, bad[i]), "'%s': %s", bad[i], err.msg);
	}
}
END_TEST

START_TEST(placements_map_vcpus_to_lists)
{
	struct fpvm_error err = { 0 };
	struct vcpu_placement p;
	char buf[64];

	ck_assert_int_eq(parse_vcpu_placement("0:2,1:3", &p, &err), 0);
	ck_assert_uint_eq(p.nr, 2);
	ck_assert_str_eq(cpu_mask_format(placement_cpus(&p, 0), buf, sizeof(buf)), "2");
	ck_assert_str_eq(cpu_mask_format(placement_cpus(&p, 1), buf, sizeof(buf)), "3");
	ck_assert_ptr_null(placement_cpus(&p, 2));
	/* A part without a colon continues the list before it. */
	ck_assert_int_eq(parse_vcpu_placement("0:2,3,1:4-5,7", &p, &err), 0);
	ck_assert_str_eq(cpu_mask_format(placement_cpus(&p, 0), buf, sizeof(buf)), "2-3");
	ck_assert_str_eq(cpu_mask_format(placement_cpus(&p, 1), buf, sizeof(buf)), "4-5,7");
	/* "all" covers every vCPU without an entry of its own, in any order. */
	ck_assert_int_eq(parse_vcpu_placement("1:1,all:0", &p, &err), 0);
	ck_assert_str_eq(cpu_mask_format(placement_cpus(&p, 0), buf, sizeof(buf)), "0");
	ck_assert_str_eq(cpu_mask_format(placement_cpus(&p, 1), buf, sizeof(buf)), "1");
	ck_assert_str_eq(cpu_mask_format(placement_cpus(&p, 7), buf, sizeof(buf)), "0");
	ck_assert_ptr_null(placement_cpus(NULL, 0));
}
END_TEST

START_TEST(bad_placements_are_refused)
{
	static const char *const bad[] = {
		"", "0", "all", "0:", ":1", "x:1", "all:", "0:1,", "0:1,,1:2", "0:1:2", "0:a",
		"-1:0", "0:1,0:2", "all:0,all:1", "1024:0", "0:3-1", "0:1 1:2", "0:1;1:2",
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fpvm_error err = { 0 };
		struct vcpu_placement p;

		ck_assert_msg(parse_vcpu_placement(bad[i], &p, &err) == -EINVAL, "'%s' taken",
			      bad[i]);
		ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
		ck_assert_ptr_null(strchr(err.msg, '\n'));
		ck_assert_msg(strstr(err.msg, bad[i]), "'%s': %s", bad[i], err.msg);
	}
}
END_TEST

START_TEST(policies_parse)
{
	static const struct {
		const char *s;
		enum sched_kind kind;
		int prio, policy;
	} ok[] = {
		{ "other", SCHED_KIND_OTHER, 0, SCHED_OTHER },
		{ "batch", SCHED_KIND_BATCH, 0, SCHED_BATCH },
		{ "idle", SCHED_KIND_IDLE, 0, SCHED_IDLE },
		{ "fifo:1", SCHED_KIND_FIFO, 1, SCHED_FIFO },
		{ "rr:99", SCHED_KIND_RR, 99, SCHED_RR },
	};
	static const char *const bad[] = {
		"", "fifo", "fifo:", "fifo:0", "fifo:100", "rr:-1", "rr:1x", "batch:1", "Batch",
		"deadline", "other:", "fifo:+5",
	};

	for (unsigned int i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct fpvm_error err = { 0 };
		struct sched_choice c;

		ck_assert_int_eq(parse_sched_choice(ok[i].s, &c, &err), 0);
		ck_assert_int_eq(c.kind, ok[i].kind);
		ck_assert_int_eq(c.priority, ok[i].prio);
		ck_assert_int_eq(sched_kind_policy(c.kind), ok[i].policy);
		ck_assert_int_eq(strncmp(sched_kind_name(c.kind), ok[i].s,
					 strlen(sched_kind_name(c.kind))), 0);
	}
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fpvm_error err = { 0 };
		struct sched_choice c;

		ck_assert_msg(parse_sched_choice(bad[i], &c, &err) == -EINVAL, "'%s' taken", bad[i]);
		ck_assert_ptr_null(strchr(err.msg, '\n'));
		ck_assert_msg(strstr(err.msg, bad[i]), "'%s': %s", bad[i], err.msg);
	}
}
END_TEST

/* The host check: a vCPU the VM lacks, a CPU this process may not use. */
START_TEST(placements_are_checked_against_the_host)
{
	struct fpvm_error err = { 0 };
	struct vcpu_placement p;
	cpu_set_t own;
	unsigned int first = 0;
	char s[32];

	ck_assert_int_eq(sched_getaffinity(0, sizeof(own), &own), 0);
	while (!CPU_ISSET(first, &own))
		first++;
	snprintf(s, sizeof(s), "0:%u", first);
	ck_assert_int_eq(parse_vcpu_placement(s, &p, &err), 0);
	ck_assert_int_eq(placement_check(&p, 1, &err), 0);
	snprintf(s, sizeof(s), "1:%u", first);
	ck_assert_int_eq(parse_vcpu_placement(s, &p, &err), 0);
	ck_assert_int_eq(placement_check(&p, 1, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "vCPU 1: the VM has 1 vCPU");
	/* CPU 1023 is not in this process's set on any machine these tests run on. */
	ck_assert(!CPU_ISSET(1023, &own));
	ck_assert_int_eq(parse_vcpu_placement("all:1023", &p, &err), 0);
	ck_assert_int_eq(placement_check(&p, 4, &err), -EINVAL);
	ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "CPU 1023: not one this process may run on"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("placement");
	TCase *tc = tcase_create("placement");

	tcase_add_test(tc, cpu_lists_round_trip);
	tcase_add_test(tc, bad_cpu_lists_are_refused);
	tcase_add_test(tc, placements_map_vcpus_to_lists);
	tcase_add_test(tc, bad_placements_are_refused);
	tcase_add_test(tc, policies_parse);
	tcase_add_test(tc, placements_are_checked_against_the_host);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
