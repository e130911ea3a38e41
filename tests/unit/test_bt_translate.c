/*
 * test_bt_translate.c - the translator and translation cache of engine bt
 * against the interpreter: the same guest code runs in interp_step() and in
 * the TC (bt_translate + bt_enter), and the registers, the defined flags
 * and the memory must agree.
 *
 * The guest: flat 32-bit ring 0 with paging on; its page tables map the
 * linear range [GBASE, GBASE + 1 MiB) to guest RAM at GPHYS, and the test
 * maps the same guest RAM pages at host address GBASE (a one-range guest
 * window: linear = host address). GBASE is 0xC0000000, where a Linux
 * kernel runs (addresses with bit 31 set catch sign-extension mistakes),
 * or 0x40000000 if that is taken. The MiB after it is reserved PROT_NONE,
 * so a guest access there faults on the host and is unmapped for the
 * interpreter. If both ranges are taken (ASan, an odd layout) the test
 * exits 77.
 *
 *   GBASE + 0x10000   code
 *   GBASE + 0x60000   data (pointer registers EBX ESI EDI EBP point here)
 *   GBASE + 0xF0000   stack top
 *
 * The random cases are sequences of instructions drawn from opcode
 * templates with random ModRM/SIB, decoded by Zydis and kept when they are
 * IDENT/PUSH/POP or a short Jcc, do not write the pointer registers, only
 * address the data area (displacements patched) and never read a flag an
 * earlier instruction left undefined (Zydis' flag table); the flags left
 * undefined at the end are not compared. SOFTVT_RANDOM_SEED changes the
 * seed.
 *
 * The test's mini dispatcher (run_bt) follows the exits like the lead's
 * will: BRANCH -> translate the next block (and chain it), INDIRECT ->
 * translate the target (and fill the jump cache), INTERP -> one
 * interp_step() on the architectural state.
 *
 * Global state: the signal handler needs the TC and ctx (env below).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "bt/ctx.h"
#include "bt/emit.h"
#include "bt/tc.h"
#include "bt/translate.h"
#include "cpu/cpu_model.h"
#include "cpu/flags.h"
#include "cpu/interp.h"
#include "cpu/mem.h"
#include "devices/portmap.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define GBASE    gbase            /* 0xC0000000 (where Linux runs: bit 31 set), else 0x40000000 */
#define GSIZE    0x100000u
#define GPHYS    0x100000u
#define RAM_SIZE (4u << 20)
#define PD_PHYS  0x1000u
#define PT_PHYS  0x2000u
#define CODE     (GBASE + 0x10000u)
#define DATA     (GBASE + 0x60000u)
#define DATA_LEN 0x60000u
#define STACK_TOP (GBASE + 0xf0000u)
#define UNMAPPED (GBASE + GSIZE)      /* PROT_NONE on the host, not present for the guest */
#define FS_BASE_RANDOM 0x8000u

#define RANDOM_CASES 6000
#define CHECK_FLAGS (EFL_ARITH | EFL_DF)

struct env {
	struct guest_ram ram;
	struct physmap phys;
	struct portmap ports;
	struct cpu_model model;
	struct cpu_state cpu;
	struct vcpu v;
	volatile sig_atomic_t requests, intr_line;
	uint64_t tsc;
	struct tc *tc;
	struct bt_ctx *ctx;
	uint8_t *snap;               /* the window before a case */
	uint8_t *after_interp;       /* and after the interpreter ran it */
	/* the test dispatcher's block table: eip -> tb (reset with the TC) */
	struct { uint32_t eip; struct tb *tb; } blocks[4096];
	unsigned nblocks;
	unsigned enters, branch_exits, interp_exits, indirect_exits, chains;
	bool chain;                  /* run_bt chains BRANCH exits */
	struct bt_mode mode;
};

static struct env *env;
static uint32_t gbase;   /* the first of bases[] free in this process */
static const uint32_t bases[] = { 0xc0000000u, 0x40000000u };

static bool no_intr(void *o) { return false; }
static uint8_t no_ack(void *o) { return 0; }
static uint64_t tsc(void *o) { return ++env->tsc; }

/* --- signals: the TC's faults come back through tc_signal_exit ---------- */

static void on_fault(int signo, siginfo_t *si, void *ucv)
{
	if (env && env->tc && tc_signal_exit(env->tc, env->ctx, signo, si, ucv))
		return;
	signal(signo, SIG_DFL);   /* not ours: die on the re-executed fault */
}

