/*
 * test_direct_seccomp.c - guest system calls never reach the host.
 *
 * Each guest below tries write(pipe, "hello", 5) through one of the paths
 * of architecture.md section 4: INT 0x80, compat SYSCALL, compat SYSENTER,
 * and a far jump to the host's 64-bit CS followed by SYSCALL (heaven's
 * gate). With the filter installed the call must come back as an exit
 * (SIGSYS, or #UD where the CPU refuses the instruction) and the pipe must
 * stay empty, while the monitor's own system calls keep working.
 * A seccomp filter cannot be removed, so every test runs in its own forked
 * child: the runner is set to CK_FORK explicitly (whatever CK_FORK says).
 */
#include "direct_guest.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUF (DG_DATA + 0x100)

static int pipefd[2];

/* mov eax, nr; mov ebx, fd; mov ecx, BUF; mov edx, 5; <insn>; hlt */
static void make_write(uint8_t *code, uint32_t nr, uint8_t i0, uint8_t i1)
{
	code[0] = 0xb8;
	dg_put32(code + 1, nr);
	code[5] = 0xbb;
	dg_put32(code + 6, (uint32_t)pipefd[1]);
	code[10] = 0xb9;
	dg_put32(code + 11, BUF);
	code[15] = 0xba;
	dg_put32(code + 16, 5);
	code[20] = i0;
	code[21] = i1;
	code[22] = 0xf4;
}

static void setup_write(struct dg *g, uint8_t i0, uint8_t i1)
{
	uint8_t code[23];

	ck_assert_int_eq(pipe2(pipefd, O_NONBLOCK), 0);
	make_write(code, 4, i0, i1);
	dg_setup(g, code, sizeof(code));
	memcpy(g->mem + (BUF - DG_BASE), "hello", 5);
	g->cpu.gpr[EBP] = 0xbbbb;
}

static void assert_pipe_empty(void)
{
	char c;

	ck_assert_int_eq(read(pipefd[0], &c, 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

static void install(void)
{
	int err = direct_seccomp_install();

	ck_assert_msg(err == 0, "seccomp: %s", strerror(-err));
}

START_TEST(monitor_syscalls_pass)
{
	char c = 0;

	ck_assert_int_eq(pipe2(pipefd, O_NONBLOCK), 0);
	install();
	ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	ck_assert_int_gt(getpid(), 0);
}
END_TEST

START_TEST(int80_unfiltered_reaches_host)
{
	struct dg g;
	char buf[8] = { 0 };

	setup_write(&g, 0xcd, 0x80);
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSEGV);    /* the HLT after it */
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 22);
	ck_assert_uint_eq(g.cpu.gpr[EAX], 5);           /* the host wrote 5 bytes */
	ck_assert_int_eq(read(pipefd[0], buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "hello");
}
END_TEST

START_TEST(int80_trapped)
{
	struct dg g;

	setup_write(&g, 0xcd, 0x80);
	install();
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.kind, DIRECT_EXIT_SYSCALL);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSYS);
	ck_assert_int_eq(g.cpu.exit.sc_kind, DIRECT_SC_INT80);
	ck_assert_int_eq(g.cpu.exit.sc_nr, 4);
	ck_assert_uint_eq(g.cpu.exit.sc_arch, AUDIT_ARCH_I386);
	ck_assert(g.cpu.exit.eip_known);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 20);
	ck_assert_uint_eq(g.cpu.gpr[EAX], 4);
	ck_assert_uint_eq(g.cpu.gpr[EBX], (uint32_t)pipefd[1]);
	ck_assert_uint_eq(g.cpu.gpr[ECX], BUF);
	ck_assert_uint_eq(g.cpu.gpr[EDX], 5);
	ck_assert_uint_eq(g.cpu.gpr[EBP], 0xbbbb);
	assert_pipe_empty();
	/* the monitor completes the call and resumes the guest after it */
	g.cpu.gpr[EAX] = 5;
	g.cpu.eip += 2;
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSEGV);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 22);
	ck_assert_uint_eq(g.cpu.gpr[EAX], 5);
	assert_pipe_empty();
}
END_TEST

