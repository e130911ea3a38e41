/*
 * pit8254.c - the 8254 programmable interval timer and system control port B.
 *
 * Reference: Intel 8254 datasheet (231164), "Operational Description":
 * control word, counter latch and read-back commands, status byte, and
 * "Mode Definitions" (modes 0-5, the GATE table, minimum/maximum counts).
 *
 * Nothing ticks. A counter stores the clock tick t_load at which its
 * counting element (CE) held `start`; its CE and OUT at any later tick are
 * pure functions of the elapsed clocks e = t - t_load, the mode and the
 * count, with ticks = ns * 1193182 / 10^9 from the vclock:
 *
 *	mode 0  CE = start - e, OUT high from e = start (latched: `done`)
 *	mode 1  like mode 0, started by a GATE rising edge, OUT low until e = start
 *	mode 2  period N = start, CE = N - e mod N, OUT low when CE is 1
 *	mode 3  period N, OUT high for ceil(N/2) clocks then low for floor(N/2);
 *	        CE counts down by 2 from N (even N) or N - 1 (odd N) in each half
 *	mode 4  CE = start - e, OUT low for the one clock where e = start
 *	mode 5  like mode 4, started by a GATE rising edge
 *
 * Counts wrap modulo 65536 (binary) or 10000 (BCD); an initial count of 0
 * means 65536 or 10000. Writing a count makes the CE load on the next clock
 * (t_load = now + 1), so mode 0's OUT rises N + 1 clocks after the write;
 * modes 1/5 load on the clock after the trigger; in modes 2/3 a count
 * written while counting is `pending` until the end of the period (mode 2)
 * or of the half-cycle (mode 3, which may then start with its low half:
 * `starts_low`). GATE low stops modes 0/4 (the CE value is kept in `hold`,
 * counting resumes where it stopped) and resets modes 2/3 with OUT high
 * (a rising GATE reloads them). Counters 0 and 1 have GATE tied high.
 *
 * IRQ0 follows counter 0's OUT: pit8254_poll() looks for a rising edge
 * after the last tick it checked and pulses the line once, so a guest that
 * was not polled for many periods gets one interrupt, not a burst; it then
 * returns the next edge, rounded up to a ns at which that edge has happened.
 * A port write that makes OUT0 rise at once (a control word after a mode 0
 * count that had not expired) pulses IRQ0 too.
 *
 * Port 0x61 (PC/AT system control port B): bit 0 GATE2, bit 1 speaker data
 * enable, bits 2-3 parity/IOCHK check enables, all stored as written; bit 4
 * toggles on each DRAM refresh request, every 18 PIT clocks (15.1 us, the
 * count a PC BIOS gives counter 1) regardless of counter 1's programming;
 * bit 5 is OUT2; bits 6-7 (parity/IOCHK errors) read 0.
 *
 * The read of the control port (0x43) returns 0xFF, the datasheet defines
 * no such read. The power-on state, undefined in the datasheet, is: each
 * counter as after control word 0x36 (mode 3, LSB then MSB, binary) with no
 * count written, OUT high.
 */
#include "devices/pit8254.h"

#include <stdbool.h>
#include <stdlib.h>

#define TICK_NEVER UINT64_MAX
#define PIT_REFRESH_TICKS 18

struct pit_counter {
	uint8_t mode_bits;      /* M2-M0 as written (6 and 7 act as 2 and 3) */
	uint8_t mode;           /* 0..5 */
	uint8_t rw;             /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	uint16_t cr;            /* count register, as written */
	bool cr_valid;          /* a count was written since the control word */
	bool write_msb;         /* rw 3: the next write is the MSB */
	bool read_msb;          /* rw 3: the next read is the MSB */
	bool count_latched, status_latched;
	uint16_t latch;
	uint8_t status;
	bool gate;

