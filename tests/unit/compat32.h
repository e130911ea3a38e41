/*
 * compat32.h - runs one 32-bit user-level instruction natively, in a
 * compatibility-mode code segment of this 64-bit test process: the host
 * CPU is the oracle of the differential tests (test_diff_*.c).
 *
 * How (docs: /work/shared/design/architecture.md section 4; SDM vol. 3A
 * 5.8.3 and 3.4.5 on far transfers and the L/D bits):
 *   - modify_ldt(1) installs LDT entry 0, a 32-bit code segment, and entry
 *     1, a 32-bit data segment, both base 0 and limit 4 GiB (DPL 3, the
 *     only level modify_ldt gives);
 *   - a region mapped at a fixed address below 4 GiB holds a 64-bit
 *     trampoline, the 32-bit stub, the context block and a small stack;
 *     the test's own data lives in the same region from COMPAT32_USER up;
 *   - the trampoline (called as a C function) saves the callee-saved
 *     registers and RSP, switches to the low stack and enters the stub with
 *     LRETQ (pops an 8-byte RIP and an 8-byte CS);
 *   - the stub loads DS/ES, EFLAGS and the eight GPRs from the context
 *     block, runs the instruction bytes under test (written into the stub
 *     for every run), stores the GPRs and EFLAGS back and far-jumps (JMP
 *     m16:32) to the trampoline's return path in 64-bit code (the host's
 *     user CS, read at set-up), which restores RSP, DS, ES and the saved
 *     registers and returns with DF clear, as the C ABI wants.
 * An instruction that faults natively raises a signal; the handler (on an
 * alternate stack: RSP is the guest's ESP then) long-jumps back to
 * compat32_exec(), which returns the signal number instead of crashing the
 * test. Signal handlers take no argument, so the runner in use is found
 * through one thread-local pointer: the only static state of the helper.
 *
 * Header-only: tests/CMakeLists.txt builds each test_*.c on its own.
 */
#ifndef SOFTVT_TESTS_COMPAT32_H
#define SOFTVT_TESTS_COMPAT32_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <asm/ldt.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define COMPAT32_TRAMP   0x0000u   /* 64-bit enter path */
#define COMPAT32_RETURN  0x0080u   /* 64-bit return path */
#define COMPAT32_STUB    0x1000u   /* 32-bit stub */
#define COMPAT32_CTX     0x2000u   /* context block */
#define COMPAT32_STACK   0x4000u   /* top of the stub's stack (0x3000-0x3fff) */
#define COMPAT32_USER    0x4000u   /* first byte free for the test */

/* Context block (offsets in COMPAT32_CTX). */
#define CTX_IN_GPR    0x00u
#define CTX_IN_FLAGS  0x20u
#define CTX_OUT_GPR   0x24u
#define CTX_OUT_FLAGS 0x44u
#define CTX_FARPTR    0x48u   /* m16:32 of the return path */
#define CTX_RSP       0x50u
#define CTX_DS        0x58u
#define CTX_ES        0x5cu

#define COMPAT32_SIGNALS 5

struct compat32_regs {
	uint32_t gpr[8];     /* EAX ECX EDX EBX ESP EBP ESI EDI */
	uint32_t eflags;     /* in: CF PF AF ZF SF OF DF are loaded, the rest ignored */
};

struct compat32 {
	uint8_t *base;       /* the low region, mapped at its own address */
	uint32_t size;
	uint16_t code_sel, data_sel, host_cs;
	volatile int running;
	sigjmp_buf jb;
	stack_t altstack;
	struct sigaction old[COMPAT32_SIGNALS];
};

static const int compat32_signals[COMPAT32_SIGNALS] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
static __thread struct compat32 *compat32_active;

static inline void compat32_on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	struct compat32 *c = compat32_active;
	if (c && c->running) {
		c->running = 0;
		siglongjmp(c->jb, sig);
	}
	signal(sig, SIG_DFL);   /* not ours: crash as usual */
	raise(sig);
}

static inline int compat32_set_ldt(unsigned entry, bool code, bool clear)
{
	struct user_desc d;
	memset(&d, 0, sizeof(d));
	d.entry_number = entry;
	if (clear) {
		d.read_exec_only = 1;
		d.seg_not_present = 1;
	} else {
		d.base_addr = 0;
		d.limit = 0xfffff;
		d.seg_32bit = 1;
		d.contents = code ? MODIFY_LDT_CONTENTS_CODE : MODIFY_LDT_CONTENTS_DATA;
		d.limit_in_pages = 1;
		d.useable = 1;
	}
	return (int)syscall(SYS_modify_ldt, 1, &d, sizeof(d));
}

