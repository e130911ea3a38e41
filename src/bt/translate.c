/*
 * translate.c - bt_translate(): one guest basic block into host code
 * (translate.h; the classes are in classify.c, their emitters in ident.c
 * and rewrite.c).
 *
 * Block layout:
 *   mov r13d, [rip+poll_page]          entry: faults when the monitor stops us
 *   guest instruction 0 .. n-1         tb->insn[k] = {host offset, guest offset}
 *   the block end:
 *     fall-through / JMP rel / CALL rel      jmp rel32 -> tail
 *     Jcc                                    jcc rel32 -> tail (taken); jmp rel32 -> tail
 *     JECXZ / LOOPcc (67 prefix: ECX)        67 E3/E2/E1/E0 +5; jmp rel32 -> tail
 *                                            (not taken); jmp rel32 -> tail (taken)
 *     RET / JMP r/m / CALL r/m               r14d = target; jmp lookup stub
 *     an instruction the TC does not run     next_eip = its EIP, exit_mnemonic =
 *                                            its mnemonic (statistics), exit_reason
 *                                            = BT_EXIT_INTERP; jmp exit stub
 *   tails, one per direct exit:
 *     mov dword [r15+next_eip], target
 *     lea r14, [rip -> the rel32 of that exit]
 *     jmp exit_branch stub                   (exit_site = r14, BT_EXIT_BRANCH)
 * The dispatcher chains an exit by pointing its rel32 at the next block
 * (tc_chain); nothing in between touches the guest flags.
 *
 * An instruction that crosses the guest page end ends the block before it
 * with a direct exit to it; the block at its EIP is then that instruction
 * alone, translated from its bytes in both pages when the dispatcher could
 * fetch the second (bt_translate_cross), and an exit to the interpreter
 * otherwise.
 */
#include "bt/emit.h"

struct fixup {
	uint32_t site;       /* offset of the rel32 in the block */
	uint32_t target;     /* guest EIP */
};

struct block {
	struct emitter e;
	struct tc *tc;
	struct fixup fix[2];
	unsigned nfix;
	uint16_t exit_mnemonic;
};

static void exit_direct(struct block *b, uint32_t target)
{
	emit_u8(&b->e, 0xe9);
	b->fix[b->nfix++] = (struct fixup){ (uint32_t)(b->e.p - b->e.start), target };
	emit_u32(&b->e, 0);
}

static void exit_jcc(struct block *b, unsigned cc, uint32_t target)
{
	emit_u8(&b->e, 0x0f);
	emit_u8(&b->e, (uint8_t)(0x80 | cc));
	b->fix[b->nfix++] = (struct fixup){ (uint32_t)(b->e.p - b->e.start), target };
	emit_u32(&b->e, 0);
}

static void exit_interp(struct block *b, uint32_t eip, ZydisMnemonic mnemonic)
{
	b->exit_mnemonic = (uint16_t)mnemonic;
	emit_ctx_store_imm(&b->e, BT_CTX_NEXT_EIP, eip);
	emit_ctx_store_imm(&b->e, BT_CTX_EXIT_MNEMONIC, (uint32_t)mnemonic);
	emit_ctx_store_imm(&b->e, BT_CTX_EXIT_REASON, BT_EXIT_INTERP);
	emit_u8(&b->e, 0xe9);
	emit_rel32(&b->e, b->tc->stub_exit);
}

static void exit_lookup(struct block *b)
{
	emit_u8(&b->e, 0xe9);
	emit_rel32(&b->e, b->tc->stub_lookup);
}

static void emit_tails(struct block *b, struct tb *tb)
{
	for (unsigned k = 0; k < b->nfix; k++) {
		struct fixup *f = &b->fix[k];
		uint8_t *site = b->e.start + f->site;
		uint64_t site_rx = b->e.rx + f->site;
		int32_t rel = (int32_t)(emit_rx(&b->e) - (site_rx + 4));
		memcpy(site, &rel, 4);
		emit_ctx_store_imm(&b->e, BT_CTX_NEXT_EIP, f->target);
		static const uint8_t lea_r14[3] = { 0x4c, 0x8d, 0x35 };
		emit_bytes(&b->e, lea_r14, 3);
		emit_rel32(&b->e, site_rx);
		emit_u8(&b->e, 0xe9);
		emit_rel32(&b->e, b->tc->stub_exit_branch);
		tb->exits[k] = (struct tb_exit){ f->target, f->site };
		_Static_assert(8 + 7 + 5 == TC_TAIL_BYTES, "tc_unchain finds the tails");
	}
	tb->nexits = (uint8_t)b->nfix;
}

