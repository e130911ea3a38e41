/*
 * test_vga_text.c - VGA text mode: memory through the physical map,
 * CRTC cursor and start address, register files, the text dump.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/portmap.h"
#include "devices/vga_text.h"
#include "mmu/physmap.h"

struct rig {
	struct portmap ports;
	struct physmap phys;
	struct vga_text *vga;
};

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	portmap_init(&r->ports);
	physmap_init(&r->phys, NULL);
	r->vga = vga_text_create();
	ck_assert_ptr_nonnull(r->vga);
	ck_assert_int_eq(vga_text_register(r->vga, &r->ports, &r->phys), 0);
	return r;
}

static void rig_free(struct rig *r)
{
	vga_text_destroy(r->vga);
	free(r);
}

static void crtc_set(struct rig *r, uint8_t idx, uint8_t v)
{
	portmap_write(&r->ports, 0x3d4, idx, 1);
	portmap_write(&r->ports, 0x3d5, v, 1);
}

static uint8_t crtc_get(struct rig *r, uint8_t idx)
{
	portmap_write(&r->ports, 0x3d4, idx, 1);
	return (uint8_t)portmap_read(&r->ports, 0x3d5, 1);
}

static void put_text(struct rig *r, unsigned row, unsigned col, const char *s, uint8_t attr)
{
	uint32_t a = 0xb8000 + (row * 80 + col) * 2;
	for (; *s; s++, a += 2)
		physmap_write(&r->phys, a, (uint32_t)attr << 8 | (uint8_t)*s, 2);
}

static char *dump(struct rig *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	vga_text_dump(r->vga, f);
	fclose(f);
	return buf;
}

START_TEST(initial_state)
{
	struct rig *r = rig_new();
	const uint8_t *b = vga_text_buffer(r->vga);
	for (unsigned i = 0; i < 80 * 25; i++) {
		ck_assert_int_eq(b[2 * i], 0x20);
		ck_assert_int_eq(b[2 * i + 1], 0x07);
	}
	ck_assert_uint_eq(physmap_read(&r->phys, 0xb8000, 2), 0x0720);
	struct vga_cursor cur;
	vga_text_cursor(r->vga, &cur);
	ck_assert_uint_eq(cur.row, 0);
	ck_assert_uint_eq(cur.col, 0);
	ck_assert(cur.visible);
	ck_assert_uint_eq(vga_text_char_height(r->vga), 16);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3cc, 1), 0x67);   /* colour addressing */
	rig_free(r);
}
END_TEST

START_TEST(mmio_text_buffer)
{
	struct rig *r = rig_new();
	vga_text_clear_dirty(r->vga);
	physmap_write(&r->phys, 0xb8000, 0x1f41, 2);
	ck_assert(vga_text_dirty(r->vga));
	const uint8_t *b = vga_text_buffer(r->vga);
	ck_assert_int_eq(b[0], 'A');
	ck_assert_int_eq(b[1], 0x1f);
	ck_assert_uint_eq(physmap_read(&r->phys, 0xb8000, 1), 0x41);
	physmap_write(&r->phys, 0xb8000 + 158, 0x4e5a4e59, 4);      /* row 0 col 79, row 1 col 0 */
	ck_assert_int_eq(b[158], 'Y');
	ck_assert_int_eq(b[160], 'Z');
	ck_assert_uint_eq(physmap_read(&r->phys, 0xb8000 + 158, 4), 0x4e5a4e59);
	physmap_write(&r->phys, 0xa0000, 0x12345678, 4);            /* graphics window */
	ck_assert_uint_eq(physmap_read(&r->phys, 0xa0000, 4), 0x12345678);
	physmap_write(&r->phys, 0xbfffe, 0xabcd, 2);                /* last word */
	ck_assert_uint_eq(physmap_read(&r->phys, 0xbfffe, 2), 0xabcd);

	vga_text_clear_dirty(r->vga);
	ck_assert(!vga_text_dirty(r->vga));
	physmap_write(&r->phys, 0xb8000, 0x1f41, 2);                /* same value */
	ck_assert(!vga_text_dirty(r->vga));
	rig_free(r);
}
END_TEST

