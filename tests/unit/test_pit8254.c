/*
 * test_pit8254.c - the 8254 and port 0x61 on a fake clock, with IRQ0 recorded.
 *
 * Times are given in PIT clock ticks; at_tick(t) sets the fake clock to the
 * first ns of tick t. A count written at tick w loads at tick w + 1.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>

#include "devices/pit8254.h"
#include "devices/portmap.h"

struct fake_irq {
	int level;
	int rises;
};

static struct portmap *ports;
static struct pit8254 *pit;
static struct vclock clock;
static struct fake_irq irq0;

static void irq_set(void *opaque, int num, int level)
{
	struct fake_irq *f = opaque;
	if (level && !f->level)
		f->rises++;
	f->level = level;
}

static uint64_t tick_ns(uint64_t t)
{
	return (uint64_t)(((unsigned __int128)t * NS_PER_SEC + PIT_CLOCK_HZ - 1) / PIT_CLOCK_HZ);
}

static void at_tick(uint64_t t)
{
	clock.fake_ns = tick_ns(t);
}

static void outb(uint16_t port, uint8_t v)
{
	portmap_write(ports, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
	return (uint8_t)portmap_read(ports, port, 1);
}

/* Writes a control word then a two-byte count at tick t. */
static void program(int ch, uint8_t mode_bits, uint16_t count, uint64_t t)
{
	at_tick(t);
	outb(0x43, (uint8_t)(ch << 6 | 0x30 | mode_bits << 1));
	outb((uint16_t)(0x40 + ch), (uint8_t)count);
	outb((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static unsigned read_count(int ch)
{
	unsigned lo = inb((uint16_t)(0x40 + ch));
	return lo | (unsigned)inb((uint16_t)(0x40 + ch)) << 8;
}

static unsigned count_at(int ch, uint64_t t)
{
	at_tick(t);
	return read_count(ch);
}

static uint8_t status_at(int ch, uint64_t t)
{
	at_tick(t);
	outb(0x43, (uint8_t)(0xe0 | 2 << ch));
	return inb((uint16_t)(0x40 + ch));
}

static bool out_at(int ch, uint64_t t)
{
	return status_at(ch, t) & 0x80;
}

static bool out2_at(uint64_t t)
{
	at_tick(t);
	return inb(0x61) & 0x20;
}

static void setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	portmap_init(ports);
	clock = (struct vclock){ NULL, 0, 0 };
	irq0 = (struct fake_irq){ 0, 0 };
	pit = pit8254_create(&clock, (struct irq_line){ irq_set, &irq0, 0 });
	ck_assert_ptr_nonnull(pit);
	ck_assert_int_eq(pit8254_register(pit, ports), 0);
}

static void teardown(void)
{
	pit8254_destroy(pit);
	free(ports);
}

START_TEST(test_power_on_and_ports)
{
	ck_assert_int_eq(pit8254_register(pit, ports), -1);
	ck_assert_str_eq(portmap_owner_name(ports, 0x43), "pit8254");
	ck_assert_str_eq(portmap_owner_name(ports, 0x61), "port61");
	ck_assert_uint_eq(inb(0x43), 0xff);
	/* mode 3, LSB/MSB, binary, OUT high, null count */
	ck_assert_uint_eq(status_at(0, 0), 0xf6);
	ck_assert_uint_eq(pit8254_poll(pit, 1000), VCLOCK_NEVER);
	ck_assert_int_eq(irq0.rises, 0);
}
END_TEST

START_TEST(test_mode0)
{
	program(0, 0, 10, 100);
	ck_assert_uint_eq(status_at(0, 100), 0x70);     /* OUT low, null count */
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(100)), tick_ns(111));
	ck_assert_uint_eq(status_at(0, 101), 0x30);     /* loaded */
	ck_assert_uint_eq(count_at(0, 101), 10);
	ck_assert_uint_eq(count_at(0, 110), 1);
	ck_assert(!out_at(0, 110));
	ck_assert_int_eq(irq0.rises, 0);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(111) - 1), tick_ns(111));
	ck_assert_int_eq(irq0.rises, 0);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(111)), VCLOCK_NEVER);
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert_int_eq(irq0.level, 0);                /* pulsed */
	ck_assert_uint_eq(count_at(0, 111), 0);
	ck_assert(out_at(0, 111));
	ck_assert_uint_eq(count_at(0, 112), 0xffff);    /* keeps counting */
	ck_assert(out_at(0, 5000));                     /* and OUT stays high */
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(200000)), VCLOCK_NEVER);
	ck_assert_int_eq(irq0.rises, 1);
}
END_TEST

