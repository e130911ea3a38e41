/*
 * test_xsave.c - the interpreter's XSAVE family (cpu/ops_xsave.c) and the
 * model's leaf 0xD (cpu/cpu_model.c), on a machine-free vcpu (guest RAM,
 * flat 32-bit protected mode, memory operand [ebx]).
 *
 * The model is a fixed one, not the host's: SSE, SSE2, XSAVE with x87, SSE,
 * AVX (offset 576, 256 bytes) and the three AVX-512 components at Intel's
 * standard offsets, so the test means the same on every host. Checked: the
 * #UD/#GP rules of XGETBV/XSETBV (SDM vol. 1 13.3), what XSAVE writes for a
 * requested-feature bitmap (legacy region, MXCSR, components, XSTATE_BV
 * merged), what XRSTOR loads or initialises and that its #GP cases change
 * nothing, CPUID.1:ECX.OSXSAVE and leaf 0xD's size following XCR0, and the
 * SSE instructions a kernel uses (LDMXCSR, STMXCSR, fences, MOVNTI) with and
 * without SSE in the model.
 */
#include "mini_vcpu.h"

#define DATA 0x4000u          /* 64-byte aligned XSAVE area */

static struct cpu_model model;
static uint8_t xstate[4096] __attribute__((aligned(64)));

static void make_model(bool with_simd)
{
	cpu_model_init(&model, 0);
	if (!with_simd)
		return;
	model.edx_features |= CPUID_SSE | CPUID_SSE2;
	model.ecx_features |= CPUID_ECX_XSAVE | CPUID_ECX_AVX;
	model.leaf7_ebx |= CPUID7_EBX_AVX512F;
	model.xsave_mask = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_AVX512;
	model.xcomp[2].offset = 576;  model.xcomp[2].size = 256;
	model.xcomp[5].offset = 1088; model.xcomp[5].size = 64;
	model.xcomp[6].offset = 1152; model.xcomp[6].size = 512;
	model.xcomp[7].offset = 1664; model.xcomp[7].size = 1024;
	model.xsave_size = 2688;
}

static void setup_with(bool with_simd)
{
	make_model(with_simd);
	memset(xstate, 0, sizeof(xstate));
	mini_setup(&model, with_simd ? xstate : NULL);
}

static void setup(void) { setup_with(true); }
static void setup_plain(void) { setup_with(false); }
static void teardown(void) { mini_teardown(); }

#define RUN MINI_RUN
#define XGETBV() RUN(0x0f, 0x01, 0xd0)
#define XSETBV() RUN(0x0f, 0x01, 0xd1)
#define XSAVE() RUN(0x0f, 0xae, 0x23)      /* xsave [ebx] */
#define XRSTOR() RUN(0x0f, 0xae, 0x2b)     /* xrstor [ebx] */

static int xsetbv(uint64_t v)
{
	cpu.gpr[R_ECX] = 0;
	cpu.gpr[R_EAX] = (uint32_t)v;
	cpu.gpr[R_EDX] = (uint32_t)(v >> 32);
	return XSETBV();
}

START_TEST(xcr0_rules)
{
	cpu.gpr[R_ECX] = 0;
	ck_assert_int_eq(XGETBV(), EXC_UD);            /* CR4.OSXSAVE clear */
	cpu.cr4 |= CR4_OSXSAVE;
	ck_assert_int_eq(XGETBV(), -1);
	ck_assert_uint_eq(cpu.gpr[R_EAX], 1);          /* x87 only after reset */
	ck_assert_uint_eq(cpu.gpr[R_EDX], 0);
	ck_assert_int_eq(xsetbv(0), EXC_GP);           /* x87 must stay */
	ck_assert_int_eq(xsetbv(5), EXC_GP);           /* AVX without SSE */
	ck_assert_int_eq(xsetbv(0x27), EXC_GP);        /* part of AVX-512 */
	ck_assert_int_eq(xsetbv(0xe3), EXC_GP);        /* AVX-512 without AVX */
	ck_assert_int_eq(xsetbv(0x207), EXC_GP);       /* PKRU: not in the model */
	ck_assert_int_eq(xsetbv(7), -1);
	ck_assert_uint_eq(cpu.xcr0, 7);
	ck_assert_int_eq(xsetbv(0xe7), -1);
	ck_assert_uint_eq(cpu.xcr0, 0xe7);
	cpu.gpr[R_ECX] = 1;
	ck_assert_int_eq(XGETBV(), EXC_GP);            /* XINUSE: XGETBV1 not shown */
	cpu.gpr[R_ECX] = 0;
	ck_assert_int_eq(XGETBV(), -1);
	ck_assert_uint_eq(cpu.gpr[R_EAX], 0xe7);
}
END_TEST

