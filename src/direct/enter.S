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
 * cpu->host_rsp, RDI = cpu). Records the data selectors the guest left
 * (cpu->seen_sel: a guest `mov gs, ax` executed natively loads a *host*
 * selector, ring aliasing, which the caller repairs), resets them,
 * restores the host FS/GS bases (the guest's FS/GS loads replaced them),
 * resets RFLAGS (DF, and NT: the kernel's sigreturn takes NT from the
 * handler's own flags, inherited from the guest, not from the ucontext;
 * with NT left set the next IRETQ would be #GP, as IRET in 64-bit mode
 * cannot return from a nested task - direct_enter_asm clears it too) and
 * returns from direct_enter_asm() to its C caller.
 *
 * direct_sig_entry: the sa_sigaction of every signal the monitor handles
 * while guest code may run (direct_sigaction()). The signal may have
 * interrupted guest code whose FS holds a guest base, and compiled C code
 * reads FS (stack protector, errno), so the entry saves the interrupted FS
 * base, installs the host's (direct_host_fsbase), calls the C handler
 * registered for the signal in direct_sig_table, and puts the saved base
 * back before returning: sigreturn does not restore FS bases, and a
 * handler that resumes the guest (a page filled on the spot) must give it
 * its own FS back. It also clears EFLAGS.AC, which the kernel hands the
 * handler as the guest left it: the host runs with CR0.AM set, so the
 * monitor's C code (any misaligned access) would raise #AC (sigreturn
 * gives the guest its AC back). Without FSGSBASE (direct_fsgsbase_ok == 0) it only
 * calls the handler.
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
	pushfq				/* IRETQ with NT set is #GP (see the overview) */
	andl	$~0x4000, (%rsp)
	popfq
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
	movw	%es, 0x50(%rdi)		/* seen_sel[S_ES] */
	movw	%ds, 0x56(%rdi)		/* seen_sel[S_DS] */
	movw	%fs, 0x58(%rdi)		/* seen_sel[S_FS] */
	movw	%gs, 0x5a(%rdi)		/* seen_sel[S_GS] */
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
1:	pushq	$0x202		/* RFLAGS: the guest's NT came through sigreturn */
	popfq
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	direct_exit_stub, . - direct_exit_stub

	.globl	direct_sig_entry
	.type	direct_sig_entry, @function
direct_sig_entry:
	pushfq				/* no alignment checks in the monitor (see above) */
	andl	$~0x40000, (%rsp)
	popfq
	push	%rbx			/* also aligns the stack for the call */
	cmpb	$0, direct_fsgsbase_ok(%rip)
	je	1f
	rdfsbase %rbx
	movq	direct_host_fsbase(%rip), %rax
	wrfsbase %rax
1:	movslq	%edi, %rax
	leaq	direct_sig_table(%rip), %rcx
	call	*(%rcx,%rax,8)
	cmpb	$0, direct_fsgsbase_ok(%rip)
	je	2f
	wrfsbase %rbx
2:	pop	%rbx
	ret
	.size	direct_sig_entry, . - direct_sig_entry

	.section .note.GNU-stack, "", @progbits
