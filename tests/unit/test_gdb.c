// SPDX-License-Identifier: MIT
/*
 * The gdb stub's pure parts: RSP framing, the target description per
 * XCR0, the register map through a real XSAVE layout, the page walk on
 * synthetic tables, and the protocol against a fake target whose vector
 * registers live in a Skylake-SP XSAVE image validated by fpstate/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gdb/mem.h"
#include "../../gdb/packet.h"
#include "../../gdb/regs.h"
#include "../../gdb/server.h"
#include "../../gdb/target_xml.h"
#include "testutil.h"

#define SKX_XCR0	0x2e7ULL	/* x87 SSE AVX AVX-512 PKRU */

static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t n)
{
	enum gdb_rx_event ev = GDB_RX_NONE;

	for (size_t i = 0; i < n; i++) {
		enum gdb_rx_event e = gdb_rx_byte(rx, (uint8_t)s[i]);

		if (e != GDB_RX_NONE)
			ev = e;
	}
	return ev;
}

static struct gdb_rx rx;

START_TEST(packet_checksums)
{
	gdb_rx_init(&rx);
	ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);
	ck_assert_str_eq(rx.buf, "g");
	ck_assert_int_eq(feed(&rx, "$g#68", 5), GDB_RX_BAD);
	ck_assert_int_eq(feed(&rx, "$g#6z", 5), GDB_RX_BAD);
	/* Acks, interrupts and noise between packets. */
	ck_assert_int_eq(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
	ck_assert_int_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
	ck_assert_int_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
	ck_assert_int_eq(feed(&rx, "xyz$?#3f", 8), GDB_RX_PACKET);
	ck_assert_str_eq(rx.buf, "?");
	/* A '$' inside a packet starts over: the first one lost its end. */
	ck_assert_int_eq(feed(&rx, "$abc$?#3f", 9), GDB_RX_PACKET);
	ck_assert_str_eq(rx.buf, "?");
}
END_TEST

START_TEST(packet_escapes_round_trip)
{
	const char data[] = { 'X', '$', '#', '}', '*', 0x03, 0, 'e' };
	char framed[64];
	size_t n = gdb_frame(framed, sizeof(framed), data, sizeof(data));

	ck_assert_uint_gt(n, sizeof(data) + 4);
	gdb_rx_init(&rx);
	ck_assert_int_eq(feed(&rx, framed, n), GDB_RX_PACKET);
	ck_assert_uint_eq(rx.len, sizeof(data));
	ck_assert_mem_eq(rx.buf, data, sizeof(data));
	/* No room: nothing half-written. */
	ck_assert_uint_eq(gdb_frame(framed, 8, data, sizeof(data)), 0);
	/* gdb's own escape of '}' as "}]" */
	ck_assert_int_eq(feed(&rx, "$}]#da", 6), GDB_RX_PACKET);
	ck_assert_str_eq(rx.buf, "}");
}
END_TEST

START_TEST(packet_overlong_dropped)
{
	static char big[GDB_PACKET_MAX + 10];
	char tail[4];
	uint8_t sum = 0;

	memset(big, 'a', sizeof(big));
	for (size_t i = 0; i < sizeof(big); i++)
		sum = (uint8_t)(sum + 'a');
	gdb_rx_init(&rx);
	gdb_rx_byte(&rx, '$');
	feed(&rx, big, sizeof(big));
	snprintf(tail, sizeof(tail), "#%02x", sum);
	ck_assert_int_eq(feed(&rx, tail, 3), GDB_RX_OVERLONG);
	ck_assert_uint_le(rx.len, GDB_PACKET_MAX);
	/* The next packet is whole again. */
	ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);
}
END_TEST

