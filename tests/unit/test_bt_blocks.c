/*
 * test_bt_blocks.c - engine bt's block index: lookup by (EIP, physical
 * address, mode), aliases, per-page invalidation, clearing.
 */
#include <check.h>
#include <stdlib.h>

#include "bt/blocks.h"

static struct tb *mk(uint32_t eip, uint32_t phys, bool gs_flat)
{
	struct tb *t = calloc(1, sizeof(*t));
	t->eip = eip;
	t->phys = phys;
	t->mode.gs_flat = gs_flat;
	t->ninsn = 1;
	return t;
}

START_TEST(find_by_eip_phys_mode)
{
	struct blocks *b = blocks_create();
	struct tb *a = mk(0xc0100000, 0x100000, false);
	struct bt_mode m0 = { .gs_flat = false }, m1 = { .gs_flat = true };
	ck_assert(blocks_insert(b, a));      /* first block of its page */
	ck_assert_ptr_eq(blocks_find(b, 0xc0100000, 0x100000, &m0), a);
	ck_assert_ptr_null(blocks_find(b, 0xc0100000, 0x100000, &m1));
	ck_assert_ptr_null(blocks_find(b, 0xc0100000, 0x200000, &m0));  /* remapped page */
	ck_assert_ptr_null(blocks_find(b, 0x00100000, 0x100000, &m0));  /* alias: other EIP */
	struct tb *c = mk(0xc0100010, 0x100010, false);
	ck_assert(!blocks_insert(b, c));     /* same page: not the first */
	ck_assert_ptr_eq(blocks_find(b, 0xc0100010, 0x100010, &m0), c);
	ck_assert(blocks_page_has_code(b, 0x100000));
	ck_assert(!blocks_page_has_code(b, 0x101000));
	blocks_destroy(b);
	free(a);
	free(c);
}
END_TEST

START_TEST(crossing_block_dies_with_either_page)
{
	struct bt_mode m = { 0 };
	for (int which = 0; which < 2; which++) {
		struct blocks *b = blocks_create();
		/* blocks in both pages, and one instruction crossing from 0x500000 into
		   0x700000 (the linear pages are consecutive, the physical ones not) */
		struct tb *p1 = mk(0xc0100100, 0x500100, false);
		struct tb *p2 = mk(0xc0101100, 0x700100, false);
		struct tb *x = mk(0xc0100ffd, 0x500ffd, false);
		x->crosses = true;
		x->phys2 = 0x700000;
		ck_assert_uint_eq(blocks_insert(b, p1), 1);
		ck_assert_uint_eq(blocks_insert(b, p2), 1);
		ck_assert_uint_eq(blocks_insert(b, x), 0);   /* neither page's first */
		struct tb *p2b = mk(0xc0101200, 0x700200, false);
		ck_assert_uint_eq(blocks_insert(b, p2b), 0);
		ck_assert_ptr_eq(blocks_find(b, x->eip, x->phys, &m), x);
		/* a write to the second page (which == 0) or the first drops it */
		uint32_t dropped = which == 0 ? 0x700000 : 0x500000;
		ck_assert_uint_eq(blocks_invalidate_page(b, dropped), which == 0 ? 3 : 2);
		ck_assert_ptr_null(blocks_find(b, x->eip, x->phys, &m));
		ck_assert_uint_eq(b->count, which == 0 ? 1 : 2);
		/* the other page's list still holds it, unindexed: not counted again */
		uint32_t other = which == 0 ? 0x500000 : 0x700000;
		ck_assert_ptr_eq(blocks_find(b, which == 0 ? p1->eip : p2->eip,
					     which == 0 ? p1->phys : p2->phys, &m), which == 0 ? p1 : p2);
		ck_assert_uint_eq(blocks_invalidate_page(b, other), which == 0 ? 1 : 2);
		ck_assert_uint_eq(b->count, 0);
		/* a crossing block first in both pages */
		ck_assert_uint_eq(blocks_insert(b, x), 3);
		blocks_destroy(b);
		free(p1);
		free(p2);
		free(p2b);
		free(x);
	}
}
END_TEST

START_TEST(invalidate_page_drops_only_its_blocks)
{
	struct blocks *b = blocks_create();
	struct bt_mode m = { 0 };
	enum { N = 200 };
	struct tb *t[N];
	/* many blocks over 4 pages, so hash chains mix pages */
	for (int i = 0; i < N; i++) {
		t[i] = mk(0xc0000000 + (uint32_t)(i % 4) * 4096 + (uint32_t)i * 8,
			  (uint32_t)(i % 4) * 4096 + (uint32_t)i * 8 + 0x400000, false);
		blocks_insert(b, t[i]);
	}
	ck_assert_uint_eq(blocks_invalidate_page(b, 0x401000), N / 4);
	ck_assert_uint_eq(blocks_invalidate_page(b, 0x401000), 0);
	for (int i = 0; i < N; i++) {
		struct tb *f = blocks_find(b, t[i]->eip, t[i]->phys, &m);
		if (i % 4 == 1)
			ck_assert_ptr_null(f);
		else
			ck_assert_ptr_eq(f, t[i]);
	}
	ck_assert(!blocks_page_has_code(b, 0x401000));
	ck_assert(blocks_insert(b, t[1]));   /* re-translated: first again */
	blocks_clear(b);
	ck_assert_ptr_null(blocks_find(b, t[0]->eip, t[0]->phys, &m));
	ck_assert_uint_eq(b->count, 0);
	blocks_destroy(b);
	for (int i = 0; i < N; i++)
		free(t[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bt_blocks");
	TCase *tc = tcase_create("blocks");
	tcase_add_test(tc, find_by_eip_phys_mode);
	tcase_add_test(tc, invalidate_page_drops_only_its_blocks);
	tcase_add_test(tc, crossing_block_dies_with_either_page);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