	bool counting;          /* CE follows the formulas from t_load */
	bool suspended;         /* mode 0/4 stopped by GATE low: resumes on GATE high */
	uint64_t t_load;
	uint32_t start;         /* CE at t_load; the period N in modes 2/3 */
	bool starts_low;
	bool done;              /* mode 0: count expired; mode 4: strobe given */
	uint32_t hold;          /* CE while not counting or before t_load */
	bool out_idle;          /* OUT while not counting or before t_load */
	bool pending;
	uint64_t pending_at;
	uint32_t pending_n;
	bool pending_low;
	uint64_t cr_loaded_at;  /* NULL COUNT reads 1 before this tick */
};

struct pit8254 {
	struct pit_counter counter[3];
	struct vclock *clock;
	struct irq_line irq0;
	uint64_t irq_tick;      /* OUT0 edges up to this tick are delivered */
	uint8_t port61;         /* bits 0-3 */
};

static uint64_t ns_to_tick(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_CLOCK_HZ / NS_PER_SEC);
}

/* The first ns at which ns_to_tick() reaches tick. */
static uint64_t tick_to_ns(uint64_t tick)
{
	unsigned __int128 ns = ((unsigned __int128)tick * NS_PER_SEC + PIT_CLOCK_HZ - 1) /
			       PIT_CLOCK_HZ;
	return ns >= VCLOCK_NEVER ? VCLOCK_NEVER - 1 : (uint64_t)ns;
}

static uint32_t counter_range(const struct pit_counter *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint16_t to_bcd(uint32_t v)
{
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 |
			  v % 10);
}

/* The count register as a number of clocks: 1..65536 or 1..10000. */
static uint32_t counter_initial(const struct pit_counter *c)
{
	uint32_t n = c->cr;
	if (c->bcd)
		n = ((n >> 12 & 15) * 1000 + (n >> 8 & 15) * 100 + (n >> 4 & 15) * 10 +
		     (n & 15)) % 10000;
	return n ? n : counter_range(c);
}

/* A count pending in mode 2/3 takes over at its period boundary. */
static void counter_sync(struct pit_counter *c, uint64_t t)
{
	if (c->pending && t >= c->pending_at) {
		c->t_load = c->pending_at;
		c->start = c->pending_n;
		c->starts_low = c->pending_low;
		c->pending = false;
	}
}

static uint32_t counter_ce(const struct pit_counter *c, uint64_t t)
{
	uint32_t r = counter_range(c);
	if (!c->counting || t < c->t_load)
		return c->hold % r;
	uint64_t e = t - c->t_load;
	uint64_t n = c->start;

	switch (c->mode) {
	case 2:
		return (uint32_t)((n - e % n) % r);
	case 3: {
		uint64_t h = (n + 1) / 2;
		uint64_t pos = (e + (c->starts_low ? h : 0)) % n;
		uint64_t k = pos < h ? pos : pos - h;
		return (uint32_t)(((n & ~1ull) - 2 * k) % r);
	}
	default:
		return (uint32_t)((n % r + r - e % r) % r);
	}
}

static bool counter_out(const struct pit_counter *c, uint64_t t)
{
	if (!c->counting || t < c->t_load)
		return c->out_idle;
	uint64_t e = t - c->t_load;
	uint64_t n = c->start;

	switch (c->mode) {
	case 0:
		return c->done || e >= n;
	case 1:
		return e >= n;
	case 2:
		return e % n != n - 1;
	case 3:
		return (e + (c->starts_low ? (n + 1) / 2 : 0)) % n < (n + 1) / 2;
	default:
		return c->done || e != n;
	}
}

