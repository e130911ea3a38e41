/*
 * test_interp_random.c - the interpreter on random guest code: whatever
 * the bytes, the monitor must not crash or hang, undefined and unsupported
 * opcodes raise #UD in the guest, and an interpreter error is only ever
 * "unsupported instruction" (a P6 instruction softvt lacks).
 *
 * The guest machines are those of random_guest.h (every mode, paging,
 * IDT kind); the inputs come from a fixed seed, so a run is reproducible:
 * SOFTVT_RANDOM_SEED changes the seed, SOFTVT_RANDOM_SCALE multiplies the
 * number of inputs. An input that breaks a rule is written to the build
 * directory (interp-random-N.bin) and can be replayed by the libFuzzer
 * harness (build/fuzz-interp/fuzz_interp FILE). The unsupported mnemonics
 * met are listed at the end of the run, for the lead to implement.
 */
#include <check.h>
#include <inttypes.h>

#include "random_guest.h"

#define RANDOM_INPUTS 40000
#define MAX_REPORTS   8

static struct rg_env *env;

/* Builds an input: header bytes h[0..RG_HEADER), then code. */
struct input {
	uint8_t bytes[RG_HEADER + 512];
	size_t len;
};

static void input_init(struct input *in, uint8_t mode, uint8_t paging, uint8_t idt, uint8_t flags)
{
	memset(in, 0, sizeof(*in));
	in->bytes[0] = (uint8_t)(mode | paging << 3 | idt << 5);
	in->bytes[1] = flags;
	/* EAX..EDI: small values and pointers into the data area. */
	static const uint32_t regs[8] = { 0x1234, 0x10, 0x20, 0x20000, 0x4000, 0x20100, 0x100, 0x200 };
	memcpy(in->bytes + 12, regs, sizeof(regs));
	in->len = RG_HEADER;
}

static void input_code(struct input *in, const void *code, size_t n)
{
	memcpy(in->bytes + in->len, code, n);
	in->len += n;
}

static void run(const struct input *in, struct rg_result *r)
{
	rg_run(env, in->bytes, in->len, r);
	ck_assert_msg(!r->violation[0], "%s", r->violation);
}

/* --- the set-up itself: every mode runs simple code as intended ----------- */

START_TEST(every_mode_runs_code)
{
	/* push ax/eax; pop bx/ebx; hlt: the stack works, HLT is privileged. */
	static const uint8_t code[] = { 0x50, 0x5b, 0xf4 };
	for (uint8_t mode = 0; mode < RG_NMODES; mode++)
		for (uint8_t paging = 0; paging < 4; paging++) {
			struct input in;
			struct rg_result r;
			input_init(&in, mode, paging, RG_IDT_HLT, 0);
			input_code(&in, code, sizeof(code));
			run(&in, &r);
			ck_assert_msg(r.exit == RG_EXIT_HALT, "mode %u paging %u: exit %d (%s)", mode,
				      paging, r.exit, r.error);
			ck_assert_uint_eq(env->cpu.gpr[R_EBX] & 0xffff, 0x1234);
			bool ring3 = mode == RG_USER || mode == RG_V86;
			/* Ring 3: HLT is #GP(0), delivered to the HLT of vector 13. */
			ck_assert_msg(r.vector == (ring3 ? EXC_GP : -1), "mode %u paging %u: vector %d",
				      mode, paging, r.vector);
			ck_assert_uint_eq(r.steps, ring3 ? 4 : 3);   /* + the handler's HLT */
			ck_assert(((env->cpu.cr0 & CR0_PG) != 0) == (mode != RG_REAL && paging != 0));
		}
}
END_TEST