static void install_handlers(void)
{
	static uint8_t altstack[1 << 16];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	for (unsigned k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
		sigaction(sigs[k], &sa, NULL);
}

/* --- set-up ------------------------------------------------------------ */

static void put32(uint32_t paddr, uint32_t x)
{
	memcpy(env->ram.host + paddr, &x, 4);
}

static uint8_t *lin(uint32_t addr)
{
	return env->ram.host + GPHYS + (addr - GBASE);
}

static int setup(char *why, size_t whylen)
{
	env = calloc(1, sizeof(*env));
	env->snap = malloc(GSIZE);
	env->after_interp = malloc(GSIZE);
	if (guest_ram_create(&env->ram, RAM_SIZE, why, whylen) < 0)
		return -1;
	for (unsigned k = 0; k < sizeof(bases) / sizeof(bases[0]) && !gbase; k++) {
		/* the guest MiB and, right after it, a MiB that faults */
		void *w = mmap((void *)(uintptr_t)bases[k], 2 * GSIZE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (w == (void *)(uintptr_t)bases[k])
			gbase = bases[k];
		else if (w != MAP_FAILED)
			munmap(w, 2 * GSIZE);
	}
	if (!gbase) {
		snprintf(why, whylen, "host ranges %#x and %#x (+2 MiB) are taken (ASan?)", bases[0],
			 bases[1]);
		return -1;
	}
	if (mmap((void *)(uintptr_t)GBASE, GSIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 env->ram.fd, GPHYS) == MAP_FAILED) {
		snprintf(why, whylen, "mmap of guest RAM: %s", strerror(errno));
		return -1;
	}
	physmap_init(&env->phys, &env->ram);
	if (physmap_add_ram(&env->phys, 0, RAM_SIZE, 0, false, "ram") < 0) {
		snprintf(why, whylen, "physmap");
		return -1;
	}
	portmap_init(&env->ports);
	cpu_model_init(&env->model, 0);
	cpu_state_reset(&env->cpu);
	env->requests = 1;
	struct cpu_bus bus = {
		.phys = &env->phys, .ports = &env->ports, .model = &env->model,
		.requests = &env->requests, .stop_mask = 1, .intr_line = &env->intr_line,
		.intr_pending = no_intr, .intr_ack = no_ack, .tsc = tsc, .opaque = env,
	};
	if (interp_init(&env->v, &env->cpu, &bus) < 0) {
		snprintf(why, whylen, "interp_init");
		return -1;
	}
	/* Page tables: linear GBASE + 1 MiB -> physical GPHYS, present and writable. */
	put32(PD_PHYS + (GBASE >> 22) * 4, PT_PHYS | 7);
	for (uint32_t k = 0; k < GSIZE / 4096; k++)
		put32(PT_PHYS + ((GBASE >> 12) & 0x3ff) * 4 + k * 4, (GPHYS + k * 4096) | 7);

	env->tc = tc_create(16u << 20, why, whylen);
	if (!env->tc)
		return -1;
	env->ctx = aligned_alloc(64, sizeof(struct bt_ctx));
	memset(env->ctx, 0, sizeof(*env->ctx));
	env->ctx->cpu = &env->cpu;
	env->ctx->poll_page = tc_poll_page(env->tc);
	env->ctx->intr_line = (const volatile int *)&env->intr_line;
	env->mode.gs_flat = true;
	env->chain = true;
	install_handlers();
	return 0;
}

/* --- the two engines ---------------------------------------------------- */

struct regs {
	uint32_t gpr[8];
	uint32_t eflags;   /* arithmetic flags and DF */
	uint32_t fs_base;
};

static void reset_tc(void)
{
	tc_flush(env->tc);
	env->nblocks = 0;
	for (unsigned k = 0; k < BT_JC_SIZE; k++)
		env->ctx->jc[k].eip = BT_JC_EMPTY_EIP(k);
	env->enters = env->branch_exits = env->interp_exits = env->indirect_exits = 0;
}

static struct tb *block_at(uint32_t eip)
{
	for (unsigned k = 0; k < env->nblocks; k++)
		if (env->blocks[k].eip == eip)
			return env->blocks[k].tb;
	const uint8_t *code = (const uint8_t *)(uintptr_t)eip;
	struct tb *tb = bt_translate(env->tc, &env->mode, eip, code, 0x1000 - (eip & 0xfff));
	ck_assert_msg(tb != NULL, "bt_translate(%08x) failed", eip);
	ck_assert_uint_lt(env->nblocks, 4096);
	env->blocks[env->nblocks].eip = eip;
	env->blocks[env->nblocks++].tb = tb;
	return tb;
}

/* Selectors ES CS SS DS FS GS: distinct, so that a read of the wrong one shows
   (only the selector differs; the caches are flat) */
static const uint16_t test_sel[S_NSEG] = { 0x2b, 0x08, 0x10, 0x7b, 0xd8, 0x33 };

/* The architectural state the interpreter starts from. */
static void load_cpu(const struct regs *r, uint32_t eip)
{
	struct cpu_state *s = &env->cpu;
	cpu_state_flat32(s, eip, 0x08, 0x10);
	s->cr3 = PD_PHYS;
	s->cr0 |= CR0_PG;
	s->idtr = (struct dtable){ 0, 0 };   /* any exception: #DF -> shutdown */
	memcpy(s->gpr, r->gpr, sizeof(s->gpr));
	s->eflags = EFL_FIXED1 | (r->eflags & CHECK_FLAGS);
	s->seg[S_FS].base = r->fs_base;
	for (int sr = 0; sr < S_NSEG; sr++)
		s->seg[sr].sel = test_sel[sr];
	s->halted = false;
	struct vcpu *v = &env->v;
	tlb_flush(v, false);
	for (uint32_t p = 0; p < GSIZE; p += 4096)
		decode_invalidate_page(v->dcache, GPHYS + p);
	v->prev_block = NULL;
	v->lf.op = LF_NONE;
	v->delivering = -1;
	v->delivered = false;
}

/* Interprets from eip until EIP == end; returns false (with why) if it stopped elsewhere. */
static bool run_interp(const struct regs *in, uint32_t eip, uint32_t end, struct regs *out,
		       char *why, size_t whylen)
{
	load_cpu(in, eip);
	struct cpu_state *s = &env->cpu;
	for (unsigned n = 0; n < 100000 && s->eip != end; n++) {
		enum interp_exit x = interp_step(&env->v);
		if (x != INTERP_DEADLINE || env->v.delivered) {
			snprintf(why, whylen, "interp stopped (%d, delivered %d) at %08x: %.150s", x,
				 env->v.delivered, s->eip, env->v.error);
			return false;
		}
	}
	if (s->eip != end) {
		snprintf(why, whylen, "interp did not reach %08x", end);
		return false;
	}
	flags_materialize(&env->v);
	memcpy(out->gpr, s->gpr, sizeof(out->gpr));
	out->eflags = s->eflags & CHECK_FLAGS;
	out->fs_base = in->fs_base;
	return true;
}

/*
 * Runs the TC from eip until it leaves at end; returns the last exit
 * reason (BT_EXIT_INTERP at end when it got there, else FAULT/POLL/...).
 */
static int run_bt(const struct regs *in, uint32_t eip, uint32_t end, struct regs *out)
{
	struct bt_ctx *ctx = env->ctx;
	memcpy(ctx->gpr, in->gpr, sizeof(ctx->gpr));
	ctx->eflags = in->eflags & CHECK_FLAGS;
	ctx->veflags = EFL_FIXED1;   /* as load_cpu(): IF 0, IOPL 0 */
	ctx->vif = 0;
	ctx->guest_fs_base = in->fs_base;
	for (int sr = 0; sr < S_NSEG; sr++)
		ctx->sel[sr] = test_sel[sr];   /* as the dispatcher's sync_in copies them */
	int r = BT_EXIT_INTERP;
	for (unsigned n = 0; n < 100000 && eip != end; n++) {
		struct tb *tb = block_at(eip);
		env->enters++;
		r = bt_enter(ctx, tb->host);
		if (r == BT_EXIT_BRANCH) {
			env->branch_exits++;
			eip = ctx->next_eip;
			if (env->chain && ctx->exit_site && eip != end) {
				tc_chain(env->tc, ctx->exit_site, block_at(eip)->host);
				env->chains++;
			}
		} else if (r == BT_EXIT_INDIRECT) {
			env->indirect_exits++;
			eip = ctx->next_eip;
			struct bt_jc_entry *j = &ctx->jc[BT_JC_INDEX(eip)];
			j->eip = eip;
			j->host = (uint64_t)(uintptr_t)block_at(eip)->host;
		} else if (r == BT_EXIT_INTERP) {
			env->interp_exits++;
			eip = ctx->next_eip;
			if (eip == end)
				break;
			struct regs now;
			memcpy(now.gpr, ctx->gpr, sizeof(now.gpr));
			now.eflags = ctx->eflags;
			now.fs_base = in->fs_base;
			load_cpu(&now, eip);
			ck_assert_int_eq(interp_step(&env->v), INTERP_DEADLINE);
			ck_assert(!env->v.delivered);
			flags_materialize(&env->v);
			memcpy(ctx->gpr, env->cpu.gpr, sizeof(ctx->gpr));
			ctx->eflags = env->cpu.eflags & CHECK_FLAGS;
			eip = env->cpu.eip;
		} else {
			break;
		}
	}
	memcpy(out->gpr, ctx->gpr, sizeof(out->gpr));
	out->eflags = ctx->eflags;
	out->fs_base = in->fs_base;
	if (eip == end && (r == BT_EXIT_BRANCH || r == BT_EXIT_INDIRECT || r == BT_EXIT_INTERP))
		return BT_EXIT_INTERP;   /* got there */
	return r;
}

static void describe(char *buf, size_t len, const uint8_t *code, size_t n)
{
	size_t at = 0;
	for (size_t k = 0; k < n && at + 4 < len; k++)
		at += (size_t)snprintf(buf + at, len - at, "%02x ", code[k]);
}

/*
 * Runs code (ending with HLT) in both engines from the same registers and
 * memory; compares registers, flags outside undef and the whole window.
 * Returns NULL or a description of the first difference.
 */
static const char *compare_run(const uint8_t *code, size_t len, const struct regs *in,
			       uint32_t undef, char *msg, size_t msglen)
{
	uint32_t end = CODE + (uint32_t)len - 1;
	memcpy(lin(CODE), code, len);
	memcpy(env->snap, lin(GBASE), GSIZE);
	struct regs ri, rb;
	char why[256];
	char bytes[512];
	describe(bytes, sizeof(bytes), code, len);
	if (!run_interp(in, CODE, end, &ri, why, sizeof(why))) {
		snprintf(msg, msglen, "%s; code %s", why, bytes);
		return msg;
	}
	memcpy(env->after_interp, lin(GBASE), GSIZE);
	memcpy(lin(GBASE), env->snap, GSIZE);
	reset_tc();
	int r = run_bt(in, CODE, end, &rb);
	if (r != BT_EXIT_INTERP) {
		snprintf(msg, msglen, "bt exit %d (fault rip %" PRIx64 " addr %" PRIx64
			 " signo %u); code %s", r, env->ctx->fault_rip, env->ctx->fault_addr,
			 env->ctx->fault_signo, bytes);
		return msg;
	}
	static const char *const names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	for (int k = 0; k < 8; k++)
		if (ri.gpr[k] != rb.gpr[k]) {
			snprintf(msg, msglen, "%s: interp %08x bt %08x; code %s", names[k], ri.gpr[k],
				 rb.gpr[k], bytes);
			return msg;
		}
	uint32_t mask = CHECK_FLAGS & ~undef;
	if ((ri.eflags & mask) != (rb.eflags & mask)) {
		snprintf(msg, msglen, "flags: interp %03x bt %03x (mask %03x); code %s",
			 ri.eflags & mask, rb.eflags & mask, mask, bytes);
		return msg;
	}
	if (memcmp(env->after_interp, lin(GBASE), GSIZE) != 0) {
		uint32_t k = 0;
		while (env->after_interp[k] == lin(GBASE)[k])
			k++;
		snprintf(msg, msglen, "memory at %08x: interp %02x bt %02x; code %s", GBASE + k,
			 env->after_interp[k], lin(GBASE)[k], bytes);
		return msg;
	}
	return NULL;
}

static struct regs base_regs(void)
{
	struct regs r = {
		.gpr = { 0x11111111, 0x22222222, 0x33333333, DATA + 0x100, STACK_TOP - 0x100,
			 DATA + 0x200, DATA + 0x300, DATA + 0x400 },
		.eflags = 0,
	};
	return r;
}

static void expect_same(const uint8_t *code, size_t len, const struct regs *in)
{
	char msg[1024];
	const char *bad = compare_run(code, len, in, 0, msg, sizeof(msg));
	ck_assert_msg(bad == NULL, "%s", bad);
}

#define SAME(in, ...) do { \
	const uint8_t c_[] = { __VA_ARGS__, 0xf4 }; \
	expect_same(c_, sizeof(c_), in); \
} while (0)

/* --- directed cases ----------------------------------------------------- */

START_TEST(stack_push_pop_call_ret_leave)
{
	struct regs r = base_regs();
	/* push eax; push 0x12345678; push -2 (imm8); push dword [esi+4]; pop ecx; pop dword [edi];
	   pop edx; pop eax */
	SAME(&r, 0x50, 0x68, 0x78, 0x56, 0x34, 0x12, 0x6a, 0xfe, 0xff, 0x76, 0x04, 0x59, 0x8f,
	     0x07, 0x5a, 0x58);
	/* 16-bit: push ax; push word 0x1234; pop cx; pop dx */
	SAME(&r, 0x66, 0x50, 0x66, 0x68, 0x34, 0x12, 0x66, 0x59, 0x66, 0x5a);
	/* push esp; pop eax (the value before the push) ; push esp; pop esp */
	SAME(&r, 0x54, 0x58, 0x54, 0x5c);
	/* ESP-relative: push dword [esp+4]; pop dword [esp+8] (address after the increment);
	   pop dword [esp] */
	SAME(&r, 0x6a, 0x01, 0x6a, 0x02, 0xff, 0x74, 0x24, 0x04, 0x8f, 0x44, 0x24, 0x08, 0x8f,
	     0x04, 0x24);
	/* call +5 (to the next instruction); pop eax: the return address */
	SAME(&r, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x58);
	/* call f; add eax, 1; jmp end; f: mov eax, 7; ret */
	SAME(&r, 0xe8, 0x05, 0x00, 0x00, 0x00, 0x83, 0xc0, 0x01, 0xeb, 0x06, 0xb8, 0x07, 0x00,
	     0x00, 0x00, 0xc3);
	/* call f; jmp end; f: ret 8 (after two pushes) */
	SAME(&r, 0x6a, 0x01, 0x6a, 0x02, 0xe8, 0x02, 0x00, 0x00, 0x00, 0xeb, 0x03, 0xc2, 0x08,
	     0x00);
	/* lea ecx, [f]; call ecx; jmp end; f: push ebp; mov ebp, esp; sub esp, 16;
	   mov [ebp-4], eax; leave; ret */
	SAME(&r, 0x8d, 0x0d, (CODE + 0x0b) & 0xff, ((CODE + 0x0b) >> 8) & 0xff,
	     ((CODE + 0x0b) >> 16) & 0xff, (CODE + 0x0b) >> 24, 0xff, 0xd1, 0xeb, 0x0c, 0x90,
	     0x55, 0x89, 0xe5, 0x83, 0xec, 0x10, 0x89, 0x45, 0xfc, 0xc9, 0xc3);
	/* call [esi] with [esi] = f: mov dword [esi], f; call [esi]; jmp end; f: ret */
	uint32_t f = CODE + 12;
	SAME(&r, 0xc7, 0x06, f & 0xff, (f >> 8) & 0xff, (f >> 16) & 0xff, f >> 24, 0xff, 0x16,
	     0xeb, 0x03, 0x90, 0x90, 0xc3);
}
END_TEST

START_TEST(calls_and_returns_use_the_jump_cache)
{
	/* a loop that calls a function 50 times: after the first RET, the jc hits */
	struct regs r = base_regs();
	r.gpr[R_ECX] = 50;
	r.gpr[R_EAX] = 0;
	/* L: call f; loop L; jmp end; f: inc eax; ret */
	SAME(&r, 0xe8, 0x04, 0x00, 0x00, 0x00, 0xe2, 0xf9, 0xeb, 0x02, 0x40, 0xc3);
	ck_assert_uint_le(env->indirect_exits, 2);
}
END_TEST

START_TEST(absolute_disp32_is_not_rip_relative)
{
	struct regs r = base_regs();
	uint32_t a = DATA + 0x40;
	/* mov eax, [a]; mov dword [a+4], 0x55aa; add [a+8], ecx; mov eax, [a+12] (the A1 moffs form);
	   the data area is at 0xC00xxxxx: without 0x67 these addresses would be sign-extended */
	SAME(&r, 0x8b, 0x05, a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, a >> 24,
	     0xc7, 0x05, (a + 4) & 0xff, ((a + 4) >> 8) & 0xff, ((a + 4) >> 16) & 0xff, (a + 4) >> 24,
	     0xaa, 0x55, 0x00, 0x00,
	     0x01, 0x0d, (a + 8) & 0xff, ((a + 8) >> 8) & 0xff, ((a + 8) >> 16) & 0xff, (a + 8) >> 24,
	     0xa1, (a + 12) & 0xff, ((a + 12) >> 8) & 0xff, ((a + 12) >> 16) & 0xff, (a + 12) >> 24);
	/* The host code of mov ecx, [0x80081234]: 32-bit address size, not sign-extended. */
	static const uint8_t hi[] = { 0x8b, 0x0d, 0x34, 0x12, 0x08, 0x80, 0xf4 };
	memcpy(lin(CODE), hi, sizeof(hi));
	reset_tc();
	struct tb *tb = block_at(CODE);
	ck_assert_uint_eq(tb->ninsn, 1);
	ZydisDecoder d;
	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const uint8_t *host = tb->host + tb->insn[0].host_off;
	ck_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, host, 15, &insn, ops)));
	ck_assert_int_eq(insn.mnemonic, ZYDIS_MNEMONIC_MOV);
	ck_assert_uint_eq(insn.address_width, 32);
	ck_assert_int_eq(ops[1].mem.base, ZYDIS_REGISTER_NONE);
	ck_assert_uint_eq((uint32_t)ops[1].mem.disp.value, 0x80081234u);
	ZyanU64 ea = 0;
	ck_assert(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, &ops[1], 0, &ea)));
	ck_assert_uint_eq(ea, 0x80081234u);
}
END_TEST

