/*
 * df_task.S - the double-fault task reached through a task gate.
 *
 * The task switch (SDM vol. 3A 7.3) saved the interrupted task in the main
 * TSS, linked it in tss_aux.link, set NT and pushed the #DF error code on
 * this task's stack. The handler records what it sees, points the saved
 * EIP/CS of the interrupted task at the armed TRY resume address and IRETs
 * back to it through the link (NT=1: task return, 7.3). The next #DF
 * re-enters after the IRET, hence the jump back.
 */
#define TSS_EIP 32
#define TSS_CS 76
#define SEL_KCODE 0x08
#define TRAP_CATCH_RESUME 0
#define TRAP_CATCH_VECTOR 12
#define TRAP_CATCH_ERROR 16

	.text
	.globl df_task_entry
df_task_entry:
	popl trap_catch + TRAP_CATCH_ERROR
	movl $8, trap_catch + TRAP_CATCH_VECTOR
	pushfl
	popl df_seen_eflags
	str df_seen_tr
	movl gdt + 0x28 + 4, %eax
	movl %eax, df_seen_main_tss_desc
	movl trap_catch + TRAP_CATCH_RESUME, %eax
	movl %eax, tss_main + TSS_EIP
	movl $SEL_KCODE, tss_main + TSS_CS
	movl $0, trap_catch + TRAP_CATCH_RESUME
	iret
	jmp df_task_entry

	.bss
	.balign 4
	.globl df_seen_eflags, df_seen_tr, df_seen_main_tss_desc
df_seen_eflags:
	.long 0
df_seen_tr:
	.long 0
df_seen_main_tss_desc:
	.long 0
