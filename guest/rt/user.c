// SPDX-License-Identifier: MIT
/*
 * The runtime's CPL3 part: what runs between the drop to user mode and
 * the test body, and the services test bodies call.
 */
#include <libfdt.h>

#include "rt.h"

__attribute__((weak)) void guest_ap_main(void)
{
}

_Noreturn void user_start(void)
{
	if (guest_vcpu_id() == 0)
		guest_exit(guest_main());
	guest_ap_main();
	guest_halt();
}

unsigned int guest_vcpu_id(void)
{
	uint64_t cpu;

	__asm__ volatile("mov %%fs:%c1, %0" : "=r"(cpu) : "i"(TLS_CPU));
	return (unsigned int)cpu;
}

unsigned int guest_nr_cpus(void)
{
	return (unsigned int)rt_boot.nr_cpus;
}

const void *guest_fdt(void)
{
	return (const void *)(uintptr_t)rt_boot.fdt;
}

_Noreturn void guest_exit(int status)
{
	rt_syscall(SYS_EXIT, status, 0, 0);
	__builtin_unreachable();
}

_Noreturn void guest_halt(void)
{
	rt_syscall(SYS_HALT, 0, 0, 0);
	__builtin_unreachable();
}

void guest_write(const char *buf, size_t len)
{
	rt_syscall(SYS_WRITE, (long)buf, (long)len, 0);
}

void guest_puts(const char *s)
{
	guest_write(s, strlen(s));
}

int guest_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = guest_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	guest_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

_Noreturn void guest_panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	guest_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rt_syscall(SYS_PANIC, (long)buf, 0, 0);
	__builtin_unreachable();
}

long guest_ctl(struct fpvm_ctl_req *req)
{
	return rt_syscall(SYS_CTL, (long)req, 0, 0);
}

uint64_t guest_cpl0_call(uint64_t (*fn)(uint64_t), uint64_t arg)
{
	return (uint64_t)rt_syscall(SYS_CPL0_CALL, (long)fn, (long)arg, 0);
}

static int chosen_offset(void)
{
	return fdt_path_offset(guest_fdt(), "/chosen");
}

int guest_argc(void)
{
	int n = fdt_stringlist_count(guest_fdt(), chosen_offset(), "fpvm,argv");

	return n < 0 ? 0 : n;
}

const char *guest_argv(int i)
{
	return fdt_stringlist_get(guest_fdt(), chosen_offset(), "fpvm,argv", i, NULL);
}

uint64_t guest_xcr0(void)
{
	int len;
	const fdt64_t *v = fdt_getprop(guest_fdt(), chosen_offset(), "fpvm,xcr0", &len);

	return v && len == 8 ? fdt64_to_cpu(*v) : 0;
}

/* libfdt is built with -fstack-protector; the guard lives at %fs:0x28. */
_Noreturn void __stack_chk_fail(void)
{
	guest_panic("stack smashing detected");
}
