/*
 * paging.h - the IA-32 page walk (SDM vol. 3A ch. 4), written once for
 * every engine: the interpreter's soft TLB misses, the translator's shadow
 * fills and the monitor's debug reads all call paging_walk().
 *
 * Modes: paging off (identity), 32-bit paging with 4 KiB and, when
 * CR4.PSE is set, 4 MiB pages, and PAE paging (CR4.PAE) with 4 KiB and
 * 2 MiB pages. The walk checks U/S and R/W at every level with the CR0.WP
 * rule, sets accessed and dirty bits like the processor (A on every entry
 * used, D on the final entry for writes; only when the access succeeds)
 * and produces the #PF error code (P, W/R, U/S, RSVD) on failure.
 * The model has no NX and MAXPHYADDR 36: in PAE entries bits 63:36 and
 * bit 63 are reserved, as are a PDPTE's bits 1, 2 and 5-8.
 */
#ifndef SOFTVT_CPU_PAGING_H
#define SOFTVT_CPU_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu_state.h"
#include "mmu/physmap.h"

/* Access kinds: bit positions of the #PF error code (SDM 4.7). */
#define PF_P     (1u << 0)   /* the fault was a protection violation (page present) */
#define PF_WRITE (1u << 1)
#define PF_USER  (1u << 2)   /* access made at CPL 3 */
#define PF_RSVD  (1u << 3)
#define PF_FETCH (1u << 4)   /* instruction fetch (reported only with NX; kept for callers) */

struct page_walk {
	uint64_t paddr;          /* physical address of the linear address walked */
	uint32_t page_size;      /* 4 KiB, 2 MiB or 4 MiB */
	bool writable;           /* effective R/W for this CPL and CR0.WP */
	bool user;               /* effective U/S */
	bool global;             /* G bit of the final entry (only meaningful with CR4.PGE) */
	bool dirty;              /* D bit of the final entry after this walk */
	uint64_t entry_addr;     /* physical address of the final entry (0 with paging off):
				    the shadow window reads its neighbours to batch fills */
};

/*
 * Translates `linear` for an access of kind `access` (PF_WRITE, PF_USER,
 * PF_FETCH bits). Returns 0 and fills *out, or returns -1 and sets
 * *error_code to the #PF error code (the caller puts linear in CR2).
 * With paging off the result is the identity with full rights.
 */
int paging_walk(struct physmap *phys, const struct cpu_state *cpu, uint32_t linear,
		unsigned access, struct page_walk *out, uint32_t *error_code);

/*
 * Loads the four PDPTEs from cpu->cr3 into cpu->pdpte (on MOV to CR3 with
 * PAE on, and when PAE paging is switched on). Returns 0, or -1 when an
 * entry is present with reserved bits set: the MOV must raise #GP(0).
 */
int paging_load_pdptes(struct physmap *phys, struct cpu_state *cpu);

/*
 * The lowest linear address under a present supervisor directory entry
 * (a PDE with U/S clear), 4 GiB if none: where guest user code's segments
 * can be truncated (direct execution) without cutting off any whole user
 * region. User pages above it and supervisor pages below it may still
 * exist; callers must not rely on the value for protection. No A bits set.
 */
uint64_t paging_user_boundary(struct physmap *phys, const struct cpu_state *cpu);

static inline bool paging_enabled(const struct cpu_state *cpu)
{
	return (cpu->cr0 & (CR0_PG | CR0_PE)) == (CR0_PG | CR0_PE);
}

#endif
