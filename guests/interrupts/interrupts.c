/*
 * interrupts - the 8259A PIC pair, the 8254 PIT and the MC146818 RTC
 * periodic interrupt, with the CPU's IF/STI/HLT rules.
 *
 * Datasheets: Intel 8259A (ICW1-4, OCW1-3: IRR/ISR reads, non-specific
 * EOI), Intel 8254 (mode 0 and mode 2, counter latch), Motorola MC146818A
 * (register A rate select, register B PIE, register C flags cleared by a
 * read, which also releases the IRQ line). PC wiring: PIT channel 0 on
 * IRQ0, RTC on IRQ8 (slave IRQ0, cascaded on master IRQ2), channel 2 gate
 * and OUT2 on port 0x61 bits 0 and 5.
 *
 * Checks: IMR read-back; channel 2 mode 0 (OUT2 low while counting,
 * counting down, high at terminal count); IRQ0 at vector 0x20 with HLT
 * waits and no more than 3x the programmed rate; without EOI the next
 * request waits in IRR and is not delivered while ISR bit 0 is set, EOI
 * releases it; a masked request reaches IRR but is not delivered until
 * unmasked; with IF=0 likewise until STI; STI;HLT with a request pending
 * wakes HLT with the return EIP after HLT (the STI shadow, SDM vol. 3A
 * 6.8.3); RTC periodic interrupts at vector 0x28, register C = IRQF|PF,
 * and no further RTC interrupt until C is read.
 *
 * Time is measured with PIT channel 2 in mode 0, never with loop counts,
 * and events are waited for rather than expected within a fixed time (a
 * VMM on a busy host delivers timer interrupts late); loop counts only
 * bound every wait so a broken machine fails instead of hanging. HLT is
 * only used once the timer is known to tick. Only pass/fail is printed:
 * counts depend on timing.
 */
#include "guest.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20
#define PIC_READ_IRR 0x0a
#define PIC_READ_ISR 0x0b
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PORT_B 0x61             /* bit 0: gate 2, bit 1: speaker, bit 5: OUT2 */
#define PORT_B_OUT2 0x20
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define PIT_HZ 1193182
#define TIMER_DIVISOR 1193      /* ~1 kHz */
#define POLL_LIMIT 5000000u     /* bounds every busy wait */
#define HLT_LIMIT 1000u
#define WAIT_MS 2000          /* patience for one event */

struct irq_state {
	volatile uint32_t timer;        /* IRQ0 interrupts */
	volatile bool capture_eip;      /* record the next IRQ0's saved EIP */
	volatile uint32_t timer_eip;
	volatile bool timer_eoi;        /* the handler sends EOI */
	volatile uint32_t rtc;          /* IRQ8 interrupts */
	volatile bool rtc_read_c;       /* the handler reads register C */
	volatile uint8_t rtc_c;         /* what it read */
	volatile uint32_t spurious;
};

static struct irq_state irq;

static void timer_handler(struct trap_frame *f)
{
	irq.timer++;
	if (irq.capture_eip) {
		irq.timer_eip = f->eip;
		irq.capture_eip = false;
	}
	if (irq.timer_eoi)
		outb(PIC1_CMD, PIC_EOI);
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, v);
}

static void rtc_handler(struct trap_frame *f)
{
	irq.rtc++;
	if (irq.rtc_read_c)
		irq.rtc_c = cmos_read(0x0c);
	outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

/* IRQ7/IRQ15 without a request in the ISR: spurious, no EOI (8259A datasheet). */
static void spurious_handler(struct trap_frame *f)
{
	irq.spurious++;
}

static uint8_t pic_read(uint16_t cmd_port, uint8_t ocw3)
{
	outb(cmd_port, ocw3);
	return inb(cmd_port);
}

static void pic_init(void)
{
	outb(PIC1_CMD, 0x11);           /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, 0x20);          /* ICW2: vector base */
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 0x04);          /* ICW3: slave on IRQ2 */
	outb(PIC2_DATA, 0x02);          /*       slave identity 2 */
	outb(PIC1_DATA, 0x01);          /* ICW4: 8086 mode, normal EOI */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xff);          /* OCW1: everything masked */
	outb(PIC2_DATA, 0xff);
}

