/*
 * ufaults_insn.S - one faulting instruction per function for ufaults.c, each
 * at a global label uf_NAME_insn so that the handler can say whether the
 * kernel reported the right EIP. Each function is void f(void) and returns
 * normally only if its instruction did not fault.
 */
	.text
	.code32

.macro FAULT name
	.globl uf_\name, uf_\name\()_insn
uf_\name:
.endm

FAULT de
	push %ebx
	xor %edx, %edx
	mov $1, %eax
	xor %ebx, %ebx
uf_de_insn:
	div %ebx
	pop %ebx
	ret

FAULT int3
uf_int3_insn:
	int3
	ret

FAULT ud2
uf_ud2_insn:
	ud2
	ret

FAULT hlt
uf_hlt_insn:
	hlt
	ret

FAULT cli
uf_cli_insn:
	cli
	ret

FAULT out
	mov $0x55, %al
uf_out_insn:
	outb %al, $0x80
	ret

FAULT int21
uf_int21_insn:
	int $0x21
	ret

FAULT into
	mov $0x7f, %al
	add $1, %al		/* OF = 1 */
uf_into_insn:
	into
	ret

FAULT movcr0
uf_movcr0_insn:
	mov %cr0, %eax
	ret

FAULT null
uf_null_insn:
	mov 0, %eax
	ret

/* void uf_store(void *p): one byte store, for the read-only page. */
	.globl uf_store, uf_store_insn
uf_store:
	mov 4(%esp), %eax
uf_store_insn:
	movb $1, (%eax)
	ret

	.section .note.GNU-stack, "", @progbits
