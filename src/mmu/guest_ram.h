/*
 * guest_ram.h - guest RAM: one memfd shared by every engine.
 *
 * The memfd's offset is the guest-physical address for the RAM below the
 * top of memory. The monitor keeps one read/write mapping of the whole file
 * (`host`) for loaders, devices and the interpreter; the binary translator
 * maps the same file again, page by page, into its guest window, and the
 * KVM engine registers it with KVM_SET_USER_MEMORY_REGION.
 */
#ifndef SOFTVT_MMU_GUEST_RAM_H
#define SOFTVT_MMU_GUEST_RAM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_RAM_MIN (4ull << 20)      /* below this not even a test guest fits */
#define GUEST_RAM_MAX (3ull << 30)      /* RAM ends below the 0xC0000000 MMIO hole */

struct guest_ram {
	int fd;
	uint8_t *host;
	uint64_t size;
};

/* Returns 0, or -1 with a one-line reason in err. */
int guest_ram_create(struct guest_ram *ram, uint64_t size, char *err, size_t errlen);
void guest_ram_destroy(struct guest_ram *ram);

#endif
