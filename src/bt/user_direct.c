/*
 * user_direct.c - engine bt's `--user direct`: guest user code (CPL 3) runs
 * natively on the host CPU in a 32-bit segment of this process, the guest
 * kernel in the translation cache (the 0/3/3 model, architecture.md
 * section 4; docs/DIRECT.md).
 *
 * Entering (bt_direct_run): the guest's six segment registers are mirrored
 * into host LDT entries (src/direct/ldt.c) with their limits truncated
 * below the boundary, the lowest linear address under a supervisor page
 * directory entry (paging_user_boundary(), cached per CR3): guest user code
 * cannot reach guest kernel memory above it even where the window maps it.
 * Below the boundary the window must hold no supervisor mapping, so
 * window_enter_user() drops the ones the kernel's fills made there. Then
 * direct_enter() runs the code with the guest's registers and x87/SSE
 * state until something comes back:
 *  - page faults the window can map are fixed inside the signal handler
 *    (the pf hook: window_fault at CPL 3, which walks the guest's tables
 *    with the user's rights) and the access is retried, no exit;
 *  - exceptions that are the guest's as the host raised them (a page
 *    fault its tables forbid, with the walk's error code; #DE; a
 *    single-step trap; x87 #MF, SIMD #XM) are delivered through the guest IDT directly (interp_call), so
 *    the interpreter need not know the instruction (user code may run SSE
 *    and later instructions natively);
 *  - every other fault re-executes the faulting instruction in the
 *    interpreter, which is right by construction: #GP from HLT, CLI, IN/OUT
 *    (with the guest's IOPL and bitmap), INT n, an access above the
 *    truncation point (emulated when the page is a user page, #PF when
 *    not); #UD (SYSENTER in compat mode on AMD runs there); MMIO; INT3 and
 *    INTO, stepped back (the host reports EIP after them);
 *  - INT 0x80 arrives as SIGSYS from the seccomp filter (src/direct/
 *    seccomp.c), with EIP known: the interpreter runs it;
 *  - a compat SYSCALL (AMD) or SYSENTER (Intel) arrives as SIGSYS with the
 *    guest's EIP lost (the host kernel replaced it), and a 64-bit syscall
 *    means the guest left its segment for the host's 64-bit one: the
 *    monitor stops with a message saying so (docs/SECURITY.md);
 *  - the run's deadline timer preempts the code (direct_preempt).
 * Ring aliasing: a segment load executed natively (glibc's `mov gs, ax`)
 * loads a *host* selector; the exit stub reports the selectors the guest
 * left, and one that differs from the mirror is loaded again under the
 * guest's rules (seg_load through interp_call) and mirrored, and a fault
 * it may have caused (the host segment has another base) is retried.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "bt/dispatch_priv.h"
#include "cpu/exceptions.h"
#include "cpu/flags.h"
#include "cpu/paging.h"
#include "cpu/segments.h"
#include "mmu/window.h"

/* EFLAGS bits user code owns in direct execution (enter.c: GUEST_FLAGS), plus TF out */
#define USER_FLAGS (EFL_ARITH | EFL_DF | EFL_AC | EFL_ID | EFL_NT)
#define USER_FLAGS_OUT (USER_FLAGS | EFL_TF)

/* The pf hook: a guest user page fault inside the signal handler (async-signal-safe). */
static bool direct_pf(void *opaque, uint64_t addr, bool write)
{
	struct bt *bt = opaque;
	uint32_t pf, page = 0;
	return window_fault(bt->win, bt->cpu, addr, write, bt->tc_cpl, &pf, &page) ==
	       WINDOW_MAPPED;
}

