/*
 * i8042.h - the PC/AT keyboard controller (Intel 8042 running the IBM
 * keyboard-controller firmware), with a PS/2 keyboard and a PS/2 mouse
 * behind it.
 *
 * Ports: 0x60 data, 0x64 status (read) / command (write). IRQ1 carries
 * keyboard-side bytes, IRQ12 mouse-side bytes. Machine-level effects of the
 * output port (CPU reset line, A20 gate) go out through struct board_lines.
 *
 * Example (the machine):
 *	struct board_lines host = { m, machine_reset, machine_set_a20, machine_get_a20 };
 *	struct i8042 *kbc = i8042_create(irq1, irq12, &host);
 *	i8042_register(kbc, &m->ports);
 *	uint8_t a_press[] = { 0x1c }, a_release[] = { 0xf0, 0x1c };
 *	i8042_key_event(kbc, a_press, 1);   // the guest reads 0x1e (set 1)
 */
#ifndef SOFTVT_DEVICES_I8042_H
#define SOFTVT_DEVICES_I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/io.h"
#include "devices/portmap.h"

struct i8042;

/* host may be NULL. Returns NULL when out of memory. */
struct i8042 *i8042_create(struct irq_line irq1, struct irq_line irq12,
			   const struct board_lines *host);
void i8042_destroy(struct i8042 *kbc);
/* Claims ports 0x60 and 0x64. Returns 0, or -1 if either is taken. */
int i8042_register(struct i8042 *kbc, struct portmap *ports);
/* Power-on state (the machine calls it on a system reset). */
void i8042_reset(struct i8042 *kbc);

/*
 * Keys typed on the host: the bytes a scan-code-set-2 keyboard sends for
 * one event (make "1c", break "f0 1c", extended "e0 75", "e0 f0 75").
 * Dropped while the keyboard has scanning disabled (command 0xF5).
 */
void i8042_key_event(struct i8042 *kbc, const uint8_t *set2, size_t n);

#endif
