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
	/* 32-bit only (ops_fast.c): dst = the operand, src = the count (1-31) */
	LF_SHL32, LF_SHR32, LF_SAR32,
	/* 32-bit only (ops_fast.c): dst = 1 when the product overflowed */
	LF_IMUL32,
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

/* Helpers for flag computations done by handlers. */
static inline uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static inline uint32_t sign_bit(unsigned size)
{
	return 1u << (8 * size - 1);
}

/*
 * CF alone, without the other five flags: ADC, SBB, SETB, CMOVAE and the
 * like read only the carry. The recorded operands and result are masked
 * to the operand size by every flags_set() caller.
 */
static inline bool flag_cf(const struct vcpu *v)
{
	const struct lazy_flags *lf = &v->lf;
	switch (lf->op) {
	case LF_NONE: return v->s->eflags & EFL_CF;
	case LF_ADD: return lf->res < lf->dst;
	case LF_ADC: return lf->cf_in ? lf->res <= lf->dst : lf->res < lf->dst;
	case LF_SUB: return lf->dst < lf->src;
	case LF_SBB: return lf->cf_in ? lf->dst <= lf->src : lf->dst < lf->src;
	case LF_LOGIC: return false;
	case LF_INC: case LF_DEC: return lf->cf_in;
	default: return flags_arith(v) & EFL_CF;
	}
}

/* Condition codes 0-15 in the order of Jcc/SETcc/CMOVcc (SDM vol. 1 B.1). */
bool cond_eval_slow(const struct vcpu *v, unsigned cc);

/*
 * The same, straight from the lazy operands for the common cases: ZF and
 * SF of any recorded result, every condition after SUB/CMP or a logical
 * operation, and B/AE after ADD; -1 for the rest (cond_eval_slow computes
 * all flags). Kept apart from the fallback so a caller can put the call of
 * cond_eval_slow in a cold function of its own.
 */
static inline int cond_eval_fast(const struct vcpu *v, unsigned cc)
{
	const struct lazy_flags *lf = &v->lf;
	bool r;
	if (lf->op == LF_NONE)
		return -1;
	uint32_t sign = sign_bit(lf->size);
	switch (cc >> 1) {
	case 2: r = lf->res == 0; break;                             /* Z */
	case 4: r = lf->res & sign; break;                           /* S */
	case 1:                                                      /* B */
		if (lf->op == LF_SUB)
			r = lf->dst < lf->src;
		else if (lf->op == LF_LOGIC)
			r = false;
		else if (lf->op == LF_ADD)
			r = lf->res < lf->dst;
		else
			return -1;
		break;
	case 3:                                                      /* BE */
		if (lf->op == LF_SUB)
			r = lf->dst <= lf->src;
		else if (lf->op == LF_LOGIC)
			r = lf->res == 0;
		else
			return -1;
		break;
	case 6: case 7: {                                            /* L, LE */
		if (lf->op == LF_SUB) {
			/* operands sign-extended from the operand size */
			uint32_t flip = sign;
			uint32_t d = (lf->dst ^ flip) - flip, s = (lf->src ^ flip) - flip;
			r = (cc >> 1) == 6 ? (int32_t)d < (int32_t)s : (int32_t)d <= (int32_t)s;
		} else if (lf->op == LF_LOGIC) {
			r = (lf->res & sign) || ((cc >> 1) == 7 && lf->res == 0);
		} else {
			return -1;
		}
		break;
	}
	default:
		return -1;
	}
	return (cc & 1) ? !r : r;
}

static inline bool cond_eval(const struct vcpu *v, unsigned cc)
{
	int r = cond_eval_fast(v, cc);
	return r >= 0 ? r : cond_eval_slow(v, cc);
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
