/*
 * test_rtc146818.c - MC146818A RTC through its ports, with a fake clock.
 *
 * The clock starts at Thursday 2024-02-29 13:45:56 UTC when the fake
 * vclock reads 0; the divider starts there too, so updates happen at
 * whole seconds of fake time.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/portmap.h"
#include "devices/rtc146818.h"

#define T0 1709214356   /* 2024-02-29 13:45:56 UTC, a Thursday */
#define MS (NS_PER_SEC / 1000)
#define US (NS_PER_SEC / 1000000)

struct irq_probe {
	int level;
	int raises;
	int calls;
};

static void probe_set(void *opaque, int num, int level)
{
	struct irq_probe *p = opaque;
	p->calls++;
	if (level && !p->level)
		p->raises++;
	p->level = level;
}

struct fixture {
	struct vclock clock;
	struct irq_probe irq;
	struct portmap *ports;
	struct rtc146818 *rtc;
};

static struct fixture *fx_new(int64_t start)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ports = malloc(sizeof(*f->ports));
	portmap_init(f->ports);
	f->rtc = rtc146818_create(&f->clock, start,
				  (struct irq_line){ probe_set, &f->irq, 8 });
	ck_assert_ptr_nonnull(f->rtc);
	ck_assert_int_eq(rtc146818_register(f->rtc, f->ports), 0);
	return f;
}

static void fx_free(struct fixture *f)
{
	rtc146818_destroy(f->rtc);
	free(f->ports);
	free(f);
}

static uint8_t rd(struct fixture *f, uint8_t index)
{
	portmap_write(f->ports, 0x70, index, 1);
	return (uint8_t)portmap_read(f->ports, 0x71, 1);
}

static void wr(struct fixture *f, uint8_t index, uint8_t value)
{
	portmap_write(f->ports, 0x70, index, 1);
	portmap_write(f->ports, 0x71, value, 1);
}

static void at(struct fixture *f, uint64_t ns)
{
	f->clock.fake_ns = ns;
}

START_TEST(test_bcd_time_and_date)
{
	struct fixture *f = fx_new(T0);
	ck_assert_uint_eq(rd(f, 0x00), 0x56);
	ck_assert_uint_eq(rd(f, 0x02), 0x45);
	ck_assert_uint_eq(rd(f, 0x04), 0x13);
	ck_assert_uint_eq(rd(f, 0x06), 5);      /* Thursday, Sunday = 1 */
	ck_assert_uint_eq(rd(f, 0x07), 0x29);
	ck_assert_uint_eq(rd(f, 0x08), 0x02);
	ck_assert_uint_eq(rd(f, 0x09), 0x24);
	ck_assert_uint_eq(rd(f, 0x32), 0x20);
	ck_assert_uint_eq(rd(f, 0x0b), 0x02);   /* 24 h, BCD */
	ck_assert_uint_eq(rd(f, 0x0a), 0x26);
	fx_free(f);
}
END_TEST

START_TEST(test_time_advances_with_clock)
{
	struct fixture *f = fx_new(T0);
	at(f, 3 * NS_PER_SEC + 500 * MS);
	ck_assert_uint_eq(rd(f, 0x00), 0x59);
	at(f, 4 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x00), 0x00);
	ck_assert_uint_eq(rd(f, 0x02), 0x46);
	/* A day and a bit later: leap day rolls into March 1st, a Friday. */
	at(f, (uint64_t)(86400 - 13 * 3600) * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x07), 0x01);
	ck_assert_uint_eq(rd(f, 0x08), 0x03);
	ck_assert_uint_eq(rd(f, 0x06), 6);
	fx_free(f);
}
END_TEST

START_TEST(test_binary_mode)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0b, 0x06);   /* binary, 24 h */
	ck_assert_uint_eq(rd(f, 0x00), 56);
	ck_assert_uint_eq(rd(f, 0x02), 45);
	ck_assert_uint_eq(rd(f, 0x04), 13);
	ck_assert_uint_eq(rd(f, 0x07), 29);
	ck_assert_uint_eq(rd(f, 0x08), 2);
	ck_assert_uint_eq(rd(f, 0x09), 24);
	ck_assert_uint_eq(rd(f, 0x32), 20);
	fx_free(f);
}
END_TEST

