// SPDX-License-Identifier: MIT
/*
 * A guest that attacks its VMM; argv[1] picks how (tests/hostile.cfg runs
 * each with the fpvm exit status it must end with).  Modes that check what
 * they saw exit 0 when every check held, 1 otherwise; 2 means bad usage.
 *
 *   exit-flood [N]        N port exits (default 10^6) shared by all vCPUs
 *   mmio-storm [STRIDE]   every width, read and write, every STRIDE bytes
 *                         (1 MiB) from the top of RAM to 4 GiB; reads are
 *                         all-ones; then REP MOVSB/STOSB, XCHG, LOCK ADD
 *   mmio-straddle         8-byte accesses half RAM, half hole (--mem > 3G)
 *   string-io [COUNT]     REP OUTS/INS of COUNT (2) elements to every port
 *   string-io-huge [N]    REP INS of N (1 MiB) bytes, forwards and backwards,
 *                         REP OUTS, and with --mem > 3G across the hole's end
 *   string-exit [V]       REP OUTSB to the exit port; the first byte is V (7)
 *   string-forever        REP OUTSB with RCX = 2^64 - 1
 *   dev-regs              every width to every register of every device and
 *                         just around them (not exit-port writes); the UART
 *                         must work afterwards
 *   exit-port [PORT W V]  one W-byte write of V to PORT (0xf4 4 0x100)
 *   exit-race [V]         every vCPU writes V (42) to the exit port at once
 *   ctl-hostile           every malformed control request once (2 vCPUs)
 *   ctl-flood [N]         N (20000) malformed requests, then 5120 more
 *   ctl-panic-garbage     a panic of 4096 binary bytes without a NUL
 *   ctl-exception-garbage an exception report full of nonsense
 *   xrstor-garbage        XRSTOR of bad images: each must be #GP
 *   xrstor-random         XRSTOR of random register contents: no fault
 *   xsetbv-cpl0 [V]       XSETBV of V (0, x87 clear) at CPL0
 *   xsetbv-cpl3 [V]       the same at CPL3
 *   smash-pt, garbage-pt  zero (or fill with ones) the top-level page table
 *   smash-gdt, smash-idt  zero the GDT, fill the IDT with ones
 *   triple-cpl3           an empty IDT, then a fault at CPL3
 *   double-fault          a CPL0 push onto an unmapped stack (#DF on its IST)
 *   rdmsr-bogus, io-cpl3, int-beyond-idt   #GP from CPL0 and CPL3
 *   jump-mmio             execute from the MMIO hole
 *   cli-spin              every vCPU spins at CPL0 with interrupts off
 *   halt-all              every vCPU halts, some with interrupts on
 *   exit-while-busy       vCPU 0 exits while the others spin at CPL0, flood
 *                         ports and read MMIO forever
 *   serial-forever        every vCPU prints forever, never a newline
 *
 * Port I/O needs CPL0 here (the runtime's TSS has no I/O bitmap and IOPL
 * is 0), so most attacks are CPL0 functions run with guest_cpl0_call();
 * MMIO and FPU state attacks run at CPL3.
 */
#include <libfdt.h>

#include "runtime.h"

#define PORT_UNUSED	0x80	/* the POST port: no device in fpvm */
#define COM1		FPVM_PORT_SERIAL
#define UART_MCR	4
#define UART_LSR	5
#define UART_SCR	7
#define MCR_LOOP	0x10

#define MMIO_HOLE_END	0x100000000ULL

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* One port access of @width bytes (1, 2 or 4); reads return the value. */
static uint32_t pio(uint16_t port, unsigned int width, bool write, uint32_t v)
{
	switch (width) {
	case 1:
		if (write)
			outb(port, (uint8_t)v);
		return write ? 0 : inb(port);
	case 2:
		if (write)
			outw(port, (uint16_t)v);
		return write ? 0 : inw(port);
	default:
		if (write)
			outl(port, v);
		return write ? 0 : inl(port);
	}
}

