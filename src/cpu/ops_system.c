/*
 * ops_system.c - system instructions: CLI STI HLT IN OUT, LGDT LIDT SGDT
 * SIDT LLDT SLDT LTR STR SMSW LMSW CLTS, MOV to/from CRn and DRn, INVLPG
 * WBINVD INVD, CPUID RDTSC RDMSR WRMSR RDPMC, SYSENTER SYSEXIT, LAR LSL
 * VERR VERW ARPL, UD0/UD1/UD2 (SDM vol. 2 and vol. 3A ch. 2, 5).
 *
 * Privileged instructions raise #GP(0) at CPL > 0 (v8086 mode is CPL 3);
 * the descriptor-table instructions that need protected mode raise #UD in
 * real and v8086 mode.
 */
#include "cpu/ops_system.h"

#include <Zydis/Zydis.h>

#include "cpu/interp.h"
#include "cpu/ops_common.h"
#include "cpu/paging.h"
#include "cpu/segments.h"

static bool protected_mode(const struct cpu_state *s)
{
	return (s->cr0 & CR0_PE) && !(s->eflags & EFL_VM);
}

static void require_cpl0(struct vcpu *v)
{
	if (cpu_cpl(v->s) != 0)
		vcpu_fault(v, EXC_GP, 0);
}

static void require_protected(struct vcpu *v)
{
	if (!protected_mode(v->s))
		vcpu_fault_noerr(v, EXC_UD);
}

static unsigned iopl(const struct cpu_state *s)
{
	return (s->eflags & EFL_IOPL) >> 12;
}

/* --- interrupts flag and halt ------------------------------------------ */

static void op_cli(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	if ((s->cr0 & CR0_PE) && cpu_cpl(s) > iopl(s))
		vcpu_fault(v, EXC_GP, 0);
	s->eflags &= ~EFL_IF;
}

static void op_sti(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	if ((s->cr0 & CR0_PE) && cpu_cpl(s) > iopl(s))
		vcpu_fault(v, EXC_GP, 0);
	if (!(s->eflags & EFL_IF))
		s->int_shadow = true;   /* interrupts wait until after the next instruction */
	s->eflags |= EFL_IF;
}

static void op_hlt(struct vcpu *v, const struct insn *i)
{
	require_cpl0(v);
	vtx_count_both(&v->vtx, VTX_HLT);
	v->s->halted = true;
}

/* --- port I/O ---------------------------------------------------------- */

void io_check(struct vcpu *v, uint16_t port, unsigned size)
{
	struct cpu_state *s = v->s;
	if (!(s->cr0 & CR0_PE))
		return;
	if (!(s->eflags & EFL_VM) && cpu_cpl(s) <= iopl(s))
		return;
	/* The I/O permission bitmap of a 32-bit TSS (SDM vol. 1 18.5.2). */
	unsigned type = s->tr.attr & 0xf;
	if ((type != 0x9 && type != 0xb) || s->tr.limit < 0x67)
		vcpu_fault(v, EXC_GP, 0);
	uint32_t base = sys_read(v, s->tr.base + 0x66, 2);
	uint32_t at = base + port / 8;
	if (at + 1 > s->tr.limit)
		vcpu_fault(v, EXC_GP, 0);
	uint32_t bits = sys_read(v, s->tr.base + at, 2);
	uint32_t want = ((1u << size) - 1) << (port % 8);
	if (bits & want)
		vcpu_fault(v, EXC_GP, 0);
}

uint32_t io_in(struct vcpu *v, uint16_t port, unsigned size)
{
	return portmap_read(v->bus.ports, port, size);
}

void io_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t value)
{
	portmap_write(v->bus.ports, port, value, size);
}

static void op_in(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->op[0].size;
	uint16_t port = (uint16_t)op_read(v, i, 1);
	io_check(v, port, size);
	vtx_count_both(&v->vtx, VTX_IO);
	reg_write(v->s, R_EAX, size, io_in(v, port, size));
}