START_TEST(paging_holes_fault)
{
	/* A read of the missing code page 0x11000 (holes = 0) faults #PF with CR2. */
	static const uint8_t code[] = { 0xa1, 0x00, 0x10, 0x01, 0x00, 0xf4 };   /* mov eax, [0x11000] */
	for (uint8_t paging = 1; paging < 4; paging++) {
		struct input in;
		struct rg_result r;
		input_init(&in, RG_PROT32, paging, RG_IDT_HLT, 0);
		input_code(&in, code, sizeof(code));
		run(&in, &r);
		ck_assert_int_eq(r.vector, EXC_PF);
		ck_assert_uint_eq(env->cpu.cr2, 0x11000);
		/* The alias at 3 GiB reaches the same RAM: mov eax, [0xc0020000] reads data. */
		static const uint8_t alias[] = { 0xa1, 0x00, 0x00, 0x02, 0xc0, 0xf4 };
		input_init(&in, RG_PROT32, paging, RG_IDT_HLT, 0);
		input_code(&in, alias, sizeof(alias));
		run(&in, &r);
		ck_assert_int_eq(r.vector, -1);
		ck_assert_uint_eq(env->cpu.gpr[R_EAX], 0x020000a1);   /* the code, copied to the data area */
	}
}
END_TEST

/* --- undefined opcodes -------------------------------------------------- */

struct ud_case {
	const char *what;
	uint8_t bytes[8];
	uint8_t len;
};

/* Opcodes that are undefined on a P6 (or need a feature this CPU model lacks): #UD. */
static const struct ud_case ud_cases[] = {
	{ "ud2", { 0x0f, 0x0b }, 2 },
	{ "ud1", { 0x0f, 0xb9, 0xc0 }, 3 },
	{ "ud0", { 0x0f, 0xff, 0xc0 }, 3 },
	{ "mov cs, ax", { 0x8e, 0xc8 }, 2 },
	{ "lea with a register", { 0x8d, 0xc0 }, 2 },
	{ "lock nop", { 0xf0, 0x90 }, 2 },
	{ "lock add to a register", { 0xf0, 0x01, 0xc0 }, 3 },
	{ "cmpxchg8b with a register", { 0x0f, 0xc7, 0xc8 }, 3 },
	{ "ff /7", { 0xff, 0xf8 }, 2 },
	{ "fe /7", { 0xfe, 0xf8 }, 2 },
	{ "mov eax, cr5", { 0x0f, 0x20, 0xe8 }, 3 },
	{ "mov cr1, eax", { 0x0f, 0x22, 0xc8 }, 3 },
	{ "syscall", { 0x0f, 0x05 }, 2 },
	{ "sysret", { 0x0f, 0x07 }, 2 },
	{ "getsec", { 0x0f, 0x37 }, 2 },
	{ "rdtscp", { 0x0f, 0x01, 0xf9 }, 3 },
	{ "xgetbv", { 0x0f, 0x01, 0xd0 }, 3 },
	{ "vmcall", { 0x0f, 0x01, 0xc1 }, 3 },
	{ "swapgs", { 0x0f, 0x01, 0xf8 }, 3 },
	{ "rdrand", { 0x0f, 0xc7, 0xf0 }, 3 },
	{ "popcnt", { 0xf3, 0x0f, 0xb8, 0xc0 }, 4 },
	{ "movbe", { 0x0f, 0x38, 0xf0, 0x00 }, 4 },
	{ "pshufb (SSSE3)", { 0x66, 0x0f, 0x38, 0x00, 0xc0 }, 5 },
	{ "vzeroupper (VEX)", { 0xc5, 0xf8, 0x77 }, 3 },
	{ "addps (SSE)", { 0x0f, 0x58, 0xc0 }, 3 },
	{ "emms (MMX)", { 0x0f, 0x77 }, 2 },
	{ "femms (3DNow!)", { 0x0f, 0x0e }, 2 },
	{ "sfence (SSE)", { 0x0f, 0xae, 0xf8 }, 3 },
	{ "lfence (SSE2)", { 0x0f, 0xae, 0xe8 }, 3 },
	{ "xabort (RTM)", { 0xc6, 0xf8, 0x00 }, 3 },
	{ "vmread", { 0x0f, 0x78, 0xc0 }, 3 },
};

