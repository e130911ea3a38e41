/*
 * random_guest.h - runs arbitrary bytes as guest code in the interpreter,
 * for the random-code unit test (test_interp_random.c) and the libFuzzer
 * harness (tests/fuzz/fuzz_interp.c).
 *
 * A machine-free vcpu: 4 MiB of guest RAM of which the physical map shows
 *   0x00000-0x3FFFF  RAM: IVT, GDT, IDT, handlers, TSSs, LDT, page tables,
 *                    code (0x10000), data (0x20000) and stack (0x30000)
 *   0x40000-0x9FFFF  nothing (reads all ones, writes ignored)
 *   0xA0000-0xAFFFF  MMIO: reads mix the offset with the last value written
 *   0xF0000-0xFFFFF  ROM: a fixed pseudo-random pattern (checked after
 *                    every run: guest writes to ROM must be ignored)
 * and an empty port map (IN reads all ones, OUT is ignored).
 *
 * An input is a RG_HEADER-byte header, then the code. The header picks
 * the mode (real mode, 16-bit or 32-bit protected mode at CPL 0, flat or
 * not, CPL 3, v8086), paging (off, 4 KiB, 4 MiB PSE pages, PAE; identity
 * over the first MiB with aliases at 4 MiB and 3 GiB, some pages missing,
 * read-only or supervisor-only), the IDT (every gate to a HLT at
 * RG_HANDLER + vector, an empty IDT (limit 0: every exception becomes #DF
 * then a triple fault), gates into the random code, or random gate bytes),
 * EFLAGS and CR0/CR4 bits, an external interrupt at some step, the code's
 * offset, the eight GPRs, and a few extras: interp_run() instead of
 * interp_step(), a task-switch target with random selectors and EFLAGS,
 * a random ring-0 stack selector, the A20 gate closed, SYSENTER set up.
 * The code is copied to RG_CODE + offset and, repeated, over the data
 * area; its last bytes also become GDT entries (RG_SEL_RANDOM and up)
 * and, in the "random IDT" mode, IDT gates.
 *
 * rg_run() executes up to RG_STEPS instructions with interp_step() (fewer
 * when RG_REPEATS steps in a row stay at one EIP: REP batches, jumps to
 * self) and checks the interpreter's contract after each: a step returns
 * within RG_STEP_NS of CPU time (a REP string instruction runs in batches
 * of 4096), a branch never leaves EIP beyond the CS limit, the state is
 * one a processor can be in (rg_check_state), an INTERP_ERROR is an
 * "unsupported instruction" (a P6 instruction softvt lacks, never a guest
 * error), and the ROM is unchanged at the end. A violation is described
 * in rg_result.violation. Runs are deterministic (the bus has no clock),
 * so any input can be replayed; rg_env.trace prints each step.
 */
#ifndef SOFTVT_TESTS_RANDOM_GUEST_H
#define SOFTVT_TESTS_RANDOM_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/flags.h"
#include "cpu/interp.h"
#include "cpu/mem.h"
#include "cpu/paging.h"
#include "devices/portmap.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define RG_RAM_SIZE  (4u << 20)      /* the backing; only RG_RAM_END of it is RAM */
#define RG_RAM_END   0x40000u
#define RG_MMIO      0xa0000u
#define RG_MMIO_LEN  0x10000u
#define RG_ROM       0xf0000u
#define RG_ROM_LEN   0x10000u

#define RG_GDT       0x1000u
#define RG_GDT_LIMIT 0xffu           /* 32 descriptors */
#define RG_IDT       0x2000u
#define RG_HANDLER   0x3000u         /* vector n's gate points here + n: 256 HLTs */
#define RG_TSS2      0x4000u         /* a second task, the target of task gates */
#define RG_TSS16     0x4400u         /* a 16-bit task */
#define RG_LDT       0x5000u
#define RG_PD        0x6000u
#define RG_PT        0x7000u
#define RG_PDPT      0x8000u
#define RG_PAE_PD    0x9000u
#define RG_PAE_PT    0xa000u
#define RG_TSS       0xc000u         /* the running task's TSS, with a full I/O bitmap */
#define RG_IOMAP     0x68u           /* its I/O bitmap's offset; ports 0-0x3f allowed */
#define RG_TSS_LIMIT (RG_IOMAP + 0x2000u)
#define RG_CODE      0x10000u
#define RG_DATA      0x20000u
#define RG_STACK     0x30000u
#define RG_STACK_TOP 0x3f000u        /* ring-0 stack of the TSSs */

/* GDT selectors; rg_gdt_entry() gives each descriptor. */
enum {
	RG_SEL_CODE32 = 0x08, RG_SEL_DATA32 = 0x10, RG_SEL_CODE16 = 0x18, RG_SEL_DATA16 = 0x20,
	RG_SEL_UCODE = 0x28, RG_SEL_UDATA = 0x30, RG_SEL_TSS = 0x38, RG_SEL_LDT = 0x40,
	RG_SEL_TSS2 = 0x48, RG_SEL_CALLGATE = 0x50, RG_SEL_CONFORMING = 0x58,
	RG_SEL_EXPDOWN = 0x60, RG_SEL_CODE_SMALL = 0x68, RG_SEL_DATA_SMALL = 0x70,
	RG_SEL_DATA_RO = 0x78, RG_SEL_STACK_SMALL = 0x80, RG_SEL_TSS16 = 0x88,
	RG_SEL_NOT_PRESENT = 0x90, RG_SEL_TASKGATE = 0x98, RG_SEL_RANDOM = 0xa0,
};

