/*
 * cpu_model.c - the virtual CPU's CPUID and MSRs (see cpu_model.h).
 *
 * The model: "GenuineIntel" family 6 model 5 stepping 2, a Pentium II-class
 * (P6) processor, the level the interpreter emulates. Basic leaves 0-2 and
 * extended leaves 0x80000000-0x80000004 (brand string); like Intel parts, a
 * leaf above the maximum returns the highest basic leaf's data (SDM vol. 2A,
 * CPUID). The hypervisor bit (CPUID.1:ECX[31]) and the 0x40000000 leaves
 * are not shown: softvt presents itself as a plain machine.
 *
 * Leaf 7 shows one bit, IA32_ARCH_CAPABILITIES, whose MSR says the CPU is
 * not affected by the speculative-execution flaws a kernel checks for
 * (Meltdown, MDS, TAA, SSB, ...): true of the interpreter and the
 * translator, which do not speculate across privilege checks, and the
 * guest's own kernel memory is not a secret from its user code under
 * direct execution anyway (docs/SECURITY.md). Without it a Linux PAE
 * kernel turns on page-table isolation: a CR3 switch at every kernel entry
 * and exit and no global kernel pages, which costs the shadow window a
 * refill of the kernel's pages each time.
 *
 * features[] is the single list of CPUID.1:EDX bits: what each is, whether
 * the baseline shows it, and why. docs/CPU_MODEL.md mirrors it.
 */
#include "cpu/cpu_model.h"

#include <stddef.h>
#include <string.h>

struct feature {
	const char *name;
	bool shown;           /* in the baseline model */
	const char *reason;
};

static const struct feature features[32] = {
	[0]  = { "fpu",   true,  "x87 FPU emulated by every engine" },
	[1]  = { "vme",   false, "virtual-8086 mode extensions (CR4.VME/PVI) not emulated; plain v8086 is" },
	[2]  = { "de",    false, "debugging extensions (CR4.DE, I/O breakpoints) not emulated" },
	[3]  = { "pse",   true,  "4 MiB pages (CR4.PSE)" },
	[4]  = { "tsc",   true,  "RDTSC, derived from the host clock" },
	[5]  = { "msr",   true,  "RDMSR/WRMSR for the MSRs listed in cpu_model.c" },
	[6]  = { "pae",   true,  "PAE paging, needed by the 686-pae kernel" },
	[7]  = { "mce",   false, "no machine-check exception source" },
	[8]  = { "cx8",   true,  "CMPXCHG8B" },
	[9]  = { "apic",  false, "no local APIC yet: interrupts come from the 8259 PIC pair" },
	[11] = { "sep",   true,  "SYSENTER/SYSEXIT and their MSRs" },
	[12] = { "mtrr",  false, "memory type range registers not modelled (all memory is write-back)" },
	[13] = { "pge",   true,  "global pages (CR4.PGE)" },
	[14] = { "mca",   false, "no machine-check architecture MSRs" },
	[15] = { "cmov",  true,  "CMOVcc/FCMOVcc, required by the 686 kernels" },
	[16] = { "pat",   false, "page attribute table MSR not modelled" },
	[17] = { "pse36", false, "36-bit 4 MiB page addresses not modelled (RAM ends below 4 GiB)" },
	[19] = { "clflush", false, "CLFLUSH not part of the P6 model" },
	[23] = { "mmx",   false, "optional: shown only by engines that emulate MMX" },
	[24] = { "fxsr",  true,  "FXSAVE/FXRSTOR (CR4.OSFXSR)" },
	[25] = { "sse",   false, "optional: shown only by engines that keep the guest's SSE state" },
	[26] = { "sse2",  false, "optional: shown only by engines that keep the guest's SSE state" },
};

static const char *const brand = "softvt virtual CPU (P6 class)";

