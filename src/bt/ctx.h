/*
 * ctx.h - struct bt_ctx: the block of monitor state that translated code
 * addresses through r15, and the contract between translated code, the
 * translation-cache stubs (bt/stubs.S) and the dispatcher (bt/dispatch.c).
 *
 * Register convention inside the translation cache (TC):
 *   rax rcx rdx rbx rsp rbp rsi rdi  guest EAX..EDI and ESP, upper halves 0
 *   r15                              struct bt_ctx * (never changes in TC)
 *   r8-r14                           scratch for translated code and stubs
 *   RFLAGS                           guest OF SF ZF AF PF CF and DF (TF 0)
 *   host GS base                     guest FS base (guest FS-relative
 *                                    operands get a GS prefix)
 * Host FS stays glibc's. Translated code never uses the host stack: rsp
 * is the guest's ESP, so signals run on a sigaltstack and stubs switch to
 * ctx->host_rsp or to the scratch stack in the ctx before pushing.
 * The guest's virtual IF, IOPL and the other system flags are not in host
 * RFLAGS: between bt_enter() and the exit they live in ctx->vif (IF, a
 * byte 0/1: CLI/STI are byte stores that leave host RFLAGS alone) and
 * ctx->veflags (the rest: IOPL NT AC ID VIF VIP and the fixed bit 1), copied
 * from and back to cpu_state->eflags by the dispatcher, which stays the
 * source of truth between TC runs.
 *
 * Callouts (bt_stub_callout): translated code stores next_eip, puts the
 * callout's operation in r13d and its return address in r14 and jumps to
 * the stub; the stub stores the guest registers and flags into ctx, calls
 * ctx->callout_fn(ctx, op) on the monitor stack and either reloads them and
 * returns into the TC (0) or leaves bt_enter() with the returned exit
 * reason (next_eip is the instruction after the callout's).
 *
 * Block entry: every block starts with a load from the poll page
 * (ctx->poll_page, within rel32 reach of the TC). The monitor makes that
 * page PROT_NONE when it wants translated code to stop (deadline, stop
 * request): the load faults at a block entry, where the guest state is
 * precise, and the SIGSEGV handler leaves with BT_EXIT_POLL.
 *
 * Block exits store ctx->next_eip (and ctx->exit_reason, ctx->exit_site)
 * and jump to the exit stub, which saves the guest registers into
 * ctx->gpr / ctx->eflags, restores the host stack and returns from
 * bt_enter(). A chainable exit is a `jmp rel32` to a per-exit tail; the
 * dispatcher may patch that rel32 to jump straight to the next block.
 */
#ifndef SOFTVT_BT_CTX_H
#define SOFTVT_BT_CTX_H

#define BT_JC_BITS 12
#define BT_JC_SIZE (1u << BT_JC_BITS)

/* guest flags carried in host RFLAGS inside the TC: CF PF AF ZF SF OF and DF */
#define BT_EFLAGS_MASK 0xcd5

/* The jump-cache slot of a guest EIP; stubs.S computes the same. */
#define BT_JC_INDEX(eip) ((((eip) >> BT_JC_BITS) ^ (eip)) & (BT_JC_SIZE - 1))
/* what an empty slot i holds: an EIP whose index is i ^ 1, never i (a sure miss) */
#define BT_JC_EMPTY_EIP(i) ((uint32_t)(i) ^ (1u << BT_JC_BITS))

#ifdef __ASSEMBLER__
#define BT_EXIT_BRANCH   1
#define BT_EXIT_INDIRECT 2
#define BT_EXIT_INTERP   3
#define BT_EXIT_POLL     4
#define BT_EXIT_FAULT    5
#define BT_EXIT_STI      6
#define BT_EXIT_SYNC     7
#else
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu_state.h"

