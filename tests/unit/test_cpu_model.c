/*
 * test_cpu_model.c - the virtual CPU: CPUID leaves, feature policy, MSRs,
 * and the reset / flat protected-mode states of struct cpu_state.
 */
#include <check.h>
#include <string.h>

#include "cpu/cpu_model.h"
#include "cpu/cpu_state.h"

START_TEST(cpuid_vendor_signature_and_limits)
{
	struct cpu_model m;
	uint32_t r[4];
	cpu_model_init(&m, 0);
	cpu_model_cpuid(&m, NULL, 0, 0, r);
	ck_assert_uint_eq(r[0], 7);
	char vendor[13] = { 0 };
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	ck_assert_str_eq(vendor, "GenuineIntel");
	cpu_model_cpuid(&m, NULL, 1, 0, r);
	ck_assert_uint_eq(r[0], 0x652);
	ck_assert_uint_eq((r[0] >> 8) & 0xf, 6);      /* family 6 */
	ck_assert_uint_eq(r[2] & (1u << 31), 0);      /* no hypervisor bit */
	ck_assert_uint_eq(r[1], 0);                   /* no APIC ID, no CLFLUSH size */

	uint32_t top[4], beyond[4];
	cpu_model_cpuid(&m, NULL, 7, 0, top);
	ck_assert_uint_eq(top[3], CPUID7_ARCH_CAPABILITIES);   /* and nothing else */
	ck_assert_uint_eq(top[0] | top[1] | top[2], 0);
	cpu_model_cpuid(&m, NULL, 0x40000000u, 0, beyond);
	ck_assert_mem_eq(top, beyond, sizeof(top));   /* Intel: highest basic leaf */
	cpu_model_cpuid(&m, NULL, 0x80000005u, 0, beyond);
	ck_assert_mem_eq(top, beyond, sizeof(top));

	cpu_model_cpuid(&m, NULL, 0x80000000u, 0, r);
	ck_assert_uint_eq(r[0], 0x80000004u);
	cpu_model_cpuid(&m, NULL, 0x80000001u, 0, r);
	ck_assert_uint_eq(r[3] & (1u << 29), 0);      /* no long mode */
	ck_assert_uint_eq(r[3] & (1u << 20), 0);      /* no NX */
	char brand[49] = { 0 };
	for (unsigned i = 0; i < 3; i++)
		cpu_model_cpuid(&m, NULL, 0x80000002u + i, 0, (uint32_t *)(brand + 16 * i));
	ck_assert_str_eq(brand, "softvt virtual CPU (P6 class)");
}
END_TEST

START_TEST(feature_policy)
{
	struct cpu_model m;
	uint32_t r[4];
	cpu_model_init(&m, 0);
	cpu_model_cpuid(&m, NULL, 1, 0, r);
	uint32_t must = CPUID_FPU | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE | CPUID_CX8 |
			CPUID_SEP | CPUID_PGE | CPUID_CMOV | CPUID_FXSR;
	uint32_t hidden = CPUID_APIC | CPUID_VME | CPUID_MTRR | CPUID_MCE | CPUID_MCA |
			  CPUID_PAT | CPUID_MMX | CPUID_SSE | CPUID_SSE2 | CPUID_CLFSH;
	ck_assert_uint_eq(r[3] & must, must);
	ck_assert_uint_eq(r[3] & hidden, 0);
	ck_assert_uint_eq(r[2], 0);   /* no RDRAND, VMX, SSE3, ... */

	cpu_model_init(&m, CPUID_SSE | CPUID_SSE2 | CPUID_APIC);   /* APIC is not optional */
	cpu_model_cpuid(&m, NULL, 1, 0, r);
	ck_assert_uint_eq(r[3] & (CPUID_SSE | CPUID_SSE2), CPUID_SSE | CPUID_SSE2);
	ck_assert_uint_eq(r[3] & CPUID_APIC, 0);

	for (unsigned bit = 0; bit < 32; bit++)
		if (m.edx_features & (1u << bit)) {
			ck_assert_ptr_nonnull(cpu_model_feature_name(bit));
			ck_assert_ptr_nonnull(cpu_model_feature_reason(bit));
		}
}
END_TEST

