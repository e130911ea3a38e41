/*
 * ops_fast.c - operand-specialized handlers for the hottest instruction
 * forms (see dispatch.h).
 *
 * The generic handlers (ops_alu.c, ops_data.c...) look at each operand's
 * kind and size at run time. The forms below are chosen once, at decode
 * time, by ops_fast_select(): register, immediate and memory operands of a
 * fixed size with a 32-bit address size, and near branches with a 32-bit
 * operand size. Each does exactly what its generic handler does for that
 * form (same order of reads, writes and flag updates, so faults leave the
 * same state); the differential tests run through them, since every
 * decoded instruction gets its handler here first.
 *
 * Memory goes through the soft TLB inline (mem_read_try/mem_write_try of
 * mem.h) with the checked path in a cold function, or through fast_read/
 * fast_write (ops_fast.h), which sync the instruction (insn_sync) before
 * the checked path; the stack forms take the direct path only for a flat
 * 32-bit stack (vcpu.flat_stack) and fall back to ops_common.h's stack
 * helpers. The handlers that never branch end with insn_chain()
 * (ops_common.h: the next entry of the block runs from there), the near
 * branches with branch_to() (the next block). ADD..TEST are in
 * ops_fast_alu.c, fused pairs in ops_fuse.c.
 */
#include <Zydis/Zydis.h>
#include <stddef.h>

#include "cpu/block.h"
#include "cpu/interp.h"
#include "cpu/ops_fast.h"

/* --- INC DEC ------------------------------------------------------------------- */

static void inc_r4(struct vcpu *v, const struct insn *i)
{
	uint32_t d = GPR(0), r = d + 1, cf = flag_cf(v);
	GPR(0) = r;
	flags_set(v, LF_INC, 4, r, d, 1);
	v->lf.cf_in = cf;
	insn_chain(v, i);
}

static void dec_r4(struct vcpu *v, const struct insn *i)
{
	uint32_t d = GPR(0), r = d - 1, cf = flag_cf(v);
	GPR(0) = r;
	flags_set(v, LF_DEC, 4, r, d, 1);
	v->lf.cf_in = cf;
	insn_chain(v, i);
}

/* --- MOV MOVZX MOVSX LEA ------------------------------------------------------ */

static void mov_rr4(struct vcpu *v, const struct insn *i)
{
	GPR(0) = GPR(1);
	insn_chain(v, i);
}
static void mov_ri4(struct vcpu *v, const struct insn *i)
{
	GPR(0) = i->op[1].val;
	insn_chain(v, i);
}
static void mov_lea(struct vcpu *v, const struct insn *i)
{
	GPR(0) = EA(1);
	insn_chain(v, i);
}

/*
 * The memory forms run their fast path (mem_read_try/mem_write_try) inline
 * and call the checked path from a cold function of their own (_slow), so
 * that the hot function makes no call but the tail call to the next
 * instruction: no registers saved and restored on every execution.
 */
#define MOV_LOAD(NAME, SZ, EAF)                                                           \
static __attribute__((noinline, cold)) void NAME##_slow(struct vcpu *v,                  \
							 const struct insn *i)            \
{                                                                                         \
	insn_sync(v, i);                                                                  \
	reg_write(v->s, i->op[0].reg, SZ, mem_read_slow(v, SEG(1), EAF(1), SZ));          \
	insn_chain(v, i);                                                                 \
}                                                                                         \
static void NAME(struct vcpu *v, const struct insn *i)                                    \
{                                                                                         \
	uint32_t x;                                                                       \
	if (__builtin_expect(!mem_read_try(v, SEG(1), EAF(1), SZ, &x), 0)) {              \
		NAME##_slow(v, i);                                                        \
		return;                                                                   \
	}                                                                                 \
	reg_write(v->s, i->op[0].reg, SZ, x);                                             \
	insn_chain(v, i);                                                                 \
}
#define MOV_STORE(NAME, SZ, EAF, VAL)                                                     \
static __attribute__((noinline, cold)) void NAME##_slow(struct vcpu *v,                  \
							 const struct insn *i)            \
{                                                                                         \
	insn_sync(v, i);                                                                  \
	mem_write_slow(v, SEG(0), EAF(0), SZ, VAL);                                       \
	insn_chain(v, i);                                                                 \
}                                                                                         \
static void NAME(struct vcpu *v, const struct insn *i)                                    \
{                                                                                         \
	if (__builtin_expect(!mem_write_try(v, SEG(0), EAF(0), SZ, VAL), 0)) {            \
		NAME##_slow(v, i);                                                        \
		return;                                                                   \
	}                                                                                 \
	insn_chain(v, i);                                                                 \
}

