/*
 * fpu.c - the x87 FPU: register stack and tags, the checks every x87
 * instruction makes (#NM, #MF), the instruction and data pointers, the
 * control and environment instructions (FINIT FCLEX FLDCW FSTCW FSTSW
 * FSTENV FLDENV FSAVE FRSTOR FFREE FINCSTP FDECSTP FNOP WAIT) and FXSAVE/
 * FXRSTOR. Data transfer is in fpu_data.c, arithmetic in fpu_arith.c;
 * both compute on the host's x87 through fpu_host.c. fpu.h describes the
 * state layout (FXSAVE image, ST(i) in stack order).
 *
 * Exceptions (SDM vol. 1 8.7, vol. 3A 2.5 table 2-2):
 *   #NM  every x87 instruction when CR0.EM or CR0.TS is set; WAIT/FWAIT
 *        only when CR0.TS and CR0.MP are both set. FXSAVE/FXRSTOR: #UD
 *        when CR0.EM is set, #NM when CR0.TS is set (SDM vol. 2A FXSAVE).
 *   #MF  a waiting instruction (all but FNINIT FNCLEX FNSTSW FNSTCW
 *        FNSTENV FNSAVE and FXSAVE/FXRSTOR) finds an unmasked exception
 *        pending (FSW.ES) and faults before doing anything. The #MF is
 *        delivered whatever CR0.NE says: the PC-compatible alternative for
 *        NE=0 (FERR# to IRQ13 through the PIC, SDM vol. 1 D.1) is not
 *        modelled, since cpu/ has no path to the interrupt controller.
 *
 * Pointers (SDM vol. 1 8.1.8-8.1.9): every non-control instruction records
 * its CS:EIP (prefixes included) and opcode (FOP = low 3 bits of the
 * first byte, ModRM), and a memory operand's segment selector and offset,
 * as a P6 does for every such instruction (not only faulting ones). They
 * are kept as selector and offset; the real-mode FSTENV/FSAVE layouts
 * store the 20-bit linear address (selector * 16 + offset) instead, and
 * FLDENV/FRSTOR of a real-mode image keeps that address with selector 0.
 */
#include "cpu/fpu.h"

#include <Zydis/Zydis.h>

#include "cpu/ops_common.h"

/* --- register stack ------------------------------------------------------- */

void fpu_push(struct fpu_state *f, struct f80 x)
{
	unsigned top = (fpu_top(f) - 1) & 7;
	memmove(f->st[1], f->st[0], 7 * sizeof(f->st[0]));
	f->fsw = (uint16_t)((f->fsw & ~FSW_TOP) | top << 11);
	fpu_set(f, 0, x);
}

void fpu_rotate(struct fpu_state *f, int delta)
{
	unsigned d = (unsigned)delta & 7;
	if (d) {
		uint8_t keep[8][16];
		memcpy(keep, f->st, sizeof(keep));
		for (unsigned k = 0; k < 8; k++)
			memcpy(f->st[k], keep[(k + d) & 7], 16);
	}
	unsigned top = (fpu_top(f) + d) & 7;
	f->fsw = (uint16_t)((f->fsw & ~FSW_TOP) | top << 11);
}

/* Loads the status word; the registers keep their physical places. */
static void fpu_load_sw(struct fpu_state *f, uint16_t sw)
{
	fpu_rotate(f, (int)((sw >> 11) & 7) - (int)fpu_top(f));
	f->fsw = sw;
}

void fpu_pop(struct fpu_state *f)
{
	f->ftw &= (uint8_t)~(1u << fpu_top(f));
	fpu_rotate(f, 1);
}

unsigned fpu_classify(struct f80 x)
{
	unsigned exp = x.se & 0x7fff;
	if (exp == 0x7fff)
		return 2;                              /* infinity, NaN */
	if (exp == 0)
		return x.mant == 0 ? 1 : 2;            /* zero; (pseudo-)denormal */
	return (x.mant >> 63) ? 0 : 2;                 /* valid; unnormal */
}

