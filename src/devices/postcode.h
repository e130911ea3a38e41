/*
 * postcode.h - the POST diagnostic port 0x80.
 *
 * BIOSes write their progress codes here (a POST card on the ISA bus shows
 * them); Linux also writes it as an I/O delay (outb_p), so a write must be
 * cheap and silent unless tracing was asked for. Reading returns the last
 * byte written.
 */
#ifndef SOFTVT_DEVICES_POSTCODE_H
#define SOFTVT_DEVICES_POSTCODE_H

#include <stdint.h>
#include <stdio.h>

#include "devices/portmap.h"

struct postcode;

/* trace: where to print "POST 0xNN" per write, or NULL. NULL when out of memory. */
struct postcode *postcode_create(FILE *trace);
void postcode_destroy(struct postcode *pc);
/* Claims port 0x80. Returns 0, or -1 if it is taken. */
int postcode_register(struct postcode *pc, struct portmap *ports);
uint8_t postcode_last(const struct postcode *pc);
uint64_t postcode_count(const struct postcode *pc);

#endif
