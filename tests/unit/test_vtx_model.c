/*
 * test_vtx_model.c - the VT-x exit MODEL's counts (cpu/vtx_model.h) on
 * small pieces of guest code run by the interpreter in a machine-free vcpu
 * (random_guest.h's environment: RAM below 0x40000, MMIO at 0xA0000, no
 * devices on the ports), flat 32-bit ring 0, until a HLT.
 *
 * Each test asserts the exact exits of both configurations: without EPT
 * (shadow paging) and with EPT.
 */
#include <check.h>

#include "random_guest.h"

static struct rg_env *env;
static struct vtx_model *m;

static void setup(void)
{
	char why[256];
	env = rg_create(why, sizeof(why));
	ck_assert_msg(env, "%s", why);
	ck_assert_int_eq(vtx_model_enable(&env->v->vtx), 0);
	m = &env->v->vtx;
	struct cpu_state *s = &env->cpu;
	cpu_state_reset(s);
	cpu_state_flat32(s, RG_CODE, RG_SEL_CODE32, RG_SEL_DATA32);
	s->gpr[R_ESP] = RG_STACK_TOP;
	for (unsigned sel = 8; sel <= RG_SEL_TSS16; sel += 8)
		rg_put64(env, RG_GDT + sel, rg_gdt_entry(sel));
	s->gdtr = (struct dtable){ .base = RG_GDT, .limit = RG_GDT_LIMIT };
	for (unsigned v = 0; v < 256; v++) {
		rg_put64(env, RG_IDT + 8 * v, rg_gate(RG_SEL_CODE32, RG_HANDLER + v, 0xe, 0));
		env->ram.host[RG_HANDLER + v] = 0xf4;   /* hlt */
	}
	s->idtr = (struct dtable){ .base = RG_IDT, .limit = 0x7ff };
	env->requests = 0;
}

static void teardown(void)
{
	rg_destroy(env);
}

/* Copies code to RG_CODE and steps until the vcpu halts (at most 1000 steps). */
static void run(const uint8_t *code, size_t n)
{
	memcpy(env->ram.host + RG_CODE, code, n);
	env->cpu.eip = RG_CODE;
	for (unsigned k = 0; k < 1000 && !env->cpu.halted; k++)
		ck_assert_int_ne(interp_step(env->v), INTERP_ERROR);
	ck_assert_msg(env->cpu.halted, "the code did not reach a HLT");
}

/* Identity paging of the first 4 MiB with 4 KiB pages (RG_PD, RG_PT);
 * 4-8 MiB through a second table (RG_PAE_PT) onto the first 4 MiB. */
static void paging_on(void)
{
	for (uint32_t i = 0; i < 1024; i++) {
		rg_put32(env, RG_PT + 4 * i, (i << 12) | 0x3);
		rg_put32(env, RG_PAE_PT + 4 * i, (i << 12) | 0x3);
	}
	rg_put32(env, RG_PD, RG_PT | 0x3);
	rg_put32(env, RG_PD + 4, RG_PAE_PT | 0x3);
	env->cpu.cr3 = RG_PD;
	env->cpu.cr0 |= CR0_PG;
}

#define NO_EPT(r) m->exits[VTX_NO_EPT][r]
#define EPT(r) m->exits[VTX_EPT][r]

