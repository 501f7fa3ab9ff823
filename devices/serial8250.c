// SPDX-License-Identifier: MIT
/*
 * 16550A UART register model.  Enough of the chip for real drivers: the
 * divisor latch, IER/IIR with THRE interrupt identification, FCR, LCR,
 * MCR with loopback (Linux's 8250 autoconfig probes it), LSR, MSR and the
 * scratch register, and the interrupt output as a PC wires it: through
 * OUT2 (MCR bit 3), which Linux's driver sets once it has an IRQ, to
 * whatever line the owner's set_irq drives.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"

struct line_buf {
	unsigned int len;
	char buf[UART_LINE_MAX];
};

struct serial8250 {
	pthread_mutex_t lock;
	int out_fd;
	unsigned int nr_cpus;
	uint64_t tx_bytes;
	bool no_wait;		/* stopping, reader stalled: never wait on out_fd again */
	bool bounded;		/* the VM stops: a line waits UART_FLUSH_WAIT_MS at most */
	uint8_t dll, dlm, ier, lcr, mcr, scr, fcr;
	bool thri_pending;	/* THR empty interrupt not yet acknowledged */
	uint8_t lsr_errors;	/* sticky LSR error bits, cleared on read */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	struct line_buf *lines;	/* one per vCPU */
	struct serial8250_hooks hooks;
	bool irq_level;		/* what set_irq was last told */
};

struct serial8250 *serial8250_create(int out_fd, unsigned int nr_cpus)
{
	struct serial8250 *uart = calloc(1, sizeof(*uart));

	if (!uart)
		return NULL;
	uart->lines = calloc(nr_cpus ? nr_cpus : 1, sizeof(*uart->lines));
	if (!uart->lines) {
		free(uart);
		return NULL;
	}
	pthread_mutex_init(&uart->lock, NULL);
	uart->out_fd = out_fd;
	uart->nr_cpus = nr_cpus ? nr_cpus : 1;
	uart->dll = 12;		/* 9600 baud at power-up, like the real part */
	return uart;
}

/* The interrupt output: a pending source IER enables, gated by OUT2 as on a PC. */
static bool irq_asserted(const struct serial8250 *uart)
{
	return (uart->mcr & UART_MCR_OUT2) &&
	       (((uart->ier & UART_IER_RDI) && uart->rx_count) ||
		((uart->ier & UART_IER_THRI) && uart->thri_pending));
}

/* After every access: an ISA line is edge-triggered, so only a change is passed on. */
static void update_irq(struct serial8250 *uart)
{
	bool level = irq_asserted(uart);

	if (level == uart->irq_level)
		return;
	uart->irq_level = level;
	if (uart->hooks.set_irq)
		uart->hooks.set_irq(uart->hooks.opaque, level);
}

void serial8250_set_hooks(struct serial8250 *uart, const struct serial8250_hooks *hooks)
{
	pthread_mutex_lock(&uart->lock);
	uart->hooks = *hooks;
	pthread_mutex_unlock(&uart->lock);
}

/*
 * How long the last flush (the VM has stopped) waits for a reader that
 * takes nothing: a slow reader still gets every byte, a stalled one (a
 * full pipe nobody reads) must not keep fpvm from exiting.
 */
#define UART_FLUSH_WAIT_MS	1000

/*
 * Writes as much of @buf as the reader takes within @wait_ms (< 0: as
 * long as it takes).  A blocking write that a signal interrupts gives up
 * and returns -EINTR: a signal to a vCPU thread is the VMM's kick, which
 * wants the thread back, and a write(2) to a full pipe only returns
 * early when a handler without SA_RESTART runs.
 */
