/*
 * fuzz_bt.c - libFuzzer harness: random ring-0 guest code under engine bt
 * and under the interpreter, final states compared. Built and run by
 * scripts/fuzz-bt.sh (clang -fsanitize=fuzzer,undefined; no ASan: its
 * shadow memory at 0x7fff8000 lies inside the guest window that engine bt
 * reserves, host [mmap_min_addr, 8 GiB)).
 *
 * Each input is a tests/unit/random_guest.h input (a 44-byte header, then
 * the code) with the mode forced to flat 32-bit ring 0 and paging on (4
 * KiB, 4 MiB PSE or PAE pages): the code runs at 0x10000 + offset, the
 * IDT sends every vector to a HLT at 0x3000 + vector (or is empty, or
 * points into the code, or is random, as the header says), with the
 * machine of random_guest.h (RAM up to 0x40000, MMIO at 0xA0000, ROM at
 * 0xF0000, aliases at 4 MiB and 3 GiB, missing/read-only/supervisor
 * pages; the rest of the 64 KiB code area after the code is HLTs, where
 * random_guest.h leaves zeros). Harness overrides: no TF, no external
 * interrupt, A20 open,
 * interp_step() (not interp_run); header byte 6 (the unused interrupt
 * vector) picks segment registers: bits 0-2 FS: flat writable (0, 1),
 * flat read-only (2), flat readable code (3), or writable with base
 * 0xFFFFF000, 0xFFC00000, 0xC0000000 or 0x80000000 (4-7; limit 4 GiB:
 * offsets wrap around 4 GiB, which under bt reach the window's
 * [4 GiB, 8 GiB) guard); bits 3-4 GS: flat, like FS, null, base
 * 0xC0000000 (a non-flat GS leaves the TC); bit 5 DS read-only, bit 6 ES
 * a readable code segment, bit 7 CS execute-only (all flat: writes, or
 * reads through CS, must give #GP(0)).
 *
 * Two identical machines (two struct rg_env) load the input. Machine 1
 * runs interp_step() up to RG_STEPS instructions; machine 2 runs bt_run()
 * (one engine for the whole process - bt_create() refuses a second one -
 * cleared between inputs with bt_reset()). When the interpreter stops on
 * a HLT (an exception handler or a HLT in the code) or a triple fault,
 * engine bt must stop the same way within FZ_DEADLINE_NS, with the same
 * GPRs, EIP, EFLAGS, segment registers (selector and cache), CR0-CR4,
 * descriptor-table registers, FPU state, guest RAM (so the exception
 * frame: vector, error code, saved EIP), MMIO latch and TSC reads. When
 * the interpreter runs out of steps or reports an unsupported
 * instruction, bt runs for FZ_LOOP_NS and only its safety is checked.
 * Always: no crash (the fuzzer's own signal handling reports one), no
 * translated-code page fault beyond 8 GiB (bt_stats.outside_window), the
 * canary page at 8 GiB unchanged, the ROM unchanged, and no engine error
 * but "unsupported instruction".
 *
 * Known, accepted differences (not findings):
 *  - undefined flags: the interpreter computes fixed values where the SDM
 *    leaves a flag undefined, translated code gets the host CPU's. The
 *    harness decodes each instruction the interpreter runs (Zydis' flag
 *    table, plus the count-dependent rules of shifts and rotates: a zero
 *    count changes nothing, OF is undefined beyond 1, CF of SHL/SHR
 *    beyond the operand size) and keeps the set of arithmetic flags that
 *    are undefined. Those are masked in the final EFLAGS, and in EFLAGS
 *    images an event or task switch wrote to memory (dwords that look
 *    like EFLAGS in both runs and differ only in those bits). A run in
 *    which an instruction reads an undefined flag (Jcc, SETcc, ADC,
 *    PUSHF, LAHF ...), a 16-bit SHLD/SHRD with a count beyond 16 or a
 *    16-bit BSWAP (undefined results), or whose undefined flags reach
 *    code through an event, is "tainted": only its safety is checked.
 *  - runs that write their own paging structures (a guest write to
 *    0x6000-0xAFFF, even exception frames pushed there): until an INVLPG
 *    or CR3 load, whether a changed entry is used (and gets A or D set)
 *    depends on what the TLB holds, which is not architectural, and the
 *    interpreter's soft TLB and the shadow window cache differently (a
 *    REP STOSD over the page tables stops at different places). Tainted.
 *    (Edit-then-invalidate sequences are tested by the paging guest.)
 *  - timing: RDTSC counts reads (random_guest.h's bus), the same under
 *    both; how far a loop gets before its budget is not compared.
 * A run the interpreter cannot decode at EIP (code in MMIO) is tainted too.
 *
 * A finding aborts with a readable dump: the input's choices, its code
 * disassembled with Zydis' formatter, both states and the first RAM
 * differences. SOFTVT_FUZZ_VERBOSE=1 prints one line per input;
 * SOFTVT_FUZZ_LAST=FILE writes each input to FILE before running it (the
 * reproducer when the process dies without libFuzzer's report);
 * SOFTVT_FUZZ_TRACE=1 prints each step of the interpreter's run.
 *
 * The same file, compiled with -DFUZZ_USER_DIRECT, is the user-mode
 * harness fuzz_direct (scripts/fuzz-direct.sh): the ring-0 choices below
 * (fz_make_input, fz_variant_*) are replaced by tests/fuzz/fuzz_direct.h,
 * which runs the code at CPL 3 under engine bt's --user direct and lists
 * its own accepted differences; everything else (the reference run with
 * undefined-flag tracking, the comparison, the report) is shared.
 *
 * Global state: libFuzzer's entry points take no context, so the two
 * machines and the engine live in `fz`.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "../unit/random_guest.h"
#include "bt/bt.h"
#include "bt/ctx.h"

#define FZ_MAX_IN       (RG_HEADER + 0x10000)
#define FZ_CANARY       0x200000000ull       /* 8 GiB: the first byte past the guard */
#define FZ_DEADLINE_NS  1000000000ull        /* bt must halt where the interpreter did */
#define FZ_RETRY_NS     5000000000ull        /* ... or, on a loaded host, in this */
#define FZ_LOOP_NS      2000000ull           /* runs the interpreter did not finish */
#define FZ_EXIT_CANNOT_RUN 77                /* no FSGSBASE, window range taken */
#define FZ_SEL_CS_XO    0xd8                 /* the harness's descriptors (fz_segments) */
#define FZ_SEL_DS_RO    0xe0
#define FZ_SEL_ES_CODE  0xe8
#define FZ_SEL_FS       0xf0
#define FZ_SEL_GS       0xf8
#define FZ_TABLES       RG_PD                /* random_guest.h's paging structures */
#define FZ_TABLES_END   (RG_PAE_PT + 0x1000)
#define FZ_ARITH        (EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)
#define FZ_EFLAGS_IMAGE(x) (((x) & 0xffc0802au) == 2u)   /* reserved bits as EFLAGS has them */
#ifdef FUZZ_USER_DIRECT
#define FZ_NAME         "fuzz_direct"
#define FZ_USER         BT_USER_DIRECT
#else
#define FZ_NAME         "fuzz_bt"
#define FZ_USER         BT_USER_INTERP
#endif

