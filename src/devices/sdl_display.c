/*
 * sdl_display.c - SDL2 window for the VGA text screen, PSF console font,
 * host keys to PS/2 scan code set 2.
 *
 * Drawing: the 80x25 cells are rendered in software into an ARGB frame
 * (cell = font width x font height), uploaded to a streaming texture and
 * scaled to the window with the aspect kept. Colours come from
 * vga_text_palette() (the 16 CGA colours unless the guest reprograms the
 * DAC). With blinking enabled (attribute mode control bit 3), attribute bit
 * 7 blinks the character at ~1.9 Hz and the background has 8 colours; the
 * cursor blinks at twice that rate, as on the VGA (every 16 / 32 frames).
 *
 * PSF fonts (the Linux console font format, as documented by the kbd
 * console tools):
 *   PSF1: bytes 0-1 magic 0x36 0x04; byte 2 mode (bit 0: 512 glyphs
 *         instead of 256, bit 1: a Unicode table follows, bit 2: the table
 *         has sequences); byte 3 glyph height = bytes per glyph (8 pixels
 *         wide, one byte per row, MSB leftmost). Glyphs start at offset 4.
 *         Unicode table: per glyph, little-endian 16-bit code points, then
 *         0xFFFE before any multi-code-point sequences, ended by 0xFFFF.
 *   PSF2: 32-byte little-endian header: magic 0x72 0xB5 0x4A 0x86, version
 *         (0), header size, flags (bit 0: Unicode table), glyph count,
 *         bytes per glyph, height, width. Rows are (width + 7) / 8 bytes.
 *         Unicode table: per glyph, UTF-8 code points, 0xFE before
 *         sequences, ended by 0xFF.
 * The VGA shows code page 437; each CP437 code is mapped to its Unicode
 * code point (IBM/Unicode CP437 table) and from there to a glyph through
 * the font's table. A font without a table is taken as CP437-ordered.
 *
 * Keys: SDL scan codes (USB HID usages, i.e. key positions) map to set-2
 * make codes (IBM PS/2 keyboard reference); a break code is 0xF0 before
 * the last byte. SDL's key repeat becomes typematic makes.
 */
#include "devices/sdl_display.h"

#include <SDL.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define FONT_DIR "/usr/share/consolefonts"
#define FONT_PACKAGE "console-setup-linux"
#define FONT_MAX_BYTES (4u << 20)
#define NO_GLYPH 0xffffu

/*
 * Preferred first: VGA-shaped 8x16 glyphs covering most of CP437
 * (FullGreek-VGA16 has 154 of its 160 non-ASCII symbols, Uni2-VGA16 134).
 */
static const char *const font_names[] = {
	"FullGreek-VGA16.psf.gz", "Uni2-VGA16.psf.gz", "Lat15-VGA16.psf.gz",
	"default8x16.psf.gz", "Uni2-Fixed16.psf.gz", "Lat15-Fixed16.psf.gz",
};

