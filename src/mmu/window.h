/*
 * window.h - the guest window: host [mmap_min_addr, 4 GiB) is guest linear
 * memory, and its mappings are the shadow page table of engine bt
 * (architecture.md section 5; docs/SHADOW_PAGING.md).
 *
 * window_create() reserves host [mmap_min_addr, 8 GiB) PROT_NONE with
 * MAP_FIXED_NOREPLACE ([4 GiB, 8 GiB) stays a guard for segment-base
 * wrap-around) and checks that nothing else of the process lies there.
 * A guest linear page L that the guest's page tables map to guest RAM page
 * P is an mmap(MAP_SHARED|MAP_FIXED) of the guest RAM memfd at offset P
 * placed at host address L, filled lazily when translated code faults on
 * it, read-only until the guest PTE allows a write *and* the page is dirty
 * (first write sets D), read-only while P holds translated code.
 * Invalidation follows the TLB rules of the guest: MOV CR3 drops the
 * non-global mappings, INVLPG one page, paging-mode changes everything.
 *
 * window_fault() is called from the SIGSEGV handler: it is async-signal-
 * safe (no malloc, no stdio, no locks; errno is preserved). Everything
 * else is called by the dispatcher outside signal context. A mapping has
 * the rights of the CPL whose fault made it (see docs/SHADOW_PAGING.md).
 */
#ifndef SOFTVT_MMU_WINDOW_H
#define SOFTVT_MMU_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu_state.h"
#include "mmu/physmap.h"

#define WINDOW_TOP   (4ull << 30)     /* guest linear space ends here */
#define WINDOW_GUARD_END (8ull << 30) /* [4 GiB, 8 GiB) is never mapped */

struct window;

enum window_result {
	WINDOW_MAPPED,      /* the page is mapped now: retry the access */
	WINDOW_GUEST_PF,    /* the guest's tables forbid it: deliver #PF(*pf_error), CR2 = addr */
	WINDOW_EMULATE,     /* cannot be mapped (MMIO, unbacked, below mmap_min_addr, ROM
			       write, in the 4-8 GiB guard): interpret the instruction */
	WINDOW_CODE_WRITE,  /* write to guest RAM page *phys_page that holds translations:
			       invalidate them, window_code_unprotect(), retry */
};

struct window_stats {
	uint64_t fills;             /* window_fault() calls that returned WINDOW_MAPPED */
	uint64_t pages_mapped;      /* pages those fills mapped or made writable */
	uint64_t batched;           /* of which neighbours of the faulting page */
	uint64_t guest_pf, emulate, code_writes;   /* the other results */
	uint64_t flush_all, flush_nonglobal, flush_page;
	uint64_t user_drops;        /* supervisor pages dropped by window_enter_user() */
	uint64_t flush_vma_limit;   /* flush_all because the VMA count neared vm.max_map_count */
	uint64_t syscalls;          /* mmap + mprotect calls on the window */
	uint64_t mapped_now;        /* pages mapped at this moment */
	uint64_t vmas_estimate;     /* VMAs of the window at this moment (exact in practice) */
};

/* 0 if the window's range is free in this process, else -1 and what is in the way. */
int window_probe(char *why, size_t whylen);

/* Returns NULL with a one-line reason in err (e.g. the range is taken: ASan, valgrind). */
struct window *window_create(struct physmap *phys, char *err, size_t errlen);
void window_destroy(struct window *w);   /* unmaps and releases the whole reservation */

/*
 * A host fault at host address addr (< WINDOW_GUARD_END) by an access of
 * the guest at privilege cpl (write tells the access kind). Walks the
 * guest's page tables (cpu/paging.c, setting A/D bits like the CPU) and
 * maps the page (and present, accessed neighbours of the same guest page
 * table, to save faults), or says what else to do.
 */
enum window_result window_fault(struct window *w, const struct cpu_state *cpu, uint64_t addr,
				bool write, unsigned cpl, uint32_t *pf_error, uint32_t *phys_page);

/* CR0.PG/PE/WP, CR4.PGE/PSE/PAE changes, physmap changes, A20 (the dispatcher must
   call it; as a safety net the next fill also flushes when physmap->generation moved) */
void window_flush_all(struct window *w);
void window_flush_nonglobal(struct window *w);   /* MOV CR3 (global pages stay if CR4.PGE) */
void window_flush_page(struct window *w, uint32_t linear);   /* INVLPG */

/*
 * Before guest user code runs directly with segments truncated below
 * boundary (0: 4 GiB): drops every mapping with supervisor rights below
 * it, or everything when CR0.WP (wp) is clear.
 */
void window_enter_user(struct window *w, uint32_t boundary, bool wp);

/* Guest RAM page phys_page (a page address) holds translated code: map it read-only everywhere. */
void window_code_protect(struct window *w, uint32_t phys_page);
void window_code_unprotect(struct window *w, uint32_t phys_page);
bool window_is_code(const struct window *w, uint32_t phys_page);
/* Drops every mapping and forgets every code page: for a caller that replaces guest RAM
   and the guest state wholesale (bt_reset()). */
void window_reset(struct window *w);

/* Map guest user pages executable too (guest user code runs natively from the window:
   --user direct); supervisor: every page (--accel naive runs the guest kernel natively). */
void window_set_exec(struct window *w, bool exec, bool supervisor);

void window_get_stats(const struct window *w, struct window_stats *out);

#endif
