/*
 * trap.h - exception and interrupt handling for the test guests.
 *
 * Every IDT vector starts as an interrupt gate to a library stub that
 * builds a struct trap_frame and calls trap_dispatch():
 *   1. a handler installed with trap_set_handler() for that vector runs;
 *   2. otherwise, if a TRY block is armed, the exception is recorded in
 *      trap_catch and execution resumes after the TRY body;
 *   3. otherwise the guest prints vector, error code and EIP and exits
 *      with EXIT_UNEXPECTED_TRAP (3).
 *
 * TRY("ud2") runs an asm body; afterwards trap_catch.vector is TRAP_NONE
 * if nothing happened, else the vector, error code, saved CS:EIP, CR2 and
 * EFLAGS of the exception. trap_catch.start/.end are the addresses of the
 * body's first instruction and of the instruction after it: a fault saves
 * EIP = the faulting instruction, a trap the next one (SDM vol. 3A 6.5).
 * Keep the body to the instruction under test; pass values in through
 * operands: TRY_ASM("divl %1", "+a"(lo), "r"(zero), "edx"); several operands
 * in one slot are joined with COMMA. Being extended asm, a body writes
 * registers as %%eax.
 * A TRY body may run in ring 3 (trap_catch must then be user-writable).
 *
 * user_call(fn, arg, eflags) runs fn(arg) in ring 3 (CS 0x1b, SS 0x23,
 * on the user stack) with the given EFLAGS and returns fn's result once
 * fn returns (the trampoline then executes INT USER_EXIT_VECTOR).
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#define TRAP_NONE 0xffffffffu

/* Exception vectors (SDM vol. 3A 6.3.1, table 6-1) */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_BR 5
#define VEC_UD 6
#define VEC_NM 7
#define VEC_DF 8
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14

/* Layout pushed by the CPU and the stub (trap.S); lowest address first. */
struct trap_frame {
	uint32_t es, ds;
	uint32_t edi, esi, ebp, esp_kernel, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
	uint32_t esp, ss;       /* only when the trap came from ring 3 */
};

struct trap_catch {
	uint32_t resume;        /* armed: EIP to continue at, 0 = not armed */
	uint32_t start;
	uint32_t end;
	uint32_t vector;
	uint32_t error;
	uint32_t eip;
	uint32_t cs;
	uint32_t cr2;
	uint32_t eflags;
	uint32_t esp;           /* ESP at the exception (ring 3: the user ESP) */
};

extern volatile struct trap_catch trap_catch;

typedef void trap_handler_fn(struct trap_frame *frame);

/* trap_catch is addressed through SS: a TRY body may load DS/ES with anything. */
#define TRY_PROLOGUE \
	"movl $-1, %%ss:trap_catch+12\n\t" \
	"movl $9001f, %%ss:trap_catch+4\n\t" \
	"movl $9002f, %%ss:trap_catch+8\n\t" \
	"movl $9002f, %%ss:trap_catch\n" \
	"9001:\n\t"
#define TRY_EPILOGUE \
	"\n9002:\n\t" \
	"movl $0, %%ss:trap_catch\n\t"

/*
 * TRY_ASM_AFTER: `after` runs whether or not the body faulted (restore
 * segment registers or ESP there, before compiled code runs again).
 */
#define TRY_ASM_AFTER(body, after, outputs, inputs, ...) \
	asm volatile(TRY_PROLOGUE body TRY_EPILOGUE after \
		     : outputs : inputs : "memory", "cc", ##__VA_ARGS__)
#define TRY_ASM(body, outputs, inputs, ...) \
	asm volatile(TRY_PROLOGUE body TRY_EPILOGUE \
		     : outputs : inputs : "memory", "cc", ##__VA_ARGS__)
#define TRY(body) \
	asm volatile(TRY_PROLOGUE body TRY_EPILOGUE : : : "memory", "cc")
/* Separates operands inside one macro argument: "r"(a) COMMA "r"(b). */
#define COMMA ,

/* True if the last TRY caught exactly this vector and error code. */
static inline bool caught(unsigned vector, uint32_t error)
{
	return trap_catch.vector == vector && trap_catch.error == error;
}

/* True if the last TRY caught a fault at the first instruction of its body. */
static inline bool caught_at_start(void)
{
	return trap_catch.eip == trap_catch.start;
}

/* True if the last TRY caught a trap reporting the instruction after the body. */
static inline bool caught_at_end(void)
{
	return trap_catch.eip == trap_catch.end;
}

/* report(), plus a "# caught ..." line describing trap_catch when ok is false. */
bool report_trap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void trap_set_handler(unsigned vector, trap_handler_fn *fn);
/* Linear address of the library stub of a vector. */
uint32_t trap_stub(unsigned vector);
void trap_dispatch(struct trap_frame *frame);
__attribute__((noreturn)) void trap_unexpected(const struct trap_frame *frame);

uint32_t user_call(uint32_t (*fn)(void *), void *arg, uint32_t eflags);
/* From a handler of a ring-3 trap: abandon ring 3, user_call returns value. */
__attribute__((noreturn)) void user_return(uint32_t value);

#endif
