/*
 * far_gate.c - far JMP/CALL through a call gate (SDM vol. 3A 5.8, and the
 * CALL/JMP pseudocode of vol. 2A).
 *
 * Checks, in the SDM's order: gate DPL >= CPL and >= RPL (#GP(gate)), gate
 * present (#NP(gate)), target selector not null (#GP(0)), within its table
 * and a code segment (#GP(code)), privilege (#GP(code)): CALL needs
 * DPL <= CPL, JMP needs conforming DPL <= CPL or non-conforming DPL = CPL,
 * code present (#NP(code)).
 *
 * The gate, not the instruction, decides the size of what is pushed and of
 * the target offset: a 32-bit gate (type 0Ch) pushes dwords, a 16-bit gate
 * (type 04h) words and a 16-bit IP.
 *
 * CALL to a more privileged non-conforming segment (5.8.5, figure 5-13)
 * switches to the stack of the target DPL read from the current TSS
 * (#TS(TR) beyond its limit; #TS for a bad new SS, #SS(SS) if not
 * present or if the frame does not fit), then pushes, on the new stack:
 * the old SS and ESP, param_count (gate bits 36:32) parameters copied from
 * the old stack, the old CS and EIP. Everything is read and written before
 * any register changes, so every fault leaves the caller's state intact.
 * JMP never changes privilege; the new CPL is that of the caller (CS.RPL
 * = CPL) except for the inner call.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu/far.h"
#include "cpu/mem.h"
#include "cpu/ops_common.h"
#include "cpu/segments.h"
#include "cpu/task.h"

#define MAX_GATE_PARAMS 31

/* Offset of the k-th slot below top on a stack segment, with its limit check (#SS(err)). */
static uint32_t frame_slot(struct vcpu *v, const struct seg_cache *ss, uint32_t top, unsigned k,
			   unsigned size, uint32_t err)
{
	bool big = ss->attr & SEG_DB;
	uint32_t off = top - (k + 1) * size;
	if (!big)
		off &= 0xffff;
	uint32_t last = off + size - 1;
	bool expand_down = (ss->attr & 0xc) == 0x4;
	bool bad = expand_down ? off <= ss->limit || last > (big ? 0xffffffffu : 0xffffu) || last < off
			       : last > ss->limit || last < off;
	if (bad)
		vcpu_fault(v, EXC_SS, err);
	return off;
}

static void call_inner(struct vcpu *v, uint16_t csel, uint64_t cd, uint32_t caddr,
		       uint32_t offset, unsigned size, unsigned nparams, uint32_t ret_eip)
{
	struct cpu_state *s = v->s;
	unsigned dpl = desc_dpl(cd);
	uint16_t nss;
	uint32_t nesp;
	task_inner_stack(v, dpl, 0, &nss, &nesp);
	uint64_t sd = seg_check_inner_ss(v, nss, dpl, 0);
	struct seg_cache newss;
	seg_from_desc(&newss, nss, sd | (1ull << 40));

	/* The frame, highest address first: SS, ESP, parameters, CS, EIP. */
	uint32_t vals[4 + MAX_GATE_PARAMS];
	unsigned n = 0;
	uint32_t old_sp = stack_ptr(v);
	vals[n++] = s->seg[S_SS].sel;
	vals[n++] = size == 2 ? old_sp & 0xffff : s->gpr[R_ESP];
	for (unsigned k = nparams; k-- > 0;) {
		uint32_t at = old_sp + k * size;
		if (!stack32(v))
			at &= 0xffff;
		vals[n++] = vmem_read(v, S_SS, at, size);
	}
	vals[n++] = s->seg[S_CS].sel;
	vals[n++] = ret_eip;

	uint32_t top = (newss.attr & SEG_DB) ? nesp : nesp & 0xffff;
	uint32_t offs[4 + MAX_GATE_PARAMS];
	for (unsigned k = 0; k < n; k++)
		offs[k] = frame_slot(v, &newss, top, k, size, sel_error(nss));
	if (offset > desc_limit(cd))
		vcpu_fault(v, EXC_GP, 0);
	for (unsigned k = 0; k < n; k++)
		lin_probe_write(v, newss.base + offs[k], size, false);
	for (unsigned k = 0; k < n; k++)
		sys_write(v, newss.base + offs[k], size, vals[k]);

	/* Commit. */
	desc_set_accessed(v, cd, caddr);
	s->seg[S_SS] = newss;
	uint32_t nsp = offs[n - 1];
	if (newss.attr & SEG_DB)
		s->gpr[R_ESP] = nsp;
	else
		s->gpr[R_ESP] = (nesp & 0xffff0000u) | (nsp & 0xffff);
	seg_set_cs(v, csel, cd, dpl);
	s->eip = offset;
}

void far_gate(struct vcpu *v, uint16_t sel, uint64_t gate, bool call, unsigned opsize,
	      uint32_t ret_eip)
{
	struct cpu_state *s = v->s;
	unsigned cpl = cpu_cpl(s);
	(void)opsize;   /* the gate's size rules (SDM CALL: "CallGateSize") */
	if (desc_dpl(gate) < cpl || desc_dpl(gate) < (sel & 3u))
		vcpu_fault(v, EXC_GP, sel_error(sel));
	if (!desc_present(gate))
		vcpu_fault(v, EXC_NP, sel_error(sel));

	bool gate32 = desc_type(gate) & 0x8;
	unsigned size = gate32 ? 4 : 2;
	uint16_t csel = (uint16_t)(gate >> 16);
	uint32_t offset = (uint32_t)(gate & 0xffff);
	if (gate32)
		offset |= (uint32_t)(gate >> 32) & 0xffff0000u;
	unsigned nparams = (unsigned)(gate >> 32) & 0x1f;

	if ((csel & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, 0);
	uint64_t cd;
	uint32_t caddr;
	if (desc_read(v, csel, &cd, &caddr) < 0 || !desc_is_code_data(cd) ||
	    !(desc_type(cd) & 0x8))
		vcpu_fault(v, EXC_GP, sel_error(csel));
	bool conforming = desc_type(cd) & 0x4;
	unsigned dpl = desc_dpl(cd);
	if (call ? dpl > cpl : (conforming ? dpl > cpl : dpl != cpl))
		vcpu_fault(v, EXC_GP, sel_error(csel));
	if (!desc_present(cd))
		vcpu_fault(v, EXC_NP, sel_error(csel));

	if (call && !conforming && dpl < cpl) {
		call_inner(v, csel, cd, caddr, offset, size, nparams, ret_eip);
		return;
	}

	/* Same privilege: CS:EIP from the gate, CS.RPL = CPL. */
	uint32_t sp = stack_ptr(v);
	if (call) {
		uint32_t mask = stack32(v) ? 0xffffffffu : 0xffff;
		vmem_write(v, S_SS, (sp - size) & mask, size, s->seg[S_CS].sel);
		vmem_write(v, S_SS, (sp - 2 * size) & mask, size, ret_eip);
	}
	if (offset > desc_limit(cd))
		vcpu_fault(v, EXC_GP, 0);
	desc_set_accessed(v, cd, caddr);
	if (call)
		stack_set(v, sp - 2 * size);
	seg_set_cs(v, csel, cd, cpl);
	s->eip = offset;
}