static uint32_t branch_target(const struct bt_insn *in)
{
	ZyanU64 target = 0;
	ZydisCalcAbsoluteAddress(&in->d, &in->ops[0], in->eip, &target);
	return (uint32_t)target;
}

/* The host code of one guest instruction of class c; false: leave it to the interpreter. */
static bool emit_insn(struct block *b, struct bt_insn *in, enum bt_class c)
{
	struct emitter *e = &b->e;
	uint32_t next = in->eip + in->d.length;
	switch (c) {
	case BT_IDENT:
		return bt_emit_ident(e, in);
	case BT_PUSH:
		return bt_emit_push(e, in);
	case BT_POP:
		return bt_emit_pop(e, in);
	case BT_LEAVE:
		return bt_emit_leave(e, in);
	case BT_CALL_REL:
		if (!bt_emit_push_imm32(e, next))
			return false;
		exit_direct(b, branch_target(in));
		return true;
	case BT_CALL_IND:
		if (!bt_emit_load_target(e, in) || !bt_emit_push_imm32(e, next))
			return false;
		exit_lookup(b);
		return true;
	case BT_JMP_IND:
		if (!bt_emit_load_target(e, in))
			return false;
		exit_lookup(b);
		return true;
	case BT_RET:
		if (!bt_emit_ret_pop(e, in))
			return false;
		exit_lookup(b);
		return true;
	case BT_JMP_REL:
		exit_direct(b, branch_target(in));
		return true;
	case BT_JCC:
		exit_jcc(b, in->d.opcode & 0xf, branch_target(in));
		exit_direct(b, next);
		return true;
	case BT_JECXZ:
	case BT_LOOP: {
		/* 67 E3 = jecxz, 67 E2/E1/E0 = loop/loope/loopne on ECX (address size 32) */
		const uint8_t op[3] = { 0x67, (uint8_t)in->d.opcode, 5 };
		emit_bytes(e, op, 3);
		exit_direct(b, next);
		exit_direct(b, branch_target(in));
		return true;
	}
	case BT_CLI:
		bt_emit_cli(e);
		return !e->overflow;
	case BT_STI:
		bt_emit_sti(e, b->tc, next);
		return !e->overflow;
	case BT_PUSHF:
		return bt_emit_pushf(e, in);
	case BT_POPF:
		return bt_emit_popf(e, b->tc, in);
	case BT_CALLOUT:
		bt_emit_callout(e, b->tc, next, in->callout_op);
		return !e->overflow;
	case BT_SREG:
		return bt_emit_sreg_read(e, in);
	case BT_EXIT:
		break;
	}
	return false;
}

bool bt_insn_crosses(const uint8_t *code, uint32_t avail)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction d;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	return avail < BT_GUEST_INSN_MAX &&
	       ZydisDecoderDecodeInstruction(&dec, NULL, code, avail, &d) == ZYDIS_STATUS_NO_MORE_DATA;
}

struct tb *bt_translate(struct tc *tc, const struct bt_mode *mode, uint32_t eip,
			const uint8_t *code, uint32_t avail)
{
	return bt_translate_cross(tc, mode, eip, code, avail, 0);
}

