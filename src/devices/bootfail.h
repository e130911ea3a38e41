/*
 * bootfail.h - the BIOS's boot-failure port (BIOS_BOOTFAIL_PORT, 0x500):
 * a softvt-specific board port the BIOS ROM writes one reason code to
 * when it cannot boot (src/bios/rom/hostif.inc). The byte goes to the
 * report callback; the machine stops with the reason. Reads return 0xFF.
 */
#ifndef SOFTVT_DEVICES_BOOTFAIL_H
#define SOFTVT_DEVICES_BOOTFAIL_H

#include <stdint.h>

#include "devices/portmap.h"

struct bootfail;

/* Returns NULL when out of memory. */
struct bootfail *bootfail_create(void (*report)(void *opaque, unsigned code), void *opaque);
void bootfail_destroy(struct bootfail *bf);
/* Claims the port at base. Returns 0, or -1 if it is taken. */
int bootfail_register(struct bootfail *bf, struct portmap *ports, uint16_t base);

#endif