START_TEST(test_mode0_first_byte_stops)
{
	program(0, 0, 10, 100);
	at_tick(300);
	pit8254_poll(pit, tick_ns(300));
	outb(0x40, 0x34);                               /* LSB: counting stops */
	ck_assert(!out_at(0, 300));
	ck_assert_uint_eq(count_at(0, 300), (10 - 199) & 0xffff);
	ck_assert_uint_eq(count_at(0, 400), (10 - 199) & 0xffff);
	ck_assert(!out_at(0, 400));
	at_tick(400);
	outb(0x40, 0x00);                               /* MSB: 0x0034 loads at 401 */
	ck_assert_uint_eq(count_at(0, 401), 0x34);
	ck_assert(!out_at(0, 452));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(452)), tick_ns(453));
	pit8254_poll(pit, tick_ns(453));
	ck_assert_int_eq(irq0.rises, 2);
}
END_TEST

START_TEST(test_mode0_gate)
{
	at_tick(1000);
	outb(0x61, 0x01);
	program(2, 0, 100, 1000);
	ck_assert_uint_eq(count_at(2, 1051), 50);
	outb(0x61, 0x00);                               /* GATE2 low: hold */
	ck_assert_uint_eq(count_at(2, 1500), 50);
	ck_assert(!out2_at(1500));
	outb(0x61, 0x01);
	ck_assert_uint_eq(count_at(2, 1549), 1);
	ck_assert(!out2_at(1549));
	ck_assert(out2_at(1550));
	ck_assert_uint_eq(count_at(2, 1550), 0);
	/* A count written while GATE is low waits for GATE. */
	outb(0x61, 0x00);
	program(2, 0, 5, 2000);
	ck_assert_uint_eq(count_at(2, 2100), 5);
	ck_assert(!out2_at(2100));
	outb(0x61, 0x01);
	ck_assert(!out2_at(2104));
	ck_assert(out2_at(2105));
}
END_TEST

START_TEST(test_mode1)
{
	/* No count written since the control word: a trigger does nothing. */
	at_tick(0);
	outb(0x43, 0xb2);
	outb(0x61, 0x01);
	ck_assert(out2_at(5));
	ck_assert_uint_eq(status_at(2, 5), 0xf2);
	at_tick(10);
	outb(0x61, 0x00);
	program(2, 1, 5, 10);
	ck_assert(out2_at(10));
	ck_assert(out2_at(50));                         /* no trigger yet */
	ck_assert_uint_eq(status_at(2, 50) & 0x40, 0x40);
	outb(0x61, 0x01);                               /* trigger at 50 */
	ck_assert(out2_at(50));
	ck_assert(!out2_at(51));
	ck_assert_uint_eq(status_at(2, 51), 0x32);      /* OUT low, loaded */
	ck_assert_uint_eq(count_at(2, 51), 5);
	ck_assert_uint_eq(count_at(2, 55), 1);
	ck_assert(!out2_at(55));
	ck_assert(out2_at(56));
	ck_assert_uint_eq(count_at(2, 57), 0xffff);
	/* Retrigger during the pulse extends it. */
	at_tick(60);
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	ck_assert(!out2_at(61));
	at_tick(63);
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	ck_assert(!out2_at(66));
	ck_assert(!out2_at(68));
	ck_assert(out2_at(69));
	/* A new count waits for the next trigger. */
	at_tick(100);
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	at_tick(102);
	outb(0x42, 10);
	outb(0x42, 0);
	ck_assert_uint_eq(status_at(2, 103) & 0x40, 0x40);
	ck_assert(out2_at(106));
	at_tick(110);
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	ck_assert(!out2_at(120));
	ck_assert(out2_at(121));
	/* Counter 0's GATE is tied high: mode 1 never triggers. */
	program(0, 1, 5, 200);
	ck_assert(out_at(0, 300));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(300)), VCLOCK_NEVER);
}
END_TEST