START_TEST(undefined_opcodes_raise_ud)
{
	const struct ud_case *c = &ud_cases[_i];
	/* 32-bit and 16-bit protected mode, with and without paging. */
	static const uint8_t modes[][2] = { { RG_PROT32, 0 }, { RG_PROT32, RG_PAGING_4K },
					     { RG_PROT16, 0 }, { RG_SEGMENTED, RG_PAGING_PAE } };
	for (unsigned m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct input in;
		struct rg_result r;
		input_init(&in, modes[m][0], modes[m][1], RG_IDT_HLT, 0);
		input_code(&in, c->bytes, c->len);
		run(&in, &r);
		ck_assert_msg(r.exit == RG_EXIT_HALT && r.vector == EXC_UD,
			      "%s (mode %u): exit %d vector %d %s", c->what, modes[m][0], r.exit,
			      r.vector, r.error);
		ck_assert_uint_eq(r.steps, 2);   /* the fault, then the handler's HLT */
	}
}
END_TEST

START_TEST(protected_mode_only_instructions_ud_in_real_mode)
{
	static const struct ud_case cases[] = {
		{ "arpl", { 0x63, 0xc0 }, 2 },
		{ "sldt", { 0x0f, 0x00, 0xc0 }, 3 },
		{ "lar", { 0x0f, 0x02, 0xc0 }, 3 },
		{ "verr", { 0x0f, 0x00, 0xe0 }, 3 },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		for (uint8_t mode = RG_REAL; mode <= RG_V86; mode += RG_V86 - RG_REAL) {
			struct input in;
			struct rg_result r;
			input_init(&in, mode, 0, RG_IDT_HLT, 0);
			input_code(&in, cases[k].bytes, cases[k].len);
			run(&in, &r);
			ck_assert_msg(r.exit == RG_EXIT_HALT && r.vector == EXC_UD,
				      "%s (mode %u): exit %d vector %d", cases[k].what, mode, r.exit,
				      r.vector);
		}
}
END_TEST

/* --- branches check the CS limit in real and v8086 mode too -------------- */

START_TEST(branch_beyond_cs_limit_faults_in_real_mode)
{
	static const struct ud_case cases[] = {
		{ "jmp far 1000:00010000", { 0x66, 0xea, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10 }, 8 },
		{ "jmp near rel32", { 0x66, 0xe9, 0x00, 0x00, 0x01, 0x00 }, 6 },
		{ "call near rel32", { 0x66, 0xe8, 0x00, 0x00, 0x01, 0x00 }, 6 },
		{ "call far 1000:00010000", { 0x66, 0x9a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10 }, 8 },
		{ "retf (EAX = 0x10000 on the stack)", { 0x66, 0x51, 0x66, 0x50, 0x66, 0xcb }, 6 },
		{ "iretd (EAX = 0x10000 on the stack)", { 0x66, 0x51, 0x66, 0x51, 0x66, 0x50,
							 0x66, 0xcf }, 8 },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		for (uint8_t mode = RG_REAL; mode <= RG_V86; mode += RG_V86 - RG_REAL) {
			struct input in;
			struct rg_result r;
			input_init(&in, mode, 0, RG_IDT_HLT, 0x30);   /* IOPL 3: IRET in v8086 mode */
			uint32_t eax = 0x10000, ecx = RG_CODE >> 4;
			memcpy(in.bytes + 12 + 4 * R_EAX, &eax, 4);
			memcpy(in.bytes + 12 + 4 * R_ECX, &ecx, 4);
			input_code(&in, cases[k].bytes, cases[k].len);
			run(&in, &r);
			ck_assert_msg(r.exit == RG_EXIT_HALT && r.vector == EXC_GP,
				      "%s (mode %u): exit %d vector %d", cases[k].what, mode, r.exit,
				      r.vector);
		}
}
END_TEST

/* IRETD from ring 0 to v8086 mode loads the defined flags only (SDM vol. 1 3.4.3). */
START_TEST(iret_to_v86_keeps_reserved_flags)
{
	/* push 0 (GS FS DS ES), push 0x3000 (SS), push 0xf000 (ESP), push -1 (EFLAGS),
	 * push 0x1000 (CS), push 0 (EIP), iretd */
	static const uint8_t code[] = { 0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x00,
					0x68, 0x00, 0x30, 0x00, 0x00, 0x68, 0x00, 0xf0, 0x00, 0x00,
					0x6a, 0xff, 0x68, 0x00, 0x10, 0x00, 0x00, 0x6a, 0x00, 0xcf };
	struct input in;
	input_init(&in, RG_PROT32, RG_PAGING_OFF, RG_IDT_HLT, 0);
	input_code(&in, code, sizeof(code));
	rg_load(env, in.bytes, in.len);
	for (int k = 0; k < 10; k++)
		ck_assert_int_eq(interp_step(env->v), INTERP_DEADLINE);
	struct cpu_state *s = &env->cpu;
	ck_assert_uint_eq(s->eflags & 0xffc08028u, 0);
	ck_assert(s->eflags & EFL_VM);
	ck_assert(s->eflags & EFL_IF);
	ck_assert_uint_eq(s->seg[S_CS].base, RG_CODE);
	ck_assert_uint_eq(s->gpr[R_ESP], 0xf000);
}
END_TEST

/* --- an empty IDT: #UD, then #GP for the gate, #DF, triple fault --------- */

START_TEST(empty_idt_shuts_down)
{
	static const uint8_t code[] = { 0x0f, 0x0b };   /* ud2 */
	for (uint8_t mode = 0; mode < RG_NMODES; mode++) {
		struct input in;
		struct rg_result r;
		input_init(&in, mode, RG_PAGING_4K, RG_IDT_EMPTY, 0);
		input_code(&in, code, sizeof(code));
		run(&in, &r);
		ck_assert_msg(r.exit == RG_EXIT_SHUTDOWN, "mode %u: exit %d", mode, r.exit);
		ck_assert_uint_eq(r.steps, 1);
		ck_assert(env->v->shutdown);
	}
}
END_TEST

/*
 * The gate's EIP is checked against the handler's CS limit (SDM vol. 2,
 * INT n: #GP(0) if "the instruction pointer in the ... gate is beyond the
 * code segment limits"): with every gate beyond the limit, #UD becomes
 * #GP, then #DF, then a triple fault.
 */
START_TEST(gate_beyond_cs_limit_shuts_down)
{
	static const uint8_t code[] = { 0x0f, 0x0b };   /* ud2 */
	struct input in;
	input_init(&in, RG_PROT16, RG_PAGING_OFF, RG_IDT_HLT, 0);
	input_code(&in, code, sizeof(code));
	rg_load(env, in.bytes, in.len);
	for (uint32_t n = 0; n < 256; n++)
		rg_put64(env, RG_IDT + 8 * n, rg_gate(RG_SEL_CODE16, 0x20000, 0xe, 0));
	ck_assert_int_eq(interp_step(env->v), INTERP_SHUTDOWN);
}
END_TEST

/*
 * A guest can fault forever, like the processor: every gate points to a
 * page that is not present, on a 16-bit stack that wraps without
 * faulting, so each delivered #PF faults again on its first fetch. Every
 * interp_step() and interp_run() call must still come back (requests,
 * deadline) instead of looping inside the interpreter.
 */
START_TEST(fault_loop_returns)
{
	static const uint8_t code[] = { 0x0f, 0x0b };   /* ud2 */
	for (int use_run = 0; use_run < 2; use_run++) {
		struct input in;
		input_init(&in, RG_PROT16, RG_PAGING_4K, RG_IDT_HLT, 0);
		in.bytes[10] = (uint8_t)use_run;
		input_code(&in, code, sizeof(code));
		rg_load(env, in.bytes, in.len);
		struct cpu_state *s = &env->cpu;
		s->seg[S_SS].attr &= (uint16_t)~SEG_DB;
		for (uint32_t n = 0; n < 256; n++)   /* page 0x11000 is missing (holes = 0) */
			rg_put64(env, RG_IDT + 8 * n, rg_gate(RG_SEL_CODE32, 0x11000, 0xe, 0));
		for (unsigned calls = 0; calls < 20000; calls++) {
			enum interp_exit why = use_run ? interp_run(env->v, UINT64_MAX, rg_now, env)
						       : interp_step(env->v);
			ck_assert_int_eq(why, INTERP_DEADLINE);
		}
		ck_assert_uint_eq(s->eip, 0x11000);
		ck_assert_uint_eq(s->cr2, 0x11000);
	}
}
END_TEST

/* --- REP string instructions with a huge count run in bounded steps ------- */

START_TEST(rep_huge_count_is_bounded)
{
	static const struct {
		const char *what;
		uint8_t bytes[4];
		uint8_t len;
	} ops[] = {
		{ "rep stosb", { 0xf3, 0xaa }, 2 },
		{ "rep movsd", { 0xf3, 0xa5 }, 2 },
		{ "rep insw", { 0xf3, 0x66, 0x6d }, 3 },
		{ "rep outsb", { 0xf3, 0x6e }, 2 },
		{ "repne scasb", { 0xf2, 0xae }, 2 },
		{ "repe cmpsb", { 0xf3, 0xa6 }, 2 },
	};
	for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		struct input in;
		input_init(&in, RG_PROT32, RG_PAGING_OFF, RG_IDT_HLT, 0);
		uint32_t ecx = 0xffffffffu, eax = 0x5a5a5a5a, esi = RG_DATA, edi = RG_DATA + 0x8000;
		memcpy(in.bytes + 12 + 4 * R_ECX, &ecx, 4);
		memcpy(in.bytes + 12 + 4 * R_EAX, &eax, 4);
		memcpy(in.bytes + 12 + 4 * R_ESI, &esi, 4);
		memcpy(in.bytes + 12 + 4 * R_EDI, &edi, 4);
		input_code(&in, ops[k].bytes, ops[k].len);
		rg_load(env, in.bytes, in.len);
		struct cpu_state *s = &env->cpu;
		/* repe cmpsb compares the data area with itself: equal forever. */
		if (ops[k].bytes[1] == 0xa6)
			s->gpr[R_EDI] = RG_DATA;
		/* 4096 iterations per step, then the instruction restarts. */
		for (unsigned step = 1; step <= 64; step++) {
			uint64_t t0 = rg_clock(CLOCK_THREAD_CPUTIME_ID);
			enum interp_exit why = interp_step(env->v);
			uint64_t dt = rg_clock(CLOCK_THREAD_CPUTIME_ID) - t0;
			ck_assert_int_eq(why, INTERP_DEADLINE);
			ck_assert_msg(dt < RG_STEP_NS, "%s: a step took %" PRIu64 " ns", ops[k].what, dt);
			ck_assert_uint_eq(s->eip, RG_CODE);
			ck_assert_uint_eq(s->gpr[R_ECX], 0xffffffffu - 4096 * step);
		}
		if (ops[k].bytes[1] == 0xaa) {
			/* stosb filled the data area from EDI on, then ran into the unbacked hole. */
			ck_assert_uint_eq(env->ram.host[RG_DATA + 0x8000], 0x5a);
			ck_assert_uint_eq(env->ram.host[RG_RAM_END - 1], 0x5a);
			ck_assert_uint_eq(s->gpr[R_EDI], RG_DATA + 0x8000 + 64 * 4096);
		}
	}
}
END_TEST

/* --- random streams ----------------------------------------------------- */

struct stats {
	unsigned runs, exits[RG_NEXITS], vectors[256], violations, long_runs;
	uint64_t steps, max_step_ns, cpu_ns;
	char unsupported[64][32];
	unsigned unsupported_count[64], nunsupported;
};

static uint64_t seed(void)
{
	const char *s = getenv("SOFTVT_RANDOM_SEED");
	return s && *s ? strtoull(s, NULL, 0) : 0x1f0a2e77u;
}

static unsigned scale(void)
{
	const char *s = getenv("SOFTVT_RANDOM_SCALE");
	return s && atoi(s) > 0 ? (unsigned)atoi(s) : 1;
}

static uint32_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((uint64_t)next(s) * n) >> 32);
}

