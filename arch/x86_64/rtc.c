/*
 * The CMOS real-time clock, read once at boot. Wall-clock time is kept as
 * one offset from the monotonic clock (clock_ns, the TSC): file timestamps
 * (fs_now) and CLOCK_REALTIME both derive from it.
 * Registers through ports 0x70 (index) / 0x71 (data); values may be BCD
 * (status register B bit 2 clear) and the hour 12-hour (bit 1 clear).
 */
#include <arch/io.h>
#include <arch/timer.h>
#include <kernel/vfs.h>
#include <kernel/sched.h>

/* Nanoseconds since 1970 at clock_ns() == 0: set once, by rtc_init. */
static uint64_t realtime_offset_ns;

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static int bcd(uint8_t v, bool binary)
{
	return binary ? v : (v & 15) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = y / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void rtc_init(void)
{
	for (int i = 0; i < 1000000 && (cmos(0x0A) & 0x80); i++)
		;                     /* update in progress (bounded: a dead RTC) */
	uint8_t b = cmos(0x0B);
	bool bin = b & 4;
	int sec = bcd(cmos(0x00), bin), min = bcd(cmos(0x02), bin);
	uint8_t hr = cmos(0x04);
	int hour = bcd(hr & 0x7F, bin);
	int day = bcd(cmos(0x07), bin), mon = bcd(cmos(0x08), bin);
	int year = 2000 + bcd(cmos(0x09), bin);

	if (!(b & 2) && (hr & 0x80))
		hour = (hour % 12) + 12;
	int64_t epoch = days_from_civil(year, mon, day) * 86400 + hour * 3600 +
			min * 60 + sec;
	realtime_offset_ns = (uint64_t)epoch * 1000000000 - clock_ns();
}

uint64_t clock_realtime_offset_ns(void)
{
	return realtime_offset_ns;
}

int64_t fs_now(void)
{
	return (int64_t)((clock_ns() + realtime_offset_ns) / 1000000000);
}
