/*
 * rtc146818.c - Motorola MC146818A real-time clock plus RAM.
 *
 * Register map (MC146818A datasheet, "Address Map"): 0-9 are seconds,
 * alarm seconds, minutes, alarm minutes, hours, alarm hours, day of week
 * (1 = Sunday), day of month, month, year; 0x0A-0x0D are registers A-D;
 * the rest of the 128 bytes is RAM. By PC convention 0x32 holds the
 * century, which this model keeps with the clock.
 *
 * Time model. The divider chain runs from `origin_ns`: with a 32.768 kHz
 * time base (DV = 010) an update cycle ends at origin + k seconds, k >= 1.
 * The update cycle takes 1984 us and UIP rises 244 us before it starts
 * ("Update Cycle", tBUC); this model makes the new time, UF and the alarm
 * check take effect at the end of the cycle, so UIP reads 1 during the
 * 2228 us before each change and a read with UIP = 0 is always coherent.
 * While the clock runs, the time is `base_secs` (seconds since 1970 as if
 * UTC) at update instant `base_ns` plus the updates since, and the clock
 * bytes are rendered from it in the current format on every read. While
 * the clock is held (SET = 1, or the divider not at 010) the clock bytes
 * in `ram` are the time: the guest writes them freely, and when the hold
 * ends they are parsed in the format then in force ("SET": updates are
 * inhibited, the divider keeps running, so the first update after SET is
 * cleared comes at the next divider second). Divider values: 11x holds the
 * chain in reset and, when 010 is written again, the first update comes
 * 500 ms later ("Divider Control"); 000, 001 (time bases for other crystals)
 * and the test modes 011/10x are modelled as a stopped oscillator that
 * resumes at the sub-second phase it stopped at. Periodic interrupts come
 * from the same chain and stop with it.
 *
 * Simplifications, all invisible to ordinary guests: the day of week is
 * derived from the date (a written value that disagrees is not kept);
 * changing DM or 24/12 while the clock runs re-renders the time in the new
 * format instead of reinterpreting the old bytes; out-of-range clock values
 * are clamped when parsed; DSE (daylight saving) is stored but ignored; the
 * square-wave output (SQWE) has no pin to drive.
 *
 * Interrupts: PF, AF and UF are set whether enabled or not; IRQF = PF.PIE +
 * AF.AIE + UF.UIE and drives IRQ 8 as a level (the PIC sees the rising
 * edge); reading register C clears the flags and so lowers the line.
 * Flags are computed lazily over the time since the last evaluation, so a
 * late poll or a read of C sees everything that happened, once.
 */
#include "devices/rtc146818.h"

#include <stdlib.h>
#include <time.h>

#define RTC_SEC 0x00
#define RTC_ALARM_SEC 0x01
#define RTC_MIN 0x02
#define RTC_ALARM_MIN 0x03
#define RTC_HOUR 0x04
#define RTC_ALARM_HOUR 0x05
#define RTC_WDAY 0x06
#define RTC_MDAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define REGA_UIP 0x80
#define REGA_DV_MASK 0x70
#define REGA_DV_32KHZ 0x20
#define REGA_DV_RESET 0x60         /* 11x: both bit patterns have bits 6 and 5 set */
#define REGA_RS_MASK 0x0f

#define REGB_SET 0x80
#define REGB_PIE 0x40
#define REGB_AIE 0x20
#define REGB_UIE 0x10
#define REGB_DM_BINARY 0x04
#define REGB_24H 0x02

#define REGC_IRQF 0x80
#define REGC_PF 0x40
#define REGC_AF 0x20
#define REGC_UF 0x10
#define REGC_FLAGS (REGC_PF | REGC_AF | REGC_UF)   /* same bits as PIE, AIE, UIE */

#define REGD_VRT 0x80

#define HOUR_PM 0x80
#define ALARM_DONT_CARE 0xc0

#define TIMEBASE_HZ 32768u
#define UIP_LEAD_NS (244000 + 1984000)   /* tBUC + update cycle at 32.768 kHz */
#define RESET_RELEASE_PHASE_NS ((int64_t)NS_PER_SEC / 2)
#define SECS_PER_DAY 86400

