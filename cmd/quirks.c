// SPDX-License-Identifier: MIT
/*
 * Host quirks: how this KVM differs from the architecture.  Every quirk is
 * a finding from running a tiny guest (the xcr0 guest, built into fpvm),
 * never an assumption about the machine.  'fpvm probe' shows them; 'fpvm
 * test' skips tests that require one to be present or absent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../vcpu/vcpu.h"
#include "cmd.h"

extern const unsigned char probe_guest_elf[];
extern const size_t probe_guest_elf_len;

#define PROBE_MEM	(16ULL << 20)
#define PROBE_TIMEOUT_MS 10000

struct guest_run {
	int status;		/* 0 when the VM ran, -1 when it could not */
	enum vm_stop stop;
	uint32_t value;
	uint64_t kvm_xcr0;	/* KVM_GET_XCRS after the run: what KVM holds */
	char fpstate_error[320];	/* the guest fpstate KVM returned fails validation */
	char reason[320];
	char out[4096];		/* the guest's serial output */
};

const struct quirk quirk_defs[NR_QUIRKS] = {
	[Q_XCR0_NOT_ENFORCED] = { .name = "guest-xcr0-not-enforced",
		.meaning = "XGETBV at CPL3 does not return the XCR0 set with KVM_SET_XCRS" },
	[Q_AVX_WITHOUT_XCR0] = { .name = "avx-without-xcr0",
		.meaning = "AVX instructions run although the guest XCR0 lacks AVX" },
	[Q_CPUID_NOT_VIRTUALIZED] = { .name = "cpuid-not-virtualized",
		.meaning = "CPUID at CPL3 does not return the table set with KVM_SET_CPUID2" },
	[Q_CPL0_XGETBV] = { .name = "cpl0-xgetbv-fails", .meaning = "XGETBV at CPL0 stops the vCPU" },
	[Q_CPL0_XSAVE] = { .name = "cpl0-xsave-fails", .meaning = "XSAVE at CPL0 stops the vCPU" },
	[Q_CPL0_X87] = { .name = "cpl0-x87-fails",
		.meaning = "x87 instructions at CPL0 stop the vCPU" },
	[Q_SYSCALL_CPL3] = { .name = "syscall-stays-cpl3",
		.meaning = "SYSCALL from CPL3 runs its LSTAR handler without entering CPL0" },
	[Q_KVM_CPUID_NO_XSAVE] = { .name = "kvm-cpuid-lacks-xsave",
		.meaning = "KVM_GET_SUPPORTED_CPUID leaf 1 lacks XSAVE while leaf 0xD offers features" },
	[Q_XSAVE_BEYOND_XCR0] = { .name = "xsave-beyond-xcr0",
		.meaning = "KVM_GET_XSAVE2 returns state for features outside the guest's XCR0" },
	[Q_SW_BREAKPOINT] = { .name = "sw-breakpoint-not-intercepted",
		.meaning = "INT3 reaches the guest despite KVM_GUESTDBG_USE_SW_BP (gdb's break)" },
	[Q_HW_BREAKPOINT] = { .name = "hw-breakpoint-not-intercepted",
		.meaning = "a KVM_GUESTDBG_USE_HW_BP breakpoint never stops the guest (gdb's hbreak, "
			   "watch)" },
};

/* What every probe guest runs on: this KVM and its guest FPU configuration. */
struct probe_env {
	struct kvm *kvm;
	const struct guest_fpu_cfg *fpu;
};

