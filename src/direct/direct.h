/*
 * direct.h - direct execution of guest user code: the groundwork.
 *
 * Guest CPL-3 code runs natively in a 32-bit compatibility-mode segment of
 * this 64-bit process (design: architecture.md section 4, issue 5):
 *   - ldt.c mirrors guest segments (struct seg_cache) into host LDT entries
 *     with modify_ldt, optionally truncating their limits below a linear
 *     boundary, and caches them so that an unchanged segment costs nothing;
 *   - enter.S/enter.c load the guest registers and selectors and IRETQ into
 *     the guest code; every way back is a trap: the signal handler (on a
 *     sigaltstack) saves the guest state from the ucontext and rewrites the
 *     ucontext so that sigreturn lands in 64-bit code (CS 0x33) which
 *     returns from direct_enter();
 *   - seccomp.c traps every 32-bit system call and every system call made
 *     below 4 GiB (SIGSYS), so guest INT 0x80 / SYSCALL / SYSENTER never
 *     reach the host kernel.
 * Engine bt uses it for --user direct (src/bt/user_direct.c). One vCPU
 * thread; see enter.c for the process-wide state the signal path needs.
 */
#ifndef SOFTVT_DIRECT_H
#define SOFTVT_DIRECT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu_state.h"

/* ---- ldt.c ---- */

struct direct_ldt_slot {
	bool valid;
	uint32_t base, limit;   /* limit in bytes, after truncation */
	uint16_t flags;         /* user_desc bits packed by ldt.c */
};

struct direct_ldt {
	struct direct_ldt_slot slot[S_NSEG];
	unsigned long writes;   /* modify_ldt calls made (for stats/tests) */
};

void direct_ldt_init(struct direct_ldt *l);
/*
 * Mirror guest segment @s as the host segment for register @r (one LDT entry
 * per register). @boundary: linear address the segment must stay below
 * (0: none, 4 GiB). Stores the host selector (LDT, RPL 3) in *sel; a null
 * or not-present DS/ES/FS/GS gives selector 0. Returns 0 or -errno
 * (-EINVAL: not representable, e.g. 16-bit or system segment; -ERANGE: the
 * base lies at or above the boundary).
 */
int direct_ldt_mirror(struct direct_ldt *l, enum seg_reg r,
		      const struct seg_cache *s, uint32_t boundary, uint16_t *sel);
uint16_t direct_ldt_selector(enum seg_reg r);

/* ---- enter.c ---- */

enum direct_exit_kind {
	DIRECT_EXIT_FAULT,      /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
	DIRECT_EXIT_SYSCALL,    /* SIGSYS from the seccomp filter */
	DIRECT_EXIT_PREEMPT,    /* direct_preempt() from another signal (a timer) */
};

enum direct_syscall_kind {
	DIRECT_SC_INT80,        /* INT 0x80: eip is the INT instruction */
	DIRECT_SC_FAST,         /* compat SYSCALL (AMD) / SYSENTER (Intel): eip unknown */
	DIRECT_SC_NATIVE64,     /* a 64-bit syscall below 4 GiB (guest escaped to CS 0x33) */
};

struct direct_exit {
	uint32_t kind;          /* enum direct_exit_kind */
	int32_t signo, code;    /* signal and si_code */
	uint32_t trapno, err;   /* vector and error code (REG_TRAPNO, REG_ERR) */
	uint32_t sc_kind;       /* enum direct_syscall_kind (DIRECT_EXIT_SYSCALL) */
	int32_t sc_nr;          /* system call number */
	uint32_t sc_arch;       /* AUDIT_ARCH_* */
	bool eip_known;         /* false for DIRECT_SC_FAST: the host lost it */
	uint64_t addr;          /* si_addr (faulting address of #PF) */
	uint64_t host_rip;      /* RIP in the ucontext, as the host reported it */
};

