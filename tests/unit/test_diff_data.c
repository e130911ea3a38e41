/*
 * test_diff_data.c - the interpreter against the host CPU (diff_cpu.h) for
 * data movement and flag transfer: MOVSX MOVZX, CBW CWDE CWD CDQ, LAHF
 * SAHF, SETcc, CMOVcc (random flags in, all 16 conditions), and the string
 * instructions MOVS STOS LODS CMPS SCAS at 8/16/32 bits, without prefix,
 * with REP/REPE and REPNE, in both DF directions, with segment overrides
 * on the source and overlapping MOVS buffers. Compared: all GPRs (ESI EDI ECX included), all six
 * arithmetic flags and DF (none is undefined for these instructions), and
 * the data memory.
 */
#define _GNU_SOURCE
#include "diff_cpu.h"

static struct diff_env env;

static struct diff_rng *rng(void)
{
	return &env.rng;
}

START_TEST(diff_movx_convert)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 18000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned form = diff_below(rng(), 3);
		if (form == 0) {
			/* MOVZX/MOVSX Gv, Eb/Ew: 0F B6 B7 BE BF */
			unsigned size = diff_below(rng(), 2) ? 4 : 2;
			bool word = size == 4 && diff_below(rng(), 2);
			diff_prefix(&c, size);
			diff_byte(&c, 0x0f);
			diff_byte(&c, (uint8_t)((diff_below(rng(), 2) ? 0xbe : 0xb6) + word));
			diff_rm(&env, &c, diff_below(rng(), 8), word ? 2 : 1, true, NULL, NULL);
		} else {
			/* CBW CWDE (98), CWD CDQ (99) */
			if (diff_below(rng(), 2))
				diff_byte(&c, 0x66);
			diff_byte(&c, (uint8_t)(0x98 + (form == 2)));
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "MOVSX MOVZX CBW CWDE CWD CDQ");
}
END_TEST

START_TEST(diff_flag_transfer)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 48000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		switch (diff_below(rng(), 4)) {
		case 0:   /* LAHF / SAHF */
			diff_byte(&c, (uint8_t)(0x9e + diff_below(rng(), 2)));
			break;
		case 1:   /* SETcc Eb (the ModRM reg field is ignored) */
			diff_byte(&c, 0x0f);
			diff_byte(&c, (uint8_t)(0x90 + diff_below(rng(), 16)));
			diff_rm(&env, &c, diff_below(rng(), 8), 1, true, NULL, NULL);
			break;
		default: { /* CMOVcc Gv, Ev */
			unsigned size = diff_below(rng(), 2) ? 4 : 2;
			diff_prefix(&c, size);
			diff_byte(&c, 0x0f);
			diff_byte(&c, (uint8_t)(0x40 + diff_below(rng(), 16)));
			diff_rm(&env, &c, diff_below(rng(), 8), size, true, NULL, NULL);
			break;
		}
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "LAHF SAHF SETcc CMOVcc");
}
END_TEST

/* --- addressing modes ------------------------------------------------------ */

/*
 * Appends a random memory ModRM (mod 0-2) with its SIB and displacement,
 * for 32-bit or 16-bit addressing. *disp_at and *disp_len tell where the
 * displacement went; *base and *index the registers used (-1: none).
 */
static void random_modrm_mem(struct diff_case *c, unsigned reg, bool addr16, unsigned *disp_at,
			     unsigned *disp_len, int *base, int *index, unsigned *scale)
{
	unsigned mod = diff_below(rng(), 3), rm = diff_below(rng(), 8);
	diff_byte(c, (uint8_t)(mod << 6 | (reg & 7) << 3 | rm));
	*base = *index = -1;
	*scale = 1;
	unsigned dl = mod == 1 ? 1 : mod == 2 ? (addr16 ? 2 : 4) : 0;
	if (addr16) {
		if (mod == 0 && rm == 6)
			dl = 2;
	} else if (rm == 4) {
		unsigned sib = diff_rand(rng()) & 0xff;
		diff_byte(c, (uint8_t)sib);
		*scale = 1u << (sib >> 6);
		if (((sib >> 3) & 7) != 4)
			*index = (int)((sib >> 3) & 7);
		if ((sib & 7) != 5 || mod != 0)
			*base = (int)(sib & 7);
		else
			dl = 4;
	} else if (mod == 0 && rm == 5) {
		dl = 4;
	} else {
		*base = (int)rm;
	}
	*disp_at = c->len;
	*disp_len = dl;
	diff_imm(c, diff_rand(rng()), dl);
}

/* LEA with every addressing form, 16/32-bit address and operand sizes:
 * the effective address arithmetic with any register values. */
START_TEST(diff_lea)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 60000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		bool a16 = diff_below(rng(), 4) == 0, o16 = diff_below(rng(), 4) == 0;
		if (a16)
			diff_byte(&c, 0x67);
		if (o16)
			diff_byte(&c, 0x66);
		diff_byte(&c, 0x8d);
		unsigned at, dl, scale;
		int base, index;
		random_modrm_mem(&c, diff_below(rng(), 8), a16, &at, &dl, &base, &index, &scale);
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "LEA (all addressing forms)");
}
END_TEST

/* Loads, stores and read-modify-writes through every 32-bit addressing
 * form, the base register or displacement chosen so that the operand
 * lands in the data area. */
