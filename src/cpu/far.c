/*
 * far.c - far JMP, CALL, RET and IRET (see far.h).
 *
 * Implemented: real and v8086 forms; protected-mode transfers to code
 * segments (conforming and non-conforming) at the same privilege; far RET
 * and IRET to the same or an outer privilege; IRET back to v8086 mode;
 * IRET with NT=1 and JMP/CALL to a TSS or task gate through task_switch().
 * Call gates are handled by far_gate.c.
 */
#include "cpu/far.h"

#include "cpu/flags.h"
#include "cpu/mem.h"
#include "cpu/ops_common.h"
#include "cpu/segments.h"
#include "cpu/task.h"

static bool real_or_v86(const struct cpu_state *s)
{
	return !(s->cr0 & CR0_PE) || (s->eflags & EFL_VM);
}

static void set_eip(struct vcpu *v, uint32_t offset, unsigned opsize)
{
	v->s->eip = opsize == 2 ? offset & 0xffff : offset;
}

/*
 * Real and v8086 mode: the target must lie within the CS limit, which a
 * real-mode CS load leaves as it is (SDM JMP, CALL, RET, IRET: #GP(0) in
 * real-address and virtual-8086 mode). Checked before anything changes.
 */
static void check_real_target(struct vcpu *v, uint32_t offset, unsigned opsize)
{
	if ((opsize == 2 ? offset & 0xffff : offset) > v->s->seg[S_CS].limit)
		vcpu_fault(v, EXC_GP, 0);
}

/*
 * Checks a code/data-segment target of JMP/CALL at the same privilege (SDM
 * JMP/CALL: must be code; conforming DPL <= CPL; non-conforming RPL <= CPL,
 * DPL == CPL; present; offset within the limit).
 */
static void check_code_target(struct vcpu *v, uint16_t sel, uint64_t d, uint32_t offset,
			      unsigned opsize)
{
	unsigned cpl = cpu_cpl(v->s);
	if (!(desc_type(d) & 0x8))
		vcpu_fault(v, EXC_GP, sel_error(sel));   /* a data segment */
	if (desc_type(d) & 0x4) {
		if (desc_dpl(d) > cpl)
			vcpu_fault(v, EXC_GP, sel_error(sel));
	} else if ((sel & 3) > cpl || desc_dpl(d) != cpl) {
		vcpu_fault(v, EXC_GP, sel_error(sel));
	}
	if (!desc_present(d))
		vcpu_fault(v, EXC_NP, sel_error(sel));
	uint32_t eip = opsize == 2 ? offset & 0xffff : offset;
	if (eip > desc_limit(d))
		vcpu_fault(v, EXC_GP, 0);
}