uint16_t fpu_tag_word(const struct fpu_state *f)
{
	unsigned top = fpu_top(f);
	uint16_t tw = 0;
	for (unsigned r = 0; r < 8; r++) {
		unsigned tag = 3;
		if (f->ftw & (1u << r))
			tag = fpu_classify(fpu_st(f, (r - top) & 7));
		tw |= (uint16_t)(tag << (2 * r));
	}
	return tw;
}

static uint8_t abridged_tags(uint16_t tw)
{
	uint8_t ftw = 0;
	for (unsigned r = 0; r < 8; r++)
		if (((tw >> (2 * r)) & 3) != 3)
			ftw |= (uint8_t)(1u << r);
	return ftw;
}

bool fpu_stack_fault(struct fpu_state *f, bool overflow)
{
	f->fsw = (uint16_t)((f->fsw & ~FSW_C1) | FSW_IE | FSW_SF | (overflow ? FSW_C1 : 0));
	fpu_sync_es(f);
	return f->fcw & FCW_IM;
}

/* --- instruction framing -------------------------------------------------- */

void fpu_check(struct vcpu *v, bool waiting)
{
	if (v->s->cr0 & (CR0_EM | CR0_TS))
		vcpu_fault_noerr(v, EXC_NM);
	if (waiting && (v->s->fpu.fsw & FSW_ES))
		vcpu_fault_noerr(v, EXC_MF);
}

uint32_t fpu_ea(const struct vcpu *v, const struct insn *i)
{
	return op_ea(v, i, &i->op[0]);
}

void fpu_note(struct vcpu *v, const struct insn *i)
{
	struct fpu_state *f = &v->s->fpu;
	f->fip = v->insn_eip;
	f->fcs = v->s->seg[S_CS].sel;
	f->fop = (uint16_t)(((i->opcode & 7u) << 8) | (i->modrm_mod << 6) | (i->modrm_reg << 3) |
			    i->modrm_rm);
	if (i->modrm_mod != 3) {
		f->fdp = fpu_ea(v, i);
		f->fds = v->s->seg[i->op[0].seg].sel;
	}
}

void fpu_mem_read(struct vcpu *v, const struct insn *i, void *buf, unsigned n)
{
	uint32_t lin = vmem_linear(v, i->op[0].seg, fpu_ea(v, i), n, SEG_READ);
	lin_read_bytes(v, lin, buf, n, vcpu_user(v));
}

void fpu_mem_write(struct vcpu *v, const struct insn *i, const void *buf, unsigned n)
{
	uint32_t lin = vmem_linear(v, i->op[0].seg, fpu_ea(v, i), n, SEG_WRITE);
	bool user = vcpu_user(v);
	lin_probe_write(v, lin, n, user);     /* all or nothing */
	lin_write_bytes(v, lin, buf, n, user);
}

void fpu_host(struct vcpu *v, struct fpu_host *h, const struct insn *i, uint16_t fop)
{
	h->cw = v->s->fpu.fcw;
	h->sw = v->s->fpu.fsw;
	if (!fpu_host_run(h, fop))
		vcpu_unsupported(v, "x87 operation %03x (%s)", fop, decode_mnemonic_name(i->mnemonic));
}

/* --- control instructions (SDM vol. 1 8.3.11) ------------------------------ */

static void fpu_init_state(struct fpu_state *f)
{
	f->fcw = FCW_INIT;
	fpu_load_sw(f, 0);
	f->ftw = 0;
	f->fop = 0;
	f->fip = 0;
	f->fcs = 0;
	f->fdp = 0;
	f->fds = 0;
}

static void op_fninit(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, false);
	fpu_init_state(&v->s->fpu);
}

static void op_fnclex(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, false);
	v->s->fpu.fsw &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

static void op_fldcw(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	uint16_t cw;
	fpu_mem_read(v, i, &cw, 2);
	v->s->fpu.fcw = FCW_LOAD(cw);
	fpu_sync_es(&v->s->fpu);    /* an unmasked pending flag faults at the next instruction */
}

static void op_fnstcw(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, false);
	fpu_mem_write(v, i, &v->s->fpu.fcw, 2);
}

static void op_fnstsw(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, false);
	if (i->op[0].kind == OPK_REG)
		reg_write(v->s, R_EAX, 2, v->s->fpu.fsw);
	else
		fpu_mem_write(v, i, &v->s->fpu.fsw, 2);
}

