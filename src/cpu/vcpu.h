/*
 * vcpu.h - the execution context around struct cpu_state.
 *
 * struct vcpu is what the interpreter (and, later, the translator's
 * helpers) execute against: the architectural state, the bus to the
 * machine (memory, ports, interrupts, TSC), a soft TLB, the decoded-
 * instruction cache and the fault-unwinding context.
 *
 * Faults: an instruction that must raise an exception calls vcpu_fault();
 * it does not return: it long-jumps back to the execution loop, which
 * rolls EIP and ESP back to the start of the instruction and delivers the
 * exception (cpu/exceptions.c). Handlers therefore change registers only
 * after every access that can fault (like the processor, SDM vol. 3A
 * 6.5: faults are restartable).
 *
 * cpu/ knows nothing of the machine: struct cpu_bus carries function
 * pointers that the engine glue (vmm/engine_interp.c) fills in.
 */
#ifndef SOFTVT_CPU_VCPU_H
#define SOFTVT_CPU_VCPU_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu_model.h"
#include "cpu/cpu_state.h"
#include "cpu/vtx_model.h"
#include "devices/portmap.h"
#include "mmu/physmap.h"

struct cpu_bus {
	struct physmap *phys;
	struct portmap *ports;
	const struct cpu_model *model;
	/* the guest's XSAVE state components >= 2 (AVX...), an XSAVE area in the
	   standard format (model->xsave_size bytes, 64-byte aligned, header valid;
	   bytes 0-511 unused: x87/SSE are cpu_state.fpu); NULL without XSAVE */
	uint8_t *xstate;
	volatile sig_atomic_t *requests;  /* non-zero: the engine should look (REQ_* of the machine) */
	int stop_mask;                    /* request bits that make the engine return */
	int intr_bit;                     /* request bit meaning "INTR may have risen" */
	const volatile sig_atomic_t *intr_line;   /* the PIC's INTR output level (read each instruction) */
	bool (*intr_pending)(void *opaque);
	uint8_t (*intr_ack)(void *opaque);
	uint64_t (*tsc)(void *opaque);    /* guest TSC without cpu->tsc_offset */
	void *opaque;
	/* Optional hooks for an engine that caches translations of its own (bt),
	 * NULL when unused. The interpreter calls them after it has updated its
	 * own caches. */
	void (*on_tlb_flush)(void *opaque, int kind, uint32_t linear);  /* enum cpu_flush */
	void (*on_code_page)(void *opaque, uint32_t paddr_page);  /* decoded code cached from it */
	void (*on_code_write)(void *opaque, uint32_t paddr_page); /* a write hit a code page */
	/* every guest memory write of an instruction, with the value it replaces
	 * (engine bt's lockstep check undoes them); set: the TLB never caches
	 * write permission, so every write takes the slow path */
	void (*on_write)(void *opaque, uint32_t paddr, unsigned size, uint32_t old);
	void *hook_opaque;
};

/* What a TLB flush drops (on_tlb_flush). */
enum cpu_flush {
	CPU_FLUSH_ALL,        /* CR0/CR4 paging changes, physmap changes */
	CPU_FLUSH_NONGLOBAL,  /* MOV CR3, task switch (global pages kept: CR4.PGE) */
	CPU_FLUSH_PAGE,       /* INVLPG linear */
};

/* Exception vectors (SDM vol. 3A table 6-1). */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6,
	EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13,
	EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)

/*
 * One soft-TLB entry for a linear page. tag_read/tag_write hold the
 * linear page address when reads/writes may use `addend + linear`
 * directly, or TLB_INVALID. Two sets: supervisor (CPL 0-2) and user
 * (CPL 3). 16 bytes, so the hot lookup is a shift and an add; what only
 * the slow paths need is in struct tlb_extra, in a parallel array.
 */
struct tlb_entry {
	uint32_t tag_read, tag_write;
	uintptr_t addend;     /* host address of the page minus its linear address */
};
struct tlb_extra {
	uint32_t paddr;       /* physical page */
	bool global;
};
#define TLB_INVALID 0x1u   /* never a page address */

struct decode_cache;
struct block_cache;
struct block;
struct insn;

