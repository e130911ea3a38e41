/*
 * translate.h - the translator of engine bt: one guest basic block (32-bit
 * protected-mode code at CPL 0 with flat segments) into 64-bit host code in
 * the translation cache (docs/TRANSLATOR.md, architecture.md section 3).
 *
 * A block never crosses a guest page (`avail` bytes are readable from
 * `code`), ends at a control transfer, before an instruction the TC does
 * not run (BT_EXIT_INTERP), before an instruction that crosses the page
 * end (a direct exit to it), or at a length cap. The one exception: an
 * instruction that crosses the page end is a block of its own, translated
 * when the caller passes the next page's first bytes (bt_translate_cross,
 * tb->crosses); otherwise it leaves the TC. Most instructions are copied with their memory
 * operands re-encoded with the 0x67 address-size prefix (Zydis decoder +
 * encoder); stack operations, control transfers and segment overrides are
 * rewritten; CLI/STI/PUSHF/POPF run on the virtual flags in the ctx and
 * IN/OUT/RDTSC/CPUID call C through a callout (sensitive.c); every other
 * sensitive instruction leaves the TC through BT_EXIT_INTERP and the
 * interpreter runs it on the architectural state.
 *
 * Every guest instruction's host code starts at a recorded offset and has
 * no side effect before its last faulting access, so a host fault maps back
 * to the guest instruction with the registers of its start (precise).
 */
#ifndef SOFTVT_BT_TRANSLATE_H
#define SOFTVT_BT_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>

struct tc;

/* What a block's translation depends on besides its bytes (part of its key). */
struct bt_mode {
	bool gs_flat;     /* guest GS base 0 and limit 4G: GS overrides are dropped;
			     otherwise GS-relative instructions take BT_EXIT_INTERP */
	bool single;      /* one guest instruction per block (the lockstep check) */
	bool user;        /* CPL 3 (--user bt): the sensitive instructions the TC runs
			     itself at CPL 0 (CLI STI PUSHF POPF IN OUT RDTSC) leave it */
	bool fs_ok;       /* FS is a usable flat data segment (its base is the host GS
			     base); otherwise FS-relative instructions leave the TC */
	bool fences;      /* the virtual CPU shows SSE2 (where user code runs natively):
			     LFENCE/MFENCE/SFENCE run in the TC as they are (constant per run) */
};

/* side table: guest instruction k starts at host offset host_off, guest offset guest_off */
struct tb_insn {
	uint16_t host_off;
	uint16_t guest_off;
};

struct tb_exit {
	uint32_t target_eip;     /* direct successor */
	uint32_t rel32_off;      /* offset in the block of the jmp rel32 to patch when chaining */
};

/* a translated block; lives in the TC's metadata area, freed with tc_flush() */
struct tb {
	uint32_t eip;            /* guest linear address of the first instruction */
	uint32_t phys;           /* guest physical address of eip (set by the caller) */
	uint32_t phys2;          /* crosses: the physical page of the instruction's last bytes */
	bool crosses;            /* one instruction that crosses the guest page end: the block
				    depends on two physical pages (phys2 set by the caller) */
	bool indexed;            /* in the dispatcher's block table (blocks.c) */
	struct bt_mode mode;
	uint16_t guest_len;      /* bytes of guest code covered */
	uint16_t ninsn;          /* guest instructions translated (0: the first one leaves the TC) */
	uint16_t body_end;       /* host offset where the last translated instruction's code ends
				    (the block's exits and tails follow; for the viewer) */
	uint8_t *host;           /* RX entry address */
	uint32_t host_len;
	struct tb_insn *insn;    /* ninsn entries */
	struct tb_exit exits[2]; /* direct successors (taken, fall-through); nexits of them */
	uint8_t nexits;
	uint16_t exit_mnemonic;  /* the instruction the block ends before, if it leaves the TC
				    (ZydisMnemonic; 0: none or undecodable; statistics) */
	struct tb *hash_next;    /* for the dispatcher's block table */
	struct tb *page_next;    /* for the dispatcher's per-page list */
	struct tb *page_next2;   /* crosses: the same, in phys2's list */
};

/* Translation classes (enum bt_class in emit.h), for statistics. */
#define BT_NCLASSES 19
#define BT_CLASS_IDENT 0
#define BT_CLASS_EXIT (BT_NCLASSES - 1)
/* "ident", "push", ... "exit"; NULL out of range. */
const char *bt_class_name(unsigned c);

/*
 * Translates the block at guest linear eip. code points at its bytes, avail
 * is the number of readable bytes up to the end of the guest page. Returns
 * NULL when the TC is full (flush with tc_flush() and retry).
 */
struct tb *bt_translate(struct tc *tc, const struct bt_mode *mode, uint32_t eip,
			const uint8_t *code, uint32_t avail);

/*
 * The same, where cross more bytes after the page end are readable from
 * code + avail (the next guest page's first ones): an instruction at eip
 * that crosses the page end is then translated as a block of its own
 * (tb->crosses; the caller sets tb->phys2).
 */
struct tb *bt_translate_cross(struct tc *tc, const struct bt_mode *mode, uint32_t eip,
			      const uint8_t *code, uint32_t avail, uint32_t cross);

#define BT_GUEST_INSN_MAX 15   /* bytes of the longest x86 instruction */

/* Whether the instruction at code (avail bytes to the page end) crosses the page end. */
bool bt_insn_crosses(const uint8_t *code, uint32_t avail);

#endif
