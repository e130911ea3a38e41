/*
 * test_console.c - the serial console backends.
 *
 * The stdio backend works on fds 0-2, so those tests run it in a forked
 * child whose stdin/stdout are a pipe or a pseudo-terminal (openpty), with
 * stderr on a pipe; the child reports through its exit status and a pipe,
 * and the parent inspects the pty's settings with tcgetattr on its own
 * copy of the slave.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/console.h"

#define BANNER "softvt: serial console on this terminal; Ctrl-A x to quit, Ctrl-A h for help\n"

/* Reads until n bytes, EOF or timeout_ms; returns the count. */
static size_t read_for(int fd, void *buf, size_t n, int timeout_ms)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

static void write_str(int fd, const char *s, size_t n)
{
	ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
}

/* ---- file backend ---- */

START_TEST(test_file_backend)
{
	char dir[] = "/tmp/softvt-console-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/com1.log", dir);
	char err[256] = "";

	struct console *c = console_open_file(path, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(console_fd(c), -1);
	uint8_t buf[8];
	bool quit = true;
	ck_assert_uint_eq(console_read(c, buf, sizeof(buf), &quit), 0);
	ck_assert(!quit);
	static const uint8_t out[] = { 'a', 'b', '\n', 0x00, 0xff, 0x01 };
	for (size_t i = 0; i < sizeof(out); i++)
		console_write(c, out[i]);
	/* Unbuffered: the bytes are in the file before close. */
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	uint8_t back[16];
	ck_assert_int_eq(read(fd, back, sizeof(back)), (ssize_t)sizeof(out));
	ck_assert_mem_eq(back, out, sizeof(out));
	close(fd);
	console_close(c);

	/* Reopening truncates. */
	c = console_open_file(path, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	console_write(c, 'z');
	console_close(c);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, back, sizeof(back)), 1);
	ck_assert_uint_eq(back[0], 'z');
	close(fd);
	unlink(path);
	rmdir(dir);
	console_close(NULL);
}
END_TEST

START_TEST(test_file_open_error)
{
	char err[256] = "";
	struct console *c = console_open_file("/nonexistent-softvt-dir/com1.log", err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-softvt-dir/com1.log"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

/* ---- stdio backend in a child ---- */

struct child {
	pid_t pid;
	int sync_rd;    /* child writes 'R' once its console is open */
	int go_wr;      /* parent writes a byte to let the child go on */
	int report_rd;  /* what the child read from its console */
	int err_rd;     /* the child's stderr */
};

enum child_mode {
	MODE_READ_ALL,      /* read until quit or end of input, report the bytes */
	MODE_CLOSE,         /* second open must fail; console_close; _exit(0) */
	MODE_EXIT,          /* exit(5) without closing */
	MODE_WAIT_SIGNAL,   /* block until killed */
	MODE_SEGV,          /* raise SIGSEGV */
};

/* Child side. Exit codes: 0 ok, 3 quit seen (MODE_READ_ALL), 10+ failures. */
static void child_main(enum child_mode mode, int sync_wr, int go_rd, int report_wr)
{
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	/* A shell may have started us with SIGINT/SIGQUIT/SIGHUP ignored. */
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT, SIGBUS,
				    SIGSEGV, SIGALRM };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	alarm(20);
	char err[256];
	struct console *c = console_open_stdio(err, sizeof(err));
	if (!c)
		_exit(10);
	if (write(sync_wr, "R", 1) != 1)
		_exit(11);
	char go;
	switch (mode) {
	case MODE_READ_ALL: {
		uint8_t got[256];
		size_t n = 0;
		bool quit = false;
		while (!quit && console_fd(c) >= 0 && n < sizeof(got)) {
			struct pollfd p = { .fd = console_fd(c), .events = POLLIN };
			if (poll(&p, 1, 5000) <= 0)
				_exit(12);
			n += console_read(c, got + n, sizeof(got) - n, &quit);
		}
		/* Also exercise console_write (stdout) and report on a pipe. */
		for (size_t i = 0; i < n; i++)
			console_write(c, got[i]);
		if (write(report_wr, got, n) != (ssize_t)n)
			_exit(13);
		console_close(c);
		_exit(quit ? 3 : 0);
	}
	case MODE_CLOSE: {
		struct console *again = console_open_stdio(err, sizeof(err));
		if (again || !strstr(err, "already"))
			_exit(14);
		if (read(go_rd, &go, 1) != 1)
			_exit(15);
		console_close(c);
		_exit(0);
	}
	case MODE_EXIT:
		if (read(go_rd, &go, 1) != 1)
			_exit(15);
		exit(5);
	case MODE_WAIT_SIGNAL:
		for (;;)
			pause();
	case MODE_SEGV:
		if (read(go_rd, &go, 1) != 1)
			_exit(15);
		raise(SIGSEGV);
		_exit(16);
	}
	_exit(17);
}

/* Starts child_main with stdin = in_fd, stdout = out_fd, stderr = a pipe. */
static void child_start(struct child *ch, enum child_mode mode, int in_fd, int out_fd)
{
	int sync[2], go[2], report[2], errp[2];
	ck_assert_int_eq(pipe(sync), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(report), 0);
	ck_assert_int_eq(pipe(errp), 0);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(18);
		/* Keep no copy of the test's pipe ends, so EOF reaches whoever waits for it. */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sync[1] && fd != go[0] && fd != report[1])
				close(fd);
		child_main(mode, sync[1], go[0], report[1]);
	}
	close(sync[1]);
	close(go[0]);
	close(report[1]);
	close(errp[1]);
	ch->pid = pid;
	ch->sync_rd = sync[0];
	ch->go_wr = go[1];
	ch->report_rd = report[0];
	ch->err_rd = errp[0];
}