static int run_guest_ops(const struct probe_env *env, const char *mode, uint64_t xcr0,
			 const struct vm_ops *ops, void *ops_data, struct guest_run *gr)
{
	char *args[] = { (char *)mode };
	int fd = memfd_create("fpvm-probe", MFD_CLOEXEC);
	struct vm_config cfg = {
		.guest_path = "xcr0.elf", .guest_nargs = 1, .guest_args = args,
		.nr_cpus = 1, .mem_size = PROBE_MEM, .timeout_ms = PROBE_TIMEOUT_MS,
		.quiet = true, .serial_fd = fd, .dtb_fd = -1, .xcr0 = xcr0,
		.image = probe_guest_elf, .image_len = probe_guest_elf_len,
		.seccomp = seccomp_policy_for(SECCOMP_VCPUS),
	};
	struct fpvm_error err = { 0 };
	struct vm vm;
	ssize_t n;

	memset(gr, 0, sizeof(*gr));
	if (fd < 0) {
		gr->status = -1;
		snprintf(gr->reason, sizeof(gr->reason), "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (vm_boot_ops(&vm, env->kvm, env->fpu, &cfg, ops, ops_data, &err)) {
		gr->status = -1;
		snprintf(gr->reason, sizeof(gr->reason), "%s", err.msg);
	} else {
		gr->stop = vm.stop;
		gr->value = vm.stop_value;
		snprintf(gr->reason, sizeof(gr->reason), "%s", vm.reason);
		/* XCR0 is read on its own, so it is known even if the state is invalid. */
		if (!vcpu_sync_xcr0(vm.vcpus[0], &err))
			gr->kvm_xcr0 = vm.vcpus[0]->xcr0;
		if (vcpu_sync_fpstate(vm.vcpus[0], &err))
			snprintf(gr->fpstate_error, sizeof(gr->fpstate_error), "%s", err.msg);
	}
	vm_destroy(&vm);
	n = pread(fd, gr->out, sizeof(gr->out) - 1, 0);
	gr->out[n > 0 ? n : 0] = '\0';
	close(fd);
	return gr->status < 0 ? -1 : 0;
}

static int run_guest(const struct probe_env *env, const char *mode, uint64_t xcr0,
		     struct guest_run *gr)
{
	return run_guest_ops(env, mode, xcr0, NULL, NULL, gr);
}

/* The value of a "key=value" line of the guest's output, or NULL. */
static const char *value_of(const struct guest_run *gr, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = gr->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\n");

			snprintf(buf, size, "%.*s", (int)n, p + klen + 1);
			return buf;
		}
	}
	return NULL;
}

__attribute__((format(printf, 3, 4)))
static void found(struct quirk *q, int detected, const char *fmt, ...)
{
	va_list ap;

	q->detected = detected;
	va_start(ap, fmt);
	vsnprintf(q->evidence, sizeof(q->evidence), fmt, ap);
	va_end(ap);
}

static void probe_xcr0(const struct probe_env *env, struct quirk *q)
{
	struct guest_run gr;
	char v[64], d0[128];

	if (run_guest(env, "report", 0x3, &gr) || !value_of(&gr, "xgetbv", v, sizeof(v))) {
		found(&q[Q_XCR0_NOT_ENFORCED], UNKNOWN, "probe guest failed: %s", gr.reason);
		found(&q[Q_CPUID_NOT_VIRTUALIZED], UNKNOWN, "probe guest failed: %s", gr.reason);
		return;
	}
	/* Only KVM holding our XCR0 makes a different XGETBV the host's doing. */
	if (gr.kvm_xcr0 != 0x3)
		found(&q[Q_XCR0_NOT_ENFORCED], UNKNOWN, "KVM_GET_XCRS says 0x%llx after fpvm set "
		      "0x3: an fpvm bug, not a host quirk", (unsigned long long)gr.kvm_xcr0);
	else if (!strncmp(v, "fault", 5))
		found(&q[Q_XCR0_NOT_ENFORCED], UNKNOWN,
		      "XGETBV at CPL3 faulted (%s): CR4.OSXSAVE is clear", v);
	else
		found(&q[Q_XCR0_NOT_ENFORCED], strtoull(v, NULL, 0) != 0x3,
		      "XGETBV at CPL3 returned %s with XCR0 set to 0x3", v);
	if (value_of(&gr, "cpuid.d.0", d0, sizeof(d0)))
		found(&q[Q_CPUID_NOT_VIRTUALIZED], strtoul(d0, NULL, 0) != 0x3,
		      "CPUID 0xD.0 EAX at CPL3 is %.*s; fpvm set 0x3", (int)strcspn(d0, ","), d0);
}

