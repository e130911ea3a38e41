/*
 * fpu_host.c - the host's x87 as the arithmetic unit of the guest's.
 *
 * x86-64 hosts have the same x87 as the guest's, so rounding (precision
 * and rounding control), exception detection (IE DE ZE OE UE PE), the
 * masked and unmasked responses on the result (QNaN propagation, bias
 * adjustment of unmasked overflow/underflow, SDM vol. 1 4.9.1-4.9.2 and
 * 8.5) and the transcendental instructions come out exactly as on the
 * processor. The guest's register stack, tags, TOP and stack faults stay
 * in software (fpu.c); only the operation itself runs here, on a small
 * stack built for it:
 *
 *   FRSTOR   a 108-byte image: guest FCW, guest C0-C3, no flags, TOP = 0,
 *            R0 = ST(0), R1 = ST(1), R2-R7 empty;
 *   the instruction, encoded as its two bytes (FOP), a memory operand
 *            addressed as [rsi] (ModRM mod 00 rm 110);
 *   FNSAVE   the result back, which also re-initializes the host FPU, so
 *            no unmasked exception is left pending on the host and the
 *            SysV ABI's empty stack and default control word hold again.
 *
 * The instructions are raw bytes, not mnemonics: AT&T assemblers swap
 * FSUB/FSUBR and FDIV/FDIVR for the ST(i) destination forms, bytes
 * cannot be misread. FCOMI and friends also pass EFLAGS through (the
 * host keeps the flags it does not write, as the guest's would).
 */
#include "cpu/fpu.h"

#include "cpu/flags.h"

#ifndef __x86_64__
#error "fpu_host.c computes on the host's x87 and needs an x86-64 host"
#endif

/* FRSTOR/FNSAVE image, 32-bit layout (64-bit mode without REX.W), SDM vol. 1 fig. 8-9. */
struct host_image {
	uint32_t cw, sw, tw, fip, fcs_fop, fdp, fds;
	uint8_t st[8][10];
} __attribute__((packed));

_Static_assert(sizeof(struct host_image) == 108, "FNSAVE image is 108 bytes");

/* Instructions that only use the status word and stack. */
#define HOST_OPS(X)                                                                     \
	/* D8: ST(0) op= ST(1), and m32fp */                                            \
	X(0xd8, 0xc1) X(0xd8, 0xc9) X(0xd8, 0xd1) X(0xd8, 0xd9)                         \
	X(0xd8, 0xe1) X(0xd8, 0xe9) X(0xd8, 0xf1) X(0xd8, 0xf9)                         \
	X(0xd8, 0x06) X(0xd8, 0x0e) X(0xd8, 0x16) X(0xd8, 0x1e)                         \
	X(0xd8, 0x26) X(0xd8, 0x2e) X(0xd8, 0x36) X(0xd8, 0x3e)                         \
	/* D9: loads and stores of m32fp, constants, unary and transcendental */        \
	X(0xd9, 0x06) X(0xd9, 0x16) X(0xd9, 0x1e)                                       \
	X(0xd9, 0xe0) X(0xd9, 0xe1) X(0xd9, 0xe4) X(0xd9, 0xe5)                         \
	X(0xd9, 0xe8) X(0xd9, 0xe9) X(0xd9, 0xea) X(0xd9, 0xeb)                         \
	X(0xd9, 0xec) X(0xd9, 0xed) X(0xd9, 0xee)                                       \
	X(0xd9, 0xf0) X(0xd9, 0xf1) X(0xd9, 0xf2) X(0xd9, 0xf3)                         \
	X(0xd9, 0xf4) X(0xd9, 0xf5) X(0xd9, 0xf8) X(0xd9, 0xf9)                         \
	X(0xd9, 0xfa) X(0xd9, 0xfb) X(0xd9, 0xfc) X(0xd9, 0xfd)                         \
	X(0xd9, 0xfe) X(0xd9, 0xff)                                                     \
	/* DA: m32int arithmetic, FUCOMPP */                                            \
	X(0xda, 0x06) X(0xda, 0x0e) X(0xda, 0x16) X(0xda, 0x1e)                         \
	X(0xda, 0x26) X(0xda, 0x2e) X(0xda, 0x36) X(0xda, 0x3e)                         \
	X(0xda, 0xe9)                                                                   \
	/* DB: m32int loads and stores */                                               \
	X(0xdb, 0x06) X(0xdb, 0x16) X(0xdb, 0x1e)                                       \
	/* DC: ST(1) op= ST(0), and m64fp */                                            \
	X(0xdc, 0xc1) X(0xdc, 0xc9) X(0xdc, 0xd1) X(0xdc, 0xd9)                         \
	X(0xdc, 0xe1) X(0xdc, 0xe9) X(0xdc, 0xf1) X(0xdc, 0xf9)                         \
	X(0xdc, 0x06) X(0xdc, 0x0e) X(0xdc, 0x16) X(0xdc, 0x1e)                         \
	X(0xdc, 0x26) X(0xdc, 0x2e) X(0xdc, 0x36) X(0xdc, 0x3e)                         \
	/* DD: m64fp loads and stores, FUCOM(P) */                                      \
	X(0xdd, 0x06) X(0xdd, 0x16) X(0xdd, 0x1e) X(0xdd, 0xe1) X(0xdd, 0xe9)           \
	/* DE: ST(1) op= ST(0) and pop, FCOMP5, FCOMPP, m16int arithmetic */            \
	X(0xde, 0xc1) X(0xde, 0xc9) X(0xde, 0xd1) X(0xde, 0xd9)                         \
	X(0xde, 0xe1) X(0xde, 0xe9) X(0xde, 0xf1) X(0xde, 0xf9)                         \
	X(0xde, 0x06) X(0xde, 0x0e) X(0xde, 0x16) X(0xde, 0x1e)                         \
	X(0xde, 0x26) X(0xde, 0x2e) X(0xde, 0x36) X(0xde, 0x3e)                         \
	/* DF: m16int and m64int loads and stores, packed BCD */                        \
	X(0xdf, 0x06) X(0xdf, 0x16) X(0xdf, 0x1e) X(0xdf, 0x26)                         \
	X(0xdf, 0x2e) X(0xdf, 0x36) X(0xdf, 0x3e)

