/*
 * mem.h - guest memory as a CPU sees it: segmentation, paging, soft TLB.
 *
 * Three layers, each faulting through vcpu_fault():
 *   vmem_*   logical accesses (segment:offset) with the segment checks of
 *            SDM vol. 3A 5.3-5.4 (#GP(0), or #SS(0) for SS-relative ones);
 *   lin_*    linear accesses through the soft TLB and paging_walk()
 *            (#PF with CR2 and the error code);
 *   physmap  underneath, for RAM (direct host pointers), ROM and MMIO.
 * `user` selects the rights of CPL 3; implicit system accesses (descriptor
 * tables, TSS, interrupt stack frames of a privilege change) are
 * supervisor accesses (sys_read/sys_write).
 *
 * Pages holding decoded instructions are never writable through the TLB:
 * a write to one goes the slow way and invalidates its decoded code
 * (self-modifying code, SDM vol. 3A 8.1.3).
 */
#ifndef SOFTVT_CPU_MEM_H
#define SOFTVT_CPU_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/vcpu.h"

enum seg_access { SEG_READ, SEG_WRITE, SEG_EXEC };

/* Segment check for [offset, offset+size); returns the linear address. */
uint32_t vmem_linear(struct vcpu *v, int seg, uint32_t offset, unsigned size,
		     enum seg_access kind);

uint32_t lin_read(struct vcpu *v, uint32_t linear, unsigned size, bool user);
void lin_write(struct vcpu *v, uint32_t linear, unsigned size, uint32_t value, bool user);
/* n bytes at linear into/from buf, 4 at a time (no segment check: the caller's). */
void lin_read_bytes(struct vcpu *v, uint32_t linear, void *buf, unsigned n, bool user);
void lin_write_bytes(struct vcpu *v, uint32_t linear, const void *buf, unsigned n, bool user);
/* Translate for a write without writing (pre-check multi-part stores). */
void lin_probe_write(struct vcpu *v, uint32_t linear, unsigned size, bool user);

static inline bool vcpu_user(const struct vcpu *v)
{
	return cpu_cpl(v->s) == 3;
}

static inline uint32_t vmem_read(struct vcpu *v, int seg, uint32_t offset, unsigned size)
{
	return lin_read(v, vmem_linear(v, seg, offset, size, SEG_READ), size, vcpu_user(v));
}

/*
 * The read of a read-modify-write destination: the segment and the page are
 * checked for the write before reading, so that a fault is the one the
 * processor reports (#GP for a read-only segment, #PF with W=1).
 */
static inline uint32_t vmem_read_rmw(struct vcpu *v, int seg, uint32_t offset, unsigned size)
{
	bool user = vcpu_user(v);
	uint32_t lin = vmem_linear(v, seg, offset, size, SEG_WRITE);
	lin_probe_write(v, lin, size, user);
	return lin_read(v, lin, size, user);
}

static inline void vmem_write(struct vcpu *v, int seg, uint32_t offset, unsigned size,
			      uint32_t value)
{
	lin_write(v, vmem_linear(v, seg, offset, size, SEG_WRITE), size, value, vcpu_user(v));
}

/*
 * Memory fast path for the hot handlers (ops_fast.c): mem_fast_setup()
 * records which segments are flat (base 0, limit 4 GiB, present,
 * writable, expand-up data: no segment check can fail unless the access
 * wraps around 4 GiB), whether the stack is such a segment with B=1, and
 * the privilege of accesses. The interpreter
 * calls it before each block; instructions that could change either end
 * their block. mem_read/mem_write then go straight to the soft TLB for a
 * flat segment, and the checked path otherwise: each segment has the TLB
 * set to look in (vcpu.seg_tlb), the current privilege's for a flat one
 * and one that never hits for any other, so the choice costs no test.
 * One compare covers the page-crossing case too: the entry is chosen by the first byte's page and
 * compared with the last byte's, and a slot never holds the next page.
 */
/* vmem_read/vmem_write out of line: the cold path of mem_read/mem_write. */
uint32_t mem_read_slow(struct vcpu *v, int seg, uint32_t offset, unsigned size);
uint32_t mem_read_rmw_slow(struct vcpu *v, int seg, uint32_t offset, unsigned size);
void mem_write_slow(struct vcpu *v, int seg, uint32_t offset, unsigned size, uint32_t value);

/* A TLB set that never hits: the fast-path set of a segment that is not flat. */
extern const struct tlb_entry tlb_never[TLB_SIZE];

static inline void mem_fast_setup(struct vcpu *v)
{
	const struct cpu_state *s = v->s;
	v->user = cpu_cpl(s) == 3;
	const struct tlb_entry *cur = v->tlb[v->user];
	for (int seg = 0; seg < S_NSEG; seg++) {
		const struct seg_cache *c = &s->seg[seg];
		bool flat = c->base == 0 && c->limit == 0xffffffffu &&
			    (c->attr & (SEG_P | SEG_S | 8 | 4 | 2)) == (SEG_P | SEG_S | 2);
		if (seg == S_SS) {
			flat = flat && (c->attr & SEG_DB);
			v->flat_stack = flat;
		}
		v->seg_tlb[seg] = flat ? cur : tlb_never;
	}
}

