/*
 * task.h - hardware task switches (SDM vol. 3A ch. 7): through a task gate
 * in the IDT (used by Linux's double-fault handler), and by JMP/CALL to a
 * TSS or task gate and IRET with NT=1.
 */
#ifndef SOFTVT_CPU_TASK_H
#define SOFTVT_CPU_TASK_H

#include <stdint.h>

#include "cpu/vcpu.h"

enum task_source { TASK_FROM_JMP, TASK_FROM_CALL, TASK_FROM_INT, TASK_FROM_IRET };

/*
 * Switches to the task whose TSS selector is sel: saves the current state
 * into the current TSS, loads the new one, updates busy bits, NT and the
 * back link as the source requires. ext is the EXT bit for error codes.
 *
 * The caller has put the outgoing task's resume address in s->eip (the
 * next instruction for JMP/CALL/IRET and INT n, the faulting one for a
 * fault). Faults detected before the commit point leave every register
 * as it was; faults after it (a bad selector in the new TSS) are raised
 * in the context of the new task, with v->insn_eip/insn_esp moved there
 * so that the execution loop's roll-back keeps the new task's CS:EIP.
 */
void task_switch(struct vcpu *v, uint16_t sel, enum task_source source, uint32_t ext);

/*
 * SS:ESP of privilege level dpl from the current TSS (32- or 16-bit), for
 * the stack switch of an interrupt or a call gate (SDM vol. 3A 5.8.5,
 * 6.12.1). #TS(TR selector | ext) when the entry lies beyond the TSS limit
 * (the INT n and CALL pseudocode: offset + 7 for a 32-bit TSS, + 4 for a
 * 16-bit one).
 */
void task_inner_stack(struct vcpu *v, unsigned dpl, uint32_t ext, uint16_t *ss, uint32_t *esp);

#endif