/* rep outs/ins of @count elements of @width bytes; DF as @backwards says. */
static void rep_outs(uint16_t port, unsigned int width, const void *src, uint64_t count,
		     bool backwards)
{
	if (backwards)
		__asm__ volatile("std" ::: "cc");
	if (width == 1)
		__asm__ volatile("rep outsb" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	else if (width == 2)
		__asm__ volatile("rep outsw" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	else
		__asm__ volatile("rep outsl" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	__asm__ volatile("cld" ::: "cc");
}

static void rep_ins(uint16_t port, unsigned int width, void *dst, uint64_t count,
		    bool backwards)
{
	if (backwards)
		__asm__ volatile("std" ::: "cc");
	if (width == 1)
		__asm__ volatile("rep insb" : "+D"(dst), "+c"(count) : "d"(port) : "memory");
	else if (width == 2)
		__asm__ volatile("rep insw" : "+D"(dst), "+c"(count) : "d"(port) : "memory");
	else
		__asm__ volatile("rep insl" : "+D"(dst), "+c"(count) : "d"(port) : "memory");
	__asm__ volatile("cld" ::: "cc");
}

/* MMIO accesses of 1, 2, 4 or 8 bytes, each one instruction. */
static uint64_t mmio_read(uint64_t addr, unsigned int width)
{
	uint64_t v = 0;

	switch (width) {
	case 1:
		__asm__ volatile("movzbq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
		break;
	case 2:
		__asm__ volatile("movzwq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
		break;
	case 4:
		__asm__ volatile("movl (%1), %k0" : "=r"(v) : "r"(addr) : "memory");
		break;
	default:
		__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	}
	return v;
}

static void mmio_write(uint64_t addr, unsigned int width, uint64_t v)
{
	switch (width) {
	case 1:
		__asm__ volatile("movb %b0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	case 2:
		__asm__ volatile("movw %w0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	case 4:
		__asm__ volatile("movl %k0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	default:
		__asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(addr) : "memory");
	}
}

static uint64_t ones(unsigned int width)
{
	return width >= 8 ? ~0ULL : (1ULL << (8 * width)) - 1;
}

static unsigned long arg_ul(int i, unsigned long dflt)
{
	return guest_argc() > i ? strtoul(guest_argv(i), NULL, 0) : dflt;
}

/* Top of low RAM: the size of /memory@0 (the hole starts there). */
static uint64_t ram_low_top(void)
{
	int node = fdt_path_offset(guest_fdt(), "/memory@0"), len;
	const fdt64_t *reg = node < 0 ? NULL : fdt_getprop(guest_fdt(), node, "reg", &len);

	return reg && len >= 16 ? fdt64_to_cpu(reg[1]) : 0;
}

static bool has_high_ram(void)
{
	return fdt_path_offset(guest_fdt(), "/memory@100000000") >= 0;
}

/* ---- vCPU rendezvous ---- */

static unsigned int arrived;
static uint64_t spins;	/* APs whose guest_ap_main() is done */

/* Every vCPU calls this once; it returns when all of them have. */
static void rendezvous(void)
{
	__atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < guest_nr_cpus())
		guest_cpu_relax();
}

/* ---- exit floods ---- */

static uint64_t flood_pio(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		outb(PORT_UNUSED, (uint8_t)i);
	return n;
}

/*
 * @n exits: writes and reads of an unused port (reads must be all-ones)
 * and of the UART's scratch register, a device behind a lock.
 */
static uint64_t flood_mixed(uint64_t n)
{
	uint8_t bad = 0;

	for (uint64_t i = 0; i < n / 4; i++) {
		outb(PORT_UNUSED, (uint8_t)i);
		bad |= inb(PORT_UNUSED) ^ 0xff;
		outb(COM1 + UART_SCR, (uint8_t)i);
		inb(COM1 + UART_SCR);
	}
	return bad;
}

static volatile uint64_t flood_total;

static void exit_flood_vcpu(void)
{
	uint64_t n = arg_ul(2, 1000000) / guest_nr_cpus() / 4 * 4;

	rendezvous();
	if (guest_cpl0_call(flood_mixed, n))
		__atomic_fetch_or(&flood_total, 1ULL << 63, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&flood_total, n, __ATOMIC_SEQ_CST);
}

static int exit_flood(void)
{
	uint64_t want = arg_ul(2, 1000000) / guest_nr_cpus() / 4 * 4 * guest_nr_cpus(), t;

	exit_flood_vcpu();
	while ((t = __atomic_load_n(&flood_total, __ATOMIC_SEQ_CST)) < want)
		guest_cpu_relax();
	guest_printf("exit-flood: %llu port exits from %u vCPUs, unused port read %s\n",
		     (unsigned long long)(t & ~(1ULL << 63)), guest_nr_cpus(),
		     t >> 63 ? "NOT all-ones" : "all-ones");
	return t >> 63 ? 1 : 0;
}

/* ---- MMIO ---- */

static uint64_t mmio_bad;

static void mmio_check(uint64_t addr, unsigned int width)
{
	uint64_t v = mmio_read(addr, width);

	if (v != ones(width) && mmio_bad++ < 4)
		guest_printf("mmio: %u-byte read at 0x%llx gave 0x%llx\n", width,
			     (unsigned long long)addr, (unsigned long long)v);
	mmio_write(addr, width, 0x5a5a5a5a5a5a5a5aULL);
}

/*
 * KVM's real-mode TSS and identity map (vmm/vm.c) sit in the hole; on
 * Intel they are KVM's private memory slots, not MMIO, so skip them.
 */
static bool kvm_private(uint64_t addr)
{
	return addr >= 0xfffbc000ULL && addr < 0xfffc0000ULL;
}

/* Every width, read then write, every @stride bytes from the top of RAM to 4 GiB. */
static int mmio_storm(void)
{
	uint64_t stride = arg_ul(2, 1 << 20), top = ram_low_top(), n = 0;
	uint8_t buf[64] __attribute__((aligned(16)));
	uint64_t dst, src, cnt;

	if (!top || stride < 8)
		return 2;
	for (uint64_t a = top; a < MMIO_HOLE_END; a += stride) {
		if (kvm_private(a))
			continue;
		for (unsigned int w = 1; w <= 8; w *= 2)
			mmio_check(a + 8 - w, w);	/* the last bytes below a + 8 */
		n += 8;
	}
	/* Instructions the KVM emulator handles with more than one access. */
	dst = (uint64_t)(uintptr_t)buf;
	src = top + 4096;
	cnt = sizeof(buf);
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(cnt) : : "memory");
	for (unsigned int i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0xff && mmio_bad++ < 4)
			guest_printf("mmio: rep movsb from the hole gave 0x%x\n", buf[i]);
	dst = top + 8192;
	cnt = 4096;
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(cnt) : "a"(0x77) : "memory");
	{
		uint64_t v = 0x1234;

		__asm__ volatile("xchgq %0, (%1)" : "+r"(v) : "r"(top + 16) : "memory");
		if (v != ~0ULL && mmio_bad++ < 4)
			guest_printf("mmio: xchg gave 0x%llx\n", (unsigned long long)v);
		__asm__ volatile("lock addl $1, (%0)" : : "r"(top + 32) : "memory", "cc");
	}
	n += 4;
	guest_printf("mmio-storm: %llu accesses from 0x%llx to 4 GiB, %llu reads not all-ones\n",
		     (unsigned long long)n, (unsigned long long)top, (unsigned long long)mmio_bad);
	return mmio_bad ? 1 : 0;
}

/*
 * 8-byte accesses with half in RAM and half in the hole, at both ends
 * of the hole (needs --mem above 3G): KVM splits them; the RAM half must
 * read and write as RAM, the hole half as all-ones and ignored.
 */
static int mmio_straddle(void)
{
	static const uint64_t ends[] = { FPVM_RAM_LOW_MAX - 4, MMIO_HOLE_END - 4 };
	int bad = 0;

	if (ram_low_top() != FPVM_RAM_LOW_MAX || !has_high_ram()) {
		guest_printf("mmio-straddle: needs --mem above 3G\n");
		return 2;
	}
	for (unsigned int i = 0; i < 2; i++) {
		uint64_t a = ends[i], v;
		/* The RAM half is the low half at 3 GiB, the high half at 4 GiB. */
		uint64_t ram_mask = i == 0 ? 0xffffffffULL : 0xffffffff00000000ULL;
		volatile uint32_t *ram = (volatile uint32_t *)(uintptr_t)(i == 0 ? a : a + 4);

		*ram = 0x11223344;
		v = mmio_read(a, 8);
		if (v != ((~ram_mask) | (i == 0 ? 0x11223344ULL : 0x1122334400000000ULL)))
			bad |= 1 << (2 * i);
		mmio_write(a, 8, 0xa5a5a5a5a5a5a5a5ULL);
		if (*ram != 0xa5a5a5a5)
			bad |= 2 << (2 * i);
		guest_printf("mmio-straddle: 8 bytes at 0x%llx read 0x%016llx, "
			     "RAM half now 0x%08x\n", (unsigned long long)a, (unsigned long long)v,
			     *ram);
	}
	return bad ? 1 : 0;
}

/* ---- string I/O ---- */

/* Large buffers in RAM, below the boot stacks and away from the image. */
#define STR_BUF		0x1000000ULL	/* 16 MiB */
#define STR_BUF_SIZE	0x1000000ULL	/* up to 32 MiB: needs --mem 64M */

static uint8_t io_buf[4096] __attribute__((aligned(4096)));

static bool exit_port(uint32_t port)
{
	return port >= FPVM_PORT_DEBUG_EXIT && port < FPVM_PORT_DEBUG_EXIT + 4;
}

/*
 * Program the UART as the runtime's uart_init() does, after an attack
 * left any value in its registers; returns 0 when it works again.
 */
static uint64_t uart_reset(void)
{
	uint64_t bad = 0;

	outb(COM1 + 3, 0x80);	/* DLAB: divisor 1 */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0x07);	/* FIFOs on and cleared */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_MCR, 0x03);
	inb(COM1 + UART_LSR);	/* clears a receive overrun */
	outb(COM1 + UART_SCR, 0x42);
	bad += inb(COM1 + UART_SCR) != 0x42;
	bad += (inb(COM1 + UART_LSR) & 0x61) != 0x60;	/* THRE, TEMT, no data */
	return bad;
}

/*
 * One string instruction of @count elements to every port but the exit
 * device's: REP OUTS on even ports, REP INS on odd ones, widths 1, 2 and
 * 4 in turn.  KVM exits once per OUTS element and once per page of INS
 * data.  The UART is in loopback meanwhile, so what reaches it goes into
 * its receive FIFO (overrun) instead of the log.
 */
static uint64_t string_every_port(uint64_t count)
{
	uint64_t bad = 0;

	if (count > sizeof(io_buf) / 4)
		count = sizeof(io_buf) / 4;
	outb(COM1 + UART_MCR, 0x03 | MCR_LOOP);
	for (uint32_t port = 0; port <= 0xffff; port++) {
		unsigned int w = 1U << (port % 3);

		if (exit_port(port) || exit_port(port + w - 1))
			continue;
		if (!(port & 1)) {
			rep_outs((uint16_t)port, w, io_buf, count, false);
			continue;
		}
		io_buf[0] = 0;
		rep_ins((uint16_t)port, w, io_buf, count, false);
		/* An unused port fills the buffer with all-ones. */
		if ((port + w <= COM1 || port > COM1 + 7) &&
		    (port + w <= FPVM_PORT_CTL || port > FPVM_PORT_CTL + 3) && io_buf[0] != 0xff)
			bad++;
	}
	return bad + uart_reset();
}

/*
 * Huge counts through one port: REP INSB of @count bytes (default 1 MiB)
 * forwards, REP INSW backwards over the same buffer, then @count / 256
 * REP OUTSB elements each way (every OUTS element is an exit).
 */
static uint64_t string_huge(uint64_t count)
{
	uint8_t *buf = (uint8_t *)(uintptr_t)STR_BUF;
	uint64_t bad = 0;

	if (count > STR_BUF_SIZE)
		count = STR_BUF_SIZE;
	rep_ins(PORT_UNUSED, 1, buf, count, false);
	for (uint64_t i = 0; i < count; i += 4093)
		bad += buf[i] != 0xff;
	bad += buf[count - 1] != 0xff;
	buf[0] = 0;
	buf[count - 1] = 0;
	rep_ins(PORT_UNUSED, 2, buf + count - 2, count / 2, true);
	bad += buf[0] != 0xff;
	bad += buf[count - 1] != 0xff;
	rep_outs(PORT_UNUSED, 1, buf, count / 256, false);
	rep_outs(PORT_UNUSED, 4, buf + count - 4, count / 1024, true);
	return bad;
}

/* REP OUTSB with RCX = 2^64 - 1: never ends; --timeout must still stop it. */
static uint64_t string_forever(uint64_t arg)
{
	(void)arg;
	rep_outs(PORT_UNUSED, 1, (void *)(uintptr_t)STR_BUF, ~0ULL, false);
	return 0;
}

/*
 * String I/O whose memory operand runs across the top of the MMIO hole
 * into RAM at 4 GiB (needs --mem above 3G): the elements in the hole
 * are MMIO accesses, those above 4 GiB RAM.  Forwards, then backwards.
 */
static uint64_t string_across_hole(uint64_t arg)
{
	volatile uint8_t *high = (volatile uint8_t *)(uintptr_t)MMIO_HOLE_END;
	uint64_t bad = 0;

	(void)arg;
	high[0] = 0;
	high[4095] = 0;
	rep_ins(PORT_UNUSED, 1, (void *)(uintptr_t)(MMIO_HOLE_END - 4096), 8192, false);
	bad += high[0] != 0xff;
	bad += high[4095] != 0xff;
	high[0] = 0;
	rep_ins(PORT_UNUSED, 2, (void *)(uintptr_t)(MMIO_HOLE_END + 4094), 4096, true);
	bad += high[0] != 0xff;
	rep_outs(PORT_UNUSED, 4, (void *)(uintptr_t)(MMIO_HOLE_END - 4096), 2048, false);
	rep_outs(COM1 + UART_SCR, 1, (void *)(uintptr_t)(MMIO_HOLE_END + 4095), 8192, true);
	return bad;
}

static int string_io(void)
{
	uint64_t bad = guest_cpl0_call(string_every_port, arg_ul(2, 2));

	guest_printf("string-io: a string instruction to each of 65532 ports, %llu unused ports "
		     "not all-ones\n", (unsigned long long)bad);
	return bad ? 1 : 0;
}

static int string_io_huge(void)
{
	uint64_t bad = guest_cpl0_call(string_huge, arg_ul(2, 1 << 20));

	if (has_high_ram())
		bad += guest_cpl0_call(string_across_hole, 0);

	guest_printf("string-io-huge: %llu bad bytes\n", (unsigned long long)bad);
	return bad ? 1 : 0;
}

/* rep outsb to the exit port: the first byte is the status. */
static uint64_t string_exit(uint64_t arg)
{
	for (unsigned int i = 0; i < sizeof(io_buf); i++)
		io_buf[i] = (uint8_t)(arg + i);
	rep_outs(FPVM_PORT_DEBUG_EXIT, 1, io_buf, sizeof(io_buf), false);
	return 0;
}

/* ---- device registers ---- */

/* Bytes with bit 4 (MCR loopback) and bit 7 (LCR DLAB) set: no byte reaches the log. */
static const uint32_t reg_values[] = { 0xffffffff, 0x90909090, 0xd5b3f19a, 0x9abcdef0 };

static uint64_t sweep_range(uint16_t base, uint16_t len, bool write)
{
	uint64_t n = 0;

	for (int32_t p = base - 3; p < base + len + 3; p++) {
		for (unsigned int w = 1; w <= 4; w *= 2) {
			if (exit_port((uint32_t)p) ||
			    (write && p <= FPVM_PORT_DEBUG_EXIT + 3 &&
			     p + (int32_t)w > FPVM_PORT_DEBUG_EXIT))
				continue;	/* exit port writes end the VM: exit-port tests */
			for (unsigned int v = 0; v < 4; v++, n++)
				pio((uint16_t)p, w, write, reg_values[v]);
		}
	}
	return n;
}

static uint64_t dev_regs(uint64_t arg)
{
	uint64_t n = 0, bad = 0;

	(void)arg;
	outb(COM1 + UART_MCR, 0x13);	/* loopback before anything else */
	n += sweep_range(COM1, 8, true);
	n += sweep_range(COM1, 8, false);
	n += sweep_range(FPVM_PORT_CTL, 4, true);
	n += sweep_range(FPVM_PORT_CTL, 4, false);
	n += sweep_range(FPVM_PORT_DEBUG_EXIT, 4, false);
	/* Reads: the exit and control ports read all-ones at every width. */
	for (unsigned int w = 1; w <= 4; w *= 2)
		for (unsigned int off = 0; off + w <= 4; off++) {
			bad += pio((uint16_t)(FPVM_PORT_DEBUG_EXIT + off), w, false, 0) != ones(w);
			bad += pio((uint16_t)(FPVM_PORT_CTL + off), w, false, 0) != ones(w);
		}
	bad += uart_reset();
	return (n << 16) | bad;
}

static int dev_regs_mode(void)
{
	uint64_t r = guest_cpl0_call(dev_regs, 0);

	guest_printf("dev-regs: %llu accesses, %llu failed checks; the UART still works\n",
		     (unsigned long long)(r >> 16), (unsigned long long)(r & 0xffff));
	return (r & 0xffff) ? 1 : 0;
}

/* exit-port PORT WIDTH VALUE: one write (default: 4 bytes of 0x100 to 0xf4). */
static uint64_t exit_port_write(uint64_t arg)
{
	pio((uint16_t)(arg >> 40), (arg >> 32) & 0xff, true, (uint32_t)arg);
	return 0;
}

static int exit_port_mode(void)
{
	uint64_t port = arg_ul(2, FPVM_PORT_DEBUG_EXIT), w = arg_ul(3, 4), v = arg_ul(4, 0x100);

	if ((w != 1 && w != 2 && w != 4) || port > 0xffff)
		return 2;
	guest_printf("exit-port: %llu-byte write of 0x%llx to port 0x%llx\n",
		     (unsigned long long)w, (unsigned long long)v, (unsigned long long)port);
	guest_cpl0_call(exit_port_write, (port << 40) | (w << 32) | (uint32_t)v);
	guest_printf("exit-port: the write did not end the VM\n");
	return 3;
}

/* ---- control port ---- */

static uint8_t ctl_page[8192] __attribute__((aligned(4096)));

static uint64_t ctl_out(uint64_t addr)
{
	outl(FPVM_PORT_CTL, (uint32_t)addr);
	return 0;
}

static void ctl_at(uint64_t addr)
{
	guest_cpl0_call(ctl_out, addr);
}

static void req_at(void *p, uint32_t magic, uint32_t op, uint32_t size, int32_t result)
{
	*(struct fpvm_ctl_req *)p = (struct fpvm_ctl_req){ magic, op, size, result };
}

/* Every malformed request once; those fpvm answers must get -EINVAL or -ENOSYS. */
static int ctl_hostile(void)
{
	struct fpvm_ctl_req *req = (void *)ctl_page;
	uint64_t top = ram_low_top();
	int bad = 0;

	ctl_at(0);				/* page 0: RAM, unmapped in the guest */
	ctl_at((uint64_t)(uintptr_t)ctl_page + 4);	/* unaligned */
	ctl_at(0xfffffff8);			/* in the MMIO hole */
	ctl_at(top - 8);			/* header runs off the end of RAM */
	ctl_at(top);				/* just past RAM */
	/*
	 * The top of RAM is the last vCPU's boot stack: write requests there
	 * only once that vCPU has halted for good.
	 */
	if (guest_nr_cpus() < 2) {
		guest_printf("ctl-hostile: needs 2 vCPUs\n");
		return 2;
	}
	while (__atomic_load_n(&spins, __ATOMIC_SEQ_CST) < guest_nr_cpus() - 1)
		guest_cpu_relax();
	for (uint64_t t = guest_rdtsc(); guest_rdtsc() - t < 10000000ULL;)
		guest_cpu_relax();
	req_at((void *)(uintptr_t)(top - 16), FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 64, 0);
	ctl_at(top - 16);			/* payload off the end of RAM */
	req_at(req, 0xdeadbeef, FPVM_CTL_PANIC, 4, 7);
	ctl_at((uint64_t)(uintptr_t)req);	/* bad magic */
	bad |= (req->result != 7) << 0;
	req_at(req, FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 0xffffffff, 7);
	ctl_at((uint64_t)(uintptr_t)req);	/* absurd size */
	req_at(req, FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 4097, 7);
	ctl_at((uint64_t)(uintptr_t)req);	/* one byte too many */
	bad |= (req->result != 7) << 1;
	req_at(req, FPVM_CTL_MAGIC, FPVM_CTL_EXCEPTION, 8, 0);
	ctl_at((uint64_t)(uintptr_t)req);	/* wrong payload size */
	bad |= (req->result != -22) << 2;
	req_at(req, FPVM_CTL_MAGIC, 0xffffffff, 0, 0);
	ctl_at((uint64_t)(uintptr_t)req);	/* unknown op */
	bad |= (req->result != -38) << 3;
	req_at(req, FPVM_CTL_MAGIC, FPVM_CTL_LEAK_ROUND, 16, 0);
	ctl_at((uint64_t)(uintptr_t)req);	/* leakcheck op outside leakcheck */
	bad |= (req->result != -38) << 4;
	/* Into fpvm's own structures: the boot page tables and the FDT. */
	ctl_at(FPVM_PML4_ADDR);
	ctl_at(FPVM_FDT_ADDR);
	if (top == FPVM_RAM_LOW_MAX) {
		/* Header in RAM, payload across the MMIO hole. */
		req_at((void *)(uintptr_t)(top - 16), FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 16, 0);
		ctl_at(top - 16);
		ctl_at(top - 8);
	}
	guest_printf("ctl-hostile: every malformed request ignored (failed mask 0x%x)\n", bad);
	return bad ? 1 : 0;
}

/* Many malformed requests of each kind: fpvm's warnings must stay bounded. */
static uint64_t ctl_flood_cpl0(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		switch (i % 4) {
		case 0:
			outl(FPVM_PORT_CTL, 0xfffffff8);
			break;
		case 1:
			outl(FPVM_PORT_CTL, (uint32_t)(uintptr_t)ctl_page);	/* bad magic */
			break;
		case 2:
			outb(FPVM_PORT_CTL, 1);
			break;
		default:
			outw(FPVM_PORT_CTL + 2, 1);
		}
	}
	/* Byte writes in bulk, and a string of bad addresses. */
	rep_outs(FPVM_PORT_CTL, 1, io_buf, sizeof(io_buf), false);
	rep_outs(FPVM_PORT_CTL, 4, io_buf, sizeof(io_buf) / 4, false);
	return n;
}

static int ctl_flood(void)
{
	uint64_t n = arg_ul(2, 20000);

	memset(ctl_page, 0x5a, 64);
	memset(io_buf, 0x99, sizeof(io_buf));
	guest_cpl0_call(ctl_flood_cpl0, n);
	guest_printf("ctl-flood: %llu malformed control requests\n",
		     (unsigned long long)n + sizeof(io_buf) + sizeof(io_buf) / 4);
	return 0;
}

/* A panic whose message is the largest payload, binary, with no NUL. */
static int ctl_panic_garbage(void)
{
	struct fpvm_ctl_req *req = (void *)ctl_page;
	uint8_t *p = (uint8_t *)(req + 1);

	for (unsigned int i = 0; i < 4096; i++)
		p[i] = (uint8_t)(i * 7 + 1) ? (uint8_t)(i * 7 + 1) : 1;
	req_at(req, FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 4096, 0);
	guest_ctl(req);
	return 1;
}

/* An exception report full of nonsense: vector 0xdeadbeef, garbage registers. */
static int ctl_exception_garbage(void)
{
	struct fpvm_ctl_req *req = (void *)ctl_page;
	struct fpvm_exception *e = (void *)(req + 1);

	memset(e, 0xa5, sizeof(*e));
	e->vector = 0xdeadbeef;
	e->vcpu = 9999;
	req_at(req, FPVM_CTL_MAGIC, FPVM_CTL_EXCEPTION, sizeof(*e), 0);
	guest_ctl(req);
	return 1;
}

/* ---- FPU state ---- */

static uint8_t xsave_buf[8192] __attribute__((aligned(64)));

static void xrstor(void *p)
{
	uint64_t mask = guest_xcr0();

	__asm__ volatile("xrstor64 (%0)" : : "r"(p), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

static void xrstor_buf(void *arg)
{
	(void)arg;
	xrstor(xsave_buf);
}

static void xrstor_misaligned(void *arg)
{
	(void)arg;
	xrstor(xsave_buf + 16);
}

static void xsave_header_garbage(unsigned int kind)
{
	uint64_t *hdr = (uint64_t *)(xsave_buf + 512);

	memset(xsave_buf, 0, sizeof(xsave_buf));
	*(uint16_t *)xsave_buf = 0x37f;			/* FCW */
	*(uint32_t *)(xsave_buf + 24) = 0x1f80;		/* MXCSR */
	hdr[0] = guest_xcr0();
	switch (kind) {
	case 0:
		hdr[1] = 1ULL << 63;	/* XCOMP_BV: compacted, for the standard form */
		break;
	case 1:
		hdr[2] = 0xdeadbeef;	/* reserved header bytes 16-23 */
		break;
	default:
		hdr[0] |= 1ULL << 62;	/* XSTATE_BV beyond XCR0 */
	}
}

/*
 * Each kind of bad XRSTOR image, caught; all must be #GP.  Then one
 * uncaught.  (Reserved MXCSR bits are #GP too, but QEMU's TCG, under the
 * faithful lane, loads them without a fault.)
 */
static int xrstor_garbage(void)
{
	struct guest_trap trap;
	int bad = 0, v;

	for (unsigned int kind = 0; kind < 3; kind++) {
		xsave_header_garbage(kind);
		v = guest_catch(xrstor_buf, NULL, &trap);
		guest_printf("xrstor-garbage: image %u: vector %d\n", kind, v);
		bad |= (v != 13) << kind;
	}
	xsave_header_garbage(0);
	xsave_buf[512 + 8] = 0;
	xsave_buf[512 + 15] = 0;
	v = guest_catch(xrstor_misaligned, NULL, &trap);
	guest_printf("xrstor-garbage: misaligned image: vector %d\n", v);
	bad |= (v != 13) << 3;
	if (bad)
		return 1;
	xsave_header_garbage(1);
	xrstor_buf(NULL);	/* uncaught: the runtime reports the #GP */
	guest_printf("xrstor-garbage: XRSTOR of a bad header did not fault\n");
	return 1;
}

/* Valid headers, random register contents everywhere else: no fault. */
static int xrstor_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	uint64_t *hdr = (uint64_t *)(xsave_buf + 512);

	for (unsigned int i = 0; i < sizeof(xsave_buf); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		xsave_buf[i] = (uint8_t)x;
	}
	/* MXCSR: the default with random exception flags. */
	*(uint32_t *)(xsave_buf + 24) = 0x1f80 | ((uint32_t)x & 0x3f);
	memset(hdr, 0, 64);
	hdr[0] = guest_xcr0();
	xrstor_buf(NULL);
	guest_printf("xrstor-random: random register contents loaded\n");
	return 0;
}

/* XSETBV of an invalid XCR0 (argv[2], default 0: x87 clear). */
static uint64_t xsetbv_cpl0(uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
	return 0;
}

static uint64_t xgetbv_cpl0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * When XSETBV did not fault: XCR0 now, and again after an exit to fpvm.
 * KVM reloads the XCR0 it knows on every entry, so the two differ when
 * the XSETBV never reached KVM.
 */
static uint64_t xsetbv_then_check(uint64_t v)
{
	uint64_t before, after;

	xsetbv_cpl0(v);
	before = xgetbv_cpl0();
	outb(PORT_UNUSED, 0);
	after = xgetbv_cpl0();
	return (before << 32) | (after & 0xffffffff);
}

static int xsetbv_mode(bool cpl0)
{
	uint64_t v = arg_ul(2, 0), r;

	guest_printf("xsetbv: XCR0 <- 0x%llx at CPL%d\n", (unsigned long long)v, cpl0 ? 0 : 3);
	if (!cpl0) {
		xsetbv_cpl0(v);
		guest_printf("xsetbv: no exception\n");
		return 1;
	}
	r = guest_cpl0_call(xsetbv_then_check, v);
	guest_printf("xsetbv: no exception; XCR0 0x%llx, after an exit to fpvm 0x%llx\n",
		     (unsigned long long)(r >> 32), (unsigned long long)(r & 0xffffffff));
	return 1;
}

/* ---- CPU tables ---- */

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Zero the top-level page table and flush: the next fetch cannot be translated. */
static uint64_t smash_page_tables(uint64_t fill)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & ~0xfffULL);

	for (unsigned int i = 0; i < 512; i++)
		pml4[i] = fill;
	__asm__ volatile("mov %0, %%cr3" : : "r"(read_cr3()) : "memory");
	return 0;
}