/* Channel 2, mode 0, count loaded, gate opened. */
static void pit2_start(uint16_t count)
{
	outb(PORT_B, inb(PORT_B) & ~0x03);
	outb(PIT_MODE, 0xb0);           /* channel 2, lo/hi byte, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
}

static bool pit2_out(void)
{
	return inb(PORT_B) & PORT_B_OUT2;
}

static uint16_t pit2_latch(void)
{
	uint8_t lo, hi;

	outb(PIT_MODE, 0x80);           /* counter latch, channel 2 */
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (uint16_t)(hi << 8 | lo);
}

/* Busy-waits ms milliseconds (1..54) of PIT time; interrupts run if IF=1. */
static void delay_ms(unsigned ms)
{
	pit2_start((uint16_t)(PIT_HZ / 1000 * ms));
	for (uint32_t i = 0; i < POLL_LIMIT; i++)
		if (pit2_out())
			return;
	timeout_exit("PIT channel 2 never reached its terminal count");
}

/*
 * Busy-waits, for at most WAIT_MS of PIT time, until done(arg). Events are
 * waited for, never assumed after a fixed time: a VMM on a loaded host may
 * deliver interrupts well after the PIT time at which they were due.
 */
static bool wait_until(bool (*done)(const void *arg), const void *arg)
{
	for (unsigned window = 0; window < WAIT_MS / 50; window++) {
		uint32_t i;

		pit2_start((uint16_t)(PIT_HZ / 1000 * 50));
		for (i = 0; i < POLL_LIMIT && !pit2_out(); i++)
			if (done(arg))
				return true;
		if (i == POLL_LIMIT)
			timeout_exit("PIT channel 2 never reached its terminal count");
	}
	return done(arg);
}

struct count_goal {
	volatile uint32_t *counter;
	uint32_t target;
};

static bool count_reached(const void *arg)
{
	const struct count_goal *g = arg;

	return *g->counter >= g->target;
}

/* Waits until *counter >= target. */
static bool wait_count(volatile uint32_t *counter, uint32_t target)
{
	struct count_goal g = { counter, target };

	return wait_until(count_reached, &g);
}

static bool irq0_requested(const void *arg)
{
	return pic_read(PIC1_CMD, PIC_READ_IRR) & 1;
}

static void check_pic_and_pit2(void)
{
	uint16_t c1, c2 = 0;
	bool out_seen = false;

	pic_init();
	outb(PIC1_DATA, 0xa5);
	outb(PIC2_DATA, 0x5a);
	report(inb(PIC1_DATA) == 0xa5 && inb(PIC2_DATA) == 0x5a,
	       "8259 IMRs read back what OCW1 wrote");
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);

	/*
	 * The datasheet has a mode 0 control word drive OUT low at once; QEMU
	 * only does so when the count is loaded, so OUT2 is checked after that.
	 */
	pit2_start(0xffff);
	report(!pit2_out(), "8254 channel 2: OUT2 (port 0x61 bit 5) low while a 55 ms count runs");
	c1 = pit2_latch();
	for (uint32_t i = 0; i < POLL_LIMIT && (c2 = pit2_latch()) == c1; i++)
		;
	report(c2 < c1, "8254 channel 2: the latched count goes down");
	for (uint32_t i = 0; i < POLL_LIMIT && !out_seen; i++)
		out_seen = pit2_out();
	report(out_seen, "8254 channel 2: OUT2 goes high at terminal count (55 ms)");
	report(pit2_out(), "8254 channel 2: OUT2 stays high in mode 0");
}

static bool check_timer(void)
{
	uint32_t start;
	unsigned i;

	trap_set_handler(0x20, timer_handler);
	trap_set_handler(0x27, spurious_handler);
	trap_set_handler(0x2f, spurious_handler);
	irq.timer_eoi = true;
	outb(PIT_MODE, 0x34);           /* channel 0, lo/hi byte, mode 2, binary */
	outb(PIT_CH0, TIMER_DIVISOR & 0xff);
	outb(PIT_CH0, TIMER_DIVISOR >> 8);
	outb(PIC1_DATA, 0xfe);
	sti();
	if (!report(wait_count(&irq.timer, 1), "PIT channel 0 mode 2 interrupts arrive at vector 0x20"))
		return false;

	start = irq.timer;
	for (i = 0; i < HLT_LIMIT && irq.timer - start < 10; i++)
		asm volatile("hlt");
	report(irq.timer - start >= 10 && i <= 10, "10 timer interrupts, one per HLT");

	/* Late interrupts only make the count smaller: check the upper bound. */
	start = irq.timer;
	delay_ms(50);
	report(irq.timer - start <= 150,
	       "no more than 150 interrupts in 50 ms (expected about 50)");
	return true;
}

