/*
 * fpu_data.c - x87 data transfer: FLD FST FSTP FILD FIST FISTP FBLD FBSTP,
 * the constants (FLD1 FLDZ FLDPI FLDL2E FLDL2T FLDLG2 FLDLN2), FXCH and
 * FCMOVcc (SDM vol. 2A instruction pages, vol. 1 8.3.3-8.3.4).
 *
 * Conversions that can round or raise (single/double real, integers,
 * packed BCD, and the constants, which round per RC) run on the host x87;
 * moves between registers and 80-bit loads/stores are plain copies.
 *
 * Stack faults (SDM vol. 1 8.5.1.1): a load into a full ST(7) is an
 * overflow, reading an empty register an underflow; masked, the
 * destination receives the QNaN indefinite (in memory: the indefinite of
 * the memory format) and the instruction's pop still happens; unmasked,
 * nothing but the status word changes. A store to memory that raises an
 * unmasked exception other than precision writes nothing and does not pop
 * (SDM vol. 1 4.9.2): the host's response, mirrored.
 *
 * Memory is read before and written after anything else, so a #GP or
 * #PF leaves the FPU as it was.
 */
#include <Zydis/Zydis.h>

#include "cpu/fpu.h"
#include "cpu/ops_common.h"

/* Indefinite values of the memory formats, little-endian (SDM vol. 1 4.8.3.7, 4.2.2, 4.7). */
static const uint8_t indef_m16int[2] = { 0x00, 0x80 };
static const uint8_t indef_m32int[4] = { 0, 0, 0, 0x80 };
static const uint8_t indef_m64int[8] = { 0, 0, 0, 0, 0, 0, 0, 0x80 };
static const uint8_t indef_m32fp[4] = { 0, 0, 0xc0, 0xff };
static const uint8_t indef_m64fp[8] = { 0, 0, 0, 0, 0, 0, 0xf8, 0xff };
static const uint8_t indef_m80fp[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
static const uint8_t indef_bcd[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };   /* same bits */

static void clear_c1(struct fpu_state *f)
{
	f->fsw &= (uint16_t)~FSW_C1;
}

/* Pushes the result of a host conversion (h->mem holds the operand), or
 * takes the stack overflow. */
static void load_host(struct vcpu *v, const struct insn *i, struct fpu_host *h)
{
	struct fpu_state *f = &v->s->fpu;
	if (!fpu_empty(f, 7)) {
		if (fpu_stack_fault(f, true))
			fpu_push(f, f80_indefinite());
	} else {
		fpu_host(v, h, i, fpu_host_fop(i, i->modrm_rm));
		fpu_merge_sw(f, h->sw);
		if (h->pops < 0)
			fpu_push(f, h->st[0]);
	}
	fpu_note(v, i);
}

static void load_mem(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_host h = { 0 };
	fpu_mem_read(v, i, h.mem, i->op[0].size);
	load_host(v, i, &h);
}

/* FLD m32fp/m64fp/m80fp, FLD ST(i) */
static void op_fld(struct vcpu *v, const struct insn *i)
{
	if (i->modrm_mod != 3 && i->op[0].size != 10) {
		load_mem(v, i);
		return;
	}
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	struct f80 x;
	bool have;
	if (i->modrm_mod != 3) {
		uint8_t b[10];
		fpu_mem_read(v, i, b, 10);
		x = f80_get(b);
		have = true;
	} else {
		x = fpu_st(f, i->modrm_rm);
		have = !fpu_empty(f, i->modrm_rm);
	}
	if (!have) {                 /* underflow takes precedence over overflow */
		if (fpu_stack_fault(f, false))
			fpu_push(f, f80_indefinite());
	} else if (!fpu_empty(f, 7)) {
		if (fpu_stack_fault(f, true))
			fpu_push(f, f80_indefinite());
	} else {
		clear_c1(f);
		fpu_push(f, x);
	}
	fpu_note(v, i);
}

static void op_fild(struct vcpu *v, const struct insn *i) { load_mem(v, i); }
static void op_fbld(struct vcpu *v, const struct insn *i) { load_mem(v, i); }

/* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (D9 E8-EE): rounded per RC. */
static void op_fldconst(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_host h = { 0 };
	load_host(v, i, &h);
}

/* Stores to memory: FST FSTP (m32fp m64fp m80fp), FIST FISTP, FBSTP. */
static void store_mem(struct vcpu *v, const struct insn *i, bool pop, const uint8_t *indef)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	unsigned n = i->op[0].size;
	/* the destination is checked first: a #GP or #PF there wins over an
	   unmasked x87 exception that then suppresses the store (as on the CPU) */
	lin_probe_write(v, vmem_linear(v, i->op[0].seg, fpu_ea(v, i), n, SEG_WRITE), n,
			vcpu_user(v));
	if (fpu_empty(f, 0)) {
		bool masked = f->fcw & FCW_IM;
		if (masked)
			fpu_mem_write(v, i, indef, n);
		fpu_stack_fault(f, false);
		if (masked && pop)
			fpu_pop(f);
	} else if (i->opcode == 0xdb && n == 10) {   /* FSTP m80fp: a copy */
		uint8_t b[10];
		f80_put(b, fpu_st(f, 0));
		fpu_mem_write(v, i, b, 10);
		clear_c1(f);
		fpu_pop(f);
	} else {
		struct fpu_host h = { 0 };
		h.st[0] = fpu_st(f, 0);
		fpu_host(v, &h, i, fpu_host_fop(i, 0));
		if (!(fpu_unmasked(f, h.sw) & ~FSW_PE))
			fpu_mem_write(v, i, h.mem, n);
		fpu_merge_sw(f, h.sw);
		if (h.pops > 0)
			fpu_pop(f);
	}
	fpu_note(v, i);
}

