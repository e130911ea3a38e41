/*
 * gatecode.S - callers and targets of the call gates of callgates.c
 * (SDM vol. 3A 5.8.3-5.8.6), written in assembly so that every stack
 * pointer and every pushed value is exact.
 *
 * 32-bit part: ring-0 targets (same privilege, from ring 3 with two
 * parameters), a ring-1 target, a conforming target, a JMP target, and the
 * ring-3 callers (user_call() runs them: [esp] is the return address).
 * 16-bit part (c16_start...): one block used by two 16-bit code segments
 * whose base is c16_start, DPL 0 and DPL 3; it records into the segment
 * FS points at (struct rec16 in callgates.c).
 */
#define SEL_KDATA 0x10
#define SEL_CODE16_R0 0x50
#define SEL_CODE16_R3 0x58
#define SEL_STACK16_R3 0x60
#define SEL_GATE16_R0 0x68
#define SEL_GATE16_R3 0x70
#define SEL_GATE32_R0 0x40
#define SEL_GATE32_R3_R0 0x48
#define SEL_GATE_R3_R1 0x88
#define SEL_GATE_CONF 0x98
#define SEL_GATE_JMP 0x3c
#define SEL_REC16 0xc8

	.text
/* Same privilege through GATE32_R0: records ESP, the pushed EIP and CS, CS. */
	.globl gate_same
gate_same:
	movl %esp, same_seen
	movl (%esp), %eax
	movl %eax, same_seen + 4
	movl 4(%esp), %eax
	movl %eax, same_seen + 8
	movw %cs, same_seen + 12
	lret

/* uint32_t call_gate_same(void): far CALL through GATE32_R0 from ring 0. */
	.globl call_gate_same, call_gate_same_ret
call_gate_same:
	movl %esp, same_caller_esp
	lcall $SEL_GATE32_R0, $0x12345678
call_gate_same_ret:
	movl %esp, %eax
	ret

/* JMP through SEL_GATE_JMP (an LDT call gate): no push, comes back by JMP. */
	.globl jmp_gate, gate_jmp_target
jmp_gate:
	movl %esp, jmp_caller_esp
	movl $1f, jmp_back
	ljmp $SEL_GATE_JMP, $0
1:	ret
gate_jmp_target:
	movl %esp, jmp_seen
	movw %cs, jmp_seen + 4
	jmp *jmp_back

/*
 * Ring 0 target of GATE32_R3_R0 (2 parameters): records ESP, SS, CS and
 * the six dwords of the frame, loads ES with a DPL-0 segment (the return
 * to ring 3 must null it), returns releasing the parameters.
 */
	.globl gate_inner
gate_inner:
	movl %esp, inner_seen
	movw %ss, inner_seen + 4
	movw %cs, inner_seen + 6
	movl $0, %ecx
1:	movl (%esp,%ecx,4), %eax
	movl %eax, inner_seen + 8(,%ecx,4)
	incl %ecx
	cmpl $6, %ecx
	jne 1b
	movl $SEL_KDATA, %eax
	movl %eax, %es
	lret $8

/* Ring 1 target of GATE_R3_R1 (2 parameters): ESP, SS, CS, the frame. */
	.globl gate_ring1
gate_ring1:
	movl %esp, ring1_seen
	movw %ss, ring1_seen + 4
	movw %cs, ring1_seen + 6
	movl $0, %ecx
1:	movl (%esp,%ecx,4), %eax
	movl %eax, ring1_seen + 8(,%ecx,4)
	incl %ecx
	cmpl $6, %ecx
	jne 1b
	lret $8

/* Conforming DPL-0 target: runs at the caller's CPL 3. */
	.globl gate_conf
gate_conf:
	movl %esp, conf_seen
	movw %cs, conf_seen + 4
	lret

/* Ring 3 (user_call): two parameters, CALL through GATE32_R3_R0, back. */
	.globl user_gate_inner, user_gate_inner_ret
user_gate_inner:
	pushl $0x2222bbbb
	pushl $0x1111aaaa
	movl %esp, inner_caller_esp
	lcall $(SEL_GATE32_R3_R0 | 3), $0
user_gate_inner_ret:
	movl %esp, inner_after_esp
	movw %es, inner_after_es
	movl $0x600d, %eax
	ret