START_TEST(cpuid_follows_cr4_and_xcr0)
{
	uint32_t r[4];
	cpu_model_cpuid(&model, &cpu, 1, 0, r);
	ck_assert_uint_eq(r[2] & CPUID_ECX_OSXSAVE, 0);
	ck_assert_uint_ne(r[2] & CPUID_ECX_XSAVE, 0);
	ck_assert_uint_ne(r[3] & CPUID_SSE2, 0);
	cpu.cr4 |= CR4_OSXSAVE;
	cpu_model_cpuid(&model, &cpu, 1, 0, r);
	ck_assert_uint_ne(r[2] & CPUID_ECX_OSXSAVE, 0);
	cpu_model_cpuid(&model, &cpu, 0, 0, r);
	ck_assert_uint_eq(r[0], 0xd);
	cpu_model_cpuid(&model, &cpu, 0xd, 0, r);
	ck_assert_uint_eq(r[0], 0xe7);
	ck_assert_uint_eq(r[1], 576);                  /* XCR0 = x87 */
	ck_assert_uint_eq(r[2], 2688);                 /* everything */
	ck_assert_int_eq(xsetbv(7), -1);
	cpu_model_cpuid(&model, &cpu, 0xd, 0, r);
	ck_assert_uint_eq(r[1], 832);
	cpu_model_cpuid(&model, &cpu, 0xd, 1, r);
	ck_assert_uint_eq(r[0], 0);                    /* no XSAVEOPT/XSAVEC/XSAVES */
	cpu_model_cpuid(&model, &cpu, 0xd, 6, r);
	ck_assert_uint_eq(r[0], 512);
	ck_assert_uint_eq(r[1], 1152);
	cpu_model_cpuid(&model, &cpu, 7, 0, r);
	ck_assert_uint_eq(r[1], CPUID7_EBX_AVX512F);

	struct cpu_model plain;
	cpu_model_init(&plain, 0);
	cpu_model_cpuid(&plain, &cpu, 0, 0, r);
	ck_assert_uint_eq(r[0], 7);                    /* the baseline is unchanged */
	cpu_model_cpuid(&plain, &cpu, 1, 0, r);
	ck_assert_uint_eq(r[2], 0);
}
END_TEST

