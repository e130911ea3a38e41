/*
 * window_flush.c - invalidation and code protection in the guest window
 * (see window.h and docs/SHADOW_PAGING.md).
 *
 * Flushes follow the guest's TLB rules and touch only what is mapped: the
 * books list mapped and non-global pages, so MOV CR3 costs one system call
 * per run of non-global pages, not a sweep of 4 GiB. Runs are coalesced
 * over gaps that hold no mapping (putting PROT_NONE over PROT_NONE is
 * harmless), so scattered user pages of one process usually go in a few
 * calls. If a drop fails (ENOMEM: splitting a VMA at vm.max_map_count),
 * the whole window is dropped in one call, which never needs a split
 * inside it.
 *
 * Code protection: window_code_protect() finds every linear page mapping
 * the physical page through the reverse map and makes it read-only;
 * window_code_unprotect() gives the write back to those whose walk had
 * allowed it (WM_WANT_WRITE), which saves the fault that would follow.
 */
#include "mmu/window_priv.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The last resort when a drop fails; without it the books would lie. */
static void drop_everything(struct window *w)
{
	static const char msg[] = "softvt: guest window: cannot restore the reservation\n";
	if (window_sys_drop(w, w->lo_pfn, WMAP_PAGES - w->lo_pfn) < 0) {
		ssize_t r = write(2, msg, sizeof(msg) - 1);
		(void)r;
		abort();
	}
	wmap_clear_all(&w->map);
}

/* Collects pages to drop into runs [start, end), one system call per run. */
struct dropper {
	struct window *w;
	uint32_t start, end;
};

static void dropper_flush(struct dropper *d)
{
	if (d->end > d->start && window_sys_drop(d->w, d->start, d->end - d->start) < 0)
		drop_everything(d->w);
	d->start = d->end = 0;
}

static void dropper_add(struct dropper *d, uint32_t p)
{
	/* Extend the run if nothing still mapped lies between its end and p. */
	if (!(d->end > d->start && pageset_next(&d->w->map.mapped, d->end) >= p)) {
		dropper_flush(d);
		d->start = p;
	}
	d->end = p + 1;
	wmap_clear(&d->w->map, p);
}

void window_flush_all(struct window *w)
{
	w->st.flush_all++;
	w->generation = w->phys->generation;
	uint32_t first = pageset_next(&w->map.mapped, 0);
	if (first >= WMAP_PAGES)
		return;
	/* One call from the first mapping to the top: empty page tables are skipped fast. */
	if (window_sys_drop(w, first, WMAP_PAGES - first) < 0)
		drop_everything(w);
	wmap_clear_all(&w->map);
}

void window_flush_nonglobal(struct window *w)
{
	struct dropper d = { w, 0, 0 };
	w->st.flush_nonglobal++;
	for (uint32_t p = pageset_next(&w->map.nonglobal, 0); p < WMAP_PAGES;
	     p = pageset_next(&w->map.nonglobal, p + 1))
		dropper_add(&d, p);
	dropper_flush(&d);
}

/*
 * INVLPG drops the page and, if it belongs to a large guest page, every
 * other 4 KiB piece of that page: the pieces of the aligned 4 MiB around
 * it that came from a large page (a superset for 2 MiB pages, which the
 * SDM allows: INVLPG may invalidate more).
 */
void window_flush_page(struct window *w, uint32_t linear)
{
	struct dropper d = { w, 0, 0 };
	uint32_t self = linear >> 12, lo = self & ~0x3ffu, hi = lo + 0x400;
	w->st.flush_page++;
	for (uint32_t p = pageset_next(&w->map.mapped, lo); p < hi;
	     p = pageset_next(&w->map.mapped, p + 1))
		if (p == self || (w->map.entry[p] & WM_LARGE))
			dropper_add(&d, p);
	dropper_flush(&d);
}

/*
 * Guest user code is about to run directly (engine bt, --user direct) with
 * its segments truncated below boundary: nothing it can reach may carry
 * supervisor rights. Mappings made for the guest kernel (WM_USER clear)
 * below the boundary go; above it the truncated segments keep user code
 * out. With CR0.WP clear the kernel's fills may have made read-only user
 * pages writable, which the books do not tell apart: everything goes.
 */
void window_enter_user(struct window *w, uint32_t boundary, bool wp)
{
	uint32_t end = (uint32_t)(((uint64_t)boundary + 0xfff) >> 12);
	if (!boundary)
		end = WMAP_PAGES;
	if (!wp) {
		if (w->map.mapped.count)
			window_flush_all(w);
		return;
	}
	uint32_t p = pageset_next(&w->map.super, w->lo_pfn);
	if (p >= end)
		return;
	struct dropper d = { w, 0, 0 };
	for (; p < end; p = pageset_next(&w->map.super, p + 1)) {
		dropper_add(&d, p);
		w->st.user_drops++;
	}
	dropper_flush(&d);
}

void window_code_protect(struct window *w, uint32_t phys_page)
{
	phys_page &= WM_PAGE_MASK;
	wmap_set_code(&w->map, phys_page, true);
	for (uint32_t l = wmap_rfirst(&w->map, phys_page); l; l = wmap_rnext(&w->map, l)) {
		uint32_t p = l - 1, e = w->map.entry[p];
		if (!(e & WM_WRITE))
			continue;
		if (window_sys_protect(w, p, 1, e & ~WM_WRITE) < 0) {
			window_flush_all(w);      /* nothing left mapped: nothing left writable */
			return;
		}
		wmap_set(&w->map, p, (e & ~WM_WRITE) | WM_WANT_WRITE);
	}
}

void window_code_unprotect(struct window *w, uint32_t phys_page)
{
	phys_page &= WM_PAGE_MASK;
	wmap_set_code(&w->map, phys_page, false);
	for (uint32_t l = wmap_rfirst(&w->map, phys_page); l; l = wmap_rnext(&w->map, l)) {
		uint32_t p = l - 1, e = w->map.entry[p];
		if (!(e & WM_WANT_WRITE))
			continue;
		/* On failure the page stays read-only; the next write faults and retries. */
		if (window_sys_protect(w, p, 1, e | WM_WRITE) == 0)
			wmap_set(&w->map, p, (e & ~WM_WANT_WRITE) | WM_WRITE);
	}
}

void window_reset(struct window *w)
{
	window_flush_all(w);
	memset(w->map.code, 0, WMAP_WORDS * sizeof(*w->map.code));
}

bool window_is_code(const struct window *w, uint32_t phys_page)
{
	return wmap_is_code(&w->map, phys_page);
}
