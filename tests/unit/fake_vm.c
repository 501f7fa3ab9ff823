// SPDX-License-Identifier: MIT
/* A VM with memory, buses and devices but no KVM, for the run loop's tests. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "testutil.h"

void fake_vm_init(struct fake_vm *f, uint64_t mem_size)
{
	struct fpvm_error err;

	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(pipe2(f->out_pipe, O_NONBLOCK | O_CLOEXEC), 0);
	f->cfg = (struct vm_config){ .nr_cpus = 1, .mem_size = mem_size,
				     .serial_fd = f->out_pipe[1], .dtb_fd = -1 };
	/* The real ioctls on fd -1: every vCPU call fails with EBADF. */
	f->kvm = (struct kvm){ .ops = &kvm_sys_ops, .fd = -1, .max_vcpus = 8 };
	f->vm = (struct vm){
		.kvm = &f->kvm, .fd = -1, .cfg = &f->cfg,
		.pio = { .name = "pio" }, .mmio = { .name = "mmio" },
	};
	pthread_mutex_init(&f->vm.lock, NULL);
	pthread_mutex_init(&f->vm.report_lock, NULL);
	pthread_mutex_init(&f->vm.coalesced_lock, NULL);
	f->vm.done_fd = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_ge(f->vm.done_fd, 0);
	ck_assert_int_eq(guest_mem_alloc(&f->vm.mem, mem_size, &err), 0);
	ck_assert_int_eq(boot_layout_init(&f->vm.boot, &f->vm.mem, 1, 1, &err), 0);
	ck_assert_int_eq(vm_attach_devices(&f->vm, &err), 0);

	f->vcpu = calloc(1, sizeof(*f->vcpu));
	f->vcpu->kvm = &f->kvm;
	f->vcpu->owner = &f->vm;
	f->vcpu->fd = -1;
	f->vcpu->run_size = 4096;
	f->vcpu->run = calloc(1, 4096);
}

void fake_vm_free(struct fake_vm *f)
{
	serial8250_destroy(f->vm.serial);
	free(f->vcpu->run);
	free(f->vcpu);
	bus_release(&f->vm.pio);
	bus_release(&f->vm.mmio);
	guest_mem_free(&f->vm.mem);
	close(f->vm.done_fd);
	close(f->out_pipe[0]);
	close(f->out_pipe[1]);
}

size_t fake_vm_output(struct fake_vm *f, char *buf, size_t size)
{
	ssize_t n = read(f->out_pipe[0], buf, size - 1);

	n = n < 0 ? 0 : n;
	buf[n] = '\0';
	return (size_t)n;
}