static void check_eoi_and_mask(void)
{
	uint32_t start;

	irq.timer_eoi = false;
	start = irq.timer;
	report(wait_count(&irq.timer, start + 1), "without EOI: one more IRQ0 arrives");
	report(wait_until(irq0_requested, 0), "without EOI: the next request waits in IRR");
	delay_ms(5);
	report(irq.timer == start + 1, "without EOI: no further IRQ0 is delivered");
	report(pic_read(PIC1_CMD, PIC_READ_ISR) & 1, "without EOI: ISR bit 0 stays set");
	start = irq.timer;
	irq.timer_eoi = true;
	outb(PIC1_CMD, PIC_EOI);
	report(wait_count(&irq.timer, start + 1), "EOI releases the pending IRQ0");

	outb(PIC1_DATA, 0xff);
	start = irq.timer;
	report(wait_until(irq0_requested, 0),
	       "masked IRQ0 (IMR bit 0): the request still reaches IRR");
	delay_ms(5);
	report(irq.timer == start, "masked IRQ0: not delivered");
	outb(PIC1_DATA, 0xfe);
	report(wait_count(&irq.timer, start + 1), "unmasking IRQ0 delivers it");

	cli();
	start = irq.timer;
	report(wait_until(irq0_requested, 0), "IF=0: IRQ0 becomes pending in IRR");
	delay_ms(5);
	report(irq.timer == start, "IF=0: not delivered");
	sti();
	report(wait_count(&irq.timer, start + 1), "STI: the pending interrupt is delivered");
}

static void check_sti_hlt(void)
{
	uint32_t start, after_hlt;

	cli();
	if (!report(wait_until(irq0_requested, 0), "IF=0: IRQ0 pending before STI;HLT"))
		return;
	start = irq.timer;
	irq.capture_eip = true;
	asm volatile("movl $9005f, %0\n\tsti\n\thlt\n9005:" : "=r"(after_hlt) : : "memory");
	report(irq.timer != start && irq.timer_eip == after_hlt,
	       "STI;HLT with IRQ0 pending: HLT wakes, the interrupt returns after HLT");
}

static void check_rtc(void)
{
	uint32_t start;
	uint8_t reg_b;

	outb(PIC1_DATA, 0xfb);          /* IRQ0 masked, cascade open */
	trap_set_handler(0x28, rtc_handler);
	irq.rtc_read_c = true;
	cmos_write(0x0a, 0x26);         /* 32.768 kHz time base, rate 6: 1024 Hz */
	reg_b = cmos_read(0x0b);
	cmos_write(0x0b, reg_b | 0x40); /* PIE */
	cmos_read(0x0c);
	outb(PIC2_DATA, 0xfe);
	report(wait_count(&irq.rtc, 5),
	       "RTC periodic interrupts arrive at vector 0x28 (IRQ8 via the slave)");
	report((irq.rtc_c & 0xc0) == 0xc0, "RTC register C reads IRQF|PF in the handler");

	/* IF=0 while switching: an interrupt between the two stores would
	 * leave IRQF set with start already counting it (no interrupt after) */
	cli();
	irq.rtc_read_c = false;
	start = irq.rtc;
	sti();
	report(wait_count(&irq.rtc, start + 1),
	       "without reading register C: one more RTC interrupt");
	delay_ms(20);
	report(irq.rtc == start + 1,
	       "without reading register C: no further RTC interrupt in 20 ms");
	irq.rtc_read_c = true;
	cmos_read(0x0c);
	report(wait_count(&irq.rtc, start + 2), "reading register C lets the next one through");

	outb(PIC2_DATA, 0xff);
	cmos_write(0x0b, reg_b & ~0x40);
	cmos_read(0x0c);
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	check_pic_and_pit2();
	if (check_timer()) {
		check_eoi_and_mask();
		check_sti_hlt();
		check_rtc();
	}
	cli();
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