START_TEST(xsave_writes_what_rfbm_asks)
{
	cpu.cr4 |= CR4_OSXSAVE;
	ck_assert_int_eq(xsetbv(0xe7), -1);
	cpu.fpu.fcw = 0x027f;
	cpu.fpu.mxcsr = 0x1f00;
	for (unsigned k = 0; k < 8; k++)
		memset(cpu.fpu.xmm[k], 0x10 + k, 16);
	for (unsigned b = 0; b < 256; b++)
		xstate[576 + b] = (uint8_t)(0x80 + b);
	uint64_t bv = XFEATURE_AVX;
	memcpy(xstate + 512, &bv, 8);
	memset(ram.host + DATA, 0xee, 4096);
	put64(DATA + 512, 1ull << 40);                 /* a bit outside RFBM: kept */
	cpu.gpr[R_EBX] = DATA;
	cpu.gpr[R_EAX] = XFEATURE_SSE | XFEATURE_AVX;  /* not x87, not AVX-512 */
	cpu.gpr[R_EDX] = 0;
	ck_assert_int_eq(XSAVE(), -1);
	ck_assert_uint_eq(ram.host[DATA], 0xee);       /* x87 not asked for */
	ck_assert_uint_eq(*(uint32_t *)(ram.host + DATA + 24), 0x1f00);   /* MXCSR */
	ck_assert_uint_eq(ram.host[DATA + 160], 0x10);
	ck_assert_uint_eq(ram.host[DATA + 160 + 7 * 16 + 15], 0x17);
	ck_assert_uint_eq(ram.host[DATA + 576], 0x80);
	ck_assert_uint_eq(ram.host[DATA + 576 + 255], 0x7f);
	ck_assert_uint_eq(ram.host[DATA + 1088], 0xee);   /* opmask not asked for */
	ck_assert_uint_eq(get64(DATA + 512), (1ull << 40) | XFEATURE_SSE | XFEATURE_AVX);

	cpu.gpr[R_EAX] = 0xffffffffu;
	cpu.gpr[R_EDX] = 0xffffffffu;
	ck_assert_int_eq(XSAVE(), -1);
	ck_assert_uint_eq(*(uint16_t *)(ram.host + DATA), 0x027f);        /* FCW */
	ck_assert_uint_eq(ram.host[DATA + 1088], 0);   /* opmask in its initial state: zeros */
	ck_assert_uint_eq(get64(DATA + 512), (1ull << 40) | 7);

	cpu.gpr[R_EBX] = DATA + 16;
	ck_assert_int_eq(XSAVE(), EXC_GP);             /* 64-byte alignment */
	cpu.cr4 &= ~CR4_OSXSAVE;
	ck_assert_int_eq(XSAVE(), EXC_UD);
	cpu.cr4 |= CR4_OSXSAVE;
	cpu.cr0 |= CR0_TS;
	cpu.gpr[R_EBX] = DATA;
	ck_assert_int_eq(XSAVE(), EXC_NM);
}
END_TEST

START_TEST(xrstor_loads_or_initialises)
{
	cpu.cr4 |= CR4_OSXSAVE;
	ck_assert_int_eq(xsetbv(0xe7), -1);
	memset(ram.host + DATA, 0, 4096);
	for (unsigned b = 0; b < 256; b++)
		ram.host[DATA + 576 + b] = (uint8_t)b;
	put32(DATA + 24, 0x1f80);
	put64(DATA + 512, XFEATURE_AVX);               /* x87, SSE: initial state */
	cpu.fpu.fcw = 0x0000;
	memset(cpu.fpu.xmm, 0x55, sizeof(cpu.fpu.xmm));
	memset(xstate + 1088, 0x66, 64);               /* opmask: will be initialised */
	uint64_t bv = 1ull << 5;
	memcpy(xstate + 512, &bv, 8);
	cpu.gpr[R_EBX] = DATA;
	cpu.gpr[R_EAX] = 0xffffffffu;
	cpu.gpr[R_EDX] = 0xffffffffu;
	ck_assert_int_eq(XRSTOR(), -1);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x037f);
	ck_assert_uint_eq(cpu.fpu.xmm[3][5], 0);
	ck_assert_uint_eq(cpu.fpu.mxcsr, 0x1f80);
	ck_assert_uint_eq(xstate[576 + 200], 200);
	ck_assert_uint_eq(xstate[1088], 0);
	memcpy(&bv, xstate + 512, 8);
	ck_assert_uint_eq(bv, XFEATURE_AVX);

	/* #GP cases, state unchanged */
	cpu.fpu.fcw = 0x0123;
	put64(DATA + 520, 1ull << 63);                 /* compacted form */
	ck_assert_int_eq(XRSTOR(), EXC_GP);
	put64(DATA + 520, 0);
	put64(DATA + 512, 1ull << 9);                  /* a component outside XCR0 */
	ck_assert_int_eq(XRSTOR(), EXC_GP);
	put64(DATA + 512, 7);
	put32(DATA + 24, 0xffff0000u);                 /* MXCSR reserved bits */
	ck_assert_int_eq(XRSTOR(), EXC_GP);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x0123);
	ck_assert_uint_eq(xstate[576 + 200], 200);

	/* a round trip through memory */
	put32(DATA + 24, 0x1f80);
	cpu.fpu.fcw = 0x0362;
	memset(cpu.fpu.xmm, 0x42, sizeof(cpu.fpu.xmm));
	memset(xstate + 1152, 0x99, 512);
	bv = XFEATURE_AVX | (1ull << 6);
	memcpy(xstate + 512, &bv, 8);
	ck_assert_int_eq(XSAVE(), -1);
	memset(xstate + 1152, 0, 512);
	cpu.fpu.fcw = 0x037f;
	memset(cpu.fpu.xmm, 0, sizeof(cpu.fpu.xmm));
	ck_assert_int_eq(XRSTOR(), -1);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x0362);
	ck_assert_uint_eq(cpu.fpu.xmm[7][15], 0x42);
	ck_assert_uint_eq(xstate[1152 + 511], 0x99);
}
END_TEST

