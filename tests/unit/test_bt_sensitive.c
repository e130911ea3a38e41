/*
 * test_bt_sensitive.c - every critical and privileged instruction of
 * architecture.md section 3 under engine bt (the whole engine: dispatcher,
 * translation cache, callouts, exits to the interpreter) and under the
 * interpreter alone, from the same state: the guest-visible results must be
 * the interpreter's. Some are checked against known values too: SGDT gives
 * the guest's GDTR, POPF at CPL 0 clears the virtual IF, MOV from CS shows
 * RPL 0, PUSHF shows the virtual IF and IOPL; IN/OUT reach the test device
 * through callouts (counted), not through exits.
 *
 * The guest (guest_code/bt_sensitive.S, assembled into bt_sensitive_code.h
 * by guest_code/gen.sh): flat 32-bit ring 0, paging off, a GDT with ring-0
 * and ring-3 flat segments, a busy TSS (ring-3 -> ring-0 stack), an LDT, a
 * second TSS and a byte-granular data segment; an IDT with handlers for
 * #DB, IRQ vector 0x40, INT 0x80 and a DPL-3 INT 0x81; everything else goes
 * to `fail`. Each snippet ends with HLT. A test device at ports 0xE0-0xE7
 * and 0x300-0x307 answers reads with a sequence and hashes writes; a write
 * to 0xE7 raises the fake PIC's INTR (vector 0x40).
 *
 * Global state: the device and the fake PIC are reached from bus callbacks
 * without a context pointer of their own (env below).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Zydis/Zydis.h>

#include "bt/bt.h"
#include "bt/ctx.h"
#include "bt/tc.h"
#include "bt/translate.h"
#include "cpu/cpu_model.h"
#include "cpu/flags.h"
#include "cpu/interp.h"
#include "devices/portmap.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#include "guest_code/bt_sensitive_code.h"

#define RAM_SIZE  (4u << 20)
#define CMP_LEN   0x90000u      /* RAM compared after a run */
#define GDT       0x1000u
#define IDT       0x2000u
#define TSS       0x3000u
#define TSS2      0x3100u
#define LDT       0x4000u
#define RES       0x5000u
#define STACK_TOP 0x80000u
#define PROG      0x20000u

struct result {
	struct cpu_state cpu;
	uint8_t *ram;
	uint64_t dev_hash, dev_writes, dev_reads;
};

struct env {
	struct guest_ram ram;
	struct physmap phys;
	struct portmap ports;
	struct cpu_model model;
	struct cpu_state cpu;
	volatile sig_atomic_t requests, intr_line;
	uint64_t tsc;
	uint64_t dev_seq, dev_hash, dev_writes;
	uint8_t *snap;
	struct bt_stats st;     /* of the last bt run */
	const uint8_t *prog;    /* extra code at PROG (random cases), or NULL */
	size_t prog_len;
};
static struct env *env;

static bool intr_pending(void *o) { return env->intr_line != 0; }
static uint8_t intr_ack(void *o) { env->intr_line = 0; return 0x40; }
static uint64_t tsc(void *o) { return env->tsc += 1000; }

static uint32_t dev_read(void *o, uint32_t off, unsigned size)
{
	uint32_t base = (uint32_t)(uintptr_t)o;
	return 0xa5000000u | (uint32_t)(++env->dev_seq << 8) | ((base + off) & 0xff);
}

static void dev_write(void *o, uint32_t off, uint32_t value, unsigned size)
{
	uint32_t base = (uint32_t)(uintptr_t)o;
	env->dev_hash = env->dev_hash * 1000003u + ((base + off) << 8 ^ value ^ size << 28);
	env->dev_writes++;
	if (base + off == 0xe7)
		env->intr_line = 1;
}

static const struct io_ops dev_ops = { dev_read, dev_write };

static void put32(uint32_t a, uint32_t x) { memcpy(env->ram.host + a, &x, 4); }
static uint32_t get32(const uint8_t *ram, uint32_t a) { uint32_t x; memcpy(&x, ram + a, 4); return x; }

static void put_desc(uint32_t a, uint32_t base, uint32_t limit, uint32_t type_dpl_p, bool gran)
{
	uint32_t lo = (limit & 0xffff) | base << 16;
	uint32_t hi = ((base >> 16) & 0xff) | (type_dpl_p << 8) | (limit & 0xf0000) |
		      (gran ? 0xc00000u : 0x400000u) | (base & 0xff000000u);
	put32(a, lo);
	put32(a + 4, hi);
}

