// SPDX-License-Identifier: MIT
/*
 * The VM: creation, devices, guest image, vCPUs, and the lifecycle that
 * ends it.  The first stop request wins; it says why the VM stopped, kicks
 * every vCPU and wakes the main thread, which joins them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../guest/abi.h"
#include "../vcpu/vcpu.h"
#include "dtb.h"
#include "vm.h"

/* Intel needs these set outside RAM even for long-mode guests; see api.rst. */
#define KVM_TSS_ADDR		0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ULL

#define SYSFAIL(err, what) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "%s: %s", what, strerror(errno))
#define KVMFAIL(err, what, r) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, -(r), "%s: %s", what, strerror(-(r)))

int vm_create(struct vm *vm, struct kvm *kvm, const struct vm_config *cfg, struct fpvm_error *err)
{
	int r;

	*vm = (struct vm){
		.kvm = kvm, .fd = -1, .cfg = cfg, .done_fd = -1,
		.pio = { .name = "pio" }, .mmio = { .name = "mmio" },
	};
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->report_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	if (cfg->nr_cpus > (unsigned int)kvm->max_vcpus || cfg->max_cpus > (unsigned int)kvm->max_vcpus)
		return fpvm_fail_config(err, CFG_CPUS, "%u: this KVM allows at most %d vCPUs",
					cfg->nr_cpus > cfg->max_cpus ? cfg->nr_cpus : cfg->max_cpus,
					kvm->max_vcpus);
	vm->done_fd = eventfd(0, EFD_CLOEXEC);
	if (vm->done_fd < 0)
		return SYSFAIL(err, "eventfd");
	vm->fd = kvm_create_vm(kvm);
	if (vm->fd < 0)
		return KVMFAIL(err, "KVM_CREATE_VM", vm->fd);
	if (kvm->has_tss_addr) {
		r = kvm_vm_set_tss_addr(kvm, vm->fd, KVM_TSS_ADDR);
		if (r)
			return KVMFAIL(err, "KVM_SET_TSS_ADDR", r);
		if (kvm_check_extension(kvm, kvm->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
			r = kvm_vm_set_identity_map_addr(kvm, vm->fd, KVM_IDENTITY_MAP_ADDR);
			if (r)
				return KVMFAIL(err, "KVM_SET_IDENTITY_MAP_ADDR", r);
		}
	}
	r = guest_mem_alloc(&vm->mem, cfg->mem_size, err);
	if (r)
		return r;
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->mem.region[i].host,
		};

		r = kvm_vm_set_memory_region(kvm, vm->fd, &slot);
		if (r)
			return KVMFAIL(err, "KVM_SET_USER_MEMORY_REGION", r);
	}
	/*
	 * Multiboot kernels expect a PC: LAPICs (application processors wait
	 * for INIT/SIPI in KVM), IOAPIC, PIC and PIT, all in the kernel.  The
	 * irqchip must exist before any vCPU (api.rst, KVM_CREATE_IRQCHIP).
	 */
	vm->pc = cfg->pc || (cfg->image && image_kind_pc(image_detect(cfg->image, cfg->image_len)));
	if (vm->pc) {
		r = kvm_vm_create_irqchip(kvm, vm->fd);
		if (r)
			return KVMFAIL(err, "KVM_CREATE_IRQCHIP", r);
		r = kvm_vm_create_pit2(kvm, vm->fd);
		if (r)
			return KVMFAIL(err, "KVM_CREATE_PIT2", r);
		fw_cfg_init(&vm->fw_cfg, cfg->mem_size, cfg->nr_cpus,
			    cfg->max_cpus > cfg->nr_cpus ? cfg->max_cpus : cfg->nr_cpus);
		acpi_pm_init(&vm->acpi_pm, NULL);
		rtc_cmos_init(&vm->rtc, NULL);
		pci_host_init(&vm->pci);
		if (pc_testdev_init(&vm->testdev))
			return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	}
	return boot_layout_init(&vm->boot, &vm->mem, cfg->nr_cpus, cfg->max_cpus, err);
}

