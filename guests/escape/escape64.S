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

	.section .note.GNU-stack, "", @progbits
