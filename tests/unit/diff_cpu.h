/*
 * diff_cpu.h - differential testing of the interpreter against the host
 * CPU: one instruction (or a short sequence), the same inputs on both,
 * compare the outputs.
 *
 * The native side is compat32.h (a 32-bit code segment of this process);
 * the interpreter side is a machine-free vcpu: 32 MiB of guest RAM in a
 * physmap, flat 32-bit protected mode (cpu_state_flat32) with a GDT and an
 * IDT whose 32 exception gates point to distinct addresses, so the vector
 * of a fault is read off EIP after interp_step(). Both sides see the same
 * addresses: the native region is mapped at DIFF_BASE and the guest RAM
 * holds the same bytes there, so memory operands (absolute disp32
 * addresses or ESI/EDI) mean the same on both. A case lists the
 * instruction bytes, the eight GPRs, EFLAGS, which flags the SDM defines
 * for it (the rest are masked out) and registers or memory whose value is
 * undefined; diff_run() runs it on both, compares GPRs, defined flags,
 * the fault (if any) and the whole data area [DIFF_DATA, DIFF_END), and
 * prints the first mismatches in detail.
 *
 * Header-only: tests/CMakeLists.txt builds each test_*.c on its own.
 * SOFTVT_DIFF_SEED (a number) changes the random inputs; the seed is
 * printed so that a failure can be replayed. SOFTVT_DIFF_SCALE multiplies
 * the number of cases (default 1) for longer local runs.
 */
#ifndef SOFTVT_TESTS_DIFF_CPU_H
#define SOFTVT_TESTS_DIFF_CPU_H

#include "compat32.h"

#include <Zydis/Zydis.h>
#include <check.h>
#include <inttypes.h>

#include "cpu/flags.h"
#include "cpu/interp.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define DIFF_BASE    0x01000000u                  /* native region = guest addresses */
#define DIFF_SIZE    0x00010000u
#define DIFF_DATA    (DIFF_BASE + COMPAT32_USER)  /* compared area: data and stack */
#define DIFF_END     (DIFF_BASE + DIFF_SIZE)
#define DIFF_STACK   (DIFF_BASE + 0x7000u)        /* a valid ESP */
#define DIFF_MEM     (DIFF_BASE + 0x9000u)        /* default memory operand */
#define DIFF_RAM     (32u << 20)

/* Guest-only structures, outside the compared area. */
#define DIFF_GDT     0x1000u
#define DIFF_IDT     0x2000u
#define DIFF_HANDLER 0x3000u                      /* vector n's gate points to DIFF_HANDLER + n */
#define DIFF_CODE    0x10000u

#define DIFF_FLAGS   (EFL_ARITH | EFL_DF)
#define DIFF_MAX_REPORTS 12

struct diff_rng {
	uint64_t s;
};

struct diff_case {
	uint8_t insn[32];        /* one instruction, or ninsn of them in a row */
	uint8_t len;
	uint8_t ninsn;           /* 0 means 1 */
	uint32_t gpr[8];
	uint32_t eflags;
	uint32_t defined;        /* flags to compare (DIFF_FLAGS minus the undefined ones) */
	uint8_t gpr_undef;       /* bit r: GPR r has an undefined value afterwards */
	uint32_t undef_addr;     /* [undef_addr, +undef_len): memory with an undefined value */
	uint32_t undef_len;
};

struct diff_out {
	uint32_t gpr[8];
	uint32_t eflags;
	int fault;               /* native: signal number; interp: vector; -1: none */
	const char *error;       /* interp: unsupported instruction */
};

struct diff_env {
	struct compat32 native;
	struct guest_ram ram;
	struct physmap phys;
	struct cpu_state cpu;
	struct cpu_model model;
	struct vcpu *v;
	volatile sig_atomic_t requests, intr_line;
	struct diff_rng rng;
	unsigned scale;
	unsigned cases, mismatches;
	ZydisDecoder dec;
	ZydisFormatter fmt;
	char why[128];           /* message of the last interpreter error */
};

/* --- random inputs ------------------------------------------------------ */

static inline uint32_t diff_rand(struct diff_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545f4914f6cdd1dull) >> 32);
}

static inline uint32_t diff_below(struct diff_rng *r, uint32_t n)
{
	return (uint32_t)(((uint64_t)diff_rand(r) * n) >> 32);
}