static void debug_exit_write(void *opaque, unsigned int cpu, uint32_t value)
{
	vm_request_stop(opaque, VM_STOP_GUEST_EXIT, value, STOP_GUEST_EXIT,
			"vcpu %u: guest wrote 0x%x to the exit port", cpu, value);
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
	vm_request_stop(opaque, VM_STOP_SYSTEM_EVENT, KVM_SYSTEM_EVENT_RESET, 0,
			"vcpu %u: system reset through port 0x%x", cpu, PCI_RESET_PORT);
}

/*
 * SLP_EN with SLP_TYP: S5 is soft off, the end of the VM; S3 suspends to
 * RAM.  This vCPU parks before it returns to the guest, then the main
 * thread pauses the others (vm_wait()).  Other types are not in the DSDT.
 */
static void pc_sleep(void *opaque, unsigned int cpu, unsigned int slp_typ)
{
	struct vm *vm = opaque;
	uint64_t one = 1;

	if (slp_typ == ACPI_SLP_TYP_S5) {
		vm_request_stop(vm, VM_STOP_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN, 0,
				"vcpu %u: ACPI S5 (soft off)", cpu);
		return;
	}
	if (slp_typ != ACPI_SLP_TYP_S3)
		return;
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->s3_requested, true);
	atomic_store(&vm->pausing, true);
	pthread_mutex_unlock(&vm->pause_lock);
	if (write(vm->done_fd, &one, sizeof(one)) < 0)
		vm_report(vm, "fpvm: waking the VM's main thread: %s\n", strerror(errno));
}

/* What a Multiboot kernel's PC has beyond the in-kernel irqchip and PIT. */
static int attach_pc_devices(struct vm *vm, struct fpvm_error *err)
{
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
	for (size_t i = 0; !r && i < sizeof(pio) / sizeof(pio[0]); i++)
		r = bus_register(&vm->pio, &pio[i]);
	if (r)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "registering the PC devices: %s",
				 strerror(-r));
	return 0;
}

int vm_attach_devices(struct vm *vm, struct fpvm_error *err)
{
	const struct bus_region regions[] = {
		{ "serial", FPVM_PORT_SERIAL, 8, &serial8250_ops, NULL },
		{ "debug-exit", FPVM_PORT_DEBUG_EXIT, 4, &debug_exit_ops, &vm->exit_dev },
		{ "fpvm-ctl", FPVM_PORT_CTL, 4, &fpvm_ctl_ops, vm },
	};

	vm->serial = serial8250_create(vm->cfg->serial_fd, vm->cfg->nr_cpus);
	if (!vm->serial)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	vm->exit_dev = (struct debug_exit){ .exit = debug_exit_write, .opaque = vm };
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		struct bus_region r = regions[i];
		int ret;

		if (!r.dev)
			r.dev = vm->serial;
		ret = bus_register(&vm->pio, &r);
		if (ret)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, -ret, "registering %s: %s", r.name,
					 strerror(-ret));
	}
	return vm->pc ? attach_pc_devices(vm, err) : 0;
}

int vm_check_image(struct vm_config *cfg, uint8_t **owned, struct fpvm_error *err)
{
	struct load_limits lim;
	struct image img;
	struct boot_layout b;
	struct guest_mem mem;
	int r;

	*owned = NULL;
	guest_mem_layout(&mem, cfg->mem_size, NULL);
	r = boot_layout_init(&b, &mem, cfg->nr_cpus, cfg->max_cpus, err);
	if (r)
		return r;
	if (!cfg->image) {
		size_t len;

		r = image_read_file(cfg->guest_path, cfg->mem_size, owned, &len, err);
		if (r)
			return r;
		cfg->image = *owned;
		cfg->image_len = len;
	}
	load_limits_init(&lim, &mem, &b);
	r = image_validate(cfg->image, cfg->image_len, &lim, &img, err);
	if (r)
		return image_name_error(err, cfg->guest_path);
	if (cfg->nr_modules && !image_kind_modules(img.kind))
		return fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: modules (--module, --initrd) "
				 "are for Multiboot kernels only", cfg->guest_path);
	for (unsigned int i = 0; i < cfg->nr_modules; i++) {
		const char *spec = cfg->modules[i], *comma = strchr(spec, ',');
		char path[4096];
		uint8_t *data;
		size_t len;

		snprintf(path, sizeof(path), "%.*s", comma ? (int)(comma - spec) : (int)strlen(spec),
			 spec);
		r = image_read_file(path, cfg->mem_size, &data, &len, err);
		if (r)
			return r;
		cfg->module[i] = (struct image_module){ data, len, comma ? comma + 1 : "" };
	}
	return 0;
}

