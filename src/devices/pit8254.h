/*
 * pit8254.h - the PC's 8254 programmable interval timer and port 0x61.
 *
 * Three counters clocked at 1.193182 MHz from a struct vclock: counter 0
 * drives IRQ0, counter 1 is the (unused) refresh timer, counter 2 feeds
 * the speaker and is gated by port 0x61 bit 0.
 *
 *	struct pit8254 *pit = pit8254_create(&clock, pic8259_irq_line(pic, 0));
 *	pit8254_register(pit, &ports);
 *	...
 *	uint64_t deadline = pit8254_poll(pit, vclock_now(&clock));
 *	(run the guest or sleep until deadline, then poll again)
 */
#ifndef SOFTVT_DEVICES_PIT8254_H
#define SOFTVT_DEVICES_PIT8254_H

#include <stdint.h>

#include "devices/io.h"
#include "devices/portmap.h"

#define PIT_CLOCK_HZ 1193182u

struct pit8254;

/* irq0 receives a pulse (1 then 0) on each rising edge of counter 0's OUT. */
struct pit8254 *pit8254_create(struct vclock *clock, struct irq_line irq0);
void pit8254_destroy(struct pit8254 *pit);
/* Claims 0x40-0x43 and 0x61. Returns 0, or -1 if a port is taken. */
int pit8254_register(struct pit8254 *pit, struct portmap *ports);
/*
 * Raises IRQ0 if counter 0's OUT rose since the last poll (once, however
 * many periods were missed) and returns the time of its next rising edge
 * in ns, or VCLOCK_NEVER.
 */
uint64_t pit8254_poll(struct pit8254 *pit, uint64_t now_ns);

#endif