/* FCOMI, FUCOMI, FCOMIP, FUCOMIP: they write ZF PF CF. */
#define HOST_EFLAGS_OPS(X) X(0xdb, 0xe9) X(0xdb, 0xf1) X(0xdf, 0xe9) X(0xdf, 0xf1)

#define FOP(b1, b2) ((((b1) & 7) << 8) | (b2))

#define X87_CLOBBERS "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

#define RUN(b1, b2)                                                                     \
	case FOP(b1, b2):                                                               \
		__asm__ volatile("frstor %[img]\n\t"                                    \
				 ".byte " #b1 ", " #b2 "\n\t"                           \
				 "fnsave %[img]"                                        \
				 : [img] "+m"(img)                                      \
				 : "S"(h->mem)                                          \
				 : X87_CLOBBERS);                                       \
		break;

/* The stack pointer moves below the red zone before PUSHF/POPF. */
#define RUN_EFLAGS(b1, b2)                                                              \
	case FOP(b1, b2):                                                               \
		__asm__ volatile("frstor %[img]\n\t"                                    \
				 "lea -128(%%rsp), %%rsp\n\t"                           \
				 "pushq %[fl]\n\t"                                      \
				 "popfq\n\t"                                            \
				 ".byte " #b1 ", " #b2 "\n\t"                           \
				 "pushfq\n\t"                                           \
				 "popq %[fl]\n\t"                                       \
				 "lea 128(%%rsp), %%rsp\n\t"                            \
				 "fnsave %[img]"                                        \
				 : [img] "+m"(img), [fl] "+r"(fl)                       \
				 :                                                      \
				 : "cc", X87_CLOBBERS);                                 \
		break;

bool fpu_host_run(struct fpu_host *h, uint16_t fop)
{
	struct host_image img;
	memset(&img, 0, sizeof(img));
	img.cw = h->cw;
	img.sw = h->sw & FSW_CC;          /* TOP = 0, no flags */
	img.tw = 0xfff0;                  /* R0, R1 in use (the host re-tags them) */
	f80_put(img.st[0], h->st[0]);
	f80_put(img.st[1], h->st[1]);
	uint64_t fl = (h->eflags & EFL_ARITH) | EFL_FIXED1;
	switch (fop) {
	HOST_OPS(RUN)
	HOST_EFLAGS_OPS(RUN_EFLAGS)
	default:
		return false;
	}
	h->sw = (uint16_t)img.sw;
	unsigned top = (img.sw >> 11) & 7;
	h->pops = top >= 4 ? (int)top - 8 : (int)top;
	for (int k = 0; k < 3; k++)
		h->st[k] = f80_get(img.st[k]);
	h->eflags = (uint32_t)fl & EFL_ARITH;
	return true;
}
