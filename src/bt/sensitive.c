/*
 * sensitive.c - sensitive instructions that run inside the translation
 * cache (architecture.md section 3): CLI, STI, PUSHF, POPF on the virtual
 * system flags in the ctx (ctx->vif, ctx->veflags), and callouts for IN,
 * OUT, RDTSC and CPUID (bt_stub_callout calls bt_callout() in dispatch.c
 * on the monitor stack, without leaving the TC).
 *
 * Host RFLAGS holds the guest's arithmetic flags and DF and must survive
 * these sequences. Where flag-changing host instructions are needed, the
 * sequence saves host RFLAGS like the lookup stub does: guest ESP into
 * ctx->save_esp, rsp = top of ctx->scratch_stack, pushfq; and at the end
 * popfq and ESP back. The only access to guest memory (PUSHF's store,
 * POPF's load) is made with rsp = guest ESP and the guest flags in RFLAGS,
 * before anything guest-visible changed, so a host fault there is precise.
 *
 *   CLI    mov byte [r15+vif], 0
 *   STI    save flags; cmp byte [r15+vif], 0; mov byte [r15+vif], 1;
 *          IF was 0: restore, leave with BT_EXIT_STI (next_eip = the next
 *          instruction, which the dispatcher runs in the STI shadow);
 *          else restore and go on
 *   PUSHF  save flags; r8d = (saved & arithmetic|DF) | veflags | vif << 9;
 *          restore; mov [esp-n], r8d/r8w; lea esp, [esp-n]
 *   POPF   r8d = [esp] (movzx for 16 bits); save flags; TF set: restore,
 *          leave with BT_EXIT_INTERP at the POPF (single-stepping is the
 *          interpreter's); else IOPL NT AC ID (16 bits: IOPL NT) into
 *          veflags, IF into vif, arithmetic flags and DF into the saved
 *          RFLAGS (never TF or AC: they must not reach the host); restore;
 *          lea esp, [esp+n]; if IF went 0 -> 1 while the PIC's INTR is up,
 *          leave with BT_EXIT_SYNC (never chained) so the dispatcher
 *          delivers the interrupt before the next instruction.
 *   callout  mov dword [r15+next_eip], next; mov r13d, op;
 *          lea r14, [rip+5]; jmp callout stub
 */
#include "bt/emit.h"

#define EFL_SYS32 0x247000u   /* NT IOPL AC ID: what POPFD at CPL 0 writes besides IF, TF, arithmetic */
#define EFL_SYS16 0x007000u   /* NT IOPL */

static void enter_scratch(struct emitter *e)
{
	static const uint8_t seq[] = {
		0x41, 0x89, 0x67, BT_CTX_SAVE_ESP,            /* mov [r15+save_esp], esp */
		0x49, 0x8d, 0xa7,                             /* lea rsp, [r15+SCRATCH_TOP] */
		BT_CTX_SCRATCH_TOP & 0xff, BT_CTX_SCRATCH_TOP >> 8, 0, 0,
		0x9c,                                         /* pushfq */
	};
	emit_bytes(e, seq, sizeof(seq));
}

static void leave_scratch(struct emitter *e)
{
	static const uint8_t seq[] = {
		0x9d,                                         /* popfq */
		0x41, 0x8b, 0x67, BT_CTX_SAVE_ESP,            /* mov esp, [r15+save_esp] */
	};
	emit_bytes(e, seq, sizeof(seq));
}

/* next_eip = eip, exit_reason = reason, jmp exit stub */
static void exit_to(struct emitter *e, const struct tc *tc, uint32_t eip, uint32_t reason)
{
	emit_ctx_store_imm(e, BT_CTX_NEXT_EIP, eip);
	emit_ctx_store_imm(e, BT_CTX_EXIT_REASON, reason);
	emit_u8(e, 0xe9);
	emit_rel32(e, tc->stub_exit);
}

