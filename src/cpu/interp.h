/*
 * interp.h - the reference interpreter: executes guest instructions
 * against a struct vcpu, a decoded block (cpu/block.h) at a time.
 *
 * Handlers are registered per Zydis mnemonic by the ops_*.c files (one
 * instruction class per file, named like the SDM's operand notation
 * where it helps: op_add, op_mov_cr, ...); cpu/dispatch.c picks one per
 * decoded instruction, preferring the operand-specialized forms of
 * ops_fast.c. A mnemonic without a handler raises #UD if it is not part
 * of the P6 model, and stops the engine with "unsupported instruction" if
 * it is (a gap in softvt, not a guest error).
 */
#ifndef SOFTVT_CPU_INTERP_H
#define SOFTVT_CPU_INTERP_H

#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/vcpu.h"

#define INTERP_MNEMONICS 2048   /* > ZYDIS_MNEMONIC_MAX_VALUE, checked in interp.c */

struct handler_table {
	insn_handler fn[INTERP_MNEMONICS];
};

/* Each ops_*.c file registers its handlers. */
void ops_alu_register(struct handler_table *t);
void ops_data_register(struct handler_table *t);
void ops_stack_register(struct handler_table *t);
void ops_control_register(struct handler_table *t);
void ops_string_register(struct handler_table *t);
void ops_system_register(struct handler_table *t);
void ops_bits_register(struct handler_table *t);    /* BT*, BSF/BSR, BSWAP, XADD, CMPXCHG*, BCD */
void ops_fpu_register(struct handler_table *t);     /* x87, FXSAVE/FXRSTOR */
void ops_xsave_register(struct handler_table *t);   /* XSAVE, XCR0, MXCSR, fences */

enum interp_exit {
	INTERP_DEADLINE,     /* deadline or a request: return to the run loop */
	INTERP_HALT,         /* HLT */
	INTERP_SHUTDOWN,     /* triple fault */
	INTERP_ERROR,        /* unsupported instruction: v->error */
};

/* Sets up v (state, bus, caches). Returns 0 or -1 (out of memory). */
int interp_init(struct vcpu *v, struct cpu_state *s, const struct cpu_bus *bus);
void interp_fini(struct vcpu *v);

/* Runs until the deadline (on the bus's clock via now()), a request, HLT or an error. */
enum interp_exit interp_run(struct vcpu *v, uint64_t deadline_ns, uint64_t (*now)(void *),
			    void *now_opaque);


/* Executes exactly one instruction (or delivers one pending event); for tests. */
enum interp_exit interp_step(struct vcpu *v);

/*
 * One event, or decoded blocks from EIP until one ends with an instruction
 * that changes the execution environment (a far transfer, INT, SYSENTER,
 * IRET, a segment or CR load...), budget blocks have run, an interrupt is
 * pending or a stop is requested: for an engine that interprets some of
 * the guest (engine bt's user code) without giving up control for long.
 */
enum interp_exit interp_run_blocks(struct vcpu *v, unsigned budget);

/*
 * Runs fn(v, arg) as if it were an instruction at s->eip: a fault it
 * raises (vcpu_fault) rolls EIP and ESP back and is delivered through the
 * guest's IDT, like an instruction's. For engines that must apply an
 * architectural action outside an instruction (deliver a trap, load a
 * segment the guest loaded natively).
 */
enum interp_exit interp_call(struct vcpu *v, void (*fn)(struct vcpu *, void *), void *arg);

#endif
