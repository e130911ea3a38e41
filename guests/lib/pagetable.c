/* pagetable.c - identity maps and switching paging on and off (pagetable.h). */
#include "mem.h"
#include "pagetable.h"
#include "x86.h"

void pt_identity_4m(uint32_t *pd, uint32_t *pt, uint32_t flags)
{
	memset(pd, 0, PAGE_SIZE);
	for (uint32_t i = 0; i < 1024; i++)
		pt[i] = i * PAGE_SIZE | flags;
	pd[0] = (uint32_t)pt | flags;
}

uint32_t *pt_entry(uint32_t *pt, uint32_t linear)
{
	return &pt[(linear >> 12) & 0x3ff];
}

void paging_on(uint32_t cr3, uint32_t cr4_bits)
{
	write_cr3(cr3);
	write_cr4(read_cr4() | cr4_bits);
	write_cr0(read_cr0() | CR0_PG);
}

void paging_off(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
	write_cr4(0);
}
