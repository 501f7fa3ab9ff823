// SPDX-License-Identifier: MIT
/*
 * The PC platform (pc.h): created with the VM, wired to its buses, its
 * ACPI tables written once the kernel is loaded, and ACPI S3, in which
 * every vCPU is paused until the RTC alarm wakes the machine.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "../vcpu/vcpu.h"
#include "linux.h"
#include "pause.h"
#include "pc.h"
#include "vm.h"

#define PC_SERIAL_IRQ	4	/* COM1's ISA interrupt */
#define KVMFAIL(err, what, r) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, -(r), "%s: %s", what, strerror(-(r)))

/*
 * Multiboot kernels expect a PC: LAPICs (application processors wait for
 * INIT/SIPI in KVM), IOAPIC, PIC and PIT, all in the kernel.
 */
int pc_create(struct vm *vm, struct fpvm_error *err)
{
	const struct vm_config *cfg = vm->cfg;
	int r = kvm_vm_create_irqchip(vm->kvm, vm->fd);

	if (r)
		return KVMFAIL(err, "KVM_CREATE_IRQCHIP", r);
	r = kvm_vm_create_pit2(vm->kvm, vm->fd);
	if (r)
		return KVMFAIL(err, "KVM_CREATE_PIT2", r);
	fw_cfg_init(&vm->fw_cfg, cfg->mem_size, cfg->nr_cpus,
		    cfg->max_cpus > cfg->nr_cpus ? cfg->max_cpus : cfg->nr_cpus);
	acpi_pm_init(&vm->acpi_pm, NULL);
	rtc_cmos_init(&vm->rtc, NULL);
	pci_host_init(&vm->pci);
	if (pc_testdev_init(&vm->testdev))
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	return 0;
}

/* pc-testdev's IRQ lines drive the in-kernel PIC and IOAPIC inputs of the same number. */
static void pc_set_irq(void *opaque, unsigned int line, int level)
{
	struct vm *vm = opaque;
	int r = kvm_vm_irq_line(vm->kvm, vm->fd, line, (uint32_t)level);

	if (r)
		vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0, "KVM_IRQ_LINE %u: %s", line,
				strerror(-r));
}

/*
 * pc-testdev's page flush, as QEMU does it: taking the page's protection
 * away and back makes the kernel's MMU notifier zap KVM's mapping of it,
 * so the guest's next access faults it in again.
 */
static void pc_flush_page(void *opaque, uint64_t gpa)
{
	struct vm *vm = opaque;
	void *p = guest_mem_ptr(&vm->mem, gpa, 4096);

	if (p && !mprotect(p, 4096, PROT_NONE))
		mprotect(p, 4096, PROT_READ | PROT_WRITE);
}

static void pc_reset(void *opaque, unsigned int cpu)
{
	if (linux_guest(opaque) && linux_reset_panicked(opaque, cpu))
		return;
	vm_request_stop(opaque, VM_STOP_SYSTEM_EVENT, KVM_SYSTEM_EVENT_RESET, 0,
			"vcpu %u: system reset through port 0x%x", cpu, PCI_RESET_PORT);
}

/*
 * SLP_EN with SLP_TYP: S5 is soft off, the end of the VM; S3 suspends to
 * RAM.  This vCPU parks before it returns to the guest, then the main
 * thread pauses the others (pc_s3_poll()).  Other types are not in the DSDT.
 */
static void pc_sleep(void *opaque, unsigned int cpu, unsigned int slp_typ)
{
	struct vm *vm = opaque;

	/* A Linux guest's clean power-off is how its init says it is done. */
	if (slp_typ == ACPI_SLP_TYP_S5 && linux_guest(vm)) {
		linux_power_off(vm, cpu);
		return;
	}
	if (slp_typ == ACPI_SLP_TYP_S5) {
		vm_request_stop(vm, VM_STOP_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN, 0,
				"vcpu %u: ACPI S5 (soft off)", cpu);
		return;
	}
	if (slp_typ == ACPI_SLP_TYP_S3)
		vm_request_pause(vm, &vm->s3_requested);
}

/*
 * The 16550A's interrupt output is ISA IRQ 4 on a PC, an input of the
 * in-kernel PIC and IOAPIC; it rises only once the guest sets OUT2 and
 * IER, as Linux's 8250 driver does (it sends from its THRE interrupt).
 */
static void pc_serial_irq(void *opaque, int level)
{
	struct vm *vm = opaque;
	int r = kvm_vm_irq_line(vm->kvm, vm->fd, PC_SERIAL_IRQ, (uint32_t)level);

	if (r)
		vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0, "KVM_IRQ_LINE %u: %s",
				PC_SERIAL_IRQ, strerror(-r));
}

static void pc_serial_line(void *opaque, unsigned int cpu, const char *buf, unsigned int len)
{
	if (linux_guest(opaque))
		linux_console_line(opaque, cpu, buf, len);
}

