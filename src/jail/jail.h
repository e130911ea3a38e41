/*
 * jail.h - softvt confines itself after set-up (docs/SECURITY.md).
 *
 * Each of softvt's two threads installs its own seccomp-BPF allow-list
 * (per thread, no TSYNC) once set-up is over:
 *  - the vCPU thread (guest, engine, devices): memory management on its own
 *    mappings, futex, its timer, signals to its own process, modify_ldt,
 *    thread exit; pread64/pwrite64/fsync on the disk image only; engine kvm's
 *    vCPU ioctls on its vCPU fd and memory slots on its VM fd only. Ahead of the
 *    allow-list come the guest system-call traps of direct execution (arch
 *    I386, or a call from below 4 GiB: SECCOMP_RET_TRAP with data 0, for
 *    src/direct's SIGSYS handler).
 *  - the main thread (I/O supervisor): read/write on its known fds only,
 *    ppoll, futex, signals, clocks, terminal settings on the terminal,
 *    anonymous non-executable memory, exit.
 * Anything else is SECCOMP_RET_TRAP with data JAIL_RET_DATA. The SIGSYS
 * handler (jail_entry.S, then jail.c) records the call; in the vCPU thread
 * it ends that thread (the main thread then reports it with
 * jail_describe() and exits with JAIL_EXIT_STATUS); in the main thread it
 * prints the report itself and exits the process with JAIL_EXIT_STATUS.
 */
#ifndef SOFTVT_JAIL_H
#define SOFTVT_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jail/bpf.h"

#define JAIL_EXIT_STATUS 100    /* softvt's exit status after a forbidden call (not
                                   0-3: the test guests' codes; not 124-127, 128+N) */
#define JAIL_RET_DATA 0x1a11u   /* SECCOMP_RET_DATA of the jail's traps (si_errno) */
#define JAIL_MAX_FDS 8
#define JAIL_DISK_FDS 2

struct jail_vcpu_config {
	pid_t main_tid;          /* signals may go to it and to the calling thread */
	int ram_fd;              /* guest RAM memfd: may be mapped (not executable) */
	int disk_fds[JAIL_DISK_FDS];  /* the disk image and its --snapshot overlay (-1: none):
	                                 pread64, pwrite64, fsync, fdatasync on them */
	int tty_fd;              /* -1, or the terminal: TCSETS* (restore on a crash) */
	int wake_signal;         /* sent to main_tid when the jail stops this thread */
	int kvm_vcpu_fd;         /* -1, or engine kvm's vCPU: KVM_RUN, KVM_INTERRUPT and
	                            the state ioctls (jail_kvm_ioctls[]) on it */
	int kvm_vm_fd;           /* -1, or engine kvm's VM: KVM_SET_USER_MEMORY_REGION (the
	                            slots change with the A20 gate) */
};

/* The vCPU ioctls engine kvm makes after set-up (filters.c). */
extern const uint32_t jail_kvm_ioctls[];
extern const unsigned jail_kvm_nioctls;

struct jail_main_config {
	pid_t vcpu_tid;          /* signals may go to it and to the calling thread */
	int read_fds[JAIL_MAX_FDS];
	unsigned nread;
	int write_fds[JAIL_MAX_FDS];
	unsigned nwrite;
	int tty_fd;              /* -1, or the terminal: TCSETS* */
	int disk_fds[JAIL_DISK_FDS];  /* -1, or the disk's: fsync (closing it at the end) */
	/* async-signal-safe; called before the process exits after a forbidden
	   call of the main thread (e.g. restore the terminal); may be NULL */
	void (*on_violation)(void);
};

struct jail_violation {
	int nr;                  /* x86-64 system call number */
	uint32_t arch;           /* AUDIT_ARCH_* */
	uint64_t rip;            /* address after the system call instruction */
};

/* 0 if seccomp filters with SECCOMP_RET_TRAP can be installed here; else -1 and why. */
int jail_probe(char *why, size_t whylen);

/* The two programs (exposed for the tests); -1 if the builder overflowed. */
int jail_build_vcpu(const struct jail_vcpu_config *c, pid_t self, struct bpf_prog *p);
int jail_build_main(const struct jail_main_config *c, pid_t self, struct bpf_prog *p);

/*
 * Called by the vCPU thread once its engine is set up: installs the SIGSYS
 * handler (keeping the previous one, e.g. src/direct's, for the guest's
 * traps) and the vCPU filter for the calling thread. 0, or -1 with err.
 */
int jail_install_vcpu(const struct jail_vcpu_config *c, char *err, size_t errlen);
/* Called by the main thread after the vCPU thread has installed its own. */
int jail_install_main(const struct jail_main_config *c, char *err, size_t errlen);

/* True (and *v filled) once the vCPU thread was stopped by the jail. */
bool jail_vcpu_violation(struct jail_violation *v);
/* "jail: the vCPU thread made a forbidden host system call NAME (nr N) at RIP 0x...; stopped" */
void jail_describe(const struct jail_violation *v, const char *thread, char *buf, size_t n);
/* Name of an x86-64 system call, or NULL. */
const char *jail_syscall_name(int nr);

#endif
