/*
 * kvm_state.c - struct cpu_state <-> KVM's vCPU structures (kvm_state.h).
 *
 * Segment caches: cpu_state keeps the descriptor's attribute bits 8..23
 * packed in `attr` (type 0-3, S 4, DPL 5-6, P 7, AVL 12, L 13, D/B 14,
 * G 15) and the limit already in bytes; struct kvm_segment has the same
 * byte-granular limit and one field per bit. A segment register loaded
 * with a null selector has P clear: KVM calls it "unusable" (VMX access
 * rights bit 16, SDM vol. 3C 24.4.1), and KVM reports unusable segments
 * with P clear too.
 */
#include "kvm/kvm_state.h"

#include <string.h>

const uint32_t kvm_state_msr_index[KVM_STATE_NMSRS] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_MISC_ENABLE,
};

void kvm_seg_from_cache(struct kvm_segment *k, const struct seg_cache *s)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->sel;
	k->type = s->attr & SEG_TYPE_MASK;
	k->s = !!(s->attr & SEG_S);
	k->dpl = (s->attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT;
	k->present = !!(s->attr & SEG_P);
	k->avl = !!(s->attr & SEG_AVL);
	k->l = !!(s->attr & SEG_L);
	k->db = !!(s->attr & SEG_DB);
	k->g = !!(s->attr & SEG_G);
	k->unusable = !k->present;
}

void kvm_seg_to_cache(struct seg_cache *s, const struct kvm_segment *k)
{
	s->base = (uint32_t)k->base;
	s->limit = k->limit;
	s->sel = k->selector;
	s->attr = (k->type & SEG_TYPE_MASK) | (k->s ? SEG_S : 0) |
		  ((k->dpl & 3u) << SEG_DPL_SHIFT) | (k->present && !k->unusable ? SEG_P : 0) |
		  (k->avl ? SEG_AVL : 0) | (k->l ? SEG_L : 0) | (k->db ? SEG_DB : 0) |
		  (k->g ? SEG_G : 0);
}

/* kvm_sregs names the segment registers; cpu_state indexes them (enum seg_reg). */
static struct kvm_segment *sreg(struct kvm_sregs *s, enum seg_reg r)
{
	switch (r) {
	case S_ES: return &s->es;
	case S_CS: return &s->cs;
	case S_SS: return &s->ss;
	case S_DS: return &s->ds;
	case S_FS: return &s->fs;
	default: return &s->gs;
	}
}

static void put_regs(const struct cpu_state *cpu, struct kvm_regs *r)
{
	r->rax = cpu->gpr[R_EAX];
	r->rcx = cpu->gpr[R_ECX];
	r->rdx = cpu->gpr[R_EDX];
	r->rbx = cpu->gpr[R_EBX];
	r->rsp = cpu->gpr[R_ESP];
	r->rbp = cpu->gpr[R_EBP];
	r->rsi = cpu->gpr[R_ESI];
	r->rdi = cpu->gpr[R_EDI];
	r->rip = cpu->eip;
	r->rflags = cpu->eflags | EFL_FIXED1;
}

static void get_regs(struct cpu_state *cpu, const struct kvm_regs *r)
{
	cpu->gpr[R_EAX] = (uint32_t)r->rax;
	cpu->gpr[R_ECX] = (uint32_t)r->rcx;
	cpu->gpr[R_EDX] = (uint32_t)r->rdx;
	cpu->gpr[R_EBX] = (uint32_t)r->rbx;
	cpu->gpr[R_ESP] = (uint32_t)r->rsp;
	cpu->gpr[R_EBP] = (uint32_t)r->rbp;
	cpu->gpr[R_ESI] = (uint32_t)r->rsi;
	cpu->gpr[R_EDI] = (uint32_t)r->rdi;
	cpu->eip = (uint32_t)r->rip;
	cpu->eflags = (uint32_t)r->rflags;
}

static void put_sregs(const struct cpu_state *cpu, struct kvm_sregs *s)
{
	for (int i = 0; i < S_NSEG; i++)
		kvm_seg_from_cache(sreg(s, i), &cpu->seg[i]);
	kvm_seg_from_cache(&s->ldt, &cpu->ldtr);
	kvm_seg_from_cache(&s->tr, &cpu->tr);
	s->gdt = (struct kvm_dtable){ .base = cpu->gdtr.base, .limit = cpu->gdtr.limit };
	s->idt = (struct kvm_dtable){ .base = cpu->idtr.base, .limit = cpu->idtr.limit };
	s->cr0 = cpu->cr0;
	s->cr2 = cpu->cr2;
	s->cr3 = cpu->cr3;
	s->cr4 = cpu->cr4;
}

/* PAE paging (SDM vol. 3A 4.1.1): the PDPTEs loaded from CR3 are part of the state. */
static bool pae_paging(uint32_t cr0, uint32_t cr4)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE);
}

static void get_sregs(struct cpu_state *cpu, const struct kvm_sregs *s)
{
	for (int i = 0; i < S_NSEG; i++)
		kvm_seg_to_cache(&cpu->seg[i], sreg((struct kvm_sregs *)s, i));
	kvm_seg_to_cache(&cpu->ldtr, &s->ldt);
	kvm_seg_to_cache(&cpu->tr, &s->tr);
	cpu->gdtr.base = (uint32_t)s->gdt.base;
	cpu->gdtr.limit = s->gdt.limit;
	cpu->idtr.base = (uint32_t)s->idt.base;
	cpu->idtr.limit = s->idt.limit;
	cpu->cr0 = (uint32_t)s->cr0;
	cpu->cr2 = (uint32_t)s->cr2;
	cpu->cr3 = (uint32_t)s->cr3;
	cpu->cr4 = (uint32_t)s->cr4;
}

