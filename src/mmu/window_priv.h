/*
 * window_priv.h - struct window and the system-call helpers shared by
 * window.c (reservation, fills) and window_flush.c (invalidation, code
 * protection). Internal to src/mmu/.
 *
 * The books (struct wmap) always describe the address space: a helper
 * makes the system call first and the caller records the result only if
 * it succeeded.
 */
#ifndef SOFTVT_MMU_WINDOW_PRIV_H
#define SOFTVT_MMU_WINDOW_PRIV_H

#include "mmu/window.h"
#include "mmu/window_map.h"

struct window {
	struct physmap *phys;
	int fd;                       /* guest RAM memfd */
	uint32_t lo_pfn;              /* first linear page the window may map (mmap_min_addr) */
	uint64_t vma_budget;          /* flush everything when the VMA estimate reaches this */
	uint64_t generation;          /* physmap generation the mappings were made under */
	bool exec;                    /* map user pages with PROT_EXEC (guest user code runs
					 natively) */
	bool exec_all;                /* supervisor pages too (--accel naive: the guest kernel) */
	struct wmap map;
	struct window_stats st;
};

/* mmap of the memfd at offset off over n pages from linear page lpfn. 0 or -1. */
/* entry: the pages' WM_* bits (WM_WRITE: writable, WM_USER: executable where w->exec) */
int window_sys_map(struct window *w, uint32_t lpfn, uint32_t n, uint64_t off, uint32_t entry);
int window_sys_protect(struct window *w, uint32_t lpfn, uint32_t n, uint32_t entry);
/* Puts the PROT_NONE reservation back over n pages (whatever was mapped there). */
int window_sys_drop(struct window *w, uint32_t lpfn, uint32_t n);

/* VMAs of the window, mappings plus pieces of the reservation (see window_map.h). */
static inline uint64_t window_vmas(const struct window *w)
{
	return w->map.runs + w->map.segs + 1 - (w->map.entry[w->lo_pfn] & WM_MAPPED);
}

#endif
