/*
 * hostile - a guest program that tries to reach the HOST kernel from guest
 * user mode (issue 5, hostile-guest acceptance; docs/USER_PROGRAMS.md).
 *
 *   hostile [-t TAG] MODE [OP...]                  MODE: int80 sysenter syscall gate64
 *   hostile [-t TAG] libcjump ADDR LEN|self [OP...]
 *   hostile [-t TAG] all [ADDR LEN|self]           every mode and op (libcjump if a range)
 *   hostile probe                                  what this process sees (selectors, CPU, fd 9)
 *
 * OP is write, open, execve or exit (default: all four, in that order):
 *   write   write(9, "SOFTVT-HOSTILE-MARKER MODE TAG\n") - the harness opens fd 9 of
 *           softvt on a marker file; inside the guest fd 9 is not open (EBADF)
 *   open    open("/tmp/softvt-hostile-MODE-TAG", O_CREAT | O_WRONLY, 0644)
 *   execve  execve("/bin/sh", {"sh", "-c", "touch /tmp/softvt-hostile-exec-MODE-TAG"})
 *   exit    exit_group(42) - on the host, this would end all of softvt
 * with the i386 numbers for int80/sysenter/syscall (the same on host and guest)
 * and the x86-64 numbers after the gate to 64-bit mode (gate64, libcjump).
 *
 * Each attempt runs in a forked child, so that execve, exit and faults do not
 * end the sequence. The child prints one line, HOSTILE MODE OP: returned N
 * (the system call's result) or HOSTILE MODE OP: SIGxxx ... (a handler for
 * SIGSEGV, SIGILL, SIGBUS, SIGTRAP and SIGFPE prints what the kernel reported,
 * with the faulting instruction's label), and the parent one line,
 * HOSTILE MODE OP: status exit=N or status signal=N. The last line is
 * HOSTILE done. Run natively on the host, the attacks do reach the host
 * kernel (that is how the native test proves they are real); in a guest, only
 * the guest kernel may ever see them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "progs.h"

long hg_int80(long nr, long a1, long a2, long a3);
long hg_sysenter(long nr, long a1, long a2, long a3);
long hg_syscall(long nr, long a1, long a2, long a3);
long hg_gate64(long nr, long a1, long a2, long a3);
long hg_libcjump(long nr, long a1, long a2, long a3);
extern const char hg_int80_insn[], hg_sysenter_insn[], hg_after_sysenter[];
extern const char hg_syscall_insn[], hg_after_syscall[], hg_gate64_insn[];
extern const char hg_libcjump_insn[], hg_entry64[], hg_scan64[], hg_syscall_ret64[];
extern const char hg_code64_end[];
extern uint64_t hg_scan_base, hg_scan_len, hg_scan_found;

enum op { OP_WRITE, OP_OPEN, OP_EXECVE, OP_EXIT, OP_COUNT };
static const char *const op_names[OP_COUNT] = { "write", "open", "execve", "exit" };

struct mode {
	const char *name;
	long (*call)(long nr, long a1, long a2, long a3);
	int abi64;		/* x86-64 numbers and 64-bit pointer arrays */
};

static const struct mode modes[] = {
	{ "int80", hg_int80, 0 },
	{ "sysenter", hg_sysenter, 0 },
	{ "syscall", hg_syscall, 0 },
	{ "gate64", hg_gate64, 1 },
	{ "libcjump", hg_libcjump, 1 },
};

/* System call numbers: i386 (arch/x86/entry/syscalls/syscall_32.tbl) and x86-64. */
static const long nr_i386[OP_COUNT] = { 4, 5, 11, 252 };
static const long nr_x86_64[OP_COUNT] = { 1, 2, 59, 231 };

/* What the handler of the current child reports (set before each attempt). */
static const char *cur_mode, *cur_op;