void cpu_model_init(struct cpu_model *model, uint32_t extra_edx)
{
	memset(model, 0, sizeof(*model));
	memcpy(model->vendor, "GenuineIntel", 12);
	model->signature = (6u << 8) | (5u << 4) | 2u;
	for (unsigned bit = 0; bit < 32; bit++)
		if (features[bit].shown)
			model->edx_features |= 1u << bit;
	model->edx_features |= extra_edx & CPU_MODEL_OPTIONAL;
	strncpy(model->brand, brand, sizeof(model->brand) - 1);
	model->tsc_hz = 1000000000ull;
}

static uint32_t str4(const char *s)
{
	uint32_t v;
	memcpy(&v, s, 4);
	return v;
}

static void host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(subleaf));
}

uint64_t cpu_model_add_host_simd(struct cpu_model *model)
{
	uint32_t r[4];
	host_cpuid(1, 0, r);
	model->edx_features |= r[3] & (CPUID_SSE | CPUID_SSE2);
	if (!(r[2] & CPUID_ECX_OSXSAVE) || !(r[3] & CPUID_SSE2))
		return 0;   /* the host kernel did not enable XSAVE: FXSAVE covers it all */
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	uint64_t host_xcr0 = (uint64_t)hi << 32 | lo;
	uint64_t mask = host_xcr0 & (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_AVX512);
	if ((mask & XFEATURE_AVX512) != XFEATURE_AVX512)
		mask &= ~XFEATURE_AVX512;
	if (!(mask & XFEATURE_AVX))
		mask &= ~XFEATURE_AVX512;
	model->xcomp[0].size = 160;     /* the legacy region's pieces (SDM vol. 1 13.4.1) */
	model->xcomp[1].offset = 160;
	model->xcomp[1].size = 128;
	model->xsave_size = 576;        /* legacy region + header */
	for (unsigned c = 2; c < XSAVE_NCOMP; c++) {
		if (!(mask & (1ull << c)))
			continue;
		host_cpuid(0xd, c, r);
		model->xcomp[c].size = r[0];
		model->xcomp[c].offset = r[1];
		if (r[1] + r[0] > model->xsave_size)
			model->xsave_size = r[1] + r[0];
	}
	model->xsave_mask = mask;
	model->ecx_features |= CPUID_ECX_XSAVE;
	if (mask & XFEATURE_AVX)
		model->ecx_features |= CPUID_ECX_AVX;
	if (mask & XFEATURE_AVX512)
		model->leaf7_ebx |= CPUID7_EBX_AVX512F;
	return mask;
}

/* Bytes of the XSAVE area for the components in mask (leaf 0xD.0 EBX/ECX). */
static uint32_t xsave_bytes(const struct cpu_model *model, uint64_t mask)
{
	uint32_t n = 576;
	for (unsigned c = 2; c < XSAVE_NCOMP; c++)
		if ((mask & model->xsave_mask & (1ull << c)) &&
		    model->xcomp[c].offset + model->xcomp[c].size > n)
			n = model->xcomp[c].offset + model->xcomp[c].size;
	return n;
}