struct rtc146818 {
	struct vclock *clock;
	struct irq_line irq;
	uint8_t ram[RTC146818_CMOS_SIZE];   /* A and B live here; clock bytes only while held */
	uint8_t flags;                      /* register C without IRQF */
	uint8_t index;
	bool nmi_masked;
	bool irq_level;
	int64_t origin_ns;                  /* divider chain at zero */
	int64_t base_ns;                    /* an update instant: origin + k s */
	int64_t base_secs;                  /* guest time at base_ns */
	int64_t held_phase_ns;              /* divider phase to resume from when restarted */
	int64_t last_ns;                    /* flags account for events up to here */
};

static int64_t rtc_now(const struct rtc146818 *rtc)
{
	return (int64_t)vclock_now(rtc->clock);
}

static bool rtc_running(const struct rtc146818 *rtc)
{
	return (rtc->ram[RTC_REG_A] & REGA_DV_MASK) == REGA_DV_32KHZ;
}

static bool rtc_held(const struct rtc146818 *rtc)
{
	return !rtc_running(rtc) || (rtc->ram[RTC_REG_B] & REGB_SET);
}

static bool rtc_is_clock_byte(unsigned index)
{
	return (index <= RTC_YEAR && index != RTC_ALARM_SEC && index != RTC_ALARM_MIN &&
		index != RTC_ALARM_HOUR) || index == RTC_CENTURY;
}

/* Update instants in (origin, t]; t >= origin_ns whenever the divider runs. */
static int64_t rtc_updates_until(const struct rtc146818 *rtc, int64_t t)
{
	return (t - rtc->origin_ns) / (int64_t)NS_PER_SEC;
}

/* 32.768 kHz time-base ticks since origin. */
static uint64_t rtc_ticks(const struct rtc146818 *rtc, int64_t t)
{
	uint64_t d = (uint64_t)(t - rtc->origin_ns);
	return d / NS_PER_SEC * TIMEBASE_HZ + d % NS_PER_SEC * TIMEBASE_HZ / NS_PER_SEC;
}

/* Nanoseconds after origin at which tick `ticks` begins (rounded up). */
static int64_t rtc_ticks_to_ns(uint64_t ticks)
{
	return (int64_t)(ticks / TIMEBASE_HZ * NS_PER_SEC +
			 (ticks % TIMEBASE_HZ * NS_PER_SEC + TIMEBASE_HZ - 1) / TIMEBASE_HZ);
}

/*
 * Periodic interrupt period in time-base ticks for RS3-RS0 (datasheet
 * table "Periodic Interrupt Rate and Square-Wave Output Frequency", 32.768
 * kHz column): 3..15 give 8192 Hz..2 Hz, 1 and 2 give 256 and 128 Hz.
 */
