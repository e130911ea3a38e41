/*
 * signals.c - engine bt's signal side.
 *
 * Translated code runs with the guest's ESP in rsp, so every handler runs
 * on a sigaltstack. Host faults in the translation cache (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGTRAP) come here: a page fault in the guest window that
 * the shadow page table can satisfy is filled on the spot and the access
 * retried (the common case, no exit); anything else leaves the TC through
 * tc_signal_exit() with the precise guest state, and the dispatcher decides
 * (the interpreter re-executes the instruction and raises the guest's
 * exception, or emulates the MMIO access).
 *
 * Stopping translated code: a POSIX timer for the run's deadline (and
 * bt_kick() for stop requests) make the TC's poll page PROT_NONE, so the
 * next block entry faults and exits with BT_EXIT_POLL. Guest user code
 * running directly is preempted by the same timer (direct_preempt); if it
 * fires just while the monitor is entering or leaving that code, it is
 * re-armed for 100 us, and deadline_fired stops an entry that has not
 * begun.
 *
 * Every handler is installed behind src/direct's FS-restoring entry (the
 * guest's FS base may be loaded when a signal arrives), and guest user
 * code's signals go to direct_signal() first.
 *
 * Signal handlers need to find the engine: there is one vCPU per process,
 * so one process-wide pointer (`running`) is the honest representation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "bt/dispatch_priv.h"
#include "bt/tc.h"
#include "mmu/window.h"

#define ALTSTACK_SIZE (256u << 10)
#define DEADLINE_SIGNAL (SIGRTMIN + 3)

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

static struct bt *volatile running;
static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
#define NFAULT_SIGNALS (sizeof(fault_signals) / sizeof(fault_signals[0]))
static struct sigaction previous[NFAULT_SIGNALS];   /* e.g. the console's terminal restore */

static void restore_previous(int sig)
{
	for (size_t i = 0; i < NFAULT_SIGNALS; i++)
		if (fault_signals[i] == sig)
			sigaction(sig, &previous[i], NULL);
}

int bt_host_probe(char *why, size_t whylen)
{
#if !defined(__x86_64__)
	snprintf(why, whylen, "engine bt needs an x86-64 host");
	return -1;
#else
	if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)) {
		snprintf(why, whylen, "the host kernel does not allow FSGSBASE instructions in user "
				      "space (needed for the guest's FS base)");
		return -1;
	}
	return window_probe(why, whylen);
#endif
}

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	struct bt *bt = running;
	ucontext_t *uc = ucv;
	if (direct_signal(sig, si, ucv))
		return;   /* guest user code running directly (bt/user_direct.c) */
	if (bt && bt->in_tc) {
		bt->fault_result = -1;
		uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
		/* a page fault of translated code beyond the window and its guard
		   (other than the poll page): a translator bug, since every guest
		   operand is a 32-bit offset plus a base below 4 GiB; counted for
		   the tests, then handled like any other fault */
		uint64_t poll = (uint64_t)(uintptr_t)bt->ctx->poll_page;
		if (sig == SIGSEGV && uc->uc_mcontext.gregs[REG_TRAPNO] == 14 &&
		    addr >= WINDOW_GUARD_END && (addr < poll || addr >= poll + 4096))
			bt->st.outside_window++;
		if (sig == SIGSEGV && uc->uc_mcontext.gregs[REG_TRAPNO] == 14 &&
		    addr < WINDOW_GUARD_END) {
			struct tb *tb;
			uint32_t eip;
			uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
			if (tc_find(bt->tc, rip, &tb, &eip)) {
				uint32_t pf, page = 0;
				bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
				enum window_result r = window_fault(bt->win, bt->cpu, addr, write,
								    bt->tc_cpl, &pf, &page);
				if (r == WINDOW_MAPPED) {
					bt->st.fills_in_handler++;
					return;   /* retry the access */
				}
				bt->fault_result = (int)r;
				bt->fault_page = page;
			}
		}
		if (tc_signal_exit(bt->tc, bt->ctx, sig, si, uc))
			return;
	}
	/* Not translated code: a fault of the monitor itself. Let the previous
	 * handler (the console's, then the default action) take it when the
	 * faulting instruction re-executes. */
	restore_previous(sig);
	if (sig == SIGTRAP || sig == SIGSYS)
		raise(sig);   /* not re-raised by re-executing an instruction */
}