static uint64_t smash_gdt(uint64_t arg)
{
	struct dtr gdtr;

	(void)arg;
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	memset((void *)(uintptr_t)gdtr.base, 0, gdtr.limit + 1U);
	/* Cached descriptors keep running; the return to CPL3 loads them. */
	return 0;
}

static uint64_t smash_idt(uint64_t arg)
{
	struct dtr idtr;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	memset((void *)(uintptr_t)idtr.base, (int)arg, idtr.limit + 1U);
	return 0;
}

static uint64_t empty_idt(uint64_t arg)
{
	struct dtr idtr = { 0, 0 };

	(void)arg;
	__asm__ volatile("lidt %0" : : "m"(idtr));
	return 0;
}

/* Push onto an unmapped stack at CPL0: #PF cannot be delivered, #DF (on its IST) can. */
static uint64_t bad_stack(uint64_t arg)
{
	(void)arg;
	__asm__ volatile("mov $0x800, %%rsp; pushq $0" ::: "memory");
	return 0;
}

/* RDMSR of an MSR no CPU has: KVM injects #GP. */
static uint64_t rdmsr_bogus(uint64_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"((uint32_t)msr));
	return ((uint64_t)hi << 32) | lo;
}

/* Execute from the MMIO hole: there is no memory to fetch instructions from. */
static void jump_to(uint64_t addr)
{
	__asm__ volatile("jmp *%0" : : "r"(addr));
}

