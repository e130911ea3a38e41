/*
 * ops_xsave.c - the SSE/XSAVE instructions a guest kernel uses when the
 * model shows SSE, SSE2 and XSAVE (cpu_model_add_host_simd: engines whose
 * user code runs natively and sees the host's SIMD state):
 *
 *   XGETBV, XSETBV              XCR0 (cpu_state.xcr0)
 *   XSAVE, XRSTOR               standard format only (SDM vol. 1 13.7-13.8)
 *   LDMXCSR, STMXCSR            MXCSR (cpu_state.fpu)
 *   LFENCE, MFENCE, SFENCE      a host fence (the interpreter is in order)
 *   MOVNTI                      a plain store (no caches to bypass)
 *
 * Each raises #UD when the model does not show its feature, as a CPU
 * without it would. The state: x87 and SSE are cpu_state.fpu (the FXSAVE
 * image); components >= 2 (AVX, AVX-512) live in the bus's xstate area, an
 * XSAVE area in the standard format whose header says which are in their
 * initial state - the same area direct execution loads into the host's
 * registers before guest user code runs and saves after (direct/enter.c),
 * so guest kernel and guest user code see one state. Layout (offsets,
 * sizes) is the host's, copied into the model: the guest's CPUID leaf 0xD
 * says the same.
 *
 * Other SSE and AVX instructions are not emulated: guest user code runs
 * them natively; a guest kernel that used them would get #UD (docs/
 * CPU_MODEL.md).
 */
#include <Zydis/Zydis.h>
#include <string.h>

#include "cpu/cpu_model.h"
#include "cpu/fpu.h"
#include "cpu/interp.h"
#include "cpu/mem.h"
#include "cpu/ops_common.h"

#define XSAVE_HEADER 512
#define XSAVE_MAX 4096        /* bytes of the largest area handled (AVX-512: 2,688) */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static const struct cpu_model *model(const struct vcpu *v)
{
	return v->bus.model;
}

static bool has_edx(const struct vcpu *v, uint32_t bit)
{
	return model(v) && (model(v)->edx_features & bit);
}

/* #UD unless the model has XSAVE and CR4.OSXSAVE is set. */
static void need_osxsave(struct vcpu *v)
{
	if (!model(v) || !model(v)->xsave_mask || !(v->s->cr4 & CR4_OSXSAVE))
		vcpu_fault_noerr(v, EXC_UD);
}

/* Bytes of the standard-format area that hold the components of mask. */
static uint32_t area_bytes(const struct cpu_model *m, uint64_t mask)
{
	uint32_t n = XSAVE_HEADER + 64;
	for (unsigned c = 2; c < XSAVE_NCOMP; c++)
		if ((mask & (1ull << c)) && m->xcomp[c].offset + m->xcomp[c].size > n)
			n = m->xcomp[c].offset + m->xcomp[c].size;
	return n;
}

/* --- XCR0 ------------------------------------------------------------------ */

static void op_xgetbv(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	need_osxsave(v);
	if (s->gpr[R_ECX] != 0)   /* ECX=1 (XINUSE) needs XGETBV1, not shown */
		vcpu_fault(v, EXC_GP, 0);
	s->gpr[R_EAX] = (uint32_t)s->xcr0;
	s->gpr[R_EDX] = (uint32_t)(s->xcr0 >> 32);
}

/* The rules of SDM vol. 1 13.3 for a value of XCR0. */
static bool xcr0_valid(const struct cpu_model *m, uint64_t x)
{
	if (!(x & XFEATURE_X87) || (x & ~m->xsave_mask))
		return false;
	if ((x & XFEATURE_AVX) && !(x & XFEATURE_SSE))
		return false;
	if (x & XFEATURE_AVX512)
		return (x & XFEATURE_AVX512) == XFEATURE_AVX512 && (x & XFEATURE_AVX);
	return true;
}

static void op_xsetbv(struct vcpu *v, const struct insn *i)
{
	struct cpu_state *s = v->s;
	need_osxsave(v);
	if (cpu_cpl(s) == 0)
		vtx_count_both(&v->vtx, VTX_XSETBV);   /* unconditional exit (cpu/vtx_model.h) */
	uint64_t x = (uint64_t)s->gpr[R_EDX] << 32 | s->gpr[R_EAX];
	if (cpu_cpl(s) != 0 || s->gpr[R_ECX] != 0 || !xcr0_valid(model(v), x))
		vcpu_fault(v, EXC_GP, 0);
	s->xcr0 = x;
}

