/*
 * portmap.h - the x86 I/O port space (64 Ki byte-wide ports).
 *
 * One dispatch used by every engine: the interpreter's IN/OUT, the
 * translator's callouts and KVM_EXIT_IO all end in portmap_read/write.
 * Devices register a range [base, base+len) with an io_ops pair; a lookup
 * is one table index. Unclaimed ports read as all ones and ignore writes;
 * each unclaimed port is counted, and reported once when `trace` is set.
 *
 * Multi-byte accesses go to the device that owns the first port, with the
 * offset of that port; a device that does not implement wide accesses
 * should split them itself.
 *
 * Watched ports: a write to a port marked with portmap_watch() ORs
 * notify_bits into *notify after the device has handled it. The machine
 * uses this for timer devices, whose next deadline can move when the
 * guest programs them, so the engine returns and the deadline is renewed.
 */
#ifndef SOFTVT_DEVICES_PORTMAP_H
#define SOFTVT_DEVICES_PORTMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "devices/io.h"

#define PORTMAP_MAX_REGIONS 64

struct port_region {
	uint16_t base;
	uint32_t len;
	const struct io_ops *ops;
	void *opaque;
	const char *name;
};

struct portmap {
	struct port_region regions[PORTMAP_MAX_REGIONS];
	unsigned nregions;
	uint8_t owner[65536];      /* region index + 1, 0 = unclaimed */
	uint8_t reported[65536 / 8];
	uint8_t watched[65536 / 8];
	volatile sig_atomic_t *notify;
	int notify_bits;
	uint64_t unclaimed_accesses;
	FILE *trace;               /* where to report unclaimed ports, or NULL */
};

void portmap_init(struct portmap *map);
/* Returns 0, or -1 if the range overlaps a registered one or the table is full. */
int portmap_register(struct portmap *map, uint16_t base, uint32_t len,
		     const struct io_ops *ops, void *opaque, const char *name);
uint32_t portmap_read(struct portmap *map, uint16_t port, unsigned size);
void portmap_write(struct portmap *map, uint16_t port, uint32_t value, unsigned size);
/* Writes to [base, base+len) will set notify_bits in *notify. */
void portmap_watch(struct portmap *map, uint16_t base, uint32_t len,
		   volatile sig_atomic_t *notify, int notify_bits);
/* Name of the device owning a port, or NULL. */
const char *portmap_owner_name(const struct portmap *map, uint16_t port);

#endif
