/*
 * interp.c - the interpreter's execution loop (see interp.h).
 *
 * One turn: take a pending external interrupt if the guest can (IF=1, no
 * STI/MOV SS shadow), find the decoded block for CS:EIP (the previous
 * block's link, the block table, else fetch + Zydis), run its
 * instructions' handlers back to back, commit EIP. Under TF or an interrupt shadow, and in
 * interp_step(), a turn runs one instruction only. A fault raised
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

#include "cpu/block.h"
#include "cpu/dispatch.h"
#include "cpu/exceptions.h"
#include "cpu/flags.h"
#include "cpu/mem.h"
#include "cpu/ops_common.h"

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
	memset(v, 0, sizeof(*v));
	v->s = s;
	v->bus = *bus;
	v->dcache = decode_cache_create();
	v->bcache = block_cache_create();
	if (!v->dcache || !v->bcache) {
		interp_fini(v);
		return -1;
	}
	v->page_gens = decode_page_gens(v->dcache);
	v->code_epoch = decode_epoch(v->dcache);
	v->delivering = -1;
	tlb_flush(v, false);
	return 0;
}

void interp_fini(struct vcpu *v)
{
	vtx_model_fini(&v->vtx);
	block_cache_destroy(v->bcache);
	decode_cache_destroy(v->dcache);
	v->bcache = NULL;
	v->dcache = NULL;
	v->prev_block = NULL;
}

static bool code32(const struct vcpu *v)
{
	return (v->s->seg[S_CS].attr & SEG_DB) && (v->s->cr0 & CR0_PE) && !(v->s->eflags & EFL_VM);
}

/*
 * The current block at physical address paddr (the block table, else a
 * new decode), or NULL when the instruction there must be decoded on its
 * own. *prev becomes NULL when building it dropped every block (the
 * previous block with them).
 */
static struct block *find_block(struct vcpu *v, struct block **prev, uint32_t linear,
				uint32_t paddr, bool c32)
{
	struct block *b = block_lookup(v->bcache, v->page_gens, paddr, c32);
	if (!b) {
		uint64_t epoch = block_cache_epoch(v->bcache);
		b = block_build(v, linear, paddr, c32);
		if (block_cache_epoch(v->bcache) != epoch) {
			*prev = NULL;   /* dropped with every other block */
			decode_bump_epoch(v->dcache);   /* and so is every link */
		}
	}
	return b;
}

/*
 * The decoded instruction at CS:EIP, in scratch[0] (scratch[1] is the
 * stop entry: a specialized handler chains into it); faults on fetch
 * (#GP for the CS limit, #PF).
 */
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
	struct block *prev = NULL;
	const struct block *b = find_block(v, &prev, linear, paddr, c32);
	if (b && (eip + b->insn[0].len - 1 <= cs->limit)) {
		scratch[0] = b->insn[0];
		dispatch_bind(&scratch[0]);   /* its own handler, not a pair's (ops_fuse.c) */
		return scratch;
	}
	/* Not in a block: crosses the page end, not an instruction, or beyond
	 * the CS limit. */
	uint8_t bytes[16];
	unsigned n = lin_fetch(v, linear, bytes, 15, &paddr);
	int rc = decode_insn(v->dcache, bytes, n, c32, scratch);
	if (rc == -2) {
		/* The instruction continues on the next page. */
		uint32_t p2;
		n += lin_fetch(v, linear + n, bytes + n, 15 - n, &p2);
		rc = decode_insn(v->dcache, bytes, n, c32, scratch);
	}
	if (rc < 0)
		vcpu_fault_noerr(v, EXC_UD);
	if (eip + scratch->len - 1 > cs->limit || eip + scratch->len - 1 < eip)
		vcpu_fault(v, EXC_GP, 0);
	dispatch_bind(scratch);
	return scratch;
}

/* One instruction with every per-instruction rule (shadow, single-step). */
static void execute(struct vcpu *v)
{
	struct insn scratch[2];
	block_stop_init(&scratch[1], 1, 0);
	struct cpu_state *s = v->s;
	v->insn_esp = s->gpr[R_ESP];
	v->esp_saved = true;   /* the single-step trap below rolls back here too */
	v->cur_block = NULL;
	const struct insn *i = fetch(v, scratch);
	v->blk_last = i;   /* no chaining: exactly one instruction */
	v->follow_left = 0;
	v->blk_mask = code32(v) ? 0xffffffffu : 0xffffu;
	v->blk_eip = s->eip;   /* i->off is 0: a block's first instruction or a lone one */
	insn_sync(v, i);
	bool shadow = s->int_shadow;
	bool single_step = s->eflags & EFL_TF;
	v->delivered = false;
	mem_fast_setup(v);
	i->fn(v, i);
	s->eip = v->next_eip;
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
	v->esp_saved = false;
}

/*
 * What a block needs of the environment (code size, memory fast path,
 * privilege), computed again only after something that may have changed
 * it: an instruction that does not keep it (insn.keeps_env), an event, a
 * fault, a single-stepped instruction or a new interp_run().
 */
