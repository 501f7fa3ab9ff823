// SPDX-License-Identifier: MIT
/*
 * The protocol's commands (server.h), as gdb's manual ("Remote Protocol",
 * "Packets" and "General Query Packets") defines them.  A command fpvm
 * does not know gets the empty reply, which tells gdb so; a malformed
 * one gets "E" and a number (errno), never a guess.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "server.h"
#include "target_xml.h"

#define INT3	0xcc

/* Thread ids are vCPU index + 1 (0 and -1 mean any and all in the protocol). */
#define TID(cpu)	((cpu) + 1)

static void send_str(struct gdb_server *s, const char *str)
{
	s->send(s->send_ctx, str, strlen(str));
}

static enum gdb_action reply_err(struct gdb_server *s, int e)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "E%02x", (unsigned int)(e < 0 ? -e : e) & 0xff);
	send_str(s, buf);
	return GDB_CONTINUE;
}

static enum gdb_action reply(struct gdb_server *s, const char *str)
{
	send_str(s, str);
	return GDB_CONTINUE;
}

void gdb_server_init(struct gdb_server *s, const struct gdb_target_ops *ops, void *target,
		     uint64_t xcr0)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->target = target;
	s->step_cpu = -1;
	gdb_regset_init(&s->regs, xcr0);
	s->xml_len = gdb_target_xml(&s->regs, s->xml, sizeof(s->xml));
}

/* "Hg" and friends: a thread id, -1 (all) or 0 (any), as a vCPU index. */
static int parse_thread(struct gdb_server *s, const char *p, unsigned int *cpu, bool all_ok)
{
	uint64_t tid;

	if (!strcmp(p, "-1") || !strcmp(p, "0")) {
		if (!all_ok && p[0] == '-')
			return -EINVAL;
		*cpu = 0;
		return 0;
	}
	if (gdb_parse_hex(&p, &tid) || *p || tid == 0 || tid > s->ops->nr_cpus(s->target))
		return -EINVAL;
	*cpu = (unsigned int)tid - 1;
	return 0;
}

static enum gdb_action read_all_regs(struct gdb_server *s)
{
	struct gdb_cpu cpu;
	uint8_t val[64];
	size_t n = 0;
	int r = s->ops->read_cpu(s->target, s->g_cpu, &cpu);

	if (r)
		return reply_err(s, r);
	for (unsigned int i = 0; i < s->regs.nr; i++) {
		gdb_reg_get(&s->regs, i, &cpu, val);
		n += gdb_bin2hex(val, s->regs.reg[i].bytes, s->reply + n);
	}
	return reply(s, s->reply);
}

static enum gdb_action write_all_regs(struct gdb_server *s, const char *hex, size_t len)
{
	unsigned int changed = 0;
	struct gdb_cpu cpu;
	uint8_t val[64];
	int r;

	if (len != 2 * (size_t)s->regs.g_bytes)
		return reply_err(s, EINVAL);
	r = s->ops->read_cpu(s->target, s->g_cpu, &cpu);
	if (r)
		return reply_err(s, r);
	for (unsigned int i = 0; i < s->regs.nr; i++) {
		if (gdb_hex2bin(hex + 2 * s->regs.reg[i].offset, s->regs.reg[i].bytes, val))
			return reply_err(s, EINVAL);
		changed |= gdb_reg_set(&s->regs, i, &cpu, val);
	}
	r = s->ops->write_cpu(s->target, s->g_cpu, &cpu, changed);
	return r ? reply_err(s, r) : reply(s, "OK");
}

/* "p N" and "P N=VALUE". */
static enum gdb_action one_reg(struct gdb_server *s, const char *p, bool write)
{
	uint64_t n;
	struct gdb_cpu cpu;
	uint8_t val[64];
	unsigned int bytes;
	int r;