START_TEST(crtc_cursor)
{
	struct rig *r = rig_new();
	vga_text_clear_dirty(r->vga);
	crtc_set(r, 0x0e, 0x00);
	crtc_set(r, 0x0f, 82);                                      /* row 1, col 2 */
	ck_assert(vga_text_dirty(r->vga));
	ck_assert_int_eq(crtc_get(r, 0x0f), 82);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3d4, 1), 0x0f);  /* index reads back */
	struct vga_cursor cur;
	vga_text_cursor(r->vga, &cur);
	ck_assert_uint_eq(cur.row, 1);
	ck_assert_uint_eq(cur.col, 2);
	ck_assert(cur.visible);

	portmap_write(&r->ports, 0x3d4, 0x070e, 2);                 /* outw: index 0x0E, data 7 */
	vga_text_cursor(r->vga, &cur);
	ck_assert_uint_eq(cur.row, (7 * 256 + 82) / 80);
	ck_assert_uint_eq(cur.col, (7 * 256 + 82) % 80);
	ck_assert_uint_eq(cur.row, 23);

	crtc_set(r, 0x0a, 0x0e);
	crtc_set(r, 0x0b, 0x0f);
	ck_assert_int_eq(crtc_get(r, 0x0a), 0x0e);
	ck_assert_int_eq(crtc_get(r, 0x0b), 0x0f);
	vga_text_cursor(r->vga, &cur);
	ck_assert_uint_eq(cur.first_line, 14);
	ck_assert_uint_eq(cur.last_line, 15);
	ck_assert(cur.visible);
	crtc_set(r, 0x0a, 0x20 | 0x0e);                             /* cursor off */
	vga_text_cursor(r->vga, &cur);
	ck_assert(!cur.visible);
	crtc_set(r, 0x0a, 0x0e);
	crtc_set(r, 0x0e, 0x08);                                    /* below the screen */
	vga_text_cursor(r->vga, &cur);
	ck_assert(!cur.visible);
	rig_free(r);
}
END_TEST

START_TEST(start_address)
{
	struct rig *r = rig_new();
	put_text(r, 1, 0, "Z", 0x07);
	crtc_set(r, 0x0c, 0x00);
	crtc_set(r, 0x0d, 80);                                      /* screen starts at row 1 */
	ck_assert_int_eq(crtc_get(r, 0x0d), 80);
	const uint8_t *b = vga_text_buffer(r->vga);
	ck_assert_int_eq(b[0], 'Z');
	crtc_set(r, 0x0e, 0x00);
	crtc_set(r, 0x0f, 81);
	struct vga_cursor cur;
	vga_text_cursor(r->vga, &cur);                              /* relative to the start */
	ck_assert_uint_eq(cur.row, 0);
	ck_assert_uint_eq(cur.col, 1);

	/* A screen that runs past the end of the 32 KiB window wraps to its start. */
	uint16_t start = (0x8000 - 160) / 2;
	crtc_set(r, 0x0c, start >> 8);
	crtc_set(r, 0x0d, start & 0xff);
	put_text(r, 0, 0, "W", 0x07);
	physmap_write(&r->phys, 0xb8000 + 0x8000 - 160, 'V', 1);
	b = vga_text_buffer(r->vga);
	ck_assert_int_eq(b[0], 'V');
	ck_assert_int_eq(b[160], 'W');
	ck_assert_int_eq(b[162], ' ');
	rig_free(r);
}
END_TEST

START_TEST(dump_format)
{
	struct rig *r = rig_new();
	put_text(r, 0, 0, "Hello, VGA  ", 0x07);
	put_text(r, 2, 78, "x\x01", 0x1f);
	physmap_write(&r->phys, 0xb8000 + (3 * 80 + 1) * 2, 0x0700, 2);  /* NUL shows blank */
	put_text(r, 3, 2, "!", 0x07);
	crtc_set(r, 0x0e, 0x00);
	crtc_set(r, 0x0f, 2 * 80 + 5);
	char *text = dump(r);
	char want[4096] = "Hello, VGA\n\n";
	size_t n = strlen(want);
	memset(want + n, ' ', 78);
	strcpy(want + n + 78, "x.\n");
	strcat(want, "  !\n");
	for (int i = 4; i < 25; i++)
		strcat(want, "\n");
	strcat(want, "cursor: row 2 col 5\n");
	ck_assert_str_eq(text, want);
	free(text);
	rig_free(r);
}
END_TEST

START_TEST(input_status_toggles)
{
	struct rig *r = rig_new();
	uint8_t a = (uint8_t)portmap_read(&r->ports, 0x3da, 1);
	uint8_t b = (uint8_t)portmap_read(&r->ports, 0x3da, 1);
	ck_assert_int_eq(a ^ b, 0x09);                              /* bits 0 and 3 flip */
	int seen_retrace = 0, seen_active = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t v = (uint8_t)portmap_read(&r->ports, 0x3da, 1);
		seen_retrace |= v & 0x08;
		seen_active |= !(v & 0x08);
	}
	ck_assert(seen_retrace && seen_active);

	/* The read resets the attribute flip-flop to "index". */
	portmap_write(&r->ports, 0x3c0, 0x01, 1);                   /* index 1 */
	portmap_read(&r->ports, 0x3da, 1);
	portmap_write(&r->ports, 0x3c0, 0x02, 1);                   /* index again, not data */
	portmap_write(&r->ports, 0x3c0, 0x3f, 1);                   /* data for index 2 */
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c0, 1), 0x02);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c1, 1), 0x3f);
	portmap_read(&r->ports, 0x3da, 1);
	portmap_write(&r->ports, 0x3c0, 0x01, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c1, 1), 0x01);  /* index 1 untouched */
	rig_free(r);
}
END_TEST

