/*
 * debugcon.h - the Bochs/QEMU debug console, port 0xE9.
 *
 * Each byte the guest writes goes to the out callback (the machine sends
 * it to stdout or a file). Reading the port returns 0xE9, which is how a
 * guest detects that the console exists. A wide write sends only its low
 * byte, the one for port 0xE9.
 */
#ifndef SOFTVT_DEVICES_DEBUGCON_H
#define SOFTVT_DEVICES_DEBUGCON_H

#include <stdint.h>

#include "devices/portmap.h"

struct debugcon;

/* out may be NULL (bytes are dropped). Returns NULL when out of memory. */
struct debugcon *debugcon_create(void (*out)(void *opaque, uint8_t byte), void *opaque);
void debugcon_destroy(struct debugcon *dc);
/* Claims port 0xE9. Returns 0, or -1 if it is taken. */
int debugcon_register(struct debugcon *dc, struct portmap *ports);

#endif
