/* SPDX-License-Identifier: MIT */
/*
 * Emulated devices and the buses they sit on.  Nothing here knows about
 * KVM: a device is a register model behind an ops table, registered on a
 * port-I/O or MMIO bus by explicit setup code in vmm/.
 */
#ifndef FPVM_DEVICES_H
#define FPVM_DEVICES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * @cpu is the index of the vCPU doing the access, so devices can keep
 * per-vCPU state (the UART's line buffers) without knowing what a vCPU is.
 */
struct bus_device_ops {
	int (*read)(void *dev, unsigned int cpu, uint64_t offset, void *data, unsigned int len);
	int (*write)(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		     unsigned int len);
};

struct bus_region {
	const char *name;
	uint64_t base;
	uint64_t len;
	const struct bus_device_ops *ops;
	void *dev;
};

/* Registration happens before vCPUs start; lookups need no lock. */
struct bus {
	const char *name;
	struct bus_region *regions;	/* sorted by base, non-overlapping */
	unsigned int nr;
	unsigned int cap;
};

int bus_register(struct bus *bus, const struct bus_region *region);
/* -ENOENT when no device covers [addr, addr + len). */
int bus_access(const struct bus *bus, unsigned int cpu, uint64_t addr, void *data,
	       unsigned int len, bool is_write);
void bus_release(struct bus *bus);

/*
 * 16550A UART.  Transmission is instantaneous (THRE and TEMT always set),
 * output is buffered per vCPU and written a line at a time so two vCPUs'
 * bytes never interleave mid-line.  There is no receive path except
 * loopback (MCR bit 4), and no interrupt line: fpvm has no irqchip.
 */
#define UART_RBR	0	/* DLAB=0, read */
#define UART_THR	0	/* DLAB=0, write */
#define UART_DLL	0	/* DLAB=1 */
#define UART_IER	1	/* DLAB=0 */
#define UART_DLM	1	/* DLAB=1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_LCR_DLAB	0x80
#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_MCR_LOOP	0x10
#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IER_MSI	0x08
#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0
#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FIFO_SIZE	16
#define UART_LINE_MAX	256

struct serial8250;

struct serial8250 *serial8250_create(int out_fd, unsigned int nr_cpus);
void serial8250_destroy(struct serial8250 *uart);
uint8_t serial8250_in(struct serial8250 *uart, unsigned int cpu, unsigned int reg);
void serial8250_out(struct serial8250 *uart, unsigned int cpu, unsigned int reg, uint8_t val);
/* Write out every vCPU's partial line. */
void serial8250_flush(struct serial8250 *uart);
/* Bytes transmitted so far (for -v statistics and tests). */
uint64_t serial8250_tx_bytes(struct serial8250 *uart);
extern const struct bus_device_ops serial8250_ops;

/* The registers a snapshot keeps; partial lines are flushed first, never saved. */
struct serial8250_state {
	uint8_t dll, dlm, ier, lcr, mcr, scr, fcr, lsr_errors;
	uint8_t thri_pending, rx_head, rx_count, pad;
	uint8_t rx[UART_FIFO_SIZE];
};
void serial8250_save(struct serial8250 *uart, struct serial8250_state *s);
/* -EINVAL when @s could not come from a UART (a FIFO index out of range). */
int serial8250_restore(struct serial8250 *uart, const struct serial8250_state *s);

/*
 * isa-debug-exit compatible exit device: a write of v ends the VM; what
 * status that becomes is the owner's policy, via @exit.
 */
struct debug_exit {
	void (*exit)(void *opaque, unsigned int cpu, uint32_t value);
	void *opaque;
};
extern const struct bus_device_ops debug_exit_ops;

/* QEMU's fw_cfg (fw_cfg.c), for the PC platform of Multiboot kernels. */
#define FW_CFG_PORT_SELECTOR	0x510
#define FW_CFG_PORT_DATA	0x511

struct fw_cfg {
	uint64_t ram_size;
	uint16_t nr_cpus, max_cpus;
	pthread_mutex_t lock;		/* vCPUs share one selector, as on a PC */
	uint16_t selector, offset;
};

void fw_cfg_init(struct fw_cfg *fc, uint64_t ram_size, unsigned int nr_cpus,
		 unsigned int max_cpus);
void fw_cfg_destroy(struct fw_cfg *fc);
extern const struct bus_device_ops fw_cfg_ops;

#endif