/*
 * kvm_fpu is the 64-bit FXSAVE image: its 64-bit last_ip/last_dp lie over
 * the 32-bit format's FIP/FCS and FDP/FDS (SDM vol. 1 10.5.1, tables
 * 10-2 and 10-3), so the selectors travel in the high halves.
 */
static void put_fpu(const struct cpu_state *cpu, struct kvm_fpu *f)
{
	const struct fpu_state *x = &cpu->fpu;
	memcpy(f->fpr, x->st, sizeof(f->fpr));
	f->fcw = x->fcw;
	f->fsw = x->fsw;
	f->ftwx = x->ftw;
	f->last_opcode = x->fop;
	f->last_ip = x->fip | (uint64_t)x->fcs << 32;
	f->last_dp = x->fdp | (uint64_t)x->fds << 32;
	memset(f->xmm, 0, sizeof(f->xmm));
	memcpy(f->xmm, x->xmm, sizeof(x->xmm));
	f->mxcsr = x->mxcsr;
}

static void get_fpu(struct cpu_state *cpu, const struct kvm_fpu *f)
{
	struct fpu_state *x = &cpu->fpu;
	memcpy(x->st, f->fpr, sizeof(x->st));
	x->fcw = f->fcw;
	x->fsw = f->fsw;
	x->ftw = f->ftwx;
	x->fop = f->last_opcode;
	x->fip = (uint32_t)f->last_ip;
	x->fcs = (uint16_t)(f->last_ip >> 32);
	x->fdp = (uint32_t)f->last_dp;
	x->fds = (uint16_t)(f->last_dp >> 32);
	memcpy(x->xmm, f->xmm, sizeof(x->xmm));
	x->mxcsr = f->mxcsr;
}

static void put_msrs(const struct cpu_state *cpu, struct kvm_vcpu_state *ks)
{
	const uint64_t v[KVM_STATE_NMSRS] = {
		cpu->sysenter_cs, cpu->sysenter_esp, cpu->sysenter_eip, cpu->misc_enable,
	};
	ks->msrs.hdr.nmsrs = KVM_STATE_NMSRS;
	for (unsigned i = 0; i < KVM_STATE_NMSRS; i++)
		ks->msrs.e[i] = (struct kvm_msr_entry){ .index = kvm_state_msr_index[i],
							.data = v[i] };
}

static void get_msrs(struct cpu_state *cpu, const struct kvm_vcpu_state *ks)
{
	for (unsigned i = 0; i < ks->msrs.hdr.nmsrs && i < KVM_STATE_NMSRS; i++) {
		uint64_t v = ks->msrs.e[i].data;
		switch (ks->msrs.e[i].index) {
		case MSR_IA32_SYSENTER_CS: cpu->sysenter_cs = (uint32_t)v; break;
		case MSR_IA32_SYSENTER_ESP: cpu->sysenter_esp = (uint32_t)v; break;
		case MSR_IA32_SYSENTER_EIP: cpu->sysenter_eip = (uint32_t)v; break;
		case MSR_IA32_MISC_ENABLE: cpu->misc_enable = v; break;
		}
	}
}

void kvm_state_put(const struct cpu_state *cpu, struct kvm_vcpu_state *ks)
{
	put_regs(cpu, &ks->regs);
	put_sregs(cpu, &ks->sregs);
	ks->pdptrs_valid = pae_paging(cpu->cr0, cpu->cr4);
	for (int i = 0; i < 4; i++)
		ks->pdptrs[i] = ks->pdptrs_valid ? cpu->pdpte[i] : 0;
	put_fpu(cpu, &ks->fpu);
	for (int i = 0; i < 4; i++)
		ks->dregs.db[i] = cpu->dr[i];
	ks->dregs.dr6 = cpu->dr[6];
	ks->dregs.dr7 = cpu->dr[7];
	ks->dregs.flags = 0;
	put_msrs(cpu, ks);
	ks->xcrs.nr_xcrs = 1;
	ks->xcrs.flags = 0;
	ks->xcrs.xcrs[0] = (struct kvm_xcr){ .xcr = 0, .value = cpu->xcr0 };
	ks->events.interrupt.shadow = cpu->int_shadow ? KVM_X86_SHADOW_INT_MOV_SS : 0;
	ks->events.nmi.masked = cpu->nmi_blocked;
	ks->events.flags |= KVM_VCPUEVENT_VALID_SHADOW;
}

void kvm_state_get(struct cpu_state *cpu, const struct kvm_vcpu_state *ks)
{
	get_regs(cpu, &ks->regs);
	get_sregs(cpu, &ks->sregs);
	if (ks->pdptrs_valid)
		for (int i = 0; i < 4; i++)
			cpu->pdpte[i] = ks->pdptrs[i];
	get_fpu(cpu, &ks->fpu);
	for (int i = 0; i < 4; i++)
		cpu->dr[i] = (uint32_t)ks->dregs.db[i];
	cpu->dr[6] = (uint32_t)ks->dregs.dr6;
	cpu->dr[7] = (uint32_t)ks->dregs.dr7;
	get_msrs(cpu, ks);
	for (unsigned i = 0; i < ks->xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (ks->xcrs.xcrs[i].xcr == 0)
			cpu->xcr0 = ks->xcrs.xcrs[i].value;
	cpu->int_shadow = ks->events.interrupt.shadow != 0;
	cpu->nmi_blocked = ks->events.nmi.masked != 0;
}