#define RG_HEADER    44
#define RG_STEPS     2000
#define RG_STEP_NS   50000000ull     /* 50 ms: one interp_step() must not take longer */
#define RG_REPEATS   8               /* steps in a row at the same EIP (REP batches) end a run */

/* Flat 32-bit ring 0 and HLT handlers take several values: the common case. */
enum rg_mode {
	RG_REAL, RG_PROT16, RG_PROT32, RG_PROT32_B, RG_PROT32_C, RG_USER, RG_V86, RG_SEGMENTED,
	RG_NMODES,
};
enum rg_paging { RG_PAGING_OFF, RG_PAGING_4K, RG_PAGING_PSE, RG_PAGING_PAE };
enum rg_idt {
	RG_IDT_HLT, RG_IDT_HLT_B, RG_IDT_HLT_C, RG_IDT_HLT_D, RG_IDT_EMPTY, RG_IDT_INTO_CODE,
	RG_IDT_RANDOM, RG_IDT_TASK_DF,
};

enum rg_exit { RG_EXIT_HALT, RG_EXIT_SHUTDOWN, RG_EXIT_ERROR, RG_EXIT_BUDGET, RG_NEXITS };

struct rg_result {
	enum rg_exit exit;
	unsigned steps;
	int vector;                /* HLT in a RG_HANDLER slot: the vector delivered, else -1 */
	uint64_t max_step_ns;      /* slowest step (wall clock; CPU time if it was re-run) */
	uint64_t cpu_ns;           /* CPU time of the whole run */
	char error[256];           /* the interpreter's message on RG_EXIT_ERROR */
	char violation[256];       /* empty, or the broken rule */
};

struct rg_env {
	struct guest_ram ram;
	struct physmap phys;
	struct portmap *ports;
	struct cpu_model model;
	struct cpu_state cpu;
	struct vcpu *v;
	volatile sig_atomic_t requests, intr_line;
	uint64_t tsc;
	uint32_t mmio_latch;
	bool intr_raised;
	uint8_t intr_vector;
	bool use_run;              /* drive the vcpu with interp_run(), one turn per call */
	uint8_t rom[RG_ROM_LEN];   /* what the ROM must still hold */
	FILE *trace;               /* if set, rg_run() prints every step here */
};

/* --- the bus: no machine ----------------------------------------------- */

static inline bool rg_intr_pending(void *opaque)
{
	struct rg_env *e = opaque;
	return e->intr_raised;
}

static inline uint8_t rg_intr_ack(void *opaque)
{
	struct rg_env *e = opaque;
	e->intr_raised = false;
	e->intr_line = 0;
	return e->intr_vector;
}

static inline uint64_t rg_tsc(void *opaque)
{
	struct rg_env *e = opaque;
	return e->tsc += 17;
}

static inline uint32_t rg_mmio_read(void *opaque, uint32_t offset, unsigned size)
{
	struct rg_env *e = opaque;
	uint32_t x = (offset * 0x9e3779b1u) ^ e->mmio_latch;
	return size == 4 ? x : x & ((1u << (8 * size)) - 1);
}

static inline void rg_mmio_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct rg_env *e = opaque;
	e->mmio_latch = value + offset;
}

/* interp_run()'s clock; the run stops after one turn anyway (requests). */
static inline uint64_t rg_now(void *opaque)
{
	return 0;
}

static const struct io_ops rg_mmio_ops = { rg_mmio_read, rg_mmio_write };

/* --- set-up ------------------------------------------------------------ */

static inline uint32_t rg_xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Returns the environment, or NULL with the reason in why. */
static inline struct rg_env *rg_create(char *why, size_t whylen)
{
	struct rg_env *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	e->ram.fd = -1;
	e->ports = calloc(1, sizeof(*e->ports));
	e->v = calloc(1, sizeof(*e->v));
	if (!e->ports || !e->v) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	if (guest_ram_create(&e->ram, RG_RAM_SIZE, why, whylen) < 0)
		goto fail;
	physmap_init(&e->phys, &e->ram);
	if (physmap_add_ram(&e->phys, 0, RG_RAM_END, 0, false, "ram") < 0 ||
	    physmap_add_mmio(&e->phys, RG_MMIO, RG_MMIO_LEN, &rg_mmio_ops, e, "mmio") < 0 ||
	    physmap_add_ram(&e->phys, RG_ROM, RG_ROM_LEN, RG_ROM, true, "rom") < 0) {
		snprintf(why, whylen, "cannot build the physical map");
		goto fail;
	}
	uint32_t s = 0x2545f491u;
	for (uint32_t k = 0; k < RG_ROM_LEN; k++)
		e->rom[k] = (uint8_t)rg_xorshift(&s);
	memcpy(e->ram.host + RG_ROM, e->rom, RG_ROM_LEN);
	portmap_init(e->ports);
	cpu_model_init(&e->model, 0);
	cpu_state_reset(&e->cpu);
	/* requests stays 1 with stop_mask 1: interp_run() returns after each turn. */
	struct cpu_bus bus = {
		.phys = &e->phys, .ports = e->ports, .model = &e->model, .requests = &e->requests,
		.stop_mask = 1,
		.intr_line = &e->intr_line, .intr_pending = rg_intr_pending,
		.intr_ack = rg_intr_ack, .tsc = rg_tsc, .opaque = e,
	};
	if (interp_init(e->v, &e->cpu, &bus) < 0) {
		snprintf(why, whylen, "out of memory for the interpreter");
		goto fail;
	}
	return e;
fail:
	if (e->ram.fd >= 0)
		guest_ram_destroy(&e->ram);
	free(e->ports);
	free(e->v);
	free(e);
	return NULL;
}