START_TEST(hex_parsing)
{
	uint8_t out[4];
	uint64_t v;
	const char *p = "1f,", *q = "12345678123456789", *e = ",";

	ck_assert_int_eq(gdb_hex2bin("00ff7A", 3, out), 0);
	ck_assert_uint_eq(out[1], 0xff);
	ck_assert_uint_eq(out[2], 0x7a);
	ck_assert_int_eq(gdb_hex2bin("0g", 1, out), -1);
	ck_assert_int_eq(gdb_hex2bin("0", 1, out), -1);	/* odd: ends at the NUL */
	ck_assert_int_eq(gdb_parse_hex(&p, &v), 0);
	ck_assert_uint_eq(v, 0x1f);
	ck_assert_str_eq(p, ",");
	ck_assert_int_eq(gdb_parse_hex(&q, &v), -1);	/* 17 digits: absurd */
	ck_assert_int_eq(gdb_parse_hex(&e, &v), -1);
}
END_TEST

/* ---- target description ---- */

static char xml[GDB_PACKET_MAX * 4];

START_TEST(target_xml_per_xcr0)
{
	static struct gdb_regset set;

	gdb_regset_init(&set, 0x3);
	ck_assert_uint_gt(gdb_target_xml(&set, xml, sizeof(xml)), 0);
	ck_assert_ptr_nonnull(strstr(xml, "org.gnu.gdb.i386.core"));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"xmm15\" bitsize=\"128\""));
	ck_assert_ptr_null(strstr(xml, "org.gnu.gdb.i386.avx\""));
	ck_assert_ptr_null(strstr(xml, "zmm"));
	ck_assert_uint_eq(set.nr, 59);

	gdb_regset_init(&set, 0x7);
	gdb_target_xml(&set, xml, sizeof(xml));
	ck_assert_ptr_nonnull(strstr(xml, "org.gnu.gdb.i386.avx\""));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"ymm15h\" bitsize=\"128\""));
	ck_assert_ptr_null(strstr(xml, "avx512"));

	/* AVX-512 only whole, and PKU with PKRU. */
	gdb_regset_init(&set, 0x67);
	ck_assert_int_eq(gdb_regset_find(&set, "k0"), -1);
	gdb_regset_init(&set, SKX_XCR0);
	gdb_target_xml(&set, xml, sizeof(xml));
	ck_assert_ptr_nonnull(strstr(xml, "org.gnu.gdb.i386.avx512"));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"zmm31h\" bitsize=\"256\""));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"k7\" bitsize=\"64\""));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"xmm16\" bitsize=\"128\""));
	ck_assert_ptr_nonnull(strstr(xml, "<reg name=\"ymm31h\" bitsize=\"128\""));
	ck_assert_ptr_nonnull(strstr(xml, "org.gnu.gdb.i386.pkeys"));
	/* gdb scopes types to their feature: each is defined where it is used. */
	{
		char *sse = strstr(xml, "org.gnu.gdb.i386.sse"), *avx512 = strstr(xml, "i386.avx512");

		ck_assert_ptr_nonnull(strstr(sse, "<flags id=\"i386_mxcsr\""));
		ck_assert_ptr_nonnull(strstr(avx512, "<union id=\"vec128\">"));
		ck_assert_ptr_nonnull(strstr(avx512, "<vector id=\"v2ui128\""));
	}
	ck_assert_uint_eq(set.nr, GDB_MAX_REGS);
	/* The 'g' order is the description's: rip right after r15, pkru last. */
	ck_assert_int_eq(gdb_regset_find(&set, "rip"), 16);
	ck_assert_int_eq(gdb_regset_find(&set, "pkru"), GDB_MAX_REGS - 1);
	ck_assert_ptr_nonnull(strstr(xml, "</target>"));
	/* Too small a buffer: nothing, not a truncated description. */
	ck_assert_uint_eq(gdb_target_xml(&set, xml, 100), 0);
}
END_TEST

/* ---- registers through a real XSAVE layout ---- */

static struct xstate_layout skx;
static struct fpstate fps;

static void setup_fps(void)
{
	struct fpstate_error err;

	skx = cpuid_fixture_layout("cpuid/intel-skylake-sp.txt", false);
	ck_assert_int_eq(fpstate_alloc(&fps, &skx, SKX_XCR0, 4096, true, &err), 0);
	fpstate_init_uabi(fps.buf, fps.size);
}

