// SPDX-License-Identifier: MIT
/*
 * Seccomp allow-lists, written as classic BPF by hand: a few dozen calls on
 * one architecture need no library, and the programs stay readable data.
 * The filter sees struct seccomp_data (Documentation/userspace-api/
 * seccomp_filter.rst): the architecture is checked first, since a number
 * means another call under another ABI, and x32 numbers are refused.
 *
 * Arguments are checked where a call is broad: ioctl only with the
 * requests fpvm makes (the kernel's ioctl takes its request as an unsigned
 * int, so the low 32 bits are all that counts), mmap never with PROT_EXEC,
 * tgkill only within this process.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <asm/ioctls.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "seccomp.h"
#include "syscall_names.h"

#define ARG_LO(i)	((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define MAX_INSNS	255	/* jumps are 8-bit: keep every target in reach */

enum rule_kind {
	ANY,		/* the call, with any arguments */
	ONE_OF,		/* argument @arg is one of @values */
	MASK_CLEAR,	/* argument @arg has none of the bits of @values[0] */
};

struct rule {
	int nr;
	enum rule_kind kind;
	unsigned int arg;
	const uint32_t *values;
	unsigned int nr_values;
};

/* Every ioctl fpvm makes once a VM runs: vCPU state, and isatty() for stdio. */
static const uint32_t ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_XSAVE,
	KVM_GET_XSAVE2, KVM_SET_XSAVE, KVM_GET_XCRS, KVM_SET_XCRS, KVM_GET_VCPU_EVENTS,
	KVM_GET_MSRS, KVM_GET_FPU, TCGETS,
	/* the PC platform: pc-testdev's IRQ lines; waking from ACPI S3 on the main thread */
	KVM_IRQ_LINE, KVM_SET_MP_STATE,
	/* a snapshot, on the main thread with every vCPU paused (snapshot.c) */
	KVM_GET_DEBUGREGS, KVM_GET_MP_STATE, KVM_GET_LAPIC, KVM_GET_IRQCHIP, KVM_GET_PIT2,
	KVM_GET_CLOCK,
	/* the gdb stub's thread: breakpoints, steps and debug registers */
	KVM_SET_GUEST_DEBUG,
	/* the UART's THR queued by KVM or not, as its IER and MCR say (coalesced.c) */
	KVM_REGISTER_COALESCED_MMIO, KVM_UNREGISTER_COALESCED_MMIO,
};
static const uint32_t prot_exec[] = { PROT_EXEC };

#define RULE_ANY(n)		{ n, ANY, 0, NULL, 0 }
#define RULE_ONE_OF(n, a, v)	{ n, ONE_OF, a, v, sizeof(v) / sizeof((v)[0]) }
#define RULE_MASK_CLEAR(n, a, v) { n, MASK_CLEAR, a, v, 1 }

/*
 * A vCPU thread: KVM_RUN and the exit handlers' work (serial output, with
 * poll for a reader that stalls; diagnostics, kicking the other vCPUs,
 * malloc), and its own end.
 */
static const struct rule vcpu_rules[] = {
	RULE_ONE_OF(__NR_ioctl, 1, ioctls),
	RULE_ANY(__NR_write), RULE_ANY(__NR_writev), RULE_ANY(__NR_poll), RULE_ANY(__NR_futex),
	RULE_ANY(__NR_rt_sigreturn), RULE_ANY(__NR_rt_sigprocmask), RULE_ANY(__NR_restart_syscall),
	RULE_ANY(__NR_madvise), RULE_ANY(__NR_munmap), RULE_ANY(__NR_brk), RULE_ANY(__NR_mremap),
	RULE_MASK_CLEAR(__NR_mmap, 2, prot_exec),
	RULE_MASK_CLEAR(__NR_mprotect, 2, prot_exec),	/* pc-testdev's page flush */
	RULE_ANY(__NR_getpid), RULE_ANY(__NR_gettid), RULE_ANY(__NR_clock_gettime),
	RULE_ANY(__NR_sched_yield), RULE_ANY(__NR_exit), RULE_ANY(__NR_exit_group),
};

