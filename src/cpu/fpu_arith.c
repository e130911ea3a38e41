/*
 * fpu_arith.c - x87 arithmetic, comparisons and transcendental functions
 * (SDM vol. 2A instruction pages, vol. 1 8.3.5-8.3.10):
 *   FADD FSUB FSUBR FMUL FDIV FDIVR, their P forms and FI.. integer forms;
 *   FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP FICOM FICOMP FTST FXAM, FCOMI
 *   FCOMIP FUCOMI FUCOMIP (ZF PF CF in EFLAGS);
 *   FCHS FABS FSQRT FRNDINT FSCALE FPREM FPREM1 FXTRACT, F2XM1 FYL2X
 *   FYL2XP1 FSIN FCOS FSINCOS FPTAN FPATAN.
 *
 * Each runs on the host x87 (fpu_host.c) with ST(0) and the other operand
 * (ST(i), ST(1) or the memory operand) in the host's ST(0)/ST(1): the host
 * computes the value, the exception flags, the condition codes and, for
 * unmasked exceptions, the processor's response (SDM vol. 1 4.9.2: #I #D
 * #Z leave the operands and TOP alone; #O #U #P deliver a result). The
 * guest stack then follows the host's: the destination takes the host's
 * register, and the guest pops (or pushes) exactly as the host did.
 *
 * Stack faults are decided here first (SDM vol. 1 8.5.1.1): an empty
 * operand is an underflow, a push onto a full ST(7) an overflow; masked,
 * the destination gets the QNaN indefinite and the pops happen; unmasked,
 * only the status word changes. Compares report "unordered" either way,
 * and the reducing functions clear C2, as the processor does.
 */
#include <Zydis/Zydis.h>

#include "cpu/fpu.h"
#include "cpu/ops_common.h"

/* --- FADD FSUB FSUBR FMUL FDIV FDIVR and their P and FI forms ---------------- */

/*
 * D8 ST(0) = ST(0) op ST(i); DC ST(i) = ST(i) op ST(0); DE the same and pop;
 * memory forms ST(0) = ST(0) op m32fp (D8) m64fp (DC) m32int (DA) m16int (DE).
 */
static void op_farith(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	struct fpu_host h = { 0 };
	bool mem = i->modrm_mod != 3;
	if (mem)
		fpu_mem_read(v, i, h.mem, i->op[0].size);
	unsigned r = mem ? 0 : i->modrm_rm;
	bool to_st0 = mem || i->opcode == 0xd8;
	bool pop = !mem && i->opcode == 0xde;
	if (fpu_empty(f, 0) || fpu_empty(f, r)) {
		if (fpu_stack_fault(f, false)) {
			fpu_set(f, to_st0 ? 0 : r, f80_indefinite());
			if (pop)
				fpu_pop(f);
		}
	} else {
		h.st[0] = fpu_st(f, 0);
		h.st[1] = fpu_st(f, r);
		fpu_host(v, &h, i, fpu_host_fop(i, 1));
		fpu_merge_sw(f, h.sw);
		if (to_st0) {
			fpu_set(f, 0, h.st[0]);
		} else if (h.pops > 0) {
			fpu_set(f, r, h.st[0]);
			fpu_pop(f);
		} else {
			fpu_set(f, r, h.st[1]);
		}
	}
	fpu_note(v, i);
}

/* --- comparisons ------------------------------------------------------------ */

/*
 * FCOM/FUCOM family: ST(0) against ST(i) (FCOMPP/FUCOMPP: ST(1)) or the
 * memory operand; `npop` pops. C3 C2 C0, or ZF PF CF for the FCOMI forms.
 */
static void compare(struct vcpu *v, const struct insn *i, unsigned npop, bool eflags)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	struct fpu_host h = { 0 };
	bool mem = i->modrm_mod != 3;
	if (mem)
		fpu_mem_read(v, i, h.mem, i->op[0].size);
	unsigned r = mem ? 0 : npop == 2 ? 1 : i->modrm_rm;
	if (fpu_empty(f, 0) || fpu_empty(f, r)) {
		/* "Unordered", even when the exception is unmasked. */
		bool masked = fpu_stack_fault(f, false);
		if (eflags)
			flags_put(v, EFL_ZF | EFL_PF | EFL_CF);
		else
			f->fsw |= FSW_C0 | FSW_C2 | FSW_C3;
		for (unsigned k = 0; masked && k < npop; k++)
			fpu_pop(f);
	} else {
		h.st[0] = fpu_st(f, 0);
		h.st[1] = fpu_st(f, r);
		if (eflags)
			h.eflags = flags_arith(v);
		fpu_host(v, &h, i, fpu_host_fop(i, 1));
		fpu_merge_sw(f, h.sw);
		if (eflags)
			flags_put(v, h.eflags);
		for (int k = 0; k < h.pops; k++)
			fpu_pop(f);
	}
	fpu_note(v, i);
}

