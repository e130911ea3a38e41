/*
 * trap.S - IDT entry stubs, the common trap path, and ring-3 entry/exit.
 *
 * 256 stubs of 16 bytes each at trap_stubs + 16 * vector. Vectors for
 * which the CPU pushes an error code (8, 10-14, 17; SDM vol. 3A 6.13) push
 * only the vector; the others push a zero error code first, so every
 * handler sees the same struct trap_frame (trap.h).
 */
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define USER_EXIT_VECTOR 0x7f

	.text
	.globl trap_stubs
	.balign 16
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17
	.else
	pushl $0
	.endif
	pushl $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	pushal
	pushl %ds
	pushl %es
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	cld
	pushl %esp
	call trap_dispatch
	addl $4, %esp
	popl %es
	popl %ds
	popal
	addl $8, %esp
	iret

/* uint32_t user_call(uint32_t (*fn)(void *), void *arg, uint32_t eflags) */
	.globl user_call
user_call:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, user_saved_esp
	movl 20(%esp), %eax
	movl 24(%esp), %ecx
	movl 28(%esp), %edx
	movl $stack_user_top, %ebx
	movl %ecx, -4(%ebx)
	movl %eax, -8(%ebx)
	subl $8, %ebx
	movl $SEL_UDATA, %esi
	movl %esi, %ds
	movl %esi, %es
	movl %esi, %fs
	movl %esi, %gs
	pushl $SEL_UDATA
	pushl %ebx
	pushl %edx
	pushl $SEL_UCODE
	pushl $user_trampoline
	iret

/* Ring 3: [esp] = fn, [esp+4] = arg */
user_trampoline:
	popl %eax
	call *%eax
	movl %eax, %ebx
	int $USER_EXIT_VECTOR
	ud2

/* void user_return(uint32_t value): back on user_call's kernel stack. */
	.globl user_return
user_return:
	movl 4(%esp), %eax
	movl $SEL_KDATA, %ecx
	movl %ecx, %ds
	movl %ecx, %es
	movl %ecx, %fs
	movl %ecx, %gs
	movl %ecx, %ss
	movl user_saved_esp, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.bss
	.balign 4
user_saved_esp:
	.long 0
