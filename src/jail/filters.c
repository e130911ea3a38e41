/*
 * filters.c - the two allow-lists of the jail (see jail.h and
 * docs/SECURITY.md, which explains each entry).
 *
 * Common head of both programs:
 *	arch != AUDIT_ARCH_X86_64          -> vCPU: TRAP(0) (a guest INT 0x80,
 *	                                      compat SYSCALL/SYSENTER); main: TRAP(jail)
 *	vCPU: instruction pointer < 4 GiB  -> TRAP(0) (a guest that far-jumped to
 *	                                      64-bit code; src/direct handles it)
 *	nr has the x32 bit                 -> TRAP(jail)
 * then the rules, then TRAP(jail) for everything else. TRAP(0) is what
 * src/direct/seccomp.c installs on its own, so merging it here keeps the
 * guest's system calls working when the jail is on.
 */
#define _GNU_SOURCE
#include <asm/ioctls.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail/jail.h"

#define TRAP_GUEST (SECCOMP_RET_TRAP | 0u)
#define TRAP_JAIL (SECCOMP_RET_TRAP | JAIL_RET_DATA)
#define ALLOW SECCOMP_RET_ALLOW
#define X32_BIT 0x40000000u
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const uint32_t tty_set_cmds[] = { TCSETS, TCSETSW, TCSETSF };

