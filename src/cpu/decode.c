/*
 * decode.c - Zydis to struct insn, and the code-page generations
 * (see decode.h).
 *
 * Page generations cover the whole 4 GiB physical space (one 32-bit
 * counter per 4 KiB page, 4 MiB), so ROM and RAM are handled alike.
 */
#include "cpu/decode.h"

#include <Zydis/Zydis.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_state.h"

#define NPAGES (1u << 20)

struct decode_cache {
	ZydisDecoder dec16, dec32;
	uint32_t *page_gen;
	uint8_t *code_pages;   /* bitmap: page holds cached code */
	uint64_t epoch;        /* decode_epoch() */
};

struct decode_cache *decode_cache_create(void)
{
	struct decode_cache *dc = calloc(1, sizeof(*dc));
	if (!dc)
		return NULL;
	dc->epoch = 1;
	dc->page_gen = calloc(NPAGES, sizeof(*dc->page_gen));
	dc->code_pages = calloc(NPAGES / 8, 1);
	if (!dc->page_gen || !dc->code_pages ||
	    ZYAN_FAILED(ZydisDecoderInit(&dc->dec16, ZYDIS_MACHINE_MODE_LEGACY_16,
					 ZYDIS_STACK_WIDTH_16)) ||
	    ZYAN_FAILED(ZydisDecoderInit(&dc->dec32, ZYDIS_MACHINE_MODE_LEGACY_32,
					 ZYDIS_STACK_WIDTH_32))) {
		decode_cache_destroy(dc);
		return NULL;
	}
	return dc;
}

void decode_cache_destroy(struct decode_cache *dc)
{
	if (!dc)
		return;
	free(dc->page_gen);
	free(dc->code_pages);
	free(dc);
}

static uint8_t gpr_index(ZydisRegister r, uint8_t *size)
{
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BH) {
		*size = 1;
		return (uint8_t)(r - ZYDIS_REGISTER_AL);
	}
	if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) {
		*size = 2;
		return (uint8_t)(r - ZYDIS_REGISTER_AX);
	}
	if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) {
		*size = 4;
		return (uint8_t)(r - ZYDIS_REGISTER_EAX);
	}
	return NOREG;
}

static uint8_t addr_reg(ZydisRegister r)
{
	uint8_t size;
	return r == ZYDIS_REGISTER_NONE ? NOREG : gpr_index(r, &size);
}

static void convert_operand(const ZydisDecodedOperand *z, struct operand *o)
{
	memset(o, 0, sizeof(*o));
	o->size = (uint8_t)(z->size / 8);
	switch (z->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER: {
		ZydisRegister r = z->reg.value;
		uint8_t size;
		uint8_t g = gpr_index(r, &size);
		if (g != NOREG) {
			o->kind = OPK_REG;
			o->reg = g;
			o->size = size;
		} else if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) {
			o->kind = OPK_SREG;
			o->reg = (uint8_t)(r - ZYDIS_REGISTER_ES);
		} else if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) {
			o->kind = OPK_CR;
			o->reg = (uint8_t)(r - ZYDIS_REGISTER_CR0);
		} else if (r >= ZYDIS_REGISTER_DR0 && r <= ZYDIS_REGISTER_DR15) {
			o->kind = OPK_DR;
			o->reg = (uint8_t)(r - ZYDIS_REGISTER_DR0);
		} else if (r >= ZYDIS_REGISTER_ST0 && r <= ZYDIS_REGISTER_ST7) {
			o->kind = OPK_ST;
			o->reg = (uint8_t)(r - ZYDIS_REGISTER_ST0);
		} else {
			o->kind = OPK_OTHER;
		}
		break;
	}
	case ZYDIS_OPERAND_TYPE_MEMORY:
		o->kind = OPK_MEM;
		o->agen = z->mem.type == ZYDIS_MEMOP_TYPE_AGEN;
		o->base = addr_reg(z->mem.base);
		o->index = addr_reg(z->mem.index);
		o->scale = z->mem.scale ? z->mem.scale : 1;
		o->seg = z->mem.segment >= ZYDIS_REGISTER_ES && z->mem.segment <= ZYDIS_REGISTER_GS
				 ? (uint8_t)(z->mem.segment - ZYDIS_REGISTER_ES) : S_DS;
		o->val = (uint32_t)z->mem.disp.value;
		break;
	case ZYDIS_OPERAND_TYPE_POINTER:
		o->kind = OPK_PTR;
		o->sel = z->ptr.segment;
		o->val = z->ptr.offset;
		break;
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		o->kind = OPK_IMM;
		o->val = (uint32_t)z->imm.value.u;
		break;
	default:
		o->kind = OPK_NONE;
		break;
	}
}

static bool is_p6(ZydisISASet set)
{
	switch (set) {
	case ZYDIS_ISA_SET_I86:
	case ZYDIS_ISA_SET_I186:
	case ZYDIS_ISA_SET_I286PROTECTED:
	case ZYDIS_ISA_SET_I286REAL:
	case ZYDIS_ISA_SET_I386:
	case ZYDIS_ISA_SET_I486:
	case ZYDIS_ISA_SET_I486REAL:
	case ZYDIS_ISA_SET_PENTIUMREAL:
	case ZYDIS_ISA_SET_PPRO:
	case ZYDIS_ISA_SET_CMOV:
	case ZYDIS_ISA_SET_FCMOV:
	case ZYDIS_ISA_SET_X87:
	case ZYDIS_ISA_SET_FXSAVE:
	case ZYDIS_ISA_SET_FAT_NOP:
	case ZYDIS_ISA_SET_PAUSE:
	case ZYDIS_ISA_SET_RDPMC:
		return true;
	default:
		return false;
	}
}

