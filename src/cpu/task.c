/*
 * task.c - hardware task switches (see task.h; SDM vol. 3A 7.3).
 *
 * A switch runs in two phases, split at the SDM's commit point:
 *
 *  1. Checks and every access that can fault, nothing changed yet: the new
 *     TSS descriptor (GDT only, a TSS, present, busy or not as the source
 *     requires, limit >= 67h for a 32-bit TSS and 2Bh for a 16-bit one:
 *     table 7-1), the whole new TSS image read, and write probes of the
 *     current TSS's dynamic fields, of the new TSS's back link and of the
 *     descriptors whose busy bit changes. A fault here is restartable.
 *  2. Commit: busy bit of the old TSS cleared (JMP, IRET), the outgoing
 *     state (EIP, EFLAGS with NT cleared for IRET, GPRs, ES..GS) saved in
 *     the current TSS in its own format, the back link written and NT set
 *     (CALL, INT), the new TSS marked busy, TR loaded, CR0.TS set, then
 *     CR3 (32-bit TSS, while paging is on; the PDPTEs are reloaded under
 *     PAE when CR3 changes, SDM 4.4.1), LDTR, EFLAGS, EIP, GPRs and the
 *     segment registers of the new task.
 *
 * Segment registers of the new task are checked in the P6 order of table
 * 7-1 (LDT, CS, SS, then DS ES FS GS); an error there is raised in the new
 * task (#TS/#NP/#SS with the selector). As the SDM says (7.3, step 13),
 * the switch still completes: the failing register and those after it get
 * their selector with an unusable cache, for the handler to repair. A new
 * task with EFLAGS.VM=1 (32-bit TSS) loads its segments the v8086 way.
 *
 * 16-bit TSS (7.6): no CR3, FS, GS or I/O map; registers are loaded
 * zero-extended and FS/GS become null; only the low words are saved.
 * Not modelled: the T flag (debug trap on entry) and the RF image of
 * faults, which only matter to debug exceptions this CPU does not raise.
 */
#include "cpu/task.h"

#include "cpu/flags.h"
#include "cpu/mem.h"
#include "cpu/paging.h"
#include "cpu/segments.h"

/* 32-bit TSS (SDM figure 7-2) and 16-bit TSS (figure 7-10) field offsets. */
enum {
	TSS32_CR3 = 28, TSS32_EIP = 32, TSS32_EFLAGS = 36, TSS32_GPR = 40, TSS32_SEG = 72,
	TSS32_LDT = 96, TSS32_MIN_LIMIT = 0x67,
	TSS16_IP = 14, TSS16_FLAGS = 16, TSS16_GPR = 18, TSS16_SEG = 34, TSS16_LDT = 42,
	TSS16_MIN_LIMIT = 0x2b,
};

/* EFLAGS bits a task switch loads (the rest are reserved: 0, bit 1 is 1). */
#define EFL_LOADABLE (EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_TF | EFL_IF | EFL_DF | \
		      EFL_OF | EFL_IOPL | EFL_NT | EFL_RF | EFL_VM | EFL_AC | EFL_VIF | EFL_VIP | \
		      EFL_ID)

#define DESC_BUSY 0x2u   /* bit 1 of a TSS descriptor's type */

/* The state a TSS holds for a task. */
struct tss_image {
	uint32_t cr3, eip, eflags;
	uint32_t gpr[8];
	uint16_t seg[S_NSEG];
	uint16_t ldt;
};

