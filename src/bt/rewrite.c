/*
 * rewrite.c - guest instructions whose 64-bit form would use the 64-bit
 * stack (PUSH, POP, LEAVE, CALL, RET): rewritten on the 32-bit guest ESP
 * held in rsp, always with 32-bit addresses (0x67) so that ESP wraps.
 *
 * Precise faults: the store (or load) that may fault comes first, ESP and
 * the destination register are written after it, so a host fault inside
 * the sequence leaves the registers of the guest instruction's start.
 *   PUSH src     mov [esp-n], src   (memory src: through r8)   lea esp, [esp-n]
 *   POP reg      mov reg, [esp]                                lea esp, [esp+n]
 *   POP ESP      mov esp, [esp]     (ESP is the value popped)
 *   POP mem      mov r8, [esp]; mov mem', r8; lea esp, [esp+n]
 *                (mem' uses ESP+n when ESP is its base: SDM vol. 2B POP)
 *   LEAVE        mov r8d, [ebp]; lea esp, [ebp+4]; mov ebp, r8d
 *   RET imm      mov r14d, [esp]; lea esp, [esp+4+imm]   then the lookup stub
 *   CALL/JMP r/m mov r14d, r/m (before the push, so [esp+x] is the old ESP)
 * PUSH ESP pushes the value before the decrement, as the SDM says, which
 * `mov [esp-4], esp` does by itself.
 *
 * Segment register reads take the selector from ctx->sel (exact whenever
 * translated code runs: the dispatcher copies it in, nothing in the TC loads
 * a segment register):
 *   PUSH Sreg (32)   mov r8d, [esp-4]; mov r8w, sel; mov [esp-4], r8d; lea esp, [esp-4]
 *                    (only the low 16 bits change, the upper half is written back as
 *                    it was: the interpreter's rule, allowed by SDM vol. 2B PUSH for
 *                    P6 and later; the store still faults on a read-only slot)
 *   PUSH Sreg (16)   mov r8w, sel; mov [esp-2], r8w; lea esp, [esp-2]
 *   MOV r32, Sreg    movzx r32, sel   (the upper half cleared, P6 and later)
 *   MOV r16, Sreg    mov r16, sel
 *   MOV m16, Sreg    mov r8w, sel; mov m16', r8w
 */
#include "bt/emit.h"

static ZydisRegister scratch(unsigned size)
{
	return size == 2 ? ZYDIS_REGISTER_R8W : ZYDIS_REGISTER_R8D;
}

static ZydisDecodedOperand esp_mem(int32_t disp, unsigned size)
{
	ZydisDecodedOperand m;
	memset(&m, 0, sizeof(m));
	m.type = ZYDIS_OPERAND_TYPE_MEMORY;
	m.size = (ZyanU16)(size * 8);
	m.mem.base = ZYDIS_REGISTER_ESP;
	m.mem.index = ZYDIS_REGISTER_NONE;
	m.mem.disp.has_displacement = disp != 0;
	m.mem.disp.value = disp;
	return m;
}

/* mov {word,dword} [esp+disp], imm */
static bool store_imm(struct emitter *e, int32_t disp, unsigned size, uint32_t imm)
{
	ZydisEncoderRequest req;
	memset(&req, 0, sizeof(req));
	req.mnemonic = ZYDIS_MNEMONIC_MOV;
	req.operand_count = 2;
	req.operands[0].type = ZYDIS_OPERAND_TYPE_MEMORY;
	req.operands[0].mem.base = ZYDIS_REGISTER_ESP;
	req.operands[0].mem.displacement = disp;
	req.operands[0].mem.size = (ZyanU16)size;
	req.operands[1].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	/* the encoder wants the value as the CPU sign-extends it (0xFFFFFFFF is -1) */
	req.operands[1].imm.s = size == 2 ? (int16_t)imm : (int32_t)imm;
	return bt_encode(e, &req, true);
}

bool bt_emit_push_imm32(struct emitter *e, uint32_t value)
{
	if (!store_imm(e, -4, 4, value))
		return false;
	emit_lea_esp(e, -4);
	return !e->overflow;
}

bool bt_emit_push(struct emitter *e, const struct bt_insn *in)
{
	unsigned size = in->d.operand_width / 8;
	const ZydisDecodedOperand *src = &in->ops[0];
	ZydisDecodedOperand slot = esp_mem(-(int32_t)size, size);
	switch (src->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		if (!bt_emit_mem_mov(e, true, src->reg.value, &slot, 0, 0))
			return false;
		break;
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		if (!store_imm(e, -(int32_t)size, size, (uint32_t)src->imm.value.s))
			return false;
		break;
	case ZYDIS_OPERAND_TYPE_MEMORY:
		if (!bt_emit_mem_mov(e, false, scratch(size), src, in->seg, 0) ||
		    !bt_emit_mem_mov(e, true, scratch(size), &slot, 0, 0))
			return false;
		break;
	default:
		return false;
	}
	emit_lea_esp(e, -(int32_t)size);
	return !e->overflow;
}

