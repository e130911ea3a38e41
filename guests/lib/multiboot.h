/*
 * multiboot.h - the Multiboot v1 information structure (Multiboot 0.6.96,
 * section 3.3) and the machine state _start found at entry.
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002
#define MBI_FLAG_MEM  (1u << 0)
#define MBI_FLAG_MMAP (1u << 6)

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;      /* KiB, valid if flags bit 0 */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;    /* valid if flags bit 6 */
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
} __attribute__((packed));

/* size counts the bytes after itself; the next entry is at +size+4. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;                      /* 1 = available RAM */
} __attribute__((packed));

/* Recorded by _start before anything else runs (multiboot.S). */
extern uint32_t boot_magic, boot_info, boot_eflags, boot_cr0;

#endif
