/*
 * mem.c - segmentation checks, the soft TLB and linear memory access
 * (see mem.h).
 *
 * The TLB is direct-mapped on the linear page number, one set per
 * privilege (supervisor, user). An entry is filled from paging_walk(): a
 * read tag always, a write tag only when the walk allows the write, the
 * page's D bit is already set, the page is RAM and holds no decoded code.
 * Everything else (MMIO, ROM, first writes, code pages, page-crossing
 * accesses) takes the slow path, which walks again with the real access
 * kind so A/D bits and #PF error codes are exact.
 */
#include "cpu/mem.h"

#include <string.h>

#include "cpu/block.h"
#include "cpu/decode.h"
#include "cpu/paging.h"

/* --- segmentation ------------------------------------------------------ */

static _Noreturn void seg_fault(struct vcpu *v, int seg)
{
	vcpu_fault(v, seg == S_SS ? EXC_SS : EXC_GP, 0);
}

uint32_t vmem_linear(struct vcpu *v, int seg, uint32_t offset, unsigned size,
		     enum seg_access kind)
{
	const struct seg_cache *s = &v->s->seg[seg];
	uint32_t last = offset + size - 1;
	/* Fast path: a present, expand-up, writable or readable 4 GiB segment. */
	if (s->limit == 0xffffffffu && last >= offset &&
	    (s->attr & (SEG_P | SEG_S | 8 | 4)) == (SEG_P | SEG_S) &&
	    (kind != SEG_WRITE || (s->attr & 2)))
		return s->base + offset;
	if (!(v->s->cr0 & CR0_PE) || (v->s->eflags & EFL_VM)) {
		/* Real and v8086 mode: only the limit applies. */
		if (last < offset || last > s->limit)
			seg_fault(v, seg);
		return s->base + offset;
	}
	if (!(s->attr & SEG_P))
		vcpu_fault(v, seg == S_SS ? EXC_SS : EXC_GP, 0);   /* null or unusable */
	if (s->attr & 8) {          /* code segment */
		if (kind == SEG_WRITE || (kind == SEG_READ && !(s->attr & 2)))
			seg_fault(v, seg);
	} else if (kind == SEG_WRITE && !(s->attr & 2)) {
		seg_fault(v, seg);
	}
	if (!(s->attr & 8) && (s->attr & 4)) {
		/* Expand-down: valid offsets are (limit, top]. */
		uint32_t top = (s->attr & SEG_DB) ? 0xffffffffu : 0xffffu;
		if (offset <= s->limit || last > top || last < offset)
			seg_fault(v, seg);
	} else if (last < offset || last > s->limit) {
		seg_fault(v, seg);
	}
	return s->base + offset;
}

/* --- TLB --------------------------------------------------------------- */

const struct tlb_entry tlb_never[TLB_SIZE] = {
	[0 ... TLB_SIZE - 1] = { .tag_read = TLB_INVALID, .tag_write = TLB_INVALID },
};

static inline unsigned tlb_index(uint32_t linear)
{
	return (linear >> 12) & (TLB_SIZE - 1);
}

static inline struct tlb_entry *tlb_slot(struct vcpu *v, uint32_t linear, bool user)
{
	return &v->tlb[user][tlb_index(linear)];
}

/* Host address of linear through a TLB entry that holds its page. */
static inline uint8_t *tlb_host(const struct tlb_entry *e, uint32_t linear)
{
	return (uint8_t *)(e->addend + linear);
}

void tlb_flush(struct vcpu *v, bool keep_global)
{
	v->fetch_valid = false;
	decode_bump_epoch(v->dcache);   /* block links hold translations */
	bool pge = v->s->cr4 & CR4_PGE;
	for (int u = 0; u < 2; u++)
		for (unsigned i = 0; i < TLB_SIZE; i++) {
			struct tlb_entry *e = &v->tlb[u][i];
			if (keep_global && pge && v->tlb_x[u][i].global)
				continue;
			e->tag_read = e->tag_write = TLB_INVALID;
		}
	v->tlb_phys_gen = v->bus.phys->generation;
	if (v->bus.on_tlb_flush)
		v->bus.on_tlb_flush(v->bus.hook_opaque, keep_global && pge ? CPU_FLUSH_NONGLOBAL : CPU_FLUSH_ALL, 0);
}

