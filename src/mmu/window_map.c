/*
 * window_map.c - the guest window's bookkeeping (see window_map.h).
 *
 * No system calls here except in wmap_init/wmap_fini: the caller makes
 * the mmap/mprotect and then records the result, so that a failed call
 * leaves the books matching the address space.
 */
#include "mmu/window_map.h"

#include <string.h>
#include <sys/mman.h>

static void pageset_add(struct pageset *s, uint32_t p)
{
	s->count += !(s->bits[p / 64] >> (p % 64) & 1);
	s->bits[p / 64] |= 1ull << (p % 64);
	s->sum[p / 4096] |= 1ull << (p / 64 % 64);
}

static void pageset_del(struct pageset *s, uint32_t p)
{
	uint64_t *w = &s->bits[p / 64];
	s->count -= *w >> (p % 64) & 1;
	*w &= ~(1ull << (p % 64));
	if (!*w)
		s->sum[p / 4096] &= ~(1ull << (p / 64 % 64));
}

uint32_t pageset_next(const struct pageset *s, uint32_t from)
{
	if (from >= WMAP_PAGES || !s->count)
		return WMAP_PAGES;
	uint32_t w = from / 64;
	uint64_t bits = s->bits[w] & (~0ull << (from % 64));
	if (bits)
		return w * 64 + (uint32_t)__builtin_ctzll(bits);
	for (w++; w < WMAP_WORDS; w = (w / 64 + 1) * 64) {
		uint64_t sum = s->sum[w / 64] & (~0ull << (w % 64));
		if (sum) {
			w = w / 64 * 64 + (uint32_t)__builtin_ctzll(sum);
			return w * 64 + (uint32_t)__builtin_ctzll(s->bits[w]);
		}
	}
	return WMAP_PAGES;
}

int wmap_init(struct wmap *m)
{
	memset(m, 0, sizeof(*m));
	/* entry, rnext, rprev, rhead: 4 bytes per page; code, 3 bitsets: 1 bit per page */
	size_t words = 4 * (size_t)WMAP_PAGES + 4 * (size_t)WMAP_PAGES / 8 / 4;
	m->memlen = words * 4;
	m->mem = mmap(NULL, m->memlen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		return -1;
	}
	uint32_t *p = m->mem;
	m->entry = p;
	m->rnext = p + WMAP_PAGES;
	m->rprev = p + 2 * WMAP_PAGES;
	m->rhead = p + 3 * WMAP_PAGES;
	m->code = (uint64_t *)(p + 4 * WMAP_PAGES);
	m->mapped.bits = m->code + WMAP_WORDS;
	m->nonglobal.bits = m->code + 2 * WMAP_WORDS;
	m->super.bits = m->code + 3 * WMAP_WORDS;
	return 0;
}

void wmap_fini(struct wmap *m)
{
	if (m->mem)
		munmap(m->mem, m->memlen);
	m->mem = NULL;
}

/* Do linear pages a and a + 1 fall into one VMA? */
static bool joined(const struct wmap *m, uint32_t a)
{
	if (a + 1 >= WMAP_PAGES)
		return false;
	uint32_t ea = m->entry[a], eb = m->entry[a + 1];
	return (ea & eb & WM_MAPPED) && !((ea ^ eb) & WM_WRITE) &&
	       (eb & WM_PAGE_MASK) == (ea & WM_PAGE_MASK) + 0x1000;
}

/* How many runs page p adds: 1, minus one for each neighbour it joins. */
static int64_t run_share(const struct wmap *m, uint32_t p)
{
	if (!(m->entry[p] & WM_MAPPED))
		return 0;
	return 1 - (p > 0 && joined(m, p - 1)) - joined(m, p);
}

static bool is_mapped(const struct wmap *m, uint32_t p)
{
	return p < WMAP_PAGES && (m->entry[p] & WM_MAPPED);
}

/* How many segments (maximal stretches of mapped pages) page p adds when mapped. */
static int64_t seg_share(const struct wmap *m, uint32_t p)
{
	return 1 - (p > 0 && is_mapped(m, p - 1)) - is_mapped(m, p + 1);
}

static void rmap_unlink(struct wmap *m, uint32_t p, uint32_t paddr)
{
	uint32_t next = m->rnext[p], prev = m->rprev[p];
	if (prev)
		m->rnext[prev - 1] = next;
	else
		m->rhead[paddr >> 12] = next;
	if (next)
		m->rprev[next - 1] = prev;
	m->rnext[p] = m->rprev[p] = 0;
}

static void rmap_link(struct wmap *m, uint32_t p, uint32_t paddr)
{
	uint32_t head = m->rhead[paddr >> 12];
	m->rnext[p] = head;
	m->rprev[p] = 0;
	if (head)
		m->rprev[head - 1] = p + 1;
	m->rhead[paddr >> 12] = p + 1;
}

void wmap_set(struct wmap *m, uint32_t p, uint32_t entry)
{
	uint32_t old = m->entry[p];
	int64_t runs = (int64_t)m->runs - run_share(m, p);
	if (!(old & WM_MAPPED)) {
		m->segs = (uint64_t)((int64_t)m->segs + seg_share(m, p));
		pageset_add(&m->mapped, p);
		rmap_link(m, p, entry);
	} else if ((old ^ entry) & WM_PAGE_MASK) {
		rmap_unlink(m, p, old);
		rmap_link(m, p, entry);
	}
	if (entry & WM_GLOBAL)
		pageset_del(&m->nonglobal, p);
	else
		pageset_add(&m->nonglobal, p);
	if (entry & WM_USER)
		pageset_del(&m->super, p);
	else
		pageset_add(&m->super, p);
	m->entry[p] = entry;
	m->runs = (uint64_t)(runs + run_share(m, p));
}

void wmap_clear(struct wmap *m, uint32_t p)
{
	uint32_t old = m->entry[p];
	if (!(old & WM_MAPPED))
		return;
	m->runs = (uint64_t)((int64_t)m->runs - run_share(m, p));
	m->segs = (uint64_t)((int64_t)m->segs - seg_share(m, p));
	rmap_unlink(m, p, old);
	pageset_del(&m->mapped, p);
	pageset_del(&m->nonglobal, p);
	pageset_del(&m->super, p);
	m->entry[p] = 0;
}

void wmap_clear_all(struct wmap *m)
{
	for (uint32_t s = 0; s < WMAP_WORDS / 64; s++) {
		for (uint64_t sum = m->mapped.sum[s]; sum; sum &= sum - 1) {
			uint32_t w = s * 64 + (uint32_t)__builtin_ctzll(sum);
			for (uint64_t bits = m->mapped.bits[w]; bits; bits &= bits - 1) {
				uint32_t p = w * 64 + (uint32_t)__builtin_ctzll(bits);
				m->rhead[m->entry[p] >> 12] = 0;
				m->rnext[p] = m->rprev[p] = 0;
				m->entry[p] = 0;
			}
			m->mapped.bits[w] = 0;
			m->nonglobal.bits[w] = 0;     /* subsets of mapped */
			m->super.bits[w] = 0;
		}
		m->mapped.sum[s] = 0;
		m->nonglobal.sum[s] = 0;
		m->super.sum[s] = 0;
	}
	m->mapped.count = m->nonglobal.count = m->super.count = 0;
	m->runs = 0;
	m->segs = 0;
}
