/*
 * linux_boot.h - the Linux/x86 boot protocol, 32-bit entry, for bzImage
 * kernels of protocol 2.06 or later (kernel Documentation/arch/x86/boot.rst).
 *
 * linux_boot_load() places the protected-mode kernel at 0x100000, the zero
 * page (struct boot_params) at LINUX_BOOT_PARAMS_ADDR, the command line at
 * LINUX_CMDLINE_ADDR and the initrd page-aligned as high as the kernel
 * allows, then sets up the CPU for the 32-bit boot protocol. Where every
 * byte goes and which header fields are read and written: docs/LOADERS.md.
 */
#ifndef SOFTVT_LOADER_LINUX_BOOT_H
#define SOFTVT_LOADER_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu_state.h"
#include "loader/e820.h"
#include "mmu/physmap.h"

#define LINUX_BOOT_PARAMS_ADDR 0x10000u    /* the zero page, 4 KiB */
#define LINUX_CMDLINE_ADDR     0x20000u    /* up to LINUX_CMDLINE_MAX bytes + NUL */
#define LINUX_CMDLINE_MAX      0x10000u
#define LINUX_KERNEL_ADDR      0x100000u   /* protected-mode kernel (code32_start) */
#define LINUX_LOWMEM_LIMIT     0x37800000u /* initrd stays below: 32-bit kernel lowmem */

struct linux_boot_args {
	const char *kernel_name; const uint8_t *kernel; size_t kernel_len;
	const char *initrd_name; const uint8_t *initrd; size_t initrd_len; /* initrd may be NULL */
	const char *cmdline;                 /* may be NULL = empty */
	const struct e820_map *e820;
	uint64_t ram_size;                   /* top of RAM for placing the initrd */
};

struct linux_boot_info {
	uint32_t boot_params, cmdline, kernel_addr, kernel_size, initrd_addr, initrd_size;
	uint16_t protocol;
	uint32_t kernel_end;    /* end of the memory the kernel claims before it reads e820 */
};

/*
 * Loads a bzImage and its initrd into guest memory and sets cpu up for the
 * 32-bit entry (CS = 0x10, DS = ES = SS = 0x18 flat, ESI = boot_params,
 * EBP = EDI = EBX = 0, IF = 0). Returns 0, or -1 with one line in err that
 * names the file at fault; on error guest memory may be partly written.
 */
int linux_boot_load(struct physmap *phys, struct cpu_state *cpu, const struct linux_boot_args *a,
		    struct linux_boot_info *info, char *err, size_t errlen);

#endif
