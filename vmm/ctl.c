// SPDX-License-Identifier: MIT
/*
 * The control port (guest/abi.h): the guest runtime reports exceptions
 * and panics here.  Requests come from guest memory, so everything in
 * them is checked before use: a hostile guest gets a warning, not a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../guest/abi.h"
#include "../vcpu/vcpu.h"
#include "vm.h"

#define CTL_MAX_PAYLOAD 4096

static const char *const vector_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 floating point", "#AC alignment check",
	"#MC machine check", "#XM SIMD floating point", "#VE virtualization",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

static void report_exception(struct vm *vm, unsigned int cpu, const struct fpvm_exception *e)
{
	const char *name = e->vector < 32 ? vector_names[e->vector] : "invalid vector";
	struct kvm_regs regs = {
		.rax = e->gpr[FPVM_RAX], .rbx = e->gpr[FPVM_RBX], .rcx = e->gpr[FPVM_RCX],
		.rdx = e->gpr[FPVM_RDX], .rsi = e->gpr[FPVM_RSI], .rdi = e->gpr[FPVM_RDI],
		.rsp = e->rsp, .rbp = e->gpr[FPVM_RBP], .r8 = e->gpr[FPVM_R8],
		.r9 = e->gpr[FPVM_R9], .r10 = e->gpr[FPVM_R10], .r11 = e->gpr[FPVM_R11],
		.r12 = e->gpr[FPVM_R12], .r13 = e->gpr[FPVM_R13], .r14 = e->gpr[FPVM_R14],
		.r15 = e->gpr[FPVM_R15], .rip = e->rip, .rflags = e->rflags,
	};
	char buf[1024];

	regs_format(buf, sizeof(buf), &regs);
	vm_report(vm, "fpvm: vcpu %u: guest exception: vector %llu (%s) at rip 0x%llx, error code "
		  "0x%llx, cr2 0x%llx, cpl %llu\n%s  cs %04llx ss %04llx\n", cpu,
		  (unsigned long long)e->vector, name, (unsigned long long)e->rip,
		  (unsigned long long)e->error_code, (unsigned long long)e->cr2,
		  (unsigned long long)(e->cs & 3), buf, (unsigned long long)e->cs,
		  (unsigned long long)e->ss);
	vm_request_stop(vm, VM_STOP_EXCEPTION, (uint32_t)e->vector, STOP_REPORTED,
			"vcpu %u: guest exception %s (vector %llu) at rip 0x%llx", cpu, name,
			(unsigned long long)e->vector, (unsigned long long)e->rip);
}

static void report_panic(struct vm *vm, unsigned int cpu, const char *payload, uint32_t size)
{
	char msg[256];
	uint32_t n = 0;

	/* Keep the message on one printable line whatever the guest sent. */
	for (; n < size && n < sizeof(msg) - 1 && payload[n]; n++)
		msg[n] = (payload[n] >= 0x20 && payload[n] < 0x7f) ? payload[n] : '?';
	msg[n] = '\0';
	vm_request_stop(vm, VM_STOP_PANIC, 0, 0, "vcpu %u: guest panic: %s", cpu, msg);
}

static void bad_request(struct vm *vm, unsigned int cpu, const char *what, uint64_t addr)
{
	vm_report(vm, "fpvm: vcpu %u: ignored control request at 0x%llx: %s\n", cpu,
		  (unsigned long long)addr, what);
}

static int ctl_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		     unsigned int len)
{
	struct vm *vm = dev;
	struct fpvm_ctl_req hdr, *req;
	uint32_t addr = 0;
	const void *payload;

	if (offset != 0 || len != 4) {
		bad_request(vm, cpu, "not a 32-bit write to the control port", 0);
		return 0;
	}
	memcpy(&addr, data, 4);
	req = (addr & 7) ? NULL : guest_mem_ptr(&vm->mem, addr, sizeof(*req));
	if (!req) {
		bad_request(vm, cpu, "address is unaligned or not in RAM", addr);
		return 0;
	}
	/* Copy once: the guest may change the request while we read it. */
	memcpy(&hdr, req, sizeof(hdr));
	payload = guest_mem_ptr(&vm->mem, addr + sizeof(hdr), hdr.size);
	if (hdr.magic != FPVM_CTL_MAGIC || hdr.size > CTL_MAX_PAYLOAD || !payload) {
		bad_request(vm, cpu, "bad magic or payload size", addr);
		return 0;
	}
	switch (hdr.op) {
	case FPVM_CTL_EXCEPTION: {
		struct fpvm_exception e;

		if (hdr.size != sizeof(e)) {
			req->result = -EINVAL;
			break;
		}
		memcpy(&e, payload, sizeof(e));
		report_exception(vm, cpu, &e);
		req->result = 0;
		break;
	}
	case FPVM_CTL_PANIC: {
		char msg[CTL_MAX_PAYLOAD];

		memcpy(msg, payload, hdr.size);
		report_panic(vm, cpu, msg, hdr.size);
		req->result = 0;
		break;
	}
	default:
		req->result = vm->ops && vm->ops->ctl
				      ? vm->ops->ctl(vm, cpu, hdr.op, payload, hdr.size) : -ENOSYS;
	}
	return 0;
}

static int ctl_read(void *dev, unsigned int cpu, uint64_t offset, void *data, unsigned int len)
{
	(void)dev;
	(void)cpu;
	(void)offset;
	memset(data, 0xff, len);
	return 0;
}

const struct bus_device_ops fpvm_ctl_ops = {
	.read = ctl_read,
	.write = ctl_write,
};
