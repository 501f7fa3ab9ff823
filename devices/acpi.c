// SPDX-License-Identifier: MIT
/*
 * ACPI tables for the PC platform, written the way firmware leaves them
 * (ACPI Specification 6.5, chapter 5.2): an RSDP that the OS finds by
 * scanning 0xe0000-0xfffff on 16-byte boundaries (5.2.5.1), an RSDT and
 * an XSDT that list the FADT and the MADT, the FADT pointing to the FACS
 * and a DSDT, and the MADT listing every vCPU's LAPIC and the IOAPIC.
 * Pure: the tables go into a buffer that will lie at a given address.
 */
#include <errno.h>
#include <string.h>

#include "devices.h"

#define OEM_ID		"FPVM  "
#define OEM_TABLE_ID	"FPVMACPI"

struct builder {
	uint8_t *buf;
	uint32_t size, used, base;
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* @len zeroed bytes aligned to @align at guest-physical *@gpa; NULL when they do not fit. */
static uint8_t *reserve(struct builder *b, uint32_t len, uint32_t align, uint32_t *gpa)
{
	uint32_t at = (b->used + align - 1) & ~(align - 1);

	if (at > b->size || len > b->size - at)
		return NULL;
	b->used = at + len;
	*gpa = b->base + at;
	return memset(b->buf + at, 0, len);
}

/* The system description table header (5.2.6), checksummed by finish(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, 1);		/* OEM revision */
	memcpy(t + 28, "FPVM", 4);	/* creator ID */
	put32(t + 32, 1);		/* creator revision */
}

static void finish(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = (uint8_t)-acpi_checksum(t, len);
}

/* A Generic Address Structure (5.2.3.2) in system I/O space (ID 1). */
static void gas_io(uint8_t *p, uint8_t bits, uint8_t access_size, uint64_t port)
{
	p[0] = 1;
	p[1] = bits;
	p[2] = 0;
	p[3] = access_size;	/* 1 byte, 2 word, 3 dword */
	put64(p + 4, port);
}

/*
 * The DSDT's only content: the SLP_TYP values the sleep states take
 * (7.4.2 "\_Sx (System States)"), Name(_S3_, Package(4){1, 1, 0, 0}) and
 * Name(_S5_, Package(4){0, 0, 0, 0}), in AML (20.2.5: NameOp 0x08,
 * PackageOp 0x12, a one-byte PkgLength counting itself, NumElements,
 * then ZeroOp 0x00 / OneOp 0x01).
 */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, ACPI_SLP_TYP_S3, ACPI_SLP_TYP_S3, 0x00, 0x00,
	0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, ACPI_SLP_TYP_S5, ACPI_SLP_TYP_S5, 0x00, 0x00,
};

/* FADT (5.2.9, Table 5.9): fixed hardware at fpvm's ports; revision 6.5. */
static uint32_t build_fadt(struct builder *b, uint32_t facs, uint32_t dsdt)
{
	uint32_t gpa;
	uint8_t *t = reserve(b, 276, 16, &gpa);

	if (!t)
		return 0;
	header(t, "FACP", 276, 6);
	put32(t + 36, facs);
	put32(t + 40, dsdt);
	put16(t + 46, ACPI_SCI_IRQ);
	/* SMI_CMD 0: no SMM, the hardware is in ACPI mode from the start (SCI_EN set). */
	put32(t + 56, ACPI_PM_BASE);		/* PM1a_EVT_BLK: status, enable */
	put32(t + 64, ACPI_PM_BASE + 4);	/* PM1a_CNT_BLK */
	put32(t + 76, ACPI_PM_BASE + 8);	/* PM_TMR_BLK */
	t[88] = 4;				/* PM1_EVT_LEN */
	t[89] = 2;				/* PM1_CNT_LEN */
	t[91] = 4;				/* PM_TMR_LEN */
	put16(t + 96, 101);			/* P_LVL2_LAT > 100: no C2 */
	put16(t + 98, 1001);			/* P_LVL3_LAT > 1000: no C3 */
	t[108] = RTC_CENTURY;			/* CENTURY: the CMOS index */
	/* IAPC_BOOT_ARCH (5.2.9.3): LEGACY_DEVICES, VGA not present, MSI not supported. */
	put16(t + 109, (1u << 0) | (1u << 2) | (1u << 3));
	/*
	 * Flags (Table 5.10): WBINVD, PROC_C1, no fixed power or sleep button,
	 * TMR_VAL_EXT (a 32-bit PM timer), RESET_REG_SUP, HEADLESS.
	 */
	put32(t + 112, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 10) |
			       (1u << 12));
	gas_io(t + 116, 8, 1, PCI_RESET_PORT);	/* RESET_REG */
	t[128] = PCI_RESET_VALUE;
	t[131] = 5;				/* FADT minor version */
	put64(t + 132, facs);			/* X_FIRMWARE_CTRL */
	put64(t + 140, dsdt);			/* X_DSDT */
	gas_io(t + 148, 32, 2, ACPI_PM_BASE);	/* X_PM1a_EVT_BLK */
	gas_io(t + 172, 16, 2, ACPI_PM_BASE + 4);	/* X_PM1a_CNT_BLK */
	gas_io(t + 208, 32, 3, ACPI_PM_BASE + 8);	/* X_PM_TMR_BLK */
	memcpy(t + 268, "FPVM\0\0\0\0", 8);	/* hypervisor vendor identity */
	finish(t);
	return gpa;
}