/* How the interpreter's run ended, and what it says about undefined flags. */
struct fz_ref {
	enum rg_exit exit;
	unsigned steps;
	uint32_t undef;          /* arithmetic flags undefined at the end */
	uint32_t pushed_undef;   /* undefined when an event or task switch saved EFLAGS */
	const char *taint;       /* why the states may legitimately differ, or NULL */
	char error[256];
};

struct fz {
	struct rg_env *ei, *eb;  /* the interpreter's machine, engine bt's machine */
	struct bt *bt;
	uint8_t *in;             /* the input with the harness's overrides */
	size_t len;
	volatile uint8_t *canary;
	ZydisDecoder dec32, dec16;
	ZydisFormatter fmt;
	bool verbose;
	uint64_t runs, compared, tainted, unfinished, unsupported;
	bool tables_written;     /* the guest wrote its paging structures (fz_table_write) */
	uint64_t stopped;        /* engine runs that stopped as the variant accepts (fz_variant_stop) */
	const char *last_input;  /* SOFTVT_FUZZ_LAST: each input is written there before it runs */
};

static struct fz *fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fz_now(void *opaque)
{
	(void)opaque;
	return rg_clock(CLOCK_MONOTONIC);
}

__attribute__((noreturn, format(printf, 1, 2))) static void fz_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, FZ_NAME ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* --- the variant: ring-0 code (here) or user code under --user direct --- */

#ifdef FUZZ_USER_DIRECT
#include "fuzz_direct.h"
#else

static const uint32_t fs_bases[8] = { 0, 0, 0, 0, 0xfffff000u, 0xffc00000u, 0xc0000000u,
				      0x80000000u };

/* The input with the harness's overrides (see the top of this file). */
static void fz_make_input(const uint8_t *data, size_t size)
{
	size_t n = size < FZ_MAX_IN ? size : FZ_MAX_IN;
	memset(fz->in, 0, RG_HEADER);
	memcpy(fz->in, data, n);
	fz->len = n < RG_HEADER ? RG_HEADER : n;
	uint8_t *h = fz->in;
	unsigned paging = RG_PAGING_4K + ((h[0] >> 3) & 3) % 3;
	h[0] = (uint8_t)(RG_PROT32 | paging << 3 | (h[0] & 0xe0));
	h[1] &= (uint8_t)~0x04;          /* TF */
	h[5] = 0;                        /* no external interrupt */
	h[10] &= (uint8_t)~(1 | 8);      /* interp_step, A20 open */
}

/* A flat-limit (4 GiB) segment descriptor of the given base and type. */
static uint64_t fz_desc(uint32_t base, unsigned type)
{
	return rg_desc(base, 0xffffffffu, type, 0, true, true, true);
}

static void fz_set(struct rg_env *e, int sr, uint16_t sel, uint64_t d)
{
	rg_put64(e, RG_GDT + sel, d);
	e->cpu.seg[sr] = rg_cache(sel, d);
}

