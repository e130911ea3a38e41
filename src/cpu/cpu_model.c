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

void cpu_model_cpuid(const struct cpu_model *model, uint32_t leaf, uint32_t subleaf,
		     uint32_t out[4])
{
	enum { MAX_BASIC = 7, MAX_EXT = 0x80000004u };
	if ((leaf > MAX_BASIC && leaf < 0x80000000u) || leaf > MAX_EXT)
		leaf = MAX_BASIC;
	out[0] = out[1] = out[2] = out[3] = 0;
	switch (leaf) {
	case 3: case 4: case 5: case 6:
		break;   /* no serial number, cache parameters, MONITOR or thermal leaves */
	case 7:
		/* structured extended features: none but IA32_ARCH_CAPABILITIES, so that
		   the guest learns the CPU is not affected by Meltdown & co. (below) */
		if (subleaf == 0)
			out[3] = CPUID7_ARCH_CAPABILITIES;
		break;
	case 0:
		out[0] = MAX_BASIC;
		out[1] = str4(model->vendor);
		out[3] = str4(model->vendor + 4);
		out[2] = str4(model->vendor + 8);
		break;
	case 1:
		out[0] = model->signature;
		out[2] = model->ecx_features;
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