static void op_out(struct vcpu *v, const struct insn *i)
{
	unsigned size = i->op[1].size;
	uint16_t port = (uint16_t)op_read(v, i, 0);
	io_check(v, port, size);
	vtx_count_both(&v->vtx, VTX_IO);
	io_out(v, port, size, reg_read(v->s, R_EAX, size));
}

/* --- descriptor tables ------------------------------------------------- */

static void load_dtable(struct vcpu *v, const struct insn *i, struct dtable *t)
{
	require_cpl0(v);
	if (i->op[0].kind != OPK_MEM)
		vcpu_fault_noerr(v, EXC_UD);
	uint32_t ea = op_ea(v, i, &i->op[0]);
	uint16_t limit = (uint16_t)vmem_read(v, i->op[0].seg, ea, 2);
	uint32_t base = vmem_read(v, i->op[0].seg, ea + 2, 4);
	t->limit = limit;
	t->base = i->opsize == 2 ? base & 0xffffff : base;
}

static void store_dtable(struct vcpu *v, const struct insn *i, const struct dtable *t)
{
	if (i->op[0].kind != OPK_MEM)
		vcpu_fault_noerr(v, EXC_UD);
	uint32_t ea = op_ea(v, i, &i->op[0]);
	uint32_t lin = vmem_linear(v, i->op[0].seg, ea, 6, SEG_WRITE);
	lin_probe_write(v, lin, 6, vcpu_user(v));
	vmem_write(v, i->op[0].seg, ea, 2, t->limit);
	vmem_write(v, i->op[0].seg, ea + 2, 4, t->base);
}

static void op_lgdt(struct vcpu *v, const struct insn *i) { load_dtable(v, i, &v->s->gdtr); }
static void op_lidt(struct vcpu *v, const struct insn *i) { load_dtable(v, i, &v->s->idtr); }
static void op_sgdt(struct vcpu *v, const struct insn *i) { store_dtable(v, i, &v->s->gdtr); }
static void op_sidt(struct vcpu *v, const struct insn *i) { store_dtable(v, i, &v->s->idtr); }

/* Stores a selector-like 16-bit value: registers take it zero-extended. */
static void store_selector(struct vcpu *v, const struct insn *i, uint32_t value)
{
	if (i->op[0].kind == OPK_REG)
		reg_write(v->s, i->op[0].reg, i->op[0].size, value & 0xffff);
	else
		vmem_write(v, i->op[0].seg, op_ea(v, i, &i->op[0]), 2, value);
}

static void op_sldt(struct vcpu *v, const struct insn *i)
{
	require_protected(v);
	store_selector(v, i, v->s->ldtr.sel);
}

static void op_str(struct vcpu *v, const struct insn *i)
{
	require_protected(v);
	store_selector(v, i, v->s->tr.sel);
}

static void op_lldt(struct vcpu *v, const struct insn *i)
{
	require_protected(v);
	require_cpl0(v);
	uint16_t sel = (uint16_t)op_read(v, i, 0);
	if ((sel & 0xfffc) == 0) {
		v->s->ldtr = (struct seg_cache){ .sel = sel };
		return;
	}
	if (sel & 4)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	uint64_t d;
	uint32_t addr;
	if (desc_read(v, sel, &d, &addr) < 0 || desc_is_code_data(d) || desc_type(d) != 0x2)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	if (!desc_present(d))
		vcpu_fault(v, EXC_NP, sel_error(sel));
	seg_from_desc(&v->s->ldtr, sel, d);
}

