/*
 * far_gate.c - far JMP/CALL through a call gate (SDM vol. 3A 5.8).
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu/vcpu.h"

void far_gate(struct vcpu *v, uint16_t sel, uint64_t gate, bool call, unsigned opsize,
	      uint32_t ret_eip);

void far_gate(struct vcpu *v, uint16_t sel, uint64_t gate, bool call, unsigned opsize,
	      uint32_t ret_eip)
{
	(void)gate;
	(void)opsize;
	(void)ret_eip;
	vcpu_unsupported(v, "far %s through call gate %04x is not implemented yet",
			 call ? "CALL" : "JMP", sel);
}
