/*
 * test_kvm_state.c - struct cpu_state <-> KVM's vCPU structures
 * (kvm/kvm_state.c), no /dev/kvm needed:
 *  - a state with every field set to a distinct value survives
 *    cpu_state -> kvm_* -> cpu_state byte for byte (the fields KVM does not
 *    hold - TSC offset, halted, PDPTEs, dr4/dr5, mxcsr_mask - are kept);
 *  - the KVM side has each value where the KVM API puts it (segment bits,
 *    FIP/FCS in last_ip, MSR indices, XCR0, interrupt shadow);
 *  - fields of the KVM structures cpu_state does not hold (EFER, APIC base,
 *    the interrupt bitmap) are left alone;
 *  - a null-selector segment (P clear) is "unusable" for KVM, and an
 *    unusable segment comes back with P clear;
 *  - the PDPTEs go to kvm_sregs2's pdptrs with PAE paging on, and only then.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_state.h"

/* Every byte of the state different, then the architectural fields made meaningful. */
static void fill(struct cpu_state *c)
{
	uint8_t *p = (uint8_t *)c;
	for (size_t i = 0; i < sizeof(*c); i++)
		p[i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < 8; i++)
		c->gpr[i] = 0x11111111u * (uint32_t)(i + 1);
	c->eip = 0xc0101234u;
	c->eflags = EFL_FIXED1 | EFL_IF | EFL_ZF | EFL_AC;
	static const uint16_t attrs[S_NSEG] = {
		SEG_P | SEG_S | 0x3 | SEG_DB | SEG_G,                        /* ES */
		SEG_P | SEG_S | 0xb | SEG_DB | SEG_G,                        /* CS */
		SEG_P | SEG_S | 0x3 | SEG_DB | SEG_G,                        /* SS */
		SEG_P | SEG_S | 0x1 | (3u << SEG_DPL_SHIFT) | SEG_AVL,       /* DS: 16-bit, DPL 3 */
		0,                                                           /* FS: null */
		SEG_P | SEG_S | 0x7 | SEG_DB | (2u << SEG_DPL_SHIFT),        /* GS: expand-down */
	};
	for (int i = 0; i < S_NSEG; i++) {
		c->seg[i].sel = (uint16_t)(0x10 * i + (i & 3));
		c->seg[i].base = 0x01000000u * (uint32_t)i + 0x123u;
		c->seg[i].limit = i == S_DS ? 0xffffu : 0xffffffffu;
		c->seg[i].attr = attrs[i];
	}
	c->seg[S_FS].base = 0;
	c->seg[S_FS].limit = 0;
	c->ldtr = (struct seg_cache){ .sel = 0x30, .base = 0x200800, .limit = 0x3f,
				      .attr = SEG_P | 0x2 };
	c->tr = (struct seg_cache){ .sel = 0x28, .base = 0x202000, .limit = 0x2068,
				    .attr = SEG_P | 0xb };
	c->gdtr = (struct dtable){ .base = 0xc1000000u, .limit = 0xff };
	c->idtr = (struct dtable){ .base = 0xc1001000u, .limit = 0x7ff };
	c->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE | CR0_WP | CR0_MP;
	c->cr2 = 0xdeadb000u;
	c->cr3 = 0x00345000u;
	c->cr4 = CR4_PSE | CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	for (int i = 0; i < 4; i++)
		c->pdpte[i] = 0x1001ull + 0x1000ull * (uint64_t)i;
	for (int i = 0; i < 4; i++)
		c->dr[i] = 0x1000u * (uint32_t)(i + 1);
	c->dr[6] = 0xffff0ff1u;
	c->dr[7] = 0x00000403u;
	c->sysenter_cs = 0x60;
	c->sysenter_esp = 0xc1ffe000u;
	c->sysenter_eip = 0xc1000100u;
	c->misc_enable = 0x1;
	c->fpu.fcw = 0x037f;
	c->fpu.fsw = 0x3800;
	c->fpu.ftw = 0x81;
	c->fpu.fop = 0x05d9;
	c->fpu.fip = 0xc0104321u;
	c->fpu.fcs = 0x0060;
	c->fpu.fdp = 0xc0209876u;
	c->fpu.fds = 0x007b;
	c->fpu.mxcsr = 0x1fa0;
	c->xcr0 = 3;
	c->halted = true;
	c->int_shadow = true;
	c->nmi_blocked = true;
}

