/*
 * sysenter.S - the ring-0 side of the SYSENTER/SYSEXIT round trip.
 *
 * SYSENTER (SDM vol. 2B) enters here with CS = IA32_SYSENTER_CS (0x08),
 * SS = CS + 8, ESP = IA32_SYSENTER_ESP, IF/VM/RF cleared; DS is still the
 * user's flat 0x23. We record what we find, re-enable interrupts (the STI
 * shadow covers SYSEXIT) and return: SYSEXIT loads CS = SYSENTER_CS + 16
 * | 3, SS = SYSENTER_CS + 24 | 3, EIP = EDX, ESP = ECX.
 */
	.text
	.globl sysenter_entry
sysenter_entry:
	movw %cs, se_seen + 0
	movw %ss, se_seen + 4
	movl %esp, se_seen + 8
	pushfl
	popl se_seen + 12
	incl se_seen + 16
	sti
	sysexit

	.bss
	.balign 4
	.globl se_seen
/* struct { cs, ss, esp, eflags, count } */
se_seen:
	.fill 5, 4, 0
