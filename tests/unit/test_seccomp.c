// SPDX-License-Identifier: MIT
/*
 * The allow-lists, installed for real in a child process: what each
 * thread's work needs passes; anything else ends the child with status 125
 * and a message that names the call.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../vmm/seccomp.h"
#include "testutil.h"

/*
 * Under ASan the filters are off (seccomp.h): its runtime takes SIGSYS
 * itself and makes calls no allow-list foresees, so only names are tested.
 */
#if !defined(__SANITIZE_ADDRESS__)
enum action {
	ALLOWED_WORK,		/* write, mmap without PROT_EXEC, munmap, getpid */
	OPEN_FILE,
	GETPPID,
	MMAP_EXEC,
	IOCTL_OTHER,		/* an ioctl fpvm never makes */
	IOCTL_KVM_RUN,		/* allowed; fails with EBADF on fd -1 */
	KILL_OTHER,		/* tgkill to another process */
	SOCKET,
	SENDTO,			/* on fd -1: allowed only to the gdb stub, fails with EBADF */
};

/* What the command tells seccomp to say about turning the filters off, as fpvm run does. */
static const char *way_out = "--no-seccomp turns the filters off";

/* Runs @a in a child under @which's filter: its exit status, its stderr in @msg. */
static int in_child(enum seccomp_thread which, enum action a, char *msg, size_t size)
{
	pid_t parent = getpid(), pid;
	int pipefd[2], ws;
	ssize_t n;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct fpvm_error err = { 0 };
		void *p;

		dup2(pipefd[1], STDERR_FILENO);
		seccomp_set_exit_status(FPVM_EXIT_SECCOMP);	/* as cmd/main.c does */
		seccomp_set_way_out(way_out);
		if (seccomp_sigsys_init() || seccomp_filter_thread(which, &err)) {
			dprintf(STDERR_FILENO, "setup: %s\n", err.msg);
			_exit(99);
		}
		switch (a) {
		case ALLOWED_WORK:
			p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED || munmap(p, 4096) || getpid() <= 0 ||
			    write(STDERR_FILENO, "ok\n", 3) != 3)
				_exit(98);
			break;
		case OPEN_FILE:
			if (open("/dev/null", O_RDONLY) < 0)
				_exit(97);
			break;
		case GETPPID:
			syscall(__NR_getppid);
			break;
		case MMAP_EXEC:
			mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			break;
		case IOCTL_OTHER:
			ioctl(-1, KVM_CREATE_VM, 0);
			break;
		case IOCTL_KVM_RUN:
			if (ioctl(-1, KVM_RUN, 0) != -1)
				_exit(96);
			break;
		case KILL_OTHER:
			syscall(__NR_tgkill, parent, parent, 0);	/* signal 0: a probe */
			break;
		case SOCKET:
			syscall(__NR_socket, 2, 1, 0);
			break;
		case SENDTO:
			if (syscall(__NR_sendto, -1, "", 0, 0, NULL, 0) != -1)
				_exit(95);
			break;
		}
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, size - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert(WIFEXITED(ws));
	return WEXITSTATUS(ws);
}

static void expect_forbidden(enum seccomp_thread which, enum action a, const char *name)
{
	char msg[512], want[64];

	ck_assert_int_eq(in_child(which, a, msg, sizeof(msg)), FPVM_EXIT_SECCOMP);
	snprintf(want, sizeof(want), "forbidden system call: %s (", name);
	ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
	ck_assert_msg(strstr(msg, "--no-seccomp"), "message '%s' lacks the way out", msg);
	ck_assert_msg(!strchr(msg, '\n') || strchr(msg, '\n')[1] == '\0', "'%s': one line", msg);
}