/* Reads the descriptor of a far JMP/CALL target; dispatches system targets. */
static bool read_target(struct vcpu *v, uint16_t sel, uint64_t *d, uint32_t *addr)
{
	if ((sel & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, 0);
	if (desc_read(v, sel, d, addr) < 0)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	return desc_is_code_data(*d);
}

static void system_target(struct vcpu *v, uint16_t sel, uint64_t d, bool call, unsigned opsize,
			  uint32_t ret_eip)
{
	unsigned type = desc_type(d), cpl = cpu_cpl(v->s);
	switch (type) {
	case 0x4: case 0xc:   /* call gates */
		far_gate(v, sel, d, call, opsize, ret_eip);
		return;
	case 0x1: case 0x9:   /* available TSS */
	case 0x5:             /* task gate */
		if (desc_dpl(d) < cpl || desc_dpl(d) < (sel & 3))
			vcpu_fault(v, EXC_GP, sel_error(sel));
		if (!desc_present(d))
			vcpu_fault(v, EXC_NP, sel_error(sel));
		v->s->eip = ret_eip;
		task_switch(v, type == 0x5 ? (uint16_t)(d >> 16) : sel,
			    call ? TASK_FROM_CALL : TASK_FROM_JMP, 0);
		return;
	default:
		vcpu_fault(v, EXC_GP, sel_error(sel));
	}
}

void far_jump(struct vcpu *v, uint16_t sel, uint32_t offset, unsigned opsize)
{
	struct cpu_state *s = v->s;
	if (real_or_v86(s)) {
		check_real_target(v, offset, opsize);
		seg_load_real(v, S_CS, sel);
		set_eip(v, offset, opsize);
		return;
	}
	uint64_t d;
	uint32_t addr;
	if (!read_target(v, sel, &d, &addr)) {
		system_target(v, sel, d, false, opsize, v->next_eip);
		return;
	}
	check_code_target(v, sel, d, offset, opsize);
	desc_set_accessed(v, d, addr);
	seg_set_cs(v, sel, d, cpu_cpl(s));
	set_eip(v, offset, opsize);
}

void far_call(struct vcpu *v, uint16_t sel, uint32_t offset, unsigned opsize, uint32_t ret_eip)
{
	struct cpu_state *s = v->s;
	uint32_t sp = stack_ptr(v);
	uint32_t mask = stack32(v) ? 0xffffffffu : 0xffff;
	if (real_or_v86(s)) {
		check_real_target(v, offset, opsize);
		vmem_write(v, S_SS, (sp - opsize) & mask, opsize, s->seg[S_CS].sel);
		vmem_write(v, S_SS, (sp - 2 * opsize) & mask, opsize, ret_eip);
		stack_set(v, sp - 2 * opsize);
		seg_load_real(v, S_CS, sel);
		set_eip(v, offset, opsize);
		return;
	}
	uint64_t d;
	uint32_t addr;
	if (!read_target(v, sel, &d, &addr)) {
		system_target(v, sel, d, true, opsize, ret_eip);
		return;
	}
	check_code_target(v, sel, d, offset, opsize);
	vmem_write(v, S_SS, (sp - opsize) & mask, opsize, s->seg[S_CS].sel);
	vmem_write(v, S_SS, (sp - 2 * opsize) & mask, opsize, ret_eip);
	desc_set_accessed(v, d, addr);
	stack_set(v, sp - 2 * opsize);
	seg_set_cs(v, sel, d, cpu_cpl(s));
	set_eip(v, offset, opsize);
}

/*
 * Checks the CS popped by RET/IRET (SDM RET, "RETURN-TO-SAME/OUTER-
 * PRIVILEGE-LEVEL"); returns its descriptor.
 */
static uint64_t check_return_cs(struct vcpu *v, uint16_t sel, uint32_t *addr)
{
	unsigned cpl = cpu_cpl(v->s), rpl = sel & 3;
	if ((sel & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, 0);
	uint64_t d;
	if (desc_read(v, sel, &d, addr) < 0)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	if (!desc_is_code_data(d) || !(desc_type(d) & 0x8) || rpl < cpl)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	if ((desc_type(d) & 0x4) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	if (!desc_present(d))
		vcpu_fault(v, EXC_NP, sel_error(sel));
	return d;
}

/* Checks the SS popped when returning to an outer level rpl. */
static uint64_t check_return_ss(struct vcpu *v, uint16_t ss, unsigned rpl, uint32_t *addr)
{
	if ((ss & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, 0);
	uint64_t d;
	if (desc_read(v, ss, &d, addr) < 0)
		vcpu_fault(v, EXC_GP, sel_error(ss));
	if ((ss & 3) != rpl || desc_dpl(d) != rpl || !desc_is_code_data(d) ||
	    (desc_type(d) & 0xa) != 0x2)
		vcpu_fault(v, EXC_GP, sel_error(ss));
	if (!desc_present(d))
		vcpu_fault(v, EXC_SS, sel_error(ss));
	return d;
}

void far_return(struct vcpu *v, unsigned opsize, uint16_t release)
{
	struct cpu_state *s = v->s;
	uint32_t eip = stack_peek(v, opsize, 0);
	uint16_t cs = (uint16_t)stack_peek(v, opsize, opsize);
	if (real_or_v86(s)) {
		check_real_target(v, eip, opsize);
		stack_set(v, stack_ptr(v) + 2 * opsize + release);
		seg_load_real(v, S_CS, cs);
		set_eip(v, eip, opsize);
		return;
	}
	uint32_t caddr;
	uint64_t cd = check_return_cs(v, cs, &caddr);
	unsigned rpl = cs & 3;
	if (rpl == cpu_cpl(s)) {
		if ((opsize == 2 ? eip & 0xffff : eip) > desc_limit(cd))
			vcpu_fault(v, EXC_GP, 0);
		stack_set(v, stack_ptr(v) + 2 * opsize + release);
		seg_set_cs(v, cs, cd, rpl);
		set_eip(v, eip, opsize);
		return;
	}
	/* Outer privilege: ESP and SS follow the released parameters. */
	uint32_t at = 2 * opsize + release;
	uint32_t nesp = stack_peek(v, opsize, at);
	uint16_t nss = (uint16_t)stack_peek(v, opsize, at + opsize);
	uint32_t saddr;
	uint64_t sd = check_return_ss(v, nss, rpl, &saddr);
	if ((opsize == 2 ? eip & 0xffff : eip) > desc_limit(cd))
		vcpu_fault(v, EXC_GP, 0);
	desc_set_accessed(v, cd, caddr);
	desc_set_accessed(v, sd, saddr);
	seg_set_cs(v, cs, cd, rpl);
	seg_from_desc(&s->seg[S_SS], nss, sd | (1ull << 40));
	stack_set(v, (opsize == 2 ? nesp & 0xffff : nesp) + release);
	set_eip(v, eip, opsize);
	seg_check_outer(v);
}

static void iret_to_v86(struct vcpu *v, uint32_t eip, uint16_t cs, uint32_t flags)
{
	struct cpu_state *s = v->s;
	uint32_t vals[6];
	for (int k = 0; k < 6; k++)
		vals[k] = stack_peek(v, 4, 12 + 4 * (uint32_t)k);   /* ESP SS ES DS FS GS */
	/* Every defined flag comes from the image; the reserved bits keep their fixed values. */
	const uint32_t defined = EFL_ARITH | EFL_TF | EFL_IF | EFL_DF | EFL_IOPL | EFL_NT | EFL_VM |
				 EFL_AC | EFL_VIF | EFL_VIP | EFL_ID;
	s->eflags = (flags & defined) | EFL_FIXED1;
	v->lf.op = LF_NONE;
	seg_load_real(v, S_CS, cs);
	s->eip = eip & 0xffff;
	s->gpr[R_ESP] = vals[0];
	seg_load_real(v, S_SS, (uint16_t)vals[1]);
	seg_load_real(v, S_ES, (uint16_t)vals[2]);
	seg_load_real(v, S_DS, (uint16_t)vals[3]);
	seg_load_real(v, S_FS, (uint16_t)vals[4]);
	seg_load_real(v, S_GS, (uint16_t)vals[5]);
}

void far_iret(struct vcpu *v, unsigned opsize)
{
	struct cpu_state *s = v->s;
	flags_materialize(v);
	if ((s->eflags & EFL_VM) && ((s->eflags & EFL_IOPL) >> 12) < 3)
		vcpu_fault(v, EXC_GP, 0);
	if ((s->cr0 & CR0_PE) && !(s->eflags & EFL_VM) && (s->eflags & EFL_NT)) {
		uint16_t link = (uint16_t)sys_read(v, s->tr.base, 2);
		s->eip = v->next_eip;   /* the outgoing task resumes after the IRET */
		task_switch(v, link, TASK_FROM_IRET, 0);
		return;
	}
	uint32_t eip = stack_peek(v, opsize, 0);
	uint16_t cs = (uint16_t)stack_peek(v, opsize, opsize);
	uint32_t flags = stack_peek(v, opsize, 2 * opsize);
	if (real_or_v86(s)) {
		check_real_target(v, eip, opsize);
		uint32_t mask = popf_mask(v, opsize);
		stack_set(v, stack_ptr(v) + 3 * opsize);
		seg_load_real(v, S_CS, cs);
		set_eip(v, eip, opsize);
		s->eflags = (s->eflags & ~mask) | (flags & mask) | EFL_FIXED1;
		return;
	}
	if (opsize == 4 && (flags & EFL_VM) && cpu_cpl(s) == 0) {
		iret_to_v86(v, eip, cs, flags);
		return;
	}
	uint32_t caddr;
	uint64_t cd = check_return_cs(v, cs, &caddr);
	unsigned rpl = cs & 3;
	/* Flags: the POPF rules of the current (inner) level; VM/VIF/VIP only at CPL 0. */
	uint32_t mask = popf_mask(v, opsize);
	if (cpu_cpl(s) == 0 && opsize == 4)
		mask |= EFL_VIF | EFL_VIP;
	uint32_t nflags = ((s->eflags & ~mask) | (flags & mask) | EFL_FIXED1) & ~EFL_RF;
	if ((opsize == 2 ? eip & 0xffff : eip) > desc_limit(cd))
		vcpu_fault(v, EXC_GP, 0);
	if (rpl == cpu_cpl(s)) {
		stack_set(v, stack_ptr(v) + 3 * opsize);
		desc_set_accessed(v, cd, caddr);
		seg_set_cs(v, cs, cd, rpl);
	} else {
		uint32_t nesp = stack_peek(v, opsize, 3 * opsize);
		uint16_t nss = (uint16_t)stack_peek(v, opsize, 4 * opsize);
		uint32_t saddr;
		uint64_t sd = check_return_ss(v, nss, rpl, &saddr);
		desc_set_accessed(v, cd, caddr);
		desc_set_accessed(v, sd, saddr);
		seg_set_cs(v, cs, cd, rpl);
		seg_from_desc(&s->seg[S_SS], nss, sd | (1ull << 40));
		stack_set(v, opsize == 2 ? nesp & 0xffff : nesp);
		seg_check_outer(v);
	}
	set_eip(v, eip, opsize);
	s->eflags = nflags;
	v->lf.op = LF_NONE;
}
