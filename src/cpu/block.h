/*
 * block.h - decoded blocks: the unit the interpreter fetches.
 *
 * A block is the run of instructions that starts at one guest-physical
 * address and ends after the first instruction that may branch or change
 * the execution environment (insn.ends_block), before an instruction that
 * would cross into the next page, or after BLOCK_MAX_INSNS instructions.
 * The interpreter validates a fetch (CS limit, linear-to-physical
 * translation, page generation) once per block and then runs the block's
 * handlers back to back.
 *
 * Blocks live in an arena and are found through a direct-mapped table on
 * (physical address, code size). A block is current while its page's
 * generation (decode_page_gens) is the one it was built with; a stale
 * block is simply rebuilt. When the arena is full everything is dropped at
 * once; block_cache_epoch() changes then, so callers holding block
 * pointers (the links between blocks) know to forget them.
 */
#ifndef SOFTVT_CPU_BLOCK_H
#define SOFTVT_CPU_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/vcpu.h"

#define BLOCK_MAX_INSNS 64

/*
 * A link to the block that ran after this one, entered at EIP eip. It
 * was checked then like any fetch (CS limit over the whole block, the
 * translation of EIP, the page generation), and stays valid as long as
 * the code epoch (decode_epoch) is the one it was made in: the epoch
 * changes when any page's decoded code goes stale and when the
 * interpreter drops translations (TLB flushes), changes CS, the code
 * size or the privilege, or drops every block (cpu/interp.c). So
 * following a link checks the epoch and the EIP only.
 */
struct block_link {
	struct block *to;
	uint64_t epoch;           /* 0: none */
	uint32_t eip;
};

struct block {
	uint32_t paddr;           /* physical address of the first instruction */
	uint32_t gen;             /* generation of the page when decoded */
	uint16_t bytes;           /* length of all instructions */
	uint8_t code32;
	uint8_t n;                /* instructions, >= 1 */
	/* where it went when it fell through its end [0] or left it elsewhere [1] */
	struct block_link link[2];
	/* n instructions, then the stop entry (block_stop_init): the
	 * specialized handlers run the next entry unconditionally
	 * (insn_chain), and the stop entry returns to the block loop */
	struct insn insn[];
};

/*
 * Makes *i a stop entry: its handler syncs the instruction before it
 * (insn_sync) and returns. It stands after a block's last instruction,
 * and replaces the instruction after one that wrote to its own block's
 * page (mem.c; the block is stale from then on).
 */
void block_stop_init(struct insn *i, unsigned idx, unsigned off);
void block_stop(struct vcpu *v, const struct insn *i);

/* The block the link leads to, when it is valid for EIP eip in epoch; else NULL. */
static inline struct block *block_link_follow(const struct block_link *l, uint32_t eip,
					      uint64_t epoch)
{
	return l->epoch == epoch && l->eip == eip ? l->to : NULL;
}

struct block_cache;

struct block_cache *block_cache_create(void);
void block_cache_destroy(struct block_cache *bc);
/* Changes whenever every block is dropped (arena full). */
uint64_t block_cache_epoch(const struct block_cache *bc);

static inline bool block_current(const struct block *b, const uint32_t *gens, uint32_t paddr,
				 bool code32)
{
	return b->paddr == paddr && b->code32 == code32 && b->gen == gens[paddr >> 12];
}

/* The current block at paddr for code32, or NULL. */
struct block *block_lookup(struct block_cache *bc, const uint32_t *gens, uint32_t paddr,
			   bool code32);

/*
 * Decodes and caches the block at linear (physical paddr) for code32.
 * Faults like an instruction fetch (#PF) only for the first instruction's
 * bytes; returns NULL when the first instruction crosses the page end or
 * is not a valid instruction (the caller decodes it on its own).
 */
struct block *block_build(struct vcpu *v, uint32_t linear, uint32_t paddr, bool code32);

#endif