/* The first tick after t where OUT rises, ignoring a pending count. */
static uint64_t counter_next_rise_now(const struct pit_counter *c, uint64_t t)
{
	if (!c->counting)
		return TICK_NEVER;
	uint64_t e0 = t < c->t_load ? 0 : t - c->t_load;
	uint64_t n = c->start;
	uint64_t e;

	switch (c->mode) {
	case 0:
		if (c->done)
			return TICK_NEVER;
		e = n;
		break;
	case 1:
		e = n;
		break;
	case 2:
		if (n < 2)
			return TICK_NEVER;
		e = (e0 / n + 1) * n;
		break;
	case 3: {
		uint64_t off = c->starts_low ? (n + 1) / 2 : 0;
		if (n < 2)
			return TICK_NEVER;
		e = ((e0 + off) / n + 1) * n - off;
		break;
	}
	default:
		if (c->done)
			return TICK_NEVER;
		e = n + 1;
		break;
	}
	return e > e0 ? c->t_load + e : TICK_NEVER;
}

static uint64_t counter_next_rise(struct pit_counter *c, uint64_t t)
{
	counter_sync(c, t);
	uint64_t next = counter_next_rise_now(c, t);
	if (c->pending && next > c->pending_at) {
		struct pit_counter after = *c;
		counter_sync(&after, c->pending_at);
		next = counter_next_rise_now(&after, c->pending_at);
	}
	return next;
}

/* The count register goes to the CE on the next clock. */
static void counter_load(struct pit_counter *c, uint64_t t, uint32_t start)
{
	c->hold = counter_ce(c, t);
	c->out_idle = counter_out(c, t);
	c->counting = true;
	c->suspended = false;
	c->t_load = t + 1;
	c->start = start;
	c->starts_low = false;
	c->done = false;
	c->pending = false;
	c->cr_loaded_at = t + 1;
}

/* Mode 0/4 with GATE low: keep CE and OUT, count on from there later. */
static void counter_suspend(struct pit_counter *c, uint64_t t)
{
	bool loaded = t >= c->t_load;
	uint64_t e = loaded ? t - c->t_load : 0;

	c->out_idle = counter_out(c, t);
	c->done = loaded && (c->done || e >= c->start);
	c->hold = loaded ? counter_ce(c, t) : c->start;
	c->counting = false;
	c->suspended = true;
}

static void counter_resume(struct pit_counter *c, uint64_t t)
{
	c->counting = true;
	c->suspended = false;
	c->t_load = t;
	c->start = c->hold;
}

static void counter_set_gate(struct pit_counter *c, uint64_t t, bool gate)
{
	if (gate == c->gate)
		return;
	counter_sync(c, t);
	c->gate = gate;
	switch (c->mode) {
	case 0:
	case 4:
		if (!gate && c->counting)
			counter_suspend(c, t);
		else if (gate && c->suspended)
			counter_resume(c, t);
		break;
	case 1:
	case 5:
		if (gate && c->cr_valid)
			counter_load(c, t, counter_initial(c));
		break;
	default:
		if (!gate && c->counting) {
			c->hold = counter_ce(c, t);
			c->out_idle = true;
			c->counting = false;
			c->pending = false;
			if (c->cr_loaded_at > t)
				c->cr_loaded_at = TICK_NEVER;
		} else if (gate && c->cr_valid) {
			counter_load(c, t, counter_initial(c));
		}
		break;
	}
}

/* Modes 2/3: the tick where the current period (half-cycle) ends. */
static void counter_set_pending(struct pit_counter *c, uint64_t t, uint32_t n)
{
	uint64_t e = t - c->t_load;
	uint64_t period = c->start;

	if (c->mode == 2) {
		c->pending_at = c->t_load + (e / period + 1) * period;
		c->pending_low = false;
	} else {
		uint64_t h = (period + 1) / 2;
		uint64_t pos = (e + (c->starts_low ? h : 0)) % period;
		c->pending_low = pos < h;
		c->pending_at = t + (pos < h ? h - pos : period - pos);
	}
	c->pending = true;
	c->pending_n = n;
	c->cr_loaded_at = c->pending_at;
}

