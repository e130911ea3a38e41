/*
 * fpu.h - what the x87 files share (fpu.c, fpu_data.c, fpu_arith.c,
 * fpu_host.c); not an interface for the rest of softvt, which sees the
 * FPU only as cpu_state.fpu and the handlers of ops_fpu_register().
 *
 * State: struct fpu_state is the FXSAVE image (SDM vol. 2A FXSAVE, table
 * "Non-64-bit-Mode Layout"), kept exact so that FXSAVE is a copy and other
 * engines can FXRSTOR it as is:
 *   st[i]  holds ST(i) in stack order (FXSAVE's order), 80 bits in the low
 *          10 bytes, the other 6 bytes zero; a push or pop rotates the array
 *          so that physical register R(TOP+i) stays at st[i];
 *   ftw    is the abridged tag word, bit r set when physical register Rr is
 *          not empty; the 2-bit tags of FSTENV/FSAVE (valid, zero, special,
 *          empty) are computed from the register contents when stored, and
 *          FLDENV/FRSTOR use a loaded tag only to tell empty from non-empty
 *          (SDM vol. 1 8.1.7);
 *   fsw    holds TOP in bits 11-13; ES and B always equal "an unmasked
 *          exception flag is set" (fpu_sync_es).
 */
#ifndef SOFTVT_CPU_FPU_H
#define SOFTVT_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/interp.h"
#include "cpu/vcpu.h"

/* Status word (SDM vol. 1 8.1.3) */
#define FSW_IE 0x0001u
#define FSW_DE 0x0002u
#define FSW_ZE 0x0004u
#define FSW_OE 0x0008u
#define FSW_UE 0x0010u
#define FSW_PE 0x0020u
#define FSW_SF 0x0040u
#define FSW_ES 0x0080u
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3 0x4000u
#define FSW_B  0x8000u
#define FSW_EXC 0x003fu                 /* the six exception flags */
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* Control word (SDM vol. 1 8.1.5): masks in bits 0-5, PC 8-9, RC 10-11, X 12. */
#define FCW_IM 0x0001u
#define FCW_MASKS 0x003fu
#define FCW_INIT 0x037fu
/* Bits that exist: bit 6 reads as 1, bits 13-15 as 0. */
#define FCW_LOAD(x) (uint16_t)(((x) & 0x1f3fu) | 0x0040u)

/* An 80-bit double extended value: 64-bit significand (explicit integer
 * bit 63), sign in bit 15 of se, biased exponent in bits 0-14. */
struct f80 {
	uint64_t mant;
	uint16_t se;
};

/* The default QNaN ("real indefinite", SDM vol. 1 4.8.3.7). */
static inline struct f80 f80_indefinite(void)
{
	return (struct f80){ 0xc000000000000000ull, 0xffff };
}

static inline struct f80 f80_get(const uint8_t *p)
{
	struct f80 x;
	memcpy(&x.mant, p, 8);
	memcpy(&x.se, p + 8, 2);
	return x;
}

static inline void f80_put(uint8_t *p, struct f80 x)
{
	memcpy(p, &x.mant, 8);
	memcpy(p + 8, &x.se, 2);
}

/* --- register stack ------------------------------------------------------- */

static inline unsigned fpu_top(const struct fpu_state *f)
{
	return (f->fsw >> 11) & 7;
}

static inline unsigned fpu_phys(const struct fpu_state *f, unsigned i)
{
	return (fpu_top(f) + i) & 7;
}

static inline bool fpu_empty(const struct fpu_state *f, unsigned i)
{
	return !(f->ftw & (1u << fpu_phys(f, i)));
}

static inline struct f80 fpu_st(const struct fpu_state *f, unsigned i)
{
	return f80_get(f->st[i]);
}

/* ST(i) = x, and its tag non-empty. */
static inline void fpu_set(struct fpu_state *f, unsigned i, struct f80 x)
{
	memset(f->st[i], 0, sizeof(f->st[i]));
	f80_put(f->st[i], x);
	f->ftw |= (uint8_t)(1u << fpu_phys(f, i));
}

void fpu_push(struct fpu_state *f, struct f80 x);
void fpu_pop(struct fpu_state *f);
/* TOP += delta, the registers keeping their physical places (st[] rotates);
 * tags untouched. */
void fpu_rotate(struct fpu_state *f, int delta);

/* ES and B from the flags and masks. */
static inline void fpu_sync_es(struct fpu_state *f)
{
	if (f->fsw & ~f->fcw & FSW_EXC)
		f->fsw |= FSW_ES | FSW_B;
	else
		f->fsw &= (uint16_t)~(FSW_ES | FSW_B);
}

