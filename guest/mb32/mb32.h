/* SPDX-License-Identifier: MIT */
/*
 * What fpvm's 32-bit Multiboot test kernels share: port and MMIO access,
 * serial output, and the "ok:"/"FAIL:" checks they report with.
 */
#ifndef FPVM_GUEST_MB32_H
#define FPVM_GUEST_MB32_H

#include <stdint.h>

#define PORT_SERIAL	0x3f8
#define PORT_EXIT	0xf4

#define OUT(name, type) \
	static inline void name(uint16_t p, type v) \
	{ __asm__ volatile("out %0, %1" : : "a"(v), "Nd"(p)); }
#define IN(name, type) \
	static inline type name(uint16_t p) \
	{ type v; __asm__ volatile("in %1, %0" : "=a"(v) : "Nd"(p)); return v; }
OUT(outb, uint8_t)
OUT(outw, uint16_t)
OUT(outl, uint32_t)
IN(inb, uint8_t)
IN(inw, uint16_t)
IN(inl, uint32_t)
#undef OUT
#undef IN

static inline uint32_t mmio_read(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static inline void puts_(const char *s)
{
	while (*s)
		outb(PORT_SERIAL, (uint8_t)*s++);
}

static inline void put_hex(uint32_t v)
{
	char buf[11] = "0x";

	for (int i = 0; i < 8; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xf];
	buf[10] = '\0';
	puts_(buf);
}

static int failures __attribute__((unused));

static inline void check(int ok, const char *what)
{
	puts_(ok ? "ok: " : "FAIL: ");
	puts_(what);
	puts_("\n");
	failures += !ok;
}

#endif
