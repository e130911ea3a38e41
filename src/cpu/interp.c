/*
 * interp.c - the interpreter's execution loop (see interp.h).
 *
 * One turn: take a pending external interrupt if the guest can (IF=1, no
 * STI/MOV SS shadow), fetch the decoded instruction for CS:EIP (decode
 * cache, else fetch + Zydis), run its handler, commit EIP. A fault raised
 * anywhere in the turn long-jumps back here: EIP and ESP return to the
 * start of the instruction and the exception is delivered through the
 * guest's IDT/IVT (cpu/exceptions.c), which may itself fault into #DF or
 * a shutdown.
 */
#include "cpu/interp.h"

#include <Zydis/Zydis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exceptions.h"
#include "cpu/flags.h"
#include "cpu/mem.h"

_Static_assert(ZYDIS_MNEMONIC_MAX_VALUE < INTERP_MNEMONICS, "handler table too small");

static struct handler_table handlers;
static bool handlers_ready;

static void register_all(void)
{
	if (handlers_ready)
		return;
	ops_alu_register(&handlers);
	ops_data_register(&handlers);
	ops_stack_register(&handlers);
	ops_control_register(&handlers);
	ops_string_register(&handlers);
	ops_system_register(&handlers);
	ops_bits_register(&handlers);
	ops_fpu_register(&handlers);
	handlers_ready = true;
}

_Noreturn void vcpu_fault(struct vcpu *v, int vector, uint32_t error_code)
{
	v->fault_vector = vector;
	v->fault_error = error_code;
	v->fault_has_error = true;
	longjmp(v->fault_jmp, 1);
}

_Noreturn void vcpu_fault_noerr(struct vcpu *v, int vector)
{
	v->fault_vector = vector;
	v->fault_error = 0;
	v->fault_has_error = false;
	longjmp(v->fault_jmp, 1);
}

_Noreturn void vcpu_unsupported(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(v->error, sizeof(v->error), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(v->error))
		snprintf(v->error + n, sizeof(v->error) - (size_t)n, " at %04x:%08x",
			 v->s->seg[S_CS].sel, v->insn_eip);
	v->unsupported = true;
	longjmp(v->fault_jmp, 2);
}

int interp_init(struct vcpu *v, struct cpu_state *s, const struct cpu_bus *bus)
{
	register_all();
	memset(v, 0, sizeof(*v));
	v->s = s;
	v->bus = *bus;
	v->dcache = decode_cache_create();
	if (!v->dcache)
		return -1;
	v->delivering = -1;
	tlb_flush(v, false);
	return 0;
}

void interp_fini(struct vcpu *v)
{
	decode_cache_destroy(v->dcache);
	v->dcache = NULL;
}

static bool code32(const struct vcpu *v)
{
	return (v->s->seg[S_CS].attr & SEG_DB) && (v->s->cr0 & CR0_PE) && !(v->s->eflags & EFL_VM);
}

/* The decoded instruction at CS:EIP; faults on fetch (#GP for the CS limit, #PF). */
static const struct insn *fetch(struct vcpu *v, struct insn *scratch)
{
	struct cpu_state *s = v->s;
	bool c32 = code32(v);
	uint32_t eip = s->eip;
	const struct seg_cache *cs = &s->seg[S_CS];
	if (eip > cs->limit)
		vcpu_fault(v, EXC_GP, 0);
	uint32_t linear = cs->base + eip;
	uint32_t paddr = lin_code_paddr(v, linear);
	const struct insn **memo = v->memo_slot;
	v->memo_slot = NULL;
	const struct insn *hit = memo ? *memo : NULL;
	if (!hit || !decode_still_valid(v->dcache, hit, paddr, c32)) {
		hit = decode_lookup(v->dcache, paddr, c32);
		if (hit && memo)
			*memo = hit;
	}
	if (hit && (eip + hit->len - 1 <= cs->limit))
		return hit;
	uint8_t bytes[16];
	unsigned n = lin_fetch(v, linear, bytes, 15, &paddr);
	int rc = decode_insn(v->dcache, bytes, n, c32, scratch);
	bool crosses = false;
	if (rc == -2) {
		/* The instruction continues on the next page. */
		uint32_t p2;
		n += lin_fetch(v, linear + n, bytes + n, 15 - n, &p2);
		rc = decode_insn(v->dcache, bytes, n, c32, scratch);
		crosses = true;
	}
	if (rc < 0)
		vcpu_fault_noerr(v, EXC_UD);
	if (eip + scratch->len - 1 > cs->limit || eip + scratch->len - 1 < eip)
		vcpu_fault(v, EXC_GP, 0);
	if (crosses)
		return scratch;
	if (decode_mark_code(v->dcache, paddr & ~0xfffu)) {
		tlb_protect_code(v, paddr & ~0xfffu);
		if (v->bus.on_code_page)
			v->bus.on_code_page(v->bus.hook_opaque, paddr & ~0xfffu);
	}
	const struct insn *stored = decode_store(v->dcache, paddr, c32, scratch);
	if (memo)
		*memo = stored;
	return stored;
}

