/*
 * window_map.h - the guest window's bookkeeping: what is mapped at each
 * linear page, which physical pages hold code, and the reverse map from
 * physical to linear pages. Internal to src/mmu/window*.c.
 *
 * Everything is allocated once by wmap_init() (anonymous memory that the
 * kernel fills with zeroes on first touch, so a mostly empty window costs
 * little RSS) and then only read and written: the functions here are
 * async-signal-safe and run inside the SIGSEGV handler.
 *
 *   entry[lpfn]   physical page address | WM_* flags, 0 when nothing is mapped
 *   mapped        two-level bitmap of the linear pages with WM_MAPPED
 *   nonglobal     the subset without WM_GLOBAL (what MOV CR3 drops)
 *   super         the subset without WM_USER (what guest user code must not
 *                 reach: dropped below the segment-truncation boundary when
 *                 the guest enters user mode, window_enter_user())
 *   rhead[ppfn]   reverse map: first linear page (pfn + 1, 0 = none) that
 *                 maps physical page ppfn; rnext/rprev chain the others
 *                 through the linear pages themselves. A linear page is in
 *                 at most one chain, so the reverse map cannot overflow.
 *   code          bitmap of physical pages holding translations
 *   runs          maximal runs of mapped pages that the kernel keeps as one
 *                 VMA (adjacent, same protection, physically contiguous)
 *   segs          maximal stretches of adjacent mapped pages, whatever
 *                 their protection: the PROT_NONE reservation is cut into
 *                 segs + 1 pieces (one fewer if the lowest page is mapped),
 *                 so the window holds runs + segs + 1 VMAs or one fewer.
 */
#ifndef SOFTVT_MMU_WINDOW_MAP_H
#define SOFTVT_MMU_WINDOW_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define WMAP_PAGES (1u << 20)                 /* 4 KiB pages below 4 GiB, linear or physical */
#define WMAP_WORDS (WMAP_PAGES / 64)

#define WM_MAPPED     (1u << 0)
#define WM_WRITE      (1u << 1)   /* mapped PROT_READ|PROT_WRITE (else PROT_READ) */
#define WM_GLOBAL     (1u << 2)   /* G bit with CR4.PGE: survives window_flush_nonglobal */
#define WM_USER       (1u << 3)   /* effective U/S of the walk was user */
#define WM_LARGE      (1u << 4)   /* a 4 KiB piece of a 2 MiB or 4 MiB guest page */
#define WM_WANT_WRITE (1u << 5)   /* the guest allows writes (and D is set): read-only
				     only because the physical page holds code */
#define WM_PAGE_MASK  0xfffff000u

struct pageset {
	uint64_t *bits;                       /* WMAP_PAGES bits */
	uint64_t sum[WMAP_WORDS / 64];        /* bit i: bits[i] != 0 */
	uint64_t count;                       /* pages in the set: an empty set costs nothing */
};

struct wmap {
	uint32_t *entry;
	uint32_t *rnext, *rprev, *rhead;
	uint64_t *code;
	struct pageset mapped, nonglobal, super;
	uint64_t runs, segs;
	void *mem;                            /* the one allocation behind all arrays */
	uint64_t memlen;
};

int wmap_init(struct wmap *m);                /* 0, or -1 (errno) */
void wmap_fini(struct wmap *m);

/* Records (or replaces) what linear page lpfn maps; entry has WM_MAPPED. */
void wmap_set(struct wmap *m, uint32_t lpfn, uint32_t entry);
void wmap_clear(struct wmap *m, uint32_t lpfn);
void wmap_clear_all(struct wmap *m);          /* O(mapped pages) */

/* First page >= from in the set, or WMAP_PAGES. */
uint32_t pageset_next(const struct pageset *s, uint32_t from);

static inline bool wmap_is_code(const struct wmap *m, uint32_t paddr)
{
	uint32_t p = paddr >> 12;
	return m->code[p / 64] >> (p % 64) & 1;
}

static inline void wmap_set_code(struct wmap *m, uint32_t paddr, bool code)
{
	uint32_t p = paddr >> 12;
	if (code)
		m->code[p / 64] |= 1ull << (p % 64);
	else
		m->code[p / 64] &= ~(1ull << (p % 64));
}

/* Linear pages mapping physical page paddr: for (l = wmap_rfirst(); l; l = wmap_rnext()) l - 1. */
static inline uint32_t wmap_rfirst(const struct wmap *m, uint32_t paddr)
{
	return m->rhead[paddr >> 12];
}

static inline uint32_t wmap_rnext(const struct wmap *m, uint32_t link)
{
	return m->rnext[link - 1];
}

#endif
