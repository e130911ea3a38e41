/*
 * e820.c - building and querying the BIOS memory map (see e820.h).
 */
#include "loader/e820.h"

int e820_add(struct e820_map *map, uint64_t addr, uint64_t size, enum e820_type type)
{
	if (map->n >= E820_MAX)
		return -1;
	map->e[map->n++] = (struct e820_entry){ addr, size, type };
	return 0;
}

uint64_t e820_low_ram(const struct e820_map *map)
{
	for (unsigned i = 0; i < map->n; i++)
		if (map->e[i].type == E820_RAM && map->e[i].addr == 0)
			return map->e[i].size;
	return 0;
}

uint64_t e820_ram_above_1m(const struct e820_map *map)
{
	for (unsigned i = 0; i < map->n; i++)
		if (map->e[i].type == E820_RAM && map->e[i].addr == 0x100000)
			return map->e[i].size;
	return 0;
}
