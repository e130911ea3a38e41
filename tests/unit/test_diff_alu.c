/*
 * test_diff_alu.c - the interpreter against the host CPU (diff_cpu.h) for
 * the integer ALU: ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT,
 * SHL SHR SAR ROL ROR RCL RCR and the /6 alias of SHL (counts 0-33 and
 * any imm8, by 1, CL and imm8), SHLD SHRD, MUL IMUL (one, two and three
 * operands), DIV IDIV, and lazy flags (a flag producer followed by flag
 * consumers). Every class runs thousands of random and edge-case inputs
 * at 8/16/32 bits, register and memory forms (with segment overrides: a
 * write through CS faults on both sides, even a shift by 0), and compares
 * all GPRs, the flags the SDM defines, faults and the data memory. Divide
 * overflows are not run on the host: the interpreter must raise #DE.
 *
 * Flags the SDM leaves undefined are not compared:
 *
 *   instruction          undefined flags (SDM vol. 2 "Flags Affected")
 *   AND OR XOR TEST      AF
 *   SHL SHR SAR          AF when the masked count is not 0; OF unless it is 1;
 *                        CF of SHL/SHR when it is >= the operand size
 *   ROL ROR RCL RCR      OF unless the masked count is 1
 *   SHLD SHRD            AF when the count is not 0, OF unless it is 1;
 *                        all flags and the result when count > operand size
 *   MUL IMUL             SF ZF AF PF
 *   DIV IDIV             CF OF SF ZF AF PF
 *   ADD ADC SUB SBB CMP INC DEC NEG NOT: none (NOT and INC/DEC's CF: unchanged)
 */
#define _GNU_SOURCE
#include "diff_cpu.h"

static struct diff_env env;

static struct diff_rng *rng(void)
{
	return &env.rng;
}

static uint32_t rm(struct diff_case *c, unsigned reg, unsigned size, bool allow_mem, int *where)
{
	return diff_rm(&env, c, reg, size, allow_mem, where, NULL);
}

/* --- ADD OR ADC SBB AND SUB XOR CMP -------------------------------------- */

START_TEST(diff_add_sub_logic)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 36000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned op = diff_below(rng(), 8), size = diff_size(rng());
		bool logic = op == 1 || op == 4 || op == 6;   /* OR AND XOR */
		if (logic)
			c.defined &= ~EFL_AF;
		diff_prefix(&c, size);
		unsigned w = size > 1;
		switch (diff_below(rng(), 4)) {
		case 0:   /* Eb,Gb / Ev,Gv */
			diff_byte(&c, (uint8_t)(op * 8 + w));
			rm(&c, diff_below(rng(), 8), size, true, NULL);
			break;
		case 1:   /* Gb,Eb / Gv,Ev */
			diff_byte(&c, (uint8_t)(op * 8 + 2 + w));
			rm(&c, diff_below(rng(), 8), size, true, NULL);
			break;
		case 2:   /* AL,Ib / eAX,Iz */
			diff_byte(&c, (uint8_t)(op * 8 + 4 + w));
			diff_imm(&c, diff_value(rng(), size), size);
			break;
		default:  /* group 1: 80 (82) Eb,Ib; 81 Ev,Iz; 83 Ev,Ib */
			if (size == 1) {
				diff_byte(&c, diff_below(rng(), 4) ? 0x80 : 0x82);
				rm(&c, op, 1, true, NULL);
				diff_imm(&c, diff_value(rng(), 1), 1);
			} else if (diff_below(rng(), 2)) {
				diff_byte(&c, 0x81);
				rm(&c, op, size, true, NULL);
				diff_imm(&c, diff_value(rng(), size), size);
			} else {
				diff_byte(&c, 0x83);
				rm(&c, op, size, true, NULL);
				diff_imm(&c, diff_value(rng(), 1), 1);
			}
			break;
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "ADD OR ADC SBB AND SUB XOR CMP");
}
END_TEST

START_TEST(diff_test)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 9000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		c.defined &= ~EFL_AF;
		unsigned size = diff_size(rng()), w = size > 1;
		diff_prefix(&c, size);
		switch (diff_below(rng(), 3)) {
		case 0:   /* TEST Eb,Gb / Ev,Gv */
			diff_byte(&c, (uint8_t)(0x84 + w));
			rm(&c, diff_below(rng(), 8), size, true, NULL);
			break;
		case 1:   /* TEST AL,Ib / eAX,Iz */
			diff_byte(&c, (uint8_t)(0xa8 + w));
			diff_imm(&c, diff_value(rng(), size), size);
			break;
		default:  /* F6/F7 /0 (and the /1 alias) */
			diff_byte(&c, (uint8_t)(0xf6 + w));
			rm(&c, diff_below(rng(), 2), size, true, NULL);
			diff_imm(&c, diff_value(rng(), size), size);
			break;
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "TEST");
}
END_TEST

