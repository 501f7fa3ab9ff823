// SPDX-License-Identifier: MIT
/*
 * A Linux guest's ends (linux.h).  The cloud kernels testers boot have
 * pvpanic only as a module, so the console is what says a kernel
 * panicked: panic() prints "Kernel panic - not syncing: REASON" first.
 * With fpvm's panic=-1 it then resets at once (the reset is the panic);
 * with panic=0 it prints "---[ end Kernel panic - not syncing: REASON ]---"
 * and spins with interrupts off, so that line is the end.
 */
#include <string.h>

#include "linux.h"
#include "vm.h"

static const char panic_marker[] = "Kernel panic - not syncing";
static const char end_marker[] = "---[ end ";

bool linux_guest(const struct vm *vm)
{
	return image_kind_linux(vm->image.kind);
}

static void stop_panicked(struct vm *vm, unsigned int cpu)
{
	char line[sizeof(vm->panic_line)];

	pthread_mutex_lock(&vm->lock);
	memcpy(line, vm->panic_line, sizeof(line));
	pthread_mutex_unlock(&vm->lock);
	vm_request_stop(vm, VM_STOP_PANIC, 0, 0, "vcpu %u: %s", cpu, line);
}

void linux_console_line(struct vm *vm, unsigned int cpu, const char *buf, unsigned int len)
{
	const char *p = memmem(buf, len, panic_marker, sizeof(panic_marker) - 1);
	unsigned int n;

	if (!p)
		return;
	n = len - (unsigned int)(p - buf);
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	/* The first panic line is the one kept: a second panic while panicking adds nothing. */
	pthread_mutex_lock(&vm->lock);
	if (!vm->panic_line[0]) {
		if (n >= sizeof(vm->panic_line))
			n = sizeof(vm->panic_line) - 1;
		memcpy(vm->panic_line, p, n);
		vm->panic_line[n] = '\0';
	}
	pthread_mutex_unlock(&vm->lock);
	if (memmem(buf, len, end_marker, sizeof(end_marker) - 1))
		stop_panicked(vm, cpu);
}

bool linux_reset_panicked(struct vm *vm, unsigned int cpu)
{
	bool panicked;

	pthread_mutex_lock(&vm->lock);
	panicked = vm->panic_line[0] != '\0';
	pthread_mutex_unlock(&vm->lock);
	if (panicked)
		stop_panicked(vm, cpu);
	return panicked;
}

void linux_power_off(struct vm *vm, unsigned int cpu)
{
	vm_request_stop(vm, VM_STOP_GUEST_EXIT, 0, 0, "vcpu %u: ACPI S5 (soft off)", cpu);
}