static void op_ffree(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	f->ftw &= (uint8_t)~(1u << fpu_phys(f, i->modrm_rm));
	f->fsw &= (uint16_t)~FSW_C1;       /* C0-C3 undefined: the P6 clears C1 */
	fpu_note(v, i);
}

/* FFREEP (DF C0+i): not in the SDM's tables, but every P6 executes it as
 * FFREE ST(i) and a pop. */
static void op_ffreep(struct vcpu *v, const struct insn *i)
{
	op_ffree(v, i);
	fpu_pop(&v->s->fpu);
}

static void stack_step(struct vcpu *v, const struct insn *i, int delta)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	fpu_rotate(f, delta);
	f->fsw &= (uint16_t)~FSW_C1;
	fpu_note(v, i);
}

static void op_fincstp(struct vcpu *v, const struct insn *i) { stack_step(v, i, 1); }
static void op_fdecstp(struct vcpu *v, const struct insn *i) { stack_step(v, i, -1); }

static void op_fnop(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	fpu_note(v, i);
}

/* FENI, FDISI (8087) and FSETPM (287): no operation on a 387 or later (SDM vol. 1 8.3.13). */
static void op_fnop_legacy(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, false);
}

static void op_fwait(struct vcpu *v, const struct insn *i)
{
	if ((v->s->cr0 & (CR0_TS | CR0_MP)) == (CR0_TS | CR0_MP))
		vcpu_fault_noerr(v, EXC_NM);
	if (v->s->fpu.fsw & FSW_ES)
		vcpu_fault_noerr(v, EXC_MF);
}

/* --- environment: FSTENV FLDENV FSAVE FRSTOR (SDM vol. 1 8.1.10, figs. 8-9..8-12) --- */

static void put16(uint8_t *p, uint32_t x) { p[0] = (uint8_t)x; p[1] = (uint8_t)(x >> 8); }
static void put32(uint8_t *p, uint32_t x) { put16(p, x); put16(p + 2, x >> 16); }
static uint32_t get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }

static bool real_layout(const struct cpu_state *s)
{
	return !(s->cr0 & CR0_PE) || (s->eflags & EFL_VM);
}

static unsigned env_size(const struct insn *i)
{
	return i->opsize == 2 ? 14 : 28;
}

/*
 * The environment image for the instruction's operand size. Reserved
 * halves of the 32-bit layout read as ones, as the processor stores them.
 */
static unsigned env_store(const struct vcpu *v, const struct insn *i, uint8_t *b)
{
	const struct fpu_state *f = &v->s->fpu;
	bool real = real_layout(v->s);
	uint32_t ip = real ? ((uint32_t)f->fcs << 4) + f->fip : f->fip;
	uint32_t dp = real ? ((uint32_t)f->fds << 4) + f->fdp : f->fdp;
	uint32_t fop = f->fop & 0x7ffu;
	uint16_t tw = fpu_tag_word(f);
	if (i->opsize == 2) {
		put16(b, f->fcw);
		put16(b + 2, f->fsw);
		put16(b + 4, tw);
		if (real) {
			put16(b + 6, ip);
			put16(b + 8, ((ip >> 16) & 0xf) << 12 | fop);
			put16(b + 10, dp);
			put16(b + 12, ((dp >> 16) & 0xf) << 12);
		} else {
			put16(b + 6, ip);
			put16(b + 8, f->fcs);
			put16(b + 10, dp);
			put16(b + 12, f->fds);
		}
		return 14;
	}
	put32(b, 0xffff0000u | f->fcw);
	put32(b + 4, 0xffff0000u | f->fsw);
	put32(b + 8, 0xffff0000u | tw);
	if (real) {
		put32(b + 12, 0xffff0000u | (ip & 0xffff));
		put32(b + 16, (ip >> 16) << 12 | fop);
		put32(b + 20, 0xffff0000u | (dp & 0xffff));
		put32(b + 24, (dp >> 16) << 12);
	} else {
		put32(b + 12, ip);
		put32(b + 16, f->fcs | fop << 16);
		put32(b + 20, dp);
		put32(b + 24, 0xffff0000u | f->fds);
	}
	return 28;
}

