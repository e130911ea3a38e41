/*
 * portmap.c - the I/O port dispatch (see portmap.h).
 */
#include "devices/portmap.h"

#include <string.h>

void portmap_init(struct portmap *map)
{
	memset(map, 0, sizeof(*map));
}

int portmap_register(struct portmap *map, uint16_t base, uint32_t len,
		     const struct io_ops *ops, void *opaque, const char *name)
{
	if (len == 0 || base + len > 65536 || map->nregions >= PORTMAP_MAX_REGIONS)
		return -1;
	for (uint32_t p = base; p < base + len; p++)
		if (map->owner[p])
			return -1;
	struct port_region *r = &map->regions[map->nregions++];
	*r = (struct port_region){ base, len, ops, opaque, name };
	for (uint32_t p = base; p < base + len; p++)
		map->owner[p] = (uint8_t)map->nregions;
	return 0;
}

static void note_unclaimed(struct portmap *map, uint16_t port, const char *what,
			   unsigned size)
{
	map->unclaimed_accesses++;
	if (!map->trace || (map->reported[port / 8] & (1u << (port % 8))))
		return;
	map->reported[port / 8] |= (uint8_t)(1u << (port % 8));
	fprintf(map->trace, "softvt: guest %s of unclaimed I/O port 0x%04x (size %u)\n",
		what, port, size);
}

uint32_t portmap_read(struct portmap *map, uint16_t port, unsigned size)
{
	uint8_t idx = map->owner[port];
	if (!idx) {
		note_unclaimed(map, port, "read", size);
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	}
	const struct port_region *r = &map->regions[idx - 1];
	if (!r->ops->read)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t v = r->ops->read(r->opaque, (uint32_t)(port - r->base), size);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void portmap_write(struct portmap *map, uint16_t port, uint32_t value, unsigned size)
{
	uint8_t idx = map->owner[port];
	if (!idx) {
		note_unclaimed(map, port, "write", size);
		return;
	}
	const struct port_region *r = &map->regions[idx - 1];
	if (r->ops->write)
		r->ops->write(r->opaque, (uint32_t)(port - r->base), value, size);
	if (map->watched[port / 8] & (1u << (port % 8)))
		*map->notify |= map->notify_bits;
}

void portmap_watch(struct portmap *map, uint16_t base, uint32_t len,
		   volatile sig_atomic_t *notify, int notify_bits)
{
	map->notify = notify;
	map->notify_bits = notify_bits;
	for (uint32_t p = base; p < base + len && p < 65536; p++)
		map->watched[p / 8] |= (uint8_t)(1u << (p % 8));
}

const char *portmap_owner_name(const struct portmap *map, uint16_t port)
{
	uint8_t idx = map->owner[port];
	return idx ? map->regions[idx - 1].name : NULL;
}
