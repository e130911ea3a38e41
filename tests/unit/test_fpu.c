/*
 * test_fpu.c - the interpreter's x87 FPU against the host's.
 *
 * Differential part: the same instruction bytes run twice from the same
 * state, once in the interpreter (a machine-free vcpu: guest RAM, flat
 * 32-bit protected mode, memory operand [ebx]) and once natively on the
 * host (64-bit mode, [rbx]: the same encoding), each starting from the
 * same FXSAVE image, EFLAGS and memory. Compared afterwards: FCW, FSW (C0-C3,
 * flags, ES, TOP), the abridged tag word, all eight registers, the memory
 * operand, EFLAGS and AX. Inputs are random with a bias to the edges:
 * zeros, denormals, pseudo-denormals, unnormals, infinities, QNaN/SNaN,
 * the indefinite, integer and format limits, huge and tiny values, under
 * all four rounding modes and precision controls, masked and unmasked
 * exceptions, and stacks from empty to full. Not compared: FIP/FDP/FOP
 * (hosts differ: AMD's FXSAVE omits them), which have their own tests.
 *
 * The rest checks what the host cannot show: #NM and #MF delivery,
 * FSTENV/FSAVE/FXSAVE layouts in every mode, the pointers, round trips,
 * fault atomicity and the named stack-fault responses.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "cpu/mem.h"
#include "mini_vcpu.h"

#define DATA 0x2000u

/* Fixed seed; SOFTVT_FPU_SEED=n runs another sequence. */
#define DEFAULT_SEED 0x9e3779b97f4a7c15ull
static uint64_t seed, rng;

static uint16_t get16(uint32_t a) { uint16_t x; memcpy(&x, ram.host + a, 2); return x; }

static void setup(void)
{
	mini_setup(NULL, NULL);
	cpu.gpr[R_ESP] = STACK;
	cpu.fpu.fcw = 0x037f;
	const char *env = getenv("SOFTVT_FPU_SEED");
	seed = env ? strtoull(env, NULL, 0) : DEFAULT_SEED;
	rng = seed ? seed : DEFAULT_SEED;
}

static void teardown(void) { mini_teardown(); }

/* Runs the code at CODE for `steps` instructions. Returns -1 when all
 * completed, else the vector of the first exception (its handler reached). */
static int run_steps(const uint8_t *code, unsigned n, unsigned steps)
{
	memcpy(ram.host + CODE, code, n);
	decode_invalidate_page(vc.dcache, CODE);
	cpu.eip = CODE;
	cpu.gpr[R_ESP] = STACK;
	for (unsigned k = 0; k < steps; k++) {
		ck_assert_int_ne(interp_step(&vc), INTERP_ERROR);
		if (cpu.eip >= HANDLERS && cpu.eip < HANDLERS + 16 * 32)
			return (int)(cpu.eip - HANDLERS) / 16;
	}
	return -1;
}

static int run1(const uint8_t *code, unsigned n)
{
	return run_steps(code, n, 1);
}

/* --- 80-bit values ----------------------------------------------------------- */

struct x80 {
	uint64_t mant;
	uint16_t se;
};

static struct x80 reg_of(const struct fpu_state *f, unsigned i)
{
	struct x80 x;
	memcpy(&x.mant, f->st[i], 8);
	memcpy(&x.se, f->st[i] + 8, 2);
	return x;
}

static void reg_set(struct fpu_state *f, unsigned i, struct x80 x)
{
	memset(f->st[i], 0, 16);
	memcpy(f->st[i], &x.mant, 8);
	memcpy(f->st[i] + 8, &x.se, 2);
}

static bool is_indefinite(struct x80 x)
{
	return x.se == 0xffff && x.mant == 0xc000000000000000ull;
}

static const struct x80 ONE = { 0x8000000000000000ull, 0x3fff };
static const struct x80 TWO = { 0x8000000000000000ull, 0x4000 };

/* --- random inputs --------------------------------------------------------------- */


static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned rndn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static struct x80 rand_x80(void)
{
	uint16_t sign = (rnd() & 1) ? 0x8000 : 0;
	uint64_t r = rnd();
	switch (rndn(18)) {
	case 0: return (struct x80){ 0, sign };
	case 1: return (struct x80){ 0x8000000000000000ull, (uint16_t)(sign | 0x7fff) };
	case 2: return (struct x80){ 0xc000000000000000ull | (r >> 2), (uint16_t)(sign | 0x7fff) };
	case 3: return (struct x80){ 0x8000000000000000ull | ((r >> 2) | 1), (uint16_t)(sign | 0x7fff) };
	case 4: return (struct x80){ 0xc000000000000000ull, 0xffff };
	case 5: return (struct x80){ r >> (1 + rndn(63)), sign };                   /* denormal */
	case 6: return (struct x80){ r | 0x8000000000000000ull, sign };             /* pseudo-denormal */
	case 7: return (struct x80){ r >> 1, (uint16_t)(sign | (1 + rndn(0x7ffe))) }; /* unnormal */
	case 8: {                                                                   /* small integers */
		uint64_t n = rndn(1000) + 1;
		int e = 63 - __builtin_clzll(n);
		return (struct x80){ n << (63 - e), (uint16_t)(sign | (0x3fff + e)) };
	}
	case 9: return (struct x80){ r | 0x8000000000000000ull, (uint16_t)(sign | (0x3fff - 64 + rndn(128))) };
	case 10: return (struct x80){ r | 0x8000000000000000ull, (uint16_t)(sign | (0x7ffe - rndn(8))) };
	case 11: return (struct x80){ r | 0x8000000000000000ull, (uint16_t)(sign | (1 + rndn(8))) };
	case 12: {                                                                  /* float/double edges */
		static const int edges[] = { 127, 128, -126, -127, -149, -150, 1023, 1024, -1022, -1074, -1075 };
		int e = edges[rndn(11)] + (int)rndn(3) - 1;
		uint64_t m = rndn(2) ? 0xffffffffffffffffull : r | 0x8000000000000000ull;
		return (struct x80){ m, (uint16_t)(sign | (0x3fff + e)) };
	}
	case 13: {                                                                  /* integer edges */
		static const int edges[] = { 15, 16, 31, 32, 63, 64, 59, 60 };
		int e = edges[rndn(8)] - (int)rndn(2);
		uint64_t m = rndn(3) == 0 ? 0x8000000000000000ull : rndn(2) ? 0xffffffffffffffffull : r | 0x8000000000000000ull;
		return (struct x80){ m, (uint16_t)(sign | (0x3fff + e)) };
	}
	case 14: {                                                                  /* n/2 + 0.5-ish for rounding */
		uint64_t n = rnd() & 0xfffff;
		return (struct x80){ ((n << 1) | 1) << 42 | 0x8000000000000000ull, (uint16_t)(sign | (0x3fff + 21)) };
	}
	case 15: return (struct x80){ r | 0x8000000000000000ull, (uint16_t)(sign | (0x3fff - 4 + rndn(70))) };
	default: return (struct x80){ r | 0x8000000000000000ull, (uint16_t)(sign | (0x3fff - 16 + rndn(32))) };
	}
}

static uint32_t rand_f32(void)
{
	uint32_t sign = (rnd() & 1) << 31, r = (uint32_t)rnd();
	switch (rndn(8)) {
	case 0: return sign;
	case 1: return sign | 0x7f800000u;
	case 2: return sign | 0x7fc00000u | (r & 0x3fffff);               /* QNaN */
	case 3: return sign | 0x7f800000u | ((r & 0x3fffff) | 1);         /* SNaN */
	case 4: return sign | (r & 0x7fffff);                             /* denormal */
	case 5: return sign | ((120u + rndn(16)) << 23) | (r & 0x7fffff);
	default: return sign | (r & 0x7fffffff);
	}
}