static void put_gate(unsigned vec, uint32_t off, unsigned dpl)
{
	put32(IDT + vec * 8, (off & 0xffff) | 0x08u << 16);
	put32(IDT + vec * 8 + 4, (off & 0xffff0000u) | 0x8e00u | dpl << 13);
}

/* Guest memory before every run. */
static void build_memory(void)
{
	uint8_t *m = env->ram.host;
	memset(m, 0, CMP_LEN);
	put_desc(GDT + 0x08, 0, 0xfffff, 0x9b, true);          /* ring-0 code */
	put_desc(GDT + 0x10, 0, 0xfffff, 0x93, true);          /* ring-0 data */
	put_desc(GDT + 0x18, 0, 0xfffff, 0xfb, true);          /* ring-3 code (SYSEXIT) */
	put_desc(GDT + 0x20, 0, 0xfffff, 0xf3, true);          /* ring-3 data */
	put_desc(GDT + 0x28, TSS, 0x67, 0x8b, false);          /* busy TSS (TR) */
	put_desc(GDT + 0x30, LDT, 0xf, 0x82, false);           /* LDT */
	put_desc(GDT + 0x38, TSS2, 0x67, 0x89, false);         /* available TSS */
	put_desc(GDT + 0x40, 0x6000, 0xfff, 0x93, false);      /* byte-granular data */
	put_desc(GDT + 0x48, 0, 0xfffff, 0x92, true);          /* flat data, not accessed */
	put32(GDT + 0x40 + 4, get32(m, GDT + 0x44) & ~0x400000u);   /* 16-bit: LAR shows it */
	for (unsigned v = 0; v < 256; v++)
		put_gate(v, GC_fail, 0);
	put_gate(1, GC_h_db, 0);
	put_gate(0x40, GC_h_irq, 0);
	put_gate(0x80, GC_h_int80, 0);
	put_gate(0x81, GC_h_int81, 3);
	put32(TSS + 4, STACK_TOP - 0x1000);                    /* esp0 */
	put32(TSS + 8, 0x10);                                  /* ss0 */
	put32(TSS + 0x66, 0x68u << 16);                        /* no I/O bitmap */
	memcpy(m + GC_BASE, gc_code, sizeof(gc_code));
	if (env->prog)
		memcpy(m + PROG, env->prog, env->prog_len);
}

static void initial_state(struct cpu_state *s, uint32_t eip, uint32_t eflags)
{
	cpu_state_reset(s);
	cpu_state_flat32(s, eip, 0x08, 0x10);
	s->eflags = eflags | EFL_FIXED1;
	s->gpr[R_ESP] = STACK_TOP;
	s->gdtr = (struct dtable){ GDT, 0x4f };
	s->idtr = (struct dtable){ IDT, 0x7ff };
	s->tr = (struct seg_cache){ 0x28, TSS, 0x67, SEG_P | 0xb };
	s->ldtr = (struct seg_cache){ 0, 0, 0, 0 };
}

static struct cpu_bus make_bus(void)
{
	struct cpu_bus bus = {
		.phys = &env->phys, .ports = &env->ports, .model = &env->model,
		.requests = &env->requests, .stop_mask = 1, .intr_bit = 2,
		.intr_line = &env->intr_line, .intr_pending = intr_pending, .intr_ack = intr_ack,
		.tsc = tsc, .opaque = env,
	};
	return bus;
}

static void reset_machine(uint32_t eip, uint32_t eflags, bool intr)
{
	build_memory();
	initial_state(&env->cpu, eip, eflags);
	env->intr_line = intr;
	env->requests = 0;
	env->tsc = 0;
	env->dev_seq = env->dev_hash = env->dev_writes = 0;
}

static void save(struct result *r)
{
	r->cpu = env->cpu;
	r->ram = malloc(CMP_LEN);
	memcpy(r->ram, env->ram.host, CMP_LEN);
	r->dev_hash = env->dev_hash;
	r->dev_writes = env->dev_writes;
	r->dev_reads = env->dev_seq;
}