/* --- INC DEC NEG NOT ----------------------------------------------------- */

START_TEST(diff_inc_dec_neg_not)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 18000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned size = diff_size(rng()), w = size > 1;
		diff_prefix(&c, size);
		unsigned form = diff_below(rng(), 3);
		if (form == 0 && size > 1) {
			/* 40+r / 48+r */
			diff_byte(&c, (uint8_t)(0x40 + 8 * diff_below(rng(), 2) + diff_below(rng(), 8)));
		} else if (form == 1) {
			/* FE/FF /0 /1 */
			diff_byte(&c, (uint8_t)(0xfe + w));
			rm(&c, diff_below(rng(), 2), size, true, NULL);
		} else {
			/* F6/F7 /2 NOT, /3 NEG */
			diff_byte(&c, (uint8_t)(0xf6 + w));
			rm(&c, 2 + diff_below(rng(), 2), size, true, NULL);
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "INC DEC NEG NOT");
}
END_TEST

/* --- shifts and rotates -------------------------------------------------- */

/* A shift count: mostly 0..33, sometimes any byte (the CPU masks it to 5 bits). */
static uint32_t shift_count(void)
{
	return diff_below(rng(), 4) ? diff_below(rng(), 34) : diff_rand(rng()) & 0xff;
}

/* Defined flags after group-2 operation ext (0 ROL .. 7 SAR) with count. */
static uint32_t shift_defined(unsigned ext, unsigned size, uint32_t count)
{
	uint32_t masked = count & 0x1f, d = DIFF_FLAGS;
	if (masked == 0)
		return d;                   /* nothing changes */
	if (masked != 1)
		d &= ~EFL_OF;
	if (ext >= 4) {                     /* SHL SHR SAL SAR */
		d &= ~EFL_AF;
		if (ext != 7 && masked >= 8 * size)
			d &= ~EFL_CF;
	}
	return d;
}

START_TEST(diff_shift_rotate)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 48000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned size = diff_size(rng()), w = size > 1;
		unsigned ext = diff_below(rng(), 8);
		uint32_t count;
		diff_prefix(&c, size);
		switch (diff_below(rng(), 3)) {
		case 0:   /* D0/D1: by 1 */
			diff_byte(&c, (uint8_t)(0xd0 + w));
			rm(&c, ext, size, true, NULL);
			count = 1;
			break;
		case 1: { /* D2/D3: by CL */
			diff_byte(&c, (uint8_t)(0xd2 + w));
			c.gpr[R_ECX] = (c.gpr[R_ECX] & ~0xffu) | shift_count();
			rm(&c, ext, size, true, NULL);
			count = c.gpr[R_ECX] & 0xff;
			break;
		}
		default:  /* C0/C1: by imm8 */
			diff_byte(&c, (uint8_t)(0xc0 + w));
			rm(&c, ext, size, true, NULL);
			count = shift_count();
			diff_imm(&c, count, 1);
			break;
		}
		c.defined = shift_defined(ext, size, count);
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "ROL ROR RCL RCR SHL SHR SAR");
}
END_TEST

START_TEST(diff_shld_shrd)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 24000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		unsigned size = diff_below(rng(), 2) ? 4 : 2;
		bool right = diff_below(rng(), 2), by_cl = diff_below(rng(), 2);
		diff_prefix(&c, size);
		diff_byte(&c, 0x0f);
		diff_byte(&c, (uint8_t)((right ? 0xac : 0xa4) + by_cl));
		uint32_t count = shift_count();
		if (by_cl)
			c.gpr[R_ECX] = (c.gpr[R_ECX] & ~0xffu) | count;
		int where;
		rm(&c, diff_below(rng(), 8), size, true, &where);
		if (!by_cl)
			diff_imm(&c, count, 1);
		else
			count = c.gpr[R_ECX] & 0xff;   /* the destination may be CL itself */
		uint32_t masked = count & 0x1f;
		if (masked > 1)
			c.defined &= ~EFL_OF;
		if (masked)
			c.defined &= ~EFL_AF;
		if (masked > 8 * size) {
			/* result and flags undefined (16-bit operands only) */
			c.defined = EFL_DF;
			if (where >= 0)
				c.gpr_undef = (uint8_t)(1u << where);
			else
				c.undef_addr = DIFF_MEM, c.undef_len = 8;
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "SHLD SHRD");
}
END_TEST

/* --- multiply and divide ------------------------------------------------- */

