/*
 * console.c - terminal and file backends for the guest's serial console.
 *
 * Raw mode (termios(3), POSIX "General Terminal Interface"): input is
 * delivered byte by byte with no echo, no line editing (ICANON), no signal
 * keys (ISIG: Ctrl-C, Ctrl-Z, Ctrl-\ reach the guest), no flow control
 * (IXON: Ctrl-S/Ctrl-Q reach the guest) and no CR/NL translation (Enter
 * sends CR, as a serial terminal does). Output processing is left as it
 * was, so a guest that ends lines with a bare LF still returns the cursor.
 *
 * Restoring the terminal: the settings belong to the terminal, which the
 * whole process shares, and the places that must put them back (the
 * atexit hook and the fatal-signal handler) take no argument, so the saved
 * settings are one process-wide record, `term_saved` - the only state in
 * this file outside struct console. Only one console at a time may own the
 * terminal. The handler restores the settings (tcsetattr is
 * async-signal-safe) and re-raises the signal with its default action, so
 * the exit status is still "killed by signal". It is installed only for
 * signals whose disposition is still the default: an ignored SIGHUP (nohup)
 * stays ignored, and code that installs its own handler for one of these
 * signals afterwards (an engine catching SIGSEGV for guest faults) should
 * pass the signals it does not consume to the previous handler.
 *
 * Input is read with poll() and a single read(), never by making the fd
 * non-blocking: O_NONBLOCK would be shared with the shell through the open
 * file description and outlive us.
 */
#include "vmm/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct console {
	int in_fd;        /* -1: no (more) input */
	int out_fd;
	bool owns_out;    /* file backend: close out_fd */
	bool raw;         /* this console put the terminal in raw mode */
	bool escape;      /* Ctrl-A seen, waiting for the command key */
};

static struct {
	struct termios saved;
	int fd;
	volatile sig_atomic_t active;   /* fd is in raw mode and saved must be restored */
	bool hooks_installed;
} term_saved = { .fd = -1 };

static const int console_fatal_signals[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGPIPE,
};

static const char console_banner[] =
	"softvt: serial console on this terminal; Ctrl-A x to quit, Ctrl-A h for help\n";

static const char console_help[] =
	"\nsoftvt serial console keys:\n"
	"  Ctrl-A x       quit softvt\n"
	"  Ctrl-A Ctrl-A  send Ctrl-A to the guest\n"
	"  Ctrl-A h       this help\n"
	"Other keys after Ctrl-A are ignored.\n";

static void term_restore(int when)
{
	if (term_saved.active) {
		tcsetattr(term_saved.fd, when, &term_saved.saved);
		term_saved.active = 0;
	}
}

static void term_restore_at_exit(void)
{
	term_restore(TCSADRAIN);
}

static void term_fatal_signal(int sig)
{
	term_restore(TCSANOW);
	/* SA_RESETHAND made the action the default again: the signal kills us on return. */
	raise(sig);
}

static void term_install_hooks(void)
{
	if (term_saved.hooks_installed)
		return;
	term_saved.hooks_installed = true;
	atexit(term_restore_at_exit);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = term_fatal_signal;
	sa.sa_flags = SA_RESETHAND | SA_ONSTACK;   /* engine bt: rsp may be the guest's */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(console_fatal_signals) / sizeof(console_fatal_signals[0]); i++) {
		struct sigaction old;
		int sig = console_fatal_signals[i];
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
		    !(old.sa_flags & SA_SIGINFO))
			sigaction(sig, &sa, NULL);
	}
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r > 0) {
			p += r;
			len -= (size_t)r;
		} else if (r < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, -1);
		} else if (!(r < 0 && errno == EINTR)) {
			return;   /* EPIPE, EIO...: the output is gone, drop the data */
		}
	}
}

static int term_make_raw(int fd, char *err, size_t errlen)
{
	if (term_saved.active) {
		snprintf(err, errlen, "the terminal is already used by another console");
		return -1;
	}
	struct termios tio;
	if (tcgetattr(fd, &tio) != 0) {
		snprintf(err, errlen, "cannot read the terminal settings: %s", strerror(errno));
		return -1;
	}
	term_saved.saved = tio;
	term_saved.fd = fd;
	term_install_hooks();
	tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
				   IXON | IXOFF);
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	tio.c_cflag |= CS8;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	/* Active first: a signal between the two calls restores a terminal not yet changed. */
	term_saved.active = 1;
	if (tcsetattr(fd, TCSAFLUSH, &tio) != 0) {
		term_saved.active = 0;
		snprintf(err, errlen, "cannot put the terminal in raw mode: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct console *console_open_stdio(char *err, size_t errlen)
{
	struct console *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->in_fd = STDIN_FILENO;
	c->out_fd = STDOUT_FILENO;
	if (isatty(STDIN_FILENO)) {
		if (term_make_raw(STDIN_FILENO, err, errlen) != 0) {
			free(c);
			return NULL;
		}
		c->raw = true;
		write_all(STDERR_FILENO, console_banner, sizeof(console_banner) - 1);
	}
	return c;
}

struct console *console_open_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct console *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->in_fd = -1;
	c->out_fd = fd;
	c->owns_out = true;
	return c;
}

void console_close(struct console *c)
{
	if (!c)
		return;
	if (c->raw)
		term_restore(TCSADRAIN);
	if (c->owns_out)
		close(c->out_fd);
	free(c);
}

int console_fd(const struct console *c)
{
	return c->in_fd;
}

/* Applies the Ctrl-A commands to buf in place; returns the bytes left for the guest. */
static size_t console_filter(struct console *c, uint8_t *buf, size_t len, bool *quit)
{
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = buf[i];
		if (!c->escape) {
			if (b == CONSOLE_ESCAPE)
				c->escape = true;
			else
				buf[out++] = b;
			continue;
		}
		c->escape = false;
		switch (b) {
		case 'x':
		case 'X':
			*quit = true;
			return out;
		case 'h':
		case 'H':
		case '?':
			write_all(STDERR_FILENO, console_help, sizeof(console_help) - 1);
			break;
		case CONSOLE_ESCAPE:
			buf[out++] = CONSOLE_ESCAPE;
			break;
		default:
			break;
		}
	}
	return out;
}

size_t console_read(struct console *c, uint8_t *buf, size_t n, bool *quit)
{
	*quit = false;
	if (c->in_fd < 0 || n == 0)
		return 0;
	struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
	if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	ssize_t r = read(c->in_fd, buf, n);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0) {
		c->in_fd = -1;   /* end of input (or a hung-up terminal): stop polling it */
		return 0;
	}
	if (!c->raw)
		return (size_t)r;
	return console_filter(c, buf, (size_t)r, quit);
}

void console_write(void *console, uint8_t byte)
{
	struct console *c = console;
	write_all(c->out_fd, &byte, 1);
}

void console_write_buf(struct console *c, const void *buf, size_t n)
{
	write_all(c->out_fd, buf, n);
}

int console_out_fd(const struct console *c)
{
	return c->out_fd;
}

int console_tty_fd(const struct console *c)
{
	return c->raw ? term_saved.fd : -1;
}

void console_restore_terminal(void)
{
	term_restore(TCSANOW);
}
