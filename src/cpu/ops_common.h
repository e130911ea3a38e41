/*
 * ops_common.h - what instruction handlers share: register and operand
 * access, effective addresses, the stack.
 *
 * Registers: 8-bit register numbers follow the encoding (AL CL DL BL AH
 * CH DH BH); 16-bit writes keep the upper half of the 32-bit register.
 * Effective addresses wrap at the address size (SDM vol. 1 3.7.5).
 * The stack uses ESP or SP by SS.B (SDM vol. 1 6.2.3); push/pop write the
 * memory first and commit ESP last, so a faulting push changes nothing.
 */
#ifndef SOFTVT_CPU_OPS_COMMON_H
#define SOFTVT_CPU_OPS_COMMON_H

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/mem.h"
#include "cpu/vcpu.h"

static inline uint32_t reg_read(const struct cpu_state *s, unsigned reg, unsigned size)
{
	if (size == 1)
		return reg < 4 ? s->gpr[reg] & 0xff : (s->gpr[reg - 4] >> 8) & 0xff;
	if (size == 2)
		return s->gpr[reg] & 0xffff;
	return s->gpr[reg];
}

static inline void reg_write(struct cpu_state *s, unsigned reg, unsigned size, uint32_t val)
{
	if (size == 1) {
		if (reg < 4)
			s->gpr[reg] = (s->gpr[reg] & ~0xffu) | (val & 0xff);
		else
			s->gpr[reg - 4] = (s->gpr[reg - 4] & ~0xff00u) | ((val & 0xff) << 8);
	} else if (size == 2) {
		s->gpr[reg] = (s->gpr[reg] & ~0xffffu) | (val & 0xffff);
	} else {
		s->gpr[reg] = val;
	}
}

/* Offset (effective address) of a memory operand. */
static inline uint32_t op_ea(const struct vcpu *v, const struct insn *i, const struct operand *o)
{
	uint32_t ea = o->val;
	if (o->base != NOREG)
		ea += v->s->gpr[o->base];
	if (o->index != NOREG)
		ea += v->s->gpr[o->index] * o->scale;
	return i->addrsize == 2 ? ea & 0xffff : ea;
}

static inline uint32_t op_read(struct vcpu *v, const struct insn *i, int n)
{
	const struct operand *o = &i->op[n];
	switch (o->kind) {
	case OPK_REG:
		return reg_read(v->s, o->reg, o->size);
	case OPK_MEM:
		if (n == 0 && i->rmw)   /* read-modify-write: checked for the write first */
			return vmem_read_rmw(v, o->seg, op_ea(v, i, o), o->size);
		return vmem_read(v, o->seg, op_ea(v, i, o), o->size);
	case OPK_IMM:
		return i->opsize >= 4 ? o->val : o->val & size_mask(i->opsize);
	case OPK_SREG:
		return v->s->seg[o->reg].sel;
	default:
		vcpu_unsupported(v, "operand kind %u of %s", o->kind, decode_mnemonic_name(i->mnemonic));
	}
}

static inline void op_write(struct vcpu *v, const struct insn *i, int n, uint32_t val)
{
	const struct operand *o = &i->op[n];
	switch (o->kind) {
	case OPK_REG:
		reg_write(v->s, o->reg, o->size, val);
		return;
	case OPK_MEM:
		vmem_write(v, o->seg, op_ea(v, i, o), o->size, val);
		return;
	default:
		vcpu_unsupported(v, "write to operand kind %u of %s", o->kind,
				 decode_mnemonic_name(i->mnemonic));
	}
}

/* Immediates are stored sign-extended to 32 bits by the decoder; this
 * gives the value at the operand size of the instruction. */
static inline uint32_t imm_value(const struct insn *i, int n)
{
	return i->opsize >= 4 ? i->op[n].val : i->op[n].val & size_mask(i->opsize);
}