static void op_ltr(struct vcpu *v, const struct insn *i)
{
	require_protected(v);
	require_cpl0(v);
	uint16_t sel = (uint16_t)op_read(v, i, 0);
	if ((sel & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, 0);
	if (sel & 4)
		vcpu_fault(v, EXC_GP, sel_error(sel));
	uint64_t d;
	uint32_t addr;
	unsigned type;
	if (desc_read(v, sel, &d, &addr) < 0 || desc_is_code_data(d) ||
	    ((type = desc_type(d)) != 0x1 && type != 0x9))
		vcpu_fault(v, EXC_GP, sel_error(sel));
	if (!desc_present(d))
		vcpu_fault(v, EXC_NP, sel_error(sel));
	d |= 2ull << 40;   /* busy */
	sys_write(v, addr + 5, 1, (uint32_t)(d >> 40) & 0xff);
	seg_from_desc(&v->s->tr, sel, d);
}

static void op_smsw(struct vcpu *v, const struct insn *i)
{
	if (i->op[0].kind == OPK_REG)
		reg_write(v->s, i->op[0].reg, i->op[0].size, v->s->cr0);
	else
		vmem_write(v, i->op[0].seg, op_ea(v, i, &i->op[0]), 2, v->s->cr0 & 0xffff);
}

static void op_lmsw(struct vcpu *v, const struct insn *i)
{
	require_cpl0(v);
	uint32_t x = op_read(v, i, 0) & 0xf;
	struct cpu_state *s = v->s;
	uint32_t old = s->cr0;
	/* LMSW sets PE but never clears it (SDM LMSW). */
	s->cr0 = (s->cr0 & ~0xeu) | (x & 0xe) | ((s->cr0 | x) & CR0_PE);
	vtx_on_cr_write(&v->vtx, 0, old, s->cr0);
}

static void op_clts(struct vcpu *v, const struct insn *i)
{
	require_cpl0(v);
	v->s->cr0 &= ~CR0_TS;
}

/* --- control and debug registers --------------------------------------- */

#define CR4_SUPPORTED (CR4_TSD | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT)
#define CR0_WRITABLE (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | \
		      CR0_CD | CR0_PG)

void sys_mov_cr(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	require_cpl0(v);
	if (i->op[1].kind == OPK_CR) {
		unsigned cr = i->op[1].reg;
		uint32_t val;
		switch (cr) {
		case 0: val = s->cr0; break;
		case 2: val = s->cr2; break;
		case 3: val = s->cr3; break;
		case 4: val = s->cr4; break;
		default: vcpu_fault_noerr(v, EXC_UD);
		}
		if (cr == 3)
			vtx_count_no_ept(&v->vtx, VTX_CR3_READ);
		s->gpr[i->op[0].reg] = val;
		return;
	}
	unsigned cr = i->op[0].reg;
	uint32_t val = s->gpr[i->op[1].reg];
	switch (cr) {
	case 0: {
		if ((val & CR0_PG) && !(val & CR0_PE))
			vcpu_fault(v, EXC_GP, 0);
		if ((val & CR0_NW) && !(val & CR0_CD))
			vcpu_fault(v, EXC_GP, 0);
		uint32_t old = s->cr0;
		uint32_t nv = (val & CR0_WRITABLE) | CR0_ET;
		if ((nv & CR0_PG) && !(old & CR0_PG) && (s->cr4 & CR4_PAE)) {
			uint32_t saved = s->cr0;
			s->cr0 = nv;
			if (paging_load_pdptes(v->bus.phys, s) < 0) {
				s->cr0 = saved;
				vcpu_fault(v, EXC_GP, 0);
			}
		}
		s->cr0 = nv;
		vtx_on_cr_write(&v->vtx, 0, old, nv);
		if ((old ^ nv) & (CR0_PG | CR0_WP | CR0_PE))
			tlb_flush(v, false);
		break;
	}
	case 2:
		s->cr2 = val;
		break;
	case 3: {
		uint32_t old = s->cr3;
		s->cr3 = val;
		if (paging_enabled(s) && (s->cr4 & CR4_PAE) && paging_load_pdptes(v->bus.phys, s) < 0) {
			s->cr3 = old;
			vcpu_fault(v, EXC_GP, 0);
		}
		vtx_count_no_ept(&v->vtx, VTX_CR3_WRITE);
		tlb_flush(v, true);
		break;
	}
	case 4: {
		/* CR4.OSXSAVE exists where the model shows XSAVE (cpu_model_add_host_simd) */
		uint32_t ok = CR4_SUPPORTED | (v->bus.model && v->bus.model->xsave_mask ? CR4_OSXSAVE : 0);
		if (val & ~ok)
			vcpu_fault(v, EXC_GP, 0);
		uint32_t old = s->cr4;
		if ((val & CR4_PAE) && !(old & CR4_PAE) && paging_enabled(s)) {
			s->cr4 = val;
			if (paging_load_pdptes(v->bus.phys, s) < 0) {
				s->cr4 = old;
				vcpu_fault(v, EXC_GP, 0);
			}
		}
		s->cr4 = val;
		vtx_on_cr_write(&v->vtx, 4, old, val);
		if ((old ^ val) & (CR4_PGE | CR4_PAE | CR4_PSE))
			tlb_flush(v, false);
		break;
	}
	default:
		vcpu_fault_noerr(v, EXC_UD);
	}
}