static uint64_t rand_f64(void)
{
	uint64_t sign = (rnd() & 1) << 63, r = rnd();
	switch (rndn(8)) {
	case 0: return sign;
	case 1: return sign | 0x7ff0000000000000ull;
	case 2: return sign | 0x7ff8000000000000ull | (r & 0x7ffffffffffffull);
	case 3: return sign | 0x7ff0000000000000ull | ((r & 0x7ffffffffffffull) | 1);
	case 4: return sign | (r & 0xfffffffffffffull);
	case 5: return sign | ((uint64_t)(1016 + rndn(16)) << 52) | (r & 0xfffffffffffffull);
	default: return sign | (r & 0x7fffffffffffffffull);
	}
}

static uint64_t rand_int(unsigned bits)
{
	uint64_t r = rnd();
	switch (rndn(5)) {
	case 0: r = rndn(3) - 1; break;
	case 1: r = 1ull << (bits - 1); break;                   /* most negative */
	case 2: r = (1ull << (bits - 1)) - 1 - rndn(2); break;   /* most positive */
	case 3: r = rnd() % 2000 - 1000; break;
	default: break;
	}
	return r;
}

static void rand_bcd(uint8_t *b)
{
	for (int k = 0; k < 9; k++)
		b[k] = rndn(10) == 0 ? (uint8_t)rnd() : (uint8_t)(rndn(10) << 4 | rndn(10));
	b[9] = (rnd() & 1) ? 0x80 : 0;
	if (rndn(8) == 0)
		b[9] |= (uint8_t)rnd();
}

/* A random FXSAVE image: registers, tags, TOP, condition codes, masked flags. */
static void rand_image(uint8_t img[512])
{
	struct fpu_state *f = (struct fpu_state *)img;
	memset(img, 0, 512);
	uint16_t cw = 0x037f & ~0x0f00u;
	cw |= (uint16_t)(rndn(4) << 10);                        /* RC */
	static const unsigned pcs[] = { 0, 2, 3, 3 };
	cw |= (uint16_t)(pcs[rndn(4)] << 8);                    /* PC */
	if (rndn(4) == 0)
		cw = (uint16_t)((cw & ~0x3fu) | (rnd() & 0x3f));   /* some exceptions unmasked */
	if (rnd() & 1)
		cw |= 0x1000;
	f->fcw = cw;
	uint16_t flags = (uint16_t)(rnd() & 0x3f & cw);        /* never an unmasked pending one */
	if ((flags & 1) && (rnd() & 1))
		flags |= 0x40;
	f->fsw = (uint16_t)(flags | (rnd() & 0x4700) | rndn(8) << 11);
	unsigned fill = rndn(4);
	for (unsigned r = 0; r < 8; r++)
		if (fill == 0 ? true : fill == 1 ? rndn(4) == 0 : rndn(4) != 0)
			f->ftw |= (uint8_t)(1u << r);
	for (unsigned k = 0; k < 8; k++)
		reg_set(f, k, rand_x80());
	f->mxcsr = 0x1f80;
}

/* --- the native side ----------------------------------------------------------------- */

struct native_regs {
	uint64_t flags, rax;
};

typedef void (*native_fn)(const void *in, void *out, void *mem, struct native_regs *r);

static uint8_t *native_page;

/*
 *   push rbx; mov rbx, rdx; push [rcx]; popfq; mov rax, [rcx+8]
 *   fxrstor [rdi]; <instruction>; mov [rcx+8], rax; pushfq; pop [rcx]
 *   fxsave [rsi]; fninit; pop rbx; ret
 * FXSAVE and FNINIT do not wait, so an unmasked exception left pending by
 * the instruction never reaches the host's #MF.
 */
static void run_native(const uint8_t *insn, unsigned n, const uint8_t *in, uint8_t *out,
		       uint8_t *mem, struct native_regs *r)
{
	static const uint8_t head[] = { 0x53, 0x48, 0x89, 0xd3, 0xff, 0x31, 0x9d,
					0x48, 0x8b, 0x41, 0x08, 0x0f, 0xae, 0x0f };
	static const uint8_t tail[] = { 0x48, 0x89, 0x41, 0x08, 0x9c, 0x8f, 0x01,
					0x0f, 0xae, 0x06, 0xdb, 0xe3, 0x5b, 0xc3 };
	if (!native_page) {
		native_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ck_assert_ptr_ne(native_page, MAP_FAILED);
	}
	ck_assert_int_eq(mprotect(native_page, 4096, PROT_READ | PROT_WRITE), 0);
	memcpy(native_page, head, sizeof(head));
	memcpy(native_page + sizeof(head), insn, n);
	memcpy(native_page + sizeof(head) + n, tail, sizeof(tail));
	ck_assert_int_eq(mprotect(native_page, 4096, PROT_READ | PROT_EXEC), 0);
	native_fn fn;
	void *p = native_page;
	memcpy(&fn, &p, sizeof(fn));
	fn(in, out, mem, r);
}

/* --- one differential case ------------------------------------------------------------- */

enum mem_kind {
	M_NONE, M_F32, M_F64, M_F80, M_I16, M_I32, M_I64, M_BCD, M_CW, M_ENV, M_SAVE, M_FX,
};

struct form {
	const char *name;
	uint8_t len;
	uint8_t bytes[4];    /* the last one is ModRM (or the fixed second byte) */
	uint8_t reg;         /* add a random i to the last byte (ST(i) forms) */
	uint8_t mem;         /* enum mem_kind of the operand read */
	uint8_t cmp;         /* bytes of memory to compare afterwards */
	uint8_t skip_lo, skip_hi;   /* memory bytes [lo, hi) not compared (pointers) */
};

#define R(name, a, b) { name, 2, { a, b }, 1, M_NONE, 0, 0, 0 }
#define F(name, a, b) { name, 2, { a, b }, 0, M_NONE, 0, 0, 0 }
#define LD(name, a, b, kind) { name, 2, { a, b }, 0, kind, 0, 0, 0 }
#define ST(name, a, b, n) { name, 2, { a, b }, 0, M_NONE, n, 0, 0 }

struct outcome {
	uint8_t img[512] __attribute__((aligned(16)));
	uint8_t mem[512] __attribute__((aligned(16)));
	uint32_t flags;
	uint16_t ax;
};

static unsigned failures;

static void dump_image(const char *what, const uint8_t *img)
{
	const struct fpu_state *f = (const struct fpu_state *)img;
	fprintf(stderr, "  %s: fcw=%04x fsw=%04x ftw=%02x\n", what, f->fcw, f->fsw, f->ftw);
	for (unsigned k = 0; k < 8; k++) {
		struct x80 x = reg_of(f, k);
		fprintf(stderr, "    st%u=%04x:%016llx%s\n", k, x.se, (unsigned long long)x.mant,
			(f->ftw >> ((k + ((f->fsw >> 11) & 7)) & 7)) & 1 ? "" : " (empty)");
	}
}