#define MOV_MEM(SZ)                                                                       \
MOV_LOAD(mov_rm_##SZ, SZ, EA)                                                             \
MOV_STORE(mov_mr_##SZ, SZ, EA, reg_read(v->s, i->op[1].reg, SZ))                         \
MOV_STORE(mov_mi_##SZ, SZ, EA, i->op[1].val)
MOV_MEM(1)
MOV_MEM(2)
MOV_MEM(4)

/* The commonest addressing form, [base + disp], without the general sum. */
#define EAB(n) (v->s->gpr[i->op[n].base] + i->op[n].val)
#define MOV_MEM_B(SZ)                                                                     \
MOV_LOAD(mov_rb_##SZ, SZ, EAB)                                                            \
MOV_STORE(mov_br_##SZ, SZ, EAB, reg_read(v->s, i->op[1].reg, SZ))
MOV_MEM_B(1)
MOV_MEM_B(2)
MOV_MEM_B(4)

static void movzx_r1(struct vcpu *v, const struct insn *i)
{
	GPR(0) = reg_read(v->s, i->op[1].reg, 1);
	insn_chain(v, i);
}
static void movzx_r2(struct vcpu *v, const struct insn *i)
{
	GPR(0) = GPR(1) & 0xffff;
	insn_chain(v, i);
}
/* MOVZX from memory: fast path inline, checked path cold (see MOV_LOAD). */
#define MOVZX_LOAD(NAME, SZ, EAF)                                                         \
static __attribute__((noinline, cold)) void NAME##_slow(struct vcpu *v,                  \
							 const struct insn *i)            \
{                                                                                         \
	insn_sync(v, i);                                                                  \
	GPR(0) = mem_read_slow(v, SEG(1), EAF(1), SZ);                                    \
	insn_chain(v, i);                                                                 \
}                                                                                         \
static void NAME(struct vcpu *v, const struct insn *i)                                    \
{                                                                                         \
	uint32_t x;                                                                       \
	if (__builtin_expect(!mem_read_try(v, SEG(1), EAF(1), SZ, &x), 0)) {              \
		NAME##_slow(v, i);                                                        \
		return;                                                                   \
	}                                                                                 \
	GPR(0) = x;                                                                       \
	insn_chain(v, i);                                                                 \
}
MOVZX_LOAD(movzx_m1, 1, EA)
MOVZX_LOAD(movzx_m2, 2, EA)
MOVZX_LOAD(movzx_b1, 1, EAB)
MOVZX_LOAD(movzx_b2, 2, EAB)

static void movsx_r1(struct vcpu *v, const struct insn *i)
{
	GPR(0) = (uint32_t)(int32_t)(int8_t)reg_read(v->s, i->op[1].reg, 1);
	insn_chain(v, i);
}
static void movsx_r2(struct vcpu *v, const struct insn *i)
{
	GPR(0) = (uint32_t)(int32_t)(int16_t)GPR(1);
	insn_chain(v, i);
}
static void movsx_m1(struct vcpu *v, const struct insn *i)
{
	GPR(0) = (uint32_t)(int32_t)(int8_t)fast_read(v, i, SEG(1), EA(1), 1);
	insn_chain(v, i);
}
static void movsx_m2(struct vcpu *v, const struct insn *i)
{
	GPR(0) = (uint32_t)(int32_t)(int16_t)fast_read(v, i, SEG(1), EA(1), 2);
	insn_chain(v, i);
}

/* --- CMOVcc SETcc --------------------------------------------------------------- */

/*
 * The condition from the lazy operands inline (cond_eval_fast); when it
 * needs all flags, or the operand misses the TLB, the instruction runs in
 * a cold function of its own, so the hot one makes no call (see MOV_LOAD).
 */
static __attribute__((noinline, cold)) void cmov_rr4_slow(struct vcpu *v, const struct insn *i)
{
	if (cond_eval(v, i->opcode & 0xf))
		GPR(0) = GPR(1);
	insn_chain(v, i);
}

static void cmov_rr4(struct vcpu *v, const struct insn *i)
{
	int c = cond_eval_fast(v, i->opcode & 0xf);
	if (__builtin_expect(c < 0, 0)) {
		cmov_rr4_slow(v, i);
		return;
	}
	if (c)
		GPR(0) = GPR(1);
	insn_chain(v, i);
}

static __attribute__((noinline, cold)) void cmov_rm4_slow(struct vcpu *v, const struct insn *i)
{
	uint32_t x = fast_read(v, i, SEG(1), EA(1), 4);   /* read (and may fault) either way */
	if (cond_eval(v, i->opcode & 0xf))
		GPR(0) = x;
	insn_chain(v, i);
}

static void cmov_rm4(struct vcpu *v, const struct insn *i)
{
	uint32_t x;
	int c;
	if (__builtin_expect(!mem_read_try(v, SEG(1), EA(1), 4, &x) ||
			     (c = cond_eval_fast(v, i->opcode & 0xf)) < 0, 0)) {
		cmov_rm4_slow(v, i);   /* nothing done yet: it starts over */
		return;
	}
	if (c)
		GPR(0) = x;
	insn_chain(v, i);
}

static __attribute__((noinline, cold)) void setcc_r_slow(struct vcpu *v, const struct insn *i)
{
	reg_write(v->s, i->op[0].reg, 1, cond_eval_slow(v, i->opcode & 0xf));
	insn_chain(v, i);
}

static void setcc_r(struct vcpu *v, const struct insn *i)
{
	int c = cond_eval_fast(v, i->opcode & 0xf);
	if (__builtin_expect(c < 0, 0)) {
		setcc_r_slow(v, i);
		return;
	}
	reg_write(v->s, i->op[0].reg, 1, (uint32_t)c);
	insn_chain(v, i);
}

/* --- shifts and multiply -------------------------------------------------------- */

/*
 * SHL/SHR/SAR r32 by an immediate or CL: the generic shift() for size 4,
 * with the flags recorded lazily (a multi-precision loop shifts and
 * multiplies a lot and reads none of their flags).
 */
static inline void shift_r4(struct vcpu *v, const struct insn *i, int kind)
{
	uint32_t count = (i->op[1].kind == OPK_IMM ? i->op[1].val : v->s->gpr[R_ECX]) & 0x1f;
	if (count == 0)
		return;
	uint32_t d = GPR(0), r;
	if (kind == 0)
		r = d << count;
	else if (kind == 1)
		r = d >> count;
	else
		r = (uint32_t)((int32_t)d >> count);
	GPR(0) = r;
	flags_set(v, kind == 0 ? LF_SHL32 : kind == 1 ? LF_SHR32 : LF_SAR32, 4, r, d, count);
}

static void shl_r4(struct vcpu *v, const struct insn *i)
{
	shift_r4(v, i, 0);
	insn_chain(v, i);
}

static void shr_r4(struct vcpu *v, const struct insn *i)
{
	shift_r4(v, i, 1);
	insn_chain(v, i);
}

static void sar_r4(struct vcpu *v, const struct insn *i)
{
	shift_r4(v, i, 2);
	insn_chain(v, i);
}

static inline void imul_commit(struct vcpu *v, const struct insn *i, int64_t a, int64_t b)
{
	int64_t r = a * b;
	bool overflow = r != (int64_t)(int32_t)r;
	GPR(0) = (uint32_t)r;
	v->lf.op = LF_IMUL32;   /* flags.c reads the result and dst (overflow) only */
	v->lf.size = 4;
	v->lf.res = (uint32_t)r;
	v->lf.dst = overflow;
}

static void imul_rr4(struct vcpu *v, const struct insn *i)
{
	imul_commit(v, i, (int32_t)GPR(0), (int32_t)GPR(1));
	insn_chain(v, i);
}

static void imul_rm4(struct vcpu *v, const struct insn *i)
{
	imul_commit(v, i, (int32_t)GPR(0), (int32_t)fast_read(v, i, SEG(1), EA(1), 4));
	insn_chain(v, i);
}

static void imul_rri4(struct vcpu *v, const struct insn *i)
{
	imul_commit(v, i, (int32_t)GPR(1), (int32_t)i->op[2].val);
	insn_chain(v, i);
}

static void imul_rmi4(struct vcpu *v, const struct insn *i)
{
	imul_commit(v, i, (int32_t)fast_read(v, i, SEG(1), EA(1), 4), (int32_t)i->op[2].val);
	insn_chain(v, i);
}

/* --- stack and near branches (32-bit operand size) ------------------------------ */

/* push4, pop4: the instruction is synced (insn_sync) before they are called. */
static inline void push4(struct vcpu *v, uint32_t val)
{
	if (v->flat_stack) {
		uint32_t sp = v->s->gpr[R_ESP] - 4;
		mem_write(v, S_SS, sp, 4, val);
		v->s->gpr[R_ESP] = sp;
	} else {
		stack_push(v, 4, val);
	}
}

/* PUSH: a flat stack's TLB hit inline, anything else in a cold function (see MOV_LOAD). */
#define PUSH_FORM(NAME, VAL)                                                              \
static __attribute__((noinline, cold)) void NAME##_slow(struct vcpu *v,                  \
							 const struct insn *i)            \
{                                                                                         \
	insn_sync(v, i);                                                                  \
	push4(v, VAL);                                                                    \
	insn_chain(v, i);                                                                 \
}                                                                                         \
static void NAME(struct vcpu *v, const struct insn *i)                                    \
{                                                                                         \
	uint32_t sp = v->s->gpr[R_ESP] - 4;                                               \
	if (__builtin_expect(!v->flat_stack || !mem_write_try(v, S_SS, sp, 4, VAL), 0)) {  \
		NAME##_slow(v, i);                                                        \
		return;                                                                   \
	}                                                                                 \
	v->s->gpr[R_ESP] = sp;                                                            \
	insn_chain(v, i);                                                                 \
}
PUSH_FORM(push_r4, GPR(0))
PUSH_FORM(push_i4, i->op[0].val)

static inline uint32_t pop4(struct vcpu *v)
{
	if (v->flat_stack) {
		uint32_t val = mem_read(v, S_SS, v->s->gpr[R_ESP], 4);
		v->s->gpr[R_ESP] += 4;
		return val;
	}
	return stack_pop(v, 4);
}

static __attribute__((noinline, cold)) void pop_r4_slow(struct vcpu *v, const struct insn *i)
{
	insn_sync(v, i);
	uint32_t val = pop4(v);
	GPR(0) = val;   /* POP ESP: the popped value wins */
	insn_chain(v, i);
}

static void pop_r4(struct vcpu *v, const struct insn *i)
{
	uint32_t val, sp = v->s->gpr[R_ESP];
	if (__builtin_expect(!v->flat_stack || !mem_read_try(v, S_SS, sp, 4, &val), 0)) {
		pop_r4_slow(v, i);
		return;
	}
	v->s->gpr[R_ESP] = sp + 4;
	GPR(0) = val;   /* POP ESP: the popped value wins */
	insn_chain(v, i);
}

static __attribute__((noinline, cold, noreturn)) void branch_fault(struct vcpu *v,
								     const struct insn *i)
{
	insn_sync(v, i);
	vcpu_fault(v, EXC_GP, 0);
}

/*
 * The end of the near-branch handlers: EIP becomes target (the branch at
 * eip, falling through to fall, is i). When the branch ended its block,
 * the block's link for the way it left names a block at target that is
 * still valid (block_link_follow: the code epoch unchanged), and no
 * interrupt or request is up, runs that block's first instruction
 * directly (a tail call), like run_blocks() (cpu/interp.c) would; the
 * branch itself then needs no insn_sync. At most FOLLOW_MAX blocks in a
 * row (vcpu.follow_left), so the host stack stays bounded even without
 * tail calls. Anything else syncs the branch and returns to run_blocks().
 * Inline in every branch handler: each has its own indirect jump to the
 * next block, which the host predicts better than one shared jump.
 */
static inline __attribute__((always_inline)) void branch_to(struct vcpu *v, const struct insn *i,
							    uint32_t eip, uint32_t fall,
							    uint32_t target)
{
	const struct cpu_state *s = v->s;
	if (__builtin_expect(v->follow_left && i == v->blk_last &&
			     !((s->eflags & EFL_IF) && *v->bus.intr_line) &&
			     !(*v->bus.requests & v->bus.stop_mask), 1)) {
		struct block *n = block_link_follow(&v->cur_block->link[target != fall], target,
						    *v->code_epoch);
		if (__builtin_expect(n != NULL, 1)) {
			v->follow_left--;
			v->icount += (uint64_t)i->idx + 1;
			v->cur_block = n;
			v->blk_last = n->insn + n->n - 1;
			v->blk_eip = target;
			n->insn[0].fn(v, n->insn);
			return;
		}
	}
	v->insn = i;
	v->insn_eip = eip;
	v->next_eip = target;
}

/* EIP of i and of the instruction after it (what insn_sync stores). */
#define BRANCH_EIPS                                                                      \
	uint32_t eip = (v->blk_eip + i->off) & v->blk_mask;                              \
	uint32_t fall = (eip + i->len) & v->blk_mask

/* Jcc with the condition's outcome r. */
static inline __attribute__((always_inline)) void jcc_go(struct vcpu *v, const struct insn *i,
							 bool r)
{
	BRANCH_EIPS;
	uint32_t target = fall;
	if (r) {
		target = fall + i->op[0].val;
		if (__builtin_expect(target > v->s->seg[S_CS].limit, 0))
			branch_fault(v, i);
	}
	branch_to(v, i, eip, fall, target);
}

/* The condition from all flags, out of line (see cond_eval_fast). */
static __attribute__((noinline, cold)) void jcc_slow(struct vcpu *v, const struct insn *i,
						     unsigned cc)
{
	jcc_go(v, i, cond_eval_slow(v, cc));
}

#define JCC(cc)                                                                          \
static void jcc_##cc(struct vcpu *v, const struct insn *i)                               \
{                                                                                        \
	int r = cond_eval_fast(v, cc);                                                   \
	if (__builtin_expect(r < 0, 0)) {                                                \
		jcc_slow(v, i, cc);                                                      \
		return;                                                                  \
	}                                                                                \
	jcc_go(v, i, r);                                                                 \
}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)
static const insn_handler jcc_table[16] = {
	jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
	jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15,
};

static void jmp_rel4(struct vcpu *v, const struct insn *i)
{
	BRANCH_EIPS;
	uint32_t target = fall + i->op[0].val;
	if (__builtin_expect(target > v->s->seg[S_CS].limit, 0))
		branch_fault(v, i);
	branch_to(v, i, eip, fall, target);
}

static __attribute__((noinline, cold)) void call_rel4_slow(struct vcpu *v, const struct insn *i)
{
	insn_sync(v, i);
	uint32_t fall = v->next_eip, target = fall + i->op[0].val;
	push4(v, fall);
	branch_to(v, i, v->insn_eip, fall, target);
}

static void call_rel4(struct vcpu *v, const struct insn *i)
{
	BRANCH_EIPS;
	uint32_t target = fall + i->op[0].val;
	if (__builtin_expect(target > v->s->seg[S_CS].limit, 0))
		branch_fault(v, i);
	uint32_t sp = v->s->gpr[R_ESP] - 4;
	if (__builtin_expect(!v->flat_stack || !mem_write_try(v, S_SS, sp, 4, fall), 0)) {
		call_rel4_slow(v, i);
		return;
	}
	v->s->gpr[R_ESP] = sp;
	branch_to(v, i, eip, fall, target);
}

static __attribute__((noinline, cold)) void ret_4_slow(struct vcpu *v, const struct insn *i)
{
	insn_sync(v, i);
	uint32_t target;
	if (!v->flat_stack) {
		/* the generic order: read, check, then release */
		target = stack_peek(v, 4, 0);
		if (target > v->s->seg[S_CS].limit)
			vcpu_fault(v, EXC_GP, 0);
		stack_set(v, stack_ptr(v) + 4);
		v->next_eip = target;
		return;
	}
	uint32_t sp = v->s->gpr[R_ESP];
	target = mem_read_slow(v, S_SS, sp, 4);
	if (target > v->s->seg[S_CS].limit)
		vcpu_fault(v, EXC_GP, 0);
	v->s->gpr[R_ESP] = sp + 4;
	branch_to(v, i, v->insn_eip, v->next_eip, target);
}

static void ret_4(struct vcpu *v, const struct insn *i)
{
	uint32_t target, sp = v->s->gpr[R_ESP];
	if (__builtin_expect(!v->flat_stack || !mem_read_try(v, S_SS, sp, 4, &target), 0)) {
		ret_4_slow(v, i);
		return;
	}
	if (__builtin_expect(target > v->s->seg[S_CS].limit, 0))
		branch_fault(v, i);
	v->s->gpr[R_ESP] = sp + 4;
	BRANCH_EIPS;
	branch_to(v, i, eip, fall, target);
}

/* --- selection ------------------------------------------------------------------ */

static insn_handler select_mov(const struct insn *i)
{
	static const insn_handler rm[5] = { [1] = mov_rm_1, [2] = mov_rm_2, [4] = mov_rm_4 };
	static const insn_handler mr[5] = { [1] = mov_mr_1, [2] = mov_mr_2, [4] = mov_mr_4 };
	static const insn_handler mi[5] = { [1] = mov_mi_1, [2] = mov_mi_2, [4] = mov_mi_4 };
	const struct operand *d = &i->op[0], *s = &i->op[1];
	unsigned size = d->size;
	if (i->nops != 2 || (size != 1 && size != 2 && size != 4))
		return NULL;
	if (is_reg(d, 4) && is_reg(s, 4))
		return mov_rr4;
	if (is_reg(d, 4) && is_imm(s))
		return mov_ri4;
	static const insn_handler rb[5] = { [1] = mov_rb_1, [2] = mov_rb_2, [4] = mov_rb_4 };
	static const insn_handler br[5] = { [1] = mov_br_1, [2] = mov_br_2, [4] = mov_br_4 };
	if (is_reg(d, size) && is_mem(i, s, size))
		return is_base_only(s) ? rb[size] : rm[size];
	if (is_mem(i, d, size) && is_reg(s, size))
		return is_base_only(d) ? br[size] : mr[size];
	if (is_mem(i, d, size) && is_imm(s))
		return mi[size];
	return NULL;
}

static insn_handler select_ext(const struct insn *i, bool sx)
{
	const struct operand *d = &i->op[0], *s = &i->op[1];
	if (i->nops != 2 || !is_reg(d, 4))
		return NULL;
	if (is_reg(s, 1))
		return sx ? movsx_r1 : movzx_r1;
	if (is_reg(s, 2))
		return sx ? movsx_r2 : movzx_r2;
	if (is_mem(i, s, 1))
		return sx ? movsx_m1 : is_base_only(s) ? movzx_b1 : movzx_m1;
	if (is_mem(i, s, 2))
		return sx ? movsx_m2 : is_base_only(s) ? movzx_b2 : movzx_m2;
	return NULL;
}

static insn_handler select_imul(const struct insn *i)
{
	const struct operand *d = &i->op[0], *s = &i->op[1];
	if (i->opsize != 4 || !is_reg(d, 4))
		return NULL;
	if (i->nops == 2)
		return is_reg(s, 4) ? imul_rr4 : is_mem(i, s, 4) ? imul_rm4 : NULL;
	if (i->nops == 3 && is_imm(&i->op[2]))
		return is_reg(s, 4) ? imul_rri4 : is_mem(i, s, 4) ? imul_rmi4 : NULL;
	return NULL;
}

static insn_handler select_shift(const struct insn *i, insn_handler fn)
{
	const struct operand *c = &i->op[1];
	if (i->nops != 2 || !is_reg(&i->op[0], 4))
		return NULL;
	return is_imm(c) || (c->kind == OPK_REG && c->size == 1 && c->reg == R_ECX) ? fn : NULL;
}

static bool is_jcc(uint16_t m)
{
	return m == ZYDIS_MNEMONIC_JO || m == ZYDIS_MNEMONIC_JNO || m == ZYDIS_MNEMONIC_JB ||
	       m == ZYDIS_MNEMONIC_JNB || m == ZYDIS_MNEMONIC_JZ || m == ZYDIS_MNEMONIC_JNZ ||
	       m == ZYDIS_MNEMONIC_JBE || m == ZYDIS_MNEMONIC_JNBE || m == ZYDIS_MNEMONIC_JS ||
	       m == ZYDIS_MNEMONIC_JNS || m == ZYDIS_MNEMONIC_JP || m == ZYDIS_MNEMONIC_JNP ||
	       m == ZYDIS_MNEMONIC_JL || m == ZYDIS_MNEMONIC_JNL || m == ZYDIS_MNEMONIC_JLE ||
	       m == ZYDIS_MNEMONIC_JNLE;
}

static bool is_cmov(uint16_t m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVB:
	case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVZ: case ZYDIS_MNEMONIC_CMOVNZ:
	case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVNBE: case ZYDIS_MNEMONIC_CMOVS:
	case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVNP:
	case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVLE:
	case ZYDIS_MNEMONIC_CMOVNLE:
		return true;
	default:
		return false;
	}
}

static bool is_setcc(uint16_t m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETB:
	case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETZ: case ZYDIS_MNEMONIC_SETNZ:
	case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_SETS:
	case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETNP:
	case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETLE:
	case ZYDIS_MNEMONIC_SETNLE:
		return true;
	default:
		return false;
	}
}

