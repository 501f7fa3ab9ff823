// SPDX-License-Identifier: MIT
/*
 * The runtime's CPL0 part: per-vCPU GDT/TSS, the IDT, syscall MSRs and the
 * syscall and exception handlers.  CPL0 guest code may be instruction-
 * emulated (see docs/faithful-lane.md), so this file stays small, touches
 * no FPU state and does no loops over large data.
 */
#include "rt.h"

#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

#define UART_THR	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_DLL	0
#define UART_DLM	1
#define UART_LSR_THRE	0x20
#define UART_FIFO_SIZE	16

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

struct trap_frame {
	uint64_t gpr[FPVM_NR_GPRS];
	uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};

struct boot_info rt_boot;
struct guest_tls rt_tls[GUEST_MAX_CPUS];
static struct percpu percpu[GUEST_MAX_CPUS];
static struct tss64 tss[GUEST_MAX_CPUS];
static struct idt_gate idt[32];
static volatile int boot_done;

/* null, kernel code, kernel data, user data, user code, then a TSS per vCPU */
static uint64_t gdt[5 + 2 * GUEST_MAX_CPUS] = {
	0,
	0x00af9b000000ffffULL,
	0x00cf93000000ffffULL,
	0x00cff3000000ffffULL,
	0x00affb000000ffffULL,
};

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static _Noreturn void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void ctl_send(uint32_t op, const void *payload, uint32_t size)
{
	struct {
		struct fpvm_ctl_req hdr;
		uint8_t payload[sizeof(struct fpvm_exception) + 256];
	} __attribute__((aligned(8))) req;
	const uint8_t *p = payload;

	if (size > sizeof(req.payload))
		size = sizeof(req.payload);
	req.hdr = (struct fpvm_ctl_req){ .magic = FPVM_CTL_MAGIC, .op = op, .size = size };
	for (uint32_t i = 0; i < size; i++)
		req.payload[i] = p[i];
	outl(FPVM_PORT_CTL, (uint32_t)(uintptr_t)&req);
}

static _Noreturn void kernel_panic(const char *msg)
{
	ctl_send(FPVM_CTL_PANIC, msg, strnlen(msg, 255) + 1);
	halt_forever();
}

static void uart_init(void)
{
	outb(FPVM_PORT_SERIAL + UART_LCR, 0x80);	/* DLAB: divisor 1, 115200 */
	outb(FPVM_PORT_SERIAL + UART_DLL, 1);
	outb(FPVM_PORT_SERIAL + UART_DLM, 0);
	outb(FPVM_PORT_SERIAL + UART_LCR, 0x03);	/* 8N1 */
	outb(FPVM_PORT_SERIAL + UART_FCR, 0x07);	/* FIFOs on and cleared */
	outb(FPVM_PORT_SERIAL + UART_IER, 0);
	outb(FPVM_PORT_SERIAL + UART_MCR, 0x03);
}

/*
 * A FIFO-aware polled driver: wait for THRE, then fill the 16-byte FIFO
 * with one string instruction, which a VMM sees as one exit instead of 16.
 */
static void uart_write(const char *s, size_t len)
{
	while (len) {
		size_t chunk = len < UART_FIFO_SIZE ? len : UART_FIFO_SIZE;

		while (!(inb(FPVM_PORT_SERIAL + UART_LSR) & UART_LSR_THRE))
			__asm__ volatile("pause");
		len -= chunk;
		__asm__ volatile("rep outsb"
				 : "+S"(s), "+c"(chunk)
				 : "d"((uint16_t)(FPVM_PORT_SERIAL + UART_THR))
				 : "memory");
	}
}

static void idt_init(void)
{
	for (int v = 0; v < 32; v++) {
		uint64_t h = trap_stubs[v];
		/* #BP and #OF may be raised from CPL3 by INT3/INTO. */
		uint8_t dpl = (v == 3 || v == 4) ? 3 : 0;

		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)h,
			.selector = KERNEL_CS,
			.ist = v == 8 ? 1 : 0,	/* #DF on its own stack */
			.type_attr = (uint8_t)(0x8e | (dpl << 5)),
			.offset_mid = (uint16_t)(h >> 16),
			.offset_hi = (uint32_t)(h >> 32),
		};
	}
}