START_TEST(test_mode2)
{
	program(0, 2, 4, 0);
	ck_assert_uint_eq(pit8254_poll(pit, 0), tick_ns(5));
	ck_assert_uint_eq(count_at(0, 1), 4);
	ck_assert(out_at(0, 1));
	ck_assert_uint_eq(count_at(0, 3), 2);
	ck_assert(out_at(0, 3));
	ck_assert_uint_eq(count_at(0, 4), 1);
	ck_assert(!out_at(0, 4));                       /* low for one clock */
	ck_assert_int_eq(irq0.rises, 0);
	ck_assert(out_at(0, 5));                        /* port access delivers too */
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert_uint_eq(count_at(0, 5), 4);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(5)), tick_ns(9));
	ck_assert_int_eq(irq0.rises, 1);
	/* A new count waits for the end of the period. */
	at_tick(6);
	outb(0x40, 10);
	outb(0x40, 0);
	ck_assert_uint_eq(status_at(0, 7), 0xf4);       /* null count until 9 */
	ck_assert_uint_eq(count_at(0, 8), 1);
	ck_assert(!out_at(0, 8));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(8)), tick_ns(9));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(9)), tick_ns(19));
	ck_assert_int_eq(irq0.rises, 2);
	ck_assert_uint_eq(status_at(0, 9), 0xb4);
	ck_assert_uint_eq(count_at(0, 9), 10);
	ck_assert(!out_at(0, 18));
	ck_assert_uint_eq(count_at(0, 19), 10);
	/* Mode 6 is mode 2; the status shows the bits as written. */
	program(0, 6, 3, 100);
	ck_assert_uint_eq(status_at(0, 101) & 0x0e, 0x0c);
	ck_assert(!out_at(0, 103));
	ck_assert(out_at(0, 104));
}
END_TEST

START_TEST(test_mode2_gate)
{
	at_tick(0);
	outb(0x61, 0x01);
	program(2, 2, 10, 0);
	ck_assert_uint_eq(count_at(2, 5), 6);
	outb(0x61, 0x00);                               /* stop, OUT high */
	ck_assert_uint_eq(count_at(2, 30), 6);
	ck_assert(out2_at(30));
	outb(0x61, 0x01);                               /* reload at 31 */
	ck_assert_uint_eq(count_at(2, 31), 10);
	ck_assert(!out2_at(40));
	ck_assert(out2_at(41));
}
END_TEST

START_TEST(test_mode3_even_odd)
{
	at_tick(0);
	outb(0x61, 0x01);
	program(2, 3, 6, 0);
	static const unsigned even_ce[] = { 6, 4, 2, 6, 4, 2, 6 };
	static const bool even_out[] = { 1, 1, 1, 0, 0, 0, 1 };
	for (int i = 0; i < 7; i++) {
		ck_assert_uint_eq(count_at(2, 1 + i), even_ce[i]);
		ck_assert_int_eq(out2_at(1 + i), even_out[i]);
	}
	program(2, 3, 5, 100);
	static const unsigned odd_ce[] = { 4, 2, 0, 4, 2, 4, 2, 0, 4, 2 };
	static const bool odd_out[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
	for (int i = 0; i < 10; i++) {
		ck_assert_uint_eq(count_at(2, 101 + i), odd_ce[i]);
		ck_assert_int_eq(out2_at(101 + i), odd_out[i]);
	}
	/* GATE low during the low half sets OUT high at once. */
	ck_assert(!out2_at(104));
	outb(0x61, 0x00);
	ck_assert(out2_at(104));
	ck_assert(out2_at(109));
	at_tick(110);
	outb(0x61, 0x01);
	ck_assert(out2_at(113));
	ck_assert(!out2_at(114));
}
END_TEST

START_TEST(test_mode3_irq_and_new_count)
{
	program(0, 3, 10, 1000);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1001)), tick_ns(1011));
	/* A count written in the high half takes over at its end (1006) and
	 * the new wave starts with its low half. */
	at_tick(1003);
	outb(0x40, 20);
	outb(0x40, 0);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1003)), tick_ns(1016));
	ck_assert(out_at(0, 1005));
	ck_assert(!out_at(0, 1006));
	ck_assert_uint_eq(count_at(0, 1006), 20);
	ck_assert(!out_at(0, 1015));
	ck_assert_int_eq(irq0.rises, 0);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1016)), tick_ns(1036));
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert(!out_at(0, 1026));
	/* Written in the low half: takes over at the rising edge. */
	at_tick(1030);
	outb(0x40, 4);
	outb(0x40, 0);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1030)), tick_ns(1036));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1036)), tick_ns(1040));
	ck_assert_int_eq(irq0.rises, 2);
}
END_TEST