static void env_refresh(struct vcpu *v)
{
	const struct seg_cache *cs = &v->s->seg[S_CS];
	mem_fast_setup(v);
	v->env_code32 = code32(v);
	v->env_valid = true;
	/* Block links were checked against CS, the code size and the
	 * privilege (for the translation): a change drops them all. Also the
	 * physical map (A20), which the TLB notices only at its next miss. */
	if (v->tlb_phys_gen != v->bus.phys->generation)
		tlb_flush(v, false);
	if (cs->base != v->link_cs_base || cs->limit != v->link_cs_limit ||
	    v->env_code32 != v->link_code32 || v->user != v->link_user) {
		v->link_cs_base = cs->base;
		v->link_cs_limit = cs->limit;
		v->link_code32 = v->env_code32;
		v->link_user = v->user;
		decode_bump_epoch(v->dcache);
	}
}

/*
 * Blocks back to back, from CS:EIP: the fetch is validated once per block
 * (CS limit over the whole block, translation, page generation); inside
 * a block only a branch (EIP not the fall-through) and a store to a page
 * holding decoded code (self-modifying code: mem.c moves blk_last) stop it. The next block follows
 * directly while the last one kept the environment, no interrupt can be
 * taken and no request is up, at most `budget` blocks. Falls back to
 * execute() for what a block cannot run. Returns the number of turns.
 */
/*
 * Blocks the near-branch handlers may enter in a row (branch_to, ops_fast.c). The handlers reach each other
 * through tail calls in optimized builds; without them (-O0, some
 * sanitizer builds) each instruction is a host frame, so this bounds the
 * stack at FOLLOW_MAX * BLOCK_MAX_INSNS frames (2,048: well within a
 * thread's stack). 32 rather than 8: 2 % of the boot.
 */
#define FOLLOW_MAX 32

static unsigned run_blocks(struct vcpu *v, unsigned budget)
{
	struct cpu_state *s = v->s;
	if (!v->env_valid)
		env_refresh(v);
	const bool c32 = v->env_code32, user = v->user;
	const uint32_t mask = c32 ? 0xffffffffu : 0xffffu;
	const struct seg_cache *cs = &s->seg[S_CS];
	for (unsigned turns = 1;; turns++) {
		uint32_t eip = s->eip;
		v->insn_eip = eip;   /* a fetch fault is the next instruction's */
		struct block *prev = v->prev_block, *b = NULL;
		struct block_link *l = prev ? &prev->link[v->prev_exit] : NULL;
		v->prev_block = NULL;
		if (l)
			b = block_link_follow(l, eip, *v->code_epoch);
		if (!b) {
			if (eip > cs->limit)
				vcpu_fault(v, EXC_GP, 0);
			uint32_t linear = cs->base + eip;
			uint32_t paddr = code_paddr(v, linear, user);
			/* A link from an older epoch (the epoch changes often:
			 * every INVLPG) is checked the long way before the table
			 * is: it never points to a dropped block (links live in
			 * blocks built after the last drop). */
			if (l && l->to && l->eip == eip && block_current(l->to, v->page_gens, paddr, c32))
				b = l->to;
			else
				b = find_block(v, &prev, linear, paddr, c32);
			uint32_t end = eip + (b ? b->bytes : 0);
			if (!b || end - 1 > cs->limit || end < eip || (!c32 && end > 0x10000)) {
				v->env_valid = false;
				execute(v);
				return turns;
			}
			if (prev)
				prev->link[v->prev_exit] = (struct block_link){
					.to = b, .epoch = *v->code_epoch, .eip = eip };
		}
		const struct insn *i = b->insn, *last;
		v->cur_block = b;
		v->blk_last = i + b->n - 1;
		v->blk_mask = mask;
		v->blk_eip = eip;
		v->follow_left = FOLLOW_MAX;
		uint32_t next;
		for (;;) {
			/* The handler may run the instructions after i itself
			 * (insn_chain), even those of the following blocks
			 * (branch_to in ops_fast.c); v->insn is the one that ran last, in
			 * v->cur_block, synced (insn_sync) before it returned. */
			i->fn(v, i);
			b = v->cur_block;
			last = b->insn + b->n - 1;
			i = v->insn;
			next = (v->insn_eip + i->len) & mask;
			eip = v->next_eip;
			/* blk_last moved: a store to some page with decoded code
			 * (maybe this one: the rest of the block may be stale). */
			if (eip != next || i == last || v->blk_last != last)
				break;
			i++;
		}
		v->icount += (uint64_t)i->idx + 1;
		turns += FOLLOW_MAX - v->follow_left;
		s->eip = eip;
		v->prev_block = b;
		v->prev_exit = i != last || eip != next;
		if (!i->keeps_env) {
			v->env_valid = false;
			return turns;
		}
		if (turns >= budget || ((s->eflags & EFL_IF) && *v->bus.intr_line) ||
		    (*v->bus.requests & v->bus.stop_mask))
			return turns;
	}
}