static void probe_avx(const struct probe_env *env, uint64_t kvm_xcr0, struct quirk *q)
{
	struct guest_run gr;
	char v[32];

	if (!(kvm_xcr0 & XMASK(YMM))) {
		found(&q[Q_AVX_WITHOUT_XCR0], UNKNOWN, "this KVM does not offer AVX");
		found(&q[Q_XSAVE_BEYOND_XCR0], UNKNOWN, "this KVM does not offer AVX");
		return;
	}
	if (run_guest(env, "avx", 0x3, &gr) || !value_of(&gr, "avx", v, sizeof(v)))
		found(&q[Q_AVX_WITHOUT_XCR0], UNKNOWN, "probe guest failed: %s", gr.reason);
	else if (gr.kvm_xcr0 != 0x3)
		found(&q[Q_AVX_WITHOUT_XCR0], UNKNOWN, "KVM_GET_XCRS says 0x%llx after fpvm set "
		      "0x3: an fpvm bug, not a host quirk", (unsigned long long)gr.kvm_xcr0);
	else
		found(&q[Q_AVX_WITHOUT_XCR0], !strcmp(v, "ok"),
		      "VPXOR ymm with XCR0 0x3: %s", !strcmp(v, "ok") ? "executed" : v);
	/* Where AVX ran anyway, does KVM hand its state back? fpvm's validator tells. */
	if (gr.status >= 0)
		found(&q[Q_XSAVE_BEYOND_XCR0], gr.fpstate_error[0] != 0, "%s",
		      gr.fpstate_error[0] ? strstr(gr.fpstate_error, "XSTATE_BV")
						 ? strstr(gr.fpstate_error, "XSTATE_BV")
						 : gr.fpstate_error
					   : "KVM_GET_XSAVE2 after the AVX probe validates");
}

static void probe_cpl0(const struct probe_env *env, const char *mode, struct quirk *q)
{
	struct guest_run gr;

	if (run_guest(env, mode, 0, &gr))
		found(q, UNKNOWN, "probe guest failed: %s", gr.reason);
	else if (gr.stop == VM_STOP_INTERNAL_ERROR)
		found(q, YES, "%s", gr.reason);
	else if (gr.stop == VM_STOP_GUEST_EXIT && gr.value <= 1)
		found(q, NO, "%s at CPL0 completed", mode + 5);
	else
		found(q, UNKNOWN, "probe guest stopped: %s", gr.reason);
}

static void probe_syscall(const struct probe_env *env, struct quirk *q)
{
	struct guest_run gr;
	char cs[32];

	if (run_guest(env, "syscall", 0, &gr) || !value_of(&gr, "syscall.cs", cs, sizeof(cs)))
		found(q, UNKNOWN, "probe guest failed: %s", gr.reason);
	else
		found(q, (strtoul(cs, NULL, 0) & 3) != 0,
		      "the SYSCALL handler ran with CS %s (CPL %lu)", cs, strtoul(cs, NULL, 0) & 3);
}

static void probe_kvm_cpuid(const struct kvm *kvm, struct quirk *q)
{
	const struct kvm_cpuid_entry2 *l1 = kvm_cpuid_find(kvm->cpuid, 1, 0);
	const struct kvm_cpuid_entry2 *d0 = kvm_cpuid_find(kvm->cpuid, 0xd, 0);
	bool xsave = l1 && (l1->ecx & (1U << 26));

	found(q, !xsave && d0 && (d0->eax & ~3U), "leaf 1 ECX 0x%x (XSAVE %s), leaf 0xD.0 EAX 0x%x",
	      l1 ? l1->ecx : 0, xsave ? "set" : "clear", d0 ? d0->eax : 0);
}

/* What the int3 probe's VM saw: KVM_SET_GUEST_DEBUG's answer, and the exits it took. */
struct int3_probe {
	int set_debug;
	unsigned int exits;
};

/* Before the vCPU runs: software breakpoints to the VMM, as gdb's stub asks. */
static void int3_start(struct vm *vm)
{
	struct int3_probe *p = vm->ops_data;
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP };

	p->set_debug = kvm_vcpu_set_guest_debug(vm->kvm, vm->vcpus[0]->fd, &dbg);
}

/* The breakpoint taken: past the one-byte INT3, as gdb would after removing it. */
static bool int3_exit(struct vm *vm, struct vcpu *vcpu)
{
	struct int3_probe *p = vm->ops_data;
	struct kvm_regs regs;

	p->exits++;
	if (kvm_vcpu_get_regs(vcpu->kvm, vcpu->fd, &regs))
		return false;
	if (regs.rip == vcpu->run->debug.arch.pc)
		regs.rip++;
	return !kvm_vcpu_set_regs(vcpu->kvm, vcpu->fd, &regs);
}

