// SPDX-License-Identifier: MIT
/*
 * The vCPU thread and its exit dispatcher.  Every exit reason is handled
 * explicitly; one fpvm does not expect ends the VM with a diagnostic.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "HYPERV",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVM_EXIT_AP_RESET_HOLD] = "AP_RESET_HOLD",
	[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVM_EXIT_XEN] = "XEN",
	[KVM_EXIT_NOTIFY] = "NOTIFY",
};

const char *kvm_exit_reason_name(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
		return exit_names[reason];
	return "?";
}

static const char *const internal_suberrors[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "instruction emulation failed",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected hardware exit reason",
};

static uint64_t current_rip(struct vcpu *vcpu)
{
	struct kvm_regs regs;

	return ioctl(vcpu->fd, KVM_GET_REGS, &regs) ? 0 : regs.rip;
}

/* Unknown port or address: all-ones on read, counted, fatal if --strict-io. */
static enum vcpu_action unknown_access(struct vcpu *vcpu, bool pio, uint64_t addr, void *data,
				       unsigned int len, bool is_write)
{
	struct vm *vm = vcpu->vm;
	const char *kind = pio ? "port" : "MMIO address";

	atomic_fetch_add(pio ? &vm->unknown_pio : &vm->unknown_mmio, 1);
	if (!is_write)
		memset(data, 0xff, len);
	if (vm->cfg->strict_io) {
		vm_request_stop(vm, FPVM_EXIT_STRICT_IO, 0,
				"vcpu %u: %u-byte %s of unknown %s 0x%llx at rip 0x%llx (--strict-io)",
				vcpu->id, len, is_write ? "write" : "read", kind,
				(unsigned long long)addr, (unsigned long long)current_rip(vcpu));
		return VCPU_STOP;
	}
	if (vm->cfg->verbose)
		vm_report(vm, "fpvm: vcpu %u: %u-byte %s of unknown %s 0x%llx\n", vcpu->id, len,
			  is_write ? "write" : "read", kind, (unsigned long long)addr);
	return VCPU_CONTINUE;
}

static enum vcpu_action handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* A string instruction (rep outsb) comes as @count elements. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (bus_access(&vcpu->vm->pio, vcpu->id, run->io.port, data, run->io.size,
			       is_write) == -ENOENT &&
		    unknown_access(vcpu, true, run->io.port, data, run->io.size, is_write) ==
			    VCPU_STOP)
			return VCPU_STOP;
	}
	return vm_stopping(vcpu->vm) ? VCPU_STOP : VCPU_CONTINUE;
}

static enum vcpu_action handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (bus_access(&vcpu->vm->mmio, vcpu->id, run->mmio.phys_addr, run->mmio.data,
		       run->mmio.len, run->mmio.is_write) == -ENOENT)
		return unknown_access(vcpu, false, run->mmio.phys_addr, run->mmio.data,
				      run->mmio.len, run->mmio.is_write);
	return vm_stopping(vcpu->vm) ? VCPU_STOP : VCPU_CONTINUE;
}

static enum vcpu_action handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t sub = run->internal.suberror;
	const char *what = sub < 4 ? internal_suberrors[sub] : "unknown suberror";
	char buf[256];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "KVM internal error, suberror %u (%s)", sub, what);
	/* ndata counts u64s after the fixed fields; flags say which are valid. */
	if (sub == KVM_INTERNAL_ERROR_EMULATION && run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		uint8_t len = run->emulation_failure.insn_size;

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", instruction bytes:");
		for (uint8_t i = 0; i < len && i < 15 && n < sizeof(buf); i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %02x",
					      run->emulation_failure.insn_bytes[i]);
	} else {
		for (uint32_t i = 0; i < run->internal.ndata && i < 16 && n < sizeof(buf); i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s0x%llx",
					      i ? " " : ", data ",
					      (unsigned long long)run->internal.data[i]);
	}
	vcpu_dump(vcpu, buf);
	vm_request_stop(vcpu->vm, FPVM_EXIT_INTERNAL, STOP_REPORTED, "vcpu %u: %s", vcpu->id, buf);
	return VCPU_STOP;
}

