// SPDX-License-Identifier: MIT
/*
 * A 32-bit Multiboot test kernel for the PC platform: finds the ACPI
 * tables as an OS does (the RSDP by scanning 0xe0000-0xfffff, then the
 * RSDT and XSDT), checks every checksum, that the MADT lists one enabled
 * LAPIC per CPU fw_cfg counts and the IOAPIC, that the PM timer advances
 * at 3.579545 MHz against the RTC's seconds, pc-testdev's scratch
 * registers and MMIO, an IRQ line through the IOAPIC into the LAPIC, the
 * PCI ports reading "no device", and the CMOS.  Exits 0 when every check
 * held.  With the argument "s3" it suspends to RAM with the RTC alarm as
 * the wake event; the real-mode code at the waking vector exits 0 when
 * PM1_STS says it woke.  "s5" powers off, "reset" writes the FADT's reset
 * register.
 */
#include "mb32.h"

#define WAKE_CODE	0x1000

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

struct sdt {
	char sig[4];
	uint32_t len;
	uint8_t rev, sum;
	char oem[6], table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static int same(const char *a, const char *b, int n)
{
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

static uint8_t sum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

static uint32_t fw_cfg_nb_cpus(void)
{
	outw(0x510, 0x05);
	return inb(0x511) | (uint32_t)inb(0x511) << 8;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static uint32_t bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/*
 * The RTC's next update, seen as its seconds register changing (polling
 * UIP could miss its 2 ms when the host is busy); returns the new value.
 */
static uint8_t rtc_next_second(void)
{
	uint8_t s = cmos(0), n;

	while ((n = cmos(0)) == s)
		;
	return n;
}

static const struct sdt *find_table(const struct sdt *rsdt, const char *sig)
{
	const uint32_t *e = (const uint32_t *)(rsdt + 1);

	for (uint32_t i = 0; i < (rsdt->len - sizeof(*rsdt)) / 4; i++)
		if (same(((const struct sdt *)e[i])->sig, sig, 4))
			return (const struct sdt *)e[i];
	return 0;
}

static const struct sdt *check_acpi(uint32_t *facs, uint16_t *pm)
{
	const uint8_t *rsdp = 0;
	const struct sdt *rsdt, *xsdt, *fadt, *madt, *dsdt;
	const uint8_t *p, *end;
	uint32_t cpus = fw_cfg_nb_cpus(), lapics = 0, ids = 0, ioapics = 0;
	int xsdt_same = 1;

	for (uint32_t a = 0xe0000; a < 0x100000 && !rsdp; a += 16)
		if (same((const char *)a, "RSD PTR ", 8))
			rsdp = (const uint8_t *)a;
	check(rsdp != 0, "RSDP found scanning 0xe0000-0xfffff");
	if (!rsdp)
		return 0;
	puts_("RSDP at ");
	put_hex((uint32_t)rsdp);
	puts_("\n");
	check(!sum(rsdp, 20) && !sum(rsdp, 36) && rsdp[15] == 2,
	      "RSDP revision 2, both checksums");
	rsdt = (const struct sdt *)*(const uint32_t *)(rsdp + 16);
	xsdt = (const struct sdt *)*(const uint32_t *)(rsdp + 24);
	check(same(rsdt->sig, "RSDT", 4) && !sum(rsdt, rsdt->len), "RSDT signature and checksum");
	check(same(xsdt->sig, "XSDT", 4) && !sum(xsdt, xsdt->len) &&
	      !*(const uint32_t *)(rsdp + 28), "XSDT signature and checksum, below 4 GiB");
	for (uint32_t i = 0; i < (xsdt->len - sizeof(*xsdt)) / 8; i++) {
		const uint32_t *x = (const uint32_t *)(xsdt + 1) + 2 * i;

		xsdt_same &= x[1] == 0 && x[0] == ((const uint32_t *)(rsdt + 1))[i];
	}
	check(xsdt_same && (xsdt->len - 36) / 8 == (rsdt->len - 36) / 4,
	      "XSDT lists the RSDT's tables");
	fadt = find_table(rsdt, "FACP");
	madt = find_table(rsdt, "APIC");
	check(fadt && !sum(fadt, fadt->len), "FADT (FACP) found, checksum");
	check(madt && !sum(madt, madt->len), "MADT (APIC) found, checksum");
	if (!fadt || !madt)
		return 0;
	*facs = ((const uint32_t *)fadt)[9];
	dsdt = (const struct sdt *)((const uint32_t *)fadt)[10];
	*pm = (uint16_t)((const uint32_t *)fadt)[19];	/* PM_TMR_BLK at offset 76 */
	check(same((const char *)*facs, "FACS", 4) && ((const uint32_t *)*facs)[1] == 64 &&
	      !(*facs & 63), "FACS: signature, 64 bytes, 64-byte aligned");
	check(same(dsdt->sig, "DSDT", 4) && !sum(dsdt, dsdt->len), "DSDT signature and checksum");
	check(*(const uint32_t *)((const uint8_t *)madt + 36) == 0xfee00000,
	      "MADT: LAPIC address 0xfee00000");
	p = (const uint8_t *)madt + 44;
	end = (const uint8_t *)madt + madt->len;
	for (; p < end && p[1]; p += p[1]) {
		if (p[0] == 0 && (*(const uint32_t *)(p + 4) & 1)) {
			lapics++;
			if (p[3] < 32)
				ids |= 1u << p[3];
		}
		if (p[0] == 1 && *(const uint32_t *)(p + 4) == 0xfec00000 &&
		    !*(const uint32_t *)(p + 8))
			ioapics++;
	}
	puts_("MADT: ");
	put_hex(lapics);
	puts_(" LAPICs, fw_cfg: ");
	put_hex(cpus);
	puts_(" CPUs\n");
	check(lapics == cpus && ids == (cpus >= 32 ? ~0u : (1u << cpus) - 1),
	      "MADT lists every CPU's LAPIC, enabled, IDs 0..n-1");
	check(ioapics == 1, "MADT lists the IOAPIC at 0xfec00000, GSI base 0");
	check((mmio_write(0xfec00000, 1), mmio_read(0xfec00010) & 0xff) == 0x11,
	      "the IOAPIC answers at its address (version 0x11)");
	return fadt;
}

/* A level-triggered IOAPIC pin, raised by pc-testdev, lands in the LAPIC's IRR. */
static void check_irq_line(void)
{
	const uint32_t pin = 14, vector = 0x40;

	mmio_write(0xfee000f0, 0x1ff);			/* LAPIC software-enabled */
	mmio_write(0xfec00000, 0x10 + 2 * pin + 1);
	mmio_write(0xfec00010, 0);			/* destination APIC 0 */
	mmio_write(0xfec00000, 0x10 + 2 * pin);
	mmio_write(0xfec00010, vector | (1u << 15));	/* fixed, level, unmasked */
	outb(0x2000 + pin, 1);
	check(mmio_read(0xfee00200 + (vector / 32) * 0x10) & (1u << (vector % 32)),
	      "pc-testdev IRQ line 14 reaches the LAPIC's IRR through the IOAPIC");
	mmio_write(0xfec00000, 0x10 + 2 * pin);
	check(mmio_read(0xfec00010) & (1u << 14), "... and sets the pin's remote IRR");
	outb(0x2000 + pin, 0);
	mmio_write(0xfec00010, 1u << 16);		/* masked again */
}

/* Real mode at the waking vector: exit 0 if PM1_STS has WAK_STS, else 3. */
extern const char wake_start[], wake_end[];
__asm__(".code16\n"
	"wake_start:\n"
	"	mov $0xb000, %dx\n"
	"	in %dx, %ax\n"
	"	test $0x8000, %ax\n"
	"	mov $0, %al\n"
	"	jnz 1f\n"
	"	mov $3, %al\n"
	"1:	out %al, $0xf4\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	"wake_end:\n"
	".code32\n");

static void suspend(const struct sdt *fadt, uint32_t facs)
{
	uint16_t evt = (uint16_t)((const uint32_t *)fadt)[14];
	uint16_t cnt = (uint16_t)((const uint32_t *)fadt)[16];
	char *dst = (char *)WAKE_CODE;

	((uint32_t *)facs)[3] = WAKE_CODE;		/* firmware waking vector */
	for (const char *s = wake_start; s < wake_end; s++)
		*dst++ = *s;
	outw(evt + 2, 1u << 10);			/* PM1_EN: RTC_EN */
	cmos(0x0c);
	cmos_write(1, 0xc0);				/* alarm: any second, minute, hour */
	cmos_write(3, 0xc0);
	cmos_write(5, 0xc0);
	cmos_write(0x0b, cmos(0x0b) | 0x20);		/* AIE */
	puts_("entering S3\n");
	outw(cnt, (1u << 13) | (1u << 10));	/* SLP_EN, SLP_TYP 1 (the DSDT's \_S3) */
	puts_("FAIL: still running after S3\n");
	outb(PORT_EXIT, 1);
}

void mb32_main(uint32_t magic, const struct mb_info *info);

void mb32_main(uint32_t magic, const struct mb_info *info)
{
	const char *c = (const char *)info->cmdline;
	uint32_t facs = 0, t1, t2, v;
	uint16_t pm = 0;
	const struct sdt *fadt = check_acpi(&facs, &pm);
	uint8_t s1, s2;
	uint32_t secs;

	(void)magic;
	for (; (info->flags & 4) && *c; c++) {
		if (same(c, " s3", 3) && fadt)
			suspend(fadt, facs);
		/* SLP_EN, SLP_TYP 0 (the DSDT's \_S5) */
		if (same(c, " s5", 3) && fadt)
			outw((uint16_t)((const uint32_t *)fadt)[16], 1u << 13);
		if (same(c, " reset", 6) && fadt)	/* the FADT's reset register and value */
			outb((uint16_t)*(const uint32_t *)((const uint8_t *)fadt + 120),
			     *((const uint8_t *)fadt + 128));
	}
	/* The PM timer against the RTC: one second is 3579545 ticks. */
	check(pm != 0, "FADT names a PM timer port");
	t1 = inl(pm);
	t2 = inl(pm);
	check(t2 != t1, "PM timer advances between two reads");
	check(inw((uint16_t)(pm - 4)) & 1, "PM1_CNT: SCI_EN set (always in ACPI mode)");
	s1 = rtc_next_second();
	t1 = inl(pm);
	s2 = rtc_next_second();
	t2 = inl(pm);
	secs = (bcd(s2) + 60 - bcd(s1)) % 60;	/* 1, unless this vCPU was held up */
	puts_("PM timer ticks in one RTC second: ");
	put_hex((t2 - t1) / (secs ? secs : 1));
	puts_("\n");
	check(secs && t2 - t1 > secs * 3579545 / 10 * 9 && t2 - t1 < secs * 3579545 / 10 * 11,
	      "PM timer runs at 3.579545 MHz (within 10% of an RTC second)");
	check((s1 & 0xf) <= 9 && s1 < 0x60 && (s2 & 0xf) <= 9 && s2 < 0x60,
	      "RTC seconds in BCD, advancing");
	check(cmos(0x0d) == 0x80 && (cmos(0x0b) & 0x02), "CMOS: VRT set, 24-hour mode");
	cmos_write(0x40, 0x5a);
	check(cmos(0x40) == 0x5a, "CMOS RAM reads back");
	/* pc-testdev: one 32-bit register, any width, any byte. */
	outl(0xe0, 0x12345678);
	check(inl(0xe0) == 0x12345678 && inb(0xe1) == 0x56, "pc-testdev 0xe0 reads back 32-bit");
	outw(0xe2, 0xabcd);
	check(inl(0xe0) == 0xabcd5678 && inw(0xe2) == 0xabcd, "pc-testdev 16-bit write at 0xe2");
	outb(0xe8, 0x11);
	check(inl(0xe0) == 0xabcd5611 && inb(0xeb) == 0xab, "pc-testdev byte port 0xe8");
	mmio_write(0xff000000 + 0x1234, 0xdeadbeef);
	check(mmio_read(0xff000000 + 0x1234) == 0xdeadbeef, "pc-testdev MMIO at 0xff000000");
	outl(0xe4, 0x200000);				/* flush a page; it stays usable */
	*(volatile uint32_t *)0x200000 = 7;
	check(*(volatile uint32_t *)0x200000 == 7, "page flush through 0xe4");
	check_irq_line();
	/* PCI: CONFIG_ADDRESS reads back, no device answers. */
	outl(0xcf8, 0x80000000);
	v = inl(0xcf8);
	check(v == 0x80000000 && inl(0xcfc) == 0xffffffff,
	      "PCI 0xcf8 reads back, 0xcfc reads all-ones (no device)");
	outb(PORT_EXIT, failures ? 1 : 0);
	for (;;)
		__asm__ volatile("hlt");
}
