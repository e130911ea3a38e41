/*
 * testexit.h - the test-exit port 0xF4 for test guests.
 *
 * Any write (OUT of 1, 2 or 4 bytes) asks the machine to stop with exit
 * code value & 0xff: a process exit status has 8 bits, so only the low
 * byte survives anyway. (Unlike QEMU's isa-debug-exit there is no
 * (value << 1) | 1 encoding: the guest's value is the status.) Reads
 * return all ones.
 */
#ifndef SOFTVT_DEVICES_TESTEXIT_H
#define SOFTVT_DEVICES_TESTEXIT_H

#include "devices/portmap.h"

struct testexit;

/* exit_request may be NULL (writes are ignored). Returns NULL when out of memory. */
struct testexit *testexit_create(void (*exit_request)(void *opaque, int code), void *opaque);
void testexit_destroy(struct testexit *te);
/* Claims port 0xF4. Returns 0, or -1 if it is taken. */
int testexit_register(struct testexit *te, struct portmap *ports);

#endif
