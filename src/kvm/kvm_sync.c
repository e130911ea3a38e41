/*
 * kvm_sync.c - struct cpu_state into the vCPU before KVM_RUN and out of it
 * before kvm_vm_run() returns (the engine contract, vmm/engine.h).
 *
 * Import is skipped when *cpu is byte for byte what the last import or
 * export left (the common case: nobody but this engine changed it between
 * two runs). Export first completes an IO or MMIO exit: KVM finishes the
 * instruction only on the next KVM_RUN (api.rst, KVM_EXIT_IO: "the
 * corresponding operations are complete (and guest state is consistent)
 * only after userspace has re-entered the kernel with KVM_RUN"), which
 * immediate_exit makes return before running guest code.
 *
 * The TSC: under this engine the guest's TSC is the host's plus KVM's
 * offset (no TSC scaling asked for), so the machine's TSC is the host's
 * too (machine.tsc_host) and cpu->tsc_offset is guest TSC - host TSC.
 * Reading MSR_IA32_TSC and RDTSC are not simultaneous: an export moves
 * tsc_offset only by more than TSC_SLACK cycles (the guest wrote the TSC).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <x86intrin.h>

#include "kvm/kvm_priv.h"

#define TSC_SLACK 1000000

struct one_msr {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
};

static int fail(struct kvm_vm *vm, const char *what)
{
	snprintf(vm->error, sizeof(vm->error), "%s failed: %s", what, strerror(errno));
	return -1;
}

static int set_tsc(struct kvm_vm *vm, uint64_t offset)
{
	struct one_msr m = { .hdr.nmsrs = 1, .e = { .index = MSR_IA32_TSC } };
	m.e.data = __rdtsc() + offset;
	if (ioctl(vm->vcpu, KVM_SET_MSRS, &m) != 1)
		return fail(vm, "KVM_SET_MSRS (IA32_TSC)");
	return 0;
}

static int get_tsc_offset(struct kvm_vm *vm, uint64_t *offset)
{
	struct one_msr m = { .hdr.nmsrs = 1, .e = { .index = MSR_IA32_TSC } };
	if (ioctl(vm->vcpu, KVM_GET_MSRS, &m) != 1)
		return fail(vm, "KVM_GET_MSRS (IA32_TSC)");
	*offset = m.e.data - __rdtsc();
	return 0;
}

/*
 * kvm_sregs2 (KVM_CAP_SREGS2, Linux 5.16) is kvm_sregs up to the interrupt
 * bitmap, then the PDPTEs: with it they travel too. (A pending external
 * interrupt, which kvm_sregs2 has no bitmap for, is in kvm_vcpu_events.)
 */
#define SREGS_COMMON offsetof(struct kvm_sregs, interrupt_bitmap)
_Static_assert(SREGS_COMMON == offsetof(struct kvm_sregs2, flags),
	       "kvm_sregs and kvm_sregs2 share their first fields");

static int get_sregs(struct kvm_vm *vm)
{
	struct kvm_vcpu_state *ks = &vm->ks;
	if (!vm->have_sregs2) {
		ks->pdptrs_valid = false;
		return ioctl(vm->vcpu, KVM_GET_SREGS, &ks->sregs) < 0 ? fail(vm, "KVM_GET_SREGS") : 0;
	}
	struct kvm_sregs2 s2;
	if (ioctl(vm->vcpu, KVM_GET_SREGS2, &s2) < 0)
		return fail(vm, "KVM_GET_SREGS2");
	memcpy(&ks->sregs, &s2, SREGS_COMMON);
	memset(ks->sregs.interrupt_bitmap, 0, sizeof(ks->sregs.interrupt_bitmap));
	ks->pdptrs_valid = s2.flags & KVM_SREGS2_FLAGS_PDPTRS_VALID;
	memcpy(ks->pdptrs, s2.pdptrs, sizeof(ks->pdptrs));
	return 0;
}

static int set_sregs(struct kvm_vm *vm)
{
	struct kvm_vcpu_state *ks = &vm->ks;
	if (!vm->have_sregs2)
		return ioctl(vm->vcpu, KVM_SET_SREGS, &ks->sregs) < 0 ? fail(vm, "KVM_SET_SREGS") : 0;
	struct kvm_sregs2 s2;
	memset(&s2, 0, sizeof(s2));
	memcpy(&s2, &ks->sregs, SREGS_COMMON);
	s2.flags = ks->pdptrs_valid ? KVM_SREGS2_FLAGS_PDPTRS_VALID : 0;
	memcpy(s2.pdptrs, ks->pdptrs, sizeof(s2.pdptrs));
	return ioctl(vm->vcpu, KVM_SET_SREGS2, &s2) < 0 ? fail(vm, "KVM_SET_SREGS2") : 0;
}

