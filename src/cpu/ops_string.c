/*
 * ops_string.c - string instructions MOVS, STOS, LODS, CMPS, SCAS, INS,
 * OUTS with REP/REPE/REPNE (SDM vol. 2, "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * Sources use DS (or the override) :ESI, destinations ES:EDI; ESI/EDI/ECX
 * are SI/DI/CX with a 16-bit address size. A repeated instruction runs at
 * most STRING_BATCH iterations per turn and then restarts itself, so
 * interrupts are taken between iterations and a fault leaves the
 * registers of the completed iterations (the architectural behaviour).
 */
#include <Zydis/Zydis.h>

#include "cpu/interp.h"
#include "cpu/ops_common.h"
#include "cpu/ops_system.h"

#define STRING_BATCH 4096

enum str_op { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS, STR_INS, STR_OUTS };

static inline uint32_t areg(const struct vcpu *v, const struct insn *i, int r)
{
	return i->addrsize == 2 ? v->s->gpr[r] & 0xffff : v->s->gpr[r];
}

static inline void advance(struct vcpu *v, const struct insn *i, int r, unsigned size)
{
	int32_t d = (v->s->eflags & EFL_DF) ? -(int32_t)size : (int32_t)size;
	reg_write(v->s, (unsigned)r, i->addrsize, areg(v, i, r) + (uint32_t)d);
}

/* One iteration; returns the comparison result for CMPS/SCAS (ZF). */
static bool iterate(struct vcpu *v, const struct insn *i, enum str_op op, unsigned size)
{
	struct cpu_state *s = v->s;
	uint32_t x, y;
	switch (op) {
	case STR_MOVS:
		x = vmem_read(v, i->seg, areg(v, i, R_ESI), size);
		vmem_write(v, S_ES, areg(v, i, R_EDI), size, x);
		advance(v, i, R_ESI, size);
		advance(v, i, R_EDI, size);
		return false;
	case STR_STOS:
		vmem_write(v, S_ES, areg(v, i, R_EDI), size, reg_read(s, R_EAX, size));
		advance(v, i, R_EDI, size);
		return false;
	case STR_LODS:
		reg_write(s, R_EAX, size, vmem_read(v, i->seg, areg(v, i, R_ESI), size));
		advance(v, i, R_ESI, size);
		return false;
	case STR_CMPS:
		x = vmem_read(v, i->seg, areg(v, i, R_ESI), size);
		y = vmem_read(v, S_ES, areg(v, i, R_EDI), size);
		flags_set(v, LF_SUB, size, (x - y) & size_mask(size), x, y);
		advance(v, i, R_ESI, size);
		advance(v, i, R_EDI, size);
		return x == y;
	case STR_SCAS:
		x = reg_read(s, R_EAX, size);
		y = vmem_read(v, S_ES, areg(v, i, R_EDI), size);
		flags_set(v, LF_SUB, size, (x - y) & size_mask(size), x, y);
		advance(v, i, R_EDI, size);
		return x == y;
	case STR_INS: {
		uint16_t port = (uint16_t)s->gpr[R_EDX];
		/* The destination is checked before the port is read. */
		uint32_t lin = vmem_linear(v, S_ES, areg(v, i, R_EDI), size, SEG_WRITE);
		lin_probe_write(v, lin, size, vcpu_user(v));
		lin_write(v, lin, size, io_in(v, port, size), vcpu_user(v));
		advance(v, i, R_EDI, size);
		return false;
	}
	case STR_OUTS:
		io_out(v, (uint16_t)s->gpr[R_EDX], size, vmem_read(v, i->seg, areg(v, i, R_ESI), size));
		advance(v, i, R_ESI, size);
		return false;
	}
	return false;
}

static void string_op(struct vcpu *v, const struct insn *i, enum str_op op, unsigned size)
{
	if (i->nops > 0)
		vcpu_fault_noerr(v, EXC_UD);   /* MOVSD/CMPSD with operands: the SSE2 forms */
	if (op == STR_INS || op == STR_OUTS)
		io_check(v, (uint16_t)v->s->gpr[R_EDX], size);
	if (i->rep == REP_NONE) {
		iterate(v, i, op, size);
		return;
	}
	bool compares = op == STR_CMPS || op == STR_SCAS;
	for (unsigned n = 0; n < STRING_BATCH; n++) {
		uint32_t count = areg(v, i, R_ECX);
		if (count == 0)
			return;
		bool eq = iterate(v, i, op, size);
		reg_write(v->s, R_ECX, i->addrsize, count - 1);
		if (count - 1 == 0)
			return;
		if (compares && (i->rep == REP_REPE ? !eq : eq))
			return;
	}
	v->next_eip = v->insn_eip;   /* more to do: run this instruction again */
}

