/*
 * ops_control.c - control transfers: JMP, Jcc, JCXZ/JECXZ, LOOP/LOOPE/
 * LOOPNE, CALL, RET (near and far), INT n, INT3, INTO, INT1, IRET, BOUND.
 * Far forms go through cpu/far.c, software interrupts through
 * cpu/exceptions.c.
 */
#include <Zydis/Zydis.h>

#include "cpu/exceptions.h"
#include "cpu/far.h"
#include "cpu/interp.h"
#include "cpu/ops_common.h"

/* Target of a relative branch: next EIP + displacement, at the operand size. */
static uint32_t rel_target(const struct vcpu *v, const struct insn *i)
{
	return v->next_eip + i->op[0].val;
}

/* Reads a far pointer m16:16/m16:32 operand. */
static void read_far_ptr(struct vcpu *v, const struct insn *i, uint16_t *sel, uint32_t *off)
{
	if (i->op[0].kind == OPK_PTR) {
		*sel = i->op[0].sel;
		*off = i->op[0].val;
		return;
	}
	if (i->op[0].kind != OPK_MEM)
		vcpu_fault_noerr(v, EXC_UD);
	uint32_t ea = op_ea(v, i, &i->op[0]);
	*off = vmem_read(v, i->op[0].seg, ea, i->opsize);
	uint32_t at = ea + i->opsize;
	if (i->addrsize == 2)
		at &= 0xffff;
	*sel = (uint16_t)vmem_read(v, i->op[0].seg, at, 2);
}

/* After a far transfer or event delivery the state holds the new CS:EIP. */
static void follow_state(struct vcpu *v)
{
	v->next_eip = v->s->eip;
}

static void op_jmp(struct vcpu *v, const struct insn *i)
{
	if (i->far) {
		uint16_t sel;
		uint32_t off;
		read_far_ptr(v, i, &sel, &off);
		far_jump(v, sel, off, i->opsize);
		follow_state(v);
		return;
	}
	if (i->op[0].kind == OPK_IMM)
		jump_near(v, i, rel_target(v, i));
	else
		jump_near(v, i, op_read(v, i, 0));
}

static void op_jcc(struct vcpu *v, const struct insn *i)
{
	if (cond_eval(v, i->opcode & 0xf))
		jump_near(v, i, rel_target(v, i));
}

static uint32_t count_reg(const struct vcpu *v, const struct insn *i)
{
	return i->addrsize == 2 ? v->s->gpr[R_ECX] & 0xffff : v->s->gpr[R_ECX];
}

static void op_jcxz(struct vcpu *v, const struct insn *i)
{
	if (count_reg(v, i) == 0)
		jump_near(v, i, rel_target(v, i));
}

static void loop_common(struct vcpu *v, const struct insn *i, int cond)
{
	uint32_t c = count_reg(v, i) - 1;
	bool take = c != 0;
	if (cond > 0)
		take = take && cond_eval(v, 4);    /* LOOPE: ZF=1 */
	else if (cond < 0)
		take = take && cond_eval(v, 5);    /* LOOPNE: ZF=0 */
	if (take)
		jump_near(v, i, rel_target(v, i));
	reg_write(v->s, R_ECX, i->addrsize, c);
}

static void op_loop(struct vcpu *v, const struct insn *i) { loop_common(v, i, 0); }
static void op_loope(struct vcpu *v, const struct insn *i) { loop_common(v, i, 1); }
static void op_loopne(struct vcpu *v, const struct insn *i) { loop_common(v, i, -1); }

static void op_call(struct vcpu *v, const struct insn *i)
{
	if (i->far) {
		uint16_t sel;
		uint32_t off;
		read_far_ptr(v, i, &sel, &off);
		far_call(v, sel, off, i->opsize, v->next_eip);
		follow_state(v);
		return;
	}
	uint32_t target = i->op[0].kind == OPK_IMM ? rel_target(v, i) : op_read(v, i, 0);
	uint32_t ret = v->next_eip;
	if (i->opsize == 2)
		target &= 0xffff;
	if (target > v->s->seg[S_CS].limit)
		vcpu_fault(v, EXC_GP, 0);
	stack_push(v, i->opsize, ret);
	v->next_eip = target;
}