void tlb_flush_page(struct vcpu *v, uint32_t linear)
{
	v->fetch_valid = false;
	decode_bump_epoch(v->dcache);
	for (int u = 0; u < 2; u++) {
		struct tlb_entry *e = tlb_slot(v, linear, u);
		if (e->tag_read == (linear & ~0xfffu) || e->tag_write == (linear & ~0xfffu))
			e->tag_read = e->tag_write = TLB_INVALID;
	}
	if (v->bus.on_tlb_flush)
		v->bus.on_tlb_flush(v->bus.hook_opaque, CPU_FLUSH_PAGE, linear & ~0xfffu);
}

void tlb_protect_code(struct vcpu *v, uint32_t paddr_page)
{
	for (int u = 0; u < 2; u++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			if (v->tlb_x[u][i].paddr == paddr_page)
				v->tlb[u][i].tag_write = TLB_INVALID;
}

/*
 * Walks linear for the access; faults with #PF. Fills the TLB when the
 * page is RAM/ROM. Returns the physical address.
 */
static uint32_t translate(struct vcpu *v, uint32_t linear, bool write, bool user)
{
	if (v->tlb_phys_gen != v->bus.phys->generation)
		tlb_flush(v, false);
	struct page_walk w;
	uint32_t err;
	unsigned access = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
	if (paging_walk(v->bus.phys, v->s, linear, access, &w, &err) < 0) {
		v->s->cr2 = linear;
		vcpu_fault(v, EXC_PF, err);
	}
	if (v->vtx.pt_state && paging_enabled(v->s))
		vtx_on_walk(v, linear, &w);
	uint32_t paddr = physmap_a20(v->bus.phys, (uint32_t)w.paddr);
	uint32_t page = paddr & ~0xfffu;
	bool ram_writable;
	uint8_t *host = physmap_host_ptr(v->bus.phys, page, 4096, &ram_writable);
	struct tlb_entry *e = tlb_slot(v, linear, user);
	if (host) {
		struct tlb_extra *x = &v->tlb_x[user][tlb_index(linear)];
		e->tag_read = linear & ~0xfffu;
		e->addend = (uintptr_t)host - (linear & ~0xfffu);
		x->paddr = page;
		x->global = w.global;
		e->tag_write = (w.writable && w.dirty && ram_writable && !v->bus.on_write &&
				!decode_page_has_code(v->dcache, page) && !vtx_pt_tracked(&v->vtx, page))
				       ? linear & ~0xfffu : TLB_INVALID;
	}
	return paddr;
}

/*
 * After translate(): a page it did not enter in the TLB is not RAM or ROM
 * (MMIO or unclaimed): under VT-x an EPT violation, or without EPT a #PF
 * on a non-present shadow entry (cpu/vtx_model.h).
 */
static void count_mmio(struct vcpu *v, uint32_t linear, bool user)
{
	if (tlb_slot(v, linear, user)->tag_read != (linear & ~0xfffu))
		vtx_count_both(&v->vtx, VTX_MMIO);
}

static uint32_t slow_read(struct vcpu *v, uint32_t linear, unsigned size, bool user)
{
	uint32_t value = 0;
	if ((linear & 0xfff) + size > 4096) {
		/* Page-crossing: translate both pages before reading either. */
		unsigned first = 4096 - (linear & 0xfff);
		uint32_t p0 = translate(v, linear, false, user);
		uint32_t p1 = translate(v, linear + first, false, user);
		for (unsigned i = 0; i < size; i++) {
			uint32_t p = i < first ? p0 + i : p1 + (i - first);
			value |= physmap_read(v->bus.phys, p, 1) << (8 * i);
		}
		return value;
	}
	uint32_t p = translate(v, linear, false, user);
	count_mmio(v, linear, user);
	return physmap_read(v->bus.phys, p, size);
}

uint32_t lin_read(struct vcpu *v, uint32_t linear, unsigned size, bool user)
{
	struct tlb_entry *e = tlb_slot(v, linear, user);
	if (e->tag_read == (linear & ~0xfffu) && (linear & 0xfff) + size <= 4096)
		return mem_host_load(tlb_host(e, linear), size);
	return slow_read(v, linear, size, user);
}

/*
 * Every store to a page holding decoded code comes here (the TLB never
 * allows it directly). Besides making the page's blocks stale, it ends
 * the running block after the current instruction (v->insn, synced
 * before any store that can get here) when the block is on that page: it
 * moves blk_last, which the block loop checks, and makes the entry after
 * the instruction a stop entry, where insn_chain ends (cpu/block.h; the
 * block is stale, never run again). It tells an engine with translations
 * of its own (bt) through on_code_write.
 */
static void code_written(struct vcpu *v, uint32_t paddr_page)
{
	decode_invalidate_page(v->dcache, paddr_page);
	const struct block *b = v->cur_block;
	if (b && v->insn >= b->insn && v->insn < b->insn + b->n &&
	    (b->paddr & ~0xfffu) == paddr_page) {
		struct insn *next = (struct insn *)(v->insn + 1);
		block_stop_init(next, next->idx, next->off);
		v->blk_last = v->insn;
	}
	if (v->bus.on_code_write)
		v->bus.on_code_write(v->bus.hook_opaque, paddr_page);
}

static void write_phys(struct vcpu *v, uint32_t paddr, unsigned size, uint32_t value)
{
	struct decode_cache *dc = v->dcache;
	if (decode_page_has_code(dc, paddr & ~0xfffu))
		code_written(v, paddr & ~0xfffu);
	if (((paddr + size - 1) & ~0xfffu) != (paddr & ~0xfffu) &&
	    decode_page_has_code(dc, (paddr + size - 1) & ~0xfffu))
		code_written(v, (paddr + size - 1) & ~0xfffu);
	if (v->vtx.pt_state)
		vtx_on_phys_write(&v->vtx, paddr);
	if (v->bus.on_write)
		v->bus.on_write(v->bus.hook_opaque, paddr, size, physmap_read(v->bus.phys, paddr, size));
	physmap_write(v->bus.phys, paddr, value, size);
}

void vcpu_mark_code(struct vcpu *v, uint32_t paddr_page)
{
	if (decode_mark_code(v->dcache, paddr_page))
		tlb_protect_code(v, paddr_page);
}

void lin_write(struct vcpu *v, uint32_t linear, unsigned size, uint32_t value, bool user)
{
	struct tlb_entry *e = tlb_slot(v, linear, user);
	if (e->tag_write == (linear & ~0xfffu) && (linear & 0xfff) + size <= 4096) {
		uint8_t *p = tlb_host(e, linear);
		switch (size) {
		case 1: *p = (uint8_t)value; return;
		case 2: { uint16_t x = (uint16_t)value; memcpy(p, &x, 2); return; }
		default: memcpy(p, &value, 4); return;
		}
	}
	if ((linear & 0xfff) + size > 4096) {
		unsigned first = 4096 - (linear & 0xfff);
		uint32_t p0 = translate(v, linear, true, user);
		uint32_t p1 = translate(v, linear + first, true, user);
		for (unsigned i = 0; i < size; i++)
			write_phys(v, i < first ? p0 + i : p1 + (i - first), 1,
				   (value >> (8 * i)) & 0xff);
		return;
	}
	uint32_t p = translate(v, linear, true, user);
	count_mmio(v, linear, user);
	write_phys(v, p, size, value);
}

void lin_read_bytes(struct vcpu *v, uint32_t linear, void *buf, unsigned n, bool user)
{
	uint8_t *b = buf;
	unsigned k = 0;
	for (; k + 4 <= n; k += 4) {
		uint32_t x = lin_read(v, linear + k, 4, user);
		memcpy(b + k, &x, 4);
	}
	for (; k < n; k++)
		b[k] = (uint8_t)lin_read(v, linear + k, 1, user);
}

void lin_write_bytes(struct vcpu *v, uint32_t linear, const void *buf, unsigned n, bool user)
{
	const uint8_t *b = buf;
	unsigned k = 0;
	for (; k + 4 <= n; k += 4) {
		uint32_t x;
		memcpy(&x, b + k, 4);
		lin_write(v, linear + k, 4, x, user);
	}
	for (; k < n; k++)
		lin_write(v, linear + k, 1, b[k], user);
}

void lin_probe_write(struct vcpu *v, uint32_t linear, unsigned size, bool user)
{
	struct tlb_entry *e = tlb_slot(v, linear, user);
	if (e->tag_write == (linear & ~0xfffu) && (linear & 0xfff) + size <= 4096)
		return;
	translate(v, linear, true, user);
	if ((linear & 0xfff) + size > 4096)
		translate(v, (linear | 0xfff) + 1, true, user);
}

uint32_t mem_read_slow(struct vcpu *v, int seg, uint32_t offset, unsigned size)
{
	return vmem_read(v, seg, offset, size);
}

uint32_t mem_read_rmw_slow(struct vcpu *v, int seg, uint32_t offset, unsigned size)
{
	return vmem_read_rmw(v, seg, offset, size);
}

void mem_write_slow(struct vcpu *v, int seg, uint32_t offset, unsigned size, uint32_t value)
{
	vmem_write(v, seg, offset, size, value);
}

uint64_t vmem_read64(struct vcpu *v, int seg, uint32_t offset)
{
	uint32_t lin = vmem_linear(v, seg, offset, 8, SEG_READ);
	bool user = vcpu_user(v);
	uint32_t lo = lin_read(v, lin, 4, user);
	uint32_t hi = lin_read(v, lin + 4, 4, user);
	return lo | (uint64_t)hi << 32;
}

void vmem_write64(struct vcpu *v, int seg, uint32_t offset, uint64_t value)
{
	uint32_t lin = vmem_linear(v, seg, offset, 8, SEG_WRITE);
	bool user = vcpu_user(v);
	lin_probe_write(v, lin, 8, user);
	lin_write(v, lin, 4, (uint32_t)value, user);
	lin_write(v, lin + 4, 4, (uint32_t)(value >> 32), user);
}

uint32_t lin_code_paddr(struct vcpu *v, uint32_t linear)
{
	return lin_code_paddr_as(v, linear, vcpu_user(v));
}

uint32_t lin_code_paddr_as(struct vcpu *v, uint32_t linear, bool user)
{
	if (v->fetch_valid && v->fetch_lin_page == (linear & ~0xfffu) && v->fetch_user == user)
		return v->fetch_phys_page | (linear & 0xfff);
	const struct tlb_entry *e = tlb_slot(v, linear, user);
	uint32_t paddr = e->tag_read == (linear & ~0xfffu)
				 ? v->tlb_x[user][tlb_index(linear)].paddr | (linear & 0xfff)
				 : translate(v, linear, false, user);
	if (v->tlb_phys_gen == v->bus.phys->generation) {
		v->fetch_lin_page = linear & ~0xfffu;
		v->fetch_phys_page = paddr & ~0xfffu;
		v->fetch_user = user;
		v->fetch_valid = true;
	}
	return paddr;
}

unsigned lin_fetch(struct vcpu *v, uint32_t linear, uint8_t *buf, unsigned n, uint32_t *paddr)
{
	bool user = vcpu_user(v);
	struct tlb_entry *e = tlb_slot(v, linear, user);
	unsigned avail = 4096 - (linear & 0xfff);
	if (n > avail)
		n = avail;
	if (e->tag_read == (linear & ~0xfffu)) {
		memcpy(buf, tlb_host(e, linear), n);
		*paddr = v->tlb_x[user][tlb_index(linear)].paddr | (linear & 0xfff);
		return n;
	}
	uint32_t p = translate(v, linear, false, user);
	for (unsigned i = 0; i < n; i++)
		buf[i] = (uint8_t)physmap_read(v->bus.phys, p + i, 1);
	*paddr = p;
	return n;
}
