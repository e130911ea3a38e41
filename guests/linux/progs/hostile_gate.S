/*
 * hostile_gate.S - the system-call entries the hostile program uses to try
 * to reach the HOST kernel (hostile.c, docs/USER_PROGRAMS.md). Each is a
 * cdecl function long f(long nr, long a1, long a2, long a3) for 32-bit code;
 * the globally visible labels on the critical instructions let the signal
 * handler say which one faulted.
 *
 *   hg_int80     INT 0x80 with the i386 numbers.
 *   hg_sysenter  SYSENTER set up as the i386 vDSO's __kernel_vsyscall expects:
 *                ECX, EDX, EBP pushed, EBP = ESP. The kernel returns through its
 *                vDSO landing pad, which pops EBP, EDX, ECX and returns to the
 *                caller of the inner call, never to the instruction after
 *                SYSENTER (a UD2 marks it). SYSENTER is #UD in compatibility
 *                mode on AMD.
 *   hg_syscall   32-bit SYSCALL, the same frame but EBP = ECX (SYSCALL
 *                overwrites ECX). #UD when EFER.SCE is clear (any 32-bit
 *                kernel; Intel CPUs outside 64-bit mode); the host's compat
 *                entry on AMD.
 *   hg_gate64    far call to selector 0x33: on a 64-bit Linux host the 64-bit
 *                user code segment ("heaven's gate"), in a 32-bit guest's GDT
 *                a TLS data segment (#GP). In 64-bit mode: SYSCALL with x86-64
 *                numbers (RDI, RSI, RDX), then a 32-bit far return.
 *   hg_libcjump  the same gate, then in 64-bit mode scan [hg_scan_base,
 *                + hg_scan_len) for the bytes 0f 05 c3 (syscall; ret), store
 *                the address in hg_scan_found (0: none, result -ENOENT) and
 *                call it: a system call made from the host libc's text, above
 *                4 GiB, which a filter on the caller's address lets through.
 *
 * The 64-bit code runs at its link address (below 4 GiB): 32-bit guest
 * linear addresses are host addresses inside the softvt window, and natively
 * they are the process's own.
 */
#define SYSCALL_RET_BYTES 0x0f, 0x05, 0xc3

	.text
	.code32

	.globl hg_int80, hg_int80_insn
hg_int80:
	push %ebx
	mov 8(%esp), %eax
	mov 12(%esp), %ebx
	mov 16(%esp), %ecx
	mov 20(%esp), %edx
hg_int80_insn:
	int $0x80
	pop %ebx
	ret

	.globl hg_sysenter, hg_sysenter_insn, hg_after_sysenter
hg_sysenter:
	push %ebp
	push %ebx
	mov 12(%esp), %eax
	mov 16(%esp), %ebx
	mov 20(%esp), %ecx
	mov 24(%esp), %edx
	call 1f
	pop %ebx
	pop %ebp
	ret
1:	push %ecx
	push %edx
	push %ebp
	mov %esp, %ebp
hg_sysenter_insn:
	sysenter
hg_after_sysenter:
	ud2

	.globl hg_syscall, hg_syscall_insn, hg_after_syscall
hg_syscall:
	push %ebp
	push %ebx
	mov 12(%esp), %eax
	mov 16(%esp), %ebx
	mov 20(%esp), %ecx
	mov 24(%esp), %edx
	call 1f
	pop %ebx
	pop %ebp
	ret
1:	push %ecx
	push %edx
	push %ebp
	mov %ecx, %ebp
hg_syscall_insn:
	syscall
hg_after_syscall:
	ud2

/* Load EAX = nr, EDI = a1, ESI = a2, EDX = a3 after saving the callee-saved registers. */
.macro GATE_PROLOGUE
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov 20(%esp), %eax
	mov 24(%esp), %edi
	mov 28(%esp), %esi
	mov 32(%esp), %edx
.endm
.macro GATE_EPILOGUE
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret
.endm

	.globl hg_gate64, hg_gate64_insn
hg_gate64:
	GATE_PROLOGUE
hg_gate64_insn:
	lcall $0x33, $hg_entry64
	GATE_EPILOGUE

	.globl hg_libcjump, hg_libcjump_insn
hg_libcjump:
	GATE_PROLOGUE
hg_libcjump_insn:
	lcall $0x33, $hg_scan64
	GATE_EPILOGUE

	.code64
	.globl hg_entry64, hg_scan64, hg_syscall_ret64, hg_code64_end
/* Zero-extend what 32-bit code left in the registers (their upper halves are undefined). */
.macro ZERO_EXTEND
	mov %esp, %esp
	mov %eax, %eax
	mov %edi, %edi
	mov %esi, %esi
	mov %edx, %edx
.endm
hg_entry64:
	ZERO_EXTEND
	syscall
	lretl

hg_scan64:
	ZERO_EXTEND
	movl $hg_scan_base, %ecx
	mov (%rcx), %r8
	movl $hg_scan_len, %ecx
	mov (%rcx), %r9
	add %r8, %r9
	sub $2, %r9
2:	cmp %r9, %r8
	jae 3f
	cmpb $0x0f, (%r8)
	jne 4f
	cmpb $0x05, 1(%r8)
	jne 4f
	cmpb $0xc3, 2(%r8)
	je 5f
4:	inc %r8
	jmp 2b
3:	mov $-2, %eax
	lretl
5:	movl $hg_scan_found, %ecx
	mov %r8, (%rcx)
	call *%r8
	lretl

/* A "syscall; ret" of our own, for `hostile libcjump self` (natively: proves the jump works). */
hg_syscall_ret64:
	.byte SYSCALL_RET_BYTES
hg_code64_end:

	.code32
	.data
	.balign 8
	.globl hg_scan_base, hg_scan_len, hg_scan_found
hg_scan_base:	.quad 0
hg_scan_len:	.quad 0
hg_scan_found:	.quad 0

	.section .note.GNU-stack, "", @progbits
