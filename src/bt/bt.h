/*
 * bt.h - engine bt's core: the dispatcher that runs guest kernel code from
 * the translation cache and everything else in the interpreter.
 *
 * One loop (bt/dispatch.c): when the guest is in flat 32-bit protected
 * mode at CPL 0 with nothing to deliver, find or translate the block at
 * EIP and run it; otherwise, and for every instruction the TC leaves to it
 * (BT_EXIT_INTERP) or that faulted in a way the window cannot fix, step
 * the interpreter (cpu/interp.c) on the same cpu_state. Guest user code
 * (CPL 3) runs directly on the CPU (`--user direct`, bt/user_direct.c on
 * top of src/direct/) or in the interpreter (`--user interp`).
 */
#ifndef SOFTVT_BT_BT_H
#define SOFTVT_BT_BT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "bt/tc.h"
#include "cpu/interp.h"
#include "cpu/vcpu.h"
#include "mmu/window.h"

struct bt;

/*
 * What engine bt counted (bt_get_stats()). Counters cost nothing measurable:
 * they are kept by the dispatcher and the translator, never by translated
 * code. So what happens inside the TC is not counted: chained jumps and
 * inline jump-cache hits (RET, indirect JMP/CALL) run without a counter;
 * their misses are exits[BT_EXIT_INDIRECT].
 */
#define BT_STATS_MNEMONICS 2048   /* > ZYDIS_MNEMONIC_MAX_VALUE (as INTERP_MNEMONICS) */

/* Why guest user code running directly came back to the monitor (--user direct). */
enum bt_direct_exit {
	BT_DX_PAGE_FAULT,   /* #PF the window could not fix: guest #PF, MMIO, code page */
	BT_DX_GP,           /* #GP: privileged instruction, INT n, truncated segment limit */
	BT_DX_UD,           /* #UD (SYSENTER on AMD hosts, undefined opcodes) */
	BT_DX_DE,           /* divide error */
	BT_DX_TRAP,         /* INT3, INTO, single-step */
	BT_DX_FPU,          /* x87 #MF, SIMD #XM */
	BT_DX_OTHER,        /* #SS, #NP, #AC, #BR, SIGBUS */
	BT_DX_INT80,        /* INT 0x80 (seccomp) */
	BT_DX_FAST_SYSCALL, /* compat SYSCALL/SYSENTER (seccomp, EIP lost) or a 64-bit syscall */
	BT_DX_PREEMPT,      /* the run's deadline timer */
	BT_DX_N
};

struct bt_stats {
	uint64_t enters, exits[8];          /* block entries; exits by enum bt_exit */

	/* dispatcher lookups of the block at EIP: its jump cache, the block
	 * index, translated now, nothing translatable (interpreted) */
	uint64_t lookup_jc, lookup_index, translations, lookup_none;
	uint64_t tc_flushes;
	uint64_t chains, unchains;          /* exits patched to jump into the next block; undone */

	/* interpreter steps (one instruction or event each), by why */
	uint64_t interp_steps;
	uint64_t step_tc_exit;   /* an instruction the TC does not run (BT_EXIT_INTERP or a
				    block whose first instruction leaves the TC) */
	uint64_t step_fault;     /* re-execution of an instruction that faulted in the TC */
	uint64_t step_user;      /* CPL 3 outside v8086 (--user interp) */
	uint64_t step_mode;      /* other modes the TC does not run: real, v8086, non-flat, TF */
	uint64_t step_event;     /* interrupt delivery, HLT, interrupt shadow */
	uint64_t step_no_block;  /* EIP not translatable (fetch fault, MMIO code) */
	uint64_t step_lockstep;  /* --lockstep: the interpreter's run of an instruction the TC
				    then runs too (bt/lockstep.c) */
	/* step_tc_exit by ZydisMnemonic (0: undecodable, or crossing the page end) */
	uint64_t tc_exit_mnemonic[BT_STATS_MNEMONICS];

	/* callouts from the TC (IN OUT RDTSC CPUID run without leaving it), by
	 * enum bt_callout_kind */
	uint64_t callouts[BT_CO_NKINDS];
	uint64_t segload_refused;           /* BT_CO_SEGLOAD left to the interpreter */

