/*
 * physmap.h - the guest-physical address space: RAM, ROM and MMIO.
 *
 * A list of non-overlapping regions, each RAM (backed by guest_ram at
 * ram_offset), ROM (backed by guest_ram, guest writes ignored) or MMIO
 * (an io_ops device). Addresses no region claims read as all ones and
 * ignore writes, like an unterminated bus. This is the single memory
 * dispatch of every engine: fast paths (soft TLB, shadow window, KVM
 * slots) are built from physmap_host_ptr(), everything else goes through
 * physmap_read()/physmap_write().
 *
 * A20: when the gate is closed, address bit 20 is forced to zero before
 * the lookup (a20_mask is 0xFFEFFFFF), as on a PC. Engines apply the same
 * mask via physmap_a20().
 *
 * The PC layout built by the machine (docs/MEMORY_MAP.md):
 *   0x00000000-0x0009FFFF  RAM (conventional memory)
 *   0x000A0000-0x000BFFFF  MMIO: VGA (text buffer at 0xB8000)
 *   0x000C0000-0x000FFFFF  ROM (option ROMs, BIOS)
 *   0x00100000-top of RAM  RAM
 *   0xFFFF0000-0xFFFFFFFF  ROM: alias of the BIOS at 0xF0000 (reset vector)
 */
#ifndef SOFTVT_MMU_PHYSMAP_H
#define SOFTVT_MMU_PHYSMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/io.h"
#include "mmu/guest_ram.h"

#define PHYSMAP_MAX_REGIONS 32
#define A20_OPEN_MASK 0xffffffffu
#define A20_CLOSED_MASK 0xffefffffu

enum phys_kind { PHYS_RAM, PHYS_ROM, PHYS_MMIO };

struct phys_region {
	uint64_t base;
	uint64_t len;
	enum phys_kind kind;
	uint64_t ram_offset;          /* RAM/ROM: offset in guest_ram */
	const struct io_ops *ops;     /* MMIO */
	void *opaque;
	const char *name;
};

struct physmap {
	struct guest_ram *ram;
	struct phys_region regions[PHYSMAP_MAX_REGIONS];  /* sorted by base */
	unsigned nregions;
	uint32_t a20_mask;
	uint64_t generation;          /* bumped on any change: flush cached translations */
};

void physmap_init(struct physmap *map, struct guest_ram *ram);
/* Returns 0, or -1 on overlap, a RAM/ROM range outside guest_ram, or a full table. */
int physmap_add_ram(struct physmap *map, uint64_t base, uint64_t len, uint64_t ram_offset,
		    bool readonly, const char *name);
int physmap_add_mmio(struct physmap *map, uint64_t base, uint64_t len,
		     const struct io_ops *ops, void *opaque, const char *name);
const struct phys_region *physmap_lookup(const struct physmap *map, uint64_t paddr);

static inline uint32_t physmap_a20(const struct physmap *map, uint32_t paddr)
{
	return paddr & map->a20_mask;
}
void physmap_set_a20(struct physmap *map, bool enabled);

/*
 * Host pointer to [paddr, paddr+len) if the range lies in one RAM or ROM
 * region (writable tells whether guest writes may go straight there),
 * otherwise NULL. paddr is taken as is (apply physmap_a20 first).
 */
uint8_t *physmap_host_ptr(const struct physmap *map, uint64_t paddr, uint64_t len,
			  bool *writable);

/* Slow path for one access of 1, 2 or 4 bytes; may span regions. */
uint32_t physmap_read(struct physmap *map, uint64_t paddr, unsigned size);
void physmap_write(struct physmap *map, uint64_t paddr, uint32_t value, unsigned size);

/* Loader helpers: copy to/from RAM or ROM only. Return 0, or -1 if any byte is not backed. */
int physmap_load(struct physmap *map, uint64_t paddr, const void *src, uint64_t len);
int physmap_fetch(const struct physmap *map, uint64_t paddr, void *dst, uint64_t len);

#endif