START_TEST(diff_mul_imul)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 30000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		c.defined = EFL_CF | EFL_OF | EFL_DF;
		unsigned size = diff_size(rng());
		unsigned form = diff_below(rng(), 5);
		if (form >= 2 && size == 1)
			size = 4;
		diff_prefix(&c, size);
		switch (form) {
		case 0:
		case 1:   /* F6/F7 /4 MUL, /5 IMUL */
			diff_byte(&c, (uint8_t)(0xf6 + (size > 1)));
			rm(&c, 4 + form, size, true, NULL);
			break;
		case 2:   /* IMUL Gv,Ev */
			diff_byte(&c, 0x0f);
			diff_byte(&c, 0xaf);
			rm(&c, diff_below(rng(), 8), size, true, NULL);
			break;
		case 3:   /* IMUL Gv,Ev,Ib */
			diff_byte(&c, 0x6b);
			rm(&c, diff_below(rng(), 8), size, true, NULL);
			diff_imm(&c, diff_value(rng(), 1), 1);
			break;
		default:  /* IMUL Gv,Ev,Iz */
			diff_byte(&c, 0x69);
			rm(&c, diff_below(rng(), 8), size, true, NULL);
			diff_imm(&c, diff_value(rng(), size), size);
			break;
		}
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "MUL IMUL");
}
END_TEST

static int64_t sext(uint64_t x, unsigned bits)
{
	return (int64_t)(x << (64 - bits)) >> (64 - bits);
}

/* Whether DIV (or IDIV) of the case's dividend by divisor raises #DE. */
static bool divide_faults(const struct diff_case *c, unsigned size, bool is_signed, uint32_t divisor)
{
	uint64_t dividend = size == 1 ? c->gpr[R_EAX] & 0xffff
			    : size == 2 ? (c->gpr[R_EAX] & 0xffff) | (c->gpr[R_EDX] & 0xffff) << 16
					: c->gpr[R_EAX] | (uint64_t)c->gpr[R_EDX] << 32;
	unsigned bits = 8 * size;
	if (divisor == 0)
		return true;
	if (!is_signed)
		return dividend / divisor > size_mask(size);
	int64_t a = sext(dividend, 2 * bits), b = sext(divisor, bits);
	if (size == 4 && a == INT64_MIN)
		return true;   /* the quotient cannot be represented whatever b is, or b is -1 */
	int64_t q = a / b;
	return q > ((int64_t)1 << (bits - 1)) - 1 || q < -((int64_t)1 << (bits - 1));
}

START_TEST(diff_div_idiv)
{
	DIFF_CLASS_BEGIN(&env);
	unsigned faults = 0;
	for (unsigned n = 0; n < diff_count(&env, 30000); n++) {
		/* Most cases divide without overflow (retry the inputs); one in
		 * eight may overflow and must raise #DE in the interpreter. */
		bool want_ok = diff_below(rng(), 8) != 0;
		struct diff_case c;
		bool faults_here = false;
		for (int tries = 0; tries < 16; tries++) {
			diff_case_init(&env, &c);
			c.defined = EFL_DF;
			unsigned size = diff_size(rng());
			bool is_signed = diff_below(rng(), 2);
			diff_prefix(&c, size);
			diff_byte(&c, (uint8_t)(0xf6 + (size > 1)));
			/* Keep the dividend's high part small most of the time. */
			if (diff_below(rng(), 2)) {
				unsigned hi = size == 1 ? R_EAX : R_EDX;
				uint32_t small = diff_below(rng(), 2) ? diff_below(rng(), 4) : 0xffffffffu;
				if (size == 1)
					c.gpr[R_EAX] = (c.gpr[R_EAX] & ~0xff00u) | (small & 0xff) << 8;
				else
					c.gpr[hi] = (c.gpr[hi] & ~size_mask(size)) | (small & size_mask(size));
			}
			uint32_t divisor = rm(&c, 6 + is_signed, size, true, NULL);
			faults_here = divide_faults(&c, size, is_signed, divisor);
			if (faults_here != want_ok)
				break;
		}
		if (faults_here)
			faults++;
		diff_run_expect(&env, &c, faults_here ? EXC_DE + 1 : 0);
	}
	printf("  (%u of them raise #DE)\n", faults);
	ck_assert_uint_gt(faults, 100);
	DIFF_CLASS_END(&env, "DIV IDIV");
}
END_TEST

/* --- lazy flags: a flag producer followed by consumers ------------------- */

/*
 * The interpreter computes flags lazily (cpu/flags.h): the producer records
 * its operands, the consumer evaluates them. Single-instruction cases start
 * with materialised flags and never exercise that path; here a register
 * ADD/ADC/SUB/SBB/CMP/AND/OR/XOR/TEST/INC/DEC/NEG (8/16/32-bit) is
 * followed by one or two consumers: ADC, SBB, SETcc, CMOVcc, LAHF, RCL/RCR
 * by 1, INC/DEC (which keep CF, recorded lazily too), CMC, PUSHFD+POP.
 * AF after a logic op is undefined: not compared, and LAHF/PUSHFD (which
 * copy it into a register) do not follow logic ops.
 */