START_TEST(round_trip_is_exact)
{
	struct cpu_state *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct kvm_vcpu_state *ks = calloc(1, sizeof(*ks));
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(ks);
	fill(a);
	memcpy(b, a, sizeof(*a));
	kvm_state_put(a, ks);
	/* what KVM would hand back is what it was given; b starts from garbage for the
	   fields KVM holds */
	for (int i = 0; i < 8; i++)
		b->gpr[i] = 0;
	for (int i = 0; i < S_NSEG; i++)
		b->seg[i] = (struct seg_cache){ .sel = 0x5a5a, .base = 0x5a5a5a5a, .limit = 1, .attr = 0x5a };
	b->fpu.fcw = b->fpu.fsw = b->fpu.fop = b->fpu.fcs = b->fpu.fds = 0;
	b->fpu.ftw = 0;
	b->fpu.fip = b->fpu.fdp = b->fpu.mxcsr = 0;
	memset(b->fpu.st, 0x5a, sizeof(b->fpu.st));
	memset(b->fpu.xmm, 0x5a, sizeof(b->fpu.xmm));
	b->cr0 = b->cr3 = b->eip = b->eflags = 0;
	b->xcr0 = 0;
	b->int_shadow = b->nmi_blocked = false;
	b->sysenter_eip = 0;
	memset(b->pdpte, 0, sizeof(b->pdpte));
	kvm_state_get(b, ks);
	ck_assert_int_eq(memcmp(a->gpr, b->gpr, sizeof(a->gpr)), 0);
	for (int i = 0; i < S_NSEG; i++) {
		ck_assert_uint_eq(a->seg[i].sel, b->seg[i].sel);
		ck_assert_uint_eq(a->seg[i].base, b->seg[i].base);
		ck_assert_uint_eq(a->seg[i].limit, b->seg[i].limit);
		ck_assert_uint_eq(a->seg[i].attr, b->seg[i].attr);
	}
	ck_assert_int_eq(memcmp(&a->fpu, &b->fpu, sizeof(a->fpu)), 0);
	/* and everything else, field by field: padding aside, the whole struct */
	memcpy(b->seg, a->seg, sizeof(a->seg));   /* only the padding can still differ */
	ck_assert_int_eq(memcmp(a, b, sizeof(*a)), 0);
	free(a);
	free(b);
	free(ks);
}
END_TEST