START_TEST(test_12_hour_mode)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0b, 0x00);   /* BCD, 12 h */
	ck_assert_uint_eq(rd(f, 0x04), 0x81);   /* 1 PM */
	fx_free(f);

	f = fx_new(T0 - 13 * 3600 - 15 * 60);   /* 00:30:56 */
	wr(f, 0x0b, 0x00);
	ck_assert_uint_eq(rd(f, 0x04), 0x12);   /* 12 AM */
	wr(f, 0x0b, 0x04);                      /* binary, 12 h */
	ck_assert_uint_eq(rd(f, 0x04), 12);
	fx_free(f);

	f = fx_new(T0 - 3600);                  /* 12:45:56 */
	wr(f, 0x0b, 0x00);
	ck_assert_uint_eq(rd(f, 0x04), 0x92);   /* 12 PM */
	fx_free(f);
}
END_TEST

START_TEST(test_set_freezes_and_writes_time)
{
	struct fixture *f = fx_new(T0);
	at(f, 1 * NS_PER_SEC + 200 * MS);
	wr(f, 0x0b, 0x82);                      /* SET, 24 h, BCD */
	at(f, 11 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x00), 0x57);   /* frozen */
	ck_assert_uint_eq(rd(f, 0x0a) & 0x80, 0);   /* no UIP while SET */
	wr(f, 0x00, 0x00);
	wr(f, 0x02, 0x00);
	wr(f, 0x04, 0x08);
	wr(f, 0x07, 0x01);
	wr(f, 0x08, 0x01);
	wr(f, 0x09, 0x25);
	wr(f, 0x32, 0x20);
	ck_assert_uint_eq(rd(f, 0x04), 0x08);
	at(f, 13 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x00), 0x00);   /* still frozen */
	wr(f, 0x0b, 0x02);                      /* clear SET at a divider second */
	at(f, 13 * NS_PER_SEC + 500 * MS);
	ck_assert_uint_eq(rd(f, 0x00), 0x00);
	ck_assert_uint_eq(rd(f, 0x04), 0x08);
	ck_assert_uint_eq(rd(f, 0x07), 0x01);
	ck_assert_uint_eq(rd(f, 0x08), 0x01);
	ck_assert_uint_eq(rd(f, 0x09), 0x25);
	ck_assert_uint_eq(rd(f, 0x06), 4);      /* 2025-01-01 is a Wednesday */
	at(f, 14 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x00), 0x01);
	at(f, 75 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x00), 0x02);
	ck_assert_uint_eq(rd(f, 0x02), 0x01);
	fx_free(f);
}
END_TEST

START_TEST(test_write_while_running)
{
	struct fixture *f = fx_new(T0);
	at(f, 300 * MS);
	wr(f, 0x02, 0x10);                      /* minutes := 10 */
	ck_assert_uint_eq(rd(f, 0x02), 0x10);
	ck_assert_uint_eq(rd(f, 0x00), 0x56);
	ck_assert_uint_eq(rd(f, 0x04), 0x13);
	at(f, 1 * NS_PER_SEC);                  /* divider phase kept */
	ck_assert_uint_eq(rd(f, 0x00), 0x57);
	fx_free(f);
}
END_TEST

START_TEST(test_set_in_12h_binary_parsed_on_release)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0b, 0x80);                      /* SET, 12 h, BCD */
	ck_assert_uint_eq(rd(f, 0x04), 0x81);   /* held bytes rendered in the new format */
	wr(f, 0x04, 0x80 | 0x11);               /* 11 PM */
	wr(f, 0x0b, 0x00);                      /* running, 12 h */
	ck_assert_uint_eq(rd(f, 0x04), 0x91);
	wr(f, 0x0b, 0x02);                      /* 24 h while running: re-rendered */
	ck_assert_uint_eq(rd(f, 0x04), 0x23);
	wr(f, 0x0b, 0x86);                      /* SET, binary, 24 h */
	wr(f, 0x02, 59);
	wr(f, 0x0b, 0x06);
	ck_assert_uint_eq(rd(f, 0x02), 59);
	ck_assert_uint_eq(rd(f, 0x04), 23);
	ck_assert_uint_eq(rd(f, 0x00), 56);
	fx_free(f);
}
END_TEST

