/*
 * dispatch.c - the handler table and dispatch_bind() (see dispatch.h).
 *
 * The table is filled once by the ops_*.c files and then only read; it
 * is the one piece of global state of the interpreter (a constant in
 * all but name, shared by every vCPU).
 */
#include "cpu/dispatch.h"

#include <Zydis/Zydis.h>
#include <pthread.h>

#include "cpu/interp.h"
#include "cpu/ops_common.h"
#include "cpu/vcpu.h"

_Static_assert(ZYDIS_MNEMONIC_MAX_VALUE < INTERP_MNEMONICS, "handler table too small");

static struct handler_table handlers;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void register_all(void)
{
	ops_alu_register(&handlers);
	ops_data_register(&handlers);
	ops_stack_register(&handlers);
	ops_control_register(&handlers);
	ops_string_register(&handlers);
	ops_system_register(&handlers);
	ops_bits_register(&handlers);
	ops_fpu_register(&handlers);
	ops_xsave_register(&handlers);
}

/* A mnemonic without a handler. */
static void op_missing(struct vcpu *v, const struct insn *i)
{
	insn_sync(v, i);
	if (!i->p6)
		vcpu_fault_noerr(v, EXC_UD);
	vcpu_unsupported(v, "unsupported instruction %s", decode_mnemonic_name(i->mnemonic));
}

static bool touches_system_regs(const struct insn *i)
{
	for (unsigned k = 0; k < i->nops; k++) {
		unsigned kind = i->op[k].kind;
		if (kind == OPK_SREG || kind == OPK_CR || kind == OPK_DR || kind == OPK_PTR)
			return true;
	}
	return false;
}

/*
 * Instructions after which the next one of the block may run without
 * looking at interrupts, requests or the fetch again: they never branch
 * (a REP string instruction that restarts itself sets its own EIP, which
 * the block loop notices), never change CS, SS, CPL, IF, TF, the shadow,
 * paging or the physical map.
 */
static bool plain(const struct insn *i)
{
	if (i->far || touches_system_regs(i))
		return false;
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_LEA: case ZYDIS_MNEMONIC_XCHG: case ZYDIS_MNEMONIC_NOP:
	case ZYDIS_MNEMONIC_PAUSE: case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE:
	case ZYDIS_MNEMONIC_CWD: case ZYDIS_MNEMONIC_CDQ: case ZYDIS_MNEMONIC_LAHF:
	case ZYDIS_MNEMONIC_SAHF: case ZYDIS_MNEMONIC_CLC: case ZYDIS_MNEMONIC_STC:
	case ZYDIS_MNEMONIC_CMC: case ZYDIS_MNEMONIC_CLD: case ZYDIS_MNEMONIC_STD:
	case ZYDIS_MNEMONIC_XLAT:
	case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVB:
	case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVZ: case ZYDIS_MNEMONIC_CMOVNZ:
	case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVNBE: case ZYDIS_MNEMONIC_CMOVS:
	case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVNP:
	case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVLE:
	case ZYDIS_MNEMONIC_CMOVNLE:
	case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETB:
	case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETZ: case ZYDIS_MNEMONIC_SETNZ:
	case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_SETS:
	case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETNP:
	case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETLE:
	case ZYDIS_MNEMONIC_SETNLE:
	case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_SBB: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_TEST:
	case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR: case ZYDIS_MNEMONIC_SHL:
	case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_SHLD:
	case ZYDIS_MNEMONIC_SHRD: case ZYDIS_MNEMONIC_MUL: case ZYDIS_MNEMONIC_IMUL:
	case ZYDIS_MNEMONIC_DIV: case ZYDIS_MNEMONIC_IDIV:
	case ZYDIS_MNEMONIC_PUSH: case ZYDIS_MNEMONIC_POP: case ZYDIS_MNEMONIC_PUSHA:
	case ZYDIS_MNEMONIC_PUSHAD: case ZYDIS_MNEMONIC_POPA: case ZYDIS_MNEMONIC_POPAD:
	case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD: case ZYDIS_MNEMONIC_ENTER:
	case ZYDIS_MNEMONIC_LEAVE:
	case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS: case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC: case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR:
	case ZYDIS_MNEMONIC_BSWAP: case ZYDIS_MNEMONIC_XADD: case ZYDIS_MNEMONIC_CMPXCHG:
	case ZYDIS_MNEMONIC_CMPXCHG8B: case ZYDIS_MNEMONIC_AAA: case ZYDIS_MNEMONIC_AAS:
	case ZYDIS_MNEMONIC_AAM: case ZYDIS_MNEMONIC_AAD: case ZYDIS_MNEMONIC_DAA:
	case ZYDIS_MNEMONIC_DAS: case ZYDIS_MNEMONIC_SALC:
	case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
	case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD:
	case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
	case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD:
	case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD:
		return true;
	default:
		return false;
	}
}

/* Near JMP, Jcc, CALL, RET, LOOP, JCXZ: they change EIP and ESP only. */
static bool near_branch(const struct insn *i)
{
	if (i->far || touches_system_regs(i))
		return false;
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JB:
	case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JZ: case ZYDIS_MNEMONIC_JNZ:
	case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JNBE: case ZYDIS_MNEMONIC_JS:
	case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JNP:
	case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JLE:
	case ZYDIS_MNEMONIC_JNLE: case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_CALL:
	case ZYDIS_MNEMONIC_RET: case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE:
	case ZYDIS_MNEMONIC_LOOPNE: case ZYDIS_MNEMONIC_JCXZ: case ZYDIS_MNEMONIC_JECXZ:
		return true;
	default:
		return false;
	}
}

/*
 * The entry of every generic handler: makes i the current instruction
 * (insn_sync: the generic handlers read v->insn_eip and v->next_eip) and
 * saves ESP for the rollback of a fault (the specialized handlers need
 * neither). Keeps the caller's flag, since execute() and event delivery
 * set it too.
 */
static void generic_entry(struct vcpu *v, const struct insn *i)
{
	insn_sync(v, i);
	bool saved = v->esp_saved;
	v->insn_esp = v->s->gpr[R_ESP];
	v->esp_saved = true;
	handlers.fn[i->mnemonic](v, i);
	v->esp_saved = saved;
}

void dispatch_bind(struct insn *i)
{
	pthread_once(&handlers_once, register_all);
	insn_handler fn = ops_fast_select(i);
	if (!fn && handlers.fn[i->mnemonic])
		fn = generic_entry;
	i->fn = fn ? fn : op_missing;
	i->ends_block = !fn || !plain(i);
	i->keeps_env = fn && (plain(i) || near_branch(i));
}
