/*
 * enter.c - running guest code natively until it traps.
 *
 * direct_enter() hands a struct direct_cpu to direct_enter_asm (enter.S),
 * which IRETQs into the guest's 32-bit code. Nothing comes back except by
 * a trap: HLT/CLI/IN/OUT/INT n (#GP, SIGSEGV trapno 13), page faults
 * (SIGSEGV trapno 14, si_addr), #UD (SIGILL), #DE (SIGFPE), INT3/#DB
 * (SIGTRAP), and system calls trapped by the seccomp filter (SIGSYS).
 * direct_signal() runs on the sigaltstack (RSP is the guest's ESP when the
 * signal arrives), copies the guest state out of the ucontext and rewrites
 * the ucontext so that rt_sigreturn resumes the monitor in 64-bit code:
 * RIP = direct_exit_stub, CS = the host's 64-bit CS (0x33), RSP = the
 * stack saved at entry, RDI = the cpu. The stub returns from
 * direct_enter_asm() as if it were an ordinary call.
 *
 * System calls (SIGSYS): INT 0x80 leaves RIP after the instruction, so the
 * guest EIP is RIP - 2. For a compat SYSCALL (AMD) or SYSENTER (Intel) the
 * host kernel has replaced RIP with its vDSO landing pad (above 4 GiB)
 * before seccomp runs, put the guest's EBP in ECX and loaded EBP from the
 * guest's [ESP]: the guest EIP is lost (eip_known = false) and ECX (which
 * the instruction itself clobbers) is reported as 0.
 *
 * FPU: the guest's x87/SSE state is cpu->fpu (FXSAVE format); where the
 * host has XSAVE, the components beyond it that the host kernel enabled
 * (AVX upper halves, AVX-512...) - which guest user code can use natively,
 * since CPUID is not virtualized for it - are kept in cpu->xarea across
 * exits, so the monitor's own use of them (glibc's AVX2 memcpy) cannot
 * corrupt them. Engine bt shares that area with the interpreter, whose
 * XSAVE/XRSTOR (cpu/ops_xsave.c) let the guest kernel save and restore it
 * at its context switches: the virtual CPU shows XSAVE (docs/DIRECT.md).
 *
 * Process-wide state, because a signal handler takes no argument and the
 * signal entry cannot use TLS before it has restored FS: the host CS/SS
 * selectors and FS base (direct_host_*, read by enter.S) and the cpu that
 * is running (direct_active). One vCPU thread only, for now.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <ucontext.h>

#include "direct/direct.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

#define ALTSTACK_SIZE (64 * 1024)
#define GUEST_FLAGS 0x244cd5u   /* CF PF AF ZF SF DF OF, NT, AC, ID: the guest's own */

/* Shared with enter.S (see the overview for why these are global). */
uint16_t direct_host_cs, direct_host_ss;
uint64_t direct_host_fsbase;
uint8_t direct_fsgsbase_ok;
void (*direct_sig_table[NSIG])(int, siginfo_t *, void *);
static struct direct_cpu *volatile direct_active;
static bool direct_fsgsbase;
static direct_pf_hook pf_hook;
/* XSAVE components beyond x87/SSE that the host enabled (AVX...), 0 without XSAVE */
static uint64_t xext_mask;
static uint32_t xsave_size;
static void *pf_hook_opaque;

void direct_enter_asm(struct direct_cpu *cpu);
void direct_exit_stub(void);
void direct_sig_entry(int sig, siginfo_t *si, void *uc);

static_assert(offsetof(struct direct_cpu, eip) == 0x20, "enter.S layout");
static_assert(offsetof(struct direct_cpu, eflags) == 0x24, "enter.S layout");
static_assert(offsetof(struct direct_cpu, sel) == 0x28, "enter.S layout");
static_assert(offsetof(struct direct_cpu, has_fsgsbase) == 0x34, "enter.S layout");
static_assert(offsetof(struct direct_cpu, host_rsp) == 0x38, "enter.S layout");
static_assert(offsetof(struct direct_cpu, host_fsbase) == 0x40, "enter.S layout");
static_assert(offsetof(struct direct_cpu, host_gsbase) == 0x48, "enter.S layout");
static_assert(offsetof(struct direct_cpu, seen_sel) == 0x50, "enter.S layout");
static_assert(S_ES == 0 && S_DS == 3 && S_FS == 4 && S_GS == 5, "enter.S seen_sel offsets");
static_assert(offsetof(ucontext_t, uc_mcontext.gregs) + REG_CSGSFS * sizeof(greg_t) == 0xb8,
	      "enter.S UC_CSGSFS");
static_assert(offsetof(ucontext_t, uc_mcontext.gregs) + REG_RIP * sizeof(greg_t) == 0xa8,
	      "enter.S UC_RIP");

static const int direct_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };

