/*
 * emit.h - the translator's internals: a byte emitter into the RW view of
 * the TC, the classification of guest instructions, and the emitters of
 * each class (classify.c, ident.c, rewrite.c; translate.c drives them).
 *
 * Host encodings written by hand here (64-bit mode, r15 = struct bt_ctx):
 *   44 8B 2D rel32          mov r13d, [rip+poll]     (block prologue)
 *   41 C7 47 d8 imm32       mov dword [r15+d8], imm32
 *   4C 8D 35 rel32          lea r14, [rip+rel32]
 *   E9 rel32 / 0F 8x rel32  jmp / jcc
 *   67 8D 64 24 d8          lea esp, [esp+d8]        (67: the 32-bit address wraps)
 */
#ifndef SOFTVT_BT_EMIT_H
#define SOFTVT_BT_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "bt/tc_internal.h"
#include "bt/translate.h"

#define BT_MAX_INSNS 48   /* guest instructions per block */
#define BT_MAX_INSN_BYTES 320   /* host code of one guest instruction, at most (POPF ~200) */

struct emitter {
	uint8_t *start, *p, *end;   /* RW view */
	uint64_t rx;                /* RX address of start */
	bool overflow;
};

static inline uint64_t emit_rx(const struct emitter *e)
{
	return e->rx + (uint64_t)(e->p - e->start);
}

static inline void emit_bytes(struct emitter *e, const void *b, size_t n)
{
	if (e->p + n > e->end) {
		e->overflow = true;
		return;
	}
	memcpy(e->p, b, n);
	e->p += n;
}

static inline void emit_u8(struct emitter *e, uint8_t b)
{
	emit_bytes(e, &b, 1);
}

static inline void emit_u32(struct emitter *e, uint32_t x)
{
	emit_bytes(e, &x, 4);
}

/* A rel32 field that makes the instruction ending right after it go to target. */
static inline void emit_rel32(struct emitter *e, uint64_t target)
{
	emit_u32(e, (uint32_t)(int32_t)(int64_t)(target - (emit_rx(e) + 4)));
}

/* mov dword [r15+off], imm32 (off < 128) */
static inline void emit_ctx_store_imm(struct emitter *e, uint8_t off, uint32_t imm)
{
	const uint8_t op[4] = { 0x41, 0xc7, 0x47, off };
	emit_bytes(e, op, 4);
	emit_u32(e, imm);
}

/* lea esp, [esp+d] with the 32-bit address size: ESP wraps like on the guest */
static inline void emit_lea_esp(struct emitter *e, int32_t d)
{
	if (d >= -128 && d < 128) {
		const uint8_t op[5] = { 0x67, 0x8d, 0x64, 0x24, (uint8_t)d };
		emit_bytes(e, op, 5);
	} else {
		const uint8_t op[4] = { 0x67, 0x8d, 0xa4, 0x24 };
		emit_bytes(e, op, 4);
		emit_u32(e, (uint32_t)d);
	}
}

/* How a guest instruction is translated. */
enum bt_class {
	BT_IDENT,       /* re-encoded for 64-bit mode with 32-bit addressing */
	BT_PUSH, BT_POP, BT_LEAVE,
	BT_CALL_REL, BT_CALL_IND, BT_RET, BT_JMP_REL, BT_JMP_IND, BT_JCC, BT_JECXZ, BT_LOOP,
	BT_CLI, BT_STI, BT_PUSHF, BT_POPF,   /* inline on the virtual flags (sensitive.c) */
	BT_CALLOUT,     /* IN OUT RDTSC CPUID: a call of bt_callout() (in->callout_op) */
	BT_SREG,        /* PUSH Sreg, MOV r/m, Sreg: the selector from ctx->sel (rewrite.c) */
	BT_EXIT,        /* leaves the TC: BT_EXIT_INTERP before it */
};

_Static_assert(BT_EXIT + 1 == BT_NCLASSES && BT_IDENT == BT_CLASS_IDENT &&
	       BT_EXIT == BT_CLASS_EXIT, "translate.h class count");

static inline bool bt_class_ends_block(enum bt_class c)
{
	return c >= BT_CALL_REL && c <= BT_LOOP;
}

struct bt_insn {
	ZydisDecodedInstruction d;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint32_t eip;                     /* guest linear address */
	ZydisInstructionAttributes seg;   /* host segment prefix for its memory operands */
	uint32_t callout_op;              /* BT_CALLOUT: the operation (ctx.h) */
};

/* classify.c */
enum bt_class bt_classify(struct bt_insn *in, const struct bt_mode *mode);
unsigned bt_gpr_id(ZydisRegister r);   /* EAX..EDI (any width) -> 0..7 */
int bt_sreg_index(ZydisRegister r);    /* ES..GS -> enum seg_reg (ES CS SS DS FS GS), else -1 */

/* ident.c: Zydis re-encoding; false if the encoder refuses (the caller exits) */
bool bt_encode(struct emitter *e, ZydisEncoderRequest *req, bool has_mem);
bool bt_emit_ident(struct emitter *e, const struct bt_insn *in);
/* mov reg <-> guest memory operand mem (store: mem = reg), disp adjusted by adj */
bool bt_emit_mem_mov(struct emitter *e, bool store, ZydisRegister reg,
		     const ZydisDecodedOperand *mem, ZydisInstructionAttributes seg, int32_t adj);

/* rewrite.c: stack operations; the control transfers leave r14d = target */
bool bt_emit_push(struct emitter *e, const struct bt_insn *in);
bool bt_emit_pop(struct emitter *e, const struct bt_insn *in);
bool bt_emit_leave(struct emitter *e, const struct bt_insn *in);
bool bt_emit_push_imm32(struct emitter *e, uint32_t value);
bool bt_emit_load_target(struct emitter *e, const struct bt_insn *in);
bool bt_emit_ret_pop(struct emitter *e, const struct bt_insn *in);
bool bt_emit_sreg_read(struct emitter *e, const struct bt_insn *in);

/* sensitive.c: the virtual system flags and callouts */
void bt_emit_cli(struct emitter *e);
void bt_emit_sti(struct emitter *e, const struct tc *tc, uint32_t next);
bool bt_emit_pushf(struct emitter *e, const struct bt_insn *in);
bool bt_emit_popf(struct emitter *e, const struct tc *tc, const struct bt_insn *in);
void bt_emit_callout(struct emitter *e, const struct tc *tc, uint32_t next, uint32_t op);

#endif
