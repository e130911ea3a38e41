/*
 * tc_signal.c - leaving translated code from a signal handler (tc.h,
 * tc_signal_exit): a host fault in the TC becomes BT_EXIT_FAULT, a fault
 * on the poll page BT_EXIT_POLL.
 *
 * The handler runs on the sigaltstack (rsp is the guest's ESP), with the
 * host GS base still the guest's FS base: nothing here touches GS, calls
 * libc or allocates. The guest registers are taken from the ucontext
 * (low 32 bits of rax..rdi and rsp, the arithmetic flags and DF), then
 * the ucontext is redirected to the fault-exit stub with rsp = the monitor
 * stack saved by bt_enter() and r15 = ctx; on sigreturn the stub restores
 * the host GS base and returns ctx->exit_reason from bt_enter().
 * Translated code has no side effect before the last faulting access of a
 * guest instruction, so these registers are those of its start and
 * tc_find(fault_rip) names it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <ucontext.h>

#include "bt/tc_internal.h"

static const int gpr_slot[8] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
};

bool tc_signal_exit(struct tc *tc, struct bt_ctx *ctx, int signo, const siginfo_t *si,
		    ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	uint64_t rx = (uint64_t)(uintptr_t)tc->rx;
	if (rip < rx || rip >= rx + tc->used)
		return false;
	if (signo != SIGSEGV && signo != SIGBUS && signo != SIGFPE && signo != SIGILL &&
	    signo != SIGTRAP)
		return false;

	for (int r = 0; r < 8; r++)
		ctx->gpr[r] = (uint32_t)g[gpr_slot[r]];
	ctx->eflags = (uint32_t)g[REG_EFL] & BT_EFLAGS_MASK;
	ctx->fault_rip = rip;
	ctx->fault_addr = (uint64_t)(uintptr_t)si->si_addr;
	ctx->fault_signo = (uint32_t)signo;
	ctx->fault_trapno = (uint32_t)g[REG_TRAPNO];
	ctx->fault_err = (uint32_t)g[REG_ERR];
	ctx->exit_reason = BT_EXIT_FAULT;

	uint64_t poll = (uint64_t)(uintptr_t)tc->poll;
	struct tb *tb;
	if (signo == SIGSEGV && ctx->fault_addr - poll < TC_PAGE && tc_find(tc, rip, &tb, NULL)) {
		/* The poll load is the first instruction of a block: state is its entry. */
		ctx->next_eip = tb->eip;
		ctx->exit_reason = BT_EXIT_POLL;
	}

	g[REG_RIP] = (greg_t)tc->stub_fault_exit;
	g[REG_RSP] = (greg_t)ctx->host_rsp;
	g[REG_R15] = (greg_t)(uintptr_t)ctx;
	g[REG_EFL] &= ~(greg_t)(BT_EFLAGS_MASK | 0x100);   /* no guest DF or TF on the way out */
	return true;
}
