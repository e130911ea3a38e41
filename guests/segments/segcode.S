/*
 * segcode.S - code that runs in the segments guest's unusual code segments.
 *
 * SEL_BASED (0x60) has base 0x1000: code there sees EIP = linear - 0x1000.
 * SEL_LIMITED (0x68) starts at lim_code with a 0x1f-byte limit.
 * SEL_CODE16 (0x70) is a 16-bit segment (D=0) starting at code16_start.
 * SEL_GATE_CALL (0xb8) is a 32-bit call gate to gate_target.
 */
#define SEL_KCODE 0x08
#define SEL_BASED 0x60
#define BASED_BASE 0x1000
#define SEL_CODE16 0x70
#define SEL_GATE_CALL 0xb8

	.text
	.globl seg_jmp_based, based_here
/* uint32_t seg_jmp_based(void): returns the offset `call` pushed in the based segment */
seg_jmp_based:
	ljmp $SEL_BASED, $(based_entry - BASED_BASE)
based_entry:
	call based_here
based_here:
	popl %eax
	ljmp $SEL_KCODE, $based_back
based_back:
	ret

	.globl seg_call_based, based_func_here
/* uint64_t seg_call_based(void): EAX = pushed offset, EDX = CS inside the callee */
seg_call_based:
	lcall $SEL_BASED, $(based_func - BASED_BASE)
	ret
based_func:
	call based_func_here
based_func_here:
	popl %eax
	movl %cs, %edx
	lret

	.globl seg_call_gate
/* uint64_t seg_call_gate(void): far call through the call gate (offset ignored) */
seg_call_gate:
	lcall $SEL_GATE_CALL, $0x12345678
	ret

	.globl gate_target
gate_target:
	movl $0x600d, %eax
	movl %cs, %edx
	lret

	.globl lim_code
/* Offset 0 of SEL_LIMITED: return CS in EAX. */
lim_code:
	movl %cs, %eax
	lret

	.globl seg_call16, code16_start, code16_here
/*
 * uint64_t seg_call16(void): a 32-bit far call into the 16-bit segment.
 * There, B8 34 12 is MOV AX,1234h (only AX changes) and CALL pushes a
 * 16-bit IP; LRETL (66 CB) pops the 32-bit EIP and CS pushed by the caller.
 * Returns EAX (expected 0xaaaa1234) and EDX (0xbbbb0000 | offset of
 * code16_here in the segment).
 */
seg_call16:
	movl $0xaaaa0000, %eax
	movl $0xbbbb0000, %edx
	lcall $SEL_CODE16, $0
	ret
	.code16
code16_start:
	movw $0x1234, %ax
	call code16_here
code16_here:
	popw %dx
	lretl
	.code32