static uint64_t rtc_period_ticks(unsigned rs)
{
	return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

static int64_t rtc_current_secs(const struct rtc146818 *rtc, int64_t now)
{
	return rtc->base_secs + rtc_updates_until(rtc, now) - rtc_updates_until(rtc, rtc->base_ns);
}

static uint8_t rtc_encode(const struct rtc146818 *rtc, unsigned v)
{
	if (rtc->ram[RTC_REG_B] & REGB_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned rtc_decode(const struct rtc146818 *rtc, uint8_t r)
{
	if (rtc->ram[RTC_REG_B] & REGB_DM_BINARY)
		return r;
	return (r >> 4) * 10u + (r & 0x0f);
}

static uint8_t rtc_encode_hour(const struct rtc146818 *rtc, unsigned hour)
{
	if (rtc->ram[RTC_REG_B] & REGB_24H)
		return rtc_encode(rtc, hour);
	unsigned h12 = hour % 12 ? hour % 12 : 12;
	return (uint8_t)(rtc_encode(rtc, h12) | (hour >= 12 ? HOUR_PM : 0));
}

static unsigned rtc_decode_hour(const struct rtc146818 *rtc, uint8_t r)
{
	if (rtc->ram[RTC_REG_B] & REGB_24H)
		return rtc_decode(rtc, r);
	return rtc_decode(rtc, r & (uint8_t)~HOUR_PM) % 12 + (r & HOUR_PM ? 12 : 0);
}

static unsigned rtc_clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Seconds, minutes and hours bytes for time `secs`, in the current format. */
static void rtc_encode_hms(const struct rtc146818 *rtc, int64_t secs, uint8_t hms[3])
{
	int64_t s = secs % SECS_PER_DAY;
	if (s < 0)
		s += SECS_PER_DAY;
	hms[0] = rtc_encode(rtc, (unsigned)(s % 60));
	hms[1] = rtc_encode(rtc, (unsigned)(s / 60 % 60));
	hms[2] = rtc_encode_hour(rtc, (unsigned)(s / 3600));
}

/* Writes the clock bytes for time `secs` into a 128-byte image. */
static void rtc_render(const struct rtc146818 *rtc, int64_t secs, uint8_t *ram)
{
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	uint8_t hms[3];
	rtc_encode_hms(rtc, secs, hms);
	unsigned year = (unsigned)(tm.tm_year + 1900);
	ram[RTC_SEC] = hms[0];
	ram[RTC_MIN] = hms[1];
	ram[RTC_HOUR] = hms[2];
	ram[RTC_WDAY] = rtc_encode(rtc, (unsigned)tm.tm_wday + 1);
	ram[RTC_MDAY] = rtc_encode(rtc, (unsigned)tm.tm_mday);
	ram[RTC_MONTH] = rtc_encode(rtc, (unsigned)tm.tm_mon + 1);
	ram[RTC_YEAR] = rtc_encode(rtc, year % 100);
	ram[RTC_CENTURY] = rtc_encode(rtc, year / 100 % 100);
}

/* The time held in the clock bytes of `ram`, in the current format. */
static int64_t rtc_parse(const struct rtc146818 *rtc)
{
	const uint8_t *r = rtc->ram;
	struct tm tm = {
		.tm_sec = (int)rtc_clamp(rtc_decode(rtc, r[RTC_SEC]), 0, 59),
		.tm_min = (int)rtc_clamp(rtc_decode(rtc, r[RTC_MIN]), 0, 59),
		.tm_hour = (int)rtc_clamp(rtc_decode_hour(rtc, r[RTC_HOUR]), 0, 23),
		.tm_mday = (int)rtc_clamp(rtc_decode(rtc, r[RTC_MDAY]), 1, 31),
		.tm_mon = (int)rtc_clamp(rtc_decode(rtc, r[RTC_MONTH]), 1, 12) - 1,
		.tm_year = (int)(rtc_clamp(rtc_decode(rtc, r[RTC_CENTURY]), 0, 99) * 100 +
				 rtc_clamp(rtc_decode(rtc, r[RTC_YEAR]), 0, 99)) - 1900,
	};
	return (int64_t)timegm(&tm);
}

/* Ends a hold: the clock bytes become the time at the last divider second. */
static void rtc_release(struct rtc146818 *rtc, int64_t now)
{
	rtc->base_secs = rtc_parse(rtc);
	rtc->base_ns = rtc->origin_ns + rtc_updates_until(rtc, now) * (int64_t)NS_PER_SEC;
}

static void rtc_update_irq(struct rtc146818 *rtc)
{
	bool level = (rtc->flags & rtc->ram[RTC_REG_B] & REGC_FLAGS) != 0;
	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		irq_line_set(&rtc->irq, level);
	}
}

static bool rtc_alarm_matches(const struct rtc146818 *rtc, int64_t secs)
{
	static const unsigned alarm_index[3] = { RTC_ALARM_SEC, RTC_ALARM_MIN, RTC_ALARM_HOUR };
	uint8_t hms[3];
	rtc_encode_hms(rtc, secs, hms);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t a = rtc->ram[alarm_index[i]];
		if ((a & ALARM_DONT_CARE) != ALARM_DONT_CARE && a != hms[i])
			return false;
	}
	return true;
}

/*
 * Did any update instant k in (k_from, k_to] hit the alarm? The alarm
 * compares only the time of day, so one day of updates covers every case.
 */
static bool rtc_alarm_between(const struct rtc146818 *rtc, int64_t k_from, int64_t k_to)
{
	int64_t k_base = rtc_updates_until(rtc, rtc->base_ns);
	if (k_to - k_from > SECS_PER_DAY)
		k_from = k_to - SECS_PER_DAY;
	for (int64_t k = k_from + 1; k <= k_to; k++)
		if (rtc_alarm_matches(rtc, rtc->base_secs + (k - k_base)))
			return true;
	return false;
}

/* Sets the flags for the events in (last_ns, now] and updates IRQ 8. */
static void rtc_advance(struct rtc146818 *rtc, int64_t now)
{
	int64_t from = rtc->last_ns;
	if (now <= from)
		return;
	rtc->last_ns = now;
	if (!rtc_running(rtc))
		return;
	unsigned rs = rtc->ram[RTC_REG_A] & REGA_RS_MASK;
	if (rs) {
		uint64_t period = rtc_period_ticks(rs);
		if (rtc_ticks(rtc, now) / period != rtc_ticks(rtc, from) / period)
			rtc->flags |= REGC_PF;
	}
	if (!(rtc->ram[RTC_REG_B] & REGB_SET)) {
		int64_t k_from = rtc_updates_until(rtc, from);
		int64_t k_to = rtc_updates_until(rtc, now);
		if (k_to > k_from) {
			rtc->flags |= REGC_UF;
			if (rtc_alarm_between(rtc, k_from, k_to))
				rtc->flags |= REGC_AF;
		}
	}
	rtc_update_irq(rtc);
}

static bool rtc_uip(const struct rtc146818 *rtc, int64_t now)
{
	if (rtc_held(rtc))
		return false;
	int64_t phase = (now - rtc->origin_ns) % (int64_t)NS_PER_SEC;
	return phase >= (int64_t)NS_PER_SEC - UIP_LEAD_NS;
}

static void rtc_write_reg_a(struct rtc146818 *rtc, uint8_t value, int64_t now)
{
	bool was_held = rtc_held(rtc), was_running = rtc_running(rtc);
	int64_t secs = was_held ? 0 : rtc_current_secs(rtc, now);
	uint8_t dv = value & REGA_DV_MASK;
	if ((dv & REGA_DV_RESET) == REGA_DV_RESET)
		rtc->held_phase_ns = RESET_RELEASE_PHASE_NS;
	else if (was_running && dv != REGA_DV_32KHZ)
		rtc->held_phase_ns = (now - rtc->origin_ns) % (int64_t)NS_PER_SEC;
	rtc->ram[RTC_REG_A] = value & (uint8_t)~REGA_UIP;
	if (!was_running && rtc_running(rtc))
		rtc->origin_ns = now - rtc->held_phase_ns;
	if (!was_held && rtc_held(rtc))
		rtc_render(rtc, secs, rtc->ram);
	else if (was_held && !rtc_held(rtc))
		rtc_release(rtc, now);
}

static void rtc_write_reg_b(struct rtc146818 *rtc, uint8_t value, int64_t now)
{
	bool was_held = rtc_held(rtc);
	int64_t secs = was_held ? 0 : rtc_current_secs(rtc, now);
	/* "UIE is cleared when SET goes high" (register B, UIE). */
	if ((value & REGB_SET) && !(rtc->ram[RTC_REG_B] & REGB_SET))
		value &= (uint8_t)~REGB_UIE;
	rtc->ram[RTC_REG_B] = value;
	if (!was_held && rtc_held(rtc))
		rtc_render(rtc, secs, rtc->ram);
	else if (was_held && !rtc_held(rtc))
		rtc_release(rtc, now);
	rtc_update_irq(rtc);
}

/* What the guest reads at `index` now, without the side effect of reading C. */
static uint8_t rtc_peek(const struct rtc146818 *rtc, unsigned index, int64_t now)
{
	switch (index) {
	case RTC_REG_A:
		return (uint8_t)(rtc->ram[RTC_REG_A] | (rtc_uip(rtc, now) ? REGA_UIP : 0));
	case RTC_REG_C:
		return (uint8_t)(rtc->flags |
				 ((rtc->flags & rtc->ram[RTC_REG_B] & REGC_FLAGS) ? REGC_IRQF : 0));
	case RTC_REG_D:
		return REGD_VRT;
	}
	if (rtc_is_clock_byte(index) && !rtc_held(rtc)) {
		uint8_t image[RTC146818_CMOS_SIZE];
		rtc_render(rtc, rtc_current_secs(rtc, now), image);
		return image[index];
	}
	return rtc->ram[index];
}

static uint8_t rtc_read_index(struct rtc146818 *rtc, unsigned index)
{
	int64_t now = rtc_now(rtc);
	if (index != RTC_REG_C)
		return rtc_peek(rtc, index, now);
	rtc_advance(rtc, now);
	uint8_t v = rtc_peek(rtc, index, now);
	rtc->flags = 0;
	rtc_update_irq(rtc);
	return v;
}

static void rtc_write_index(struct rtc146818 *rtc, unsigned index, uint8_t value)
{
	int64_t now = rtc_now(rtc);
	switch (index) {
	case RTC_REG_A:
		rtc_advance(rtc, now);
		rtc_write_reg_a(rtc, value, now);
		return;
	case RTC_REG_B:
		rtc_advance(rtc, now);
		rtc_write_reg_b(rtc, value, now);
		return;
	case RTC_REG_C:
	case RTC_REG_D:
		return;   /* read-only */
	}
	if (!rtc_is_clock_byte(index) || rtc_held(rtc)) {
		rtc->ram[index] = value;
		return;
	}
	/* A write while the clock runs sets that field of the running time. */
	rtc_advance(rtc, now);
	rtc_render(rtc, rtc_current_secs(rtc, now), rtc->ram);
	rtc->ram[index] = value;
	rtc_release(rtc, now);
}

static uint8_t rtc_port_read(struct rtc146818 *rtc, uint32_t offset)
{
	if (offset == 0)
		return 0xff;   /* the index register is write-only */
	return rtc_read_index(rtc, rtc->index);
}

static void rtc_port_write(struct rtc146818 *rtc, uint32_t offset, uint8_t value)
{
	if (offset == 0) {
		rtc->index = value & 0x7f;
		rtc->nmi_masked = (value & 0x80) != 0;
	} else {
		rtc_write_index(rtc, rtc->index, value);
	}
}

/* Wider accesses are split into byte accesses to consecutive ports. */
static uint32_t rtc_io_read(void *opaque, uint32_t offset, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < 2 ? rtc_port_read(opaque, offset + i) : 0xff;
		v |= (uint32_t)b << (8 * i);
	}
	return v;
}