START_TEST(bit_string_with_register_offset)
{
	struct regs r = base_regs();
	r.gpr[R_ECX] = 100;
	r.gpr[R_EDX] = (uint32_t)-100;
	/* bts [esi], ecx; btr [esi], edx; btc dword [esi+4], 3; bt [esi], ecx; setc al */
	SAME(&r, 0x0f, 0xab, 0x0e, 0x0f, 0xb3, 0x16, 0x0f, 0xba, 0x7e, 0x04, 0x03, 0x0f, 0xa3,
	     0x0e, 0x0f, 0x92, 0xc0);
}
END_TEST

START_TEST(inc_dec_short_forms)
{
	struct regs r = base_regs();
	/* inc eax; dec ecx; inc edx; dec edx; inc edx; 66 inc ax; 66 dec cx */
	SAME(&r, 0x40, 0x49, 0x42, 0x4a, 0x42, 0x66, 0x40, 0x66, 0x49);
}
END_TEST

START_TEST(fs_override_uses_the_guest_fs_base)
{
	struct regs r = base_regs();
	r.fs_base = DATA + 0x1000;
	/* mov eax, fs:[0x10]; mov fs:[0x20], ecx; mov edx, fs:[0x24] */
	SAME(&r, 0x64, 0xa1, 0x10, 0x00, 0x00, 0x00,
	     0x64, 0x89, 0x0d, 0x20, 0x00, 0x00, 0x00,
	     0x64, 0x8b, 0x15, 0x24, 0x00, 0x00, 0x00);
	r.fs_base = 0x100;   /* fs:[esi] = esi + 0x100: fs movsd; add fs:[esi], eax; mov ah, fs:[esi] */
	SAME(&r, 0x64, 0xa5, 0x64, 0x01, 0x06, 0x64, 0x8a, 0x26);
	/* a GS override with gs_flat is dropped */
	SAME(&r, 0x65, 0x8b, 0x06);
}
END_TEST

START_TEST(gs_override_not_flat_leaves_the_tc)
{
	env->mode.gs_flat = false;
	static const uint8_t code[] = { 0x40, 0x65, 0x8b, 0x0e, 0xf4 };   /* mov ecx, gs:[esi] */
	memcpy(lin(CODE), code, sizeof(code));
	reset_tc();
	struct tb *tb = block_at(CODE);
	ck_assert_uint_eq(tb->ninsn, 1);
	ck_assert_uint_eq(tb->guest_len, 1);
	struct regs r = base_regs(), out;
	/* the INTERP exit at the GS instruction (the test's dispatcher interprets it) */
	ck_assert_int_eq(run_bt(&r, CODE, CODE + 4, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(out.gpr[R_EAX], 0x11111112);
	uint32_t x;
	memcpy(&x, lin(DATA + 0x300), 4);
	ck_assert_uint_eq(out.gpr[R_ECX], x);
	ck_assert_uint_eq(env->interp_exits, 1);
	env->mode.gs_flat = true;
}
END_TEST

START_TEST(jecxz_and_loop)
{
	struct regs r = base_regs();
	/* mov ecx, 10; L: add eax, ecx; loop L; jecxz +2 (taken, over inc ebx; inc ebx):
	   LOOP and JECXZ keep the flags of the ADD */
	SAME(&r, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0x01, 0xc8, 0xe2, 0xfc, 0xe3, 0x02, 0x43, 0x43);
	r.gpr[R_ECX] = 3;
	/* jecxz +1 (not taken); inc ebx; L: cmp eax, eax; loope L (3 iterations, ZF = 1); dec ebx */
	SAME(&r, 0xe3, 0x01, 0x43, 0x39, 0xc0, 0xe1, 0xfc, 0x4b);
	/* xor eax, eax; inc eax (ZF = 0); L: loopne L (runs ECX down to 0) */
	r.gpr[R_ECX] = 5;
	SAME(&r, 0x31, 0xc0, 0x40, 0xe0, 0xfe);
	/* L: loop L with ECX = 1 falls through at once; inc ecx */
	r.gpr[R_ECX] = 1;
	SAME(&r, 0xe2, 0xfe, 0x41);
}
END_TEST

START_TEST(rep_string_operations)
{
	struct regs r = base_regs();
	r.gpr[R_ECX] = 37;
	/* rep movsb; mov ecx, 9; rep movsd; mov ecx, 20; rep stosw; mov ecx, 30; repe cmpsb;
	   mov ecx, 40; repne scasb; std; mov ecx, 5; rep movsd; cld */
	SAME(&r, 0xf3, 0xa4, 0xb9, 0x09, 0x00, 0x00, 0x00, 0xf3, 0xa5, 0xb9, 0x14, 0x00, 0x00,
	     0x00, 0x66, 0xf3, 0xab, 0xb9, 0x1e, 0x00, 0x00, 0x00, 0xf3, 0xa6, 0xb9, 0x28, 0x00,
	     0x00, 0x00, 0xf2, 0xae, 0xfd, 0xb9, 0x05, 0x00, 0x00, 0x00, 0xf3, 0xa5, 0xfc);
	/* equal strings: repe cmpsd runs to ECX = 0 */
	memset(lin(DATA + 0x300), 0x5a, 64);
	memset(lin(DATA + 0x400), 0x5a, 64);
	r.gpr[R_ECX] = 16;
	memcpy(lin(CODE), (uint8_t[]){ 0xf3, 0xa7, 0xf4 }, 3);
	struct regs out;
	reset_tc();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + 2, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(out.gpr[R_ECX], 0);
	ck_assert_uint_eq(out.gpr[R_ESI], DATA + 0x340);
	/* xlat with a table at ebx */
	r = base_regs();
	r.gpr[R_EAX] = 0x1234567f;
	SAME(&r, 0xd7);
}
END_TEST

START_TEST(sensitive_instructions_exit_to_the_interpreter)
{
	struct regs r = base_regs();
	/* inc eax; pushfd; pop ecx; mov edx, cr0; inc edx; daa; pushad; popad; popfd; inc eax:
	   MOV CR, DAA, PUSHAD, POPAD leave the TC, the dispatcher interprets them (PUSHFD and
	   POPFD run inline on the virtual flags: test_bt_sensitive.c) */
	SAME(&r, 0x40, 0x9c, 0x59, 0x0f, 0x20, 0xc2, 0x42, 0x27, 0x60, 0x61, 0x9d, 0x40);
	ck_assert_uint_ge(env->interp_exits, 4);
}
END_TEST

START_TEST(segment_register_reads_run_in_the_tc)
{
	struct regs r = base_regs();
	/* push ds; push es; push fs; push gs; push cs; push ss; pop eax..pop ebp-ish:
	   a 32-bit push of a selector changes only the low 16 bits of its slot */
	memset(lin(STACK_TOP - 0x100 - 0x40), 0xa5, 0x40);
	SAME(&r, 0x1e, 0x06, 0x0f, 0xa0, 0x0f, 0xa8, 0x0e, 0x16,
	     0x58, 0x59, 0x5a, 0x5b, 0x5e, 0x5f);
	ck_assert_uint_eq(env->interp_exits, 1);   /* the HLT */
	/* 16-bit pushes: 66 push ds; 66 push gs; pop eax */
	SAME(&r, 0x66, 0x1e, 0x66, 0x0f, 0xa8, 0x58);
	ck_assert_uint_eq(env->interp_exits, 1);   /* the HLT */
	/* mov eax, ds (upper half cleared); mov cx, fs (upper half kept);
	   mov [esi+2], es; mov [edi], gs; mov [esp-2], ss */
	SAME(&r, 0x8c, 0xd8, 0x66, 0x8c, 0xe1, 0x8c, 0x46, 0x02, 0x8c, 0x2f,
	     0x8c, 0x54, 0x24, 0xfe);
	ck_assert_uint_eq(env->interp_exits, 1);   /* the HLT */
	/* loads: MOV DS, EAX is a callout (bt/segload.c, checked in unit.bt_sensitive and
	   the guests under bt-lockstep); POP ES leaves the TC */
	static const uint8_t loads[][2] = { { 0x8e, 0xd8 }, { 0x07, 0x90 } };
	struct tc_stats s0, s1;
	for (unsigned k = 0; k < 2; k++) {
		memcpy(lin(CODE), loads[k], 2);
		reset_tc();
		tc_get_stats(env->tc, &s0);
		struct tb *tb = block_at(CODE);
		tc_get_stats(env->tc, &s1);
		if (k == 0)
			ck_assert_uint_ge(tb->ninsn, 1);
		else
			ck_assert_uint_eq(tb->ninsn, 0);
		ck_assert_uint_eq(s1.insns[BT_CALLOUT] - s0.insns[BT_CALLOUT], k == 0);
	}
}
END_TEST

START_TEST(divide_error_maps_back_to_the_div)
{
	struct regs r = base_regs(), out;
	/* mov eax, 5; xor edx, edx; xor ecx, ecx; inc ebx; div ecx; inc eax */
	static const uint8_t code[] = { 0xb8, 0x05, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x31, 0xc9,
					0x43, 0xf7, 0xf1, 0x40, 0xf4 };
	memcpy(lin(CODE), code, sizeof(code));
	reset_tc();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + sizeof(code) - 1, &out), BT_EXIT_FAULT);
	struct bt_ctx *ctx = env->ctx;
	ck_assert_uint_eq(ctx->fault_signo, SIGFPE);
	ck_assert_uint_eq(ctx->fault_trapno, 0);
	struct tb *tb;
	uint32_t eip;
	ck_assert(tc_find(env->tc, ctx->fault_rip, &tb, &eip));
	ck_assert_uint_eq(eip, CODE + 10);
	ck_assert_uint_eq(tb->eip, CODE);
	ck_assert_uint_eq(out.gpr[R_EAX], 5);
	ck_assert_uint_eq(out.gpr[R_ECX], 0);
	ck_assert_uint_eq(out.gpr[R_EDX], 0);
	ck_assert_uint_eq(out.gpr[R_EBX], DATA + 0x101);
	ck_assert_uint_eq(out.gpr[R_ESP], STACK_TOP - 0x100);
	/* the flags of xor ecx, ecx (ZF PF) and inc ebx (ZF cleared) */
	ck_assert_uint_eq(out.eflags & (EFL_ZF | EFL_CF), 0);
	/* the monitor is intact: a second run works */
	SAME(&r, 0x40);
}
END_TEST

