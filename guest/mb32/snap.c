// SPDX-License-Identifier: MIT
/*
 * A 32-bit Multiboot kernel that asks fpvm for a snapshot through the
 * control port (guest/abi.h) with its LAPIC timer armed, so a restore of
 * the PC platform must bring back the irqchip, the LAPIC and the clock as
 * well as the vCPU: the timer interrupt has to arrive, before and after.
 * Prints "mb32-snap: snapshot taken" or "mb32-snap: restored", then
 * exits with 0 when the timer fired after the request.
 */
#include "mb32.h"

#define PORT_CTL	0x600
#define CTL_MAGIC	0x6670766du
#define CTL_SNAPSHOT	5
#define LAPIC		0xfee00000u
#define LAPIC_SVR	0xf0
#define LAPIC_EOI	0xb0
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_DCR	0x3e0
#define TIMER_VECTOR	0x40

static volatile uint32_t ticks;

static void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC + reg) = v;
}

void timer_handler(void);
__asm__(".globl timer_handler\n"
	"timer_handler:\n"
	"	incl ticks\n"
	"	movl $0, 0xfee000b0\n"	/* EOI */
	"	iret\n");

/* The Multiboot GDTR may be invalid (spec 3.2): a kernel loads its own. */
static const uint64_t gdt[] = {
	0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL,	/* null, code 0x08, data 0x10 */
};
static struct __attribute__((packed)) { uint16_t limit; uint32_t base; } gdtr = {
	sizeof(gdt) - 1, 0,
};

static void load_gdt(void)
{
	gdtr.base = (uint32_t)(uintptr_t)gdt;
	__asm__ volatile("lgdt %0\n"
			 "ljmp $0x08, $1f\n"
			 "1: mov $0x10, %%ax\n"
			 "mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n"
			 "mov %%ax, %%fs\n mov %%ax, %%gs\n" : : "m"(gdtr) : "eax", "memory");
}

static struct { uint16_t lo; uint16_t sel; uint8_t zero, type; uint16_t hi; } idt[256];
static struct __attribute__((packed)) { uint16_t limit; uint32_t base; } idtr;

struct ctl_req {
	uint32_t magic, op, size;
	int32_t result;
} __attribute__((aligned(8)));

static void wait_ticks(uint32_t n)
{
	uint32_t start = ticks;

	while (ticks - start < n)
		__asm__ volatile("sti; hlt; cli");
}

void mb32_main(uint32_t magic, const void *info);

void mb32_main(uint32_t magic, const void *info)
{
	static struct ctl_req req = { .magic = CTL_MAGIC, .op = CTL_SNAPSHOT };
	uint16_t cs;

	(void)magic;
	(void)info;
	/*
	 * Mask both 8259s, as a BIOS leaves them: the BSP's LINT0 is ExtINT
	 * after reset, and the in-kernel PIT's first one-shot would arrive
	 * through the PIC at a vector this kernel has no gate for.
	 */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	load_gdt();
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[TIMER_VECTOR].lo = (uint16_t)(uintptr_t)timer_handler;
	idt[TIMER_VECTOR].hi = (uint16_t)((uintptr_t)timer_handler >> 16);
	idt[TIMER_VECTOR].sel = cs;
	idt[TIMER_VECTOR].type = 0x8e;	/* present, DPL 0, 32-bit interrupt gate */
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint32_t)(uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(idtr));
	lapic_write(LAPIC_SVR, 0x1ff);		/* enabled, spurious vector 0xff */
	lapic_write(LAPIC_TIMER_DCR, 0xb);	/* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR | (1u << 17));	/* periodic */
	lapic_write(LAPIC_TIMER_ICR, 100000);
	wait_ticks(3);
	outl(PORT_CTL, (uint32_t)(uintptr_t)&req);
	puts_(req.result == 1 ? "mb32-snap: restored\n" : req.result == 0 ?
	      "mb32-snap: snapshot taken\n" : "mb32-snap: request failed\n");
	wait_ticks(3);
	puts_("mb32-snap: the timer fires\n");
	outl(PORT_EXIT, req.result < 0 ? 1 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
