/*
 * classify.c - what the translator does with one guest instruction
 * (enum bt_class in emit.h), and the host segment prefix of its memory
 * operands.
 *
 * IDENT: integer instructions whose 64-bit encoding with the 0x67
 * address-size prefix means the same thing on the guest registers held in
 * the low halves of rax..rdi/rsp (ALU, moves, bit operations, shifts,
 * multiply/divide, string operations, flag operations). Their operands may
 * only be general-purpose registers and memory. Rewritten: PUSH/POP/LEAVE
 * (the 32-bit stack) and near control transfers. CLI STI PUSHF POPF run
 * inline on the virtual flags, IN OUT RDTSC CPUID as callouts
 * (sensitive.c). Everything else - the other system and sensitive
 * instructions, far transfers, segment registers, x87/MMX/SSE, BCD,
 * PUSHA/POPA/ENTER, 16-bit addressing, 16-bit branch targets - leaves the
 * TC (BT_EXIT). Reads of a segment register's selector (PUSH Sreg, MOV r/m,
 * Sreg) are SREG: they take it from the copy in the ctx (rewrite.c); MOV
 * DS/ES/FS/GS, r at CPL 0 is a callout (segload.c); the other loads leave
 * the TC.
 *
 * LFENCE/MFENCE/SFENCE are IDENT too where the model shows SSE2 (mode->fences).
 *
 * At CPL 3 (--user bt) only CPUID is run by the TC of these; the others
 * depend on IOPL, the I/O bitmap or CR4.TSD and leave it.
 *
 * Segments (guest code is flat): CS/DS/ES/SS overrides are
 * dropped (except a write through CS, which is #GP(0) on the guest), an
 * FS-relative operand gets the host GS prefix (the host GS base is the
 * guest FS base inside the TC) when mode->fs_ok and leaves the TC
 * otherwise (a null FS in user mode), a GS-relative one is flat
 * when mode->gs_flat and leaves the TC otherwise.
 */
#include "bt/emit.h"


unsigned bt_gpr_id(ZydisRegister r)
{
	return (unsigned)ZydisRegisterGetId(r) & 7;
}

static bool is_ident(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SBB: case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_TEST:
	case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_NOT:
	case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_LEA: case ZYDIS_MNEMONIC_XCHG: case ZYDIS_MNEMONIC_CMPXCHG:
	case ZYDIS_MNEMONIC_CMPXCHG8B: case ZYDIS_MNEMONIC_XADD: case ZYDIS_MNEMONIC_BSWAP:
	case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR: case ZYDIS_MNEMONIC_SHLD:
	case ZYDIS_MNEMONIC_SHRD:
	case ZYDIS_MNEMONIC_MUL: case ZYDIS_MNEMONIC_IMUL: case ZYDIS_MNEMONIC_DIV:
	case ZYDIS_MNEMONIC_IDIV:
	case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS: case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC: case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR:
	case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETL:
	case ZYDIS_MNEMONIC_SETLE: case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE:
	case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETNLE: case ZYDIS_MNEMONIC_SETNO:
	case ZYDIS_MNEMONIC_SETNP: case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETNZ:
	case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETS:
	case ZYDIS_MNEMONIC_SETZ:
	case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVL:
	case ZYDIS_MNEMONIC_CMOVLE: case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
	case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE: case ZYDIS_MNEMONIC_CMOVNO:
	case ZYDIS_MNEMONIC_CMOVNP: case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVNZ:
	case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVS:
	case ZYDIS_MNEMONIC_CMOVZ:
	case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE: case ZYDIS_MNEMONIC_CWD:
	case ZYDIS_MNEMONIC_CDQ:
	case ZYDIS_MNEMONIC_CLC: case ZYDIS_MNEMONIC_STC: case ZYDIS_MNEMONIC_CMC:
	case ZYDIS_MNEMONIC_CLD: case ZYDIS_MNEMONIC_STD: case ZYDIS_MNEMONIC_SAHF:
	case ZYDIS_MNEMONIC_LAHF: case ZYDIS_MNEMONIC_NOP: case ZYDIS_MNEMONIC_PAUSE:
	case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
	case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD:
	case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
	case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD:
	case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD:
	case ZYDIS_MNEMONIC_XLAT:
		return true;
	default:
		return false;
	}
}

static bool is_jcc(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JL:
	case ZYDIS_MNEMONIC_JLE: case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JNBE:
	case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JNLE: case ZYDIS_MNEMONIC_JNO:
	case ZYDIS_MNEMONIC_JNP: case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JNZ:
	case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JS:
	case ZYDIS_MNEMONIC_JZ:
		return true;
	default:
		return false;
	}
}