static void fill_mem(uint8_t *mem, enum mem_kind kind)
{
	for (unsigned k = 0; k < 512; k++)
		mem[k] = (uint8_t)rnd();
	switch (kind) {
	case M_F32: { uint32_t x = rand_f32(); memcpy(mem, &x, 4); break; }
	case M_F64: { uint64_t x = rand_f64(); memcpy(mem, &x, 8); break; }
	case M_F80: { struct x80 x = rand_x80(); memcpy(mem, &x.mant, 8); memcpy(mem + 8, &x.se, 2); break; }
	case M_I16: { uint16_t x = (uint16_t)rand_int(16); memcpy(mem, &x, 2); break; }
	case M_I32: { uint32_t x = (uint32_t)rand_int(32); memcpy(mem, &x, 4); break; }
	case M_I64: { uint64_t x = rand_int(64); memcpy(mem, &x, 8); break; }
	case M_BCD: rand_bcd(mem); break;
	case M_SAVE:
		for (unsigned k = 0; k < 8; k++) {
			struct x80 x = rand_x80();
			memcpy(mem + 28 + 10 * k, &x.mant, 8);
			memcpy(mem + 36 + 10 * k, &x.se, 2);
		}
		break;
	case M_FX: {
		uint8_t img[512];
		rand_image(img);
		struct fpu_state *f = (struct fpu_state *)img;
		f->fsw = (uint16_t)rnd();
		f->ftw = (uint8_t)rnd();
		memcpy(mem, img, 464);
		break;
	}
	default:
		break;
	}
}

static void run_case(const struct form *fm)
{
	uint8_t insn[4];
	memcpy(insn, fm->bytes, fm->len);
	if (fm->reg)
		insn[fm->len - 1] = (uint8_t)(insn[fm->len - 1] + rndn(8));
	uint8_t in[512] __attribute__((aligned(16)));
	uint8_t mem[512];
	rand_image(in);
	fill_mem(mem, (enum mem_kind)fm->mem);
	uint32_t flags = (uint32_t)rnd() & EFL_ARITH;
	uint16_t ax = (uint16_t)rnd();

	static struct outcome nat, emu;
	memcpy(nat.mem, mem, 512);
	struct native_regs nr = { flags | 0x202, ax };
	run_native(insn, fm->len, in, nat.img, nat.mem, &nr);
	nat.flags = (uint32_t)nr.flags & EFL_ARITH;
	nat.ax = (uint16_t)nr.rax;

	memcpy(&cpu.fpu, in, 512);
	cpu.fpu.mxcsr_mask = 0xffbf;
	memcpy(ram.host + DATA, mem, 512);
	cpu.gpr[R_EBX] = DATA;
	cpu.gpr[R_EAX] = 0x12340000u | ax;
	cpu.eflags = (cpu.eflags & ~EFL_ARITH) | flags;
	vc.lf.op = LF_NONE;
	int vec = run1(insn, fm->len);
	memcpy(emu.img, &cpu.fpu, 512);
	memcpy(emu.mem, ram.host + DATA, 512);
	emu.flags = flags_arith(&vc);
	emu.ax = (uint16_t)cpu.gpr[R_EAX];

	const struct fpu_state *a = (const struct fpu_state *)nat.img;
	const struct fpu_state *b = (const struct fpu_state *)emu.img;
	char why[160] = "";
	if (vec >= 0)
		snprintf(why, sizeof(why), "exception %d", vec);
	else if (a->fcw != b->fcw)
		snprintf(why, sizeof(why), "fcw %04x, interp %04x", a->fcw, b->fcw);
	else if (a->fsw != b->fsw)
		snprintf(why, sizeof(why), "fsw %04x, interp %04x", a->fsw, b->fsw);
	else if (a->ftw != b->ftw)
		snprintf(why, sizeof(why), "ftw %02x, interp %02x", a->ftw, b->ftw);
	else if (nat.flags != emu.flags)
		snprintf(why, sizeof(why), "eflags %03x, interp %03x", nat.flags, emu.flags);
	else if (nat.ax != emu.ax || (cpu.gpr[R_EAX] >> 16) != 0x1234)
		snprintf(why, sizeof(why), "ax %04x, interp %08x", nat.ax, cpu.gpr[R_EAX]);
	for (unsigned k = 0; k < 8 && !why[0]; k++)
		if (memcmp(a->st[k], b->st[k], 10))
			snprintf(why, sizeof(why), "st%u differs", k);
	for (unsigned k = 0; k < fm->cmp && !why[0]; k++)
		if ((k < fm->skip_lo || k >= fm->skip_hi) && nat.mem[k] != emu.mem[k])
			snprintf(why, sizeof(why), "memory byte %u: %02x, interp %02x", k, nat.mem[k],
				 emu.mem[k]);
	if (!why[0])
		return;
	if (++failures > 12)
		return;
	fprintf(stderr, "MISMATCH %s (", fm->name);
	for (unsigned k = 0; k < fm->len; k++)
		fprintf(stderr, "%s%02x", k ? " " : "", insn[k]);
	fprintf(stderr, "): %s; eflags in %03x\n", why, flags);
	fprintf(stderr, "  mem in:");
	for (unsigned k = 0; k < 16; k++)
		fprintf(stderr, " %02x", mem[k]);
	fprintf(stderr, "\n  mem native:");
	for (unsigned k = 0; k < 16; k++)
		fprintf(stderr, " %02x", nat.mem[k]);
	fprintf(stderr, "\n  mem interp:");
	for (unsigned k = 0; k < 16; k++)
		fprintf(stderr, " %02x", emu.mem[k]);
	fprintf(stderr, "\n");
	dump_image("in", in);
	dump_image("native", nat.img);
	dump_image("interp", emu.img);
}

static void run_forms(const struct form *forms, unsigned nforms, unsigned cases)
{
	failures = 0;
	for (unsigned n = 0; n < cases; n++)
		run_case(&forms[n % nforms]);
	ck_assert_msg(failures == 0, "%u of %u cases differ from the host x87 (seed %#llx)", failures,
		      cases, (unsigned long long)seed);
}

#define NFORMS(a) (sizeof(a) / sizeof(a[0]))
#define CASE_SCALE 5       /* about 250,000 cases in all, a few seconds */

/* [ebx] operands: ModRM mod 00 rm 011. */
#define MR(r) (uint8_t)((r) << 3 | 3)

START_TEST(diff_arith_registers)
{
	static const struct form forms[] = {
		R("fadd st0,sti", 0xd8, 0xc0), R("fmul st0,sti", 0xd8, 0xc8),
		R("fsub st0,sti", 0xd8, 0xe0), R("fsubr st0,sti", 0xd8, 0xe8),
		R("fdiv st0,sti", 0xd8, 0xf0), R("fdivr st0,sti", 0xd8, 0xf8),
		R("fadd sti,st0", 0xdc, 0xc0), R("fmul sti,st0", 0xdc, 0xc8),
		R("fsubr sti,st0", 0xdc, 0xe0), R("fsub sti,st0", 0xdc, 0xe8),
		R("fdivr sti,st0", 0xdc, 0xf0), R("fdiv sti,st0", 0xdc, 0xf8),
		R("faddp", 0xde, 0xc0), R("fmulp", 0xde, 0xc8), R("fsubrp", 0xde, 0xe0),
		R("fsubp", 0xde, 0xe8), R("fdivrp", 0xde, 0xf0), R("fdivp", 0xde, 0xf8),
	};
	run_forms(forms, NFORMS(forms), 18 * 400 * CASE_SCALE);
}
END_TEST

