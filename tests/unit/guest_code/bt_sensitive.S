/*
 * bt_sensitive.S - the guest code of tests/unit/test_bt_sensitive.c: one
 * snippet per group of sensitive/privileged instructions (each ends with
 * HLT) and the exception/interrupt handlers, linked at 0x10000 (flat
 * 32-bit ring 0, paging off). tests/unit/guest_code/gen.sh assembles it
 * into bt_sensitive_code.h (bytes + label addresses); both are committed.
 */
	.intel_syntax noprefix
	.code32
	.set RES, 0x5000          /* result area */
	.globl _start
_start:
fail:	mov dword ptr [RES + 0xffc], 0xdead
	hlt
h_db:	mov dword ptr [RES + 0x100], 0x1111
	and dword ptr [esp + 8], ~0x100
	iretd
h_irq:	mov [RES + 0x104], eax
	inc dword ptr [RES + 0x108]
	iretd
h_int80: mov dword ptr [RES + 0x10c], 0x80
	add eax, 1
	iretd
h_int81: mov [RES + 0x110], eax
	mov eax, [esp + 4]
	mov [RES + 0x114], eax
	hlt

t_sdt:	sgdt [RES]
	sidt [RES + 8]
	sldt eax
	str ebx
	smsw ecx
	smsw [RES + 16]
	sldt [RES + 20]
	str [RES + 24]
	hlt

t_pushf: stc
	std
	pushfd
	pop eax
	cld
	pushf
	pop bx
	hlt

t_popf:	push 0x247ad7 & ~0x300       /* NT IOPL=3 AC ID + arithmetic, IF 0, TF 0 */
	popfd
	pushfd
	pop eax
	push 0x202
	popfd
	pushfd
	pop ebx
	mov cx, 0x0ad7
	push cx
	popf
	pushfd
	pop edx
	push 0x2
	popfd
	pushfd
	pop esi
	hlt

t_popf_tf: push 0x302
	popfd
	nop
	nop
	mov eax, 5
	hlt

t_popf_intr: mov eax, 7
	push 0x202
	popfd
	mov eax, 9
	hlt

t_sti:	mov eax, 1
	sti
	mov eax, 2
	mov eax, 3
	hlt

t_sti_twice: mov eax, 1
	sti
	mov eax, 2
	sti
	mov eax, 3
	hlt

t_cli:	cli
	pushfd
	pop eax
	hlt

t_seg:	mov eax, cs
	mov ebx, ds
	mov ecx, ss
	mov dx, 0x10
	mov ds, dx
	mov es, dx
	push ds
	pop es
	push fs
	pop fs
	push gs
	pop gs
	push ss
	pop ss
	push cs
	pop esi
	mov di, fs
	/* MOV Sreg, r as a callout (bt/segload.c): loads it does itself, and the
	   ones it leaves to the interpreter: a descriptor not yet accessed, a
	   non-flat GS (the TC's mode would change) and back */
	xor edx, edx
	mov fs, dx
	mov dx, 0x10
	mov fs, edx
	mov dx, 0x48
	mov ds, dx
	mov dx, 0x40
	mov gs, dx
	mov dx, 0x10
	mov gs, dx
	mov ds, dx
	mov ebp, ds
	hlt

t_far:	.byte 0x9a
	.long far_fn
	.word 0x08
	.byte 0xea
	.long 1f
	.word 0x08
1:	push cs
	push offset 2f
	retf
2:	pushfd
	push cs
	push offset 3f
	iretd
3:	hlt
far_fn:	mov eax, 0x55
	retf

t_int:	mov eax, 1
	int 0x80
	hlt

t_lar:	mov ebx, 0x10
	lar eax, ebx
	lsl ecx, ebx
	mov edx, 0x40
	lsl edx, edx
	verr bx
	setz [RES]
	verw bx
	setz [RES + 1]
	mov bx, 0x08
	verw bx
	setz [RES + 2]
	verr bx
	setz [RES + 3]
	mov esi, 0x98
	lar edi, esi
	setz [RES + 4]
	hlt

t_desc:	sgdt [RES + 0x40]
	lgdt [RES + 0x40]
	sidt [RES + 0x48]
	lidt [RES + 0x48]
	mov ax, 0x30
	lldt ax
	mov ax, 0x38
	ltr ax
	sldt [RES + 16]
	str [RES + 20]
	hlt

t_cr:	mov eax, cr0
	mov cr0, eax
	mov ebx, cr3
	mov cr3, ebx
	mov ecx, cr4
	or ecx, 0x10
	mov cr4, ecx
	mov edx, cr2
	mov eax, 0x12345678
	mov dr0, eax
	mov esi, dr0
	mov eax, 0x400
	mov dr7, eax
	mov edi, dr7
	mov ebp, dr6
	invlpg [RES]
	wbinvd
	clts
	smsw ax
	lmsw ax
	hlt

t_msr:	mov ecx, 0x174
	xor edx, edx
	mov eax, 0x08
	wrmsr
	mov ecx, 0x176
	mov eax, offset sysenter_target
	wrmsr
	mov ecx, 0x175
	mov eax, 0x7f000
	wrmsr
	mov ecx, 0x174
	rdmsr
	mov [RES], eax
	xor eax, eax
	cpuid
	mov [RES + 4], ebx
	mov [RES + 8], edx
	mov [RES + 12], ecx
	mov eax, 1
	cpuid
	mov [RES + 16], eax
	rdtsc
	mov [RES + 20], eax
	mov [RES + 24], edx
	rdtsc
	mov [RES + 28], eax
	mov ecx, 0x60000
	mov edx, offset user_code
	sysenter
sysenter_target:
	mov esi, 0x77
	sysexit
user_code:
	mov eax, esi
	int 0x81

t_io:	mov ecx, 100
	mov edx, 0x300
1:	out 0xe0, al
	in al, 0xe1
	out dx, ax
	in eax, dx
	inc eax
	loop 1b
	mov dx, 0x302
	in ax, dx
	out 0xe4, eax
	in ax, 0xe2
	out dx, al
	in al, dx
	hlt

t_ins:	mov edi, RES
	mov dx, 0x300
	mov ecx, 4
	rep insb
	mov esi, RES
	mov ecx, 2
	rep outsw
	hlt

t_out_intr: mov eax, 1
	out 0xe7, al
	mov eax, 2
	hlt

t_hlt:	mov eax, 0x42
	hlt