static void execute(struct vcpu *v)
{
	struct insn scratch;
	struct cpu_state *s = v->s;
	const struct insn *i = fetch(v, &scratch);
	v->insn = i;
	uint32_t next = s->eip + i->len;
	v->next_eip = code32(v) ? next : next & 0xffff;
	insn_handler fn = handlers.fn[i->mnemonic];
	if (!fn) {
		if (!i->p6)
			vcpu_fault_noerr(v, EXC_UD);
		vcpu_unsupported(v, "unsupported instruction %s", decode_mnemonic_name(i->mnemonic));
	}
	bool shadow = s->int_shadow;
	bool single_step = s->eflags & EFL_TF;
	v->delivered = false;
	uint32_t fallthrough = v->next_eip;
	fn(v, i);
	s->eip = v->next_eip;
	/* Remember where execution went, unless the instruction is a one-off
	 * decode (page-crossing) that is not in the cache. */
	if (i != &scratch && !v->delivered)
		v->memo_slot = (const struct insn **)&i->memo[s->eip != fallthrough];
	if (shadow)
		s->int_shadow = false;   /* the shadow covers exactly one instruction */
	v->icount++;
	/*
	 * Single-step trap (SDM vol. 3A 17.3.1.4): TF set at the start of an
	 * instruction raises #DB after it, with DR6.BS. Not after an instruction
	 * that delivered an event (INT n clears TF for its handler), nor after
	 * MOV SS/POP SS (the shadow delays it; softvt drops it: documented gap).
	 */
	if (single_step && !v->delivered && !s->int_shadow) {
		s->dr[6] |= 0x4000;
		exceptions_deliver(v, EXC_DB, EVENT_EXCEPTION, false, 0);
	}
}

static bool can_take_intr(const struct vcpu *v)
{
	return (v->s->eflags & EFL_IF) && !v->s->int_shadow && *v->bus.intr_line &&
	       v->bus.intr_pending(v->bus.opaque);
}

/* Rolls a faulting instruction back and delivers its exception; false on shutdown. */
static bool handle_fault(struct vcpu *v)
{
	v->s->eip = v->insn_eip;
	v->s->gpr[R_ESP] = v->insn_esp;
	return exceptions_deliver_fault(v) == 0;
}

/*
 * One instruction or one event, without fault handling (the caller has
 * armed v->fault_jmp). Returns false when the loop must stop.
 */
static inline bool turn(struct vcpu *v, enum interp_exit *why)
{
	struct cpu_state *s = v->s;
	v->insn_eip = s->eip;
	v->insn_esp = s->gpr[R_ESP];
	if (can_take_intr(v)) {
		s->halted = false;
		uint8_t vector = v->bus.intr_ack(v->bus.opaque);
		exceptions_deliver(v, vector, EVENT_EXTERNAL, false, 0);
		return true;
	}
	if (s->halted) {
		*why = INTERP_HALT;
		return false;
	}
	execute(v);
	if (s->halted) {
		*why = INTERP_HALT;
		return false;
	}
	return true;
}

enum interp_exit interp_step(struct vcpu *v)
{
	enum interp_exit why = INTERP_DEADLINE;
	int jumped = setjmp(v->fault_jmp);
	if (jumped == 2)
		return INTERP_ERROR;
	if (jumped == 1)
		return handle_fault(v) ? INTERP_DEADLINE : INTERP_SHUTDOWN;
	turn(v, &why);
	return why;
}

/*
 * The fault handler is armed once per run and re-armed after each fault
 * (setjmp per instruction would cost more than many instructions).
 */
enum interp_exit interp_run(struct vcpu *v, uint64_t deadline_ns, uint64_t (*now)(void *),
			    void *now_opaque)
{
	enum interp_exit why = INTERP_DEADLINE;
	int jumped = setjmp(v->fault_jmp);
	if (jumped == 2)
		return INTERP_ERROR;
	if (jumped == 1) {
		if (!handle_fault(v))
			return INTERP_SHUTDOWN;
		/* A guest can fault forever (a handler whose first fetch faults):
		 * no turn completes then, so look at requests and the deadline
		 * after every fault too. */
		if ((*v->bus.requests & v->bus.stop_mask) || now(now_opaque) >= deadline_ns)
			return INTERP_DEADLINE;
	}
	for (;;) {
		for (unsigned n = 0; n < 4096; n++) {
			if (!turn(v, &why))
				return why;
			if (*v->bus.requests & v->bus.stop_mask)
				return INTERP_DEADLINE;
		}
		if (now(now_opaque) >= deadline_ns)
			return INTERP_DEADLINE;
	}
}
