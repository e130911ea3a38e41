/*
 * port92.h - System Control Port A (port 0x92), the "fast A20 and reset"
 * port of the IBM PS/2 (PS/2 Hardware Interface Technical Reference,
 * "System Control Port A").
 *
 *   bit 0  alternate hot reset: writing 1 resets the processor
 *   bit 1  alternate A20 gate: 1 = A20 enabled (reads the current gate)
 *   bit 3  security lock latch, bits 6-7 fixed-disk activity light:
 *          stored and read back as written, like bits 2, 4 and 5
 *
 * The A20 gate is shared with the keyboard controller's output port: both
 * go through the machine's set_a20/get_a20, so each reads what the other
 * wrote. Bit 0 reads 0: the reset it requests has completed by the time
 * the guest can read again.
 */
#ifndef SOFTVT_DEVICES_PORT92_H
#define SOFTVT_DEVICES_PORT92_H

#include <stdbool.h>

#include "devices/io.h"
#include "devices/portmap.h"

struct port92;

/* host may be NULL. Returns NULL when out of memory. */
struct port92 *port92_create(const struct board_lines *host);
void port92_destroy(struct port92 *p);
/* Claims port 0x92. Returns 0, or -1 if it is taken. */
int port92_register(struct port92 *p, struct portmap *ports);

#endif