/* Everything KVM holds into vm->ks (the fields cpu_state does not hold included). */
static int get_all(struct kvm_vm *vm)
{
	struct kvm_vcpu_state *ks = &vm->ks;
	if (ioctl(vm->vcpu, KVM_GET_REGS, &ks->regs) < 0)
		return fail(vm, "KVM_GET_REGS");
	if (get_sregs(vm) < 0)
		return -1;
	if (ioctl(vm->vcpu, KVM_GET_FPU, &ks->fpu) < 0)
		return fail(vm, "KVM_GET_FPU");
	if (vm->have_debugregs && ioctl(vm->vcpu, KVM_GET_DEBUGREGS, &ks->dregs) < 0)
		return fail(vm, "KVM_GET_DEBUGREGS");
	if (ioctl(vm->vcpu, KVM_GET_VCPU_EVENTS, &ks->events) < 0)
		return fail(vm, "KVM_GET_VCPU_EVENTS");
	if (vm->have_xcrs && ioctl(vm->vcpu, KVM_GET_XCRS, &ks->xcrs) < 0)
		return fail(vm, "KVM_GET_XCRS");
	ks->msrs.hdr.nmsrs = KVM_STATE_NMSRS;
	for (unsigned i = 0; i < KVM_STATE_NMSRS; i++)
		ks->msrs.e[i] = (struct kvm_msr_entry){ .index = kvm_state_msr_index[i] };
	if (ioctl(vm->vcpu, KVM_GET_MSRS, &ks->msrs) != KVM_STATE_NMSRS)
		return fail(vm, "KVM_GET_MSRS");
	return 0;
}

static int set_all(struct kvm_vm *vm)
{
	struct kvm_vcpu_state *ks = &vm->ks;
	if (set_sregs(vm) < 0)
		return -1;
	if (ioctl(vm->vcpu, KVM_SET_REGS, &ks->regs) < 0)
		return fail(vm, "KVM_SET_REGS");
	if (ioctl(vm->vcpu, KVM_SET_FPU, &ks->fpu) < 0)
		return fail(vm, "KVM_SET_FPU");
	if (vm->have_debugregs && ioctl(vm->vcpu, KVM_SET_DEBUGREGS, &ks->dregs) < 0)
		return fail(vm, "KVM_SET_DEBUGREGS");
	if (ioctl(vm->vcpu, KVM_SET_VCPU_EVENTS, &ks->events) < 0)
		return fail(vm, "KVM_SET_VCPU_EVENTS");
	if (vm->have_xcrs && ioctl(vm->vcpu, KVM_SET_XCRS, &ks->xcrs) < 0)
		return fail(vm, "KVM_SET_XCRS");
	int n = ioctl(vm->vcpu, KVM_SET_MSRS, &ks->msrs);
	if (n != KVM_STATE_NMSRS) {
		if (n >= 0)
			snprintf(vm->error, sizeof(vm->error), "KVM_SET_MSRS refused MSR 0x%x",
				 ks->msrs.e[n].index);
		return n >= 0 ? -1 : fail(vm, "KVM_SET_MSRS");
	}
	return 0;
}

int kvm_sync_import(struct kvm_vm *vm)
{
	struct cpu_state *cpu = vm->cpu;
	if (vm->in_sync && memcmp(cpu, &vm->synced, sizeof(*cpu)) == 0)
		return 0;
	if (!vm->in_sync && get_all(vm) < 0)
		return -1;
	kvm_state_put(cpu, &vm->ks);
	if (set_all(vm) < 0)
		return -1;
	if ((!vm->in_sync || cpu->tsc_offset != vm->synced.tsc_offset) &&
	    set_tsc(vm, cpu->tsc_offset) < 0)
		return -1;
	memcpy(&vm->synced, cpu, sizeof(*cpu));
	vm->in_sync = true;
	vm->st.state_imports++;
	return 0;
}

int kvm_sync_export(struct kvm_vm *vm)
{
	struct cpu_state *cpu = vm->cpu;
	/*
	 * Complete an IO/MMIO exit. An access KVM splits (an MMIO access that
	 * crosses a page, a wide one) can end in one more MMIO exit on the way:
	 * serve it and complete again, until KVM_RUN returns EINTR.
	 */
	while (vm->io_pending) {
		vm->run->immediate_exit = 1;
		int rc = ioctl(vm->vcpu, KVM_RUN, 0);
		vm->run->immediate_exit = 0;
		if (rc < 0 && errno != EINTR)
			return fail(vm, "KVM_RUN (completing an I/O exit)");
		vm->io_pending = false;
		if (rc == 0 && vm->run->exit_reason == KVM_EXIT_MMIO) {
			kvm_io_mmio(vm);
			vm->io_pending = true;
		} else if (rc == 0 && vm->run->exit_reason == KVM_EXIT_IO) {
			kvm_io_port(vm);
			vm->io_pending = true;
		}
	}
	if (get_all(vm) < 0)
		return -1;
	kvm_state_get(cpu, &vm->ks);
	uint64_t offset;
	if (get_tsc_offset(vm, &offset) < 0)
		return -1;
	int64_t moved = (int64_t)(offset - cpu->tsc_offset);
	if (moved > TSC_SLACK || moved < -TSC_SLACK)
		cpu->tsc_offset = offset;
	memcpy(&vm->synced, cpu, sizeof(*cpu));
	vm->in_sync = true;
	vm->st.state_exports++;
	return 0;
}