/* The segment registers header byte 6 picks, in the GDT and in the caches. */
static void fz_variant_load(struct rg_env *e)
{
	uint8_t pick = fz->in[6];
	unsigned fs = pick & 7, gs = (pick >> 3) & 3, dses = (pick >> 5) & 3;
	uint64_t fsd = fz_desc(fs_bases[fs], fs == 2 ? 0x1 : fs == 3 ? 0xb : 0x3);
	fz_set(e, S_FS, FZ_SEL_FS, fsd);
	if (gs == 2)
		e->cpu.seg[S_GS] = rg_cache(0, 0);
	else
		fz_set(e, S_GS, FZ_SEL_GS, gs == 1 ? fsd : fz_desc(gs == 3 ? 0xc0000000u : 0, 0x3));
	if (dses & 1)
		fz_set(e, S_DS, FZ_SEL_DS_RO, fz_desc(0, 0x1));        /* read-only data */
	if (dses & 2)
		fz_set(e, S_ES, FZ_SEL_ES_CODE, fz_desc(0, 0xb));      /* readable code */
	if (pick & 0x80)
		fz_set(e, S_CS, FZ_SEL_CS_XO, fz_desc(0, 0x9));        /* execute-only code */
}

/*
 * The variant's hooks, called by the shared code: totals and set-up
 * extras, the header's choices in a report, each reference step (taint
 * for what the variant's engine legitimately does differently), an
 * engine error it accepts (counted as "stopped", not compared), checks
 * around each engine run, and which x87/SSE state is compared.
 */
static void fz_variant_totals(void)
{
}

static void fz_variant_setup(void)
{
}

static void fz_variant_header(FILE *f)
{
	const uint8_t *h = fz->in;
	fprintf(f, "header: paging %u, IDT %u, EFLAGS byte %02x, CR0 byte %02x, CR4 byte %02x, "
		   "holes %02x, segments %02x (FS kind %u base %#x, GS kind %u), extras %02x\n",
		(h[0] >> 3) & 3, h[0] >> 5, h[1], h[2], h[3], h[4], h[6], h[6] & 7,
		fs_bases[h[6] & 7], (h[6] >> 3) & 3, h[10]);
}

static void fz_variant_step(struct fz_ref *r, const struct rg_env *e, unsigned cpl_before,
			    const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops,
			    const uint32_t *gpr_before, uint32_t eflags_before)
{
	(void)r, (void)e, (void)cpl_before, (void)zi, (void)ops, (void)gpr_before,
	(void)eflags_before;
}

static bool fz_variant_stop(const char *error, bool count)
{
	(void)error, (void)count;
	return false;
}

static void fz_variant_before_run(void)
{
}

static const char *fz_variant_after_run(void)
{
	return NULL;
}

static bool fz_variant_fpu_equal(const struct fpu_state *a, const struct fpu_state *b)
{
	return !memcmp(a, b, offsetof(struct fpu_state, reserved4));
}

static bool fz_variant_ram_excused(uint32_t paddr, uint8_t interp, uint8_t engine)
{
	(void)paddr, (void)interp, (void)engine;
	return false;
}

#endif   /* FUZZ_USER_DIRECT */

/*
 * Every handler of the process must run on the sigaltstack: translated
 * code has the guest's ESP in rsp. libFuzzer and UBSan install theirs
 * (SIGALRM for -timeout, SIGINT, deadly signals) without SA_ONSTACK; add
 * it. Runs after libFuzzer's set-up (first input), after bt_create().
 */
static void fz_handlers_on_altstack(void)
{
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
			continue;
		bool custom = (sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != NULL :
			      sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
		if (custom && !(sa.sa_flags & SA_ONSTACK)) {
			sa.sa_flags |= SA_ONSTACK;
			sigaction(sig, &sa, NULL);
		}
	}
}

static void fz_totals(void)
{
	fprintf(stderr, FZ_NAME ": totals: %llu runs, %llu compared, %llu tainted, %llu unfinished, "
			"%llu unsupported, %llu stopped", (unsigned long long)fz->runs,
		(unsigned long long)fz->compared, (unsigned long long)fz->tainted,
		(unsigned long long)fz->unfinished, (unsigned long long)fz->unsupported,
		(unsigned long long)fz->stopped);
	fz_variant_totals();
	fprintf(stderr, "\n");
}

/* The interpreter's bus hook: a guest write hit a page marked as code. */
static void fz_table_write(void *opaque, uint32_t paddr_page)
{
	struct fz *f = opaque;
	if (paddr_page >= FZ_TABLES && paddr_page < FZ_TABLES_END)
		f->tables_written = true;
}

