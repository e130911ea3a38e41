/*
 * taskcode.S - the code of the tasks that tasks.c switches to, and the
 * callers whose registers must be exact (SDM vol. 3A ch. 7).
 *
 * A task resumes where it was suspended: at the instruction after its
 * JMP or IRET. So each task body ends with the transfer back, followed by
 * a jump to its entry, and every entry works for the first and for later
 * switches (the same pattern as exceptions/df_task.S).
 */
#define SEL_KCODE 0x08
#define SEL_TSS 0x28
#define SEL_TSS_A 0x40
#define TSS_EIP 32
#define TSS_CS 76

	.text
/*
 * uint32_t task_jmp_a(void): loads known values into every general
 * register, JMPs to task A, which JMPs back. Stores the registers found on
 * return in jmp_back_regs (EAX ECX EDX EBX EBP ESI EDI) and returns EAX.
 */
	.globl task_jmp_a, task_jmp_a_resume
task_jmp_a:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl $0xa1a1a1a1, %eax
	movl $0xc1c1c1c1, %ecx
	movl $0xd1d1d1d1, %edx
	movl $0xb1b1b1b1, %ebx
	movl $0xbebebebe, %ebp
	movl $0x51515151, %esi
	movl $0xd0d0d0d0, %edi
	ljmp $SEL_TSS_A, $0
task_jmp_a_resume:
	movl %eax, jmp_back_regs
	movl %ecx, jmp_back_regs + 4
	movl %edx, jmp_back_regs + 8
	movl %ebx, jmp_back_regs + 12
	movl %ebp, jmp_back_regs + 16
	movl %esi, jmp_back_regs + 20
	movl %edi, jmp_back_regs + 24
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/*
 * Task A: records EFLAGS, the general registers, ESP, FS and GS exactly as
 * the TSS loaded them (task_a_seen), runs task_a_body() and JMPs back to
 * the main task.
 */
	.globl task_a_entry, task_a_after_jmp
task_a_entry:
	pushfl
	popl task_a_seen
	movl %eax, task_a_seen + 4
	movl %ecx, task_a_seen + 8
	movl %edx, task_a_seen + 12
	movl %ebx, task_a_seen + 16
	movl %ebp, task_a_seen + 20
	movl %esi, task_a_seen + 24
	movl %edi, task_a_seen + 28
	movl %esp, task_a_seen + 32
	movw %fs, task_a_seen + 36
	movw %gs, task_a_seen + 38
	cld
	call task_a_body
	movl $0x0a0a0a0a, %eax
	ljmp $SEL_TSS, $0
task_a_after_jmp:
	jmp task_a_entry

/* Task B (CALL, task gates, INT n): task_b_body(), then a task return. */
	.globl task_b_entry, task_b_after_iret
task_b_entry:
	cld
	call task_b_body
	iret
task_b_after_iret:
	jmp task_b_entry

/* Task C (CR3 and LDT of its own): task_c_body(), then a task return. */
	.globl task_c_entry
task_c_entry:
	cld
	call task_c_body
	iret
	jmp task_c_entry

/*
 * The #GP task, reached through a task gate in the IDT: pops the error
 * code the switch pushed on its stack, records it, ESP, TR and the
 * interrupted EIP, points the main task at the armed TRY's resume address
 * and returns to it.
 */
	.globl task_gp_entry
task_gp_entry:
	popl gp_seen_error
	movl %esp, gp_seen_esp
	str gp_seen_tr
	movl tss_main + TSS_EIP, %eax
	movl %eax, gp_seen_eip
	movl trap_catch, %eax
	movl %eax, tss_main + TSS_EIP
	movl $SEL_KCODE, tss_main + TSS_CS
	movl $0, trap_catch
	iret
	jmp task_gp_entry

/* The task with a bad DS: the #TS handler resumes it at task_bad_iret. */
	.globl task_bad_entry, task_bad_iret
task_bad_entry:
	nop
task_bad_iret:
	iret
	jmp task_bad_entry

/*
 * The 16-bit task: its code segment starts at task16_start, its DS at
 * t16_seen. Records the registers, FLAGS and segment registers the 16-bit
 * TSS loaded, then returns (16-bit IRET, NT=1) with AX = BEEF.
 */
	.code16
	.globl task16_start, task16_after_iret
task16_start:
	movw %ax, 0
	movw %cx, 2
	movw %dx, 4
	movw %bx, 6
	movw %sp, 8
	movw %bp, 10
	movw %si, 12
	movw %di, 14
	pushfw
	popw 16
	movw %es, 18
	movw %cs, 20
	movw %ss, 22
	movw %ds, 24
	movw $0xbeef, %ax
	iret
task16_after_iret:
	jmp task16_start
	.code32

	.bss
	.balign 4
	.globl jmp_back_regs, task_a_seen, gp_seen_error, gp_seen_esp, gp_seen_tr, gp_seen_eip
jmp_back_regs:
	.space 28
task_a_seen:
	.space 40
gp_seen_error:
	.long 0
gp_seen_esp:
	.long 0
gp_seen_tr:
	.long 0
gp_seen_eip:
	.long 0