/* The entry of offset in seg's fast-path set. */
static inline const struct tlb_entry *mem_fast_entry(const struct vcpu *v, int seg,
						     uint32_t offset)
{
	return &v->seg_tlb[seg][(offset >> 12) & (TLB_SIZE - 1)];
}

/*
 * The fast paths of mem_read/mem_write alone: false when the access needs
 * the checked path (nothing done then). A handler that calls the checked
 * path from a separate out-of-line function keeps its own fast path free
 * of calls, so the compiler saves no registers in it (ops_fast.c).
 */
/* A 1-, 2- or 4-byte guest value at host address p (a soft-TLB hit). */
static inline uint32_t mem_host_load(const uint8_t *p, unsigned size)
{
	switch (size) {
	case 1: return *p;
	case 2: { uint16_t x; __builtin_memcpy(&x, p, 2); return x; }
	default: { uint32_t x; __builtin_memcpy(&x, p, 4); return x; }
	}
}

static inline bool mem_read_try(struct vcpu *v, int seg, uint32_t offset, unsigned size,
				uint32_t *val)
{
	const struct tlb_entry *e = mem_fast_entry(v, seg, offset);
	if (e->tag_read != ((offset + size - 1) & ~0xfffu))
		return false;
	*val = mem_host_load((const uint8_t *)(e->addend + offset), size);
	return true;
}

static inline bool mem_write_try(struct vcpu *v, int seg, uint32_t offset, unsigned size,
				 uint32_t value)
{
	const struct tlb_entry *e = mem_fast_entry(v, seg, offset);
	if (e->tag_write != ((offset + size - 1) & ~0xfffu))
		return false;
	uint8_t *p = (uint8_t *)(e->addend + offset);
	switch (size) {
	case 1: *p = (uint8_t)value; break;
	case 2: { uint16_t x = (uint16_t)value; __builtin_memcpy(p, &x, 2); break; }
	default: __builtin_memcpy(p, &value, 4); break;
	}
	return true;
}

static inline uint32_t mem_read(struct vcpu *v, int seg, uint32_t offset, unsigned size)
{
	uint32_t x;
	if (__builtin_expect(mem_read_try(v, seg, offset, size, &x), 1))
		return x;
	return mem_read_slow(v, seg, offset, size);
}

static inline void mem_write(struct vcpu *v, int seg, uint32_t offset, unsigned size,
			     uint32_t value)
{
	if (__builtin_expect(mem_write_try(v, seg, offset, size, value), 1))
		return;
	mem_write_slow(v, seg, offset, size, value);
}

uint64_t vmem_read64(struct vcpu *v, int seg, uint32_t offset);
void vmem_write64(struct vcpu *v, int seg, uint32_t offset, uint64_t value);

static inline uint32_t sys_read(struct vcpu *v, uint32_t linear, unsigned size)
{
	return lin_read(v, linear, size, false);
}

static inline void sys_write(struct vcpu *v, uint32_t linear, unsigned size, uint32_t value)
{
	lin_write(v, linear, size, value, false);
}

/*
 * Instruction fetch: copies up to n bytes at linear into buf, stopping at
 * the end of the page (the decoder asks again for the next page only if
 * the instruction needs it). Returns the number of bytes copied and the
 * physical address of linear in *paddr.
 */
unsigned lin_fetch(struct vcpu *v, uint32_t linear, uint8_t *buf, unsigned n, uint32_t *paddr);

/* Physical address of an instruction byte at linear (TLB fast path, else a walk). */
uint32_t lin_code_paddr(struct vcpu *v, uint32_t linear);
/* The same with the privilege given (user: CPL 3). */
uint32_t lin_code_paddr_as(struct vcpu *v, uint32_t linear, bool user);

/* lin_code_paddr_as with the page of the last fetch inline. */
static inline uint32_t code_paddr(struct vcpu *v, uint32_t linear, bool user)
{
	if (v->fetch_valid && v->fetch_lin_page == (linear & ~0xfffu) && v->fetch_user == user)
		return v->fetch_phys_page | (linear & 0xfff);
	return lin_code_paddr_as(v, linear, user);
}

/* TLB maintenance: MOV CR3 (keep_global), CR0/CR4 paging changes, INVLPG. */
void tlb_flush(struct vcpu *v, bool keep_global);
void tlb_flush_page(struct vcpu *v, uint32_t linear);
/* A physical page now holds decoded code: remove direct write access to it. */
void tlb_protect_code(struct vcpu *v, uint32_t paddr_page);
/* Another engine holds translations of this page: route writes to it through
 * the slow path (which calls bus.on_code_write). */
void vcpu_mark_code(struct vcpu *v, uint32_t paddr_page);

#endif
