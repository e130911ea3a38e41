/*
 * jail_escape.c - an LD_PRELOAD module for tests/cli/jail.sh: it plays a
 * guest that has taken over softvt's process. On SIGUSR2 (sent by the test
 * to one thread of a running softvt) the handler, in that thread, makes the
 * host system call named by SOFTVT_TEST_ESCAPE through the C library's
 * syscall instruction: write9 (a marker to fd 9), open (O_CREAT of the
 * path in SOFTVT_TEST_ESCAPE_PATH), execve (of /bin/sh printing a marker
 * to fd 9), exit_group (status 42). Under the jail none of them may happen.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *what;
static const char *path;

static void escape(int sig)
{
	static char *const argv[] = { "/bin/sh", "-c", "echo ESCAPED-EXEC >&9", NULL };
	(void)sig;
	if (strcmp(what, "write9") == 0)
		syscall(SYS_write, 9, "ESCAPED-WRITE\n", 14);
	else if (strcmp(what, "open") == 0)
		syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY, 0600);
	else if (strcmp(what, "execve") == 0)
		syscall(SYS_execve, "/bin/sh", argv, NULL);
	else if (strcmp(what, "exit_group") == 0)
		syscall(SYS_exit_group, 42);
}

__attribute__((constructor)) static void jail_escape_init(void)
{
	what = getenv("SOFTVT_TEST_ESCAPE");
	path = getenv("SOFTVT_TEST_ESCAPE_PATH");
	if (!what || !path)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = escape;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
}