static void env_load(struct vcpu *v, const struct insn *i, const uint8_t *b)
{
	struct fpu_state *f = &v->s->fpu;
	bool real = real_layout(v->s);
	uint32_t sw, tw;
	f->fcw = FCW_LOAD(get16(b));
	if (i->opsize == 2) {
		sw = get16(b + 2);
		tw = get16(b + 4);
		if (real) {
			f->fip = get16(b + 6) | (get16(b + 8) >> 12) << 16;
			f->fop = (uint16_t)(get16(b + 8) & 0x7ff);
			f->fdp = get16(b + 10) | (get16(b + 12) >> 12) << 16;
			f->fcs = f->fds = 0;
		} else {
			f->fip = get16(b + 6);
			f->fcs = (uint16_t)get16(b + 8);
			f->fdp = get16(b + 10);
			f->fds = (uint16_t)get16(b + 12);
		}
	} else {
		sw = get16(b + 4);
		tw = get16(b + 8);
		if (real) {
			f->fip = get16(b + 12) | ((get32(b + 16) >> 12) & 0xffff) << 16;
			f->fop = (uint16_t)(get32(b + 16) & 0x7ff);
			f->fdp = get16(b + 20) | ((get32(b + 24) >> 12) & 0xffff) << 16;
			f->fcs = f->fds = 0;
		} else {
			f->fip = get32(b + 12);
			f->fcs = (uint16_t)get16(b + 16);
			f->fop = (uint16_t)((get32(b + 16) >> 16) & 0x7ff);
			f->fdp = get32(b + 20);
			f->fds = (uint16_t)get16(b + 24);
		}
	}
	fpu_load_sw(f, (uint16_t)sw);
	f->ftw = abridged_tags((uint16_t)tw);
	fpu_sync_es(f);
}

static void op_fnstenv(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, false);
	uint8_t b[28];
	unsigned n = env_store(v, i, b);
	fpu_mem_write(v, i, b, n);
	v->s->fpu.fcw |= FCW_MASKS;      /* then all exceptions are masked */
	fpu_sync_es(&v->s->fpu);
}

static void op_fldenv(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	uint8_t b[28];
	fpu_mem_read(v, i, b, env_size(i));
	env_load(v, i, b);
}

static void op_fnsave(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, false);
	struct fpu_state *f = &v->s->fpu;
	uint8_t b[108];
	unsigned n = env_store(v, i, b);
	for (unsigned k = 0; k < 8; k++)
		memcpy(b + n + 10 * k, f->st[k], 10);   /* ST(0)..ST(7), stack order */
	fpu_mem_write(v, i, b, n + 80);
	fpu_init_state(f);
}

static void op_frstor(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	uint8_t b[108];
	unsigned n = env_size(i);
	fpu_mem_read(v, i, b, n + 80);
	env_load(v, i, b);
	for (unsigned k = 0; k < 8; k++) {
		memset(f->st[k], 0, sizeof(f->st[k]));
		memcpy(f->st[k], b + n + 10 * k, 10);
	}
}

/* --- FXSAVE / FXRSTOR (SDM vol. 2A) ----------------------------------------- */

_Static_assert(sizeof(struct fpu_state) == 512, "fpu_state is the FXSAVE image");
_Static_assert(__builtin_offsetof(struct fpu_state, mxcsr) == 24, "FXSAVE layout");
_Static_assert(__builtin_offsetof(struct fpu_state, st) == 32, "FXSAVE layout");
_Static_assert(__builtin_offsetof(struct fpu_state, xmm) == 160, "FXSAVE layout");

/* Bytes 464-511 are left to software: the processor neither writes nor reads them. */
#define FXSAVE_USED 464
#define MXCSR_MASK_DEFAULT 0xffbfu    /* when the saved MXCSR_MASK is 0 (SDM vol. 1 11.6.6) */