/* A register operand other than ESP/SP (PUSHFD may follow); AH is fine. */
static unsigned lazy_reg(unsigned size)
{
	unsigned r = diff_below(rng(), 7);
	return size == 1 || r < 4 ? r : r + 1;
}

static bool lazy_producer(struct diff_case *c)
{
	unsigned size = diff_size(rng()), w = size > 1;
	unsigned kind = diff_below(rng(), 6);
	diff_prefix(c, size);
	bool logic = false;
	if (kind < 3) {           /* ADD OR ADC SBB AND SUB XOR CMP Ev,Gv */
		unsigned op = diff_below(rng(), 8);
		logic = op == 1 || op == 4 || op == 6;
		diff_byte(c, (uint8_t)(op * 8 + w));
		diff_modrm_reg(c, lazy_reg(size), lazy_reg(size));
	} else if (kind == 3) {   /* TEST */
		logic = true;
		diff_byte(c, (uint8_t)(0x84 + w));
		diff_modrm_reg(c, lazy_reg(size), lazy_reg(size));
	} else if (kind == 4) {   /* INC DEC */
		diff_byte(c, (uint8_t)(0xfe + w));
		diff_modrm_reg(c, diff_below(rng(), 2), lazy_reg(size));
	} else {                  /* NEG */
		diff_byte(c, (uint8_t)(0xf6 + w));
		diff_modrm_reg(c, 3, lazy_reg(size));
	}
	return logic;
}

/* Appends a flag consumer; returns whether it reads AF into a register. */
static bool lazy_consumer(struct diff_case *c, bool after_logic)
{
	unsigned size = diff_size(rng()), w = size > 1;
	for (;;) {
		switch (diff_below(rng(), 9)) {
		case 0:   /* ADC / SBB Ev,Gv */
			diff_prefix(c, size);
			diff_byte(c, (uint8_t)((diff_below(rng(), 2) ? 0x10 : 0x18) + w));
			diff_modrm_reg(c, lazy_reg(size), lazy_reg(size));
			return false;
		case 1:   /* SETcc */
			diff_byte(c, 0x0f);
			diff_byte(c, (uint8_t)(0x90 + diff_below(rng(), 16)));
			diff_modrm_reg(c, 0, lazy_reg(1));
			return false;
		case 2:   /* CMOVcc */
			diff_byte(c, 0x0f);
			diff_byte(c, (uint8_t)(0x40 + diff_below(rng(), 16)));
			diff_modrm_reg(c, lazy_reg(4), lazy_reg(4));
			return false;
		case 3:   /* RCL/RCR by 1 */
			diff_prefix(c, size);
			diff_byte(c, (uint8_t)(0xd0 + w));
			diff_modrm_reg(c, 2 + diff_below(rng(), 2), lazy_reg(size));
			return false;
		case 4:   /* INC/DEC: CF passes through */
			diff_prefix(c, size);
			diff_byte(c, (uint8_t)(0xfe + w));
			diff_modrm_reg(c, diff_below(rng(), 2), lazy_reg(size));
			return false;
		case 5:   /* CMC */
			diff_byte(c, 0xf5);
			return false;
		case 6:   /* LAHF */
			if (after_logic)
				continue;
			diff_byte(c, 0x9f);
			return true;
		case 7:   /* PUSHFD; POP r (counts as two instructions) */
			if (after_logic)
				continue;
			diff_byte(c, 0x9c);
			diff_byte(c, (uint8_t)(0x58 + (diff_below(rng(), 2) ? 0 : 3)));
			c->ninsn++;
			return true;
		default:  /* SBB r, r: CF into every bit */
			diff_byte(c, 0x19);
			diff_modrm_reg(c, lazy_reg(4), lazy_reg(4));
			return false;
		}
	}
}

START_TEST(diff_lazy_flags)
{
	DIFF_CLASS_BEGIN(&env);
	for (unsigned n = 0; n < diff_count(&env, 36000); n++) {
		struct diff_case c;
		diff_case_init(&env, &c);
		bool logic = lazy_producer(&c);
		c.ninsn = 2;
		lazy_consumer(&c, logic);
		if (diff_below(rng(), 2)) {
			c.ninsn++;
			lazy_consumer(&c, logic);
		}
		if (logic)
			c.defined &= ~EFL_AF;
		diff_run(&env, &c);
	}
	DIFF_CLASS_END(&env, "lazy flags: producer + consumers");
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		diff_add_sub_logic, diff_test, diff_inc_dec_neg_not, diff_shift_rotate,
		diff_shld_shrd, diff_mul_imul, diff_div_idiv, diff_lazy_flags,
	};
	return diff_main(&env, "diff_alu", tests, sizeof(tests) / sizeof(tests[0]));
}
