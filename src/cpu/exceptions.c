/*
 * exceptions.c - interrupt and exception delivery (see exceptions.h).
 *
 * Every write of an interrupt frame happens before any register changes,
 * so a fault while pushing leaves the interrupted state intact and can be
 * escalated to #DF cleanly.
 */
#include "cpu/exceptions.h"

#include "cpu/flags.h"
#include "cpu/mem.h"
#include "cpu/ops_common.h"
#include "cpu/segments.h"
#include "cpu/task.h"

bool exception_has_error(int vector)
{
	switch (vector) {
	case EXC_DF: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: case EXC_PF: case EXC_AC:
		return true;
	default:
		return false;
	}
}

static void deliver_real(struct vcpu *v, int vector)
{
	struct cpu_state *s = v->s;
	if ((uint32_t)vector * 4 + 3 > s->idtr.limit)
		vcpu_fault(v, EXC_GP, 0);
	uint32_t ivt = sys_read(v, s->idtr.base + vector * 4, 4);
	uint32_t flags = flags_materialize(v);
	uint32_t sp = stack_ptr(v);
	/* Push FLAGS, CS, IP (16 bits each) before changing anything. */
	vmem_write(v, S_SS, (sp - 2) & 0xffff, 2, flags);
	vmem_write(v, S_SS, (sp - 4) & 0xffff, 2, s->seg[S_CS].sel);
	vmem_write(v, S_SS, (sp - 6) & 0xffff, 2, s->eip);
	stack_set(v, sp - 6);
	seg_load_real(v, S_CS, (uint16_t)(ivt >> 16));
	s->eip = ivt & 0xffff;
	s->eflags &= ~(EFL_IF | EFL_TF | EFL_AC | EFL_RF);
}

/* Writes a frame of n values of `size` bytes ending below top on a stack segment. */
static void write_frame(struct vcpu *v, const struct seg_cache *ss, uint32_t top, unsigned size,
			const uint32_t *vals, unsigned n, uint32_t fault_sel)
{
	bool big = ss->attr & SEG_DB;
	for (unsigned k = 0; k < n; k++) {
		uint32_t off = top - (k + 1) * size;
		if (!big)
			off &= 0xffff;
		bool expand_down = !(ss->attr & 8) && (ss->attr & 4);
		uint32_t last = off + size - 1;
		bool bad = expand_down ? (off <= ss->limit || last > (big ? 0xffffffffu : 0xffffu))
				       : last > ss->limit;
		if (bad)
			vcpu_fault(v, EXC_SS, fault_sel);
		sys_write(v, ss->base + off, size, vals[k]);
	}
}