static uint64_t now_ns(void *o)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_bt(uint32_t eip, uint32_t eflags, bool intr, struct result *r)
{
	reset_machine(eip, eflags, intr);
	char err[256];
	struct cpu_bus bus = make_bus();
	struct bt *bt = bt_create(&env->cpu, &bus, 0, BT_USER_INTERP, err, sizeof(err));
	ck_assert_msg(bt != NULL, "bt_create: %s", err);
	enum interp_exit x = INTERP_DEADLINE;
	uint64_t end = now_ns(NULL) + 5000000000u;
	while (x == INTERP_DEADLINE && now_ns(NULL) < end)
		x = bt_run(bt, now_ns(NULL) + 100000000u, now_ns, NULL);
	ck_assert_msg(x == INTERP_HALT, "bt stopped with %d: %s", x, bt_vcpu(bt)->error);
	bt_get_stats(bt, &env->st);
	bt_destroy(bt);
	save(r);
}

static void run_interp(uint32_t eip, uint32_t eflags, bool intr, struct result *r)
{
	reset_machine(eip, eflags, intr);
	struct cpu_bus bus = make_bus();
	struct vcpu *v = calloc(1, sizeof(*v));
	ck_assert_int_eq(interp_init(v, &env->cpu, &bus), 0);
	enum interp_exit x = INTERP_DEADLINE;
	for (unsigned n = 0; n < 1000000 && x == INTERP_DEADLINE; n++)
		x = interp_step(v);
	ck_assert_msg(x == INTERP_HALT, "interp stopped with %d: %s", x, v->error);
	flags_materialize(v);
	interp_fini(v);
	free(v);
	save(r);
}

/* Runs the snippet at eip under both engines; b gets bt's result. */
static void same(uint32_t eip, uint32_t eflags, bool intr, struct result *b)
{
	struct result i;
	run_interp(eip, eflags, intr, &i);
	run_bt(eip, eflags, intr, b);
	static const char *const names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	for (int k = 0; k < 8; k++)
		ck_assert_msg(b->cpu.gpr[k] == i.cpu.gpr[k], "%08x: %s: bt %08x, interp %08x", eip,
			      names[k], b->cpu.gpr[k], i.cpu.gpr[k]);
	ck_assert_msg(b->cpu.eip == i.cpu.eip, "%08x: eip: bt %08x, interp %08x", eip, b->cpu.eip,
		      i.cpu.eip);
	ck_assert_msg(b->cpu.eflags == i.cpu.eflags, "%08x: eflags: bt %08x, interp %08x", eip,
		      b->cpu.eflags, i.cpu.eflags);
	for (int s = 0; s < S_NSEG; s++)
		ck_assert_msg(b->cpu.seg[s].sel == i.cpu.seg[s].sel &&
			      b->cpu.seg[s].base == i.cpu.seg[s].base &&
			      b->cpu.seg[s].limit == i.cpu.seg[s].limit &&
			      b->cpu.seg[s].attr == i.cpu.seg[s].attr,
			      "%08x: segment %d: bt %04x, interp %04x", eip, s, b->cpu.seg[s].sel,
			      i.cpu.seg[s].sel);
	ck_assert(b->cpu.gdtr.base == i.cpu.gdtr.base && b->cpu.gdtr.limit == i.cpu.gdtr.limit);
	ck_assert(b->cpu.idtr.base == i.cpu.idtr.base && b->cpu.idtr.limit == i.cpu.idtr.limit);
	ck_assert(b->cpu.ldtr.sel == i.cpu.ldtr.sel && b->cpu.tr.sel == i.cpu.tr.sel);
	ck_assert(b->cpu.tr.attr == i.cpu.tr.attr);
	ck_assert(b->cpu.cr0 == i.cpu.cr0 && b->cpu.cr3 == i.cpu.cr3 && b->cpu.cr4 == i.cpu.cr4);
	ck_assert(b->cpu.dr[0] == i.cpu.dr[0] && b->cpu.dr[7] == i.cpu.dr[7]);
	ck_assert(b->cpu.sysenter_cs == i.cpu.sysenter_cs &&
		  b->cpu.sysenter_eip == i.cpu.sysenter_eip);
	for (uint32_t a = 0; a < CMP_LEN; a += 4)
		ck_assert_msg(get32(b->ram, a) == get32(i.ram, a), "%08x: memory %05x: bt %08x, interp %08x",
			      eip, a, get32(b->ram, a), get32(i.ram, a));
	ck_assert_uint_eq(b->dev_hash, i.dev_hash);
	ck_assert_uint_eq(b->dev_writes, i.dev_writes);
	ck_assert_uint_eq(b->dev_reads, i.dev_reads);
	ck_assert_msg(get32(b->ram, RES + 0xffc) == 0, "%08x: the guest took an unexpected exception", eip);
	free(i.ram);
}