static void on_deadline(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si;
	struct bt *bt = running;
	if (!bt)
		return;
	bt->deadline_fired = 1;
	bt_arm_poll(bt);
	if (bt->in_direct && !direct_preempt(uc))
		bt_fire_soon(bt, 100000);   /* about to enter or just leaving guest user code */
}

void bt_fire_soon(struct bt *bt, long ns)
{
	if (!bt->have_timer)
		return;
	struct itimerspec its = { .it_value = { .tv_nsec = ns } };
	timer_settime(bt->timer, 0, &its, NULL);
}

int bt_signals_install(struct bt *bt, char *err, size_t errlen)
{
	if (running) {
		snprintf(err, errlen, "engine bt runs one vCPU per process");
		return -1;
	}
	bt->altstack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bt->altstack == MAP_FAILED) {
		bt->altstack = NULL;
		snprintf(err, errlen, "cannot allocate the signal stack: %s", strerror(errno));
		return -1;
	}
	stack_t ss = { .ss_sp = bt->altstack, .ss_size = ALTSTACK_SIZE };
	if (sigaltstack(&ss, NULL) < 0) {
		snprintf(err, errlen, "sigaltstack: %s", strerror(errno));
		return -1;
	}
	/* every handler behind the FS-restoring entry: guest user code running
	   directly may have a guest FS base loaded (src/direct/enter.S) */
	direct_thread_init();
	for (size_t i = 0; i < NFAULT_SIGNALS; i++)
		direct_sigaction(fault_signals[i], on_fault, SA_NODEFER, &previous[i]);
	direct_sigaction(DEADLINE_SIGNAL, on_deadline, SA_RESTART, NULL);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = DEADLINE_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &bt->timer) < 0) {
		snprintf(err, errlen, "timer_create: %s", strerror(errno));
		return -1;
	}
	bt->have_timer = true;
	running = bt;
	return 0;
}

void bt_signals_remove(struct bt *bt)
{
	if (running == bt) {
		running = NULL;
		for (size_t i = 0; i < NFAULT_SIGNALS; i++)
			sigaction(fault_signals[i], &previous[i], NULL);
	}
	if (bt->have_timer) {
		timer_delete(bt->timer);
		bt->have_timer = false;
	}
	if (bt->altstack) {
		stack_t ss = { .ss_flags = SS_DISABLE };
		sigaltstack(&ss, NULL);
		munmap(bt->altstack, ALTSTACK_SIZE);
		bt->altstack = NULL;
	}
}

void bt_arm_poll(struct bt *bt)
{
	if (bt->ctx && bt->ctx->poll_page)
		mprotect(bt->ctx->poll_page, 4096, PROT_NONE);
}

void bt_disarm_poll(struct bt *bt)
{
	if (bt->ctx && bt->ctx->poll_page)
		mprotect(bt->ctx->poll_page, 4096, PROT_READ);
}

void bt_arm_deadline(struct bt *bt, uint64_t deadline_ns, uint64_t now_ns)
{
	bt_disarm_poll(bt);
	bt->deadline_fired = 0;
	if (!bt->have_timer)
		return;
	uint64_t rel = deadline_ns > now_ns ? deadline_ns - now_ns : 1;
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(rel / 1000000000u), .tv_nsec = (long)(rel % 1000000000u) },
	};
	timer_settime(bt->timer, 0, &its, NULL);
}

void bt_disarm_deadline(struct bt *bt)
{
	if (!bt->have_timer)
		return;
	struct itimerspec its = { 0 };
	timer_settime(bt->timer, 0, &its, NULL);
}