START_TEST(diff_arith_memory)
{
	static const struct form forms[] = {
		LD("fadd m32", 0xd8, MR(0), M_F32), LD("fmul m32", 0xd8, MR(1), M_F32),
		LD("fsub m32", 0xd8, MR(4), M_F32), LD("fsubr m32", 0xd8, MR(5), M_F32),
		LD("fdiv m32", 0xd8, MR(6), M_F32), LD("fdivr m32", 0xd8, MR(7), M_F32),
		LD("fadd m64", 0xdc, MR(0), M_F64), LD("fmul m64", 0xdc, MR(1), M_F64),
		LD("fsub m64", 0xdc, MR(4), M_F64), LD("fsubr m64", 0xdc, MR(5), M_F64),
		LD("fdiv m64", 0xdc, MR(6), M_F64), LD("fdivr m64", 0xdc, MR(7), M_F64),
		LD("fiadd m32", 0xda, MR(0), M_I32), LD("fimul m32", 0xda, MR(1), M_I32),
		LD("fisub m32", 0xda, MR(4), M_I32), LD("fisubr m32", 0xda, MR(5), M_I32),
		LD("fidiv m32", 0xda, MR(6), M_I32), LD("fidivr m32", 0xda, MR(7), M_I32),
		LD("fiadd m16", 0xde, MR(0), M_I16), LD("fimul m16", 0xde, MR(1), M_I16),
		LD("fisub m16", 0xde, MR(4), M_I16), LD("fisubr m16", 0xde, MR(5), M_I16),
		LD("fidiv m16", 0xde, MR(6), M_I16), LD("fidivr m16", 0xde, MR(7), M_I16),
	};
	run_forms(forms, NFORMS(forms), 24 * 300 * CASE_SCALE);
}
END_TEST

START_TEST(diff_compare)
{
	static const struct form forms[] = {
		R("fcom sti", 0xd8, 0xd0), R("fcomp sti", 0xd8, 0xd8), F("fcompp", 0xde, 0xd9),
		R("fucom sti", 0xdd, 0xe0), R("fucomp sti", 0xdd, 0xe8), F("fucompp", 0xda, 0xe9),
		R("fcom2 (dc d0+i)", 0xdc, 0xd0), R("fcomp3 (dc d8+i)", 0xdc, 0xd8),
		R("fcomp5 (de d0+i)", 0xde, 0xd0),
		R("fcomi", 0xdb, 0xf0), R("fucomi", 0xdb, 0xe8), R("fcomip", 0xdf, 0xf0),
		R("fucomip", 0xdf, 0xe8),
		LD("fcom m32", 0xd8, MR(2), M_F32), LD("fcomp m32", 0xd8, MR(3), M_F32),
		LD("fcom m64", 0xdc, MR(2), M_F64), LD("fcomp m64", 0xdc, MR(3), M_F64),
		LD("ficom m32", 0xda, MR(2), M_I32), LD("ficomp m32", 0xda, MR(3), M_I32),
		LD("ficom m16", 0xde, MR(2), M_I16), LD("ficomp m16", 0xde, MR(3), M_I16),
		F("ftst", 0xd9, 0xe4), F("fxam", 0xd9, 0xe5),
	};
	run_forms(forms, NFORMS(forms), 23 * 300 * CASE_SCALE);
}
END_TEST

START_TEST(diff_loads)
{
	static const struct form forms[] = {
		LD("fld m32", 0xd9, MR(0), M_F32), LD("fld m64", 0xdd, MR(0), M_F64),
		LD("fld m80", 0xdb, MR(5), M_F80), R("fld sti", 0xd9, 0xc0),
		LD("fild m16", 0xdf, MR(0), M_I16), LD("fild m32", 0xdb, MR(0), M_I32),
		LD("fild m64", 0xdf, MR(5), M_I64), LD("fbld", 0xdf, MR(4), M_BCD),
		F("fld1", 0xd9, 0xe8), F("fldl2t", 0xd9, 0xe9), F("fldl2e", 0xd9, 0xea),
		F("fldpi", 0xd9, 0xeb), F("fldlg2", 0xd9, 0xec), F("fldln2", 0xd9, 0xed),
		F("fldz", 0xd9, 0xee),
	};
	run_forms(forms, NFORMS(forms), 15 * 400 * CASE_SCALE);
}
END_TEST

START_TEST(diff_stores)
{
	static const struct form forms[] = {
		ST("fst m32", 0xd9, MR(2), 4), ST("fstp m32", 0xd9, MR(3), 4),
		ST("fst m64", 0xdd, MR(2), 8), ST("fstp m64", 0xdd, MR(3), 8),
		ST("fstp m80", 0xdb, MR(7), 10),
		ST("fist m16", 0xdf, MR(2), 2), ST("fistp m16", 0xdf, MR(3), 2),
		ST("fist m32", 0xdb, MR(2), 4), ST("fistp m32", 0xdb, MR(3), 4),
		ST("fistp m64", 0xdf, MR(7), 8), ST("fbstp", 0xdf, MR(6), 10),
		R("fst sti", 0xdd, 0xd0), R("fstp sti", 0xdd, 0xd8), R("fstp1 (d9 d8+i)", 0xd9, 0xd8),
		R("fstp8 (df d0+i)", 0xdf, 0xd0), R("fstp9 (df d8+i)", 0xdf, 0xd8),
	};
	run_forms(forms, NFORMS(forms), 16 * 400 * CASE_SCALE);
}
END_TEST

START_TEST(diff_functions)
{
	static const struct form forms[] = {
		F("fchs", 0xd9, 0xe0), F("fabs", 0xd9, 0xe1), F("fsqrt", 0xd9, 0xfa),
		F("frndint", 0xd9, 0xfc), F("fscale", 0xd9, 0xfd), F("fprem", 0xd9, 0xf8),
		F("fprem1", 0xd9, 0xf5), F("fxtract", 0xd9, 0xf4), F("f2xm1", 0xd9, 0xf0),
		F("fyl2x", 0xd9, 0xf1), F("fyl2xp1", 0xd9, 0xf9), F("fptan", 0xd9, 0xf2),
		F("fpatan", 0xd9, 0xf3), F("fsincos", 0xd9, 0xfb), F("fsin", 0xd9, 0xfe),
		F("fcos", 0xd9, 0xff),
	};
	run_forms(forms, NFORMS(forms), 16 * 400 * CASE_SCALE);
}
END_TEST

START_TEST(diff_stack_and_moves)
{
	static const struct form forms[] = {
		R("fxch", 0xd9, 0xc8), R("fxch4 (dd c8+i)", 0xdd, 0xc8), R("fxch7 (df c8+i)", 0xdf, 0xc8),
		R("fcmovb", 0xda, 0xc0), R("fcmove", 0xda, 0xc8), R("fcmovbe", 0xda, 0xd0),
		R("fcmovu", 0xda, 0xd8), R("fcmovnb", 0xdb, 0xc0), R("fcmovne", 0xdb, 0xc8),
		R("fcmovnbe", 0xdb, 0xd0), R("fcmovnu", 0xdb, 0xd8),
		R("ffree", 0xdd, 0xc0), R("ffreep", 0xdf, 0xc0),
		F("fincstp", 0xd9, 0xf7), F("fdecstp", 0xd9, 0xf6), F("fnop", 0xd9, 0xd0),
		F("fnclex", 0xdb, 0xe2), F("fninit", 0xdb, 0xe3), F("fneni", 0xdb, 0xe0),
		F("fndisi", 0xdb, 0xe1), F("fnsetpm", 0xdb, 0xe4),
	};
	run_forms(forms, NFORMS(forms), 21 * 200 * CASE_SCALE);
}
END_TEST

