/*
 * cpu_model.h - the virtual CPU every engine presents: CPUID leaves and MSRs.
 *
 * Written once, used by the interpreter's CPUID/RDMSR/WRMSR, the
 * translator's callouts and the KVM engine's KVM_SET_CPUID2 filter. The
 * model is a P6-family processor ("GenuineIntel", family 6); each feature
 * bit is listed in cpu_model.c with the reason it is shown or hidden, and
 * docs/CPU_MODEL.md has the same table for readers.
 *
 * A model can grow features per engine (e.g. SSE for engines that save
 * and restore the guest's SSE state): cpu_model_init() takes the extra
 * feature bits an engine supports, and never exposes a bit that is not in
 * the table.
 */
#ifndef SOFTVT_CPU_CPU_MODEL_H
#define SOFTVT_CPU_CPU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu_state.h"

/* CPUID.1:EDX bits (SDM vol. 2A, CPUID, table 3-11) */
#define CPUID_FPU   (1u << 0)
#define CPUID_VME   (1u << 1)
#define CPUID_DE    (1u << 2)
#define CPUID_PSE   (1u << 3)
#define CPUID_TSC   (1u << 4)
#define CPUID_MSR   (1u << 5)
#define CPUID_PAE   (1u << 6)
#define CPUID_MCE   (1u << 7)
#define CPUID_CX8   (1u << 8)
#define CPUID_APIC  (1u << 9)
#define CPUID_SEP   (1u << 11)
#define CPUID_MTRR  (1u << 12)
#define CPUID_PGE   (1u << 13)
#define CPUID_MCA   (1u << 14)
#define CPUID_CMOV  (1u << 15)
#define CPUID_PAT   (1u << 16)
#define CPUID_PSE36 (1u << 17)
#define CPUID_CLFSH (1u << 19)
#define CPUID_MMX   (1u << 23)
#define CPUID_FXSR  (1u << 24)
#define CPUID_SSE   (1u << 25)
#define CPUID_SSE2  (1u << 26)

/* CPUID.1:ECX bits */
#define CPUID_ECX_XSAVE   (1u << 26)
#define CPUID_ECX_OSXSAVE (1u << 27)   /* dynamic: CR4.OSXSAVE */
#define CPUID_ECX_AVX     (1u << 28)
/* CPUID.7.0:EBX */
#define CPUID7_EBX_AVX512F (1u << 16)

/* XSAVE state components the model can show: x87, SSE, AVX, MPX (3-4, never
   shown), AVX-512 opmask, ZMM_Hi256, Hi16_ZMM (SDM vol. 1 13.1) */
#define XSAVE_NCOMP 8
#define XFEATURE_X87 (1ull << 0)
#define XFEATURE_SSE (1ull << 1)
#define XFEATURE_AVX (1ull << 2)
#define XFEATURE_AVX512 (7ull << 5)

/* The features an engine can add on top of the baseline. */
#define CPU_MODEL_OPTIONAL (CPUID_MMX | CPUID_SSE | CPUID_SSE2)

/* CPUID.7.0:EDX: the IA32_ARCH_CAPABILITIES MSR exists */
#define CPUID7_ARCH_CAPABILITIES (1u << 29)
/*
 * IA32_ARCH_CAPABILITIES (read-only): RDCL_NO (0, Meltdown), SKIP_L1DFL_VMENTRY (3),
 * SSB_NO (4), MDS_NO (5), PSCHANGE_MC_NO (6), TAA_NO (8), SBDR_SSDP_NO (13),
 * FBSDP_NO (14), PSDP_NO (15), BHI_NO (20), GDS_NO (26), RFDS_NO (27).
 */
#define ARCH_CAP_NOT_AFFECTED ((1ull << 0) | (1ull << 3) | (1ull << 4) | (1ull << 5) | \
			       (1ull << 6) | (1ull << 8) | (1ull << 13) | (1ull << 14) | \
			       (1ull << 15) | (1ull << 20) | (1ull << 26) | (1ull << 27))

struct cpu_model {
	char vendor[13];
	uint32_t signature;     /* CPUID.1:EAX (family/model/stepping) */
	uint32_t edx_features;  /* CPUID.1:EDX */
	uint32_t ecx_features;  /* CPUID.1:ECX */
	char brand[49];
	uint64_t tsc_hz;        /* nominal frequency the guest's TSC ticks at */
	uint32_t leaf7_ebx;     /* CPUID.7.0:EBX */
	/* XSAVE (0 without): the XCR0 bits the guest may set, and the standard-format
	   layout of each component (offset, size), copied from the host */
	uint64_t xsave_mask;
	struct { uint32_t offset, size; } xcomp[XSAVE_NCOMP];
	uint32_t xsave_size;    /* bytes of an area holding every component of xsave_mask */
};

/* extra_edx: optional features the engine implements (subset of CPU_MODEL_OPTIONAL). */
void cpu_model_init(struct cpu_model *model, uint32_t extra_edx);

/*
 * For engines whose guest user code runs natively (bt --user direct, naive),
 * which sees the host's CPUID (no CPUID faulting): shows the host's SSE and
 * SSE2 and, where the host kernel enabled XSAVE, XSAVE with the host's AVX
 * and AVX-512 state components (their layout copied from the host's leaf
 * 0xD), so that the guest kernel saves and restores the state its user code
 * can change. The instructions the guest kernel then uses (XSAVE, XRSTOR,
 * XGETBV, XSETBV, LDMXCSR, STMXCSR, fences, MOVNTI) are in the interpreter
 * (ops_xsave.c); other SSE/AVX instructions only run natively in user code.
 * Returns the XCR0 bits shown (0: no XSAVE).
 */
uint64_t cpu_model_add_host_simd(struct cpu_model *model);

/*
 * CPUID for leaf/subleaf into out[] = {EAX, EBX, ECX, EDX}. cpu (may be
 * NULL: as after reset) gives the dynamic bits: CPUID.1:ECX.OSXSAVE
 * (CR4.OSXSAVE) and leaf 0xD's size of the area for the enabled XCR0.
 */
void cpu_model_cpuid(const struct cpu_model *model, const struct cpu_state *cpu,
		     uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/*
 * RDMSR / WRMSR. Return 0, or -1 when the guest must get #GP(0): unknown
 * MSR, or a write of reserved bits. tsc is the guest's current TSC (reads of
 * IA32_TSC return it; a write sets cpu->tsc_offset so that the TSC becomes
 * the value written).
 */
int cpu_model_rdmsr(const struct cpu_model *model, const struct cpu_state *cpu, uint32_t msr,
		    uint64_t tsc, uint64_t *value);
int cpu_model_wrmsr(const struct cpu_model *model, struct cpu_state *cpu, uint32_t msr,
		    uint64_t tsc, uint64_t value);

/* Name of a CPUID.1:EDX bit, for docs and `softvt info`, or NULL. */
const char *cpu_model_feature_name(unsigned bit);
/* Why a CPUID.1:EDX bit is shown or hidden. */
const char *cpu_model_feature_reason(unsigned bit);

#endif
