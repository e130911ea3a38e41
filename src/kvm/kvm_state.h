/*
 * kvm_state.h - struct cpu_state <-> the KVM vCPU state structures.
 *
 * Pure conversions, no ioctls (kvm_sync.c issues them), so the round trip
 * is unit-tested without /dev/kvm (tests/unit/test_kvm_state.c). Every
 * field of struct cpu_state that KVM holds has its place:
 *
 *	gpr, eip, eflags                  kvm_regs
 *	seg[], ldtr, tr (caches)          kvm_sregs segments (attr <-> type, s, dpl,
 *	                                  present, avl, l, db, g; unusable = !present)
 *	gdtr, idtr, cr0, cr2, cr3, cr4    kvm_sregs
 *	dr0-3, dr6, dr7                   kvm_debugregs (dr4/dr5 are aliases: kept)
 *	sysenter_*, misc_enable           MSRs (kvm_state_msr_index[])
 *	fpu (FXSAVE layout)               kvm_fpu (fip|fcs<<32 and fdp|fds<<32 are
 *	                                  the 64-bit FXSAVE fields over the same bytes)
 *	xcr0                              kvm_xcrs
 *	int_shadow, nmi_blocked           kvm_vcpu_events
 *	pdpte[] (PAE paging on)           pdptrs of kvm_sregs2 (KVM_CAP_SREGS2)
 *
 * Left to the caller: the TSC (cpu->tsc_offset is relative to the host's
 * TSC under this engine, kvm_sync.c) and halted (KVM exits on HLT without
 * an in-kernel irqchip: the engine keeps it).
 * Fields of the KVM structures that cpu_state does not hold (EFER, CR8,
 * APIC base, pending events, the FPU's mxcsr_mask) are left as they are.
 */
#ifndef SOFTVT_KVM_KVM_STATE_H
#define SOFTVT_KVM_KVM_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu_state.h"

#define KVM_STATE_NMSRS 4
extern const uint32_t kvm_state_msr_index[KVM_STATE_NMSRS];

/* Everything KVM_GET_* returns for one vCPU, in one place. */
struct kvm_vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t pdptrs[4];            /* kvm_sregs2's, valid with PAE paging on */
	bool pdptrs_valid;
	struct kvm_fpu fpu;
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events events;
	struct kvm_xcrs xcrs;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[KVM_STATE_NMSRS];
	} msrs;
};

void kvm_seg_from_cache(struct kvm_segment *k, const struct seg_cache *s);
void kvm_seg_to_cache(struct seg_cache *s, const struct kvm_segment *k);

/* cpu -> ks: the fields cpu_state holds; the others in ks are kept. */
void kvm_state_put(const struct cpu_state *cpu, struct kvm_vcpu_state *ks);
/* ks -> cpu: the fields cpu_state holds; the others in cpu are kept. */
void kvm_state_get(struct cpu_state *cpu, const struct kvm_vcpu_state *ks);

#endif