/* Code page 437 -> Unicode (0x00 is left 0: it shows blank). */
static const uint16_t cp437_unicode[256] = {
	0x0000, 0x263a, 0x263b, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
	0x25d8, 0x25cb, 0x25d9, 0x2642, 0x2640, 0x266a, 0x266b, 0x263c,
	0x25ba, 0x25c4, 0x2195, 0x203c, 0x00b6, 0x00a7, 0x25ac, 0x21a8,
	0x2191, 0x2193, 0x2192, 0x2190, 0x221f, 0x2194, 0x25b2, 0x25bc,
	0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x005b, 0x005c, 0x005d, 0x005e, 0x005f,
	0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x007b, 0x007c, 0x007d, 0x007e, 0x2302,
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
	0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
	0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
	0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
	0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* Set-2 make codes by SDL scan code; 0xE0nn = extended (0xE0 prefix). */
static const uint16_t sdl_to_set2[SDL_NUM_SCANCODES] = {
	[SDL_SCANCODE_A] = 0x1c, [SDL_SCANCODE_B] = 0x32, [SDL_SCANCODE_C] = 0x21,
	[SDL_SCANCODE_D] = 0x23, [SDL_SCANCODE_E] = 0x24, [SDL_SCANCODE_F] = 0x2b,
	[SDL_SCANCODE_G] = 0x34, [SDL_SCANCODE_H] = 0x33, [SDL_SCANCODE_I] = 0x43,
	[SDL_SCANCODE_J] = 0x3b, [SDL_SCANCODE_K] = 0x42, [SDL_SCANCODE_L] = 0x4b,
	[SDL_SCANCODE_M] = 0x3a, [SDL_SCANCODE_N] = 0x31, [SDL_SCANCODE_O] = 0x44,
	[SDL_SCANCODE_P] = 0x4d, [SDL_SCANCODE_Q] = 0x15, [SDL_SCANCODE_R] = 0x2d,
	[SDL_SCANCODE_S] = 0x1b, [SDL_SCANCODE_T] = 0x2c, [SDL_SCANCODE_U] = 0x3c,
	[SDL_SCANCODE_V] = 0x2a, [SDL_SCANCODE_W] = 0x1d, [SDL_SCANCODE_X] = 0x22,
	[SDL_SCANCODE_Y] = 0x35, [SDL_SCANCODE_Z] = 0x1a,
	[SDL_SCANCODE_1] = 0x16, [SDL_SCANCODE_2] = 0x1e, [SDL_SCANCODE_3] = 0x26,
	[SDL_SCANCODE_4] = 0x25, [SDL_SCANCODE_5] = 0x2e, [SDL_SCANCODE_6] = 0x36,
	[SDL_SCANCODE_7] = 0x3d, [SDL_SCANCODE_8] = 0x3e, [SDL_SCANCODE_9] = 0x46,
	[SDL_SCANCODE_0] = 0x45,
	[SDL_SCANCODE_RETURN] = 0x5a, [SDL_SCANCODE_ESCAPE] = 0x76,
	[SDL_SCANCODE_BACKSPACE] = 0x66, [SDL_SCANCODE_TAB] = 0x0d,
	[SDL_SCANCODE_SPACE] = 0x29, [SDL_SCANCODE_MINUS] = 0x4e,
	[SDL_SCANCODE_EQUALS] = 0x55, [SDL_SCANCODE_LEFTBRACKET] = 0x54,
	[SDL_SCANCODE_RIGHTBRACKET] = 0x5b, [SDL_SCANCODE_BACKSLASH] = 0x5d,
	[SDL_SCANCODE_NONUSHASH] = 0x5d, [SDL_SCANCODE_SEMICOLON] = 0x4c,
	[SDL_SCANCODE_APOSTROPHE] = 0x52, [SDL_SCANCODE_GRAVE] = 0x0e,
	[SDL_SCANCODE_COMMA] = 0x41, [SDL_SCANCODE_PERIOD] = 0x49,
	[SDL_SCANCODE_SLASH] = 0x4a, [SDL_SCANCODE_CAPSLOCK] = 0x58,
	[SDL_SCANCODE_NONUSBACKSLASH] = 0x61,
	[SDL_SCANCODE_F1] = 0x05, [SDL_SCANCODE_F2] = 0x06, [SDL_SCANCODE_F3] = 0x04,
	[SDL_SCANCODE_F4] = 0x0c, [SDL_SCANCODE_F5] = 0x03, [SDL_SCANCODE_F6] = 0x0b,
	[SDL_SCANCODE_F7] = 0x83, [SDL_SCANCODE_F8] = 0x0a, [SDL_SCANCODE_F9] = 0x01,
	[SDL_SCANCODE_F10] = 0x09, [SDL_SCANCODE_F11] = 0x78, [SDL_SCANCODE_F12] = 0x07,
	[SDL_SCANCODE_SCROLLLOCK] = 0x7e,
	[SDL_SCANCODE_INSERT] = 0xe070, [SDL_SCANCODE_HOME] = 0xe06c,
	[SDL_SCANCODE_PAGEUP] = 0xe07d, [SDL_SCANCODE_DELETE] = 0xe071,
	[SDL_SCANCODE_END] = 0xe069, [SDL_SCANCODE_PAGEDOWN] = 0xe07a,
	[SDL_SCANCODE_RIGHT] = 0xe074, [SDL_SCANCODE_LEFT] = 0xe06b,
	[SDL_SCANCODE_DOWN] = 0xe072, [SDL_SCANCODE_UP] = 0xe075,
	[SDL_SCANCODE_NUMLOCKCLEAR] = 0x77, [SDL_SCANCODE_KP_DIVIDE] = 0xe04a,
	[SDL_SCANCODE_KP_MULTIPLY] = 0x7c, [SDL_SCANCODE_KP_MINUS] = 0x7b,
	[SDL_SCANCODE_KP_PLUS] = 0x79, [SDL_SCANCODE_KP_ENTER] = 0xe05a,
	[SDL_SCANCODE_KP_1] = 0x69, [SDL_SCANCODE_KP_2] = 0x72, [SDL_SCANCODE_KP_3] = 0x7a,
	[SDL_SCANCODE_KP_4] = 0x6b, [SDL_SCANCODE_KP_5] = 0x73, [SDL_SCANCODE_KP_6] = 0x74,
	[SDL_SCANCODE_KP_7] = 0x6c, [SDL_SCANCODE_KP_8] = 0x75, [SDL_SCANCODE_KP_9] = 0x7d,
	[SDL_SCANCODE_KP_0] = 0x70, [SDL_SCANCODE_KP_PERIOD] = 0x71,
	[SDL_SCANCODE_APPLICATION] = 0xe02f,
	[SDL_SCANCODE_LCTRL] = 0x14, [SDL_SCANCODE_LSHIFT] = 0x12,
	[SDL_SCANCODE_LALT] = 0x11, [SDL_SCANCODE_LGUI] = 0xe01f,
	[SDL_SCANCODE_RCTRL] = 0xe014, [SDL_SCANCODE_RSHIFT] = 0x59,
	[SDL_SCANCODE_RALT] = 0xe011, [SDL_SCANCODE_RGUI] = 0xe027,
};

struct psf_font {
	unsigned width, height, row_bytes, glyph_bytes, count;
	uint8_t *glyphs;
	uint16_t cp437_glyph[256];
};

struct sdl_display {
	struct vga_text *vga;
	struct i8042 *kbc;
	struct psf_font font;
	SDL_Window *window;
	SDL_Renderer *renderer;
	SDL_Texture *texture;
	uint32_t *frame;
	int fb_w, fb_h;
	int phase;              /* blink phase: bit 0 cursor, bit 1 characters */
	bool force;             /* redraw even if the VGA is clean */
};

/* Whole gzip (or plain) file into memory; NULL if unreadable or too big. */
static uint8_t *read_gz(const char *path, size_t *len)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 64 * 1024, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			uint8_t *bigger = cap < FONT_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		int got = gzread(f, buf + n, (unsigned)(cap - n));
		if (got < 0) {
			free(buf);
			buf = NULL;
		} else if (got == 0) {
			break;
		} else {
			n += (size_t)got;
		}
	}
	gzclose(f);
	*len = n;
	return buf;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Every CP437 code whose code point is cp gets this glyph, if it has none yet. */
