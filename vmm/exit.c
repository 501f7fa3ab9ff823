// SPDX-License-Identifier: MIT
/*
 * The exit dispatcher: what the VM does with each exit vcpu_run() returns.
 * Every exit reason is handled explicitly; one fpvm does not expect ends
 * the VM with a diagnostic.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../guest/abi.h"
#include "../vcpu/vcpu.h"
#include "coalesced.h"
#include "exit.h"
#include "vm.h"

static const char *const internal_suberrors[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "instruction emulation failed",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected hardware exit reason",
};

static uint64_t current_rip(struct vcpu *vcpu)
{
	struct kvm_regs regs;

	return kvm_vcpu_get_regs(vcpu->kvm, vcpu->fd, &regs) ? 0 : regs.rip;
}

/* Unknown port or address: all-ones on read, counted, fatal with cfg->strict_io. */
static enum vcpu_action unknown_access(struct vm *vm, struct vcpu *vcpu, bool pio, uint64_t addr,
				       void *data, unsigned int len, bool is_write)
{
	const char *kind = pio ? "port" : "MMIO address";

	atomic_fetch_add(pio ? &vm->unknown_pio : &vm->unknown_mmio, 1);
	if (!is_write)
		memset(data, 0xff, len);
	if (vm->cfg->strict_io) {
		vm_request_stop(vm, VM_STOP_STRICT_IO, 0, 0,
				"vcpu %u: %u-byte %s of unknown %s 0x%llx at rip 0x%llx",
				vcpu->id, len, is_write ? "write" : "read", kind,
				(unsigned long long)addr, (unsigned long long)current_rip(vcpu));
		return VCPU_STOP;
	}
	if (vm->cfg->verbose)
		vm_report(vm, "fpvm: vcpu %u: %u-byte %s of unknown %s 0x%llx\n", vcpu->id, len,
			  is_write ? "write" : "read", kind, (unsigned long long)addr);
	return VCPU_CONTINUE;
}

/* Whether the I/O exit's access reaches @port (a wider access covers several). */
static bool io_covers(const struct kvm_run *run, uint16_t port)
{
	return run->io.port <= port && port < run->io.port + run->io.size;
}

static enum vcpu_action handle_io(struct vm *vm, struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* A string instruction (rep outsb) comes as @count elements. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (bus_access(&vm->pio, vcpu->id, run->io.port, data, run->io.size,
			       is_write) == -ENOENT &&
		    unknown_access(vm, vcpu, true, run->io.port, data, run->io.size, is_write) ==
			    VCPU_STOP)
			return VCPU_STOP;
	}
	/* IER or MCR may have made THR's writes observable at once: no more queuing. */
	if (is_write && (io_covers(run, FPVM_PORT_SERIAL + UART_IER) ||
			 io_covers(run, FPVM_PORT_SERIAL + UART_MCR)))
		vm_coalesced_update(vm);
	return vm_stopping(vm) ? VCPU_STOP : VCPU_CONTINUE;
}

static enum vcpu_action handle_mmio(struct vm *vm, struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (bus_access(&vm->mmio, vcpu->id, run->mmio.phys_addr, run->mmio.data,
		       run->mmio.len, run->mmio.is_write) == -ENOENT)
		return unknown_access(vm, vcpu, false, run->mmio.phys_addr, run->mmio.data,
				      run->mmio.len, run->mmio.is_write);
	return vm_stopping(vm) ? VCPU_STOP : VCPU_CONTINUE;
}

static enum vcpu_action handle_internal_error(struct vm *vm, struct vcpu *vcpu)
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
	vm_report_vcpu(vm, vcpu, buf);
	vm_request_stop(vm, VM_STOP_INTERNAL_ERROR, sub, STOP_REPORTED, "vcpu %u: %s", vcpu->id,
			buf);
	return VCPU_STOP;
}

static enum vcpu_action handle_system_event(struct vm *vm, struct vcpu *vcpu)
{
	static const char *const types[] = {
		[KVM_SYSTEM_EVENT_SHUTDOWN] = "shutdown", [KVM_SYSTEM_EVENT_RESET] = "reset",
		[KVM_SYSTEM_EVENT_CRASH] = "crash", [KVM_SYSTEM_EVENT_WAKEUP] = "wakeup",
		[KVM_SYSTEM_EVENT_SUSPEND] = "suspend", [KVM_SYSTEM_EVENT_SEV_TERM] = "SEV termination",
	};
	uint32_t type = vcpu->run->system_event.type;

	vm_request_stop(vm, VM_STOP_SYSTEM_EVENT, type, 0, "vcpu %u: system event: %s",
			vcpu->id, type < 7 && types[type] ? types[type] : "unknown");
	return VCPU_STOP;
}

enum vcpu_action vm_handle_exit(struct vm *vm, struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char why[128];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(vm, vcpu);
	case KVM_EXIT_MMIO:
		return handle_mmio(vm, vcpu);
	case KVM_EXIT_HLT:
		return VCPU_HALTED;
	case KVM_EXIT_INTR:
		return VCPU_CONTINUE;
	case KVM_EXIT_SHUTDOWN: {
		char buf[2048];

		vm_report(vm, "%.*s", (int)vcpu_format_shutdown(vcpu, buf, sizeof(buf)), buf);
		vm_request_stop(vm, VM_STOP_TRIPLE_FAULT, 0, STOP_REPORTED, "vcpu %u: triple fault",
				vcpu->id);
		return VCPU_STOP;
	}
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why),
			 "VM entry failed (KVM_EXIT_FAIL_ENTRY), hardware reason 0x%llx on cpu %u",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			 run->fail_entry.cpu);
		vm_report_vcpu(vm, vcpu, why);
		vm_request_stop(vm, VM_STOP_FAIL_ENTRY, 0, STOP_REPORTED, "vcpu %u: %s", vcpu->id,
				why);
		return VCPU_STOP;
	case KVM_EXIT_INTERNAL_ERROR:
		return handle_internal_error(vm, vcpu);
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(vm, vcpu);
	case KVM_EXIT_DEBUG:
		if (vm->ops && vm->ops->debug_exit && vm->ops->debug_exit(vm, vcpu))
			return vm_stopping(vm) ? VCPU_STOP : VCPU_CONTINUE;
		goto unexpected;
	default:
unexpected:
		snprintf(why, sizeof(why), "unexpected KVM exit reason %u (%s)", run->exit_reason,
			 kvm_exit_reason_name(run->exit_reason));
		vm_report_vcpu(vm, vcpu, why);
		vm_request_stop(vm, VM_STOP_UNHANDLED_EXIT, run->exit_reason, STOP_REPORTED,
				"vcpu %u: %s", vcpu->id, why);
		return VCPU_STOP;
	}
}