void vm_release_modules(struct vm_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nr_modules; i++)
		free((void *)cfg->module[i].data);
	memset(cfg->module, 0, sizeof(cfg->module));
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

int vm_load_guest(struct vm *vm, struct fpvm_error *err)
{
	const struct image_boot boot = {
		.path = vm->cfg->guest_path, .nargs = vm->cfg->guest_nargs,
		.args = vm->cfg->guest_args, .modules = vm->cfg->module,
		.nr_modules = vm->cfg->nr_modules,
	};
	struct load_limits lim;
	int r;

	load_limits_init(&lim, &vm->mem, &vm->boot);
	if (vm->cfg->image)
		r = image_load(vm->cfg->image, vm->cfg->image_len, vm->cfg->guest_path, &vm->mem,
			       &lim, &vm->image, err);
	else
		r = image_load_file(vm->cfg->guest_path, &vm->mem, &lim, &vm->image, err);
	if (r)
		return r;
	r = image_prepare(&vm->image, &vm->mem, &vm->boot, &boot, err);
	if (!r && image_kind_pc(vm->image.kind))
		r = write_acpi_tables(vm, err) ?: pc_bios_setup(vm, err);
	return r;
}

/*
 * The tree is built in a small heap buffer and copied: libfdt's
 * fdt_create() clears the whole buffer and its sequential writer puts
 * strings at the buffer's end, so building in place would fault in every
 * page of the 640 KiB window for a tree of about 2 KiB.
 */
int vm_write_fdt(struct vm *vm, struct fpvm_error *err)
{
	/* A PC platform's kernel reads its boot information and ACPI, never fpvm's tree. */
	if (image_kind_pc(vm->image.kind))
		return 0;
	void *dst = guest_mem_ptr(&vm->mem, FPVM_FDT_ADDR, FPVM_FDT_MAX);
	const struct machine_desc m = {
		.mem = &vm->mem, .boot = &vm->boot, .xcr0 = vm->fpu.xcr0,
		.layout = &vm->fpu.cfg->layout,
		.image_path = vm->cfg->guest_path,
		.nargs = vm->cfg->guest_nargs, .args = vm->cfg->guest_args,
	};
	size_t size = 8192;
	void *fdt = NULL;
	int r;

	do {
		free(fdt);
		fdt = malloc(size);
		if (!fdt)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "device tree: out of memory");
		r = fdt_build(fdt, size, &m);
		size *= 2;
	} while (r == -FDT_ERR_NOSPACE && size <= FPVM_FDT_MAX);
	if (r == -FDT_ERR_NOSPACE)
		r = fpvm_fail(err, FPVM_ERR_CONFIG, ENOSPC,
			      "device tree larger than %llu KiB: too many vCPUs or guest arguments",
			      FPVM_FDT_MAX >> 10);
	else if (r)
		r = fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "device tree: %s", fdt_strerror(r));
	else
		r = fdt_pack(fdt);
	if (!r) {
		memcpy(dst, fdt, fdt_totalsize(fdt));
		if (vm->cfg->dtb_fd >= 0) {
			ssize_t n = write(vm->cfg->dtb_fd, fdt, fdt_totalsize(fdt));

			if (n != (ssize_t)fdt_totalsize(fdt))
				r = fpvm_fail(err, FPVM_ERR_OUTPUT, n < 0 ? errno : EIO,
					      "writing the device tree: %s",
					      n < 0 ? strerror(errno) : "short write");
		}
	}
	free(fdt);
	return r;
}

struct vcpu_params vm_vcpu_params(const struct vm *vm)
{
	return (struct vcpu_params){
		.kvm = vm->kvm, .vm_fd = vm->fd, .nr_cpus = vm->cfg->nr_cpus, .fpu = &vm->fpu,
		.check_host_fpstate = vm->cfg->check_host_fpstate,
	};
}

