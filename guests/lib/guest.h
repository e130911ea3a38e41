/*
 * guest.h - everything a test guest includes. A guest defines guest_main();
 * when it returns, summary() prints the totals and exits.
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "desc.h"
#include "mem.h"
#include "multiboot.h"
#include "pagetable.h"
#include "report.h"
#include "trap.h"
#include "x86.h"

void guest_main(uint32_t magic, const struct multiboot_info *mbi);

#endif