	if (gdb_parse_hex(&p, &n) || (write ? *p != '=' : *p != '\0'))
		return reply_err(s, EINVAL);
	/* A number past the description: gdb asks for it only if it guessed; it has none. */
	if (n >= s->regs.nr)
		return write ? reply_err(s, EINVAL) : reply(s, "");
	bytes = s->regs.reg[n].bytes;
	if (write && (strlen(p + 1) != 2 * bytes || gdb_hex2bin(p + 1, bytes, val)))
		return reply_err(s, EINVAL);
	r = s->ops->read_cpu(s->target, s->g_cpu, &cpu);
	if (r)
		return reply_err(s, r);
	if (!write) {
		gdb_reg_get(&s->regs, (unsigned int)n, &cpu, val);
		gdb_bin2hex(val, bytes, s->reply);
		return reply(s, s->reply);
	}
	r = s->ops->write_cpu(s->target, s->g_cpu, &cpu, gdb_reg_set(&s->regs, (unsigned int)n,
								     &cpu, val));
	return r ? reply_err(s, r) : reply(s, "OK");
}

/* "ADDR,LEN" with LEN bounded so its hex fits a reply. */
static int parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, size_t max)
{
	if (gdb_parse_hex(p, addr) || **p != ',')
		return -EINVAL;
	(*p)++;
	if (gdb_parse_hex(p, len) || *len > max)
		return -EINVAL;
	return 0;
}

/* Reads see the guest's own bytes, not the int3s planted in them. */
static void unplant(struct gdb_server *s, uint64_t addr, uint8_t *buf, uint64_t len)
{
	for (unsigned int i = 0; i < s->nr_sw; i++)
		if (s->sw[i].addr - addr < len)
			buf[s->sw[i].addr - addr] = s->sw[i].saved;
}

static enum gdb_action read_mem(struct gdb_server *s, const char *p)
{
	uint8_t buf[GDB_PACKET_MAX / 2];
	uint64_t addr, len;
	int r;

	if (parse_addr_len(&p, &addr, &len, sizeof(buf) - 1) || *p)
		return reply_err(s, EINVAL);
	r = s->ops->read_mem(s->target, s->g_cpu, addr, buf, len);
	if (r)
		return reply_err(s, r);
	unplant(s, addr, buf, len);
	gdb_bin2hex(buf, len, s->reply);
	return reply(s, s->reply);
}

static enum gdb_action write_mem(struct gdb_server *s, const char *p)
{
	uint8_t buf[GDB_PACKET_MAX / 2];
	uint64_t addr, len;
	int r;

	if (parse_addr_len(&p, &addr, &len, sizeof(buf)) || *p != ':' ||
	    strlen(p + 1) != 2 * len || gdb_hex2bin(p + 1, len, buf))
		return reply_err(s, EINVAL);
	/* A write over a planted breakpoint changes the byte restored later. */
	for (unsigned int i = 0; i < s->nr_sw; i++)
		if (s->sw[i].addr - addr < len) {
			s->sw[i].saved = buf[s->sw[i].addr - addr];
			buf[s->sw[i].addr - addr] = INT3;
		}
	r = s->ops->write_mem(s->target, s->g_cpu, addr, buf, len);
	return r ? reply_err(s, r) : reply(s, "OK");
}

static void debug_state(const struct gdb_server *s, struct gdb_debug *d)
{
	/* DR7's R/W field: 00 execute, 01 write, 11 read or write (SDM vol. 3, 18.2.4). */
	static const uint8_t rw[] = { [1] = 0, [2] = 1, [3] = 3, [4] = 3 };
	static const uint8_t len_bits[9] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };

	memset(d, 0, sizeof(*d));
	d->sw = s->nr_sw > 0;
	for (unsigned int i = 0; i < GDB_MAX_HW; i++) {
		if (!s->hw[i].used)
			continue;
		d->hw = true;
		d->dr[i] = s->hw[i].addr;
		d->dr7 |= 1ULL << (2 * i);	/* L0..L3 */
		d->dr7 |= (uint64_t)(rw[s->hw[i].type] | len_bits[s->hw[i].len] << 2)
			  << (16 + 4 * i);
	}
}

