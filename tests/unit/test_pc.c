// SPDX-License-Identifier: MIT
/*
 * The PC platform's devices: the ACPI tables, the PM registers and timer,
 * pc-testdev, the PCI ports and reset register, the RTC and CMOS.
 */
#include <errno.h>
#include <string.h>

#include "testutil.h"

static uint8_t io8(const struct bus_device_ops *ops, void *dev, uint64_t off)
{
	uint8_t v = 0;

	ops->read(dev, 0, off, &v, 1);
	return v;
}

static uint32_t rd(const struct bus_device_ops *ops, void *dev, uint64_t off, unsigned int len)
{
	uint32_t v = 0;

	ops->read(dev, 0, off, &v, len);
	return v;
}

static void wr(const struct bus_device_ops *ops, void *dev, uint64_t off, uint32_t v,
	       unsigned int len)
{
	ops->write(dev, 0, off, &v, len);
}

/* ---- ACPI tables ---- */

static uint8_t acpi_buf[ACPI_TABLES_MAX];

static const uint8_t *at(uint32_t gpa)
{
	return acpi_buf + (gpa - ACPI_TABLES_ADDR);
}

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void assert_table(uint32_t gpa, const char *sig)
{
	ck_assert_int_eq(memcmp(at(gpa), sig, 4), 0);
	ck_assert_uint_eq(acpi_checksum(at(gpa), get32(at(gpa) + 4)), 0);
}

START_TEST(acpi_tables_checksums_and_links)
{
	struct acpi_layout l;
	const uint8_t *rsdp, *fadt;

	ck_assert_int_eq(acpi_build(acpi_buf, sizeof(acpi_buf), ACPI_TABLES_ADDR,
				    &(struct acpi_config){ .nr_cpus = 2 }, &l), 0);
	/* The RSDP where a scan starts, 16-byte aligned, both checksums. */
	ck_assert_uint_eq(l.rsdp, ACPI_TABLES_ADDR);
	rsdp = at(l.rsdp);
	ck_assert_int_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
	ck_assert_uint_eq(rsdp[15], 2);
	ck_assert_uint_eq(acpi_checksum(rsdp, 20), 0);
	ck_assert_uint_eq(acpi_checksum(rsdp, 36), 0);
	ck_assert_uint_eq(get32(rsdp + 16), l.rsdt);
	ck_assert_uint_eq(get64(rsdp + 24), l.xsdt);
	assert_table(l.rsdt, "RSDT");
	assert_table(l.xsdt, "XSDT");
	assert_table(l.fadt, "FACP");
	assert_table(l.madt, "APIC");
	assert_table(l.dsdt, "DSDT");
	/* RSDT and XSDT list the FADT and the MADT. */
	ck_assert_uint_eq(get32(at(l.rsdt) + 4), 44);
	ck_assert_uint_eq(get32(at(l.rsdt) + 36), l.fadt);
	ck_assert_uint_eq(get32(at(l.rsdt) + 40), l.madt);
	ck_assert_uint_eq(get64(at(l.xsdt) + 36), l.fadt);
	ck_assert_uint_eq(get64(at(l.xsdt) + 44), l.madt);
	/* The FADT: FACS and DSDT, 32- and 64-bit, and fpvm's ports. */
	fadt = at(l.fadt);
	ck_assert_uint_eq(get32(fadt + 4), 276);
	ck_assert_uint_eq(get32(fadt + 36), l.facs);
	ck_assert_uint_eq(get32(fadt + 40), l.dsdt);
	ck_assert_uint_eq(get64(fadt + 132), l.facs);
	ck_assert_uint_eq(get64(fadt + 140), l.dsdt);
	ck_assert_uint_eq(get32(fadt + 56), ACPI_PM_BASE);
	ck_assert_uint_eq(get32(fadt + 64), ACPI_PM_BASE + 4);
	ck_assert_uint_eq(get32(fadt + 76), ACPI_PM_BASE + 8);
	ck_assert_uint_eq(fadt[91], 4);
	ck_assert(get32(fadt + 112) & (1u << 8));	/* TMR_VAL_EXT: 32 bits */
	ck_assert(get32(fadt + 112) & (1u << 10));	/* RESET_REG_SUP */
	ck_assert_uint_eq(fadt[116], 1);		/* reset register in I/O space */
	ck_assert_uint_eq(get64(fadt + 120), PCI_RESET_PORT);
	ck_assert_uint_eq(fadt[128], PCI_RESET_VALUE);
	ck_assert_uint_eq(get64(fadt + 208 + 4), ACPI_PM_BASE + 8);	/* X_PM_TMR_BLK */
	/* The FACS: 64 bytes, 64-byte aligned, no checksum. */
	ck_assert_uint_eq(l.facs % 64, 0);
	ck_assert_int_eq(memcmp(at(l.facs), "FACS", 4), 0);
	ck_assert_uint_eq(get32(at(l.facs) + 4), 64);
	/* The DSDT names \_S3 with SLP_TYP 1. */
	ck_assert_ptr_nonnull(memmem(at(l.dsdt), get32(at(l.dsdt) + 4), "_S3_\x12\x06\x04\x01", 8));
	ck_assert_uint_le(l.size, ACPI_TABLES_MAX);
}
END_TEST