int decode_insn(struct decode_cache *dc, const uint8_t *bytes, unsigned n, bool code32,
		struct insn *out)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	ZyanStatus st = ZydisDecoderDecodeFull(code32 ? &dc->dec32 : &dc->dec16, bytes, n, &zi, zo);
	if (st == ZYDIS_STATUS_NO_MORE_DATA)
		return n < 15 ? -2 : -1;
	if (ZYAN_FAILED(st))
		return -1;
	memset(out, 0, sizeof(*out));
	out->mnemonic = (uint16_t)zi.mnemonic;
	/* Without BMI1/LZCNT (this CPU model), F3 0F BC/BD are BSF/BSR with an
	 * ignored REP prefix; Linux's __ffs relies on it ("rep; bsf"). */
	/* 0F 18-0F 1F is the hint-NOP space on a P6 (newer CPUs put PREFETCHh,
	 * CLDEMOTE, ENDBR32 there): a NOP that touches no memory. */
	if (zi.opcode_map == ZYDIS_OPCODE_MAP_0F && zi.opcode >= 0x18 && zi.opcode <= 0x1f) {
		out->mnemonic = ZYDIS_MNEMONIC_NOP;
		out->len = zi.length;
		out->p6 = 1;
		return 0;
	}
	if (zi.mnemonic == ZYDIS_MNEMONIC_TZCNT || zi.mnemonic == ZYDIS_MNEMONIC_LZCNT) {
		out->mnemonic = zi.mnemonic == ZYDIS_MNEMONIC_TZCNT ? ZYDIS_MNEMONIC_BSF
								     : ZYDIS_MNEMONIC_BSR;
		zi.meta.isa_set = ZYDIS_ISA_SET_I386;
		zi.attributes &= ~(ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE);
	}
	out->len = zi.length;
	out->opsize = (uint8_t)(zi.operand_width / 8);
	out->addrsize = (uint8_t)(zi.address_width / 8);
	out->opcode = zi.opcode;
	out->modrm_reg = zi.raw.modrm.reg;
	out->modrm_rm = zi.raw.modrm.rm;
	out->modrm_mod = zi.raw.modrm.mod;
	out->p6 = is_p6(zi.meta.isa_set);
	out->far = zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
	if (zi.attributes & ZYDIS_ATTRIB_HAS_LOCK)
		out->lock = 1;
	if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
		out->rep = REP_REPE;
	else if (zi.attributes & ZYDIS_ATTRIB_HAS_REPNE)
		out->rep = REP_REPNE;
	/* The segment override prefix, or DS: the source segment of string
	 * instructions and XLAT. Explicit memory operands carry their own. */
	static const struct { ZydisInstructionAttributes attr; uint8_t seg; } overrides[] = {
		{ ZYDIS_ATTRIB_HAS_SEGMENT_ES, S_ES }, { ZYDIS_ATTRIB_HAS_SEGMENT_CS, S_CS },
		{ ZYDIS_ATTRIB_HAS_SEGMENT_SS, S_SS }, { ZYDIS_ATTRIB_HAS_SEGMENT_FS, S_FS },
		{ ZYDIS_ATTRIB_HAS_SEGMENT_GS, S_GS },
	};
	out->seg = S_DS;
	for (unsigned i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++)
		if (zi.attributes & overrides[i].attr)
			out->seg = overrides[i].seg;
	unsigned nops = zi.operand_count_visible < 3 ? zi.operand_count_visible : 3;
	out->nops = (uint8_t)nops;
	for (unsigned i = 0; i < nops; i++)
		convert_operand(&zo[i], &out->op[i]);
	/* read-modify-write: written unconditionally; of the conditional writers only
	   CMPXCHG, which writes the old value back on a mismatch (SDM). ARPL (which
	   Zydis lists as read-write) reads first and writes only when it adjusts: a
	   fault there says "read" (the host CPU's, seen by fuzz_direct). */
	out->rmw = nops && zo[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		   (zo[0].actions & ZYDIS_OPERAND_ACTION_MASK_READ) &&
		   ((zo[0].actions & ZYDIS_OPERAND_ACTION_WRITE) ||
		    zi.mnemonic == ZYDIS_MNEMONIC_CMPXCHG) &&
		   zi.mnemonic != ZYDIS_MNEMONIC_ARPL;
	return 0;
}

const uint32_t *decode_page_gens(const struct decode_cache *dc)
{
	return dc->page_gen;
}

bool decode_page_has_code(const struct decode_cache *dc, uint32_t paddr_page)
{
	uint32_t p = paddr_page >> 12;
	return dc->code_pages[p / 8] & (1u << (p % 8));
}

bool decode_mark_code(struct decode_cache *dc, uint32_t paddr_page)
{
	uint32_t p = paddr_page >> 12;
	if (dc->code_pages[p / 8] & (1u << (p % 8)))
		return false;
	dc->code_pages[p / 8] |= (uint8_t)(1u << (p % 8));
	return true;
}

void decode_invalidate_page(struct decode_cache *dc, uint32_t paddr_page)
{
	uint32_t p = paddr_page >> 12;
	dc->page_gen[p]++;
	dc->epoch++;
	dc->code_pages[p / 8] &= (uint8_t)~(1u << (p % 8));
}

const uint64_t *decode_epoch(const struct decode_cache *dc)
{
	return &dc->epoch;
}

void decode_bump_epoch(struct decode_cache *dc)
{
	dc->epoch++;
}

const char *decode_mnemonic_name(uint16_t mnemonic)
{
	const char *s = ZydisMnemonicGetString((ZydisMnemonic)mnemonic);
	return s ? s : "?";
}