/* Ring 3: the same to ring 1. */
	.globl user_gate_ring1, user_gate_ring1_ret
user_gate_ring1:
	pushl $0x4444dddd
	pushl $0x3333cccc
	movl %esp, ring1_caller_esp
	lcall $(SEL_GATE_R3_R1 | 3), $0
user_gate_ring1_ret:
	movl %esp, ring1_after_esp
	movl $0x600d, %eax
	ret

/* Ring 3: CALL through the DPL-3 gate to a conforming DPL-0 segment. */
	.globl user_gate_conf, user_gate_conf_ret
user_gate_conf:
	movl %esp, conf_caller_esp
	lcall $(SEL_GATE_CONF | 3), $0
user_gate_conf_ret:
	movw %cs, conf_after_cs
	movl $0x600d, %eax
	ret

/* Ring 0: into the 16-bit block (32-bit far call), FS = the record segment. */
	.globl call16_same
call16_same:
	movl $SEL_REC16, %eax
	movl %eax, %fs
	lcall $SEL_CODE16_R0, $(c16_caller - c16_start)
	movl $SEL_KDATA, %eax
	movl %eax, %fs
	ret

/* Ring 3 (user_call): into the ring-3 16-bit block. */
	.globl user_call16
user_call16:
	movl $(SEL_REC16 | 3), %eax
	movl %eax, %fs
	lcall $(SEL_CODE16_R3 | 3), $(u16_caller - c16_start)
	movl $0x600d, %eax
	ret

	.code16
	.globl c16_start, c16_caller_ret, u16_after_call, g16_same, g16_inner
c16_start:
/* Ring 0, 16-bit: CALL through the 16-bit gate GATE16_R0 (same privilege). */
c16_caller:
	movl %esp, %fs:0
	lcall $SEL_GATE16_R0, $0x7777
c16_caller_ret:
	movl %esp, %fs:4
	lretl
/* Target of GATE16_R0. */
g16_same:
	movl %esp, %fs:8
	movw %cs, %fs:12
	movw (%esp), %ax
	movw %ax, %fs:14
	movw 2(%esp), %ax
	movw %ax, %fs:16
	lret

/* Ring 3, 16-bit, on a 16-bit stack: CALL through GATE16_R3 with one parameter. */
u16_caller:
	movw %ss, %fs:20
	movl %esp, %fs:24
	movw $(SEL_STACK16_R3 | 3), %ax
	movw %ax, %ss
	movl $0x800, %esp
	pushw $0x5a5a
	lcall $(SEL_GATE16_R3 | 3), $0
u16_after_call:
	movl %esp, %fs:28
	movw %fs:20, %ss
	movl %fs:24, %esp
	lretl
/* Ring 0 target of GATE16_R3: ESP, SS, CS and the five words of the frame. */
g16_inner:
	movl %esp, %fs:32
	movw %ss, %fs:36
	movw %cs, %fs:38
	movw (%esp), %ax
	movw %ax, %fs:40
	movw 2(%esp), %ax
	movw %ax, %fs:42
	movw 4(%esp), %ax
	movw %ax, %fs:44
	movw 6(%esp), %ax
	movw %ax, %fs:46
	movw 8(%esp), %ax
	movw %ax, %fs:48
	lret $2
	.code32

	.bss
	.balign 4
	.globl same_seen, same_caller_esp, jmp_seen, jmp_caller_esp, jmp_back, inner_seen
	.globl inner_caller_esp, inner_after_esp, inner_after_es, ring1_seen, ring1_caller_esp
	.globl ring1_after_esp, conf_seen, conf_caller_esp, conf_after_cs
same_seen:
	.space 16
same_caller_esp:
	.long 0
jmp_seen:
	.space 8
jmp_caller_esp:
	.long 0
jmp_back:
	.long 0
inner_seen:
	.space 32
inner_caller_esp:
	.long 0
inner_after_esp:
	.long 0
inner_after_es:
	.long 0
ring1_seen:
	.space 32
ring1_caller_esp:
	.long 0
ring1_after_esp:
	.long 0
conf_seen:
	.space 8
conf_caller_esp:
	.long 0
conf_after_cs:
	.long 0