static void font_map(struct psf_font *f, uint32_t cp, unsigned glyph)
{
	for (unsigned c = 1; c < 256; c++)
		if (cp437_unicode[c] == cp && f->cp437_glyph[c] == NO_GLYPH)
			f->cp437_glyph[c] = (uint16_t)glyph;
}

/* Decodes one UTF-8 code point at *p (< end); returns it and advances. */
static uint32_t utf8_next(const uint8_t **p, const uint8_t *end)
{
	uint8_t b = *(*p)++;
	unsigned extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
	uint32_t cp = extra ? b & (0x3fu >> extra) : b;
	while (extra-- && *p < end && (**p & 0xc0) == 0x80)
		cp = cp << 6 | (*(*p)++ & 0x3fu);
	return cp;
}

static void font_unicode_psf1(struct psf_font *f, const uint8_t *p, const uint8_t *end)
{
	for (unsigned g = 0; g < f->count && p + 2 <= end; g++) {
		bool seq = false;
		while (p + 2 <= end) {
			uint16_t u = (uint16_t)(p[0] | p[1] << 8);
			p += 2;
			if (u == 0xffff)
				break;
			if (u == 0xfffe)
				seq = true;
			else if (!seq)
				font_map(f, u, g);
		}
	}
}

static void font_unicode_psf2(struct psf_font *f, const uint8_t *p, const uint8_t *end)
{
	for (unsigned g = 0; g < f->count && p < end; g++) {
		bool seq = false;
		while (p < end) {
			if (*p == 0xff) {
				p++;
				break;
			}
			if (*p == 0xfe) {
				p++;
				seq = true;
				continue;
			}
			uint32_t cp = utf8_next(&p, end);
			if (!seq)
				font_map(f, cp, g);
		}
	}
}