/* The EFLAGS bits POPF (and IRET to the same level) may change at the current
 * privilege, for an operand size of 2 or 4 (ops_stack.c). */
uint32_t popf_mask(const struct vcpu *v, unsigned size);

/* --- stack ------------------------------------------------------------- */

static inline bool stack32(const struct vcpu *v)
{
	return v->s->seg[S_SS].attr & SEG_DB;
}

static inline uint32_t stack_ptr(const struct vcpu *v)
{
	return stack32(v) ? v->s->gpr[R_ESP] : v->s->gpr[R_ESP] & 0xffff;
}

static inline void stack_set(struct vcpu *v, uint32_t sp)
{
	if (stack32(v))
		v->s->gpr[R_ESP] = sp;
	else
		v->s->gpr[R_ESP] = (v->s->gpr[R_ESP] & 0xffff0000u) | (sp & 0xffff);
}

static inline void stack_push(struct vcpu *v, unsigned size, uint32_t val)
{
	uint32_t sp = stack_ptr(v) - size;
	if (!stack32(v))
		sp &= 0xffff;
	vmem_write(v, S_SS, sp, size, val);
	stack_set(v, sp);
}

/* Reads the value `depth` bytes above the top of stack without popping. */
static inline uint32_t stack_peek(struct vcpu *v, unsigned size, uint32_t depth)
{
	uint32_t sp = stack_ptr(v) + depth;
	if (!stack32(v))
		sp &= 0xffff;
	return vmem_read(v, S_SS, sp, size);
}

static inline uint32_t stack_pop(struct vcpu *v, unsigned size)
{
	uint32_t val = stack_peek(v, size, 0);
	stack_set(v, stack_ptr(v) + size);
	return val;
}

/* --- block execution ------------------------------------------------------ */

/*
 * Makes i the instruction being executed (v->insn, v->insn_eip,
 * v->next_eip; cpu/interp.c). The specialized handlers do not store
 * these on every instruction: a handler that runs to its end without a
 * fault needs none of them, so each calls insn_sync() only before
 * something that may fault (the checked memory paths, a branch target's
 * #GP), that reads them (near branches that return to the loop) or that ends the
 * chain (the block loop reads them). The architectural EIP (s->eip) is
 * not kept up to date inside a block either: a fault takes v->insn_eip,
 * far transfers and event delivery set it before they use it, and the
 * block loop stores it when the block run ends. ESP is not saved: the
 * specialized handlers change ESP only after their last access that can
 * fault, and the generic ones save it themselves (dispatch.c:
 * generic_entry, vcpu.esp_saved).
 */
static inline void insn_sync(struct vcpu *v, const struct insn *i)
{
	uint32_t eip = (v->blk_eip + i->off) & v->blk_mask;
	v->insn = i;
	v->insn_eip = eip;
	v->next_eip = (eip + i->len) & v->blk_mask;
}

/*
 * The end of a handler that never branches (ops_fast.c): runs the next
 * entry of the block directly, as a tail call: the next instruction, or
 * the stop entry after the block's last one (cpu/block.h), which syncs i
 * for the block loop and returns; an instruction that wrote to its own
 * block's page has a stop entry after it too (mem.c). Each handler
 * thereby has its own indirect jump to the next, which the host predicts
 * far better than one shared call site.
 */
static inline void insn_chain(struct vcpu *v, const struct insn *i)
{
	const struct insn *n = i + 1;
	n->fn(v, n);
}

/* Near branch target: truncated to 16 bits with a 16-bit operand size. */
static inline void jump_near(struct vcpu *v, const struct insn *i, uint32_t target)
{
	if (i->opsize == 2)
		target &= 0xffff;
	/* In every mode, real and v8086 included (SDM JMP, Jcc: #GP(0)). */
	if (target > v->s->seg[S_CS].limit)
		vcpu_fault(v, EXC_GP, 0);
	v->next_eip = target;
}

#endif