static void fz_setup(void)
{
	char why[256];
	fz = calloc(1, sizeof(*fz));
	if (!fz)
		fz_die("out of memory");
	fz->in = malloc(FZ_MAX_IN);
	fz->ei = rg_create(why, sizeof(why));
	if (!fz->in || !fz->ei)
		fz_die("%s", fz->in ? why : "out of memory");
	fz->eb = rg_create(why, sizeof(why));
	if (!fz->eb)
		fz_die("%s", why);
	fz->ei->v->bus.on_code_write = fz_table_write;
	fz->ei->v->bus.hook_opaque = fz;
	if (bt_probe(why, sizeof(why)) < 0 ||
	    !(fz->bt = bt_create(&fz->eb->cpu, &fz->eb->v->bus, 0, FZ_USER, why, sizeof(why)))) {
		/* not a finding: this host cannot run engine bt (scripts/fuzz-bt.sh: exit 3) */
		fprintf(stderr, FZ_NAME ": cannot run engine bt here: %s\n", why);
		_exit(FZ_EXIT_CANNOT_RUN);
	}
	void *c = mmap((void *)(uintptr_t)FZ_CANARY, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (c != (void *)(uintptr_t)FZ_CANARY)
		fz_die("cannot map the canary page at 8 GiB");
	fz->canary = c;
	memset(c, 0xa5, 4096);
	fz_handlers_on_altstack();
	fz_variant_setup();
	ZydisDecoderInit(&fz->dec32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	ZydisDecoderInit(&fz->dec16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
	ZydisFormatterInit(&fz->fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	fz->verbose = getenv("SOFTVT_FUZZ_VERBOSE") != NULL;
	fz->last_input = getenv("SOFTVT_FUZZ_LAST");
	if (getenv("SOFTVT_FUZZ_TRACE"))
		fz->ei->trace = stderr;   /* each step of the interpreter's run */
	atexit(fz_totals);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;   /* the engine is created with the first input (signal handlers, above) */
}

/* --- the input ---------------------------------------------------------- */

static void fz_load(struct rg_env *e)
{
	rg_load(e, fz->in, fz->len);
	fz_variant_load(e);
	/* HLTs after the code (random_guest.h leaves zeros, ADD [EAX],AL, where
	   most runs would slide on until the step budget and not be compared) */
	uint32_t offset = (fz->in[7] | (uint32_t)fz->in[8] << 8) & 0x1fff;
	uint32_t end = RG_CODE + offset + (uint32_t)(fz->len - RG_HEADER);
	if (end < RG_CODE + 0x10000)
		memset(e->ram.host + end, 0xf4, RG_CODE + 0x10000 - end);
}

/* --- the reference run: the interpreter, with undefined-flag tracking ---- */

static uint32_t fz_ram32(const struct rg_env *e, uint64_t paddr)
{
	return paddr + 4 <= RG_RAM_SIZE ? rg_get32(e->ram.host + paddr) : 0;
}

/*
 * Physical address of an instruction byte at linear, without the side
 * effects of paging_walk() (A bits): the harness must not change guest
 * RAM. -1 if not mapped or not readable here (MMIO, hole).
 */
static int64_t fz_code_paddr(const struct rg_env *e, uint32_t lin)
{
	const struct cpu_state *s = &e->cpu;
	uint64_t pa = lin;
	if (paging_enabled(s)) {
		if (s->cr4 & CR4_PAE) {
			uint64_t pdpte = s->pdpte[lin >> 30];
			if (!(pdpte & 1))
				return -1;
			uint64_t pda = (pdpte & 0xffffff000ull) + ((lin >> 21) & 0x1ff) * 8;
			uint64_t pde = fz_ram32(e, pda) | (uint64_t)fz_ram32(e, pda + 4) << 32;
			if (!(pde & 1))
				return -1;
			if (pde & 0x80) {
				pa = (pde & 0xfffe00000ull) | (lin & 0x1fffff);
			} else {
				uint64_t pta = (pde & 0xffffff000ull) + ((lin >> 12) & 0x1ff) * 8;
				uint64_t pte = fz_ram32(e, pta) | (uint64_t)fz_ram32(e, pta + 4) << 32;
				if (!(pte & 1))
					return -1;
				pa = (pte & 0xffffff000ull) | (lin & 0xfff);
			}
		} else {
			uint32_t pde = fz_ram32(e, (s->cr3 & ~0xfffu) + (lin >> 22) * 4);
			if (!(pde & 1))
				return -1;
			if ((pde & 0x80) && (s->cr4 & CR4_PSE)) {
				pa = (pde & 0xffc00000u) | (lin & 0x3fffff);
			} else {
				uint32_t pte = fz_ram32(e, (pde & ~0xfffu) + ((lin >> 12) & 0x3ff) * 4);
				if (!(pte & 1))
					return -1;
				pa = (pte & ~0xfffu) | (lin & 0xfff);
			}
		}
	}
	bool ram = pa < RG_RAM_END || (pa >= RG_ROM && pa < RG_ROM + RG_ROM_LEN);
	return ram ? (int64_t)pa : -1;
}

/* Decodes the instruction at CS:EIP of e; false if its bytes cannot be read or decoded. */
static bool fz_decode_at(const struct rg_env *e, ZydisDecodedInstruction *zi,
			 ZydisDecodedOperand *ops)
{
	const struct cpu_state *s = &e->cpu;
	uint8_t buf[16];
	unsigned n = 0;
	uint32_t lin = s->seg[S_CS].base + s->eip;
	while (n < 15) {
		int64_t pa = fz_code_paddr(e, lin + n);
		if (pa < 0)
			break;
		unsigned chunk = 4096 - (unsigned)((lin + n) & 0xfff);
		if (chunk > 15 - n)
			chunk = 15 - n;
		memcpy(buf + n, e->ram.host + pa, chunk);
		n += chunk;
	}
	bool c32 = (s->cr0 & CR0_PE) && !(s->eflags & EFL_VM) && (s->seg[S_CS].attr & SEG_DB);
	return n && ZYAN_SUCCESS(ZydisDecoderDecodeFull(c32 ? &fz->dec32 : &fz->dec16, buf, n, zi,
							ops));
}

static bool fz_is_shift(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR:
	case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR: case ZYDIS_MNEMONIC_RCL:
	case ZYDIS_MNEMONIC_RCR: case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD:
		return true;
	default:
		return false;
	}
}

/* The unmasked count of a shift or rotate, from the registers before it ran. */
static unsigned fz_shift_count(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops,
			       const uint32_t *gpr)
{
	const ZydisDecodedOperand *c = &ops[zi->operand_count_visible - 1];
	if (zi->operand_count_visible < 2)
		return 1;   /* D0/D1 forms: Zydis shows the implicit 1 as an operand anyway */
	if (c->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
		return (unsigned)c->imm.value.u;
	if (c->type == ZYDIS_OPERAND_TYPE_REGISTER && c->reg.value == ZYDIS_REGISTER_CL)
		return gpr[R_ECX] & 0xff;
	return 1;
}

/* The arithmetic-flag effect of one instruction that completed (no event). */
static void fz_track(struct fz_ref *r, const ZydisDecodedInstruction *zi,
		     const ZydisDecodedOperand *ops, const uint32_t *gpr_before)
{
	const ZydisAccessedFlags *f = zi->cpu_flags;
	uint32_t tested = f ? f->tested : 0;
	uint32_t written = f ? (f->modified | f->set_0 | f->set_1) : 0;
	uint32_t undefined = f ? f->undefined : 0;
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD: case ZYDIS_MNEMONIC_LAHF:
		tested |= FZ_ARITH;
		break;
	case ZYDIS_MNEMONIC_BSWAP:
		if (zi->operand_width == 16)
			r->taint = r->taint ? r->taint : "16-bit BSWAP (undefined result)";
		break;
	default:
		break;
	}
	if (fz_is_shift(zi->mnemonic)) {
		unsigned count = fz_shift_count(zi, ops, gpr_before) & 31, size = zi->operand_width;
		if (count == 0)
			return;   /* flags unchanged, none read */
		if (count > 1)
			undefined |= EFL_OF;
		if (count >= size && (zi->mnemonic == ZYDIS_MNEMONIC_SHL ||
				      zi->mnemonic == ZYDIS_MNEMONIC_SHR))
			undefined |= EFL_CF;
		if (count > size && (zi->mnemonic == ZYDIS_MNEMONIC_SHLD ||
				     zi->mnemonic == ZYDIS_MNEMONIC_SHRD)) {
			r->taint = r->taint ? r->taint : "SHLD/SHRD count beyond the operand size";
			undefined |= FZ_ARITH;
		}
	}
	if (tested & r->undef & FZ_ARITH)
		r->taint = r->taint ? r->taint : "an instruction reads an undefined flag";
	r->undef = ((r->undef & ~written) | undefined) & FZ_ARITH;
}

/* The interpreter's run: like random_guest.h's rg_execute(), with flag tracking. */
static void fz_reference(struct rg_env *e, struct fz_ref *r)
{
	memset(r, 0, sizeof(*r));
	r->exit = RG_EXIT_BUDGET;
	struct cpu_state *s = &e->cpu;
	struct vcpu *v = e->v;
	enum rg_idt idt = (enum rg_idt)(fz->in[0] >> 5);
	bool hlt_handlers = idt <= RG_IDT_HLT_D || idt == RG_IDT_EMPTY;
	unsigned repeats = 0;
	for (unsigned n = 0; n < RG_STEPS && repeats < RG_REPEATS; n++) {
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		bool decoded = fz_decode_at(e, &zi, ops);
		uint32_t gpr[8], eip0 = s->eip;
		uint16_t cs0 = s->seg[S_CS].sel, tr0 = s->tr.sel;
		memcpy(gpr, s->gpr, sizeof(gpr));
		uint32_t eflags0 = s->eflags;
		unsigned cpl0 = cpu_cpl(s);
		if (e->trace)
			rg_trace_step(e, n);
		v->delivered = false;
		v->fault_vector = -1;
		enum interp_exit why = interp_step(v);
		r->steps = n + 1;
		fz_variant_step(r, e, cpl0, decoded ? &zi : NULL, ops, gpr, eflags0);
		/* an event pushed EFLAGS (a triple fault may have pushed part of a frame) */
		bool event = v->delivered || why == INTERP_SHUTDOWN || s->tr.sel != tr0;
		if (event && r->undef) {
			r->pushed_undef |= r->undef;
			if (!hlt_handlers)
				r->taint = r->taint ? r->taint :
					   "undefined flags saved by an event, then code ran";
		}
		if (fz->tables_written)   /* also by a step that then faulted or shut down */
			r->taint = r->taint ? r->taint : "the guest wrote its paging structures";
		if (why == INTERP_HALT) {
			r->exit = RG_EXIT_HALT;
			break;
		}
		if (why == INTERP_SHUTDOWN) {
			r->exit = RG_EXIT_SHUTDOWN;
			break;
		}
		if (why == INTERP_ERROR) {
			r->exit = RG_EXIT_ERROR;
			snprintf(r->error, sizeof(r->error), "%s", v->error);
			break;
		}
		if (!v->delivered) {
			if (decoded)
				fz_track(r, &zi, ops, gpr);
			else
				r->taint = r->taint ? r->taint : "code the harness cannot decode";
		}
		repeats = s->eip == eip0 && s->seg[S_CS].sel == cs0 && !v->delivered ? repeats + 1 : 0;
	}
	flags_materialize(v);
}

/* --- the report ---------------------------------------------------------- */

static void fz_disassemble(FILE *f)
{
	uint32_t offset = (fz->in[7] | (uint32_t)fz->in[8] << 8) & 0x1fff;
	const uint8_t *code = fz->in + RG_HEADER;
	size_t len = fz->len - RG_HEADER, at = 0;
	fprintf(f, "code: %zu bytes at %#x:\n", len, RG_CODE + offset);
	for (unsigned k = 0; at < len && k < 64; k++) {
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		char text[96] = "(bad)";
		unsigned n = 1;
		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&fz->dec32, code + at, len - at, &zi, ops))) {
			n = zi.length;
			ZydisFormatterFormatInstruction(&fz->fmt, &zi, ops, zi.operand_count_visible,
							text, sizeof(text), RG_CODE + offset + at, NULL);
		}
		fprintf(f, "  %08zx  ", RG_CODE + offset + at);
		for (unsigned b = 0; b < 8; b++)
			fprintf(f, b < n ? "%02x" : "  ", b < n ? code[at + b] : 0);
		fprintf(f, "%s %s\n", n > 8 ? "+" : " ", text);
		at += n;
	}
	if (at < len)
		fprintf(f, "  ... %zu more bytes\n", len - at);
}

