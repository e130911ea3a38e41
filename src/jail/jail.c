/*
 * jail.c - installing the jail and handling its traps (see jail.h).
 *
 * Process-wide state, because the SIGSYS handler takes no argument and
 * may run before TLS is usable: the vCPU thread's id and FS base (read by
 * entry.S), the handler that was there before (src/direct's guest traps),
 * the ids needed to report, and the recorded violation. One vCPU thread
 * per process.
 *
 * In the vCPU thread a jail trap records the call, wakes the main thread
 * (tgkill with the main thread's wake signal: allowed) and ends the thread
 * with a raw SYS_exit; the main thread finds jail_vcpu_violation() true.
 * In the main thread the handler writes the report to fd 2 (allowed) with
 * its own formatting (async-signal-safe), calls the on_violation hook
 * (terminal restore) and exits the process with JAIL_EXIT_STATUS.
 */
#define _GNU_SOURCE
#include "jail/jail.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

_Static_assert(offsetof(siginfo_t, si_errno) == 4, "entry.S reads si_errno at 4");
_Static_assert(JAIL_RET_DATA == 0x1a11, "entry.S compares with 0x1a11");
_Static_assert(SYS_gettid == 186, "entry.S calls gettid by number");

/* Read by entry.S (see the overview for why these are process-wide). */
int jail_vcpu_tid;
uint64_t jail_vcpu_fsbase;
uint8_t jail_fsgsbase;
void *jail_next_sigsys;

static pid_t jail_main_tid;
static int jail_wake_signal;
static void (*jail_on_violation)(void);
static struct jail_violation vcpu_violation;
static uint32_t vcpu_violated;

void jail_sigsys_entry(int sig, siginfo_t *si, void *uc);
void jail_sigsys(int sig, siginfo_t *si, void *uc);

int jail_probe(char *why, size_t whylen)
{
	uint32_t action = SECCOMP_RET_TRAP;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
		snprintf(why, whylen, "seccomp filters are not available: %s", strerror(errno));
		return -1;
	}
	snprintf(why, whylen, "seccomp-BPF allow-list per thread");
	return 0;
}

static int install(const struct bpf_prog *p, char *err, size_t errlen)
{
	struct sock_fprog fprog = { .len = (unsigned short)p->n,
				    .filter = (struct sock_filter *)p->insn };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "jail: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
		snprintf(err, errlen, "jail: cannot install the seccomp filter: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int install_handler(char *err, size_t errlen)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = jail_sigsys_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, &old) != 0) {
		snprintf(err, errlen, "jail: sigaction(SIGSYS): %s", strerror(errno));
		return -1;
	}
	if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != jail_sigsys_entry)
		jail_next_sigsys = (void *)old.sa_sigaction;
	return 0;
}

int jail_install_vcpu(const struct jail_vcpu_config *c, char *err, size_t errlen)
{
	static struct bpf_prog p;   /* 4 KiB: not on a thread's stack */
	pid_t self = (pid_t)syscall(SYS_gettid);
	if (jail_build_vcpu(c, self, &p) < 0) {
		snprintf(err, errlen, "jail: internal error: the vCPU filter does not fit");
		return -1;
	}
	jail_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	if (jail_fsgsbase)
		__asm__ volatile("rdfsbase %0" : "=r"(jail_vcpu_fsbase));
	jail_vcpu_tid = self;
	jail_main_tid = c->main_tid;
	jail_wake_signal = c->wake_signal;
	if (install_handler(err, errlen) < 0)
		return -1;
	return install(&p, err, errlen);
}

int jail_install_main(const struct jail_main_config *c, char *err, size_t errlen)
{
	static struct bpf_prog p;
	if (jail_build_main(c, (pid_t)syscall(SYS_gettid), &p) < 0) {
		snprintf(err, errlen, "jail: internal error: the main filter does not fit");
		return -1;
	}
	jail_on_violation = c->on_violation;
	if (install_handler(err, errlen) < 0)
		return -1;
	return install(&p, err, errlen);
}

bool jail_vcpu_violation(struct jail_violation *v)
{
	if (!__atomic_load_n(&vcpu_violated, __ATOMIC_ACQUIRE))
		return false;
	*v = vcpu_violation;
	return true;
}

/* Appends s to buf at *at (async-signal-safe). */
static void put_str(char *buf, size_t n, size_t *at, const char *s)
{
	while (*s && *at + 1 < n)
		buf[(*at)++] = *s++;
	buf[*at < n ? *at : n - 1] = 0;
}

static void put_num(char *buf, size_t n, size_t *at, uint64_t v, unsigned base)
{
	char tmp[24];
	int i = sizeof(tmp) - 1;
	tmp[i] = 0;
	do {
		tmp[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && i > 0);
	if (base == 16)
		put_str(buf, n, at, "0x");
	put_str(buf, n, at, tmp + i);
}

void jail_describe(const struct jail_violation *v, const char *thread, char *buf, size_t n)
{
	size_t at = 0;
	const char *name = jail_syscall_name(v->nr);
	if (!n)
		return;
	buf[0] = 0;
	put_str(buf, n, &at, "jail: the ");
	put_str(buf, n, &at, thread);
	put_str(buf, n, &at, " thread made a forbidden host system call ");
	put_str(buf, n, &at, name ? name : "?");
	put_str(buf, n, &at, " (nr ");
	if (v->nr < 0) {
		put_str(buf, n, &at, "-");
		put_num(buf, n, &at, (uint64_t)-(int64_t)v->nr, 10);
	} else {
		put_num(buf, n, &at, (uint64_t)v->nr, 10);
	}
	put_str(buf, n, &at, ") at RIP ");
	put_num(buf, n, &at, v->rip, 16);
	put_str(buf, n, &at, "; stopped");
}

void jail_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	struct jail_violation v = {
		.nr = si->si_syscall,
		.arch = si->si_arch,
		.rip = (uint64_t)(uintptr_t)si->si_call_addr,
	};
	pid_t self = (pid_t)syscall(SYS_gettid);
	if (self == jail_vcpu_tid) {
		vcpu_violation = v;
		__atomic_store_n(&vcpu_violated, 1, __ATOMIC_RELEASE);
		if (jail_main_tid)
			syscall(SYS_tgkill, getpid(), jail_main_tid, jail_wake_signal);
		for (;;)
			syscall(SYS_exit, 0);
	}
	char msg[200];
	jail_describe(&v, "main", msg, sizeof(msg) - 1);
	size_t len = strlen(msg);
	msg[len++] = '\n';
	if (write(2, msg, len) < 0) {
		/* nothing more can be done: exit anyway */
	}
	if (jail_on_violation)
		jail_on_violation();
	for (;;)
		syscall(SYS_exit_group, JAIL_EXIT_STATUS);
}
