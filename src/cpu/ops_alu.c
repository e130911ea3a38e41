/*
 * ops_alu.c - integer arithmetic and logic: ADD ADC SUB SBB AND OR XOR CMP
 * TEST INC DEC NEG NOT, shifts and rotates, MUL IMUL DIV IDIV
 * (SDM vol. 2 instruction pages; flags per vol. 1 appendix A).
 *
 * Two-operand forms read the destination, compute, write the destination
 * (which may fault) and only then record the flags, so a faulting store
 * leaves the flags as they were.
 */
#include <Zydis/Zydis.h>

#include "cpu/interp.h"
#include "cpu/ops_common.h"

static void binop(struct vcpu *v, const struct insn *i, uint32_t lf_op, bool store)
{
	unsigned size = i->op[0].size;
	uint32_t dst = op_read(v, i, 0);
	uint32_t src = op_read(v, i, 1) & size_mask(size);
	uint32_t res, cin = 0;
	switch (lf_op) {
	case LF_ADD: res = dst + src; break;
	case LF_ADC: cin = flag_cf(v); res = dst + src + cin; break;
	case LF_SUB: res = dst - src; break;
	case LF_SBB: cin = flag_cf(v); res = dst - src - cin; break;
	default: res = 0; break;
	}
	res &= size_mask(size);
	if (store)
		op_write(v, i, 0, res);
	flags_set(v, lf_op, size, res, dst, src);
	v->lf.cf_in = cin;
}

static void op_add(struct vcpu *v, const struct insn *i) { binop(v, i, LF_ADD, true); }
static void op_adc(struct vcpu *v, const struct insn *i) { binop(v, i, LF_ADC, true); }
static void op_sub(struct vcpu *v, const struct insn *i) { binop(v, i, LF_SUB, true); }
static void op_sbb(struct vcpu *v, const struct insn *i) { binop(v, i, LF_SBB, true); }
static void op_cmp(struct vcpu *v, const struct insn *i) { binop(v, i, LF_SUB, false); }

static void logic(struct vcpu *v, const struct insn *i, int kind, bool store)
{
	unsigned size = i->op[0].size;
	uint32_t dst = op_read(v, i, 0);
	uint32_t src = op_read(v, i, 1);
	uint32_t res = kind == 0 ? dst & src : kind == 1 ? dst | src : dst ^ src;
	res &= size_mask(size);
	if (store)
		op_write(v, i, 0, res);
	flags_set(v, LF_LOGIC, size, res, 0, 0);
}

static void op_and(struct vcpu *v, const struct insn *i) { logic(v, i, 0, true); }
static void op_or(struct vcpu *v, const struct insn *i) { logic(v, i, 1, true); }
static void op_xor(struct vcpu *v, const struct insn *i) { logic(v, i, 2, true); }
static void op_test(struct vcpu *v, const struct insn *i) { logic(v, i, 0, false); }

static void incdec(struct vcpu *v, const struct insn *i, bool inc)
{
	unsigned size = i->op[0].size;
	uint32_t dst = op_read(v, i, 0);
	uint32_t res = (inc ? dst + 1 : dst - 1) & size_mask(size);
	uint32_t cf = flag_cf(v);
	op_write(v, i, 0, res);
	flags_set(v, inc ? LF_INC : LF_DEC, size, res, dst, 1);
	v->lf.cf_in = cf;
}

static void op_inc(struct vcpu *v, const struct insn *i) { incdec(v, i, true); }
static void op_dec(struct vcpu *v, const struct insn *i) { incdec(v, i, false); }

static void op_neg(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->op[0].size;
	uint32_t src = op_read(v, i, 0);
	uint32_t res = (0u - src) & size_mask(size);
	op_write(v, i, 0, res);
	flags_set(v, LF_NEG, size, res, 0, src);
}

static void op_not(struct vcpu *v, const struct insn *i)
{
	op_write(v, i, 0, ~op_read(v, i, 0));
}

/* --- shifts and rotates (SDM vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR) --- */

enum shift_kind { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAR };

static void shift(struct vcpu *v, const struct insn *i, enum shift_kind kind)
{
	unsigned size = i->op[0].size, bits = 8 * size;
	uint32_t mask = size_mask(size), sign = sign_bit(size);
	uint32_t count = (i->nops > 1 ? op_read(v, i, 1) : 1) & 0x1f;
	uint32_t dst = op_read(v, i, 0) & mask;
	if (kind == SH_RCL || kind == SH_RCR)
		count %= bits + 1;
	if (count == 0) {
		/* No flags change (SDM), but a memory destination is still written
		 * back: a read-only one faults, as on the processor (checked against
		 * the host by tests/unit/test_diff_alu.c). */
		if (i->op[0].kind == OPK_MEM)
			op_write(v, i, 0, dst);
		return;
	}
	uint32_t f = flags_arith(v);
	uint32_t cf = f & EFL_CF, res = dst;
	switch (kind) {
	case SH_ROL: {
		unsigned c = count % bits;
		res = c ? ((dst << c) | (dst >> (bits - c))) & mask : dst;
		cf = res & 1;
		f = (f & ~(EFL_CF | EFL_OF)) | (cf ? EFL_CF : 0) |
		    (((res & sign) ? 1u : 0u) ^ cf ? EFL_OF : 0);
		break;
	}
	case SH_ROR: {
		unsigned c = count % bits;
		res = c ? ((dst >> c) | (dst << (bits - c))) & mask : dst;
		cf = (res & sign) ? 1 : 0;
		uint32_t msb1 = (res >> (bits - 2)) & 1;
		f = (f & ~(EFL_CF | EFL_OF)) | (cf ? EFL_CF : 0) | ((cf ^ msb1) ? EFL_OF : 0);
		break;
	}
	case SH_RCL: {
		uint64_t wide = ((uint64_t)(cf ? 1 : 0) << bits) | dst;   /* CF:dst, bits+1 wide */
		uint64_t wmask = (1ull << (bits + 1)) - 1;
		wide = ((wide << count) | (wide >> (bits + 1 - count))) & wmask;
		res = (uint32_t)wide & mask;
		cf = (uint32_t)(wide >> bits) & 1;
		f = (f & ~(EFL_CF | EFL_OF)) | (cf ? EFL_CF : 0) |
		    ((((res & sign) ? 1u : 0u) ^ cf) ? EFL_OF : 0);
		break;
	}
	case SH_RCR: {
		uint32_t of = (((dst & sign) ? 1u : 0u) ^ (cf ? 1u : 0u));
		uint64_t wide = ((uint64_t)(cf ? 1 : 0) << bits) | dst;
		uint64_t wmask = (1ull << (bits + 1)) - 1;
		wide = ((wide >> count) | (wide << (bits + 1 - count))) & wmask;
		res = (uint32_t)wide & mask;
		cf = (uint32_t)(wide >> bits) & 1;
		f = (f & ~(EFL_CF | EFL_OF)) | (cf ? EFL_CF : 0) | (of ? EFL_OF : 0);
		break;
	}
	case SH_SHL:
		res = count < 32 ? (dst << count) & mask : 0;
		cf = count <= bits ? (dst >> (bits - count)) & 1 : 0;
		f = flags_szp(res, size) | (cf ? EFL_CF : 0) |
		    ((((res & sign) ? 1u : 0u) ^ cf) ? EFL_OF : 0);
		break;
	case SH_SHR:
		res = dst >> count;
		cf = (dst >> (count - 1)) & 1;
		f = flags_szp(res, size) | (cf ? EFL_CF : 0) | ((dst & sign) ? EFL_OF : 0);
		break;
	case SH_SAR: {
		int32_t sdst = (int32_t)(dst << (32 - bits)) >> (32 - bits);
		unsigned c = count < bits ? count : bits - 1;
		res = (uint32_t)(sdst >> c) & mask;
		cf = count < bits ? (uint32_t)(sdst >> (count - 1)) & 1 : (dst & sign) ? 1 : 0;
		f = flags_szp(res, size) | (cf ? EFL_CF : 0);
		break;
	}
	}
	op_write(v, i, 0, res);
	flags_put(v, f);
}

static void op_rol(struct vcpu *v, const struct insn *i) { shift(v, i, SH_ROL); }
static void op_ror(struct vcpu *v, const struct insn *i) { shift(v, i, SH_ROR); }
static void op_rcl(struct vcpu *v, const struct insn *i) { shift(v, i, SH_RCL); }
static void op_rcr(struct vcpu *v, const struct insn *i) { shift(v, i, SH_RCR); }
static void op_shl(struct vcpu *v, const struct insn *i) { shift(v, i, SH_SHL); }
static void op_shr(struct vcpu *v, const struct insn *i) { shift(v, i, SH_SHR); }
static void op_sar(struct vcpu *v, const struct insn *i) { shift(v, i, SH_SAR); }