/*
 * A random input: any mode, paging and IDT; flags with TF rare; code that
 * is either uniform bytes or instruction-shaped (prefixes, 0F escapes,
 * register-form ModRM more often than chance), which gets further.
 */
static void random_input(uint64_t *rng, struct input *in)
{
	memset(in, 0, sizeof(*in));
	uint8_t *h = in->bytes;
	for (unsigned k = 0; k < RG_HEADER; k++)
		h[k] = (uint8_t)next(rng);
	h[1] &= below(rng, 8) ? ~0x04 : 0xff;          /* TF one time in 8 */
	h[1] &= below(rng, 8) ? ~0x80 : 0xff;          /* random ESP one time in 8 */
	h[2] &= below(rng, 4) ? 0x31 : 0xff;           /* TS/EM/MP one time in 4 */
	h[5] = below(rng, 4) ? 0 : h[5];               /* an interrupt one time in 4 */
	h[9] &= below(rng, 4) ? 0x7f : 0xff;           /* a missing stack page one time in 4 */
	for (unsigned r = 0; r < 8; r++) {
		uint32_t x = next(rng);
		switch (below(rng, 4)) {
		case 0: x &= 0xff; break;
		case 1: x = RG_DATA + (x & 0xfffc); break;
		case 2: x &= 0xffff; break;
		default: break;
		}
		memcpy(h + 12 + 4 * r, &x, 4);
	}
	size_t n = 16 + below(rng, sizeof(in->bytes) - RG_HEADER - 16);
	uint8_t *c = in->bytes + RG_HEADER;
	if (below(rng, 3) == 0) {
		for (size_t k = 0; k < n; k++)
			c[k] = (uint8_t)next(rng);
	} else {
		static const uint8_t prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26, 0x2e,
						    0x36, 0x3e, 0x64, 0x65 };
		size_t k = 0;
		while (k + 8 <= n) {
			if (below(rng, 5) == 0)
				c[k++] = prefixes[below(rng, sizeof(prefixes))];
			if (below(rng, 4) == 0)
				c[k++] = 0x0f;
			c[k++] = (uint8_t)next(rng);
			uint8_t modrm = (uint8_t)next(rng);
			c[k++] = below(rng, 2) ? (modrm | 0xc0) : modrm;
			for (unsigned b = below(rng, 5); b > 0; b--)
				c[k++] = (uint8_t)next(rng);
		}
		n = k;
	}
	in->len = RG_HEADER + n;
}