START_TEST(register_round_trip)
{
	static struct gdb_regset set;
	static struct gdb_cpu cpu, back;
	struct fpstate_diag diag;
	uint8_t val[64], out[64];
	static uint8_t image[4096];
	int k3, zmm17h, xmm17, ymm2h, rbp;

	setup_fps();
	gdb_regset_init(&set, SKX_XCR0);
	memset(&cpu, 0, sizeof(cpu));
	ck_assert_int_eq(fpstate_decode(&skx, SKX_XCR0, fps.buf, fps.size, &cpu.fp), 0);
	k3 = gdb_regset_find(&set, "k3");
	zmm17h = gdb_regset_find(&set, "zmm17h");
	xmm17 = gdb_regset_find(&set, "xmm17");
	ymm2h = gdb_regset_find(&set, "ymm2h");
	rbp = gdb_regset_find(&set, "rbp");

	for (int i = 0; i < 64; i++)
		val[i] = (uint8_t)(0x40 + i);
	ck_assert_uint_eq(gdb_reg_set(&set, (unsigned int)k3, &cpu, val), GDB_CHANGED_FP);
	gdb_reg_set(&set, (unsigned int)zmm17h, &cpu, val);
	gdb_reg_set(&set, (unsigned int)xmm17, &cpu, val + 8);
	gdb_reg_set(&set, (unsigned int)ymm2h, &cpu, val + 16);
	ck_assert_uint_eq(gdb_reg_set(&set, (unsigned int)rbp, &cpu, val), GDB_CHANGED_REGS);
	ck_assert_uint_eq(cpu.regs.rbp, 0x4746454443424140ULL);
	/* The components written now count as in use, so XRSTOR loads them. */
	ck_assert_uint_eq(cpu.fp.xstate_bv & 0xe4, 0xa4);	/* YMM, opmask, Hi16_ZMM */

	ck_assert_int_eq(gdb_fp_encode(&fps, &cpu.fp, image, &diag), 0);
	/* The bytes sit where Skylake-SP's CPUID puts them: k3 at 1088 + 24. */
	ck_assert_mem_eq(image + 1088 + 8 * 3, val, 8);
	ck_assert_mem_eq(image + 1664 + 64 * 1 + 32, val, 32);	/* zmm17 bytes 32-63 */
	ck_assert_mem_eq(image + 1664 + 64 * 1, val + 8, 16);	/* zmm17 bytes 0-15 */
	ck_assert_mem_eq(image + 576 + 16 * 2, val + 16, 16);	/* ymm2 upper half */

	memset(&back, 0, sizeof(back));
	ck_assert_int_eq(fpstate_decode(&skx, SKX_XCR0, image, 4096, &back.fp), 0);
	gdb_reg_get(&set, (unsigned int)k3, &back, out);
	ck_assert_mem_eq(out, val, 8);
	gdb_reg_get(&set, (unsigned int)zmm17h, &back, out);
	ck_assert_mem_eq(out, val, 32);
	gdb_reg_get(&set, (unsigned int)xmm17, &back, out);
	ck_assert_mem_eq(out, val + 8, 16);
	fpstate_free(&fps);
}
END_TEST

START_TEST(invalid_fp_value_refused)
{
	static struct gdb_regset set;
	static struct gdb_cpu cpu;
	struct fpstate_diag diag;
	static uint8_t image[4096];
	uint32_t bad = 0xffffffff;	/* MXCSR's reserved bits set: XRSTOR would #GP */

	setup_fps();
	gdb_regset_init(&set, SKX_XCR0);
	ck_assert_int_eq(fpstate_decode(&skx, SKX_XCR0, fps.buf, fps.size, &cpu.fp), 0);
	gdb_reg_set(&set, (unsigned int)gdb_regset_find(&set, "mxcsr"), &cpu, (uint8_t *)&bad);
	ck_assert_int_eq(gdb_fp_encode(&fps, &cpu.fp, image, &diag), -EINVAL);
	ck_assert_uint_gt(diag.nr_errors, 0);
	fpstate_free(&fps);
}
END_TEST

