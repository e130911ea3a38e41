/*
 * show.c - the translation viewer (`softvt run --show-translation EIP|all`):
 * a guest block's disassembly beside the host code it became.
 *
 * For each guest instruction of a block, one row: its address and Intel-
 * syntax disassembly, a mark and the host instructions translated from it
 * (the side table tb->insn gives each one's host range):
 *   =  identical: re-encoded by the translator and byte for byte the same;
 *   ~  re-encoded: the same operation, encoded for 64-bit mode (the 0x67
 *      address-size prefix that keeps 32-bit addressing, FS -> host GS);
 *   R  rewritten, with the reason (the 32-bit guest stack, control
 *      transfers to guest addresses, the sensitive instructions that run on
 *      virtual flags or call the monitor);
 *   X  the instruction after the block, which leaves the TC (the
 *      interpreter runs it: privileged, x87, far transfers ...).
 * The block's prologue (the poll check) comes first; after the last
 * instruction, how the block ends: the instruction the interpreter takes
 * (BT_EXIT) or the next guest address. Exit tails are not shown.
 *
 * Classification is done again here (bt_classify, deterministic for the
 * block's mode) from the guest bytes the block was translated from: the
 * viewer runs right after the translation, while they are unchanged.
 * `softvt translation-html` turns a run's output into a browsable page.
 */
#include "bt/show.h"

#include <string.h>

#include "bt/emit.h"

#define GUEST_COL 34
#define HOST_COL 44

static const char *rewrite_reason(enum bt_class c)
{
	switch (c) {
	case BT_PUSH: case BT_POP: case BT_LEAVE:
		return "rewritten: the guest stack is 32-bit (ESP wraps; no 64-bit PUSH/POP)";
	case BT_CALL_REL: case BT_CALL_IND:
		return "rewritten: pushes the guest's return EIP, goes on in the target's block";
	case BT_RET:
		return "rewritten: pops the guest EIP, finds its block in the jump cache";
	case BT_JMP_IND:
		return "rewritten: the target is a guest EIP, looked up in the jump cache";
	case BT_JMP_REL: case BT_JCC: case BT_JECXZ: case BT_LOOP:
		return "rewritten: the target is a guest EIP: exit to (or chained into) its block";
	case BT_CLI: case BT_STI: case BT_PUSHF: case BT_POPF:
		return "sensitive: runs on the virtual IF/IOPL kept in the context";
	case BT_CALLOUT:
		return "sensitive: calls the monitor (IN/OUT/RDTSC/CPUID callout, no exit)";
	default:
		return "";
	}
}

static void disasm(const ZydisFormatter *fmt, const ZydisDecodedInstruction *d,
		   const ZydisDecodedOperand *ops, uint64_t addr, char *out, size_t n)
{
	if (ZYAN_FAILED(ZydisFormatterFormatInstruction(fmt, d, ops, d->operand_count_visible,
							 out, n, addr, NULL)))
		snprintf(out, n, "(?)");
}

/* The host instructions in [from, to) of the block, one per line, the first beside `left`. */
static void host_rows(FILE *f, const ZydisDecoder *d64, const ZydisFormatter *fmt,
		      const struct tb *tb, unsigned from, unsigned to, const char *left,
		      char mark, const char *reason)
{
	bool first = true;
	for (unsigned off = from; off < to;) {
		ZydisDecodedInstruction d;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		char text[96];
		uint64_t addr = (uint64_t)(uintptr_t)tb->host + off;
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(d64, tb->host + off, to - off, &d, ops))) {
			snprintf(text, sizeof(text), "(%u bytes)", to - off);
			d.length = (ZyanU8)(to - off);
		} else {
			disasm(fmt, &d, ops, addr, text, sizeof(text));
		}
		if (first)
			fprintf(f, "  %-*s %c  +%03x %-*s %s\n", GUEST_COL + 10, left, mark, off,
				HOST_COL, text, reason);
		else
			fprintf(f, "  %-*s    +%03x %s\n", GUEST_COL + 10, "", off, text);
		first = false;
		off += d.length ? d.length : 1;
	}
	if (first)   /* no host code (cannot happen for a translated instruction) */
		fprintf(f, "  %-*s %c  %-*s %s\n", GUEST_COL + 10, left, mark, HOST_COL + 5, "",
			reason);
}

