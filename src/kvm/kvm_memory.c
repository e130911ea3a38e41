/*
 * kvm_memory.c - guest memory for KVM: one memory slot per RAM or ROM
 * region of the physical map, over the monitor's mapping of the guest RAM
 * memfd (the same bytes the devices, the loaders and the other engines
 * use). ROM slots are KVM_MEM_READONLY where KVM supports it
 * (KVM_CAP_READONLY_MEM): guest writes to them come back as MMIO exits,
 * which the physmap ignores. Without it the ROM is mapped writable and a
 * guest write would change it (the kvm_vm_stats say which).
 *
 * MMIO regions (the VGA window, and any address no region claims) get no
 * slot: KVM turns every access there into KVM_EXIT_MMIO (kvm_io.c).
 *
 * The A20 gate: KVM has no address mask, so when the physmap's generation
 * changes (the gate moved, machine.c's port 0x92 and i8042 callbacks) the
 * slots are built again before the next KVM_RUN, with the first megabyte
 * also mapped at 1 MiB while the gate is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/kvm_priv.h"

#define PAGE_MASK 0xfffull
#define MIB (1ull << 20)

/* One slot: [gpa, gpa + len) over host, read-only or not. */
static int add_slot(struct kvm_vm *vm, uint64_t gpa, uint64_t len, uint8_t *host, bool rom,
		    const char *name)
{
	if (len == 0)
		return 0;
	if (vm->nslots >= KVM_VM_MAX_SLOTS) {
		snprintf(vm->error, sizeof(vm->error), "too many memory slots");
		return -1;
	}
	struct kvm_userspace_memory_region m = {
		.slot = vm->nslots,
		.flags = rom && vm->st.readonly_rom ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (uintptr_t)host,
	};
	if (ioctl(vm->vm, KVM_SET_USER_MEMORY_REGION, &m) < 0) {
		snprintf(vm->error, sizeof(vm->error),
			 "KVM_SET_USER_MEMORY_REGION for %s at 0x%llx: %s", name,
			 (unsigned long long)gpa, strerror(errno));
		return -1;
	}
	vm->nslots++;
	return 0;
}

/* The part of region r in [lo, hi), at gpa + shift. */
static int add_part(struct kvm_vm *vm, const struct phys_region *r, uint64_t lo, uint64_t hi,
		    uint64_t shift)
{
	uint64_t b = r->base > lo ? r->base : lo;
	uint64_t e = r->base + r->len < hi ? r->base + r->len : hi;
	if (b >= e)
		return 0;
	uint8_t *host = vm->bus.phys->ram->host + r->ram_offset + (b - r->base);
	return add_slot(vm, b + shift, e - b, host, r->kind == PHYS_ROM, r->name);
}

/*
 * The slots for the physmap as it is now. With the A20 gate closed the
 * megabyte above 1 MiB shows the first megabyte again (the real-mode
 * wrap-around at FFFF:0010); higher odd megabytes are not folded (a
 * protected-mode guest with A20 closed is not modelled).
 */
static int build(struct kvm_vm *vm)
{
	const struct physmap *map = vm->bus.phys;
	bool a20 = map->a20_mask == A20_OPEN_MASK;
	for (unsigned i = 0; i < map->nregions; i++) {
		const struct phys_region *r = &map->regions[i];
		if (r->kind == PHYS_MMIO)
			continue;
		if ((r->base & PAGE_MASK) || (r->len & PAGE_MASK) || (r->ram_offset & PAGE_MASK)) {
			snprintf(vm->error, sizeof(vm->error),
				 "memory region %s (0x%llx, 0x%llx bytes) is not page-aligned", r->name,
				 (unsigned long long)r->base, (unsigned long long)r->len);
			return -1;
		}
		if (a20) {
			if (add_part(vm, r, 0, UINT64_MAX, 0) < 0)
				return -1;
			continue;
		}
		if (add_part(vm, r, 0, MIB, 0) < 0 || add_part(vm, r, 0, MIB, MIB) < 0 ||
		    add_part(vm, r, 2 * MIB, UINT64_MAX, 0) < 0)
			return -1;
	}
	return 0;
}

int kvm_memory_sync(struct kvm_vm *vm)
{
	const struct physmap *map = vm->bus.phys;
	if (vm->mem_valid && vm->mem_generation == map->generation)
		return 0;
	for (uint32_t i = 0; i < vm->nslots; i++) {
		struct kvm_userspace_memory_region m = { .slot = i, .memory_size = 0 };
		if (ioctl(vm->vm, KVM_SET_USER_MEMORY_REGION, &m) < 0) {
			snprintf(vm->error, sizeof(vm->error),
				 "KVM_SET_USER_MEMORY_REGION (removing slot %u): %s", i, strerror(errno));
			return -1;
		}
	}
	vm->nslots = 0;
	if (build(vm) < 0)
		return -1;
	vm->mem_generation = map->generation;
	vm->mem_valid = true;
	vm->st.slots = vm->nslots;
	vm->st.memory_maps++;
	return 0;
}

int kvm_memory_register(struct kvm_vm *vm, char *err, size_t errlen)
{
	vm->st.readonly_rom = ioctl(vm->vm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	if (kvm_memory_sync(vm) < 0) {
		snprintf(err, errlen, "%s", vm->error);
		vm->error[0] = '\0';
		return -1;
	}
	return 0;
}
