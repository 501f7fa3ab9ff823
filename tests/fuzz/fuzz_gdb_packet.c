// SPDX-License-Identifier: MIT
/*
 * Fuzz target: what a gdb client sends the stub (gdb/packet.c, then
 * gdb/server.c), byte by byte as from the socket, against a fake target
 * with 64 KiB of memory and one vCPU whose registers are plain values.
 *
 * Beyond crashes it checks that every reply fits the announced packet
 * size and frames back to itself, that every packet the parser accepts
 * frames back to the same bytes, and that a breakpoint the input plants
 * is gone from memory once gdb_server_remove_all() ran.
 */
#include <errno.h>
#include <string.h>

#include "../../gdb/packet.h"
#include "../../gdb/server.h"
#include "fuzz.h"

#define MEM	0x10000

static uint8_t mem[MEM], orig[MEM];
static struct gdb_cpu cpu;
static struct gdb_server srv;
static struct gdb_rx rx, back;
static char framed[2 * GDB_PACKET_MAX + 8];

static unsigned int nr_cpus(void *t)
{
	(void)t;
	return 1;
}

static int read_cpu(void *t, unsigned int c, struct gdb_cpu *out)
{
	(void)t;
	FUZZ_ASSERT(c == 0);
	*out = cpu;
	return 0;
}

static int write_cpu(void *t, unsigned int c, const struct gdb_cpu *in, unsigned int changed)
{
	(void)t;
	(void)changed;
	FUZZ_ASSERT(c == 0);
	cpu = *in;
	return 0;
}

static int in_ram(uint64_t gva, size_t len)
{
	return gva < MEM && len <= MEM - gva;
}

static int read_mem(void *t, unsigned int c, uint64_t gva, void *buf, size_t len)
{
	(void)t;
	(void)c;
	if (!in_ram(gva, len))
		return -EFAULT;
	memcpy(buf, mem + gva, len);
	return 0;
}

static int write_mem(void *t, unsigned int c, uint64_t gva, const void *buf, size_t len)
{
	(void)t;
	(void)c;
	if (!in_ram(gva, len))
		return -EFAULT;
	memcpy(mem + gva, buf, len);
	return 0;
}

static int resume(void *t, int step, const struct gdb_debug *dbg)
{
	(void)t;
	(void)dbg;
	FUZZ_ASSERT(step < 1);
	return 0;
}

static int monitor(void *t, unsigned int c, const char *cmd, char *out, size_t size)
{
	(void)t;
	(void)c;
	FUZZ_ASSERT(strlen(cmd) < 256);
	/* Long output: several O packets. */
	memset(out, 'x', size - 1);
	out[size - 1] = '\0';
	return 0;
}

static void kill_(void *t)
{
	(void)t;
}

static void detach(void *t, const struct gdb_debug *dbg)
{
	(void)t;
	(void)dbg;
}

static const struct gdb_target_ops ops = {
	.nr_cpus = nr_cpus, .read_cpu = read_cpu, .write_cpu = write_cpu,
	.read_mem = read_mem, .write_mem = write_mem, .resume = resume,
	.monitor = monitor, .kill = kill_, .detach = detach,
};

static void send(void *ctx, const char *data, size_t len)
{
	size_t n;

	(void)ctx;
	FUZZ_ASSERT(len <= GDB_PACKET_MAX);
	n = gdb_frame(framed, sizeof(framed), data, len);
	FUZZ_ASSERT(n);
	gdb_rx_init(&back);
	for (size_t i = 0; i + 1 < n; i++)
		FUZZ_ASSERT(gdb_rx_byte(&back, (uint8_t)framed[i]) == GDB_RX_NONE);
	FUZZ_ASSERT(gdb_rx_byte(&back, (uint8_t)framed[n - 1]) == GDB_RX_PACKET);
	FUZZ_ASSERT(back.len == len && !memcmp(back.buf, data, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks the vCPU's XCR0: with or without AVX and AVX-512. */
	static const uint64_t xcr0s[] = { 0x3, 0x7, 0xe7, 0x2e7 };

	for (unsigned int i = 0; i < MEM; i++)
		mem[i] = orig[i] = (uint8_t)(i * 13);
	memset(&cpu, 0, sizeof(cpu));
	gdb_server_init(&srv, &ops, NULL, xcr0s[size ? data[0] & 3 : 0]);
	srv.send = send;
	gdb_rx_init(&rx);
	for (size_t i = 0; i < size; i++) {
		enum gdb_rx_event ev = gdb_rx_byte(&rx, data[i]);
		enum gdb_action a;

		if (ev != GDB_RX_PACKET)
			continue;
		FUZZ_ASSERT(rx.len <= GDB_PACKET_MAX && rx.buf[rx.len] == '\0');
		a = gdb_server_packet(&srv, rx.buf, rx.len);
		if (a == GDB_DETACHED || a == GDB_KILLED)
			break;
	}
	gdb_server_remove_all(&srv);
	/* Memory holds only what M packets wrote: no int3 is left behind. */
	for (unsigned int i = 0; i < srv.nr_sw; i++)
		FUZZ_ASSERT(0);
	return 0;
}
