/*
 * pic8259.h - the PC/AT pair of 8259A programmable interrupt controllers.
 *
 * One object models the master (ports 0x20-0x21, IRQ 0-7) and the slave
 * (ports 0xA0-0xA1, IRQ 8-15) cascaded on the master's IR2, plus the
 * edge/level control registers ELCR1/ELCR2 at ports 0x4D0-0x4D1.
 *
 *	struct pic8259 *pic = pic8259_create(cpu_intr_line);
 *	pic8259_register(pic, &ports);
 *	struct irq_line com1 = pic8259_irq_line(pic, 4);
 *	...
 *	if (pic8259_intr_pending(pic) && (eflags & EFL_IF))
 *		deliver(pic8259_acknowledge(pic));
 */
#ifndef SOFTVT_DEVICES_PIC8259_H
#define SOFTVT_DEVICES_PIC8259_H

#include <stdbool.h>

#include "devices/io.h"
#include "devices/portmap.h"

struct pic8259;

/* intr: the CPU's INTR pin, driven as a level, called only on a change. */
struct pic8259 *pic8259_create(struct irq_line intr);
void pic8259_destroy(struct pic8259 *pic);
/* Claims 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1. Returns 0, or -1 if taken. */
int pic8259_register(struct pic8259 *pic, struct portmap *ports);
/* Drives input irq (0..15) to level (0/1). IRQ 2 is the AT bus's IRQ 9. */
void pic8259_set_irq(struct pic8259 *pic, int irq, int level);
/* An irq_line whose set() calls pic8259_set_irq(pic, irq, level). */
struct irq_line pic8259_irq_line(struct pic8259 *pic, int irq);
/* The level of the INTR output. */
bool pic8259_intr_pending(const struct pic8259 *pic);
/* The INTA cycle: the vector to deliver (IR7's when the request vanished). */
int pic8259_acknowledge(struct pic8259 *pic);

#endif