static inline void rg_destroy(struct rg_env *e)
{
	if (!e)
		return;
	interp_fini(e->v);
	guest_ram_destroy(&e->ram);
	free(e->ports);
	free(e->v);
	free(e);
}

static inline void rg_put16(struct rg_env *e, uint32_t addr, uint16_t x)
{
	memcpy(e->ram.host + addr, &x, 2);
}

static inline void rg_put32(struct rg_env *e, uint32_t addr, uint32_t x)
{
	memcpy(e->ram.host + addr, &x, 4);
}

static inline void rg_put64(struct rg_env *e, uint32_t addr, uint64_t x)
{
	memcpy(e->ram.host + addr, &x, 8);
}

static inline uint32_t rg_get32(const uint8_t *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

/* A segment descriptor (SDM vol. 3A 3.4.5): limit in bytes, or in pages with G. */
static inline uint64_t rg_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl,
			       bool s, bool db, bool g)
{
	uint32_t lim = g ? limit >> 12 : limit;
	return (lim & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)(type & 0xf) << 40 | (uint64_t)s << 44 | (uint64_t)(dpl & 3) << 45 |
	       1ull << 47 | (uint64_t)((lim >> 16) & 0xf) << 48 | (uint64_t)db << 54 |
	       (uint64_t)g << 55 | (uint64_t)(base >> 24) << 56;
}

/* A gate (interrupt 0xE/0x6, trap 0xF/0x7, call 0xC, task 0x5). */
static inline uint64_t rg_gate(uint16_t sel, uint32_t offset, unsigned type, unsigned dpl)
{
	return (offset & 0xffff) | (uint64_t)sel << 16 | (uint64_t)(type & 0x1f) << 40 |
	       (uint64_t)(dpl & 3) << 45 | 1ull << 47 | (uint64_t)(offset >> 16) << 48;
}

/* The cache a descriptor gives (without reading memory). */
static inline struct seg_cache rg_cache(uint16_t sel, uint64_t d)
{
	uint32_t raw = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	return (struct seg_cache){
		.sel = sel,
		.base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000u)),
		.limit = (d & (1ull << 55)) ? raw << 12 | 0xfff : raw,
		.attr = (uint16_t)((d >> 40) & 0xf0ff),
	};
}

static inline uint64_t rg_gdt_entry(unsigned sel)
{
	switch (sel) {
	case RG_SEL_CODE32:      return rg_desc(0, 0xffffffffu, 0xb, 0, true, true, true);
	case RG_SEL_DATA32:      return rg_desc(0, 0xffffffffu, 0x3, 0, true, true, true);
	case RG_SEL_CODE16:      return rg_desc(RG_CODE, 0xffff, 0xb, 0, true, false, false);
	case RG_SEL_DATA16:      return rg_desc(RG_DATA, 0xffff, 0x3, 0, true, false, false);
	case RG_SEL_UCODE:       return rg_desc(0, 0xffffffffu, 0xb, 3, true, true, true);
	case RG_SEL_UDATA:       return rg_desc(0, 0xffffffffu, 0x3, 3, true, true, true);
	case RG_SEL_TSS:         return rg_desc(RG_TSS, RG_TSS_LIMIT, 0x9, 0, false, false, false);
	case RG_SEL_LDT:         return rg_desc(RG_LDT, 0x3f, 0x2, 0, false, false, false);
	case RG_SEL_TSS2:        return rg_desc(RG_TSS2, 0x67, 0x9, 0, false, false, false);
	case RG_SEL_CALLGATE:    return rg_gate(RG_SEL_CODE32, RG_HANDLER + 0xf0, 0xc, 3) |
					(uint64_t)2 << 32;   /* two parameters */
	case RG_SEL_CONFORMING:  return rg_desc(0, 0xffffffffu, 0xf, 0, true, true, true);
	case RG_SEL_EXPDOWN:     return rg_desc(RG_DATA, 0x0fff, 0x7, 0, true, true, false);
	case RG_SEL_CODE_SMALL:  return rg_desc(RG_CODE, 0xffff, 0xb, 0, true, true, false);
	case RG_SEL_DATA_SMALL:  return rg_desc(RG_DATA, 0x0fff, 0x3, 0, true, true, false);
	case RG_SEL_DATA_RO:     return rg_desc(RG_DATA, 0xffff, 0x1, 0, true, true, false);
	case RG_SEL_STACK_SMALL: return rg_desc(RG_STACK, 0xffff, 0x3, 0, true, true, false);
	case RG_SEL_TSS16:       return rg_desc(RG_TSS16, 0x2b, 0x1, 0, false, false, false);
	case RG_SEL_NOT_PRESENT: return rg_desc(0, 0xffffffffu, 0xb, 0, true, true, true) &
					~(1ull << 47);
	case RG_SEL_TASKGATE:    return rg_gate(RG_SEL_TSS2, 0, 0x5, 3);
	default:                 return 0;
	}
}