/* Values where flags and carries change: around 0, the sign bits, BCD digits. */
static const uint32_t diff_edges[] = {
	0, 1, 2, 3, 5, 7, 8, 9, 0x0a, 0x0f, 0x10, 0x19, 0x1f, 0x20, 0x3f, 0x40, 0x7e, 0x7f, 0x80,
	0x81, 0x99, 0x9a, 0x9f, 0xa0, 0xf9, 0xfa, 0xfe, 0xff, 0x100, 0x101, 0x7ffe, 0x7fff, 0x8000,
	0x8001, 0xfffe, 0xffff, 0x10000, 0x55555555, 0xaaaaaaaa, 0x7ffffffe, 0x7fffffff,
	0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0xffff0000, 0x0000ff00, 0xff00ff00,
};

/* A value for an operand of `size` bytes: random, an edge, small or a few bits wide. */
static inline uint32_t diff_value(struct diff_rng *r, unsigned size)
{
	uint32_t x;
	switch (diff_below(r, 8)) {
	case 0: case 1: case 2:
		x = diff_rand(r);
		break;
	case 3: case 4:
		x = diff_edges[diff_below(r, sizeof(diff_edges) / sizeof(diff_edges[0]))];
		if (size < 4 && diff_below(r, 2))
			x >>= 8 * (4 - size);    /* the edge at this size: 0x7f.., 0x80.. */
		break;
	case 5:
		x = diff_below(r, 17);
		break;
	case 6:
		x = diff_rand(r) >> diff_below(r, 32);
		break;
	default:
		x = diff_edges[diff_below(r, sizeof(diff_edges) / sizeof(diff_edges[0]))] +
		    diff_below(r, 5) - 2;
		break;
	}
	return x & size_mask(size);
}

/* EFLAGS in: random arithmetic flags, DF clear. */
static inline uint32_t diff_flags(struct diff_rng *r)
{
	return diff_rand(r) & EFL_ARITH;
}

/*
 * A case with random GPRs and flags, all flags defined. ESP stays a valid
 * stack pointer of the data area (varying in its low bits): an exception
 * in the interpreter pushes a frame there.
 */
static inline void diff_case_init(struct diff_env *e, struct diff_case *c)
{
	memset(c, 0, sizeof(*c));
	for (int k = 0; k < 8; k++)
		c->gpr[k] = diff_value(&e->rng, 4);
	c->gpr[R_ESP] = DIFF_STACK - 4 * diff_below(&e->rng, 64);
	c->eflags = diff_flags(&e->rng);
	c->defined = DIFF_FLAGS;
}

/* --- encoding helpers ---------------------------------------------------- */

static inline void diff_byte(struct diff_case *c, uint8_t b)
{
	c->insn[c->len++] = b;
}

static inline void diff_imm(struct diff_case *c, uint32_t v, unsigned size)
{
	for (unsigned k = 0; k < size; k++)
		diff_byte(c, (uint8_t)(v >> (8 * k)));
}

