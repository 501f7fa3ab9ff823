// SPDX-License-Identifier: MIT
/*
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0,
 * 3.2.2.3.2) with no device on any bus: a dword write to 0xcf8 sets
 * CONFIG_ADDRESS (bits 30-24 and 1-0 read as 0) and reads back; the data
 * port 0xcfc-0xcff reads all-ones, as a read that no device claims ends
 * in master abort, and ignores writes.  So a scan (kvm-unit-tests'
 * lib/pci.c, vendor ID 0xffff) finds nothing, instead of hanging.
 *
 * 0xcf9 is the chipset's reset control register (Intel PIIX3/ICH
 * RST_CNT, the FADT's reset register): only byte accesses reach it, and
 * RST_CPU (bit 2) going from 0 to 1 resets the system.
 */
#include <string.h>

#include "devices.h"

#define CONFIG_ADDRESS_MASK	0x80fffffcu
#define RST_CNT_OFFSET		1
#define RST_CNT_MASK		0x0eu	/* SYS_RST, RST_CPU, FULL_RST */
#define RST_CPU			0x04u

void pci_host_init(struct pci_host *ph)
{
	*ph = (struct pci_host){ 0 };
	pthread_mutex_init(&ph->lock, NULL);
}

void pci_host_destroy(struct pci_host *ph)
{
	pthread_mutex_destroy(&ph->lock);
}

static int pci_read(void *dev, unsigned int cpu, uint64_t offset, void *data, unsigned int len)
{
	struct pci_host *ph = dev;

	(void)cpu;
	memset(data, 0xff, len);
	pthread_mutex_lock(&ph->lock);
	if (offset == 0 && len == 4)
		memcpy(data, &ph->address, 4);
	else if (offset == RST_CNT_OFFSET && len == 1)
		*(uint8_t *)data = ph->rst_cnt;
	pthread_mutex_unlock(&ph->lock);
	return 0;
}

static int pci_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		     unsigned int len)
{
	struct pci_host *ph = dev;
	bool reset = false;
	uint32_t v = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	pthread_mutex_lock(&ph->lock);
	if (offset == 0 && len == 4) {
		ph->address = v & CONFIG_ADDRESS_MASK;
	} else if (offset == RST_CNT_OFFSET && len == 1) {
		reset = !(ph->rst_cnt & RST_CPU) && (v & RST_CPU);
		ph->rst_cnt = (uint8_t)(v & RST_CNT_MASK);
	}
	pthread_mutex_unlock(&ph->lock);
	if (reset && ph->reset)
		ph->reset(ph->opaque, cpu);
	return 0;
}

const struct bus_device_ops pci_host_ops = {
	.read = pci_read,
	.write = pci_write,
};