static int sw_insert(struct gdb_server *s, uint64_t addr)
{
	uint8_t orig, int3 = INT3;
	int r;

	for (unsigned int i = 0; i < s->nr_sw; i++)
		if (s->sw[i].addr == addr)
			return 0;
	if (s->nr_sw == GDB_MAX_SW_BREAKS)
		return -ENOSPC;
	r = s->ops->read_mem(s->target, s->g_cpu, addr, &orig, 1);
	if (!r)
		r = s->ops->write_mem(s->target, s->g_cpu, addr, &int3, 1);
	if (r)
		return r;
	s->sw[s->nr_sw].addr = addr;
	s->sw[s->nr_sw++].saved = orig;
	return 0;
}

static int sw_remove(struct gdb_server *s, uint64_t addr)
{
	for (unsigned int i = 0; i < s->nr_sw; i++) {
		if (s->sw[i].addr != addr)
			continue;
		s->ops->write_mem(s->target, s->g_cpu, addr, &s->sw[i].saved, 1);
		s->sw[i] = s->sw[--s->nr_sw];
		return 0;
	}
	return 0;
}

/* Z1 to Z4: a debug register; lengths 1, 2, 4 or 8 aligned, as DR7 can say. */
static int hw_change(struct gdb_server *s, unsigned int type, uint64_t addr, uint64_t len,
		     bool insert)
{
	if (type == 1)
		len = 1;
	if ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1)))
		return -EINVAL;
	for (unsigned int i = 0; i < GDB_MAX_HW; i++) {
		if (insert ? s->hw[i].used : !(s->hw[i].used && s->hw[i].addr == addr &&
					      s->hw[i].type == type))
			continue;
		s->hw[i].used = insert;
		s->hw[i].type = (uint8_t)type;
		s->hw[i].len = (uint8_t)len;
		s->hw[i].addr = addr;
		return 0;
	}
	return insert ? -ENOSPC : 0;
}

static enum gdb_action breakpoint(struct gdb_server *s, const char *p, bool insert)
{
	uint64_t addr, kind;
	unsigned int type = (unsigned int)(p[0] - '0');
	int r;

	if (type > 4 || p[1] != ',')
		return reply_err(s, EINVAL);
	p += 2;
	/* Conditions and commands after ';' are the target's to evaluate: not offered. */
	if (parse_addr_len(&p, &addr, &kind, 8) || (*p && *p != ';'))
		return reply_err(s, EINVAL);
	if (type == 0)
		r = insert ? sw_insert(s, addr) : sw_remove(s, addr);
	else
		r = hw_change(s, type, addr, kind, insert);
	return r ? reply_err(s, r) : reply(s, "OK");
}

void gdb_server_remove_all(struct gdb_server *s)
{
	while (s->nr_sw)
		sw_remove(s, s->sw[s->nr_sw - 1].addr);
	memset(s->hw, 0, sizeof(s->hw));
}

static enum gdb_action resume(struct gdb_server *s, int step)
{
	struct gdb_debug d;
	int r;

	debug_state(s, &d);
	s->step_cpu = step;
	r = s->ops->resume(s->target, step, &d);
	return r ? reply_err(s, r) : GDB_RESUMED;
}

/* vCont;ACTION[:TID](;ACTION[:TID])...: a step anywhere steps that vCPU alone. */
static enum gdb_action vcont(struct gdb_server *s, const char *p)
{
	int step = -1;

	if (!strcmp(p, "?"))
		return reply(s, "vCont;c;C;s;S");
	while (*p == ';') {
		char act = p[1];
		unsigned int cpu = s->c_cpu;

		if (act != 'c' && act != 'C' && act != 's' && act != 'S')
			return reply_err(s, EINVAL);
		p += 2;
		if (act == 'C' || act == 'S') {	/* a signal number: no signals to deliver */
			uint64_t sig;

			if (gdb_parse_hex(&p, &sig))
				return reply_err(s, EINVAL);
		}
		if (*p == ':') {
			char tid[24];
			size_t n = strcspn(p + 1, ";");

			if (n >= sizeof(tid))
				return reply_err(s, EINVAL);
			memcpy(tid, p + 1, n);
			tid[n] = '\0';
			if (parse_thread(s, tid, &cpu, true))
				return reply_err(s, EINVAL);
			p += 1 + n;
		}
		if ((act == 's' || act == 'S') && step < 0)
			step = (int)cpu;
		if (*p && *p != ';')
			return reply_err(s, EINVAL);
	}
	if (*p)
		return reply_err(s, EINVAL);
	return resume(s, step);
}

