/*
 * ldt.c - guest segments mirrored into host LDT entries.
 *
 * Each guest segment register owns one LDT entry (ES=0 ... GS=5), so the
 * host selector of register r is (r << 3) | TI | RPL 3. modify_ldt(2) costs
 * thousands of cycles, so each slot remembers what it holds and a mirror
 * of an unchanged segment makes no system call.
 *
 * Segment truncation (the 0/3/3 model's ring compression): with a boundary
 * B, an expand-up segment whose last byte base + limit reaches B gets the
 * limit B - 1 - base, so a guest access at or above B raises #GP even where
 * the page is mapped (SDM vol. 3A 5.3). An expand-down data segment's valid
 * range lies above its limit, up to 4 GiB, across any boundary: with a
 * boundary it is refused (-EINVAL; the caller keeps such code in software).
 *
 * modify_ldt only makes DPL-3, present, 32-bit segments: a 16-bit segment
 * or a system descriptor is refused (-EINVAL); the caller keeps such code
 * in the translator.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "direct/direct.h"

/* user_desc flag bits packed into slot.flags for the cache compare */
#define F_CONTENTS_SHIFT 0      /* 2 bits */
#define F_RX_ONLY        (1u << 2)
#define F_PAGES          (1u << 3)
#define F_AVL            (1u << 4)

void direct_ldt_init(struct direct_ldt *l)
{
	memset(l, 0, sizeof(*l));
}

uint16_t direct_ldt_selector(enum seg_reg r)
{
	return (uint16_t)((unsigned)r << 3 | 4 | 3);
}

static int write_entry(unsigned idx, uint32_t base, uint32_t limit, uint16_t flags)
{
	struct user_desc d;

	memset(&d, 0, sizeof(d));
	d.entry_number = idx;
	d.base_addr = base;
	d.seg_32bit = 1;
	d.contents = (flags >> F_CONTENTS_SHIFT) & 3;
	d.read_exec_only = !!(flags & F_RX_ONLY);
	d.limit_in_pages = !!(flags & F_PAGES);
	d.useable = !!(flags & F_AVL);
	d.limit = (flags & F_PAGES) ? limit >> 12 : limit;
	/* func 0x11: write, new (non-legacy) mode */
	if (syscall(SYS_modify_ldt, 0x11, &d, sizeof(d)) != 0)
		return -errno;
	return 0;
}

int direct_ldt_mirror(struct direct_ldt *l, enum seg_reg r,
		      const struct seg_cache *s, uint32_t boundary, uint16_t *sel)
{
	struct direct_ldt_slot *slot = &l->slot[r];
	uint32_t type = s->attr & SEG_TYPE_MASK;
	bool code = type & 8;
	uint32_t limit = s->limit;
	uint16_t flags;
	int err;

	if (!(s->attr & SEG_P) || (!code && r != S_SS && (s->sel & ~3u) == 0)) {
		if (r == S_CS || r == S_SS)
			return -EINVAL;
		*sel = 0;
		return 0;
	}
	if (!(s->attr & SEG_S) || !(s->attr & SEG_DB))
		return -EINVAL;
	if (code) {
		if (r != S_CS && !(type & 2))
			return -EINVAL;         /* exec-only code in a data register */
		flags = (uint16_t)(((type & 4) ? 3u : 2u) << F_CONTENTS_SHIFT);
		if (!(type & 2))
			flags |= F_RX_ONLY;
	} else {
		if (r == S_CS)
			return -EINVAL;
		flags = (uint16_t)(((type & 4) ? 1u : 0u) << F_CONTENTS_SHIFT);
		if (!(type & 2))
			flags |= F_RX_ONLY;     /* read-only data */
	}
	if (s->attr & SEG_AVL)
		flags |= F_AVL;

	if (boundary && !code && (type & 4))
		return -EINVAL;
	if (boundary) {
		if (s->base >= boundary)
			return -ERANGE;
		if ((uint64_t)s->base + limit >= boundary)
			limit = boundary - 1 - s->base;
	}
	if (limit > 0xfffff) {
		/* page granular: round down to whole pages (never grants more) */
		if ((limit & 0xfff) != 0xfff)
			limit = (limit & ~0xfffu) - 1;
		flags |= F_PAGES;
	}

	*sel = direct_ldt_selector(r);
	if (slot->valid && slot->base == s->base && slot->limit == limit &&
	    slot->flags == flags)
		return 0;
	err = write_entry((unsigned)r, s->base, limit, flags);
	if (err) {
		slot->valid = false;
		return err;
	}
	l->writes++;
	slot->valid = true;
	slot->base = s->base;
	slot->limit = limit;
	slot->flags = flags;
	return 0;
}
