/*
 * ufaults - exceptions raised by guest user code, as the guest kernel reports
 * them to the process: what direct execution must reproduce exactly, since
 * there the host CPU raises them first and the monitor has to deliver the
 * guest's exception (vector, error code, EIP, CR2) through the guest IDT.
 * Each check runs one instruction (ufaults_insn.S) under a handler for
 * SIGSEGV, SIGILL, SIGFPE, SIGTRAP and SIGBUS that records the signal,
 * si_code, si_addr, trap number, error code and EIP, and jumps back; one line
 * per check, independent of addresses (EIP and si_addr are named after the
 * instruction's label or printed as offsets), so every engine and QEMU TCG
 * must print the same text (tests/linux/user_faults.sh compares it with
 * guests/linux/progs/ufaults.expected). The last check keeps eight x87
 * values on the FPU stack across system calls and context switches to a
 * process that uses the FPU too.
 *
 *   ufaults
 */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "progs.h"

#define DECLARE_FAULT(name) void uf_##name(void); extern const char uf_##name##_insn[];
#define FAULTS(X) X(de) X(int3) X(ud2) X(hlt) X(cli) X(out) X(int21) X(into) X(movcr0) X(null)
FAULTS(DECLARE_FAULT)
#undef DECLARE_FAULT
void uf_store(void *p);
extern const char uf_store_insn[];

static struct {
	int sig, code, trapno;
	unsigned long err, addr, eip;
} seen;
static sigjmp_buf back;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	seen.sig = sig;
	seen.code = si->si_code;
	seen.addr = (unsigned long)si->si_addr;
	seen.eip = uc->uc_mcontext.gregs[REG_EIP];
	seen.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	seen.err = uc->uc_mcontext.gregs[REG_ERR];
	siglongjmp(back, 1);
}

/* Where ADDR is, relative to the instruction at INSN. */
static const char *where(unsigned long addr, const char *insn)
{
	static char buf[4][32];
	static int n;
	char *b = buf[n++ % 4];
	long d = (long)(addr - (unsigned long)insn);

	if (d == 0)
		return "insn";
	if (d > -16 && d < 16)
		snprintf(b, sizeof(buf[0]), "insn%+ld", d);
	else
		snprintf(b, sizeof(buf[0]), "%#lx", addr);
	return b;
}

/* Run fn(arg) expecting a fault at insn; si_addr equal to arg prints as "data". */
static void run(const char *name, void (*fn)(void *), void *arg, const char *insn)
{
	memset(&seen, 0, sizeof(seen));
	if (!sigsetjmp(back, 1)) {
		fn(arg);
		printf("UFAULT %s: no signal\n", name);
		return;
	}
	printf("UFAULT %s: SIG%s si_code=%d si_addr=%s eip=%s trapno=%d err=%#lx\n", name,
	       sigabbrev_np(seen.sig), seen.code,
	       arg && seen.addr == (unsigned long)arg ? "data" : where(seen.addr, insn),
	       where(seen.eip, insn), seen.trapno, seen.err);
}

/* x87: eight values survive getpid calls and switches to a process using the FPU. */
static void fpu_check(void)
{
	static const double in[8] = { 1.5, -2.25, 3.125, 1e10, -1e-10, 6.0, 7.75, 0.5 };
	double out[8];
	int status, i, bad = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {	/* the other FPU user: loads and spins on other values */
		volatile double x = 3.0;
		for (i = 0; i < 2000; i++) {
			x = x * 1.0000001 + 0.5;
			sched_yield();
		}
		_exit(0);
	}
	__asm__ volatile("fldl 56(%0); fldl 48(%0); fldl 40(%0); fldl 32(%0);"
			 "fldl 24(%0); fldl 16(%0); fldl 8(%0); fldl (%0)" : : "r"(in) : "memory");
	for (i = 0; i < 200; i++) {
		sched_yield();
		syscall(20);	/* getpid */
	}
	__asm__ volatile("fstpl (%0); fstpl 8(%0); fstpl 16(%0); fstpl 24(%0);"
			 "fstpl 32(%0); fstpl 40(%0); fstpl 48(%0); fstpl 56(%0)" : : "r"(out) : "memory");
	waitpid(pid, &status, 0);
	for (i = 0; i < 8; i++)
		bad += memcmp(&in[i], &out[i], sizeof(double)) != 0;
	printf("UFAULT fpu: %d of 8 x87 registers changed across 200 yields and system calls\n", bad);
}

int ufaults_main(int argc, char **argv)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS };
	struct sigaction sa;
	unsigned char *ro;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);

#define RUN_FAULT(name) run(#name, (void (*)(void *))uf_##name, NULL, uf_##name##_insn);
	FAULTS(RUN_FAULT)
#undef RUN_FAULT
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro != MAP_FAILED) {
		run("rowrite", uf_store, ro, uf_store_insn);
	}
	fpu_check();
	printf("UFAULT done\n");
	return 0;
}
