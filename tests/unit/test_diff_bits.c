/*
 * test_diff_bits.c - the interpreter against the host CPU (diff_cpu.h) for
 * ops_bits.c: the BCD adjustments (invalid in 64-bit mode: this is why the
 * oracle runs in a 32-bit compatibility segment), SALC, BT BTS BTR BTC
 * (register and memory bit bases, register and immediate offsets,
 * offsets reaching outside the addressed operand), BSF BSR, BSWAP, XADD,
 * CMPXCHG, CMPXCHG8B, with and without LOCK. AAM 0 is not run on the
 * host: the interpreter must raise #DE.
 *
 * Flags the SDM leaves undefined are not compared:
 *
 *   instruction          undefined flags (SDM vol. 2 "Flags Affected")
 *   DAA DAS              OF
 *   AAA AAS              OF SF ZF PF
 *   AAM AAD              OF AF CF
 *   BT BTS BTR BTC       OF SF AF PF (ZF is unaffected: compared)
 *   BSF BSR              CF OF SF AF PF
 *   SALC BSWAP XADD CMPXCHG CMPXCHG8B: none
 *
 * The destination of BSF/BSR with a zero source (undefined in the SDM) is
 * compared: the host leaves it unchanged and so must the interpreter. So
 * is BSWAP with a 16-bit operand (undefined too; processors clear the low
 * word).
 */
#define _GNU_SOURCE
#include "diff_cpu.h"

static struct diff_env env;

static struct diff_rng *rng(void)
{
	return &env.rng;
}

/* --- BCD ----------------------------------------------------------------- */

START_TEST(diff_bcd)
{
	DIFF_CLASS_BEGIN(&env);
	static const uint8_t ops[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5, 0xd6 };
	unsigned de = 0;
	for (unsigned n = 0; n < diff_count(&env, 42000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		uint8_t op = ops[diff_below(rng(), 7)];
		diff_byte(&c, op);
		int fault = 0;
		switch (op) {
		case 0x27: case 0x2f:   /* DAA DAS */
			c.defined &= ~EFL_OF;
			break;
		case 0x37: case 0x3f:   /* AAA AAS */
			c.defined &= ~(EFL_OF | EFL_SF | EFL_ZF | EFL_PF);
			break;
		case 0xd4: case 0xd5: { /* AAM AAD imm8: 10 usually, any base, 0 */
			c.defined &= ~(EFL_OF | EFL_AF | EFL_CF);
			unsigned pick = diff_below(rng(), 4);
			uint8_t base = pick < 2 ? 10 : pick == 2 ? (uint8_t)diff_rand(rng()) : (uint8_t)diff_below(rng(), 3);
			diff_byte(&c, base);
			if (op == 0xd4 && base == 0) {
				fault = EXC_DE + 1;
				de++;
			}
			break;
		}
		default:                /* SALC */
			break;
		}
		/* AL and AH: decimal-looking values half the time. */
		if (diff_below(rng(), 2)) {
			uint32_t al = diff_below(rng(), 16) << 4 | diff_below(rng(), 16);
			diff_set_reg(&c, 0, 1, al);
		}
		diff_run_expect(&env, &c, fault);
	}
	printf("  (%u AAM 0 cases raise #DE)\n", de);
	ck_assert_uint_gt(de, 10);
	DIFF_CLASS_END(&env, "DAA DAS AAA AAS AAM AAD SALC");
}
END_TEST

/* --- BT BTS BTR BTC ------------------------------------------------------ */

START_TEST(diff_bit_test)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 48000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		c.defined &= ~(EFL_OF | EFL_SF | EFL_AF | EFL_PF);
		unsigned size = diff_below(rng(), 2) ? 4 : 2;
		unsigned kind = diff_below(rng(), 4);    /* BT BTS BTR BTC */
		bool lock = kind != 0 && diff_below(rng(), 4) == 0;
		if (lock)
			diff_byte(&c, 0xf0);
		diff_prefix(&c, size);
		diff_byte(&c, 0x0f);
		if (diff_below(rng(), 2)) {
			/* 0F A3/AB/B3/BB Ev,Gv: a register bit offset. */
			static const uint8_t op[] = { 0xa3, 0xab, 0xb3, 0xbb };
			diff_byte(&c, op[kind]);
			unsigned reg = diff_below(rng(), 8);
			int where;
			/* Memory bases: an offset within +-2 KiB of the operand, so
			 * that it stays in the data area (16-bit ones reach +-4 KiB). */
			uint32_t off = size == 2 ? diff_rand(rng()) & 0xffff
				       : (uint32_t)((int32_t)diff_below(rng(), 0x8000) - 0x4000);
			if (diff_below(rng(), 4) == 0)
				off = diff_below(rng(), 64) - 32;
			uint32_t saved = c.gpr[reg];
			diff_set_reg(&c, reg, size, off);
			diff_rm(&env, &c, reg, size, true, &where, NULL);
			if (where >= 0 && diff_below(rng(), 2))
				c.gpr[reg] = saved;   /* register bases take any offset */
		} else {
			/* 0F BA /4-/7 Ev,Ib */
			diff_byte(&c, 0xba);
			diff_rm(&env, &c, 4 + kind, size, true, NULL, NULL);
			diff_byte(&c, (uint8_t)(diff_below(rng(), 2) ? diff_below(rng(), 40) : diff_rand(rng())));
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "BT BTS BTR BTC");
}
END_TEST