void cpu_model_cpuid(const struct cpu_model *model, const struct cpu_state *cpu,
		     uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	enum { MAX_EXT = 0x80000004u };
	uint32_t max_basic = model->xsave_mask ? 0xd : 7;
	if ((leaf > max_basic && leaf < 0x80000000u) || leaf > MAX_EXT)
		leaf = max_basic;
	out[0] = out[1] = out[2] = out[3] = 0;
	switch (leaf) {
	case 3: case 4: case 5: case 6: case 8: case 9: case 0xa: case 0xb: case 0xc:
		break;   /* no serial number, cache parameters, MONITOR, thermal, topology... */
	case 7:
		/* structured extended features: IA32_ARCH_CAPABILITIES, so that the guest
		   learns the CPU is not affected by Meltdown & co. (below), and AVX-512F
		   where cpu_model_add_host_simd() shows its state */
		if (subleaf == 0) {
			out[1] = model->leaf7_ebx;
			out[3] = CPUID7_ARCH_CAPABILITIES;
		}
		break;
	case 0xd: {
		/* XSAVE (SDM vol. 1 13.2): only the standard format, no XSAVEOPT,
		   XSAVEC, XGETBV with ECX=1 or XSAVES (subleaf 1 is all zero) */
		uint64_t xcr0 = cpu ? cpu->xcr0 : 1;
		if (subleaf == 0) {
			out[0] = (uint32_t)model->xsave_mask;
			out[3] = (uint32_t)(model->xsave_mask >> 32);
			out[1] = xsave_bytes(model, xcr0);
			out[2] = xsave_bytes(model, model->xsave_mask);
		} else if (subleaf >= 2 && subleaf < XSAVE_NCOMP &&
			   (model->xsave_mask & (1ull << subleaf))) {
			out[0] = model->xcomp[subleaf].size;
			out[1] = model->xcomp[subleaf].offset;
		}
		break;
	}
	case 0:
		out[0] = max_basic;
		out[1] = str4(model->vendor);
		out[3] = str4(model->vendor + 4);
		out[2] = str4(model->vendor + 8);
		break;
	case 1:
		out[0] = model->signature;
		out[2] = model->ecx_features;
		if ((model->ecx_features & CPUID_ECX_XSAVE) && cpu && (cpu->cr4 & CR4_OSXSAVE))
			out[2] |= CPUID_ECX_OSXSAVE;
		out[3] = model->edx_features;
		break;
	case 2:
		/* One iteration, no cache/TLB descriptors (all null bytes). */
		out[0] = 0x00000001;
		break;
	case 0x80000000u:
		out[0] = MAX_EXT;
		break;
	case 0x80000001u:
		break;   /* no NX, no long mode, no SYSCALL */
	default: {
		unsigned chunk = leaf - 0x80000002u;
		char buf[16] = { 0 };
		size_t len = strlen(model->brand);
		for (unsigned i = 0; i < 16; i++)
			if (chunk * 16 + i < len)
				buf[i] = model->brand[chunk * 16 + i];
		memcpy(out, buf, 16);
		break;
	}
	}
}

int cpu_model_rdmsr(const struct cpu_model *model, const struct cpu_state *cpu, uint32_t msr,
		    uint64_t tsc, uint64_t *value)
{
	(void)model;
	switch (msr) {
	case MSR_IA32_TSC:
		*value = tsc;
		return 0;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:   /* microcode revision 0: never updated */
		*value = 0;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*value = cpu->sysenter_cs;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*value = cpu->sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*value = cpu->sysenter_eip;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*value = cpu->misc_enable;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		*value = ARCH_CAP_NOT_AFFECTED;
		return 0;
	default:
		return -1;
	}
}

int cpu_model_wrmsr(const struct cpu_model *model, struct cpu_state *cpu, uint32_t msr,
		    uint64_t tsc, uint64_t value)
{
	(void)model;
	switch (msr) {
	case MSR_IA32_TSC:
		cpu->tsc_offset += value - tsc;
		return 0;
	case MSR_IA32_BIOS_SIGN_ID:
		return 0;   /* writing 0 before CPUID is how the revision is read */
	case MSR_IA32_SYSENTER_CS:
		cpu->sysenter_cs = (uint32_t)value & 0xffff;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		cpu->sysenter_esp = (uint32_t)value;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		cpu->sysenter_eip = (uint32_t)value;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		cpu->misc_enable = value & 1;   /* only fast-strings enable is writable */
		return 0;
	default:
		return -1;
	}
}

const char *cpu_model_feature_name(unsigned bit)
{
	return bit < 32 ? features[bit].name : NULL;
}

const char *cpu_model_feature_reason(unsigned bit)
{
	return bit < 32 ? features[bit].reason : NULL;
}