START_TEST(test_uip_window)
{
	struct fixture *f = fx_new(T0);
	at(f, 500 * MS);
	ck_assert_uint_eq(rd(f, 0x0a), 0x26);
	at(f, NS_PER_SEC - 2229 * US);
	ck_assert_uint_eq(rd(f, 0x0a) & 0x80, 0);
	at(f, NS_PER_SEC - 2200 * US);
	ck_assert_uint_eq(rd(f, 0x0a) & 0x80, 0x80);
	ck_assert_uint_eq(rd(f, 0x00), 0x56);   /* the new time comes at the end */
	at(f, NS_PER_SEC - 1 * US);
	ck_assert_uint_eq(rd(f, 0x0a), 0xa6);
	at(f, NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x0a), 0x26);
	ck_assert_uint_eq(rd(f, 0x00), 0x57);
	/* UIP is read-only */
	wr(f, 0x0a, 0xa6);
	at(f, NS_PER_SEC + 10 * MS);
	ck_assert_uint_eq(rd(f, 0x0a), 0x26);
	fx_free(f);
}
END_TEST

/* Runs the machine loop for one second of fake time, acking each IRQ like a handler. */
static int count_irqs_for_one_second(struct fixture *f)
{
	uint64_t now = 0;
	int acks = 0;
	for (;;) {
		uint64_t next = rtc146818_poll(f->rtc, now);
		if (next > NS_PER_SEC)
			break;
		ck_assert_uint_gt(next, now);
		now = next;
		at(f, now);
		int before = f->irq.raises;
		rtc146818_poll(f->rtc, now);
		if (f->irq.raises != before) {
			ck_assert_uint_eq(rd(f, 0x0c) & 0xc0, 0xc0);   /* IRQF | PF */
			ck_assert_int_eq(f->irq.level, 0);
			acks++;
		}
	}
	ck_assert_int_eq(acks, f->irq.raises);
	return acks;
}

START_TEST(test_periodic_rates)
{
	static const struct { unsigned rs; int hz; } cases[] = {
		{ 3, 8192 }, { 6, 1024 }, { 10, 64 }, { 15, 2 }, { 1, 256 }, { 2, 128 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = fx_new(T0);
		wr(f, 0x0a, (uint8_t)(0x20 | cases[i].rs));
		wr(f, 0x0b, 0x42);   /* PIE */
		ck_assert_int_eq(count_irqs_for_one_second(f), cases[i].hz);
		fx_free(f);
	}
}
END_TEST

START_TEST(test_periodic_disabled_rate_zero)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0a, 0x20);
	wr(f, 0x0b, 0x42);
	ck_assert_uint_eq(rtc146818_poll(f->rtc, 0), VCLOCK_NEVER);
	at(f, 3 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x0c) & 0x40, 0);
	ck_assert_int_eq(f->irq.raises, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_flags_without_enable)
{
	struct fixture *f = fx_new(T0);
	at(f, 2 * NS_PER_SEC + 1);
	ck_assert_uint_eq(rtc146818_poll(f->rtc, 2 * NS_PER_SEC + 1), VCLOCK_NEVER);
	ck_assert_int_eq(f->irq.calls, 0);
	ck_assert_uint_eq(rd(f, 0x0c), 0x50);   /* PF | UF, no IRQF */
	ck_assert_uint_eq(rd(f, 0x0c), 0x00);   /* cleared by the read */
	/* Enabling an interrupt whose flag is already set raises IRQF at once. */
	at(f, 3 * NS_PER_SEC + 1);
	rtc146818_poll(f->rtc, 3 * NS_PER_SEC + 1);
	ck_assert_int_eq(f->irq.level, 0);
	wr(f, 0x0b, 0x12);                      /* UIE */
	ck_assert_int_eq(f->irq.level, 1);
	wr(f, 0x0b, 0x02);                      /* IRQF follows the enables */
	ck_assert_int_eq(f->irq.level, 0);
	ck_assert_uint_eq(rd(f, 0x0c), 0x50);
	fx_free(f);
}
END_TEST