	/* faults and self-modifying code */
	uint64_t fills_in_handler;          /* shadow fills done in the SIGSEGV handler */
	uint64_t code_writes;               /* TC writes to a page with translations */
	uint64_t interp_code_writes;        /* interpreter writes to such a page */
	uint64_t invalidated_blocks;
	uint64_t outside_window;            /* TC page faults at host addresses >= 8 GiB (bugs) */

	/* --user direct: guest user code on the CPU (bt/user_direct.c) */
	uint64_t direct_enters;
	uint64_t direct_exits[BT_DX_N];     /* by enum bt_direct_exit */
	uint64_t direct_fills;              /* user page faults mapped in the handler, no exit */
	uint64_t direct_alias;              /* ring-alias repairs: a guest selector loaded natively */
	uint64_t direct_refused;            /* user code whose segments the host LDT cannot mirror */
	uint64_t ldt_writes;                /* modify_ldt calls */
	/* where bt_run()'s time went, in TSC cycles: directly run user code,
	 * interpreter steps, and all of bt_run() (the rest: translated code and
	 * the dispatcher) */
	uint64_t tsc_direct, tsc_interp, tsc_run;

	/* filled by bt_get_stats() only */
	double tsc_hz;                      /* TSC rate measured over the run, for seconds */
	bool lockstep;                      /* --lockstep: the check has started */
	uint64_t lockstep_checked;          /* instructions checked against the interpreter */
	uint64_t lockstep_differences;
	struct tc_stats tc;                 /* the translator's counts (bt/tc.h) */
	struct window_stats win;            /* the guest window (mmu/window.h) */
};

/* 0 if engine bt can run on this host, else -1 and why (FSGSBASE, the window...). */
int bt_probe(char *why, size_t whylen);

#define BT_TC_SIZE_DEFAULT (64u << 20)

/* bus as for the interpreter (its on_* hooks are taken over); tc_size: bytes of
 * translated code before the cache is flushed (0: the default). NULL + err on failure. */
enum bt_user_mode {
	BT_USER_INTERP,     /* guest user code in the interpreter */
	BT_USER_DIRECT,     /* guest user code natively in a 32-bit segment (src/direct/) */
	BT_USER_BT,         /* guest user code translated too (it can never leave the window) */
	BT_USER_NAIVE,      /* --accel naive: user AND kernel code run directly, kernel code
			       deprivileged to ring 3 (trap-and-emulate; wrong by design) */
};

struct bt *bt_create(struct cpu_state *s, const struct cpu_bus *bus, size_t tc_size,
		     enum bt_user_mode user, char *err, size_t errlen);
void bt_destroy(struct bt *bt);

/*
 * Forgets everything the engine has learnt about the guest: translations,
 * chains, the jump cache, window mappings and code-page protection, the
 * inner interpreter's TLB and decoded instructions. For a caller that
 * rewrites guest RAM and the cpu_state behind the engine's back (the
 * bt-vs-interp fuzzer runs every input on one engine: only one can exist
 * per process). Not while bt_run() runs.
 */
void bt_reset(struct bt *bt);

/* Runs until the deadline, a stop request, HLT, a shutdown or an error (as interp_run). */
enum interp_exit bt_run(struct bt *bt, uint64_t deadline_ns, uint64_t (*now)(void *),
			void *now_opaque);

/* The lockstep check (bt/lockstep.c): every translated instruction is also
 * run by the interpreter and the results compared; slow, for testing. It
 * starts at the first bt_run() at or after start_ns on the run's clock and,
 * with after_paging, once the guest has turned paging on. */
void bt_set_lockstep(struct bt *bt, uint64_t start_ns, bool after_paging);

/* The translation viewer: print to f every block as it is translated (all), or the
 * blocks that contain guest address eip. f NULL: off. */
void bt_set_show(struct bt *bt, FILE *f, bool all, uint32_t eip);

/* Makes a running bt_run() look at its requests soon. Async-signal-safe. */
void bt_kick(struct bt *bt);

/* The interpreter inside (its error text, instruction count). */
struct vcpu *bt_vcpu(struct bt *bt);
/* A snapshot of the counters (vmm/stats_bt.c prints them and writes them as JSON). */
void bt_get_stats(const struct bt *bt, struct bt_stats *out);

#endif
