/*
 * pagetable.h - page-table entry bits and helpers for the test guests.
 *
 * Bits are those of SDM vol. 3A 4.3 (32-bit paging, tables 4-4..4-6) and
 * 4.4 (PAE paging, 64-bit entries with the same low 12 bits). All memory a
 * guest uses lies in the first 4 MiB (image at 1 MiB, system area at
 * 2 MiB), so pt_identity_4m() gives every guest a working address space.
 */
#ifndef GUEST_PAGETABLE_H
#define GUEST_PAGETABLE_H

#include <stdint.h>

#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_U   0x004
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_A   0x020
#define PTE_D   0x040
#define PTE_PS  0x080       /* in a PDE: 4 MiB (2 MiB with PAE) page */
#define PTE_G   0x100

#define PAGE_SIZE 4096u

/* pd[0] -> pt, pt maps 0..4 MiB identically with 4K pages and flags. */
void pt_identity_4m(uint32_t *pd, uint32_t *pt, uint32_t flags);
/* The PTE that maps linear (must lie in pd[0]'s range). */
uint32_t *pt_entry(uint32_t *pt, uint32_t linear);
/* CR3 = cr3, CR4 |= cr4_bits, CR0.PG = 1 (code must be identity-mapped). */
void paging_on(uint32_t cr3, uint32_t cr4_bits);
/* CR0.PG = 0, then CR4 = 0. */
void paging_off(void);

#endif