static void op_fcom(struct vcpu *v, const struct insn *i) { compare(v, i, 0, false); }
static void op_fcomp(struct vcpu *v, const struct insn *i) { compare(v, i, 1, false); }
static void op_fcompp(struct vcpu *v, const struct insn *i) { compare(v, i, 2, false); }
static void op_fcomi(struct vcpu *v, const struct insn *i) { compare(v, i, 0, true); }
static void op_fcomip(struct vcpu *v, const struct insn *i) { compare(v, i, 1, true); }

/* FTST: ST(0) against +0.0. */
static void op_ftst(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	if (fpu_empty(f, 0)) {
		fpu_stack_fault(f, false);
		f->fsw |= FSW_C0 | FSW_C2 | FSW_C3;
	} else {
		struct fpu_host h = { 0 };
		h.st[0] = fpu_st(f, 0);
		fpu_host(v, &h, i, fpu_host_fop(i, i->modrm_rm));
		fpu_merge_sw(f, h.sw);
	}
	fpu_note(v, i);
}

/* FXAM: the class of ST(0) in C3 C2 C0, its sign in C1; "empty" (C3 C0)
 * comes from the tag, which the host does not see. */
static void op_fxam(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	struct f80 x = fpu_st(f, 0);
	if (fpu_empty(f, 0)) {
		f->fsw = (uint16_t)((f->fsw & ~FSW_CC) | FSW_C3 | FSW_C0 |
				    ((x.se & 0x8000) ? FSW_C1 : 0));
	} else {
		struct fpu_host h = { 0 };
		h.st[0] = x;
		fpu_host(v, &h, i, fpu_host_fop(i, i->modrm_rm));
		fpu_merge_sw(f, h.sw);
	}
	fpu_note(v, i);
}

/* --- functions of ST(0), and of ST(0) and ST(1) --------------------------- */

/* FPTAN FSIN FCOS FSINCOS FPREM FPREM1 report an incomplete reduction in
 * C2; a stack fault clears it. */
static void stack_fault_c2(struct fpu_state *f, const struct insn *i)
{
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_FPTAN: case ZYDIS_MNEMONIC_FSIN: case ZYDIS_MNEMONIC_FCOS:
	case ZYDIS_MNEMONIC_FSINCOS: case ZYDIS_MNEMONIC_FPREM: case ZYDIS_MNEMONIC_FPREM1:
		f->fsw &= (uint16_t)~FSW_C2;
		break;
	default:
		break;
	}
}

/* ST(0) = f(ST(0)): FCHS FABS FSQRT FRNDINT F2XM1 FSIN FCOS;
 * ST(0) = f(ST(0), ST(1)): FSCALE FPREM FPREM1 (`binary`). */
static void st0_op(struct vcpu *v, const struct insn *i, bool binary)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	if (fpu_empty(f, 0) || (binary && fpu_empty(f, 1))) {
		stack_fault_c2(f, i);
		if (fpu_stack_fault(f, false))
			fpu_set(f, 0, f80_indefinite());
	} else {
		struct fpu_host h = { 0 };
		h.st[0] = fpu_st(f, 0);
		h.st[1] = binary ? fpu_st(f, 1) : h.st[0];
		fpu_host(v, &h, i, fpu_host_fop(i, i->modrm_rm));
		fpu_merge_sw(f, h.sw);
		fpu_set(f, 0, h.st[0]);
	}
	fpu_note(v, i);
}

static void op_funary(struct vcpu *v, const struct insn *i) { st0_op(v, i, false); }
static void op_fbinary(struct vcpu *v, const struct insn *i) { st0_op(v, i, true); }

/* ST(1) = f(ST(1), ST(0)) and pop: FPATAN FYL2X FYL2XP1. */
static void op_fpop_binary(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	if (fpu_empty(f, 0) || fpu_empty(f, 1)) {
		if (fpu_stack_fault(f, false)) {
			fpu_set(f, 1, f80_indefinite());
			fpu_pop(f);
		}
	} else {
		struct fpu_host h = { 0 };
		h.st[0] = fpu_st(f, 0);
		h.st[1] = fpu_st(f, 1);
		fpu_host(v, &h, i, fpu_host_fop(i, i->modrm_rm));
		fpu_merge_sw(f, h.sw);
		if (h.pops > 0) {
			fpu_set(f, 1, h.st[0]);
			fpu_pop(f);
		}
	}
	fpu_note(v, i);
}