START_TEST(diff_control)
{
	static const struct form forms[] = {
		{ "fnstsw m16", 2, { 0xdd, MR(7) }, 0, M_NONE, 2, 0, 0 },
		{ "fnstsw ax", 2, { 0xdf, 0xe0 }, 0, M_NONE, 0, 0, 0 },
		{ "fnstcw", 2, { 0xd9, MR(7) }, 0, M_NONE, 2, 0, 0 },
		{ "fldcw", 2, { 0xd9, MR(5) }, 0, M_CW, 0, 0, 0 },
		{ "fnstenv", 2, { 0xd9, MR(6) }, 0, M_NONE, 28, 12, 28 },
		{ "fnstenv (16-bit)", 3, { 0x66, 0xd9, MR(6) }, 0, M_NONE, 14, 6, 14 },
		{ "fldenv", 2, { 0xd9, MR(4) }, 0, M_ENV, 0, 0, 0 },
		{ "fldenv (16-bit)", 3, { 0x66, 0xd9, MR(4) }, 0, M_ENV, 0, 0, 0 },
		{ "fnsave", 2, { 0xdd, MR(6) }, 0, M_NONE, 108, 12, 28 },
		{ "fnsave (16-bit)", 3, { 0x66, 0xdd, MR(6) }, 0, M_NONE, 94, 6, 14 },
		{ "frstor", 2, { 0xdd, MR(4) }, 0, M_SAVE, 0, 0, 0 },
		{ "frstor (16-bit)", 3, { 0x66, 0xdd, MR(4) }, 0, M_SAVE, 0, 0, 0 },
		{ "fxsave", 3, { 0x0f, 0xae, MR(0) }, 0, M_NONE, 160, 6, 32 },
		{ "fxrstor", 3, { 0x0f, 0xae, MR(1) }, 0, M_FX, 0, 0, 0 },
	};
	run_forms(forms, NFORMS(forms), 14 * 300 * CASE_SCALE);
}
END_TEST

/* --- #NM and #MF ------------------------------------------------------------------- */

static const uint8_t FNOP[] = { 0xd9, 0xd0 };
static const uint8_t FWAIT[] = { 0x9b };
static const uint8_t FXSAVE_EBX[] = { 0x0f, 0xae, 0x03 };

START_TEST(nm_follows_cr0_em_ts_mp)
{
	cpu.gpr[R_EBX] = DATA;
	cpu.cr0 |= CR0_TS;
	ck_assert_int_eq(run1(FNOP, 2), EXC_NM);
	ck_assert_uint_eq(get32(STACK - 12), CODE);             /* a fault: EIP of the FNOP */
	ck_assert_int_eq(run1(FWAIT, 1), -1);                  /* TS without MP: WAIT runs */
	cpu.cr0 |= CR0_MP;
	ck_assert_int_eq(run1(FWAIT, 1), EXC_NM);
	cpu.cr0 &= ~(CR0_TS | CR0_MP);
	ck_assert_int_eq(run1(FNOP, 2), -1);
	cpu.cr0 |= CR0_EM;
	ck_assert_int_eq(run1(FNOP, 2), EXC_NM);
	ck_assert_int_eq(run1(FWAIT, 1), -1);                  /* EM alone: WAIT runs */
	cpu.cr0 |= CR0_MP;
	ck_assert_int_eq(run1(FWAIT, 1), -1);
	ck_assert_int_eq(run1(FXSAVE_EBX, 3), EXC_UD);          /* FXSAVE: #UD with EM */
	cpu.cr0 &= ~CR0_EM;
	cpu.cr0 |= CR0_TS;
	ck_assert_int_eq(run1(FXSAVE_EBX, 3), EXC_NM);
	static const uint8_t fxrstor[] = { 0x0f, 0xae, 0x0b };
	ck_assert_int_eq(run1(fxrstor, 3), EXC_NM);
	static const uint8_t fninit[] = { 0xdb, 0xe3 };
	ck_assert_int_eq(run1(fninit, 2), EXC_NM);             /* no-wait forms too */
}
END_TEST

START_TEST(mf_at_next_waiting_instruction)
{
	/* fldcw [ebx]; fld1; fldz; fdivp st1, st0 (1/0, ZE unmasked); fadd st0, st0 */
	static const uint8_t code[] = { 0xd9, 0x2b, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0xd8, 0xc0 };
	cpu.gpr[R_EBX] = DATA;
	put32(DATA, 0x037b);
	ck_assert_int_eq(run_steps(code, sizeof(code), 4), -1);
	ck_assert_uint_eq(cpu.fpu.fsw & 0x80ff, 0x8084);        /* B, ES, ZE */
	ck_assert_uint_eq(cpu.fpu.fsw >> 11 & 7, 6);             /* not popped: #Z unmasked */
	ck_assert_int_eq(run1(code + 8, 2), EXC_MF);
	ck_assert_uint_eq(get32(STACK - 12), CODE);              /* EIP of the FADD */
	ck_assert_uint_eq(cpu.fpu.fsw >> 11 & 7, 6);
	/* No-wait instructions run with the exception pending. */
	static const uint8_t fnstsw_ax[] = { 0xdf, 0xe0 };
	ck_assert_int_eq(run1(fnstsw_ax, 2), -1);
	ck_assert_uint_eq(cpu.gpr[R_EAX] & 0xffff, cpu.fpu.fsw);
	ck_assert_int_eq(run1(FWAIT, 1), EXC_MF);
	ck_assert_int_eq(run1(FNOP, 2), EXC_MF);
	static const uint8_t fldcw[] = { 0xd9, 0x2b };
	ck_assert_int_eq(run1(fldcw, 2), EXC_MF);              /* FLDCW waits too */
	ck_assert_int_eq(run1(FXSAVE_EBX, 3), -1);              /* FXSAVE does not */
	/* CR0.NE=0 still gives #MF (IRQ13 is not modelled). */
	cpu.cr0 &= ~CR0_NE;
	ck_assert_int_eq(run1(FNOP, 2), EXC_MF);
	static const uint8_t fnclex[] = { 0xdb, 0xe2 };
	ck_assert_int_eq(run1(fnclex, 2), -1);
	ck_assert_uint_eq(cpu.fpu.fsw & 0x80ff, 0);
	ck_assert_int_eq(run1(FNOP, 2), -1);
}
END_TEST

START_TEST(fldcw_unmasking_a_flag_makes_it_pending)
{
	static const uint8_t code[] = { 0xd9, 0x2b, 0xd9, 0xd0 };   /* fldcw [ebx]; fnop */
	cpu.gpr[R_EBX] = DATA;
	cpu.fpu.fsw = 0x0020;                 /* PE, masked */
	put32(DATA, 0x035f);                  /* unmask PE */
	ck_assert_int_eq(run_steps(code, 4, 1), -1);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x035f);
	ck_assert_uint_eq(cpu.fpu.fsw, 0x80a0);
	ck_assert_int_eq(run1(code + 2, 2), EXC_MF);         /* at the FNOP */
}
END_TEST

START_TEST(fisttp_is_sse3_and_undefined)
{
	static const uint8_t fisttp[] = { 0xdb, 0x0b };
	cpu.gpr[R_EBX] = DATA;
	ck_assert_int_eq(run1(fisttp, 2), EXC_UD);
}
END_TEST

/* --- stack faults, tags -------------------------------------------------------------- */

