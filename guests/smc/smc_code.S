/*
 * smc_code.S - code that the smc guest rewrites while it runs.
 *
 * Every function returns the 32-bit immediate of a MOV EAX (B8 imm32), so
 * the result shows which version of the bytes the CPU executed.
 */
	.text

/* Patched by C between calls (write, then CALL: SDM vol. 3A 8.1.3). */
	.globl smc_imm_fn, smc_imm_fn_imm
smc_imm_fn:
	.byte 0xb8
smc_imm_fn_imm:
	.long 0x11111111
	ret

/*
 * uint32_t smc_next_insn(uint32_t v): stores v into the immediate of the
 * very next instruction and runs it without a jump. P6-family and later
 * processors detect a write to a prefetched instruction by its linear
 * address and refetch it (SDM vol. 3A 11.6), so the new bytes execute.
 */
	.globl smc_next_insn
smc_next_insn:
	movl 4(%esp), %eax
	movl %eax, smc_next_imm
	.byte 0xb8
smc_next_imm:
	.long 0
	ret

/* The same with a JMP between the store and the modified instruction (8.1.3). */
	.globl smc_next_jmp
smc_next_jmp:
	movl 4(%esp), %eax
	movl %eax, smc_jmp_imm
	jmp 1f
1:	.byte 0xb8
smc_jmp_imm:
	.long 0
	ret

/* uint32_t smc_counter_fn(void): returns its immediate, then increments it. */
	.globl smc_counter_fn
smc_counter_fn:
	.byte 0xb8
smc_counter_imm:
	.long 0
	incl smc_counter_imm
	ret

/*
 * An instruction straddling a page boundary: B8 and two immediate bytes
 * end one page, the other two bytes and the RET start the next.
 */
	.balign 4096
	.skip 4096 - 3
	.globl smc_cross_fn, smc_cross_imm
smc_cross_fn:
	.byte 0xb8
smc_cross_imm:
	.long 0x55555555
	ret
