/*
 * segments.c - descriptor reads and segment-register loads (see segments.h).
 */
#include "cpu/segments.h"

#include "cpu/mem.h"

int desc_read(struct vcpu *v, uint16_t sel, uint64_t *desc, uint32_t *addr)
{
	struct cpu_state *s = v->s;
	uint32_t index = sel & 0xfff8;
	uint32_t base, limit;
	if (sel & 4) {
		if (!(s->ldtr.attr & SEG_P) || (s->ldtr.sel & 0xfffc) == 0)
			return -1;
		base = s->ldtr.base;
		limit = s->ldtr.limit;
	} else {
		base = s->gdtr.base;
		limit = s->gdtr.limit;
	}
	if (index + 7 > limit)
		return -1;
	*addr = base + index;
	uint32_t lo = sys_read(v, *addr, 4);
	uint32_t hi = sys_read(v, *addr + 4, 4);
	*desc = lo | (uint64_t)hi << 32;
	return 0;
}

void desc_set_accessed(struct vcpu *v, uint64_t desc, uint32_t addr)
{
	if (!(desc & (1ull << 40)))
		sys_write(v, addr + 5, 1, (uint32_t)((desc >> 40) & 0xff) | 1);
}

void seg_from_desc(struct seg_cache *c, uint16_t sel, uint64_t desc)
{
	c->sel = sel;
	c->base = desc_base(desc);
	c->limit = desc_limit(desc);
	c->attr = desc_attr(desc);
}

void seg_load_real(struct vcpu *v, int seg, uint16_t sel)
{
	struct seg_cache *c = &v->s->seg[seg];
	c->sel = sel;
	c->base = (uint32_t)sel << 4;
	if (v->s->eflags & EFL_VM) {
		/* v8086: every segment is a 64 KiB, DPL 3, read/write data segment. */
		c->limit = 0xffff;
		c->attr = SEG_P | SEG_S | (3u << SEG_DPL_SHIFT) | 0x3 | (seg == S_CS ? 0x8 : 0);
	}
}

void seg_load(struct vcpu *v, int seg, uint16_t sel)
{
	struct cpu_state *s = v->s;
	if (!(s->cr0 & CR0_PE) || (s->eflags & EFL_VM)) {
		seg_load_real(v, seg, sel);
		return;
	}
	unsigned cpl = cpu_cpl(s), rpl = sel & 3;
	if ((sel & 0xfffc) == 0) {
		if (seg == S_SS)
			vcpu_fault(v, EXC_GP, 0);
		/* A null selector loads an unusable segment: any access #GP(0). */
		s->seg[seg] = (struct seg_cache){ .sel = sel };
		return;
	}
	uint64_t d;
	uint32_t addr;
	if (desc_read(v, sel, &d, &addr) < 0)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	unsigned dpl = desc_dpl(d), type = desc_type(d);
	if (seg == S_SS) {
		/* Writable data, RPL == CPL == DPL. */
		if (rpl != cpl || !desc_is_code_data(d) || (type & 0xa) != 0x2 || dpl != cpl)
			vcpu_fault(v, EXC_GP, sel_error(sel));
		if (!desc_present(d))
			vcpu_fault(v, EXC_SS, sel_error(sel));
	} else {
		/* Data, or readable code; privilege unless conforming code. */
		if (!desc_is_code_data(d) || (type & 0xa) == 0x8)
			vcpu_fault(v, EXC_GP, sel_error(sel));
		bool conforming = (type & 0xc) == 0xc;
		if (!conforming && (rpl > dpl || cpl > dpl))
			vcpu_fault(v, EXC_GP, sel_error(sel));
		if (!desc_present(d))
			vcpu_fault(v, EXC_NP, sel_error(sel));
	}
	desc_set_accessed(v, d, addr);
	seg_from_desc(&s->seg[seg], sel, d | (1ull << 40));
}

void seg_set_cs(struct vcpu *v, uint16_t sel, uint64_t desc, unsigned cpl)
{
	seg_from_desc(&v->s->seg[S_CS], (uint16_t)((sel & 0xfffc) | cpl), desc | (1ull << 40));
}

void seg_check_outer(struct vcpu *v)
{
	static const int segs[] = { S_ES, S_DS, S_FS, S_GS };
	unsigned cpl = cpu_cpl(v->s);
	for (unsigned i = 0; i < 4; i++) {
		struct seg_cache *c = &v->s->seg[segs[i]];
		bool conforming_code = (c->attr & 0xc) == 0xc && (c->attr & SEG_S);
		if ((c->attr & SEG_P) && !conforming_code && seg_dpl(c) < cpl)
			*c = (struct seg_cache){ .sel = 0 };
	}
}

uint64_t seg_check_inner_ss(struct vcpu *v, uint16_t ss, unsigned dpl, uint32_t ext)
{
	if ((ss & 0xfffc) == 0)
		vcpu_fault(v, EXC_TS, ext);
	uint64_t d;
	uint32_t addr;
	if (desc_read(v, ss, &d, &addr) < 0)
		vcpu_fault(v, EXC_TS, sel_error(ss) | ext);
	if ((ss & 3) != dpl || desc_dpl(d) != dpl || !desc_is_code_data(d) ||
	    (desc_type(d) & 0xa) != 0x2)
		vcpu_fault(v, EXC_TS, sel_error(ss) | ext);
	if (!desc_present(d))
		vcpu_fault(v, EXC_SS, sel_error(ss) | ext);
	desc_set_accessed(v, d, addr);
	return d;
}
