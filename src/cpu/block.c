/*
 * block.c - decoding and caching blocks of instructions (see block.h).
 *
 * The arena is one allocation that blocks are carved from in order; the
 * table maps a hash of (physical address, code size) to the newest block
 * built there (older ones stay in the arena, unreachable, until the next
 * flush).
 */
#include "cpu/block.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/dispatch.h"
#include "cpu/mem.h"
#include "cpu/ops_common.h"

#define TABLE_BITS 16
#define TABLE_SIZE (1u << TABLE_BITS)
#define ARENA_BYTES (32u << 20)

struct block_cache {
	struct block **table;
	uint8_t *arena;
	size_t used;
	uint64_t epoch;
};

struct block_cache *block_cache_create(void)
{
	struct block_cache *bc = calloc(1, sizeof(*bc));
	if (!bc)
		return NULL;
	bc->table = calloc(TABLE_SIZE, sizeof(*bc->table));
	bc->arena = malloc(ARENA_BYTES);
	if (!bc->table || !bc->arena) {
		block_cache_destroy(bc);
		return NULL;
	}
	return bc;
}

void block_cache_destroy(struct block_cache *bc)
{
	if (!bc)
		return;
	free(bc->table);
	free(bc->arena);
	free(bc);
}

uint64_t block_cache_epoch(const struct block_cache *bc)
{
	return bc->epoch;
}

static inline uint32_t slot(uint32_t paddr, bool code32)
{
	uint32_t h = paddr * 0x9e3779b1u ^ (code32 ? 0x5bd1e995u : 0);
	return h >> (32 - TABLE_BITS);
}

struct block *block_lookup(struct block_cache *bc, const uint32_t *gens, uint32_t paddr,
			   bool code32)
{
	struct block *b = bc->table[slot(paddr, code32)];
	return b && block_current(b, gens, paddr, code32) ? b : NULL;
}

static struct block *block_alloc(struct block_cache *bc, unsigned n)
{
	size_t need = sizeof(struct block) + n * sizeof(struct insn);
	need = (need + 15) & ~(size_t)15;
	if (bc->used + need > ARENA_BYTES) {
		memset(bc->table, 0, TABLE_SIZE * sizeof(*bc->table));
		bc->used = 0;
		bc->epoch++;
	}
	struct block *b = (struct block *)(bc->arena + bc->used);
	bc->used += need;
	return b;
}

void block_stop(struct vcpu *v, const struct insn *i)
{
	insn_sync(v, i - 1);
}

void block_stop_init(struct insn *i, unsigned idx, unsigned off)
{
	memset(i, 0, sizeof(*i));
	i->fn = block_stop;
	i->idx = (uint8_t)idx;
	i->off = (uint16_t)off;
}

struct block *block_build(struct vcpu *v, uint32_t linear, uint32_t paddr, bool code32)
{
	struct insn tmp[BLOCK_MAX_INSNS];
	unsigned n = 0, bytes = 0;
	while (n < BLOCK_MAX_INSNS) {
		uint8_t buf[16];
		uint32_t at;
		unsigned got = lin_fetch(v, linear + bytes, buf, 15, &at);
		if (decode_insn(v->dcache, buf, got, code32, &tmp[n]) < 0)
			break;   /* crosses the page end, or #UD: left to the caller */
		dispatch_bind(&tmp[n]);
		tmp[n].idx = (uint8_t)n;
		tmp[n].off = (uint16_t)bytes;
		bytes += tmp[n].len;
		if (tmp[n++].ends_block || (paddr & 0xfff) + bytes >= 4096)
			break;
	}
	if (!n)
		return NULL;
	ops_fuse_bind(tmp, n);
	struct block_cache *bc = v->bcache;
	struct block *b = block_alloc(bc, n + 1);
	uint32_t page = paddr & ~0xfffu;
	if (decode_mark_code(v->dcache, page)) {
		tlb_protect_code(v, page);
		if (v->bus.on_code_page)
			v->bus.on_code_page(v->bus.hook_opaque, page);
	}
	b->paddr = paddr;
	b->gen = v->page_gens[paddr >> 12];
	b->bytes = (uint16_t)bytes;
	b->code32 = code32;
	b->n = (uint8_t)n;
	memset(b->link, 0, sizeof(b->link));
	memcpy(b->insn, tmp, n * sizeof(struct insn));
	block_stop_init(&b->insn[n], n, bytes);
	bc->table[slot(paddr, code32)] = b;
	return b;
}