/* Parses a PSF1 or PSF2 image (see the top of the file). 0, or -1 if malformed. */
static int font_parse(struct psf_font *f, const uint8_t *data, size_t len)
{
	size_t glyph_off, table_off;
	bool has_table;
	bool psf1 = len >= 4 && data[0] == 0x36 && data[1] == 0x04;
	if (psf1) {
		f->count = data[2] & 0x01 ? 512 : 256;
		f->width = 8;
		f->height = data[3];
		f->row_bytes = 1;
		f->glyph_bytes = data[3];
		glyph_off = 4;
		has_table = data[2] & 0x06;
	} else if (len >= 32 && le32(data) == 0x864ab572u) {
		glyph_off = le32(data + 8);
		has_table = le32(data + 12) & 1;
		f->count = le32(data + 16);
		f->glyph_bytes = le32(data + 20);
		f->height = le32(data + 24);
		f->width = le32(data + 28);
		f->row_bytes = (f->width + 7) / 8;
	} else {
		return -1;
	}
	if (f->width == 0 || f->width > 32 || f->height == 0 || f->height > 64 ||
	    f->count == 0 || f->count > 65535 ||
	    f->glyph_bytes < f->row_bytes * f->height ||
	    glyph_off > len || (len - glyph_off) / f->glyph_bytes < f->count)
		return -1;
	size_t glyph_len = (size_t)f->count * f->glyph_bytes;
	f->glyphs = malloc(glyph_len);
	if (!f->glyphs)
		return -1;
	memcpy(f->glyphs, data + glyph_off, glyph_len);
	table_off = glyph_off + glyph_len;

	for (unsigned c = 0; c < 256; c++)
		f->cp437_glyph[c] = has_table ? NO_GLYPH : (c < f->count ? (uint16_t)c : NO_GLYPH);
	if (has_table && psf1)
		font_unicode_psf1(f, data + table_off, data + len);
	else if (has_table)
		font_unicode_psf2(f, data + table_off, data + len);
	/* Codes the font lacks show its '?' (0x00 stays blank). */
	uint16_t fallback = f->cp437_glyph['?'];
	for (unsigned c = 1; c < 256; c++)
		if (f->cp437_glyph[c] == NO_GLYPH)
			f->cp437_glyph[c] = fallback;
	f->cp437_glyph[0] = NO_GLYPH;
	return 0;
}