struct tb *bt_translate_cross(struct tc *tc, const struct bt_mode *mode, uint32_t eip,
			      const uint8_t *code, uint32_t avail, uint32_t cross)
{
	if (tc->used + TC_MAX_BLOCK_BYTES > tc->size || tc->ntbs >= tc->max_tbs ||
	    tc->ninsns + BT_MAX_INSNS > tc->max_insns)
		return NULL;
	struct tb *tb = &tc->tbs[tc->ntbs];
	memset(tb, 0, sizeof(*tb));
	tb->eip = eip;
	tb->mode = *mode;
	tb->insn = &tc->insns[tc->ninsns];

	struct block b = { .tc = tc };
	b.e.start = b.e.p = tc->rw + tc->used;
	b.e.end = b.e.start + TC_MAX_BLOCK_BYTES;
	b.e.rx = (uint64_t)(uintptr_t)tc->rx + tc->used;
	/* mov r13d, [rip+poll]: the entry check (r13 is scratch, flags untouched) */
	static const uint8_t poll[3] = { 0x44, 0x8b, 0x2d };
	emit_bytes(&b.e, poll, 3);
	emit_rel32(&b.e, (uint64_t)(uintptr_t)tc->poll);

	ZydisDecoder dec;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	uint32_t off = 0;
	unsigned n = 0;
	/* statistics, added to tc->stats once the block is committed */
	uint16_t by_class[BT_NCLASSES] = { 0 };
	unsigned verbatim = 0, refused = 0, undecodable = 0, page_end = 0, crossing = 0;
	for (;;) {
		/* room for the longest translation (POPF, ~200 bytes) and the tails */
		if (n == BT_MAX_INSNS || off >= avail || (mode->single && n == 1) ||
		    b.e.end - b.e.p < BT_MAX_INSN_BYTES + 2 * TC_TAIL_BYTES + 32) {
			exit_direct(&b, eip + off);
			break;
		}
		struct bt_insn in;
		in.eip = eip + off;
		/* the next page's bytes only for the first instruction: one that
		   crosses the page end is a block of its own */
		ZyanStatus st = ZydisDecoderDecodeFull(&dec, code + off, avail - off + (n ? 0 : cross),
						       &in.d, in.ops);
		if (st == ZYDIS_STATUS_NO_MORE_DATA && n) {
			exit_direct(&b, in.eip);   /* it crosses the page end: its own block */
			page_end++;
			break;
		}
		if (ZYAN_FAILED(st)) {
			exit_interp(&b, in.eip, ZYDIS_MNEMONIC_INVALID);   /* #UD, or crosses the page end */
			by_class[BT_EXIT]++;
			undecodable++;
			page_end += st == ZYDIS_STATUS_NO_MORE_DATA;
			break;
		}
		enum bt_class c = bt_classify(&in, mode);
		uint8_t *start = b.e.p;
		tb->insn[n] = (struct tb_insn){ (uint16_t)(start - b.e.start), (uint16_t)off };
		if (c == BT_EXIT || !emit_insn(&b, &in, c)) {
			b.e.p = start;
			b.e.overflow = false;
			exit_interp(&b, in.eip, in.d.mnemonic);
			by_class[BT_EXIT]++;
			refused += c != BT_EXIT;
			break;
		}
		by_class[c]++;
		if (off + in.d.length > avail) {
			tb->crosses = true;
			crossing++;
		}
		tb->body_end = (uint16_t)(b.e.p - b.e.start);
		if (c == BT_IDENT && (size_t)(b.e.p - start) == in.d.length &&
		    memcmp(start, code + off, in.d.length) == 0)
			verbatim++;
		n++;
		off += in.d.length;
		if (bt_class_ends_block(c))
			break;
	}
	emit_tails(&b, tb);
	if (b.e.overflow)
		return NULL;   /* cannot happen with TC_MAX_BLOCK_BYTES; treat as full */

	tb->guest_len = (uint16_t)off;
	tb->ninsn = (uint16_t)n;
	tb->exit_mnemonic = b.exit_mnemonic;
	tb->host = tc->rx + tc->used;
	tb->host_len = (uint32_t)(b.e.p - b.e.start);
	tc->used += (tb->host_len + 15) & ~15u;
	tc->ntbs++;
	tc->ninsns += n;
	tc->stats.blocks++;
	tc->stats.guest_insns += n;
	tc->stats.host_bytes += tb->host_len;
	for (unsigned c = 0; c < BT_NCLASSES; c++)
		tc->stats.insns[c] += by_class[c];
	tc->stats.ident_verbatim += verbatim;
	tc->stats.refused += refused;
	tc->stats.undecodable += undecodable;
	tc->stats.page_end += page_end;
	tc->stats.crossing += crossing;
	return tb;
}
