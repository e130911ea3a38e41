/*
 * sdl_display.h - an SDL2 window showing the VGA text screen and feeding
 * the host keyboard to the i8042 (built only when SDL2 is found: then
 * SOFTVT_HAVE_SDL is defined).
 *
 * Glyphs come from a PSF console font loaded at run time from
 * /usr/share/consolefonts (Debian package console-setup-linux).
 *
 * Example (the main loop, on the main thread, 30-60 times a second):
 *	struct sdl_display *d = sdl_display_open(vga, kbc, err, sizeof(err));
 *	if (!d) die("%s", err);
 *	while (running)
 *		if (sdl_display_refresh(d) == SDL_DISPLAY_QUIT) break;
 *	sdl_display_close(d);
 */
#ifndef SOFTVT_DEVICES_SDL_DISPLAY_H
#define SOFTVT_DEVICES_SDL_DISPLAY_H

#include <stddef.h>

#include "devices/i8042.h"
#include "devices/vga_text.h"

#define SDL_DISPLAY_QUIT 1

struct sdl_display;

/* NULL with a one-line reason in err (no video device, no console font...). */
struct sdl_display *sdl_display_open(struct vga_text *vga, struct i8042 *kbc,
				     char *err, size_t n);
/*
 * Handles pending window events (keys go to the i8042 as set-2 scan
 * codes) and redraws if the screen changed or a blink phase turned.
 * Returns SDL_DISPLAY_QUIT when the user closed the window, else 0.
 */
int sdl_display_refresh(struct sdl_display *disp);
/* Draws the screen and saves the rendered window as a BMP. 0, or -1. */
int sdl_display_save_bmp(struct sdl_display *disp, const char *path);
void sdl_display_close(struct sdl_display *disp);

#endif
