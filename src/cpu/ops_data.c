/*
 * ops_data.c - data movement and flag instructions: MOV (general and
 * segment registers; control/debug registers go to ops_system.c), MOVZX,
 * MOVSX, LEA, XCHG, CMOVcc, SETcc, NOP, CBW/CWDE/CWD/CDQ, LAHF/SAHF,
 * CLC/STC/CMC/CLD/STD, LDS/LES/LFS/LGS/LSS, XLAT.
 */
#include <Zydis/Zydis.h>

#include "cpu/interp.h"
#include "cpu/ops_common.h"
#include "cpu/ops_system.h"
#include "cpu/segments.h"

static void op_mov(struct vcpu *v, const struct insn *i)
{
	const struct operand *d = &i->op[0], *src = &i->op[1];
	if (d->kind == OPK_CR || src->kind == OPK_CR) {
		sys_mov_cr(v, i);
		return;
	}
	if (d->kind == OPK_DR || src->kind == OPK_DR) {
		sys_mov_dr(v, i);
		return;
	}
	if (d->kind == OPK_SREG) {
		if (d->reg == S_CS)
			vcpu_fault_noerr(v, EXC_UD);
		uint16_t sel = (uint16_t)op_read(v, i, 1);
		seg_load(v, d->reg, sel);
		if (d->reg == S_SS)
			v->s->int_shadow = true;   /* MOV SS blocks interrupts for one instruction */
		return;
	}
	op_write(v, i, 0, op_read(v, i, 1));
}

static void op_movzx(struct vcpu *v, const struct insn *i)
{
	op_write(v, i, 0, op_read(v, i, 1) & size_mask(i->op[1].size));
}

static void op_movsx(struct vcpu *v, const struct insn *i)
{
	uint32_t x = op_read(v, i, 1);
	x = i->op[1].size == 1 ? (uint32_t)(int32_t)(int8_t)x : (uint32_t)(int32_t)(int16_t)x;
	op_write(v, i, 0, x);
}

static void op_lea(struct vcpu *v, const struct insn *i)
{
	op_write(v, i, 0, op_ea(v, i, &i->op[1]));
}

static void op_xchg(struct vcpu *v, const struct insn *i)
{
	uint32_t a = op_read(v, i, 0), b = op_read(v, i, 1);
	/* Memory operand first, so a faulting store leaves the register alone. */
	if (i->op[0].kind == OPK_MEM) {
		op_write(v, i, 0, b);
		op_write(v, i, 1, a);
	} else {
		op_write(v, i, 1, a);
		op_write(v, i, 0, b);
	}
}

static void op_cmovcc(struct vcpu *v, const struct insn *i)
{
	uint32_t x = op_read(v, i, 1);   /* the source is read (and may fault) either way */
	if (cond_eval(v, i->opcode & 0xf))
		op_write(v, i, 0, x);
}

static void op_setcc(struct vcpu *v, const struct insn *i)
{
	op_write(v, i, 0, cond_eval(v, i->opcode & 0xf) ? 1 : 0);
}

static void op_nop(struct vcpu *v, const struct insn *i)
{
}

static void op_cbw(struct vcpu *v, const struct insn *i)
{
	reg_write(v->s, R_EAX, 2, (uint32_t)(int32_t)(int8_t)v->s->gpr[R_EAX]);
}

static void op_cwde(struct vcpu *v, const struct insn *i)
{
	v->s->gpr[R_EAX] = (uint32_t)(int32_t)(int16_t)v->s->gpr[R_EAX];
}

static void op_cwd(struct vcpu *v, const struct insn *i)
{
	reg_write(v->s, R_EDX, 2, (v->s->gpr[R_EAX] & 0x8000) ? 0xffff : 0);
}

static void op_cdq(struct vcpu *v, const struct insn *i)
{
	v->s->gpr[R_EDX] = (v->s->gpr[R_EAX] & 0x80000000u) ? 0xffffffffu : 0;
}

static void op_lahf(struct vcpu *v, const struct insn *i)
{
	reg_write(v->s, 4 /* AH */, 1, (flags_materialize(v) & 0xd5) | 0x02);
}

static void op_sahf(struct vcpu *v, const struct insn *i)
{
	uint32_t ah = reg_read(v->s, 4, 1);
	flags_materialize(v);
	flags_put(v, (v->s->eflags & EFL_OF) | (ah & (EFL_SF | EFL_ZF | EFL_AF | EFL_PF | EFL_CF)));
}

static void set_flag(struct vcpu *v, uint32_t bit, int how)
{
	flags_materialize(v);
	if (how > 0)
		v->s->eflags |= bit;
	else if (how < 0)
		v->s->eflags &= ~bit;
	else
		v->s->eflags ^= bit;
}