/* The MADT's structures of @type, by type and length, as an OS walks them. */
static unsigned int madt_count(uint32_t madt, uint8_t type, uint32_t *ids)
{
	const uint8_t *p = at(madt) + 44, *end = at(madt) + get32(at(madt) + 4);
	unsigned int n = 0;

	for (; p < end; p += p[1]) {
		ck_assert_uint_ge(p[1], 2);
		if (p[0] != type)
			continue;
		if (ids)
			ids[n] = type == 0 ? p[3] : type == 1 ? p[2] : get32(p + 4);
		n++;
	}
	ck_assert(p == end);
	return n;
}

START_TEST(acpi_madt_lists_every_cpu)
{
	static uint32_t ids[1024];
	const unsigned int counts[] = { 1, 4, 255, 256, 1024 };

	for (unsigned int c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned int n = counts[c], xapic, x2apic;
		struct acpi_layout l;

		ck_assert_int_eq(acpi_build(acpi_buf, sizeof(acpi_buf), ACPI_TABLES_ADDR,
					    &(struct acpi_config){ .nr_cpus = n }, &l), 0);
		assert_table(l.madt, "APIC");
		ck_assert_uint_eq(get32(at(l.madt) + 36), LAPIC_ADDR);
		/* APIC IDs below 255 as Local APIC structures, the rest as Local x2APIC. */
		xapic = madt_count(l.madt, 0, ids);
		ck_assert_uint_eq(xapic, n < 255 ? n : 255);
		for (unsigned int i = 0; i < xapic; i++)
			ck_assert_uint_eq(ids[i], i);
		x2apic = madt_count(l.madt, 9, ids);
		ck_assert_uint_eq(x2apic, n - xapic);
		for (unsigned int i = 0; i < x2apic; i++)
			ck_assert_uint_eq(ids[i], 255 + i);
		ck_assert_uint_eq(madt_count(l.madt, 1, ids), 1);
		ck_assert_uint_eq(ids[0], 0);	/* IOAPIC ID 0 */
		ck_assert_uint_eq(madt_count(l.madt, 2, NULL), 1);	/* SCI's override */
	}
}
END_TEST

START_TEST(acpi_too_small)
{
	struct acpi_layout l;

	ck_assert_int_eq(acpi_build(acpi_buf, 200, ACPI_TABLES_ADDR,
				    &(struct acpi_config){ .nr_cpus = 1 }, &l), -ENOSPC);
	ck_assert_int_eq(acpi_build(acpi_buf, 1024, ACPI_TABLES_ADDR,
				    &(struct acpi_config){ .nr_cpus = 1024 }, &l), -ENOSPC);
}
END_TEST

/* ---- PM registers and timer ---- */

static uint64_t fake_ns;
static uint64_t fake_clock(void) { return fake_ns; }
static unsigned int slept, slept_typ;

static void on_sleep(void *opaque, unsigned int cpu, unsigned int typ)
{
	(void)opaque;
	(void)cpu;
	slept++;
	slept_typ = typ;
}

START_TEST(pm_timer_counts_at_3579545_hz)
{
	struct acpi_pm pm;

	fake_ns = 5000000000ull;
	acpi_pm_init(&pm, fake_clock);
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 8, 4), 0);
	fake_ns += 1000000000ull;
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 8, 4), 3579545);
	fake_ns += 500000000ull;
	ck_assert_uint_eq(acpi_pm_timer(&pm), 3579545 + 1789772);
	/* 32 bits wrap after 2^32 / 3579545 s = 1199.57 s; no overflow on the way. */
	fake_ns = 5000000000ull + 1200ull * 1000000000ull;
	ck_assert_uint_eq(acpi_pm_timer(&pm), (uint32_t)(1200ull * 3579545));
	acpi_pm_destroy(&pm);
}
END_TEST