START_TEST(kvm_side_has_the_values)
{
	struct cpu_state c;
	struct kvm_vcpu_state ks;
	memset(&ks, 0, sizeof(ks));
	ks.sregs.efer = 0x800;
	ks.sregs.apic_base = 0xfee00900u;
	ks.sregs.interrupt_bitmap[0] = 1ull << 32;
	fill(&c);
	kvm_state_put(&c, &ks);
	ck_assert_uint_eq(ks.regs.rax, 0x11111111u);
	ck_assert_uint_eq(ks.regs.rdi, 0x88888888u);
	ck_assert_uint_eq(ks.regs.rip, 0xc0101234u);
	ck_assert_uint_eq(ks.regs.rflags, EFL_FIXED1 | EFL_IF | EFL_ZF | EFL_AC);
	/* CS: 32-bit code, present, G */
	ck_assert_uint_eq(ks.sregs.cs.type, 0xb);
	ck_assert_uint_eq(ks.sregs.cs.s, 1);
	ck_assert_uint_eq(ks.sregs.cs.present, 1);
	ck_assert_uint_eq(ks.sregs.cs.db, 1);
	ck_assert_uint_eq(ks.sregs.cs.g, 1);
	ck_assert_uint_eq(ks.sregs.cs.unusable, 0);
	ck_assert_uint_eq(ks.sregs.cs.limit, 0xffffffffu);
	ck_assert_uint_eq(ks.sregs.cs.selector, 0x11);
	/* DS: DPL 3, AVL, 16-bit, byte granular */
	ck_assert_uint_eq(ks.sregs.ds.dpl, 3);
	ck_assert_uint_eq(ks.sregs.ds.avl, 1);
	ck_assert_uint_eq(ks.sregs.ds.db, 0);
	ck_assert_uint_eq(ks.sregs.ds.g, 0);
	ck_assert_uint_eq(ks.sregs.ds.limit, 0xffff);
	ck_assert_uint_eq(ks.sregs.ds.base, 0x03000123u);
	/* FS: loaded with a null selector */
	ck_assert_uint_eq(ks.sregs.fs.present, 0);
	ck_assert_uint_eq(ks.sregs.fs.unusable, 1);
	ck_assert_uint_eq(ks.sregs.gs.type, 0x7);
	ck_assert_uint_eq(ks.sregs.gs.dpl, 2);
	ck_assert_uint_eq(ks.sregs.tr.type, 0xb);
	ck_assert_uint_eq(ks.sregs.tr.s, 0);
	ck_assert_uint_eq(ks.sregs.ldt.type, 0x2);
	ck_assert_uint_eq(ks.sregs.gdt.base, 0xc1000000u);
	ck_assert_uint_eq(ks.sregs.idt.limit, 0x7ff);
	ck_assert_uint_eq(ks.sregs.cr0, c.cr0);
	ck_assert_uint_eq(ks.sregs.cr2, 0xdeadb000u);
	ck_assert_uint_eq(ks.sregs.cr3, 0x345000u);
	ck_assert_uint_eq(ks.sregs.cr4, c.cr4);
	/* not cpu_state's: untouched */
	ck_assert_uint_eq(ks.sregs.efer, 0x800);
	ck_assert_uint_eq(ks.sregs.apic_base, 0xfee00900u);
	ck_assert_uint_eq(ks.sregs.interrupt_bitmap[0], 1ull << 32);
	/* the 64-bit FXSAVE fields over the 32-bit format's FIP:FCS and FDP:FDS */
	ck_assert_uint_eq(ks.fpu.last_ip, 0x00000060c0104321ull);
	ck_assert_uint_eq(ks.fpu.last_dp, 0x0000007bc0209876ull);
	ck_assert_uint_eq(ks.fpu.fcw, 0x037f);
	ck_assert_uint_eq(ks.fpu.ftwx, 0x81);
	ck_assert_uint_eq(ks.fpu.last_opcode, 0x05d9);
	ck_assert_uint_eq(ks.fpu.mxcsr, 0x1fa0);
	ck_assert_int_eq(memcmp(ks.fpu.xmm, c.fpu.xmm, sizeof(c.fpu.xmm)), 0);
	ck_assert_int_eq(memcmp(ks.fpu.fpr, c.fpu.st, sizeof(c.fpu.st)), 0);
	static const uint8_t zero[8][16];
	ck_assert_int_eq(memcmp(ks.fpu.xmm[8], zero, sizeof(zero)), 0);   /* XMM8-15: none */
	ck_assert_uint_eq(ks.dregs.db[2], 0x3000);
	ck_assert_uint_eq(ks.dregs.dr6, 0xffff0ff1u);
	ck_assert_uint_eq(ks.dregs.dr7, 0x403);
	ck_assert_uint_eq(ks.msrs.hdr.nmsrs, KVM_STATE_NMSRS);
	ck_assert_uint_eq(ks.msrs.e[0].index, MSR_IA32_SYSENTER_CS);
	ck_assert_uint_eq(ks.msrs.e[0].data, 0x60);
	ck_assert_uint_eq(ks.msrs.e[2].index, MSR_IA32_SYSENTER_EIP);
	ck_assert_uint_eq(ks.msrs.e[2].data, 0xc1000100u);
	ck_assert_uint_eq(ks.msrs.e[3].index, MSR_IA32_MISC_ENABLE);
	ck_assert_uint_eq(ks.xcrs.nr_xcrs, 1);
	ck_assert_uint_eq(ks.xcrs.xcrs[0].xcr, 0);
	ck_assert_uint_eq(ks.xcrs.xcrs[0].value, 3);
	ck_assert_uint_ne(ks.events.interrupt.shadow, 0);
	ck_assert_uint_eq(ks.events.nmi.masked, 1);
	ck_assert_uint_ne(ks.events.flags & KVM_VCPUEVENT_VALID_SHADOW, 0);
	ck_assert(ks.pdptrs_valid);
	ck_assert_uint_eq(ks.pdptrs[3], 0x4001);
}
END_TEST

