/*
 * kvm_io.c - KVM_EXIT_IO and KVM_EXIT_MMIO to the machine's port map and
 * physical map: the same device code every engine reaches.
 *
 * IO: `count` elements of `size` bytes (1, 2, 4) at data_offset in the run
 * page; count > 1 is a REP INS/OUTS that KVM batched (api.rst, KVM_EXIT_IO).
 * For IN the values are stored there and KVM copies them into the guest
 * on the next KVM_RUN.
 *
 * MMIO: up to 8 bytes at phys_addr; the physmap's slow path takes 1, 2 or
 * 4 bytes, so wider accesses (MOVQ, CMPXCHG8B, FXSAVE pieces) are split in
 * naturally sized parts. KVM delivers a write to a KVM_MEM_READONLY slot
 * (the ROM) as an MMIO write: the physmap ignores it, as the ROM chip does.
 */
#include <string.h>

#include "kvm/kvm_priv.h"

void kvm_io_port(struct kvm_vm *vm)
{
	struct kvm_run *r = vm->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	unsigned size = r->io.size;
	if (r->io.count > 1)
		vm->st.io_string_elems += r->io.count;
	for (uint32_t i = 0; i < r->io.count; i++, data += size) {
		uint32_t v = 0;
		if (r->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&v, data, size);
			portmap_write(vm->bus.ports, r->io.port, v, size);
			vm->st.io_out++;
		} else {
			v = portmap_read(vm->bus.ports, r->io.port, size);
			memcpy(data, &v, size);
			vm->st.io_in++;
		}
	}
}

void kvm_io_mmio(struct kvm_vm *vm)
{
	struct kvm_run *r = vm->run;
	/* with A20 closed an odd megabyte above 2 MiB has no slot: fold it here */
	uint64_t addr = physmap_a20(vm->bus.phys, (uint32_t)r->mmio.phys_addr);
	unsigned len = r->mmio.len, done = 0;
	if (r->mmio.is_write)
		vm->st.mmio_write++;
	else
		vm->st.mmio_read++;
	while (done < len) {
		unsigned n = len - done >= 4 && !((addr + done) & 3) ? 4 :
			     len - done >= 2 && !((addr + done) & 1) ? 2 : 1;
		uint32_t v = 0;
		if (r->mmio.is_write) {
			memcpy(&v, r->mmio.data + done, n);
			physmap_write(vm->bus.phys, addr + done, v, n);
		} else {
			v = physmap_read(vm->bus.phys, addr + done, n);
			memcpy(r->mmio.data + done, &v, n);
		}
		done += n;
	}
}