int bt_direct_setup(struct bt *bt, char *err, size_t errlen)
{
	char why[160];
	if (direct_probe(why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--user direct cannot work on this host: %s", why);
		return -1;
	}
	bt->dc = aligned_alloc(64, (sizeof(struct direct_cpu) + 63) & ~(size_t)63);
	if (!bt->dc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(bt->dc, 0, sizeof(*bt->dc));
	/* The guest's XSAVE components beyond x87/SSE: one area for direct
	   execution (loaded into the host's registers around user code) and the
	   interpreter's XSAVE/XRSTOR (the guest kernel's context switches), at
	   least as large as the host's XCR0 needs and the model shows. */
	size_t n = direct_xstate_size();
	const struct cpu_model *m = bt->v.bus.model;
	if (n && m && m->xsave_mask) {
		if (n < m->xsave_size)
			n = (m->xsave_size + 63) & ~(size_t)63;
		bt->dc->xarea = aligned_alloc(64, n);
		if (!bt->dc->xarea) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memset(bt->dc->xarea, 0, n);
		bt->v.bus.xstate = bt->dc->xarea;
	}
	direct_ldt_init(&bt->ldt);
	direct_set_pf_hook(direct_pf, bt);
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	bt->host_intel = b == 0x756e6547u;   /* "Genu"ineIntel */
	int e = direct_seccomp_install();
	if (e < 0) {
		snprintf(err, errlen, "cannot install the seccomp filter that keeps guest system "
				      "calls off the host: %s", strerror(-e));
		return -1;
	}
	return 0;
}

void bt_direct_teardown(struct bt *bt)
{
	direct_set_pf_hook(NULL, NULL);
	free(bt->dc->xarea);
	free(bt->dc->xhost);
	free(bt->dc);
	bt->dc = NULL;
}

bool bt_direct_ok(struct bt *bt)
{
	const struct cpu_state *c = bt->cpu;
	if (!bt->user_direct || (c->eflags & (EFL_VM | EFL_TF)) || !(c->cr0 & CR0_PE))
		return false;
	/* --accel naive runs CPL 0 too, and with IF clear (the host's stays set:
	   exactly what pure ring deprivileging gets wrong) */
	if (bt->naive ? cpu_cpl(c) == 1 || cpu_cpl(c) == 2
		      : cpu_cpl(c) != 3 || !(c->eflags & EFL_IF))
		return false;
	/* IOPL 3 (iopl(3): X servers, DOS emulators): the guest's CLI/STI/POPF would change
	   IF, which the host's ring 3 (IOPL 0) ignores silently for POPF and IRET */
	if (cpu_cpl(c) == 3 && (c->eflags & EFL_IOPL) == EFL_IOPL)
		return false;
	/* CR0.TS/EM: the guest kernel wants #NM on FPU use, which native code would not raise */
	if (c->cr0 & (CR0_TS | CR0_EM))
		return false;
	if (!(c->seg[S_CS].attr & SEG_DB) || !(c->seg[S_SS].attr & SEG_DB))
		return false;
	return bt->v.bus.phys->a20_mask == A20_OPEN_MASK;
}

static uint32_t boundary(struct bt *bt)
{
	const struct cpu_state *c = bt->cpu;
	if (!bt->boundary_known || bt->boundary_cr3 != c->cr3) {
		uint64_t b = paging_user_boundary(bt->v.bus.phys, c);
		bt->boundary = b >> 32 ? 0 : (uint32_t)b;
		bt->boundary_cr3 = c->cr3;
		bt->boundary_known = true;
	}
	return bt->boundary;
}

/*
 * Mirrors the six segment registers; false if one cannot be (the
 * interpreter runs it). FS and GS with a base are thread pointers (glibc's
 * TLS), addressed with negative offsets that wrap around 4 GiB to just
 * below the base: a truncated limit would turn every such access into a
 * #GP and an exit, so they keep the guest's limit (docs/DIRECT.md: an
 * accidental access through them to guest kernel memory is not caught).
 */
static bool mirror(struct bt *bt, uint32_t limit_end)
{
	for (int r = 0; r < S_NSEG; r++) {
		const struct seg_cache *sc = &bt->cpu->seg[r];
		bool tls = (r == S_FS || r == S_GS) && sc->base != 0;
		/* CS keeps its limit too: a truncated code segment costs ~10% on this AMD
		   EPYC (cpu_loop 3.41 s against 3.07 s); supervisor pages are mapped
		   without PROT_EXEC instead, so a fetch there faults as on the CPU */
		bool untruncated = tls || (r == S_CS && !bt->naive);
		int e = direct_ldt_mirror(&bt->ldt, (enum seg_reg)r, sc, untruncated ? 0 : limit_end,
					  &bt->dc->sel[r]);
		if (e < 0)
			return false;
	}
	bt->st.ldt_writes = bt->ldt.writes;
	return true;
}

static void load_seg(struct vcpu *v, void *arg)
{
	const uint32_t *a = arg;
	seg_load(v, (int)a[0], (uint16_t)a[1]);
}

/* An exception for the guest, raised where the host raised it (interp_call). */
struct guest_exc {
	int vector;
	enum event_kind kind;
	bool has_error;
	uint32_t error;
};

static void deliver(struct vcpu *v, void *arg)
{
	const struct guest_exc *x = arg;
	if (x->vector == EXC_DB)
		v->s->dr[6] |= 0x4000;   /* BS: single step */
	exceptions_deliver(v, x->vector, x->kind, x->has_error, x->error);
}

static enum interp_exit raise_guest(struct bt *bt, int vector, enum event_kind kind,
				    bool has_error, uint32_t error)
{
	struct guest_exc x = { vector, kind, has_error, error };
	enum interp_exit r = interp_call(&bt->v, deliver, &x);
	flags_materialize(&bt->v);
	return r;
}

static enum interp_exit stop(struct bt *bt, const char *what)
{
	const struct direct_cpu *dc = bt->dc;
	snprintf(bt->v.error, sizeof(bt->v.error),
		 "direct execution: guest user code %s (EIP %08x, CS %04x); stopped "
		 "(docs/SECURITY.md; --user interp runs such guests)",
		 what, dc->eip, dc->seen_sel[S_CS]);
	return INTERP_ERROR;
}

/*
 * Selectors the guest left that are not the mirrors it was given: it loaded
 * them natively. Data registers are loaded again under the guest's rules;
 * CS/SS changed by native far transfers cannot be repaired. Returns 1 if a
 * data register was repaired, 0 if none differed, -1 to stop (error set),
 * -2 if the repair raised a guest exception (*ret says how it went).
 */
static int repair_aliases(struct bt *bt, enum interp_exit *ret)
{
	struct direct_cpu *dc = bt->dc;
	if (dc->seen_sel[S_CS] != dc->sel[S_CS]) {
		*ret = stop(bt, dc->seen_sel[S_CS] == 0x33 ?
			"switched to the host's 64-bit code segment (selector 0x33, \"heaven's gate\")" :
			"loaded CS natively with a far transfer (ring aliasing)");
		return -1;
	}
	int repaired = 0;
	static const int data[] = { S_ES, S_DS, S_FS, S_GS };
	for (unsigned k = 0; k < 4; k++) {
		int r = data[k];
		if (dc->seen_sel[r] == dc->sel[r])
			continue;
		bt->st.direct_alias++;
		uint32_t arg[2] = { (uint32_t)r, dc->seen_sel[r] };
		uint32_t eip = bt->cpu->eip;
		unsigned cpl = cpu_cpl(bt->cpu);
		*ret = interp_call(&bt->v, load_seg, arg);
		flags_materialize(&bt->v);
		if (*ret != INTERP_DEADLINE || bt->cpu->eip != eip || cpu_cpl(bt->cpu) != cpl)
			return -2;   /* the load faulted: the guest is in its handler now */
		repaired = 1;
	}
	return repaired;
}

static unsigned exit_cause(const struct direct_exit *e)
{
	if (e->kind == DIRECT_EXIT_PREEMPT)
		return BT_DX_PREEMPT;
	if (e->kind == DIRECT_EXIT_SYSCALL)
		return e->sc_kind == DIRECT_SC_INT80 ? BT_DX_INT80 : BT_DX_FAST_SYSCALL;
	switch (e->trapno) {
	case 14: return BT_DX_PAGE_FAULT;
	case 13: return BT_DX_GP;
	case 6:  return BT_DX_UD;
	case 0:  return BT_DX_DE;
	case 1: case 3: case 4: return BT_DX_TRAP;
	case 16: case 19: return BT_DX_FPU;
	default: return BT_DX_OTHER;
	}
}

/* The guest state direct_enter() returned, back into cpu_state. */
static void sync_back(struct bt *bt)
{
	struct cpu_state *c = bt->cpu;
	struct direct_cpu *dc = bt->dc;
	memcpy(c->gpr, dc->gpr, sizeof(c->gpr));
	if (dc->exit.eip_known)
		c->eip = dc->eip;
	c->eflags = (c->eflags & ~USER_FLAGS_OUT) | (dc->eflags & USER_FLAGS_OUT);
	c->fpu = dc->fpu;
}

/*
 * After a fault or trap: what the guest must see. Where the host's
 * exception is the guest's (a page fault the guest's tables forbid, #DE,
 * INT3, x87 and SIMD exceptions, a single-step trap) it is delivered
 * directly, without decoding the instruction: the interpreter need not
 * know every instruction user code may run natively (SSE...). The others
 * (#GP from privileged instructions, INT n, truncated limits; #UD, which
 * is SYSENTER on AMD; MMIO) are the interpreter's to re-execute.
 */
static enum interp_exit after_fault(struct bt *bt)
{
	struct cpu_state *c = bt->cpu;
	const struct direct_exit *e = &bt->dc->exit;
	if (e->signo == SIGSEGV && e->trapno == 14 && !(e->addr >> 32)) {
		uint32_t pf = 0, page = 0;
		switch (window_fault(bt->win, c, e->addr, e->err & 2, bt->tc_cpl, &pf, &page)) {
		case WINDOW_MAPPED:       /* mapped now (e.g. after a flush): retry natively */
			return INTERP_DEADLINE;
		case WINDOW_CODE_WRITE:   /* a user write to a page with kernel translations */
			bt_drop_code_page(bt, page);
			return INTERP_DEADLINE;
		case WINDOW_GUEST_PF:
			c->cr2 = (uint32_t)e->addr;
			return raise_guest(bt, EXC_PF, EVENT_EXCEPTION, true, pf);
		case WINDOW_EMULATE:
			break;
		}
		return bt_step(bt, &bt->st.step_user);
	}
	switch (e->signo == SIGSEGV || e->signo == SIGFPE || e->signo == SIGTRAP ? e->trapno : ~0u) {
	case EXC_DE:
		return raise_guest(bt, EXC_DE, EVENT_EXCEPTION, false, 0);
	case EXC_DB:
		if (e->code == TRAP_BRKPT) {
			/* ICEBP (F1): the host reports the EIP after it, or (this nested
			 * host) of the F1 itself; the interpreter runs it again, for #DB
			 * as the CPU raises it (no DR6.BS, EIP after, gate DPL ignored) */
			const uint8_t *p = (const uint8_t *)(uintptr_t)(c->seg[S_CS].base + c->eip);
			if (p[0] != 0xf1 && p[-1] == 0xf1)
				c->eip--;
			return bt_step(bt, &bt->st.step_user);
		}
		/* single step (TF set natively): a trap, EIP after, DR6.BS */
		return raise_guest(bt, EXC_DB, EVENT_EXCEPTION, false, 0);
	case EXC_BP:
	case EXC_OF: {
		/* INT3 (CC), INT 3 (CD 03), INTO (CE) report EIP after the instruction;
		 * the interpreter runs it again (a gate with DPL < 3 must give #GP at
		 * the instruction). Its page has just been executed: it is mapped. */
		const uint8_t *p = (const uint8_t *)(uintptr_t)(c->seg[S_CS].base + c->eip);
		c->eip -= e->trapno == EXC_BP && p[-1] != 0xcc ? 2 : 1;
		return bt_step(bt, &bt->st.step_user);
	}
	case EXC_MF:
		return raise_guest(bt, EXC_MF, EVENT_EXCEPTION, false, 0);
	case EXC_XM:
		return raise_guest(bt, (c->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD,
				   EVENT_EXCEPTION, false, 0);
	default:
		return bt_step(bt, &bt->st.step_user);
	}
}

enum interp_exit bt_direct_run(struct bt *bt)
{
	struct cpu_state *c = bt->cpu;
	struct direct_cpu *dc = bt->dc;
	bool kernel = cpu_cpl(c) == 0;   /* --accel naive: the guest kernel, deprivileged */
	uint32_t bound = kernel ? 0 : boundary(bt);
	/* an EIP beyond the truncated CS limit (user code jumped above the
	   boundary): the IRETQ into it would fault in the monitor; the
	   interpreter's fetch raises the guest's fault */
	if (!mirror(bt, bound) || c->eip > bt->ldt.slot[S_CS].limit) {
		bt->st.direct_refused++;
		return bt_step(bt, &bt->st.step_user);
	}
	bt->tc_cpl = kernel ? 0 : 3;   /* the rights of the window's fills */
	if (!kernel)
		window_enter_user(bt->win, bound, c->cr0 & CR0_WP);
	memcpy(dc->gpr, c->gpr, sizeof(dc->gpr));
	dc->eip = c->eip;
	dc->eflags = c->eflags & USER_FLAGS;
	dc->fpu = c->fpu;
	memcpy(dc->seen_sel, dc->sel, sizeof(dc->seen_sel));

	bt->in_direct = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (bt->deadline_fired) {   /* the timer went off before: do not start */
		bt->in_direct = 0;
		bt->polled = true;
		return INTERP_DEADLINE;
	}
	uint64_t t0 = __rdtsc();
	dc->pf_fills = 0;
	int err = direct_enter(dc);
	bt->in_direct = 0;
	bt->st.tsc_direct += __rdtsc() - t0;
	bt->st.direct_enters++;
	bt->st.direct_fills += dc->pf_fills;
	if (err < 0) {
		snprintf(bt->v.error, sizeof(bt->v.error),
			 "direct execution: cannot enter guest user code: %s", strerror(-err));
		return INTERP_ERROR;
	}
	sync_back(bt);
	const struct direct_exit *e = &dc->exit;
	bt->st.direct_exits[exit_cause(e)]++;

	/* before the alias check: for these the host kernel rewrote CS/EIP in the frame */
	if (e->kind == DIRECT_EXIT_SYSCALL && e->sc_kind == DIRECT_SC_NATIVE64)
		return stop(bt, "made a 64-bit system call (it left its 32-bit segment)");
	if (e->kind == DIRECT_EXIT_SYSCALL && e->sc_kind == DIRECT_SC_FAST)
		return stop(bt, bt->host_intel ?
			"executed SYSENTER, which this host's kernel takes with the EIP lost" :
			"executed SYSCALL, which this host's kernel takes with the EIP lost");
	enum interp_exit ret = INTERP_DEADLINE;
	int alias = repair_aliases(bt, &ret);
	if (alias < 0)
		return ret;
	if (e->kind == DIRECT_EXIT_PREEMPT) {
		bt->polled = true;
		return INTERP_DEADLINE;
	}
	if (e->kind == DIRECT_EXIT_SYSCALL)
		return bt_step(bt, &bt->st.step_user);   /* INT 0x80: EIP is on it */
	/* a fault that a wrong (host) segment may have caused: run it again natively */
	if (alias > 0 && e->trapno != EXC_DB && e->trapno != EXC_BP && e->trapno != EXC_OF)
		return INTERP_DEADLINE;
	return after_fault(bt);
}
