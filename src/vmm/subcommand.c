/*
 * subcommand.c - running softvt, QEMU and native programs on the project's
 * small guests as child processes, for `softvt demo` and `softvt bench`
 * (see subcommand.h).
 */
#define _GNU_SOURCE
#include "vmm/subcommand.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/engine.h"

/* The last line of what fd (a file, rewound here) holds, at most n - 1 bytes. */
static void last_line(int fd, char *msg, size_t n)
{
	msg[0] = '\0';
	lseek(fd, 0, SEEK_SET);
	ssize_t got = read(fd, msg, n - 1);
	if (got <= 0)
		return;
	msg[got] = '\0';
	char *nl = strrchr(msg, '\n');
	if (nl && nl[1] == '\0')
		*nl = '\0';
	nl = strrchr(msg, '\n');
	if (nl)
		memmove(msg, nl + 1, strlen(nl + 1) + 1);
}

int subcommand_run(char *const argv[], const char *out_path, char *why, size_t whylen)
{
	char errpath[] = "/tmp/softvt-child-err.XXXXXX";
	int errfd = mkstemp(errpath);
	if (errfd < 0) {
		snprintf(why, whylen, "mkstemp: %s", strerror(errno));
		return -1;
	}
	unlink(errpath);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(errfd);
		return -1;
	}
	if (pid == 0) {
		int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)
				   : open("/dev/null", O_WRONLY);
		int in = open("/dev/null", O_RDONLY);
		if (out < 0 || in < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(errfd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	char msg[200];
	last_line(errfd, msg, sizeof(msg));
	close(errfd);
	if (!WIFEXITED(st)) {
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(st));
		return -1;
	}
	int code = WEXITSTATUS(st);
	if (code == 127)
		snprintf(why, whylen, "%s could not be started", argv[0]);
	else if (code)
		snprintf(why, whylen, "exit status %d%s%s", code, *msg ? ": " : "", msg);
	return code;
}

int subcommand_find_guest(const char *cmd, const char *guest, char *self, size_t selflen,
			  char *dir, size_t dirlen)
{
	ssize_t n = readlink("/proc/self/exe", self, selflen - 1);
	if (n <= 0) {
		fprintf(stderr, "softvt %s: cannot find the softvt binary: %s\n", cmd, strerror(errno));
		return -1;
	}
	self[n] = '\0';
	if (!*dir) {
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s", self);
		snprintf(dir, dirlen, "%s/guests", dirname(tmp));
	}
	char elf[PATH_MAX + 64];
	snprintf(elf, sizeof(elf), "%s/%s.elf", dir, guest);
	struct stat sb;
	if (stat(elf, &sb) < 0) {
		fprintf(stderr, "softvt %s: no guest %s (%s): build softvt with its test guests "
				"(make build, needs gcc-multilib) or give --guests DIR\n", cmd, elf,
			strerror(errno));
		return -1;
	}
	return 0;
}

void subcommand_softvt_argv(char *argv[16], const char *self, const char *accel,
			    const char *user, const char *elf, const char *out, char *dc,
			    size_t dclen, const char *seconds)
{
	unsigned a = 0;
	snprintf(dc, dclen, "file:%s", out);
	argv[a++] = (char *)self;
	argv[a++] = "run";
	argv[a++] = "--accel";
	argv[a++] = (char *)accel;
	if (user) {
		argv[a++] = "--user";
		argv[a++] = (char *)user;
	}
	argv[a++] = "--kernel";
	argv[a++] = (char *)elf;
	argv[a++] = "--debugcon";
	argv[a++] = dc;
	argv[a++] = "--serial";
	argv[a++] = "none";
	argv[a++] = "--timeout";
	argv[a++] = (char *)seconds;
	argv[a] = NULL;
}

int subcommand_engine_ready(const char *accel, char *why, size_t whylen)
{
	const struct engine_ops *e = engine_find(accel);
	char reason[400];
	if (!e) {
		snprintf(why, whylen, "engine %s is not built", accel);
		return -1;
	}
	if (e->probe && e->probe(reason, sizeof(reason)) < 0) {
		snprintf(why, whylen, "cannot run here: %s", reason);
		return -1;
	}
	return 0;
}