/* --- BSF BSR BSWAP ------------------------------------------------------- */

START_TEST(diff_bit_scan_bswap)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 24000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned size = diff_below(rng(), 2) ? 4 : 2;
		diff_prefix(&c, size);
		diff_byte(&c, 0x0f);
		if (diff_below(rng(), 4) == 0) {
			diff_byte(&c, (uint8_t)(0xc8 + diff_below(rng(), 8)));   /* BSWAP */
		} else {
			c.defined &= ~(EFL_CF | EFL_OF | EFL_SF | EFL_AF | EFL_PF);
			diff_byte(&c, (uint8_t)(0xbc + diff_below(rng(), 2)));
			/* A zero source one time in four. */
			if (diff_below(rng(), 4) == 0)
				for (int r = 0; r < 8; r++)
					if (diff_below(rng(), 2))
						c.gpr[r] &= ~size_mask(size);
			int where;
			uint32_t addr;
			diff_rm(&env, &c, diff_below(rng(), 8), size, true, &where, &addr);
			if (where < 0 && diff_below(rng(), 4) == 0) {
				uint32_t zero = 0;
				diff_poke(&env, addr, &zero, 4);
			}
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "BSF BSR BSWAP");
}
END_TEST

/* --- XADD CMPXCHG CMPXCHG8B --------------------------------------------- */

START_TEST(diff_xadd_cmpxchg)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 36000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned size = diff_size(rng());
		unsigned form = diff_below(rng(), 3);
		if (diff_below(rng(), 4) == 0)
			diff_byte(&c, 0xf0);   /* LOCK: #UD with a register destination */
		if (form == 2) {
			/* CMPXCHG8B m64 (0F C7 /1); the register form is #UD */
			diff_byte(&c, 0x0f);
			diff_byte(&c, 0xc7);
			if (diff_below(rng(), 16) == 0) {
				diff_modrm_reg(&c, 1, diff_below(rng(), 8));
			} else {
				uint32_t addr = DIFF_MEM + diff_below(rng(), 8);
				diff_modrm_mem(&c, 1, addr);
				uint32_t m[2] = { diff_value(rng(), 4), diff_value(rng(), 4) };
				if (diff_below(rng(), 2)) {
					m[0] = c.gpr[R_EAX];
					m[1] = c.gpr[R_EDX];
				}
				if (diff_below(rng(), 8) == 0)
					m[diff_below(rng(), 2)] ^= 1u << diff_below(rng(), 32);
				diff_poke(&env, addr, m, 8);
			}
		} else {
			/* XADD 0F C0/C1, CMPXCHG 0F B0/B1 */
			diff_prefix(&c, size);
			diff_byte(&c, 0x0f);
			diff_byte(&c, (uint8_t)((form ? 0xb0 : 0xc0) + (size > 1)));
			uint32_t dst = diff_rm(&env, &c, diff_below(rng(), 8), size, true, NULL, NULL);
			/* CMPXCHG: an equal accumulator half the time */
			if (form == 1 && diff_below(rng(), 2))
				diff_set_reg(&c, 0, size, dst);
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "XADD CMPXCHG CMPXCHG8B");
}
END_TEST

/* --- interpreter only: faulting memory forms change nothing --------------- */

/*
 * With DS read-only (type 1), every write form must raise #GP(0) and leave
 * registers, flags and memory as they were: XADD, CMPXCHG and CMPXCHG8B
 * even when the comparison fails (the processor writes the old value
 * back, SDM "CMPXCHG"), BTS/BTR/BTC. BT only reads and completes.
 */
