/*
 * multiboot.S - the Multiboot v1 header and the guest entry point.
 *
 * Header (Multiboot 0.6.96, 3.1.1): magic 0x1BADB002, flags bit 0 (page-
 * align modules) and bit 1 (provide mem_* and mmap_*); no address fields
 * (bit 16 clear), so the loader follows the ELF program headers. The header
 * is the first thing in .text, i.e. in the first 8 KiB of the file.
 *
 * Machine state on entry (Multiboot 3.2): EAX = 0x2BADB002, EBX = physical
 * address of the info structure, flat 32-bit CS/DS/ES/SS, PE=1, PG=0,
 * IF=0; ESP and GDTR are undefined. _start records EAX, EBX, EFLAGS and CR0
 * as found, switches to the kernel stack and calls lib_start().
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	movl %eax, boot_magic
	movl %ebx, boot_info
	pushfl
	popl boot_eflags
	movl %cr0, %ecx
	movl %ecx, boot_cr0
	movl $stack_kernel_top, %esp
	xorl %ebp, %ebp
	pushl boot_info
	pushl boot_magic
	call lib_start
1:	cli
	hlt
	jmp 1b

	.data
	.balign 4
	.globl boot_magic, boot_info, boot_eflags, boot_cr0
boot_magic:
	.long 0
boot_info:
	.long 0
boot_eflags:
	.long 0
boot_cr0:
	.long 0
