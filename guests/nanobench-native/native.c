/*
 * native.c - the nanobenchmarks (guests/nanobench) that are meaningful for
 * an ordinary 32-bit Linux process on the host, for the "native" column of
 * `softvt bench`: a system call round trip (INT 0x80, getpid), call/ret, a
 * page fault (the first touch of a fresh anonymous page: the host kernel's
 * minor fault), divide by zero (SIGFPE delivered to a handler that steps
 * over the DIV). The privileged ones (IN, CLI/STI, PTE writes, CR3) have no
 * native counterpart in user mode. Same output lines as the guest, timed
 * with CLOCK_MONOTONIC.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#define N 4000

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void report(const char *name, double ns, unsigned n)
{
	printf("nanobench %s ns_per_op %.3f iterations %u\n", name, ns / n, n);
}

static __attribute__((noinline)) void empty(void)
{
	__asm__ volatile("");
}

static void on_fpe(int sig, siginfo_t *si, void *ucv)
{
	(void)sig, (void)si;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_EIP] += 2;   /* step over div ecx (f7 f1) */
}

int main(void)
{
	double t0 = now_ns();
	for (unsigned i = 0; i < N; i++) {
		int r = 20;   /* getpid */
		__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
	}
	report("syscall", now_ns() - t0, N);

	t0 = now_ns();
	for (unsigned i = 0; i < N * 100; i++)
		empty();
	report("call/ret", now_ns() - t0, N * 100);

	uint8_t *m = mmap(NULL, (size_t)N * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	t0 = now_ns();
	for (unsigned i = 0; i < N; i++)
		m[(size_t)i * 4096] = 1;
	report("pgfault", now_ns() - t0, N);
	munmap(m, (size_t)N * 4096);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);
	t0 = now_ns();
	for (unsigned i = 0; i < N; i++) {
		uint32_t lo = 1, hi = 0, zero = 0;
		__asm__ volatile(".byte 0xf7, 0xf1" : "+a"(lo), "+d"(hi) : "c"(zero));
	}
	report("divzero", now_ns() - t0, N);
	return 0;
}