static void done(struct result *b)
{
	free(b->ram);
}

START_TEST(sgdt_sidt_sldt_str_smsw_show_the_guest_tables)
{
	struct result b;
	same(GC_t_sdt, 0, false, &b);
	ck_assert_uint_eq(get32(b.ram, RES) & 0xffff, 0x4f);          /* the guest's GDTR, */
	ck_assert_uint_eq(get32(b.ram, RES + 2), GDT);                 /* not the host's */
	ck_assert_uint_eq(get32(b.ram, RES + 8) & 0xffff, 0x7ff);
	ck_assert_uint_eq(get32(b.ram, RES + 10), IDT);
	ck_assert_uint_eq(b.cpu.gpr[R_EBX], 0x28);                    /* STR */
	ck_assert_uint_eq(b.cpu.gpr[R_EAX], 0);                       /* SLDT */
	ck_assert_uint_eq(b.cpu.gpr[R_ECX] & 1, 1);                   /* SMSW: PE */
	done(&b);
}
END_TEST

START_TEST(pushf_shows_the_virtual_if_and_iopl)
{
	struct result b;
	same(GC_t_pushf, EFL_IF | EFL_IOPL, false, &b);
	uint32_t f = b.cpu.gpr[R_EAX];
	ck_assert_uint_eq(f & (EFL_IF | EFL_IOPL | EFL_CF | EFL_DF), EFL_IF | EFL_IOPL | EFL_CF | EFL_DF);
	ck_assert_uint_eq(f & (EFL_TF | EFL_RF | EFL_VM), 0);
	ck_assert_uint_eq(b.cpu.gpr[R_EBX] & 0xffff, f & 0xfbff);   /* PUSHF (16) after CLD */
	ck_assert_uint_eq(env->st.exits[BT_EXIT_INTERP], 1);         /* only the HLT */
	done(&b);
}
END_TEST

START_TEST(popf_in_ring0_sets_and_clears_the_virtual_flags)
{
	struct result b;
	same(GC_t_popf, EFL_IF, false, &b);
	ck_assert_uint_eq(b.cpu.gpr[R_EAX], 0x2478d7);       /* NT IOPL AC ID + arithmetic, IF 0 */
	ck_assert_uint_eq(b.cpu.gpr[R_EBX] & EFL_IF, EFL_IF);
	ck_assert_uint_eq(b.cpu.gpr[R_EDX] & 0xffff, 0x0ad7);
	ck_assert_uint_eq(b.cpu.eflags & EFL_IF, 0);            /* really cleared */
	ck_assert_uint_eq(b.cpu.gpr[R_ESI] & (EFL_IF | EFL_AC | EFL_ID | EFL_IOPL), 0);   /* POPFD 2 */
	ck_assert_uint_eq(env->st.exits[BT_EXIT_INTERP], 1);
	done(&b);
}
END_TEST

START_TEST(popf_setting_tf_single_steps_in_the_interpreter)
{
	struct result b;
	same(GC_t_popf_tf, 0, false, &b);
	ck_assert_uint_eq(get32(b.ram, RES + 0x100), 0x1111);   /* #DB was delivered */
	ck_assert_uint_eq(b.cpu.gpr[R_EAX], 5);
	done(&b);
}
END_TEST

START_TEST(popf_setting_if_delivers_a_pending_interrupt_at_once)
{
	struct result b;
	same(GC_t_popf_intr, 0, true, &b);
	ck_assert_uint_eq(get32(b.ram, RES + 0x104), 7);        /* before the next instruction */
	ck_assert_uint_eq(get32(b.ram, RES + 0x108), 1);
	ck_assert_uint_ge(env->st.exits[BT_EXIT_SYNC], 1);
	done(&b);
}
END_TEST

START_TEST(sti_delivers_after_its_shadow)
{
	struct result b;
	same(GC_t_sti, 0, true, &b);
	ck_assert_uint_eq(get32(b.ram, RES + 0x104), 2);        /* the MOV after STI ran first */
	ck_assert_uint_eq(env->st.exits[BT_EXIT_STI], 1);
	same(GC_t_sti_twice, EFL_IF, false, &b);               /* STI with IF set: no exit */
	ck_assert_uint_eq(env->st.exits[BT_EXIT_STI], 0);
	ck_assert_uint_eq(env->st.exits[BT_EXIT_INTERP], 1);
	done(&b);
}
END_TEST

