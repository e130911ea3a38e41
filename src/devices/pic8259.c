/*
 * pic8259.c - the PC/AT master/slave pair of 8259A interrupt controllers.
 *
 * References: Intel 8259A datasheet (231468), sections "Interrupt Sequence",
 * "Initialization Command Words", "Operation Command Words", "Fully Nested
 * Mode", "End of Interrupt", "Automatic/Specific Rotation", "Special Mask
 * Mode", "Poll Command", "Reading the 8259A Status", "Edge and Level
 * Triggered Modes", "Special Fully Nested Mode", "Cascading"; ELCR1/ELCR2 as
 * in the Intel 82371AB (PIIX4) datasheet, "Edge/Level Control Registers".
 *
 * Each chip keeps IRR, ISR and IMR plus the level of its eight inputs.
 * An input is level-sensitive when ICW1.LTIM is set or its ELCR bit is set
 * (ELCR bits of IRQ 0, 1, 2, 8 and 13 are hard-wired to 0 on a PC). Then
 * IRR follows the line, and a request that goes away before INTA leaves
 * nothing to acknowledge: the chip answers with its IR7 vector and sets no
 * ISR bit (the spurious interrupt). An edge-sensitive input latches IRR on
 * a rising edge and keeps it until INTA, so a device may pulse its line;
 * the datasheet asks the line to stay high until INTA, a pulse is accepted
 * here because devices such as the PIT model their OUT edge as a pulse.
 *
 * Priorities rotate through `lowest`, the IR with the lowest priority
 * (IR7 after ICW1). A request interrupts when it is unmasked and of higher
 * priority than the highest in-service level; in special mask mode,
 * in-service levels that are masked do not block; in special fully nested
 * mode the master accepts a new request on IR2 while IR2 is in service.
 *
 * Cascade: the slave's INT output is the master's IR2 input, evaluated after
 * every change. INTA on master IR2 is passed to the slave, which returns the
 * vector (its IR7 vector when its request vanished: the master's IR2 stays
 * in service, the guest must EOI the master). INTA ends the slave's INT
 * pulse, so a slave still requesting after INTA gives IR2 a new edge.
 * The wiring is fixed as on a PC: the ICW3 value is accepted and ignored.
 *
 * Not modelled: MCS-80/85 mode (ICW4.uPM = 0: vectors are always the 8086
 * ones, ICW2 & 0xF8 plus the IR), buffered mode. The power-on state (the
 * datasheet leaves it undefined) is: vector bases 0x08 and 0x70, all inputs
 * masked, edge-triggered, cascaded, so nothing fires until a guest programs
 * the pair.
 */
#include "devices/pic8259.h"

#include <stdint.h>
#include <stdlib.h>

#define PIC_CASCADE_IR 2
#define PIC_SPURIOUS_IR 7
#define ELCR_MASTER_MASK 0xf8   /* IRQ 0, 1, 2 cannot be level-triggered */
#define ELCR_SLAVE_MASK 0xde    /* nor IRQ 8 and 13 */