START_TEST(test_update_ended_interrupt)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0a, 0x20);                      /* no periodic rate */
	at(f, 100 * MS);
	wr(f, 0x0b, 0x12);                      /* UIE */
	rd(f, 0x0c);
	uint64_t next = rtc146818_poll(f->rtc, 100 * MS);
	ck_assert_uint_eq(next, NS_PER_SEC);
	at(f, NS_PER_SEC - 1);
	rtc146818_poll(f->rtc, NS_PER_SEC - 1);
	ck_assert_int_eq(f->irq.level, 0);
	at(f, NS_PER_SEC);
	rtc146818_poll(f->rtc, NS_PER_SEC);
	ck_assert_int_eq(f->irq.level, 1);
	ck_assert_int_eq(f->irq.raises, 1);
	ck_assert_uint_eq(rd(f, 0x00), 0x57);
	ck_assert_uint_eq(rd(f, 0x0c), 0x90);   /* IRQF | UF */
	ck_assert_int_eq(f->irq.level, 0);      /* reading C lowers IRQ 8 */
	ck_assert_uint_eq(rd(f, 0x0c), 0x00);
	/* A second update raises it again. */
	at(f, 2 * NS_PER_SEC);
	rtc146818_poll(f->rtc, 2 * NS_PER_SEC);
	ck_assert_int_eq(f->irq.raises, 2);
	/* SET going high clears UIE (register B) and stops updates. */
	rd(f, 0x0c);
	wr(f, 0x0b, 0x92);
	ck_assert_uint_eq(rd(f, 0x0b), 0x82);
	at(f, 5 * NS_PER_SEC);
	rtc146818_poll(f->rtc, 5 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x0c) & 0x10, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_alarm_exact)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0a, 0x20);
	wr(f, 0x01, 0x00);
	wr(f, 0x03, 0x46);
	wr(f, 0x05, 0x13);                      /* 13:46:00, 4 s away */
	wr(f, 0x0b, 0x22);                      /* AIE */
	uint64_t now = 0;
	while (f->irq.raises == 0 && now < 10 * NS_PER_SEC) {
		now = rtc146818_poll(f->rtc, now);
		at(f, now);
		rtc146818_poll(f->rtc, now);
		if (!f->irq.level)
			rd(f, 0x0c);   /* UF without UIE: no IRQ, clear it */
	}
	ck_assert_uint_eq(now, 4 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x0c), 0xb0);   /* IRQF | AF | UF */
	ck_assert_int_eq(f->irq.level, 0);
	/* It does not match again in the next minute. */
	at(f, 64 * NS_PER_SEC);
	rtc146818_poll(f->rtc, 64 * NS_PER_SEC);
	ck_assert_int_eq(f->irq.raises, 1);
	ck_assert_uint_eq(rd(f, 0x0c) & 0x20, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_alarm_dont_care)
{
	/* Every second: all three don't care. */
	struct fixture *f = fx_new(T0);
	wr(f, 0x01, 0xff);
	wr(f, 0x03, 0xc0);
	wr(f, 0x05, 0xd5);
	wr(f, 0x0b, 0x22);
	for (unsigned s = 1; s <= 3; s++) {
		at(f, s * NS_PER_SEC);
		rtc146818_poll(f->rtc, s * NS_PER_SEC);
		ck_assert_int_eq(f->irq.raises, (int)s);
		ck_assert_uint_eq(rd(f, 0x0c) & 0xa0, 0xa0);
	}
	fx_free(f);

	/* Once a minute, at second 10: minutes and hours don't care. */
	f = fx_new(T0);
	wr(f, 0x01, 0x10);
	wr(f, 0x03, 0xff);
	wr(f, 0x05, 0xff);
	wr(f, 0x0b, 0x22);
	at(f, 13 * NS_PER_SEC);                 /* 13:46:09 */
	rtc146818_poll(f->rtc, 13 * NS_PER_SEC);
	ck_assert_int_eq(f->irq.raises, 0);
	at(f, 14 * NS_PER_SEC);                 /* 13:46:10 */
	rtc146818_poll(f->rtc, 14 * NS_PER_SEC);
	ck_assert_int_eq(f->irq.raises, 1);
	rd(f, 0x0c);
	/* A late look still sees the alarm that passed (13:47:10). */
	at(f, 100 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x0c) & 0x20, 0x20);
	fx_free(f);
}
END_TEST

