/*
 * decode.h - decoded instructions and the code-page bookkeeping.
 *
 * Zydis decodes; the result is boiled down to a compact struct insn (the
 * mnemonic, sizes, prefixes and up to three explicit operands) plus the
 * handler chosen for it at decode time (cpu/dispatch.c). Decoding costs
 * far more than executing, so decoded instructions are kept in blocks
 * (cpu/block.h) by guest-physical address and code size (CS.D). Each
 * physical page has a generation number; a write to a page that holds
 * decoded code bumps it (decode_invalidate_page), which makes every block
 * of that page stale at once. mem.c keeps such pages out of the TLB's
 * write path so no write is missed.
 */
#ifndef SOFTVT_CPU_DECODE_H
#define SOFTVT_CPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>

enum operand_kind {
	OPK_NONE,
	OPK_REG,     /* general register: reg 0-7 in encoding order (8-bit: AL CL DL BL AH CH DH BH) */
	OPK_MEM,     /* memory: seg:[base + index*scale + disp] */
	OPK_IMM,     /* immediate, sign- or zero-extended as the instruction defines */
	OPK_PTR,     /* far pointer immediate sel:val */
	OPK_SREG,    /* segment register: reg = S_ES..S_GS */
	OPK_CR,      /* control register: reg = 0-7 */
	OPK_DR,      /* debug register: reg = 0-7 */
	OPK_ST,      /* x87 stack register: reg = i of ST(i) */
	OPK_OTHER,   /* anything else (MMX/XMM...): no handler uses it */
};

#define NOREG 0xff

struct operand {
	uint8_t kind;
	uint8_t size;      /* bytes; MEM operands of 6/8/10/14/28/94/108/512 bytes exist */
	uint8_t reg;
	uint8_t base, index, scale;
	uint8_t seg;
	uint8_t agen;      /* MEM used as an address only (LEA) */
	uint32_t val;      /* MEM: displacement; IMM: value; PTR: offset */
	uint16_t sel;      /* PTR: selector */
};

enum rep_prefix { REP_NONE, REP_REPE, REP_REPNE };

struct vcpu;
struct insn;
typedef void (*insn_handler)(struct vcpu *v, const struct insn *i);

struct insn {
	insn_handler fn;     /* chosen at decode time (dispatch_bind) */
	uint16_t mnemonic;   /* ZydisMnemonic */
	uint8_t len;
	uint8_t opsize;      /* operand width in bytes: 1, 2 or 4 (8 for some x87/MMX forms) */
	uint8_t addrsize;    /* 2 or 4 */
	uint8_t rep;         /* enum rep_prefix */
	uint8_t lock;
	uint8_t nops;        /* explicit operands */
	uint8_t opcode;      /* last opcode byte */
	uint8_t modrm_reg;   /* reg field of ModRM (x87 and group decoding) */
	uint8_t modrm_rm;
	uint8_t modrm_mod;
	uint8_t seg;         /* segment of memory operands (override or default) */
	uint8_t p6;          /* part of the P6 instruction set (else: #UD) */
	uint8_t far;         /* far branch (JMP/CALL ptr16:32 or m16:32, RETF) */
	uint8_t ends_block;  /* may branch or change modes, segments, IF...: last of its block */
	uint8_t keeps_env;   /* changes no segment, mode, CPL, IF, TF, shadow (near branches do not) */
	uint8_t rmw;         /* op[0] is memory the instruction reads and writes: its read is
				checked as a write (a #PF then says W=1, as on the processor) */
	uint8_t idx;         /* index in its block (0 outside blocks) */
	uint16_t off;        /* byte offset from its block's first instruction (0 outside blocks) */
	struct operand op[3];
};

struct decode_cache;

struct decode_cache *decode_cache_create(void);
void decode_cache_destroy(struct decode_cache *dc);

/*
 * Decodes the instruction in bytes[0..n) for code size code32. Returns 0,
 * or -1 if the bytes are not a valid instruction (#UD), or -2 if more
 * bytes are needed (n too small).
 */
int decode_insn(struct decode_cache *dc, const uint8_t *bytes, unsigned n, bool code32,
		struct insn *out);

/* The per-page generation counters (indexed by physical page number); a
 * block is current while the generation of its page is the one it was
 * built with. */
const uint32_t *decode_page_gens(const struct decode_cache *dc);

#define DECODE_NPAGES (1u << 20)   /* physical pages the cache tracks (4 GiB) */
bool decode_page_has_code(const struct decode_cache *dc, uint32_t paddr_page);
/* Returns true when the page is newly marked (the caller protects it in its TLB). */
bool decode_mark_code(struct decode_cache *dc, uint32_t paddr_page);
void decode_invalidate_page(struct decode_cache *dc, uint32_t paddr_page);

/*
 * The code epoch: a counter that changes whenever some page's decoded
 * code becomes stale (decode_invalidate_page) and whenever a user of the
 * cache declares stale what it derived from decoded code together with
 * translations or the code segment (decode_bump_epoch). The interpreter's
 * block links (cpu/block.h) are valid while it does not change. Never 0.
 */
const uint64_t *decode_epoch(const struct decode_cache *dc);
void decode_bump_epoch(struct decode_cache *dc);

/* Zydis's name of a mnemonic, for errors and traces. */
const char *decode_mnemonic_name(uint16_t mnemonic);

#endif
