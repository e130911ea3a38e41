/*
 * test_interp_fuse.c - the fused pairs of the interpreter (cpu/ops_fuse.c)
 * against the same instructions run one at a time.
 *
 * Random sequences of the fused forms (MOV r/[base + disp]/[base + index
 * * scale + disp], LEA, MOVZX r16, ADD/SUB/CMP, IMUL, SHR by an immediate
 * or CL) and of neighbours that are not fused (MOV r,imm and stores with
 * an index, CMP r,imm, ADC, XOR, SHL), with PUSHFD; POP EDI now and then
 * to capture the flags midway,
 * run in flat 32-bit ring 0 (random_guest.h) with paging off, 4 KiB and
 * PAE pages, sometimes with the data page read-only (a store faults, in
 * the first or the second of a pair). Each sequence runs twice: with interp_run(), whose blocks bind
 * adjacent pairs to fused handlers, and with interp_step(), which runs
 * every instruction through its own handler. The registers, EFLAGS, EIP,
 * the exception delivered (if any) and guest RAM must be the same.
 */
#include <check.h>
#include <inttypes.h>

#include "random_guest.h"

#define SEQUENCES 3000

static struct rg_env *env;

struct outcome {
	struct rg_result r;
	uint32_t gpr[8], eip, eflags, cr2;
	uint8_t ram[RG_RAM_END];
};

static struct outcome run_a, run_b;

/* xorshift: a fixed sequence of inputs */
static uint32_t rnd_state = 0x2545f491u;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Registers the sequences write: EAX ECX EDX EDI. EBX and EBP stay bases
 * into the data area, ESI a small index. */
static const uint8_t dst_regs[4] = { 0, 1, 2, 7 };

static size_t emit(uint8_t *p)
{
	uint8_t d = dst_regs[rnd() % 4], s = rnd() % 8, base = rnd() % 2 ? 3 : 5;
	uint8_t disp = (uint8_t)(rnd() % 4 == 0 ? rnd() : rnd() & 0x7c);
	switch (rnd() % 21) {
	case 0: case 1:   /* mov r32, [base + disp8] */
		p[0] = 0x8b; p[1] = (uint8_t)(0x40 | d << 3 | base); p[2] = disp;
		return 3;
	case 2:           /* mov r32, [base + esi * scale + disp8] */
		p[0] = 0x8b; p[1] = (uint8_t)(0x44 | d << 3);
		p[2] = (uint8_t)((rnd() % 4) << 6 | 6 << 3 | base); p[3] = disp;
		return 4;
	case 3: case 4:   /* mov [base + disp8], r32 */
		p[0] = 0x89; p[1] = (uint8_t)(0x40 | s << 3 | base); p[2] = disp;
		return 3;
	case 5:           /* mov r32, r32 */
		p[0] = 0x89; p[1] = (uint8_t)(0xc0 | s << 3 | d);
		return 2;
	case 6:           /* lea r32, [base + esi * scale + disp8] */
		p[0] = 0x8d; p[1] = (uint8_t)(0x44 | d << 3);
		p[2] = (uint8_t)((rnd() % 4) << 6 | 6 << 3 | base); p[3] = disp;
		return 4;
	case 7:           /* movzx r32, r16 */
		p[0] = 0x0f; p[1] = 0xb7; p[2] = (uint8_t)(0xc0 | d << 3 | s);
		return 3;
	case 8:           /* add r32, r32 */
		p[0] = 0x01; p[1] = (uint8_t)(0xc0 | s << 3 | d);
		return 2;
	case 9:           /* add r32, imm8 / imm32 */
		if (rnd() % 2) {
			p[0] = 0x83; p[1] = (uint8_t)(0xc0 | d); p[2] = (uint8_t)rnd();
			return 3;
		}
		p[0] = 0x81; p[1] = (uint8_t)(0xc0 | d);
		uint32_t imm = rnd();
		memcpy(p + 2, &imm, 4);
		return 6;
	case 10:          /* sub r32, r32 */
		p[0] = 0x29; p[1] = (uint8_t)(0xc0 | s << 3 | d);
		return 2;
	case 11:          /* cmp r32, r32 */
		p[0] = 0x39; p[1] = (uint8_t)(0xc0 | s << 3 | rnd() % 8);
		return 2;
	case 12:          /* imul r32, r32 */
		p[0] = 0x0f; p[1] = 0xaf; p[2] = (uint8_t)(0xc0 | d << 3 | s);
		return 3;
	case 13:          /* shr r32, imm8 / cl */
		if (rnd() % 2) {
			p[0] = 0xc1; p[1] = (uint8_t)(0xe8 | d); p[2] = (uint8_t)(rnd() % 40);
			return 3;
		}
		p[0] = 0xd3; p[1] = (uint8_t)(0xe8 | d);
		return 2;
	case 14:          /* shl r32, imm8 / cl */
		if (rnd() % 2) {
			p[0] = 0xc1; p[1] = (uint8_t)(0xe0 | d); p[2] = (uint8_t)(rnd() % 40);
			return 3;
		}
		p[0] = 0xd3; p[1] = (uint8_t)(0xe0 | d);
		return 2;
	case 15: {        /* mov r32, imm32 */
		p[0] = (uint8_t)(0xb8 | d);
		uint32_t imm = rnd();
		memcpy(p + 1, &imm, 4);
		return 5;
	}
	case 16:          /* mov [base + esi * scale + disp8], r32 */
		p[0] = 0x89; p[1] = (uint8_t)(0x44 | s << 3);
		p[2] = (uint8_t)((rnd() % 4) << 6 | 6 << 3 | base); p[3] = disp;
		return 4;
	case 17:          /* cmp r32, imm8 */
		p[0] = 0x83; p[1] = (uint8_t)(0xf8 | rnd() % 8); p[2] = (uint8_t)rnd();
		return 3;
	case 18:          /* xor r32, r32 */
		p[0] = 0x31; p[1] = (uint8_t)(0xc0 | s << 3 | d);
		return 2;
	case 19:          /* adc r32, r32 */
		p[0] = 0x11; p[1] = (uint8_t)(0xc0 | s << 3 | d);
		return 2;
	default:          /* pushfd; pop edi: the flags so far */
		p[0] = 0x9c; p[1] = 0x5f;
		return 2;
	}
}

