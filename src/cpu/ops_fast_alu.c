/*
 * ops_fast_alu.c - the specialized ADD ADC SUB SBB CMP AND OR XOR TEST
 * (see ops_fast.c): register, immediate and memory forms at 8 and 32 bits,
 * each doing what binop()/logic() of ops_alu.c do for that form (the
 * destination written before the flags are recorded, so a faulting store
 * leaves the flags alone).
 */
#include <Zydis/Zydis.h>
#include <stddef.h>

#include "cpu/ops_fast.h"

enum alu { A_ADD, A_ADC, A_SUB, A_SBB, A_CMP, A_AND, A_OR, A_XOR, A_TEST };

/* The result of d op s (s already masked to size), with the carry-in *cin. */
static inline uint32_t alu_calc(struct vcpu *v, enum alu op, unsigned size, uint32_t d, uint32_t s,
				uint32_t *cin)
{
	uint32_t r;
	*cin = 0;
	switch (op) {
	case A_ADD: r = d + s; break;
	case A_ADC: *cin = flag_cf(v); r = d + s + *cin; break;
	case A_SUB: case A_CMP: r = d - s; break;
	case A_SBB: *cin = flag_cf(v); r = d - s - *cin; break;
	case A_AND: case A_TEST: r = d & s; break;
	case A_OR: r = d | s; break;
	default: r = d ^ s; break;
	}
	return r & size_mask(size);
}

/*
 * Records the flags; only what flags.[ch] read for the operation: the
 * carry-in for ADC and SBB only, the result alone for the logical ones.
 */
static inline void alu_flags(struct vcpu *v, enum alu op, unsigned size, uint32_t r, uint32_t d,
			     uint32_t s, uint32_t cin)
{
	switch (op) {
	case A_ADD: flags_set(v, LF_ADD, size, r, d, s); break;
	case A_ADC: flags_set(v, LF_ADC, size, r, d, s); v->lf.cf_in = cin; break;
	case A_SUB: case A_CMP: flags_set(v, LF_SUB, size, r, d, s); break;
	case A_SBB: flags_set(v, LF_SBB, size, r, d, s); v->lf.cf_in = cin; break;
	default:
		v->lf.op = LF_LOGIC;
		v->lf.size = size;
		v->lf.res = r;
		break;
	}
}

static inline bool alu_stores(enum alu op)
{
	return op != A_CMP && op != A_TEST;
}

#define ALU_FORMS(name, OP, SZ)                                                           \
static void name##_rr_##SZ(struct vcpu *v, const struct insn *i)                          \
{                                                                                         \
	uint32_t d = reg_read(v->s, i->op[0].reg, SZ), s = reg_read(v->s, i->op[1].reg, SZ), c; \
	uint32_t r = alu_calc(v, OP, SZ, d, s, &c);                                       \
	if (alu_stores(OP))                                                               \
		reg_write(v->s, i->op[0].reg, SZ, r);                                     \
	alu_flags(v, OP, SZ, r, d, s, c);                                                 \
	insn_chain(v, i);                                                                 \
}                                                                                         \
static void name##_ri_##SZ(struct vcpu *v, const struct insn *i)                          \
{                                                                                         \
	uint32_t d = reg_read(v->s, i->op[0].reg, SZ), s = i->op[1].val & size_mask(SZ), c; \
	uint32_t r = alu_calc(v, OP, SZ, d, s, &c);                                       \
	if (alu_stores(OP))                                                               \
		reg_write(v->s, i->op[0].reg, SZ, r);                                     \
	alu_flags(v, OP, SZ, r, d, s, c);                                                 \
	insn_chain(v, i);                                                                 \
}                                                                                         \
static inline void name##_rm_##SZ##_do(struct vcpu *v, const struct insn *i, uint32_t s)  \
{                                                                                         \
	uint32_t d = reg_read(v->s, i->op[0].reg, SZ), c;                                 \
	uint32_t r = alu_calc(v, OP, SZ, d, s, &c);                                       \
	if (alu_stores(OP))                                                               \
		reg_write(v->s, i->op[0].reg, SZ, r);                                     \
	alu_flags(v, OP, SZ, r, d, s, c);                                                 \
	insn_chain(v, i);                                                                 \
}                                                                                         \
/* the checked read out of line: no call on the fast path (ops_fast.c) */                 \
static __attribute__((noinline, cold)) void name##_rm_##SZ##_slow(struct vcpu *v,        \
								  const struct insn *i)   \
{                                                                                         \
	insn_sync(v, i);                                                                  \
	name##_rm_##SZ##_do(v, i, mem_read_slow(v, SEG(1), EA(1), SZ));                   \
}                                                                                         \
static void name##_rm_##SZ(struct vcpu *v, const struct insn *i)                          \
{                                                                                         \
	uint32_t s;                                                                       \
	if (__builtin_expect(!mem_read_try(v, SEG(1), EA(1), SZ, &s), 0)) {               \
		name##_rm_##SZ##_slow(v, i);                                              \
		return;                                                                   \
	}                                                                                 \
	name##_rm_##SZ##_do(v, i, s);                                                     \
}                                                                                         \
static void name##_mr_##SZ(struct vcpu *v, const struct insn *i)                          \
{                                                                                         \
	uint32_t ea = EA(0);                                                              \
	uint32_t d = alu_stores(OP) ? fast_read_rmw(v, i, SEG(0), ea, SZ)                 \
				    : fast_read(v, i, SEG(0), ea, SZ);                    \
	uint32_t s = reg_read(v->s, i->op[1].reg, SZ), c;                                 \
	uint32_t r = alu_calc(v, OP, SZ, d, s, &c);                                       \
	if (alu_stores(OP))                                                               \
		fast_write(v, i, SEG(0), ea, SZ, r);                                          \
	alu_flags(v, OP, SZ, r, d, s, c);                                                 \
	insn_chain(v, i);                                                                 \
}                                                                                         \
static void name##_mi_##SZ(struct vcpu *v, const struct insn *i)                          \
{                                                                                         \
	uint32_t ea = EA(0);                                                              \
	uint32_t d = alu_stores(OP) ? fast_read_rmw(v, i, SEG(0), ea, SZ)                 \
				    : fast_read(v, i, SEG(0), ea, SZ);                    \
	uint32_t s = i->op[1].val & size_mask(SZ), c;                                     \
	uint32_t r = alu_calc(v, OP, SZ, d, s, &c);                                       \
	if (alu_stores(OP))                                                               \
		fast_write(v, i, SEG(0), ea, SZ, r);                                          \
	alu_flags(v, OP, SZ, r, d, s, c);                                                 \
	insn_chain(v, i);                                                                 \
}