/* 2-bit tag of a register's contents: 0 valid, 1 zero, 2 special. */
unsigned fpu_classify(struct f80 x);
/* The full tag word of FSTENV/FSAVE. */
uint16_t fpu_tag_word(const struct fpu_state *f);

/*
 * Stack overflow or underflow (#IS, SDM vol. 1 8.5.1.1): sets IE and SF, C1
 * = overflow. Returns true if IE is masked: the caller then gives the
 * masked response (QNaN indefinite into the destination).
 */
bool fpu_stack_fault(struct fpu_state *f, bool overflow);

/* --- instruction framing -------------------------------------------------- */

/*
 * #NM when CR0.EM or CR0.TS is set (SDM vol. 3A 2.5, table 2-2); for a
 * waiting instruction, #MF when an unmasked exception is pending.
 */
void fpu_check(struct vcpu *v, bool waiting);

/*
 * A non-control instruction executed: FIP/FCS and FOP, and FDP/FDS when
 * it has a memory operand (SDM vol. 1 8.1.8-8.1.9). Called once the
 * instruction can no longer fault.
 */
void fpu_note(struct vcpu *v, const struct insn *i);

/* The memory operand op[0]: offset and raw bytes (segment checks, #PF). */
uint32_t fpu_ea(const struct vcpu *v, const struct insn *i);
void fpu_mem_read(struct vcpu *v, const struct insn *i, void *buf, unsigned n);
void fpu_mem_write(struct vcpu *v, const struct insn *i, const void *buf, unsigned n);
/* The MXCSR bits that may be set (MXCSR_MASK, or the default when it reads 0). */
uint32_t fpu_mxcsr_mask(const struct fpu_state *f);
/*
 * The x87 part of an FXSAVE image b (FCW ... FDS, ST0-ST7: bytes 0-23 and
 * 32-159, the legacy region of an XSAVE area too) into f, as FXRSTOR and
 * XRSTOR load it; not MXCSR or the XMM registers.
 */
void fpu_load_x87(struct fpu_state *f, const uint8_t *b);

/* --- the host x87 as arithmetic unit (fpu_host.c) -------------------------- */

/*
 * One operation on the host x87: ST(0) = st[0], ST(1) = st[1], both
 * non-empty, the rest of the stack empty; control word cw and condition
 * codes (C0-C3 of sw) as given; exception flags clear. The operation is
 * the x87 instruction with FOP `fop` (opcode & 7) << 8 | ModRM, where a
 * memory ModRM must be mod 00 rm 110 (operand `mem`) and a register one
 * names ST(0)/ST(1). Afterwards sw is the host's status word (new flags,
 * condition codes), st[0..2] the host's ST(0..2), pops how far TOP moved
 * up (-1 for a push), and eflags the host's OF SF ZF AF PF CF for the
 * FCOMI family (set on input to the guest's, which the host keeps where
 * the instruction leaves them alone). Returns false for an FOP it does not
 * know.
 */
struct fpu_host {
	uint16_t cw, sw;
	struct f80 st[3];
	int pops;
	uint32_t eflags;
	uint8_t mem[16];
};

bool fpu_host_run(struct fpu_host *h, uint16_t fop);

/* FOP for the host: the instruction's ModRM with ST(i) replaced by ST(rm),
 * or with the memory operand replaced by [rsi]. */
static inline uint16_t fpu_host_fop(const struct insn *i, unsigned rm)
{
	unsigned modrm = i->modrm_mod == 3 ? 0xc0u | (i->modrm_reg << 3) | rm
					   : (i->modrm_reg << 3) | 6u;
	return (uint16_t)(((i->opcode & 7u) << 8) | modrm);
}

/*
 * The guest status word after a host operation: the host's condition
 * codes, the new exception flags added to the sticky ones.
 */
static inline void fpu_merge_sw(struct fpu_state *f, uint16_t host_sw)
{
	f->fsw = (uint16_t)((f->fsw & ~FSW_CC) | (host_sw & (FSW_CC | FSW_EXC | FSW_SF)));
	fpu_sync_es(f);
}

/* Exceptions that the host raised unmasked. */
static inline uint16_t fpu_unmasked(const struct fpu_state *f, uint16_t host_sw)
{
	return host_sw & ~f->fcw & FSW_EXC;
}

/* Host run for handlers: unknown FOPs are a softvt gap, not a guest error. */
void fpu_host(struct vcpu *v, struct fpu_host *h, const struct insn *i, uint16_t fop);

void fpu_data_register(struct handler_table *t);
void fpu_arith_register(struct handler_table *t);

#endif
