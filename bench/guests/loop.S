/*
 * loop.S - a Multiboot guest that runs a fixed number of simple integer
 * instructions (5 per iteration: add, xor, store, dec, jnz) and exits
 * through port 0xF4; bench/interp_mips.sh times it to get instructions
 * per second. ECX = iterations (patched into the image by the script's
 * default of 50,000,000 below).
 */
	.text
	.align 4
	.long 0x1badb002, 0x00000000, -(0x1badb002)
	.globl _start
_start:
	mov $0x90000, %esp
	mov $50000000, %ecx
	xor %eax, %eax
1:	add %ecx, %eax
	xor $0x55, %eax
	mov %eax, (0x80000)
	dec %ecx
	jnz 1b
	mov $0, %al
	out %al, $0xf4
	cli
	hlt