#define ALU_OP(name, OP) ALU_FORMS(name, OP, 1) ALU_FORMS(name, OP, 4)
ALU_OP(add, A_ADD)
ALU_OP(adc, A_ADC)
ALU_OP(sub, A_SUB)
ALU_OP(sbb, A_SBB)
ALU_OP(cmp, A_CMP)
ALU_OP(and, A_AND)
ALU_OP(or, A_OR)
ALU_OP(xor, A_XOR)
ALU_OP(test, A_TEST)

/* Handlers of one ALU operation: [form][size 1 or 4], forms RR RI RM MR MI. */
#define ALU_ROW(name) { { name##_rr_1, name##_rr_4 }, { name##_ri_1, name##_ri_4 },       \
			{ name##_rm_1, name##_rm_4 }, { name##_mr_1, name##_mr_4 },       \
			{ name##_mi_1, name##_mi_4 } }
static const insn_handler alu_table[][5][2] = {
	[A_ADD] = ALU_ROW(add), [A_ADC] = ALU_ROW(adc), [A_SUB] = ALU_ROW(sub),
	[A_SBB] = ALU_ROW(sbb), [A_CMP] = ALU_ROW(cmp), [A_AND] = ALU_ROW(and),
	[A_OR] = ALU_ROW(or), [A_XOR] = ALU_ROW(xor), [A_TEST] = ALU_ROW(test),
};

static insn_handler select_form(const struct insn *i, enum alu op)
{
	const struct operand *d = &i->op[0], *s = &i->op[1];
	unsigned size = d->size, z = size == 4;
	if (i->nops != 2 || (size != 1 && size != 4) || i->opsize != size)
		return NULL;
	if (is_reg(d, size) && is_reg(s, size))
		return alu_table[op][0][z];
	if (is_reg(d, size) && is_imm(s))
		return alu_table[op][1][z];
	if (is_reg(d, size) && is_mem(i, s, size))
		return alu_table[op][2][z];
	if (is_mem(i, d, size) && is_reg(s, size))
		return alu_table[op][3][z];
	if (is_mem(i, d, size) && is_imm(s))
		return alu_table[op][4][z];
	return NULL;
}

insn_handler ops_fast_alu_select(const struct insn *i)
{
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_ADD: return select_form(i, A_ADD);
	case ZYDIS_MNEMONIC_ADC: return select_form(i, A_ADC);
	case ZYDIS_MNEMONIC_SUB: return select_form(i, A_SUB);
	case ZYDIS_MNEMONIC_SBB: return select_form(i, A_SBB);
	case ZYDIS_MNEMONIC_CMP: return select_form(i, A_CMP);
	case ZYDIS_MNEMONIC_AND: return select_form(i, A_AND);
	case ZYDIS_MNEMONIC_OR: return select_form(i, A_OR);
	case ZYDIS_MNEMONIC_XOR: return select_form(i, A_XOR);
	case ZYDIS_MNEMONIC_TEST: return select_form(i, A_TEST);
	default: return NULL;
	}
}