static int write_all(int fd, const char *buf, size_t len, int wait_ms)
{
	while (len) {
		ssize_t n;

		if (wait_ms >= 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int r = poll(&pfd, 1, wait_ms);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || !(pfd.revents & POLLOUT))
				return -EAGAIN;
		}
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			return wait_ms < 0 ? -EINTR : -EAGAIN;
		if (n <= 0)
			return -EIO;	/* a closed pipe must not stop the guest */
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Called with the lock held, so a vCPU blocked here also holds up every
 * other vCPU's output.  Once a kick interrupted a write, or the last flush
 * found the reader stalled, no write waits again: the other vCPUs' kicks
 * were spent while they waited for the lock, and nothing would end a
 * second wait.
 */
static void line_flush(struct serial8250 *uart, struct line_buf *line, int wait_ms)
{
	int r;

	if (uart->hooks.line)
		uart->hooks.line(uart->hooks.opaque, (unsigned int)(line - uart->lines), line->buf,
				 line->len);
	if (uart->no_wait)
		wait_ms = 0;
	else if (wait_ms < 0 && __atomic_load_n(&uart->bounded, __ATOMIC_RELAXED))
		wait_ms = UART_FLUSH_WAIT_MS;
	r = write_all(uart->out_fd, line->buf, line->len, wait_ms);
	if (r == -EINTR || (r == -EAGAIN && wait_ms > 0))
		uart->no_wait = true;
	line->len = 0;
}

void serial8250_bound_waits(struct serial8250 *uart)
{
	__atomic_store_n(&uart->bounded, true, __ATOMIC_RELAXED);
}

void serial8250_flush(struct serial8250 *uart)
{
	pthread_mutex_lock(&uart->lock);
	for (unsigned int i = 0; i < uart->nr_cpus; i++)
		if (uart->lines[i].len)
			line_flush(uart, &uart->lines[i], UART_FLUSH_WAIT_MS);
	pthread_mutex_unlock(&uart->lock);
}

void serial8250_destroy(struct serial8250 *uart)
{
	if (!uart)
		return;
	serial8250_flush(uart);
	pthread_mutex_destroy(&uart->lock);
	free(uart->lines);
	free(uart);
}

void serial8250_save(struct serial8250 *uart, struct serial8250_state *s)
{
	pthread_mutex_lock(&uart->lock);
	*s = (struct serial8250_state){
		.dll = uart->dll, .dlm = uart->dlm, .ier = uart->ier, .lcr = uart->lcr,
		.mcr = uart->mcr, .scr = uart->scr, .fcr = uart->fcr,
		.lsr_errors = uart->lsr_errors, .thri_pending = uart->thri_pending,
		.rx_head = (uint8_t)uart->rx_head, .rx_count = (uint8_t)uart->rx_count,
	};
	memcpy(s->rx, uart->rx, sizeof(s->rx));
	pthread_mutex_unlock(&uart->lock);
}

bool serial8250_state_valid(const struct serial8250_state *s)
{
	return s->rx_head < UART_FIFO_SIZE && s->rx_count <= UART_FIFO_SIZE && s->thri_pending <= 1;
}

int serial8250_restore(struct serial8250 *uart, const struct serial8250_state *s)
{
	if (!serial8250_state_valid(s))
		return -EINVAL;
	pthread_mutex_lock(&uart->lock);
	uart->dll = s->dll;
	uart->dlm = s->dlm;
	uart->ier = s->ier;
	uart->lcr = s->lcr;
	uart->mcr = s->mcr;
	uart->scr = s->scr;
	uart->fcr = s->fcr;
	uart->lsr_errors = s->lsr_errors;
	uart->thri_pending = s->thri_pending;
	uart->rx_head = s->rx_head;
	uart->rx_count = s->rx_count;
	memcpy(uart->rx, s->rx, sizeof(uart->rx));
	/* The irqchip's own state, restored with it, holds the line's level. */
	uart->irq_level = irq_asserted(uart);
	pthread_mutex_unlock(&uart->lock);
	return 0;
}

uint64_t serial8250_tx_bytes(struct serial8250 *uart)
{
	uint64_t n;

	pthread_mutex_lock(&uart->lock);
	n = uart->tx_bytes;
	pthread_mutex_unlock(&uart->lock);
	return n;
}

bool serial8250_thr_write_is_quiet(struct serial8250 *uart)
{
	bool quiet;

	pthread_mutex_lock(&uart->lock);
	quiet = uart->nr_cpus == 1 && !(uart->ier & UART_IER_THRI) &&
		!(uart->mcr & UART_MCR_LOOP);
	pthread_mutex_unlock(&uart->lock);
	return quiet;
}

static void rx_push(struct serial8250 *uart, uint8_t c)
{
	if (uart->rx_count == UART_FIFO_SIZE) {
		uart->lsr_errors |= UART_LSR_OE;
		return;
	}
	uart->rx[(uart->rx_head + uart->rx_count) % UART_FIFO_SIZE] = c;
	uart->rx_count++;
}

static uint8_t rx_pop(struct serial8250 *uart)
{
	uint8_t c;

	if (!uart->rx_count)
		return 0;
	c = uart->rx[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % UART_FIFO_SIZE;
	uart->rx_count--;
	return c;
}

static void transmit(struct serial8250 *uart, unsigned int cpu, uint8_t c)
{
	struct line_buf *line = &uart->lines[cpu < uart->nr_cpus ? cpu : 0];

	uart->thri_pending = true;
	if (uart->mcr & UART_MCR_LOOP) {
		rx_push(uart, c);
		return;
	}
	uart->tx_bytes++;
	line->buf[line->len++] = (char)c;
	if (c == '\n' || line->len == UART_LINE_MAX)
		line_flush(uart, line, -1);
}

static uint8_t iir(struct serial8250 *uart)
{
	uint8_t fifo = (uart->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((uart->ier & UART_IER_RDI) && uart->rx_count)
		return fifo | UART_IIR_RDI;
	if ((uart->ier & UART_IER_THRI) && uart->thri_pending) {
		/* Reading IIR acknowledges a THRE interrupt. */
		uart->thri_pending = false;
		return fifo | UART_IIR_THRI;
	}
	return fifo | UART_IIR_NO_INT;
}

static uint8_t msr(struct serial8250 *uart)
{
	uint8_t m = uart->mcr;

	if (!(m & UART_MCR_LOOP))
		return 0xb0;	/* DCD, DSR, CTS: a cable is attached */
	/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
	return (uint8_t)(((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) |
			 ((m & 0x08) << 4));
}

uint8_t serial8250_in(struct serial8250 *uart, unsigned int cpu, unsigned int reg)
{
	bool dlab;
	uint8_t v = 0xff;

	(void)cpu;
	pthread_mutex_lock(&uart->lock);
	dlab = uart->lcr & UART_LCR_DLAB;
	switch (reg) {
	case UART_RBR:
		v = dlab ? uart->dll : rx_pop(uart);
		break;
	case UART_IER:
		v = dlab ? uart->dlm : uart->ier;
		break;
	case UART_IIR:
		v = iir(uart);
		break;
	case UART_LCR:
		v = uart->lcr;
		break;
	case UART_MCR:
		v = uart->mcr;
		break;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT | uart->lsr_errors |
		    (uart->rx_count ? UART_LSR_DR : 0);
		uart->lsr_errors = 0;
		break;
	case UART_MSR:
		v = msr(uart);
		break;
	case UART_SCR:
		v = uart->scr;
		break;
	}
	update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
	return v;
}

void serial8250_out(struct serial8250 *uart, unsigned int cpu, unsigned int reg, uint8_t val)
{
	bool dlab;

	pthread_mutex_lock(&uart->lock);
	dlab = uart->lcr & UART_LCR_DLAB;
	switch (reg) {
	case UART_THR:
		if (dlab)
			uart->dll = val;
		else
			transmit(uart, cpu, val);
		break;
	case UART_IER:
		if (dlab) {
			uart->dlm = val;
			break;
		}
		/* Enabling ETBEI with THR empty raises a THRE interrupt. */
		if ((val & UART_IER_THRI) && !(uart->ier & UART_IER_THRI))
			uart->thri_pending = true;
		uart->ier = val & 0x0f;
		break;
	case UART_FCR:
		uart->fcr = val & 0xc9;
		if (val & UART_FCR_CLEAR_RX)
			uart->rx_count = 0;
		break;
	case UART_LCR:
		uart->lcr = val;
		break;
	case UART_MCR:
		uart->mcr = val & 0x1f;
		break;
	case UART_SCR:
		uart->scr = val;
		break;
	}
	update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

static int serial8250_bus_read(void *dev, unsigned int cpu, uint64_t offset, void *data,
			       unsigned int len)
{
	uint8_t *p = data;

	/* Wider accesses read consecutive registers, as on an ISA bus. */
	for (unsigned int i = 0; i < len; i++)
		p[i] = serial8250_in(dev, cpu, (unsigned int)offset + i);
	return 0;
}

static int serial8250_bus_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
				unsigned int len)
{
	const uint8_t *p = data;

	for (unsigned int i = 0; i < len; i++)
		serial8250_out(dev, cpu, (unsigned int)offset + i, p[i]);
	return 0;
}

const struct bus_device_ops serial8250_ops = {
	.read = serial8250_bus_read,
	.write = serial8250_bus_write,
};