void sys_mov_dr(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	require_cpl0(v);
	bool read = i->op[1].kind == OPK_DR;
	unsigned dr = read ? i->op[1].reg : i->op[0].reg;
	if (dr == 4 || dr == 5)
		dr += 2;   /* aliases of DR6/DR7 while CR4.DE = 0 */
	if (dr > 7)
		vcpu_fault_noerr(v, EXC_UD);
	if (read) {
		s->gpr[i->op[0].reg] = s->dr[dr];
		return;
	}
	uint32_t val = s->gpr[i->op[1].reg];
	if (dr == 6)
		val = (val & 0x0000e00fu) | 0xffff0ff0u;
	else if (dr == 7)
		val = (val & 0xffff2fffu) | 0x400;
	s->dr[dr] = val;
}

static void op_invlpg(struct vcpu *v, const struct insn *i)
{
	require_cpl0(v);
	if (i->op[0].kind != OPK_MEM)
		vcpu_fault_noerr(v, EXC_UD);
	uint32_t linear = v->s->seg[i->op[0].seg].base + op_ea(v, i, &i->op[0]);
	vtx_count_no_ept(&v->vtx, VTX_INVLPG);
	tlb_flush_page(v, linear);
}

static void op_wbinvd(struct vcpu *v, const struct insn *i)
{
	require_cpl0(v);   /* no caches to write back */
}

/* --- identification, time, MSRs ---------------------------------------- */

static void op_cpuid(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	uint32_t r[4];
	vtx_count_both(&v->vtx, VTX_CPUID);
	cpu_model_cpuid(v->bus.model, s, s->gpr[R_EAX], s->gpr[R_ECX], r);
	s->gpr[R_EAX] = r[0];
	s->gpr[R_EBX] = r[1];
	s->gpr[R_ECX] = r[2];
	s->gpr[R_EDX] = r[3];
}

static void op_rdtsc(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	if ((s->cr4 & CR4_TSD) && cpu_cpl(s) != 0)
		vcpu_fault(v, EXC_GP, 0);
	uint64_t t = vcpu_tsc(v);
	s->gpr[R_EAX] = (uint32_t)t;
	s->gpr[R_EDX] = (uint32_t)(t >> 32);
}

static void op_rdmsr(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	require_cpl0(v);
	vtx_on_msr(&v->vtx, s->gpr[R_ECX], false);
	uint64_t val;
	if (cpu_model_rdmsr(v->bus.model, s, s->gpr[R_ECX], vcpu_tsc(v), &val) < 0)
		vcpu_fault(v, EXC_GP, 0);
	s->gpr[R_EAX] = (uint32_t)val;
	s->gpr[R_EDX] = (uint32_t)(val >> 32);
}

static void op_wrmsr(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	require_cpl0(v);
	uint64_t val = s->gpr[R_EAX] | (uint64_t)s->gpr[R_EDX] << 32;
	vtx_on_msr(&v->vtx, s->gpr[R_ECX], true);
	if (cpu_model_wrmsr(v->bus.model, s, s->gpr[R_ECX], vcpu_tsc(v), val) < 0)
		vcpu_fault(v, EXC_GP, 0);
}

static void op_rdpmc(struct vcpu *v, const struct insn *i)
{
	/* No performance counters in the model: ECX is never a valid counter. */
	vcpu_fault(v, EXC_GP, 0);
}

/* --- SYSENTER / SYSEXIT (SDM vol. 2B) ----------------------------------- */