START_TEST(pm1_registers)
{
	struct acpi_pm pm;

	acpi_pm_init(&pm, fake_clock);
	pm.sleep = on_sleep;
	slept = 0;
	/* SCI_EN reads 1, SLP_EN never. */
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 4, 2), ACPI_PM1_SCI_EN);
	wr(&acpi_pm_ops, &pm, 2, ACPI_PM1_RTC_EN | 0x8000, 2);	/* bit 15 is reserved */
	ck_assert_uint_eq(acpi_pm_enabled(&pm), ACPI_PM1_RTC_EN);
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 0, 4), (uint32_t)ACPI_PM1_RTC_EN << 16);
	/* Status bits: set by a wake, cleared by writing 1. */
	acpi_pm_wake(&pm, ACPI_PM1_RTC_STS);
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 0, 2), ACPI_PM1_WAK_STS | ACPI_PM1_RTC_STS);
	wr(&acpi_pm_ops, &pm, 0, ACPI_PM1_RTC_STS, 2);
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 0, 2), ACPI_PM1_WAK_STS);
	wr(&acpi_pm_ops, &pm, 1, 0x80, 1);			/* the high byte alone */
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 0, 2), 0);
	/* SLP_TYP without SLP_EN only sets the type; SLP_EN sleeps, as s3.c writes it. */
	wr(&acpi_pm_ops, &pm, 4, 1u << 10, 2);
	ck_assert_uint_eq(slept, 0);
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 4, 2), (1u << 10) | ACPI_PM1_SCI_EN);
	wr(&acpi_pm_ops, &pm, 4, 0x2400, 2);
	ck_assert_uint_eq(slept, 1);
	ck_assert_uint_eq(slept_typ, ACPI_SLP_TYP_S3);
	ck_assert_uint_eq(rd(&acpi_pm_ops, &pm, 4, 2) & ACPI_PM1_SLP_EN, 0);
	wr(&acpi_pm_ops, &pm, 5, 0x20, 1);			/* SLP_EN, SLP_TYP 0: S5 */
	ck_assert_uint_eq(slept, 2);
	ck_assert_uint_eq(slept_typ, ACPI_SLP_TYP_S5);
	acpi_pm_destroy(&pm);
}
END_TEST

/* ---- pc-testdev ---- */

static unsigned int irq_line, irq_calls;
static int irq_level;
static uint64_t flushed;

static void on_irq(void *opaque, unsigned int line, int level)
{
	(void)opaque;
	irq_line = line;
	irq_level = level;
	irq_calls++;
}

static void on_flush(void *opaque, uint64_t gpa)
{
	(void)opaque;
	flushed = gpa;
}

START_TEST(testdev_scratch_irq_flush_iomem)
{
	struct pc_testdev td;

	ck_assert_int_eq(pc_testdev_init(&td), 0);
	td.set_irq = on_irq;
	td.flush_page = on_flush;
	/* One 32-bit register: any width at any byte reads back what was written. */
	wr(&pc_testdev_ops, &td, 0, 0x12345678, 4);
	ck_assert_uint_eq(rd(&pc_testdev_ops, &td, 0, 4), 0x12345678);
	ck_assert_uint_eq(rd(&pc_testdev_ops, &td, 2, 2), 0x1234);
	ck_assert_uint_eq(io8(&pc_testdev_ops, &td, 1), 0x56);
	wr(&pc_testdev_ops, &td, 3, 0xab, 1);
	ck_assert_uint_eq(rd(&pc_testdev_ops, &td, 0, 4), 0xab345678);
	/* ... and byte-wise at 0xe8. */
	wr(&pc_testdev_ops, &td, 8, 0xcd, 1);
	ck_assert_uint_eq(rd(&pc_testdev_ops, &td, 0, 4), 0xab3456cd);
	ck_assert_uint_eq(io8(&pc_testdev_ops, &td, 11), 0xab);
	/* The flush port takes a dword address and reads as nothing. */
	wr(&pc_testdev_ops, &td, 4, 0x123456, 4);
	ck_assert_uint_eq(flushed, 0x123000);
	ck_assert_uint_eq(rd(&pc_testdev_ops, &td, 4, 4), 0xffffffff);
	ck_assert_uint_eq(rd(&pc_testdev_ops, &td, 0, 4), 0xab3456cd);
	/* IRQ lines: byte writes of the level's low bit, line = port - 0x2000. */
	irq_calls = 0;
	wr(&pc_testdev_irq_ops, &td, 14, 3, 1);
	ck_assert_uint_eq(irq_line, 14);
	ck_assert_int_eq(irq_level, 1);
	wr(&pc_testdev_irq_ops, &td, 14, 0, 1);
	ck_assert_int_eq(irq_level, 0);
	wr(&pc_testdev_irq_ops, &td, 2, 1, 2);	/* not a byte: ignored */
	ck_assert_uint_eq(irq_calls, 2);
	/* 64 KiB of MMIO scratch. */
	wr(&pc_testdev_iomem_ops, &td, TESTDEV_IOMEM_LEN - 4, 0xdeadbeef, 4);
	ck_assert_uint_eq(rd(&pc_testdev_iomem_ops, &td, TESTDEV_IOMEM_LEN - 4, 4), 0xdeadbeef);
	ck_assert_uint_eq(rd(&pc_testdev_iomem_ops, &td, TESTDEV_IOMEM_LEN - 2, 2), 0xdead);
	pc_testdev_destroy(&td);
	pc_testdev_destroy(&td);	/* twice is harmless */
}
END_TEST

