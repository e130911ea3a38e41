/*
 * flags.h - lazy arithmetic flags (CF PF AF ZF SF OF, SDM vol. 1 3.4.3.1).
 *
 * Most instructions set the six arithmetic flags and most of those flags
 * are never read. ALU handlers record the operation, size, operands and
 * result (flags_set); the flags are computed only when something reads
 * them (a condition, PUSHF, an interrupt frame, ADC's carry-in...). After
 * flags_materialize() the flags live in cpu->eflags and lf.op == LF_NONE.
 * Instructions with irregular flags (shifts, multiply, BCD, bit scans)
 * compute them directly and store them with flags_put().
 */
#ifndef SOFTVT_CPU_FLAGS_H
#define SOFTVT_CPU_FLAGS_H

#include "cpu/vcpu.h"

enum {
	LF_NONE,    /* flags are in cpu->eflags */
	LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC, LF_NEG,
};

#define EFL_ARITH (EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)

static inline void flags_set(struct vcpu *v, uint32_t op, uint32_t size, uint32_t res,
			     uint32_t dst, uint32_t src)
{
	v->lf.op = op;
	v->lf.size = size;
	v->lf.res = res;
	v->lf.dst = dst;
	v->lf.src = src;
}

/* The six arithmetic flags as EFLAGS bits. */
uint32_t flags_arith(const struct vcpu *v);

/* Writes the lazy flags into cpu->eflags; returns the whole EFLAGS. */
uint32_t flags_materialize(struct vcpu *v);

/* Sets the arithmetic flags to `bits` (only EFL_ARITH bits are used). */
static inline void flags_put(struct vcpu *v, uint32_t bits)
{
	v->s->eflags = (v->s->eflags & ~EFL_ARITH) | (bits & EFL_ARITH);
	v->lf.op = LF_NONE;
}

static inline bool flag_cf(const struct vcpu *v)
{
	return flags_arith(v) & EFL_CF;
}

/* Condition codes 0-15 in the order of Jcc/SETcc/CMOVcc (SDM vol. 1 B.1). */
bool cond_eval(const struct vcpu *v, unsigned cc);

/* Helpers for flag computations done by handlers. */
static inline uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static inline uint32_t sign_bit(unsigned size)
{
	return 1u << (8 * size - 1);
}

/* PF, ZF and SF of a result. */
static inline uint32_t flags_szp(uint32_t res, unsigned size)
{
	res &= size_mask(size);
	uint32_t f = 0;
	if (!__builtin_parity(res & 0xff))
		f |= EFL_PF;
	if (res == 0)
		f |= EFL_ZF;
	if (res & sign_bit(size))
		f |= EFL_SF;
	return f;
}

#endif
