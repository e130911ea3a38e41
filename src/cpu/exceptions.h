/*
 * exceptions.h - delivering interrupts and exceptions (SDM vol. 3A ch. 6),
 * written once for every engine.
 *
 * Real mode: through the IVT (FLAGS, CS, IP pushed; IF, TF, AC cleared).
 * Protected mode and v8086: through the IDT's interrupt, trap and task
 * gates, with the privilege checks, the stack switch through the TSS and
 * the v8086 frame. A fault while delivering another event follows the
 * double-fault table (SDM vol. 3A table 6-5); a fault while delivering #DF
 * is a shutdown.
 */
#ifndef SOFTVT_CPU_EXCEPTIONS_H
#define SOFTVT_CPU_EXCEPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/vcpu.h"

enum event_kind {
	EVENT_EXTERNAL,     /* INTR from the PIC (or NMI): EXT=1 in error codes */
	EVENT_EXCEPTION,    /* a processor exception */
	EVENT_SOFTWARE,     /* INT n, INT3, INTO: gate DPL must be >= CPL */
};

/*
 * Delivers an event with CS:EIP as the return address (the caller has set
 * s->eip: the faulting instruction for faults, the next one for traps and
 * software interrupts). May fault (longjmp) while pushing or loading.
 */
void exceptions_deliver(struct vcpu *v, int vector, enum event_kind kind, bool has_error,
			uint32_t error);

/* Delivers v->fault_vector (after vcpu_fault) with #DF escalation. Returns -1 on shutdown. */
int exceptions_deliver_fault(struct vcpu *v);

/* Whether a vector pushes an error code when raised as an exception. */
bool exception_has_error(int vector);

#endif