START_TEST(cli_clears_the_virtual_if)
{
	struct result b;
	same(GC_t_cli, EFL_IF, false, &b);
	ck_assert_uint_eq(b.cpu.gpr[R_EAX] & EFL_IF, 0);
	ck_assert_uint_eq(b.cpu.eflags & EFL_IF, 0);
	ck_assert_uint_eq(env->st.exits[BT_EXIT_INTERP], 1);
	done(&b);
}
END_TEST

START_TEST(segment_register_moves_pushes_and_pops)
{
	struct result b;
	same(GC_t_seg, 0, false, &b);
	ck_assert_uint_eq(b.cpu.gpr[R_EAX] & 0xffff, 0x08);   /* MOV from CS: RPL 0 */
	ck_assert_uint_eq(b.cpu.gpr[R_ESI] & 0xffff, 0x08);   /* PUSH CS */
	ck_assert_uint_eq(b.cpu.gpr[R_EBP], 0x10);
	/* the MOVs of DS/ES/FS/GS from a register: FS null and back, DS, ES and
	   GS 0x10 in the TC; DS 0x48 (accessed bit clear: the interpreter sets it,
	   which the memory comparison checks) and GS 0x40 (not flat) refused */
	ck_assert_uint_ge(env->st.callouts[BT_CO_SEGLOAD], 4);
	ck_assert_uint_ge(env->st.segload_refused, 2);
	done(&b);
}
END_TEST

START_TEST(far_call_jmp_ret_and_iret)
{
	struct result b;
	same(GC_t_far, 0, false, &b);
	ck_assert_uint_eq(b.cpu.gpr[R_EAX], 0x55);
	done(&b);
}
END_TEST

START_TEST(int_n_and_iret)
{
	struct result b;
	same(GC_t_int, EFL_IF, false, &b);
	ck_assert_uint_eq(get32(b.ram, RES + 0x10c), 0x80);
	ck_assert_uint_eq(b.cpu.gpr[R_EAX], 2);
	done(&b);
}
END_TEST

START_TEST(lar_lsl_verr_verw)
{
	struct result b;
	same(GC_t_lar, 0, false, &b);
	ck_assert_uint_eq(b.cpu.gpr[R_EDX], 0xfff);
	/* data: VERR 1, VERW 1; execute/read code: VERW 0, VERR 1 */
	ck_assert_uint_eq(get32(b.ram, RES), 0x01000101u);
	done(&b);
}
END_TEST

START_TEST(lgdt_lidt_lldt_ltr)
{
	struct result b;
	same(GC_t_desc, 0, false, &b);
	ck_assert_uint_eq(b.cpu.ldtr.sel, 0x30);
	ck_assert_uint_eq(b.cpu.tr.sel, 0x38);
	done(&b);
}
END_TEST

START_TEST(mov_cr_dr_invlpg_wbinvd_clts_lmsw)
{
	struct result b;
	same(GC_t_cr, 0, false, &b);
	ck_assert_uint_eq(b.cpu.gpr[R_ESI], 0x12345678);
	ck_assert_uint_eq(b.cpu.cr4 & 0x10, 0x10);
	done(&b);
}
END_TEST

START_TEST(rdmsr_wrmsr_cpuid_rdtsc_sysenter_sysexit)
{
	struct result b;
	same(GC_t_msr, 0, false, &b);
	ck_assert_uint_eq(get32(b.ram, RES), 0x08);
	ck_assert_uint_eq(get32(b.ram, RES + 4), 0x756e6547);   /* "Genu" (the model's vendor) */
	ck_assert_uint_gt(get32(b.ram, RES + 28), get32(b.ram, RES + 20));
	ck_assert_uint_eq(get32(b.ram, RES + 0x110), 0x77);     /* ring 3 after SYSEXIT */
	ck_assert_uint_eq(get32(b.ram, RES + 0x114) & 3, 3);
	ck_assert_uint_eq(env->st.callouts[BT_CO_CPUID], 2);
	ck_assert_uint_eq(env->st.callouts[BT_CO_RDTSC], 2);
	done(&b);
}
END_TEST

START_TEST(in_out_reach_the_device_through_callouts)
{
	struct result b;
	same(GC_t_io, 0, false, &b);
	ck_assert_uint_eq(b.dev_writes, 202);
	ck_assert_uint_eq(b.dev_reads, 203);
	/* 100 x (OUT imm8, IN imm8, OUT DX, IN DX) + 5: callouts, not exits or signals */
	ck_assert_uint_eq(env->st.callouts[BT_CO_IN] + env->st.callouts[BT_CO_OUT], 405);
	ck_assert_uint_eq(env->st.exits[BT_EXIT_INTERP], 1);   /* the HLT */
	ck_assert_uint_eq(env->st.exits[BT_EXIT_FAULT], 0);
	done(&b);
}
END_TEST

