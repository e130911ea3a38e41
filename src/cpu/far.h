/*
 * far.h - far transfers: JMP/CALL to another code segment, far RET and
 * IRET in real, protected and v8086 mode (SDM vol. 2 pseudocode of JMP,
 * CALL, RET, IRET), written once for every engine.
 *
 * On return, the new CS:EIP is in the state; the caller's next_eip must
 * follow s->eip. All checks and stack reads/writes happen before any
 * register is changed.
 */
#ifndef SOFTVT_CPU_FAR_H
#define SOFTVT_CPU_FAR_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/vcpu.h"

void far_jump(struct vcpu *v, uint16_t sel, uint32_t offset, unsigned opsize);
/* ret_eip: the return address to push (the next instruction). */
void far_call(struct vcpu *v, uint16_t sel, uint32_t offset, unsigned opsize, uint32_t ret_eip);
void far_return(struct vcpu *v, unsigned opsize, uint16_t release);
void far_iret(struct vcpu *v, unsigned opsize);
/* JMP/CALL through the call gate `gate` selected by sel (far_gate.c, SDM vol. 3A 5.8). */
void far_gate(struct vcpu *v, uint16_t sel, uint64_t gate, bool call, unsigned opsize,
	      uint32_t ret_eip);

#endif