START_TEST(stack_overflow_and_underflow)
{
	static const uint8_t nine_fld1[] = { 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8,
					     0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8 };
	ck_assert_int_eq(run_steps(nine_fld1, 16, 8), -1);
	ck_assert_uint_eq(cpu.fpu.ftw, 0xff);
	ck_assert_uint_eq(cpu.fpu.fsw & 0x027f, 0);
	ck_assert_int_eq(run1(nine_fld1 + 16, 2), -1);
	/* Masked overflow: IE, SF, C1=1, the indefinite pushed over ST(7). */
	ck_assert_uint_eq(cpu.fpu.fsw & 0x3a7f, 0x3a41);         /* TOP 7 after 9 pushes */
	ck_assert(is_indefinite(reg_of(&cpu.fpu, 0)));
	/* Underflow: fninit; fadd st0, st1 -> C1=0, IE, SF, ST(0) = indefinite. */
	static const uint8_t under[] = { 0xdb, 0xe3, 0xd9, 0xe8, 0xd8, 0xc1 };
	ck_assert_int_eq(run_steps(under, 6, 3), -1);
	ck_assert_uint_eq(cpu.fpu.fsw & 0x0241, 0x0041);
	ck_assert(is_indefinite(reg_of(&cpu.fpu, 0)));
	/* Unmasked: nothing but the status word changes. */
	cpu.fpu.fcw = 0x037e;
	cpu.fpu.fsw = 0;
	cpu.fpu.ftw = 0;
	ck_assert_int_eq(run1(nine_fld1 + 16, 2), -1);
	ck_assert_int_eq(run1(under + 4, 2), -1);
	ck_assert_uint_eq(cpu.fpu.fsw, 0xb8c1);                  /* B ES SF IE, C1 0, TOP 7 */
	ck_assert_uint_eq(cpu.fpu.ftw, 0x80);
}
END_TEST

START_TEST(tag_word_classes)
{
	/* fninit; fld [ebx] (m80) x5; fldz; fld1; fnstenv [ebx+0x40] */
	static const uint8_t code[] = { 0xdb, 0xe3, 0xdb, 0x2b, 0xdb, 0x6b, 0x10, 0xdb, 0x6b, 0x20,
					0xdb, 0x6b, 0x30, 0xd9, 0xee, 0xd9, 0xe8, 0xd9, 0x73, 0x40 };
	cpu.gpr[R_EBX] = DATA;
	const struct x80 vals[4] = {
		{ 0x8000000000000000ull, 0x7fff },      /* +inf: special */
		{ 0x0000000000000001ull, 0x0000 },      /* denormal: special */
		{ 0x4000000000000000ull, 0x4000 },      /* unnormal: special */
		{ 0xc000000000000000ull, 0x3fff },      /* 1.5: valid */
	};
	for (int k = 0; k < 4; k++) {
		memcpy(ram.host + DATA + 16 * k, &vals[k].mant, 8);
		memcpy(ram.host + DATA + 16 * k + 8, &vals[k].se, 2);
	}
	ck_assert_int_eq(run_steps(code, sizeof(code), 8), -1);
	/* R7 inf, R6 denormal, R5 unnormal: special (10); R4 1.5, R2 1.0: valid (00);
	 * R3 +0: zero (01); R1 R0: empty (11). */
	ck_assert_uint_eq(get16(DATA + 0x48), 0xa84f);
	ck_assert_uint_eq(cpu.fpu.ftw, 0xfc);
	/* FLDENV takes "empty" from the image and re-tags the rest from the contents:
	 * the image claims R0 and R6 valid; R0 holds +0 (zero), R6 the denormal. */
	put32(DATA + 0x48, 0xffffcffc);
	static const uint8_t ld[] = { 0xd9, 0x63, 0x40, 0xd9, 0x73, 0x40 };   /* fldenv; fnstenv */
	ck_assert_int_eq(run_steps(ld, sizeof(ld), 2), -1);
	ck_assert_uint_eq(cpu.fpu.ftw, 0x41);
	ck_assert_uint_eq(get16(DATA + 0x48), 0xeffd);
}
END_TEST

/* --- pointers ------------------------------------------------------------------------ */

START_TEST(instruction_and_data_pointers)
{
	/* fld1; fadd dword [ebx+4]; fnstcw [ebx+0x20]; fnstenv [ebx+0x40] */
	static const uint8_t code[] = { 0xd9, 0xe8, 0xd8, 0x43, 0x04, 0xd9, 0x7b, 0x20, 0xd9, 0x73, 0x40 };
	cpu.gpr[R_EBX] = DATA;
	cpu.fpu.fcw = 0x0360;                   /* everything unmasked */
	put32(DATA + 4, 0x3f800000);
	ck_assert_int_eq(run_steps(code, sizeof(code), 4), -1);
	ck_assert_uint_eq(get32(DATA + 0x40 + 12), CODE + 2);                    /* FIP */
	ck_assert_uint_eq(get32(DATA + 0x40 + 16), 0x0008u | (0x043u << 16));      /* FCS, FOP */
	ck_assert_uint_eq(get32(DATA + 0x40 + 20), DATA + 4);                     /* FDP */
	ck_assert_uint_eq(get32(DATA + 0x40 + 24), 0xffff0010u);                  /* FDS */
	ck_assert_uint_eq(get32(DATA + 0x40), 0xffff0360u);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x037f);               /* then FNSTENV masks everything */
	ck_assert_uint_eq(reg_of(&cpu.fpu, 0).se, TWO.se);
	/* Control instructions leave the pointers; FNINIT clears them. */
	ck_assert_uint_eq(cpu.fpu.fip, CODE + 2);
	static const uint8_t fninit[] = { 0xdb, 0xe3 };
	ck_assert_int_eq(run1(fninit, 2), -1);
	ck_assert_uint_eq(cpu.fpu.fip | cpu.fpu.fdp | cpu.fpu.fop | cpu.fpu.fcs, 0);
	/* A register instruction updates FIP and FOP but not FDP. */
	cpu.fpu.fdp = 0x1234;
	static const uint8_t fnop[] = { 0x90, 0xd9, 0xd0 };
	ck_assert_int_eq(run_steps(fnop, 3, 2), -1);
	ck_assert_uint_eq(cpu.fpu.fip, CODE + 1);
	ck_assert_uint_eq(cpu.fpu.fop, 0x1d0);
	ck_assert_uint_eq(cpu.fpu.fdp, 0x1234);
}
END_TEST

/* --- FSTENV/FSAVE layouts ----------------------------------------------------------------- */

static void state_for_layout(void)
{
	cpu.fpu.fcw = 0x0b7f;
	cpu.fpu.fsw = 0x4521 | 5 << 11;
	cpu.fpu.ftw = 0xe0;                     /* R5 R6 R7 = ST0 ST1 ST2 */
	reg_set(&cpu.fpu, 0, ONE);
	reg_set(&cpu.fpu, 1, (struct x80){ 0, 0 });
	reg_set(&cpu.fpu, 2, (struct x80){ 0x8000000000000000ull, 0xffff });
	cpu.fpu.fip = 0x12345678;
	cpu.fpu.fcs = 0x0008;
	cpu.fpu.fop = 0x5a5;
	cpu.fpu.fdp = 0x9abcdef0;
	cpu.fpu.fds = 0x0010;
}