static int survived(const char *what)
{
	guest_printf("%s: the guest survived\n", what);
	return 1;
}

static int m_smash_pt(void)
{
	guest_cpl0_call(smash_page_tables, 0);
	return survived("smash-pt");
}

static int m_garbage_pt(void)
{
	guest_cpl0_call(smash_page_tables, ~0ULL);
	return survived("garbage-pt");
}

static int m_smash_gdt(void)
{
	guest_cpl0_call(smash_gdt, 0);
	return survived("smash-gdt");
}

static int m_smash_idt(void)
{
	guest_cpl0_call(smash_idt, 0xff);
	__asm__ volatile("ud2");
	return survived("smash-idt");
}

static int m_triple_cpl3(void)
{
	guest_cpl0_call(empty_idt, 0);
	__asm__ volatile("ud2");
	return survived("triple-cpl3");
}

static int m_double_fault(void)
{
	guest_cpl0_call(bad_stack, 0);
	return survived("double-fault");
}

static int m_rdmsr_bogus(void)
{
	guest_cpl0_call(rdmsr_bogus, 0xdeadbeef);
	return survived("rdmsr-bogus");
}

static int m_io_cpl3(void)
{
	outb(PORT_UNUSED, 1);
	return survived("io-cpl3");
}

static int m_int_beyond_idt(void)
{
	__asm__ volatile("int $0x80");
	return survived("int-beyond-idt");
}