/* Operands: general registers, memory, immediates, and the implicit flags/EIP only. */
static bool operands_plain(const struct bt_insn *in)
{
	for (unsigned k = 0; k < in->d.operand_count; k++) {
		const ZydisDecodedOperand *op = &in->ops[k];
		if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
			continue;
		switch (ZydisRegisterGetClass(op->reg.value)) {
		case ZYDIS_REGCLASS_GPR8:
		case ZYDIS_REGCLASS_GPR16:
		case ZYDIS_REGCLASS_GPR32:
		case ZYDIS_REGCLASS_FLAGS:
		case ZYDIS_REGCLASS_IP:
			break;
		default:
			return false;
		}
	}
	return true;
}

/* Host segment prefix for the memory operands; false if they must be interpreted. */
static bool segment_prefix(struct bt_insn *in, const struct bt_mode *mode)
{
	in->seg = 0;
	if (in->d.mnemonic == ZYDIS_MNEMONIC_LEA || in->d.mnemonic == ZYDIS_MNEMONIC_NOP)
		return true;   /* no memory access */
	for (unsigned k = 0; k < in->d.operand_count; k++) {
		const ZydisDecodedOperand *op = &in->ops[k];
		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		if (op->mem.segment == ZYDIS_REGISTER_FS && !mode->fs_ok)
			return false;   /* null or unusable FS: #GP from the interpreter */
		if (op->mem.segment == ZYDIS_REGISTER_FS)
			in->seg = ZYDIS_ATTRIB_HAS_SEGMENT_GS;
		else if (op->mem.segment == ZYDIS_REGISTER_CS &&
			 (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			return false;   /* a write through CS is #GP(0): the interpreter raises it */
		else if (op->mem.segment == ZYDIS_REGISTER_GS && !mode->gs_flat)
			return false;
	}
	return true;
}

/*
 * Sensitive instructions the TC runs itself (at CPL 0, which the
 * dispatcher guarantees): CLI/STI/PUSHF/POPF inline on the virtual flags,
 * IN/OUT/RDTSC/CPUID through a callout. Under the lockstep check (one
 * instruction per block, run by the interpreter first) the callouts with
 * side effects or time-dependent results stay in the interpreter, or they
 * would run twice. BT_EXIT when the instruction is not one of them.
 */
static enum bt_class sensitive_class(struct bt_insn *in, const struct bt_mode *mode)
{
	const ZydisDecodedInstruction *d = &in->d;
	unsigned size;
	if (mode->user && d->mnemonic != ZYDIS_MNEMONIC_CPUID)
		return BT_EXIT;   /* CPL 3: IOPL, the I/O bitmap and CR4.TSD decide: interpreter */
	switch (d->mnemonic) {
	case ZYDIS_MNEMONIC_CLI:
		return BT_CLI;
	case ZYDIS_MNEMONIC_STI:
		return BT_STI;
	case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
		return BT_PUSHF;
	case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
		return BT_POPF;
	case ZYDIS_MNEMONIC_CPUID:
		in->callout_op = BT_CO_CPUID;
		return BT_CALLOUT;
	case ZYDIS_MNEMONIC_RDTSC:
		in->callout_op = BT_CO_RDTSC;
		return mode->single ? BT_EXIT : BT_CALLOUT;
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_OUT: {
		bool out = d->mnemonic == ZYDIS_MNEMONIC_OUT;
		const ZydisDecodedOperand *data = &in->ops[out ? 1 : 0], *port = &in->ops[out ? 0 : 1];
		size = data->size / 8;
		if (mode->single || data->type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    (size != 1 && size != 2 && size != 4))
			return BT_EXIT;
		in->callout_op = (out ? BT_CO_OUT : BT_CO_IN) | size << 4;
		if (port->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			in->callout_op |= (uint32_t)(port->imm.value.u & 0xff) << 16;
		else
			in->callout_op |= BT_CO_DX;
		return BT_CALLOUT;
	}
	default:
		return BT_EXIT;
	}
}

const char *bt_class_name(unsigned c)
{
	static const char *const names[BT_NCLASSES] = {
		[BT_IDENT] = "ident", [BT_PUSH] = "push", [BT_POP] = "pop", [BT_LEAVE] = "leave",
		[BT_CALL_REL] = "call_rel", [BT_CALL_IND] = "call_ind", [BT_RET] = "ret",
		[BT_JMP_REL] = "jmp_rel", [BT_JMP_IND] = "jmp_ind", [BT_JCC] = "jcc",
		[BT_JECXZ] = "jecxz", [BT_LOOP] = "loop", [BT_CLI] = "cli", [BT_STI] = "sti",
		[BT_PUSHF] = "pushf", [BT_POPF] = "popf", [BT_CALLOUT] = "callout",
		[BT_SREG] = "sreg",
		[BT_EXIT] = "exit",
	};
	return c < BT_NCLASSES ? names[c] : NULL;
}

int bt_sreg_index(ZydisRegister r)
{
	switch (r) {
	case ZYDIS_REGISTER_ES: return 0;
	case ZYDIS_REGISTER_CS: return 1;
	case ZYDIS_REGISTER_SS: return 2;
	case ZYDIS_REGISTER_DS: return 3;
	case ZYDIS_REGISTER_FS: return 4;
	case ZYDIS_REGISTER_GS: return 5;
	default: return -1;
	}
}

static bool is_sreg(const ZydisDecodedOperand *op)
{
	return op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	       ZydisRegisterGetClass(op->reg.value) == ZYDIS_REGCLASS_SEGMENT;
}

/*
 * Reads of a segment register that only need its selector: PUSH Sreg and
 * MOV r/m, Sreg (the Linux kernel's entry paths save DS/ES/FS/GS this way).
 * Loads (POP Sreg, MOV Sreg, r/m) stay with the interpreter.
 */
static bool is_sreg_read(const struct bt_insn *in)
{
	const ZydisDecodedInstruction *d = &in->d;
	if (d->mnemonic == ZYDIS_MNEMONIC_PUSH)
		return is_sreg(&in->ops[0]) && (d->operand_width == 16 || d->operand_width == 32);
	if (d->mnemonic != ZYDIS_MNEMONIC_MOV || !is_sreg(&in->ops[1]))
		return false;
	const ZydisDecodedOperand *dst = &in->ops[0];
	if (dst->type == ZYDIS_OPERAND_TYPE_MEMORY)
		return dst->size == 16;
	return dst->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	       (ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_GPR32 ||
		ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_GPR16);
}

/*
 * MOV DS/ES/FS/GS, r16/r32 at CPL 0: a callout (bt/segload.c) that loads
 * the segment when that is simple and keeps the TC's mode, and otherwise
 * leaves to the interpreter at the MOV.
 */
static bool segload_class(struct bt_insn *in, const struct bt_mode *mode)
{
	const ZydisDecodedOperand *dst = &in->ops[0], *src = &in->ops[1];
	if (mode->user || in->d.mnemonic != ZYDIS_MNEMONIC_MOV || !is_sreg(dst) ||
	    src->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return false;
	ZydisRegisterClass rc = ZydisRegisterGetClass(src->reg.value);
	int sr = bt_sreg_index(dst->reg.value);
	if ((rc != ZYDIS_REGCLASS_GPR16 && rc != ZYDIS_REGCLASS_GPR32) ||
	    (sr != 0 && sr != 3 && sr != 4 && sr != 5))
		return false;
	in->callout_op = BT_CO_SEGLOAD | (uint32_t)sr << 4 | bt_gpr_id(src->reg.value) << 8 |
			 (uint32_t)in->d.length << 16;
	return true;
}

enum bt_class bt_classify(struct bt_insn *in, const struct bt_mode *mode)
{
	const ZydisDecodedInstruction *d = &in->d;
	ZydisMnemonic m = d->mnemonic;
	if (d->address_width != 32 || d->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
		return BT_EXIT;
	enum bt_class sc = sensitive_class(in, mode);
	if (sc != BT_EXIT)
		return sc;
	if (is_sreg_read(in))
		return segment_prefix(in, mode) ? BT_SREG : BT_EXIT;
	if (segload_class(in, mode))
		return BT_CALLOUT;
	if (!operands_plain(in) || !segment_prefix(in, mode))
		return BT_EXIT;
	if (is_ident(m))
		return BT_IDENT;
	if ((m == ZYDIS_MNEMONIC_LFENCE || m == ZYDIS_MNEMONIC_MFENCE ||
	     m == ZYDIS_MNEMONIC_SFENCE) && mode->fences)
		return BT_IDENT;   /* the kernel's barriers once the model shows SSE2 */
	if (d->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
		return BT_EXIT;
	bool op32 = d->operand_width == 32;
	switch (m) {
	case ZYDIS_MNEMONIC_PUSH:
		return BT_PUSH;
	case ZYDIS_MNEMONIC_POP:
		/* POP SP: the incremented ESP's upper half meets the loaded SP; rare */
		if (in->ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    in->ops[0].reg.value == ZYDIS_REGISTER_SP)
			return BT_EXIT;
		return BT_POP;
	case ZYDIS_MNEMONIC_LEAVE:
		return op32 ? BT_LEAVE : BT_EXIT;
	case ZYDIS_MNEMONIC_CALL:
		if (!op32)
			return BT_EXIT;
		return in->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? BT_CALL_REL : BT_CALL_IND;
	case ZYDIS_MNEMONIC_JMP:
		if (!op32)
			return BT_EXIT;
		return in->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? BT_JMP_REL : BT_JMP_IND;
	case ZYDIS_MNEMONIC_RET:
		return op32 ? BT_RET : BT_EXIT;
	case ZYDIS_MNEMONIC_JECXZ:
		return op32 ? BT_JECXZ : BT_EXIT;
	case ZYDIS_MNEMONIC_LOOP:
	case ZYDIS_MNEMONIC_LOOPE:
	case ZYDIS_MNEMONIC_LOOPNE:
		return op32 ? BT_LOOP : BT_EXIT;
	default:
		if (is_jcc(m))
			return op32 ? BT_JCC : BT_EXIT;
		return BT_EXIT;
	}
}