START_TEST(fsave_frstor_32bit_protected)
{
	state_for_layout();
	struct fpu_state before = cpu.fpu;
	static const uint8_t save[] = { 0xdd, 0x33 };        /* fnsave [ebx] */
	static const uint8_t rstor[] = { 0xdd, 0x23 };       /* frstor [ebx] */
	cpu.gpr[R_EBX] = DATA;
	ck_assert_int_eq(run1(save, 2), -1);
	ck_assert_uint_eq(get32(DATA), 0xffff0b7fu);
	ck_assert_uint_eq(get32(DATA + 4), 0xffff0000u | (0x4521 | 5 << 11));
	/* tags: R5 valid, R6 zero, R7 special, rest empty */
	ck_assert_uint_eq(get32(DATA + 8), 0xffff0000u | 0x93ff);
	ck_assert_uint_eq(get32(DATA + 12), 0x12345678);
	ck_assert_uint_eq(get32(DATA + 16), 0x05a50008);
	ck_assert_uint_eq(get32(DATA + 20), 0x9abcdef0);
	ck_assert_uint_eq(get32(DATA + 24), 0xffff0010u);
	ck_assert_mem_eq(ram.host + DATA + 28, before.st[0], 10);   /* ST(0) first */
	ck_assert_mem_eq(ram.host + DATA + 48, before.st[2], 10);
	/* FNSAVE re-initializes. */
	ck_assert_uint_eq(cpu.fpu.fcw, 0x037f);
	ck_assert_uint_eq(cpu.fpu.fsw, 0);
	ck_assert_uint_eq(cpu.fpu.ftw, 0);
	ck_assert_uint_eq(cpu.fpu.fip, 0);
	ck_assert_int_eq(run1(rstor, 2), -1);
	ck_assert_uint_eq(cpu.fpu.fcw, before.fcw);
	ck_assert_uint_eq(cpu.fpu.fsw, before.fsw);
	ck_assert_uint_eq(cpu.fpu.ftw, before.ftw);
	ck_assert_uint_eq(cpu.fpu.fip, before.fip);
	ck_assert_uint_eq(cpu.fpu.fcs, before.fcs);
	ck_assert_uint_eq(cpu.fpu.fop, before.fop);
	ck_assert_uint_eq(cpu.fpu.fdp, before.fdp);
	ck_assert_uint_eq(cpu.fpu.fds, before.fds);
	ck_assert_mem_eq(cpu.fpu.st, before.st, sizeof(before.st));
}
END_TEST

START_TEST(fstenv_16bit_protected)
{
	state_for_layout();
	static const uint8_t env16[] = { 0x66, 0xd9, 0x33, 0x66, 0xd9, 0x23 };   /* fnstenv; fldenv */
	cpu.gpr[R_EBX] = DATA;
	memset(ram.host + DATA, 0xee, 32);
	ck_assert_int_eq(run_steps(env16, 3, 1), -1);
	ck_assert_uint_eq(get16(DATA), 0x0b7f);
	ck_assert_uint_eq(get16(DATA + 2), 0x4521 | 5 << 11);
	ck_assert_uint_eq(get16(DATA + 4), 0x93ff);
	ck_assert_uint_eq(get16(DATA + 6), 0x5678);
	ck_assert_uint_eq(get16(DATA + 8), 0x0008);
	ck_assert_uint_eq(get16(DATA + 10), 0xdef0);
	ck_assert_uint_eq(get16(DATA + 12), 0x0010);
	ck_assert_uint_eq(ram.host[DATA + 14], 0xee);       /* 14 bytes only */
	ck_assert_uint_eq(cpu.fpu.fcw, 0x0b7f);
	const uint16_t cw = 0x0f7b;
	memcpy(ram.host + DATA, &cw, 2);
	ck_assert_int_eq(run1(env16 + 3, 3), -1);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x0f7b);
	ck_assert_uint_eq(cpu.fpu.fip, 0x5678);
	ck_assert_uint_eq(cpu.fpu.fdp, 0xdef0);
}
END_TEST

static void enter_real_mode(void)
{
	cpu.cr0 &= ~CR0_PE;
	const uint16_t rw = SEG_P | SEG_S | 0x3;
	for (int s = 0; s < S_NSEG; s++)
		cpu.seg[s] = (struct seg_cache){ 0, 0, 0xffff, rw };
	cpu.seg[S_CS] = (struct seg_cache){ 0x1100, 0x11000, 0xffff, SEG_P | SEG_S | 0xb };
	cpu.seg[S_DS] = (struct seg_cache){ 0x2100, 0x21000, 0xffff, rw };
}

START_TEST(fstenv_real_mode_layouts)
{
	enter_real_mode();
	/* fadd dword [bx+4]; fnstenv [bx+0x40]; o32 fnstenv [bx+0x60] */
	static const uint8_t code[] = { 0xd8, 0x47, 0x04, 0xd9, 0x77, 0x40, 0x66, 0xd9, 0x77, 0x60 };
	memcpy(ram.host + 0x11000, code, sizeof(code));
	decode_invalidate_page(vc.dcache, 0x11000);
	cpu.eip = 0;
	cpu.gpr[R_ESP] = 0x8000;
	cpu.gpr[R_EBX] = 0x10;
	cpu.fpu.ftw = 0x01;
	reg_set(&cpu.fpu, 0, ONE);
	for (int k = 0; k < 3; k++)
		ck_assert_int_ne(interp_step(&vc), INTERP_ERROR);
	ck_assert_uint_eq(cpu.eip, sizeof(code));
	uint32_t e16 = 0x21000 + 0x10 + 0x40, e32 = 0x21000 + 0x10 + 0x60;
	/* 16-bit real-mode format: 20-bit linear addresses, FOP beside FIP 19..16. */
	ck_assert_uint_eq(get16(e16 + 6), 0x1000);                /* FIP = 0x11000 */
	ck_assert_uint_eq(get16(e16 + 8), 0x1000 | 0x047);
	ck_assert_uint_eq(get16(e16 + 10), 0x1014);               /* FDP = 0x21014 */
	ck_assert_uint_eq(get16(e16 + 12), 0x2000);
	/* 32-bit real-mode format. */
	ck_assert_uint_eq(get32(e32 + 12) & 0xffff, 0x1000);
	ck_assert_uint_eq(get32(e32 + 16), 0x1000 | 0x047);
	ck_assert_uint_eq(get32(e32 + 20) & 0xffff, 0x1014);
	ck_assert_uint_eq(get32(e32 + 24), 0x2000);
	/* FLDENV of the real-mode image keeps the linear addresses. */
	static const uint8_t ld[] = { 0x66, 0xd9, 0x67, 0x60 };
	memcpy(ram.host + 0x11000, ld, sizeof(ld));
	decode_invalidate_page(vc.dcache, 0x11000);
	cpu.eip = 0;
	ck_assert_int_ne(interp_step(&vc), INTERP_ERROR);
	ck_assert_uint_eq(cpu.fpu.fip, 0x11000);
	ck_assert_uint_eq(cpu.fpu.fdp, 0x21014);
	ck_assert_uint_eq(cpu.fpu.fop, 0x047);
}
END_TEST

/* --- FXSAVE / FXRSTOR ------------------------------------------------------------------ */

START_TEST(fxsave_is_the_state_image)
{
	state_for_layout();
	cpu.fpu.mxcsr = 0x1f80;
	cpu.fpu.mxcsr_mask = 0xffbf;
	memset(cpu.fpu.xmm, 0x5c, sizeof(cpu.fpu.xmm));
	cpu.gpr[R_EBX] = DATA;
	memset(ram.host + DATA, 0xaa, 512);
	ck_assert_int_eq(run1(FXSAVE_EBX, 3), -1);
	ck_assert_mem_eq(ram.host + DATA, &cpu.fpu, 464);
	ck_assert_uint_eq(ram.host[DATA + 464], 0xaa);            /* 464-511 left to software */
	ck_assert_uint_eq(ram.host[DATA + 511], 0xaa);
	ck_assert_uint_eq(ram.host[DATA + 4], 0xe0);              /* abridged tags */
	ck_assert_mem_eq(ram.host + DATA + 32, &ONE.mant, 8);     /* ST(0) first */
	/* Change everything, FXRSTOR, compare. */
	struct fpu_state saved = cpu.fpu;
	memset(&cpu.fpu, 0, sizeof(cpu.fpu));
	cpu.fpu.mxcsr_mask = 0xffbf;
	static const uint8_t fxrstor[] = { 0x0f, 0xae, 0x0b };
	ck_assert_int_eq(run1(fxrstor, 3), -1);
	ck_assert_mem_eq(&cpu.fpu, &saved, 24);
	ck_assert_mem_eq(cpu.fpu.st, saved.st, sizeof(saved.st) + sizeof(saved.xmm));
	ck_assert_uint_eq(cpu.fpu.mxcsr, 0x1f80);
}
END_TEST

