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
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