START_TEST(instructions_that_exit)
{
	static const uint8_t code[] = {
		0xe6, 0x80,                     /* out 0x80, al */
		0xe4, 0x80,                     /* in al, 0x80 */
		0x0f, 0xa2,                     /* cpuid */
		0x0f, 0x20, 0xd8,               /* mov eax, cr3 */
		0x0f, 0x22, 0xd8,               /* mov cr3, eax */
		0x0f, 0x01, 0x38,               /* invlpg [eax] */
		0xb9, 0x74, 0x01, 0x00, 0x00,   /* mov ecx, 0x174 (SYSENTER_CS: passed through) */
		0x0f, 0x30,                     /* wrmsr */
		0x0f, 0x32,                     /* rdmsr */
		0xb9, 0x10, 0x00, 0x00, 0x00,   /* mov ecx, 0x10 (TSC) */
		0x0f, 0x32,                     /* rdmsr: passed through */
		0x0f, 0x30,                     /* wrmsr: exits */
		0x0f, 0x20, 0xc0,               /* mov eax, cr0 */
		0x83, 0xc8, 0x08,               /* or eax, 8 (TS: guest-owned) */
		0x0f, 0x22, 0xc0,               /* mov cr0, eax */
		0x0f, 0x06,                     /* clts */
		0x0d, 0x00, 0x00, 0x01, 0x00,   /* or eax, 0x10000 (WP: host-owned without EPT) */
		0x0f, 0x22, 0xc0,               /* mov cr0, eax */
		0x0f, 0x22, 0xc0,               /* mov cr0, eax: no change, no exit */
		0x0f, 0x20, 0xe0,               /* mov eax, cr4 */
		0x0d, 0x80, 0x00, 0x00, 0x00,   /* or eax, 0x80 (PGE: host-owned without EPT) */
		0x0f, 0x22, 0xe0,               /* mov cr4, eax */
		0x83, 0xc8, 0x10,               /* or eax, 0x10 (PSE: host-owned) */
		0x0f, 0x22, 0xe0,               /* mov cr4, eax */
		0xf4,                           /* hlt */
	};
	run(code, sizeof(code));
	ck_assert_uint_eq(NO_EPT(VTX_IO), 2);
	ck_assert_uint_eq(EPT(VTX_IO), 2);
	ck_assert_uint_eq(NO_EPT(VTX_CPUID), 1);
	ck_assert_uint_eq(EPT(VTX_CPUID), 1);
	ck_assert_uint_eq(NO_EPT(VTX_CR3_READ), 1);
	ck_assert_uint_eq(NO_EPT(VTX_CR3_WRITE), 1);
	ck_assert_uint_eq(NO_EPT(VTX_INVLPG), 1);
	ck_assert_uint_eq(EPT(VTX_CR3_READ) + EPT(VTX_CR3_WRITE) + EPT(VTX_INVLPG), 0);
	ck_assert_uint_eq(NO_EPT(VTX_MSR), 1);
	ck_assert_uint_eq(EPT(VTX_MSR), 1);
	ck_assert_uint_eq(NO_EPT(VTX_CR_WRITE), 3);   /* WP, PGE, PSE */
	ck_assert_uint_eq(EPT(VTX_CR_WRITE), 1);      /* PSE */
	ck_assert_uint_eq(NO_EPT(VTX_HLT), 1);
	ck_assert_uint_eq(EPT(VTX_HLT), 1);
	ck_assert_uint_eq(vtx_model_total(m, VTX_NO_EPT), 11);
	ck_assert_uint_eq(vtx_model_total(m, VTX_EPT), 6);
}
END_TEST

START_TEST(string_io_exits_once_per_page_of_data)
{
	static const uint8_t code[] = {
		0xbf, 0x00, 0x00, 0x02, 0x00,   /* mov edi, RG_DATA */
		0xb9, 0xb8, 0x0b, 0x00, 0x00,   /* mov ecx, 3000 */
		0x66, 0xba, 0x80, 0x00,         /* mov dx, 0x80 */
		0xf3, 0x6c,                     /* rep insb: 3000 bytes, one exit */
		0xbe, 0x00, 0x00, 0x02, 0x00,   /* mov esi, RG_DATA */
		0xb9, 0x00, 0x06, 0x00, 0x00,   /* mov ecx, 1536 */
		0xf3, 0x66, 0x6f,               /* rep outsw: 3072 bytes, one exit */
		0x66, 0x6f,                     /* outsw: one exit */
		0xf3, 0x6e,                     /* rep outsb with ecx = 0: nothing */
		0xf4,
	};
	run(code, sizeof(code));
	ck_assert_uint_eq(NO_EPT(VTX_IO), 3);
	ck_assert_uint_eq(EPT(VTX_IO), 3);
}
END_TEST

START_TEST(shadow_paging_costs_only_without_ept)
{
	static const uint8_t code[] = {
		0xc7, 0x05, 0x00, 0x00, 0x02, 0x00, 1, 0, 0, 0,   /* mov dword [RG_DATA], 1 */
		0xc7, 0x05, 0x10, 0x70, 0x00, 0x00, 3, 0, 0, 0,   /* mov dword [RG_PT + 0x10], 3: a PTE */
		0xa1, 0x00, 0x00, 0x0a, 0x00,                     /* mov eax, [0xa0000]: MMIO */
		0xa3, 0x04, 0x00, 0x0a, 0x00,                     /* mov [0xa0004], eax: MMIO */
		0xa1, 0x00, 0xf0, 0x3f, 0x00,                     /* mov eax, [0x3ff000]: #PF, HLT */
	};
	paging_on();
	rg_put32(env, RG_PT + 4 * 0x3ff, 0);   /* 0x3ff000 not present */
	run(code, sizeof(code));
	ck_assert_uint_eq(env->cpu.eip, RG_HANDLER + EXC_PF + 1);
	ck_assert_uint_eq(NO_EPT(VTX_PT_WRITE), 1);
	ck_assert_uint_eq(NO_EPT(VTX_MMIO), 2);
	ck_assert_uint_eq(EPT(VTX_MMIO), 2);
	ck_assert_uint_eq(NO_EPT(VTX_PAGE_FAULT), 1);
	ck_assert_uint_eq(EPT(VTX_PAGE_FAULT) + EPT(VTX_PT_WRITE), 0);
	ck_assert_uint_eq(vtx_model_total(m, VTX_NO_EPT), 5);   /* with the handler's HLT */
	ck_assert_uint_eq(vtx_model_total(m, VTX_EPT), 3);
}
END_TEST