/* ModRM with a register r/m operand. */
static inline void diff_modrm_reg(struct diff_case *c, unsigned reg, unsigned rm)
{
	diff_byte(c, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* ModRM with the memory operand [addr] (mod 00, r/m 101: disp32). */
static inline void diff_modrm_mem(struct diff_case *c, unsigned reg, uint32_t addr)
{
	diff_byte(c, (uint8_t)((reg & 7) << 3 | 5));
	diff_imm(c, addr, 4);
}

/* 0x66 for a 16-bit operand size. */
static inline void diff_prefix(struct diff_case *c, unsigned size)
{
	if (size == 2)
		diff_byte(c, 0x66);
}

/* 1, 2 or 4. */
static inline unsigned diff_size(struct diff_rng *r)
{
	return 1u << diff_below(r, 3);
}

/* Register value as an instruction of that size sees it (8-bit: AL..BH). */
static inline uint32_t diff_reg_value(const struct diff_case *c, unsigned reg, unsigned size)
{
	if (size == 1)
		return reg < 4 ? c->gpr[reg] & 0xff : (c->gpr[reg - 4] >> 8) & 0xff;
	return c->gpr[reg] & size_mask(size);
}

static inline void diff_set_reg(struct diff_case *c, unsigned reg, unsigned size, uint32_t val)
{
	if (size == 1 && reg >= 4)
		c->gpr[reg - 4] = (c->gpr[reg - 4] & ~0xff00u) | (val & 0xff) << 8;
	else
		c->gpr[reg] = (c->gpr[reg] & ~size_mask(size)) | (val & size_mask(size));
}

/* --- the environment ----------------------------------------------------- */

static inline uint8_t *diff_guest(struct diff_env *e, uint32_t addr)
{
	return e->ram.host + addr;
}

/* Writes n bytes at addr on both sides. */
static inline void diff_poke(struct diff_env *e, uint32_t addr, const void *p, unsigned n)
{
	memcpy(compat32_ptr(&e->native, addr), p, n);
	memcpy(diff_guest(e, addr), p, n);
}

static inline void diff_poke_random(struct diff_env *e, uint32_t addr, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		uint8_t b = (uint8_t)diff_value(&e->rng, 1);
		diff_poke(e, addr + k, &b, 1);
	}
}

static inline uint64_t diff_gdt_entry(uint32_t type)
{
	/* base 0, limit 0xfffff pages, G, D/B, P, S, DPL 0 */
	return 0x00cf80000000ffffull | (uint64_t)(0x10 | type) << 40;
}

static inline void diff_put64(struct diff_env *e, uint32_t addr, uint64_t v)
{
	memcpy(diff_guest(e, addr), &v, 8);
}

static inline void diff_reset_data(struct diff_env *e)
{
	for (uint32_t a = DIFF_DATA; a < DIFF_END; a += 4) {
		uint32_t x = diff_rand(&e->rng);
		diff_poke(e, a, &x, 4);
	}
}

static inline uint64_t diff_seed(void)
{
	const char *s = getenv("SOFTVT_DIFF_SEED");
	return s && *s ? strtoull(s, NULL, 0) : 0x50f7a7e5eedull;
}

/* The bus of a vcpu with no machine: no interrupts, a TSC that stands still. */
static inline bool diff_no_intr(void *opaque)
{
	(void)opaque;
	return false;
}

static inline uint8_t diff_no_ack(void *opaque)
{
	(void)opaque;
	return 0;
}

static inline uint64_t diff_no_tsc(void *opaque)
{
	(void)opaque;
	return 0;
}

/*
 * The guest's descriptor tables: GDT (0x08 code, 0x10 data), IDT (32
 * interrupt gates to DIFF_HANDLER + vector), and the CS they give. Done
 * again before every case: a case may leave ESP anywhere, and an exception
 * frame pushed there in the interpreter could overwrite the tables.
 * diff_open() sets up the rest of flat protected mode once; tests may
 * change the data segments in between (and restore them).
 */
static inline void diff_guest_setup(struct diff_env *e)
{
	e->cpu.seg[S_CS] = (struct seg_cache){ .sel = 0x08, .base = 0, .limit = 0xffffffffu,
					       .attr = SEG_P | SEG_S | SEG_DB | SEG_G | 0xb };
	diff_put64(e, DIFF_GDT + 0x08, diff_gdt_entry(0xb));
	diff_put64(e, DIFF_GDT + 0x10, diff_gdt_entry(0x3));
	e->cpu.gdtr.base = DIFF_GDT;
	e->cpu.gdtr.limit = 0x17;
	for (uint32_t n = 0; n < 32; n++) {
		uint32_t off = DIFF_HANDLER + n;
		/* 32-bit interrupt gate, DPL 0, present */
		diff_put64(e, DIFF_IDT + 8 * n,
			   (off & 0xffff) | 0x08u << 16 | (uint64_t)((off & 0xffff0000u) | 0x8e00) << 32);
		*diff_guest(e, off) = 0xf4;
	}
	e->cpu.idtr.base = DIFF_IDT;
	e->cpu.idtr.limit = 32 * 8 - 1;
	e->cpu.halted = false;
	e->cpu.int_shadow = false;
}

/* Returns 0, or -1 with the reason in why (the test then skips). */
static inline int diff_open(struct diff_env *e, char *why, size_t whylen)
{
	memset(e, 0, sizeof(*e));
	e->ram.fd = -1;
	if (compat32_open(&e->native, DIFF_BASE, DIFF_SIZE, why, whylen) < 0)
		return -1;
	if (guest_ram_create(&e->ram, DIFF_RAM, why, whylen) < 0)
		return -1;
	physmap_init(&e->phys, &e->ram);
	if (physmap_add_ram(&e->phys, 0, DIFF_RAM, 0, false, "ram") < 0) {
		snprintf(why, whylen, "physmap_add_ram failed");
		return -1;
	}
	cpu_model_init(&e->model, 0);
	cpu_state_reset(&e->cpu);
	cpu_state_flat32(&e->cpu, DIFF_CODE, 0x08, 0x10);
	diff_guest_setup(e);
	struct cpu_bus bus = {
		.phys = &e->phys, .model = &e->model, .requests = &e->requests,
		.intr_line = &e->intr_line,
		.intr_pending = diff_no_intr, .intr_ack = diff_no_ack, .tsc = diff_no_tsc, .opaque = e,
	};
	e->v = calloc(1, sizeof(*e->v));
	if (!e->v || interp_init(e->v, &e->cpu, &bus) < 0) {
		snprintf(why, whylen, "out of memory for the interpreter");
		return -1;
	}
	ZydisDecoderInit(&e->dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	ZydisFormatterInit(&e->fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	e->rng.s = diff_seed();
	const char *scale = getenv("SOFTVT_DIFF_SCALE");
	e->scale = scale && atoi(scale) > 0 ? (unsigned)atoi(scale) : 1;
	diff_reset_data(e);
	return 0;
}

static inline void diff_close(struct diff_env *e)
{
	if (e->v && e->v->dcache)
		interp_fini(e->v);
	free(e->v);
	e->v = NULL;
	guest_ram_destroy(&e->ram);
	compat32_close(&e->native);
}

/* --- running ------------------------------------------------------------- */

static inline void diff_run_native(struct diff_env *e, const struct diff_case *c,
				   struct diff_out *o)
{
	struct compat32_regs r;
	memcpy(r.gpr, c->gpr, sizeof(r.gpr));
	r.eflags = c->eflags;
	int sig = compat32_exec(&e->native, c->insn, c->len, &r);
	memcpy(o->gpr, sig ? c->gpr : r.gpr, sizeof(o->gpr));
	o->eflags = sig ? c->eflags : r.eflags;
	o->fault = sig ? sig : -1;
	o->error = NULL;
}

static inline void diff_run_interp(struct diff_env *e, const struct diff_case *c,
				   struct diff_out *o)
{
	struct vcpu *v = e->v;
	struct cpu_state *s = &e->cpu;
	diff_guest_setup(e);
	memcpy(diff_guest(e, DIFF_CODE), c->insn, c->len);
	decode_invalidate_page(v->dcache, DIFF_CODE & ~0xfffu);
	memcpy(s->gpr, c->gpr, sizeof(s->gpr));
	/* IF=1 like the host's user mode (PUSHF shows it); no interrupt ever comes. */
	s->eflags = EFL_FIXED1 | EFL_IF | (c->eflags & DIFF_FLAGS);
	s->eip = DIFF_CODE;
	v->lf.op = LF_NONE;
	v->unsupported = false;
	enum interp_exit why = INTERP_DEADLINE;
	for (unsigned k = 0; k < (c->ninsn ? c->ninsn : 1u); k++) {
		why = interp_step(v);
		if (why != INTERP_DEADLINE || (s->eip >= DIFF_HANDLER && s->eip < DIFF_HANDLER + 32))
			break;
	}
	memcpy(o->gpr, s->gpr, sizeof(o->gpr));
	o->eflags = flags_materialize(v);
	o->fault = -1;
	o->error = NULL;
	if (why == INTERP_ERROR || why == INTERP_SHUTDOWN)
		o->error = why == INTERP_ERROR ? v->error : "shutdown";
	else if (s->eip >= DIFF_HANDLER && s->eip < DIFF_HANDLER + 32)
		o->fault = (int)(s->eip - DIFF_HANDLER);
	else if (s->eip != DIFF_CODE + c->len) {
		snprintf(e->why, sizeof(e->why), "EIP %08x after the instruction, not %08x", s->eip,
			 DIFF_CODE + c->len);
		o->error = e->why;
	}
}

static inline void diff_print_insn(struct diff_env *e, const struct diff_case *c)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	for (unsigned at = 0, k = 0; at < c->len && k < (c->ninsn ? c->ninsn : 1u); k++) {
		char text[96] = "(undecodable)";
		unsigned len = c->len - at;
		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&e->dec, c->insn + at, len, &zi, zo))) {
			ZydisFormatterFormatInstruction(&e->fmt, &zi, zo, zi.operand_count_visible,
							text, sizeof(text), DIFF_CODE + at, NULL);
			len = zi.length;
		}
		printf("  %-36s [", text);
		for (unsigned b = 0; b < len; b++)
			printf("%s%02x", b ? " " : "", c->insn[at + b]);
		printf("]\n");
		at += len;
	}
}

