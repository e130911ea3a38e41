/*
 * ops_stack.c - PUSH, POP (general, memory and segment registers), PUSHA,
 * POPA, PUSHF, POPF, ENTER, LEAVE (SDM vol. 2B).
 *
 * POPF follows the privilege rules of the SDM's POPF pseudocode: IOPL
 * changes only at CPL 0, IF only when CPL <= IOPL, VM/VIF/VIP never, and
 * v8086 mode with IOPL < 3 faults (no VME in this CPU model).
 */
#include <Zydis/Zydis.h>

#include "cpu/interp.h"
#include "cpu/ops_common.h"
#include "cpu/segments.h"

static void op_push(struct vcpu *v, const struct insn *i)
{
	const struct operand *o = &i->op[0];
	unsigned size = i->opsize;
	if (o->kind == OPK_SREG) {
		uint32_t sp = stack_ptr(v) - size;
		if (!stack32(v))
			sp &= 0xffff;
		/* A 32-bit push of a segment register writes only the selector (16 bits). */
		vmem_write(v, S_SS, sp, 2, v->s->seg[o->reg].sel);
		if (size == 4)
			lin_probe_write(v, vmem_linear(v, S_SS, sp, 4, SEG_WRITE), 4, vcpu_user(v));
		stack_set(v, sp);
		return;
	}
	stack_push(v, size, op_read(v, i, 0));
}

static void op_pop(struct vcpu *v, const struct insn *i)
{
	const struct operand *o = &i->op[0];
	unsigned size = i->opsize;
	uint32_t val = stack_peek(v, size, 0);
	if (o->kind == OPK_SREG) {
		if (o->reg == S_CS)
			vcpu_fault_noerr(v, EXC_UD);
		seg_load(v, o->reg, (uint16_t)val);
		stack_set(v, stack_ptr(v) + size);
		if (o->reg == S_SS)
			v->s->int_shadow = true;
		return;
	}
	/* POP m: the address is computed with ESP already incremented (SDM POP). */
	stack_set(v, stack_ptr(v) + size);
	op_write(v, i, 0, val);
}

static void op_pusha(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->opsize;
	uint32_t sp = stack_ptr(v);
	uint32_t vals[8];
	for (int r = 0; r < 8; r++)
		vals[r] = r == R_ESP ? v->s->gpr[R_ESP] : v->s->gpr[r];
	for (int r = 0; r < 8; r++) {
		uint32_t at = sp - (uint32_t)(r + 1) * size;
		if (!stack32(v))
			at &= 0xffff;
		vmem_write(v, S_SS, at, size, vals[r]);
	}
	stack_set(v, sp - 8 * size);
}

static void op_popa(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->opsize;
	uint32_t vals[8];
	for (int r = 0; r < 8; r++)
		vals[7 - r] = stack_peek(v, size, (uint32_t)r * size);
	for (int r = 0; r < 8; r++)
		if (r != R_ESP)
			reg_write(v->s, (unsigned)r, size, vals[r]);
	stack_set(v, stack_ptr(v) + 8 * size);
}

static void op_pushf(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	if ((s->eflags & EFL_VM) && ((s->eflags & EFL_IOPL) >> 12) < 3)
		vcpu_fault(v, EXC_GP, 0);
	uint32_t f = flags_materialize(v) & ~(EFL_VM | EFL_RF);
	stack_push(v, i->opsize, f);
}

uint32_t popf_mask(const struct vcpu *v, unsigned size)
{
	const struct cpu_state *s = v->s;
	uint32_t mask = EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_TF | EFL_DF | EFL_OF |
			EFL_NT | EFL_AC | EFL_ID | EFL_IF | EFL_IOPL;
	unsigned cpl = cpu_cpl(s), iopl = (s->eflags & EFL_IOPL) >> 12;
	if ((s->cr0 & CR0_PE) && !(s->eflags & EFL_VM)) {
		if (cpl > 0)
			mask &= ~EFL_IOPL;
		if (cpl > iopl)
			mask &= ~EFL_IF;
	} else if (s->eflags & EFL_VM) {
		mask &= ~EFL_IOPL;
	}
	if (size == 2)
		mask &= 0xffff;
	return mask;
}

static void op_popf(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	if ((s->eflags & EFL_VM) && ((s->eflags & EFL_IOPL) >> 12) < 3)
		vcpu_fault(v, EXC_GP, 0);
	uint32_t val = stack_peek(v, i->opsize, 0);
	uint32_t mask = popf_mask(v, i->opsize);
	flags_materialize(v);
	s->eflags = ((s->eflags & ~mask) | (val & mask) | EFL_FIXED1) & ~EFL_RF;
	v->lf.op = LF_NONE;
	stack_set(v, stack_ptr(v) + i->opsize);
}

static void op_enter(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	unsigned size = i->opsize;
	uint32_t alloc = i->op[0].val & 0xffff;
	unsigned level = i->op[1].val & 0x1f;
	uint32_t mask = stack32(v) ? 0xffffffffu : 0xffff;
	uint32_t sp = stack_ptr(v);
	uint32_t bp = reg_read(s, R_EBP, size);
	/* Compute everything on a scratch stack pointer, commit at the end. */
	sp = (sp - size) & mask;
	vmem_write(v, S_SS, sp, size, bp);
	uint32_t frame = sp;
	if (level > 0) {
		uint32_t ebp = stack32(v) ? s->gpr[R_EBP] : s->gpr[R_EBP] & 0xffff;
		for (unsigned k = 1; k < level; k++) {
			ebp = (ebp - size) & mask;
			uint32_t x = vmem_read(v, S_SS, ebp, size);
			sp = (sp - size) & mask;
			vmem_write(v, S_SS, sp, size, x);
		}
		sp = (sp - size) & mask;
		vmem_write(v, S_SS, sp, size, frame);
	}
	sp = (sp - alloc) & mask;
	if (alloc)
		lin_probe_write(v, vmem_linear(v, S_SS, sp, 1, SEG_WRITE), 1, vcpu_user(v));
	reg_write(s, R_EBP, size, frame);
	stack_set(v, sp);
}

static void op_leave(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	uint32_t bp = stack32(v) ? s->gpr[R_EBP] : s->gpr[R_EBP] & 0xffff;
	uint32_t val = vmem_read(v, S_SS, bp, i->opsize);
	stack_set(v, bp + i->opsize);
	reg_write(s, R_EBP, i->opsize, val);
}

void ops_stack_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_PUSH] = op_push;
	t->fn[ZYDIS_MNEMONIC_POP] = op_pop;
	t->fn[ZYDIS_MNEMONIC_PUSHA] = op_pusha;
	t->fn[ZYDIS_MNEMONIC_PUSHAD] = op_pusha;
	t->fn[ZYDIS_MNEMONIC_POPA] = op_popa;
	t->fn[ZYDIS_MNEMONIC_POPAD] = op_popa;
	t->fn[ZYDIS_MNEMONIC_PUSHF] = op_pushf;
	t->fn[ZYDIS_MNEMONIC_PUSHFD] = op_pushf;
	t->fn[ZYDIS_MNEMONIC_POPF] = op_popf;
	t->fn[ZYDIS_MNEMONIC_POPFD] = op_popf;
	t->fn[ZYDIS_MNEMONIC_ENTER] = op_enter;
	t->fn[ZYDIS_MNEMONIC_LEAVE] = op_leave;
}