static int font_load(struct psf_font *f, char *err, size_t n)
{
	for (size_t i = 0; i < sizeof(font_names) / sizeof(font_names[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", FONT_DIR, font_names[i]);
		size_t len;
		uint8_t *data = read_gz(path, &len);
		if (!data)
			continue;
		int rc = font_parse(f, data, len);
		free(data);
		if (rc == 0)
			return 0;
	}
	snprintf(err, n, "no usable console font (%s/Uni2-VGA16.psf.gz...): "
		 "install the Debian package %s", FONT_DIR, FONT_PACKAGE);
	return -1;
}

static void draw_cell(struct sdl_display *d, unsigned row, unsigned col, uint8_t ch,
		      uint8_t attr, const uint32_t pal[16], bool blink_on)
{
	const struct psf_font *f = &d->font;
	uint32_t fg = pal[attr & 0x0f], bg;
	if (vga_text_blink_enabled(d->vga)) {
		bg = pal[(attr >> 4) & 0x07];
		if ((attr & 0x80) && !blink_on)
			fg = bg;
	} else {
		bg = pal[attr >> 4];
	}
	uint16_t g = f->cp437_glyph[ch];
	const uint8_t *glyph = g == NO_GLYPH ? NULL : f->glyphs + (size_t)g * f->glyph_bytes;
	uint32_t *px = d->frame + (size_t)row * f->height * (size_t)d->fb_w + col * f->width;
	for (unsigned y = 0; y < f->height; y++, px += d->fb_w) {
		const uint8_t *bits = glyph ? glyph + y * f->row_bytes : NULL;
		for (unsigned x = 0; x < f->width; x++) {
			bool on = bits && (bits[x / 8] & (0x80 >> (x % 8)));
			px[x] = 0xff000000u | (on ? fg : bg);
		}
	}
}

/* The cursor's scan lines are in VGA character-cell units: scale to the font. */
static void draw_cursor(struct sdl_display *d, const uint8_t *screen, const uint32_t pal[16])
{
	struct vga_cursor cur;
	vga_text_cursor(d->vga, &cur);
	if (!cur.visible || !(d->phase & 1))
		return;
	const struct psf_font *f = &d->font;
	unsigned cell = vga_text_char_height(d->vga);
	unsigned y0 = cur.first_line * f->height / cell;
	unsigned y1 = (cur.last_line + 1) * f->height / cell;
	if (y1 > f->height)
		y1 = f->height;
	uint32_t colour = 0xff000000u | pal[screen[(cur.row * VGA_TEXT_COLS + cur.col) * 2 + 1] & 0x0f];
	for (unsigned y = y0; y < y1; y++) {
		uint32_t *px = d->frame + ((size_t)cur.row * f->height + y) * (size_t)d->fb_w +
			       cur.col * f->width;
		for (unsigned x = 0; x < f->width; x++)
			px[x] = colour;
	}
}

static void render(struct sdl_display *d)
{
	const uint8_t *screen = vga_text_buffer(d->vga);
	uint32_t pal[16];
	vga_text_palette(d->vga, pal);
	for (unsigned r = 0; r < VGA_TEXT_ROWS; r++)
		for (unsigned c = 0; c < VGA_TEXT_COLS; c++) {
			const uint8_t *cell = screen + (r * VGA_TEXT_COLS + c) * 2;
			draw_cell(d, r, c, cell[0], cell[1], pal, d->phase & 2);
		}
	draw_cursor(d, screen, pal);
	vga_text_clear_dirty(d->vga);
	SDL_UpdateTexture(d->texture, NULL, d->frame, d->fb_w * (int)sizeof(uint32_t));
	SDL_RenderClear(d->renderer);
	SDL_RenderCopy(d->renderer, d->texture, NULL, NULL);
}

static void send_key(struct sdl_display *d, SDL_Scancode sc, bool down)
{
	uint8_t seq[8];
	size_t n = 0;
	if (sc == SDL_SCANCODE_PRINTSCREEN) {
		const uint8_t make[] = { 0xe0, 0x12, 0xe0, 0x7c };
		const uint8_t brk[] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };
		i8042_key_event(d->kbc, down ? make : brk, down ? sizeof(make) : sizeof(brk));
		return;
	}
	if (sc == SDL_SCANCODE_PAUSE) {         /* make only: Pause has no break code */
		const uint8_t make[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
		if (down)
			i8042_key_event(d->kbc, make, sizeof(make));
		return;
	}
	uint16_t code = sc < SDL_NUM_SCANCODES ? sdl_to_set2[sc] : 0;
	if (!code)
		return;
	if (code >> 8)
		seq[n++] = 0xe0;
	if (!down)
		seq[n++] = 0xf0;
	seq[n++] = (uint8_t)code;
	i8042_key_event(d->kbc, seq, n);
}

struct sdl_display *sdl_display_open(struct vga_text *vga, struct i8042 *kbc,
				     char *err, size_t n)
{
	struct sdl_display *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	d->vga = vga;
	d->kbc = kbc;
	d->force = true;
	if (font_load(&d->font, err, n) < 0) {
		free(d);
		return NULL;
	}
	d->fb_w = (int)(VGA_TEXT_COLS * d->font.width);
	d->fb_h = (int)(VGA_TEXT_ROWS * d->font.height);
	d->frame = calloc((size_t)d->fb_w * (size_t)d->fb_h, sizeof(uint32_t));
	/* The machine owns SIGINT/SIGTERM; SDL must not turn them into SDL_QUIT. */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	if (!d->frame || SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
		snprintf(err, n, "SDL video: %s", d->frame ? SDL_GetError() : "out of memory");
		free(d->frame);
		free(d->font.glyphs);
		free(d);
		return NULL;
	}
	d->window = SDL_CreateWindow("softvt", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
				     d->fb_w, d->fb_h, SDL_WINDOW_RESIZABLE);
	if (d->window)
		d->renderer = SDL_CreateRenderer(d->window, -1, 0);
	if (d->renderer) {
		SDL_RenderSetLogicalSize(d->renderer, d->fb_w, d->fb_h);
		d->texture = SDL_CreateTexture(d->renderer, SDL_PIXELFORMAT_ARGB8888,
					       SDL_TEXTUREACCESS_STREAMING, d->fb_w, d->fb_h);
	}
	if (!d->texture) {
		snprintf(err, n, "SDL window: %s", SDL_GetError());
		sdl_display_close(d);
		return NULL;
	}
	return d;
}

int sdl_display_refresh(struct sdl_display *disp)
{
	int result = 0;
	SDL_Event ev;
	while (SDL_PollEvent(&ev)) {
		switch (ev.type) {
		case SDL_QUIT:
			result = SDL_DISPLAY_QUIT;
			break;
		case SDL_WINDOWEVENT:
			if (ev.window.event == SDL_WINDOWEVENT_EXPOSED ||
			    ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
				disp->force = true;
			break;
		case SDL_KEYDOWN:
		case SDL_KEYUP:
			send_key(disp, ev.key.keysym.scancode, ev.type == SDL_KEYDOWN);
			break;
		}
	}
	/* Bit 0 turns every 16 frames of 60 Hz (cursor), bit 1 every 32 (characters). */
	int phase = (int)((SDL_GetTicks64() * 60 / 1000 / 16) & 3);
	if (disp->force || phase != disp->phase || vga_text_dirty(disp->vga)) {
		disp->phase = phase;
		disp->force = false;
		render(disp);
		SDL_RenderPresent(disp->renderer);
	}
	return result;
}

int sdl_display_save_bmp(struct sdl_display *disp, const char *path)
{
	render(disp);
	int w, h;
	if (SDL_GetRendererOutputSize(disp->renderer, &w, &h) < 0)
		return -1;
	SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
	if (!s)
		return -1;
	int rc = SDL_RenderReadPixels(disp->renderer, NULL, SDL_PIXELFORMAT_ARGB8888,
				      s->pixels, s->pitch);
	if (rc == 0)
		rc = SDL_SaveBMP(s, path);
	SDL_FreeSurface(s);
	SDL_RenderPresent(disp->renderer);
	return rc < 0 ? -1 : 0;
}

void sdl_display_close(struct sdl_display *disp)
{
	if (!disp)
		return;
	if (disp->texture)
		SDL_DestroyTexture(disp->texture);
	if (disp->renderer)
		SDL_DestroyRenderer(disp->renderer);
	if (disp->window)
		SDL_DestroyWindow(disp->window);
	SDL_QuitSubSystem(SDL_INIT_VIDEO);
	free(disp->frame);
	free(disp->font.glyphs);
	free(disp);
}