/* A short forward jump (opcode op, rel8) whose target is set by patch8(). */
static uint8_t *jump8(struct emitter *e, uint8_t op)
{
	const uint8_t j[2] = { op, 0 };
	emit_bytes(e, j, 2);
	return e->overflow ? NULL : e->p - 1;
}

static void patch8(struct emitter *e, uint8_t *site)
{
	if (site)
		*site = (uint8_t)(e->p - (site + 1));
}

void bt_emit_cli(struct emitter *e)
{
	const uint8_t seq[] = { 0x41, 0xc6, 0x47, BT_CTX_VIF, 0 };   /* mov byte [r15+vif], 0 */
	emit_bytes(e, seq, sizeof(seq));
}

void bt_emit_sti(struct emitter *e, const struct tc *tc, uint32_t next)
{
	enter_scratch(e);
	const uint8_t seq[] = {
		0x41, 0x80, 0x7f, BT_CTX_VIF, 0,              /* cmp byte [r15+vif], 0 */
		0x41, 0xc6, 0x47, BT_CTX_VIF, 1,              /* mov byte [r15+vif], 1 */
	};
	emit_bytes(e, seq, sizeof(seq));
	uint8_t *was_set = jump8(e, 0x75);                    /* jne */
	leave_scratch(e);
	exit_to(e, tc, next, BT_EXIT_STI);
	patch8(e, was_set);
	leave_scratch(e);
}

bool bt_emit_pushf(struct emitter *e, const struct bt_insn *in)
{
	bool w16 = in->d.operand_width == 16;
	enter_scratch(e);
	const uint8_t seq[] = {
		0x44, 0x8b, 0x04, 0x24,                       /* mov r8d, [rsp] */
		0x41, 0x81, 0xe0, BT_EFLAGS_MASK & 0xff, BT_EFLAGS_MASK >> 8, 0, 0,  /* and r8d, mask */
		0x45, 0x0b, 0x47, BT_CTX_VEFLAGS,             /* or r8d, [r15+veflags] */
		0x45, 0x0f, 0xb6, 0x4f, BT_CTX_VIF,           /* movzx r9d, byte [r15+vif] */
		0x41, 0xc1, 0xe1, 9,                          /* shl r9d, 9 */
		0x45, 0x09, 0xc8,                             /* or r8d, r9d */
	};
	emit_bytes(e, seq, sizeof(seq));
	leave_scratch(e);
	if (w16) {
		static const uint8_t st[] = { 0x66, 0x67, 0x44, 0x89, 0x44, 0x24, 0xfe };  /* mov [esp-2], r8w */
		emit_bytes(e, st, sizeof(st));
		emit_lea_esp(e, -2);
	} else {
		static const uint8_t st[] = { 0x67, 0x44, 0x89, 0x44, 0x24, 0xfc };  /* mov [esp-4], r8d */
		emit_bytes(e, st, sizeof(st));
		emit_lea_esp(e, -4);
	}
	return !e->overflow;
}

static void put_imm32(uint8_t *p, uint32_t x)
{
	memcpy(p, &x, 4);
}