/*
 * The VMM's main thread after the vCPUs started: waiting (poll on the
 * signalfd and eventfd), snapshots, then the reports (--dump-fpstate,
 * --save-fpstate, --stats read /proc/self/smaps) and teardown.
 */
static const struct rule vmm_rules[] = {
	RULE_ANY(__NR_ppoll), RULE_ANY(__NR_read), RULE_ANY(__NR_close),
	RULE_ANY(__NR_openat), RULE_ANY(__NR_mkdir), RULE_ANY(__NR_mkdirat),
	RULE_ANY(__NR_newfstatat), RULE_ANY(__NR_fstat), RULE_ANY(__NR_fcntl), RULE_ANY(__NR_lseek),
	/*
	 * --snapshot-dir: parts, the sparse memory file, the manifest's rename;
	 * the generations an interrupted writer left, listed and removed
	 */
	RULE_ANY(__NR_pwrite64), RULE_ANY(__NR_pread64), RULE_ANY(__NR_ftruncate),
	RULE_ANY(__NR_fsync), RULE_ANY(__NR_fdatasync), RULE_ANY(__NR_renameat),
	RULE_ANY(__NR_renameat2), RULE_ANY(__NR_unlinkat), RULE_ANY(__NR_rename),
	RULE_ANY(__NR_unlink), RULE_ANY(__NR_syncfs), RULE_ANY(__NR_getdents64),
};

/*
 * The gdb stub's thread, on top of the VMM's (its monitor takes snapshots):
 * its one client's socket.  It listens before the filter, so no bind or
 * listen here, and it never connects anywhere.
 */
static const struct rule gdb_rules[] = {
	RULE_ANY(__NR_accept4), RULE_ANY(__NR_recvfrom), RULE_ANY(__NR_sendto),
	RULE_ANY(__NR_setsockopt),
};

static __thread const char *thread_kind;

enum seccomp_policy seccomp_policy_for(enum seccomp_policy wanted)
{
#if defined(__SANITIZE_ADDRESS__)
	return SECCOMP_OFF;
#endif
	return RUNNING_ON_VALGRIND ? SECCOMP_OFF : wanted;
}

const char *seccomp_syscall_name(long nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(syscall_names) / sizeof(syscall_names[0]))
		return NULL;
	return syscall_names[nr];
}

static char *append(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *append_number(char *p, unsigned long v)
{
	char digits[24];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = digits[--n];
	return p;
}

/* Set before any filter, read only by the handler. */
static int exit_status = 128 + SIGSYS;
static char way_out[128];

/* Async-signal-safe: no stdio, no malloc; write(2) and _exit(2) are allowed everywhere. */
static void sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	const char *name = seccomp_syscall_name(si->si_syscall);
	char msg[384], *p = msg;

	(void)sig;
	(void)ctx;
	p = append(p, "fpvm: seccomp: the ");
	p = append(p, thread_kind ? thread_kind : "VMM");
	p = append(p, " thread made a forbidden system call: ");
	p = append(p, name ? name : "unknown");
	p = append(p, " (");
	p = append_number(p, (unsigned long)si->si_syscall);
	p = append(p, "); fpvm stops");
	if (*way_out)
		p = append(append(append(p, " ("), way_out), ")");
	p = append(p, "\n");
	if (write(STDERR_FILENO, msg, (size_t)(p - msg)) < 0)
		_exit(exit_status);
	_exit(exit_status);
}

void seccomp_set_exit_status(int status)
{
	exit_status = status;
}

void seccomp_set_way_out(const char *text)
{
	snprintf(way_out, sizeof(way_out), "%s", text ? text : "");
}

int seccomp_sigsys_init(void)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

struct prog {
	struct sock_filter insn[MAX_INSNS];
	unsigned int n;
	bool overflow;
};

static void emit(struct prog *p, struct sock_filter insn)
{
	if (p->n == MAX_INSNS)
		p->overflow = true;
	else
		p->insn[p->n++] = insn;
}

