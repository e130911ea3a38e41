/*
 * hello - the first guest: the Multiboot hand-over (Multiboot 0.6.96,
 * sections 3.2 and 3.3) and the debug console.
 *
 * Checks the magic in EAX, the machine state at entry (PE=1, PG=0, IF=0,
 * VM=0), that the loader zeroed .bss (ELF p_memsz > p_filesz), the info
 * structure (mem_lower/mem_upper, a memory map whose available RAM
 * contains 1 MiB and the whole image) and that A20 is enabled. Values that
 * depend on the VMM's RAM layout are checked, never printed.
 */
#include "guest.h"

extern char image_end[];

static uint32_t untouched_bss[16];

static bool bss_is_zero(void)
{
	for (unsigned i = 0; i < 16; i++)
		if (untouched_bss[i])
			return false;
	return true;
}

/* Does available RAM in the map cover [lo, hi)? */
static bool mmap_covers(const struct multiboot_info *mbi, uint64_t lo, uint64_t hi,
			bool *entries_ok)
{
	uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
	bool covered = false;

	*entries_ok = mbi->mmap_length > 0;
	while (p < end) {
		const struct multiboot_mmap_entry *e = (const void *)p;

		if (e->size < 20) {
			*entries_ok = false;
			break;
		}
		if (e->type == 1 && e->addr <= lo && e->addr + e->len >= hi)
			covered = true;
		p += e->size + 4;
	}
	return covered;
}

/*
 * With A20 masked, linear address a and a ^ 1 MiB are the same byte. Flip a
 * word of ours above 1 MiB and watch the low alias (read only) not follow.
 */
static bool a20_enabled(void)
{
	static volatile uint32_t probe;
	volatile uint32_t *alias = (volatile uint32_t *)((uint32_t)&probe ^ 0x100000);
	bool follows = true;

	for (uint32_t v = 0x5aa5f00f; v != 0x5aa5f00f + 4; v++) {
		probe = v;
		if (*alias != v)
			follows = false;
	}
	return !follows;
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	bool entries_ok;

	print("hello from the softvt test guest\n");
	report(magic == MULTIBOOT_BOOTLOADER_MAGIC, "EAX holds the Multiboot magic 0x2badb002");
	report(boot_magic == magic, "_start saw the same magic");
	report((boot_cr0 & (CR0_PE | CR0_PG)) == CR0_PE, "entered with CR0.PE=1, PG=0");
	report(!(boot_eflags & (EFLAGS_IF | EFLAGS_VM)), "entered with EFLAGS.IF=0, VM=0");
	report(bss_is_zero(), ".bss was zeroed by the loader");
	report(a20_enabled(), "A20 is enabled");
	report(mbi && ((uint32_t)(mbi + 1) <= 0x100000 || (uint32_t)mbi >= 0x210000 ||
		       ((uint32_t)mbi >= (uint32_t)image_end && (uint32_t)(mbi + 1) <= 0x200000)),
	       "the info structure lies outside the image and the system area");
	report(mbi->flags & MBI_FLAG_MEM, "info flags bit 0: mem_lower/mem_upper valid");
	report(mbi->mem_lower > 0 && mbi->mem_lower <= 640, "mem_lower in 1..640 KiB");
	report(mbi->mem_upper >= 8 * 1024, "mem_upper is at least 8 MiB");
	report(mbi->flags & MBI_FLAG_MMAP, "info flags bit 6: memory map present");
	if (mbi->flags & MBI_FLAG_MMAP) {
		report(mmap_covers(mbi, 0x100000, (uint32_t)image_end, &entries_ok),
		       "memory map: available RAM contains 1 MiB and the whole image");
		report(entries_ok, "memory map: entries are well formed");
		report(mmap_covers(mbi, 0x100000, 0x100000 + mbi->mem_upper * 1024ull, &entries_ok),
		       "memory map: RAM from 1 MiB covers mem_upper");
	}
	note("goodbye");
}