static const uint8_t *fp_indefinite(unsigned size)
{
	return size == 4 ? indef_m32fp : size == 8 ? indef_m64fp : indef_m80fp;
}

static const uint8_t *int_indefinite(unsigned size)
{
	return size == 2 ? indef_m16int : size == 4 ? indef_m32int : indef_m64int;
}

/* FST/FSTP ST(i), also FSTP1 (D9 D8+i), FSTP8/FSTP9 (DF D0+i, DF D8+i). */
static void store_reg(struct vcpu *v, const struct insn *i, bool pop)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	unsigned r = i->modrm_rm;
	if (fpu_empty(f, 0)) {
		if (!fpu_stack_fault(f, false)) {
			fpu_note(v, i);
			return;
		}
		fpu_set(f, r, f80_indefinite());
	} else {
		clear_c1(f);
		fpu_set(f, r, fpu_st(f, 0));
	}
	if (pop)
		fpu_pop(f);
	fpu_note(v, i);
}

/* FSTP1 (D9 D8+i, Zydis's FSTPNCE): an empty ST(0) is no stack fault; the
 * instruction then only pops, as the processor does. */
static void op_fstpnce(struct vcpu *v, const struct insn *i)
{
	struct fpu_state *f = &v->s->fpu;
	if (!fpu_empty(f, 0)) {
		store_reg(v, i, true);
		return;
	}
	fpu_check(v, true);
	clear_c1(f);
	fpu_pop(f);
	fpu_note(v, i);
}

static void op_fst(struct vcpu *v, const struct insn *i)
{
	if (i->modrm_mod == 3)
		store_reg(v, i, false);
	else
		store_mem(v, i, false, fp_indefinite(i->op[0].size));
}

static void op_fstp(struct vcpu *v, const struct insn *i)
{
	if (i->modrm_mod == 3)
		store_reg(v, i, true);
	else
		store_mem(v, i, true, fp_indefinite(i->op[0].size));
}

static void op_fist(struct vcpu *v, const struct insn *i)
{
	store_mem(v, i, false, int_indefinite(i->op[0].size));
}

static void op_fistp(struct vcpu *v, const struct insn *i)
{
	store_mem(v, i, true, int_indefinite(i->op[0].size));
}

static void op_fbstp(struct vcpu *v, const struct insn *i)
{
	store_mem(v, i, true, indef_bcd);
}

/* FXCH ST(i) (also the aliases DD C8+i and DF C8+i). Masked underflow:
 * an empty register reads as the QNaN indefinite. */