static inline void diff_print_regs(const char *who, const uint32_t *g, uint32_t fl, int fault)
{
	printf("  %-7s eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x "
	       "fl=%03x",
	       who, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], fl & 0xfff);
	if (fault >= 0)
		printf(" fault=%d", fault);
	printf("\n");
}

/* Whether the interpreter's vector is what the host's signal reports. */
static inline bool diff_same_fault(int sig, int vector)
{
	switch (sig) {
	case SIGFPE:  return vector == EXC_DE;
	case SIGILL:  return vector == EXC_UD;
	case SIGSEGV: return vector == EXC_GP || vector == EXC_SS || vector == EXC_PF;
	case SIGBUS:  return vector == EXC_AC || vector == EXC_SS;
	case SIGTRAP: return vector == EXC_DB || vector == EXC_BP;
	default:      return false;
	}
}

/*
 * Runs c on both sides and compares. When native_fault is non-zero the
 * case is not run natively (an exception the test must not raise on the
 * host, e.g. a divide overflow); instead the interpreter must raise vector
 * native_fault - 1. Returns true when the two agree.
 */
static inline bool diff_run_expect(struct diff_env *e, const struct diff_case *c, int native_fault)
{
	struct diff_out n, i;
	if (native_fault) {
		memcpy(n.gpr, c->gpr, sizeof(n.gpr));
		n.eflags = c->eflags;
		n.fault = native_fault - 1;
		n.error = NULL;
	} else {
		diff_run_native(e, c, &n);
	}
	diff_run_interp(e, c, &i);
	e->cases++;

	bool ok = !i.error && (native_fault ? i.fault == n.fault
				       : n.fault < 0 ? i.fault < 0 : diff_same_fault(n.fault, i.fault));
	const char *what = i.error ? i.error : !ok ? "fault" : NULL;
	uint32_t bad_regs = 0, bad_flags = 0;
	if (ok && n.fault < 0 && i.fault < 0) {
		for (int r = 0; r < 8; r++)
			if (!(c->gpr_undef & (1u << r)) && n.gpr[r] != i.gpr[r])
				bad_regs |= 1u << r;
		bad_flags = (n.eflags ^ i.eflags) & c->defined;
		if (bad_regs)
			what = "registers";
		else if (bad_flags)
			what = "flags";
	}
	/* Memory: the whole data area except undefined bytes and, after a
	 * fault, the interpreter's exception frame below ESP. */
	uint32_t bad_mem = 0;
	uint32_t frame_lo = c->gpr[R_ESP] - 16, frame_hi = i.fault >= 0 ? c->gpr[R_ESP] : frame_lo;
	if (!what && !native_fault) {
		for (uint32_t a = DIFF_DATA; a < DIFF_END; a += 4) {
			if (memcmp(compat32_ptr(&e->native, a), diff_guest(e, a), 4) == 0)
				continue;
			for (uint32_t b = a; b < a + 4; b++)
				if (*compat32_ptr(&e->native, b) != *diff_guest(e, b) &&
				    !(b >= c->undef_addr && b < c->undef_addr + c->undef_len) &&
				    !(b >= frame_lo && b < frame_hi)) {
					bad_mem = b;
					what = "memory";
					break;
				}
			if (what)
				break;
		}
	}
	if (!what) {
		memcpy(diff_guest(e, DIFF_DATA), compat32_ptr(&e->native, DIFF_DATA),
		       DIFF_END - DIFF_DATA);
		return true;
	}
	if (e->mismatches++ < DIFF_MAX_REPORTS) {
		printf("MISMATCH (%s)%s%s\n", what, i.error ? ": " : "", i.error ? i.error : "");
		diff_print_insn(e, c);
		diff_print_regs("in", c->gpr, c->eflags, -1);
		diff_print_regs(native_fault ? "expect" : "native", n.gpr, n.eflags, n.fault);
		diff_print_regs("interp", i.gpr, i.eflags, i.fault);
		if (bad_regs)
			printf("  registers differ: mask %02x\n", bad_regs);
		if (bad_flags)
			printf("  defined flags %03x differ in %03x\n", c->defined, bad_flags);
		if (bad_mem)
			printf("  memory differs at %08x: native %02x interp %02x\n", bad_mem,
			       *compat32_ptr(&e->native, bad_mem), *diff_guest(e, bad_mem));
	}
	/* Resynchronise the guest's memory with the native side. */
	memcpy(diff_guest(e, DIFF_DATA), compat32_ptr(&e->native, DIFF_DATA), DIFF_END - DIFF_DATA);
	return false;
}

