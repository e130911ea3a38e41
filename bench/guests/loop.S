/*
 * loop.S - a Multiboot guest that runs a fixed number of simple integer
 * instructions (5 per iteration: add, xor, store, dec, jnz) and exits
 * through port 0xF4; bench/engine_mips.sh times it to get instructions
 * per second. ITERATIONS (a -D of the build, default 50,000,000 = 250 M
 * instructions: loop.elf) sets the count; bench/CMakeLists.txt also
 * builds loop-long.elf (1,000,000,000 iterations, 5 G instructions) for
 * the engines that finish loop.elf in a blink, and loop-empty.elf (one
 * iteration) to measure start-up and exit.
 */
#ifndef ITERATIONS
#define ITERATIONS 50000000
#endif
	.text
	.align 4
	.long 0x1badb002, 0x00000000, -(0x1badb002)
	.globl _start
_start:
	mov $0x90000, %esp
	mov $ITERATIONS, %ecx
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