static int m_jump_mmio(void)
{
	jump_to(ram_low_top() + 0x100000);
	return survived("jump-mmio");
}

/* ---- vCPUs that never exit ---- */

static uint64_t cli_spin(uint64_t arg)
{
	(void)arg;
	__asm__ volatile("cli; 1: jmp 1b");
	return 0;
}

static uint64_t cli_hlt(uint64_t arg)
{
	(void)arg;
	__asm__ volatile("cli; hlt");
	return 0;
}

static uint64_t sti_hlt(uint64_t arg)
{
	(void)arg;
	__asm__ volatile("sti; hlt; cli");
	return 0;
}

static unsigned int busy;

static const char *mode(void)
{
	return guest_argc() > 1 ? guest_argv(1) : "";
}

/* What the other vCPUs do in exit-while-busy: each something that never ends. */
static void busy_forever(unsigned int cpu)
{
	__atomic_fetch_add(&busy, 1, __ATOMIC_SEQ_CST);
	switch (cpu % 4) {
	case 1:
		guest_cpl0_call(cli_spin, 0);
		break;
	case 2:
		guest_cpl0_call(flood_pio, ~0ULL);
		break;
	case 3:
		for (;;)
			mmio_read(ram_low_top() + 4096 * (cpu + 1), 4);
	default:
		for (;;)
			guest_cpu_relax();
	}
}