static void note_unsupported(struct stats *st, const char *error)
{
	char name[32];
	rg_unsupported_name(error, name, sizeof(name));
	for (unsigned k = 0; k < st->nunsupported; k++)
		if (strcmp(st->unsupported[k], name) == 0) {
			st->unsupported_count[k]++;
			return;
		}
	if (st->nunsupported < 64) {
		memcpy(st->unsupported[st->nunsupported], name, sizeof(name));
		st->unsupported_count[st->nunsupported++] = 1;
	}
}

static void save_input(const struct input *in, unsigned n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/interp-random-%u.bin", SOFTVT_BINARY_DIR, n);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(in->bytes, 1, in->len, f);
		fclose(f);
		printf("  input saved as %s\n", path);
	}
}

START_TEST(random_streams)
{
	static struct stats st;
	memset(&st, 0, sizeof(st));
	uint64_t rng = seed();
	unsigned count = RANDOM_INPUTS * scale();
	printf("random_streams: %u inputs, seed %#" PRIx64 " (SOFTVT_RANDOM_SEED)\n", count, rng);
	for (unsigned k = 0; k < count; k++) {
		struct input in;
		struct rg_result r;
		random_input(&rng, &in);
		rg_run(env, in.bytes, in.len, &r);
		st.runs++;
		st.exits[r.exit]++;
		st.steps += r.steps;
		st.cpu_ns += r.cpu_ns;
		st.long_runs += r.steps >= 20;
		if (r.max_step_ns > st.max_step_ns)
			st.max_step_ns = r.max_step_ns;
		if (r.vector >= 0)
			st.vectors[r.vector]++;
		if (r.exit == RG_EXIT_ERROR && !r.violation[0])
			note_unsupported(&st, r.error);
		if (r.violation[0] && st.violations++ < MAX_REPORTS) {
			printf("VIOLATION in input %u (mode %u paging %u idt %u): %s\n", k,
			       in.bytes[0] & 7, (in.bytes[0] >> 3) & 3, in.bytes[0] >> 5, r.violation);
			cpu_state_dump(&env->cpu, stdout);
			save_input(&in, k);
		}
	}
	printf("  exits: %u halt, %u shutdown, %u unsupported, %u step budget; "
	       "%" PRIu64 " steps, %u runs of 20+ steps\n",
	       st.exits[RG_EXIT_HALT], st.exits[RG_EXIT_SHUTDOWN], st.exits[RG_EXIT_ERROR],
	       st.exits[RG_EXIT_BUDGET], st.steps, st.long_runs);
	printf("  exceptions delivered to the HLT handlers:");
	for (int vec = 0; vec < 32; vec++)
		if (st.vectors[vec])
			printf(" #%d:%u", vec, st.vectors[vec]);
	printf("\n  slowest step %" PRIu64 " us; CPU %" PRIu64 " ms\n", st.max_step_ns / 1000,
	       st.cpu_ns / 1000000);
	printf("  unsupported P6 instructions (%u):", st.nunsupported);
	for (unsigned k = 0; k < st.nunsupported; k++)
		printf(" %s(%u)", st.unsupported[k], st.unsupported_count[k]);
	printf("\n");
	ck_assert_msg(st.violations == 0, "%u of %u inputs broke a rule", st.violations, st.runs);
	/* The machines are not degenerate: code runs, faults are delivered, every exit happens. */
	ck_assert_uint_gt(st.long_runs, count / 10);
	ck_assert_uint_gt(st.vectors[EXC_UD], 0);
	ck_assert_uint_gt(st.vectors[EXC_GP], 0);
	ck_assert_uint_gt(st.vectors[EXC_PF], 0);
	ck_assert_uint_gt(st.exits[RG_EXIT_SHUTDOWN], 0);
	ck_assert_uint_gt(st.exits[RG_EXIT_BUDGET], 0);
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
	Suite *s = suite_create("interp_random");
	TCase *tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_mode_runs_code);
	tcase_add_test(tc, paging_holes_fault);
	tcase_add_loop_test(tc, undefined_opcodes_raise_ud, 0,
			    (int)(sizeof(ud_cases) / sizeof(ud_cases[0])));
	tcase_add_test(tc, protected_mode_only_instructions_ud_in_real_mode);
	tcase_add_test(tc, branch_beyond_cs_limit_faults_in_real_mode);
	tcase_add_test(tc, iret_to_v86_keeps_reserved_flags);
	tcase_add_test(tc, empty_idt_shuts_down);
	tcase_add_test(tc, rep_huge_count_is_bounded);
	tcase_add_test(tc, random_streams);
	suite_add_tcase(s, tc);
	TCase *hang = tcase_create("hang");     /* fails by timing out */
	tcase_set_timeout(hang, 10);
	tcase_add_test(tc, gate_beyond_cs_limit_shuts_down);
	tcase_add_test(hang, fault_loop_returns);
	suite_add_tcase(s, hang);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rg_destroy(env);
	return failed ? 1 : 0;
}