/* Layout shared with enter.S: offsets checked by static_assert in enter.c. */
struct direct_cpu {
	uint32_t gpr[8];        /* 0x00 EAX ECX EDX EBX ESP EBP ESI EDI */
	uint32_t eip;           /* 0x20 */
	uint32_t eflags;        /* 0x24 in: arithmetic bits and DF used; out: as seen */
	uint16_t sel[S_NSEG];   /* 0x28 host selectors ES CS SS DS FS GS */
	uint8_t has_fsgsbase;   /* 0x34 */
	uint8_t pad[3];
	uint64_t host_rsp;      /* 0x38 monitor stack at entry */
	uint64_t host_fsbase;   /* 0x40 */
	uint64_t host_gsbase;   /* 0x48 */
	uint16_t seen_sel[S_NSEG];  /* 0x50 out: the selectors the guest left in each register */
	uint64_t pf_fills;      /* page faults the pf hook fixed without an exit (counter) */
	struct direct_exit exit;
	struct fpu_state fpu;   /* guest x87/SSE state (FXSAVE format): in and out */
	struct fpu_state host_fpu;
	void *xarea, *xhost;    /* XSAVE areas of the components beyond x87/SSE (enter.c) */
};

/*
 * Standalone use (tests), once per thread: direct_thread_init(), a 64 KiB
 * sigaltstack and handlers of SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP and
 * SIGSYS that take guest signals (direct_signal) and let the monitor's own
 * faults kill it. Returns 0 or -errno.
 */
int direct_init(void);
/* Once, in the thread that will run guest code: host CS/SS, FS base, FSGSBASE. */
void direct_thread_init(void);
/*
 * Installs fn for signal sig behind the FS-restoring entry (enter.S), with
 * SA_SIGINFO | SA_ONSTACK | flags. Every handler of a signal that may
 * interrupt guest code must be installed this way (the guest's FS base
 * would break compiled C). The caller provides the sigaltstack.
 */
int direct_sigaction(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
		     struct sigaction *old);
/*
 * For a handler: if the signal interrupted guest code, handles it and
 * returns true (a page fault the pf hook fixes is retried; anything else
 * makes direct_enter() return with cpu->exit filled). False: not the
 * guest's; the caller deals with it.
 */
bool direct_signal(int sig, siginfo_t *si, void *uc);
/* For a timer's handler: if guest code was interrupted, makes direct_enter() return
   (DIRECT_EXIT_PREEMPT) and returns true. */
bool direct_preempt(void *uc);
/* Whether direct_enter() is between its entry and its return. */
bool direct_running(void);
/*
 * Called from the signal handler for a guest page fault at addr (< 4 GiB):
 * returns true if it mapped the page (async-signal-safe only!).
 */
typedef bool (*direct_pf_hook)(void *opaque, uint64_t addr, bool write);
void direct_set_pf_hook(direct_pf_hook fn, void *opaque);
/*
 * Runs guest code from cpu->eip with the given registers, x87/SSE state
 * (cpu->fpu; MXCSR reserved bits are cleared) and host selectors until it
 * traps; returns with cpu->gpr/eip/eflags/fpu holding the guest state at
 * the trap, the monitor's own FPU state back, and cpu->exit describing it. Returns 0, or
 * -EINVAL when FS/GS are non-null on a host without FSGSBASE.
 */
int direct_enter(struct direct_cpu *cpu);
/*
 * Bytes of an XSAVE area (64-byte multiple) for the components the host
 * kernel enabled (XCR0), 0 without XSAVE: the size of direct_cpu's xarea.
 */
size_t direct_xstate_size(void);
/* The x87/SSE state after FNINIT with MXCSR at its reset value 0x1f80. */
void direct_fpu_reset(struct fpu_state *fpu);

/* ---- seccomp.c ---- */

/*
 * Installs the filter (irrevocable for this process and its children):
 * SECCOMP_RET_TRAP for every syscall with arch AUDIT_ARCH_I386 or made from
 * an instruction pointer below 4 GiB; everything else is allowed. Returns 0
 * or -errno.
 */
int direct_seccomp_install(void);

/* 0 if direct execution can work on this host (modify_ldt, seccomp), else -1; why says. */
int direct_probe(char *why, size_t whylen);

#endif