static inline bool diff_run(struct diff_env *e, const struct diff_case *c)
{
	return diff_run_expect(e, c, 0);
}

/*
 * Starts a class of cases: the guest's data area takes the native one's
 * bytes (Check runs each test in a child process, and guest RAM, a shared
 * memfd, keeps what an earlier child wrote while the native region does not).
 */
static inline void diff_sync(struct diff_env *e)
{
	memcpy(diff_guest(e, DIFF_DATA), compat32_ptr(&e->native, DIFF_DATA), DIFF_END - DIFF_DATA);
}

/*
 * Appends the ModRM of an r/m operand: a random register, or (one time in
 * three when allowed) the memory operand DIFF_MEM + 0..3 with fresh random
 * contents. Returns the operand's value; *where (if not NULL) gets the
 * register number, or -1 for memory (the address is then in *addr).
 */
static inline uint32_t diff_rm(struct diff_env *e, struct diff_case *c, unsigned reg,
			       unsigned size, bool allow_mem, int *where, uint32_t *addr)
{
	if (allow_mem && diff_below(&e->rng, 3) == 0) {
		/* A segment override one time in four: ES, CS, SS or DS, all flat
		 * on both sides (CS is read-only: a write faults on both). */
		if (diff_below(&e->rng, 4) == 0) {
			static const uint8_t seg[] = { 0x26, 0x2e, 0x36, 0x3e };
			memmove(c->insn + 1, c->insn, c->len);
			c->insn[0] = seg[diff_below(&e->rng, 4)];
			c->len++;
		}
		uint32_t a = DIFF_MEM + diff_below(&e->rng, 4);
		uint32_t x = diff_value(&e->rng, 4);
		diff_poke(e, a, &x, 4);
		diff_modrm_mem(c, reg, a);
		if (where)
			*where = -1;
		if (addr)
			*addr = a;
		return x & size_mask(size);
	}
	unsigned r = diff_below(&e->rng, 8);
	diff_modrm_reg(c, reg, r);
	if (where)
		*where = (int)r;
	return diff_reg_value(c, r, size);
}