/* A 32-bit TSS whose task runs the HLT at RG_HANDLER + 0xfe in flat ring 0. */
static inline void rg_tss_task(struct rg_env *e, uint32_t base, uint32_t cr3)
{
	rg_put32(e, base + 4, RG_STACK_TOP);          /* ESP0 */
	rg_put16(e, base + 8, RG_SEL_DATA32);         /* SS0 */
	rg_put32(e, base + 28, cr3);
	rg_put32(e, base + 32, RG_HANDLER + 0xfe);    /* EIP */
	rg_put32(e, base + 36, EFL_FIXED1);
	rg_put32(e, base + 56, RG_STACK_TOP - 0x800); /* ESP */
	static const uint16_t segs[S_NSEG] = {
		RG_SEL_DATA32, RG_SEL_CODE32, RG_SEL_DATA32, RG_SEL_DATA32, RG_SEL_DATA32,
		RG_SEL_DATA32,
	};
	for (int s = 0; s < S_NSEG; s++)
		rg_put16(e, base + 72 + 4 * s, segs[s]);
	rg_put16(e, base + 102, RG_IOMAP);
}

/* A 16-bit TSS (SDM vol. 3A 7.6) whose task runs the HLT at RG_HANDLER + 0xfd. */
static inline void rg_tss16_task(struct rg_env *e, uint32_t base)
{
	rg_put16(e, base + 2, (uint16_t)RG_STACK_TOP);   /* SP0 */
	rg_put16(e, base + 4, RG_SEL_DATA32);            /* SS0 */
	rg_put16(e, base + 14, RG_HANDLER + 0xfd);       /* IP */
	rg_put16(e, base + 16, EFL_FIXED1);
	rg_put16(e, base + 26, 0xf000);                  /* SP */
	static const uint16_t segs[4] = { RG_SEL_DATA32, RG_SEL_CODE32, RG_SEL_DATA32,
					  RG_SEL_DATA32 };
	for (int s = 0; s < 4; s++)
		rg_put16(e, base + 34 + 2 * s, segs[s]);
}

/*
 * Paging: identity over the first MiB (RAM, hole, MMIO, ROM), the same
 * again at 4 MiB and at 3 GiB (aliases: one physical code page seen at
 * several linear addresses). holes picks a code page after the first that
 * is not present, a read-only and a supervisor-only data page; stack, if
 * its bit 7 is set, a stack page that is not present. Returns CR3.
 */
static inline uint32_t rg_paging(struct rg_env *e, enum rg_paging mode, uint8_t holes,
				 uint8_t stack)
{
	unsigned missing = 0x11 + (holes & 7);
	unsigned readonly = 0x20 + ((holes >> 3) & 7);
	unsigned super = 0x28 + ((holes >> 5) & 7);
	unsigned stack_missing = (stack & 0x80) ? 0x38 + (stack & 7) : 0;
	bool pae = mode == RG_PAGING_PAE;
	for (unsigned p = 0; p < 256; p++) {
		uint32_t pte = p << 12 | 0x7;
		if (p == missing || p == stack_missing)
			pte = 0;
		if (p == readonly)
			pte &= ~2u;
		if (p == super)
			pte &= ~4u;
		if (pae)
			rg_put64(e, RG_PAE_PT + 8 * p, pte);
		else
			rg_put32(e, RG_PT + 4 * p, pte);
	}
	if (pae) {
		rg_put64(e, RG_PAE_PD + 0, RG_PAE_PT | 0x7);
		rg_put64(e, RG_PAE_PD + 8 * 2, 0x87);        /* 4 MiB: a 2 MiB page at 0 */
		rg_put64(e, RG_PDPT + 0, RG_PAE_PD | 1);
		rg_put64(e, RG_PDPT + 8 * 3, RG_PAE_PD | 1);  /* 3 GiB: the same directory */
		return RG_PDPT;
	}
	bool pse = mode == RG_PAGING_PSE;
	rg_put32(e, RG_PD + 0, RG_PT | 0x7);
	rg_put32(e, RG_PD + 4 * 1, pse ? 0x87 : RG_PT | 0x7);          /* 4 MiB page at 0 */
	rg_put32(e, RG_PD + 4 * 0x300, pse ? 0x183 : RG_PT | 0x7);     /* global, supervisor */
	return RG_PD;
}

/*
 * Fills the IDT (protected mode) or the IVT (real mode) of kind. Gates
 * "into the code" point to code_sel:code_off + (7 * vector) % len, the
 * random code (real mode: segment code_sel).
 */