/* --- XSAVE / XRSTOR ---------------------------------------------------------- */

/* #UD, #NM, the segment check and 64-byte alignment; returns the linear address. */
static uint32_t xsave_operand(struct vcpu *v, const struct insn *i, uint32_t size,
			      enum seg_access kind)
{
	need_osxsave(v);
	if (v->s->cr0 & CR0_TS)
		vcpu_fault_noerr(v, EXC_NM);
	uint32_t lin = vmem_linear(v, i->op[0].seg, op_ea(v, i, &i->op[0]), size, kind);
	if (lin & 63)
		vcpu_fault(v, EXC_GP, 0);
	return lin;
}

static uint64_t rfbm(const struct cpu_state *s)
{
	return s->xcr0 & ((uint64_t)s->gpr[R_EDX] << 32 | s->gpr[R_EAX]);
}

static void op_xsave(struct vcpu *v, const struct insn *i)
{
	need_osxsave(v);
	const struct cpu_model *m = model(v);
	struct cpu_state *s = v->s;
	uint64_t mask = rfbm(s);
	uint32_t n = area_bytes(m, mask);
	uint32_t lin = xsave_operand(v, i, n, SEG_WRITE);
	bool user = vcpu_user(v);
	lin_probe_write(v, lin, n, user);   /* all or nothing */
	const uint8_t *f = (const uint8_t *)&s->fpu;
	if (mask & XFEATURE_X87) {
		lin_write_bytes(v, lin, f, 24, user);            /* FCW ... FDS */
		lin_write_bytes(v, lin + 32, f + 32, 128, user); /* ST0-ST7 */
	}
	if (mask & (XFEATURE_SSE | XFEATURE_AVX))
		lin_write_bytes(v, lin + 24, f + 24, 8, user);   /* MXCSR, MXCSR_MASK */
	if (mask & XFEATURE_SSE)
		lin_write_bytes(v, lin + 160, f + 160, 128, user);
	/* XSTATE_BV: bit i of each saved component says "not in its initial
	   state"; x87 and SSE are reported in use (always allowed), the others
	   as the area's header says. Bits outside RFBM are left as they were. */
	uint64_t xinuse = XFEATURE_X87 | XFEATURE_SSE;
	const uint8_t *x = v->bus.xstate;
	if (x)
		xinuse |= rd64(x + XSAVE_HEADER);
	for (unsigned c = 2; c < XSAVE_NCOMP; c++) {
		if (!(mask & (1ull << c)))
			continue;
		static const uint8_t zeros[XSAVE_MAX];
		const uint8_t *src = x && (xinuse & (1ull << c)) ? x + m->xcomp[c].offset : zeros;
		lin_write_bytes(v, lin + m->xcomp[c].offset, src, m->xcomp[c].size, user);
	}
	uint32_t lo = lin_read(v, lin + XSAVE_HEADER, 4, user);
	uint32_t hi = lin_read(v, lin + XSAVE_HEADER + 4, 4, user);
	uint64_t bv = ((uint64_t)hi << 32 | lo) & ~mask;
	bv |= xinuse & mask;
	lin_write(v, lin + XSAVE_HEADER, 4, (uint32_t)bv, user);
	lin_write(v, lin + XSAVE_HEADER + 4, 4, (uint32_t)(bv >> 32), user);
}

