/*
 * physmap.c - guest-physical address dispatch (see physmap.h).
 */
#include "mmu/physmap.h"

#include <string.h>

void physmap_init(struct physmap *map, struct guest_ram *ram)
{
	memset(map, 0, sizeof(*map));
	map->ram = ram;
	map->a20_mask = A20_OPEN_MASK;
}

static int insert(struct physmap *map, const struct phys_region *nr)
{
	if (nr->len == 0 || nr->base + nr->len > (1ull << 32) ||
	    map->nregions >= PHYSMAP_MAX_REGIONS)
		return -1;
	unsigned i = 0;
	for (; i < map->nregions; i++) {
		const struct phys_region *r = &map->regions[i];
		if (nr->base < r->base + r->len && r->base < nr->base + nr->len)
			return -1;
		if (r->base > nr->base)
			break;
	}
	memmove(&map->regions[i + 1], &map->regions[i],
		(map->nregions - i) * sizeof(map->regions[0]));
	map->regions[i] = *nr;
	map->nregions++;
	map->generation++;
	return 0;
}

int physmap_add_ram(struct physmap *map, uint64_t base, uint64_t len, uint64_t ram_offset,
		    bool readonly, const char *name)
{
	if (!map->ram || ram_offset + len > map->ram->size)
		return -1;
	struct phys_region r = { .base = base, .len = len,
				 .kind = readonly ? PHYS_ROM : PHYS_RAM,
				 .ram_offset = ram_offset, .name = name };
	return insert(map, &r);
}

int physmap_add_mmio(struct physmap *map, uint64_t base, uint64_t len,
		     const struct io_ops *ops, void *opaque, const char *name)
{
	struct phys_region r = { .base = base, .len = len, .kind = PHYS_MMIO,
				 .ops = ops, .opaque = opaque, .name = name };
	return insert(map, &r);
}

const struct phys_region *physmap_lookup(const struct physmap *map, uint64_t paddr)
{
	unsigned lo = 0, hi = map->nregions;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct phys_region *r = &map->regions[mid];
		if (paddr < r->base)
			hi = mid;
		else if (paddr >= r->base + r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

void physmap_set_a20(struct physmap *map, bool enabled)
{
	uint32_t mask = enabled ? A20_OPEN_MASK : A20_CLOSED_MASK;
	if (mask != map->a20_mask) {
		map->a20_mask = mask;
		map->generation++;
	}
}

uint8_t *physmap_host_ptr(const struct physmap *map, uint64_t paddr, uint64_t len,
			  bool *writable)
{
	const struct phys_region *r = physmap_lookup(map, paddr);
	if (!r || r->kind == PHYS_MMIO || paddr + len > r->base + r->len)
		return NULL;
	if (writable)
		*writable = r->kind == PHYS_RAM;
	return map->ram->host + r->ram_offset + (paddr - r->base);
}

static uint8_t read_byte(struct physmap *map, uint64_t paddr)
{
	const struct phys_region *r = physmap_lookup(map, paddr);
	if (!r)
		return 0xff;
	if (r->kind == PHYS_MMIO)
		return r->ops->read ? (uint8_t)r->ops->read(r->opaque, (uint32_t)(paddr - r->base), 1)
				    : 0xff;
	return map->ram->host[r->ram_offset + (paddr - r->base)];
}

static void write_byte(struct physmap *map, uint64_t paddr, uint8_t v)
{
	const struct phys_region *r = physmap_lookup(map, paddr);
	if (!r || r->kind == PHYS_ROM)
		return;
	if (r->kind == PHYS_MMIO) {
		if (r->ops->write)
			r->ops->write(r->opaque, (uint32_t)(paddr - r->base), v, 1);
		return;
	}
	map->ram->host[r->ram_offset + (paddr - r->base)] = v;
}

uint32_t physmap_read(struct physmap *map, uint64_t paddr, unsigned size)
{
	const struct phys_region *r = physmap_lookup(map, paddr);
	if (r && paddr + size <= r->base + r->len) {
		if (r->kind == PHYS_MMIO) {
			uint32_t mask = 0xffffffffu >> (32 - 8 * size);
			return r->ops->read ? r->ops->read(r->opaque, (uint32_t)(paddr - r->base), size) & mask
					    : mask;
		}
		uint32_t v = 0;
		memcpy(&v, map->ram->host + r->ram_offset + (paddr - r->base), size);
		return v;
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)read_byte(map, (paddr + i) & 0xffffffffu) << (8 * i);
	return v;
}

void physmap_write(struct physmap *map, uint64_t paddr, uint32_t value, unsigned size)
{
	const struct phys_region *r = physmap_lookup(map, paddr);
	if (r && paddr + size <= r->base + r->len) {
		if (r->kind == PHYS_MMIO) {
			if (r->ops->write)
				r->ops->write(r->opaque, (uint32_t)(paddr - r->base), value, size);
		} else if (r->kind == PHYS_RAM) {
			memcpy(map->ram->host + r->ram_offset + (paddr - r->base), &value, size);
		}
		return;
	}
	for (unsigned i = 0; i < size; i++)
		write_byte(map, (paddr + i) & 0xffffffffu, (uint8_t)(value >> (8 * i)));
}

static int copy_range(const struct physmap *map, uint64_t paddr, uint8_t *buf, uint64_t len,
		      bool to_guest)
{
	while (len) {
		const struct phys_region *r = physmap_lookup(map, paddr);
		if (!r || r->kind == PHYS_MMIO)
			return -1;
		uint64_t n = r->base + r->len - paddr;
		if (n > len)
			n = len;
		uint8_t *host = map->ram->host + r->ram_offset + (paddr - r->base);
		if (to_guest)
			memcpy(host, buf, n);
		else
			memcpy(buf, host, n);
		paddr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int physmap_load(struct physmap *map, uint64_t paddr, const void *src, uint64_t len)
{
	return copy_range(map, paddr, (uint8_t *)src, len, true);
}

int physmap_fetch(const struct physmap *map, uint64_t paddr, void *dst, uint64_t len)
{
	return copy_range(map, paddr, dst, len, false);
}