static void op_ret(struct vcpu *v, const struct insn *i)
{
	uint16_t release = i->nops > 0 ? (uint16_t)i->op[0].val : 0;
	if (i->far) {
		far_return(v, i->opsize, release);
		follow_state(v);
		return;
	}
	uint32_t target = stack_peek(v, i->opsize, 0);
	if (i->opsize == 2)
		target &= 0xffff;
	if (target > v->s->seg[S_CS].limit)
		vcpu_fault(v, EXC_GP, 0);
	stack_set(v, stack_ptr(v) + i->opsize + release);
	v->next_eip = target;
}

static void software_interrupt(struct vcpu *v, int vector, enum event_kind kind)
{
	v->s->eip = v->next_eip;
	exceptions_deliver(v, vector, kind, false, 0);
	follow_state(v);
}

static void op_int(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	/* v8086 with IOPL < 3: INT n (only it, not INT3/INTO) is #GP(0) (SDM INT n; no VME). */
	if ((s->eflags & EFL_VM) && ((s->eflags & EFL_IOPL) >> 12) < 3)
		vcpu_fault(v, EXC_GP, 0);
	software_interrupt(v, (int)(i->op[0].val & 0xff), EVENT_SOFTWARE);
}

static void op_int3(struct vcpu *v, const struct insn *i)
{
	software_interrupt(v, EXC_BP, EVENT_SOFTWARE);
}

static void op_into(struct vcpu *v, const struct insn *i)
{
	if (flags_arith(v) & EFL_OF)
		software_interrupt(v, EXC_OF, EVENT_SOFTWARE);
}

static void op_int1(struct vcpu *v, const struct insn *i)
{
	/* ICEBP: a #DB delivered like a hardware event (no DPL check). */
	v->s->eip = v->next_eip;
	exceptions_deliver(v, EXC_DB, EVENT_EXCEPTION, false, 0);
	follow_state(v);
}

static void op_iret(struct vcpu *v, const struct insn *i)
{
	far_iret(v, i->opsize);
	follow_state(v);
}

static void op_bound(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->opsize;
	uint32_t ea = op_ea(v, i, &i->op[1]);
	int32_t lo, hi, idx;
	uint32_t a = vmem_read(v, i->op[1].seg, ea, size);
	uint32_t b = vmem_read(v, i->op[1].seg, (ea + size) & (i->addrsize == 2 ? 0xffff : 0xffffffffu), size);
	uint32_t x = reg_read(v->s, i->op[0].reg, size);
	if (size == 2) {
		lo = (int16_t)a; hi = (int16_t)b; idx = (int16_t)x;
	} else {
		lo = (int32_t)a; hi = (int32_t)b; idx = (int32_t)x;
	}
	if (idx < lo || idx > hi)
		vcpu_fault_noerr(v, EXC_BR);
}

void ops_control_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_JMP] = op_jmp;
	static const uint16_t jcc[] = {
		ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,
		ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
		ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
		ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE,
	};
	for (int k = 0; k < 16; k++)
		t->fn[jcc[k]] = op_jcc;
	t->fn[ZYDIS_MNEMONIC_JCXZ] = op_jcxz;
	t->fn[ZYDIS_MNEMONIC_JECXZ] = op_jcxz;
	t->fn[ZYDIS_MNEMONIC_LOOP] = op_loop;
	t->fn[ZYDIS_MNEMONIC_LOOPE] = op_loope;
	t->fn[ZYDIS_MNEMONIC_LOOPNE] = op_loopne;
	t->fn[ZYDIS_MNEMONIC_CALL] = op_call;
	t->fn[ZYDIS_MNEMONIC_RET] = op_ret;
	t->fn[ZYDIS_MNEMONIC_INT] = op_int;
	t->fn[ZYDIS_MNEMONIC_INT3] = op_int3;
	t->fn[ZYDIS_MNEMONIC_INTO] = op_into;
	t->fn[ZYDIS_MNEMONIC_INT1] = op_int1;
	t->fn[ZYDIS_MNEMONIC_IRET] = op_iret;
	t->fn[ZYDIS_MNEMONIC_IRETD] = op_iret;
	t->fn[ZYDIS_MNEMONIC_BOUND] = op_bound;
}
