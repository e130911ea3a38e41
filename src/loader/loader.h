/*
 * loader.h - reading kernel files, telling their format apart, and the
 * pieces both kernel loaders share (docs/LOADERS.md).
 *
 * The parsers (linux_boot.h, multiboot.h) work on memory buffers so that a
 * fuzzer can drive them; loader_read_file() is the only function here that
 * touches the host file system. Every function that can fail returns -1
 * with one line "NAME: reason" in err.
 *
 * Both loaders hand the guest over in flat 32-bit protected mode through
 * the same boot GDT at LOADER_GDT_ADDR:
 *   0x00 null, 0x08 null, 0x10 flat code (0x00CF9A000000FFFF),
 *   0x18 flat data (0x00CF92000000FFFF)
 * which are the __BOOT_CS/__BOOT_DS selectors of the Linux 32-bit boot
 * protocol; Multiboot accepts any flat selectors, so it uses the same.
 */
#ifndef SOFTVT_LOADER_LOADER_H
#define SOFTVT_LOADER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu_state.h"
#include "mmu/physmap.h"

#define LOADER_FILE_MAX (512ull << 20)

/* Low-memory layout shared by both loaders (docs/LOADERS.md). */
#define LOADER_GDT_ADDR   0x1000u
#define LOADER_GDT_LIMIT  0x1fu        /* four descriptors */
#define LOADER_STACK_TOP  0x8000u      /* ESP at entry; 0x2000-0x7FFF is free */
#define LOADER_LOW_END    0x80000u     /* boot data lives below this */
#define LOADER_BOOT_CS    0x10u
#define LOADER_BOOT_DS    0x18u

enum kernel_format { KERNEL_UNKNOWN, KERNEL_LINUX_BZIMAGE, KERNEL_MULTIBOOT };

/* Reads a whole file (max 512 MiB); returns 0 or -1 with "PATH: reason" in err.
 * *data is malloc'd (free() it); an empty file gives len 0 and a valid pointer. */
int loader_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);

/*
 * bzImage: 0xAA55 at 0x1FE and "HdrS" at 0x202. Multiboot: the magic
 * 0x1BADB002 at a 4-byte aligned offset, the 12-byte header entirely in
 * the first 8192 bytes (the checksum is checked by multiboot_load, so a
 * broken header still reaches the loader and gets a precise error).
 */
enum kernel_format loader_detect(const uint8_t *data, size_t len);
const char *loader_format_name(enum kernel_format format);

/* Formats "fmt" into err (one line) and returns -1. err may be NULL if errlen is 0. */
int loader_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True if every byte of [addr, addr+len) is guest RAM (not ROM, MMIO or a hole). */
bool loader_range_is_ram(const struct physmap *phys, uint64_t addr, uint64_t len);

/* Zeroes [addr, addr+len) of guest RAM/ROM; -1 if a byte is not backed. */
int loader_zero(struct physmap *phys, uint64_t addr, uint64_t len);

/*
 * Writes the boot GDT at LOADER_GDT_ADDR, opens A20 and puts cpu in flat
 * 32-bit protected mode at entry (cpu_state_flat32 with LOADER_BOOT_CS/DS,
 * GDTR -> the boot GDT, IDTR limit 0, IF = 0, paging off), with every
 * general register zero except ESP = LOADER_STACK_TOP. The caller then sets
 * the registers its protocol passes values in. Returns -1 if low RAM is
 * missing.
 */
int loader_enter_flat32(struct physmap *phys, struct cpu_state *cpu, uint32_t entry,
			char *err, size_t errlen);

#endif