static void rtc_io_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	for (unsigned i = 0; i < size && offset + i < 2; i++)
		rtc_port_write(opaque, offset + i, (uint8_t)(value >> (8 * i)));
}

static const struct io_ops rtc_io_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

struct rtc146818 *rtc146818_create(struct vclock *clock, int64_t unix_time_at_clock_zero,
				   struct irq_line irq8)
{
	struct rtc146818 *rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return NULL;
	rtc->clock = clock;
	rtc->irq = irq8;
	/* What a PC BIOS programs: 32.768 kHz, 1024 Hz periodic rate; 24 h, BCD. */
	rtc->ram[RTC_REG_A] = REGA_DV_32KHZ | 0x06;
	rtc->ram[RTC_REG_B] = REGB_24H;
	rtc->base_secs = unix_time_at_clock_zero;
	rtc->held_phase_ns = RESET_RELEASE_PHASE_NS;
	return rtc;
}

void rtc146818_destroy(struct rtc146818 *rtc)
{
	free(rtc);
}

int rtc146818_register(struct rtc146818 *rtc, struct portmap *ports)
{
	return portmap_register(ports, RTC146818_PORT_BASE, 2, &rtc_io_ops, rtc, "rtc146818");
}

uint64_t rtc146818_poll(struct rtc146818 *rtc, uint64_t now_ns)
{
	int64_t now = (int64_t)now_ns < rtc->last_ns ? rtc->last_ns : (int64_t)now_ns;
	rtc_advance(rtc, now);
	if (!rtc_running(rtc))
		return VCLOCK_NEVER;
	uint64_t next = VCLOCK_NEVER;
	uint8_t b = rtc->ram[RTC_REG_B];
	unsigned rs = rtc->ram[RTC_REG_A] & REGA_RS_MASK;
	if ((b & REGB_PIE) && rs) {
		uint64_t period = rtc_period_ticks(rs);
		uint64_t tick = (rtc_ticks(rtc, now) / period + 1) * period;
		next = (uint64_t)(rtc->origin_ns + rtc_ticks_to_ns(tick));
	}
	if ((b & (REGB_AIE | REGB_UIE)) && !(b & REGB_SET)) {
		uint64_t update = (uint64_t)(rtc->origin_ns +
					     (rtc_updates_until(rtc, now) + 1) * (int64_t)NS_PER_SEC);
		if (update < next)
			next = update;
	}
	return next;
}

void rtc146818_set_cmos(struct rtc146818 *rtc, unsigned index, uint8_t value)
{
	if (index < RTC146818_CMOS_SIZE)
		rtc_write_index(rtc, index, value);
}

uint8_t rtc146818_get_cmos(const struct rtc146818 *rtc, unsigned index)
{
	if (index >= RTC146818_CMOS_SIZE)
		return 0xff;
	return rtc_peek(rtc, index, rtc_now(rtc));
}

bool rtc146818_nmi_masked(const struct rtc146818 *rtc)
{
	return rtc->nmi_masked;
}
