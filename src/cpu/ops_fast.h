/*
 * ops_fast.h - what the operand-specialized handlers (ops_fast.c,
 * ops_fast_alu.c) share: operand access for the fixed forms they handle,
 * and the predicates that choose a form at decode time.
 */
#ifndef SOFTVT_CPU_OPS_FAST_H
#define SOFTVT_CPU_OPS_FAST_H

#include "cpu/dispatch.h"
#include "cpu/ops_common.h"

#define GPR(n) (v->s->gpr[i->op[n].reg])

/* Offset of a memory operand with a 32-bit address size. */
static inline uint32_t ea32(const struct vcpu *v, const struct operand *o)
{
	/* Without branches: one handler serves every addressing form, which
	 * would make them hard to predict. */
	uint32_t base = v->s->gpr[o->base & 7] & -(uint32_t)(o->base != NOREG);
	uint32_t index = v->s->gpr[o->index & 7] & -(uint32_t)(o->index != NOREG);
	return o->val + base + index * o->scale;
}

/*
 * mem_read/mem_write for a specialized handler: the checked path, which
 * may fault, runs with the instruction synced (insn_sync).
 */
static inline uint32_t fast_read(struct vcpu *v, const struct insn *i, int seg, uint32_t offset,
				 unsigned size)
{
	uint32_t x;
	if (__builtin_expect(mem_read_try(v, seg, offset, size, &x), 1))
		return x;
	insn_sync(v, i);
	return mem_read_slow(v, seg, offset, size);
}

/*
 * The read of a read-modify-write destination: straight from the soft TLB
 * when the page may be written (the write that follows cannot fault
 * either); else the checked path, which checks for the write first, so a
 * fault is the one the processor reports (mem.h, vmem_read_rmw).
 */
static inline uint32_t fast_read_rmw(struct vcpu *v, const struct insn *i, int seg,
				     uint32_t offset, unsigned size)
{
	const struct tlb_entry *e = mem_fast_entry(v, seg, offset);
	if (__builtin_expect(e->tag_write == ((offset + size - 1) & ~0xfffu), 1))
		return mem_host_load((const uint8_t *)(e->addend + offset), size);
	insn_sync(v, i);
	return mem_read_rmw_slow(v, seg, offset, size);
}

static inline void fast_write(struct vcpu *v, const struct insn *i, int seg, uint32_t offset,
			      unsigned size, uint32_t value)
{
	if (__builtin_expect(mem_write_try(v, seg, offset, size, value), 1))
		return;
	insn_sync(v, i);
	mem_write_slow(v, seg, offset, size, value);
}

#define EA(n) ea32(v, &i->op[n])
#define SEG(n) (i->op[n].seg)

/* --- choosing a form ------------------------------------------------------ */

static inline bool is_reg(const struct operand *o, unsigned size)
{
	return o->kind == OPK_REG && o->size == size;
}

static inline bool is_mem(const struct insn *i, const struct operand *o, unsigned size)
{
	return o->kind == OPK_MEM && o->size == size && i->addrsize == 4;
}

/* A memory operand addressed [base + disp] (no index). */
static inline bool is_base_only(const struct operand *o)
{
	return o->base != NOREG && o->index == NOREG;
}

static inline bool is_imm(const struct operand *o)
{
	return o->kind == OPK_IMM;
}

/* ADD ADC SUB SBB CMP AND OR XOR TEST (ops_fast_alu.c), or NULL. */
insn_handler ops_fast_alu_select(const struct insn *i);

#endif