static bool can_take_intr(const struct vcpu *v)
{
	return (v->s->eflags & EFL_IF) && !v->s->int_shadow && *v->bus.intr_line &&
	       v->bus.intr_pending(v->bus.opaque);
}

/*
 * Rolls a faulting instruction back and delivers its exception; false on
 * shutdown. ESP goes back to insn_esp when that was saved (vcpu.esp_saved),
 * else it is still the instruction's; a fault while delivering rolls back
 * to the same place.
 */
static bool handle_fault(struct vcpu *v)
{
	v->s->eip = v->insn_eip;
	if (v->esp_saved)
		v->s->gpr[R_ESP] = v->insn_esp;
	else
		v->insn_esp = v->s->gpr[R_ESP];
	v->esp_saved = true;
	bool ok = exceptions_deliver_fault(v) == 0;
	v->esp_saved = false;
	return ok;
}

/*
 * One event, or one instruction, or (with a budget) up to `budget` blocks,
 * without fault handling (the caller has armed v->fault_jmp). Adds the
 * turns taken to *turns; returns false when the loop must stop.
 */
static inline bool turn(struct vcpu *v, enum interp_exit *why, unsigned budget,
			unsigned *turns)
{
	struct cpu_state *s = v->s;
	v->insn_eip = s->eip;
	v->insn_esp = s->gpr[R_ESP];
	if (can_take_intr(v)) {
		vtx_on_intr(&v->vtx, s->halted);
		s->halted = false;
		uint8_t vector = v->bus.intr_ack(v->bus.opaque);
		v->esp_saved = true;
		exceptions_deliver(v, vector, EVENT_EXTERNAL, false, 0);
		v->esp_saved = false;
		v->prev_block = NULL;
		v->env_valid = false;
		return true;
	}
	if (v->bus.intr_line && *v->bus.intr_line)   /* some unit tests have no line */
		v->vtx.window_wanted = true;   /* pending, but IF=0 or a shadow (vtx_model.h) */
	if (s->halted) {
		*why = INTERP_HALT;
		return false;
	}
	if (budget && !s->int_shadow && !(s->eflags & EFL_TF)) {
		*turns += run_blocks(v, budget) - 1;
	} else {
		v->prev_block = NULL;
		v->env_valid = false;
		execute(v);
	}
	if (s->halted) {
		*why = INTERP_HALT;
		return false;
	}
	return true;
}

enum interp_exit interp_step(struct vcpu *v)
{
	enum interp_exit why = INTERP_DEADLINE;
	v->esp_saved = false;
	int jumped = setjmp(v->fault_jmp);
	if (jumped == 2)
		return INTERP_ERROR;
	if (jumped == 1)
		return handle_fault(v) ? INTERP_DEADLINE : INTERP_SHUTDOWN;
	unsigned turns = 0;
	turn(v, &why, 0, &turns);
	return why;
}

enum interp_exit interp_run_blocks(struct vcpu *v, unsigned budget)
{
	enum interp_exit why = INTERP_DEADLINE;
	v->esp_saved = false;
	int jumped = setjmp(v->fault_jmp);
	if (jumped == 2)
		return INTERP_ERROR;
	if (jumped == 1)
		return handle_fault(v) ? INTERP_DEADLINE : INTERP_SHUTDOWN;
	v->prev_block = NULL;   /* the caller may have run guest code in between */
	unsigned turns = 0;
	turn(v, &why, budget, &turns);
	return why;
}

enum interp_exit interp_call(struct vcpu *v, void (*fn)(struct vcpu *, void *), void *arg)
{
	v->esp_saved = false;
	v->insn_eip = v->s->eip;
	v->insn_esp = v->s->gpr[R_ESP];
	int jumped = setjmp(v->fault_jmp);
	if (jumped == 2)
		return INTERP_ERROR;
	if (jumped == 1)
		return handle_fault(v) ? INTERP_DEADLINE : INTERP_SHUTDOWN;
	v->prev_block = NULL;
	v->env_valid = false;
	fn(v, arg);
	return INTERP_DEADLINE;
}

/*
 * The fault handler is armed once per run and re-armed after each fault
 * (setjmp per instruction would cost more than many instructions).
 */
enum interp_exit interp_run(struct vcpu *v, uint64_t deadline_ns, uint64_t (*now)(void *),
			    void *now_opaque)
{
	enum interp_exit why = INTERP_DEADLINE;
	v->esp_saved = false;
	int jumped = setjmp(v->fault_jmp);
	if (jumped == 2)
		return INTERP_ERROR;
	v->prev_block = NULL;
	v->env_valid = false;
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
		for (unsigned n = 0; n < 1024; n++) {
			if (!turn(v, &why, 1024 - n, &n))
				return why;
			if (*v->bus.requests & v->bus.stop_mask)
				return INTERP_DEADLINE;
		}
		if (now(now_opaque) >= deadline_ns)
			return INTERP_DEADLINE;
	}
}
