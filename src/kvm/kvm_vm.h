/*
 * kvm_vm.h - one KVM virtual machine with one vCPU, run over the same
 * struct cpu_bus as the interpreter and the translator (cpu/vcpu.h): the
 * machine's physical map, port map, CPU model, requests and PIC.
 *
 * vmm/engine_kvm.c is the machine's side (engine "kvm"); this folder
 * knows nothing of struct machine. Files:
 *	kvm_vm.c      create, destroy, reset, the signal and timer that stop KVM_RUN
 *	kvm_run.c     the run loop: one switch on the exit reason
 *	kvm_io.c      KVM_EXIT_IO and KVM_EXIT_MMIO to the port map and physmap
 *	kvm_memory.c  the physmap's RAM and ROM regions as memory slots
 *	kvm_cpuid.c   KVM_SET_CPUID2 from the CPU model, filtered by what KVM supports
 *	kvm_sync.c    cpu_state in and out of the vCPU (kvm_state.c converts)
 *	kvm_probe.c   can this /dev/kvm run 32-bit guests at all
 */
#ifndef SOFTVT_KVM_KVM_VM_H
#define SOFTVT_KVM_KVM_VM_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/interp.h"
#include "cpu/vcpu.h"

struct kvm_vm;

/* Exit reasons counted by --stats (KVM_EXIT_* numbers up to this; the rest "other"). */
#define KVM_VM_NEXITS 64

struct kvm_vm_stats {
	uint64_t runs;                 /* KVM_RUN calls */
	uint64_t exits[KVM_VM_NEXITS]; /* by KVM_EXIT_* reason */
	uint64_t exits_other;
	uint64_t eintr;                /* KVM_RUN ended by the timer or a kick */
	uint64_t injected;             /* interrupts given with KVM_INTERRUPT */
	uint64_t window_requests;      /* runs with request_interrupt_window set */
	uint64_t io_in, io_out, io_string_elems;
	uint64_t mmio_read, mmio_write;
	uint64_t state_imports, state_exports;
	uint64_t slots;                /* memory slots registered */
	uint64_t memory_maps;          /* times they were (re)built: 1 + A20 changes */
	bool readonly_rom;             /* ROM slots are KVM_MEM_READONLY */
};

/*
 * Opens /dev/kvm, creates the VM and vCPU, registers guest memory and the
 * CPUID of bus->model (which it may extend with MMX/SSE/SSE2 where KVM
 * supports them: KVM saves their state), and the run timer of the calling
 * thread (the thread that will call kvm_vm_run). NULL with err.
 */
struct kvm_vm *kvm_vm_create(struct cpu_state *cpu, const struct cpu_bus *bus,
			     struct cpu_model *model, char *err, size_t errlen);
void kvm_vm_destroy(struct kvm_vm *vm);

/*
 * Runs the guest from *cpu until deadline_ns (by now(now_opaque)), a request
 * in bus->stop_mask, HLT, shutdown or an error; *cpu is exported before it
 * returns. INTERP_SHUTDOWN and INTERP_ERROR leave the reason in
 * kvm_vm_error() (the CPU state is in *cpu for the dump).
 */
enum interp_exit kvm_vm_run(struct kvm_vm *vm, uint64_t deadline_ns, uint64_t (*now)(void *),
			    void *now_opaque);
const char *kvm_vm_error(const struct kvm_vm *vm);

/* After the machine reset *cpu (a reboot): KVM's state not in cpu_state is cleared too. */
void kvm_vm_reset(struct kvm_vm *vm);

/* Async-signal-safe: makes a running or about-to-run KVM_RUN return. */
void kvm_vm_kick(struct kvm_vm *vm);

/* The VM's and vCPU's fds, for the jail's allow-list: {vm, vcpu}. */
void kvm_vm_fds(const struct kvm_vm *vm, int fds[2]);

void kvm_vm_get_stats(const struct kvm_vm *vm, struct kvm_vm_stats *out);
/* "io", "mmio", "hlt", ...: KVM_EXIT_* names for the statistics. */
const char *kvm_exit_name(unsigned reason);

#endif