static enum vcpu_action handle_system_event(struct vcpu *vcpu)
{
	static const char *const types[] = {
		[KVM_SYSTEM_EVENT_SHUTDOWN] = "shutdown", [KVM_SYSTEM_EVENT_RESET] = "reset",
		[KVM_SYSTEM_EVENT_CRASH] = "crash", [KVM_SYSTEM_EVENT_WAKEUP] = "wakeup",
		[KVM_SYSTEM_EVENT_SUSPEND] = "suspend", [KVM_SYSTEM_EVENT_SEV_TERM] = "SEV termination",
	};
	uint32_t type = vcpu->run->system_event.type;

	vm_request_stop(vcpu->vm, FPVM_EXIT_SYSTEM_EVENT, 0, "vcpu %u: system event: %s",
			vcpu->id, type < 7 && types[type] ? types[type] : "unknown");
	return VCPU_STOP;
}

enum vcpu_action vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char why[128];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(vcpu);
	case KVM_EXIT_MMIO:
		return handle_mmio(vcpu);
	case KVM_EXIT_HLT:
		return VCPU_HALTED;
	case KVM_EXIT_INTR:
		return VCPU_CONTINUE;
	case KVM_EXIT_SHUTDOWN:
		vcpu_dump(vcpu, "triple fault (KVM_EXIT_SHUTDOWN)");
		vm_request_stop(vcpu->vm, FPVM_EXIT_TRIPLE_FAULT, STOP_REPORTED, "vcpu %u: triple fault",
				vcpu->id);
		return VCPU_STOP;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why),
			 "VM entry failed (KVM_EXIT_FAIL_ENTRY), hardware reason 0x%llx on cpu %u",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			 run->fail_entry.cpu);
		vcpu_dump(vcpu, why);
		vm_request_stop(vcpu->vm, FPVM_EXIT_FAIL_ENTRY, STOP_REPORTED, "vcpu %u: %s", vcpu->id,
				why);
		return VCPU_STOP;
	case KVM_EXIT_INTERNAL_ERROR:
		return handle_internal_error(vcpu);
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(vcpu);
	default:
		snprintf(why, sizeof(why), "unexpected KVM exit reason %u (%s)", run->exit_reason,
			 kvm_exit_reason_name(run->exit_reason));
		vcpu_dump(vcpu, why);
		vm_request_stop(vcpu->vm, FPVM_EXIT_UNEXPECTED, STOP_REPORTED, "vcpu %u: %s", vcpu->id,
				why);
		return VCPU_STOP;
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	enum vcpu_action action = VCPU_CONTINUE;
	char name[16];

	snprintf(name, sizeof(name), "fpvm-vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	vcpu_capture_host_fpstate(vcpu);

	while (action == VCPU_CONTINUE) {
		int err;

		if (vm_stopping(vm))
			break;
		if (vcpu->host_after) {
			long ret = kvm_run_checked(vcpu->fd, vcpu->host_fps.buf, vcpu->host_after,
						   vm->host.xcr0);

			err = ret < 0 ? (int)-ret : 0;
		} else {
			err = ioctl(vcpu->fd, KVM_RUN, 0) < 0 ? errno : 0;
		}
		/* A VM's own hook replaces the default check of the host images. */
		if (vm->ops && vm->ops->after_run)
			vm->ops->after_run(vcpu);
		else if (vcpu->host_after)
			vcpu_check_host_fpstate(vcpu);
		if (err) {
			if (err == EINTR || err == EAGAIN) {
				__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			vm_request_stop(vm, FPVM_EXIT_SOFTWARE, 0, "vcpu %u: KVM_RUN: %s",
					vcpu->id, strerror(err));
			break;
		}
		action = vcpu_handle_exit(vcpu);
	}
	if (vm_stopping(vm) && (vm->stop_flags & STOP_DUMP_REGS) && action != VCPU_HALTED)
		vcpu_dump(vcpu, vm->reason);
	vm_vcpu_finished(vm);
	return NULL;
}