START_TEST(register_files)
{
	struct rig *r = rig_new();
	portmap_write(&r->ports, 0x3c4, 0x02, 1);
	portmap_write(&r->ports, 0x3c5, 0x0f, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c4, 1), 0x02);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c5, 1), 0x0f);
	portmap_write(&r->ports, 0x3ce, 0x0605, 2);                 /* GC 5 = 6 */
	ck_assert_int_eq(portmap_read(&r->ports, 0x3cf, 1), 0x06);
	portmap_write(&r->ports, 0x3ce, 0x06, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3cf, 1), 0x0e);  /* mode 3 memory map */

	portmap_write(&r->ports, 0x3c8, 0x05, 1);                   /* DAC entry 5, 6 */
	const uint8_t rgb[] = { 0x3f, 0x20, 0x01, 0x02, 0x03, 0x04 };
	for (size_t i = 0; i < sizeof(rgb); i++)
		portmap_write(&r->ports, 0x3c9, rgb[i], 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c8, 1), 0x07);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c7, 1), 0x00);  /* write mode */
	portmap_write(&r->ports, 0x3c7, 0x05, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c7, 1), 0x03);  /* read mode */
	for (size_t i = 0; i < sizeof(rgb); i++)
		ck_assert_int_eq(portmap_read(&r->ports, 0x3c9, 1), rgb[i]);
	portmap_write(&r->ports, 0x3c6, 0x0f, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3c6, 1), 0x0f);
	rig_free(r);
}
END_TEST

START_TEST(crtc_protect_and_mono_addresses)
{
	struct rig *r = rig_new();
	uint8_t hde = crtc_get(r, 0x01);
	crtc_set(r, 0x01, 0x27);                                    /* protected by 0x11 bit 7 */
	ck_assert_int_eq(crtc_get(r, 0x01), hde);
	crtc_set(r, 0x11, crtc_get(r, 0x11) & 0x7f);
	crtc_set(r, 0x01, 0x27);
	ck_assert_int_eq(crtc_get(r, 0x01), 0x27);

	ck_assert_int_eq(portmap_read(&r->ports, 0x3b5, 1), 0xff); /* colour mode: mono floats */
	portmap_write(&r->ports, 0x3c2, 0x66, 1);                   /* select mono addresses */
	ck_assert_int_eq(portmap_read(&r->ports, 0x3cc, 1), 0x66);
	portmap_write(&r->ports, 0x3b4, 0x0f, 1);
	portmap_write(&r->ports, 0x3b5, 0x21, 1);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3b5, 1), 0x21);
	ck_assert_int_eq(portmap_read(&r->ports, 0x3d5, 1), 0xff);
	uint8_t a = (uint8_t)portmap_read(&r->ports, 0x3ba, 1);
	uint8_t b = (uint8_t)portmap_read(&r->ports, 0x3ba, 1);
	ck_assert_int_eq(a ^ b, 0x09);
	struct vga_cursor cur;
	vga_text_cursor(r->vga, &cur);
	ck_assert_uint_eq(cur.col, 0x21);
	rig_free(r);
}
END_TEST

START_TEST(default_palette_is_cga)
{
	struct rig *r = rig_new();
	uint32_t pal[16];
	vga_text_palette(r->vga, pal);
	const uint32_t cga[16] = {
		0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa,
		0x555555, 0x5555ff, 0x55ff55, 0x55ffff, 0xff5555, 0xff55ff, 0xffff55, 0xffffff,
	};
	for (int i = 0; i < 16; i++)
		ck_assert_msg(pal[i] == cga[i], "colour %d: %06x", i, pal[i]);
	ck_assert(vga_text_blink_enabled(r->vga));

	portmap_write(&r->ports, 0x3c8, 0x01, 1);                   /* DAC 1 = pure green */
	portmap_write(&r->ports, 0x3c9, 0x00, 1);
	portmap_write(&r->ports, 0x3c9, 0x3f, 1);
	portmap_write(&r->ports, 0x3c9, 0x00, 1);
	vga_text_palette(r->vga, pal);
	ck_assert_uint_eq(pal[1], 0x00ff00);
	rig_free(r);
}
END_TEST

static Suite *vga_suite(void)
{
	Suite *s = suite_create("vga_text");
	TCase *tc = tcase_create("vga");
	tcase_add_test(tc, initial_state);
	tcase_add_test(tc, mmio_text_buffer);
	tcase_add_test(tc, crtc_cursor);
	tcase_add_test(tc, start_address);
	tcase_add_test(tc, dump_format);
	tcase_add_test(tc, input_status_toggles);
	tcase_add_test(tc, register_files);
	tcase_add_test(tc, crtc_protect_and_mono_addresses);
	tcase_add_test(tc, default_palette_is_cga);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vga_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