START_TEST(kernel_sse_instructions)
{
	cpu.cr4 |= CR4_OSFXSR;
	cpu.gpr[R_EBX] = DATA;
	put32(DATA, 0x9f80);               /* FZ set; DAZ (0x40) is outside mxcsr_mask */
	ck_assert_int_eq(RUN(0x0f, 0xae, 0x13), -1);   /* ldmxcsr [ebx] */
	ck_assert_uint_eq(cpu.fpu.mxcsr, 0x9f80);
	ck_assert_int_eq(RUN(0x0f, 0xae, 0x1b), -1);   /* stmxcsr [ebx] */
	put32(DATA, 0xffff0000u);
	ck_assert_int_eq(RUN(0x0f, 0xae, 0x13), EXC_GP);
	ck_assert_int_eq(RUN(0x0f, 0xae, 0xe8), -1);   /* lfence */
	ck_assert_int_eq(RUN(0x0f, 0xae, 0xf0), -1);   /* mfence */
	ck_assert_int_eq(RUN(0x0f, 0xae, 0xf8), -1);   /* sfence */
	cpu.gpr[R_EAX] = 0x12345678;
	ck_assert_int_eq(RUN(0x0f, 0xc3, 0x03), -1);   /* movnti [ebx], eax */
	ck_assert_uint_eq(*(uint32_t *)(ram.host + DATA), 0x12345678);
	cpu.cr4 &= ~CR4_OSFXSR;
	ck_assert_int_eq(RUN(0x0f, 0xae, 0x13), EXC_UD);
}
END_TEST

START_TEST(absent_features_are_undefined)
{
	cpu.cr4 |= CR4_OSFXSR;
	cpu.gpr[R_EBX] = DATA;
	ck_assert_int_eq(RUN(0x0f, 0xae, 0x13), EXC_UD);   /* ldmxcsr: no SSE */
	ck_assert_int_eq(RUN(0x0f, 0xae, 0xe8), EXC_UD);   /* lfence: no SSE2 */
	ck_assert_int_eq(RUN(0x0f, 0xc3, 0x03), EXC_UD);   /* movnti */
	ck_assert_int_eq(RUN(0x0f, 0x01, 0xd0), EXC_UD);   /* xgetbv: no XSAVE */
	ck_assert_int_eq(RUN(0x0f, 0xae, 0x23), EXC_UD);   /* xsave */
	cpu.gpr[R_EAX] = CR4_OSXSAVE;
	ck_assert_int_eq(RUN(0x0f, 0x22, 0xe0), EXC_GP);   /* mov cr4, eax: reserved bit */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xsave");
	TCase *tc = tcase_create("simd");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, xcr0_rules);
	tcase_add_test(tc, cpuid_follows_cr4_and_xcr0);
	tcase_add_test(tc, xsave_writes_what_rfbm_asks);
	tcase_add_test(tc, xrstor_loads_or_initialises);
	tcase_add_test(tc, kernel_sse_instructions);
	suite_add_tcase(s, tc);
	TCase *plain = tcase_create("baseline");
	tcase_add_checked_fixture(plain, setup_plain, teardown);
	tcase_add_test(plain, absent_features_are_undefined);
	suite_add_tcase(s, plain);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
