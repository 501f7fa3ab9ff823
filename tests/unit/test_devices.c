// SPDX-License-Identifier: MIT
/* The device bus, the 16550A register model and the debug-exit device. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ---- bus ---- */

static int dummy_read(void *dev, unsigned int cpu, uint64_t off, void *data, unsigned int len)
{
	(void)cpu;
	memset(data, 0, len);
	*(uint8_t *)data = (uint8_t)(off + (uintptr_t)dev);
	return 0;
}

static const struct bus_device_ops dummy_ops = { .read = dummy_read };

START_TEST(bus_register_and_find)
{
	struct bus bus = { .name = "test" };
	uint8_t v;

	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "b", 0x200, 8, &dummy_ops,
								   (void *)0x10 }), 0);
	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "a", 0x100, 4, &dummy_ops,
								   (void *)0x20 }), 0);
	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "c", 0x300, 1, &dummy_ops,
								   NULL }), 0);
	/* Sorted, whatever the registration order. */
	ck_assert_str_eq(bus.regions[0].name, "a");
	ck_assert_str_eq(bus.regions[2].name, "c");
	ck_assert_int_eq(bus_access(&bus, 0, 0x203, &v, 1, false), 0);
	ck_assert_uint_eq(v, 0x13);
	ck_assert_int_eq(bus_access(&bus, 0, 0x101, &v, 1, false), 0);
	ck_assert_uint_eq(v, 0x21);
	ck_assert_int_eq(bus_access(&bus, 0, 0x1ff, &v, 1, false), -ENOENT);
	ck_assert_int_eq(bus_access(&bus, 0, 0x208, &v, 1, false), -ENOENT);
	/* A device without a write op swallows writes. */
	ck_assert_int_eq(bus_access(&bus, 0, 0x300, &v, 1, true), 0);
	bus_release(&bus);
	ck_assert_uint_eq(bus.nr, 0);
}
END_TEST

START_TEST(bus_rejects_overlap_and_straddle)
{
	struct bus bus = { .name = "test" };
	uint32_t v;

	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "a", 0x100, 4, &dummy_ops, 0 }), 0);
	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "b", 0x103, 4, &dummy_ops, 0 }),
			 -EEXIST);
	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "c", 0xfe, 4, &dummy_ops, 0 }),
			 -EEXIST);
	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "d", 0x400, 0, &dummy_ops, 0 }),
			 -EINVAL);
	ck_assert_int_eq(bus_register(&bus, &(struct bus_region){ "e", UINT64_MAX, 2, &dummy_ops,
								   0 }), -EINVAL);
	/* A 4-byte access at 0x102 runs past the device: nothing answers. */
	ck_assert_int_eq(bus_access(&bus, 0, 0x102, &v, 4, false), -ENOENT);
	ck_assert_int_eq(bus_access(&bus, 0, 0x100, &v, 4, false), 0);
	bus_release(&bus);
}
END_TEST

START_TEST(bus_many_regions)
{
	struct bus bus = { .name = "test" };
	uint8_t v;

	for (unsigned int i = 0; i < 100; i++)
		ck_assert_int_eq(bus_register(&bus, &(struct bus_region){
			"x", 0x1000 - i * 16, 8, &dummy_ops, (void *)(uintptr_t)i }), 0);
	for (unsigned int i = 0; i < 100; i++) {
		ck_assert_int_eq(bus_access(&bus, 0, 0x1000 - i * 16 + 1, &v, 1, false), 0);
		ck_assert_uint_eq(v, (uint8_t)(i + 1));
		ck_assert_int_eq(bus_access(&bus, 0, 0x1000 - i * 16 + 8, &v, 1, false), -ENOENT);
	}
	bus_release(&bus);
}
END_TEST

/* ---- 16550A ---- */

static int out[2];
static struct serial8250 *uart;

static void uart_setup(void)
{
	ck_assert_int_eq(pipe2(out, O_NONBLOCK), 0);
	uart = serial8250_create(out[1], 2);
	ck_assert_ptr_nonnull(uart);
}

static void uart_teardown(void)
{
	serial8250_destroy(uart);
	close(out[0]);
	close(out[1]);
}

