// SPDX-License-Identifier: MIT
/*
 * vmm/vcpu_host.c without KVM: a thread places itself (affinity, policy)
 * and no other thread; a real-time policy the process may not use is a
 * permission error, not a fallback; the thread's own counters.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../vmm/vcpu_host.h"
#include "../../vmm/vm.h"
#include "testutil.h"

struct placed {
	const struct vm_config *cfg;
	int r;
	struct fpvm_error err;
	cpu_set_t cpus;
	int policy;
	struct vcpu_stats st;
};

static void *place(void *arg)
{
	struct placed *p = arg;
	struct vcpu_host_counters hc;

	vcpu_host_counters_open(&hc);
	p->r = vcpu_host_place(p->cfg, 1, &p->err);
	sched_getaffinity(0, sizeof(p->cpus), &p->cpus);
	p->policy = sched_getscheduler(0);
	usleep(2000);	/* a sleep is a voluntary context switch */
	vcpu_host_note_cpu(&p->st);
	vcpu_host_counters_read(&hc, &p->st);
	return NULL;
}

static void run_placed(struct placed *p)
{
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, place, p), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
}

static unsigned int last_cpu(const cpu_set_t *s)
{
	unsigned int cpu = CPU_SETSIZE - 1;

	while (!CPU_ISSET(cpu, s))
		cpu--;
	return cpu;
}

START_TEST(a_thread_places_itself_alone)
{
	struct vcpu_placement pl = { .nr = 1 };
	struct vm_config cfg = { .affinity = &pl, .sched = { SCHED_KIND_BATCH, 0 } };
	struct placed p = { .cfg = &cfg };
	cpu_set_t before, after;
	unsigned int cpu;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(before), &before), 0);
	cpu = last_cpu(&before);
	/* vCPU 1's own entry wins over "all" */
	pl.entry[0] = (struct placement_entry){ .vcpu = 1 };
	cpu_mask_set(&pl.entry[0].cpus, cpu);
	run_placed(&p);
	ck_assert_int_eq(p.r, 0);
	ck_assert_int_eq(CPU_COUNT(&p.cpus), 1);
	ck_assert(CPU_ISSET(cpu, &p.cpus));
	ck_assert_int_eq(p.policy, SCHED_BATCH);
	ck_assert_uint_eq(cpu_mask_count(&p.st.host_cpus), 1);
	ck_assert(cpu_mask_test(&p.st.host_cpus, cpu));
	ck_assert_int_ge(p.st.voluntary_switches, 1);
	ck_assert_int_ge(p.st.involuntary_switches, 0);
	ck_assert_int_ge(p.st.migrations, -1);
	/* The thread that started it keeps its CPUs and policy. */
	ck_assert_int_eq(sched_getaffinity(0, sizeof(after), &after), 0);
	ck_assert(CPU_EQUAL(&before, &after));
	ck_assert_int_eq(sched_getscheduler(0), SCHED_OTHER);
}
END_TEST

START_TEST(no_placement_leaves_the_thread_alone)
{
	struct vcpu_placement pl = { .nr = 1 };
	struct vm_config cfg = { .affinity = &pl };
	struct placed p = { .cfg = &cfg };
	cpu_set_t own;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(own), &own), 0);
	pl.entry[0] = (struct placement_entry){ .vcpu = 0 };	/* vCPU 0's, not 1's */
	cpu_mask_set(&pl.entry[0].cpus, last_cpu(&own));
	run_placed(&p);
	ck_assert_int_eq(p.r, 0);
	ck_assert(CPU_EQUAL(&own, &p.cpus));
	ck_assert_int_eq(p.policy, SCHED_OTHER);
}
END_TEST

/* Without CAP_SYS_NICE and with RLIMIT_RTPRIO 0, fifo is refused as a permission. */
START_TEST(a_real_time_policy_refused_is_a_permission_error)
{
	int pipefd[2], ws;
	pid_t pid;
	char msg[400] = "";

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct vm_config cfg = { .sched = { SCHED_KIND_FIFO, 5 } };
		struct rlimit none = { 0, 0 };
		struct placed p = { .cfg = &cfg };

		if (setrlimit(RLIMIT_RTPRIO, &none) || (!getuid() && setuid(65534)))
			_exit(98);
		run_placed(&p);
		if (write(pipefd[1], p.err.msg, strlen(p.err.msg)) < 0)
			_exit(97);
		_exit(p.r == -EPERM && p.err.cls == FPVM_ERR_PERMISSION && p.policy == SCHED_OTHER ?
		      0 : 1);
	}
	close(pipefd[1]);
	ck_assert_int_ge(read(pipefd[0], msg, sizeof(msg) - 1), 0);
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "status %d: %s", ws, msg);
	ck_assert_str_eq(msg, "vcpu 1: scheduling policy fifo:5: not permitted to this process "
			 "(it needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least 5)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vcpu_host");
	TCase *tc = tcase_create("vcpu_host");

	tcase_add_test(tc, a_thread_places_itself_alone);
	tcase_add_test(tc, no_placement_leaves_the_thread_alone);
	tcase_add_test(tc, a_real_time_policy_refused_is_a_permission_error);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