/* SHLD/SHRD (SDM vol. 2B): count masked to 5 bits; > operand size undefined. */
static void double_shift(struct vcpu *v, const struct insn *i, bool left)
{
	unsigned size = i->op[0].size, bits = 8 * size;
	uint32_t count = op_read(v, i, 2) & 0x1f;
	uint32_t dst = op_read(v, i, 0), src = op_read(v, i, 1);
	if (count == 0) {
		if (i->op[0].kind == OPK_MEM)
			op_write(v, i, 0, dst);   /* written back, as shifts by 0 (see shift()) */
		return;
	}
	uint64_t res64;
	uint32_t cf;
	if (count > bits) {
		/* Only 16-bit operands get here; the result is undefined (SDM). This
		 * models the 48-bit dst:src:dst pattern that Intel parts rotate. */
		uint64_t cat = left ? ((uint64_t)dst << 32) | ((uint64_t)src << 16) | dst
				    : ((uint64_t)dst << 32) | ((uint64_t)src << 16) | dst;
		res64 = left ? cat >> (32 - count) : cat >> count;
		cf = left ? (uint32_t)(cat >> (48 - count)) & 1 : (uint32_t)(cat >> (count - 1)) & 1;
	} else if (left) {
		res64 = ((uint64_t)dst << count) | ((uint64_t)src >> (bits - count));
		cf = (dst >> (bits - count)) & 1;
	} else {
		res64 = ((uint64_t)dst >> count) | ((uint64_t)src << (bits - count));
		cf = (dst >> (count - 1)) & 1;
	}
	uint32_t res = (uint32_t)res64 & size_mask(size);
	op_write(v, i, 0, res);
	uint32_t f = flags_szp(res, size) | (cf ? EFL_CF : 0);
	if (((res ^ dst) & sign_bit(size)))
		f |= EFL_OF;
	flags_put(v, f);
}

static void op_shld(struct vcpu *v, const struct insn *i) { double_shift(v, i, true); }
static void op_shrd(struct vcpu *v, const struct insn *i) { double_shift(v, i, false); }

/* --- multiply and divide ------------------------------------------------ */

static void op_mul(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	unsigned size = i->op[0].size;
	uint64_t a = reg_read(s, R_EAX, size), b = op_read(v, i, 0);
	uint64_t r = a * b;
	bool high;
	if (size == 1) {
		reg_write(s, R_EAX, 2, (uint32_t)r);
		high = r >> 8;
	} else {
		reg_write(s, R_EAX, size, (uint32_t)r);
		reg_write(s, R_EDX, size, (uint32_t)(r >> (8 * size)));
		high = r >> (8 * size);
	}
	uint32_t f = flags_szp((uint32_t)r, size) | (high ? EFL_CF | EFL_OF : 0);
	flags_put(v, f);
}

static int32_t sext(uint32_t x, unsigned size)
{
	return size == 4 ? (int32_t)x : size == 2 ? (int16_t)x : (int8_t)x;
}

static void op_imul(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	unsigned size = i->op[0].size;
	if (i->nops == 1) {
		int64_t a = sext(reg_read(s, R_EAX, size), size);
		int64_t b = sext(op_read(v, i, 0), size);
		int64_t r = a * b;
		bool overflow = r != sext((uint32_t)r, size);
		if (size == 1) {
			reg_write(s, R_EAX, 2, (uint32_t)r);
		} else {
			reg_write(s, R_EAX, size, (uint32_t)r);
			reg_write(s, R_EDX, size, (uint32_t)((uint64_t)r >> (8 * size)));
		}
		flags_put(v, flags_szp((uint32_t)r, size) | (overflow ? EFL_CF | EFL_OF : 0));
		return;
	}
	int64_t a = sext(op_read(v, i, i->nops == 3 ? 1 : 0), size);
	int64_t b = sext(op_read(v, i, i->nops == 3 ? 2 : 1), size);
	int64_t r = a * b;
	bool overflow = r != sext((uint32_t)r, size);
	op_write(v, i, 0, (uint32_t)r);
	flags_put(v, flags_szp((uint32_t)r, size) | (overflow ? EFL_CF | EFL_OF : 0));
}