/* ---- PCI ports and reset ---- */

static unsigned int resets;

static void on_reset(void *opaque, unsigned int cpu)
{
	(void)opaque;
	(void)cpu;
	resets++;
}

START_TEST(pci_no_device_and_reset)
{
	struct pci_host ph;

	pci_host_init(&ph);
	ph.reset = on_reset;
	resets = 0;
	/* CONFIG_ADDRESS: dword only, reserved bits read 0. */
	wr(&pci_host_ops, &ph, 0, 0xffffffff, 4);
	ck_assert_uint_eq(rd(&pci_host_ops, &ph, 0, 4), 0x80fffffc);
	wr(&pci_host_ops, &ph, 0, 0x80000000, 4);
	ck_assert_uint_eq(rd(&pci_host_ops, &ph, 0, 4), 0x80000000);
	/* No device: every data read is all-ones, writes change nothing. */
	for (unsigned int len = 1; len <= 4; len *= 2)
		ck_assert_uint_eq(rd(&pci_host_ops, &ph, 4, len), len == 4 ? 0xffffffff :
								   (1u << (8 * len)) - 1);
	wr(&pci_host_ops, &ph, 4, 0, 4);
	ck_assert_uint_eq(rd(&pci_host_ops, &ph, 4, 4), 0xffffffff);
	/* 0xcf9: RST_CPU going 0 -> 1 resets; a dword at 0xcf8 never does. */
	ck_assert_uint_eq(resets, 0);
	wr(&pci_host_ops, &ph, 1, 0x02, 1);
	ck_assert_uint_eq(resets, 0);
	ck_assert_uint_eq(io8(&pci_host_ops, &ph, 1), 0x02);
	wr(&pci_host_ops, &ph, 1, PCI_RESET_VALUE, 1);
	ck_assert_uint_eq(resets, 1);
	wr(&pci_host_ops, &ph, 1, PCI_RESET_VALUE, 1);	/* no edge */
	ck_assert_uint_eq(resets, 1);
	pci_host_destroy(&ph);
}
END_TEST

/* ---- RTC and CMOS ---- */

#define T0	1709214356ull	/* 2024-02-29 13:45:56 UTC, a Thursday */
#define NS	1000000000ull

static uint8_t cmos_rd(struct rtc_cmos *rtc, uint8_t reg)
{
	wr(&rtc_cmos_ops, rtc, 0, reg, 1);
	return io8(&rtc_cmos_ops, rtc, 1);
}

static void cmos_wr(struct rtc_cmos *rtc, uint8_t reg, uint8_t v)
{
	wr(&rtc_cmos_ops, rtc, 0, reg, 1);
	wr(&rtc_cmos_ops, rtc, 1, v, 1);
}