START_TEST(test_mode4)
{
	program(0, 4, 3, 10);
	ck_assert(out_at(0, 10));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(12)), tick_ns(15));
	ck_assert(out_at(0, 13));
	ck_assert_uint_eq(count_at(0, 14), 0);
	ck_assert(!out_at(0, 14));                      /* one-clock strobe */
	ck_assert_int_eq(irq0.rises, 0);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(15)), VCLOCK_NEVER);
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert(out_at(0, 15));
	ck_assert_uint_eq(count_at(0, 15), 0xffff);
	ck_assert(out_at(0, 65536 + 14));               /* no second strobe */
	/* Rewriting the count restarts it. */
	program(0, 4, 3, 70000);
	at_tick(70002);
	outb(0x40, 5);
	outb(0x40, 0);
	ck_assert(out_at(0, 70004));
	ck_assert(out_at(0, 70007));
	ck_assert(!out_at(0, 70008));
}
END_TEST

START_TEST(test_mode4_gate)
{
	at_tick(0);
	outb(0x61, 0x01);
	program(2, 4, 10, 0);
	ck_assert_uint_eq(count_at(2, 6), 5);
	outb(0x61, 0x00);
	ck_assert_uint_eq(count_at(2, 100), 5);
	ck_assert(out2_at(100));
	outb(0x61, 0x01);
	ck_assert(out2_at(104));
	ck_assert(!out2_at(105));
	outb(0x61, 0x00);                               /* stopped on the strobe */
	ck_assert(!out2_at(150));
	outb(0x61, 0x01);                               /* strobe is over */
	ck_assert(out2_at(151));
	ck_assert(out2_at(200));
	ck_assert_uint_eq(count_at(2, 151), 0xffff);
}
END_TEST

START_TEST(test_mode5)
{
	at_tick(0);
	outb(0x61, 0x00);
	program(2, 5, 4, 0);
	ck_assert(out2_at(10));
	outb(0x61, 0x01);                               /* trigger at 10 */
	ck_assert_uint_eq(count_at(2, 11), 4);
	ck_assert(out2_at(14));
	ck_assert(!out2_at(15));
	ck_assert(out2_at(16));
	ck_assert(out2_at(19));
	at_tick(20);
	outb(0x61, 0x00);
	outb(0x61, 0x01);
	ck_assert(out2_at(24));
	ck_assert(!out2_at(25));
	ck_assert(out2_at(26));
	ck_assert_uint_eq(status_at(2, 26) & 0x0e, 0x0a);
}
END_TEST

START_TEST(test_counter_latch)
{
	program(0, 2, 1000, 0);
	at_tick(101);
	outb(0x43, 0x00);                               /* latch: 900 */
	at_tick(500);
	outb(0x43, 0x00);                               /* ignored while latched */
	ck_assert_uint_eq(read_count(0), 900);
	ck_assert_uint_eq(read_count(0), 1000 - 499);   /* live again */
	/* LSB-only access: one byte releases the latch. */
	at_tick(600);
	outb(0x43, 0x14);
	outb(0x40, 200);
	at_tick(611);
	outb(0x43, 0x00);
	at_tick(650);
	ck_assert_uint_eq(inb(0x40), 190);
	ck_assert_uint_eq(inb(0x40), 200 - 49);
}
END_TEST

START_TEST(test_read_back)
{
	program(0, 2, 50, 0);                           /* OUT0 low at 50, 100, .. */
	program(2, 0, 300, 0);
	at_tick(201);
	outb(0x43, 0xca);                               /* count + status, ch0 and ch2 */
	at_tick(250);
	outb(0x43, 0xc2);                               /* already latched: ignored */
	ck_assert_uint_eq(inb(0x40), 0xb4);             /* status first, OUT high */
	ck_assert_uint_eq(read_count(0), 50);
	ck_assert_uint_eq(inb(0x42), 0x30);             /* OUT2 low, mode 0 */
	ck_assert_uint_eq(read_count(2), 300);          /* GATE2 low: not counting */
	/* Count only, then status only. */
	at_tick(311);
	outb(0x43, 0xd2);
	ck_assert_uint_eq(read_count(0), 40);
	outb(0x43, 0xe2);
	ck_assert_uint_eq(inb(0x40), 0xb4);
	/* Status after a control word: null count until the count loads. */
	at_tick(400);
	outb(0x43, 0x31);                               /* mode 0, BCD */
	ck_assert_uint_eq(status_at(0, 400), 0x71);
	outb(0x40, 0x99);
	ck_assert_uint_eq(status_at(0, 400), 0x71);     /* half a count */
	outb(0x40, 0x00);
	ck_assert_uint_eq(status_at(0, 400), 0x71);
	ck_assert_uint_eq(status_at(0, 401), 0x31);
	/* Latched status and count, status latched second, read first. */
	at_tick(410);
	outb(0x43, 0xd2);
	outb(0x43, 0xe2);
	ck_assert_uint_eq(inb(0x40), 0x31);
	ck_assert_uint_eq(read_count(0), 0x90);
}
END_TEST

