/*
 * test_interp_store_faults.c - which fault a store raises first, in the
 * interpreter: the processor checks a read-modify-write destination for the
 * write before it reads, so a page fault there reports W=1 (error code bit
 * 1) even though nothing was written yet, and a read-only data segment gives
 * #GP(0); an x87 store whose own unmasked exception suppresses it still
 * faults on its destination first. Found by fuzz_direct (the host CPU ran
 * the same code directly).
 * Paging on, one 4 KiB page table identity-mapping the first 4 MiB; the page
 * at DATA is made not present or read-only per test.
 */
#include "mini_vcpu.h"

#include "cpu/mem.h"

#define PD 0x10000u
#define PT 0x11000u
#define DATA 0x20000u

static struct cpu_model model;

static void setup(void)
{
	cpu_model_init(&model, 0);
	mini_setup(&model, NULL);
	put32(PD, PT | 3);
	for (uint32_t p = 0; p < 1024; p++)
		put32(PT + 4 * p, (p << 12) | 3);
	cpu.cr3 = PD;
	cpu.cr0 |= CR0_PG | CR0_WP;
	cpu.gpr[R_EBX] = DATA;
}

static void teardown(void) { mini_teardown(); }

static void set_pte(uint32_t flags)
{
	put32(PT + 4 * (DATA >> 12), DATA | flags);
	tlb_flush(&vc, false);
}

/* The error code of the #PF just raised (pushed last, at ESP). */
static uint32_t pf_error(void)
{
	return get32(cpu.gpr[R_ESP]);
}

START_TEST(not_present_destination_faults_as_a_write)
{
	set_pte(0);
	static const struct { const char *what; uint8_t code[4]; unsigned n; uint32_t err; } cases[] = {
		{ "add [ebx], eax", { 0x01, 0x03 }, 2, 2 },
		{ "inc dword [ebx]", { 0xff, 0x03 }, 2, 2 },
		{ "shl dword [ebx], 1", { 0xd1, 0x23 }, 2, 2 },
		{ "xchg [ebx], eax", { 0x87, 0x03 }, 2, 2 },
		{ "cmpxchg [ebx], ecx", { 0x0f, 0xb1, 0x0b }, 3, 2 },
		{ "cmpxchg8b [ebx]", { 0x0f, 0xc7, 0x0b }, 3, 2 },
		{ "bts [ebx], eax", { 0x0f, 0xab, 0x03 }, 3, 2 },
		{ "add eax, [ebx] (a read)", { 0x03, 0x03 }, 2, 0 },
		{ "cmp [ebx], eax (a read)", { 0x39, 0x03 }, 2, 0 },
		{ "bt [ebx], eax (a read)", { 0x0f, 0xa3, 0x03 }, 3, 0 },
		/* writes only when it adjusts the RPL: reads first (AMD EPYC natively) */
		{ "arpl [ebx], ax (read first)", { 0x63, 0x03 }, 2, 0 },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		cpu.gpr[R_EAX] = 1;
		ck_assert_msg(mini_run(cases[k].code, cases[k].n) == EXC_PF, "%s: no #PF", cases[k].what);
		ck_assert_msg(pf_error() == cases[k].err, "%s: error code %u, not %u", cases[k].what,
			      pf_error(), cases[k].err);
		ck_assert_uint_eq(cpu.cr2, DATA);
	}
}
END_TEST

START_TEST(read_only_destination_faults_before_anything_changes)
{
	set_pte(1);   /* present, read-only, supervisor: CR0.WP makes it read-only for ring 0 */
	put32(DATA, 41);
	cpu.gpr[R_EAX] = 7;
	ck_assert_int_eq(MINI_RUN(0x0f, 0xc1, 0x03), EXC_PF);   /* xadd [ebx], eax */
	ck_assert_uint_eq(pf_error(), 3);                      /* P=1, W=1 */
	ck_assert_uint_eq(cpu.gpr[R_EAX], 7);
	ck_assert_uint_eq(get32(DATA), 41);
	set_pte(3);
	ck_assert_int_eq(MINI_RUN(0x0f, 0xc1, 0x03), -1);
	ck_assert_uint_eq(cpu.gpr[R_EAX], 41);
	ck_assert_uint_eq(get32(DATA), 48);
}
END_TEST

START_TEST(read_only_segment_is_gp)
{
	put32(GDT + 24, 0x0000ffff);
	put32(GDT + 28, 0x00cf9000);   /* data, read-only */
	cpu.gdtr.limit = 31;
	ck_assert_int_eq(MINI_RUN(0x66, 0xb8, 0x18, 0x00), -1);   /* mov ax, 0x18 */
	ck_assert_int_eq(MINI_RUN(0x8e, 0xe0), -1);               /* mov fs, ax */
	ck_assert_int_eq(MINI_RUN(0x64, 0x8b, 0x03), -1);         /* mov eax, fs:[ebx]: reads work */
	ck_assert_int_eq(MINI_RUN(0x64, 0x01, 0x03), EXC_GP);     /* add fs:[ebx], eax */
}
END_TEST

START_TEST(x87_store_checks_its_destination_first)
{
	set_pte(0);
	/* after reset FCW = 0x0040: every x87 exception unmasked; ST(0) is empty */
	uint16_t fsw = cpu.fpu.fsw;
	ck_assert_int_eq(MINI_RUN(0xd9, 0x1b), EXC_PF);   /* fstp dword [ebx]: underflow, unmasked */
	ck_assert_uint_eq(pf_error(), 2);
	ck_assert_uint_eq(cpu.fpu.fsw, fsw);               /* the FPU did not change */
	set_pte(3);
	ck_assert_int_eq(MINI_RUN(0xd9, 0x1b), -1);       /* now the underflow: no store */
	ck_assert_uint_ne(cpu.fpu.fsw & 0x80, 0);          /* ES */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("interp_store_faults");
	TCase *tc = tcase_create("store_faults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, not_present_destination_faults_as_a_write);
	tcase_add_test(tc, read_only_destination_faults_before_anything_changes);
	tcase_add_test(tc, read_only_segment_is_gp);
	tcase_add_test(tc, x87_store_checks_its_destination_first);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