START_TEST(fxsave_alignment_and_mxcsr_checks)
{
	cpu.gpr[R_EBX] = DATA + 8;
	ck_assert_int_eq(run1(FXSAVE_EBX, 3), EXC_GP);
	cpu.gpr[R_EBX] = DATA;
	ck_assert_int_eq(run1(FXSAVE_EBX, 3), -1);
	put32(DATA + 24, 0x1f80 | 0x40);        /* DAZ: not in MXCSR_MASK 0xffbf */
	static const uint8_t fxrstor[] = { 0x0f, 0xae, 0x0b };
	cpu.fpu.fcw = 0x0123;
	ck_assert_int_eq(run1(fxrstor, 3), EXC_GP);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x0123);             /* nothing loaded */
	put32(DATA + 24, 0x1f80);
	ck_assert_int_eq(run1(fxrstor, 3), -1);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x037f);
}
END_TEST

/* --- fault atomicity ------------------------------------------------------------------- */

START_TEST(faulting_store_leaves_the_fpu_alone)
{
	/* fld1; fstp dword [ebx] with DS limit below ebx: #GP, ST(0) still there. */
	static const uint8_t code[] = { 0xd9, 0xe8, 0xd9, 0x1b };
	cpu.gpr[R_EBX] = DATA;
	ck_assert_int_eq(run_steps(code, 2, 1), -1);
	struct fpu_state before = cpu.fpu;
	cpu.seg[S_DS].limit = DATA - 1;
	memcpy(ram.host + CODE + 2, code + 2, 2);
	decode_invalidate_page(vc.dcache, CODE);
	cpu.eip = CODE + 2;
	cpu.gpr[R_ESP] = STACK;
	ck_assert_int_ne(interp_step(&vc), INTERP_ERROR);
	ck_assert_uint_eq(cpu.eip, HANDLERS + 16 * EXC_GP);
	ck_assert_mem_eq(&cpu.fpu, &before, sizeof(before));
	/* FNSAVE beyond the limit writes nothing and does not re-initialize. */
	cpu.seg[S_DS].limit = DATA + 100;
	static const uint8_t save[] = { 0xdd, 0x33 };
	memset(ram.host + DATA, 0x77, 16);
	ck_assert_int_eq(run1(save, 2), EXC_GP);
	ck_assert_uint_eq(ram.host[DATA], 0x77);
	ck_assert_mem_eq(&cpu.fpu, &before, sizeof(before));
}
END_TEST

START_TEST(page_crossing_operands_fault_before_any_change)
{
	/* Identity-map 4 MiB except the page at 0x5000. */
	const uint32_t pd = 0x10000, pt = 0x11000;
	put32(pd, pt | 3);
	for (uint32_t n = 0; n < 1024; n++)
		put32(pt + 4 * n, n == 5 ? 0 : (n << 12) | 3);
	cpu.cr3 = pd;
	cpu.cr0 |= CR0_PG;
	tlb_flush(&vc, false);
	static const uint8_t fld1[] = { 0xd9, 0xe8 };
	ck_assert_int_eq(run1(fld1, 2), -1);
	struct fpu_state before = cpu.fpu;
	memset(ram.host + 0x4f80, 0x77, 0x80);
	/* fnsave [ebx]: 108 bytes from 0x4fc0 reach the missing page. */
	static const uint8_t save[] = { 0xdd, 0x33 };
	cpu.gpr[R_EBX] = 0x4fc0;
	ck_assert_int_eq(run1(save, 2), EXC_PF);
	ck_assert_uint_eq(cpu.cr2, 0x5000);
	ck_assert_uint_eq(ram.host[0x4fc0], 0x77);          /* nothing written */
	ck_assert_mem_eq(&cpu.fpu, &before, sizeof(before)); /* not re-initialized */
	/* fstp qword [ebx] at 0x4ffc: no store, no pop. */
	static const uint8_t fstp[] = { 0xdd, 0x1b };
	cpu.gpr[R_EBX] = 0x4ffc;
	ck_assert_int_eq(run1(fstp, 2), EXC_PF);
	ck_assert_uint_eq(ram.host[0x4ffc], 0x77);
	ck_assert_mem_eq(&cpu.fpu, &before, sizeof(before));
	/* fld tword [ebx] at 0x4ff8: nothing pushed. */
	static const uint8_t fld80[] = { 0xdb, 0x2b };
	cpu.gpr[R_EBX] = 0x4ff8;
	ck_assert_int_eq(run1(fld80, 2), EXC_PF);
	ck_assert_mem_eq(&cpu.fpu, &before, sizeof(before));
}
END_TEST

START_TEST(fcomi_sets_zf_pf_cf)
{
	/* fninit; fld1; fldz; fcomi st0, st1 (0 < 1: CF); fucomip st0, st0 (equal: ZF) */
	static const uint8_t code[] = { 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee, 0xdb, 0xf1, 0xdf, 0xe8 };
	cpu.eflags |= EFL_OF | EFL_SF | EFL_AF;
	vc.lf.op = LF_NONE;
	ck_assert_int_eq(run_steps(code, sizeof(code), 4), -1);
	ck_assert_uint_eq(flags_arith(&vc), EFL_CF);
	ck_assert_int_eq(run_steps(code, sizeof(code), 5), -1);
	ck_assert_uint_eq(flags_arith(&vc), EFL_ZF);
	ck_assert_uint_eq(cpu.fpu.fsw >> 11 & 7, 7);             /* FUCOMIP popped */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fpu");
	TCase *diff = tcase_create("differential");
	tcase_add_checked_fixture(diff, setup, teardown);
	tcase_set_timeout(diff, 120);
	tcase_add_test(diff, diff_arith_registers);
	tcase_add_test(diff, diff_arith_memory);
	tcase_add_test(diff, diff_compare);
	tcase_add_test(diff, diff_loads);
	tcase_add_test(diff, diff_stores);
	tcase_add_test(diff, diff_functions);
	tcase_add_test(diff, diff_stack_and_moves);
	tcase_add_test(diff, diff_control);
	suite_add_tcase(s, diff);
	TCase *tc = tcase_create("architecture");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nm_follows_cr0_em_ts_mp);
	tcase_add_test(tc, mf_at_next_waiting_instruction);
	tcase_add_test(tc, fldcw_unmasking_a_flag_makes_it_pending);
	tcase_add_test(tc, fisttp_is_sse3_and_undefined);
	tcase_add_test(tc, stack_overflow_and_underflow);
	tcase_add_test(tc, tag_word_classes);
	tcase_add_test(tc, instruction_and_data_pointers);
	tcase_add_test(tc, fsave_frstor_32bit_protected);
	tcase_add_test(tc, fstenv_16bit_protected);
	tcase_add_test(tc, fstenv_real_mode_layouts);
	tcase_add_test(tc, fxsave_is_the_state_image);
	tcase_add_test(tc, fxsave_alignment_and_mxcsr_checks);
	tcase_add_test(tc, faulting_store_leaves_the_fpu_alone);
	tcase_add_test(tc, page_crossing_operands_fault_before_any_change);
	tcase_add_test(tc, fcomi_sets_zf_pf_cf);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
