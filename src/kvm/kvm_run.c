/*
 * kvm_run.c - kvm_vm_run(): KVM_RUN until the deadline, a request, HLT or
 * an error, one switch on the exit reason (the shape of kvmtool's loop).
 *
 * Interrupts (api.rst, KVM_INTERRUPT and request_interrupt_window): with
 * no in-kernel irqchip, KVM takes an external interrupt only when the
 * guest can accept it now: kvm_run->ready_for_interrupt_injection (no
 * interrupt shadow, no event being delivered) and if_flag (EFLAGS.IF).
 * Then the vector the PIC acknowledges goes in with KVM_INTERRUPT; else
 * request_interrupt_window makes KVM exit (KVM_EXIT_IRQ_WINDOW_OPEN) as
 * soon as it can. Both are decided before every KVM_RUN, so a device that
 * raised its line during an IO exit is seen at once.
 *
 * HLT: without an in-kernel irqchip KVM returns KVM_EXIT_HLT with EIP past
 * the HLT; cpu->halted is set and the run loop sleeps until the PIC has
 * something. The next run injects that interrupt before running again, as
 * the CPU would wake from HLT; it never resumes a halted guest without one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/kvm_priv.h"

static const char *suberror_name(uint32_t s)
{
	switch (s) {
	case KVM_INTERNAL_ERROR_EMULATION: return "instruction emulation failed";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected hardware exit";
	default: return "unknown";
	}
}

static void internal_error(struct kvm_vm *vm)
{
	struct kvm_run *r = vm->run;
	int n = snprintf(vm->error, sizeof(vm->error),
			 "KVM_EXIT_INTERNAL_ERROR, suberror %u (%s)", r->internal.suberror,
			 suberror_name(r->internal.suberror));
	if (r->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && r->internal.ndata >= 3 &&
	    (r->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		/* api.rst: struct emulation_failure, the instruction KVM could not emulate */
		unsigned len = r->emulation_failure.insn_size;
		n += snprintf(vm->error + n, sizeof(vm->error) - (size_t)n, ", instruction bytes");
		for (unsigned i = 0; i < len && i < 15 && (size_t)n < sizeof(vm->error); i++)
			n += snprintf(vm->error + n, sizeof(vm->error) - (size_t)n, " %02x",
				      r->emulation_failure.insn_bytes[i]);
		return;
	}
	for (uint32_t i = 0; i < r->internal.ndata && i < 16 && n > 0 &&
			     (size_t)n < sizeof(vm->error); i++)
		n += snprintf(vm->error + n, sizeof(vm->error) - (size_t)n, "%s%llx",
			      i ? " " : ", data ", (unsigned long long)r->internal.data[i]);
}

/* Before KVM_RUN: inject the PIC's interrupt or ask for a window. True if injected. */
static bool offer_interrupt(struct kvm_vm *vm)
{
	struct kvm_run *r = vm->run;
	if (!vm->bus.intr_pending(vm->bus.opaque)) {
		r->request_interrupt_window = 0;
		return false;
	}
	if (r->ready_for_interrupt_injection && r->if_flag) {
		struct kvm_interrupt irq = { .irq = vm->bus.intr_ack(vm->bus.opaque) };
		r->request_interrupt_window = 0;
		if (ioctl(vm->vcpu, KVM_INTERRUPT, &irq) == 0) {
			vm->st.injected++;
			return true;
		}
		snprintf(vm->error, sizeof(vm->error), "KVM_INTERRUPT (vector %u) failed: %s",
			 irq.irq, strerror(errno));
		return false;
	}
	r->request_interrupt_window = 1;
	vm->st.window_requests++;
	return false;
}

#define GO_ON (-1)
#define INTERRUPTED (-2)   /* the timer or a kick: look at the clock and the requests */

/* One KVM_RUN and its exit. Returns GO_ON, INTERRUPTED or the run's result. */
static int run_once(struct kvm_vm *vm)
{
	struct kvm_run *r = vm->run;
	vm->st.runs++;
	if (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			r->immediate_exit = 0;
			vm->st.eintr++;
			return INTERRUPTED;
		}
		snprintf(vm->error, sizeof(vm->error), "KVM_RUN failed: %s", strerror(errno));
		return INTERP_ERROR;
	}
	if (r->exit_reason < KVM_VM_NEXITS)
		vm->st.exits[r->exit_reason]++;
	else
		vm->st.exits_other++;
	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		kvm_io_port(vm);
		vm->io_pending = true;
		return GO_ON;
	case KVM_EXIT_MMIO:
		kvm_io_mmio(vm);
		vm->io_pending = true;
		return GO_ON;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return GO_ON;
	case KVM_EXIT_HLT:
		return INTERP_HALT;
	case KVM_EXIT_SHUTDOWN:
		snprintf(vm->error, sizeof(vm->error), "KVM_EXIT_SHUTDOWN (triple fault)");
		return INTERP_SHUTDOWN;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(vm->error, sizeof(vm->error),
			 "KVM_EXIT_FAIL_ENTRY: the hardware refused to enter the guest, reason 0x%llx",
			 (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		return INTERP_ERROR;
	case KVM_EXIT_INTERNAL_ERROR:
		internal_error(vm);
		return INTERP_ERROR;
	default:
		snprintf(vm->error, sizeof(vm->error), "unexpected KVM exit %u (%s)", r->exit_reason,
			 kvm_exit_name(r->exit_reason));
		return INTERP_ERROR;
	}
}

enum interp_exit kvm_vm_run(struct kvm_vm *vm, uint64_t deadline_ns, uint64_t (*now)(void *),
			    void *now_opaque)
{
	struct cpu_state *cpu = vm->cpu;
	const struct cpu_bus *bus = &vm->bus;
	vm->error[0] = '\0';
	if (kvm_sync_import(vm) < 0)
		return INTERP_ERROR;
	int result = GO_ON;
	bool armed = false;
	while (result == GO_ON) {
		if (*bus->requests & bus->intr_bit)
			__atomic_and_fetch(bus->requests, ~bus->intr_bit, __ATOMIC_SEQ_CST);
		uint64_t t = now(now_opaque);
		if ((*bus->requests & bus->stop_mask) || t >= deadline_ns) {
			result = INTERP_DEADLINE;
			break;
		}
		if (!armed) {
			kvm_vm_arm_timer(vm, deadline_ns - t);
			armed = true;
		}
		if (kvm_memory_sync(vm) < 0) {
			result = INTERP_ERROR;
			break;
		}
		bool injected = offer_interrupt(vm);
		if (vm->error[0]) {
			result = INTERP_ERROR;
			break;
		}
		if (cpu->halted) {
			if (!injected) {
				result = INTERP_HALT;   /* nothing the guest can take yet */
				break;
			}
			cpu->halted = false;
			vm->synced.halted = false;
		}
		result = run_once(vm);
		if (result == INTERRUPTED) {
			armed = false;   /* a kick, or the timer a little early: arm it again */
			result = GO_ON;
		}
	}
	kvm_vm_arm_timer(vm, 0);
	if (kvm_sync_export(vm) < 0)
		return INTERP_ERROR;
	if (result == INTERP_HALT) {
		cpu->halted = true;
		vm->synced.halted = true;
	}
	return (enum interp_exit)result;
}
