/*
 * test_bios_rom.c - the embedded BIOS ROM image and its host table
 * (bios/bios_rom.c): size, reset vector, the generated symbol offsets, the
 * E820 map as the BIOS will read it, and the boot-failure reasons.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bios/bios_rom.h"

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(image_and_reset_vector)
{
	size_t len;
	const uint8_t *img = bios_rom_image_data(&len);
	ck_assert_uint_eq(len, BIOS_ROM_SIZE);
	/* F000:FFF0: JMP F000:post (EA, offset, segment) */
	ck_assert_uint_eq(img[0xfff0], 0xea);
	ck_assert_uint_eq(img[0xfff1] | img[0xfff2] << 8, BIOS_SYM_post);
	ck_assert_uint_eq(img[0xfff3] | img[0xfff4] << 8, 0xf000);
	ck_assert_uint_eq(img[0xfffe], 0xfc);                /* model byte: AT */
	ck_assert_uint_eq(BIOS_SYM_reset_vector, 0xfff0);
	/* The table is empty in the image; the handlers lie inside the ROM. */
	ck_assert_uint_eq(get32(img + BIOS_SYM_host_table), 0);
	ck_assert_uint_lt(BIOS_SYM_int13_disk, 0xfff0);
	ck_assert_uint_lt(BIOS_SYM_host_table + BIOS_HT_SIZE, BIOS_SYM_int10_video + 1);
}
END_TEST

START_TEST(host_table_holds_the_e820_map)
{
	struct e820_map map = { 0 };
	e820_add(&map, 0, 0x9fc00, E820_RAM);
	e820_add(&map, 0x100000, 0x123400000ull, E820_RAM);
	e820_add(&map, 0xffff0000u, 0x10000, E820_RESERVED);
	uint8_t *rom = malloc(BIOS_ROM_SIZE);
	char err[128];
	ck_assert_int_eq(bios_rom_build(rom, &map, err, sizeof(err)), 0);
	const uint8_t *ht = rom + BIOS_SYM_host_table;
	ck_assert_uint_eq(get32(ht + BIOS_HT_MAGIC), BIOS_HT_MAGIC_VALUE);
	ck_assert_uint_eq(ht[BIOS_HT_E820_COUNT] | ht[BIOS_HT_E820_COUNT + 1] << 8, 3);
	const uint8_t *e1 = ht + BIOS_HT_E820 + BIOS_HT_E820_ENTRY;
	ck_assert_uint_eq(get32(e1), 0x100000);
	ck_assert_uint_eq(get32(e1 + 4), 0);
	ck_assert_uint_eq(get32(e1 + 8), 0x23400000);
	ck_assert_uint_eq(get32(e1 + 12), 1);             /* size above 4 GiB: high dword */
	ck_assert_uint_eq(get32(e1 + 16), E820_RAM);
	const uint8_t *e2 = ht + BIOS_HT_E820 + 2 * BIOS_HT_E820_ENTRY;
	ck_assert_uint_eq(get32(e2 + 16), E820_RESERVED);
	/* Everything outside the table is the image as built. */
	size_t len;
	const uint8_t *img = bios_rom_image_data(&len);
	ck_assert_mem_eq(rom + 0xf000, img + 0xf000, 0x1000);
	map.n = BIOS_HT_E820_MAX + 1;
	ck_assert_int_eq(bios_rom_build(rom, &map, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "E820"));
	free(rom);
}
END_TEST

START_TEST(bootfail_reasons)
{
	ck_assert_ptr_nonnull(strstr(bios_bootfail_reason(BIOS_BOOTFAIL_NO_SIGNATURE), "55 AA"));
	ck_assert_ptr_nonnull(strstr(bios_bootfail_reason(BIOS_BOOTFAIL_NO_DISK), "no disk"));
	ck_assert_ptr_nonnull(strstr(bios_bootfail_reason(BIOS_BOOTFAIL_READ_ERROR), "read"));
	ck_assert_ptr_nonnull(strstr(bios_bootfail_reason(BIOS_BOOTFAIL_INT18), "INT 18h"));
	ck_assert_ptr_nonnull(strstr(bios_bootfail_reason(99), "unknown"));
}
END_TEST

static Suite *bios_rom_suite(void)
{
	Suite *s = suite_create("bios_rom");
	TCase *tc = tcase_create("rom");
	tcase_add_test(tc, image_and_reset_vector);
	tcase_add_test(tc, host_table_holds_the_e820_map);
	tcase_add_test(tc, bootfail_reasons);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bios_rom_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
