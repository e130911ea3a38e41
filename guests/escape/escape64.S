/*
 * escape64.S - the hostile part of guests/escape (see escape.c).
 *
 * escape_user(req) runs in ring 3. The far jump loads the *host's* 64-bit
 * code selector 0x33 - a guest selector only in name: under direct
 * execution it indexes the host's GDT - and continues in 64-bit mode with
 * the request's system call number and three arguments in RAX, RDI, RSI,
 * RDX, then jumps to req->gadget: a SYSCALL instruction (0F 05) in the
 * host's C library, above 4 GiB, where the monitor's own calls come from.
 *
 * struct escape_req { uint64_t nr, a0, a1, a2, gadget; }, its address in EBP
 * (no absolute addresses in 64-bit code: the image is linked as i386).
 */
	.text
	.code32
	.globl	escape_user
	.type	escape_user, @function
escape_user:
	movl	4(%esp), %ebp
	ljmp	$0x33, $stage64

	.code64
stage64:
	movl	%ebp, %ebp			/* zero-extend the request's address */
	movq	0(%rbp), %rax
	movq	8(%rbp), %rdi
	movq	16(%rbp), %rsi
	movq	24(%rbp), %rdx
	jmp	*32(%rbp)
	.size	escape_user, . - escape_user

/*
 * The other ways out, each with req's number and arguments in the i386
 * (EAX, EBX, ECX, EDX) or x86-64 (RAX, RDI, RSI, RDX) registers: INT 0x80,
 * compat SYSCALL and SYSENTER from ring 3 (32-bit host system calls), and
 * SYSCALL in 64-bit mode after the far jump, from the guest's own code
 * below 4 GiB. None may reach the host: src/direct's trap turns them into
 * guest events, or softvt stops. Each returns if the instruction does.
 */
	.code32
	.macro	load32			/* after pushing EBX and EBP */
	movl	12(%esp), %ebp
	movl	0(%ebp), %eax
	movl	8(%ebp), %ebx
	movl	16(%ebp), %ecx
	movl	24(%ebp), %edx
	.endm

	.globl	escape_int80
escape_int80:
	push	%ebx
	push	%ebp
	load32
	int	$0x80
	pop	%ebp
	pop	%ebx
	ret

	.globl	escape_syscall32
escape_syscall32:
	push	%ebx
	push	%ebp
	load32
	syscall
	pop	%ebp
	pop	%ebx
	ret

	.globl	escape_sysenter
escape_sysenter:
	push	%ebx
	push	%ebp
	load32
	sysenter
	pop	%ebp
	pop	%ebx
	ret

	.globl	escape_gate
escape_gate:
	movl	4(%esp), %ebp
	ljmp	$0x33, $gate64
	.code64
gate64:
	movl	%ebp, %ebp
	movq	0(%rbp), %rax
	movq	8(%rbp), %rdi
	movq	16(%rbp), %rsi
	movq	24(%rbp), %rdx
	syscall
	ud2

	.section .note.GNU-stack, "", @progbits