bool bt_emit_pop(struct emitter *e, const struct bt_insn *in)
{
	unsigned size = in->d.operand_width / 8;
	const ZydisDecodedOperand *dst = &in->ops[0];
	ZydisDecodedOperand top = esp_mem(0, size);
	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (!bt_emit_mem_mov(e, false, dst->reg.value, &top, 0, 0))
			return false;
		if (dst->reg.value != ZYDIS_REGISTER_ESP)
			emit_lea_esp(e, (int32_t)size);
		return !e->overflow;
	}
	if (dst->type != ZYDIS_OPERAND_TYPE_MEMORY)
		return false;
	int32_t adj = dst->mem.base == ZYDIS_REGISTER_ESP ? (int32_t)size : 0;
	if (!bt_emit_mem_mov(e, false, scratch(size), &top, 0, 0) ||
	    !bt_emit_mem_mov(e, true, scratch(size), dst, in->seg, adj))
		return false;
	emit_lea_esp(e, (int32_t)size);
	return !e->overflow;
}

bool bt_emit_leave(struct emitter *e, const struct bt_insn *in)
{
	static const uint8_t seq[] = {
		0x67, 0x44, 0x8b, 0x45, 0x00,   /* mov r8d, [ebp] */
		0x67, 0x8d, 0x65, 0x04,         /* lea esp, [ebp+4] */
		0x44, 0x89, 0xc5,               /* mov ebp, r8d */
	};
	emit_bytes(e, seq, sizeof(seq));
	return !e->overflow;
}

bool bt_emit_load_target(struct emitter *e, const struct bt_insn *in)
{
	const ZydisDecodedOperand *op = &in->ops[0];
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		/* mov r14d, r32 */
		const uint8_t seq[3] = { 0x41, 0x89, (uint8_t)(0xc6 | bt_gpr_id(op->reg.value) << 3) };
		emit_bytes(e, seq, 3);
		return !e->overflow;
	}
	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
		return false;
	return bt_emit_mem_mov(e, false, ZYDIS_REGISTER_R14D, op, in->seg, 0);
}

bool bt_emit_ret_pop(struct emitter *e, const struct bt_insn *in)
{
	static const uint8_t load[] = { 0x67, 0x44, 0x8b, 0x34, 0x24 };   /* mov r14d, [esp] */
	uint32_t imm = in->d.operand_count_visible > 0 &&
		       in->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ?
		       (uint16_t)in->ops[0].imm.value.u : 0;
	emit_bytes(e, load, sizeof(load));
	emit_lea_esp(e, (int32_t)(4 + imm));
	return !e->overflow;
}

/* [REX] op ModRM(mod 10, reg, rm r15) disp32 -> ctx->sel[s]; rex: 0x41 | REX.R etc. */
static void ctx_sel_op(struct emitter *e, bool osz, uint8_t rex, uint8_t op0, int op1,
		       unsigned reg, int s)
{
	if (osz)
		emit_u8(e, 0x66);
	emit_u8(e, rex);
	emit_u8(e, op0);
	if (op1 >= 0)
		emit_u8(e, (uint8_t)op1);
	emit_u8(e, (uint8_t)(0x87 | (reg & 7) << 3));
	emit_u32(e, BT_CTX_SEL + 2 * (uint32_t)s);
}

bool bt_emit_sreg_read(struct emitter *e, const struct bt_insn *in)
{
	const ZydisDecodedOperand *dst = &in->ops[0];
	if (in->d.mnemonic == ZYDIS_MNEMONIC_PUSH) {
		int s = bt_sreg_index(in->ops[0].reg.value);
		if (s < 0)
			return false;
		if (in->d.operand_width == 32) {
			static const uint8_t load[] = { 0x67, 0x44, 0x8b, 0x44, 0x24, 0xfc };  /* mov r8d, [esp-4] */
			static const uint8_t store[] = { 0x67, 0x44, 0x89, 0x44, 0x24, 0xfc }; /* mov [esp-4], r8d */
			emit_bytes(e, load, sizeof(load));
			ctx_sel_op(e, true, 0x45, 0x8b, -1, 0, s);   /* mov r8w, [r15+sel] */
			emit_bytes(e, store, sizeof(store));
			emit_lea_esp(e, -4);
		} else {
			static const uint8_t store[] = { 0x67, 0x66, 0x44, 0x89, 0x44, 0x24, 0xfe }; /* mov [esp-2], r8w */
			ctx_sel_op(e, true, 0x45, 0x8b, -1, 0, s);
			emit_bytes(e, store, sizeof(store));
			emit_lea_esp(e, -2);
		}
		return !e->overflow;
	}
	int s = bt_sreg_index(in->ops[1].reg.value);
	if (s < 0)
		return false;
	if (dst->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		ctx_sel_op(e, true, 0x45, 0x8b, -1, 0, s);   /* mov r8w, [r15+sel] */
		if (!bt_emit_mem_mov(e, true, ZYDIS_REGISTER_R8W, dst, in->seg, 0))
			return false;
		return !e->overflow;
	}
	unsigned r = bt_gpr_id(dst->reg.value);
	if (ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_GPR32)
		ctx_sel_op(e, false, 0x41, 0x0f, 0xb7, r, s);   /* movzx r32, word [r15+sel] */
	else
		ctx_sel_op(e, true, 0x41, 0x8b, -1, r, s);      /* mov r16, [r15+sel] */
	return !e->overflow;
}
