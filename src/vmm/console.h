/*
 * console.h - the host side of COM1: the terminal softvt runs in, or a file.
 *
 * console_open_stdio() reads guest input from stdin and writes guest output
 * to stdout. When stdin is a terminal it is put in raw mode (Ctrl-C and
 * friends go to the guest) and Ctrl-A is an escape prefix: Ctrl-A x quits,
 * Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A h prints help on stderr. The
 * terminal settings are restored by console_close(), at exit() and on fatal
 * signals. When stdin is not a terminal it is read as is, and its end just
 * means no more input. console_open_file() writes output to a file and
 * takes no input.
 *
 * Typical main loop: poll console_fd() with the other fds; when readable,
 * read at most uart16550_rx_space() bytes with console_read() and hand them
 * to uart16550_receive(); console_write is the UART's tx callback.
 */
#ifndef SOFTVT_VMM_CONSOLE_H
#define SOFTVT_VMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE 0x01   /* Ctrl-A */

struct console;

/* NULL on failure, with the reason in err. */
struct console *console_open_stdio(char *err, size_t errlen);
struct console *console_open_file(const char *path, char *err, size_t errlen);
/* Restores the terminal if this console changed it. NULL is accepted. */
void console_close(struct console *c);
/* The fd to poll for input, or -1 (file backend, or input ended). */
int console_fd(const struct console *c);
/*
 * Non-blocking: returns the bytes available now (at most n, 0 if none),
 * after escape handling. *quit is set to whether the user asked to quit.
 */
size_t console_read(struct console *c, uint8_t *buf, size_t n, bool *quit);
/* Writes one byte of guest output, unbuffered; console is a struct console *. */
void console_write(void *console, uint8_t byte);
/* Writes n bytes of guest output (waits while the output is full; drops them if it is gone). */
void console_write_buf(struct console *c, const void *buf, size_t n);
/* The fd guest output goes to. */
int console_out_fd(const struct console *c);
/* The terminal this console put in raw mode, or -1. */
int console_tty_fd(const struct console *c);
/* Puts the terminal back as it was now (async-signal-safe; for fatal paths). */
void console_restore_terminal(void);

#endif