static inline void rg_idt(struct rg_env *e, enum rg_idt kind, bool real, const uint8_t *code,
			  size_t len, uint16_t code_sel, uint32_t code_off)
{
	struct cpu_state *s = &e->cpu;
	if (real) {
		s->idtr = (struct dtable){ .base = 0, .limit = kind == RG_IDT_EMPTY ? 0 : 0x3ff };
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t vec = (RG_HANDLER >> 4) << 16 | n;   /* 0300:n */
			if (kind == RG_IDT_INTO_CODE && len)
				vec = (uint32_t)code_sel << 16 | ((code_off + (n * 7) % len) & 0xffff);
			else if (kind == RG_IDT_RANDOM && len >= 4)
				vec = rg_get32(code + (4 * n) % (len - 3));
			rg_put32(e, 4 * n, vec);
		}
		return;
	}
	s->idtr = (struct dtable){ .base = RG_IDT, .limit = kind == RG_IDT_EMPTY ? 0 : 0x7ff };
	for (uint32_t n = 0; n < 256; n++) {
		/* INT3, INTO and INT 0x80 may be used from ring 3 (trap gates, DPL 3). */
		bool user = n == 3 || n == 4 || n == 0x80;
		uint64_t g = rg_gate(RG_SEL_CODE32, RG_HANDLER + n, user ? 0xf : 0xe, user ? 3 : 0);
		if (kind == RG_IDT_INTO_CODE && len)
			g = rg_gate(code_sel, code_off + (n * 7) % len, n & 1 ? 0xf : 0xe, 3);
		else if (kind == RG_IDT_RANDOM && len >= 8 && n >= 8)
			g = rg_get32(code + (8 * n) % (len - 7)) |
			    (uint64_t)rg_get32(code + (8 * n + 4) % (len - 7)) << 32;
		else if (kind == RG_IDT_TASK_DF && n == 8)
			g = rg_gate(RG_SEL_TSS2, 0, 0x5, 0);
		else if (kind == RG_IDT_TASK_DF && n == 13)   /* a 16-bit interrupt gate */
			g = rg_gate(RG_SEL_CODE32, RG_HANDLER + 13, 0x6, 0);
		else if (kind == RG_IDT_TASK_DF && n == 0x81)
			g = rg_gate(RG_SEL_TSS16, 0, 0x5, 3);
		rg_put64(e, RG_IDT + 8 * n, g);
	}
}

/* A protected-mode segment register from the fixed GDT. */
static inline void rg_seg(struct rg_env *e, int seg, uint16_t sel)
{
	e->cpu.seg[seg] = rg_cache(sel, rg_gdt_entry(sel & 0xfff8));
}

/* Real-mode and v8086 segments: base = sel * 16, 64 KiB. */
static inline void rg_seg_real(struct rg_env *e, int seg, uint16_t sel, bool v86)
{
	e->cpu.seg[seg] = (struct seg_cache){
		.sel = sel, .base = (uint32_t)sel << 4, .limit = 0xffff,
		.attr = (uint16_t)(SEG_P | SEG_S | 0x3 | (seg == S_CS ? 0x8 : 0) |
				   (v86 ? 3u << SEG_DPL_SHIFT : 0)),
	};
}

/* The descriptor tables and TSSs, in every mode (real-mode code may enter protected mode). */
static inline void rg_tables(struct rg_env *e, const uint8_t *code, size_t len)
{
	struct cpu_state *s = &e->cpu;
	for (unsigned sel = 8; sel < RG_SEL_RANDOM; sel += 8)
		rg_put64(e, RG_GDT + sel, rg_gdt_entry(sel));
	/* Random descriptors from the end of the code. */
	for (unsigned sel = RG_SEL_RANDOM; sel + 8 <= RG_GDT_LIMIT + 1 && len >= 8; sel += 8)
		memcpy(e->ram.host + RG_GDT + sel,
		       code + len - 8 - ((sel - RG_SEL_RANDOM) % (len - 7)), 8);
	s->gdtr = (struct dtable){ .base = RG_GDT, .limit = RG_GDT_LIMIT };
	for (unsigned k = 0; k < 8; k++)   /* the LDT: the first GDT entries again */
		rg_put64(e, RG_LDT + 8 * k, rg_gdt_entry(8 * k));
	rg_tss_task(e, RG_TSS, s->cr3);
	rg_tss_task(e, RG_TSS2, s->cr3);
	rg_tss16_task(e, RG_TSS16);
	/* The I/O bitmap: ports 0x00-0x3f allowed, the rest denied, then the 0xff end byte. */
	memset(e->ram.host + RG_TSS + RG_IOMAP + 8, 0xff, 0x2000 - 8 + 1);
	if (s->cr0 & CR0_PE) {
		/* The running task's TSS is busy; its ring-0 stack is RG_STACK_TOP. */
		uint64_t tss = rg_gdt_entry(RG_SEL_TSS) | 2ull << 40;
		rg_put64(e, RG_GDT + RG_SEL_TSS, tss);
		s->tr = rg_cache(RG_SEL_TSS, tss);
		s->ldtr = rg_cache(RG_SEL_LDT, rg_gdt_entry(RG_SEL_LDT));
	}
}

/*
 * Builds the guest for an input: the header's choices (see the top of
 * this file), the code at RG_CODE + offset. Also resets what the previous
 * input may have changed (RAM, the interpreter's caches, the bus).
 *
 * Header: [0] mode | paging << 3 | idt << 5; [1] IF DF TF AC, IOPL << 4,
 * NT, bit 7 = ESP not forced into the stack area; [2] CR0 WP MP EM TS NE
 * AM; [3] CR4 TSD PGE PCE OSFXSR OSXMMEXCPT; [4] page holes; [5] step of
 * an external interrupt (0: none); [6] its vector; [7..8] code offset
 * (13 bits); [9] missing stack page; [10] extras: interp_run, random
 * TSS2 fields, SS0 = [11], A20 closed, SYSENTER MSRs; [12..43] EAX..EDI.
 */
