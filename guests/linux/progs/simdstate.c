/*
 * simdstate.c - does the kernel keep this process's SIMD registers?
 *
 * simdstate [ROUNDS]: fills XMM0-7 (SSE2), and where the CPU and the kernel
 * enable them YMM0-7 (AVX) and ZMM0-7 with the opmask registers k1-k7
 * (AVX-512), with a pattern of its own, lets the kernel switch to another
 * process that fills them with a different pattern (fork, sched_yield and a
 * spin long enough for timer preemption), and checks every byte; then the
 * same around a signal handler that fills the registers with a third
 * pattern (the kernel saves the state in the signal frame and restores it at
 * sigreturn). Output: one "simdstate: <regs> ok" line per register set, or
 * "simdstate: FAIL ..." and exit status 1.
 *
 * Under softvt's direct execution this is the test of the virtual CPUID's
 * consistency (issue 5 item 7): user code sees the host's AVX natively, so
 * the guest kernel must be told about XSAVE and save that state at its
 * context switches. The features are detected with CPUID and XGETBV run by
 * the program itself, as glibc does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

enum level { L_SSE, L_AVX, L_AVX512 };
static const char *const level_name[] = { "xmm0-7 (SSE)", "ymm0-7 (AVX)",
					  "zmm0-7 and k1-k7 (AVX-512)" };
static const unsigned level_bytes[] = { 16, 32, 64 };

struct regs {
	uint8_t v[8][64] __attribute__((aligned(64)));
	uint16_t k[8];
};

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static enum level detect(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[3] & (1u << 26)))
		return -1;
	if (!(r[2] & (1u << 27)) || !(r[2] & (1u << 28)))
		return L_SSE;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) != 6)
		return L_SSE;
	cpuid(0, 0, r);
	if (r[0] < 7)
		return L_AVX;
	cpuid(7, 0, r);
	return (r[1] & (1u << 16)) && (lo & 0xe0) == 0xe0 ? L_AVX512 : L_AVX;
}

static void pattern(struct regs *p, uint32_t seed)
{
	for (unsigned r = 0; r < 8; r++)
		for (unsigned b = 0; b < 64; b++) {
			seed = seed * 1103515245u + 12345u;
			p->v[r][b] = (uint8_t)(seed >> 16);
		}
	for (unsigned r = 1; r < 8; r++)
		p->k[r] = (uint16_t)(seed ^ (r * 0x1111u));
}

#define LOAD8(insn) \
	insn " 0(%0), %%" REG "0\n\t" insn " 64(%0), %%" REG "1\n\t" \
	insn " 128(%0), %%" REG "2\n\t" insn " 192(%0), %%" REG "3\n\t" \
	insn " 256(%0), %%" REG "4\n\t" insn " 320(%0), %%" REG "5\n\t" \
	insn " 384(%0), %%" REG "6\n\t" insn " 448(%0), %%" REG "7\n\t"
#define STORE8(insn) \
	insn " %%" REG "0, 0(%0)\n\t" insn " %%" REG "1, 64(%0)\n\t" \
	insn " %%" REG "2, 128(%0)\n\t" insn " %%" REG "3, 192(%0)\n\t" \
	insn " %%" REG "4, 256(%0)\n\t" insn " %%" REG "5, 320(%0)\n\t" \
	insn " %%" REG "6, 384(%0)\n\t" insn " %%" REG "7, 448(%0)\n\t"

static void load(enum level l, const struct regs *p)
{
	switch (l) {
	case L_SSE:
#define REG "xmm"
		__asm__ volatile(LOAD8("movdqu") : : "r"(p->v) : "memory");
#undef REG
		break;
	case L_AVX:
#define REG "ymm"
		__asm__ volatile(LOAD8("vmovdqu") : : "r"(p->v) : "memory");
#undef REG
		break;
	case L_AVX512:
#define REG "zmm"
		__asm__ volatile(LOAD8("vmovdqu64") : : "r"(p->v) : "memory");
#undef REG
		__asm__ volatile("kmovw 2(%0), %%k1\n\tkmovw 4(%0), %%k2\n\tkmovw 6(%0), %%k3\n\t"
				 "kmovw 8(%0), %%k4\n\tkmovw 10(%0), %%k5\n\tkmovw 12(%0), %%k6\n\t"
				 "kmovw 14(%0), %%k7" : : "r"(p->k) : "memory");
		break;
	}
}

/* Only the registers of level l are written into p (no library call here:
   glibc's memset may itself use the vector registers). */