static void deliver_protected(struct vcpu *v, int vector, enum event_kind kind, bool has_error,
			      uint32_t error)
{
	struct cpu_state *s = v->s;
	uint32_t ext = kind == EVENT_EXTERNAL ? 1 : 0;
	uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
	if ((uint32_t)vector * 8 + 7 > s->idtr.limit)
		vcpu_fault(v, EXC_GP, idt_err);
	uint32_t lo = sys_read(v, s->idtr.base + vector * 8, 4);
	uint32_t hi = sys_read(v, s->idtr.base + vector * 8 + 4, 4);
	uint64_t gate = lo | (uint64_t)hi << 32;
	unsigned gtype = (hi >> 8) & 0x1f;   /* S bit and type */
	if (gtype != 0x05 && gtype != 0x06 && gtype != 0x07 && gtype != 0x0e && gtype != 0x0f)
		vcpu_fault(v, EXC_GP, idt_err);
	unsigned cpl = cpu_cpl(s);
	if (kind == EVENT_SOFTWARE && desc_dpl(gate) < cpl)
		vcpu_fault(v, EXC_GP, (uint32_t)vector * 8 + 2);
	if (!desc_present(gate))
		vcpu_fault(v, EXC_NP, idt_err);
	if (gtype == 0x05) {
		task_switch(v, (uint16_t)(lo >> 16), TASK_FROM_INT, ext);
		if (has_error) {
			unsigned size = (s->tr.attr & 0x8) ? 4 : 2;
			stack_push(v, size, error);
		}
		return;
	}

	bool gate32 = gtype & 0x08;
	bool trap = gtype & 0x01;
	uint16_t sel = (uint16_t)(lo >> 16);
	uint32_t offset = (lo & 0xffff) | (gate32 ? (hi & 0xffff0000u) : 0);
	if ((sel & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, ext);
	uint64_t cd;
	uint32_t caddr;
	if (desc_read(v, sel, &cd, &caddr) < 0)
		vcpu_fault(v, EXC_GP, sel_error(sel) | ext);
	unsigned dpl = desc_dpl(cd);
	if (!desc_is_code_data(cd) || !(desc_type(cd) & 0x8) || dpl > cpl)
		vcpu_fault(v, EXC_GP, sel_error(sel) | ext);
	if (!desc_present(cd))
		vcpu_fault(v, EXC_NP, sel_error(sel) | ext);
	/* SDM vol. 2, INT n: #GP(0) if the gate's EIP is beyond the code segment limit. */
	if ((gate32 ? offset : offset & 0xffff) > desc_limit(cd))
		vcpu_fault(v, EXC_GP, 0);
	bool conforming = desc_type(cd) & 0x4;
	unsigned size = gate32 ? 4 : 2;
	uint32_t flags = flags_materialize(v);
	uint32_t vals[10];
	unsigned n = 0;
	bool from_v86 = s->eflags & EFL_VM;

	if (from_v86 || (!conforming && dpl < cpl)) {
		/* Inner privilege (SDM 6.12.1): switch to the TSS stack of level dpl. */
		/* From v8086 mode only to a non-conforming DPL-0 segment (SDM INT n). */
		if (from_v86 && (dpl != 0 || conforming))
			vcpu_fault(v, EXC_GP, sel_error(sel) | ext);
		uint16_t nss;
		uint32_t nesp;
		task_inner_stack(v, dpl, ext, &nss, &nesp);
		uint64_t ssd = seg_check_inner_ss(v, nss, dpl, ext);
		struct seg_cache newss;
		seg_from_desc(&newss, nss, ssd | (1ull << 40));
		if (from_v86) {
			vals[n++] = s->seg[S_GS].sel;
			vals[n++] = s->seg[S_FS].sel;
			vals[n++] = s->seg[S_DS].sel;
			vals[n++] = s->seg[S_ES].sel;
		}
		vals[n++] = s->seg[S_SS].sel;
		vals[n++] = s->gpr[R_ESP];
		vals[n++] = flags;
		vals[n++] = s->seg[S_CS].sel;
		vals[n++] = s->eip;
		if (has_error)
			vals[n++] = error;
		uint32_t top = (newss.attr & SEG_DB) ? nesp : nesp & 0xffff;
		write_frame(v, &newss, top, size, vals, n, sel_error(nss) | ext);
		/* Commit. */
		s->seg[S_SS] = newss;
		uint32_t nsp = top - n * size;
		if (newss.attr & SEG_DB)
			s->gpr[R_ESP] = nsp;
		else
			s->gpr[R_ESP] = (nesp & 0xffff0000u) | (nsp & 0xffff);
		if (from_v86) {
			for (int sr = 0; sr < S_NSEG; sr++)
				if (sr == S_ES || sr == S_DS || sr == S_FS || sr == S_GS)
					s->seg[sr] = (struct seg_cache){ .sel = 0 };
		}
		s->eflags &= ~EFL_VM;
		seg_set_cs(v, sel, cd, dpl);
	} else if (conforming || dpl == cpl) {
		vals[n++] = flags;
		vals[n++] = s->seg[S_CS].sel;
		vals[n++] = s->eip;
		if (has_error)
			vals[n++] = error;
		write_frame(v, &s->seg[S_SS], stack_ptr(v), size, vals, n, ext);
		stack_set(v, stack_ptr(v) - n * size);
		seg_set_cs(v, sel, cd, cpl);
	} else {
		vcpu_fault(v, EXC_GP, sel_error(sel) | ext);
	}
	desc_set_accessed(v, cd, caddr);
	s->eip = gate32 ? offset : offset & 0xffff;
	s->eflags &= ~(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
	if (!trap)
		s->eflags &= ~EFL_IF;
}

void exceptions_deliver(struct vcpu *v, int vector, enum event_kind kind, bool has_error,
			uint32_t error)
{
	/* Only exceptions take part in the double-fault rules; -2: another event. */
	v->delivering = kind == EVENT_EXCEPTION ? vector : -2;
	if (v->s->cr0 & CR0_PE)
		deliver_protected(v, vector, kind, has_error, error);
	else
		deliver_real(v, vector);
	v->delivering = -1;
	v->delivered = true;
	v->s->halted = false;
}

enum fault_class { BENIGN, CONTRIBUTORY, PAGE_FAULT };

static enum fault_class classify(int vector)
{
	switch (vector) {
	case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
		return CONTRIBUTORY;
	case EXC_PF:
		return PAGE_FAULT;
	default:
		return BENIGN;
	}
}

int exceptions_deliver_fault(struct vcpu *v)
{
	int vector = v->fault_vector;
	int prev = v->delivering;
	v->delivering = -1;
	if (prev == EXC_DF) {
		v->shutdown = true;
		return -1;
	}
	if (prev >= 0) {
		enum fault_class a = classify(prev), b = classify(vector);
		if ((a == CONTRIBUTORY && b == CONTRIBUTORY) ||
		    (a == PAGE_FAULT && (b == CONTRIBUTORY || b == PAGE_FAULT))) {
			exceptions_deliver(v, EXC_DF, EVENT_EXCEPTION, true, 0);
			return 0;
		}
	}
	if (vector == EXC_PF)
		vtx_count_no_ept(&v->vtx, VTX_PAGE_FAULT);   /* a shadow-paging monitor sees every #PF */
	else if (vector == EXC_UD)
		vtx_count_both(&v->vtx, VTX_EXCEPTION);
	bool has_error = v->fault_has_error && exception_has_error(vector);
	/* Real mode pushes no error codes. */
	if (!(v->s->cr0 & CR0_PE))
		has_error = false;
	exceptions_deliver(v, vector, EVENT_EXCEPTION, has_error, v->fault_error);
	return 0;
}
