/*
 * ident.c - IDENT translation: a guest instruction re-encoded by Zydis for
 * 64-bit mode, same mnemonic and operands, with the 32-bit address size
 * (0x67) on every memory access so that the effective address wraps at
 * 4 GiB as on the guest and lands in the guest window.
 *
 * Two encodings need care. An absolute [disp32] operand has no 32-bit
 * register, so the encoder would emit it without 0x67 (the SIB no-base
 * form, sign-extended in 64-bit mode: [0x80001000] would become
 * 0xFFFFFFFF80001000); bt_encode() inserts the 0x67 then (the legacy
 * prefixes may come in any order; no REX is ever needed before it since
 * it goes first). INC/DEC 0x40-0x4F are REX prefixes in 64-bit mode: the
 * encoder picks the FF /0 and FF /1 forms by itself.
 */
#include "bt/emit.h"

#define SEG_ATTRS (ZYDIS_ATTRIB_HAS_SEGMENT_CS | ZYDIS_ATTRIB_HAS_SEGMENT_SS | \
		   ZYDIS_ATTRIB_HAS_SEGMENT_DS | ZYDIS_ATTRIB_HAS_SEGMENT_ES | \
		   ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS)

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e: case 0x26:
	case 0x64: case 0x65: case 0x66: case 0x67:
		return true;
	default:
		return false;
	}
}

bool bt_encode(struct emitter *e, ZydisEncoderRequest *req, bool has_mem)
{
	uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH + 1];
	ZyanUSize len = ZYDIS_MAX_INSTRUCTION_LENGTH;
	req->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	if (has_mem)
		req->address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
	if (ZYAN_FAILED(ZydisEncoderEncodeInstruction(req, buf + 1, &len)))
		return false;
	uint8_t *out = buf + 1;
	if (has_mem) {
		bool has67 = false;
		for (ZyanUSize k = 0; k < len && is_legacy_prefix(out[k]); k++)
			has67 |= out[k] == 0x67;
		if (!has67) {
			*--out = 0x67;
			len++;
		}
	}
	emit_bytes(e, out, len);
	return !e->overflow;
}

static bool has_memory(const ZydisDecodedInstruction *d, const ZydisDecodedOperand *ops)
{
	for (unsigned k = 0; k < d->operand_count; k++)
		if (ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY)
			return true;
	return false;
}

bool bt_emit_ident(struct emitter *e, const struct bt_insn *in)
{
	ZydisEncoderRequest req;
	if (ZYAN_FAILED(ZydisEncoderDecodedInstructionToEncoderRequest(&in->d, in->ops,
			in->d.operand_count_visible, &req)))
		return false;
	req.prefixes = (req.prefixes & ~(ZydisInstructionAttributes)SEG_ATTRS) | in->seg;
	return bt_encode(e, &req, has_memory(&in->d, in->ops));
}

bool bt_emit_mem_mov(struct emitter *e, bool store, ZydisRegister reg,
		     const ZydisDecodedOperand *mem, ZydisInstructionAttributes seg, int32_t adj)
{
	ZydisEncoderRequest req;
	memset(&req, 0, sizeof(req));
	req.mnemonic = ZYDIS_MNEMONIC_MOV;
	req.prefixes = seg;
	req.operand_count = 2;
	ZydisEncoderOperand *r = &req.operands[store ? 1 : 0];
	ZydisEncoderOperand *m = &req.operands[store ? 0 : 1];
	r->type = ZYDIS_OPERAND_TYPE_REGISTER;
	r->reg.value = reg;
	m->type = ZYDIS_OPERAND_TYPE_MEMORY;
	m->mem.base = mem->mem.base;
	m->mem.index = mem->mem.index;
	m->mem.scale = mem->mem.index == ZYDIS_REGISTER_NONE ? 0 : mem->mem.scale;
	m->mem.displacement = (int32_t)((uint32_t)mem->mem.disp.value + (uint32_t)adj);
	m->mem.size = mem->size / 8;
	return bt_encode(e, &req, true);
}
