/*
 * blocks.c - the dispatcher's index of translated blocks (see blocks.h):
 * a chained hash on (EIP, physical address) and a per-page list for
 * invalidation. A block of one instruction that crosses the page end is
 * listed under both physical pages (page_next, page_next2: the two pages
 * always differ), so a write to either drops it; dropped through one, it
 * stays in the other's list, unindexed, until that page is dropped too. The struct tb themselves live in the translation cache's
 * metadata arena; this file only links them.
 */
#include "bt/blocks.h"

#include <stdlib.h>
#include <string.h>

static unsigned hash_key(uint32_t eip, uint32_t phys)
{
	uint32_t h = eip * 0x9e3779b1u ^ phys * 0x85ebca6bu;
	return h >> (32 - BLOCKS_HASH_BITS);
}

static unsigned page_slot(uint32_t page)
{
	return (page >> 12) & ((1u << BLOCKS_PAGE_BITS) - 1);
}

struct blocks *blocks_create(void)
{
	return calloc(1, sizeof(struct blocks));
}

static void free_pages(struct blocks *b)
{
	for (unsigned i = 0; i < (1u << BLOCKS_PAGE_BITS); i++) {
		struct page_list *p = b->pages[i];
		while (p) {
			struct page_list *n = p->next;
			free(p);
			p = n;
		}
		b->pages[i] = NULL;
	}
}

void blocks_destroy(struct blocks *b)
{
	if (!b)
		return;
	free_pages(b);
	free(b);
}

static bool same_mode(const struct bt_mode *a, const struct bt_mode *b)
{
	return a->gs_flat == b->gs_flat && a->single == b->single && a->user == b->user &&
	       a->fs_ok == b->fs_ok;
}

struct tb *blocks_find(const struct blocks *b, uint32_t eip, uint32_t phys,
		       const struct bt_mode *mode)
{
	for (struct tb *t = b->hash[hash_key(eip, phys)]; t; t = t->hash_next)
		if (t->eip == eip && t->phys == phys && same_mode(&t->mode, mode))
			return t;
	return NULL;
}

static struct page_list *find_page(const struct blocks *b, uint32_t page)
{
	for (struct page_list *p = b->pages[page_slot(page)]; p; p = p->next)
		if (p->page == page)
			return p;
	return NULL;
}

/* Links tb into the list of physical page `page`; true if it is the first block there. */
static bool page_add(struct blocks *b, struct tb *tb, uint32_t page, struct tb **link)
{
	struct page_list *p = find_page(b, page);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			abort();   /* a few bytes per code page; out of memory here is fatal */
		p->page = page;
		p->next = b->pages[page_slot(page)];
		b->pages[page_slot(page)] = p;
	}
	bool first = !p->first;
	*link = p->first;
	p->first = tb;
	return first;
}

unsigned blocks_insert(struct blocks *b, struct tb *tb)
{
	unsigned h = hash_key(tb->eip, tb->phys);
	tb->hash_next = b->hash[h];
	b->hash[h] = tb;
	tb->indexed = true;
	b->count++;
	unsigned first = page_add(b, tb, tb->phys & ~0xfffu, &tb->page_next) ? 1 : 0;
	if (tb->crosses && page_add(b, tb, tb->phys2 & ~0xfffu, &tb->page_next2))
		first |= 2;
	return first;
}

static bool unhash(struct blocks *b, struct tb *tb)
{
	if (!tb->indexed)
		return false;   /* a crossing block, dropped with its other page */
	tb->indexed = false;
	struct tb **pp = &b->hash[hash_key(tb->eip, tb->phys)];
	while (*pp && *pp != tb)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = tb->hash_next;
	b->count--;
	return true;
}

unsigned blocks_invalidate_page(struct blocks *b, uint32_t phys_page)
{
	struct page_list *p = find_page(b, phys_page);
	if (!p)
		return 0;
	unsigned n = 0;
	for (struct tb *t = p->first; t;) {
		n += unhash(b, t);
		/* a crossing block is in two lists: follow the link of this page's */
		t = (t->phys & ~0xfffu) == phys_page ? t->page_next : t->page_next2;
	}
	p->first = NULL;
	if (n)
		b->invalidated_pages++;
	return n;
}

bool blocks_page_has_code(const struct blocks *b, uint32_t phys_page)
{
	const struct page_list *p = find_page(b, phys_page);
	return p && p->first;
}

void blocks_clear(struct blocks *b)
{
	memset(b->hash, 0, sizeof(b->hash));
	free_pages(b);
	b->count = 0;
}