START_TEST(ins_outs_through_the_interpreter)
{
	struct result b;
	same(GC_t_ins, 0, false, &b);
	ck_assert_uint_eq(b.dev_reads, 4);
	ck_assert_uint_eq(b.dev_writes, 2);
	done(&b);
}
END_TEST

START_TEST(out_raising_intr_leaves_the_tc_for_the_interrupt)
{
	struct result b;
	same(GC_t_out_intr, EFL_IF, false, &b);
	ck_assert_uint_eq(get32(b.ram, RES + 0x104), 1);        /* right after the OUT */
	ck_assert_uint_eq(env->st.exits[BT_EXIT_SYNC], 1);
	done(&b);
}
END_TEST

START_TEST(hlt)
{
	struct result b;
	same(GC_t_hlt, 0, false, &b);
	ck_assert(b.cpu.halted);
	ck_assert_uint_eq(b.cpu.gpr[R_EAX], 0x42);
	done(&b);
}
END_TEST

static uint32_t rng = 0x13579bdfu;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* A random value for POPF: any arithmetic flags, DF, IF, IOPL, NT, AC, ID; TF rarely. */
static uint32_t random_flags(void)
{
	uint32_t f = rnd() & (EFL_ARITH | EFL_DF | EFL_IF | EFL_IOPL | EFL_NT | EFL_AC | EFL_ID);
	if ((rnd() & 15) == 0)
		f |= EFL_TF;
	return f | EFL_FIXED1;
}

/*
 * Random mixes of CLI, STI, PUSHF(D), POPF(D) (random flag values, TF now
 * and then: the #DB handler clears it), arithmetic that sets flags, STD/
 * CLD and stores of what PUSHF saw, with IF and a pending interrupt at the
 * start chosen at random: both engines must end in the same state with the
 * interrupt delivered at the same instruction (the handler records EAX and
 * counts).
 */
START_TEST(random_flag_sequences_match_the_interpreter)
{
	static uint8_t prog[1024];
	unsigned exits_sti = 0, exits_sync = 0;
	for (unsigned c = 0; c < 80; c++) {
		size_t n = 0;
		unsigned slot = 0;
		for (unsigned k = 0; k < 24; k++) {
			uint32_t f = random_flags();
			switch (rnd() % 10) {
			case 0:   /* push imm32; popfd */
				prog[n++] = 0x68;
				memcpy(prog + n, &f, 4);
				n += 4;
				prog[n++] = 0x9d;
				break;
			case 1:   /* push imm16; popf */
				prog[n++] = 0x66;
				prog[n++] = 0x68;
				memcpy(prog + n, &f, 2);
				n += 2;
				prog[n++] = 0x66;
				prog[n++] = 0x9d;
				break;
			case 2:   /* pushfd; pop eax; mov [RES+0x200+4*slot], eax */
			case 3: {
				prog[n++] = 0x9c;
				prog[n++] = 0x58;
				prog[n++] = 0xa3;
				uint32_t a = RES + 0x200 + 4 * (slot++ & 63);
				memcpy(prog + n, &a, 4);
				n += 4;
				break;
			}
			case 4:   /* pushf; pop bx */
				prog[n++] = 0x66;
				prog[n++] = 0x9c;
				prog[n++] = 0x66;
				prog[n++] = 0x5b;
				break;
			case 5:
				prog[n++] = 0xfa;   /* cli */
				break;
			case 6:
				prog[n++] = 0xfb;   /* sti */
				break;
			case 7:   /* add eax, imm32 */
				prog[n++] = 0x05;
				memcpy(prog + n, &f, 4);
				n += 4;
				break;
			case 8:
				prog[n++] = (rnd() & 1) ? 0xfd : 0xfc;   /* std / cld */
				break;
			case 9:
				prog[n++] = 0x40;   /* inc eax */
				break;
			}
		}
		prog[n++] = 0xfa;   /* cli; hlt: the end */
		prog[n++] = 0xf4;
		env->prog = prog;
		env->prog_len = n;
		struct result b;
		uint32_t eflags = (rnd() & 1) ? EFL_IF : 0;
		same(PROG, eflags, rnd() & 1, &b);
		exits_sti += (unsigned)env->st.exits[BT_EXIT_STI];
		exits_sync += (unsigned)env->st.exits[BT_EXIT_SYNC];
		done(&b);
	}
	env->prog = NULL;
	/* the cases did reach the STI and POPF exits */
	ck_assert_uint_gt(exits_sti, 0);
	ck_assert_uint_gt(exits_sync, 0);
}
END_TEST

