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
 * loopback (MCR bit 4).  The interrupt output drives a line only where the
 * owner gives one (serial8250_set_hooks(): the PC platform's IRQ 4).
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
#define UART_MCR_OUT2	0x08
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
/*
 * From now on a line waits for a reader that takes nothing at most as long
 * as the last flush does: the VM stops, and a vCPU thread that writes
 * after the kick it already spent in KVM_RUN (draining the coalesced ring)
 * must not wait for ever.  Takes no lock: a line hook, which holds the
 * UART's, may stop the VM.
 */
void serial8250_bound_waits(struct serial8250 *uart);
/* Bytes transmitted so far (for -v statistics and tests). */
uint64_t serial8250_tx_bytes(struct serial8250 *uart);
/*
 * Whether a write to THR may be taken late, in order, before the guest's
 * next access to the UART: nothing the guest can see follows from it
 * sooner (no THRE interrupt enabled, no loopback into the receiver), and
 * every byte goes to the one line buffer, whichever vCPU wrote it.
 */
bool serial8250_thr_write_is_quiet(struct serial8250 *uart);

/*
 * What the UART's owner wants to know, called with the UART's lock held
 * (so never calling back into it): @set_irq when the interrupt output
 * changes level; @line with each line (or UART_LINE_MAX bytes of one) a
 * vCPU transmitted, before it is written out.  Either may be NULL.
 */
struct serial8250_hooks {
	void (*set_irq)(void *opaque, int level);
	void (*line)(void *opaque, unsigned int cpu, const char *buf, unsigned int len);
	void *opaque;
};
void serial8250_set_hooks(struct serial8250 *uart, const struct serial8250_hooks *hooks);
extern const struct bus_device_ops serial8250_ops;

/* The registers a snapshot keeps; partial lines are flushed first, never saved. */
struct serial8250_state {
	uint8_t dll, dlm, ier, lcr, mcr, scr, fcr, lsr_errors;
	uint8_t thri_pending, rx_head, rx_count, pad;
	uint8_t rx[UART_FIFO_SIZE];
};
void serial8250_save(struct serial8250 *uart, struct serial8250_state *s);
/* Whether @s could come from a UART (its FIFO index and count in range), with no UART. */
bool serial8250_state_valid(const struct serial8250_state *s);
/* -EINVAL when @s is not serial8250_state_valid(). */
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

/*
 * The rest of the PC platform of Multiboot kernels, what kvm-unit-tests'
 * x86 tests touch.  Each device owns its own file; none knows KVM: what
 * reaches outside (an IRQ line, a sleep, a reset) goes through a callback.
 */

/* ACPI tables (acpi.c), written into guest memory once, before the guest runs. */
#define ACPI_TABLES_ADDR	0xe0000u	/* the RSDP is searched for in 0xe0000-0xfffff */
#define ACPI_TABLES_MAX		0x10000u	/* up to the Multiboot information */
#define ACPI_PM_BASE		0xb000u		/* PM1a event, PM1a control, PM timer */
#define ACPI_PM_LEN		12
#define ACPI_SCI_IRQ		9
#define ACPI_SLP_TYP_S3		1		/* the DSDT's \_S3 and \_S5 packages */
#define ACPI_SLP_TYP_S5		0
#define PCI_RESET_PORT		0xcf9		/* the FADT's reset register */
#define PCI_RESET_VALUE		0x06
#define IOAPIC_ADDR		0xfec00000u
#define LAPIC_ADDR		0xfee00000u

struct acpi_config {
	unsigned int nr_cpus;		/* LAPIC IDs 0 .. nr_cpus - 1 */
};

/* Where acpi_build() put each table: guest-physical addresses, and the bytes used. */
struct acpi_layout {
	uint32_t rsdp, rsdt, xsdt, fadt, facs, dsdt, madt, size;
};

/*
 * Builds every table into @buf, which lies at guest-physical @base, and
 * says where each went; -ENOSPC when @size is too small.
 */
int acpi_build(void *buf, uint32_t size, uint32_t base, const struct acpi_config *cfg,
	       struct acpi_layout *out);
/* The 8-bit sum of @len bytes: 0 for a table with a right checksum. */
uint8_t acpi_checksum(const void *p, size_t len);

/*
 * ACPI fixed hardware (acpi_pm.c): the PM1a event block (status, enable),
 * the PM1a control block (SCI_EN, SLP_TYP, SLP_EN) and the 32-bit PM timer.
 */
#define ACPI_PM_TIMER_HZ	3579545ULL
#define ACPI_PM1_TMR_STS	(1u << 0)
#define ACPI_PM1_RTC_STS	(1u << 10)
#define ACPI_PM1_WAK_STS	(1u << 15)
#define ACPI_PM1_RTC_EN		(1u << 10)
#define ACPI_PM1_SCI_EN		(1u << 0)
#define ACPI_PM1_SLP_EN		(1u << 13)

struct acpi_pm {
	uint64_t (*now_ns)(void);		/* CLOCK_MONOTONIC unless a test replaces it */
	void (*sleep)(void *opaque, unsigned int cpu, unsigned int slp_typ);
	void *opaque;
	uint64_t start_ns;			/* the timer counts from here */
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
};

void acpi_pm_init(struct acpi_pm *pm, uint64_t (*now_ns)(void));
void acpi_pm_destroy(struct acpi_pm *pm);
uint32_t acpi_pm_timer(struct acpi_pm *pm);
/* Waking from a sleep state: WAK_STS and the wake event's status bits (4.8.3.1). */
void acpi_pm_wake(struct acpi_pm *pm, uint16_t sts);
uint16_t acpi_pm_enabled(struct acpi_pm *pm);
uint64_t acpi_monotonic_ns(void);
extern const struct bus_device_ops acpi_pm_ops;

/*
 * QEMU's pc-testdev (pc_testdev.c), what kvm-unit-tests uses: a 32-bit
 * scratch register at 0xe0 (any width) and 0xe8 (byte-wise), a page flush
 * at 0xe4, IRQ lines at 0x2000-0x2017 and 64 KiB of MMIO scratch at
 * 0xff000000.
 */
#define TESTDEV_PORT		0xe0
#define TESTDEV_PORT_LEN	12
#define TESTDEV_IRQ_PORT	0x2000
#define TESTDEV_IRQ_LINES	24
#define TESTDEV_IOMEM_ADDR	0xff000000u
#define TESTDEV_IOMEM_LEN	0x10000u

struct pc_testdev {
	void (*set_irq)(void *opaque, unsigned int line, int level);
	void (*flush_page)(void *opaque, uint64_t gpa);
	void *opaque;
	pthread_mutex_t lock;
	uint32_t data;
	uint8_t *iomem;
};

int pc_testdev_init(struct pc_testdev *td);
void pc_testdev_destroy(struct pc_testdev *td);
extern const struct bus_device_ops pc_testdev_ops;	/* ports 0xe0-0xeb */
extern const struct bus_device_ops pc_testdev_irq_ops;	/* ports 0x2000-0x2017 */
extern const struct bus_device_ops pc_testdev_iomem_ops;

/*
 * PCI configuration mechanism #1 with no device behind it (pci_host.c),
 * and the reset control register that shares its ports (0xcf9).
 */
#define PCI_CONFIG_PORT		0xcf8
#define PCI_CONFIG_LEN		8

struct pci_host {
	void (*reset)(void *opaque, unsigned int cpu);
	void *opaque;
	pthread_mutex_t lock;
	uint32_t address;
	uint8_t rst_cnt;
};

void pci_host_init(struct pci_host *ph);
void pci_host_destroy(struct pci_host *ph);
extern const struct bus_device_ops pci_host_ops;

/*
 * MC146818 RTC and CMOS RAM (rtc_cmos.c) at 0x70/0x71: the host's UTC in
 * the time registers, UIP around each second's update, the alarm as an
 * S3 wake event.  No interrupt line (IRQ 8).
 */
#define RTC_PORT		0x70
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32
#define RTC_A_UIP		0x80
#define RTC_B_SET		0x80
#define RTC_B_AIE		0x20
#define RTC_B_24H		0x02
#define RTC_B_DM_BINARY		0x04
#define RTC_C_IRQF		0x80
#define RTC_C_AF		0x20
#define RTC_C_UF		0x10

struct rtc_cmos {
	uint64_t (*now_ns)(void);	/* CLOCK_REALTIME unless a test replaces it */
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
	uint64_t c_read_sec;		/* the second reg C was last read in */
};

void rtc_cmos_init(struct rtc_cmos *rtc, uint64_t (*now_ns)(void));
void rtc_cmos_destroy(struct rtc_cmos *rtc);
/* With AIE set, the host time in ns at which the alarm next fires after @now; 0: never. */
uint64_t rtc_cmos_next_alarm(struct rtc_cmos *rtc, uint64_t now);
/* The alarm fired (an S3 wake): AF and IRQF in reg C. */
void rtc_cmos_alarm_fired(struct rtc_cmos *rtc);
uint64_t rtc_realtime_ns(void);
extern const struct bus_device_ops rtc_cmos_ops;

#endif