static void flat_segment(struct seg_cache *c, uint16_t sel, unsigned dpl, bool code)
{
	c->sel = sel;
	c->base = 0;
	c->limit = 0xffffffffu;
	c->attr = SEG_P | SEG_S | SEG_DB | SEG_G | (uint16_t)(dpl << SEG_DPL_SHIFT) |
		  (code ? 0xb : 0x3);
}

static void op_sysenter(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	if (!(s->cr0 & CR0_PE) || (s->sysenter_cs & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, 0);
	s->eflags &= ~(EFL_VM | EFL_IF | EFL_RF);
	uint16_t cs = (uint16_t)(s->sysenter_cs & 0xfffc);
	flat_segment(&s->seg[S_CS], cs, 0, true);
	flat_segment(&s->seg[S_SS], (uint16_t)(cs + 8), 0, false);
	s->gpr[R_ESP] = s->sysenter_esp;
	v->next_eip = s->sysenter_eip;
}

static void op_sysexit(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	if (!protected_mode(s) || cpu_cpl(s) != 0 || (s->sysenter_cs & 0xfffc) == 0)
		vcpu_fault(v, EXC_GP, 0);
	uint16_t base = (uint16_t)s->sysenter_cs;
	flat_segment(&s->seg[S_CS], (uint16_t)((base + 16) | 3), 3, true);
	flat_segment(&s->seg[S_SS], (uint16_t)((base + 24) | 3), 3, false);
	s->gpr[R_ESP] = s->gpr[R_ECX];
	v->next_eip = s->gpr[R_EDX];
}

/* --- LAR LSL VERR VERW ARPL (SDM vol. 2A/2B) ---------------------------- */

/*
 * Looks a selector up for LAR/LSL/VERR/VERW. Returns false (ZF=0) for a
 * null selector, one beyond the table, or a descriptor the current
 * privilege may not see (non-conforming code/data with DPL < max(CPL,RPL)).
 */
static bool visible_descriptor(struct vcpu *v, uint16_t sel, uint64_t *d)
{
	uint32_t addr;
	if ((sel & 0xfffc) == 0 || desc_read(v, sel, d, &addr) < 0)
		return false;
	bool conforming_code = desc_is_code_data(*d) && (desc_type(*d) & 0xc) == 0xc;
	unsigned cpl = cpu_cpl(v->s), rpl = sel & 3;
	if (!conforming_code && (desc_dpl(*d) < cpl || desc_dpl(*d) < rpl))
		return false;
	return true;
}

static void set_zf(struct vcpu *v, bool z)
{
	flags_materialize(v);
	if (z)
		v->s->eflags |= EFL_ZF;
	else
		v->s->eflags &= ~EFL_ZF;
}

static void op_lar(struct vcpu *v, const struct insn *i)
{
	require_protected(v);
	uint16_t sel = (uint16_t)op_read(v, i, 1);
	uint64_t d;
	bool ok = visible_descriptor(v, sel, &d);
	if (ok && !desc_is_code_data(d)) {
		/* System types LAR accepts: TSS (1,3,9,11), LDT (2), gates (4,5,12). */
		unsigned t = desc_type(d);
		ok = t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 0xb || t == 0xc;
	}
	if (ok)
		reg_write(v->s, i->op[0].reg, i->op[0].size,
			  (uint32_t)(d >> 32) & (i->op[0].size == 2 ? 0xff00u : 0x00f0ff00u));
	set_zf(v, ok);
}

static void op_lsl(struct vcpu *v, const struct insn *i)
{
	require_protected(v);
	uint16_t sel = (uint16_t)op_read(v, i, 1);
	uint64_t d;
	bool ok = visible_descriptor(v, sel, &d);
	if (ok && !desc_is_code_data(d)) {
		unsigned t = desc_type(d);   /* TSS and LDT only */
		ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb;
	}
	if (ok)
		reg_write(v->s, i->op[0].reg, i->op[0].size, desc_limit(d));
	set_zf(v, ok);
}

static void verify(struct vcpu *v, const struct insn *i, bool write)
{
	require_protected(v);
	uint16_t sel = (uint16_t)op_read(v, i, 0);
	uint64_t d;
	bool ok = visible_descriptor(v, sel, &d) && desc_is_code_data(d);
	if (ok) {
		unsigned t = desc_type(d);
		ok = write ? !(t & 8) && (t & 2) : !(t & 8) || (t & 2);
	}
	set_zf(v, ok);
}

static void op_verr(struct vcpu *v, const struct insn *i) { verify(v, i, false); }
static void op_verw(struct vcpu *v, const struct insn *i) { verify(v, i, true); }

static void op_arpl(struct vcpu *v, const struct insn *i)
{
	require_protected(v);
	uint32_t dst = op_read(v, i, 0), src = op_read(v, i, 1);
	bool adjust = (dst & 3) < (src & 3);
	if (adjust)
		op_write(v, i, 0, (dst & ~3u) | (src & 3));
	set_zf(v, adjust);
}

static void op_ud(struct vcpu *v, const struct insn *i)
{
	vcpu_fault_noerr(v, EXC_UD);
}

void ops_system_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_CLI] = op_cli;
	t->fn[ZYDIS_MNEMONIC_STI] = op_sti;
	t->fn[ZYDIS_MNEMONIC_HLT] = op_hlt;
	t->fn[ZYDIS_MNEMONIC_IN] = op_in;
	t->fn[ZYDIS_MNEMONIC_OUT] = op_out;
	t->fn[ZYDIS_MNEMONIC_LGDT] = op_lgdt;
	t->fn[ZYDIS_MNEMONIC_LIDT] = op_lidt;
	t->fn[ZYDIS_MNEMONIC_SGDT] = op_sgdt;
	t->fn[ZYDIS_MNEMONIC_SIDT] = op_sidt;
	t->fn[ZYDIS_MNEMONIC_SLDT] = op_sldt;
	t->fn[ZYDIS_MNEMONIC_STR] = op_str;
	t->fn[ZYDIS_MNEMONIC_LLDT] = op_lldt;
	t->fn[ZYDIS_MNEMONIC_LTR] = op_ltr;
	t->fn[ZYDIS_MNEMONIC_SMSW] = op_smsw;
	t->fn[ZYDIS_MNEMONIC_LMSW] = op_lmsw;
	t->fn[ZYDIS_MNEMONIC_CLTS] = op_clts;
	t->fn[ZYDIS_MNEMONIC_INVLPG] = op_invlpg;
	t->fn[ZYDIS_MNEMONIC_WBINVD] = op_wbinvd;
	t->fn[ZYDIS_MNEMONIC_INVD] = op_wbinvd;
	t->fn[ZYDIS_MNEMONIC_CPUID] = op_cpuid;
	t->fn[ZYDIS_MNEMONIC_RDTSC] = op_rdtsc;
	t->fn[ZYDIS_MNEMONIC_RDMSR] = op_rdmsr;
	t->fn[ZYDIS_MNEMONIC_WRMSR] = op_wrmsr;
	t->fn[ZYDIS_MNEMONIC_RDPMC] = op_rdpmc;
	t->fn[ZYDIS_MNEMONIC_SYSENTER] = op_sysenter;
	t->fn[ZYDIS_MNEMONIC_SYSEXIT] = op_sysexit;
	t->fn[ZYDIS_MNEMONIC_LAR] = op_lar;
	t->fn[ZYDIS_MNEMONIC_LSL] = op_lsl;
	t->fn[ZYDIS_MNEMONIC_VERR] = op_verr;
	t->fn[ZYDIS_MNEMONIC_VERW] = op_verw;
	t->fn[ZYDIS_MNEMONIC_ARPL] = op_arpl;
	t->fn[ZYDIS_MNEMONIC_UD0] = op_ud;
	t->fn[ZYDIS_MNEMONIC_UD1] = op_ud;
	t->fn[ZYDIS_MNEMONIC_UD2] = op_ud;
	t->fn[ZYDIS_MNEMONIC_RSM] = op_ud;   /* #UD outside system-management mode (no SMM here) */
}