static void read_image(struct vcpu *v, uint32_t base, bool tss32, struct tss_image *t)
{
	if (tss32) {
		t->cr3 = sys_read(v, base + TSS32_CR3, 4);
		t->eip = sys_read(v, base + TSS32_EIP, 4);
		t->eflags = sys_read(v, base + TSS32_EFLAGS, 4);
		for (unsigned r = 0; r < 8; r++)
			t->gpr[r] = sys_read(v, base + TSS32_GPR + 4 * r, 4);
		for (unsigned sr = 0; sr < S_NSEG; sr++)
			t->seg[sr] = (uint16_t)sys_read(v, base + TSS32_SEG + 4 * sr, 2);
		t->ldt = (uint16_t)sys_read(v, base + TSS32_LDT, 2);
		return;
	}
	t->cr3 = 0;
	t->eip = sys_read(v, base + TSS16_IP, 2);
	t->eflags = sys_read(v, base + TSS16_FLAGS, 2);
	for (unsigned r = 0; r < 8; r++)
		t->gpr[r] = sys_read(v, base + TSS16_GPR + 2 * r, 2);
	for (unsigned sr = 0; sr < S_NSEG; sr++)   /* ES CS SS DS, then no FS/GS */
		t->seg[sr] = sr < S_FS ? (uint16_t)sys_read(v, base + TSS16_SEG + 2 * sr, 2) : 0;
	t->ldt = (uint16_t)sys_read(v, base + TSS16_LDT, 2);
}

/* Saves the dynamic fields of the outgoing task (7.2.1) in the current TSS. */
static void save_state(struct vcpu *v, uint32_t base, bool tss32, uint32_t eflags)
{
	const struct cpu_state *s = v->s;
	unsigned size = tss32 ? 4 : 2;
	sys_write(v, base + (tss32 ? TSS32_EIP : TSS16_IP), size, s->eip);
	sys_write(v, base + (tss32 ? TSS32_EFLAGS : TSS16_FLAGS), size, eflags);
	for (unsigned r = 0; r < 8; r++)
		sys_write(v, base + (tss32 ? TSS32_GPR : TSS16_GPR) + size * r, size, s->gpr[r]);
	unsigned nseg = tss32 ? S_NSEG : S_FS;
	for (unsigned sr = 0; sr < nseg; sr++)
		sys_write(v, base + (tss32 ? TSS32_SEG : TSS16_SEG) + size * sr, 2, s->seg[sr].sel);
}

/* First error found while loading the new task's segment registers. */
struct load_error {
	int vector;          /* -1: none */
	uint32_t code;
};

static bool load_failed(struct load_error *e, int vector, uint32_t code)
{
	if (e->vector < 0) {
		e->vector = vector;
		e->code = code;
	}
	return false;
}

/* LDTR of the new task: null, or an LDT descriptor in the GDT (#TS(ldt)). */
static bool load_ldt(struct vcpu *v, uint16_t sel, uint32_t ext, struct load_error *e)
{
	struct cpu_state *s = v->s;
	s->ldtr = (struct seg_cache){ .sel = sel };
	if ((sel & 0xfffc) == 0)
		return true;
	uint64_t d;
	uint32_t addr;
	if ((sel & 4) || desc_read(v, sel, &d, &addr) < 0 || desc_is_code_data(d) ||
	    desc_type(d) != 0x2 || !desc_present(d))
		return load_failed(e, EXC_TS, sel_error(sel) | ext);
	seg_from_desc(&s->ldtr, sel, d);
	return true;
}

/* CS of the new task (table 7-1): a code segment, DPL vs RPL, present. */
static bool load_cs(struct vcpu *v, uint16_t sel, uint32_t ext, struct load_error *e)
{
	uint64_t d;
	uint32_t addr;
	unsigned rpl = sel & 3;
	if ((sel & 0xfffc) == 0 || desc_read(v, sel, &d, &addr) < 0 || !desc_is_code_data(d) ||
	    !(desc_type(d) & 0x8))
		return load_failed(e, EXC_TS, sel_error(sel) | ext);
	if ((desc_type(d) & 0x4) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)
		return load_failed(e, EXC_TS, sel_error(sel) | ext);
	if (!desc_present(d))
		return load_failed(e, EXC_NP, sel_error(sel) | ext);
	desc_set_accessed(v, d, addr);
	seg_from_desc(&v->s->seg[S_CS], sel, d | (1ull << 40));
	return true;
}