/*
 * The host code of the inline sequences, disassembled: 64-bit addresses
 * only through r15 (the ctx), rip (LEA of the callout's return address),
 * rsp while it points into ctx->scratch_stack (from `lea rsp, [r15+top]` to
 * `mov esp, [r15+save_esp]`) and r10 right after `mov r10, [r15+intr_line]`;
 * every other memory operand has the 32-bit address size (the guest
 * window). 64-bit registers written: only those (and r13/r14: callout
 * operation and return address); never r15.
 */
START_TEST(inline_sequences_only_reach_the_ctx_and_the_window)
{
	static const uint8_t code[] = {
		0xfa, 0xfb, 0x9c, 0x66, 0x9c, 0x9d, 0x66, 0x9d,   /* cli sti pushfd pushf popfd popf */
		0xe4, 0x60, 0xe6, 0x61, 0x66, 0xe5, 0x70, 0xed,   /* in al,60; out 61,al; in ax,70; in eax,dx */
		0x66, 0xef, 0xee, 0x0f, 0x31, 0x0f, 0xa2, 0xf4,   /* out dx,ax; out dx,al; rdtsc; cpuid; hlt */
	};
	char why[256];
	struct tc *tc = tc_create(1u << 20, why, sizeof(why));
	ck_assert_msg(tc != NULL, "%s", why);
	struct bt_mode mode = { .gs_flat = true };
	struct tb *tb = bt_translate(tc, &mode, 0x10000, code, sizeof(code));
	ck_assert_ptr_nonnull(tb);
	ck_assert_uint_eq(tb->ninsn, 14);   /* all but the HLT run in the TC */
	ZydisDecoder d;
	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	bool rsp_scratch = false, r10_line = false;
	unsigned checked = 0;
	/* forward branches inside the block carry the rsp state to their targets */
	struct br_target { uint32_t off; bool scratch; } targets[64];
	unsigned ntargets = 0;
	for (uint32_t off = 0; off < tb->host_len;) {
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		ck_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, tb->host + off, tb->host_len - off,
							     &in, ops)));
		for (unsigned t = 0; t < ntargets; t++)
			if (targets[t].off == off)
				rsp_scratch = targets[t].scratch;
		if (in.meta.category == ZYDIS_CATEGORY_COND_BR && ops[0].imm.is_relative) {
			ZyanU64 a = 0;
			ZydisCalcAbsoluteAddress(&in, &ops[0], (uint64_t)(uintptr_t)tb->host + off, &a);
			uint64_t t = a - (uint64_t)(uintptr_t)tb->host;
			if (t < tb->host_len && ntargets < 64)
				targets[ntargets++] = (struct br_target){ (uint32_t)t, rsp_scratch };
		}
		bool sets_r10 = false;
		for (unsigned k = 0; k < in.operand_count; k++) {
			const ZydisDecodedOperand *op = &ops[k];
			if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
				ZydisRegister base = op->mem.base;
				bool ok = in.address_width == 32 || base == ZYDIS_REGISTER_R15 ||
					  (base == ZYDIS_REGISTER_RIP && in.mnemonic == ZYDIS_MNEMONIC_LEA) ||
					  (base == ZYDIS_REGISTER_RIP && off == 0) ||   /* the poll load */
					  (base == ZYDIS_REGISTER_RSP && rsp_scratch) ||
					  (base == ZYDIS_REGISTER_R10 && r10_line);
				ck_assert_msg(ok, "host offset %u: a 64-bit address through %s", off,
					      ZydisRegisterGetString(base));
				ck_assert(op->mem.index == ZYDIS_REGISTER_NONE || in.address_width == 32);
			}
			if (op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
				ZydisRegister r = op->reg.value;
				ck_assert(r != ZYDIS_REGISTER_R15 && r != ZYDIS_REGISTER_R15D);
				if (r == ZYDIS_REGISTER_RSP && op->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN) {
					ck_assert(in.mnemonic == ZYDIS_MNEMONIC_LEA &&
						  ops[1].mem.base == ZYDIS_REGISTER_R15 &&
						  ops[1].mem.disp.value == BT_CTX_SCRATCH_TOP);
					rsp_scratch = true;
				} else if (r == ZYDIS_REGISTER_ESP && rsp_scratch) {
					ck_assert(ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
						  ops[1].mem.base == ZYDIS_REGISTER_R15 &&
						  ops[1].mem.disp.value == BT_CTX_SAVE_ESP);
					rsp_scratch = false;
				} else if (r == ZYDIS_REGISTER_R10) {
					ck_assert(ops[1].mem.base == ZYDIS_REGISTER_R15 &&
						  ops[1].mem.disp.value == BT_CTX_INTR_LINE);
					sets_r10 = true;
				} else if (ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_GPR64) {
					ck_assert_msg(r == ZYDIS_REGISTER_R13 || r == ZYDIS_REGISTER_R14 ||
						      r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_RSP,
						      "host offset %u writes %s", off, ZydisRegisterGetString(r));
				}
			}
		}
		r10_line = sets_r10 || (r10_line && in.mnemonic != ZYDIS_MNEMONIC_SETNZ);
		off += in.length;
		checked++;
	}
	ck_assert(!rsp_scratch);
	ck_assert_uint_gt(checked, 100);
	tc_destroy(tc);
}
END_TEST

