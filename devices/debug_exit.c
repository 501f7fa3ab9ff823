// SPDX-License-Identifier: MIT
/*
 * isa-debug-exit compatible device: QEMU's takes a write of any width and
 * exits; so does this one.  Reads return all-ones like an empty ISA slot.
 */
#include <string.h>

#include "devices.h"

static int debug_exit_read(void *dev, unsigned int cpu, uint64_t offset, void *data,
			   unsigned int len)
{
	(void)dev;
	(void)cpu;
	(void)offset;
	memset(data, 0xff, len);
	return 0;
}

static int debug_exit_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
			    unsigned int len)
{
	struct debug_exit *de = dev;
	uint32_t value = 0;

	(void)offset;
	memcpy(&value, data, len < sizeof(value) ? len : sizeof(value));
	de->exit(de->opaque, cpu, value);
	return 0;
}

const struct bus_device_ops debug_exit_ops = {
	.read = debug_exit_read,
	.write = debug_exit_write,
};
