/*
 * bt.h - engine bt's core: the dispatcher that runs guest kernel code from
 * the translation cache and everything else in the interpreter.
 *
 * One loop (bt/dispatch.c): when the guest is in flat 32-bit protected
 * mode at CPL 0 with nothing to deliver, find or translate the block at
 * EIP and run it; otherwise, and for every instruction the TC leaves to it
 * (BT_EXIT_INTERP) or that faulted in a way the window cannot fix, step
 * the interpreter (cpu/interp.c) on the same cpu_state. Guest user code
 * (CPL 3) runs in the interpreter in this version (`--user interp`).
 */
#ifndef SOFTVT_BT_BT_H
#define SOFTVT_BT_BT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/interp.h"
#include "cpu/vcpu.h"

struct bt;

struct bt_stats {
	uint64_t enters, exits[8];          /* exits by enum bt_exit */
	uint64_t interp_steps, translations, tc_flushes;
	uint64_t fills_in_handler, code_writes, invalidated_blocks, chains;
	uint64_t guest_insns_translated;
	uint64_t callouts[4];               /* by enum bt_callout_kind (IN OUT RDTSC CPUID) */
	uint64_t outside_window;            /* TC page faults at host addresses >= 8 GiB (bugs) */
};

/* 0 if engine bt can run on this host, else -1 and why (FSGSBASE, the window...). */
int bt_probe(char *why, size_t whylen);

#define BT_TC_SIZE_DEFAULT (64u << 20)

/* bus as for the interpreter (its on_* hooks are taken over); tc_size: bytes of
 * translated code before the cache is flushed (0: the default). NULL + err on failure. */
struct bt *bt_create(struct cpu_state *s, const struct cpu_bus *bus, size_t tc_size,
		     char *err, size_t errlen);
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

/* Makes a running bt_run() look at its requests soon. Async-signal-safe. */
void bt_kick(struct bt *bt);

/* The interpreter inside (its error text, instruction count). */
struct vcpu *bt_vcpu(struct bt *bt);
void bt_get_stats(const struct bt *bt, struct bt_stats *out);
void bt_print_stats(struct bt *bt, double seconds, void *file /* FILE * */);

#endif