enum pic_init_step { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct pic_chip {
	struct pic8259 *pair;
	bool is_master;
	uint8_t irr, isr, imr;
	uint8_t lines;          /* level of each IR input */
	uint8_t elcr, elcr_mask;
	uint8_t vector_base;
	uint8_t lowest;         /* IR with the lowest priority */
	enum pic_init_step step;
	bool icw4_needed, single, ltim, aeoi, sfnm, rotate_in_aeoi;
	bool read_isr, poll, special_mask;
};

struct pic8259 {
	struct pic_chip chip[2];        /* master, slave */
	struct irq_line intr;
	bool intr_level;
};

static uint8_t chip_level_mask(const struct pic_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

static void chip_set_input(struct pic_chip *c, int ir, bool level)
{
	uint8_t bit = (uint8_t)(1u << ir);
	bool level_mode = chip_level_mask(c) & bit;

	if (level && (level_mode || !(c->lines & bit)))
		c->irr |= bit;
	else if (!level && level_mode)
		c->irr &= (uint8_t)~bit;
	c->lines = level ? c->lines | bit : c->lines & (uint8_t)~bit;
}

/* 0 is the highest priority, 7 the lowest. */
static int chip_priority(const struct pic_chip *c, int ir)
{
	return (ir - c->lowest - 1) & 7;
}

static int chip_highest(const struct pic_chip *c, uint8_t mask)
{
	for (int p = 0; p < 8; p++) {
		int ir = (c->lowest + 1 + p) & 7;
		if (mask & (1u << ir))
			return ir;
	}
	return -1;
}

/* The IR this chip would interrupt for now, or -1 (its INT output low). */
static int chip_request(const struct pic_chip *c)
{
	int req = chip_highest(c, c->irr & (uint8_t)~c->imr);
	if (req < 0)
		return -1;
	uint8_t blocking = c->special_mask ? c->isr & (uint8_t)~c->imr : c->isr;
	int cur = chip_highest(c, blocking);
	if (cur < 0 || chip_priority(c, req) < chip_priority(c, cur))
		return req;
	if (c->sfnm && c->is_master && !c->single && req == cur && req == PIC_CASCADE_IR)
		return req;
	return -1;
}

static void chip_ack(struct pic_chip *c, int ir)
{
	uint8_t bit = (uint8_t)(1u << ir);

	if (!(chip_level_mask(c) & bit))
		c->irr &= (uint8_t)~bit;
	if (!c->aeoi)
		c->isr |= bit;
	else if (c->rotate_in_aeoi)
		c->lowest = (uint8_t)ir;
}

static void pic_update(struct pic8259 *pic)
{
	struct pic_chip *master = &pic->chip[0];

	chip_set_input(master, PIC_CASCADE_IR, chip_request(&pic->chip[1]) >= 0);
	bool level = chip_request(master) >= 0;
	if (level != pic->intr_level) {
		pic->intr_level = level;
		irq_line_set(&pic->intr, level);
	}
}

static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	c->ltim = v & 0x08;
	c->single = v & 0x02;
	c->icw4_needed = v & 0x01;
	c->imr = 0;
	c->isr = 0;
	/* The edge sense latches are reset: an edge input must rise again. */
	c->irr = c->lines & chip_level_mask(c);
	c->lowest = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_in_aeoi = false;
	if (!c->icw4_needed) {
		c->aeoi = false;
		c->sfnm = false;
	}
	c->step = INIT_ICW2;
}

static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	int level = v & 7;
	int ir;

	switch (v >> 5) {
	case 0:         /* clear rotate in AEOI mode */
		c->rotate_in_aeoi = false;
		break;
	case 4:         /* set rotate in AEOI mode */
		c->rotate_in_aeoi = true;
		break;
	case 1:         /* non-specific EOI */
	case 5:         /* rotate on non-specific EOI */
		ir = chip_highest(c, c->isr);
		if (ir < 0)
			break;
		c->isr &= (uint8_t)~(1u << ir);
		if (v >> 5 == 5)
			c->lowest = (uint8_t)ir;
		break;
	case 3:         /* specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		break;
	case 7:         /* rotate on specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		c->lowest = (uint8_t)level;
		break;
	case 6:         /* set priority */
		c->lowest = (uint8_t)level;
		break;
	default:        /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & 0x40)
		c->special_mask = v & 0x20;
	if (v & 0x04)
		c->poll = true;
	if (v & 0x02)
		c->read_isr = v & 0x01;
}

static void chip_write_data(struct pic_chip *c, uint8_t v)
{
	switch (c->step) {
	case INIT_ICW2:
		c->vector_base = v & 0xf8;
		if (!c->single)
			c->step = INIT_ICW3;
		else
			c->step = c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		c->step = c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		c->aeoi = v & 0x02;
		c->sfnm = v & 0x10;
		c->step = INIT_DONE;
		break;
	case INIT_DONE:
		c->imr = v;
		break;
	}
}

static void chip_write(struct pic_chip *c, uint32_t offset, uint8_t v)
{
	if (offset == 1)
		chip_write_data(c, v);
	else if (v & 0x10)
		chip_icw1(c, v);
	else if (v & 0x08)
		chip_ocw3(c, v);
	else
		chip_ocw2(c, v);
}

/* The poll command: the next read is an INTA that returns 0x80 | IR. */
static uint8_t chip_poll(struct pic_chip *c)
{
	int ir = chip_request(c);
	if (ir < 0)
		return 0;
	chip_ack(c, ir);
	return (uint8_t)(0x80 | ir);
}

