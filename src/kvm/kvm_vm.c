/*
 * kvm_vm.c - creating, resetting and destroying the KVM VM and its vCPU,
 * and stopping KVM_RUN (kvm_vm.h).
 *
 * No in-kernel irqchip (no KVM_CREATE_IRQCHIP, no KVM_CREATE_PIT2): the
 * machine's own PIC and PIT are the interrupt controller and timer, so
 * devices behave exactly as under the other engines; KVM_INTERRUPT injects
 * what the PIC acknowledges (kvm_run.c).
 *
 * Stopping KVM_RUN (api.rst, "immediate_exit"): a POSIX timer directed at
 * the vCPU thread (SIGEV_THREAD_ID) fires KVM_VM_SIGNAL at the run's
 * deadline, and kvm_vm_kick() (the run loop's kick signal) does what its
 * handler does: set kvm_run->immediate_exit. A signal during KVM_RUN
 * makes it return EINTR; one that arrives just before it is caught by
 * immediate_exit, which makes KVM_RUN return EINTR at once. The handler
 * needs to find the VM: one vCPU per process, so one process-wide pointer
 * (`running`) is the honest representation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm/kvm_priv.h"

#define KVM_VM_SIGNAL (SIGRTMIN + 6)

static struct kvm_vm *volatile running;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	struct kvm_vm *vm = running;
	if (vm)
		vm->run->immediate_exit = 1;
}

void kvm_vm_kick(struct kvm_vm *vm)
{
	if (vm && vm->run)
		vm->run->immediate_exit = 1;
}

static int setup_timer(struct kvm_vm *vm, char *err, size_t errlen)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO;   /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_VM_SIGNAL, &sa, NULL) < 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, KVM_VM_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = KVM_VM_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &vm->timer) < 0) {
		snprintf(err, errlen, "timer_create: %s", strerror(errno));
		return -1;
	}
	vm->have_timer = true;
	return 0;
}

void kvm_vm_arm_timer(struct kvm_vm *vm, uint64_t ns)
{
	if (!vm->have_timer)
		return;
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000u),
						.tv_nsec = (long)(ns % 1000000000u) } };
	timer_settime(vm->timer, 0, &its, NULL);
}

static int open_vm(struct kvm_vm *vm, char *err, size_t errlen)
{
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0) {
		snprintf(err, errlen, "/dev/kvm: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: unexpected KVM API version");
		return -1;
	}
	if (ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		snprintf(err, errlen, "/dev/kvm lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11+)");
		return -1;
	}
	vm->vm = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->vm < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM failed: %s", strerror(errno));
		return -1;
	}
	vm->vcpu = ioctl(vm->vm, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU failed: %s", strerror(errno));
		return -1;
	}
	int size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE failed");
		return -1;
	}
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		snprintf(err, errlen, "cannot map the vCPU's kvm_run: %s", strerror(errno));
		return -1;
	}
	vm->have_xcrs = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	vm->have_debugregs = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) > 0;
	vm->have_sregs2 = ioctl(vm->vm, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2) > 0;
	return 0;
}

struct kvm_vm *kvm_vm_create(struct cpu_state *cpu, const struct cpu_bus *bus,
			     struct cpu_model *model, char *err, size_t errlen)
{
	if (running) {
		snprintf(err, errlen, "engine kvm runs one vCPU per process");
		return NULL;
	}
	struct kvm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vm->kvm = vm->vm = vm->vcpu = -1;
	vm->cpu = cpu;
	vm->bus = *bus;
	vm->model = model;
	if (open_vm(vm, err, errlen) < 0 || kvm_memory_register(vm, err, errlen) < 0 ||
	    kvm_cpuid_setup(vm, model, err, errlen) < 0 || setup_timer(vm, err, errlen) < 0) {
		kvm_vm_destroy(vm);
		return NULL;
	}
	running = vm;
	return vm;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (!vm)
		return;
	if (running == vm)
		running = NULL;
	if (vm->have_timer)
		timer_delete(vm->timer);
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	if (vm->vm >= 0)
		close(vm->vm);
	if (vm->kvm >= 0)
		close(vm->kvm);
	free(vm);
}

/*
 * A reboot: the machine has put *cpu in its reset state; what KVM keeps
 * beyond cpu_state (a pending or injected event, the interrupt bitmap of
 * kvm_sregs, EFER) is cleared, and the next run imports the whole state.
 */
void kvm_vm_reset(struct kvm_vm *vm)
{
	struct kvm_vcpu_state *ks = &vm->ks;
	if (vm->in_sync) {
		memset(&ks->events, 0, sizeof(ks->events));
		ks->events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
		memset(ks->sregs.interrupt_bitmap, 0, sizeof(ks->sregs.interrupt_bitmap));
		ks->sregs.efer = 0;
		ks->sregs.cr8 = 0;
		/* the next import compares with this: never equal, so it sets everything */
		memset(&vm->synced, 0xff, sizeof(vm->synced));
	}
	vm->io_pending = false;
	vm->run->request_interrupt_window = 0;
	vm->run->immediate_exit = 0;
}

const char *kvm_vm_error(const struct kvm_vm *vm)
{
	return vm->error;
}

void kvm_vm_fds(const struct kvm_vm *vm, int fds[2])
{
	fds[0] = vm->vm;
	fds[1] = vm->vcpu;
}

void kvm_vm_get_stats(const struct kvm_vm *vm, struct kvm_vm_stats *out)
{
	*out = vm->st;
}

const char *kvm_exit_name(unsigned reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception",
		[KVM_EXIT_IO] = "io", [KVM_EXIT_HYPERCALL] = "hypercall", [KVM_EXIT_DEBUG] = "debug",
		[KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open", [KVM_EXIT_SHUTDOWN] = "shutdown",
		[KVM_EXIT_FAIL_ENTRY] = "fail_entry", [KVM_EXIT_INTR] = "intr",
		[KVM_EXIT_SET_TPR] = "set_tpr", [KVM_EXIT_TPR_ACCESS] = "tpr_access",
		[KVM_EXIT_NMI] = "nmi", [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_SYSTEM_EVENT] = "system_event", [KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
		[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
	};
	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "other";
}
