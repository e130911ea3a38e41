/*
 * vga_text.h - a VGA reduced to 80x25 colour text mode (mode 3).
 *
 * 128 KiB of video memory answer at 0xA0000-0xBFFFF; the text screen is
 * read from 0xB8000 (memory offset 0x18000) plus twice the CRTC start
 * address, as character/attribute byte pairs. The VGA registers at ports
 * 0x3B0-0x3DF are register files that read back what was written; only
 * the cursor, start address, palette and blink bit change what is shown.
 * No graphics modes.
 *
 * Example (the machine):
 *	struct vga_text *vga = vga_text_create();
 *	vga_text_register(vga, &m->ports, &m->phys);
 *	...
 *	vga_text_dump(vga, stdout);    // the screen as text, for --dump-screen
 */
#ifndef SOFTVT_DEVICES_VGA_TEXT_H
#define SOFTVT_DEVICES_VGA_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/portmap.h"
#include "mmu/physmap.h"

#define VGA_TEXT_COLS 80
#define VGA_TEXT_ROWS 25
#define VGA_MEM_BASE 0xa0000u
#define VGA_MEM_SIZE 0x20000u          /* 0xA0000-0xBFFFF */
#define VGA_TEXT_WINDOW 0x18000u       /* 0xB8000 - 0xA0000 */
#define VGA_TEXT_WINDOW_SIZE 0x8000u

struct vga_cursor {
	unsigned row, col;              /* may lie below the screen */
	unsigned first_line, last_line; /* scan lines within the character cell */
	bool visible;                   /* enabled, first <= last, and on screen */
};

struct vga_text;

/* 80x25 colour text, screen cleared to 0x0720, cursor at 0,0. NULL when out of memory. */
struct vga_text *vga_text_create(void);
void vga_text_destroy(struct vga_text *vga);
/* Claims MMIO 0xA0000-0xBFFFF and ports 0x3B0-0x3DF. Returns 0, or -1 if taken. */
int vga_text_register(struct vga_text *vga, struct portmap *ports, struct physmap *phys);

/* 80x25 char/attribute pairs (4000 bytes) from the current start address. */
const uint8_t *vga_text_buffer(const struct vga_text *vga);
void vga_text_cursor(const struct vga_text *vga, struct vga_cursor *cur);
/* Scan lines per character row (CRTC maximum scan line + 1). */
unsigned vga_text_char_height(const struct vga_text *vga);
/* Attribute bit 7 means blink (true) or bright background (false). */
bool vga_text_blink_enabled(const struct vga_text *vga);
/* The 16 text colours as 0xRRGGBB, through the attribute palette and the DAC. */
void vga_text_palette(const struct vga_text *vga, uint32_t rgb[16]);

/*
 * The screen as 25 lines of up to 80 characters (trailing spaces trimmed,
 * characters outside 0x20-0x7E as '.', except 0x00 which shows blank),
 * then "cursor: row R col C".
 */
void vga_text_dump(const struct vga_text *vga, FILE *out);

/* Whether what is shown changed since the last vga_text_clear_dirty(). */
bool vga_text_dirty(const struct vga_text *vga);
void vga_text_clear_dirty(struct vga_text *vga);

#endif