START_TEST(rtc_time_formats)
{
	static const uint8_t bcd[] = { [0] = 0x56, [2] = 0x45, [4] = 0x13, [6] = 5, [7] = 0x29,
				       [8] = 0x02, [9] = 0x24 };
	struct rtc_cmos rtc;

	fake_ns = T0 * NS + 100;
	rtc_cmos_init(&rtc, fake_clock);
	for (uint8_t r = 0; r <= 9; r++)
		if (r == 0 || r == 2 || r >= 4) {
			if (r == 5)
				continue;
			ck_assert_uint_eq(cmos_rd(&rtc, r), bcd[r]);
		}
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_CENTURY), 0x20);
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_D), 0x80);
	/* Binary, then 12-hour: 13 h is 1 PM. */
	cmos_wr(&rtc, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	ck_assert_uint_eq(cmos_rd(&rtc, 0), 56);
	ck_assert_uint_eq(cmos_rd(&rtc, 9), 24);
	cmos_wr(&rtc, RTC_REG_B, 0);
	ck_assert_uint_eq(cmos_rd(&rtc, 4), 0x81);
	/* The time is the host's: writes to it are ignored; RAM reads back. */
	cmos_wr(&rtc, 0, 0x11);
	ck_assert_uint_eq(cmos_rd(&rtc, 0), 0x56);
	cmos_wr(&rtc, 0x40, 0xa5);
	ck_assert_uint_eq(cmos_rd(&rtc, 0x40), 0xa5);
	/* The NMI mask bit of the index is not part of it. */
	wr(&rtc_cmos_ops, &rtc, 0, 0x80 | 0x40, 1);
	ck_assert_uint_eq(io8(&rtc_cmos_ops, &rtc, 1), 0xa5);
	/* 1970-01-01 and 2000-02-29 */
	fake_ns = 0;
	ck_assert_uint_eq(cmos_rd(&rtc, 7), 0x01);
	ck_assert_uint_eq(cmos_rd(&rtc, 6), 5);
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_CENTURY), 0x19);
	fake_ns = 951782400ull * NS;
	ck_assert_uint_eq(cmos_rd(&rtc, 8), 0x02);
	ck_assert_uint_eq(cmos_rd(&rtc, 7), 0x29);
	rtc_cmos_destroy(&rtc);
}
END_TEST

START_TEST(rtc_uip_flags_and_alarm)
{
	struct rtc_cmos rtc;

	fake_ns = T0 * NS;
	rtc_cmos_init(&rtc, fake_clock);
	/* UIP: the last 244 + 1984 us of each second, unless SET holds the clock. */
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_A), 0x26);
	fake_ns = T0 * NS + NS - 2228000;
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_A), 0x26 | RTC_A_UIP);
	cmos_wr(&rtc, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_A), 0x26);
	cmos_wr(&rtc, RTC_REG_B, RTC_B_24H);
	cmos_wr(&rtc, RTC_REG_A, 0xff);			/* UIP is read-only */
	fake_ns = T0 * NS + NS - 2228001;
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_A), 0x7f);
	/* Register C: UF after an update, cleared by the read. */
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_C), 0);
	fake_ns = (T0 + 1) * NS;
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_C), RTC_C_UF);
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_C), 0);
	/* The alarm: no wake without AIE; with don't-care bytes, the next second. */
	cmos_wr(&rtc, 1, 0xc0);
	cmos_wr(&rtc, 3, 0xc0);
	cmos_wr(&rtc, 5, 0xc0);
	ck_assert_uint_eq(rtc_cmos_next_alarm(&rtc, fake_ns), 0);
	cmos_wr(&rtc, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	ck_assert_uint_eq(rtc_cmos_next_alarm(&rtc, fake_ns + 5), (T0 + 2) * NS);
	/* 13:46:10 BCD: 13 s after T0 + 1 (13:45:57). */
	cmos_wr(&rtc, 1, 0x10);
	cmos_wr(&rtc, 3, 0x46);
	cmos_wr(&rtc, 5, 0x13);
	ck_assert_uint_eq(rtc_cmos_next_alarm(&rtc, fake_ns), (T0 + 14) * NS);
	fake_ns = (T0 + 20) * NS;
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_C), RTC_C_UF | RTC_C_AF | RTC_C_IRQF);
	rtc_cmos_alarm_fired(&rtc);
	ck_assert_uint_eq(cmos_rd(&rtc, RTC_REG_C), RTC_C_AF | RTC_C_IRQF);
	rtc_cmos_destroy(&rtc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pc");
	TCase *acpi = tcase_create("acpi"), *pm = tcase_create("acpi-pm"),
	      *td = tcase_create("pc-testdev"), *pci = tcase_create("pci-host"),
	      *rtc = tcase_create("rtc-cmos");

	tcase_add_test(acpi, acpi_tables_checksums_and_links);
	tcase_add_test(acpi, acpi_madt_lists_every_cpu);
	tcase_add_test(acpi, acpi_too_small);
	tcase_add_test(pm, pm_timer_counts_at_3579545_hz);
	tcase_add_test(pm, pm1_registers);
	tcase_add_test(td, testdev_scratch_irq_flush_iomem);
	tcase_add_test(pci, pci_no_device_and_reset);
	tcase_add_test(rtc, rtc_time_formats);
	tcase_add_test(rtc, rtc_uip_flags_and_alarm);
	suite_add_tcase(s, acpi);
	suite_add_tcase(s, pm);
	suite_add_tcase(s, td);
	suite_add_tcase(s, pci);
	suite_add_tcase(s, rtc);
	return run_suite(s);
}
