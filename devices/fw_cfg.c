// SPDX-License-Identifier: MIT
/*
 * QEMU's fw_cfg interface, port I/O flavour (QEMU's docs/specs/fw_cfg.rst):
 * a 16-bit write of a key to the selector port (0x510) picks an item, and
 * byte reads from the data port (0x511) stream it, little-endian, zeros
 * past its end.  Only the numeric items a test kernel's library reads:
 * the signature, CPU counts and RAM size (kvm-unit-tests' lib/x86/fwcfg.c).
 */
#include <string.h>

#include "devices.h"

#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f

/* The selected item's bytes, or 0 bytes for a key fpvm does not serve. */
static unsigned int item(const struct fw_cfg *fc, uint8_t out[8])
{
	uint64_t v;

	switch (fc->selector) {
	case FW_CFG_SIGNATURE:
		memcpy(out, "QEMU", 4);
		return 4;
	case FW_CFG_ID:
		v = 1;	/* traditional interface only: no DMA */
		memcpy(out, &v, 4);
		return 4;
	case FW_CFG_RAM_SIZE:
		memcpy(out, &fc->ram_size, 8);
		return 8;
	case FW_CFG_NB_CPUS:
		memcpy(out, &fc->nr_cpus, 2);
		return 2;
	case FW_CFG_MAX_CPUS:
		memcpy(out, &fc->max_cpus, 2);
		return 2;
	}
	return 0;
}

static int fw_cfg_read(void *dev, unsigned int cpu, uint64_t offset, void *data, unsigned int len)
{
	struct fw_cfg *fc = dev;
	uint8_t bytes[8] = { 0 };
	unsigned int n;

	(void)cpu;
	memset(data, 0, len);
	if (offset != FW_CFG_PORT_DATA - FW_CFG_PORT_SELECTOR)
		return 0;
	pthread_mutex_lock(&fc->lock);
	n = item(fc, bytes);
	/* The data port is 8 bits wide: wider reads get one byte, as on QEMU. */
	if (fc->offset < n)
		*(uint8_t *)data = bytes[fc->offset];
	if (fc->offset < 0xffff)
		fc->offset++;
	pthread_mutex_unlock(&fc->lock);
	return 0;
}

static int fw_cfg_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
			unsigned int len)
{
	struct fw_cfg *fc = dev;
	uint16_t key = 0;

	(void)cpu;
	if (offset || len < 2)
		return 0;	/* writes to the data port are ignored, as QEMU does since 2.4 */
	memcpy(&key, data, sizeof(key));
	pthread_mutex_lock(&fc->lock);
	fc->selector = key;
	fc->offset = 0;
	pthread_mutex_unlock(&fc->lock);
	return 0;
}

void fw_cfg_init(struct fw_cfg *fc, uint64_t ram_size, unsigned int nr_cpus,
		 unsigned int max_cpus)
{
	*fc = (struct fw_cfg){
		.ram_size = ram_size, .nr_cpus = (uint16_t)nr_cpus, .max_cpus = (uint16_t)max_cpus,
	};
	pthread_mutex_init(&fc->lock, NULL);
}

void fw_cfg_destroy(struct fw_cfg *fc)
{
	pthread_mutex_destroy(&fc->lock);
}

const struct bus_device_ops fw_cfg_ops = {
	.read = fw_cfg_read,
	.write = fw_cfg_write,
};