static inline void rg_load(struct rg_env *e, const uint8_t *data, size_t size)
{
	uint8_t h[RG_HEADER] = { 0 };
	memcpy(h, data, size < RG_HEADER ? size : RG_HEADER);
	const uint8_t *code = size > RG_HEADER ? data + RG_HEADER : NULL;
	size_t len = size > RG_HEADER ? size - RG_HEADER : 0;
	enum rg_mode mode = (enum rg_mode)(h[0] & 7);
	enum rg_paging paging = (enum rg_paging)((h[0] >> 3) & 3);
	enum rg_idt idt = (enum rg_idt)(h[0] >> 5);
	uint32_t offset = (h[7] | (uint32_t)h[8] << 8) & 0x1fff;
	if (len > 0x10000 - offset)
		len = 0x10000 - offset;
	bool real = mode == RG_REAL, v86 = mode == RG_V86;

	struct cpu_state *s = &e->cpu;
	struct vcpu *v = e->v;
	memset(e->ram.host, 0, RG_RAM_END);
	/* Code decoded from RAM or MMIO by an earlier run is stale (ROM never changes). */
	for (uint32_t page = 0; page < RG_RAM_END; page += 0x1000)
		decode_invalidate_page(v->dcache, page);
	for (uint32_t page = RG_MMIO; page < RG_MMIO + RG_MMIO_LEN; page += 0x1000)
		decode_invalidate_page(v->dcache, page);
	if (len) {
		memcpy(e->ram.host + RG_CODE + offset, code, len);
		for (uint32_t at = RG_DATA; at < RG_DATA + 0x10000; at += (uint32_t)len)
			memcpy(e->ram.host + at, code,
			       len < RG_DATA + 0x10000 - at ? len : RG_DATA + 0x10000 - at);
	}
	memset(e->ram.host + RG_HANDLER, 0xf4, 0x100);

	cpu_state_reset(s);
	if (!real)
		s->cr0 = CR0_PE | CR0_ET;
	static const uint32_t cr0_bits[6] = { CR0_WP, CR0_MP, CR0_EM, CR0_TS, CR0_NE, CR0_AM };
	for (int b = 0; b < 6; b++)
		if (h[2] & (1u << b))
			s->cr0 |= cr0_bits[b];
	static const uint32_t cr4_bits[5] = { CR4_TSD, CR4_PGE, CR4_PCE, CR4_OSFXSR,
					      CR4_OSXMMEXCPT };
	for (int b = 0; b < 5; b++)
		if (h[3] & (1u << b))
			s->cr4 |= cr4_bits[b];
	if (!real && paging != RG_PAGING_OFF) {
		s->cr3 = rg_paging(e, paging, h[4], h[9]);
		s->cr4 |= paging == RG_PAGING_PSE ? CR4_PSE : paging == RG_PAGING_PAE ? CR4_PAE : 0;
		s->cr0 |= CR0_PG;
		if (paging == RG_PAGING_PAE)
			paging_load_pdptes(&e->phys, s);
	}
	rg_tables(e, code, len);
	if ((h[10] & 2) && len >= 32) {
		/* The second task's EFLAGS, segment selectors and LDT from the code. */
		memcpy(e->ram.host + RG_TSS2 + 36, code + len - 32, 4);
		for (int sr = 0; sr < S_NSEG; sr++)
			memcpy(e->ram.host + RG_TSS2 + 72 + 4 * sr, code + len - 28 + 2 * sr, 2);
		memcpy(e->ram.host + RG_TSS2 + 96, code + len - 16, 2);
	}
	if (h[10] & 4)
		rg_put16(e, RG_TSS + 8, h[11]);   /* SS0 */
	physmap_set_a20(&e->phys, !(h[10] & 8));
	if (h[10] & 16) {
		s->sysenter_cs = RG_SEL_CODE32;
		s->sysenter_esp = RG_STACK_TOP;
		s->sysenter_eip = RG_HANDLER + 0xfc;
	}
	e->use_run = h[10] & 1;

	/* Segments; code_sel:code_off is where the code starts. */
	uint16_t code_sel = RG_SEL_CODE32;
	uint32_t code_off = RG_CODE + offset;
	switch (mode) {
	case RG_REAL:
	case RG_V86:
		code_sel = RG_CODE >> 4;
		code_off = offset;
		rg_seg_real(e, S_CS, RG_CODE >> 4, v86);
		rg_seg_real(e, S_DS, RG_DATA >> 4, v86);
		rg_seg_real(e, S_ES, RG_DATA >> 4, v86);
		rg_seg_real(e, S_FS, 0, v86);
		rg_seg_real(e, S_GS, RG_ROM >> 4, v86);
		rg_seg_real(e, S_SS, RG_STACK >> 4, v86);
		break;
	case RG_PROT16:
		code_sel = RG_SEL_CODE16;
		code_off = offset;
		rg_seg(e, S_CS, RG_SEL_CODE16);
		for (int sr = 0; sr < S_NSEG; sr++)
			if (sr != S_CS)
				rg_seg(e, sr, sr == S_SS ? RG_SEL_STACK_SMALL : RG_SEL_DATA16);
		break;
	case RG_USER:
		code_sel = RG_SEL_UCODE | 3;
		rg_seg(e, S_CS, RG_SEL_UCODE | 3);
		for (int sr = 0; sr < S_NSEG; sr++)
			if (sr != S_CS)
				rg_seg(e, sr, RG_SEL_UDATA | 3);
		break;
	case RG_SEGMENTED:
		code_sel = RG_SEL_CODE_SMALL;
		code_off = offset;
		rg_seg(e, S_CS, RG_SEL_CODE_SMALL);
		rg_seg(e, S_DS, RG_SEL_DATA_SMALL);
		rg_seg(e, S_ES, RG_SEL_EXPDOWN);
		rg_seg(e, S_SS, RG_SEL_STACK_SMALL);
		rg_seg(e, S_FS, 0);
		rg_seg(e, S_GS, RG_SEL_DATA_RO);
		break;
	default:
		rg_seg(e, S_CS, RG_SEL_CODE32);
		for (int sr = 0; sr < S_NSEG; sr++)
			if (sr != S_CS)
				rg_seg(e, sr, RG_SEL_DATA32);
		break;
	}
	s->eip = code_off;
	/* From v8086 mode, interrupts go to ring 0: gates into the code use the flat CS. */
	if (v86)
		rg_idt(e, idt, false, code, len, RG_SEL_CODE32, RG_CODE + offset);
	else
		rg_idt(e, idt, real, code, len, code_sel, code_off);

	s->eflags = EFL_FIXED1 | (v86 ? EFL_VM : 0) | (h[1] & 0x40 ? EFL_NT : 0);
	static const uint32_t fl_bits[4] = { EFL_IF, EFL_DF, EFL_TF, EFL_AC };
	for (int b = 0; b < 4; b++)
		if (h[1] & (1u << b))
			s->eflags |= fl_bits[b];
	if (!real)
		s->eflags |= (uint32_t)((h[1] >> 4) & 3) << 12;
	for (int r = 0; r < 8; r++)
		s->gpr[r] = rg_get32(h + 12 + 4 * r);
	if (!(h[1] & 0x80)) {   /* else ESP stays random */
		uint32_t sp = 0x8000 + (s->gpr[R_ESP] & 0x7ffc);
		s->gpr[R_ESP] = s->seg[S_SS].base == RG_STACK ? sp : RG_STACK + sp;
	}

	/* The interpreter: caches of the previous run, lazy flags, fault state. */
	tlb_flush(v, false);
	v->prev_block = NULL;
	v->lf.op = LF_NONE;
	v->delivering = -1;
	v->delivered = false;
	v->unsupported = false;
	v->shutdown = false;
	v->error[0] = '\0';
	e->requests = 1;
	e->intr_line = 0;
	e->intr_raised = false;
	e->intr_vector = h[6];
	e->mmio_latch = 0;
	e->tsc = 0;
}