static const char *output(void)
{
	static char buf[1024];
	ssize_t n = read(out[0], buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void say(unsigned int cpu, const char *s)
{
	for (; *s; s++)
		serial8250_out(uart, cpu, UART_THR, (uint8_t)*s);
}

START_TEST(uart_lsr_always_ready)
{
	uint8_t lsr = serial8250_in(uart, 0, UART_LSR);

	ck_assert_uint_eq(lsr & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
	ck_assert_uint_eq(lsr & UART_LSR_DR, 0);
	say(0, "x");
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_LSR) & UART_LSR_THRE, UART_LSR_THRE);
}
END_TEST

START_TEST(uart_divisor_latch)
{
	serial8250_out(uart, 0, UART_LCR, UART_LCR_DLAB | 0x03);
	serial8250_out(uart, 0, UART_DLL, 0x01);
	serial8250_out(uart, 0, UART_DLM, 0x02);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_DLL), 0x01);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_DLM), 0x02);
	/* With DLAB set, offset 0 is the latch: nothing is transmitted. */
	ck_assert_str_eq(output(), "");
	ck_assert_uint_eq(serial8250_tx_bytes(uart), 0);
	serial8250_out(uart, 0, UART_LCR, 0x03);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_LCR), 0x03);
	serial8250_out(uart, 0, UART_IER, 0x05);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IER), 0x05);
	/* The latch survives and IER is separate from DLM. */
	serial8250_out(uart, 0, UART_LCR, UART_LCR_DLAB);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_DLM), 0x02);
	serial8250_out(uart, 0, UART_LCR, 0);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IER), 0x05);
}
END_TEST

START_TEST(uart_ier_masks_reserved_bits)
{
	serial8250_out(uart, 0, UART_IER, 0xff);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IER), 0x0f);
}
END_TEST

START_TEST(uart_scratch_register)
{
	serial8250_out(uart, 0, UART_SCR, 0xa5);
	ck_assert_uint_eq(serial8250_in(uart, 1, UART_SCR), 0xa5);
	serial8250_out(uart, 0, UART_SCR, 0x5a);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_SCR), 0x5a);
}
END_TEST

START_TEST(uart_iir_thre_interrupt)
{
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IIR), UART_IIR_NO_INT);
	serial8250_out(uart, 0, UART_FCR, UART_FCR_ENABLE);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	/* Enabling ETBEI with an empty THR raises THRI; reading IIR clears it. */
	serial8250_out(uart, 0, UART_IER, UART_IER_THRI);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IIR), UART_IIR_FIFO | UART_IIR_THRI);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	say(0, "a");
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IIR), UART_IIR_FIFO | UART_IIR_THRI);
}
END_TEST

static int irq_edges[2], irq_now;
static char lines_seen[512];

static void record_irq(void *opaque, int level)
{
	ck_assert_ptr_eq(opaque, &irq_now);
	ck_assert_int_ne(level, irq_now);	/* only changes are passed on */
	irq_now = level;
	irq_edges[level]++;
}

static void record_line(void *opaque, unsigned int cpu, const char *buf, unsigned int len)
{
	(void)opaque;
	snprintf(lines_seen + strlen(lines_seen), sizeof(lines_seen) - strlen(lines_seen),
		 "%u:%.*s", cpu, (int)len, buf);
}

/* Linux's TTY sends through THRE interrupts on IRQ 4: the line follows IIR, gated by OUT2. */
START_TEST(uart_interrupt_line)
{
	const struct serial8250_hooks h = { record_irq, NULL, &irq_now };

	irq_now = 0;
	irq_edges[0] = irq_edges[1] = 0;
	serial8250_set_hooks(uart, &h);
	/* THRI pending but OUT2 clear: no interrupt reaches the PC's line. */
	serial8250_out(uart, 0, UART_IER, UART_IER_THRI);
	ck_assert_int_eq(irq_now, 0);
	serial8250_out(uart, 0, UART_MCR, UART_MCR_OUT2);
	ck_assert_int_eq(irq_now, 1);
	/* The driver's handler reads IIR: acknowledged, the line drops. */
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IIR), UART_IIR_THRI);
	ck_assert_int_eq(irq_now, 0);
	/* Each byte sent empties THR again: a new edge for the next. */
	say(0, "a");
	ck_assert_int_eq(irq_now, 1);
	say(0, "b");
	ck_assert_int_eq(irq_edges[1], 2);
	/* Disabling THRI drops it without an IIR read. */
	serial8250_out(uart, 0, UART_IER, 0);
	ck_assert_int_eq(irq_now, 0);
	/* Received data (loopback) with RDI enabled raises it until read. */
	serial8250_out(uart, 0, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	serial8250_out(uart, 0, UART_IER, UART_IER_RDI);
	ck_assert_int_eq(irq_now, 0);
	say(0, "x");
	ck_assert_int_eq(irq_now, 1);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_RBR), 'x');
	ck_assert_int_eq(irq_now, 0);
	ck_assert_int_eq(irq_edges[0], 3);
	ck_assert_int_eq(irq_edges[1], 3);
}
END_TEST