/* Lazy flags: the operation that last set the arithmetic flags. */
struct lazy_flags {
	uint32_t op;          /* LF_* in cpu/flags.h; LF_NONE = eflags holds them */
	uint32_t size;        /* operand size in bytes */
	uint32_t res, dst, src;
	uint32_t cf_in;       /* CF before INC/DEC, carry-in of ADC/SBB */
};

struct vcpu {
	struct cpu_state *s;
	struct cpu_bus bus;
	struct lazy_flags lf;

	struct tlb_entry tlb[2][TLB_SIZE];   /* [user] */
	struct tlb_extra tlb_x[2][TLB_SIZE]; /* the same entries' physical pages */
	uint64_t tlb_phys_gen;               /* physmap generation of the TLB contents */

	struct decode_cache *dcache;
	struct block_cache *bcache;
	const uint32_t *page_gens;           /* decode_page_gens(dcache) */
	const uint64_t *code_epoch;          /* decode_epoch(dcache): block links */

	/* instruction fetch: the linear code page last translated, and the
	 * block that ran last with how it was left (its link slot) */
	uint32_t fetch_lin_page, fetch_phys_page;
	bool fetch_user, fetch_valid;
	struct block *prev_block;
	unsigned prev_exit;
	/* what block links depend on of the environment, as of the last
	 * env_refresh (cpu/interp.c): CS base and limit, code size, privilege */
	uint32_t link_cs_base, link_cs_limit;
	uint8_t link_code32, link_user;

	/* memory fast path, set before each block (mem_fast_setup): for each
	 * segment the TLB set its offsets may be looked up in directly
	 * (tlb[user] when it is flat: base 0, 4 GiB, present writable
	 * expand-up data, and for SS also B=1; else a set that never hits),
	 * a flat 32-bit stack, and the privilege of accesses; with the code
	 * size, valid while env_valid (cpu/interp.c) */
	const struct tlb_entry *seg_tlb[S_NSEG];
	bool flat_stack;
	bool user;
	bool env_code32;
	bool env_valid;

	/* the block being executed: its last instruction (or the one that
	 * wrote to decoded code: mem.c), the EIP mask of its code size, the
	 * EIP of its first instruction */
	const struct insn *blk_last;
	uint32_t blk_mask;
	uint32_t blk_eip;
	struct block *cur_block;             /* the block being executed */
	unsigned follow_left;                /* blocks branch_to (ops_fast.c) may still enter */

	/* the instruction being executed, its EIP and the EIP after it. Not
	 * stored by every instruction: a specialized handler stores them
	 * (insn_sync, ops_common.h) only before something that may fault or
	 * read them, and before it returns to the block loop; generic
	 * handlers always have them. insn_eip and insn_esp are kept apart:
	 * stored side by side, gcc merges their loads into 8-byte ones that
	 * cannot be forwarded from the 4-byte stores of EIP and ESP just
	 * before (a stall). */
	uint32_t insn_eip;
	const struct insn *insn;
	uint32_t next_eip;
	uint32_t pad0[3];
	uint32_t insn_esp;

	/* insn_esp holds the ESP a fault rolls back to: set around generic
	 * handlers (dispatch.c), event delivery and execute(). Otherwise
	 * (specialized handlers, which change ESP only after their last
	 * access that can fault) a fault leaves ESP as it is. */
	bool esp_saved;

	/* fault unwinding */
	jmp_buf fault_jmp;
	int fault_vector;
	uint32_t fault_error;
	bool fault_has_error;
	int delivering;          /* vector being delivered, -1 if none (#DF logic) */
	bool delivered;          /* the current instruction delivered an event (INT n...) */

	/* CPL-3 I/O and debug counters */
	uint64_t icount;
	char error[256];         /* why the engine stopped with an error */
	bool unsupported;        /* set with error: not an architectural fault */
	bool shutdown;           /* triple fault */

	/* the VM exits a VT-x monitor would take (a model, cpu/vtx_model.h) */
	struct vtx_model vtx;
};

/* Raises an exception; does not return. */
_Noreturn void vcpu_fault(struct vcpu *v, int vector, uint32_t error_code);
_Noreturn void vcpu_fault_noerr(struct vcpu *v, int vector);
/* Stops the engine: an instruction or mode softvt does not support (not a guest fault). */
_Noreturn void vcpu_unsupported(struct vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline uint64_t vcpu_tsc(struct vcpu *v)
{
	return v->bus.tsc(v->bus.opaque) + v->s->tsc_offset;
}

#endif