/* Entry state per guest/abi.h. */
static int set_boot_state(struct vm *vm, struct vcpu *vcpu, struct fpvm_error *err)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int r = vcpu_get_sregs(vcpu, &sregs, err);

	if (r)
		return r;
	if (!image_entry_state(&vm->image, &vm->boot, vcpu->id, vcpu_has_xsave(vcpu), &regs,
			       &sregs))
		return 0;
	return vcpu_set_regs(vcpu, &regs, &sregs, err);
}

int vm_alloc_vcpus(struct vm *vm, struct fpvm_error *err)
{
	vm->vcpus = calloc(vm->boot.nr_slots, sizeof(*vm->vcpus));
	vm->vcpu_halted = calloc(vm->boot.nr_slots, sizeof(*vm->vcpu_halted));
	if (!vm->vcpus || !vm->vcpu_halted)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	return 0;
}

int vm_create_vcpus(struct vm *vm, struct fpvm_error *err)
{
	const struct vcpu_params p = vm_vcpu_params(vm);

	if (vm_alloc_vcpus(vm, err))
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg->nr_cpus; i++) {
		int r;

		vm->vcpus[i] = vcpu_create(&p, i, err);
		if (!vm->vcpus[i])
			return -EINVAL;
		vm->nr_vcpus++;
		r = set_boot_state(vm, vm->vcpus[i], err);
		if (r)
			return r;
	}
	return 0;
}

struct vcpu *vm_add_vcpu(struct vm *vm, const void *xsave, struct fpvm_error *err)
{
	const struct vcpu_params p = vm_vcpu_params(vm);
	struct vcpu *vcpu = NULL;

	pthread_mutex_lock(&vm->lock);
	if (vm->nr_vcpus >= vm->boot.nr_slots) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, ENOSPC, "no room for another vCPU (%u)",
			  vm->boot.nr_slots);
		goto out;
	}
	if (atomic_load(&vm->stopping)) {
		fpvm_fail(err, FPVM_ERR_SYSTEM, ESHUTDOWN, "the VM is stopping");
		goto out;
	}
	vcpu = vcpu_create(&p, vm->nr_vcpus, err);
	if (!vcpu)
		goto out;
	if (set_boot_state(vm, vcpu, err) || (xsave && vcpu_set_fpstate(vcpu, xsave, err))) {
		vcpu_destroy(vcpu);
		vcpu = NULL;
		goto out;
	}
	vm->vcpus[vm->nr_vcpus++] = vcpu;
	atomic_fetch_add(&vm->running, 1);
	if (vm_start_vcpu(vm, vcpu, err)) {
		atomic_fetch_sub(&vm->running, 1);
		vcpu = NULL;
	}
out:
	pthread_mutex_unlock(&vm->lock);
	return vcpu;
}

bool vm_stopping(struct vm *vm)
{
	return atomic_load(&vm->stopping);
}

void vm_request_stop(struct vm *vm, enum vm_stop stop, uint32_t value, unsigned int flags,
		     const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (atomic_load(&vm->stopping)) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm->stop = stop;
	vm->stop_value = value;
	vm->stop_flags = flags;
	va_start(ap, fmt);
	vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
	va_end(ap);
	atomic_store(&vm->stopping, true);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm_kick_vcpu(vm->vcpus[i]);
	pthread_mutex_unlock(&vm->lock);
	/* A parked vCPU wakes and ends too. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	/* Only a broken eventfd fails here; vm_wait would then wait for its timeout. */
	if (write(vm->done_fd, &one, sizeof(one)) < 0)
		vm_report(vm, "fpvm: waking the VM's main thread: %s\n", strerror(errno));
}

void vm_report(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->cfg->quiet)
		return;
	pthread_mutex_lock(&vm->report_lock);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	pthread_mutex_unlock(&vm->report_lock);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Every vCPU paused, the snapshot written, then on: the guest goes on
 * running, and a restored copy starts from this point.  A snapshot that
 * cannot be written ends the VM: it was asked for, and silence would lie.
 */
static void take_snapshot(struct vm *vm, const char *reason)
{
	struct fpvm_error err = { 0 };

	vm_pause_vcpus(vm);
	if (!vm_stopping(vm) && vm_snapshot_save(vm, reason, &err))
		vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "snapshot: %s", err.msg);
	atomic_store(&vm->snapshot_requested, false);
	vm_resume_vcpus(vm);
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