/* #UD with CR0.EM, #NM with CR0.TS; the 512-byte operand must be 16-byte aligned (#GP). */
static uint32_t fxsr_operand(struct vcpu *v, const struct insn *i, enum seg_access kind)
{
	if (v->s->cr0 & CR0_EM)
		vcpu_fault_noerr(v, EXC_UD);
	if (v->s->cr0 & CR0_TS)
		vcpu_fault_noerr(v, EXC_NM);
	uint32_t lin = vmem_linear(v, i->op[0].seg, fpu_ea(v, i), 512, kind);
	if (lin & 15)
		vcpu_fault(v, EXC_GP, 0);
	return lin;
}

static void op_fxsave(struct vcpu *v, const struct insn *i)
{
	fxsr_operand(v, i, SEG_WRITE);
	fpu_mem_write(v, i, &v->s->fpu, FXSAVE_USED);
}

static void op_fxrstor(struct vcpu *v, const struct insn *i)
{
	fxsr_operand(v, i, SEG_READ);
	struct fpu_state *f = &v->s->fpu;
	uint8_t b[FXSAVE_USED];
	fpu_mem_read(v, i, b, FXSAVE_USED);
	uint32_t mxcsr = get32(b + 24);
	if (mxcsr & ~fpu_mxcsr_mask(f))
		vcpu_fault(v, EXC_GP, 0);
	fpu_load_x87(f, b);
	f->mxcsr = mxcsr;
	memcpy(f->xmm, b + 160, sizeof(f->xmm));
}

uint32_t fpu_mxcsr_mask(const struct fpu_state *f)
{
	return f->mxcsr_mask ? f->mxcsr_mask : MXCSR_MASK_DEFAULT;
}

void fpu_load_x87(struct fpu_state *f, const uint8_t *b)
{
	f->fcw = FCW_LOAD(get16(b));
	f->fsw = (uint16_t)get16(b + 2);
	f->ftw = b[4];
	f->fop = (uint16_t)(get16(b + 6) & 0x7ff);
	f->fip = get32(b + 8);
	f->fcs = (uint16_t)get16(b + 12);
	f->fdp = get32(b + 16);
	f->fds = (uint16_t)get16(b + 20);
	for (unsigned k = 0; k < 8; k++) {
		memset(f->st[k], 0, sizeof(f->st[k]));
		memcpy(f->st[k], b + 32 + 16 * k, 10);
	}
	fpu_sync_es(f);
}

void ops_fpu_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_FNINIT] = op_fninit;
	t->fn[ZYDIS_MNEMONIC_FNCLEX] = op_fnclex;
	t->fn[ZYDIS_MNEMONIC_FLDCW] = op_fldcw;
	t->fn[ZYDIS_MNEMONIC_FNSTCW] = op_fnstcw;
	t->fn[ZYDIS_MNEMONIC_FNSTSW] = op_fnstsw;
	t->fn[ZYDIS_MNEMONIC_FNSTENV] = op_fnstenv;
	t->fn[ZYDIS_MNEMONIC_FLDENV] = op_fldenv;
	t->fn[ZYDIS_MNEMONIC_FNSAVE] = op_fnsave;
	t->fn[ZYDIS_MNEMONIC_FRSTOR] = op_frstor;
	t->fn[ZYDIS_MNEMONIC_FFREE] = op_ffree;
	t->fn[ZYDIS_MNEMONIC_FFREEP] = op_ffreep;
	t->fn[ZYDIS_MNEMONIC_FINCSTP] = op_fincstp;
	t->fn[ZYDIS_MNEMONIC_FDECSTP] = op_fdecstp;
	t->fn[ZYDIS_MNEMONIC_FNOP] = op_fnop;
	t->fn[ZYDIS_MNEMONIC_FENI8087_NOP] = op_fnop_legacy;
	t->fn[ZYDIS_MNEMONIC_FDISI8087_NOP] = op_fnop_legacy;
	t->fn[ZYDIS_MNEMONIC_FSETPM287_NOP] = op_fnop_legacy;
	t->fn[ZYDIS_MNEMONIC_FWAIT] = op_fwait;
	t->fn[ZYDIS_MNEMONIC_FXSAVE] = op_fxsave;
	t->fn[ZYDIS_MNEMONIC_FXRSTOR] = op_fxrstor;
	fpu_data_register(t);
	fpu_arith_register(t);
}
