/*
 * v86code.S - the virtual-8086 program of the v86 guest, and the ring-0
 * entry into v8086 mode and exit from it (SDM vol. 3A 20.2).
 *
 * v86_prog_start..v86_prog_end is position independent real-mode code:
 * v86.c copies it to linear V86_BASE (segment V86_SEG) and runs it there,
 * so offsets below are relative to v86_prog_start. Results go to the
 * R_* offsets of the same segment (v86.c reads them back).
 */
#define SEL_KDATA 0x10
#define V86_SEG 0x2000
#define R_ALIAS 0x1100
#define R_FAR_CS 0x1102
#define R_SUM 0x1104
#define R_FLAGS_CLI 0x1106
#define R_FLAGS_STI 0x1108
#define R_AFTER_INT 0x110a
#define R_POPF 0x110c
#define R_DIV 0x110e
#define R2_FLAGS_CLI 0x1110
#define R2_FLAGS_STI 0x1112
#define R_COPY 0x1120
#define OFF(label) ((label) - v86_prog_start)

	.text
/*
 * uint32_t v86_enter(const struct v86_entry *e): IRET to v8086 mode with
 * the values of *e (EIP CS EFLAGS ESP SS ES DS FS GS). Returns the value
 * passed to v86_leave() by the ring-0 monitor.
 */
	.globl v86_enter
v86_enter:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, v86_saved_esp
	movl 20(%esp), %eax
	pushl 32(%eax)
	pushl 28(%eax)
	pushl 24(%eax)
	pushl 20(%eax)
	pushl 16(%eax)
	pushl 12(%eax)
	pushl 8(%eax)
	pushl 4(%eax)
	pushl 0(%eax)
	iret

/* void v86_leave(uint32_t value): from a ring-0 handler, back to v86_enter's caller. */
	.globl v86_leave
v86_leave:
	movl 4(%esp), %eax
	movl $SEL_KDATA, %ecx
	movl %ecx, %ds
	movl %ecx, %es
	movl %ecx, %fs
	movl %ecx, %gs
	movl %ecx, %ss
	movl v86_saved_esp, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.code16
	.globl v86_prog_start, v86_prog_end, v86_phase2, v86_far_target, v86_isr42
	.globl v86_out80, v86_cli, v86_pushf1, v86_sti, v86_popf, v86_int3, v86_int42, v86_div
	.globl v86_hlt, v86_out80_2, v86_int42_2, v86_after_int42_2
v86_prog_start:
	/* Segment arithmetic: 2100:0010 and 2000:1010 are linear 21010. */
	movw $(V86_SEG + 0x100), %ax
	movw %ax, %ds
	movw $0x1234, 0x10
	movw $V86_SEG, %ax
	movw %ax, %ds
	movw %es:0x1010, %ax
	movw %ax, R_ALIAS
	/* A far call into the same bytes through CS = 1ff0. */
	lcall $(V86_SEG - 0x10), $(OFF(v86_far_target) + 0x100)
	/* LOOP: 10 + 9 + ... + 1. */
	xorw %ax, %ax
	movw $10, %cx
1:	addw %cx, %ax
	loop 1b
	movw %ax, R_SUM
	/* String move within the segment. */
	cld
	movw $OFF(v86_text), %si
	movw $R_COPY, %di
	movw $16, %cx
	rep movsb
	/* Port 0xe9 is allowed in the I/O bitmap: print a line. */
	movw $OFF(v86_hello), %si
	movw $(v86_hello_end - v86_hello), %cx
	movw $0xe9, %dx
	rep outsb
	/* Port 0x80 is denied: #GP(0), the monitor skips the OUT. */
	movb $0x55, %al
v86_out80:
	outb %al, $0x80
	/* IOPL 0: CLI, PUSHF, STI, POPF, INT n and IRET trap to the monitor. */
v86_cli:
	cli
v86_pushf1:
	pushfw
	popw R_FLAGS_CLI
v86_sti:
	sti
	pushfw
	popw R_FLAGS_STI
	pushw $0x0001
v86_popf:
	popfw
	jnc 2f
	movw $0x600d, R_POPF
2:
	/* INT3 is not IOPL-sensitive: it meets the DPL-0 IDT gate (#GP(0x1a)). */
v86_int3:
	int3
v86_int42:
	int $0x42
	movw %ax, R_AFTER_INT
	/* #DE goes to the ring-0 handler; the monitor skips the DIV. */
	movw $1, %ax
	xorb %bl, %bl
v86_div:
	divb %bl
	movw $0xd1d1, R_DIV
v86_hlt:
	hlt

v86_far_target:
	movw %cs, R_FAR_CS
	lret

/* The real-mode handler of INT 42h, through the IVT (the monitor reflects it). */
v86_isr42:
	movw $0x4242, %ax
	iret

/* Phase 2, IOPL 3: the sensitive instructions run; INT 42h enters ring 0. */
v86_phase2:
	cli
	pushfw
	popw R2_FLAGS_CLI
	sti
	pushfw
	popw R2_FLAGS_STI
v86_out80_2:
	outb %al, $0x80
v86_int42_2:
	int $0x42
v86_after_int42_2:
	hlt

v86_text:
	.ascii "0123456789abcdef"
v86_hello:
	.ascii "# hello from v8086 mode\n"
v86_hello_end:
v86_prog_end:
	.code32

	.bss
	.balign 4
v86_saved_esp:
	.long 0