/* SYSCALL or SYSENTER from compat mode: trapped, or #UD on this CPU. */
static void fast_syscall(uint8_t i1, const char *name)
{
	struct dg g;

	setup_write(&g, 0x0f, i1);
	*dg_u32(&g, DG_STACK) = 0x5a5a5a5a;     /* where the host looks for EBP */
	install();
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	if (g.cpu.exit.signo == SIGILL) {
		printf("%s in compat mode: #UD (SIGILL trapno %u) at %#x\n", name,
		       g.cpu.exit.trapno, g.cpu.eip);
		ck_assert_int_eq(g.cpu.exit.kind, DIRECT_EXIT_FAULT);
		ck_assert_int_eq(g.cpu.exit.trapno, 6);
		ck_assert_uint_eq(g.cpu.eip, DG_BASE + 20);
	} else {
		printf("%s in compat mode: host syscall, trapped (SIGSYS), host RIP %#lx\n",
		       name, (unsigned long)g.cpu.exit.host_rip);
		ck_assert_int_eq(g.cpu.exit.signo, SIGSYS);
		ck_assert_int_eq(g.cpu.exit.kind, DIRECT_EXIT_SYSCALL);
		ck_assert_int_eq(g.cpu.exit.sc_kind, DIRECT_SC_FAST);
		ck_assert_int_eq(g.cpu.exit.sc_nr, 4);
		ck_assert_uint_eq(g.cpu.exit.sc_arch, AUDIT_ARCH_I386);
		ck_assert(!g.cpu.exit.eip_known);
		ck_assert_uint_eq(g.cpu.gpr[EBX], (uint32_t)pipefd[1]);
		ck_assert_uint_eq(g.cpu.gpr[EDX], 5);
		ck_assert_uint_eq(g.cpu.gpr[EBP], 0xbbbb);
	}
	assert_pipe_empty();
}

START_TEST(syscall_compat)
{
	fast_syscall(0x05, "SYSCALL");
}
END_TEST

START_TEST(sysenter_compat)
{
	fast_syscall(0x34, "SYSENTER");
}
END_TEST

START_TEST(heavens_gate_syscall)
{
	/* jmp far 0x33:DG_BASE+0x100; there, 64-bit: write(fd, BUF, 5) by SYSCALL */
	uint8_t code[7] = { 0xea };
	uint8_t code64[23];
	struct dg g;

	ck_assert_int_eq(pipe2(pipefd, O_NONBLOCK), 0);
	dg_put32(code + 1, DG_BASE + 0x100);
	uint16_t cs64 = 0x33;
	memcpy(code + 5, &cs64, 2);
	make_write(code64, 1, 0x0f, 0x05);
	code64[5] = 0xbf;       /* mov edi, fd */
	code64[10] = 0xbe;      /* mov esi, BUF */
	dg_setup(&g, code, sizeof(code));
	memcpy(g.mem + 0x100, code64, sizeof(code64));
	memcpy(g.mem + (BUF - DG_BASE), "hello", 5);
	install();
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSYS);
	ck_assert_int_eq(g.cpu.exit.sc_kind, DIRECT_SC_NATIVE64);
	ck_assert_int_eq(g.cpu.exit.sc_nr, 1);
	ck_assert_uint_eq(g.cpu.exit.sc_arch, AUDIT_ARCH_X86_64);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 0x100 + 20);
	assert_pipe_empty();
}
END_TEST

START_TEST(sigsys_cost)
{
	struct dg g;
	enum { N = 2000 };
	int bad = 0;	/* no ck_assert in the timed loop: Check logs every one */

	setup_write(&g, 0xcd, 0x80);
	install();
	uint64_t t0 = __builtin_ia32_rdtsc();
	for (int i = 0; i < N; i++) {
		g.cpu.eip = DG_BASE;
		bad |= direct_enter(&g.cpu) != 0 || g.cpu.exit.signo != SIGSYS;
	}
	uint64_t t1 = __builtin_ia32_rdtsc();
	ck_assert_int_eq(bad, 0);
	printf("direct: enter + INT 0x80 (seccomp SIGSYS) + exit %lu cycles\n",
	       (unsigned long)((t1 - t0) / N));
	assert_pipe_empty();
}
END_TEST

/* Can this host install the filter? Tried in a child, which keeps it. */
static int seccomp_ok(void)
{
	int status, err;
	pid_t pid = fork();

	if (pid == 0)
		_exit(-direct_seccomp_install());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 0;
	err = WEXITSTATUS(status);
	if (err)
		printf("skip: seccomp filter refused (%s)\n", strerror(err));
	return !err;
}

int main(void)
{
	if (!dg_host_ok() || !seccomp_ok())
		return 77;
	Suite *s = suite_create("direct_seccomp");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, monitor_syscalls_pass);
	tcase_add_test(tc, int80_unfiltered_reaches_host);
	tcase_add_test(tc, int80_trapped);
	tcase_add_test(tc, syscall_compat);
	tcase_add_test(tc, sysenter_compat);
	tcase_add_test(tc, heavens_gate_syscall);
	tcase_add_test(tc, sigsys_cost);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);   /* a filter cannot be removed */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