START_TEST(pdptes_only_with_pae_paging)
{
	struct cpu_state c;
	struct kvm_vcpu_state ks;
	memset(&ks, 0, sizeof(ks));
	fill(&c);
	c.cr4 &= ~CR4_PAE;
	kvm_state_put(&c, &ks);
	ck_assert(!ks.pdptrs_valid);
	ck_assert_uint_eq(ks.pdptrs[0], 0);
	/* KVM said nothing of PDPTEs: cpu_state keeps its own */
	ks.pdptrs[0] = 0x9999;
	kvm_state_get(&c, &ks);
	ck_assert_uint_eq(c.pdpte[0], 0x1001);
	/* PAE without paging: none either */
	c.cr4 |= CR4_PAE;
	c.cr0 &= ~CR0_PG;
	kvm_state_put(&c, &ks);
	ck_assert(!ks.pdptrs_valid);
}
END_TEST

START_TEST(unusable_segment_reads_not_present)
{
	struct kvm_segment k = { .base = 0x1000, .limit = 0xfffff, .selector = 0, .type = 3,
				 .present = 1, .s = 1, .db = 1, .g = 1, .unusable = 1 };
	struct seg_cache s;
	kvm_seg_to_cache(&s, &k);
	ck_assert_uint_eq(s.attr & SEG_P, 0);
	ck_assert_uint_eq(s.attr & SEG_TYPE_MASK, 3);
	ck_assert_uint_eq(s.base, 0x1000);
	k.unusable = 0;
	kvm_seg_to_cache(&s, &k);
	ck_assert_uint_eq(s.attr, SEG_P | SEG_S | 3 | SEG_DB | SEG_G);
	struct kvm_segment back;
	kvm_seg_from_cache(&back, &s);
	ck_assert_int_eq(memcmp(&back, &k, sizeof(k)), 0);
}
END_TEST

/* The reset state (real mode, F000:FFF0) as KVM expects it: CS base FFFF0000, usable. */
START_TEST(reset_state_is_real_mode)
{
	struct cpu_state c;
	struct kvm_vcpu_state ks;
	memset(&ks, 0, sizeof(ks));
	cpu_state_reset(&c);
	kvm_state_put(&c, &ks);
	ck_assert_uint_eq(ks.sregs.cs.base, 0xffff0000u);
	ck_assert_uint_eq(ks.sregs.cs.selector, 0xf000);
	ck_assert_uint_eq(ks.sregs.cs.limit, 0xffff);
	ck_assert_uint_eq(ks.regs.rip, 0xfff0);
	ck_assert_uint_eq(ks.sregs.cr0 & CR0_PE, 0);
	for (const struct kvm_segment *k = &ks.sregs.cs; k <= &ks.sregs.ldt; k++)
		ck_assert_uint_eq(k->unusable, 0);
	ck_assert_uint_eq(ks.dregs.dr7, 0x400);
	ck_assert_uint_eq(ks.xcrs.xcrs[0].value, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kvm_state");
	TCase *tc = tcase_create("convert");
	tcase_add_test(tc, round_trip_is_exact);
	tcase_add_test(tc, kvm_side_has_the_values);
	tcase_add_test(tc, unusable_segment_reads_not_present);
	tcase_add_test(tc, reset_state_is_real_mode);
	tcase_add_test(tc, pdptes_only_with_pae_paging);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