START_TEST(diff_addressing)
{
	DIFF_CLASS_BEGIN(&env);
	static const uint8_t ops[] = { 0x8a, 0x88, 0x00, 0x30 };   /* MOV r,m; MOV m,r; ADD m,r; XOR m,r */
	for (unsigned n = 0; n < diff_count(&env, 60000); n++) {
		struct diff_case c;
		unsigned size = 0;
		for (;;) {
			diff_case_init(&env, &c);
			size = diff_size(rng());
			diff_prefix(&c, size);
			diff_byte(&c, (uint8_t)(ops[diff_below(rng(), 4)] + (size > 1)));
			unsigned at, dl, scale;
			int base, index;
			random_modrm_mem(&c, diff_below(rng(), 8), false, &at, &dl, &base, &index, &scale);
			uint32_t disp = 0;
			memcpy(&disp, c.insn + at, dl);
			if (dl == 1)
				disp = (uint32_t)(int32_t)(int8_t)disp;
			uint32_t ea = disp + (base >= 0 ? c.gpr[base] : 0) +
				      (index >= 0 ? c.gpr[index] * scale : 0);
			uint32_t target = DIFF_MEM + diff_below(rng(), 64);
			uint32_t delta = target - ea;
			if (ea >= DIFF_DATA && ea <= DIFF_END - 4) {
				target = ea;   /* ESP-based forms land in the stack area */
			} else if (dl == 4) {
				disp += delta;
				memcpy(c.insn + at, &disp, 4);
			} else if (base >= 0 && base != index && base != R_ESP) {
				c.gpr[base] += delta;
			} else if (index >= 0 && index != base && delta % scale == 0) {
				c.gpr[index] += delta / scale;
			} else {
				continue;   /* e.g. [eax+eax*2]: draw again */
			}
			diff_poke_random(&env, target, 4);
			break;
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "MOV ADD XOR through ModRM/SIB");
}
END_TEST

/* --- string instructions ------------------------------------------------- */

#define STR_SRC (DIFF_BASE + 0xb000u)   /* middle of the source buffer */
#define STR_DST (DIFF_BASE + 0xd800u)   /* middle of the destination buffer */
#define STR_MAX 40                       /* elements per REP run */

START_TEST(diff_string)
{
	DIFF_CLASS_BEGIN(&env);
	/* MOVS CMPS STOS LODS SCAS, byte forms; +1 for 16/32 bits */
	static const uint8_t ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
	static const uint8_t seg_prefix[] = { 0x26, 0x2e, 0x36, 0x3e };   /* ES CS SS DS */
	unsigned reps = 0, stopped_early = 0;
	for (unsigned n = 0; n < diff_count(&env, 30000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned op = diff_below(rng(), 5), size = diff_size(rng());
		unsigned rep = diff_below(rng(), 8);   /* 0-2 none, 3-6 F3, 7 F2 */
		bool compares = op == 1 || op == 4;
		if (size == 2)
			diff_byte(&c, 0x66);
		if (rep >= 3)
			diff_byte(&c, rep == 7 ? 0xf2 : 0xf3);
		if (op != 2 && op != 4 && diff_below(rng(), 4) == 0)
			diff_byte(&c, seg_prefix[diff_below(rng(), 4)]);
		diff_byte(&c, (uint8_t)(ops[op] + (size > 1)));
		if (diff_below(rng(), 2))
			c.eflags |= EFL_DF;
		uint32_t count = diff_below(rng(), 4) == 0 ? diff_below(rng(), 3) : diff_below(rng(), STR_MAX + 1);
		if (rep >= 3)
			c.gpr[R_ECX] = count, reps++;
		c.gpr[R_ESI] = STR_SRC + diff_below(rng(), 8) - 4;
		c.gpr[R_EDI] = STR_DST + diff_below(rng(), 8) - 4;
		/* Buffers around ESI and EDI: random, or equal (CMPS) / filled
		 * with AL's value (SCAS) with a few differences, so that
		 * REPE/REPNE stop at varying places. */
		unsigned span = (STR_MAX + 2) * 4;
		diff_poke_random(&env, c.gpr[R_ESI] - span, 2 * span);
		if (compares && diff_below(rng(), 4)) {
			uint8_t buf[2 * (STR_MAX + 2) * 4];
			if (op == 1) {
				memcpy(buf, compat32_ptr(&env.native, c.gpr[R_ESI] - span), sizeof(buf));
			} else {
				for (unsigned k = 0; k < sizeof(buf); k++)
					buf[k] = (uint8_t)(c.gpr[R_EAX] >> (8 * (k % size)));
			}
			/* EDI-relative layout equal to ESI-relative, then perturb */
			unsigned flips = diff_below(rng(), 4);
			for (unsigned k = 0; k < flips; k++)
				buf[diff_below(rng(), sizeof(buf))] ^= (uint8_t)(1u << diff_below(rng(), 8));
			diff_poke(&env, c.gpr[R_EDI] - span, buf, sizeof(buf));
		} else {
			diff_poke_random(&env, c.gpr[R_EDI] - span, 2 * span);
		}
		/* MOVS with overlapping buffers one time in eight: element by element. */
		if (op == 0 && diff_below(rng(), 8) == 0)
			c.gpr[R_EDI] = c.gpr[R_ESI] + diff_below(rng(), 17) - 8;
		diff_run(&env, &c);
		/* REPE/REPNE runs that the comparison stopped (the interpreter's ECX). */
		if (compares && rep >= 3 && env.cpu.gpr[R_ECX] != 0)
			stopped_early++;
	}
	printf("  (%u with REP, %u REPE/REPNE stopped by the comparison)\n", reps, stopped_early);
	ck_assert_uint_gt(stopped_early, 200);
	DIFF_CLASS_END(&env, "MOVS STOS LODS CMPS SCAS (REP)");
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		diff_movx_convert, diff_flag_transfer, diff_lea, diff_addressing, diff_string,
	};
	return diff_main(&env, "diff_data", tests, sizeof(tests) / sizeof(tests[0]));
}
