/*
 * entry.S - the SIGSYS entry of the jail (jail.c installs it).
 *
 * A trap with si_errno != JAIL_RET_DATA is a guest system call trapped by
 * the direct-execution part of the filter: it goes, untouched, to the
 * handler that was installed before the jail (src/direct's), if any.
 *
 * A jail trap may come from the vCPU thread after guest code escaped to
 * 64-bit code (selector 0x33) with a guest FS loaded: FS then holds a guest
 * base, and compiled C reads %fs (stack protector, errno). So before any C
 * runs, the vCPU thread's FS base is put back (FSGSBASE hosts; the
 * interrupted context is never resumed). gettid is a raw system call here
 * (both allow-lists let it through) because the C library needs TLS for it.
 *
 * siginfo_t: si_signo at 0, si_errno at 4 (checked in jail.c).
 */
	.text
	.globl	jail_sigsys_entry
	.type	jail_sigsys_entry, @function
jail_sigsys_entry:
	cmpl	$0x1a11, 4(%rsi)		/* JAIL_RET_DATA */
	je	1f
	movq	jail_next_sigsys(%rip), %rax
	testq	%rax, %rax
	jz	1f
	jmp	*%rax
1:	cmpb	$0, jail_fsgsbase(%rip)
	je	2f
	movq	%rdi, %r8
	movl	$186, %eax			/* SYS_gettid */
	syscall
	movq	%r8, %rdi
	cmpl	jail_vcpu_tid(%rip), %eax
	jne	2f
	movq	jail_vcpu_fsbase(%rip), %rax
	wrfsbase %rax
2:	jmp	jail_sigsys
	.size	jail_sigsys_entry, . - jail_sigsys_entry

	.section .note.GNU-stack, "", @progbits