/* ST(0) = a, then push b: FPTAN (1.0 over tan), FSINCOS (cos over sin),
 * FXTRACT (significand over exponent). Without a push (FPTAN/FSINCOS out
 * of range: C2 = 1; unmasked exception) ST(0) is the host's ST(0). */
static void op_fpush_pair(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	bool under = fpu_empty(f, 0);
	if (under || !fpu_empty(f, 7)) {
		stack_fault_c2(f, i);
		if (fpu_stack_fault(f, !under)) {
			fpu_set(f, 0, f80_indefinite());
			fpu_push(f, f80_indefinite());
		}
	} else {
		struct fpu_host h = { 0 };
		h.st[0] = fpu_st(f, 0);
		h.st[1] = h.st[0];
		fpu_host(v, &h, i, fpu_host_fop(i, i->modrm_rm));
		fpu_merge_sw(f, h.sw);
		if (h.pops < 0) {
			fpu_set(f, 0, h.st[1]);
			fpu_push(f, h.st[0]);
		} else {
			fpu_set(f, 0, h.st[0]);
		}
	}
	fpu_note(v, i);
}

void fpu_arith_register(struct handler_table *t)
{
	static const uint16_t arith[] = {
		ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FIADD,
		ZYDIS_MNEMONIC_FSUB, ZYDIS_MNEMONIC_FSUBP, ZYDIS_MNEMONIC_FISUB,
		ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FSUBRP, ZYDIS_MNEMONIC_FISUBR,
		ZYDIS_MNEMONIC_FMUL, ZYDIS_MNEMONIC_FMULP, ZYDIS_MNEMONIC_FIMUL,
		ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FDIVP, ZYDIS_MNEMONIC_FIDIV,
		ZYDIS_MNEMONIC_FDIVR, ZYDIS_MNEMONIC_FDIVRP, ZYDIS_MNEMONIC_FIDIVR,
	};
	for (unsigned k = 0; k < sizeof(arith) / sizeof(arith[0]); k++)
		t->fn[arith[k]] = op_farith;
	t->fn[ZYDIS_MNEMONIC_FCOM] = op_fcom;
	t->fn[ZYDIS_MNEMONIC_FUCOM] = op_fcom;
	t->fn[ZYDIS_MNEMONIC_FICOM] = op_fcom;
	t->fn[ZYDIS_MNEMONIC_FCOMP] = op_fcomp;
	t->fn[ZYDIS_MNEMONIC_FUCOMP] = op_fcomp;
	t->fn[ZYDIS_MNEMONIC_FICOMP] = op_fcomp;
	t->fn[ZYDIS_MNEMONIC_FCOMPP] = op_fcompp;
	t->fn[ZYDIS_MNEMONIC_FUCOMPP] = op_fcompp;
	t->fn[ZYDIS_MNEMONIC_FCOMI] = op_fcomi;
	t->fn[ZYDIS_MNEMONIC_FUCOMI] = op_fcomi;
	t->fn[ZYDIS_MNEMONIC_FCOMIP] = op_fcomip;
	t->fn[ZYDIS_MNEMONIC_FUCOMIP] = op_fcomip;
	t->fn[ZYDIS_MNEMONIC_FTST] = op_ftst;
	t->fn[ZYDIS_MNEMONIC_FXAM] = op_fxam;
	t->fn[ZYDIS_MNEMONIC_FCHS] = op_funary;
	t->fn[ZYDIS_MNEMONIC_FABS] = op_funary;
	t->fn[ZYDIS_MNEMONIC_FSQRT] = op_funary;
	t->fn[ZYDIS_MNEMONIC_FRNDINT] = op_funary;
	t->fn[ZYDIS_MNEMONIC_F2XM1] = op_funary;
	t->fn[ZYDIS_MNEMONIC_FSIN] = op_funary;
	t->fn[ZYDIS_MNEMONIC_FCOS] = op_funary;
	t->fn[ZYDIS_MNEMONIC_FSCALE] = op_fbinary;
	t->fn[ZYDIS_MNEMONIC_FPREM] = op_fbinary;
	t->fn[ZYDIS_MNEMONIC_FPREM1] = op_fbinary;
	t->fn[ZYDIS_MNEMONIC_FPATAN] = op_fpop_binary;
	t->fn[ZYDIS_MNEMONIC_FYL2X] = op_fpop_binary;
	t->fn[ZYDIS_MNEMONIC_FYL2XP1] = op_fpop_binary;
	t->fn[ZYDIS_MNEMONIC_FPTAN] = op_fpush_pair;
	t->fn[ZYDIS_MNEMONIC_FSINCOS] = op_fpush_pair;
	t->fn[ZYDIS_MNEMONIC_FXTRACT] = op_fpush_pair;
}