void guest_ap_main(void)
{
	unsigned int cpu = guest_vcpu_id();

	if (!strcmp(mode(), "exit-flood")) {
		exit_flood_vcpu();
	} else if (!strcmp(mode(), "exit-race")) {
		rendezvous();
		guest_exit((int)arg_ul(2, 42));
	} else if (!strcmp(mode(), "exit-while-busy")) {
		busy_forever(cpu);
	} else if (!strcmp(mode(), "cli-spin")) {
		guest_cpl0_call(cli_spin, 0);
	} else if (!strcmp(mode(), "halt-all")) {
		if (cpu % 2)
			guest_cpl0_call(sti_hlt, 0);
		guest_halt();
	} else if (!strcmp(mode(), "serial-forever")) {
		char line[256];

		memset(line, 'a' + (char)cpu, sizeof(line));
		for (;;)
			guest_write(line, sizeof(line));
	}
	__atomic_fetch_add(&spins, 1, __ATOMIC_SEQ_CST);
}

static int exit_while_busy(void)
{
	while (__atomic_load_n(&busy, __ATOMIC_SEQ_CST) + 1 < guest_nr_cpus())
		guest_cpu_relax();
	/* Give the busy vCPUs time to be deep in their loops. */
	for (uint64_t t = guest_rdtsc(); guest_rdtsc() - t < 100000000ULL;)
		guest_cpu_relax();
	guest_printf("exit-while-busy: vCPU 0 exits while %u vCPUs spin, flood and storm\n",
		     guest_nr_cpus() - 1);
	return 0;
}