static void store(enum level l, struct regs *p)
{
	switch (l) {
	case L_SSE:
#define REG "xmm"
		__asm__ volatile(STORE8("movdqu") : : "r"(p->v) : "memory");
#undef REG
		break;
	case L_AVX:
#define REG "ymm"
		__asm__ volatile(STORE8("vmovdqu") : : "r"(p->v) : "memory");
#undef REG
		break;
	case L_AVX512:
#define REG "zmm"
		__asm__ volatile(STORE8("vmovdqu64") : : "r"(p->v) : "memory");
#undef REG
		__asm__ volatile("kmovw %%k1, 2(%0)\n\tkmovw %%k2, 4(%0)\n\tkmovw %%k3, 6(%0)\n\t"
				 "kmovw %%k4, 8(%0)\n\tkmovw %%k5, 10(%0)\n\tkmovw %%k6, 12(%0)\n\t"
				 "kmovw %%k7, 14(%0)" : : "r"(p->k) : "memory");
		break;
	}
}

/* 0 if the registers hold p (the first level_bytes[l] bytes of each), else prints why. */
static int compare(enum level l, const struct regs *p, const char *when)
{
	struct regs now;
	store(l, &now);
	for (unsigned r = 0; r < 8; r++)
		for (unsigned b = 0; b < level_bytes[l]; b++)
			if (now.v[r][b] != p->v[r][b]) {
				printf("simdstate: FAIL %s: register %u byte %u is %#x, not %#x (pid %d)\n",
				       when, r, b, now.v[r][b], p->v[r][b], (int)getpid());
				return -1;
			}
	if (l == L_AVX512)
		for (unsigned r = 1; r < 8; r++)
			if (now.k[r] != p->k[r]) {
				printf("simdstate: FAIL %s: k%u is %#x, not %#x\n", when, r, now.k[r],
				       p->k[r]);
				return -1;
			}
	return 0;
}

static volatile uint32_t spin_sink;

static int switch_rounds(enum level l, uint32_t seed, unsigned rounds)
{
	static struct regs want;
	for (unsigned i = 0; i < rounds; i++) {
		pattern(&want, seed + i);
		load(l, &want);
		sched_yield();
		for (uint32_t k = 0; k < 200000; k++)   /* ~0.2 ms: timer preemption too */
			spin_sink += k;
		sched_yield();
		if (compare(l, &want, "after a context switch") < 0)
			return -1;
	}
	return 0;
}

static enum level sig_level;
static volatile int handler_ok;

static void handler(int sig)
{
	static struct regs mine;
	pattern(&mine, 0xabcdef);
	load(sig_level, &mine);
	handler_ok = compare(sig_level, &mine, "inside the signal handler") == 0;
}

int simdstate_main(int argc, char **argv)
{
	unsigned rounds = arg_count(argc, argv, 100);
	int top = (int)detect();
	if (top < 0) {
		printf("simdstate: no SSE2 on this CPU\n");
		return 0;
	}
	for (int l = L_SSE; l <= top; l++) {
		fflush(stdout);
		pid_t child = fork();
		if (child < 0) {
			perror("simdstate: fork");
			return 1;
		}
		int bad = switch_rounds(l, child ? 0x1000u : 0x2000u, rounds) < 0;
		if (!child) {
			fflush(stdout);
			_exit(bad);
		}
		int st;
		if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
		static struct regs want;
		sig_level = l;
		signal(SIGUSR1, handler);
		pattern(&want, 0x3000u + l);
		load(l, &want);
		/* kill(getpid(), SIGUSR1) without glibc, whose raise() may touch the
		   vector registers itself */
		int pid, ret;
		__asm__ volatile("int $0x80" : "=a"(pid) : "a"(20));
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(37), "b"(pid), "c"(SIGUSR1) : "memory");
		if (!handler_ok || compare(l, &want, "after the signal handler returned") < 0)
			bad = 1;
		if (bad)
			return 1;
		printf("simdstate: %s ok (%u context-switch rounds in 2 processes, a signal)\n",
		       level_name[l], rounds);
	}
	return 0;
}