void direct_thread_init(void)
{
	uint16_t cs, ssel;

	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ssel));
	direct_host_cs = cs;
	direct_host_ss = ssel;
	direct_fsgsbase = getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (c & (1u << 27)) {   /* OSXSAVE: XGETBV works, XCR0 says what is enabled */
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
		xext_mask = ((uint64_t)hi << 32 | lo) & ~3ull;
		xsave_size = b;
	}
	if (direct_fsgsbase) {
		uint64_t fs;
		__asm__ volatile("rdfsbase %0" : "=r"(fs));
		direct_host_fsbase = fs;
		direct_fsgsbase_ok = 1;
	}
}

int direct_sigaction(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
		     struct sigaction *old)
{
	struct sigaction sa;

	if (sig <= 0 || sig >= NSIG)
		return -EINVAL;
	direct_sig_table[sig] = fn;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = direct_sig_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, old) == 0 ? 0 : -errno;
}

void direct_set_pf_hook(direct_pf_hook fn, void *opaque)
{
	pf_hook_opaque = opaque;
	pf_hook = fn;
}

/* The standalone handler of direct_init(): guest signals, or die of it. */
static void default_handler(int sig, siginfo_t *si, void *uc)
{
	if (!direct_signal(sig, si, uc))
		signal(sig, SIG_DFL);   /* the monitor's own fault: re-executes and dies */
}

int direct_init(void)
{
	stack_t ss;

	direct_thread_init();
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = malloc(ALTSTACK_SIZE);
	if (!ss.ss_sp)
		return -ENOMEM;
	ss.ss_size = ALTSTACK_SIZE;
	if (sigaltstack(&ss, NULL) != 0)
		return -errno;
	for (size_t i = 0; i < sizeof(direct_signals) / sizeof(direct_signals[0]); i++) {
		int err = direct_sigaction(direct_signals[i], default_handler, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

int direct_enter(struct direct_cpu *cpu)
{
	if ((cpu->sel[S_FS] || cpu->sel[S_GS]) && !direct_fsgsbase)
		return -EINVAL;
	cpu->has_fsgsbase = direct_fsgsbase;
	if (direct_fsgsbase) {
		__asm__ volatile("rdfsbase %0" : "=r"(cpu->host_fsbase));
		__asm__ volatile("rdgsbase %0" : "=r"(cpu->host_gsbase));
		direct_host_fsbase = cpu->host_fsbase;
	}
	cpu->eflags = (cpu->eflags & GUEST_FLAGS) | 0x202;
	memset(&cpu->exit, 0, sizeof(cpu->exit));
	if (xext_mask && !cpu->xhost) {
		/* the guest's extended state (AVX and later, which user code may use natively)
		   and the monitor's, kept across exits: XSAVE areas, 64-byte aligned, zeroed
		   (an all-zero header is the initial state). The caller may provide the
		   guest's (xarea: bt shares it with the interpreter's XSAVE/XRSTOR). */
		size_t n = direct_xstate_size();
		void *x = cpu->xarea ? cpu->xarea : aligned_alloc(64, n);
		cpu->xhost = aligned_alloc(64, n);
		if (!x || !cpu->xhost) {
			if (x != cpu->xarea)
				free(x);
			free(cpu->xhost);
			cpu->xhost = NULL;
			return -ENOMEM;
		}
		if (x != cpu->xarea)
			memset(x, 0, n);
		cpu->xarea = x;
		memset(cpu->xhost, 0, n);
	}
	__asm__ volatile("fxsave64 %0" : "=m"(cpu->host_fpu));
	if (cpu->xhost)
		__asm__ volatile("xsave64 (%0)" : : "r"(cpu->xhost), "a"((uint32_t)xext_mask),
				 "d"((uint32_t)(xext_mask >> 32)) : "memory");
	cpu->fpu.mxcsr &= cpu->host_fpu.mxcsr_mask ? cpu->host_fpu.mxcsr_mask : 0xffbfu;
	direct_active = cpu;
	/*
	 * From the FXRSTOR to the FXSAVE the FPU holds the guest's state; no
	 * C code runs in between (the signal handler's own FPU use is undone
	 * by sigreturn, which restores the state of the signal frame: the
	 * guest's). The 32-bit FXSAVE format is the one of struct fpu_state.
	 */
	/* XRSTOR of the AVX component loads MXCSR too (SDM vol. 1 13.8): the
	   extended state first, then the x87/SSE state with the guest's MXCSR */
	if (cpu->xarea)
		__asm__ volatile("xrstor (%0)" : : "r"(cpu->xarea), "a"((uint32_t)xext_mask),
				 "d"((uint32_t)(xext_mask >> 32)) : "memory");
	__asm__ volatile("fxrstor %0" : : "m"(cpu->fpu));
	direct_enter_asm(cpu);
	__asm__ volatile("fxsave %0" : "=m"(cpu->fpu));
	if (cpu->xarea) {
		__asm__ volatile("xsave (%0)" : : "r"(cpu->xarea), "a"((uint32_t)xext_mask),
				 "d"((uint32_t)(xext_mask >> 32)) : "memory");
		__asm__ volatile("xrstor64 (%0)" : : "r"(cpu->xhost), "a"((uint32_t)xext_mask),
				 "d"((uint32_t)(xext_mask >> 32)) : "memory");
	}
	__asm__ volatile("fxrstor64 %0" : : "m"(cpu->host_fpu));
	direct_active = NULL;
	return 0;
}

size_t direct_xstate_size(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)))
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	return ((size_t)b + 63) & ~(size_t)63;
}