/* What a Multiboot or Linux kernel's PC has beyond the in-kernel irqchip and PIT. */
int pc_attach_devices(struct vm *vm, struct fpvm_error *err)
{
	const struct serial8250_hooks uart = { pc_serial_irq, pc_serial_line, vm };
	const struct bus_region pio[] = {
		{ "fw_cfg", FW_CFG_PORT_SELECTOR, 2, &fw_cfg_ops, &vm->fw_cfg },
		{ "rtc-cmos", RTC_PORT, 2, &rtc_cmos_ops, &vm->rtc },
		{ "pc-testdev", TESTDEV_PORT, TESTDEV_PORT_LEN, &pc_testdev_ops, &vm->testdev },
		{ "pc-testdev-irq", TESTDEV_IRQ_PORT, TESTDEV_IRQ_LINES, &pc_testdev_irq_ops,
		  &vm->testdev },
		{ "pci-host", PCI_CONFIG_PORT, PCI_CONFIG_LEN, &pci_host_ops, &vm->pci },
		{ "acpi-pm", ACPI_PM_BASE, ACPI_PM_LEN, &acpi_pm_ops, &vm->acpi_pm },
	};
	const struct bus_region iomem = { "pc-testdev-iomem", TESTDEV_IOMEM_ADDR, TESTDEV_IOMEM_LEN,
					  &pc_testdev_iomem_ops, &vm->testdev };
	int r = bus_register(&vm->mmio, &iomem);

	vm->testdev.set_irq = pc_set_irq;
	vm->testdev.flush_page = pc_flush_page;
	vm->testdev.opaque = vm;
	vm->pci.reset = pc_reset;
	vm->pci.opaque = vm;
	vm->acpi_pm.sleep = pc_sleep;
	vm->acpi_pm.opaque = vm;
	serial8250_set_hooks(vm->serial, &uart);
	for (size_t i = 0; !r && i < sizeof(pio) / sizeof(pio[0]); i++)
		r = bus_register(&vm->pio, &pio[i]);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "registering the PC devices: %s",
				 strerror(-r));
	return 0;
}

/* The ACPI tables where a BIOS leaves them, below the Multiboot information. */
static int write_acpi_tables(struct vm *vm, struct fpvm_error *err)
{
	const struct acpi_config c = { .nr_cpus = vm->cfg->nr_cpus };
	void *dst = guest_mem_ptr(&vm->mem, ACPI_TABLES_ADDR, ACPI_TABLES_MAX);
	struct acpi_layout l;

	if (!dst || acpi_build(dst, ACPI_TABLES_MAX, ACPI_TABLES_ADDR, &c, &l))
		return fpvm_fail_config(err, CFG_CPUS, "%u: too many vCPUs for the ACPI tables",
					vm->cfg->nr_cpus);
	vm->facs_gpa = l.facs;
	return 0;
}

int pc_load_firmware(struct vm *vm, struct fpvm_error *err)
{
	return write_acpi_tables(vm, err) ?: pc_bios_setup(vm, err);
}

void pc_destroy(struct vm *vm)
{
	fw_cfg_destroy(&vm->fw_cfg);
	acpi_pm_destroy(&vm->acpi_pm);
	rtc_cmos_destroy(&vm->rtc);
	pci_host_destroy(&vm->pci);
	pc_testdev_destroy(&vm->testdev);
}

/*
 * ACPI S3 (ACPI 6.5, 16.1.3 "Sleeping States"): every vCPU paused, the
 * processor context lost, until the wake event this platform has: the RTC
 * alarm, when PM1_EN.RTC_EN enables it.  Without one the VM sleeps until
 * it is stopped.
 */
static void s3_enter(struct vm *vm)
{
	vm_pause_vcpus(vm);
	atomic_store(&vm->s3_requested, false);
	vm->s3_sleeping = true;
	vm->s3_wake_ns = acpi_pm_enabled(&vm->acpi_pm) & ACPI_PM1_RTC_EN
				 ? rtc_cmos_next_alarm(&vm->rtc, rtc_realtime_ns()) : 0;
}

/*
 * The wake: firmware restarts the BSP in real mode at the FACS firmware
 * waking vector (5.2.10), the APs wait for INIT/SIPI again, and the
 * status registers say why (WAK_STS, RTC_STS; the RTC's AF).
 */
static void s3_wake(struct vm *vm)
{
	const uint32_t *vec = guest_mem_ptr(&vm->mem, vm->facs_gpa + 12, 4);
	struct fpvm_error err = { 0 };
	int r = 0;

	rtc_cmos_alarm_fired(&vm->rtc);
	acpi_pm_wake(&vm->acpi_pm, ACPI_PM1_RTC_STS);
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		const struct kvm_mp_state wait = { .mp_state = KVM_MP_STATE_INIT_RECEIVED };
		struct kvm_regs regs;
		struct kvm_sregs sregs;

		if (i) {
			r = kvm_vcpu_set_mp_state(vm->kvm, vcpu->fd, &wait);
			if (r)
				fpvm_fail(&err, FPVM_ERR_SYSTEM, -r, "KVM_SET_MP_STATE: %s",
					  strerror(-r));
			continue;
		}
		r = vcpu_get_sregs(vcpu, &sregs, &err);
		if (!r) {
			boot_vcpu_state_real_mode(vec ? *vec : 0, &regs, &sregs);
			r = vcpu_set_regs(vcpu, &regs, &sregs, &err);
		}
	}
	if (r)
		vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "waking from S3: %s", err.msg);
	vm->s3_sleeping = false;
	vm_resume_vcpus(vm);
}

int pc_s3_timeout(struct vm *vm, int wait_ms)
{
	uint64_t now, left;
	int s3;

	if (!vm->s3_sleeping || !vm->s3_wake_ns)
		return wait_ms;
	now = rtc_realtime_ns();
	left = vm->s3_wake_ns - now;
	s3 = now >= vm->s3_wake_ns ? 0 : (int)(left / 1000000 + 1);
	return wait_ms < 0 || s3 < wait_ms ? s3 : wait_ms;
}

void pc_s3_poll(struct vm *vm)
{
	if (atomic_load(&vm->s3_requested) && !vm->s3_sleeping && !vm_stopping(vm))
		s3_enter(vm);
	if (vm->s3_sleeping && vm->s3_wake_ns && rtc_realtime_ns() >= vm->s3_wake_ns &&
	    !vm_stopping(vm))
		s3_wake(vm);
}