static uint8_t chip_read(struct pic_chip *c, uint32_t offset)
{
	if (c->poll) {
		c->poll = false;
		return chip_poll(c);
	}
	if (offset == 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static uint32_t chip_io_read(void *opaque, uint32_t offset, unsigned size)
{
	struct pic_chip *c = opaque;
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (offset + i < 2 ? chip_read(c, offset + i) : 0xffu) << (8 * i);
	pic_update(c->pair);
	return v;
}

static void chip_io_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct pic_chip *c = opaque;

	for (unsigned i = 0; i < size && offset + i < 2; i++)
		chip_write(c, offset + i, (uint8_t)(value >> (8 * i)));
	pic_update(c->pair);
}

static uint32_t elcr_io_read(void *opaque, uint32_t offset, unsigned size)
{
	struct pic8259 *pic = opaque;
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (offset + i < 2 ? pic->chip[offset + i].elcr : 0xffu) << (8 * i);
	return v;
}

static void elcr_io_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct pic8259 *pic = opaque;

	for (unsigned i = 0; i < size && offset + i < 2; i++) {
		struct pic_chip *c = &pic->chip[offset + i];
		c->elcr = (uint8_t)(value >> (8 * i)) & c->elcr_mask;
		uint8_t level = chip_level_mask(c);
		c->irr = (c->irr & (uint8_t)~level) | (c->lines & level);
	}
	pic_update(pic);
}

static const struct io_ops chip_ops = { chip_io_read, chip_io_write };
static const struct io_ops elcr_ops = { elcr_io_read, elcr_io_write };

struct pic8259 *pic8259_create(struct irq_line intr)
{
	struct pic8259 *pic = calloc(1, sizeof(*pic));
	if (!pic)
		return NULL;
	pic->intr = intr;
	for (int i = 0; i < 2; i++) {
		struct pic_chip *c = &pic->chip[i];
		c->pair = pic;
		c->is_master = i == 0;
		c->imr = 0xff;
		c->lowest = 7;
		c->vector_base = i == 0 ? 0x08 : 0x70;
		c->elcr_mask = i == 0 ? ELCR_MASTER_MASK : ELCR_SLAVE_MASK;
		c->step = INIT_DONE;
	}
	return pic;
}

void pic8259_destroy(struct pic8259 *pic)
{
	free(pic);
}

int pic8259_register(struct pic8259 *pic, struct portmap *ports)
{
	if (portmap_register(ports, 0x20, 2, &chip_ops, &pic->chip[0], "pic-master") ||
	    portmap_register(ports, 0xa0, 2, &chip_ops, &pic->chip[1], "pic-slave") ||
	    portmap_register(ports, 0x4d0, 2, &elcr_ops, pic, "pic-elcr"))
		return -1;
	return 0;
}

void pic8259_set_irq(struct pic8259 *pic, int irq, int level)
{
	if (irq < 0 || irq > 15)
		return;
	if (irq == PIC_CASCADE_IR)
		irq = 9;        /* the AT bus routes its IRQ2 pin to IRQ9 */
	chip_set_input(&pic->chip[irq >> 3], irq & 7, level != 0);
	pic_update(pic);
}

static void pic_line_set(void *opaque, int num, int level)
{
	pic8259_set_irq(opaque, num, level);
}

struct irq_line pic8259_irq_line(struct pic8259 *pic, int irq)
{
	return (struct irq_line){ pic_line_set, pic, irq };
}

bool pic8259_intr_pending(const struct pic8259 *pic)
{
	return pic->intr_level;
}

int pic8259_acknowledge(struct pic8259 *pic)
{
	struct pic_chip *master = &pic->chip[0], *slave = &pic->chip[1];
	int vector;
	int ir = chip_request(master);

	if (ir < 0) {
		vector = master->vector_base + PIC_SPURIOUS_IR;
	} else if (ir == PIC_CASCADE_IR && !master->single) {
		chip_ack(master, ir);
		int sir = chip_request(slave);
		if (sir < 0) {
			vector = slave->vector_base + PIC_SPURIOUS_IR;
		} else {
			chip_ack(slave, sir);
			vector = slave->vector_base + sir;
		}
		master->lines &= (uint8_t)~(1u << PIC_CASCADE_IR);
	} else {
		chip_ack(master, ir);
		vector = master->vector_base + ir;
	}
	pic_update(pic);
	return vector;
}