START_TEST(page_table_writes_stop_counting_when_flooded)
{
	/* RG_PAE_PT becomes a page table when a walk of 4 MiB + x uses it; it is
	 * written through the identity map, whose walks do not touch it. */
	static const uint8_t code[] = {
		0xa1, 0x00, 0x10, 0x40, 0x00,   /* mov eax, [0x401000]: walks RG_PAE_PT */
		0xa3, 0x40, 0xa0, 0x00, 0x00,   /* mov [RG_PAE_PT + 0x40], eax: counted */
		0xa3, 0x44, 0xa0, 0x00, 0x00,   /* counted */
		0xa3, 0x48, 0xa0, 0x00, 0x00,   /* counted: the third, the page is dropped */
		0xa3, 0x4c, 0xa0, 0x00, 0x00,   /* not a tracked page table any more */
		0xa1, 0x00, 0x20, 0x40, 0x00,   /* mov eax, [0x402000]: walks it again */
		0xa3, 0x50, 0xa0, 0x00, 0x00,   /* counted */
		0xf4,
	};
	paging_on();
	run(code, sizeof(code));
	ck_assert_uint_eq(NO_EPT(VTX_PT_WRITE), 4);
	ck_assert_uint_eq(EPT(VTX_PT_WRITE), 0);
}
END_TEST

START_TEST(interrupts_kick_and_wait_for_a_window)
{
	static const uint8_t code[] = {
		0xfa,         /* cli */
		0x90,         /* nop: the interrupt arrives here, IF = 0 */
		0x90,
		0xfb,         /* sti: taken after the next instruction */
		0x90,
		0xf4,         /* not reached: the handler's HLT stops the run */
	};
	memcpy(env->ram.host + RG_CODE, code, sizeof(code));
	env->cpu.eip = RG_CODE;
	ck_assert_int_eq(interp_step(env->v), INTERP_DEADLINE);   /* cli */
	env->intr_raised = true;
	env->intr_line = 1;
	env->intr_vector = 0x20;
	for (unsigned k = 0; k < 10 && !env->cpu.halted; k++)
		interp_step(env->v);
	ck_assert_uint_eq(env->cpu.eip, RG_HANDLER + 0x20 + 1);
	ck_assert_uint_eq(NO_EPT(VTX_INTR), 1);
	ck_assert_uint_eq(NO_EPT(VTX_INTR_WINDOW), 1);
	ck_assert_uint_eq(EPT(VTX_INTR_WINDOW), 1);
}
END_TEST

START_TEST(an_interrupt_that_wakes_hlt_costs_no_exit)
{
	static const uint8_t code[] = {
		0xfb,         /* sti */
		0x90,
		0xf4,         /* hlt: one exit */
	};
	run(code, sizeof(code));
	env->intr_raised = true;
	env->intr_line = 1;
	env->intr_vector = 0x21;
	for (unsigned k = 0; k < 10 && env->cpu.eip != RG_HANDLER + 0x21 + 1; k++)
		interp_step(env->v);
	ck_assert_uint_eq(env->cpu.eip, RG_HANDLER + 0x21 + 1);
	ck_assert_uint_eq(NO_EPT(VTX_HLT), 2);   /* the guest's and the handler's */
	ck_assert_uint_eq(NO_EPT(VTX_INTR), 0);
	ck_assert_uint_eq(NO_EPT(VTX_INTR_WINDOW), 0);
}
END_TEST

START_TEST(counts_need_no_tracking_map)
{
	/* Without vtx_model_enable (engine bt's vcpu) page-table writes are not tracked. */
	vtx_model_fini(m);
	static const uint8_t code[] = {
		0xc7, 0x05, 0x10, 0x70, 0x00, 0x00, 3, 0, 0, 0,   /* mov dword [RG_PT + 0x10], 3 */
		0xe6, 0x80,                                       /* out 0x80, al */
		0xf4,
	};
	paging_on();
	run(code, sizeof(code));
	ck_assert_uint_eq(NO_EPT(VTX_PT_WRITE), 0);
	ck_assert_uint_eq(NO_EPT(VTX_IO), 1);
}
END_TEST

static Suite *vtx_suite(void)
{
	Suite *s = suite_create("vtx_model");
	TCase *tc = tcase_create("counts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, instructions_that_exit);
	tcase_add_test(tc, string_io_exits_once_per_page_of_data);
	tcase_add_test(tc, shadow_paging_costs_only_without_ept);
	tcase_add_test(tc, page_table_writes_stop_counting_when_flooded);
	tcase_add_test(tc, interrupts_kick_and_wait_for_a_window);
	tcase_add_test(tc, an_interrupt_that_wakes_hlt_costs_no_exit);
	tcase_add_test(tc, counts_need_no_tracking_map);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vtx_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