START_TEST(test_bcd)
{
	at_tick(0);
	outb(0x43, 0x35);                               /* mode 2, BCD */
	outb(0x40, 0x00);
	outb(0x40, 0x01);                               /* 100 */
	ck_assert_uint_eq(count_at(0, 1), 0x0100);
	ck_assert_uint_eq(count_at(0, 11), 0x0090);
	ck_assert_uint_eq(count_at(0, 95), 0x0006);
	ck_assert_uint_eq(status_at(0, 11) & 0x01, 0x01);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(11)), tick_ns(101));
	/* BCD 0 is 10000, taking over at the end of the period (1001). */
	at_tick(1000);
	outb(0x40, 0x00);
	outb(0x40, 0x00);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1000)), tick_ns(1001));
	ck_assert_uint_eq(count_at(0, 1001), 0x0000);
	ck_assert_uint_eq(count_at(0, 1002), 0x9999);
	ck_assert_uint_eq(count_at(0, 1001 + 1234), 0x8766);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1001 + 1234)), tick_ns(11001));
}
END_TEST

START_TEST(test_lsb_msb_access)
{
	at_tick(0);
	outb(0x43, 0x14);                               /* LSB only, mode 2 */
	outb(0x40, 0x80);
	at_tick(3);
	ck_assert_uint_eq(inb(0x40), 126);
	ck_assert_uint_eq(inb(0x40), 126);              /* no alternation */
	at_tick(10);
	outb(0x43, 0x24);                               /* MSB only */
	outb(0x40, 0x02);
	at_tick(13);
	ck_assert_uint_eq(inb(0x40), 0x01);             /* 510 = 0x01fe */
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(13)), tick_ns(11 + 512));
	/* LSB then MSB: reads alternate on the live count. */
	program(0, 2, 0x1234, 100);
	at_tick(101);
	ck_assert_uint_eq(inb(0x40), 0x34);
	at_tick(101 + 0x100);
	ck_assert_uint_eq(inb(0x40), 0x11);
	ck_assert_uint_eq(inb(0x40), 0x34);
	/* A 16-bit access at 0x40 is two byte cycles: 0x40 then 0x41. */
	at_tick(400);
	outb(0x43, 0x14);
	outb(0x43, 0x54);                               /* counter 1: LSB, mode 2 */
	portmap_write(ports, 0x40, 0x0305, 2);
	at_tick(401);
	ck_assert_uint_eq(portmap_read(ports, 0x40, 2), 0x0305);
}
END_TEST

START_TEST(test_reload_65536)
{
	program(0, 2, 0, 0);
	ck_assert_uint_eq(count_at(0, 1), 0);
	ck_assert_uint_eq(count_at(0, 2), 0xffff);
	ck_assert_uint_eq(count_at(0, 65536), 1);
	ck_assert(!out_at(0, 65536));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1)), tick_ns(65537));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(65537)), tick_ns(65537 + 65536));
	ck_assert_int_eq(irq0.rises, 1);
	/* Mode 3 with 0: the PC BIOS's 18.2 Hz tick. */
	program(0, 3, 0, 200000);
	ck_assert(out_at(0, 200001 + 32767));
	ck_assert(!out_at(0, 200001 + 32768));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(200001)), tick_ns(200001 + 65536));
}
END_TEST