static void run(const uint8_t *input, size_t len, bool use_run, struct outcome *o)
{
	uint8_t in[RG_HEADER + 512];
	memcpy(in, input, len);
	in[10] = use_run;   /* extras: interp_run() */
	rg_run(env, in, len, &o->r);
	ck_assert_msg(!o->r.violation[0], "%s", o->r.violation);
	struct cpu_state *s = &env->cpu;
	memcpy(o->gpr, s->gpr, sizeof(o->gpr));
	o->eip = s->eip;
	o->eflags = flags_materialize(env->v);
	o->cr2 = s->cr2;
	memcpy(o->ram, env->ram.host, RG_RAM_END);
}

START_TEST(fused_pairs_match_single_steps)
{
	static const uint8_t pagings[3] = { RG_PAGING_OFF, RG_PAGING_4K, RG_PAGING_PAE };
	unsigned faults = 0, halts = 0;
	for (unsigned k = 0; k < SEQUENCES; k++) {
		uint8_t in[RG_HEADER + 512] = { 0 };
		uint8_t paging = pagings[k % 3];
		in[0] = (uint8_t)(RG_PROT32 | paging << 3 | RG_IDT_HLT << 5);
		if (k % 5 == 0) {
			/* the data page 0x20000 read-only, CR0.WP: stores fault (with paging) */
			in[4] = (uint8_t)(rnd() & 0xc7);
			in[2] = 1;
		}
		static const uint32_t regs[8] = { 0x89abcdef, 0x13, 0xfffffff0, 0x20000, 0x8000,
						  0x20100, 0x10, 0x7fffffff };
		memcpy(in + 12, regs, sizeof(regs));
		size_t len = RG_HEADER;
		unsigned n = 2 + rnd() % 40;
		for (unsigned j = 0; j < n; j++)
			len += emit(in + len);
		in[len++] = 0xf4;   /* hlt */
		run(in, len, true, &run_a);
		run(in, len, false, &run_b);
		ck_assert_msg(run_a.r.exit == run_b.r.exit && run_a.r.vector == run_b.r.vector,
			      "sequence %u: exit %d/%d vector %d/%d", k, run_a.r.exit, run_b.r.exit,
			      run_a.r.vector, run_b.r.vector);
		for (int r = 0; r < 8; r++)
			ck_assert_msg(run_a.gpr[r] == run_b.gpr[r], "sequence %u: register %d %08x/%08x",
				      k, r, run_a.gpr[r], run_b.gpr[r]);
		ck_assert_msg(run_a.eip == run_b.eip, "sequence %u: EIP %08x/%08x", k, run_a.eip,
			      run_b.eip);
		ck_assert_msg(run_a.eflags == run_b.eflags, "sequence %u: EFLAGS %08x/%08x", k,
			      run_a.eflags, run_b.eflags);
		ck_assert_msg(run_a.cr2 == run_b.cr2, "sequence %u: CR2", k);
		ck_assert_msg(memcmp(run_a.ram, run_b.ram, RG_RAM_END) == 0, "sequence %u: RAM", k);
		faults += run_a.r.vector >= 0;
		halts += run_a.r.exit == RG_EXIT_HALT && run_a.r.vector < 0;
	}
	/* Both kinds of ending happened: the comparison covered faults too. */
	ck_assert_uint_gt(faults, SEQUENCES / 50);
	ck_assert_uint_gt(halts, SEQUENCES / 2);
}
END_TEST

int main(void)
{
	char why[256];
	setvbuf(stdout, NULL, _IOLBF, 0);   /* Check forks: no buffered output to duplicate */
	env = rg_create(why, sizeof(why));
	if (!env) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	Suite *s = suite_create("interp_fuse");
	TCase *tc = tcase_create("fuse");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fused_pairs_match_single_steps);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rg_destroy(env);
	return failed ? 1 : 0;
}