/* Waits for the VM to end, a timeout, SIGINT/SIGTERM, or a snapshot's turn (SIGUSR1). */
static void vm_wait(struct vm *vm, int sig_fd)
{
	int64_t deadline = vm->cfg->timeout_ms ? now_ms() + (int64_t)vm->cfg->timeout_ms : -1;

	while (!vm_stopping(vm)) {
		struct pollfd pfd[2] = {
			{ .fd = vm->done_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
		};
		int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());

		if (vm->ops && vm->ops->tick && (wait < 0 || wait > (int)vm->ops->tick_ms))
			wait = (int)vm->ops->tick_ms;
		if (vm->s3_sleeping && vm->s3_wake_ns) {
			uint64_t now = rtc_realtime_ns(), left = vm->s3_wake_ns - now;
			int s3 = now >= vm->s3_wake_ns ? 0 : (int)(left / 1000000 + 1);

			if (wait < 0 || s3 < wait)
				wait = s3;
		}
		if (deadline >= 0 && deadline - now_ms() <= 0) {
			vm_request_stop(vm, VM_STOP_TIMEOUT, 0, STOP_DUMP_REGS, "timeout after %g s",
					(double)vm->cfg->timeout_ms / 1000.0);
			break;
		}
		if (poll(pfd, 2, wait) < 0 && errno != EINTR) {
			vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0, "poll: %s",
					strerror(errno));
			break;
		}
		/* A wake-up that is not the end (a snapshot's turn) is taken, or poll spins. */
		if (pfd[0].revents & POLLIN) {
			uint64_t count;

			if (read(vm->done_fd, &count, sizeof(count)) < 0)
				count = 0;
		}
		if (vm->ops && vm->ops->tick && !vm_stopping(vm))
			vm->ops->tick(vm);
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGUSR1)
				take_snapshot(vm, "SIGUSR1");
			else
				vm_request_stop(vm, VM_STOP_SIGNAL, si.ssi_signo, 0, "interrupted by %s",
						si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		}
		if (atomic_load(&vm->snapshot_requested))
			take_snapshot(vm, "guest request");
		if (atomic_load(&vm->s3_requested) && !vm->s3_sleeping && !vm_stopping(vm))
			s3_enter(vm);
		if (vm->s3_sleeping && vm->s3_wake_ns && rtc_realtime_ns() >= vm->s3_wake_ns &&
		    !vm_stopping(vm))
			s3_wake(vm);
	}
}

int vm_run(struct vm *vm, struct fpvm_error *err)
{
	sigset_t set;
	int sig_fd, r = 0;

	/*
	 * Block before any vCPU thread exists, so every thread inherits it.
	 * A shell starts background jobs with SIGINT ignored, and an ignored
	 * signal never reaches a signalfd: take the default back, as QEMU does.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (vm->cfg->snapshot_dir)
		sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (vm_signals_init() || (vm->cfg->seccomp != SECCOMP_OFF && seccomp_sigsys_init()))
		return SYSFAIL(err, "sigaction");
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sig_fd < 0)
		return SYSFAIL(err, "signalfd");

	if (vm->ops && vm->ops->start)
		vm->ops->start(vm);
	vm->stats.run_start_ns = vm_now_ns();
	pthread_mutex_lock(&vm->lock);
	/* A restored vCPU that had halted stays so: no thread, as before. */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (!vm->vcpu_halted || !vm->vcpu_halted[i])
			atomic_fetch_add(&vm->running, 1);
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++)
		if (!vm->vcpu_halted || !vm->vcpu_halted[i])
			r = vm_start_vcpu(vm, vm->vcpus[i], err);
	pthread_mutex_unlock(&vm->lock);
	if (!atomic_load(&vm->running))
		vm_request_stop(vm, VM_STOP_HALTED, 0, 0,
				"all vCPUs halted without writing an exit status");
	/* Once every vCPU thread exists, the main thread only waits, reports and tears down. */
	if (!r && vm->cfg->seccomp == SECCOMP_ALL)
		r = seccomp_filter_thread(SECCOMP_THREAD_VMM, err);
	if (r) {
		vm_request_stop(vm, VM_STOP_ERROR, err->cls, 0, "%s", err->msg);
	} else {
		vm_wait(vm, sig_fd);
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm_join_vcpu(vm->vcpus[i]);
	close(sig_fd);
	serial8250_flush(vm->serial);
	if (vm->cfg->verbose)
		vm_report(vm, "fpvm: %s; %llu serial bytes, %lu unknown port and %lu unknown MMIO "
			  "accesses\n", vm->reason,
			  (unsigned long long)serial8250_tx_bytes(vm->serial),
			  atomic_load(&vm->unknown_pio), atomic_load(&vm->unknown_mmio));
	return r;
}

