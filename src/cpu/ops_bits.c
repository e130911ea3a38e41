/*
 * ops_bits.c - bit and exchange-type integer instructions: BT BTS BTR BTC
 * BSF BSR BSWAP XADD CMPXCHG CMPXCHG8B, the BCD adjustments AAA AAS AAM
 * AAD DAA DAS, and SALC (SDM vol. 2 instruction pages).
 *
 * Flags the SDM calls undefined are left as they were, or cleared where
 * the handler computes a fresh set anyway (each handler says which).
 * Processors disagree on them (the AMD host of the differential test
 * tests/unit/test_diff_bits.c computes most of them differently), so
 * guests cannot depend on them and the tests do not compare them.
 *
 * Memory forms read, compute and write the memory operand before any
 * register or flag changes, so a faulting store leaves the instruction
 * undone (vcpu.h).
 */
#include <Zydis/Zydis.h>

#include "cpu/interp.h"
#include "cpu/ops_common.h"

/* --- BT BTS BTR BTC (SDM vol. 2A "BT": bit base and bit offset) --------- */

enum bt_kind { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

/*
 * A register bit base takes the offset modulo the operand size. A memory
 * bit base with a register offset addresses the whole bit string: the
 * offset is a signed operand-size integer, the operand read is the one
 * at EA + size * (offset SAR log2(bits)) (SDM table 3-2: 16-bit offsets
 * reach -2^15..2^15-1, 32-bit ones -2^31..2^31-1). An immediate offset
 * is taken modulo the operand size in both cases. CF gets the bit; ZF is
 * unaffected; OF SF AF PF are undefined and left unchanged.
 */
static void bit_test(struct vcpu *v, const struct insn *i, enum bt_kind kind)
{
	unsigned size = i->op[0].size, bits = 8 * size;
	uint32_t off = op_read(v, i, 1);
	uint32_t val, bit;
	uint32_t ea = 0;
	const struct operand *o = &i->op[0];
	bool mem = o->kind == OPK_MEM;
	if (mem && i->op[1].kind == OPK_REG) {
		int32_t soff = size == 2 ? (int16_t)off : (int32_t)off;
		int32_t word = soff >> (size == 2 ? 4 : 5);
		ea = op_ea(v, i, o) + (uint32_t)word * size;
		if (i->addrsize == 2)
			ea &= 0xffff;
		bit = (uint32_t)soff & (bits - 1);
		val = kind != BT_TEST ? vmem_read_rmw(v, o->seg, ea, size)
				      : vmem_read(v, o->seg, ea, size);
	} else {
		bit = off & (bits - 1);
		if (mem)
			ea = op_ea(v, i, o);
		val = !mem ? reg_read(v->s, o->reg, size)
		      : kind != BT_TEST ? vmem_read_rmw(v, o->seg, ea, size)
					: vmem_read(v, o->seg, ea, size);
	}
	uint32_t cf = (val >> bit) & 1;
	if (kind != BT_TEST) {
		uint32_t m = 1u << bit;
		val = kind == BT_SET ? val | m : kind == BT_RESET ? val & ~m : val ^ m;
		if (mem)
			vmem_write(v, o->seg, ea, size, val);
		else
			reg_write(v->s, o->reg, size, val);
	}
	flags_put(v, (flags_arith(v) & ~EFL_CF) | (cf ? EFL_CF : 0));
}

static void op_bt(struct vcpu *v, const struct insn *i) { bit_test(v, i, BT_TEST); }
static void op_bts(struct vcpu *v, const struct insn *i) { bit_test(v, i, BT_SET); }
static void op_btr(struct vcpu *v, const struct insn *i) { bit_test(v, i, BT_RESET); }
static void op_btc(struct vcpu *v, const struct insn *i) { bit_test(v, i, BT_COMPLEMENT); }

/* --- BSF BSR ------------------------------------------------------------- */

/*
 * ZF = (source == 0). With a zero source the SDM leaves the destination
 * undefined; AMD documents it as unchanged, Intel processors behave the
 * same (and this host does, checked by test_diff_bits.c), and so does
 * softvt: no write at all. CF OF SF AF PF are undefined and left
 * unchanged.
 */
static void bit_scan(struct vcpu *v, const struct insn *i, bool reverse)
{
	unsigned size = i->op[0].size;
	uint32_t src = op_read(v, i, 1) & size_mask(size);
	uint32_t f = flags_arith(v) & ~EFL_ZF;
	if (src == 0) {
		flags_put(v, f | EFL_ZF);
		return;
	}
	op_write(v, i, 0, reverse ? 31u - (uint32_t)__builtin_clz(src) : (uint32_t)__builtin_ctz(src));
	flags_put(v, f);
}

static void op_bsf(struct vcpu *v, const struct insn *i) { bit_scan(v, i, false); }
static void op_bsr(struct vcpu *v, const struct insn *i) { bit_scan(v, i, true); }

/*
 * BSWAP r32 reverses the bytes. With a 16-bit operand the result is
 * undefined (SDM); processors clear the low 16 bits (the AMD host of
 * test_diff_bits.c does, Intel parts are reported to), and so does softvt.
 */
static void op_bswap(struct vcpu *v, const struct insn *i)
{
	unsigned r = i->op[0].reg;
	if (i->op[0].size == 2)
		reg_write(v->s, r, 2, 0);
	else
		v->s->gpr[r] = __builtin_bswap32(v->s->gpr[r]);
}

/* --- XADD CMPXCHG CMPXCHG8B ---------------------------------------------- */

/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. Flags as ADD. */
static void op_xadd(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->op[0].size;
	uint32_t dst = op_read(v, i, 0), src = op_read(v, i, 1);
	uint32_t sum = (dst + src) & size_mask(size);
	if (i->op[0].kind == OPK_MEM) {
		op_write(v, i, 0, sum);     /* may fault: before the register changes */
		op_write(v, i, 1, dst);
	} else {
		op_write(v, i, 1, dst);     /* XADD r, r with one register: the sum wins */
		op_write(v, i, 0, sum);
	}
	flags_set(v, LF_ADD, size, sum, dst, src);
}

/*
 * CMPXCHG: compare the accumulator with the destination (flags as CMP
 * accumulator, destination). Equal: destination = source; else the
 * accumulator gets the destination. A memory destination is written in
 * both cases (the old value back on a mismatch, SDM "CMPXCHG"), so a
 * read-only page faults either way.
 */
static void op_cmpxchg(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->op[0].size;
	uint32_t acc = reg_read(v->s, R_EAX, size);
	uint32_t dst = op_read(v, i, 0), src = op_read(v, i, 1);
	bool equal = acc == dst;
	if (equal || i->op[0].kind == OPK_MEM)
		op_write(v, i, 0, equal ? src : dst);
	if (!equal)
		reg_write(v->s, R_EAX, size, dst);
	flags_set(v, LF_SUB, size, (acc - dst) & size_mask(size), acc, dst);
}

/* CMPXCHG8B m64: EDX:EAX against m64; equal: m64 = ECX:EBX. Only ZF changes. */
static void op_cmpxchg8b(struct vcpu *v, const struct insn *i)
{
	const struct operand *o = &i->op[0];
	if (o->kind != OPK_MEM)
		vcpu_fault_noerr(v, EXC_UD);
	struct cpu_state *s = v->s;
	uint32_t ea = op_ea(v, i, o);
	/* always written (the old value back on a mismatch): checked as a write first */
	lin_probe_write(v, vmem_linear(v, o->seg, ea, 8, SEG_WRITE), 8, vcpu_user(v));
	uint64_t m = vmem_read64(v, o->seg, ea);
	uint64_t cmp = s->gpr[R_EAX] | (uint64_t)s->gpr[R_EDX] << 32;
	bool equal = m == cmp;
	vmem_write64(v, o->seg, ea, equal ? (s->gpr[R_EBX] | (uint64_t)s->gpr[R_ECX] << 32) : m);
	if (!equal) {
		s->gpr[R_EAX] = (uint32_t)m;
		s->gpr[R_EDX] = (uint32_t)(m >> 32);
	}
	flags_put(v, (flags_arith(v) & ~EFL_ZF) | (equal ? EFL_ZF : 0));
}

/* --- BCD adjustments (SDM vol. 2A AAA AAD AAM AAS DAA DAS) --------------- */

/*
 * AAA: if AL's low digit > 9 or AF, AX += 0x106 (a carry out of AL also
 * reaches AH: the SDM's pseudocode, P6 and later), AF = CF = 1; else
 * AF = CF = 0; then AL's high digit is cleared. OF SF ZF PF are undefined,
 * left unchanged.
 */
static void op_aaa(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	uint32_t f = flags_arith(v);
	uint32_t ax = s->gpr[R_EAX] & 0xffff;
	if ((ax & 0xf) > 9 || (f & EFL_AF)) {
		ax += 0x106;
		f |= EFL_AF | EFL_CF;
	} else {
		f &= ~(EFL_AF | EFL_CF);
	}
	ax &= 0xff0f;
	reg_write(s, R_EAX, 2, ax);
	flags_put(v, f);
}

/* AAS: if AL's low digit > 9 or AF: AX -= 6 (a borrow out of AL reaches AH), AH -= 1,
 * AF = CF = 1; else AF = CF = 0; AL's high digit cleared. OF SF ZF PF undefined, left
 * unchanged. */
static void op_aas(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	uint32_t f = flags_arith(v);
	uint32_t ax = s->gpr[R_EAX] & 0xffff;
	if ((ax & 0xf) > 9 || (f & EFL_AF)) {
		ax = (ax - 6 - 0x100) & 0xffff;
		f |= EFL_AF | EFL_CF;
	} else {
		f &= ~(EFL_AF | EFL_CF);
	}
	ax &= 0xff0f;
	reg_write(s, R_EAX, 2, ax);
	flags_put(v, f);
}

/* AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE when imm8 is 0. SF ZF PF
 * from AL; OF AF CF undefined: cleared. */
static void op_aam(struct vcpu *v, const struct insn *i)
{
	uint32_t base = i->op[0].val & 0xff;
	if (base == 0)
		vcpu_fault_noerr(v, EXC_DE);
	uint32_t al = v->s->gpr[R_EAX] & 0xff;
	uint32_t ax = (al / base) << 8 | (al % base);
	reg_write(v->s, R_EAX, 2, ax);
	flags_put(v, flags_szp(ax & 0xff, 1));
}

/* AAD imm8: AL = (AL + AH * imm8) & 0xff, AH = 0. SF ZF PF from AL; OF AF CF
 * undefined: cleared. */
static void op_aad(struct vcpu *v, const struct insn *i)
{
	uint32_t base = i->op[0].val & 0xff;
	uint32_t ax = v->s->gpr[R_EAX];
	uint32_t al = ((ax & 0xff) + ((ax >> 8) & 0xff) * base) & 0xff;
	reg_write(v->s, R_EAX, 2, al);
	flags_put(v, flags_szp(al, 1));
}

/*
 * DAA / DAS, exactly the SDM's pseudocode: the low-digit adjustment
 * (+/-6 when the digit > 9 or AF) may carry/borrow into CF, the high one
 * (+/-0x60 when the original AL > 0x99 or CF) sets CF. SF ZF PF from AL;
 * OF is undefined: cleared.
 */
static void decimal_adjust(struct vcpu *v, bool sub)
{
	struct cpu_state *s = v->s;
	uint32_t f = flags_arith(v);
	uint32_t old_al = s->gpr[R_EAX] & 0xff, al = old_al;
	bool old_cf = f & EFL_CF, cf = false, af = false;
	if ((al & 0xf) > 9 || (f & EFL_AF)) {
		cf = old_cf || (sub ? al < 6 : al + 6 > 0xff);
		al = (sub ? al - 6 : al + 6) & 0xff;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = (sub ? al - 0x60 : al + 0x60) & 0xff;
		cf = true;
	} else if (!sub) {
		cf = false;
	}
	reg_write(s, R_EAX, 1, al);
	flags_put(v, flags_szp(al, 1) | (cf ? EFL_CF : 0) | (af ? EFL_AF : 0));
}

static void op_daa(struct vcpu *v, const struct insn *i) { decimal_adjust(v, false); }
static void op_das(struct vcpu *v, const struct insn *i) { decimal_adjust(v, true); }

/* SALC (0xD6, undocumented but present on every IA-32 processor): AL = CF ? 0xff : 0.
 * No flags change. */
static void op_salc(struct vcpu *v, const struct insn *i)
{
	reg_write(v->s, R_EAX, 1, flag_cf(v) ? 0xff : 0);
}

void ops_bits_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_BT] = op_bt;
	t->fn[ZYDIS_MNEMONIC_BTS] = op_bts;
	t->fn[ZYDIS_MNEMONIC_BTR] = op_btr;
	t->fn[ZYDIS_MNEMONIC_BTC] = op_btc;
	t->fn[ZYDIS_MNEMONIC_BSF] = op_bsf;
	t->fn[ZYDIS_MNEMONIC_BSR] = op_bsr;
	t->fn[ZYDIS_MNEMONIC_BSWAP] = op_bswap;
	t->fn[ZYDIS_MNEMONIC_XADD] = op_xadd;
	t->fn[ZYDIS_MNEMONIC_CMPXCHG] = op_cmpxchg;
	t->fn[ZYDIS_MNEMONIC_CMPXCHG8B] = op_cmpxchg8b;
	t->fn[ZYDIS_MNEMONIC_AAA] = op_aaa;
	t->fn[ZYDIS_MNEMONIC_AAS] = op_aas;
	t->fn[ZYDIS_MNEMONIC_AAM] = op_aam;
	t->fn[ZYDIS_MNEMONIC_AAD] = op_aad;
	t->fn[ZYDIS_MNEMONIC_DAA] = op_daa;
	t->fn[ZYDIS_MNEMONIC_DAS] = op_das;
	t->fn[ZYDIS_MNEMONIC_SALC] = op_salc;
}