bool bt_emit_popf(struct emitter *e, const struct tc *tc, const struct bt_insn *in)
{
	bool w16 = in->d.operand_width == 16;
	unsigned n = w16 ? 2 : 4;
	uint32_t next = in->eip + in->d.length;
	if (w16) {
		static const uint8_t ld[] = { 0x67, 0x44, 0x0f, 0xb7, 0x04, 0x24 };  /* movzx r8d, word [esp] */
		emit_bytes(e, ld, sizeof(ld));
	} else {
		static const uint8_t ld[] = { 0x67, 0x44, 0x8b, 0x04, 0x24 };        /* mov r8d, [esp] */
		emit_bytes(e, ld, sizeof(ld));
	}
	enter_scratch(e);
	static const uint8_t tf[] = { 0x41, 0xf7, 0xc0, 0x00, 0x01, 0x00, 0x00 };  /* test r8d, TF */
	emit_bytes(e, tf, sizeof(tf));
	uint8_t *no_tf = jump8(e, 0x74);                      /* jz */
	leave_scratch(e);
	exit_to(e, tc, in->eip, BT_EXIT_INTERP);
	patch8(e, no_tf);

	uint32_t sys = w16 ? EFL_SYS16 : EFL_SYS32;
	uint8_t seq[] = {
		0x45, 0x0f, 0xb6, 0x5f, BT_CTX_VIF,           /* movzx r11d, byte [r15+vif] (old IF) */
		0x45, 0x8b, 0x4f, BT_CTX_VEFLAGS,             /* mov r9d, [r15+veflags] */
		0x41, 0x81, 0xe1, 0, 0, 0, 0,                 /* and r9d, ~sys */
		0x45, 0x89, 0xc2,                             /* mov r10d, r8d */
		0x41, 0x81, 0xe2, 0, 0, 0, 0,                 /* and r10d, sys */
		0x45, 0x09, 0xd1,                             /* or r9d, r10d */
		0x45, 0x89, 0x4f, BT_CTX_VEFLAGS,             /* mov [r15+veflags], r9d */
		0x45, 0x89, 0xc1,                             /* mov r9d, r8d */
		0x41, 0xc1, 0xe9, 9,                          /* shr r9d, 9 */
		0x41, 0x83, 0xe1, 1,                          /* and r9d, 1 */
		0x45, 0x88, 0x4f, BT_CTX_VIF,                 /* mov [r15+vif], r9b */
		0x41, 0x81, 0xe0, 0, 0, 0, 0,                 /* and r8d, arithmetic|DF */
		0x44, 0x8b, 0x14, 0x24,                       /* mov r10d, [rsp] (saved RFLAGS) */
		0x41, 0x81, 0xe2, 0, 0, 0, 0,                 /* and r10d, ~(arithmetic|DF) */
		0x45, 0x09, 0xc2,                             /* or r10d, r8d */
		0x44, 0x89, 0x14, 0x24,                       /* mov [rsp], r10d */
		0x41, 0x83, 0xf3, 1,                          /* xor r11d, 1 */
		0x45, 0x21, 0xd9,                             /* and r9d, r11d: IF went 0 -> 1 */
		0x4d, 0x8b, 0x57, BT_CTX_INTR_LINE,           /* mov r10, [r15+intr_line] */
		0x41, 0x83, 0x3a, 0,                          /* cmp dword [r10], 0 */
		0x41, 0x0f, 0x95, 0xc2,                       /* setne r10b */
		0x45, 0x20, 0xd1,                             /* and r9b, r10b */
	};
	put_imm32(seq + 12, ~sys);
	put_imm32(seq + 22, sys);
	put_imm32(seq + 51, BT_EFLAGS_MASK);
	put_imm32(seq + 62, ~(uint32_t)BT_EFLAGS_MASK);
	emit_bytes(e, seq, sizeof(seq));
	uint8_t *no_intr = jump8(e, 0x74);                    /* jz */
	leave_scratch(e);
	emit_lea_esp(e, (int32_t)n);
	exit_to(e, tc, next, BT_EXIT_SYNC);
	patch8(e, no_intr);
	leave_scratch(e);
	emit_lea_esp(e, (int32_t)n);
	return !e->overflow;
}

void bt_emit_callout(struct emitter *e, const struct tc *tc, uint32_t next, uint32_t op)
{
	emit_ctx_store_imm(e, BT_CTX_NEXT_EIP, next);
	emit_u8(e, 0x41);                                     /* mov r13d, op */
	emit_u8(e, 0xbd);
	emit_u32(e, op);
	static const uint8_t lea[] = { 0x4c, 0x8d, 0x35, 5, 0, 0, 0 };   /* lea r14, [rip+5] */
	emit_bytes(e, lea, sizeof(lea));
	emit_u8(e, 0xe9);
	emit_rel32(e, tc->stub_callout);
}