void direct_fpu_reset(struct fpu_state *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	fpu->fcw = 0x037f;
	fpu->mxcsr = 0x1f80;
}

static void save_guest(struct direct_cpu *cpu, const greg_t *g)
{
	cpu->gpr[0] = (uint32_t)g[REG_RAX];
	cpu->gpr[1] = (uint32_t)g[REG_RCX];
	cpu->gpr[2] = (uint32_t)g[REG_RDX];
	cpu->gpr[3] = (uint32_t)g[REG_RBX];
	cpu->gpr[4] = (uint32_t)g[REG_RSP];
	cpu->gpr[5] = (uint32_t)g[REG_RBP];
	cpu->gpr[6] = (uint32_t)g[REG_RSI];
	cpu->gpr[7] = (uint32_t)g[REG_RDI];
	cpu->eip = (uint32_t)g[REG_RIP];
	cpu->eflags = (uint32_t)g[REG_EFL];
}

static void save_syscall(struct direct_cpu *cpu, const siginfo_t *si, const greg_t *g)
{
	struct direct_exit *e = &cpu->exit;
	uint64_t rip = (uint64_t)g[REG_RIP];

	e->kind = DIRECT_EXIT_SYSCALL;
	e->sc_nr = si->si_syscall;
	e->sc_arch = si->si_arch;
	cpu->gpr[0] = (uint32_t)si->si_syscall;
	if (rip >> 32) {
		e->sc_kind = DIRECT_SC_FAST;
		e->eip_known = false;
		cpu->gpr[5] = (uint32_t)g[REG_RCX];
		cpu->gpr[1] = 0;
		cpu->eip = 0;
	} else {
		e->sc_kind = si->si_arch == AUDIT_ARCH_I386 ? DIRECT_SC_INT80
								  : DIRECT_SC_NATIVE64;
		e->eip_known = true;
		cpu->eip = (uint32_t)rip - 2;   /* INT 0x80 and SYSCALL are 2 bytes */
	}
}

/* Whether the interrupted context is guest code: 32-bit code, or 64-bit code below 4 GiB. */
static bool guest_context(const greg_t *g)
{
	return (uint16_t)g[REG_CSGSFS] != direct_host_cs || !((uint64_t)g[REG_RIP] >> 32);
}

/* Makes sigreturn resume the monitor in direct_exit_stub instead of the guest. */
static void leave_guest(struct direct_cpu *cpu, greg_t *g)
{
	cpu->seen_sel[S_CS] = (uint16_t)g[REG_CSGSFS];
	cpu->seen_sel[S_SS] = (uint16_t)((uint64_t)g[REG_CSGSFS] >> 48);
	g[REG_RIP] = (greg_t)(uintptr_t)direct_exit_stub;
	g[REG_RSP] = (greg_t)cpu->host_rsp;
	g[REG_RDI] = (greg_t)(uintptr_t)cpu;
	g[REG_EFL] = 0x202;
	g[REG_CSGSFS] = (greg_t)((uint64_t)direct_host_cs | (uint64_t)direct_host_ss << 48);
}

bool direct_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct direct_cpu *cpu = direct_active;

	if (!cpu || !guest_context(g))
		return false;
	uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
	if (sig == SIGSEGV && g[REG_TRAPNO] == 14 && !(addr >> 32) && pf_hook &&
	    pf_hook(pf_hook_opaque, addr, (g[REG_ERR] & 2) != 0)) {
		cpu->pf_fills++;
		return true;   /* mapped: the access is retried */
	}
	save_guest(cpu, g);
	cpu->exit.host_rip = (uint64_t)g[REG_RIP];
	cpu->exit.signo = sig;
	cpu->exit.code = si->si_code;
	cpu->exit.trapno = (uint32_t)g[REG_TRAPNO];
	cpu->exit.err = (uint32_t)g[REG_ERR];
	if (sig == SIGSYS) {
		save_syscall(cpu, si, g);
	} else {
		cpu->exit.kind = DIRECT_EXIT_FAULT;
		cpu->exit.eip_known = true;
		cpu->exit.addr = addr;
	}
	leave_guest(cpu, g);
	return true;
}

bool direct_preempt(void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct direct_cpu *cpu = direct_active;

	if (!cpu || !guest_context(g))
		return false;
	save_guest(cpu, g);
	cpu->exit.host_rip = (uint64_t)g[REG_RIP];
	cpu->exit.kind = DIRECT_EXIT_PREEMPT;
	cpu->exit.eip_known = true;
	leave_guest(cpu, g);
	return true;
}

bool direct_running(void)
{
	return direct_active != NULL;
}