/* Nanoseconds of a clock. */
static inline uint64_t rg_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The architectural state after a step that ended normally must be one a
 * processor can be in; returns what is wrong, or NULL. EFLAGS bits 3, 5,
 * 15 and 22-31 are reserved zero, bit 1 is one (SDM vol. 1 3.4.3); VM
 * needs protected mode; CR0.PG needs PE and NW needs CD, CR4 holds only
 * bits the model supports (MOV CR raises #GP otherwise, SDM vol. 3A 2.5);
 * a usable segment register holds a code/data segment, SS a writable one
 * and CS a code segment (loads check it, SDM vol. 3A 5.4-5.8), TR a busy
 * TSS and LDTR an LDT; no exception is half delivered.
 */
static inline const char *rg_check_state(const struct rg_env *e)
{
	const struct cpu_state *s = &e->cpu;
	bool pm = s->cr0 & CR0_PE;
	if ((s->eflags & (EFL_FIXED1 | 0xffc08028u)) != EFL_FIXED1)
		return "reserved EFLAGS bits";
	if ((s->eflags & EFL_VM) && !pm)
		return "EFLAGS.VM in real mode";
	if ((s->cr0 & CR0_PG) && !pm)
		return "CR0.PG without PE";
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		return "CR0.NW without CD";
	if (s->cr4 & ~(uint32_t)(CR4_TSD | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR |
				 CR4_OSXMMEXCPT))
		return "CR4 bits the model lacks";
	if (s->halted)
		return "halted after a step that did not stop";
	if (e->v->delivering != -1)
		return "an event delivery left unfinished";
	if (!pm || (s->eflags & EFL_VM))
		return NULL;
	for (int sr = 0; sr < S_NSEG; sr++) {
		uint16_t a = s->seg[sr].attr;
		if (!(a & SEG_P))
			continue;
		if (!(a & SEG_S))
			return "a segment register holds a system descriptor";
		if (sr == S_CS && !(a & 8))
			return "CS holds a data segment";
		if (sr == S_SS && (a & 0xa) != 0x2)
			return "SS holds a segment that is not writable data";
	}
	if ((s->tr.attr & SEG_P) && (s->tr.attr & 0x17) != 0x3)
		return "TR holds something else than a busy TSS";
	if ((s->ldtr.attr & SEG_P) && (s->ldtr.attr & 0x1f) != 0x2)
		return "LDTR holds something else than an LDT";
	return NULL;
}

/* One line per step for e->trace: where, the code bytes, the main registers. */
static inline void rg_trace_step(const struct rg_env *e, unsigned n)
{
	const struct cpu_state *s = &e->cpu;
	uint32_t lin = s->seg[S_CS].base + s->eip;
	fprintf(e->trace, "%4u %04x:%08x ", n, s->seg[S_CS].sel, s->eip);
	for (uint32_t k = 0; k < 8; k++)
		fprintf(e->trace, lin + k < RG_RAM_END ? "%02x" : "..", lin + k < RG_RAM_END ?
			e->ram.host[lin + k] : 0);
	fprintf(e->trace, " fl=%08x cr0=%08x eax=%08x ecx=%08x esp=%08x%s\n", s->eflags, s->cr0,
		s->gpr[R_EAX], s->gpr[R_ECX], s->gpr[R_ESP], e->intr_raised ? " INTR" : "");
}

/*
 * One run; step times are measured on `clock` (CLOCK_MONOTONIC is cheap,
 * the thread's CPU clock is what counts but costs a system call).
 */
static inline void rg_execute(struct rg_env *e, const uint8_t *data, size_t size,
			      struct rg_result *r, clockid_t clock)
{
	memset(r, 0, sizeof(*r));
	r->vector = -1;
	r->exit = RG_EXIT_BUDGET;
	rg_load(e, data, size);
	unsigned intr_step = size > 5 ? data[5] : 0;
	struct cpu_state *s = &e->cpu;
	struct vcpu *v = e->v;
	uint64_t cpu0 = rg_clock(CLOCK_THREAD_CPUTIME_ID);
	unsigned repeats = 0;
	for (unsigned n = 0; n < RG_STEPS && repeats < RG_REPEATS; n++) {
		if (intr_step && n == intr_step) {
			e->intr_raised = true;
			e->intr_line = 1;
		}
		if (e->trace)
			rg_trace_step(e, n);
		v->delivered = false;
		struct seg_cache cs0 = s->seg[S_CS];
		uint32_t eip0 = s->eip;
		uint16_t tr0 = s->tr.sel;
		uint64_t t0 = rg_clock(clock);
		enum interp_exit why = e->use_run ? interp_run(v, UINT64_MAX, rg_now, e)
						  : interp_step(v);
		uint64_t dt = rg_clock(clock) - t0;
		if (dt > r->max_step_ns)
			r->max_step_ns = dt;
		r->steps = n + 1;
		if (why == INTERP_HALT) {
			r->exit = RG_EXIT_HALT;
			uint32_t at = s->seg[S_CS].base + s->eip - 1;
			if (at >= RG_HANDLER && at < RG_HANDLER + 0x100)
				r->vector = (int)(at - RG_HANDLER);
			break;
		}
		if (why == INTERP_SHUTDOWN) {
			r->exit = RG_EXIT_SHUTDOWN;
			break;
		}
		if (why == INTERP_ERROR) {
			r->exit = RG_EXIT_ERROR;
			snprintf(r->error, sizeof(r->error), "%s", v->error);
			if (strncmp(v->error, "unsupported instruction ", 24) != 0 || !v->unsupported)
				snprintf(r->violation, sizeof(r->violation),
					 "an error that is not an unsupported instruction: %.200s", v->error);
			break;
		}
		/*
		 * A branch checks its target against the CS limit (SDM vol. 2, JMP,
		 * CALL, RET, IRET: #GP(0)); only falling through (at most 15
		 * bytes on) may leave EIP beyond it, for the next fetch to fault.
		 * Events and task switches (their EIP check comes after the
		 * commit point, SDM vol. 3A 7.3) are not branches here.
		 */
		/* interp_run() runs a whole block per turn: the instruction that
		 * ran last (v->insn_eip) is the one that may have fallen through. */
		bool fell_through = s->seg[S_CS].sel == cs0.sel && s->seg[S_CS].base == cs0.base &&
				    s->eip - v->insn_eip - 1 < 15;
		if (s->eip > s->seg[S_CS].limit && !v->delivered && !fell_through &&
		    s->tr.sel == tr0) {
			snprintf(r->violation, sizeof(r->violation),
				 "EIP %08x beyond the CS limit %08x after the instruction at "
				 "%04x:%08x (step %u) without an event",
				 s->eip, s->seg[S_CS].limit, cs0.sel, eip0, n);
			break;
		}
		const char *bad = rg_check_state(e);
		if (bad) {
			snprintf(r->violation, sizeof(r->violation),
				 "%s after the instruction at %04x:%08x (step %u)", bad, cs0.sel, eip0, n);
			break;
		}
		/* A REP instruction with a huge count (or a jump to itself) explores
		 * nothing new after a few batches of 4096 iterations. */
		repeats = s->eip == eip0 && s->seg[S_CS].sel == cs0.sel && !v->delivered ? repeats + 1 : 0;
	}
	r->cpu_ns = rg_clock(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	if (!r->violation[0] && memcmp(e->ram.host + RG_ROM, e->rom, RG_ROM_LEN) != 0)
		snprintf(r->violation, sizeof(r->violation), "the guest changed the ROM");
}

/*
 * Runs one input (see the top of this file); the result says how it
 * ended. A step that looks slow on the wall clock (the host may have
 * preempted us) is measured again on the CPU clock: runs are
 * deterministic, so the input is simply run a second time.
 */
static inline void rg_run(struct rg_env *e, const uint8_t *data, size_t size, struct rg_result *r)
{
	rg_execute(e, data, size, r, CLOCK_MONOTONIC);
	if (r->violation[0] || r->max_step_ns <= RG_STEP_NS)
		return;
	rg_execute(e, data, size, r, CLOCK_THREAD_CPUTIME_ID);
	if (!r->violation[0] && r->max_step_ns > RG_STEP_NS)
		snprintf(r->violation, sizeof(r->violation), "an interp_step() took %llu ms of CPU",
			 (unsigned long long)(r->max_step_ns / 1000000));
}

/* The mnemonic of an "unsupported instruction X at ..." message, into buf. */
static inline const char *rg_unsupported_name(const char *error, char *buf, size_t len)
{
	const char *p = error + strlen("unsupported instruction ");
	size_t n = strcspn(p, " ");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

#endif