insn_handler ops_fast_select(const struct insn *i)
{
	const struct operand *o = &i->op[0];
	uint16_t m = i->mnemonic;
	if (i->far)
		return NULL;
	switch (m) {
	case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_SBB: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_TEST:
		return ops_fast_alu_select(i);
	case ZYDIS_MNEMONIC_INC: return i->nops == 1 && is_reg(o, 4) ? inc_r4 : NULL;
	case ZYDIS_MNEMONIC_DEC: return i->nops == 1 && is_reg(o, 4) ? dec_r4 : NULL;
	case ZYDIS_MNEMONIC_MOV: return select_mov(i);
	case ZYDIS_MNEMONIC_MOVZX: return select_ext(i, false);
	case ZYDIS_MNEMONIC_MOVSX: return select_ext(i, true);
	case ZYDIS_MNEMONIC_LEA:
		return i->nops == 2 && is_reg(o, 4) && i->addrsize == 4 ? mov_lea : NULL;
	case ZYDIS_MNEMONIC_IMUL: return select_imul(i);
	case ZYDIS_MNEMONIC_SHL: return select_shift(i, shl_r4);
	case ZYDIS_MNEMONIC_SHR: return select_shift(i, shr_r4);
	case ZYDIS_MNEMONIC_SAR: return select_shift(i, sar_r4);
	case ZYDIS_MNEMONIC_PUSH:
		if (i->opsize != 4 || i->nops != 1)
			return NULL;
		return is_reg(o, 4) ? push_r4 : is_imm(o) ? push_i4 : NULL;
	case ZYDIS_MNEMONIC_POP:
		return i->opsize == 4 && i->nops == 1 && is_reg(o, 4) ? pop_r4 : NULL;
	case ZYDIS_MNEMONIC_JMP:
		return i->opsize == 4 && i->nops == 1 && is_imm(o) ? jmp_rel4 : NULL;
	case ZYDIS_MNEMONIC_CALL:
		return i->opsize == 4 && i->nops == 1 && is_imm(o) ? call_rel4 : NULL;
	case ZYDIS_MNEMONIC_RET:
		return i->opsize == 4 && i->nops == 0 ? ret_4 : NULL;
	default:
		break;
	}
	if (is_jcc(m))
		return i->opsize == 4 && i->nops == 1 && is_imm(o) ? jcc_table[i->opcode & 0xf] : NULL;
	if (is_cmov(m) && i->nops == 2 && is_reg(o, 4) && i->opsize == 4)
		return is_reg(&i->op[1], 4) ? cmov_rr4 : is_mem(i, &i->op[1], 4) ? cmov_rm4 : NULL;
	if (is_setcc(m) && i->nops == 1 && is_reg(o, 1))
		return setcc_r;
	return NULL;
}