#define STRING_HANDLER(name, op, size) \
	static void name(struct vcpu *v, const struct insn *i) { string_op(v, i, op, size); }

/* INS/OUTS: the string operation, then the VM exits a VT-x monitor would
 * take for what it moved (cpu/vtx_model.h; a fault skips the count). */
static void string_io(struct vcpu *v, const struct insn *i, enum str_op op, unsigned size)
{
	uint32_t before = areg(v, i, R_ECX);
	string_op(v, i, op, size);
	if (i->rep == REP_NONE) {
		vtx_on_string_io(&v->vtx, size, false);
		return;
	}
	uint32_t done = (before - areg(v, i, R_ECX)) & (i->addrsize == 2 ? 0xffffu : 0xffffffffu);
	if (done)
		vtx_on_string_io(&v->vtx, (uint64_t)done * size, true);
}

#define STRING_IO_HANDLER(name, op, size) \
	static void name(struct vcpu *v, const struct insn *i) { string_io(v, i, op, size); }

STRING_HANDLER(op_movsb, STR_MOVS, 1)
STRING_HANDLER(op_movsw, STR_MOVS, 2)
STRING_HANDLER(op_movsd, STR_MOVS, 4)
STRING_HANDLER(op_stosb, STR_STOS, 1)
STRING_HANDLER(op_stosw, STR_STOS, 2)
STRING_HANDLER(op_stosd, STR_STOS, 4)
STRING_HANDLER(op_lodsb, STR_LODS, 1)
STRING_HANDLER(op_lodsw, STR_LODS, 2)
STRING_HANDLER(op_lodsd, STR_LODS, 4)
STRING_HANDLER(op_cmpsb, STR_CMPS, 1)
STRING_HANDLER(op_cmpsw, STR_CMPS, 2)
STRING_HANDLER(op_cmpsd, STR_CMPS, 4)
STRING_HANDLER(op_scasb, STR_SCAS, 1)
STRING_HANDLER(op_scasw, STR_SCAS, 2)
STRING_HANDLER(op_scasd, STR_SCAS, 4)
STRING_IO_HANDLER(op_insb, STR_INS, 1)
STRING_IO_HANDLER(op_insw, STR_INS, 2)
STRING_IO_HANDLER(op_insd, STR_INS, 4)
STRING_IO_HANDLER(op_outsb, STR_OUTS, 1)
STRING_IO_HANDLER(op_outsw, STR_OUTS, 2)
STRING_IO_HANDLER(op_outsd, STR_OUTS, 4)

void ops_string_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_MOVSB] = op_movsb;
	t->fn[ZYDIS_MNEMONIC_MOVSW] = op_movsw;
	t->fn[ZYDIS_MNEMONIC_MOVSD] = op_movsd;
	t->fn[ZYDIS_MNEMONIC_STOSB] = op_stosb;
	t->fn[ZYDIS_MNEMONIC_STOSW] = op_stosw;
	t->fn[ZYDIS_MNEMONIC_STOSD] = op_stosd;
	t->fn[ZYDIS_MNEMONIC_LODSB] = op_lodsb;
	t->fn[ZYDIS_MNEMONIC_LODSW] = op_lodsw;
	t->fn[ZYDIS_MNEMONIC_LODSD] = op_lodsd;
	t->fn[ZYDIS_MNEMONIC_CMPSB] = op_cmpsb;
	t->fn[ZYDIS_MNEMONIC_CMPSW] = op_cmpsw;
	t->fn[ZYDIS_MNEMONIC_CMPSD] = op_cmpsd;
	t->fn[ZYDIS_MNEMONIC_SCASB] = op_scasb;
	t->fn[ZYDIS_MNEMONIC_SCASW] = op_scasw;
	t->fn[ZYDIS_MNEMONIC_SCASD] = op_scasd;
	t->fn[ZYDIS_MNEMONIC_INSB] = op_insb;
	t->fn[ZYDIS_MNEMONIC_INSW] = op_insw;
	t->fn[ZYDIS_MNEMONIC_INSD] = op_insd;
	t->fn[ZYDIS_MNEMONIC_OUTSB] = op_outsb;
	t->fn[ZYDIS_MNEMONIC_OUTSW] = op_outsw;
	t->fn[ZYDIS_MNEMONIC_OUTSD] = op_outsd;
}
