// SPDX-License-Identifier: MIT
/*
 * The control port (guest/abi.h): the guest runtime reports exceptions
 * and panics here.  Requests come from guest memory, so everything in
 * them is checked before use: a hostile guest gets a warning, not a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../guest/abi.h"
#include "../vcpu/vcpu.h"
#include "ctl.h"
#include "vm.h"
#include "vm_snapshot.h"

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

/*
 * A guest can send malformed requests in a loop, or thousands with one
 * REP OUTSB (one request per byte): report the first few and say when the
 * rest go unreported, so stderr stays bounded whatever the guest does.
 * The count is the VM's.
 */
#define CTL_MAX_WARNINGS 10

static void bad_request(struct vm *vm, unsigned int cpu, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad_request(struct vm *vm, unsigned int cpu, const char *fmt, ...)
{
	unsigned int n = atomic_fetch_add(&vm->ctl_warnings, 1);
	char what[128];
	va_list ap;

	if (n > CTL_MAX_WARNINGS)
		return;
	if (n == CTL_MAX_WARNINGS) {
		vm_report(vm, "fpvm: vcpu %u: more than %u malformed control requests; "
			  "no more are reported\n", cpu, CTL_MAX_WARNINGS);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	vm_report(vm, "fpvm: vcpu %u: ignored %s\n", cpu, what);
}

static int ctl_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		     unsigned int len)
{
	struct vm *vm = dev;
	struct fpvm_ctl_req hdr, *req;
	uint32_t addr = 0;
	const void *payload;

	if (offset != 0 || len != 4) {
		bad_request(vm, cpu, "%u-byte write to control port 0x%llx: requests are 32-bit "
			    "writes to 0x%x", len, (unsigned long long)(FPVM_PORT_CTL + offset),
			    FPVM_PORT_CTL);
		return 0;
	}
	memcpy(&addr, data, 4);
	if (addr & 7) {
		bad_request(vm, cpu, "control request at 0x%x: address is not 8-byte aligned",
			    addr);
		return 0;
	}
	req = guest_mem_ptr(&vm->mem, addr, sizeof(*req));
	if (!req) {
		bad_request(vm, cpu, "control request at 0x%x: header is not in RAM", addr);
		return 0;
	}
	/* Copy once: the guest may change the request while we read it. */
	memcpy(&hdr, req, sizeof(hdr));
	if (hdr.magic != FPVM_CTL_MAGIC) {
		bad_request(vm, cpu, "control request at 0x%x: bad magic 0x%x", addr, hdr.magic);
		return 0;
	}
	if (hdr.size > CTL_MAX_PAYLOAD) {
		bad_request(vm, cpu, "control request at 0x%x: payload of %u bytes, more than %u",
			    addr, hdr.size, CTL_MAX_PAYLOAD);
		return 0;
	}
	payload = guest_mem_ptr(&vm->mem, addr + sizeof(hdr), hdr.size);
	if (!payload) {
		bad_request(vm, cpu, "control request at 0x%x: payload of %u bytes is not in RAM",
			    addr, hdr.size);
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
	case FPVM_CTL_SNAPSHOT:
		req->result = vm_request_snapshot(vm, cpu, addr + offsetof(struct fpvm_ctl_req,
									result));
		break;
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