START_TEST(x87_control_words)
{
	static struct gdb_regset set;
	static struct gdb_cpu cpu;
	uint32_t v = 0x0fff, out;

	gdb_regset_init(&set, 0x3);
	memset(&cpu, 0, sizeof(cpu));
	cpu.fp.fip = 0x0000123400401000ULL;
	gdb_reg_get(&set, (unsigned int)gdb_regset_find(&set, "fiseg"), &cpu, (uint8_t *)&out);
	ck_assert_uint_eq(out, 0x1234);
	gdb_reg_get(&set, (unsigned int)gdb_regset_find(&set, "fioff"), &cpu, (uint8_t *)&out);
	ck_assert_uint_eq(out, 0x401000);
	/* ftag is the full tag word; FXSAVE's abridged one follows it. */
	gdb_reg_set(&set, (unsigned int)gdb_regset_find(&set, "ftag"), &cpu, (uint8_t *)&v);
	ck_assert_uint_eq(cpu.fp.ftw, 0x0fff);
	ck_assert_uint_eq(cpu.fp.ftw_abridged, 0xc0);	/* R0-R5 empty, R6, R7 valid */
}
END_TEST

/* ---- page walk ---- */

static uint8_t phys[1 << 20];

static int phys_read(void *ctx, uint64_t gpa, uint64_t *val)
{
	(void)ctx;
	if (gpa > sizeof(phys) - 8)
		return -EFAULT;
	memcpy(val, phys + gpa, 8);
	return 0;
}

static void pte(uint64_t table, unsigned int index, uint64_t val)
{
	memcpy(phys + table + index * 8, &val, 8);
}

START_TEST(page_walk)
{
	struct gdb_mmu mmu = { .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x20, .efer = 0x500 };
	uint64_t gpa, room;

	memset(phys, 0, sizeof(phys));
	/* 0xffff800000203000 -> 4 KiB page 0x9000; 0x400000 -> 2 MiB page at 0 */
	pte(0x1000, 256, 0x2000 | 3);
	pte(0x2000, 0, 0x3000 | 3);
	pte(0x3000, 1, 0x4000 | 3);
	pte(0x4000, 3, 0x9000 | 3);
	pte(0x1000, 0, 0x5000 | 3);
	pte(0x5000, 0, 0x6000 | 3);
	pte(0x6000, 2, 0x0 | 0x83);
	ck_assert_int_eq(gdb_translate(&mmu, phys_read, NULL, 0xffff800000203010ULL, &gpa, &room),
			 0);
	ck_assert_uint_eq(gpa, 0x9010);
	ck_assert_uint_eq(room, 0xff0);
	ck_assert_int_eq(gdb_translate(&mmu, phys_read, NULL, 0x412345, &gpa, &room), 0);
	ck_assert_uint_eq(gpa, 0x12345);
	ck_assert_uint_eq(room, 0x200000 - 0x12345);
	/* Not present, non-canonical, a table outside RAM. */
	ck_assert_int_eq(gdb_translate(&mmu, phys_read, NULL, 0x7000000000ULL, &gpa, &room),
			 -EFAULT);
	ck_assert_int_eq(gdb_translate(&mmu, phys_read, NULL, 0x0000800000000000ULL, &gpa,
				       &room), -EFAULT);
	pte(0x1000, 1, 0x7fff0000000ULL | 3);
	ck_assert_int_eq(gdb_translate(&mmu, phys_read, NULL, 0x8000000000ULL, &gpa, &room),
			 -EFAULT);
	/* 32-bit protected mode without paging: flat. */
	mmu.cr0 = 0x11;
	mmu.efer = 0;
	ck_assert_int_eq(gdb_translate(&mmu, phys_read, NULL, 0x100010, &gpa, &room), 0);
	ck_assert_uint_eq(gpa, 0x100010);
	/* 32-bit paging: not a mode fpvm's guests use. */
	mmu.cr0 = 0x80000011;
	mmu.cr4 = 0;
	ck_assert_int_eq(gdb_translate(&mmu, phys_read, NULL, 0x1000, &gpa, &room), -EOPNOTSUPP);
}
END_TEST

