// SPDX-License-Identifier: MIT
/*
 * Exercises fpvm's devices from inside a guest, at CPL0 as a driver would:
 *   uart     probe the 16550A like Linux's 8250 autoconfig (scratch
 *            register, loopback MSR, FIFO in IIR, divisor latch)
 *   unknown  read port 0x2f8 (no COM2) and MMIO 0xfed00000 (no HPET):
 *            both must read as all-ones
 *   write-unknown  write to port 0x80
 *   lapic    read the LAPIC's version register at 0xfee00030: a LAPIC's
 *            version (KVM's), or all-ones where the vCPU has none
 *            (not part of "all": it depends on the KVM, fpvm probe)
 * Default: all of them.  Exit 0 if every check passed.
 */
#include "runtime.h"

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define COM1 FPVM_PORT_SERIAL

/* Returns a bit mask of failed checks. */
static uint64_t uart_probe(uint64_t arg)
{
	uint64_t failed = 0;
	uint8_t lcr = inb(COM1 + 3), mcr = inb(COM1 + 4), msr;

	(void)arg;
	outb(COM1 + 7, 0xa5);
	failed |= (inb(COM1 + 7) != 0xa5) << 0;
	outb(COM1 + 7, 0x5a);
	failed |= (inb(COM1 + 7) != 0x5a) << 1;
	/* Loopback with OUT2|RTS: MSR must show DCD|CTS and nothing else. */
	outb(COM1 + 4, 0x10 | 0x0a);
	msr = inb(COM1 + 6) & 0xf0;
	failed |= (msr != 0x90) << 2;
	outb(COM1 + 0, 'L');
	failed |= !(inb(COM1 + 5) & 0x01) << 3;	/* data ready */
	failed |= (inb(COM1 + 0) != 'L') << 4;
	outb(COM1 + 4, mcr);
	/* A 16550A reports enabled FIFOs in IIR[7:6]. */
	outb(COM1 + 2, 0x01);
	failed |= ((inb(COM1 + 2) & 0xc0) != 0xc0) << 5;
	/* Divisor latch round trip. */
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x03);
	outb(COM1 + 1, 0x00);
	failed |= (inb(COM1 + 0) != 0x03) << 6;
	outb(COM1 + 0, 0x01);
	outb(COM1 + 3, lcr);
	failed |= !(inb(COM1 + 5) & 0x20) << 7;	/* THRE */
	return failed;
}

static uint64_t read_unknown(uint64_t arg)
{
	uint32_t mmio;

	(void)arg;
	mmio = *(volatile uint32_t *)0xfed00000UL;
	return ((uint64_t)inb(0x2f8) << 32) | mmio;
}

static uint64_t read_lapic_version(uint64_t arg)
{
	(void)arg;
	return *(volatile uint32_t *)0xfee00030UL;
}

static uint64_t write_unknown(uint64_t arg)
{
	outb(0x80, (uint8_t)arg);
	return 0;
}

int guest_main(void)
{
	const char *what = guest_argc() > 1 ? guest_argv(1) : "all";
	bool all = !strcmp(what, "all");
	int status = 0;

	if (all || !strcmp(what, "uart")) {
		uint64_t failed = guest_cpl0_call(uart_probe, 0);

		guest_printf("io: uart probe %s (failed mask 0x%llx)\n", failed ? "FAILED" : "ok",
			     (unsigned long long)failed);
		status |= failed ? 1 : 0;
	}
	if (all || !strcmp(what, "unknown")) {
		uint64_t v = guest_cpl0_call(read_unknown, 0);

		guest_printf("io: port 0x2f8 reads 0x%02llx, MMIO 0xfed00000 reads 0x%08llx\n",
			     (unsigned long long)(v >> 32), (unsigned long long)(v & 0xffffffff));
		status |= v == 0xffffffffffULL ? 0 : 2;
	}
	if (all || !strcmp(what, "write-unknown")) {
		guest_cpl0_call(write_unknown, 0x42);
		guest_printf("io: wrote port 0x80\n");
	}
	if (!strcmp(what, "lapic")) {
		uint64_t v = guest_cpl0_call(read_lapic_version, 0);

		/* SDM vol. 3 "Local APIC Version Register": 0x1x for an integrated APIC. */
		guest_printf("io: LAPIC version register 0x%08llx: %s\n", (unsigned long long)v,
			     (v & 0xf0) == 0x10 && v != 0xffffffff ? "a LAPIC" : "no LAPIC");
	}
	return status;
}