static void head(struct bpf_prog *p, bool vcpu)
{
	bpf_stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	bpf_jump(p, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	bpf_ret(p, vcpu ? TRAP_GUEST : TRAP_JAIL);
	if (vcpu) {
		bpf_stmt(p, BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4);
		bpf_jump(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
		bpf_ret(p, TRAP_GUEST);
	}
	bpf_stmt(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	bpf_jump(p, BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 0, 1);
	bpf_ret(p, TRAP_JAIL);
}

/*
 * Anonymous or (fd >= 0) that file, not PROT_EXEC; and, for the vCPU
 * thread (fd >= 0), executable mappings of guest RAM and protection changes
 * below 4 GiB: the guest window, where guest user code runs directly.
 */
static void memory_rules(struct bpf_prog *p, int fd)
{
	bpf_rule(p, SYS_mmap);
	bpf_arg_clear(p, 2, PROT_EXEC);
	bpf_arg_set(p, 3, MAP_ANONYMOUS);
	bpf_rule_end(p, ALLOW);
	if (fd >= 0) {
		bpf_rule(p, SYS_mmap);
		bpf_arg_clear(p, 2, PROT_EXEC);
		bpf_arg_in(p, 4, (const uint32_t[]){ (uint32_t)fd }, 1);
		bpf_rule_end(p, ALLOW);
		bpf_rule(p, SYS_mmap);
		bpf_arg_in(p, 4, (const uint32_t[]){ (uint32_t)fd }, 1);
		bpf_arg_set(p, 3, MAP_FIXED);
		bpf_arg_hi_is(p, 0, 0);
		bpf_rule_end(p, ALLOW);
		bpf_rule(p, SYS_mprotect);
		bpf_arg_hi_is(p, 0, 0);
		bpf_rule_end(p, ALLOW);
	}
	bpf_rule(p, SYS_mprotect);
	bpf_arg_clear(p, 2, PROT_EXEC);
	bpf_rule_end(p, ALLOW);
	static const int plain[] = { SYS_munmap, SYS_madvise, SYS_brk, SYS_mremap };
	bpf_allow_all(p, plain, NELEM(plain), ALLOW);
}

static void signal_rules(struct bpf_prog *p, pid_t self, pid_t other)
{
	bpf_rule(p, SYS_tgkill);
	bpf_arg_in(p, 0, (const uint32_t[]){ (uint32_t)getpid() }, 1);
	bpf_arg_in(p, 1, (const uint32_t[]){ (uint32_t)self, (uint32_t)other }, 2);
	bpf_rule_end(p, ALLOW);
	static const int plain[] = { SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_rt_sigaction,
				     SYS_getpid, SYS_gettid, SYS_futex, SYS_sched_yield,
				     SYS_restart_syscall, SYS_clock_gettime, SYS_clock_getres,
				     SYS_gettimeofday, SYS_exit };
	bpf_allow_all(p, plain, NELEM(plain), ALLOW);
}

/* The calls nrs[] on the disk's fds (those >= 0). */
static void disk_rules(struct bpf_prog *p, const int *fds, const int *nrs, unsigned n)
{
	uint32_t v[JAIL_DISK_FDS];
	unsigned k = 0;
	for (unsigned i = 0; i < JAIL_DISK_FDS; i++)
		if (fds[i] >= 0)
			v[k++] = (uint32_t)fds[i];
	if (!k)
		return;
	for (unsigned i = 0; i < n; i++) {
		bpf_rule(p, nrs[i]);
		bpf_arg_in(p, 0, v, k);
		bpf_rule_end(p, ALLOW);
	}
}

/* Reading terminal settings (isatty) anywhere; changing them on the terminal only. */
static void tty_rules(struct bpf_prog *p, int tty_fd)
{
	bpf_rule(p, SYS_ioctl);
	bpf_arg_in(p, 1, (const uint32_t[]){ TCGETS }, 1);
	bpf_rule_end(p, ALLOW);
	if (tty_fd < 0)
		return;
	bpf_rule(p, SYS_ioctl);
	bpf_arg_in(p, 0, (const uint32_t[]){ (uint32_t)tty_fd }, 1);
	bpf_arg_in(p, 1, tty_set_cmds, NELEM(tty_set_cmds));
	bpf_rule_end(p, ALLOW);
}

/*
 * Engine kvm after set-up: running the vCPU (KVM_RUN, KVM_INTERRUPT) and
 * moving its state in and out (kvm/kvm_sync.c) on the vCPU fd; on the VM
 * fd the memory slots, which follow the A20 gate (kvm/kvm_memory.c: slots
 * over memory this process has mapped anyway). Not KVM_CREATE_*, not
 * KVM_SET_CPUID2: the VM is built before.
 */
const uint32_t jail_kvm_ioctls[] = {
	KVM_RUN, KVM_INTERRUPT, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_SREGS2, KVM_SET_SREGS2,
	KVM_GET_FPU, KVM_SET_FPU, KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS, KVM_GET_VCPU_EVENTS,
	KVM_SET_VCPU_EVENTS, KVM_GET_XCRS, KVM_SET_XCRS, KVM_GET_MSRS, KVM_SET_MSRS,
};
const unsigned jail_kvm_nioctls = NELEM(jail_kvm_ioctls);

static void kvm_rules(struct bpf_prog *p, int vcpu_fd, int vm_fd)
{
	if (vcpu_fd >= 0) {
		bpf_rule(p, SYS_ioctl);
		bpf_arg_in(p, 0, (const uint32_t[]){ (uint32_t)vcpu_fd }, 1);
		bpf_arg_in(p, 1, jail_kvm_ioctls, NELEM(jail_kvm_ioctls));
		bpf_rule_end(p, ALLOW);
	}
	if (vm_fd >= 0) {
		bpf_rule(p, SYS_ioctl);
		bpf_arg_in(p, 0, (const uint32_t[]){ (uint32_t)vm_fd }, 1);
		bpf_arg_in(p, 1, (const uint32_t[]){ KVM_SET_USER_MEMORY_REGION }, 1);
		bpf_rule_end(p, ALLOW);
	}
}

int jail_build_vcpu(const struct jail_vcpu_config *c, pid_t self, struct bpf_prog *p)
{
	bpf_init(p);
	head(p, true);
	/* the frequent calls first: the program is a linear list (KVM_RUN, window fills,
	   poll page, timer) */
	kvm_rules(p, c->kvm_vcpu_fd, c->kvm_vm_fd);
	memory_rules(p, c->ram_fd);
	static const int plain[] = { SYS_timer_settime, SYS_timer_gettime, SYS_modify_ldt };
	bpf_allow_all(p, plain, NELEM(plain), ALLOW);
	signal_rules(p, self, c->main_tid);
	static const int disk_io[] = { SYS_pread64, SYS_pwrite64, SYS_fsync, SYS_fdatasync };
	disk_rules(p, c->disk_fds, disk_io, NELEM(disk_io));
	tty_rules(p, c->tty_fd);
	bpf_ret(p, TRAP_JAIL);
	return p->overflow ? -1 : 0;
}

int jail_build_main(const struct jail_main_config *c, pid_t self, struct bpf_prog *p)
{
	uint32_t fds[JAIL_MAX_FDS];
	bpf_init(p);
	head(p, false);
	signal_rules(p, self, c->vcpu_tid);
	memory_rules(p, -1);
	for (unsigned i = 0; i < c->nread && i < JAIL_MAX_FDS; i++)
		fds[i] = (uint32_t)c->read_fds[i];
	if (c->nread) {
		bpf_rule(p, SYS_read);
		bpf_arg_in(p, 0, fds, c->nread);
		bpf_rule_end(p, ALLOW);
	}
	for (unsigned i = 0; i < c->nwrite && i < JAIL_MAX_FDS; i++)
		fds[i] = (uint32_t)c->write_fds[i];
	if (c->nwrite) {
		bpf_rule(p, SYS_write);
		bpf_arg_in(p, 0, fds, c->nwrite);
		bpf_rule_end(p, ALLOW);
	}
	static const int plain[] = { SYS_ppoll, SYS_poll, SYS_exit_group, SYS_sigaltstack,
				     SYS_close, SYS_timer_delete };
	bpf_allow_all(p, plain, NELEM(plain), ALLOW);
	static const int disk_sync[] = { SYS_fsync, SYS_fdatasync };
	disk_rules(p, c->disk_fds, disk_sync, NELEM(disk_sync));
	tty_rules(p, c->tty_fd);
	bpf_ret(p, TRAP_JAIL);
	return p->overflow ? -1 : 0;
}