static void gdt_set_tss(unsigned int cpu, struct tss64 *t)
{
	uint64_t base = (uint64_t)(uintptr_t)t;
	uint64_t limit = sizeof(*t) - 1;
	uint64_t *d = &gdt[5 + 2 * cpu];

	d[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
	       (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	d[1] = base >> 32;
}

static void cpu_load_tables(unsigned int cpu)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt },
				    idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	uint16_t tr = TSS_SEL(cpu);

	/* Kernel selectors match the boot GDT's, so CS needs no reload. */
	__asm__ volatile("lgdt %0\n\t"
			 "movw %1, %%ds\n\t"
			 "movw %1, %%es\n\t"
			 "movw %1, %%ss\n\t"
			 "ltr %2\n\t"
			 "lidt %3"
			 : : "m"(gdtr), "r"((uint16_t)KERNEL_DS), "r"(tr), "m"(idtr) : "memory");
}

void kernel_start(uint64_t fdt, uint64_t cpu, uint64_t nr_cpus, uint64_t stack_top)
{
	struct percpu *pc;

	/* Every vCPU checks the count, so vCPU 0 cannot finish before the panic. */
	if (nr_cpus > GUEST_MAX_CPUS || cpu >= GUEST_MAX_CPUS)
		kernel_panic("guest runtime supports at most 64 vCPUs");
	pc = &percpu[cpu];
	pc->cpu = cpu;
	pc->kstack = stack_top;
	pc->tls = &rt_tls[cpu];
	rt_tls[cpu].cpu = cpu;
	rt_tls[cpu].stack_guard = 0x5eed0000f00dULL ^ (cpu << 32) ^ stack_top;
	tss[cpu].rsp[0] = stack_top;
	tss[cpu].ist[0] = stack_top - KSTACK_SIZE;
	tss[cpu].iomap_base = sizeof(struct tss64);	/* no I/O bitmap */
	gdt_set_tss(cpu, &tss[cpu]);

	if (cpu == 0) {
		rt_boot.fdt = fdt;
		rt_boot.nr_cpus = nr_cpus;
		idt_init();
		uart_init();
		__atomic_store_n(&boot_done, 1, __ATOMIC_RELEASE);
	} else {
		while (!__atomic_load_n(&boot_done, __ATOMIC_ACQUIRE))
			__asm__ volatile("pause");
	}

	cpu_load_tables(cpu);
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)pc);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)&rt_tls[cpu]);

	enter_user((uint64_t)(uintptr_t)user_start, stack_top - KSTACK_SIZE - ISTACK_SIZE);
}

static long syscall_dispatch(long nr, long a0, long a1, long a2)
{
	(void)a2;
	switch (nr) {
	case SYS_EXIT:
		outl(FPVM_PORT_DEBUG_EXIT, (uint32_t)a0);
		halt_forever();
	case SYS_WRITE:
		uart_write((const char *)a0, (size_t)a1);
		return a1;
	case SYS_HALT:
		halt_forever();
	case SYS_CPL0_CALL:
		return (long)((uint64_t(*)(uint64_t))a0)((uint64_t)a1);
	case SYS_PANIC:
		kernel_panic((const char *)a0);
	case SYS_CTL:
		outl(FPVM_PORT_CTL, (uint32_t)a0);
		return ((struct fpvm_ctl_req *)a0)->result;
	}
	return -38;	/* -ENOSYS */
}

void trap_handler(struct trap_frame *f)
{
	struct guest_tls *tls;
	struct fpvm_exception e;
	uint64_t cr2, cpu;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(cpu) : "i"(PC_CPU));
	tls = &rt_tls[cpu];

	if (f->vector == 3 && (f->cs & 3) == 3 && f->rip == (uint64_t)(uintptr_t)rt_syscall_return) {
		f->gpr[FPVM_RAX] = (uint64_t)syscall_dispatch((long)f->gpr[FPVM_RAX],
							      (long)f->gpr[FPVM_RDI],
							      (long)f->gpr[FPVM_RSI],
							      (long)f->gpr[FPVM_RDX]);
		return;
	}

	/* guest_catch() armed a recovery point: resume there (CPL3 only). */
	if ((f->cs & 3) == 3 && tls->catch_rip && f->vector != 8) {
		*tls->catch_rec = (struct guest_trap){
			.vector = f->vector, .error_code = f->error_code, .rip = f->rip,
		};
		f->rip = tls->catch_rip;
		f->rsp = tls->catch_rsp;
		tls->catch_rip = 0;
		return;
	}

	for (int i = 0; i < FPVM_NR_GPRS; i++)
		e.gpr[i] = f->gpr[i];
	e.vector = f->vector;
	e.error_code = f->error_code;
	e.rip = f->rip;
	e.cs = f->cs;
	e.rflags = f->rflags;
	e.rsp = f->rsp;
	e.ss = f->ss;
	e.cr2 = cr2;
	e.vcpu = cpu;
	ctl_send(FPVM_CTL_EXCEPTION, &e, sizeof(e));
	halt_forever();
}
