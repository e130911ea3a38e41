/*
 * x86.h - inline wrappers for the IA-32 instructions the test guests use.
 *
 * Port I/O, control and debug registers, descriptor-table registers, MSRs,
 * CPUID, TLB invalidation and EFLAGS. Constants follow the Intel SDM
 * (vol. 3A ch. 2 for CR0/CR4/EFLAGS, ch. 4 for page-table bits).
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdbool.h>
#include <stdint.h>

#define EFLAGS_CF   (1u << 0)
#define EFLAGS_ZF   (1u << 6)
#define EFLAGS_TF   (1u << 8)
#define EFLAGS_IF   (1u << 9)
#define EFLAGS_DF   (1u << 10)
#define EFLAGS_OF   (1u << 11)
#define EFLAGS_IOPL (3u << 12)
#define EFLAGS_NT   (1u << 14)
#define EFLAGS_RF   (1u << 16)
#define EFLAGS_VM   (1u << 17)
#define EFLAGS_AC   (1u << 18)

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)

#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_PGE (1u << 7)

/* CPUID.1:EDX feature bits */
#define CPUID_PSE  (1u << 3)
#define CPUID_PAE  (1u << 6)
#define CPUID_SEP  (1u << 11)
#define CPUID_PGE  (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_FXSR (1u << 24)

#define MSR_SYSENTER_CS  0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define DEFINE_CR(n) \
	static inline uint32_t read_cr##n(void) \
	{ \
		uint32_t v; \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v)); \
		return v; \
	} \
	static inline void write_cr##n(uint32_t v) \
	{ \
		asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint32_t read_dr6(void)
{
	uint32_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static inline void write_dr6(uint32_t v)
{
	asm volatile("mov %0, %%dr6" : : "r"(v));
}

static inline uint32_t read_eflags(void)
{
	uint32_t v;

	asm volatile("pushfl; popl %0" : "=r"(v));
	return v;
}

static inline void write_eflags(uint32_t v)
{
	asm volatile("pushl %0; popfl" : : "r"(v) : "memory", "cc");
}

static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void lgdt(const struct dtr *d)
{
	asm volatile("lgdt %0" : : "m"(*d) : "memory");
}

static inline void lidt(const struct dtr *d)
{
	asm volatile("lidt %0" : : "m"(*d) : "memory");
}

static inline void sgdt(struct dtr *d)
{
	asm volatile("sgdt %0" : "=m"(*d));
}

static inline void sidt(struct dtr *d)
{
	asm volatile("sidt %0" : "=m"(*d));
}

static inline void ltr(uint16_t sel)
{
	asm volatile("ltr %0" : : "rm"(sel) : "memory");
}

static inline void lldt(uint16_t sel)
{
	asm volatile("lldt %0" : : "rm"(sel) : "memory");
}

static inline void invlpg(uint32_t linear)
{
	asm volatile("invlpg (%0)" : : "r"(linear) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uint32_t cpuid_features_edx(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	return d;
}

/* A serializing instruction (SDM vol. 3A 8.3): CPUID leaf 0. */
static inline void serialize(void)
{
	uint32_t a, b, c, d;

	cpuid(0, &a, &b, &c, &d);
}

static inline uint16_t read_cs(void)
{
	uint16_t v;

	asm volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_ss(void)
{
	uint16_t v;

	asm volatile("mov %%ss, %0" : "=r"(v));
	return v;
}

#endif
