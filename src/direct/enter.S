/*
 * enter.S - the two 64-bit edges of direct execution.
 *
 * direct_enter_asm(cpu): saves the callee-saved registers, records RSP in
 * cpu->host_rsp, builds an IRETQ frame (SS:ESP, EFLAGS, CS:EIP of the
 * guest; SDM vol. 3A 6.14.3: IRET in 64-bit mode may return to
 * compatibility mode at the same privilege), loads ES/DS (and FS/GS when
 * non-null) and the eight guest registers, and IRETQs. It never returns by
 * itself: the guest runs until it traps.
 *
 * direct_exit_stub: where direct_signal() sends sigreturn (CS 0x33, RSP =
 * cpu->host_rsp, RDI = cpu). Resets the data selectors, restores the host
 * FS/GS bases (the guest's FS/GS loads replaced them) and returns from
 * direct_enter_asm() to its C caller.
 *
 * direct_signal_entry: the sa_sigaction of the direct-execution signals.
 * When the signal interrupted guest code (CS != host CS in the ucontext, or
 * 64-bit code below 4 GiB after a far jump to it) FS may hold a guest
 * base, and compiled C code reads FS (stack protector), so the host TLS
 * base is restored first, from direct_host_fsbase.
 */
	.text

	.globl	direct_enter_asm
	.type	direct_enter_asm, @function
direct_enter_asm:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, 0x38(%rdi)
	movzwl	0x2c(%rdi), %eax	/* SS */
	push	%rax
	movl	0x10(%rdi), %eax	/* ESP */
	push	%rax
	movl	0x24(%rdi), %eax	/* EFLAGS */
	push	%rax
	movzwl	0x2a(%rdi), %eax	/* CS */
	push	%rax
	movl	0x20(%rdi), %eax	/* EIP */
	push	%rax
	movw	0x28(%rdi), %ax
	movw	%ax, %es
	movw	0x2e(%rdi), %ax
	movw	%ax, %ds
	movw	0x30(%rdi), %ax
	testw	%ax, %ax
	jz	1f
	movw	%ax, %fs
1:	movw	0x32(%rdi), %ax
	testw	%ax, %ax
	jz	2f
	movw	%ax, %gs
2:	movl	0x00(%rdi), %eax
	movl	0x04(%rdi), %ecx
	movl	0x08(%rdi), %edx
	movl	0x0c(%rdi), %ebx
	movl	0x14(%rdi), %ebp
	movl	0x18(%rdi), %esi
	movl	0x1c(%rdi), %edi
	iretq
	.size	direct_enter_asm, . - direct_enter_asm

	.globl	direct_exit_stub
	.type	direct_exit_stub, @function
direct_exit_stub:
	xorl	%eax, %eax
	movw	%ax, %ds
	movw	%ax, %es
	cmpb	$0, 0x34(%rdi)
	je	1f
	movw	%ax, %fs
	movw	%ax, %gs
	movq	0x40(%rdi), %rax
	wrfsbase %rax
	movq	0x48(%rdi), %rax
	wrgsbase %rax
1:	cld
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	direct_exit_stub, . - direct_exit_stub

	/* offsetof(ucontext_t, uc_mcontext.gregs[REG_CSGSFS / REG_RIP]): checked in enter.c */
	.set	UC_CSGSFS, 0xb8
	.set	UC_RIP, 0xa8

	.globl	direct_signal_entry
	.type	direct_signal_entry, @function
direct_signal_entry:
	movzwl	UC_CSGSFS(%rdx), %eax
	cmpw	direct_host_cs(%rip), %ax
	jne	2f
	cmpl	$0, UC_RIP + 4(%rdx)	/* 64-bit code below 4 GiB: the guest's too */
	jne	1f
2:	movq	direct_host_fsbase(%rip), %rax
	testq	%rax, %rax
	jz	1f
	wrfsbase %rax
1:	jmp	direct_signal
	.size	direct_signal_entry, . - direct_signal_entry

	.section .note.GNU-stack, "", @progbits