static int serial_forever(void)
{
	char line[4096];

	memset(line, 'x', sizeof(line));
	for (;;)
		guest_write(line, sizeof(line));
	return 1;
}

static int m_xsetbv_cpl0(void)
{
	return xsetbv_mode(true);
}

static int m_xsetbv_cpl3(void)
{
	return xsetbv_mode(false);
}

static int m_string_exit(void)
{
	guest_cpl0_call(string_exit, arg_ul(2, 7));
	return 1;
}

static int m_string_forever(void)
{
	guest_cpl0_call(string_forever, 0);
	return 1;
}

static int m_cli_spin(void)
{
	guest_cpl0_call(cli_spin, 0);
	return 1;
}

static int m_halt_all(void)
{
	guest_cpl0_call(cli_hlt, 0);
	return 1;
}

static int m_exit_race(void)
{
	rendezvous();
	return (int)arg_ul(2, 42);
}

static const struct {
	const char *name;
	int (*fn)(void);
} modes[] = {
	{ "exit-flood", exit_flood },
	{ "mmio-storm", mmio_storm },
	{ "mmio-straddle", mmio_straddle },
	{ "string-io", string_io },
	{ "string-io-huge", string_io_huge },
	{ "string-exit", m_string_exit },
	{ "string-forever", m_string_forever },
	{ "dev-regs", dev_regs_mode },
	{ "exit-port", exit_port_mode },
	{ "exit-race", m_exit_race },
	{ "ctl-hostile", ctl_hostile },
	{ "ctl-flood", ctl_flood },
	{ "ctl-panic-garbage", ctl_panic_garbage },
	{ "ctl-exception-garbage", ctl_exception_garbage },
	{ "xrstor-garbage", xrstor_garbage },
	{ "xrstor-random", xrstor_random },
	{ "xsetbv-cpl0", m_xsetbv_cpl0 },
	{ "xsetbv-cpl3", m_xsetbv_cpl3 },
	{ "smash-pt", m_smash_pt },
	{ "garbage-pt", m_garbage_pt },
	{ "smash-gdt", m_smash_gdt },
	{ "smash-idt", m_smash_idt },
	{ "triple-cpl3", m_triple_cpl3 },
	{ "double-fault", m_double_fault },
	{ "rdmsr-bogus", m_rdmsr_bogus },
	{ "io-cpl3", m_io_cpl3 },
	{ "int-beyond-idt", m_int_beyond_idt },
	{ "jump-mmio", m_jump_mmio },
	{ "cli-spin", m_cli_spin },
	{ "halt-all", m_halt_all },
	{ "exit-while-busy", exit_while_busy },
	{ "serial-forever", serial_forever },
};

int guest_main(void)
{
	for (unsigned int i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode(), modes[i].name))
			return modes[i].fn();
	guest_printf("hostile: unknown mode '%s'\n", mode());
	return 2;
}
