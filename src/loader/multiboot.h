/*
 * multiboot.h - loading Multiboot v1 kernels (The Multiboot Specification,
 * version 0.6.96): ELF32 i386 executables, or any image with the a.out
 * kludge (header flag 16), plus boot modules.
 *
 * The boot information (struct multiboot_info, the memory map, strings and
 * module list) lives in low memory from MULTIBOOT_INFO_ADDR up to
 * LOADER_LOW_END; kernel segments must lie in RAM at or above
 * LOADER_LOW_END; modules are placed page-aligned after the kernel's end.
 * Details: docs/LOADERS.md.
 */
#ifndef SOFTVT_LOADER_MULTIBOOT_H
#define SOFTVT_LOADER_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu_state.h"
#include "loader/e820.h"
#include "mmu/physmap.h"

#define MULTIBOOT_HEADER_MAGIC     0x1badb002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u   /* in EAX at entry */

/* Header flags (spec 3.1.2). Bits 0-15 are requirements, 16-31 optional. */
#define MULTIBOOT_PAGE_ALIGN  (1u << 0)
#define MULTIBOOT_MEMORY_INFO (1u << 1)
#define MULTIBOOT_VIDEO_MODE  (1u << 2)
#define MULTIBOOT_AOUT_KLUDGE (1u << 16)

/* multiboot_info.flags (spec 3.3) */
#define MULTIBOOT_INFO_MEMORY    (1u << 0)
#define MULTIBOOT_INFO_CMDLINE   (1u << 2)
#define MULTIBOOT_INFO_MODS      (1u << 3)
#define MULTIBOOT_INFO_MMAP      (1u << 6)
#define MULTIBOOT_INFO_LOADER    (1u << 9)

/* Boot information layout in guest memory. */
#define MULTIBOOT_INFO_ADDR    0x9000u   /* struct multiboot_info, 128 bytes reserved */
#define MULTIBOOT_MMAP_ADDR    0x9080u   /* E820_MAX entries of 24 bytes */
#define MULTIBOOT_MODS_ADDR    0x9400u   /* MULTIBOOT_MAX_MODULES entries of 16 bytes */
#define MULTIBOOT_MAX_MODULES  64u
#define MULTIBOOT_STRINGS_ADDR 0xa000u   /* loader name, command lines: up to LOADER_LOW_END */

struct multiboot_module { const char *name; const uint8_t *data; size_t len; const char *cmdline; };

struct multiboot_args {
	const char *kernel_name; const uint8_t *kernel; size_t kernel_len;
	const char *cmdline; const struct multiboot_module *modules; unsigned nmodules;
	const struct e820_map *e820; uint64_t ram_size;
};

struct multiboot_load_info {
	uint32_t entry, info_addr, load_start, load_end;
	uint32_t header_flags;          /* the kernel's Multiboot header flags */
	bool video_request_ignored;     /* flag 2 set: no video mode is set, the caller may note it */
};

/*
 * Loads the kernel and its modules and sets cpu up as the specification's
 * "Machine state" section requires: EAX = 0x2BADB002, EBX = the info
 * address, flat CS/DS/ES/FS/GS/SS, protected mode, paging off, IF = 0,
 * A20 open. Returns 0, or -1 with one line in err naming the file at fault.
 */
int multiboot_load(struct physmap *phys, struct cpu_state *cpu, const struct multiboot_args *a,
		   struct multiboot_load_info *info, char *err, size_t errlen);

#endif
