// SPDX-License-Identifier: MIT
/*
 * QEMU's pc-testdev (hw/misc/pc-testdev.c), the parts kvm-unit-tests
 * uses: a 32-bit scratch register at ports 0xe0-0xe3 that reads back what
 * was written, at any width and byte offset (emulator and realmode tests
 * check string and sized I/O with it); the same register byte by byte at
 * 0xe8-0xeb; a 32-bit write of a guest-physical address to 0xe4 flushes
 * that page from KVM's mappings (eventinj drops the stack's mapping so the
 * next exception's delivery faults in); writes to 0x2000 + n set ISA IRQ
 * line n to the value's low bit (ioapic and apic tests); and 64 KiB of
 * MMIO scratch at 0xff000000 (emulator, lam).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"

#define FLUSH_OFFSET	4	/* 0xe4 */
#define BYTE_OFFSET	8	/* 0xe8 */

int pc_testdev_init(struct pc_testdev *td)
{
	*td = (struct pc_testdev){ .iomem = calloc(1, TESTDEV_IOMEM_LEN) };
	if (!td->iomem)
		return -ENOMEM;
	pthread_mutex_init(&td->lock, NULL);
	return 0;
}

void pc_testdev_destroy(struct pc_testdev *td)
{
	if (!td->iomem)
		return;
	free(td->iomem);
	td->iomem = NULL;
	pthread_mutex_destroy(&td->lock);
}

/* The bytes of the scratch register an access at @offset (within its 4 bytes) covers. */
static bool in_register(uint64_t offset, unsigned int len, uint64_t reg)
{
	return offset >= reg && offset + len <= reg + 4;
}

static int testdev_read(void *dev, unsigned int cpu, uint64_t offset, void *data,
			unsigned int len)
{
	struct pc_testdev *td = dev;

	(void)cpu;
	memset(data, 0xff, len);
	if (!in_register(offset, len, 0) && !in_register(offset, len, BYTE_OFFSET))
		return 0;	/* the flush port reads as nothing */
	pthread_mutex_lock(&td->lock);
	memcpy(data, (uint8_t *)&td->data + (offset & 3), len);
	pthread_mutex_unlock(&td->lock);
	return 0;
}

static int testdev_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
			 unsigned int len)
{
	struct pc_testdev *td = dev;
	uint32_t gpa;

	(void)cpu;
	if (offset == FLUSH_OFFSET && len == 4) {
		memcpy(&gpa, data, 4);
		if (td->flush_page)
			td->flush_page(td->opaque, gpa & ~0xfffull);
		return 0;
	}
	if (!in_register(offset, len, 0) && !in_register(offset, len, BYTE_OFFSET))
		return 0;
	pthread_mutex_lock(&td->lock);
	memcpy((uint8_t *)&td->data + (offset & 3), data, len);
	pthread_mutex_unlock(&td->lock);
	return 0;
}

/* Byte writes only, as QEMU's: each port is one line. */
static int irq_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		     unsigned int len)
{
	struct pc_testdev *td = dev;

	(void)cpu;
	if (len == 1 && td->set_irq)
		td->set_irq(td->opaque, (unsigned int)offset, *(const uint8_t *)data & 1);
	return 0;
}

static int iomem_read(void *dev, unsigned int cpu, uint64_t offset, void *data, unsigned int len)
{
	struct pc_testdev *td = dev;

	(void)cpu;
	pthread_mutex_lock(&td->lock);
	memcpy(data, td->iomem + offset, len);
	pthread_mutex_unlock(&td->lock);
	return 0;
}

static int iomem_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		       unsigned int len)
{
	struct pc_testdev *td = dev;

	(void)cpu;
	pthread_mutex_lock(&td->lock);
	memcpy(td->iomem + offset, data, len);
	pthread_mutex_unlock(&td->lock);
	return 0;
}

const struct bus_device_ops pc_testdev_ops = { .read = testdev_read, .write = testdev_write };
const struct bus_device_ops pc_testdev_irq_ops = { .write = irq_write };
const struct bus_device_ops pc_testdev_iomem_ops = { .read = iomem_read, .write = iomem_write };