/* ---- the protocol against a fake target ---- */

#define FAKE_CPUS	2
#define FAKE_MEM	0x10000

struct fake {
	struct gdb_cpu cpu[FAKE_CPUS];
	uint8_t mem[FAKE_MEM];
	int resumed_step;
	int resumes;
	struct gdb_debug dbg;
	bool killed;
	char sent[8][GDB_PACKET_MAX + 1];
	unsigned int nr_sent;
};

static struct fake fk;
static struct gdb_server srv;

static unsigned int f_nr(void *t)
{
	(void)t;
	return FAKE_CPUS;
}

static int f_read_cpu(void *t, unsigned int cpu, struct gdb_cpu *c)
{
	*c = ((struct fake *)t)->cpu[cpu];
	return 0;
}

static int f_write_cpu(void *t, unsigned int cpu, const struct gdb_cpu *c, unsigned int changed)
{
	static uint8_t image[4096];
	struct fpstate_diag diag;

	if ((changed & GDB_CHANGED_FP) && gdb_fp_encode(&fps, &c->fp, image, &diag))
		return -EINVAL;
	((struct fake *)t)->cpu[cpu] = *c;
	return 0;
}

static int f_mem(void *t, uint64_t gva, size_t len)
{
	(void)t;
	return gva >= FAKE_MEM || len > FAKE_MEM - gva ? -EFAULT : 0;
}

static int f_read_mem(void *t, unsigned int cpu, uint64_t gva, void *buf, size_t len)
{
	(void)cpu;
	if (f_mem(t, gva, len))
		return -EFAULT;
	memcpy(buf, ((struct fake *)t)->mem + gva, len);
	return 0;
}

static int f_write_mem(void *t, unsigned int cpu, uint64_t gva, const void *buf, size_t len)
{
	(void)cpu;
	if (f_mem(t, gva, len))
		return -EFAULT;
	memcpy(((struct fake *)t)->mem + gva, buf, len);
	return 0;
}

static int f_resume(void *t, int step, const struct gdb_debug *dbg)
{
	struct fake *f = t;

	f->resumed_step = step;
	f->resumes++;
	f->dbg = *dbg;
	return 0;
}

static int f_monitor(void *t, unsigned int cpu, const char *cmd, char *out, size_t size)
{
	(void)t;
	snprintf(out, size, "cpu %u: %s\n", cpu, cmd);
	return strcmp(cmd, "bad") ? 0 : -EINVAL;
}

static void f_kill(void *t)
{
	((struct fake *)t)->killed = true;
}

static void f_detach(void *t, const struct gdb_debug *dbg)
{
	((struct fake *)t)->dbg = *dbg;
}

static const struct gdb_target_ops fake_ops = {
	.nr_cpus = f_nr, .read_cpu = f_read_cpu, .write_cpu = f_write_cpu,
	.read_mem = f_read_mem, .write_mem = f_write_mem, .resume = f_resume,
	.monitor = f_monitor, .kill = f_kill, .detach = f_detach,
};

static void f_send(void *ctx, const char *data, size_t len)
{
	struct fake *f = ctx;

	ck_assert_uint_le(len, GDB_PACKET_MAX);
	if (f->nr_sent < 8) {
		memcpy(f->sent[f->nr_sent], data, len);
		f->sent[f->nr_sent++][len] = '\0';
	}
}

static enum gdb_action pkt(const char *p)
{
	fk.nr_sent = 0;
	return gdb_server_packet(&srv, p, strlen(p));
}

static const char *last(void)
{
	ck_assert_uint_gt(fk.nr_sent, 0);
	return fk.sent[fk.nr_sent - 1];
}

