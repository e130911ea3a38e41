/*
 * ops_fuse.c - pairs of instructions run by one handler.
 *
 * The hottest code of a Linux boot (the kernel's multi-precision multiply,
 * its XZ decompressor) is long runs of register moves, [base + disp] loads
 * and stores and 32-bit ADD/SUB/CMP/IMUL/SHR. Each instruction costs a
 * dispatch (an indirect jump) besides its work; for two adjacent
 * instructions of the forms below, block_build() binds the first to a
 * handler that does both (ops_fuse_bind), so the pair costs one.
 *
 * Each form's work is a *_do function that does exactly what the form's
 * specialized handler (ops_fast.c, ops_fast_alu.c) does on its fast path,
 * or returns false having changed nothing (a soft-TLB miss). Then the
 * instruction runs through its own specialized handler instead: the
 * second one's is the handler of the next entry (never fused itself), the
 * first one's is found again with ops_fast_select() (a cold path). Either
 * way the block goes on from there as usual, so faults, self-modifying
 * code and the block's end are handled where they always are. The
 * instruction after a pair runs through insn_chain().
 */
#include <Zydis/Zydis.h>
#include <stddef.h>

#include "cpu/ops_fast.h"

/* --- the forms ----------------------------------------------------------- */

#define EAB(n) (v->s->gpr[i->op[n].base] + i->op[n].val)

static inline bool mov_rb_do(struct vcpu *v, const struct insn *i)
{
	uint32_t x;
	if (!mem_read_try(v, SEG(1), EAB(1), 4, &x))
		return false;
	GPR(0) = x;
	return true;
}

static inline bool mov_rm_do(struct vcpu *v, const struct insn *i)
{
	uint32_t x;
	if (!mem_read_try(v, SEG(1), EA(1), 4, &x))
		return false;
	GPR(0) = x;
	return true;
}

static inline bool mov_br_do(struct vcpu *v, const struct insn *i)
{
	return mem_write_try(v, SEG(0), EAB(0), 4, GPR(1));
}

static inline bool mov_rr_do(struct vcpu *v, const struct insn *i)
{
	GPR(0) = GPR(1);
	return true;
}

static inline bool lea_do(struct vcpu *v, const struct insn *i)
{
	GPR(0) = EA(1);
	return true;
}

static inline bool movzx_r2_do(struct vcpu *v, const struct insn *i)
{
	GPR(0) = GPR(1) & 0xffff;
	return true;
}

/* ADD SUB CMP: the lazy flags as ops_fast_alu.c records them (no carry-in). */
static inline bool add_rr_do(struct vcpu *v, const struct insn *i)
{
	uint32_t d = GPR(0), s = GPR(1), r = d + s;
	GPR(0) = r;
	flags_set(v, LF_ADD, 4, r, d, s);
	return true;
}

static inline bool add_ri_do(struct vcpu *v, const struct insn *i)
{
	uint32_t d = GPR(0), s = i->op[1].val, r = d + s;
	GPR(0) = r;
	flags_set(v, LF_ADD, 4, r, d, s);
	return true;
}

static inline bool sub_rr_do(struct vcpu *v, const struct insn *i)
{
	uint32_t d = GPR(0), s = GPR(1), r = d - s;
	GPR(0) = r;
	flags_set(v, LF_SUB, 4, r, d, s);
	return true;
}

static inline bool cmp_rr_do(struct vcpu *v, const struct insn *i)
{
	uint32_t d = GPR(0), s = GPR(1);
	flags_set(v, LF_SUB, 4, d - s, d, s);
	return true;
}

/* IMUL r32, r32 and SHR r32, imm/CL as imul_rr4 and shr_r4 (ops_fast.c). */
static inline bool imul_rr_do(struct vcpu *v, const struct insn *i)
{
	int64_t r = (int64_t)(int32_t)GPR(0) * (int32_t)GPR(1);
	GPR(0) = (uint32_t)r;
	v->lf.op = LF_IMUL32;
	v->lf.size = 4;
	v->lf.res = (uint32_t)r;
	v->lf.dst = r != (int64_t)(int32_t)r;
	return true;
}

static inline bool shr_do(struct vcpu *v, const struct insn *i)
{
	uint32_t count = (i->op[1].kind == OPK_IMM ? i->op[1].val : v->s->gpr[R_ECX]) & 0x1f;
	if (count) {
		uint32_t d = GPR(0), r = d >> count;
		GPR(0) = r;
		flags_set(v, LF_SHR32, 4, r, d, count);
	}
	return true;
}

/* X(name) for every form, in the order of enum fuse_form. */
#define FUSE_FORMS(X) X(mov_rb) X(mov_rm) X(mov_br) X(mov_rr) X(lea) X(movzx_r2) \
		      X(add_rr) X(add_ri) X(sub_rr) X(cmp_rr) X(imul_rr) X(shr)

enum fuse_form {
#define FORM_ENUM(n) F_##n,
	FUSE_FORMS(FORM_ENUM)
	F_NONE
};