int main(void)
{
	char why[256];
	if (bt_probe(why, sizeof(why)) < 0) {
		printf("skipped: engine bt cannot run here: %s\n", why);
		return 77;
	}
	env = calloc(1, sizeof(*env));
	if (guest_ram_create(&env->ram, RAM_SIZE, why, sizeof(why)) < 0) {
		printf("skipped: guest RAM: %s\n", why);
		return 77;
	}
	physmap_init(&env->phys, &env->ram);
	if (physmap_add_ram(&env->phys, 0, RAM_SIZE, 0, false, "ram") < 0)
		return 1;
	portmap_init(&env->ports);
	if (portmap_register(&env->ports, 0xe0, 8, &dev_ops, (void *)(uintptr_t)0xe0, "test") < 0 ||
	    portmap_register(&env->ports, 0x300, 8, &dev_ops, (void *)(uintptr_t)0x300, "test"))
		return 1;
	cpu_model_init(&env->model, 0);
	{
		/* the guest window needs the low 4 GiB of the address space (not under ASan) */
		struct cpu_bus bus = make_bus();
		initial_state(&env->cpu, GC_t_hlt, 0);
		struct bt *bt = bt_create(&env->cpu, &bus, 0, BT_USER_INTERP, why, sizeof(why));
		if (!bt) {
			printf("skipped: bt_create: %s\n", why);
			return 77;
		}
		bt_destroy(bt);
	}

	Suite *s = suite_create("bt_sensitive");
	TCase *tc = tcase_create("sensitive");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sgdt_sidt_sldt_str_smsw_show_the_guest_tables);
	tcase_add_test(tc, pushf_shows_the_virtual_if_and_iopl);
	tcase_add_test(tc, popf_in_ring0_sets_and_clears_the_virtual_flags);
	tcase_add_test(tc, popf_setting_tf_single_steps_in_the_interpreter);
	tcase_add_test(tc, popf_setting_if_delivers_a_pending_interrupt_at_once);
	tcase_add_test(tc, sti_delivers_after_its_shadow);
	tcase_add_test(tc, cli_clears_the_virtual_if);
	tcase_add_test(tc, segment_register_moves_pushes_and_pops);
	tcase_add_test(tc, far_call_jmp_ret_and_iret);
	tcase_add_test(tc, int_n_and_iret);
	tcase_add_test(tc, lar_lsl_verr_verw);
	tcase_add_test(tc, lgdt_lidt_lldt_ltr);
	tcase_add_test(tc, mov_cr_dr_invlpg_wbinvd_clts_lmsw);
	tcase_add_test(tc, rdmsr_wrmsr_cpuid_rdtsc_sysenter_sysexit);
	tcase_add_test(tc, in_out_reach_the_device_through_callouts);
	tcase_add_test(tc, ins_outs_through_the_interpreter);
	tcase_add_test(tc, out_raising_intr_leaves_the_tc_for_the_interrupt);
	tcase_add_test(tc, hlt);
	tcase_add_test(tc, inline_sequences_only_reach_the_ctx_and_the_window);
	tcase_add_test(tc, random_flag_sequences_match_the_interpreter);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