START_TEST(interp_write_faults_change_nothing)
{
	static const struct { uint8_t insn[8]; uint8_t len; bool faults; } forms[] = {
		{ { 0x0f, 0xc1, 0x0d }, 7, true },         /* xadd [m], ecx */
		{ { 0x0f, 0xb1, 0x0d }, 7, true },         /* cmpxchg [m], ecx (mismatch) */
		{ { 0x0f, 0xc7, 0x0d }, 7, true },         /* cmpxchg8b [m] (mismatch) */
		{ { 0x0f, 0xab, 0x0d }, 7, true },         /* bts [m], ecx */
		{ { 0x0f, 0xba, 0x35, 0, 0, 0, 0, 3 }, 8, true },   /* btr [m], 3 */
		{ { 0x0f, 0xa3, 0x0d }, 7, false },        /* bt [m], ecx */
	};
	struct seg_cache saved = env.cpu.seg[S_DS];
	env.cpu.seg[S_DS].attr = (uint16_t)((saved.attr & ~SEG_TYPE_MASK) | 0x1);
	for (unsigned k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		memcpy(c.insn, forms[k].insn, forms[k].len);
		c.len = forms[k].len;
		uint32_t addr = DIFF_MEM;
		memcpy(c.insn + 3, &addr, 4);
		c.gpr[R_ECX] = 0x21;                  /* bit 1 of the second dword */
		uint32_t mem[2] = { 0x12345678, 0x00000002 };
		memcpy(diff_guest(&env, DIFF_MEM), mem, 8);
		c.gpr[R_EAX] = ~mem[0];               /* CMPXCHG*: not equal */
		struct diff_out o;
		diff_run_interp(&env, &c, &o);
		ck_assert_msg(!o.error, "form %u: %s", k, o.error ? o.error : "");
		if (forms[k].faults) {
			ck_assert_msg(o.fault == EXC_GP, "form %u: fault %d, not #GP", k, o.fault);
			for (int r = 0; r < 8; r++)
				if (r != R_ESP)
					ck_assert_uint_eq(o.gpr[r], c.gpr[r]);
			ck_assert_uint_eq(o.gpr[R_ESP], c.gpr[R_ESP] - 16);   /* the #GP frame */
			ck_assert_uint_eq(o.eflags & EFL_ARITH, c.eflags & EFL_ARITH);
		} else {
			ck_assert_int_eq(o.fault, -1);
			ck_assert_uint_eq(o.eflags & EFL_CF, EFL_CF);     /* bit 33 of [m] */
		}
		ck_assert_mem_eq(diff_guest(&env, DIFF_MEM), mem, 8);
	}
	env.cpu.seg[S_DS] = saved;
}
END_TEST

/*
 * BT with a memory base and a register offset addresses beyond the
 * operand: an offset past the DS limit faults, one inside does not (SDM
 * "BT": EA + 4 * (offset SAR 5)); negative offsets go below the base.
 */
START_TEST(interp_bt_offset_reaches_the_limit)
{
	struct seg_cache saved = env.cpu.seg[S_DS];
	env.cpu.seg[S_DS].limit = DIFF_MEM + 0xfff;
	env.cpu.seg[S_DS].attr &= (uint16_t)~SEG_G;
	static const struct { int32_t off; int fault; } cases[] = {
		{ 0, -1 }, { 8 * 0xffc, -1 }, { 8 * 0xffc + 31, -1 }, { 8 * 0x1000, EXC_GP },
		{ -8 * (int32_t)DIFF_MEM, -1 }, { 0x7fffffff, EXC_GP },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		uint8_t insn[] = { 0x0f, 0xa3, 0x0d, 0, 0, 0, 0 };   /* bt [DIFF_MEM], ecx */
		uint32_t addr = DIFF_MEM;
		memcpy(insn + 3, &addr, 4);
		memcpy(c.insn, insn, sizeof(insn));
		c.len = sizeof(insn);
		c.gpr[R_ECX] = (uint32_t)cases[k].off;
		struct diff_out o;
		diff_run_interp(&env, &c, &o);
		ck_assert_msg(!o.error && o.fault == cases[k].fault, "offset %d: fault %d, expected %d",
			      cases[k].off, o.fault, cases[k].fault);
	}
	env.cpu.seg[S_DS] = saved;
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		diff_bcd, diff_bit_test, diff_bit_scan_bswap, diff_xadd_cmpxchg,
		interp_write_faults_change_nothing, interp_bt_offset_reaches_the_limit,
	};
	return diff_main(&env, "diff_bits", tests, sizeof(tests) / sizeof(tests[0]));
}