/* Little emitter for the generated code. */
struct c32_emit {
	uint8_t *p;
};

static inline void c32_b(struct c32_emit *e, unsigned n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (unsigned k = 0; k < n; k++)
		*e->p++ = (uint8_t)va_arg(ap, int);
	va_end(ap);
}

static inline void c32_d(struct c32_emit *e, uint32_t v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
}

static inline void compat32_build_trampoline(struct compat32 *c)
{
	uint32_t ctx = (uint32_t)(uintptr_t)c->base + COMPAT32_CTX;
	struct c32_emit e = { c->base + COMPAT32_TRAMP };
	c32_b(&e, 10, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57); /* push rbx..r15 */
	c32_b(&e, 5, 0x8c, 0xd8, 0x89, 0x04, 0x25);     /* mov eax, ds; mov [ctx+DS], eax */
	c32_d(&e, ctx + CTX_DS);
	c32_b(&e, 5, 0x8c, 0xc0, 0x89, 0x04, 0x25);     /* mov eax, es; mov [ctx+ES], eax */
	c32_d(&e, ctx + CTX_ES);
	c32_b(&e, 4, 0x48, 0x89, 0x24, 0x25);           /* mov [ctx+RSP], rsp */
	c32_d(&e, ctx + CTX_RSP);
	c32_b(&e, 1, 0xbc);                             /* mov esp, stack top */
	c32_d(&e, (uint32_t)(uintptr_t)c->base + COMPAT32_STACK);
	c32_b(&e, 2, 0x6a, c->code_sel);                /* push code selector (8 bytes) */
	c32_b(&e, 1, 0x68);                             /* push stub offset (8 bytes) */
	c32_d(&e, (uint32_t)(uintptr_t)c->base + COMPAT32_STUB);
	c32_b(&e, 2, 0x48, 0xcb);                       /* lretq */

	e.p = c->base + COMPAT32_RETURN;
	c32_b(&e, 4, 0x48, 0x8b, 0x24, 0x25);           /* mov rsp, [ctx+RSP] */
	c32_d(&e, ctx + CTX_RSP);
	c32_b(&e, 3, 0x8b, 0x04, 0x25);                 /* mov eax, [ctx+DS]; mov ds, eax */
	c32_d(&e, ctx + CTX_DS);
	c32_b(&e, 2, 0x8e, 0xd8);
	c32_b(&e, 3, 0x8b, 0x04, 0x25);                 /* mov eax, [ctx+ES]; mov es, eax */
	c32_d(&e, ctx + CTX_ES);
	c32_b(&e, 2, 0x8e, 0xc0);
	c32_b(&e, 1, 0xfc);                             /* cld */
	c32_b(&e, 10, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b);
	c32_b(&e, 1, 0xc3);                             /* ret */

	uint32_t ret = (uint32_t)(uintptr_t)c->base + COMPAT32_RETURN;
	memcpy(c->base + COMPAT32_CTX + CTX_FARPTR, &ret, 4);
	memcpy(c->base + COMPAT32_CTX + CTX_FARPTR + 4, &c->host_cs, 2);
}

/*
 * Maps the region [base, base+size) (size >= 64 KiB, base + size <= 4 GiB)
 * and installs the LDT segments. Returns 0, or -1 with the reason in why
 * (the caller skips: e.g. modify_ldt disabled in the kernel).
 */
