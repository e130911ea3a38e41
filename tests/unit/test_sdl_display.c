/*
 * test_sdl_display.c - the SDL window: rendered colours and glyphs (read
 * back from the renderer as a BMP) and host keys reaching the i8042.
 *
 * Without an X or Wayland display the test uses SDL's "dummy" video
 * driver, which renders off-screen. It skips (77) when SDL2 was not built
 * in, or the window cannot be opened (no console font, no video driver).
 * The screenshot stays in the build directory as sdl_display_test.bmp.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef SOFTVT_HAVE_SDL

#include <SDL.h>

#include "devices/i8042.h"
#include "devices/portmap.h"
#include "devices/sdl_display.h"
#include "devices/vga_text.h"
#include "mmu/physmap.h"

#define SHOT SOFTVT_BINARY_DIR "/sdl_display_test.bmp"

struct rig {
	struct portmap ports;
	struct physmap phys;
	struct vga_text *vga;
	struct i8042 *kbc;
	struct sdl_display *disp;
	char err[256];
};

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	portmap_init(&r->ports);
	physmap_init(&r->phys, NULL);
	r->vga = vga_text_create();
	r->kbc = i8042_create((struct irq_line){ 0 }, (struct irq_line){ 0 }, NULL);
	ck_assert_int_eq(vga_text_register(r->vga, &r->ports, &r->phys), 0);
	ck_assert_int_eq(i8042_register(r->kbc, &r->ports), 0);
	r->disp = sdl_display_open(r->vga, r->kbc, r->err, sizeof(r->err));
	ck_assert_msg(r->disp != NULL, "open: %s", r->err);
	return r;
}

static void rig_free(struct rig *r)
{
	sdl_display_close(r->disp);
	i8042_destroy(r->kbc);
	vga_text_destroy(r->vga);
	free(r);
}

static void put_text(struct rig *r, unsigned row, unsigned col, const char *s, uint8_t attr)
{
	uint32_t a = 0xb8000 + (row * 80 + col) * 2;
	for (; *s; s++, a += 2)
		physmap_write(&r->phys, a, (uint32_t)attr << 8 | (uint8_t)*s, 2);
}

static uint32_t pixel(SDL_Surface *s, int x, int y)
{
	uint32_t v;
	SDL_Surface *one = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
	ck_assert_ptr_nonnull(one);
	v = ((uint32_t *)((uint8_t *)one->pixels + y * one->pitch))[x] & 0xffffff;
	SDL_FreeSurface(one);
	return v;
}

/* Counts pixels of one colour inside a character cell. */
static int count_colour(SDL_Surface *s, int cw, int ch, int row, int col, uint32_t rgb)
{
	SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
	ck_assert_ptr_nonnull(c);
	int n = 0;
	for (int y = row * ch; y < (row + 1) * ch; y++)
		for (int x = col * cw; x < (col + 1) * cw; x++)
			n += (((uint32_t *)((uint8_t *)c->pixels + y * c->pitch))[x] & 0xffffff) == rgb;
	SDL_FreeSurface(c);
	return n;
}

START_TEST(renders_text_in_cga_colours)
{
	struct rig *r = rig_new();
	put_text(r, 0, 0, "Hello from softvt", 0x1f);             /* white on blue */
	put_text(r, 1, 0, "  ", 0x4e);                            /* red background */
	put_text(r, 3, 2, "\xc9\xcd\xcd\xcd\xbb", 0x0e);          /* CP437 box drawing */
	put_text(r, 4, 2, "\xba \x03 \xba", 0x0e);
	put_text(r, 5, 2, "\xc8\xcd\xcd\xcd\xbc", 0x0e);
	for (int c = 0; c < 16; c++)
		physmap_write(&r->phys, 0xb8000 + (7 * 80 + c) * 2, (uint32_t)(c << 8 | 0xdb), 2);
	sdl_display_refresh(r->disp);
	ck_assert_int_eq(sdl_display_save_bmp(r->disp, SHOT), 0);

	SDL_Surface *s = SDL_LoadBMP(SHOT);
	ck_assert_msg(s != NULL, "load %s: %s", SHOT, SDL_GetError());
	ck_assert_int_eq(s->w % 80, 0);
	ck_assert_int_eq(s->h % 25, 0);
	int cw = s->w / 80, ch = s->h / 25;
	ck_assert_uint_eq(pixel(s, 0, 0), 0x0000aa);               /* blue, not the glyph */
	int white = count_colour(s, cw, ch, 0, 0, 0xffffff);      /* 'H' strokes */
	ck_assert_int_gt(white, cw);
	ck_assert_int_eq(white + count_colour(s, cw, ch, 0, 0, 0x0000aa), cw * ch);
	ck_assert_int_eq(count_colour(s, cw, ch, 1, 0, 0xaa0000), cw * ch);
	ck_assert_int_eq(count_colour(s, cw, ch, 2, 40, 0x000000), cw * ch);
	ck_assert_int_gt(count_colour(s, cw, ch, 3, 3, 0xffff55), 0);   /* the '=' line */
	ck_assert_int_eq(count_colour(s, cw, ch, 7, 4, 0xaa0000), cw * ch); /* full block */
	SDL_FreeSurface(s);
	rig_free(r);
}
END_TEST

static void push_key(SDL_Scancode sc, bool down)
{
	SDL_Event ev = { 0 };
	ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
	ev.key.state = down ? SDL_PRESSED : SDL_RELEASED;
	ev.key.keysym.scancode = sc;
	ck_assert_int_eq(SDL_PushEvent(&ev), 1);
}

START_TEST(keys_reach_i8042)
{
	struct rig *r = rig_new();
	push_key(SDL_SCANCODE_A, true);
	push_key(SDL_SCANCODE_A, false);
	push_key(SDL_SCANCODE_UP, true);
	push_key(SDL_SCANCODE_F7, true);
	ck_assert_int_eq(sdl_display_refresh(r->disp), 0);
	const uint8_t want[] = { 0x1e, 0x9e, 0xe0, 0x48, 0x41 };  /* set 1 after translation */
	for (size_t i = 0; i < sizeof(want); i++) {
		ck_assert_int_eq(portmap_read(&r->ports, 0x64, 1) & 1, 1);
		ck_assert_int_eq(portmap_read(&r->ports, 0x60, 1), want[i]);
	}
	ck_assert_int_eq(portmap_read(&r->ports, 0x64, 1) & 1, 0);

	SDL_Event quit = { .type = SDL_QUIT };
	SDL_PushEvent(&quit);
	ck_assert_int_eq(sdl_display_refresh(r->disp), SDL_DISPLAY_QUIT);
	rig_free(r);
}
END_TEST

int main(void)
{
	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		setenv("SDL_VIDEODRIVER", "dummy", 1);
	/* Probe once outside the forked tests so a missing font or driver skips. */
	struct vga_text *vga = vga_text_create();
	struct i8042 *kbc = i8042_create((struct irq_line){ 0 }, (struct irq_line){ 0 }, NULL);
	char err[256];
	struct sdl_display *d = sdl_display_open(vga, kbc, err, sizeof(err));
	if (!d) {
		printf("SKIP: cannot open the SDL display: %s\n", err);
		return 77;
	}
	sdl_display_close(d);
	i8042_destroy(kbc);
	vga_text_destroy(vga);

	Suite *s = suite_create("sdl_display");
	TCase *tc = tcase_create("window");
	tcase_add_test(tc, renders_text_in_cga_colours);
	tcase_add_test(tc, keys_reach_i8042);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else

int main(void)
{
	printf("SKIP: softvt was built without SDL2\n");
	return 77;
}

#endif