/* The owner sees each vCPU's lines whole (a Linux guest's panic line is found this way). */
START_TEST(uart_line_hook)
{
	const struct serial8250_hooks h = { NULL, record_line, NULL };

	lines_seen[0] = 0;
	serial8250_set_hooks(uart, &h);
	say(0, "Kernel pa");
	say(1, "other\n");
	say(0, "nic\n");
	ck_assert_str_eq(lines_seen, "1:other\n0:Kernel panic\n");
	ck_assert_str_eq(output(), "other\nKernel panic\n");
}
END_TEST

START_TEST(uart_loopback)
{
	serial8250_out(uart, 0, UART_MCR, UART_MCR_LOOP | 0x0a);	/* RTS, OUT2 */
	/* Linux's autoconfig check: MSR's top nibble mirrors MCR's low one. */
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_MSR) & 0xf0, 0x90);
	serial8250_out(uart, 0, UART_MCR, UART_MCR_LOOP | 0x0f);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_MSR) & 0xf0, 0xf0);
	say(0, "Q");
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	serial8250_out(uart, 0, UART_IER, UART_IER_RDI);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_IIR) & 0x0f, UART_IIR_RDI);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_RBR), 'Q');
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_LSR) & UART_LSR_DR, 0);
	/* Loopback bytes never reach the output. */
	ck_assert_str_eq(output(), "");
	ck_assert_uint_eq(serial8250_tx_bytes(uart), 0);
	/* Overrun: a 17th byte sets OE, which clears once read. */
	for (int i = 0; i < UART_FIFO_SIZE + 1; i++)
		say(0, "z");
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_LSR) & UART_LSR_OE, UART_LSR_OE);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_LSR) & UART_LSR_OE, 0);
	serial8250_out(uart, 0, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_LSR) & UART_LSR_DR, 0);
	serial8250_out(uart, 0, UART_MCR, 0);
	ck_assert_uint_eq(serial8250_in(uart, 0, UART_MSR), 0xb0);
}
END_TEST

START_TEST(uart_lines_never_interleave)
{
	say(0, "vcpu0 says ");
	say(1, "vcpu1 line\n");
	say(0, "hello\n");
	ck_assert_str_eq(output(), "vcpu1 line\nvcpu0 says hello\n");
	ck_assert_uint_eq(serial8250_tx_bytes(uart), 28);
	say(1, "partial");
	ck_assert_str_eq(output(), "");
	serial8250_flush(uart);
	ck_assert_str_eq(output(), "partial");
}
END_TEST

START_TEST(uart_long_line_is_split)
{
	char line[UART_LINE_MAX + 11];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	say(0, line);
	ck_assert_uint_eq(strlen(output()), UART_LINE_MAX);
	serial8250_flush(uart);
	ck_assert_uint_eq(strlen(output()), 10);
}
END_TEST

START_TEST(uart_bus_wide_access)
{
	uint16_t v = 0;

	/* A 16-bit read at LCR reads LCR then MCR. */
	serial8250_out(uart, 0, UART_LCR, 0x03);
	serial8250_out(uart, 0, UART_MCR, 0x0b);
	ck_assert_int_eq(serial8250_ops.read(uart, 0, UART_LCR, &v, 2), 0);
	ck_assert_uint_eq(v, 0x0b03);
}
END_TEST

/*
 * A reader that takes nothing: a blocking pipe filled to the brim.  A
 * signal handler without SA_RESTART, like fpvm's vCPU kick.
 */
static int stalled[2];

static void no_restart(int sig)
{
	(void)sig;
}

static void stalled_setup(void)
{
	struct sigaction sa = { .sa_handler = no_restart };
	char fill[4096] = { 0 };
	int fl;

	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	ck_assert_int_eq(pipe(stalled), 0);
	fl = fcntl(stalled[1], F_GETFL);
	ck_assert_int_eq(fcntl(stalled[1], F_SETFL, fl | O_NONBLOCK), 0);
	while (write(stalled[1], fill, sizeof(fill)) > 0)
		;
	ck_assert_int_eq(fcntl(stalled[1], F_SETFL, fl), 0);
	uart = serial8250_create(stalled[1], 2);
	ck_assert_ptr_nonnull(uart);
}