static enum gdb_action xfer_features(struct gdb_server *s, const char *p)
{
	uint64_t off, len;

	if (strncmp(p, "target.xml:", 11))
		return reply_err(s, ENOENT);
	p += 11;
	if (parse_addr_len(&p, &off, &len, UINT64_MAX) || *p)
		return reply_err(s, EINVAL);
	if (off > s->xml_len)
		return reply_err(s, EINVAL);
	/* Escaping may double a byte: what is sent stays within the packet size. */
	if (len > GDB_PACKET_MAX / 2 - 8)
		len = GDB_PACKET_MAX / 2 - 8;
	if (len > s->xml_len - off)
		len = s->xml_len - off;
	s->reply[0] = off + len < s->xml_len ? 'm' : 'l';
	memcpy(s->reply + 1, s->xml + off, len);
	s->send(s->send_ctx, s->reply, len + 1);
	return GDB_CONTINUE;
}

/* qRcmd,HEX: the command's output as O packets (hex), then OK or an error. */
static enum gdb_action monitor(struct gdb_server *s, const char *hex)
{
	static char out[65536];
	char cmd[256];
	size_t n = strlen(hex) / 2, len;
	int r;

	if (strlen(hex) % 2 || n >= sizeof(cmd) || gdb_hex2bin(hex, n, (uint8_t *)cmd))
		return reply_err(s, EINVAL);
	cmd[n] = '\0';
	if (memchr(cmd, '\0', n))
		return reply_err(s, EINVAL);
	out[0] = '\0';
	r = s->ops->monitor(s->target, s->g_cpu, cmd, out, sizeof(out));
	len = strnlen(out, sizeof(out));
	for (size_t at = 0; at < len;) {
		size_t chunk = len - at > GDB_PACKET_MAX / 2 - 8 ? GDB_PACKET_MAX / 2 - 8 : len - at;

		s->reply[0] = 'O';
		gdb_bin2hex((const uint8_t *)out + at, chunk, s->reply + 1);
		send_str(s, s->reply);
		at += chunk;
	}
	return r ? reply_err(s, r) : reply(s, "OK");
}

static enum gdb_action query(struct gdb_server *s, const char *p)
{
	if (!strncmp(p, "qSupported", 10)) {
		snprintf(s->reply, sizeof(s->reply), "PacketSize=%x;qXfer:features:read+;"
			 "swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+", GDB_PACKET_MAX);
		return reply(s, s->reply);
	}
	if (!strncmp(p, "qXfer:features:read:", 20))
		return xfer_features(s, p + 20);
	if (!strcmp(p, "qfThreadInfo")) {
		size_t n = 0;
		unsigned int nr = s->ops->nr_cpus(s->target);

		for (unsigned int i = 0; i < nr && n + 12 < sizeof(s->reply); i++)
			n += (size_t)snprintf(s->reply + n, sizeof(s->reply) - n, "%c%x",
					      i ? ',' : 'm', TID(i));
		return reply(s, s->reply);
	}
	if (!strcmp(p, "qsThreadInfo"))
		return reply(s, "l");
	if (!strcmp(p, "qC")) {
		snprintf(s->reply, sizeof(s->reply), "QC%x", TID(s->g_cpu));
		return reply(s, s->reply);
	}
	if (!strncmp(p, "qAttached", 9))
		return reply(s, "1");
	if (!strncmp(p, "qRcmd,", 6))
		return monitor(s, p + 6);
	if (!strncmp(p, "qThreadExtraInfo,", 17)) {
		unsigned int cpu;
		char text[32];

		if (parse_thread(s, p + 17, &cpu, false))
			return reply_err(s, EINVAL);
		snprintf(text, sizeof(text), "vcpu %u", cpu);
		gdb_bin2hex((const uint8_t *)text, strlen(text), s->reply);
		return reply(s, s->reply);
	}
	return reply(s, "");
}