/*
 * MADT (5.2.12): the LAPIC address with PCAT_COMPAT (dual 8259s), a
 * Processor Local APIC (5.2.12.2) per vCPU, or a Local x2APIC (5.2.12.12)
 * for an APIC ID above 254; the IOAPIC (5.2.12.3) with GSIs from 0; SCI's
 * Interrupt Source Override (5.2.12.5: level, active high, as SCI must be
 * level); and LINT1 as NMI on every processor (5.2.12.7).  ISA IRQs are
 * otherwise identity-mapped, as KVM's default GSI routing has them.
 */
static uint32_t build_madt(struct builder *b, const struct acpi_config *cfg)
{
	uint32_t gpa, len = 44 + 12 + 10 + 6;
	uint8_t *t, *p;

	for (unsigned int i = 0; i < cfg->nr_cpus; i++)
		len += i < 255 ? 8 : 16;
	t = reserve(b, len, 16, &gpa);
	if (!t)
		return 0;
	header(t, "APIC", len, 5);
	put32(t + 36, LAPIC_ADDR);
	put32(t + 40, 1);
	p = t + 44;
	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		if (i < 255) {
			p[0] = 0, p[1] = 8, p[2] = (uint8_t)i, p[3] = (uint8_t)i;
			put32(p + 4, 1);	/* enabled */
			p += 8;
		} else {
			p[0] = 9, p[1] = 16;
			put32(p + 4, i);
			put32(p + 8, 1);
			put32(p + 12, i);
			p += 16;
		}
	}
	p[0] = 1, p[1] = 12, p[2] = 0;		/* IOAPIC ID 0, KVM's reset value */
	put32(p + 4, IOAPIC_ADDR);
	put32(p + 8, 0);
	p += 12;
	p[0] = 2, p[1] = 10, p[2] = 0, p[3] = ACPI_SCI_IRQ;
	put32(p + 4, ACPI_SCI_IRQ);
	put16(p + 8, 0x000d);			/* polarity 01 active high, trigger 11 level */
	p += 10;
	p[0] = 4, p[1] = 6, p[2] = 0xff;	/* every processor */
	put16(p + 3, 0);
	p[5] = 1;				/* LINT1 */
	finish(t);
	return gpa;
}

int acpi_build(void *buf, uint32_t size, uint32_t base, const struct acpi_config *cfg,
	       struct acpi_layout *out)
{
	struct builder b = { .buf = buf, .size = size, .base = base };
	uint8_t *rsdp, *facs, *dsdt, *rsdt, *xsdt;
	struct acpi_layout l;

	/* The RSDP first, 16-byte aligned (5.2.5.1), where a scan meets it at once. */
	rsdp = reserve(&b, 36, 16, &l.rsdp);
	/* The FACS must be 64-byte aligned (5.2.10); no checksum; version 2. */
	facs = reserve(&b, 64, 64, &l.facs);
	dsdt = reserve(&b, 36 + sizeof(dsdt_aml), 16, &l.dsdt);
	if (!rsdp || !facs || !dsdt)
		return -ENOSPC;
	memcpy(facs, "FACS", 4);
	put32(facs + 4, 64);
	facs[32] = 2;
	header(dsdt, "DSDT", 36 + sizeof(dsdt_aml), 2);
	memcpy(dsdt + 36, dsdt_aml, sizeof(dsdt_aml));
	finish(dsdt);
	l.fadt = build_fadt(&b, l.facs, l.dsdt);
	l.madt = build_madt(&b, cfg);
	/* RSDT (5.2.7) with 32-bit, XSDT (5.2.8) with 64-bit entries. */
	rsdt = reserve(&b, 36 + 2 * 4, 16, &l.rsdt);
	xsdt = reserve(&b, 36 + 2 * 8, 16, &l.xsdt);
	if (!l.fadt || !l.madt || !rsdt || !xsdt)
		return -ENOSPC;
	header(rsdt, "RSDT", 36 + 2 * 4, 1);
	put32(rsdt + 36, l.fadt);
	put32(rsdt + 40, l.madt);
	finish(rsdt);
	header(xsdt, "XSDT", 36 + 2 * 8, 1);
	put64(xsdt + 36, l.fadt);
	put64(xsdt + 44, l.madt);
	finish(xsdt);
	/* RSDP (5.2.5.3): revision 2; checksum of the first 20 bytes, then of all 36. */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, OEM_ID, 6);
	rsdp[15] = 2;
	put32(rsdp + 16, l.rsdt);
	put32(rsdp + 20, 36);
	put64(rsdp + 24, l.xsdt);
	rsdp[8] = (uint8_t)-acpi_checksum(rsdp, 20);
	rsdp[32] = (uint8_t)-acpi_checksum(rsdp, 36);
	l.size = b.used;
	if (out)
		*out = l;
	return 0;
}