enum bt_exit {
	BT_EXIT_BRANCH = 1,   /* next_eip is a direct successor; exit_site: rel32 to patch (or 0) */
	BT_EXIT_INDIRECT,     /* RET / indirect JMP / CALL missed the jump cache; next_eip = target */
	BT_EXIT_INTERP,       /* next_eip: an instruction the TC does not run; interpret it */
	BT_EXIT_POLL,         /* the poll page faulted at the entry of the block at next_eip */
	BT_EXIT_FAULT,        /* host fault in TC: ctx->fault_* describe it (set by the handler) */
	BT_EXIT_STI,          /* an STI set the virtual IF from 0: next_eip (after it) runs in its shadow */
	BT_EXIT_SYNC,         /* a POPF or callout made an interrupt deliverable, or a stop was
				 requested: next_eip is the next instruction; never chained */
};

/* ctx->callout_fn's operation (r13d): kind | size << 4 | BT_CO_DX | port << 16 */
enum bt_callout_kind {
	BT_CO_IN, BT_CO_OUT, BT_CO_RDTSC, BT_CO_CPUID,
	BT_CO_SEGLOAD,        /* MOV DS/ES/FS/GS, r: sreg << 4 | gpr << 8 | length << 16 (segload.c) */
	BT_CO_NKINDS,
};
#define BT_CO_DX 0x100        /* IN/OUT: the port is DX, not bits 16-31 */

/* Jump cache entry: guest linear EIP -> host code of the block (CPL 0 blocks only). */
struct bt_jc_entry {
	uint32_t eip;         /* empty slot i: BT_JC_EMPTY_EIP(i) */
	uint32_t pad;
	uint64_t host;
};

struct bt_ctx {
	/* guest registers between bt_enter() and the exit (offsets used by stubs.S) */
	uint32_t gpr[8];          /* 0x00 EAX..EDI (ESP = gpr[4]) */
	uint32_t eflags;          /* 0x20 host view: arithmetic flags + DF only */
	uint32_t next_eip;        /* 0x24 */
	uint32_t exit_reason;     /* 0x28 enum bt_exit */
	uint32_t save_esp;        /* 0x2c stubs: guest ESP while on the scratch stack */
	uint64_t exit_site;       /* 0x30 BT_EXIT_BRANCH: RX address of the rel32 to patch */
	uint64_t host_rsp;        /* 0x38 monitor stack pointer inside bt_enter() */
	uint64_t host_gs_base;    /* 0x40 reserved for the monitor (glibc does not use GS) */
	uint64_t guest_fs_base;   /* 0x48 loaded into the host GS base by bt_enter() */

	/* the guest's virtual system flags inside the TC (read and written by
	 * translated code: PUSHF, POPF, CLI, STI; synced with cpu_state->eflags) */
	uint32_t veflags;         /* 0x50 IOPL NT AC ID VIF VIP, bit 1; never IF TF RF VM, arithmetic, DF */
	uint8_t vif;              /* 0x54 the guest's IF (0/1) */
	uint8_t pad1[3];
	const volatile int *intr_line;   /* 0x58 the PIC's INTR output (POPF looks at it) */
	/* callouts (bt_stub_callout) */
	uint64_t callout_ret;     /* 0x60 where in the TC the stub returns */
	uint32_t (*callout_fn)(struct bt_ctx *ctx, uint32_t op);   /* 0x68 */
	void *callout_opaque;     /* 0x70 the dispatcher (struct bt) */

	/* statistics, written by translated code at an exit to the interpreter */
	uint32_t exit_mnemonic;   /* 0x78 BT_EXIT_INTERP: ZydisMnemonic of the instruction at
				     next_eip, 0 if it did not decode (statistics only) */
	uint32_t pad2;

	/* host fault in TC, filled by the signal handler (BT_EXIT_FAULT) */
	uint64_t fault_rip;       /* host RIP of the faulting instruction */
	uint64_t fault_addr;      /* si_addr */
	uint32_t fault_signo;     /* SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP */
	uint32_t fault_trapno;    /* host trap number (uc_mcontext REG_TRAPNO) */
	uint32_t fault_err;       /* host page-fault error code (REG_ERR) */
	uint32_t pad0;

	struct cpu_state *cpu;    /* the architectural state (virtual IF/IOPL, CRs, ...) */
	void *poll_page;          /* PROT_READ normally, PROT_NONE to stop translated code */