enum gdb_action gdb_server_packet(struct gdb_server *s, const char *pkt, size_t len)
{
	unsigned int cpu;

	if (!len)
		return reply(s, "");
	switch (pkt[0]) {
	case '?': {
		/* Stopped for the debugger (SIGTRAP), as after a step: nothing more to say. */
		struct gdb_stop stop = { .cpu = s->g_cpu };

		gdb_server_stopped(s, &stop);
		return GDB_CONTINUE;
	}
	case 'g':
		return len == 1 ? read_all_regs(s) : reply_err(s, EINVAL);
	case 'G':
		return write_all_regs(s, pkt + 1, len - 1);
	case 'p':
	case 'P':
		return one_reg(s, pkt + 1, pkt[0] == 'P');
	case 'm':
		return read_mem(s, pkt + 1);
	case 'M':
		return write_mem(s, pkt + 1);
	case 'H':
		if ((pkt[1] != 'g' && pkt[1] != 'c') || parse_thread(s, pkt + 2, &cpu, true))
			return reply_err(s, EINVAL);
		*(pkt[1] == 'g' ? &s->g_cpu : &s->c_cpu) = cpu;
		return reply(s, "OK");
	case 'T':
		return parse_thread(s, pkt + 1, &cpu, false) ? reply_err(s, ENOENT) : reply(s, "OK");
	case 'c':
		return len == 1 ? resume(s, -1) : reply_err(s, EINVAL);
	case 's':
		return len == 1 ? resume(s, (int)s->c_cpu) : reply_err(s, EINVAL);
	case 'Z':
	case 'z':
		return breakpoint(s, pkt + 1, pkt[0] == 'Z');
	case 'D': {
		struct gdb_debug d;

		gdb_server_remove_all(s);
		debug_state(s, &d);
		send_str(s, "OK");
		s->ops->detach(s->target, &d);
		return GDB_DETACHED;
	}
	case 'k':
		gdb_server_remove_all(s);
		s->ops->kill(s->target);
		return GDB_KILLED;
	case 'q':
		return query(s, pkt);
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode")) {
			send_str(s, "OK");
			s->no_ack = true;
			return GDB_CONTINUE;
		}
		return reply(s, "");
	case 'v':
		if (!strncmp(pkt, "vCont", 5))
			return vcont(s, pkt + 5);
		if (!strncmp(pkt, "vKill", 5)) {
			gdb_server_remove_all(s);
			send_str(s, "OK");
			s->ops->kill(s->target);
			return GDB_KILLED;
		}
		return reply(s, "");
	default:
		return reply(s, "");
	}
}

void gdb_server_stopped(struct gdb_server *s, const struct gdb_stop *stop)
{
	size_t n;

	s->g_cpu = s->c_cpu = stop->cpu;
	n = (size_t)snprintf(s->reply, sizeof(s->reply), "T%02xthread:%x;",
			     stop->interrupted ? 2 : 5, TID(stop->cpu));
	if (stop->interrupted) {
		/* nothing more to say */
	} else if (stop->exception == 3) {
		n += (size_t)snprintf(s->reply + n, sizeof(s->reply) - n, "swbreak:;");
	} else if (stop->dr6 & 0xf) {
		static const char *const kinds[] = { "", "hwbreak", "watch", "rwatch", "awatch" };
		unsigned int slot = (unsigned int)__builtin_ctzll(stop->dr6 & 0xf);

		if (s->hw[slot].used && s->hw[slot].type >= 2)
			n += (size_t)snprintf(s->reply + n, sizeof(s->reply) - n, "%s:%llx;",
					      kinds[s->hw[slot].type],
					      (unsigned long long)s->hw[slot].addr);
		else
			n += (size_t)snprintf(s->reply + n, sizeof(s->reply) - n, "hwbreak:;");
	}
	(void)n;
	send_str(s, s->reply);
}