START_TEST(page_fault_maps_back_with_the_registers_of_its_start)
{
	struct regs r = base_regs(), out;
	/* inc eax; push ecx; pop dword [UNMAPPED+0x10] (faults; ESP not yet adjusted); inc ecx */
	uint32_t a = UNMAPPED + 0x10;
	const uint8_t code[] = { 0x40, 0x51, 0x8f, 0x05, a & 0xff, (a >> 8) & 0xff,
				 (a >> 16) & 0xff, a >> 24, 0x41, 0xf4 };
	memcpy(lin(CODE), code, sizeof(code));
	reset_tc();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + sizeof(code) - 1, &out), BT_EXIT_FAULT);
	struct bt_ctx *ctx = env->ctx;
	ck_assert_uint_eq(ctx->fault_signo, SIGSEGV);
	ck_assert_uint_eq(ctx->fault_addr, a);
	ck_assert_uint_eq(ctx->fault_trapno, 14);
	ck_assert(ctx->fault_err & 2);   /* a write */
	uint32_t eip;
	ck_assert(tc_find(env->tc, ctx->fault_rip, NULL, &eip));
	ck_assert_uint_eq(eip, CODE + 2);
	ck_assert_uint_eq(out.gpr[R_EAX], 0x11111112);
	ck_assert_uint_eq(out.gpr[R_ESP], STACK_TOP - 0x104);   /* after the push, before the pop */
	/* an ESP-relative load that faults: push dword [esp+disp] with ESP far away */
	r = base_regs();
	r.gpr[R_EBX] = UNMAPPED;
	static const uint8_t c2[] = { 0x43, 0xff, 0x33, 0xf4 };   /* inc ebx; push dword [ebx] */
	memcpy(lin(CODE), c2, sizeof(c2));
	reset_tc();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + 3, &out), BT_EXIT_FAULT);
	ck_assert_uint_eq(env->ctx->fault_addr, UNMAPPED + 1);
	ck_assert_uint_eq(env->ctx->fault_err & 2, 0);   /* a read */
	ck_assert_uint_eq(out.gpr[R_ESP], STACK_TOP - 0x100);
	ck_assert_uint_eq(out.gpr[R_EBX], UNMAPPED + 1);
}
END_TEST