static void counter_count_written(struct pit_counter *c, uint64_t t)
{
	uint32_t n = counter_initial(c);

	c->cr_valid = true;
	switch (c->mode) {
	case 0:
	case 4:
		counter_load(c, t, n);
		if (c->mode == 0)
			c->out_idle = false;
		if (!c->gate) {
			c->hold = n;
			c->counting = false;
			c->suspended = true;
		}
		break;
	case 1:
	case 5:
		c->cr_loaded_at = TICK_NEVER;   /* loaded by the next trigger */
		break;
	default:
		if (c->counting && t >= c->t_load)
			counter_set_pending(c, t, n);
		else if (c->counting)
			c->start = n;           /* the previous count never loaded */
		else if (c->gate)
			counter_load(c, t, n);
		else
			c->cr_loaded_at = TICK_NEVER;
		break;
	}
}

/* Mode 0: the first byte of a two-byte count stops counting, OUT low. */
static void counter_stop(struct pit_counter *c, uint64_t t)
{
	if (c->counting)
		c->hold = t < c->t_load ? c->start : counter_ce(c, t);
	c->counting = false;
	c->suspended = false;
	c->out_idle = false;
}

static void counter_write(struct pit_counter *c, uint64_t t, uint8_t v)
{
	counter_sync(c, t);
	switch (c->rw) {
	case 1:
		c->cr = v;
		counter_count_written(c, t);
		break;
	case 2:
		c->cr = (uint16_t)(v << 8);
		counter_count_written(c, t);
		break;
	default:
		if (!c->write_msb) {
			c->cr = (uint16_t)((c->cr & 0xff00) | v);
			c->write_msb = true;
			if (c->mode == 0)
				counter_stop(c, t);
		} else {
			c->cr = (uint16_t)((c->cr & 0x00ff) | v << 8);
			c->write_msb = false;
			counter_count_written(c, t);
		}
		break;
	}
}

static void counter_control(struct pit_counter *c, uint64_t t, uint8_t v)
{
	counter_sync(c, t);
	c->hold = counter_ce(c, t);
	c->rw = (v >> 4) & 3;
	c->mode_bits = (v >> 1) & 7;
	c->mode = (c->mode_bits & 2) ? c->mode_bits & 3 : c->mode_bits;
	c->bcd = v & 1;
	c->write_msb = false;
	c->read_msb = false;
	c->count_latched = false;
	c->status_latched = false;
	c->cr_valid = false;
	c->counting = false;
	c->suspended = false;
	c->pending = false;
	c->done = false;
	c->out_idle = c->mode != 0;
	c->cr_loaded_at = TICK_NEVER;
}

static void counter_latch_count(struct pit_counter *c, uint64_t t)
{
	if (c->count_latched)
		return;
	counter_sync(c, t);
	uint32_t ce = counter_ce(c, t);
	c->latch = c->bcd ? to_bcd(ce) : (uint16_t)ce;
	c->count_latched = true;
}

static void counter_latch_status(struct pit_counter *c, uint64_t t)
{
	if (c->status_latched)
		return;
	counter_sync(c, t);
	c->status = (uint8_t)(counter_out(c, t) << 7 | (t < c->cr_loaded_at) << 6 |
			      c->rw << 4 | c->mode_bits << 1 | c->bcd);
	c->status_latched = true;
}

static uint8_t counter_read(struct pit_counter *c, uint64_t t)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v = c->latch;
	if (!c->count_latched) {
		counter_sync(c, t);
		uint32_t ce = counter_ce(c, t);
		v = c->bcd ? to_bcd(ce) : (uint16_t)ce;
	}
	switch (c->rw) {
	case 1:
		c->count_latched = false;
		return (uint8_t)v;
	case 2:
		c->count_latched = false;
		return (uint8_t)(v >> 8);
	default:
		c->read_msb = !c->read_msb;
		if (c->read_msb)
			return (uint8_t)v;
		c->count_latched = false;
		return (uint8_t)(v >> 8);
	}
}

/* Delivers one IRQ0 pulse if OUT0 rose after the last tick checked. */
static void pit_deliver(struct pit8254 *pit, uint64_t t)
{
	if (t < pit->irq_tick)
		return;
	if (counter_next_rise(&pit->counter[0], pit->irq_tick) <= t)
		irq_line_pulse(&pit->irq0);
	pit->irq_tick = t;
}

