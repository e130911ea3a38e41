/*
 * stubs.S - the glue between the monitor and translated code (ctx.h has
 * the register convention and the layout of struct bt_ctx).
 *
 * bt_enter() runs in the softvt binary: it saves the host callee-saved
 * registers on the monitor stack, records that stack in ctx->host_rsp and
 * the host GS base in ctx->host_gs_base, loads the guest's FS base into
 * the host GS base, the guest arithmetic flags and DF into RFLAGS, the
 * guest registers into rax..rdi and rsp, r15 = ctx, and jumps to the block.
 *
 * The TC stubs (bt_tc_stubs_begin .. bt_tc_stubs_end) are position
 * independent: tc_create() copies them to the start of the translation
 * cache, so translated code reaches them with a jmp rel32.
 *   exit         next_eip and exit_reason are set: store the guest
 *                registers, switch to the monitor stack, store the flags,
 *                restore the host GS base, cld, return exit_reason from
 *                bt_enter(). The guest stack is never touched.
 *   exit_branch  r14 = RX address of the rel32 to patch: exit_site = r14,
 *                exit_reason = BT_EXIT_BRANCH, then exit.
 *   lookup       r14d = guest target of RET / indirect JMP / CALL: looks
 *                it up in ctx->jc[BT_JC_INDEX]; a hit jumps to the block,
 *                a miss leaves with BT_EXIT_INDIRECT. Guest flags are kept
 *                with pushfq/popfq on ctx->scratch_stack (ESP saved in
 *                ctx->save_esp meanwhile).
 *   callout      r13d = operation, r14 = return address in the TC,
 *                next_eip already stored: stores the guest registers and
 *                flags into ctx, switches to the monitor stack, cld, calls
 *                ctx->callout_fn(ctx, r13d) (16-byte aligned, SysV ABI).
 *                0: reloads flags and registers from ctx (the C side may
 *                have changed them) and jumps to r14; otherwise leaves
 *                bt_enter() with that exit reason. No guest FPU/SSE state
 *                is live in host registers (x87/SSE guest instructions run
 *                in the interpreter), so the C side may use them freely.
 *   fault_exit   entered from a signal handler (tc_signal_exit) with
 *                rsp = ctx->host_rsp and r15 = ctx, the guest state and
 *                exit_reason already in ctx: restores GS, cld, returns.
 */
#include "bt/ctx.h"

	.intel_syntax noprefix

/* Guest registers and flags (arithmetic + DF) from the CPU into ctx; ends on
 * the monitor stack (ctx->host_rsp). Clobbers rax. */
.macro SAVE_GUEST
	mov [r15 + BT_CTX_GPR + 0], eax
	mov [r15 + BT_CTX_GPR + 4], ecx
	mov [r15 + BT_CTX_GPR + 8], edx
	mov [r15 + BT_CTX_GPR + 12], ebx
	mov [r15 + BT_CTX_GPR + 16], esp
	mov [r15 + BT_CTX_GPR + 20], ebp
	mov [r15 + BT_CTX_GPR + 24], esi
	mov [r15 + BT_CTX_GPR + 28], edi
	mov rsp, [r15 + BT_CTX_HOST_RSP]
	pushfq
	pop rax
	and eax, BT_EFLAGS_MASK
	mov [r15 + BT_CTX_EFLAGS], eax
.endm

/* Guest flags (TF and AC kept clear) and registers from ctx into the CPU; the
 * last load switches rsp to the guest's ESP. */
.macro LOAD_GUEST
	pushfq
	pop rax
	and rax, ~(BT_EFLAGS_MASK | 0x100 | 0x40000)
	mov ecx, [r15 + BT_CTX_EFLAGS]
	and ecx, BT_EFLAGS_MASK
	or rax, rcx
	push rax
	popfq
	mov eax, [r15 + BT_CTX_GPR + 0]
	mov ecx, [r15 + BT_CTX_GPR + 4]
	mov edx, [r15 + BT_CTX_GPR + 8]
	mov ebx, [r15 + BT_CTX_GPR + 12]
	mov ebp, [r15 + BT_CTX_GPR + 20]
	mov esi, [r15 + BT_CTX_GPR + 24]
	mov edi, [r15 + BT_CTX_GPR + 28]
	mov esp, [r15 + BT_CTX_GPR + 16]
.endm
	.text

/* int bt_enter(struct bt_ctx *ctx, const void *host) */
	.globl bt_enter
	.type bt_enter, @function
bt_enter:
	.cfi_startproc
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov [rdi + BT_CTX_HOST_RSP], rsp
	mov r15, rdi
	mov r14, rsi
	rdgsbase rax
	mov [r15 + BT_CTX_HOST_GS_BASE], rax
	mov rax, [r15 + BT_CTX_GUEST_FS_BASE]
	wrgsbase rax
	mov qword ptr [r15 + BT_CTX_EXIT_SITE], 0
	/* host RFLAGS with the guest's arithmetic flags and DF; TF and AC clear */
	LOAD_GUEST
	jmp r14
	.cfi_endproc
	.size bt_enter, . - bt_enter

	.globl bt_tc_stubs_begin, bt_tc_stubs_end
	.globl bt_stub_exit, bt_stub_exit_branch, bt_stub_lookup, bt_stub_fault_exit
	.globl bt_stub_callout
	.p2align 4
bt_tc_stubs_begin:
bt_stub_exit:
.Lexit:
	SAVE_GUEST
	/* the shared tail with the fault exit */
bt_stub_fault_exit:
.Lfault_exit:
	mov rax, [r15 + BT_CTX_HOST_GS_BASE]
	wrgsbase rax
	cld
	mov eax, [r15 + BT_CTX_EXIT_REASON]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

	.p2align 4
bt_stub_exit_branch:
	mov [r15 + BT_CTX_EXIT_SITE], r14
	mov dword ptr [r15 + BT_CTX_EXIT_REASON], BT_EXIT_BRANCH
	jmp .Lexit

	.p2align 4
bt_stub_lookup:
	mov [r15 + BT_CTX_SAVE_ESP], esp
	lea rsp, [r15 + BT_CTX_SCRATCH_TOP]
	pushfq
	mov r13d, r14d
	shr r13d, BT_JC_BITS
	xor r13d, r14d
	and r13d, BT_JC_SIZE - 1
	shl r13d, 4
	cmp [r15 + r13 + BT_CTX_JC], r14d
	jne 1f
	mov r13, [r15 + r13 + BT_CTX_JC + 8]
	popfq
	mov esp, [r15 + BT_CTX_SAVE_ESP]
	jmp r13
1:	popfq
	mov esp, [r15 + BT_CTX_SAVE_ESP]
	mov [r15 + BT_CTX_NEXT_EIP], r14d
	mov dword ptr [r15 + BT_CTX_EXIT_REASON], BT_EXIT_INDIRECT
	jmp .Lexit

	.p2align 4
bt_stub_callout:
	mov [r15 + BT_CTX_CALLOUT_RET], r14
	SAVE_GUEST
	cld
	sub rsp, 8                      /* host_rsp is 8 mod 16 (six pushes after the call) */
	mov rdi, r15
	mov esi, r13d
	call [r15 + BT_CTX_CALLOUT_FN]
	add rsp, 8
	test eax, eax
	jnz 1f
	LOAD_GUEST
	jmp [r15 + BT_CTX_CALLOUT_RET]
1:	mov [r15 + BT_CTX_EXIT_REASON], eax
	jmp .Lfault_exit                /* rsp = host_rsp, the guest state is in ctx */
bt_tc_stubs_end:

	.section .note.GNU-stack, "", @progbits