/* --- the pairs ------------------------------------------------------------ */

/* The first instruction of a pair missed the TLB: its own handler runs it. */
static __attribute__((noinline, cold)) void fuse_first_slow(struct vcpu *v, const struct insn *i)
{
	ops_fast_select(i)(v, i);
}

#define PAIR(a, b)                                                                       \
static void pair_##a##_##b(struct vcpu *v, const struct insn *i)                          \
{                                                                                        \
	if (__builtin_expect(!a##_do(v, i), 0)) {                                        \
		fuse_first_slow(v, i);                                                   \
		return;                                                                  \
	}                                                                                \
	const struct insn *n = i + 1;                                                    \
	if (__builtin_expect(!b##_do(v, n), 0)) {                                        \
		n->fn(v, n);                                                             \
		return;                                                                  \
	}                                                                                \
	insn_chain(v, n);                                                                \
}
#define PAIRS_WITH(a)                                                                    \
	PAIR(a, mov_rb) PAIR(a, mov_rm) PAIR(a, mov_br) PAIR(a, mov_rr) PAIR(a, lea)     \
	PAIR(a, movzx_r2) PAIR(a, add_rr) PAIR(a, add_ri) PAIR(a, sub_rr) PAIR(a, cmp_rr) \
	PAIR(a, imul_rr) PAIR(a, shr)
FUSE_FORMS(PAIRS_WITH)

#define ROW_ENTRY(a, b) pair_##a##_##b,
#define PAIR_ROW(a) {                                                                    \
	ROW_ENTRY(a, mov_rb) ROW_ENTRY(a, mov_rm) ROW_ENTRY(a, mov_br) ROW_ENTRY(a, mov_rr) \
	ROW_ENTRY(a, lea) ROW_ENTRY(a, movzx_r2) ROW_ENTRY(a, add_rr) ROW_ENTRY(a, add_ri) \
	ROW_ENTRY(a, sub_rr) ROW_ENTRY(a, cmp_rr) ROW_ENTRY(a, imul_rr) ROW_ENTRY(a, shr) },
static const insn_handler pairs[F_NONE][F_NONE] = { FUSE_FORMS(PAIR_ROW) };

/* --- choosing ------------------------------------------------------------------ */

static bool reg4(const struct operand *o)
{
	return is_reg(o, 4);
}

/*
 * The form of i, or F_NONE. The conditions are those under which
 * ops_fast_select() picks the form's specialized handler (checked again
 * in ops_fuse_bind).
 */
static enum fuse_form form_of(const struct insn *i)
{
	const struct operand *d = &i->op[0], *s = &i->op[1];
	if (i->far || i->nops != 2)
		return F_NONE;
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		if (reg4(d) && reg4(s))
			return F_mov_rr;
		if (reg4(d) && is_mem(i, s, 4))
			return is_base_only(s) ? F_mov_rb : F_mov_rm;
		if (is_mem(i, d, 4) && reg4(s) && is_base_only(d))
			return F_mov_br;
		return F_NONE;
	case ZYDIS_MNEMONIC_LEA:
		return reg4(d) && i->addrsize == 4 ? F_lea : F_NONE;
	case ZYDIS_MNEMONIC_MOVZX:
		return reg4(d) && is_reg(s, 2) ? F_movzx_r2 : F_NONE;
	case ZYDIS_MNEMONIC_ADD:
		if (i->opsize != 4 || !reg4(d))
			return F_NONE;
		return reg4(s) ? F_add_rr : is_imm(s) ? F_add_ri : F_NONE;
	case ZYDIS_MNEMONIC_SUB:
		return i->opsize == 4 && reg4(d) && reg4(s) ? F_sub_rr : F_NONE;
	case ZYDIS_MNEMONIC_CMP:
		return i->opsize == 4 && reg4(d) && reg4(s) ? F_cmp_rr : F_NONE;
	case ZYDIS_MNEMONIC_IMUL:
		return i->opsize == 4 && reg4(d) && reg4(s) ? F_imul_rr : F_NONE;
	case ZYDIS_MNEMONIC_SHR:
		if (!reg4(d))
			return F_NONE;
		return is_imm(s) || (s->kind == OPK_REG && s->size == 1 && s->reg == R_ECX) ? F_shr
											 : F_NONE;
	default:
		return F_NONE;
	}
}

void ops_fuse_bind(struct insn *insn, unsigned n)
{
	for (unsigned k = 0; k + 1 < n; k++) {
		enum fuse_form a = form_of(&insn[k]), b = form_of(&insn[k + 1]);
		if (a == F_NONE || b == F_NONE || insn[k].fn != ops_fast_select(&insn[k]) ||
		    insn[k + 1].fn != ops_fast_select(&insn[k + 1]))
			continue;
		insn[k].fn = pairs[a][b];
		k++;   /* the second of a pair keeps its own handler and starts no pair */
	}
}
