/*
 * flags.c - computing the lazily recorded arithmetic flags (see flags.h).
 */
#include "cpu/flags.h"

uint32_t flags_arith(const struct vcpu *v)
{
	const struct lazy_flags *lf = &v->lf;
	if (lf->op == LF_NONE)
		return v->s->eflags & EFL_ARITH;
	uint32_t mask = size_mask(lf->size), sign = sign_bit(lf->size);
	uint32_t res = lf->res & mask, dst = lf->dst & mask, src = lf->src & mask;
	uint32_t f = flags_szp(res, lf->size);
	switch (lf->op) {
	case LF_ADD:
		if (res < dst)
			f |= EFL_CF;
		if ((dst ^ res) & (src ^ res) & sign)
			f |= EFL_OF;
		f |= (dst ^ src ^ res) & EFL_AF;
		break;
	case LF_ADC:
		if (lf->cf_in ? res <= dst : res < dst)
			f |= EFL_CF;
		if ((dst ^ res) & (src ^ res) & sign)
			f |= EFL_OF;
		f |= (dst ^ src ^ res) & EFL_AF;
		break;
	case LF_SUB:
		if (dst < src)
			f |= EFL_CF;
		if ((dst ^ src) & (dst ^ res) & sign)
			f |= EFL_OF;
		f |= (dst ^ src ^ res) & EFL_AF;
		break;
	case LF_SBB:
		if (lf->cf_in ? dst <= src : dst < src)
			f |= EFL_CF;
		if ((dst ^ src) & (dst ^ res) & sign)
			f |= EFL_OF;
		f |= (dst ^ src ^ res) & EFL_AF;
		break;
	case LF_LOGIC:
		break;
	case LF_INC:
		f |= lf->cf_in ? EFL_CF : 0;
		if (res == sign)
			f |= EFL_OF;
		if ((res & 0xf) == 0)
			f |= EFL_AF;
		break;
	case LF_DEC:
		f |= lf->cf_in ? EFL_CF : 0;
		if (res == sign - 1)
			f |= EFL_OF;
		if ((res & 0xf) == 0xf)
			f |= EFL_AF;
		break;
	case LF_SHL32:
		if ((dst >> (32 - src)) & 1)
			f |= EFL_CF;
		if (((res >> 31) ^ (dst >> (32 - src))) & 1)
			f |= EFL_OF;
		break;
	case LF_SHR32:
		if ((dst >> (src - 1)) & 1)
			f |= EFL_CF;
		if (dst & 0x80000000u)
			f |= EFL_OF;
		break;
	case LF_SAR32:
		if (((int32_t)dst >> (src - 1)) & 1)
			f |= EFL_CF;
		break;
	case LF_IMUL32:
		if (dst)
			f |= EFL_CF | EFL_OF;
		break;
	case LF_NEG:
		if (src != 0)
			f |= EFL_CF;
		if (src == sign)
			f |= EFL_OF;
		f |= (src ^ res) & EFL_AF;
		break;
	}
	return f;
}

uint32_t flags_materialize(struct vcpu *v)
{
	if (v->lf.op != LF_NONE) {
		v->s->eflags = (v->s->eflags & ~EFL_ARITH) | flags_arith(v);
		v->lf.op = LF_NONE;
	}
	return v->s->eflags;
}

bool cond_eval_slow(const struct vcpu *v, unsigned cc)
{
	uint32_t f = flags_arith(v);
	bool r;
	switch (cc >> 1) {
	case 0: r = f & EFL_OF; break;                                   /* O */
	case 1: r = f & EFL_CF; break;                                   /* B */
	case 2: r = f & EFL_ZF; break;                                   /* Z */
	case 3: r = f & (EFL_CF | EFL_ZF); break;                        /* BE */
	case 4: r = f & EFL_SF; break;                                   /* S */
	case 5: r = f & EFL_PF; break;                                   /* P */
	case 6: r = !(f & EFL_SF) != !(f & EFL_OF); break;               /* L */
	default: r = (f & EFL_ZF) || (!(f & EFL_SF) != !(f & EFL_OF)); break; /* LE */
	}
	return (cc & 1) ? !r : r;
}
