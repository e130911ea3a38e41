/*
 * bios_rom.c - placing the BIOS ROM and filling its host table (see
 * bios_rom.h).
 */
#include "bios/bios_rom.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

extern const uint8_t bios_rom_image[];
extern const uint8_t bios_rom_image_end[];

const uint8_t *bios_rom_image_data(size_t *len)
{
	*len = (size_t)(bios_rom_image_end - bios_rom_image);
	return bios_rom_image;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

int bios_rom_build(uint8_t *out, const struct e820_map *e820, char *err, size_t errlen)
{
	size_t len;
	const uint8_t *img = bios_rom_image_data(&len);
	if (len != BIOS_ROM_SIZE) {
		snprintf(err, errlen, "internal error: the BIOS ROM image is %zu bytes, not 64 KiB", len);
		return -1;
	}
	if (e820->n > BIOS_HT_E820_MAX) {
		snprintf(err, errlen, "internal error: %u E820 entries do not fit the BIOS host table",
			 e820->n);
		return -1;
	}
	memcpy(out, img, len);
	uint8_t *ht = out + BIOS_SYM_host_table;
	memset(ht, 0, BIOS_HT_SIZE);
	put32(ht + BIOS_HT_MAGIC, BIOS_HT_MAGIC_VALUE);
	put16(ht + BIOS_HT_E820_COUNT, (uint16_t)e820->n);
	for (unsigned i = 0; i < e820->n; i++) {
		uint8_t *e = ht + BIOS_HT_E820 + i * BIOS_HT_E820_ENTRY;
		put64(e, e820->e[i].addr);
		put64(e + 8, e820->e[i].size);
		put32(e + 16, e820->e[i].type);
	}
	return 0;
}

int bios_rom_load(struct physmap *phys, const struct e820_map *e820, char *err, size_t errlen)
{
	static_assert(BIOS_HT_E820 + BIOS_HT_E820_MAX * BIOS_HT_E820_ENTRY <= BIOS_HT_SIZE,
		      "the host table holds the E820 entries");
	static_assert(E820_MAX <= BIOS_HT_E820_MAX, "every E820 entry fits the host table");
	uint8_t rom[BIOS_ROM_SIZE];
	if (bios_rom_build(rom, e820, err, errlen) < 0)
		return -1;
	if (physmap_load(phys, BIOS_ROM_BASE, rom, sizeof(rom)) < 0) {
		snprintf(err, errlen, "internal error: cannot place the BIOS ROM");
		return -1;
	}
	return 0;
}

const char *bios_bootfail_reason(unsigned code)
{
	switch (code) {
	case BIOS_BOOTFAIL_NO_DISK:
		return "the BIOS found no disk to boot from";
	case BIOS_BOOTFAIL_NO_SIGNATURE:
		return "the disk is not bootable: sector 0 has no boot signature (55 AA at offset 510)";
	case BIOS_BOOTFAIL_READ_ERROR:
		return "the BIOS could not read the boot sector of the disk";
	case BIOS_BOOTFAIL_INT18:
		return "the boot loader gave up (INT 18h): no bootable system on the disk";
	default:
		return "the BIOS could not boot (unknown reason)";
	}
}
