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
 */
void task_switch(struct vcpu *v, uint16_t sel, enum task_source source, uint32_t ext);

#endif