static void child_wait_ready(struct child *ch)
{
	char r = 0;
	ck_assert_uint_eq(read_for(ch->sync_rd, &r, 1, 5000), 1);
	ck_assert_int_eq(r, 'R');
}

static int child_finish(struct child *ch)
{
	int status;
	ck_assert_int_eq(waitpid(ch->pid, &status, 0), ch->pid);
	close(ch->sync_rd);
	close(ch->go_wr);
	close(ch->report_rd);
	close(ch->err_rd);
	return status;
}

START_TEST(test_stdin_pipe_passes_bytes_as_is)
{
	int in[2], out[2];
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	struct child ch;
	child_start(&ch, MODE_READ_ALL, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	child_wait_ready(&ch);
	static const char input[] = "a\x01x\x01\x01" "b\x03";
	write_str(in[1], input, sizeof(input) - 1);
	close(in[1]);   /* EOF: no more input, not a quit */
	char report[64], echoed[64], err[256];
	size_t nrep = read_for(ch.report_rd, report, sizeof(report), 5000);
	size_t nout = read_for(out[0], echoed, sizeof(echoed), 5000);
	size_t nerr = read_for(ch.err_rd, err, sizeof(err), 5000);
	int status = child_finish(&ch);
	close(out[0]);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(nrep, sizeof(input) - 1);
	ck_assert_mem_eq(report, input, nrep);
	ck_assert_uint_eq(nout, sizeof(input) - 1);     /* console_write to a pipe */
	ck_assert_mem_eq(echoed, input, nout);
	ck_assert_uint_eq(nerr, 0);                     /* no banner without a terminal */
}
END_TEST

struct pty {
	int master, slave;
	struct termios orig;
};

static void pty_open(struct pty *p)
{
	ck_assert_int_eq(openpty(&p->master, &p->slave, NULL, NULL, NULL), 0);
	ck_assert_int_eq(tcgetattr(p->slave, &p->orig), 0);
	ck_assert(p->orig.c_lflag & ICANON);
	ck_assert(p->orig.c_lflag & ECHO);
	ck_assert(p->orig.c_lflag & ISIG);
}

static void pty_close(struct pty *p)
{
	close(p->master);
	close(p->slave);
}

static void assert_raw(const struct pty *p)
{
	struct termios t;
	ck_assert_int_eq(tcgetattr(p->slave, &t), 0);
	ck_assert_uint_eq(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
	ck_assert_uint_eq(t.c_iflag & (ICRNL | IXON), 0);
	ck_assert_uint_eq(t.c_oflag, p->orig.c_oflag);   /* output processing untouched */
}

static void assert_restored(const struct pty *p)
{
	struct termios t;
	ck_assert_int_eq(tcgetattr(p->slave, &t), 0);
	ck_assert_uint_eq(t.c_lflag, p->orig.c_lflag);
	ck_assert_uint_eq(t.c_iflag, p->orig.c_iflag);
	ck_assert_uint_eq(t.c_cflag, p->orig.c_cflag);
	ck_assert_uint_eq(t.c_oflag, p->orig.c_oflag);
	ck_assert_mem_eq(t.c_cc, p->orig.c_cc, sizeof(t.c_cc));
}

START_TEST(test_pty_escape_keys)
{
	struct pty p;
	pty_open(&p);
	struct child ch;
	child_start(&ch, MODE_READ_ALL, p.slave, p.slave);
	child_wait_ready(&ch);
	assert_raw(&p);
	/* Ctrl-A Ctrl-A, Ctrl-A h, an unknown Ctrl-A z, Ctrl-C passed through... */
	static const char part1[] = "ab\x01\x01" "c\x01h" "d\x01z" "q\x03\x01";
	write_str(p.master, part1, sizeof(part1) - 1);
	struct timespec pause_ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&pause_ts, NULL);
	/* ...the escape split across reads, then Ctrl-A x; what follows is dropped. */
	static const char part2[] = "\x01" "e\x01x" "ignored";
	write_str(p.master, part2, sizeof(part2) - 1);
	static const char expect[] = "ab\x01" "cdq\x03\x01" "e";
	char report[64], err[1024];
	size_t nrep = read_for(ch.report_rd, report, sizeof(report), 5000);
	size_t nerr = read_for(ch.err_rd, err, sizeof(err) - 1, 5000);
	err[nerr] = 0;
	int status = child_finish(&ch);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 3);   /* quit seen */
	ck_assert_uint_eq(nrep, sizeof(expect) - 1);
	ck_assert_mem_eq(report, expect, nrep);
	ck_assert_uint_ge(nerr, strlen(BANNER));
	ck_assert_mem_eq(err, BANNER, strlen(BANNER));
	ck_assert_ptr_nonnull(strstr(err, "Ctrl-A x"));
	ck_assert_ptr_nonnull(strstr(err + strlen(BANNER), "Ctrl-A Ctrl-A"));   /* the help */
	assert_restored(&p);
	pty_close(&p);
}
END_TEST