START_TEST(what_a_vcpu_thread_needs_passes)
{
	char msg[512];

	ck_assert_int_eq(in_child(SECCOMP_THREAD_VCPU, ALLOWED_WORK, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "ok\n");
	ck_assert_int_eq(in_child(SECCOMP_THREAD_VCPU, IOCTL_KVM_RUN, msg, sizeof(msg)), 0);
	ck_assert_int_eq(in_child(SECCOMP_THREAD_VMM, OPEN_FILE, msg, sizeof(msg)), 0);
	/* The gdb stub's thread: its socket, a vCPU's ioctls, the monitor's snapshot files. */
	ck_assert_int_eq(in_child(SECCOMP_THREAD_GDB, SENDTO, msg, sizeof(msg)), 0);
	ck_assert_int_eq(in_child(SECCOMP_THREAD_GDB, IOCTL_KVM_RUN, msg, sizeof(msg)), 0);
	ck_assert_int_eq(in_child(SECCOMP_THREAD_GDB, OPEN_FILE, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(anything_else_is_named_and_stops)
{
	expect_forbidden(SECCOMP_THREAD_VCPU, OPEN_FILE, "openat");
	expect_forbidden(SECCOMP_THREAD_VCPU, GETPPID, "getppid");
	expect_forbidden(SECCOMP_THREAD_VMM, GETPPID, "getppid");
	expect_forbidden(SECCOMP_THREAD_VCPU, MMAP_EXEC, "mmap");
	expect_forbidden(SECCOMP_THREAD_VMM, IOCTL_OTHER, "ioctl");
	expect_forbidden(SECCOMP_THREAD_VCPU, SOCKET, "socket");
	expect_forbidden(SECCOMP_THREAD_VMM, SENDTO, "sendto");
	expect_forbidden(SECCOMP_THREAD_GDB, SOCKET, "socket");
	expect_forbidden(SECCOMP_THREAD_GDB, GETPPID, "getppid");
}
END_TEST

START_TEST(tgkill_stays_in_this_process)
{
	expect_forbidden(SECCOMP_THREAD_VCPU, KILL_OTHER, "tgkill");
}
END_TEST

/* The library names no option: without a way out from the command, the report has none. */
START_TEST(no_way_out_names_no_option)
{
	static const char end[] = "; fpvm stops\n";
	char msg[512];

	way_out = NULL;
	ck_assert_int_eq(in_child(SECCOMP_THREAD_VCPU, GETPPID, msg, sizeof(msg)),
			 FPVM_EXIT_SECCOMP);
	ck_assert_msg(strstr(msg, "forbidden system call: getppid ("), "'%s'", msg);
	ck_assert_msg(strlen(msg) > strlen(end) && !strcmp(msg + strlen(msg) - strlen(end), end),
		      "'%s' does not end there", msg);
	ck_assert_msg(!strstr(msg, "--"), "'%s' names an option", msg);
}
END_TEST

/*
 * --stats: a vCPU thread may read and close the files it opened for its own
 * counters, and ask getcpu; any other descriptor stays unreadable.
 */
START_TEST(a_vcpu_thread_reads_only_its_own_counters)
{
	int pipefd[2], ws;
	char msg[512] = { 0 };
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		int own = open("/proc/thread-self/status", O_RDONLY), other = open("/dev/zero", O_RDONLY);
		struct fpvm_error err = { 0 };
		unsigned int cpu;
		char buf[64];

		dup2(pipefd[1], STDERR_FILENO);
		seccomp_set_exit_status(FPVM_EXIT_SECCOMP);
		if (own < 0 || other < 0 || seccomp_sigsys_init() ||
		    seccomp_filter_thread_reading(SECCOMP_THREAD_VCPU, &own, 1, &err))
			_exit(99);
		if (read(own, buf, sizeof(buf)) <= 0 || close(own) ||
		    syscall(__NR_getcpu, &cpu, NULL, NULL))
			_exit(98);
		if (write(STDERR_FILENO, "read\n", 5) != 5)
			_exit(97);
		if (read(other, buf, sizeof(buf)) > 0)
			_exit(96);	/* the filter let it through */
		_exit(0);
	}
	close(pipefd[1]);
	for (size_t len = 0; (n = read(pipefd[0], msg + len, sizeof(msg) - 1 - len)) > 0;)
		len += (size_t)n;
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == FPVM_EXIT_SECCOMP, "status %d: %s", ws,
		      msg);
	ck_assert_msg(!strncmp(msg, "read\n", 5), "'%s'", msg);
	ck_assert_msg(strstr(msg, "forbidden system call: read ("), "'%s'", msg);
}
END_TEST

#endif

START_TEST(syscall_names)
{
	ck_assert_str_eq(seccomp_syscall_name(__NR_read), "read");
	ck_assert_str_eq(seccomp_syscall_name(__NR_execve), "execve");
	ck_assert_ptr_null(seccomp_syscall_name(-1));
	ck_assert_ptr_null(seccomp_syscall_name(100000));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("filters");

	tcase_add_test(tc, syscall_names);
#if !defined(__SANITIZE_ADDRESS__)
	tcase_add_test(tc, what_a_vcpu_thread_needs_passes);
	tcase_add_test(tc, anything_else_is_named_and_stops);
	tcase_add_test(tc, tgkill_stays_in_this_process);
	tcase_add_test(tc, a_vcpu_thread_reads_only_its_own_counters);
	tcase_add_test(tc, no_way_out_names_no_option);
#endif
	suite_add_tcase(s, tc);
	return run_suite(s);
}
