/*
 * bios_rom.h - the project's BIOS ROM (src/bios/rom/, assembled by nasm at
 * build time and embedded in softvt) and its place in the machine.
 *
 * bios_rom_load() copies the 64 KiB image to 0xF0000-0xFFFFF (the machine
 * aliases it at 0xFFFF0000, where the reset vector 0xFFFFFFF0 lies) and
 * fills its host table (src/bios/rom/hostif.inc) with the E820 map the
 * loaders use. The CPU then starts at F000:FFF0 in real mode; docs/BIOS.md
 * describes what the BIOS does from there.
 *
 * Offsets of the ROM's labels and the constants of hostif.inc come from
 * the generated header bios_rom_syms.h (BIOS_SYM_*, BIOS_*).
 */
#ifndef SOFTVT_BIOS_BIOS_ROM_H
#define SOFTVT_BIOS_BIOS_ROM_H

#include <stddef.h>
#include <stdint.h>

#include "bios_rom_syms.h"
#include "loader/e820.h"
#include "mmu/physmap.h"

#define BIOS_ROM_BASE 0xf0000u
#define BIOS_ROM_SIZE 0x10000u

/* The image as built (host table empty). */
const uint8_t *bios_rom_image_data(size_t *len);

/* Builds the ROM for this machine into out (BIOS_ROM_SIZE bytes). 0, or -1 with err. */
int bios_rom_build(uint8_t *out, const struct e820_map *e820, char *err, size_t errlen);

/* bios_rom_build() and copies the result to BIOS_ROM_BASE. 0, or -1 with err. */
int bios_rom_load(struct physmap *phys, const struct e820_map *e820, char *err, size_t errlen);

/* The message for a BOOTFAIL_* code the BIOS wrote to its boot-failure port. */
const char *bios_bootfail_reason(unsigned code);

#endif
