/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote serial protocol's framing (gdb's "Remote Protocol"
 * appendix, "Overview"): $data#cs packets with a two-digit checksum, '}'
 * escapes, '+'/'-' acknowledgements and the 0x03 interrupt byte.  Pure:
 * bytes in, events out, with a hard limit on a packet's size, so a client
 * can make the stub neither allocate nor loop.
 */
#ifndef FPVM_GDB_PACKET_H
#define FPVM_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The PacketSize fpvm announces in qSupported: no packet, in or out, is longer. */
#define GDB_PACKET_MAX	16384

enum gdb_rx_state {
	GDB_RX_IDLE,		/* between packets: acks, interrupts and noise */
	GDB_RX_DATA,
	GDB_RX_ESCAPE,		/* after '}' */
	GDB_RX_SUM1,
	GDB_RX_SUM2,
};

struct gdb_rx {
	enum gdb_rx_state state;
	uint8_t sum;		/* over the bytes as sent, escapes included */
	uint8_t want;		/* the checksum's first digit */
	bool overlong;		/* the packet went past GDB_PACKET_MAX: dropped at '#' */
	size_t len;
	char buf[GDB_PACKET_MAX + 1];	/* the unescaped data, NUL-terminated */
};

enum gdb_rx_event {
	GDB_RX_NONE,		/* nothing yet */
	GDB_RX_PACKET,		/* rx->buf holds rx->len bytes: ack with '+' */
	GDB_RX_BAD,		/* a bad checksum or digit: nak with '-' */
	GDB_RX_OVERLONG,	/* longer than GDB_PACKET_MAX: nak, answered with an error */
	GDB_RX_INTERRUPT,	/* 0x03 between packets */
	GDB_RX_ACK,
	GDB_RX_NAK,
};

void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/*
 * $@data#cs into @out (escaping '$', '#', '}' and '*'); returns its length,
 * or 0 when it does not fit in @size.
 */
size_t gdb_frame(char *out, size_t size, const char *data, size_t len);

/* Hex digits: the value of @c, or -1. */
int gdb_hexval(char c);
/* @n hex digit pairs of @s into @out; -1 on a bad digit or an odd count. */
int gdb_hex2bin(const char *s, size_t n, uint8_t *out);
/* @n bytes as 2n lower-case hex digits and a NUL; returns 2n. */
size_t gdb_bin2hex(const uint8_t *in, size_t n, char *out);
/*
 * A hex number of 1 to 16 digits at *@p, advancing past it; -1 when there
 * is none or it is longer (an absurd length is not wrapped around).
 */
int gdb_parse_hex(const char **p, uint64_t *v);

#endif