static void op_div(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	unsigned size = i->op[0].size;
	uint64_t divisor = op_read(v, i, 0);
	if (divisor == 0)
		vcpu_fault_noerr(v, EXC_DE);
	uint64_t dividend = size == 1 ? reg_read(s, R_EAX, 2)
				      : reg_read(s, R_EAX, size) |
						(uint64_t)reg_read(s, R_EDX, size) << (8 * size);
	uint64_t q = dividend / divisor, r = dividend % divisor;
	if (q > size_mask(size))
		vcpu_fault_noerr(v, EXC_DE);
	if (size == 1) {
		reg_write(s, R_EAX, 2, (uint32_t)(q | r << 8));
	} else {
		reg_write(s, R_EAX, size, (uint32_t)q);
		reg_write(s, R_EDX, size, (uint32_t)r);
	}
}

static void op_idiv(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	unsigned size = i->op[0].size;
	int64_t divisor = sext(op_read(v, i, 0), size);
	if (divisor == 0)
		vcpu_fault_noerr(v, EXC_DE);
	int64_t dividend;
	if (size == 1)
		dividend = (int16_t)reg_read(s, R_EAX, 2);
	else if (size == 2)
		dividend = (int32_t)(reg_read(s, R_EAX, 2) | reg_read(s, R_EDX, 2) << 16);
	else
		dividend = (int64_t)((uint64_t)s->gpr[R_EAX] | (uint64_t)s->gpr[R_EDX] << 32);
	if (dividend == INT64_MIN && divisor == -1)
		vcpu_fault_noerr(v, EXC_DE);
	int64_t q = dividend / divisor, r = dividend % divisor;
	int64_t lim = (int64_t)1 << (8 * size - 1);
	if (q >= lim || q < -lim)
		vcpu_fault_noerr(v, EXC_DE);
	if (size == 1) {
		reg_write(s, R_EAX, 2, (uint32_t)((q & 0xff) | (r & 0xff) << 8));
	} else {
		reg_write(s, R_EAX, size, (uint32_t)q);
		reg_write(s, R_EDX, size, (uint32_t)r);
	}
}

void ops_alu_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_ADD] = op_add;
	t->fn[ZYDIS_MNEMONIC_ADC] = op_adc;
	t->fn[ZYDIS_MNEMONIC_SUB] = op_sub;
	t->fn[ZYDIS_MNEMONIC_SBB] = op_sbb;
	t->fn[ZYDIS_MNEMONIC_CMP] = op_cmp;
	t->fn[ZYDIS_MNEMONIC_AND] = op_and;
	t->fn[ZYDIS_MNEMONIC_OR] = op_or;
	t->fn[ZYDIS_MNEMONIC_XOR] = op_xor;
	t->fn[ZYDIS_MNEMONIC_TEST] = op_test;
	t->fn[ZYDIS_MNEMONIC_INC] = op_inc;
	t->fn[ZYDIS_MNEMONIC_DEC] = op_dec;
	t->fn[ZYDIS_MNEMONIC_NEG] = op_neg;
	t->fn[ZYDIS_MNEMONIC_NOT] = op_not;
	t->fn[ZYDIS_MNEMONIC_ROL] = op_rol;
	t->fn[ZYDIS_MNEMONIC_ROR] = op_ror;
	t->fn[ZYDIS_MNEMONIC_RCL] = op_rcl;
	t->fn[ZYDIS_MNEMONIC_RCR] = op_rcr;
	t->fn[ZYDIS_MNEMONIC_SHL] = op_shl;
	t->fn[ZYDIS_MNEMONIC_SHR] = op_shr;
	t->fn[ZYDIS_MNEMONIC_SAR] = op_sar;
	t->fn[ZYDIS_MNEMONIC_SHLD] = op_shld;
	t->fn[ZYDIS_MNEMONIC_SHRD] = op_shrd;
	t->fn[ZYDIS_MNEMONIC_MUL] = op_mul;
	t->fn[ZYDIS_MNEMONIC_IMUL] = op_imul;
	t->fn[ZYDIS_MNEMONIC_DIV] = op_div;
	t->fn[ZYDIS_MNEMONIC_IDIV] = op_idiv;
}
