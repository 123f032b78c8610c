/*
 * The CMOS real-time clock, read once at boot, for file timestamps:
 * fs_now() = the RTC's time at boot + seconds since (from the TSC).
 * Registers through ports 0x70 (index) / 0x71 (data); values may be BCD
 * (status register B bit 2 clear) and the hour 12-hour (bit 1 clear).
 */
#include <arch/io.h>
#include <arch/timer.h>
#include <kernel/vfs.h>

static int64_t boot_epoch;
static uint64_t boot_tsc;

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
	while (cmos(0x0A) & 0x80)     /* update in progress */
		;
	uint8_t b = cmos(0x0B);
	bool bin = b & 4;
	int sec = bcd(cmos(0x00), bin), min = bcd(cmos(0x02), bin);
	uint8_t hr = cmos(0x04);
	int hour = bcd(hr & 0x7F, bin);
	int day = bcd(cmos(0x07), bin), mon = bcd(cmos(0x08), bin);
	int year = 2000 + bcd(cmos(0x09), bin);

	if (!(b & 2) && (hr & 0x80))
		hour = (hour % 12) + 12;
	boot_epoch = days_from_civil(year, mon, day) * 86400 + hour * 3600 +
		     min * 60 + sec;
	boot_tsc = rdtsc();
}

int64_t fs_now(void)
{
	if (!tsc_khz)
		return boot_epoch;
	return boot_epoch + (int64_t)((rdtsc() - boot_tsc) / (tsc_khz * 1000));
}