static const char *label_of(unsigned long eip)
{
	static const struct {
		const char *at;
		const char *name;
	} labels[] = {
		{ hg_int80_insn, "int 0x80" },
		{ hg_sysenter_insn, "sysenter" },
		{ hg_after_sysenter, "after sysenter (returned past it)" },
		{ hg_syscall_insn, "syscall" },
		{ hg_after_syscall, "after syscall (returned past it)" },
		{ hg_gate64_insn, "lcall 0x33 (gate64)" },
		{ hg_libcjump_insn, "lcall 0x33 (libcjump)" },
	};
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (eip == (unsigned long)labels[i].at)
			return labels[i].name;
	if (eip >= (unsigned long)hg_entry64 && eip < (unsigned long)hg_code64_end)
		return "in the 64-bit code";
	return "elsewhere";
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	unsigned long eip = uc->uc_mcontext.gregs[REG_EIP];
	char line[256];
	int len;

	len = snprintf(line, sizeof(line),
		       "HOSTILE %s %s: SIG%s si_code=%d si_addr=%p eip=%#lx (%s) trapno=%d err=%#x\n",
		       cur_mode, cur_op, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", si->si_code,
		       si->si_addr, eip, label_of(eip), (int)uc->uc_mcontext.gregs[REG_TRAPNO],
		       (unsigned)uc->uc_mcontext.gregs[REG_ERR]);
	write(STDOUT_FILENO, line, len);
	_exit(128 + sig);
}

static void catch_faults(void)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGBUS, SIGTRAP, SIGFPE };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Child: make the one system call of op through mode; never returns. */
static void attempt_child(const struct mode *m, enum op op, const char *tag)
{
	static char marker[128], path[128], cmd[160];
	static char *argv32[4], *envp32[1];
	static uint64_t argv64[4], envp64[1];
	long nr = m->abi64 ? nr_x86_64[op] : nr_i386[op];
	long a1 = 0, a2 = 0, a3 = 0, ret;

	cur_mode = m->name;
	cur_op = op_names[op];
	catch_faults();
	switch (op) {
	case OP_WRITE:
		snprintf(marker, sizeof(marker), "SOFTVT-HOSTILE-MARKER %s %s\n", m->name, tag);
		a1 = 9;
		a2 = (long)marker;
		a3 = (long)strlen(marker);
		break;
	case OP_OPEN:
		snprintf(path, sizeof(path), "/tmp/softvt-hostile-%s-%s", m->name, tag);
		a1 = (long)path;
		a2 = O_CREAT | O_WRONLY;
		a3 = 0644;
		break;
	case OP_EXECVE:
		snprintf(cmd, sizeof(cmd), "touch /tmp/softvt-hostile-exec-%s-%s", m->name, tag);
		argv32[0] = "/bin/sh";
		argv32[1] = "-c";
		argv32[2] = cmd;
		argv64[0] = (uintptr_t)argv32[0];
		argv64[1] = (uintptr_t)argv32[1];
		argv64[2] = (uintptr_t)argv32[2];
		a1 = (long)argv32[0];
		a2 = m->abi64 ? (long)argv64 : (long)argv32;
		a3 = m->abi64 ? (long)envp64 : (long)envp32;
		break;
	case OP_EXIT:
		a1 = 42;
		break;
	default:
		break;
	}
	ret = m->call(nr, a1, a2, a3);
	if (m->call == hg_libcjump && !hg_scan_found)
		printf("HOSTILE %s %s: no 'syscall; ret' (0f 05 c3) in the range\n", m->name, op_names[op]);
	else
		printf("HOSTILE %s %s: returned %ld%s%s\n", m->name, op_names[op], ret,
		       ret < 0 && ret > -4096 ? " " : "", ret < 0 && ret > -4096 ? strerrorname_np(-ret) : "");
	fflush(stdout);
	_exit(0);
}

static void attempt(const struct mode *m, enum op op, const char *tag)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("hostile: fork");
		exit(1);
	}
	if (pid == 0)
		attempt_child(m, op, tag);
	if (waitpid(pid, &status, 0) != pid) {
		perror("hostile: waitpid");
		exit(1);
	}
	if (WIFEXITED(status))
		printf("HOSTILE %s %s: status exit=%d\n", m->name, op_names[op], WEXITSTATUS(status));
	else
		printf("HOSTILE %s %s: status signal=%d\n", m->name, op_names[op], WTERMSIG(status));
	fflush(stdout);
}