static inline int compat32_open(struct compat32 *c, uint32_t base, uint32_t size, char *why,
				size_t whylen)
{
	memset(c, 0, sizeof(*c));
	void *p = mmap((void *)(uintptr_t)base, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || p != (void *)(uintptr_t)base) {
		snprintf(why, whylen, "cannot map %u KiB RWX at 0x%08x below 4 GiB: %s", size >> 10,
			 base, p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
		if (p != MAP_FAILED)
			munmap(p, size);
		return -1;
	}
	c->base = p;
	c->size = size;
	if (compat32_set_ldt(0, true, false) < 0 || compat32_set_ldt(1, false, false) < 0) {
		snprintf(why, whylen, "modify_ldt cannot install a 32-bit segment: %s",
			 strerror(errno));
		munmap(p, size);
		c->base = NULL;
		return -1;
	}
	c->code_sel = (0 << 3) | 4 | 3;
	c->data_sel = (1 << 3) | 4 | 3;
	__asm__ volatile("mov %%cs, %0" : "=r"(c->host_cs));
	compat32_build_trampoline(c);

	c->altstack.ss_size = 1 << 16;
	c->altstack.ss_sp = malloc(c->altstack.ss_size);
	if (!c->altstack.ss_sp || sigaltstack(&c->altstack, NULL) < 0) {
		snprintf(why, whylen, "sigaltstack: %s", strerror(errno));
		return -1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = compat32_on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (int k = 0; k < COMPAT32_SIGNALS; k++)
		sigaction(compat32_signals[k], &sa, &c->old[k]);
	compat32_active = c;
	return 0;
}

static inline void compat32_close(struct compat32 *c)
{
	if (!c->base)
		return;
	for (int k = 0; k < COMPAT32_SIGNALS; k++)
		sigaction(compat32_signals[k], &c->old[k], NULL);
	stack_t off = { .ss_flags = SS_DISABLE };
	sigaltstack(&off, NULL);
	free(c->altstack.ss_sp);
	compat32_set_ldt(0, true, true);
	compat32_set_ldt(1, false, true);
	munmap(c->base, c->size);
	c->base = NULL;
	compat32_active = NULL;
}

/* Host pointer of the region's address addr. */
static inline uint8_t *compat32_ptr(struct compat32 *c, uint32_t addr)
{
	return c->base + (addr - (uint32_t)(uintptr_t)c->base);
}

/*
 * Runs the len bytes of insn once with the registers of *r and stores the
 * resulting registers back in *r. Returns 0, or the signal the instruction
 * raised (the registers are then unchanged).
 */
static inline int compat32_exec(struct compat32 *c, const uint8_t *insn, unsigned len,
				struct compat32_regs *r)
{
	uint32_t ctx = (uint32_t)(uintptr_t)c->base + COMPAT32_CTX;
	uint8_t *cb = c->base + COMPAT32_CTX;
	struct c32_emit e = { c->base + COMPAT32_STUB };
	c32_b(&e, 1, 0xb8);                             /* mov eax, data selector */
	c32_d(&e, c->data_sel);
	c32_b(&e, 4, 0x8e, 0xd8, 0x8e, 0xc0);           /* mov ds, eax; mov es, eax */
	c32_b(&e, 1, 0xbc);                             /* mov esp, stack top */
	c32_d(&e, (uint32_t)(uintptr_t)c->base + COMPAT32_STACK);
	c32_b(&e, 2, 0xff, 0x35);                       /* push dword [in flags]; popfd */
	c32_d(&e, ctx + CTX_IN_FLAGS);
	c32_b(&e, 1, 0x9d);
	static const int order[8] = { 0, 1, 2, 3, 5, 6, 7, 4 };   /* ESP last */
	for (int k = 0; k < 8; k++) {
		c32_b(&e, 2, 0x8b, 0x05 | order[k] << 3);   /* mov reg, [in gpr] */
		c32_d(&e, ctx + CTX_IN_GPR + 4 * order[k]);
	}
	memcpy(e.p, insn, len);
	e.p += len;
	for (int k = 0; k < 8; k++) {
		c32_b(&e, 2, 0x89, 0x05 | k << 3);          /* mov [out gpr], reg */
		c32_d(&e, ctx + CTX_OUT_GPR + 4 * k);
	}
	c32_b(&e, 1, 0xbc);                             /* mov esp, stack top */
	c32_d(&e, (uint32_t)(uintptr_t)c->base + COMPAT32_STACK);
	c32_b(&e, 3, 0x9c, 0x58, 0xa3);                 /* pushfd; pop eax; mov [out flags], eax */
	c32_d(&e, ctx + CTX_OUT_FLAGS);
	c32_b(&e, 2, 0xff, 0x2d);                       /* jmp far [return pointer] */
	c32_d(&e, ctx + CTX_FARPTR);

	const uint32_t loadable = 0x0cd5u | 0x0400u;    /* CF PF AF ZF SF OF, DF */
	uint32_t fl = (r->eflags & loadable) | 0x2;
	memcpy(cb + CTX_IN_GPR, r->gpr, 32);
	memcpy(cb + CTX_IN_FLAGS, &fl, 4);

	compat32_active = c;
	int sig = sigsetjmp(c->jb, 1);
	if (sig) {
		uint16_t ds, es;
		memcpy(&ds, cb + CTX_DS, 2);
		memcpy(&es, cb + CTX_ES, 2);
		__asm__ volatile("mov %0, %%ds; mov %1, %%es" : : "r"(ds), "r"(es));
		return sig;
	}
	c->running = 1;
	((void (*)(void))(uintptr_t)(c->base + COMPAT32_TRAMP))();
	c->running = 0;
	memcpy(r->gpr, cb + CTX_OUT_GPR, 32);
	memcpy(&r->eflags, cb + CTX_OUT_FLAGS, 4);
	return 0;
}

#endif