START_TEST(test_port61)
{
	at_tick(0);
	outb(0x61, 0x03);
	ck_assert_uint_eq(inb(0x61) & 0x0f, 0x03);
	ck_assert_uint_eq(inb(0x61) & 0xc0, 0x00);
	outb(0x61, 0xfc);                               /* bits 4-7 read-only */
	ck_assert_uint_eq(inb(0x61) & 0x0f, 0x0c);
	/* Refresh toggle: every 18 clocks. */
	at_tick(17);
	ck_assert_uint_eq(inb(0x61) & 0x10, 0x00);
	at_tick(18);
	ck_assert_uint_eq(inb(0x61) & 0x10, 0x10);
	at_tick(36);
	ck_assert_uint_eq(inb(0x61) & 0x10, 0x00);
	/* Bit 5 is OUT2, bit 0 its gate: the classic calibration loop. */
	at_tick(100);
	outb(0x61, 0x01);
	program(2, 0, 1000, 100);
	ck_assert_uint_eq(out2_at(1100), 0);
	ck_assert_uint_eq(out2_at(1101), 1);
	at_tick(1101);
	ck_assert_uint_eq(inb(0x61) & 0x21, 0x21);
}
END_TEST

START_TEST(test_irq0_periodic_deadlines)
{
	program(0, 2, 1000, 0);
	uint64_t deadline = pit8254_poll(pit, 0);
	ck_assert_uint_eq(deadline, tick_ns(1001));
	for (int k = 1; k <= 20; k++) {
		ck_assert_uint_eq(pit8254_poll(pit, deadline - 1), deadline);
		ck_assert_int_eq(irq0.rises, k - 1);
		uint64_t next = pit8254_poll(pit, deadline);
		ck_assert_int_eq(irq0.rises, k);
		ck_assert_uint_eq(next, tick_ns(1 + (uint64_t)(k + 1) * 1000));
		deadline = next;
	}
	/* Period in ns: 1000 / 1193182 s = 838095 ns give or take 1. */
	uint64_t period = tick_ns(3001) - tick_ns(2001);
	ck_assert(period >= 838095 && period <= 838096);
}
END_TEST

START_TEST(test_late_poll_no_storm)
{
	program(0, 2, 100, 0);                          /* edges at 101, 201, ... */
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1050)), tick_ns(1101));
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1050)), tick_ns(1101));
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1100)), tick_ns(1101));
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(1101)), tick_ns(1201));
	ck_assert_int_eq(irq0.rises, 2);
	/* A poll with an older time changes nothing. */
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(500)), tick_ns(1201));
	ck_assert_int_eq(irq0.rises, 2);
	/* An hour late: still one. */
	ck_assert_uint_eq(pit8254_poll(pit, 3600 * NS_PER_SEC), tick_ns(4295455201ull));
	ck_assert_int_eq(irq0.rises, 3);
}
END_TEST

START_TEST(test_reprogram_raises_out0)
{
	program(0, 0, 1000, 0);
	ck_assert(!out_at(0, 10));
	at_tick(10);
	outb(0x43, 0x34);                               /* OUT0 goes high at once */
	ck_assert_int_eq(irq0.rises, 1);
	outb(0x40, 50);
	outb(0x40, 0);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(10)), tick_ns(61));
	ck_assert_int_eq(irq0.rises, 1);
	/* Due edges are delivered before a write changes the counter. */
	at_tick(70);
	outb(0x43, 0x30);
	ck_assert_int_eq(irq0.rises, 2);
	ck_assert_uint_eq(pit8254_poll(pit, tick_ns(70)), VCLOCK_NEVER);
}
END_TEST

static Suite *pit_suite(void)
{
	Suite *s = suite_create("pit8254");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_power_on_and_ports);
	tcase_add_test(tc, test_mode0);
	tcase_add_test(tc, test_mode0_first_byte_stops);
	tcase_add_test(tc, test_mode0_gate);
	tcase_add_test(tc, test_mode1);
	tcase_add_test(tc, test_mode2);
	tcase_add_test(tc, test_mode2_gate);
	tcase_add_test(tc, test_mode3_even_odd);
	tcase_add_test(tc, test_mode3_irq_and_new_count);
	tcase_add_test(tc, test_mode4);
	tcase_add_test(tc, test_mode4_gate);
	tcase_add_test(tc, test_mode5);
	tcase_add_test(tc, test_counter_latch);
	tcase_add_test(tc, test_read_back);
	tcase_add_test(tc, test_bcd);
	tcase_add_test(tc, test_lsb_msb_access);
	tcase_add_test(tc, test_reload_65536);
	tcase_add_test(tc, test_port61);
	tcase_add_test(tc, test_irq0_periodic_deadlines);
	tcase_add_test(tc, test_late_poll_no_storm);
	tcase_add_test(tc, test_reprogram_raises_out0);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