static const struct mode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

/* Parse ADDR LEN (hex or decimal, may be above 4 GiB) or "self" into hg_scan_*. */
static int parse_range(int argc, char **argv, int *i)
{
	char *end;

	if (*i < argc && !strcmp(argv[*i], "self")) {
		hg_scan_base = (uintptr_t)hg_syscall_ret64;
		hg_scan_len = 3;
		(*i)++;
		return 0;
	}
	if (*i + 1 >= argc)
		return -1;
	hg_scan_base = strtoull(argv[*i], &end, 0);
	if (*end)
		return -1;
	hg_scan_len = strtoull(argv[*i + 1], &end, 0);
	if (*end || hg_scan_len < 3)
		return -1;
	*i += 2;
	return 0;
}

/* Run the ops named in argv[i..] (all when none) through m. */
static int run_mode(const struct mode *m, int argc, char **argv, int i, const char *tag)
{
	int op, any = 0;

	for (; i < argc; i++, any = 1) {
		for (op = 0; op < OP_COUNT && strcmp(argv[i], op_names[op]); op++)
			;
		if (op == OP_COUNT) {
			fprintf(stderr, "hostile: unknown op '%s'\n", argv[i]);
			return 2;
		}
		attempt(m, op, tag);
	}
	for (op = 0; !any && op < OP_COUNT; op++)
		attempt(m, op, tag);
	return 0;
}

static void probe(void)
{
	unsigned short cs, ds, ss, es, fs, gs;
	unsigned int vendor[3], eax = 0;

	__asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2; mov %%es, %3; mov %%fs, %4; mov %%gs, %5"
			 : "=r"(cs), "=r"(ds), "=r"(ss), "=r"(es), "=r"(fs), "=r"(gs));
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(vendor[0]), "=d"(vendor[1]), "=c"(vendor[2]));
	printf("HOSTILE probe: cs=%#x ds=%#x ss=%#x es=%#x fs=%#x gs=%#x\n", cs, ds, ss, es, fs, gs);
	printf("HOSTILE probe: cpu vendor %.12s, AT_SYSINFO %#lx\n", (char *)vendor,
	       getauxval(AT_SYSINFO));
	printf("HOSTILE probe: fd 9 is %s\n", fcntl(9, F_GETFD) < 0 ? "closed" : "open");
}

static int usage(void)
{
	fprintf(stderr, "usage: hostile [-t TAG] int80|sysenter|syscall|gate64 [OP...]\n"
			"       hostile [-t TAG] libcjump ADDR LEN|self [OP...]\n"
			"       hostile [-t TAG] all [ADDR LEN|self]\n"
			"       hostile probe\n"
			"OP: write open execve exit (default: all)\n");
	return 2;
}

int hostile_main(int argc, char **argv)
{
	const char *tag = "guest";
	const struct mode *m;
	int i = 1, rc = 0;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i + 1 < argc && !strcmp(argv[i], "-t")) {
		tag = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage();
	if (!strcmp(argv[i], "probe")) {
		probe();
		return 0;
	}
	if (!strcmp(argv[i], "all")) {
		int with_range = ++i < argc;

		if (with_range && parse_range(argc, argv, &i))
			return usage();
		for (k = 0; k < sizeof(modes) / sizeof(modes[0]) && !rc; k++)
			if (modes[k].call != hg_libcjump || with_range)
				rc = run_mode(&modes[k], argc, argv, argc, tag);
	} else {
		m = find_mode(argv[i++]);
		if (!m)
			return usage();
		if (m->call == hg_libcjump && parse_range(argc, argv, &i))
			return usage();
		rc = run_mode(m, argc, argv, i, tag);
	}
	printf("HOSTILE done\n");
	return rc;
}