static void setup_server(void)
{
	setup_fps();
	memset(&fk, 0, sizeof(fk));
	for (unsigned int i = 0; i < FAKE_CPUS; i++) {
		ck_assert_int_eq(fpstate_decode(&skx, SKX_XCR0, fps.buf, fps.size, &fk.cpu[i].fp),
				 0);
		fk.cpu[i].regs.rip = 0x1000 + i;
	}
	for (unsigned int i = 0; i < FAKE_MEM; i++)
		fk.mem[i] = (uint8_t)i;
	gdb_server_init(&srv, &fake_ops, &fk, SKX_XCR0);
	srv.send = f_send;
	srv.send_ctx = &fk;
}

START_TEST(protocol_queries)
{
	setup_server();
	pkt("qSupported:multiprocess+;swbreak+;xmlRegisters=i386");
	ck_assert_ptr_nonnull(strstr(last(), "qXfer:features:read+"));
	ck_assert_ptr_nonnull(strstr(last(), "PacketSize=4000"));
	pkt("qXfer:features:read:target.xml:0,ffb");
	ck_assert_int_eq(last()[0], 'm');
	ck_assert_ptr_nonnull(strstr(last(), "<architecture>i386:x86-64</architecture>"));
	pkt("qXfer:features:read:other.xml:0,ffb");
	ck_assert_int_eq(last()[0], 'E');
	pkt("qfThreadInfo");
	ck_assert_str_eq(last(), "m1,2");
	pkt("qsThreadInfo");
	ck_assert_str_eq(last(), "l");
	pkt("Hg2");
	ck_assert_str_eq(last(), "OK");
	pkt("qC");
	ck_assert_str_eq(last(), "QC2");
	pkt("Hg3");
	ck_assert_int_eq(last()[0], 'E');
	pkt("T2");
	ck_assert_str_eq(last(), "OK");
	pkt("T9");
	ck_assert_int_eq(last()[0], 'E');
	pkt("vMustReplyEmpty");
	ck_assert_str_eq(last(), "");
	pkt("qRcmd,6670737461746500");	/* "fpstate\0": a NUL inside */
	ck_assert_int_eq(last()[0], 'E');
	pkt("qRcmd,66707374617465");	/* "fpstate" */
	ck_assert_uint_eq(fk.nr_sent, 2);
	ck_assert_str_eq(fk.sent[0], "O63707520313a20667073746174650a");	/* "cpu 1: fpstate\n" */
	ck_assert_str_eq(last(), "OK");
	pkt("qRcmd,626164");	/* "bad" */
	ck_assert_int_eq(last()[0], 'E');
	fpstate_free(&fps);
}
END_TEST

START_TEST(protocol_registers)
{
	char p[200];
	int k3;

	setup_server();
	k3 = gdb_regset_find(&srv.regs, "k3");
	pkt("g");
	ck_assert_uint_eq(strlen(last()), 2 * srv.regs.g_bytes);
	/* rip of thread 1 is 0x1000: bytes 128..135 of the 'g' packet */
	ck_assert_int_eq(strncmp(last() + 2 * 128, "0010000000000000", 16), 0);
	snprintf(p, sizeof(p), "P%x=0807060504030201", k3);
	pkt(p);
	ck_assert_str_eq(last(), "OK");
	ck_assert_uint_eq(fk.cpu[0].fp.k[3], 0x0102030405060708ULL);
	snprintf(p, sizeof(p), "p%x", k3);
	pkt(p);
	ck_assert_str_eq(last(), "0807060504030201");
	/* A refused image is an error and changes nothing. */
	snprintf(p, sizeof(p), "P%x=ffffffff", gdb_regset_find(&srv.regs, "mxcsr"));
	pkt(p);
	ck_assert_int_eq(last()[0], 'E');
	ck_assert_uint_eq(fk.cpu[0].fp.mxcsr, MXCSR_DEFAULT);
	/* Bad hex, wrong lengths, unknown numbers. */
	snprintf(p, sizeof(p), "P%x=08070605040302zz", k3);
	pkt(p);
	ck_assert_int_eq(last()[0], 'E');
	snprintf(p, sizeof(p), "P%x=0807", k3);
	pkt(p);
	ck_assert_int_eq(last()[0], 'E');
	pkt("p3e8");
	ck_assert_str_eq(last(), "");
	pkt("Gzz");
	ck_assert_int_eq(last()[0], 'E');
	fpstate_free(&fps);
}
END_TEST