START_TEST(msrs)
{
	struct cpu_model m;
	struct cpu_state cpu;
	uint64_t v;
	cpu_model_init(&m, 0);
	cpu_state_reset(&cpu);
	ck_assert_int_eq(cpu_model_wrmsr(&m, &cpu, MSR_IA32_SYSENTER_CS, 0, 0x10), 0);
	ck_assert_int_eq(cpu_model_wrmsr(&m, &cpu, MSR_IA32_SYSENTER_ESP, 0, 0xc0001000u), 0);
	ck_assert_int_eq(cpu_model_wrmsr(&m, &cpu, MSR_IA32_SYSENTER_EIP, 0, 0xc0100000u), 0);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, MSR_IA32_SYSENTER_CS, 0, &v), 0);
	ck_assert_uint_eq(v, 0x10);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, MSR_IA32_SYSENTER_EIP, 0, &v), 0);
	ck_assert_uint_eq(v, 0xc0100000u);

	/* TSC write: offset so that the TSC reads back what was written */
	ck_assert_int_eq(cpu_model_wrmsr(&m, &cpu, MSR_IA32_TSC, 1000, 5000), 0);
	ck_assert_uint_eq(1000 + cpu.tsc_offset, 5000);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, MSR_IA32_TSC, 1234, &v), 0);
	ck_assert_uint_eq(v, 1234);

	ck_assert_int_eq(cpu_model_wrmsr(&m, &cpu, MSR_IA32_BIOS_SIGN_ID, 0, 0), 0);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, MSR_IA32_BIOS_SIGN_ID, 0, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, MSR_IA32_MISC_ENABLE, 0, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, MSR_IA32_ARCH_CAPABILITIES, 0, &v), 0);
	ck_assert_uint_eq(v & 1, 1);                                    /* RDCL_NO */
	ck_assert_int_eq(cpu_model_wrmsr(&m, &cpu, MSR_IA32_ARCH_CAPABILITIES, 0, 0), -1);

	/* absent: APIC base, MTRR cap, PAT, EFER -> #GP */
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, 0x1b, 0, &v), -1);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, 0xfe, 0, &v), -1);
	ck_assert_int_eq(cpu_model_wrmsr(&m, &cpu, 0x277, 0, 0), -1);
	ck_assert_int_eq(cpu_model_rdmsr(&m, &cpu, 0xc0000080u, 0, &v), -1);
}
END_TEST

START_TEST(reset_and_flat_states)
{
	struct cpu_state cpu;
	cpu_state_reset(&cpu);
	ck_assert_uint_eq(cpu.seg[S_CS].base + cpu.eip, 0xfffffff0u);   /* SDM 9.1.4 */
	ck_assert_uint_eq(cpu.seg[S_CS].sel, 0xf000);
	ck_assert_uint_eq(cpu.eflags, 0x2);
	ck_assert_uint_eq(cpu.cr0, 0x60000010u);
	ck_assert_uint_eq(cpu.gpr[R_EDX], 0x652);
	ck_assert_uint_eq(cpu_cpl(&cpu), 0);
	ck_assert_uint_eq(cpu.fpu.fcw, 0x40);
	ck_assert_uint_eq(cpu.fpu.mxcsr, 0x1f80);

	cpu_state_flat32(&cpu, 0x100000, 0x10, 0x18);
	ck_assert_uint_eq(cpu.cr0 & (CR0_PE | CR0_PG), CR0_PE);
	ck_assert_uint_eq(cpu.eip, 0x100000);
	ck_assert_uint_eq(cpu.eflags & EFL_IF, 0);
	ck_assert_uint_eq(cpu.seg[S_CS].sel, 0x10);
	ck_assert_uint_eq(cpu.seg[S_CS].limit, 0xffffffffu);
	ck_assert(cpu.seg[S_CS].attr & SEG_DB);
	ck_assert_uint_eq(cpu.seg[S_SS].sel, 0x18);
	ck_assert_uint_eq(cpu.seg[S_SS].attr & SEG_TYPE_MASK, 3);
	ck_assert_uint_eq(cpu_cpl(&cpu), 0);

	cpu.seg[S_CS].sel = 0x23;
	cpu.seg[S_SS].sel = 0x2b;
	cpu.seg[S_SS].attr |= 3u << SEG_DPL_SHIFT;
	ck_assert_uint_eq(cpu_cpl(&cpu), 3);   /* SS.DPL */
	cpu.eflags |= EFL_VM;
	cpu.seg[S_CS].sel = 0x1000;
	ck_assert_uint_eq(cpu_cpl(&cpu), 3);   /* v8086 runs at CPL 3 */
	ck_assert_uint_eq(sizeof(struct fpu_state), 512);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu_model");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, cpuid_vendor_signature_and_limits);
	tcase_add_test(tc, feature_policy);
	tcase_add_test(tc, msrs);
	tcase_add_test(tc, reset_and_flat_states);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