#define STMT(code, k)		((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf)	((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define RET_ALLOW		STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define RET_TRAP		STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP)
#define LOAD(off)		STMT(BPF_LD | BPF_W | BPF_ABS, off)

/*
 * One rule, entered with the call's number loaded; it either returns or
 * falls through to the next rule with the number still loaded.
 */
static void emit_rule(struct prog *p, const struct rule *r)
{
	unsigned int k = r->nr_values;

	switch (r->kind) {
	case ANY:
		emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 1));
		emit(p, RET_ALLOW);
		break;
	case ONE_OF:
		/* [jeq nr][ld arg][jeq v0]..[jeq vk-1][ret TRAP][ret ALLOW] */
		emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, (uint8_t)(k + 3)));
		emit(p, LOAD(ARG_LO(r->arg)));
		for (unsigned int j = 0; j < k; j++)
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->values[j], (uint8_t)(k - j), 0));
		emit(p, RET_TRAP);
		emit(p, RET_ALLOW);
		break;
	case MASK_CLEAR:
		/* [jeq nr][ld arg][jset mask][ret TRAP][ret ALLOW] */
		emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 4));
		emit(p, LOAD(ARG_LO(r->arg)));
		emit(p, JUMP(BPF_JMP | BPF_JSET | BPF_K, r->values[0], 0, 1));
		emit(p, RET_TRAP);
		emit(p, RET_ALLOW);
		break;
	}
}

static void emit_rules(struct prog *p, const struct rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		emit_rule(p, &rules[i]);
}

int seccomp_filter_thread(enum seccomp_thread which, struct fpvm_error *err)
{
	return seccomp_filter_thread_reading(which, NULL, 0, err);
}

int seccomp_filter_thread_reading(enum seccomp_thread which, const int *fds, unsigned int nr_fds,
				  struct fpvm_error *err)
{
	uint32_t self[] = { (uint32_t)getpid() }, own[4];
	const struct rule tgkill_self = RULE_ONE_OF(__NR_tgkill, 0, self);
	const struct rule reading[] = {
		{ __NR_read, ONE_OF, 0, own, nr_fds }, { __NR_close, ONE_OF, 0, own, nr_fds },
		RULE_ANY(__NR_getcpu),
	};
	struct prog p = { .n = 0 };
	struct sock_fprog fprog;

	emit(&p, LOAD(offsetof(struct seccomp_data, arch)));
	emit(&p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(&p, STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(&p, LOAD(offsetof(struct seccomp_data, nr)));
	emit(&p, JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1));
	emit(&p, RET_TRAP);
	emit_rules(&p, vcpu_rules, sizeof(vcpu_rules) / sizeof(vcpu_rules[0]));
	emit_rule(&p, &tgkill_self);
	if (nr_fds > sizeof(own) / sizeof(own[0]))
		return fpvm_fail(err, FPVM_ERR_SYSTEM, E2BIG, "seccomp: too many files to read");
	for (unsigned int i = 0; i < nr_fds; i++)
		own[i] = (uint32_t)fds[i];
	if (fds)
		emit_rules(&p, reading, sizeof(reading) / sizeof(reading[0]));
	if (which == SECCOMP_THREAD_VMM || which == SECCOMP_THREAD_GDB)
		emit_rules(&p, vmm_rules, sizeof(vmm_rules) / sizeof(vmm_rules[0]));
	if (which == SECCOMP_THREAD_GDB)
		emit_rules(&p, gdb_rules, sizeof(gdb_rules) / sizeof(gdb_rules[0]));
	emit(&p, RET_TRAP);
	if (p.overflow)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, E2BIG, "seccomp: filter too long");
	fprog = (struct sock_fprog){ .len = (unsigned short)p.n, .filter = p.insn };
	/* Without no_new_privs an unprivileged process may not install a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog))
		return fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "seccomp: cannot install the filter: %s",
				 strerror(errno));
	thread_kind = which == SECCOMP_THREAD_VCPU ? "vCPU" : which == SECCOMP_THREAD_GDB ?
		      "gdb stub" : "VMM";
	return 0;
}
