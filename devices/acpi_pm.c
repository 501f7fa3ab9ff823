// SPDX-License-Identifier: MIT
/*
 * ACPI fixed hardware at the ports the FADT names (ACPI 6.5, 4.8.3):
 * the PM1a event block (PM1_STS, write 1 to clear, then PM1_EN), the PM1a
 * control block (SCI_EN, SLP_TYP, SLP_EN) and the power management timer,
 * a free-running 32-bit counter at 3.579545 MHz (4.8.3.3; TMR_VAL_EXT in
 * the FADT).  KVM has no PM timer in the kernel: it counts here from
 * CLOCK_MONOTONIC.  Nothing raises SCI: TMR_STS is never set, and the
 * only event is the wake from a sleep state (WAK_STS).
 */
#include <string.h>
#include <time.h>

#include "devices.h"

#define PM1_STS		0
#define PM1_EN		2
#define PM1_CNT		4
#define PM_TMR		8
#define PM1_EN_MASK	0x4721	/* TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE_DIS */
#define PM1_CNT_SLP_TYP	(7u << 10)
#define PM1_CNT_RW	(PM1_CNT_SLP_TYP | (1u << 1))	/* SLP_TYP, BM_RLD */

uint64_t acpi_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void acpi_pm_init(struct acpi_pm *pm, uint64_t (*now_ns)(void))
{
	*pm = (struct acpi_pm){ .now_ns = now_ns ? now_ns : acpi_monotonic_ns };
	pm->start_ns = pm->now_ns();
	pthread_mutex_init(&pm->lock, NULL);
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

uint32_t acpi_pm_timer(struct acpi_pm *pm)
{
	uint64_t t = pm->now_ns() - pm->start_ns;

	/* Split so the product cannot overflow: whole seconds, then the rest. */
	return (uint32_t)(t / 1000000000u * ACPI_PM_TIMER_HZ +
			  t % 1000000000u * ACPI_PM_TIMER_HZ / 1000000000u);
}

void acpi_pm_wake(struct acpi_pm *pm, uint16_t sts)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_WAK_STS | sts;
	pthread_mutex_unlock(&pm->lock);
}

uint16_t acpi_pm_enabled(struct acpi_pm *pm)
{
	uint16_t en;

	pthread_mutex_lock(&pm->lock);
	en = pm->en;
	pthread_mutex_unlock(&pm->lock);
	return en;
}

/* Registers may be read at any width and offset: the block as little-endian bytes. */
static int pm_read(void *dev, unsigned int cpu, uint64_t offset, void *data, unsigned int len)
{
	struct acpi_pm *pm = dev;
	uint8_t regs[ACPI_PM_LEN];
	uint16_t cnt;
	uint32_t tmr = acpi_pm_timer(pm);

	(void)cpu;
	memset(regs, 0xff, sizeof(regs));
	pthread_mutex_lock(&pm->lock);
	memcpy(regs + PM1_STS, &pm->sts, 2);
	memcpy(regs + PM1_EN, &pm->en, 2);
	/* SCI_EN reads 1: with no SMI_CMD the hardware is always in ACPI mode (4.8.2.5). */
	cnt = (uint16_t)((pm->cnt & PM1_CNT_RW) | ACPI_PM1_SCI_EN);
	pthread_mutex_unlock(&pm->lock);
	memcpy(regs + PM1_CNT, &cnt, 2);
	memcpy(regs + PM_TMR, &tmr, 4);
	memcpy(data, regs + offset, len);
	return 0;
}

/* The bytes of a @len-byte write at @offset that fall in the 16-bit register at @reg. */
static uint16_t reg_bytes(uint64_t offset, const uint8_t *data, unsigned int len, unsigned int reg,
			  uint16_t *mask)
{
	uint16_t v = 0;

	*mask = 0;
	for (unsigned int i = 0; i < len; i++) {
		uint64_t at = offset + i;

		if (at == reg || at == reg + 1u) {
			v |= (uint16_t)(data[i] << (8 * (at - reg)));
			*mask |= (uint16_t)(0xff << (8 * (at - reg)));
		}
	}
	return v;
}

static int pm_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		    unsigned int len)
{
	struct acpi_pm *pm = dev;
	uint16_t mask, v;
	int sleep = -1;

	pthread_mutex_lock(&pm->lock);
	v = reg_bytes(offset, data, len, PM1_STS, &mask);
	pm->sts &= (uint16_t)~(v & mask);	/* write 1 to clear */
	v = reg_bytes(offset, data, len, PM1_EN, &mask);
	pm->en = (uint16_t)((pm->en & ~mask) | (v & mask & PM1_EN_MASK));
	v = reg_bytes(offset, data, len, PM1_CNT, &mask);
	pm->cnt = (uint16_t)((pm->cnt & ~mask) | (v & mask & PM1_CNT_RW));
	/* SLP_EN (write-only) enters the sleep state SLP_TYP names (4.8.3.2.1). */
	if (v & mask & ACPI_PM1_SLP_EN)
		sleep = (pm->cnt & PM1_CNT_SLP_TYP) >> 10;
	pthread_mutex_unlock(&pm->lock);
	if (sleep >= 0 && pm->sleep)
		pm->sleep(pm->opaque, cpu, (unsigned int)sleep);
	return 0;
}

const struct bus_device_ops acpi_pm_ops = {
	.read = pm_read,
	.write = pm_write,
};