START_TEST(poll_page_stops_at_a_block_entry)
{
	struct regs r = base_regs(), out;
	/* inc eax; jmp next block (chained or not, every block entry polls) */
	static const uint8_t code[] = { 0x40, 0xeb, 0x00, 0x40, 0xf4 };
	memcpy(lin(CODE), code, sizeof(code));
	reset_tc();
	void *poll = tc_poll_page(env->tc);
	ck_assert_ptr_eq(env->ctx->poll_page, poll);
	ck_assert_int_eq(mprotect(poll, 4096, PROT_NONE), 0);
	int x = run_bt(&r, CODE, CODE + 4, &out);
	ck_assert_int_eq(mprotect(poll, 4096, PROT_READ), 0);
	ck_assert_int_eq(x, BT_EXIT_POLL);
	ck_assert_uint_eq(env->ctx->next_eip, CODE);
	ck_assert_uint_eq(out.gpr[R_EAX], 0x11111111);   /* nothing ran */
	ck_assert_uint_eq(out.gpr[R_ESP], STACK_TOP - 0x100);
	/* after re-enabling, the same block runs to the end */
	ck_assert_int_eq(run_bt(&r, CODE, CODE + 4, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(out.gpr[R_EAX], 0x11111113);
}
END_TEST

static void on_alarm(int signo)
{
	/* what the monitor's timer does: stop translated code at the next block entry */
	mprotect(tc_poll_page(env->tc), 4096, PROT_NONE);
}

START_TEST(a_timer_stops_an_endless_loop)
{
	/* inc eax; L: jmp L - chained to itself, it only ends through the poll page */
	static const uint8_t code[] = { 0x40, 0xeb, 0xfe, 0xf4 };
	memcpy(lin(CODE), code, sizeof(code));
	reset_tc();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_ONSTACK;   /* rsp is the guest's ESP inside the TC */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	struct regs r = base_regs(), out;
	uint8_t *below = lin(STACK_TOP - 0x100 - 0x2000);   /* where a signal frame would go */
	memset(below, 0xa5, 0x2000);
	setitimer(ITIMER_REAL, &it, NULL);
	int x = run_bt(&r, CODE, CODE + 3, &out);
	for (unsigned k = 0; k < 0x2000; k++)
		ck_assert_uint_eq(below[k], 0xa5);
	ck_assert_int_eq(mprotect(tc_poll_page(env->tc), 4096, PROT_READ), 0);
	ck_assert_int_eq(x, BT_EXIT_POLL);
	ck_assert_uint_eq(env->ctx->next_eip, CODE + 1);
	ck_assert_uint_eq(out.gpr[R_EAX], 0x11111112);
	ck_assert_uint_eq(out.gpr[R_ESP], STACK_TOP - 0x100);   /* the guest stack untouched */
	ck_assert_uint_ge(env->chains, 1);
}
END_TEST

START_TEST(chained_loop_stays_in_the_tc)
{
	struct regs r = base_regs(), out;
	/* mov ecx, 1000; L: add eax, 3; dec ecx; jnz L; hlt */
	static const uint8_t code[] = { 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x83, 0xc0, 0x03, 0x49,
					0x75, 0xfa, 0xf4 };
	memcpy(lin(CODE), code, sizeof(code));
	r.gpr[R_EAX] = 0;
	r.gpr[R_ECX] = 1000;   /* for the run from the loop body at the end */
	env->chain = false;
	reset_tc();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + sizeof(code) - 1, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(out.gpr[R_EAX], 3000);
	ck_assert_uint_eq(env->branch_exits, 1000);   /* first block + 999 back edges */
	env->chain = true;
	reset_tc();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + sizeof(code) - 1, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(out.gpr[R_EAX], 3000);
	ck_assert_uint_le(env->branch_exits, 3);
	struct tc_stats st;
	tc_get_stats(env->tc, &st);
	ck_assert_uint_ge(st.chains, 1);
	/* tc_unchain: the back edge exits again (the blocks stay, nothing is chained anew) */
	struct tb *body = block_at(CODE + 5);
	ck_assert_uint_eq(body->nexits, 2);
	ck_assert_uint_eq(body->exits[0].target_eip, CODE + 5);
	ck_assert_uint_eq(body->exits[1].target_eip, CODE + sizeof(code) - 1);
	tc_unchain(env->tc, body, 0);
	tc_unchain(env->tc, body, 1);
	env->chain = false;
	env->branch_exits = 0;
	ck_assert_int_eq(run_bt(&r, CODE + 5, CODE + sizeof(code) - 1, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(env->branch_exits, 1000);
	ck_assert_uint_eq(out.gpr[R_EAX], 3000);
	env->chain = true;
}
END_TEST

START_TEST(side_table_and_tc_find)
{
	/* the host offsets grow, guest offsets are instruction starts, tc_find inverts them */
	static const uint8_t code[] = { 0x40, 0x01, 0xc8, 0x50, 0x8b, 0x44, 0x24, 0x04, 0x59,
					0x0f, 0xaf, 0xc1, 0xf4 };
	static const uint16_t starts[] = { 0, 1, 3, 4, 8, 9 };
	memcpy(lin(CODE), code, sizeof(code));
	reset_tc();
	struct tb *tb = block_at(CODE);
	ck_assert_uint_eq(tb->ninsn, 6);
	ck_assert_uint_eq(tb->guest_len, 12);
	for (unsigned k = 0; k < tb->ninsn; k++) {
		ck_assert_uint_eq(tb->insn[k].guest_off, starts[k]);
		if (k)
			ck_assert_uint_gt(tb->insn[k].host_off, tb->insn[k - 1].host_off);
		struct tb *f;
		uint32_t eip;
		ck_assert(tc_find(env->tc, (uint64_t)(uintptr_t)tb->host + tb->insn[k].host_off, &f,
				  &eip));
		ck_assert_ptr_eq(f, tb);
		ck_assert_uint_eq(eip, CODE + starts[k]);
	}
	ck_assert(!tc_find(env->tc, (uint64_t)(uintptr_t)tb->host - 1, NULL, NULL));
	ck_assert(!tc_find(env->tc, (uint64_t)(uintptr_t)tb->host + tb->host_len, NULL, NULL));
	ck_assert_uint_eq(tb->nexits, 0);
}
END_TEST

/* The translator's statistics: classes per instruction, the exit mnemonic, page ends. */
START_TEST(statistics_count_classes_and_exits)
{
	/* add eax,ecx; mov [ebx],eax; push eax; pop ecx; cli (inline); mov eax,ecx; hlt */
	static const uint8_t code[] = { 0x01, 0xc8, 0x89, 0x03, 0x50, 0x59, 0xfa, 0x89, 0xc8, 0xf4 };
	memcpy(lin(CODE), code, sizeof(code));
	reset_tc();
	struct tc_stats s0, s1;
	tc_get_stats(env->tc, &s0);
	struct tb *tb = block_at(CODE);
	tc_get_stats(env->tc, &s1);
	ck_assert_uint_eq(tb->ninsn, 6);
	ck_assert_uint_eq(tb->exit_mnemonic, ZYDIS_MNEMONIC_HLT);
	ck_assert_uint_eq(s1.blocks - s0.blocks, 1);
	ck_assert_uint_eq(s1.guest_insns - s0.guest_insns, 6);
	ck_assert_uint_eq(s1.insns[BT_CLASS_IDENT] - s0.insns[BT_CLASS_IDENT], 3);
	ck_assert_str_eq(bt_class_name(BT_PUSH), "push");
	ck_assert_uint_eq(s1.insns[BT_PUSH] - s0.insns[BT_PUSH], 1);
	ck_assert_uint_eq(s1.insns[BT_POP] - s0.insns[BT_POP], 1);
	ck_assert_str_eq(bt_class_name(BT_CLI), "cli");
	ck_assert_uint_eq(s1.insns[BT_CLI] - s0.insns[BT_CLI], 1);
	/* every class has a name of its own (--stats-json keys) */
	for (unsigned c = 0; c < BT_NCLASSES; c++) {
		ck_assert_ptr_nonnull(bt_class_name(c));
		for (unsigned d = 0; d < c; d++)
			ck_assert_str_ne(bt_class_name(c), bt_class_name(d));
	}
	ck_assert_ptr_null(bt_class_name(BT_NCLASSES));
	ck_assert_uint_eq(s1.insns[BT_CLASS_EXIT] - s0.insns[BT_CLASS_EXIT], 1);
	/* the memory operand gets 0x67: at most the two register-only ones are verbatim */
	ck_assert_uint_le(s1.ident_verbatim - s0.ident_verbatim, 2);
	ck_assert_uint_eq(s1.refused - s0.refused, 0);
	ck_assert_uint_eq(s1.undecodable - s0.undecodable, 0);
	ck_assert_uint_ge(s1.code_used, tb->host_len);
	ck_assert_uint_gt(s1.code_size, s1.code_used);
	/* at run time the exit names the instruction for the dispatcher's count */
	struct regs r = base_regs(), out;
	env->ctx->exit_mnemonic = 0;
	ck_assert_int_eq(run_bt(&r, CODE, CODE + sizeof(code) - 1, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(env->ctx->exit_mnemonic, ZYDIS_MNEMONIC_HLT);

	/* an instruction crossing the page end: the block before it ends at the page end
	   with a direct exit to it; alone, without the next page's bytes, it is
	   undecodable and leaves the TC with mnemonic 0 */
	uint32_t start = CODE + 0x1000 - 2;
	static const uint8_t cross[] = { 0x90, 0xb8, 0x01, 0x02, 0x03, 0x04 };
	memcpy(lin(start), cross, sizeof(cross));
	tc_get_stats(env->tc, &s0);
	tb = block_at(start);
	tc_get_stats(env->tc, &s1);
	ck_assert_uint_eq(tb->ninsn, 1);
	ck_assert_uint_eq(tb->exit_mnemonic, 0);
	ck_assert_uint_eq(s1.undecodable - s0.undecodable, 0);
	ck_assert_uint_eq(s1.page_end - s0.page_end, 1);
	ck_assert_uint_eq(s1.insns[BT_CLASS_EXIT] - s0.insns[BT_CLASS_EXIT], 0);
	tc_get_stats(env->tc, &s0);
	tb = block_at(start + 1);
	tc_get_stats(env->tc, &s1);
	ck_assert_uint_eq(tb->ninsn, 0);
	ck_assert_uint_eq(s1.undecodable - s0.undecodable, 1);
	ck_assert_uint_eq(s1.page_end - s0.page_end, 1);
	ck_assert_uint_eq(s1.insns[BT_CLASS_EXIT] - s0.insns[BT_CLASS_EXIT], 1);
	env->ctx->exit_mnemonic = 1234;
	ck_assert_int_eq(run_bt(&r, start, start + 6, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(env->ctx->exit_mnemonic, ZYDIS_MNEMONIC_INVALID);
	/* translated with the next page's bytes: counted as crossing */
	tc_get_stats(env->tc, &s0);
	tb = bt_translate_cross(env->tc, &env->mode, start + 1, lin(start + 1), 1, 15);
	tc_get_stats(env->tc, &s1);
	ck_assert_uint_eq(s1.crossing - s0.crossing, 1);
	ck_assert_uint_eq(s1.undecodable - s0.undecodable, 0);
}
END_TEST

START_TEST(block_ends_at_the_page_end)
{
	/* nops up to the page end, the next page continues */
	struct regs r = base_regs(), out;
	uint32_t start = CODE + 0x1000 - 3;
	memset(lin(start), 0x90, 3);
	static const uint8_t next[] = { 0x40, 0xf4 };
	memcpy(lin(CODE + 0x1000), next, 2);
	reset_tc();
	struct tb *tb = block_at(start);
	ck_assert_uint_eq(tb->guest_len, 3);
	ck_assert_uint_eq(tb->nexits, 1);
	ck_assert_uint_eq(tb->exits[0].target_eip, CODE + 0x1000);
	ck_assert_int_eq(run_bt(&r, start, CODE + 0x1001, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(out.gpr[R_EAX], 0x11111112);
	/* an instruction crossing the page end is left to the interpreter */
	start = CODE + 0x1000 - 2;
	static const uint8_t cross[] = { 0x90, 0xb8, 0x01, 0x02, 0x03, 0x04, 0xf4 };
	memcpy(lin(start), cross, sizeof(cross));
	reset_tc();
	tb = block_at(start);
	ck_assert_uint_eq(tb->ninsn, 1);
	ck_assert_int_eq(run_bt(&r, start, start + 6, &out), BT_EXIT_INTERP);
	ck_assert_uint_eq(out.gpr[R_EAX], 0x04030201);
	/* the block before it ends with a direct exit to it (no exit to the interpreter) */
	ck_assert_uint_eq(tb->nexits, 1);
	ck_assert_uint_eq(tb->exits[0].target_eip, start + 1);
	/* with the next page's bytes it is translated, alone */
	reset_tc();
	ck_assert(bt_insn_crosses(lin(start + 1), 1));
	ck_assert(!bt_insn_crosses(lin(start), 2));
	tb = bt_translate_cross(env->tc, &env->mode, start + 1, lin(start + 1), 1, 15);
	ck_assert(tb != NULL);
	ck_assert(tb->crosses);
	ck_assert_uint_eq(tb->ninsn, 1);
	ck_assert_uint_eq(tb->guest_len, 5);
	ck_assert_uint_eq(tb->nexits, 1);
	ck_assert_uint_eq(tb->exits[0].target_eip, start + 6);
	struct bt_ctx *ctx = env->ctx;
	memcpy(ctx->gpr, r.gpr, sizeof(ctx->gpr));
	ctx->gpr[R_EAX] = 0;
	ck_assert_int_eq(bt_enter(ctx, tb->host), BT_EXIT_BRANCH);
	ck_assert_uint_eq(ctx->gpr[R_EAX], 0x04030201);
	ck_assert_uint_eq(ctx->next_eip, start + 6);
	/* a block that starts at it without those bytes still leaves it to the interpreter */
	tb = bt_translate(env->tc, &env->mode, start + 1, lin(start + 1), 1);
	ck_assert(!tb->crosses);
	ck_assert_uint_eq(tb->ninsn, 0);
}
END_TEST

START_TEST(long_code_is_cut_into_chained_blocks)
{
	/* 200 x inc eax / add ecx, eax: more than BT_MAX_INSNS, so blocks end with a fall-through */
	uint8_t code[601];
	size_t n = 0;
	for (unsigned k = 0; k < 200; k++) {
		if (k & 1) {
			code[n++] = 0x01;
			code[n++] = 0xc1;
		} else {
			code[n++] = 0x40;
		}
	}
	code[n++] = 0xf4;
	struct regs r = base_regs();
	expect_same(code, n, &r);
	ck_assert_uint_ge(env->nblocks, 200 / BT_MAX_INSNS);
	struct tb *first = block_at(CODE);
	ck_assert_uint_eq(first->ninsn, BT_MAX_INSNS);
	ck_assert_uint_eq(first->nexits, 1);
	ck_assert_uint_eq(first->exits[0].target_eip, CODE + first->guest_len);
}
END_TEST

START_TEST(full_cache_is_flushed_and_refilled)
{
	char why[256];
	struct tc *small = tc_create(64u << 10, why, sizeof(why));
	ck_assert_msg(small != NULL, "%s", why);
	static const uint8_t code[] = { 0x40, 0x01, 0xc8, 0x50, 0x59, 0xeb, 0x00 };
	struct bt_mode mode = { .gs_flat = true };
	unsigned blocks = 0;
	struct tb *tb, *last = NULL;
	while ((tb = bt_translate(small, &mode, CODE, code, sizeof(code))) != NULL) {
		last = tb;
		blocks++;
		ck_assert_uint_lt(blocks, 100000);
	}
	ck_assert_uint_gt(blocks, 100);   /* ~90 host bytes each in 64 KiB */
	ck_assert(tc_find(small, (uint64_t)(uintptr_t)last->host, NULL, NULL));
	tc_flush(small);
	ck_assert(!tc_find(small, (uint64_t)(uintptr_t)last->host, NULL, NULL));
	tb = bt_translate(small, &mode, CODE, code, sizeof(code));
	ck_assert_ptr_nonnull(tb);
	struct tc_stats st;
	tc_get_stats(small, &st);
	ck_assert_uint_eq(st.flushes, 1);
	ck_assert_uint_eq(st.blocks, blocks + 1);
	tc_destroy(small);
}
END_TEST

/* --- random cases ------------------------------------------------------- */

static uint32_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* An opcode template: bytes, a ModRM (reg field fixed if digit >= 0), an immediate size. */
struct tmpl {
	uint8_t op[2], nop;
	bool modrm;
	int8_t digit;
	uint8_t imm;
	bool mem_only;
};

static const struct tmpl tmpls[] = {
#define ALU(b) { { b }, 1, true, -1, 0, false }, { { b + 1 }, 1, true, -1, 0, false }, \
	{ { b + 2 }, 1, true, -1, 0, false }, { { b + 3 }, 1, true, -1, 0, false }, \
	{ { b + 4 }, 1, false, -1, 1, false }, { { b + 5 }, 1, false, -1, 4, false }
	ALU(0x00), ALU(0x08), ALU(0x10), ALU(0x18), ALU(0x20), ALU(0x28), ALU(0x30), ALU(0x38),
#undef ALU
	{ { 0x80 }, 1, true, -1, 1, false }, { { 0x81 }, 1, true, -1, 4, false },
	{ { 0x83 }, 1, true, -1, 1, false },
	{ { 0x84 }, 1, true, -1, 0, false }, { { 0x85 }, 1, true, -1, 0, false },
	{ { 0x86 }, 1, true, -1, 0, false }, { { 0x87 }, 1, true, -1, 0, false },
	{ { 0x88 }, 1, true, -1, 0, false }, { { 0x89 }, 1, true, -1, 0, false },
	{ { 0x8a }, 1, true, -1, 0, false }, { { 0x8b }, 1, true, -1, 0, false },
	{ { 0x8d }, 1, true, -1, 0, true },
	{ { 0x40 }, 1, false, -1, 0, false }, { { 0x41 }, 1, false, -1, 0, false },
	{ { 0x42 }, 1, false, -1, 0, false }, { { 0x48 }, 1, false, -1, 0, false },
	{ { 0x49 }, 1, false, -1, 0, false }, { { 0x4a }, 1, false, -1, 0, false },
	{ { 0x91 }, 1, false, -1, 0, false }, { { 0x92 }, 1, false, -1, 0, false },
	{ { 0x98 }, 1, false, -1, 0, false }, { { 0x99 }, 1, false, -1, 0, false },
	{ { 0x9e }, 1, false, -1, 0, false }, { { 0x9f }, 1, false, -1, 0, false },
	{ { 0xa8 }, 1, false, -1, 1, false }, { { 0xa9 }, 1, false, -1, 4, false },
	{ { 0xa0 }, 1, false, -1, 4, false }, { { 0xa1 }, 1, false, -1, 4, false },
	{ { 0xa2 }, 1, false, -1, 4, false }, { { 0xa3 }, 1, false, -1, 4, false },
	{ { 0xa4 }, 1, false, -1, 0, false }, { { 0xa5 }, 1, false, -1, 0, false },
	{ { 0xa6 }, 1, false, -1, 0, false }, { { 0xa7 }, 1, false, -1, 0, false },
	{ { 0xaa }, 1, false, -1, 0, false }, { { 0xab }, 1, false, -1, 0, false },
	{ { 0xac }, 1, false, -1, 0, false }, { { 0xad }, 1, false, -1, 0, false },
	{ { 0xae }, 1, false, -1, 0, false }, { { 0xaf }, 1, false, -1, 0, false },
	{ { 0xb0 }, 1, false, -1, 1, false }, { { 0xb4 }, 1, false, -1, 1, false },
	{ { 0xb8 }, 1, false, -1, 4, false }, { { 0xba }, 1, false, -1, 4, false },
	{ { 0xc0 }, 1, true, -1, 1, false }, { { 0xc1 }, 1, true, -1, 1, false },
	{ { 0xd0 }, 1, true, -1, 0, false }, { { 0xd1 }, 1, true, -1, 0, false },
	{ { 0xd2 }, 1, true, -1, 0, false }, { { 0xd3 }, 1, true, -1, 0, false },
	{ { 0xc6 }, 1, true, 0, 1, false }, { { 0xc7 }, 1, true, 0, 4, false },
	{ { 0xd7 }, 1, false, -1, 0, false },
	{ { 0xf5 }, 1, false, -1, 0, false }, { { 0xf8 }, 1, false, -1, 0, false },
	{ { 0xf9 }, 1, false, -1, 0, false }, { { 0xfc }, 1, false, -1, 0, false },
	{ { 0xfd }, 1, false, -1, 0, false },
	{ { 0xf6 }, 1, true, 0, 1, false }, { { 0xf7 }, 1, true, 0, 4, false },
	{ { 0xf6 }, 1, true, 2, 0, false }, { { 0xf7 }, 1, true, 3, 0, false },
	{ { 0xf6 }, 1, true, 4, 0, false }, { { 0xf7 }, 1, true, 4, 0, false },
	{ { 0xf6 }, 1, true, 5, 0, false }, { { 0xf7 }, 1, true, 5, 0, false },
	{ { 0xfe }, 1, true, 0, 0, false }, { { 0xff }, 1, true, 1, 0, false },
	{ { 0x0f, 0xa3 }, 2, true, -1, 0, false }, { { 0x0f, 0xab }, 2, true, -1, 0, false },
	{ { 0x0f, 0xb3 }, 2, true, -1, 0, false }, { { 0x0f, 0xbb }, 2, true, -1, 0, false },
	{ { 0x0f, 0xba }, 2, true, -1, 1, false },
	{ { 0x0f, 0xbc }, 2, true, -1, 0, false }, { { 0x0f, 0xbd }, 2, true, -1, 0, false },
	{ { 0x0f, 0xb6 }, 2, true, -1, 0, false }, { { 0x0f, 0xb7 }, 2, true, -1, 0, false },
	{ { 0x0f, 0xbe }, 2, true, -1, 0, false }, { { 0x0f, 0xbf }, 2, true, -1, 0, false },
	{ { 0x0f, 0xaf }, 2, true, -1, 0, false }, { { 0x69 }, 1, true, -1, 4, false },
	{ { 0x6b }, 1, true, -1, 1, false },
	{ { 0x0f, 0x44 }, 2, true, -1, 0, false }, { { 0x0f, 0x42 }, 2, true, -1, 0, false },
	{ { 0x0f, 0x4f }, 2, true, -1, 0, false }, { { 0x0f, 0x48 }, 2, true, -1, 0, false },
	{ { 0x0f, 0x94 }, 2, true, -1, 0, false }, { { 0x0f, 0x92 }, 2, true, -1, 0, false },
	{ { 0x0f, 0x9f }, 2, true, -1, 0, false }, { { 0x0f, 0x9a }, 2, true, -1, 0, false },
	{ { 0x0f, 0xa4 }, 2, true, -1, 1, false }, { { 0x0f, 0xa5 }, 2, true, -1, 0, false },
	{ { 0x0f, 0xac }, 2, true, -1, 1, false }, { { 0x0f, 0xad }, 2, true, -1, 0, false },
	{ { 0x0f, 0xb0 }, 2, true, -1, 0, false }, { { 0x0f, 0xb1 }, 2, true, -1, 0, false },
	{ { 0x0f, 0xc0 }, 2, true, -1, 0, false }, { { 0x0f, 0xc1 }, 2, true, -1, 0, false },
	{ { 0x0f, 0xc7 }, 2, true, 1, 0, true },
	{ { 0x0f, 0xc8 }, 2, false, -1, 0, false }, { { 0x0f, 0xca }, 2, false, -1, 0, false },
	{ { 0x50 }, 1, false, -1, 0, false }, { { 0x53 }, 1, false, -1, 0, false },
	{ { 0x56 }, 1, false, -1, 0, false }, { { 0x58 }, 1, false, -1, 0, false },
	{ { 0x59 }, 1, false, -1, 0, false }, { { 0x5a }, 1, false, -1, 0, false },
	{ { 0x68 }, 1, false, -1, 4, false }, { { 0x6a }, 1, false, -1, 1, false },
	{ { 0xff }, 1, true, 6, 0, true }, { { 0x8f }, 1, true, 0, 0, true },
};
#define NTMPLS (sizeof(tmpls) / sizeof(tmpls[0]))

/* The pointer registers: never written by random code (string ops move ESI/EDI a little). */
static bool is_pointer(ZydisRegister r)
{
	if (ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_GPR8)
		return false;   /* AL..BH: BH/BL are parts of EBX */
	unsigned id = bt_gpr_id(r);
	return id == 3 || id == 5 || id == 6 || id == 7;
}

static uint32_t ptr_value[8];   /* set in main(): they depend on gbase */

static bool is_shift(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR || m == ZYDIS_MNEMONIC_SAR ||
	       m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR || m == ZYDIS_MNEMONIC_RCL ||
	       m == ZYDIS_MNEMONIC_RCR || m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD;
}

/*
 * One random instruction at out (up to 15 bytes + a prefix), or 0 if the
 * draw was rejected. undef: flags left undefined so far (updated).
 */
static size_t random_insn(uint8_t *out, uint32_t *undef)
{
	uint8_t b[24];
	size_t n = 0;
	const struct tmpl *t = &tmpls[rnd() % NTMPLS];
	uint32_t p = rnd();
	if ((p & 7) == 0)
		b[n++] = 0x66;
	if ((p & 0x38) == 0)
		b[n++] = 0x64;                          /* FS */
	else if ((p & 0x38) == 8)
		b[n++] = (uint8_t[]){ 0x3e, 0x26, 0x36, 0x2e }[(p >> 6) & 3];
	if (((p >> 8) & 15) == 0)
		b[n++] = 0xf0;                          /* lock: kept when valid */
	bool string = t->nop == 1 && t->op[0] >= 0xa4 && t->op[0] <= 0xaf && t->op[0] != 0xa8 &&
		      t->op[0] != 0xa9;
	if (string && ((p >> 12) & 1))
		b[n++] = (p >> 13) & 1 ? 0xf3 : 0xf2;
	memcpy(b + n, t->op, t->nop);
	n += t->nop;
	if (t->nop == 1 && t->op[0] >= 0x40 && t->op[0] < 0x60 && !t->modrm)
		b[n - 1] = (uint8_t)((b[n - 1] & 0xf8) | (rnd() & 7));   /* any register */
	if (t->nop == 2 && t->op[0] == 0x0f && (t->op[1] & 0xf0) == 0x40)
		b[n - 1] = (uint8_t)(0x40 | (rnd() & 15));
	if (t->nop == 2 && t->op[0] == 0x0f && (t->op[1] & 0xf0) == 0x90)
		b[n - 1] = (uint8_t)(0x90 | (rnd() & 15));
	if (t->nop == 1 && (t->op[0] & 0xf8) == 0xb0)
		b[n - 1] = (uint8_t)(t->op[0] | (rnd() & 7));
	if (t->modrm) {
		uint8_t mod = rnd() & 3, reg = rnd() & 7, rm = rnd() & 7;
		if (t->mem_only && mod == 3)
			mod = rnd() % 3;
		if (t->digit >= 0)
			reg = (uint8_t)t->digit;
		else if (t->op[0] == 0x0f && t->op[1] == 0xba)
			reg = 4 + (rnd() & 3);
		b[n++] = (uint8_t)(mod << 6 | reg << 3 | rm);
		if (mod != 3 && rm == 4)
			b[n++] = (uint8_t)rnd();             /* SIB */
		size_t disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
		if (mod == 0 && (rm == 5 || (rm == 4 && (b[n - 1] & 7) == 5)))
			disp = 4;
		for (size_t k = 0; k < disp; k++)
			b[n++] = (uint8_t)rnd();
	}
	for (size_t k = 0; k < t->imm; k++)
		b[n++] = (uint8_t)rnd();
	if (t->imm == 1 && t->modrm && (t->op[0] == 0xc0 || t->op[0] == 0xc1))
		b[n - 1] &= 0x1f;

	ZydisDecoder d;
	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	struct bt_insn in;
	if (ZYAN_FAILED(ZydisDecoderDecodeFull(&d, b, n, &in.d, in.ops)))
		return 0;
	n = in.d.length;   /* operand-size prefixes shorten immediates */
	struct bt_mode mode = { .gs_flat = true };
	enum bt_class c = bt_classify(&in, &mode);
	if (c != BT_IDENT && c != BT_PUSH && c != BT_POP)
		return 0;
	ZydisMnemonic m = in.d.mnemonic;
	if (m == ZYDIS_MNEMONIC_DIV || m == ZYDIS_MNEMONIC_IDIV)
		return 0;
	/* 16-bit SHLD/SHRD by more than 16: the result is undefined (SDM vol. 2B) */
	if ((m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD) && in.d.operand_width == 16)
		return 0;
	/* BT* m, r: the register is a signed bit offset, far beyond the data area (directed) */
	if ((m == ZYDIS_MNEMONIC_BT || m == ZYDIS_MNEMONIC_BTS || m == ZYDIS_MNEMONIC_BTR ||
	     m == ZYDIS_MNEMONIC_BTC) && in.ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
	    in.ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER)
		return 0;
	bool is_string = (in.d.attributes & ZYDIS_ATTRIB_HAS_REP) ||
			 (in.d.attributes & ZYDIS_ATTRIB_HAS_REPE) ||
			 (in.d.attributes & ZYDIS_ATTRIB_HAS_REPNE) || string;
	for (unsigned k = 0; k < in.d.operand_count; k++) {
		const ZydisDecodedOperand *op = &in.ops[k];
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER && (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
			ZydisRegisterClass rc = ZydisRegisterGetClass(op->reg.value);
			if (rc != ZYDIS_REGCLASS_GPR8 && rc != ZYDIS_REGCLASS_GPR16 &&
			    rc != ZYDIS_REGCLASS_GPR32)
				continue;
			unsigned id = bt_gpr_id(op->reg.value);
			if (id == 4 && (c == BT_IDENT ||
					op->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT))
				return 0;
			if (is_pointer(op->reg.value) && !(is_string && (id == 6 || id == 7)))
				return 0;
			if (rc == ZYDIS_REGCLASS_GPR8 && (op->reg.value == ZYDIS_REGISTER_BL ||
							  op->reg.value == ZYDIS_REGISTER_BH))
				return 0;
		}
		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			continue;
		ZydisRegister base = op->mem.base, index = op->mem.index;
		if (m == ZYDIS_MNEMONIC_LEA)
			continue;   /* any address */
		if ((base != ZYDIS_REGISTER_NONE && !is_pointer(base) && base != ZYDIS_REGISTER_ESP) ||
		    (index != ZYDIS_REGISTER_NONE && !is_pointer(index)))
			return 0;
		if (in.d.raw.disp.size == 32 && (index != ZYDIS_REGISTER_NONE || base == ZYDIS_REGISTER_NONE)) {
			/* patch the displacement: the address lands in the data area */
			uint32_t want = DATA + 0x28000 + (rnd() & 0x7ffc);
			uint32_t have = (base == ZYDIS_REGISTER_NONE ? 0 : ptr_value[bt_gpr_id(base)]) +
					(index == ZYDIS_REGISTER_NONE ? 0 :
					 ptr_value[bt_gpr_id(index)] * op->mem.scale);
			uint32_t disp = want - have;
			if (op->mem.segment == ZYDIS_REGISTER_FS)
				disp -= FS_BASE_RANDOM;
			memcpy(b + in.d.raw.disp.offset, &disp, 4);
		} else if (index != ZYDIS_REGISTER_NONE || base == ZYDIS_REGISTER_NONE) {
			return 0;
		} else if (in.d.raw.disp.size == 32 && (in.d.raw.disp.value > 0x4000 ||
							in.d.raw.disp.value < -0x4000)) {
			int32_t disp = (int32_t)(rnd() & 0x3fff) - 0x2000;
			memcpy(b + in.d.raw.disp.offset, &disp, 4);
		}
	}
	if (in.d.cpu_flags && (in.d.cpu_flags->tested & *undef))
		return 0;
	if (in.d.cpu_flags) {
		uint32_t def = in.d.cpu_flags->modified | in.d.cpu_flags->set_0 | in.d.cpu_flags->set_1;
		if (is_shift(m)) {
			/* a count of 0 changes nothing; OF/AF undefined for counts > 1; CF for
			   8/16-bit counts beyond the width */
			*undef |= in.d.cpu_flags->undefined | EFL_OF | EFL_AF;
			if (in.d.operand_width < 32 && m != ZYDIS_MNEMONIC_RCL && m != ZYDIS_MNEMONIC_RCR)
				*undef |= EFL_CF;
			if (m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD)
				*undef |= EFL_ARITH;
		} else {
			*undef = (*undef & ~def) | in.d.cpu_flags->undefined;
		}
	}
	size_t at = 0;
	if (is_string && (in.d.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
					     ZYDIS_ATTRIB_HAS_REPNE))) {
		/* and ecx, 0x1f: short repeats; its flags are then the defined ones */
		static const uint8_t and_ecx[] = { 0x83, 0xe1, 0x1f };
		memcpy(out, and_ecx, 3);
		at = 3;
	}
	memcpy(out + at, b, n);
	return at + n;
}

static size_t put_u32(uint8_t *p, uint32_t x)
{
	memcpy(p, &x, 4);
	return 4;
}

/*
 * A random rewritten control transfer to the instruction after it, at
 * guest address at: CALL/RET/JMP rel and r/m, RET imm16. Only ECX and the
 * stack change; the flags go through unchanged (the lookup stub keeps them).
 */
static size_t random_control(uint8_t *o, uint32_t at)
{
	size_t n = 0;
	switch (rnd() % 8) {
	case 0:   /* call next; pop ecx */
		o[n++] = 0xe8;
		n += put_u32(o + n, 0);
		o[n++] = 0x59;
		break;
	case 1:   /* push next; ret */
		o[n++] = 0x68;
		n += put_u32(o + n, at + 6);
		o[n++] = 0xc3;
		break;
	case 2:   /* mov ecx, next; jmp ecx */
		o[n++] = 0xb9;
		n += put_u32(o + n, at + 7);
		o[n++] = 0xff;
		o[n++] = 0xe1;
		break;
	case 3:   /* mov ecx, next; call ecx; pop ecx */
		o[n++] = 0xb9;
		n += put_u32(o + n, at + 7);
		o[n++] = 0xff;
		o[n++] = 0xd1;
		o[n++] = 0x59;
		break;
	case 4:   /* jmp short next */
		o[n++] = 0xeb;
		o[n++] = 0;
		break;
	case 5:   /* jmp near next */
		o[n++] = 0xe9;
		n += put_u32(o + n, 0);
		break;
	case 6:   /* push 0x55; push next; ret 4 */
		o[n++] = 0x6a;
		o[n++] = 0x55;
		o[n++] = 0x68;
		n += put_u32(o + n, at + 10);
		o[n++] = 0xc2;
		o[n++] = 0x04;
		o[n++] = 0x00;
		break;
	default:  /* mov [esp-4], next; sub esp, 4; jmp [esp]... as push: push next; jmp [esp]; pop */
		o[n++] = 0x68;
		n += put_u32(o + n, at + 8);
		o[n++] = 0xff;
		o[n++] = 0x24;
		o[n++] = 0x24;
		o[n++] = 0x59;
		break;
	}
	return n;
}

START_TEST(random_sequences_match_the_interpreter)
{
	const char *seed = getenv("SOFTVT_RANDOM_SEED");
	rng = seed ? (uint32_t)strtoul(seed, NULL, 0) : 0x6b8b4567u;
	if (!rng)
		rng = 1;
	unsigned cases = RANDOM_CASES, insns = 0;
	char msg[1024];
	for (unsigned c = 0; c < cases; c++) {
		uint8_t code[512];
		size_t len = 0;
		uint32_t undef = 0;
		unsigned want = 1 + rnd() % 16;
		for (unsigned k = 0; k < want && len < 400;) {
			if ((rnd() & 15) == 0) {
				len += random_control(code + len, CODE + (uint32_t)len);
				k++;
				continue;
			}
			if ((rnd() & 7) == 0 && k + 1 < want) {
				/* jcc over the next instruction (both paths' flags merge) */
				uint8_t next[40];
				uint32_t u2 = undef;
				size_t n2 = random_insn(next, &u2);
				unsigned cc = rnd() & 15;
				ZydisDecoder d;
				ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
				uint8_t jcc[2] = { (uint8_t)(0x70 | cc), (uint8_t)n2 };
				ZydisDecodedInstruction ji;
				ZydisDecodedOperand jo[ZYDIS_MAX_OPERAND_COUNT];
				ZydisDecoderDecodeFull(&d, jcc, 2, &ji, jo);
				if (!n2 || (ji.cpu_flags->tested & undef))
					continue;
				memcpy(code + len, jcc, 2);
				memcpy(code + len + 2, next, n2);
				len += 2 + n2;
				undef |= u2;
				k += 2;
				continue;
			}
			size_t n = random_insn(code + len, &undef);
			if (n) {
				len += n;
				k++;
			}
		}
		insns += want;
		code[len++] = 0xf4;
		struct regs r;
		static const uint32_t special[] = { 0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0xff,
						    0x8000, 0xffff };
		for (int k = 0; k < 8; k++)
			r.gpr[k] = ptr_value[k] ? ptr_value[k] :
				   (rnd() & 3) == 0 ? special[rnd() & 7] : rnd();
		r.eflags = rnd() & EFL_ARITH;
		r.fs_base = FS_BASE_RANDOM;
		for (uint32_t k = 0; k < DATA_LEN; k += 4) {
			uint32_t x = rnd();
			memcpy(lin(DATA + k), &x, 4);
		}
		const char *bad = compare_run(code, len, &r, undef, msg, sizeof(msg));
		ck_assert_msg(bad == NULL, "case %u (seed %#x): %s", c, rng, bad);
		/* every instruction drawn is one the TC runs: only the HLT leaves to interp */
		ck_assert_msg(env->interp_exits <= 1, "case %u (seed %#x): %u exits to the "
			      "interpreter (an instruction the emitter refused)", c, rng,
			      env->interp_exits);
	}
	struct tc_stats st;
	tc_get_stats(env->tc, &st);
	printf("random: %u cases, ~%u instructions\n", cases, insns);
}
END_TEST

/*
 * The safety property of the emitted code, checked by disassembling random
 * blocks: the block starts with the poll load (rip-relative, to the poll
 * page); every other memory access is either the ctx (r15) or the exit
 * bookkeeping (lea r14, [rip+x] into the same block), or uses the 32-bit
 * address size, so it can only reach [0, 8 GiB) - the guest window and its
 * guard; no instruction writes a 64-bit guest register (their upper halves
 * stay 0) or r15; every jump leaves to the block itself, its tails or the
 * stubs.
 */
START_TEST(host_code_only_uses_32bit_addresses)
{
	rng = 0x2468ace1u;
	reset_tc();
	ZydisDecoder d;
	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	uint64_t poll = (uint64_t)(uintptr_t)tc_poll_page(env->tc);
	unsigned checked = 0;
	for (unsigned b = 0; b < 500; b++) {
		uint8_t code[600];
		size_t len = 0;
		uint32_t undef = 0;
		for (unsigned k = 0; k < 20 && len < 500;) {
			size_t n = (rnd() & 7) == 0 ? random_control(code + len, CODE + (uint32_t)len)
						    : random_insn(code + len, &undef);
			if (n) {
				len += n;
				k++;
			}
		}
		code[len++] = 0xf4;
		memcpy(lin(CODE), code, len);
		struct tb *tb = bt_translate(env->tc, &env->mode, CODE, lin(CODE), 0x1000);
		ck_assert_ptr_nonnull(tb);
		uint64_t host = (uint64_t)(uintptr_t)tb->host;
		for (uint32_t off = 0; off < tb->host_len;) {
			ZydisDecodedInstruction in;
			ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
			ck_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, tb->host + off,
					       tb->host_len - off, &in, ops)));
			for (unsigned k = 0; k < in.operand_count; k++) {
				const ZydisDecodedOperand *op = &ops[k];
				if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
				    op->visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN) {
					ZydisRegister base = op->mem.base;
					if (off == 0) {
						ZyanU64 a = 0;
						ZydisCalcAbsoluteAddress(&in, op, host, &a);
						ck_assert_int_eq(base, ZYDIS_REGISTER_RIP);
						ck_assert_uint_eq(a, poll);
					} else if (base == ZYDIS_REGISTER_RIP) {
						ck_assert_int_eq(in.mnemonic, ZYDIS_MNEMONIC_LEA);
					} else if (base != ZYDIS_REGISTER_R15) {
						ck_assert_msg(in.address_width == 32,
							      "block %u host offset %u: address width %u",
							      b, off, in.address_width);
					}
				}
				if (op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
				    (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
					ZydisRegister r = op->reg.value;
					ck_assert(r != ZYDIS_REGISTER_R15 && r != ZYDIS_REGISTER_R15D);
					if (ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_GPR64)
						ck_assert_msg(r == ZYDIS_REGISTER_R14 ||
							      r == ZYDIS_REGISTER_R13 ||
							      r == ZYDIS_REGISTER_RIP,
							      "block %u host offset %u writes a 64-bit register",
							      b, off);
				}
				if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative) {
					ZyanU64 a = 0;
					ZydisCalcAbsoluteAddress(&in, op, host + off, &a);
					bool inside = a >= host && a <= host + tb->host_len;
					bool stub = a < (uint64_t)(uintptr_t)tb->host &&
						    a >= poll + 4096 && a < poll + 4096 + 1024;
					ck_assert_msg(inside || stub, "block %u: jump out to %" PRIx64, b, a);
				}
			}
			off += in.length;
			checked++;
		}
	}
	printf("disassembled %u host instructions of 500 blocks\n", checked);
}
END_TEST

/* --- costs ---------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

START_TEST(measure_translation_costs)
{
	/* random straight-line blocks of IDENT/stack instructions, then HLT */
	rng = 0x1234567u;
	reset_tc();
	struct tc_stats s0, s1;
	tc_get_stats(env->tc, &s0);
	uint64_t t = 0;
	unsigned blocks = 0;
	for (unsigned b = 0; b < 2000; b++) {
		uint8_t code[600];
		size_t len = 0;
		uint32_t undef = 0;
		for (unsigned k = 0; k < 20 && len < 500;) {
			size_t n = random_insn(code + len, &undef);
			if (n) {
				len += n;
				k++;
			}
		}
		code[len++] = 0xf4;
		uint32_t at = CODE + (b % 8) * 0x1000;
		memcpy(lin(at), code, len);
		uint64_t t0 = now_ns();
		struct tb *tb = bt_translate(env->tc, &env->mode, at, lin(at), 0x1000);
		t += now_ns() - t0;
		ck_assert_ptr_nonnull(tb);
		blocks++;
	}
	tc_get_stats(env->tc, &s1);
	double per_insn = (double)(s1.host_bytes - s0.host_bytes) / (double)(s1.guest_insns - s0.guest_insns);
	printf("classes: %" PRIu64 " IDENT, %" PRIu64 " rewritten, %" PRIu64 " exits to the "
	       "interpreter\n", s1.insns[BT_CLASS_IDENT] - s0.insns[BT_CLASS_IDENT],
	       (s1.guest_insns - s0.guest_insns) - (s1.insns[BT_CLASS_IDENT] - s0.insns[BT_CLASS_IDENT]),
	       s1.insns[BT_CLASS_EXIT] - s0.insns[BT_CLASS_EXIT]);
	printf("translate: %u blocks, %" PRIu64 " guest insns, %.1f host bytes/guest insn (with "
	       "block overhead), %.2f us/block, %.0f ns/insn\n", blocks,
	       s1.guest_insns - s0.guest_insns, per_insn, (double)t / blocks / 1000.0,
	       (double)t / (double)(s1.guest_insns - s0.guest_insns));
	ck_assert(per_insn > 1.0 && per_insn < 40.0);

	/* the chained loop: guest instructions per second in the TC */
	static const uint8_t loop[] = { 0xb9, 0x00, 0xe1, 0xf5, 0x05, 0x83, 0xc0, 0x03, 0x31,
					0xd8, 0x49, 0x75, 0xf8, 0xf4 };   /* 100M iterations */
	memcpy(lin(CODE), loop, sizeof(loop));
	reset_tc();
	struct regs r = base_regs(), out;
	uint64_t t0 = now_ns();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + sizeof(loop) - 1, &out), BT_EXIT_INTERP);
	double secs = (double)(now_ns() - t0) / 1e9;
	printf("chained loop: 4 x 100M guest insns in %.3f s: %.0f MIPS\n", secs, 4e8 / secs / 1e6);
	ck_assert_uint_eq(out.gpr[R_ECX], 0);

	/* call/ret through the jump cache: L: call f; loop L; hlt; f: ret (10M calls) */
	static const uint8_t calls[] = { 0xe8, 0x03, 0x00, 0x00, 0x00, 0xe2, 0xf9, 0xf4, 0xc3 };
	memcpy(lin(CODE), calls, sizeof(calls));
	reset_tc();
	r.gpr[R_ECX] = 10000000;
	t0 = now_ns();
	ck_assert_int_eq(run_bt(&r, CODE, CODE + 7, &out), BT_EXIT_INTERP);
	secs = (double)(now_ns() - t0) / 1e9;
	ck_assert_uint_le(env->indirect_exits, 2);
	printf("call/ret/loop: %.1f ns per iteration (RET through the jump cache)\n", secs * 100.0);

	/* a round trip bt_enter -> exit stub (a block that leaves at once) */
	reset_tc();
	struct tb *tb = block_at(CODE + 7);   /* hlt */
	ck_assert_uint_eq(tb->ninsn, 0);
	memcpy(env->ctx->gpr, r.gpr, sizeof(r.gpr));
	t0 = now_ns();
	unsigned ok = 0;
	for (unsigned k = 0; k < 1000000; k++)   /* no ck_assert inside: it writes to a pipe */
		ok += bt_enter(env->ctx, tb->host) == BT_EXIT_INTERP;
	ck_assert_uint_eq(ok, 1000000);
	printf("bt_enter + exit round trip: %.1f ns\n", (double)(now_ns() - t0) / 1e6);
}
END_TEST

int main(void)
{
	char why[256];
	if (setup(why, sizeof(why)) < 0) {
		printf("skip: %s\n", why);
		return 77;
	}
	printf("guest at %#x\n", gbase);
	const uint32_t ptrs[8] = { 0, 0, 0, DATA + 0x8000, STACK_TOP - 0x800, DATA + 0x10000,
				   DATA + 0x18000, DATA + 0x20000 };
	memcpy(ptr_value, ptrs, sizeof(ptrs));
	Suite *s = suite_create("bt_translate");
	TCase *tc = tcase_create("translate");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, stack_push_pop_call_ret_leave);
	tcase_add_test(tc, calls_and_returns_use_the_jump_cache);
	tcase_add_test(tc, absolute_disp32_is_not_rip_relative);
	tcase_add_test(tc, inc_dec_short_forms);
	tcase_add_test(tc, bit_string_with_register_offset);
	tcase_add_test(tc, fs_override_uses_the_guest_fs_base);
	tcase_add_test(tc, gs_override_not_flat_leaves_the_tc);
	tcase_add_test(tc, jecxz_and_loop);
	tcase_add_test(tc, rep_string_operations);
	tcase_add_test(tc, sensitive_instructions_exit_to_the_interpreter);
	tcase_add_test(tc, segment_register_reads_run_in_the_tc);
	tcase_add_test(tc, divide_error_maps_back_to_the_div);
	tcase_add_test(tc, page_fault_maps_back_with_the_registers_of_its_start);
	tcase_add_test(tc, poll_page_stops_at_a_block_entry);
	tcase_add_test(tc, chained_loop_stays_in_the_tc);
	tcase_add_test(tc, a_timer_stops_an_endless_loop);
	tcase_add_test(tc, side_table_and_tc_find);
	tcase_add_test(tc, block_ends_at_the_page_end);
	tcase_add_test(tc, long_code_is_cut_into_chained_blocks);
	tcase_add_test(tc, full_cache_is_flushed_and_refilled);
	tcase_add_test(tc, statistics_count_classes_and_exits);
	tcase_add_test(tc, random_sequences_match_the_interpreter);
	tcase_add_test(tc, host_code_only_uses_32bit_addresses);
	tcase_add_test(tc, measure_translation_costs);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