static const char *exit_name(int why)
{
	static const char *names[] = { "deadline", "halt", "shutdown", "error" };
	return why >= 0 && why < 4 ? names[why] : "?";
}

static int fz_vector(const struct rg_env *e)
{
	uint32_t at = e->cpu.seg[S_CS].base + e->cpu.eip - 1;
	return at >= RG_HANDLER && at < RG_HANDLER + 0x100 ? (int)(at - RG_HANDLER) : -1;
}

__attribute__((noreturn)) static void fz_finding(const char *what, const struct fz_ref *r,
						 int bt_exit)
{
	FILE *f = stderr;
	struct bt_stats st;
	bt_get_stats(fz->bt, &st);
	fprintf(f, "\n" FZ_NAME ": FINDING: %s\n", what);
	fz_variant_header(f);
	fz_disassemble(f);
	fprintf(f, "interp: %s after %u steps, vector %d, undefined flags %#x (saved %#x)%s%s\n",
		r->exit == RG_EXIT_HALT ? "halt" : r->exit == RG_EXIT_SHUTDOWN ? "shutdown" :
		r->exit == RG_EXIT_ERROR ? "error" : "budget", r->steps, fz_vector(fz->ei), r->undef,
		r->pushed_undef, r->taint ? ", tainted: " : "", r->taint ? r->taint : "");
	cpu_state_dump(&fz->ei->cpu, f);
	fprintf(f, "bt: %s, vector %d, error \"%s\"; totals: %llu entries, %llu translations, "
		   "exits branch/indirect/interp/poll/fault %llu/%llu/%llu/%llu/%llu, outside the "
		   "window %llu\n", exit_name(bt_exit), fz_vector(fz->eb), bt_vcpu(fz->bt)->error,
		(unsigned long long)st.enters, (unsigned long long)st.translations,
		(unsigned long long)st.exits[BT_EXIT_BRANCH], (unsigned long long)st.exits[BT_EXIT_INDIRECT],
		(unsigned long long)st.exits[BT_EXIT_INTERP], (unsigned long long)st.exits[BT_EXIT_POLL],
		(unsigned long long)st.exits[BT_EXIT_FAULT], (unsigned long long)st.outside_window);
	cpu_state_dump(&fz->eb->cpu, f);
	unsigned shown = 0;
	for (uint32_t a = 0; a < RG_RAM_END && shown < 16; a++)
		if (fz->ei->ram.host[a] != fz->eb->ram.host[a]) {
			fprintf(f, "RAM %05x: interp %02x bt %02x\n", a, fz->ei->ram.host[a],
				fz->eb->ram.host[a]);
			shown++;
		}
	fflush(f);
	abort();
}