START_TEST(test_pty_restore_on_close)
{
	struct pty p;
	pty_open(&p);
	struct child ch;
	child_start(&ch, MODE_CLOSE, p.slave, p.slave);
	child_wait_ready(&ch);
	assert_raw(&p);
	write_str(ch.go_wr, "g", 1);
	int status = child_finish(&ch);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);   /* _exit: only console_close restored it */
	assert_restored(&p);
	pty_close(&p);
}
END_TEST

START_TEST(test_pty_restore_on_exit)
{
	struct pty p;
	pty_open(&p);
	struct child ch;
	child_start(&ch, MODE_EXIT, p.slave, p.slave);
	child_wait_ready(&ch);
	assert_raw(&p);
	write_str(ch.go_wr, "g", 1);
	int status = child_finish(&ch);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 5);
	assert_restored(&p);
	pty_close(&p);
}
END_TEST

static void check_restore_on_kill(int sig)
{
	struct pty p;
	pty_open(&p);
	struct child ch;
	child_start(&ch, MODE_WAIT_SIGNAL, p.slave, p.slave);
	child_wait_ready(&ch);
	assert_raw(&p);
	ck_assert_int_eq(kill(ch.pid, sig), 0);
	int status = child_finish(&ch);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), sig);   /* re-raised with the default action */
	assert_restored(&p);
	pty_close(&p);
}

START_TEST(test_pty_restore_on_signals)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT, SIGBUS };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		check_restore_on_kill(sigs[i]);
}
END_TEST

START_TEST(test_pty_restore_on_segv)
{
	struct pty p;
	pty_open(&p);
	struct child ch;
	child_start(&ch, MODE_SEGV, p.slave, p.slave);
	child_wait_ready(&ch);
	assert_raw(&p);
	write_str(ch.go_wr, "g", 1);
	int status = child_finish(&ch);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGSEGV);
	assert_restored(&p);
	pty_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_file_backend);
	tcase_add_test(tc, test_file_open_error);
	tcase_add_test(tc, test_stdin_pipe_passes_bytes_as_is);
	tcase_add_test(tc, test_pty_escape_keys);
	tcase_add_test(tc, test_pty_restore_on_close);
	tcase_add_test(tc, test_pty_restore_on_exit);
	tcase_add_test(tc, test_pty_restore_on_signals);
	tcase_add_test(tc, test_pty_restore_on_segv);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
