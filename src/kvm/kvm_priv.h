/*
 * kvm_priv.h - the inside of struct kvm_vm, shared by the files of src/kvm
 * that implement kvm_vm.h.
 */
#ifndef SOFTVT_KVM_KVM_PRIV_H
#define SOFTVT_KVM_KVM_PRIV_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "kvm/kvm_state.h"
#include "kvm/kvm_vm.h"

struct kvm_vm {
	int kvm, vm, vcpu;             /* /dev/kvm, KVM_CREATE_VM, KVM_CREATE_VCPU */
	struct kvm_run *run;           /* the vCPU's shared page */
	size_t run_size;
	struct cpu_state *cpu;
	struct cpu_bus bus;
	const struct cpu_model *model;
	timer_t timer;                 /* the run deadline: KVM_VM_SIGNAL to this thread */
	bool have_timer;

	/* kvm_memory.c: the slots registered, for the physmap of this generation */
	uint32_t nslots;
	uint64_t mem_generation;
	bool mem_valid;

	/* kvm_sync.c: what KVM holds, as last read or written */
	struct kvm_vcpu_state ks;
	struct cpu_state synced;       /* *cpu as last imported or exported */
	bool in_sync;                  /* synced/ks describe the vCPU */
	bool io_pending;               /* the last exit was IO/MMIO: KVM must complete it */
	bool have_xcrs, have_debugregs, have_sregs2;

	struct kvm_vm_stats st;
	char error[2048];
};

/* kvm_vm.c: the run timer fires in ns nanoseconds (0: disarm). */
void kvm_vm_arm_timer(struct kvm_vm *vm, uint64_t ns);

#define KVM_VM_MAX_SLOTS 32

/* kvm_memory.c: one slot per RAM/ROM region of bus.phys. 0 or -1 with err. */
int kvm_memory_register(struct kvm_vm *vm, char *err, size_t errlen);
/* ... again if the physmap changed (A20). 0 or -1 with vm->error. */
int kvm_memory_sync(struct kvm_vm *vm);

/* kvm_cpuid.c: KVM_SET_CPUID2 from the model (extended first). 0 or -1 with err. */
int kvm_cpuid_setup(struct kvm_vm *vm, struct cpu_model *model, char *err, size_t errlen);

/* kvm_sync.c: *cpu into the vCPU (if it changed) and back. 0 or -1 with vm->error. */
int kvm_sync_import(struct kvm_vm *vm);
int kvm_sync_export(struct kvm_vm *vm);

/* kvm_io.c: the exit in vm->run. */
void kvm_io_port(struct kvm_vm *vm);
void kvm_io_mmio(struct kvm_vm *vm);

#endif