/* Prints a class's totals; returns the number of its mismatches. */
static inline unsigned diff_report(const struct diff_env *e, const char *name, unsigned cases0,
				   unsigned bad0)
{
	printf("%-34s %6u cases, %u mismatches\n", name, e->cases - cases0, e->mismatches - bad0);
	return e->mismatches - bad0;
}

/* Brackets a class of cases in a Check test: the test fails if any case differed. */
#define DIFF_CLASS_BEGIN(e) \
	unsigned diff_cases0 = (e)->cases, diff_bad0 = (e)->mismatches; \
	diff_sync(e)
#define DIFF_CLASS_END(e, name) \
	ck_assert_msg(diff_report(e, name, diff_cases0, diff_bad0) == 0, \
		      "%s: %u of %u cases differ from the host CPU", name, \
		      (e)->mismatches - diff_bad0, (e)->cases - diff_cases0)

/* Number of cases for a class: n times SOFTVT_DIFF_SCALE. */
static inline unsigned diff_count(const struct diff_env *e, unsigned n)
{
	return n * e->scale;
}

/*
 * main() of a differential test: opens the environment (exit 77 with the
 * reason when the host cannot run 32-bit code), runs the tests, closes.
 */
static inline int diff_main(struct diff_env *e, const char *name, const TTest *const *tests,
			    unsigned ntests)
{
	char why[256];
	setvbuf(stdout, NULL, _IOLBF, 0);   /* Check forks: no buffered output to duplicate */
	if (diff_open(e, why, sizeof(why)) < 0) {
		printf("SKIP: %s\n", why);
		diff_close(e);
		return 77;
	}
	printf("seed %#" PRIx64 " (SOFTVT_DIFF_SEED), scale %u (SOFTVT_DIFF_SCALE)\n", diff_seed(),
	       e->scale);
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("host");
	tcase_set_timeout(tc, 120);
	for (unsigned k = 0; k < ntests; k++)
		tcase_add_test(tc, tests[k]);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	diff_close(e);
	return failed ? 1 : 0;
}

#endif
