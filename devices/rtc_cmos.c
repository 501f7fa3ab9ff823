// SPDX-License-Identifier: MIT
/*
 * The PC's MC146818 real-time clock and CMOS RAM (Motorola MC146818A
 * datasheet): a write to port 0x70 selects a register (bit 7 is the NMI
 * mask, kept and ignored), port 0x71 reads or writes it.  The time
 * registers show the host's UTC, in BCD or binary and 12- or 24-hour as
 * register B says; writes to them are ignored (the guest cannot set the
 * host's clock).  Register A's UIP is set for the last 2228 us of every
 * second: 244 us before the update cycle starts and during its 1984 us,
 * the time registers taking the new second as it ends.  Register C's
 * flags (UF on every update, AF on an alarm match, IRQF for an enabled
 * one) are cleared by reading it.  There is no IRQ 8: the alarm serves
 * as a wake event from ACPI S3 (rtc_cmos_next_alarm()).
 */
#include <string.h>
#include <time.h>

#include "devices.h"

#define NS_PER_SEC	1000000000ull
#define UIP_NS		(244000ull + 1984000ull)
#define ALARM_ANY	0xc0		/* an alarm byte of 0xc0-0xff matches every value */
#define RTC_SEC_ALARM	1
#define RTC_MIN_ALARM	3
#define RTC_HOUR_ALARM	5
#define RTC_B_UIE	0x10

/* Seconds, minutes, hours, day of week, day, month, year; 1, 3 and 5 are the alarm. */
static bool is_time(uint8_t reg)
{
	return (reg <= 9 && !(reg & 1 && reg < 6)) || reg == RTC_CENTURY;
}

uint64_t rtc_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void rtc_cmos_init(struct rtc_cmos *rtc, uint64_t (*now_ns)(void))
{
	*rtc = (struct rtc_cmos){ .now_ns = now_ns ? now_ns : rtc_realtime_ns };
	rtc->ram[RTC_REG_A] = 0x26;		/* 32.768 kHz time base, 1024 Hz rate */
	rtc->ram[RTC_REG_B] = RTC_B_24H;	/* BCD, 24-hour */
	rtc->ram[RTC_REG_D] = 0x80;		/* VRT: the RAM and time are valid */
	rtc->c_read_sec = rtc->now_ns() / NS_PER_SEC;
	pthread_mutex_init(&rtc->lock, NULL);
}

void rtc_cmos_destroy(struct rtc_cmos *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}