static void op_fxch(struct vcpu *v, const struct insn *i)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	unsigned r = i->modrm_rm;
	struct f80 a = fpu_st(f, 0), b = fpu_st(f, r);
	if (fpu_empty(f, 0) || fpu_empty(f, r)) {
		if (!fpu_stack_fault(f, false)) {
			fpu_note(v, i);
			return;
		}
		if (fpu_empty(f, 0))
			a = f80_indefinite();
		if (fpu_empty(f, r))
			b = f80_indefinite();
	} else {
		clear_c1(f);
	}
	fpu_set(f, 0, b);
	fpu_set(f, r, a);
	fpu_note(v, i);
}

/* FCMOVcc ST(0), ST(i): the condition is an EFLAGS test as in Jcc; C1 is
 * cleared only by an underflow (SDM), otherwise left alone as the P6 does. */
static void fcmov(struct vcpu *v, const struct insn *i, unsigned cc)
{
	fpu_check(v, true);
	struct fpu_state *f = &v->s->fpu;
	unsigned r = i->modrm_rm;
	if (fpu_empty(f, 0) || fpu_empty(f, r)) {
		if (fpu_stack_fault(f, false))
			fpu_set(f, 0, f80_indefinite());
	} else if (cond_eval(v, cc)) {
		fpu_set(f, 0, fpu_st(f, r));
	}
	fpu_note(v, i);
}

static void op_fcmovb(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0x2); }
static void op_fcmovnb(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0x3); }
static void op_fcmove(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0x4); }
static void op_fcmovne(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0x5); }
static void op_fcmovbe(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0x6); }
static void op_fcmovnbe(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0x7); }
static void op_fcmovu(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0xa); }
static void op_fcmovnu(struct vcpu *v, const struct insn *i) { fcmov(v, i, 0xb); }

void fpu_data_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_FLD] = op_fld;
	t->fn[ZYDIS_MNEMONIC_FILD] = op_fild;
	t->fn[ZYDIS_MNEMONIC_FBLD] = op_fbld;
	t->fn[ZYDIS_MNEMONIC_FLD1] = op_fldconst;
	t->fn[ZYDIS_MNEMONIC_FLDL2T] = op_fldconst;
	t->fn[ZYDIS_MNEMONIC_FLDL2E] = op_fldconst;
	t->fn[ZYDIS_MNEMONIC_FLDPI] = op_fldconst;
	t->fn[ZYDIS_MNEMONIC_FLDLG2] = op_fldconst;
	t->fn[ZYDIS_MNEMONIC_FLDLN2] = op_fldconst;
	t->fn[ZYDIS_MNEMONIC_FLDZ] = op_fldconst;
	t->fn[ZYDIS_MNEMONIC_FST] = op_fst;
	t->fn[ZYDIS_MNEMONIC_FSTP] = op_fstp;
	t->fn[ZYDIS_MNEMONIC_FSTPNCE] = op_fstpnce;
	t->fn[ZYDIS_MNEMONIC_FIST] = op_fist;
	t->fn[ZYDIS_MNEMONIC_FISTP] = op_fistp;
	t->fn[ZYDIS_MNEMONIC_FBSTP] = op_fbstp;
	t->fn[ZYDIS_MNEMONIC_FXCH] = op_fxch;
	t->fn[ZYDIS_MNEMONIC_FCMOVB] = op_fcmovb;
	t->fn[ZYDIS_MNEMONIC_FCMOVNB] = op_fcmovnb;
	t->fn[ZYDIS_MNEMONIC_FCMOVE] = op_fcmove;
	t->fn[ZYDIS_MNEMONIC_FCMOVNE] = op_fcmovne;
	t->fn[ZYDIS_MNEMONIC_FCMOVBE] = op_fcmovbe;
	t->fn[ZYDIS_MNEMONIC_FCMOVNBE] = op_fcmovnbe;
	t->fn[ZYDIS_MNEMONIC_FCMOVU] = op_fcmovu;
	t->fn[ZYDIS_MNEMONIC_FCMOVNU] = op_fcmovnu;
}