int vm_setup_fpstate(struct vm *vm, const struct guest_fpu_cfg *fpu_cfg, struct fpvm_error *err)
{
	uint64_t xcr0;
	int r = guest_fpu_cfg_xcr0(fpu_cfg, vm->cfg->xcr0, &xcr0, err);

	if (r)
		return r;
	/* The uABI size is the VM's: KVM_CAP_XSAVE2 on the VM fd (api.rst). */
	guest_fpu_init(&vm->fpu, fpu_cfg, xcr0, kvm_check_extension(vm->kvm, vm->fd,
								    KVM_CAP_XSAVE2));
	return 0;
}

int vm_boot(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
	    const struct vm_config *cfg, struct fpvm_error *err)
{
	return vm_boot_ops(vm, kvm, fpu_cfg, cfg, NULL, NULL, err);
}

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

const char *vm_phase_name(enum vm_phase phase)
{
	static const char *const names[NR_VM_PHASES] = {
		[VM_PHASE_CREATE] = "vm_create", [VM_PHASE_FPSTATE] = "fpstate",
		[VM_PHASE_DEVICES] = "devices", [VM_PHASE_LOAD] = "load",
		[VM_PHASE_FDT] = "fdt", [VM_PHASE_VCPUS] = "vcpus", [VM_PHASE_RUN] = "run",
	};

	return names[phase];
}

/* Ends phase @p, which began at *@t, and begins the next one. */
static void phase_done(struct vm *vm, enum vm_phase p, uint64_t *t)
{
	uint64_t now = vm_now_ns();

	vm->stats.phase_ns[p] += now - *t;
	*t = now;
}

int vm_boot_ops(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fpu_cfg,
		const struct vm_config *cfg, const struct vm_ops *ops, void *ops_data,
		struct fpvm_error *err)
{
	static int (*const steps[])(struct vm *, struct fpvm_error *) = {
		[VM_PHASE_DEVICES] = vm_attach_devices, [VM_PHASE_LOAD] = vm_load_guest,
		[VM_PHASE_FDT] = vm_write_fdt, [VM_PHASE_VCPUS] = vm_create_vcpus,
		[VM_PHASE_RUN] = vm_run,
	};
	uint64_t t = vm_now_ns();
	int r = vm_create(vm, kvm, cfg, err);

	vm->ops = ops;
	vm->ops_data = ops_data;
	phase_done(vm, VM_PHASE_CREATE, &t);
	if (r)
		return -EINVAL;
	r = vm_setup_fpstate(vm, fpu_cfg, err);
	phase_done(vm, VM_PHASE_FPSTATE, &t);
	for (enum vm_phase p = VM_PHASE_DEVICES; !r && p < NR_VM_PHASES; p++) {
		r = steps[p](vm, err);
		phase_done(vm, p, &t);
	}
	return r ? -EINVAL : 0;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm_join_vcpu(vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	free(vm->vcpu_halted);
	vm->vcpu_halted = NULL;
	vm->nr_vcpus = 0;
	serial8250_destroy(vm->serial);
	vm->serial = NULL;
	bus_release(&vm->pio);
	bus_release(&vm->mmio);
	if (vm->pc) {
		fw_cfg_destroy(&vm->fw_cfg);
		acpi_pm_destroy(&vm->acpi_pm);
		rtc_cmos_destroy(&vm->rtc);
		pci_host_destroy(&vm->pci);
		pc_testdev_destroy(&vm->testdev);
	}
	if (vm->fd >= 0)
		close(vm->fd);
	guest_mem_free(&vm->mem);
	if (vm->done_fd >= 0)
		close(vm->done_fd);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->report_lock);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
}