/* SS of the new task: writable data, present (#SS), RPL = DPL = CPL. */
static bool load_ss(struct vcpu *v, uint16_t sel, unsigned cpl, uint32_t ext,
		    struct load_error *e)
{
	uint64_t d;
	uint32_t addr;
	if ((sel & 0xfffc) == 0 || desc_read(v, sel, &d, &addr) < 0 || !desc_is_code_data(d) ||
	    (desc_type(d) & 0xa) != 0x2)
		return load_failed(e, EXC_TS, sel_error(sel) | ext);
	if (!desc_present(d))
		return load_failed(e, EXC_SS, sel_error(sel) | ext);
	if (desc_dpl(d) != cpl || (sel & 3) != cpl)
		return load_failed(e, EXC_TS, sel_error(sel) | ext);
	desc_set_accessed(v, d, addr);
	seg_from_desc(&v->s->seg[S_SS], sel, d | (1ull << 40));
	return true;
}

/* DS, ES, FS, GS: null, or data / readable code, present, DPL >= CPL and RPL. */
static bool load_data(struct vcpu *v, int seg, uint16_t sel, unsigned cpl, uint32_t ext,
		      struct load_error *e)
{
	if ((sel & 0xfffc) == 0)
		return true;   /* unusable, like a null load */
	uint64_t d;
	uint32_t addr;
	if (desc_read(v, sel, &d, &addr) < 0 || !desc_is_code_data(d) ||
	    (desc_type(d) & 0xa) == 0x8)
		return load_failed(e, EXC_TS, sel_error(sel) | ext);
	if (!desc_present(d))
		return load_failed(e, EXC_NP, sel_error(sel) | ext);
	bool conforming = (desc_type(d) & 0xc) == 0xc;
	if (!conforming && (desc_dpl(d) < cpl || desc_dpl(d) < (sel & 3)))
		return load_failed(e, EXC_TS, sel_error(sel) | ext);
	desc_set_accessed(v, d, addr);
	seg_from_desc(&v->s->seg[seg], sel, d | (1ull << 40));
	return true;
}

/* Loads the new task's LDTR and segment registers; returns the first error. */
static struct load_error load_segments(struct vcpu *v, const struct tss_image *t, uint32_t ext)
{
	struct cpu_state *s = v->s;
	struct load_error e = { .vector = -1 };
	/* Selectors first, with unusable caches: what an error leaves behind. */
	for (int sr = 0; sr < S_NSEG; sr++)
		s->seg[sr] = (struct seg_cache){ .sel = t->seg[sr] };
	bool ok = load_ldt(v, t->ldt, ext, &e);
	if (s->eflags & EFL_VM) {
		for (int sr = 0; sr < S_NSEG; sr++)
			seg_load_real(v, sr, t->seg[sr]);
		return e;
	}
	unsigned cpl = t->seg[S_CS] & 3;
	ok = ok && load_cs(v, t->seg[S_CS], ext, &e);
	ok = ok && load_ss(v, t->seg[S_SS], cpl, ext, &e);
	static const int data_segs[] = { S_DS, S_ES, S_FS, S_GS };
	for (unsigned k = 0; k < 4; k++)
		ok = ok && load_data(v, data_segs[k], t->seg[data_segs[k]], cpl, ext, &e);
	return e;
}

/* Linear address of the access byte of a GDT descriptor. */
static uint32_t access_byte(const struct cpu_state *s, uint16_t sel)
{
	return s->gdtr.base + (sel & 0xfff8) + 5;
}