static void stalled_teardown(void)
{
	close(stalled[0]);	/* first: a write still blocked gets EPIPE */
	serial8250_destroy(uart);
	close(stalled[1]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *say_line(void *arg)
{
	say(*(unsigned int *)arg, "a line nobody reads\n");
	return NULL;
}

/* Join @t within @seconds or fail (the thread is then left blocked). */
static void join_within(pthread_t t, double seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)seconds + 1;
	ck_assert_msg(pthread_timedjoin_np(t, NULL, &ts) == 0, "thread still blocked");
}

/*
 * Regression: a vCPU blocked writing to a reader that does not read kept
 * fpvm from stopping (--timeout, SIGTERM) until the reader went away.
 * The kick interrupts the write; from then on no write waits, so a second
 * vCPU, whose kick was spent waiting for the lock, does not block either.
 */
START_TEST(uart_stalled_reader_gives_way_to_a_kick)
{
	unsigned int cpu0 = 0, cpu1 = 1;
	pthread_t t0, t1;
	double t;

	ck_assert_int_eq(pthread_create(&t0, NULL, say_line, &cpu0), 0);
	usleep(100000);
	ck_assert_int_eq(pthread_create(&t1, NULL, say_line, &cpu1), 0);
	usleep(100000);
	t = now_s();
	pthread_kill(t0, SIGUSR1);
	pthread_kill(t1, SIGUSR1);
	join_within(t0, 1);
	join_within(t1, 1);
	say(0, "partial");
	serial8250_flush(uart);
	ck_assert_msg(now_s() - t < 0.5, "took %.2f s", now_s() - t);
}
END_TEST

/* The last flush waits a bounded time for a stalled reader, then drops the line. */
START_TEST(uart_last_flush_is_bounded)
{
	double t = now_s();

	say(0, "partial");
	serial8250_flush(uart);
	t = now_s() - t;
	ck_assert_msg(t > 0.5 && t < 3, "took %.2f s", t);
	/* Nothing waits any more. */
	t = now_s();
	say(1, "more");
	serial8250_flush(uart);
	ck_assert_msg(now_s() - t < 0.5, "took %.2f s", now_s() - t);
}
END_TEST

/*
 * Once the VM stops, a whole line waits a bounded time too: the vCPU that
 * drains the coalesced ring after KVM_RUN spent its stop kick there, and
 * nothing would interrupt a write to a reader that takes nothing.
 */
START_TEST(uart_line_after_stop_is_bounded)
{
	unsigned int cpu0 = 0;
	pthread_t t0;
	double t;

	serial8250_bound_waits(uart);
	t = now_s();
	ck_assert_int_eq(pthread_create(&t0, NULL, say_line, &cpu0), 0);
	join_within(t0, 2);
	t = now_s() - t;
	ck_assert_msg(t > 0.5 && t < 3, "took %.2f s", t);
}
END_TEST

static void *drain_later(void *arg)
{
	static char buf[128 * 1024];
	size_t n = 0;
	ssize_t r;

	(void)arg;
	usleep(300000);
	/* The pipe holds the filling (zeros) first, then the line. */
	while (!memmem(buf, n, "slow", 4) &&
	       (r = read(stalled[0], buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)r;
	return memmem(buf, n, "slow", 4) ? buf : NULL;
}

/* A reader that is only slow still gets the last partial line. */
START_TEST(uart_slow_reader_gets_everything)
{
	pthread_t t;
	void *got;

	ck_assert_int_eq(pthread_create(&t, NULL, drain_later, NULL), 0);
	say(0, "slow");
	serial8250_flush(uart);
	ck_assert_int_eq(pthread_join(t, &got), 0);
	ck_assert_ptr_nonnull(got);
}
END_TEST

/* ---- debug exit ---- */

static uint32_t exit_value;
static unsigned int exit_cpu;

static void record_exit(void *opaque, unsigned int cpu, uint32_t value)
{
	(void)opaque;
	exit_cpu = cpu;
	exit_value = value;
}

START_TEST(debug_exit_widths)
{
	struct debug_exit de = { .exit = record_exit };
	uint8_t b = 0x2a;
	uint32_t l = 0x12345678, r = 0;

	ck_assert_int_eq(debug_exit_ops.write(&de, 3, 0, &b, 1), 0);
	ck_assert_uint_eq(exit_value, 0x2a);
	ck_assert_uint_eq(exit_cpu, 3);
	ck_assert_int_eq(debug_exit_ops.write(&de, 0, 0, &l, 4), 0);
	ck_assert_uint_eq(exit_value, 0x12345678);
	ck_assert_int_eq(debug_exit_ops.read(&de, 0, 0, &r, 4), 0);
	ck_assert_uint_eq(r, 0xffffffff);
}
END_TEST

/* fw_cfg: a key to the selector port, then its bytes from the data port. */
static uint64_t fw_cfg_item(struct fw_cfg *fc, uint16_t key, unsigned int bytes)
{
	uint64_t v = 0;

	ck_assert_int_eq(fw_cfg_ops.write(fc, 0, 0, &key, 2), 0);
	for (unsigned int i = 0; i < bytes; i++) {
		uint8_t b = 0xaa;

		ck_assert_int_eq(fw_cfg_ops.read(fc, 0, 1, &b, 1), 0);
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

START_TEST(fw_cfg_items)
{
	struct fw_cfg fc;
	uint32_t wide = 0xffffffff;

	fw_cfg_init(&fc, 5ULL << 30, 3, 8);
	ck_assert_uint_eq(fw_cfg_item(&fc, 0x00, 4), 0x554d4551);	/* "QEMU" */
	ck_assert_uint_eq(fw_cfg_item(&fc, 0x05, 2), 3);		/* FW_CFG_NB_CPUS */
	ck_assert_uint_eq(fw_cfg_item(&fc, 0x0f, 2), 8);		/* FW_CFG_MAX_CPUS */
	ck_assert_uint_eq(fw_cfg_item(&fc, 0x03, 8), 5ULL << 30);	/* FW_CFG_RAM_SIZE */
	/* Past an item's end, and for keys fpvm does not serve: zeros. */
	ck_assert_uint_eq(fw_cfg_item(&fc, 0x05, 8), 3);
	ck_assert_uint_eq(fw_cfg_item(&fc, 0x11, 8), 0);
	ck_assert_uint_eq(fw_cfg_item(&fc, 0xffff, 8), 0);
	/* The data port is one byte wide, whatever the access; writes to it do nothing. */
	fw_cfg_item(&fc, 0x03, 0);
	ck_assert_int_eq(fw_cfg_ops.read(&fc, 0, 1, &wide, 4), 0);
	ck_assert_uint_eq(wide, 0);	/* 5 GiB's low byte */
	ck_assert_int_eq(fw_cfg_ops.write(&fc, 0, 1, &wide, 1), 0);
	ck_assert_uint_eq(fw_cfg_item(&fc, 0x05, 2), 3);
	fw_cfg_destroy(&fc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("devices");
	TCase *bus = tcase_create("bus"), *u = tcase_create("serial8250"),
	      *st = tcase_create("serial8250-stalled-reader"), *de = tcase_create("debug-exit");

	tcase_add_test(bus, bus_register_and_find);
	tcase_add_test(bus, bus_rejects_overlap_and_straddle);
	tcase_add_test(bus, bus_many_regions);
	tcase_add_checked_fixture(u, uart_setup, uart_teardown);
	tcase_add_test(u, uart_lsr_always_ready);
	tcase_add_test(u, uart_divisor_latch);
	tcase_add_test(u, uart_ier_masks_reserved_bits);
	tcase_add_test(u, uart_scratch_register);
	tcase_add_test(u, uart_iir_thre_interrupt);
	tcase_add_test(u, uart_interrupt_line);
	tcase_add_test(u, uart_line_hook);
	tcase_add_test(u, uart_loopback);
	tcase_add_test(u, uart_lines_never_interleave);
	tcase_add_test(u, uart_long_line_is_split);
	tcase_add_test(u, uart_bus_wide_access);
	tcase_add_checked_fixture(st, stalled_setup, stalled_teardown);
	tcase_add_test(st, uart_stalled_reader_gives_way_to_a_kick);
	tcase_add_test(st, uart_last_flush_is_bounded);
	tcase_add_test(st, uart_line_after_stop_is_bounded);
	tcase_add_test(st, uart_slow_reader_gets_everything);
	tcase_add_test(de, debug_exit_widths);
	tcase_add_test(de, fw_cfg_items);
	suite_add_tcase(s, bus);
	suite_add_tcase(s, u);
	suite_add_tcase(s, st);
	suite_add_tcase(s, de);
	return run_suite(s);
}
