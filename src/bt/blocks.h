/*
 * blocks.h - the dispatcher's index of translated blocks.
 *
 * A block is found by (guest linear EIP, guest physical address, mode):
 * the physical address makes a remapped or rewritten page miss, the linear
 * EIP is part of the key because translated code embeds linear addresses
 * (pushed return addresses, exit EIPs). Blocks of one guest physical page
 * are also listed per page, so that a write to the page (self-modifying
 * code) drops exactly them; a block of one instruction that crosses the page
 * end (tb->crosses) is listed under both of its pages. The jump cache in the ctx (linear EIP -> host
 * code, used inline by RET and indirect jumps) is a cache of this index
 * kept by the dispatcher: it is cleared on every guest TLB flush and every
 * invalidation.
 */
#ifndef SOFTVT_BT_BLOCKS_H
#define SOFTVT_BT_BLOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/ctx.h"
#include "bt/translate.h"

#define BLOCKS_HASH_BITS 16
#define BLOCKS_PAGE_BITS 14

struct blocks {
	struct tb *hash[1u << BLOCKS_HASH_BITS];
	struct page_list {
		uint32_t page;         /* physical page address, BLOCKS_NO_PAGE if free */
		struct tb *first;
		struct page_list *next;
	} *pages[1u << BLOCKS_PAGE_BITS];
	uint64_t count, invalidated_pages;
};

struct blocks *blocks_create(void);
void blocks_destroy(struct blocks *b);

struct tb *blocks_find(const struct blocks *b, uint32_t eip, uint32_t phys,
		       const struct bt_mode *mode);
/* Indexes tb; returns bit 0 set if tb is the first block of its physical page
 * (tb->phys), bit 1 if it crosses into tb->phys2 and is the first there. */
unsigned blocks_insert(struct blocks *b, struct tb *tb);
/* Forgets every block of a physical page; returns how many. */
unsigned blocks_invalidate_page(struct blocks *b, uint32_t phys_page);
bool blocks_page_has_code(const struct blocks *b, uint32_t phys_page);
/* Forgets everything (the TC was flushed). */
void blocks_clear(struct blocks *b);

#endif