START_TEST(protocol_memory_and_breakpoints)
{
	setup_server();
	pkt("m100,4");
	ck_assert_str_eq(last(), "00010203");
	pkt("mfffe,4");		/* past the end of RAM */
	ck_assert_int_eq(last()[0], 'E');
	pkt("m0,ffffffffffffffff");
	ck_assert_int_eq(last()[0], 'E');
	pkt("M200,2:abcd");
	ck_assert_str_eq(last(), "OK");
	ck_assert_uint_eq(fk.mem[0x201], 0xcd);
	pkt("M200,2:ab");
	ck_assert_int_eq(last()[0], 'E');

	/* Z0 plants int3, reads still see the guest's byte, z0 restores it. */
	pkt("Z0,300,1");
	ck_assert_str_eq(last(), "OK");
	ck_assert_uint_eq(fk.mem[0x300], 0xcc);
	pkt("m2ff,3");
	ck_assert_str_eq(last(), "ff0001");
	pkt("c");
	ck_assert_int_eq(fk.resumed_step, -1);
	ck_assert(fk.dbg.sw);
	pkt("z0,300,1");
	ck_assert_uint_eq(fk.mem[0x300], 0x00);
	pkt("Z0,fffff0,1");
	ck_assert_int_eq(last()[0], 'E');

	/* Z2: a 4-byte write watchpoint in DR0, reported with its address. */
	pkt("Z2,400,4");
	ck_assert_str_eq(last(), "OK");
	pkt("Z2,401,4");	/* misaligned */
	ck_assert_int_eq(last()[0], 'E');
	pkt("vCont;c");
	ck_assert(fk.dbg.hw);
	ck_assert_uint_eq(fk.dbg.dr[0], 0x400);
	ck_assert_uint_eq(fk.dbg.dr7, 0x1 | (0x1ULL | 3 << 2) << 16);
	{
		struct gdb_stop st = { .cpu = 1, .exception = 1, .dr6 = 1 };

		fk.nr_sent = 0;
		gdb_server_stopped(&srv, &st);
		ck_assert_str_eq(last(), "T05thread:2;watch:400;");
	}
	pkt("z2,400,4");
	pkt("vCont;s:2;c");
	ck_assert_int_eq(fk.resumed_step, 1);
	ck_assert(!fk.dbg.hw);
	pkt("vCont;x");
	ck_assert_int_eq(last()[0], 'E');
	{
		struct gdb_stop st = { .cpu = 0, .interrupted = true };

		fk.nr_sent = 0;
		gdb_server_stopped(&srv, &st);
		ck_assert_str_eq(last(), "T02thread:1;");
	}
	ck_assert_int_eq(pkt("D"), GDB_DETACHED);
	ck_assert_int_eq(pkt("k"), GDB_KILLED);
	ck_assert(fk.killed);
	fpstate_free(&fps);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gdb");
	TCase *p = tcase_create("packet"), *r = tcase_create("registers"),
	      *m = tcase_create("memory"), *proto = tcase_create("protocol");

	tcase_add_test(p, packet_checksums);
	tcase_add_test(p, packet_escapes_round_trip);
	tcase_add_test(p, packet_overlong_dropped);
	tcase_add_test(p, hex_parsing);
	tcase_add_test(r, target_xml_per_xcr0);
	tcase_add_test(r, register_round_trip);
	tcase_add_test(r, invalid_fp_value_refused);
	tcase_add_test(r, x87_control_words);
	tcase_add_test(m, page_walk);
	tcase_add_test(proto, protocol_queries);
	tcase_add_test(proto, protocol_registers);
	tcase_add_test(proto, protocol_memory_and_breakpoints);
	suite_add_tcase(s, p);
	suite_add_tcase(s, r);
	suite_add_tcase(s, m);
	suite_add_tcase(s, proto);
	return run_suite(s);
}