/* An execution breakpoint in DR0 at the guest's first instruction (SDM vol. 3, 18.2). */
static void hwbp_start(struct vm *vm)
{
	struct int3_probe *p = vm->ops_data;
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP };
	struct kvm_regs regs;

	p->set_debug = kvm_vcpu_get_regs(vm->kvm, vm->vcpus[0]->fd, &regs);
	dbg.arch.debugreg[0] = regs.rip;
	dbg.arch.debugreg[7] = 0x1;	/* L0, execute, one byte */
	if (!p->set_debug)
		p->set_debug = kvm_vcpu_set_guest_debug(vm->kvm, vm->vcpus[0]->fd, &dbg);
}

/* Taken: the breakpoint goes, and the instruction it stopped before runs. */
static bool hwbp_exit(struct vm *vm, struct vcpu *vcpu)
{
	struct int3_probe *p = vm->ops_data;
	const struct kvm_guest_debug off = { .control = 0 };

	p->exits++;
	return !kvm_vcpu_set_guest_debug(vcpu->kvm, vcpu->fd, &off);
}

static void probe_hwbp(const struct probe_env *env, struct quirk *q)
{
	static const struct vm_ops ops = { .start = hwbp_start, .debug_exit = hwbp_exit };
	struct int3_probe p = { 0 };
	struct guest_run gr;

	if (run_guest_ops(env, "report", 0x3, &ops, &p, &gr))
		found(q, UNKNOWN, "probe guest failed: %s", gr.reason);
	else if (p.set_debug)
		found(q, YES, "KVM_SET_GUEST_DEBUG: %s", strerror(-p.set_debug));
	else if (gr.stop != VM_STOP_GUEST_EXIT)
		found(q, UNKNOWN, "probe guest stopped: %s", gr.reason);
	else
		found(q, p.exits == 0, "an execution breakpoint at the entry point: %u debug exits",
		      p.exits);
}

static void probe_int3(const struct probe_env *env, struct quirk *q)
{
	static const struct vm_ops ops = { .start = int3_start, .debug_exit = int3_exit };
	struct int3_probe p = { 0 };
	struct guest_run gr;
	char v[32];

	if (run_guest_ops(env, "int3", 0x3, &ops, &p, &gr))
		found(q, UNKNOWN, "probe guest failed: %s", gr.reason);
	else if (p.set_debug)
		found(q, YES, "KVM_SET_GUEST_DEBUG: %s", strerror(-p.set_debug));
	else if (!value_of(&gr, "int3", v, sizeof(v)))
		found(q, UNKNOWN, "probe guest stopped: %s", gr.reason);
	else
		found(q, strcmp(v, "ok") != 0, "INT3 at CPL3 with KVM_GUESTDBG_USE_SW_BP: %s, "
		      "%u debug exits", !strcmp(v, "ok") ? "taken by the VMM" : v, p.exits);
}

/* Every quirk, found by running the probe guests on @kvm (what 'fpvm probe' shows). */
void probe_quirks(struct kvm *kvm, const struct guest_fpu_cfg *fpu, struct quirk q[NR_QUIRKS])
{
	const struct probe_env env = { .kvm = kvm, .fpu = fpu };

	memcpy(q, quirk_defs, sizeof(quirk_defs));
	probe_xcr0(&env, q);
	probe_avx(&env, fpu->kvm_xcr0, q);
	probe_cpl0(&env, "cpl0-xgetbv", &q[Q_CPL0_XGETBV]);
	probe_cpl0(&env, "cpl0-xsave", &q[Q_CPL0_XSAVE]);
	probe_cpl0(&env, "cpl0-x87", &q[Q_CPL0_X87]);
	probe_syscall(&env, &q[Q_SYSCALL_CPL3]);
	probe_kvm_cpuid(kvm, &q[Q_KVM_CPUID_NO_XSAVE]);
	probe_int3(&env, &q[Q_SW_BREAKPOINT]);
	probe_hwbp(&env, &q[Q_HW_BREAKPOINT]);
}

int quirk_find(const char *name)
{
	for (int i = 0; i < NR_QUIRKS; i++)
		if (!strcmp(quirk_defs[i].name, name))
			return i;
	return -1;
}