static void pit_control(struct pit8254 *pit, uint64_t t, uint8_t v)
{
	unsigned sc = v >> 6;

	if (sc == 3) {          /* read-back: bit 5 = !COUNT, bit 4 = !STATUS */
		for (unsigned i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			if (!(v & 0x20))
				counter_latch_count(&pit->counter[i], t);
			if (!(v & 0x10))
				counter_latch_status(&pit->counter[i], t);
		}
	} else if (((v >> 4) & 3) == 0) {
		counter_latch_count(&pit->counter[sc], t);
	} else {
		counter_control(&pit->counter[sc], t, v);
	}
}

static uint64_t pit_now(struct pit8254 *pit)
{
	return ns_to_tick(vclock_now(pit->clock));
}

static uint32_t pit_io_read(void *opaque, uint32_t offset, unsigned size)
{
	struct pit8254 *pit = opaque;
	uint64_t t = pit_now(pit);
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		uint32_t port = offset + i;
		uint32_t b = port < 3 ? counter_read(&pit->counter[port], t) : 0xffu;
		v |= b << (8 * i);
	}
	return v;
}

static void pit_io_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct pit8254 *pit = opaque;
	struct pit_counter *c0 = &pit->counter[0];
	uint64_t t = pit_now(pit);

	pit_deliver(pit, t);
	counter_sync(c0, t);
	bool out0 = counter_out(c0, t);
	for (unsigned i = 0; i < size && offset + i < 4; i++) {
		uint8_t b = (uint8_t)(value >> (8 * i));
		if (offset + i == 3)
			pit_control(pit, t, b);
		else
			counter_write(&pit->counter[offset + i], t, b);
	}
	if (!out0 && counter_out(c0, t))
		irq_line_pulse(&pit->irq0);
}

static uint32_t port61_io_read(void *opaque, uint32_t offset, unsigned size)
{
	struct pit8254 *pit = opaque;
	struct pit_counter *c2 = &pit->counter[2];
	uint64_t t = pit_now(pit);

	counter_sync(c2, t);
	uint32_t v = pit->port61 | ((t / PIT_REFRESH_TICKS) & 1) << 4 |
		     (uint32_t)counter_out(c2, t) << 5;
	return size == 1 ? v : v | (size == 4 ? 0xffffff00u : 0xff00u);
}

static void port61_io_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct pit8254 *pit = opaque;

	pit->port61 = value & 0x0f;
	counter_set_gate(&pit->counter[2], pit_now(pit), value & 1);
}

static const struct io_ops pit_ops = { pit_io_read, pit_io_write };
static const struct io_ops port61_ops = { port61_io_read, port61_io_write };

struct pit8254 *pit8254_create(struct vclock *clock, struct irq_line irq0)
{
	struct pit8254 *pit = calloc(1, sizeof(*pit));
	if (!pit)
		return NULL;
	pit->clock = clock;
	pit->irq0 = irq0;
	for (int i = 0; i < 3; i++) {
		struct pit_counter *c = &pit->counter[i];
		counter_control(c, 0, 0x36);
		c->gate = i != 2;
	}
	return pit;
}

void pit8254_destroy(struct pit8254 *pit)
{
	free(pit);
}

int pit8254_register(struct pit8254 *pit, struct portmap *ports)
{
	if (portmap_register(ports, 0x40, 4, &pit_ops, pit, "pit8254") ||
	    portmap_register(ports, 0x61, 1, &port61_ops, pit, "port61"))
		return -1;
	return 0;
}

uint64_t pit8254_poll(struct pit8254 *pit, uint64_t now_ns)
{
	pit_deliver(pit, ns_to_tick(now_ns));
	uint64_t next = counter_next_rise(&pit->counter[0], pit->irq_tick);
	return next == TICK_NEVER ? VCLOCK_NEVER : tick_to_ns(next);
}