START_TEST(test_alarm_flag_in_12h_mode)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0b, 0x00);                      /* 12 h BCD, no AIE */
	wr(f, 0x01, 0x58);
	wr(f, 0x03, 0x45);
	wr(f, 0x05, 0x81);                      /* 1:45:58 PM */
	at(f, 2 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x0c) & 0xa0, 0x20);   /* AF, no IRQF */
	ck_assert_int_eq(f->irq.raises, 0);
	wr(f, 0x05, 0x01);                      /* 1 AM never matches */
	at(f, 70 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x0c) & 0x20, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_divider_control)
{
	struct fixture *f = fx_new(T0);
	at(f, 200 * MS);
	wr(f, 0x0a, 0x76);                      /* divider reset */
	at(f, 5 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x00), 0x56);
	ck_assert_uint_eq(rd(f, 0x0a), 0x76);
	ck_assert_uint_eq(rtc146818_poll(f->rtc, 5 * NS_PER_SEC), VCLOCK_NEVER);
	wr(f, 0x0a, 0x26);                      /* first update 500 ms later */
	at(f, 5 * NS_PER_SEC + 499 * MS);
	ck_assert_uint_eq(rd(f, 0x00), 0x56);
	at(f, 5 * NS_PER_SEC + 500 * MS);
	ck_assert_uint_eq(rd(f, 0x00), 0x57);
	at(f, 6 * NS_PER_SEC + 500 * MS);
	ck_assert_uint_eq(rd(f, 0x00), 0x58);
	/* DV = 000 (another crystal): stopped here, resumes at the same phase. */
	at(f, 6 * NS_PER_SEC + 800 * MS);
	wr(f, 0x0a, 0x06);
	at(f, 20 * NS_PER_SEC);
	ck_assert_uint_eq(rd(f, 0x00), 0x58);
	wr(f, 0x0a, 0x26);
	at(f, 20 * NS_PER_SEC + 699 * MS);      /* 0.3 s of the second had run */
	ck_assert_uint_eq(rd(f, 0x00), 0x58);
	at(f, 20 * NS_PER_SEC + 700 * MS);
	ck_assert_uint_eq(rd(f, 0x00), 0x59);
	fx_free(f);
}
END_TEST

START_TEST(test_periodic_stops_with_divider)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0a, 0x76);
	wr(f, 0x0b, 0x42);
	at(f, NS_PER_SEC);
	rtc146818_poll(f->rtc, NS_PER_SEC);
	ck_assert_int_eq(f->irq.raises, 0);
	ck_assert_uint_eq(rd(f, 0x0c), 0);
	fx_free(f);
}
END_TEST

START_TEST(test_register_d_and_c_read_only)
{
	struct fixture *f = fx_new(T0);
	ck_assert_uint_eq(rd(f, 0x0d), 0x80);
	wr(f, 0x0d, 0x00);
	ck_assert_uint_eq(rd(f, 0x0d), 0x80);
	wr(f, 0x0c, 0xf0);
	ck_assert_uint_eq(rd(f, 0x0c), 0x00);
	fx_free(f);
}
END_TEST

START_TEST(test_nmi_mask_and_index_port)
{
	struct fixture *f = fx_new(T0);
	ck_assert(!rtc146818_nmi_masked(f->rtc));
	portmap_write(f->ports, 0x70, 0x80 | 0x0d, 1);
	ck_assert(rtc146818_nmi_masked(f->rtc));
	ck_assert_uint_eq(portmap_read(f->ports, 0x71, 1), 0x80);   /* bit 7 not part of the index */
	ck_assert_uint_eq(portmap_read(f->ports, 0x70, 1), 0xff);
	portmap_write(f->ports, 0x70, 0x0d, 1);
	ck_assert(!rtc146818_nmi_masked(f->rtc));
	fx_free(f);
}
END_TEST