static uint8_t encode(const struct rtc_cmos *rtc, unsigned int v)
{
	if (rtc->ram[RTC_REG_B] & RTC_B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t encode_hour(const struct rtc_cmos *rtc, unsigned int h)
{
	if (rtc->ram[RTC_REG_B] & RTC_B_24H)
		return encode(rtc, h);
	return (uint8_t)(encode(rtc, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

/*
 * Time register @reg for the second @sec of the Unix epoch, in UTC.  The
 * date is computed here (the proleptic Gregorian calendar in 400-year
 * eras, as in Howard Hinnant's civil_from_days), not by gmtime_r(): glibc
 * reads the time zone files on its first call, on a vCPU thread whose
 * seccomp allow-list has no openat.
 */
static uint8_t time_reg(const struct rtc_cmos *rtc, uint64_t sec, unsigned int reg)
{
	uint64_t days = sec / 86400, s = sec % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned int mday = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	unsigned int mon = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	unsigned int year = (unsigned int)(yoe + era * 400 + (mon <= 2));

	switch (reg) {
	case 0: return encode(rtc, (unsigned int)(s % 60));
	case 2: return encode(rtc, (unsigned int)(s / 60 % 60));
	case 4: return encode_hour(rtc, (unsigned int)(s / 3600));
	/* Day of the week, Sunday 1: 1970-01-01 was a Thursday. */
	case 6: return encode(rtc, (unsigned int)((days + 4) % 7) + 1);
	case 7: return encode(rtc, mday);
	case 8: return encode(rtc, mon);
	case 9: return encode(rtc, year % 100);
	default: return encode(rtc, year / 100);	/* century */
	}
}

static bool alarm_matches(const struct rtc_cmos *rtc, uint64_t sec)
{
	static const uint8_t alarm[3] = { RTC_SEC_ALARM, RTC_MIN_ALARM, RTC_HOUR_ALARM };

	for (unsigned int i = 0; i < 3; i++) {
		uint8_t a = rtc->ram[alarm[i]];

		if (a < ALARM_ANY && a != time_reg(rtc, sec, alarm[i] - 1))
			return false;
	}
	return true;
}

/* The first second in (@from, @to] the alarm matches, or 0; the time repeats within a day. */
static uint64_t first_alarm(const struct rtc_cmos *rtc, uint64_t from, uint64_t to)
{
	if (to > from + 86400)
		to = from + 86400;
	for (uint64_t s = from + 1; s <= to; s++)
		if (alarm_matches(rtc, s))
			return s;
	return 0;
}

uint64_t rtc_cmos_next_alarm(struct rtc_cmos *rtc, uint64_t now)
{
	uint64_t t;

	pthread_mutex_lock(&rtc->lock);
	t = rtc->ram[RTC_REG_B] & RTC_B_AIE ? first_alarm(rtc, now / NS_PER_SEC, UINT64_MAX) : 0;
	pthread_mutex_unlock(&rtc->lock);
	return t * NS_PER_SEC;
}

void rtc_cmos_alarm_fired(struct rtc_cmos *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	rtc->ram[RTC_REG_C] |= RTC_C_AF | RTC_C_IRQF;
	pthread_mutex_unlock(&rtc->lock);
}

/* Register C: the flags of the updates since it was last read; reading clears them. */
static uint8_t read_c(struct rtc_cmos *rtc, uint64_t now)
{
	uint64_t sec = now / NS_PER_SEC;
	uint8_t c = rtc->ram[RTC_REG_C], b = rtc->ram[RTC_REG_B];

	if (sec != rtc->c_read_sec) {
		c |= RTC_C_UF;
		if (first_alarm(rtc, rtc->c_read_sec, sec))
			c |= RTC_C_AF;
	}
	if ((c & RTC_C_UF && b & RTC_B_UIE) || (c & RTC_C_AF && b & RTC_B_AIE))
		c |= RTC_C_IRQF;
	rtc->ram[RTC_REG_C] = 0;
	rtc->c_read_sec = sec;
	return c;
}

static int rtc_read(void *dev, unsigned int cpu, uint64_t offset, void *data, unsigned int len)
{
	struct rtc_cmos *rtc = dev;
	uint64_t now = rtc->now_ns();
	uint8_t reg, v;

	(void)cpu;
	memset(data, 0xff, len);
	if (offset != 1)
		return 0;	/* the index port is write-only */
	pthread_mutex_lock(&rtc->lock);
	reg = rtc->index;
	if (is_time(reg))
		v = time_reg(rtc, now / NS_PER_SEC, reg);
	else if (reg == RTC_REG_A)
		v = (uint8_t)(rtc->ram[reg] | (!(rtc->ram[RTC_REG_B] & RTC_B_SET) &&
					       now % NS_PER_SEC >= NS_PER_SEC - UIP_NS
				       ? RTC_A_UIP : 0));
	else if (reg == RTC_REG_C)
		v = read_c(rtc, now);
	else
		v = rtc->ram[reg];
	pthread_mutex_unlock(&rtc->lock);
	*(uint8_t *)data = v;
	return 0;
}

static int rtc_write(void *dev, unsigned int cpu, uint64_t offset, const void *data,
		     unsigned int len)
{
	struct rtc_cmos *rtc = dev;
	uint8_t v = *(const uint8_t *)data;

	(void)cpu;
	(void)len;
	pthread_mutex_lock(&rtc->lock);
	if (offset == 0) {
		rtc->index = v & 0x7f;
	} else {
		uint8_t reg = rtc->index;

		/* Time, century, C and D are the clock's; A's UIP is read-only. */
		if (reg == RTC_REG_A)
			rtc->ram[reg] = v & 0x7f;
		else if (!is_time(reg) && reg != RTC_REG_C && reg != RTC_REG_D)
			rtc->ram[reg] = v;
	}
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

const struct bus_device_ops rtc_cmos_ops = {
	.read = rtc_read,
	.write = rtc_write,
};