void task_switch(struct vcpu *v, uint16_t sel, enum task_source source, uint32_t ext)
{
	vtx_count_both(&v->vtx, VTX_TASK_SWITCH);
	struct cpu_state *s = v->s;
	bool iret = source == TASK_FROM_IRET;
	bool nest = source == TASK_FROM_CALL || source == TASK_FROM_INT;
	int sel_vector = iret ? EXC_TS : EXC_GP;

	/* Phase 1: the new TSS descriptor (table 7-1). */
	uint64_t nd;
	uint32_t naddr;
	if ((sel & 4) || desc_read(v, sel, &nd, &naddr) < 0 || desc_is_code_data(nd) ||
	    (desc_type(nd) & 0x5) != 0x1)
		vcpu_fault(v, sel_vector, sel_error(sel) | ext);
	if (!desc_present(nd))
		vcpu_fault(v, EXC_NP, sel_error(sel) | ext);
	bool busy = desc_type(nd) & DESC_BUSY;
	if (iret ? !busy : busy)
		vcpu_fault(v, sel_vector, sel_error(sel) | ext);
	bool new32 = desc_type(nd) & 0x8;
	uint32_t nbase = desc_base(nd);
	if (desc_limit(nd) < (new32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
		vcpu_fault(v, EXC_TS, sel_error(sel) | ext);

	/* Everything that can fault, before anything changes. */
	struct tss_image t;
	read_image(v, nbase, new32, &t);
	bool old32 = s->tr.attr & 0x8;
	uint32_t obase = s->tr.base;
	if (s->tr.limit < (old32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
		vcpu_fault(v, EXC_TS, sel_error(s->tr.sel) | ext);
	if (old32)
		lin_probe_write(v, obase + TSS32_EIP, TSS32_LDT - TSS32_EIP, false);
	else
		lin_probe_write(v, obase + TSS16_IP, TSS16_LDT - TSS16_IP, false);
	if (nest)
		lin_probe_write(v, nbase, 2, false);
	uint32_t old_access = 0;
	if (!nest) {
		old_access = sys_read(v, access_byte(s, s->tr.sel), 1);
		lin_probe_write(v, access_byte(s, s->tr.sel), 1, false);
	}
	if (!iret)
		lin_probe_write(v, naddr + 5, 1, false);

	/* Phase 2: commit. */
	uint32_t eflags = flags_materialize(v);
	if (iret)
		eflags &= ~EFL_NT;
	if (!nest)
		sys_write(v, access_byte(s, s->tr.sel), 1, old_access & ~DESC_BUSY);
	save_state(v, obase, old32, eflags);
	uint32_t neflags = t.eflags;
	if (nest) {
		sys_write(v, nbase, 2, s->tr.sel);
		neflags |= EFL_NT;
	}
	if (!iret) {
		nd |= (uint64_t)DESC_BUSY << 40;
		sys_write(v, naddr + 5, 1, (uint32_t)(nd >> 40) & 0xff);
	}
	seg_from_desc(&s->tr, sel, nd);
	s->cr0 |= CR0_TS;

	if (new32 && paging_enabled(s)) {
		uint32_t old_cr3 = s->cr3;
		s->cr3 = t.cr3;
		tlb_flush(v, true);
		if ((s->cr4 & CR4_PAE) && t.cr3 != old_cr3 && paging_load_pdptes(v->bus.phys, s) < 0)
			vcpu_fault(v, EXC_GP, 0);   /* already in the new task (SDM 4.4.1 leaves it open) */
	}
	s->eflags = (neflags & EFL_LOADABLE) | EFL_FIXED1;
	v->lf.op = LF_NONE;
	s->eip = t.eip;
	for (unsigned r = 0; r < 8; r++)
		s->gpr[r] = t.gpr[r];
	/* From here on, faults belong to the new task (SDM 7.3 step 13, 6.15 #TS). */
	v->insn_eip = s->eip;
	v->insn_esp = s->gpr[R_ESP];
	struct load_error e = load_segments(v, &t, ext);
	if (e.vector >= 0)
		vcpu_fault(v, e.vector, e.code);
}

void task_inner_stack(struct vcpu *v, unsigned dpl, uint32_t ext, uint16_t *ss, uint32_t *esp)
{
	const struct cpu_state *s = v->s;
	bool tss32 = s->tr.attr & 0x8;
	uint32_t off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
	if (!(s->tr.attr & SEG_P) || off + (tss32 ? 7 : 4) > s->tr.limit)
		vcpu_fault(v, EXC_TS, sel_error(s->tr.sel) | ext);
	if (tss32) {
		*esp = sys_read(v, s->tr.base + off, 4);
		*ss = (uint16_t)sys_read(v, s->tr.base + off + 4, 2);
	} else {
		*esp = sys_read(v, s->tr.base + off, 2);
		*ss = (uint16_t)sys_read(v, s->tr.base + off + 2, 2);
	}
}
