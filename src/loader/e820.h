/*
 * e820.h - the BIOS memory map (INT 15h AX=E820h) as the machine describes it.
 *
 * Built once from the machine's layout and handed to the Linux loader
 * (boot_params.e820_table), the Multiboot loader (mmap_*), and later the
 * BIOS. Types follow the ACPI specification (address range types).
 */
#ifndef SOFTVT_LOADER_E820_H
#define SOFTVT_LOADER_E820_H

#include <stdint.h>

#define E820_MAX 16

enum e820_type { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3, E820_NVS = 4 };

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_map {
	struct e820_entry e[E820_MAX];
	unsigned n;
};

/* Adds an entry; returns 0, or -1 when the table is full. */
int e820_add(struct e820_map *map, uint64_t addr, uint64_t size, enum e820_type type);
/* Bytes of usable RAM below 1 MiB and from 1 MiB up to the first hole. */
uint64_t e820_low_ram(const struct e820_map *map);
uint64_t e820_ram_above_1m(const struct e820_map *map);

#endif
