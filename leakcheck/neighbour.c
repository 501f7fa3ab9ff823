// SPDX-License-Identifier: MIT
/*
 * leakcheck's placement and its neighbour.  --pin puts each process of a
 * run on one host CPU before it makes a thread (threads inherit their
 * creator's affinity, sched_setaffinity(2)), so the host must switch FPU
 * state between the guests at every preemption.  The neighbour is a guest
 * other than leakcheck's own, booted again and again in a process of its
 * own until the run's time is up, so a real kernel's FPU use is
 * interleaved with the writers' canaries on the same CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../vmm/load.h"
#include "../vmm/run.h"
#include "proto.h"

int leak_pin(const struct leak_config *c, struct vcpu_placement *vcpus)
{
	cpu_set_t set;

	*vcpus = (struct vcpu_placement){ 0 };
	if (!c->pin)
		return 0;
	vcpus->nr = 1;
	vcpus->entry[0].all = true;
	cpu_mask_set(&vcpus->entry[0].cpus, c->pin_cpu);
	CPU_ZERO(&set);
	CPU_SET(c->pin_cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* The neighbour's image, read and validated as fpvm run would: @cfg gets it. */
static void neighbour_config(const struct leak_config *c, struct vm_config *cfg)
{
	*cfg = (struct vm_config){
		.guest_path = c->neighbour, .nr_cpus = 1, .mem_size = FPVM_DEFAULT_MEM,
		.quiet = true, .serial_fd = -1, .dtb_fd = -1,
		.seccomp = seccomp_policy_for(SECCOMP_VCPUS),
	};
}

int leak_neighbour_check(const struct leak_config *c, struct fpvm_error *err)
{
	struct vm_config cfg;
	uint8_t *image;
	int r;

	neighbour_config(c, &cfg);
	r = vm_check_image(&cfg, &image, err);
	vm_release_modules(&cfg);
	free(image);
	return r;
}

static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)((int64_t)(ts.tv_sec - t0->tv_sec) * 1000 +
			  (int64_t)(ts.tv_nsec - t0->tv_nsec) / 1000000);
}

/* A neighbour's boot ends well when its time runs out or its guest exits with 0. */
static bool ended_well(const struct vm *vm)
{
	return vm->stop == VM_STOP_TIMEOUT ||
	       (vm->stop == VM_STOP_GUEST_EXIT && vm->stop_value == 0);
}

int leak_neighbour_main(const struct leak_config *c, const struct timespec *t0)
{
	struct fpvm_error err = { 0 };
	struct vcpu_placement pin;
	struct guest_fpu_cfg fpu_cfg;
	struct vm_config cfg;
	uint8_t *image = NULL;
	unsigned int boots = 0;
	bool opened = false;
	struct kvm kvm;
	int r;

	neighbour_config(c, &cfg);
	r = leak_pin(c, &pin);
	if (r)
		fpvm_fail(&err, FPVM_ERR_SYSTEM, -r, "CPU %u: %s", c->pin_cpu, strerror(-r));
	cfg.affinity = c->pin ? &pin : NULL;
	cfg.serial_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!r && cfg.serial_fd < 0)
		r = fpvm_fail(&err, FPVM_ERR_SYSTEM, errno, "/dev/null: %s", strerror(errno));
	if (!r)
		r = vm_check_image(&cfg, &image, &err);
	if (!r)
		r = guest_fpu_open(&kvm, &fpu_cfg, c->kvm_path, false, NULL, &err);
	opened = !r;
	while (!r) {
		uint64_t t = ms_since(t0);
		struct vm vm = { 0 };

		if (t + 50 >= c->duration_ms)
			break;
		cfg.timeout_ms = c->duration_ms - t;
		r = vm_boot(&vm, &kvm, &fpu_cfg, &cfg, &err);
		if (!r && !ended_well(&vm))
			r = fpvm_fail(&err, FPVM_ERR_SYSTEM, EIO, "boot %u: %s", boots + 1, vm.reason);
		vm_destroy(&vm);
		boots++;
	}
	if (opened)
		guest_fpu_close(&kvm, &fpu_cfg);
	if (r)
		fprintf(stderr, "fpvm: leakcheck: the neighbour %s: %s\n", c->neighbour, err.msg);
	vm_release_modules(&cfg);
	free(image);
	if (cfg.serial_fd >= 0)
		close(cfg.serial_fd);
	return r ? 1 : 0;
}
