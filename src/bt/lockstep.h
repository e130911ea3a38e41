/*
 * lockstep.h - engine bt's lockstep check: every translated instruction
 * runs in the interpreter and in the translation cache from the same
 * state, and the results are compared (see lockstep.c).
 */
#ifndef SOFTVT_BT_LOCKSTEP_H
#define SOFTVT_BT_LOCKSTEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu_state.h"
#include "cpu/interp.h"

#define LOCKSTEP_MAX_WRITES 64   /* PUSHA, string steps, FXSAVE... write more: not compared */

struct lockstep_write {
	uint32_t paddr;
	unsigned size;
	uint32_t old, now;
};

struct lockstep {
	bool on, logging, overflow;
	bool pending;              /* on from start_ns (and paging on, with after_paging) */
	bool after_paging;
	uint64_t start_ns;
	struct cpu_state before, after;
	struct lockstep_write w[LOCKSTEP_MAX_WRITES];
	unsigned n;
	uint32_t undefined_flags;   /* EFLAGS bits the SDM leaves undefined for the instruction */
	uint64_t checked, differences;
};

struct bt;
void lockstep_enable(struct bt *bt);
/* Runs the instruction at EIP in the interpreter and undoes it; *skip_tc:
 * the interpreter's result stands (return value as interp_step's). */
enum interp_exit lockstep_before(struct bt *bt, bool *skip_tc);
/* After the TC ran it (and its exit was handled): true if the states agree,
 * else false with a one-line report. */
bool lockstep_after(struct bt *bt, char *report, size_t len);

#endif
