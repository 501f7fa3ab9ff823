// SPDX-License-Identifier: MIT
/*
 * RSP framing (packet.h).  Everything a client sends passes through
 * gdb_rx_byte() one byte at a time, so nothing here reads past what
 * arrived or grows with the input.
 */
#include <string.h>

#include "packet.h"

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = GDB_RX_IDLE;
	rx->len = 0;
	rx->sum = 0;
	rx->overlong = false;
	rx->buf[0] = '\0';
}

int gdb_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put(struct gdb_rx *rx, char c)
{
	if (rx->len < GDB_PACKET_MAX)
		rx->buf[rx->len++] = c;
	else
		rx->overlong = true;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	int v;

	switch (rx->state) {
	case GDB_RX_IDLE:
		if (c == '$') {
			gdb_rx_init(rx);
			rx->state = GDB_RX_DATA;
		}
		return c == 0x03 ? GDB_RX_INTERRUPT : c == '+' ? GDB_RX_ACK :
		       c == '-' ? GDB_RX_NAK : GDB_RX_NONE;
	case GDB_RX_DATA:
		if (c == '#') {
			rx->state = GDB_RX_SUM1;
			return GDB_RX_NONE;
		}
		/* A '$' inside a packet: the client started over (a lost '#'). */
		if (c == '$') {
			gdb_rx_init(rx);
			rx->state = GDB_RX_DATA;
			return GDB_RX_NONE;
		}
		rx->sum = (uint8_t)(rx->sum + c);
		if (c == '}')
			rx->state = GDB_RX_ESCAPE;
		else
			put(rx, (char)c);
		return GDB_RX_NONE;
	case GDB_RX_ESCAPE:
		rx->sum = (uint8_t)(rx->sum + c);
		put(rx, (char)(c ^ 0x20));
		rx->state = GDB_RX_DATA;
		return GDB_RX_NONE;
	case GDB_RX_SUM1:
		v = gdb_hexval((char)c);
		rx->want = (uint8_t)(v < 0 ? 0 : v << 4);
		rx->state = v < 0 ? GDB_RX_IDLE : GDB_RX_SUM2;
		return v < 0 ? GDB_RX_BAD : GDB_RX_NONE;
	case GDB_RX_SUM2:
		rx->state = GDB_RX_IDLE;
		v = gdb_hexval((char)c);
		if (v < 0 || (uint8_t)(rx->want | v) != rx->sum)
			return GDB_RX_BAD;
		if (rx->overlong)
			return GDB_RX_OVERLONG;
		rx->buf[rx->len] = '\0';
		return GDB_RX_PACKET;
	}
	rx->state = GDB_RX_IDLE;
	return GDB_RX_NONE;
}

size_t gdb_frame(char *out, size_t size, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t sum = 0;
	size_t n = 0;

	if (size < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)data[i];
		bool esc = c == '$' || c == '#' || c == '}' || c == '*';

		if (n + (esc ? 2 : 1) + 3 > size)
			return 0;
		if (esc) {
			out[n++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return n;
}

int gdb_hex2bin(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hexval(s[2 * i]), lo = hi < 0 ? -1 : gdb_hexval(s[2 * i + 1]);

		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

size_t gdb_bin2hex(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
	return 2 * n;
}

int gdb_parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	unsigned int n = 0;
	uint64_t x = 0;
	int d;

	while ((d = gdb_hexval(s[n])) >= 0) {
		if (++n > 16)
			return -1;
		x = x << 4 | (uint64_t)d;
	}
	if (!n)
		return -1;
	*p = s + n;
	*v = x;
	return 0;
}