	/* 0xb0 the guest's selectors (enum seg_reg order), read by PUSH Sreg and
	 * MOV r/m, Sreg in the TC; copied from cpu_state by the dispatcher before
	 * every entry (translated code never loads a segment register: loads leave
	 * the TC, and so do far transfers, IRET and task switches) */
	uint16_t sel[8];

	/* stubs switch rsp here when they must save flags without touching the guest stack */
	uint8_t scratch_stack[512] __attribute__((aligned(16)));

	/* inline lookup of RET / indirect jump targets (linear EIP, flushed like a TLB) */
	struct bt_jc_entry jc[BT_JC_SIZE] __attribute__((aligned(64)));
};

#endif /* !__ASSEMBLER__ */

#define BT_CTX_GPR        0x00
#define BT_CTX_EFLAGS     0x20
#define BT_CTX_NEXT_EIP   0x24
#define BT_CTX_EXIT_REASON 0x28
#define BT_CTX_SAVE_ESP   0x2c
#define BT_CTX_EXIT_SITE  0x30
#define BT_CTX_HOST_RSP   0x38
#define BT_CTX_HOST_GS_BASE 0x40
#define BT_CTX_GUEST_FS_BASE 0x48
#define BT_CTX_VEFLAGS    0x50
#define BT_CTX_VIF        0x54
#define BT_CTX_INTR_LINE  0x58
#define BT_CTX_CALLOUT_RET 0x60
#define BT_CTX_CALLOUT_FN 0x68
#define BT_CTX_EXIT_MNEMONIC 0x78
#define BT_CTX_SEL        0xb0
#define BT_CTX_SCRATCH_TOP 0x2c0   /* end of scratch_stack: stubs push downwards from here */
#define BT_CTX_JC         0x2c0

#ifndef __ASSEMBLER__
_Static_assert(offsetof(struct bt_ctx, gpr) == BT_CTX_GPR, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, eflags) == BT_CTX_EFLAGS, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, next_eip) == BT_CTX_NEXT_EIP, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, exit_reason) == BT_CTX_EXIT_REASON, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, save_esp) == BT_CTX_SAVE_ESP, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, exit_site) == BT_CTX_EXIT_SITE, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, host_rsp) == BT_CTX_HOST_RSP, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, host_gs_base) == BT_CTX_HOST_GS_BASE, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, guest_fs_base) == BT_CTX_GUEST_FS_BASE, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, veflags) == BT_CTX_VEFLAGS, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, vif) == BT_CTX_VIF, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, intr_line) == BT_CTX_INTR_LINE, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, callout_ret) == BT_CTX_CALLOUT_RET, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, callout_fn) == BT_CTX_CALLOUT_FN, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, exit_mnemonic) == BT_CTX_EXIT_MNEMONIC, "translate.c offsets");
_Static_assert(offsetof(struct bt_ctx, sel) == BT_CTX_SEL, "rewrite.c offsets");
/* translated code stores these with a disp8 (emit_ctx_store_imm, the CLI/STI byte stores) */
_Static_assert(BT_CTX_EXIT_MNEMONIC < 0x80 && BT_CTX_VIF < 0x80, "disp8 from r15");
_Static_assert(offsetof(struct bt_ctx, scratch_stack) + 512 == BT_CTX_SCRATCH_TOP, "stubs.S offsets");
_Static_assert(offsetof(struct bt_ctx, jc) == BT_CTX_JC, "stubs.S offsets");
_Static_assert(sizeof(struct bt_jc_entry) == 16, "stubs.S scales the jc index by 16");
_Static_assert(BT_EXIT_BRANCH == 1 && BT_EXIT_INDIRECT == 2 && BT_EXIT_INTERP == 3 &&
	       BT_EXIT_POLL == 4 && BT_EXIT_FAULT == 5 && BT_EXIT_STI == 6 &&
	       BT_EXIT_SYNC == 7, "stubs.S exit codes");
#endif

#endif