static void op_clc(struct vcpu *v, const struct insn *i) { set_flag(v, EFL_CF, -1); }
static void op_stc(struct vcpu *v, const struct insn *i) { set_flag(v, EFL_CF, 1); }
static void op_cmc(struct vcpu *v, const struct insn *i) { set_flag(v, EFL_CF, 0); }
static void op_cld(struct vcpu *v, const struct insn *i) { v->s->eflags &= ~EFL_DF; }
static void op_std(struct vcpu *v, const struct insn *i) { v->s->eflags |= EFL_DF; }

/* LDS/LES/LFS/LGS/LSS r, m16:16/32: offset first, selector after it. */
static void load_far_pointer(struct vcpu *v, const struct insn *i, int seg)
{
	if (i->op[1].kind != OPK_MEM)
		vcpu_fault_noerr(v, EXC_UD);
	unsigned size = i->opsize;
	uint32_t ea = op_ea(v, i, &i->op[1]);
	uint32_t off = vmem_read(v, i->op[1].seg, ea, size);
	uint16_t sel = (uint16_t)vmem_read(v, i->op[1].seg, (ea + size) & (i->addrsize == 2 ? 0xffff : 0xffffffffu), 2);
	seg_load(v, seg, sel);
	reg_write(v->s, i->op[0].reg, size, off);
	if (seg == S_SS)
		v->s->int_shadow = true;
}

static void op_lds(struct vcpu *v, const struct insn *i) { load_far_pointer(v, i, S_DS); }
static void op_les(struct vcpu *v, const struct insn *i) { load_far_pointer(v, i, S_ES); }
static void op_lfs(struct vcpu *v, const struct insn *i) { load_far_pointer(v, i, S_FS); }
static void op_lgs(struct vcpu *v, const struct insn *i) { load_far_pointer(v, i, S_GS); }
static void op_lss(struct vcpu *v, const struct insn *i) { load_far_pointer(v, i, S_SS); }

static void op_xlat(struct vcpu *v, const struct insn *i)
{
	uint32_t ea = v->s->gpr[R_EBX] + (v->s->gpr[R_EAX] & 0xff);
	if (i->addrsize == 2)
		ea &= 0xffff;
	reg_write(v->s, R_EAX, 1, vmem_read(v, i->seg, ea, 1));
}

void ops_data_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_MOV] = op_mov;
	t->fn[ZYDIS_MNEMONIC_MOVZX] = op_movzx;
	t->fn[ZYDIS_MNEMONIC_MOVSX] = op_movsx;
	t->fn[ZYDIS_MNEMONIC_LEA] = op_lea;
	t->fn[ZYDIS_MNEMONIC_XCHG] = op_xchg;
	static const uint16_t cmov[] = {
		ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
		ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
		ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
		ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE,
	};
	static const uint16_t setcc[] = {
		ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB,
		ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
		ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
		ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE,
	};
	for (int k = 0; k < 16; k++) {
		t->fn[cmov[k]] = op_cmovcc;
		t->fn[setcc[k]] = op_setcc;
	}
	t->fn[ZYDIS_MNEMONIC_NOP] = op_nop;
	t->fn[ZYDIS_MNEMONIC_PAUSE] = op_nop;
	t->fn[ZYDIS_MNEMONIC_CBW] = op_cbw;
	t->fn[ZYDIS_MNEMONIC_CWDE] = op_cwde;
	t->fn[ZYDIS_MNEMONIC_CWD] = op_cwd;
	t->fn[ZYDIS_MNEMONIC_CDQ] = op_cdq;
	t->fn[ZYDIS_MNEMONIC_LAHF] = op_lahf;
	t->fn[ZYDIS_MNEMONIC_SAHF] = op_sahf;
	t->fn[ZYDIS_MNEMONIC_CLC] = op_clc;
	t->fn[ZYDIS_MNEMONIC_STC] = op_stc;
	t->fn[ZYDIS_MNEMONIC_CMC] = op_cmc;
	t->fn[ZYDIS_MNEMONIC_CLD] = op_cld;
	t->fn[ZYDIS_MNEMONIC_STD] = op_std;
	t->fn[ZYDIS_MNEMONIC_LDS] = op_lds;
	t->fn[ZYDIS_MNEMONIC_LES] = op_les;
	t->fn[ZYDIS_MNEMONIC_LFS] = op_lfs;
	t->fn[ZYDIS_MNEMONIC_LGS] = op_lgs;
	t->fn[ZYDIS_MNEMONIC_LSS] = op_lss;
	t->fn[ZYDIS_MNEMONIC_XLAT] = op_xlat;
}
