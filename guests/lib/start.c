/*
 * start.c - from _start to guest_main(): the machine contract every guest
 * can rely on (guests/README.md).
 *
 * After lib_start: the library GDT/LDT/IDT/TSS are loaded (desc.h), CS =
 * 0x08, DS/ES/FS/GS/SS = 0x10, ESP in the kernel stack, CR0 = PE|MP|ET|NE
 * (caches on, no paging, WP clear), CR4 = 0, EFLAGS.IF = 0, both 8259 PICs
 * have every line masked (OCW1; the PICs are not reinitialised).
 */
#include "desc.h"
#include "guest.h"
#include "x86.h"

void lib_start(uint32_t magic, uint32_t info);

void lib_start(uint32_t magic, uint32_t info)
{
	write_cr0(CR0_PE | CR0_MP | CR0_ET | CR0_NE);
	write_cr4(0);
	write_eflags(0x2);
	desc_setup();
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	guest_main(magic, (const struct multiboot_info *)info);
	summary();
}