static void op_xrstor(struct vcpu *v, const struct insn *i)
{
	need_osxsave(v);
	const struct cpu_model *m = model(v);
	struct cpu_state *s = v->s;
	uint64_t mask = rfbm(s);
	uint32_t n = area_bytes(m, mask);
	uint32_t lin = xsave_operand(v, i, n, SEG_READ);
	bool user = vcpu_user(v);
	static __thread uint8_t b[XSAVE_MAX];
	if (n > sizeof(b))
		vcpu_unsupported(v, "XRSTOR of a %u-byte area", n);
	lin_read_bytes(v, lin, b, n, user);
	uint64_t bv = rd64(b + XSAVE_HEADER);
	/* standard form only: XCOMP_BV and the next 8 bytes zero (a compacted
	   area, XCOMP_BV[63], needs XSAVEC, not shown), no bit outside XCR0 */
	if (rd64(b + XSAVE_HEADER + 8) || rd64(b + XSAVE_HEADER + 16) || (bv & ~s->xcr0))
		vcpu_fault(v, EXC_GP, 0);
	uint32_t mxcsr = rd32(b + 24);
	if ((mask & (XFEATURE_SSE | XFEATURE_AVX)) && (mxcsr & ~fpu_mxcsr_mask(&s->fpu)))
		vcpu_fault(v, EXC_GP, 0);

	/* no fault past this point: the state changes */
	struct fpu_state *f = &s->fpu;
	if (mask & XFEATURE_X87) {
		if (bv & XFEATURE_X87) {
			fpu_load_x87(f, b);
		} else {   /* the initial x87 state (SDM vol. 1 13.6) */
			f->fcw = 0x037f;
			f->fsw = 0;
			f->ftw = 0;
			f->fop = 0;
			f->fip = f->fdp = 0;
			f->fcs = f->fds = 0;
			memset(f->st, 0, sizeof(f->st));
			fpu_sync_es(f);
		}
	}
	if (mask & (XFEATURE_SSE | XFEATURE_AVX))
		f->mxcsr = mxcsr;
	if (mask & XFEATURE_SSE) {
		if (bv & XFEATURE_SSE)
			memcpy(f->xmm, b + 160, sizeof(f->xmm));
		else
			memset(f->xmm, 0, sizeof(f->xmm));
	}
	uint8_t *x = v->bus.xstate;
	if (!x)
		return;
	uint64_t xbv = rd64(x + XSAVE_HEADER);
	for (unsigned c = 2; c < XSAVE_NCOMP; c++) {
		uint64_t bit = 1ull << c;
		if (!(mask & bit))
			continue;
		if (bv & bit) {
			memcpy(x + m->xcomp[c].offset, b + m->xcomp[c].offset, m->xcomp[c].size);
			xbv |= bit;
		} else {
			memset(x + m->xcomp[c].offset, 0, m->xcomp[c].size);
			xbv &= ~bit;
		}
	}
	memcpy(x + XSAVE_HEADER, &xbv, 8);
}

/* --- MXCSR, fences, MOVNTI ------------------------------------------------------ */

/* #UD without SSE or CR4.OSFXSR, or with CR0.EM; #NM with CR0.TS. */
static void need_sse(struct vcpu *v)
{
	if (!has_edx(v, CPUID_SSE) || !(v->s->cr4 & CR4_OSFXSR) || (v->s->cr0 & CR0_EM))
		vcpu_fault_noerr(v, EXC_UD);
	if (v->s->cr0 & CR0_TS)
		vcpu_fault_noerr(v, EXC_NM);
}

static void op_ldmxcsr(struct vcpu *v, const struct insn *i)
{
	need_sse(v);
	uint32_t x = vmem_read(v, i->op[0].seg, op_ea(v, i, &i->op[0]), 4);
	if (x & ~fpu_mxcsr_mask(&v->s->fpu))
		vcpu_fault(v, EXC_GP, 0);
	v->s->fpu.mxcsr = x;
}

static void op_stmxcsr(struct vcpu *v, const struct insn *i)
{
	need_sse(v);
	vmem_write(v, i->op[0].seg, op_ea(v, i, &i->op[0]), 4, v->s->fpu.mxcsr);
}

static void op_fence(struct vcpu *v, const struct insn *i)
{
	if (!has_edx(v, i->mnemonic == ZYDIS_MNEMONIC_SFENCE ? CPUID_SSE : CPUID_SSE2))
		vcpu_fault_noerr(v, EXC_UD);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void op_movnti(struct vcpu *v, const struct insn *i)
{
	if (!has_edx(v, CPUID_SSE2) || i->op[0].kind != OPK_MEM)
		vcpu_fault_noerr(v, EXC_UD);
	op_write(v, i, 0, op_read(v, i, 1));
}

void ops_xsave_register(struct handler_table *t)
{
	t->fn[ZYDIS_MNEMONIC_XGETBV] = op_xgetbv;
	t->fn[ZYDIS_MNEMONIC_XSETBV] = op_xsetbv;
	t->fn[ZYDIS_MNEMONIC_XSAVE] = op_xsave;
	t->fn[ZYDIS_MNEMONIC_XRSTOR] = op_xrstor;
	t->fn[ZYDIS_MNEMONIC_LDMXCSR] = op_ldmxcsr;
	t->fn[ZYDIS_MNEMONIC_STMXCSR] = op_stmxcsr;
	t->fn[ZYDIS_MNEMONIC_LFENCE] = op_fence;
	t->fn[ZYDIS_MNEMONIC_MFENCE] = op_fence;
	t->fn[ZYDIS_MNEMONIC_SFENCE] = op_fence;
	t->fn[ZYDIS_MNEMONIC_MOVNTI] = op_movnti;
}