/* --- the comparison ------------------------------------------------------ */

static bool seg_equal(const struct seg_cache *a, const struct seg_cache *b)
{
#ifdef FUZZ_USER_DIRECT
	/* a null selector loaded natively comes back from the host without its RPL
	   (fuzz_direct.h: accepted, the documented selector-RPL leak) */
	if (!(a->sel & ~3u) && !(b->sel & ~3u) && !(a->attr & SEG_P) && !(b->attr & SEG_P))
		return true;
#endif
	return a->sel == b->sel && a->base == b->base && a->limit == b->limit && a->attr == b->attr;
}

/* The first difference of the architectural states, or NULL. */
static const char *fz_state_diff(const struct fz_ref *r, char *buf, size_t len)
{
	const struct cpu_state *a = &fz->ei->cpu, *b = &fz->eb->cpu;
	static const char *gname[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
	for (int k = 0; k < 8; k++)
		if (a->gpr[k] != b->gpr[k]) {
			snprintf(buf, len, "%s: interp %08x, bt %08x", gname[k], a->gpr[k], b->gpr[k]);
			return buf;
		}
	if (a->eip != b->eip) {
		snprintf(buf, len, "EIP: interp %08x, bt %08x", a->eip, b->eip);
		return buf;
	}
	if ((a->eflags ^ b->eflags) & ~r->undef) {
		snprintf(buf, len, "EFLAGS: interp %08x, bt %08x (undefined %#x)", a->eflags,
			 b->eflags, r->undef);
		return buf;
	}
	static const char sname[S_NSEG][3] = { "ES", "CS", "SS", "DS", "FS", "GS" };
	for (int k = 0; k < S_NSEG; k++)
		if (!seg_equal(&a->seg[k], &b->seg[k])) {
			snprintf(buf, len, "%s: interp %04x base %08x, bt %04x base %08x", sname[k],
				 a->seg[k].sel, a->seg[k].base, b->seg[k].sel, b->seg[k].base);
			return buf;
		}
	if (!seg_equal(&a->tr, &b->tr) || !seg_equal(&a->ldtr, &b->ldtr))
		return "TR or LDTR";
	if (a->cr0 != b->cr0 || a->cr2 != b->cr2 || a->cr3 != b->cr3 || a->cr4 != b->cr4) {
		snprintf(buf, len, "CR0/CR2/CR3/CR4: interp %08x/%08x/%08x/%08x, bt %08x/%08x/%08x/%08x",
			 a->cr0, a->cr2, a->cr3, a->cr4, b->cr0, b->cr2, b->cr3, b->cr4);
		return buf;
	}
	if (memcmp(&a->gdtr, &b->gdtr, sizeof(a->gdtr)) || memcmp(&a->idtr, &b->idtr, sizeof(a->idtr)))
		return "GDTR or IDTR";
	if (memcmp(a->pdpte, b->pdpte, sizeof(a->pdpte)) || memcmp(a->dr, b->dr, sizeof(a->dr)))
		return "PDPTEs or debug registers";
	if (a->sysenter_cs != b->sysenter_cs || a->sysenter_esp != b->sysenter_esp ||
	    a->sysenter_eip != b->sysenter_eip || a->misc_enable != b->misc_enable)
		return "MSRs";
	if (!fz_variant_fpu_equal(&a->fpu, &b->fpu))
		return "x87/SSE state";
	if (a->halted != b->halted)
		return "halted";
	if (fz->ei->tsc != fz->eb->tsc)
		return "number of TSC reads";
	if (fz->ei->mmio_latch != fz->eb->mmio_latch)
		return "MMIO writes";
	return NULL;
}

/*
 * The first RAM difference, or NULL. A dword that looks like an EFLAGS
 * image in both runs and differs only in flags that were undefined when
 * an event or task switch saved EFLAGS is not one.
 */
static const char *fz_ram_diff(const struct fz_ref *r, char *buf, size_t len)
{
	const uint8_t *a = fz->ei->ram.host, *b = fz->eb->ram.host;
	for (uint32_t x = 0; x < RG_RAM_END; x++) {
		if ((x & 0xff) == 0 && !memcmp(a + x, b + x, 0x100)) {
			x += 0xff;   /* whole equal chunks: memcmp, not the instrumented loop */
			continue;
		}
		if (a[x] == b[x])
			continue;
		bool excused = fz_variant_ram_excused(x, a[x], b[x]);
		for (uint32_t s = x >= 3 ? x - 3 : 0; s <= x && s + 4 <= RG_RAM_END && !excused; s++) {
			uint32_t va = rg_get32(a + s), vb = rg_get32(b + s);
			excused = r->pushed_undef && FZ_EFLAGS_IMAGE(va) && FZ_EFLAGS_IMAGE(vb) &&
				  !((va ^ vb) & ~r->pushed_undef);
		}
		if (!excused) {
			snprintf(buf, len, "guest RAM at %#x: interp %02x, bt %02x", x, a[x], b[x]);
			return buf;
		}
	}
	if (memcmp(b + RG_ROM, fz->eb->rom, RG_ROM_LEN))
		return "engine bt changed the ROM";
	return NULL;
}

/* What must hold after every bt run, compared or not. */
static void fz_safety(const struct fz_ref *r, int why)
{
	struct bt_stats st;
	bt_get_stats(fz->bt, &st);
	if (st.outside_window)
		fz_finding("translated code faulted beyond the guest window (>= 8 GiB)", r, why);
	static uint8_t pattern[4096];
	if (!pattern[0])
		memset(pattern, 0xa5, sizeof(pattern));
	if (memcmp((const void *)fz->canary, pattern, sizeof(pattern)))
		fz_finding("the canary page at 8 GiB changed", r, why);
	if (why == INTERP_ERROR && strncmp(bt_vcpu(fz->bt)->error, "unsupported instruction ", 24) &&
	    !fz_variant_stop(bt_vcpu(fz->bt)->error, false))
		fz_finding("engine bt stopped with an error", r, why);
	const char *bad = fz_variant_after_run();
	if (bad)
		fz_finding(bad, r, why);
	if (memcmp(fz->eb->ram.host + RG_ROM, fz->eb->rom, RG_ROM_LEN))
		fz_finding("engine bt changed the ROM", r, why);
}

/*
 * SOFTVT_FUZZ_LAST: the input about to run, for a process that dies without
 * libFuzzer's crash report (a fault in a signal handler, a host exit).
 */
static void fz_save_last(const uint8_t *data, size_t size)
{
	FILE *f = fopen(fz->last_input, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		fz_die("cannot write %s", fz->last_input);
}

static int fz_run_bt(uint64_t budget_ns)
{
	fz_load(fz->eb);
	fz->eb->requests = 0;    /* random_guest.h stops interp_run() with it; bt_run() must go on */
	bt_reset(fz->bt);
	fz_variant_before_run();
	uint64_t t0 = fz_now(NULL);
	return (int)bt_run(fz->bt, t0 + budget_ns, fz_now, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz)
		fz_setup();
	fz_make_input(data, size);
	fz->runs++;
	if (fz->last_input)
		fz_save_last(data, size);

	struct fz_ref r;
	uint64_t t0 = fz_now(NULL);
	fz_load(fz->ei);
	/* the paging structures as "code" of the interpreter: guest writes to them
	   come through on_code_write (the walker's A/D updates do not) */
	fz->tables_written = false;
	for (uint32_t page = FZ_TABLES; page < FZ_TABLES_END; page += 0x1000)
		vcpu_mark_code(fz->ei->v, page);
	fz_reference(fz->ei, &r);

	uint64_t t1 = fz_now(NULL);
	struct bt_stats st0, st1;
	bt_get_stats(fz->bt, &st0);
	bool finished = r.exit == RG_EXIT_HALT || r.exit == RG_EXIT_SHUTDOWN;
	int why = fz_run_bt(finished ? FZ_DEADLINE_NS : FZ_LOOP_NS);
	if (finished && why == INTERP_DEADLINE)
		why = fz_run_bt(FZ_RETRY_NS);   /* the host may have been busy: once more, longer */
	uint64_t t2 = fz_now(NULL);
	bt_get_stats(fz->bt, &st1);
	fz_safety(&r, why);

	char buf[256];
	const char *diff = NULL;
	if (why == INTERP_ERROR && fz_variant_stop(bt_vcpu(fz->bt)->error, true))
		fz->stopped++;
	else if (r.exit == RG_EXIT_ERROR)
		fz->unsupported++;
	else if (!finished)
		fz->unfinished++;
	else if (r.taint)
		fz->tainted++;
	else {
		fz->compared++;
		int want = r.exit == RG_EXIT_HALT ? INTERP_HALT : INTERP_SHUTDOWN;
		if (why != want) {
			snprintf(buf, sizeof(buf), "the interpreter stopped with %s, engine bt with %s",
				 exit_name(want), exit_name(why));
			diff = buf;
		}
		if (!diff)
			diff = fz_state_diff(&r, buf, sizeof(buf));
		if (!diff)
			diff = fz_ram_diff(&r, buf, sizeof(buf));
	}
	if (fz->verbose)
		fprintf(stderr, FZ_NAME ": bt: %llu entries, %llu translations, %llu interpreted, "
				"exits branch/indirect/interp/poll/fault %llu/%llu/%llu/%llu/%llu, "
				"%llu code writes\n",
			(unsigned long long)(st1.enters - st0.enters),
			(unsigned long long)(st1.translations - st0.translations),
			(unsigned long long)(st1.interp_steps - st0.interp_steps),
			(unsigned long long)(st1.exits[1] - st0.exits[1]),
			(unsigned long long)(st1.exits[2] - st0.exits[2]),
			(unsigned long long)(st1.exits[3] - st0.exits[3]),
			(unsigned long long)(st1.exits[4] - st0.exits[4]),
			(unsigned long long)(st1.exits[5] - st0.exits[5]),
			(unsigned long long)(st1.code_writes - st0.code_writes));
	if (fz->verbose)
		fprintf(stderr, FZ_NAME ": run %llu: interp %s/%u steps %llu us, bt %s %llu us%s%s\n",
			(unsigned long long)fz->runs,
			r.exit == RG_EXIT_HALT ? "halt" : r.exit == RG_EXIT_SHUTDOWN ? "shutdown" :
			r.exit == RG_EXIT_ERROR ? "error" : "budget", r.steps,
			(unsigned long long)(t1 - t0) / 1000, exit_name(why),
			(unsigned long long)(t2 - t1) / 1000, r.taint ? ", tainted: " : "", r.taint ? r.taint : "");
	if (fz->verbose && why == INTERP_ERROR)
		fprintf(stderr, FZ_NAME ": bt error: %s\n", bt_vcpu(fz->bt)->error);
	if (diff)
		fz_finding(diff, &r, why);
	if ((fz->runs & (fz->runs - 1)) == 0 && fz->runs >= 1024)
		fz_totals();
	return 0;
}