START_TEST(test_cmos_ram)
{
	struct fixture *f = fx_new(T0);
	for (unsigned i = 0x0e; i < 128; i++)
		if (i != 0x32)
			wr(f, (uint8_t)i, (uint8_t)(i ^ 0xa5));
	for (unsigned i = 0x0e; i < 128; i++)
		if (i != 0x32) {
			ck_assert_uint_eq(rd(f, (uint8_t)i), i ^ 0xa5);
			ck_assert_uint_eq(rtc146818_get_cmos(f->rtc, i), i ^ 0xa5);
		}
	rtc146818_set_cmos(f->rtc, 0x15, 0x80);
	rtc146818_set_cmos(f->rtc, 0x7f, 0x3c);
	ck_assert_uint_eq(rd(f, 0x15), 0x80);
	ck_assert_uint_eq(rd(f, 0x7f), 0x3c);
	/* Alarm bytes are plain storage. */
	wr(f, 0x01, 0x33);
	ck_assert_uint_eq(rd(f, 0x01), 0x33);
	/* The machine view of clock bytes matches the guest's. */
	at(f, 2 * NS_PER_SEC);
	ck_assert_uint_eq(rtc146818_get_cmos(f->rtc, 0x00), 0x58);
	ck_assert_uint_eq(rtc146818_get_cmos(f->rtc, 0x0d), 0x80);
	ck_assert_uint_eq(rtc146818_get_cmos(f->rtc, 200), 0xff);
	fx_free(f);
}
END_TEST

START_TEST(test_get_cmos_does_not_clear_c)
{
	struct fixture *f = fx_new(T0);
	wr(f, 0x0a, 0x20);
	wr(f, 0x0b, 0x12);
	at(f, NS_PER_SEC);
	rtc146818_poll(f->rtc, NS_PER_SEC);
	ck_assert_uint_eq(rtc146818_get_cmos(f->rtc, 0x0c), 0x90);
	ck_assert_uint_eq(rtc146818_get_cmos(f->rtc, 0x0c), 0x90);
	ck_assert_int_eq(f->irq.level, 1);
	ck_assert_uint_eq(rd(f, 0x0c), 0x90);
	ck_assert_int_eq(f->irq.level, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_wide_access_splits)
{
	struct fixture *f = fx_new(T0);
	portmap_write(f->ports, 0x70, 0x4240, 2);   /* index 0x40, data 0x42 */
	ck_assert_uint_eq(rd(f, 0x40), 0x42);
	portmap_write(f->ports, 0x70, 0x40, 1);
	ck_assert_uint_eq(portmap_read(f->ports, 0x70, 2), 0x42ff);
	fx_free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtc146818");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_bcd_time_and_date);
	tcase_add_test(tc, test_time_advances_with_clock);
	tcase_add_test(tc, test_binary_mode);
	tcase_add_test(tc, test_12_hour_mode);
	tcase_add_test(tc, test_set_freezes_and_writes_time);
	tcase_add_test(tc, test_write_while_running);
	tcase_add_test(tc, test_set_in_12h_binary_parsed_on_release);
	tcase_add_test(tc, test_uip_window);
	tcase_add_test(tc, test_periodic_rates);
	tcase_add_test(tc, test_periodic_disabled_rate_zero);
	tcase_add_test(tc, test_flags_without_enable);
	tcase_add_test(tc, test_update_ended_interrupt);
	tcase_add_test(tc, test_alarm_exact);
	tcase_add_test(tc, test_alarm_dont_care);
	tcase_add_test(tc, test_alarm_flag_in_12h_mode);
	tcase_add_test(tc, test_divider_control);
	tcase_add_test(tc, test_periodic_stops_with_divider);
	tcase_add_test(tc, test_register_d_and_c_read_only);
	tcase_add_test(tc, test_nmi_mask_and_index_port);
	tcase_add_test(tc, test_cmos_ram);
	tcase_add_test(tc, test_get_cmos_does_not_clear_c);
	tcase_add_test(tc, test_wide_access_splits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