void bt_show_block(FILE *f, const struct tb *tb, const uint8_t *code, uint32_t avail)
{
	ZydisDecoder d32, d64;
	ZydisFormatter fmt;
	ZydisDecoderInit(&d32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	ZydisDecoderInit(&d64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);

	fprintf(f, "block %08x  phys %08x  %u guest instructions, %u bytes -> %u bytes of host "
		   "code at %p%s%s%s", tb->eip, tb->phys, tb->ninsn, tb->guest_len, tb->host_len,
		(void *)tb->host, tb->mode.user ? "  [user mode]" : "",
		tb->mode.gs_flat ? "" : "  [GS not flat]", tb->mode.single ? "  [single]" : "");
	if (tb->crosses)
		fprintf(f, "  [crosses the page end into phys %08x]", tb->phys2);
	fprintf(f, "\n");
	enum bt_class last = BT_EXIT;
	unsigned first_host = tb->ninsn ? tb->insn[0].host_off : tb->body_end;
	host_rows(f, &d64, &fmt, tb, 0, first_host, "(block entry)", ' ',
		  "prologue: the poll-page check (deadline, stop requests)");
	for (unsigned k = 0; k < tb->ninsn; k++) {
		struct bt_insn in;
		uint32_t goff = tb->insn[k].guest_off;
		in.eip = tb->eip + goff;
		char gtext[96], left[GUEST_COL + 16];
		if (ZYAN_FAILED(ZydisDecoderDecodeFull(&d32, code + goff, tb->guest_len - goff, &in.d,
						       in.ops))) {
			fprintf(f, "  %08x  (undecodable)\n", in.eip);
			continue;
		}
		disasm(&fmt, &in.d, in.ops, in.eip, gtext, sizeof(gtext));
		snprintf(left, sizeof(left), "%08x  %.*s", in.eip, GUEST_COL, gtext);
		enum bt_class c = bt_classify(&in, &tb->mode);
		last = c;
		unsigned from = tb->insn[k].host_off;
		unsigned to = k + 1 < tb->ninsn ? tb->insn[k + 1].host_off : tb->body_end;
		char mark = 'R';
		char reason[160];
		snprintf(reason, sizeof(reason), "%s", rewrite_reason(c));
		if (c == BT_IDENT) {
			bool same = to - from == in.d.length && !memcmp(tb->host + from, code + goff,
									in.d.length);
			mark = same ? '=' : '~';
			if (same)
				snprintf(reason, sizeof(reason), "identical");
			else
				snprintf(reason, sizeof(reason), "re-encoded for 64-bit mode%s%s",
					 tb->host[from] == 0x67 || (to - from > 1 && tb->host[from + 1] == 0x67)
						? ": 0x67 keeps 32-bit addressing" : "",
					 in.seg == ZYDIS_ATTRIB_HAS_SEGMENT_GS ? ", FS -> host GS" : "");
		}
		host_rows(f, &d64, &fmt, tb, from, to, left, mark, reason);
	}
	uint32_t end = tb->eip + tb->guest_len;
	if (tb->exit_mnemonic) {
		ZydisDecodedInstruction d;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		char text[96] = "?";
		if (avail > tb->guest_len &&
		    ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d32, code + tb->guest_len,
							avail - tb->guest_len, &d, ops)))
			disasm(&fmt, &d, ops, end, text, sizeof(text));
		fprintf(f, "  %08x  %-*.*s X  leaves the TC: the interpreter runs it (not translated)\n",
			end, GUEST_COL, GUEST_COL, text);
	} else if (tb->guest_len < avail && !bt_class_ends_block(last) && tb->ninsn &&
		   tb->ninsn < BT_MAX_INSNS && !tb->mode.single) {
		fprintf(f, "  %08x  %-*s    (crosses the page end, or the block is full: a block "
			   "of its own, exit or chained)\n", end, GUEST_COL, "");
	}
	else if (!bt_class_ends_block(last))
		fprintf(f, "  %08x  %-*s    then on to this guest address (exit, or a chained block)\n",
			end, GUEST_COL, "");
	fprintf(f, "\n");
}
