/*
 * test_direct_enter.c - src/direct/ without seccomp: LDT mirrors (cache,
 * truncation), entry into 32-bit guest code and the return on a trap
 * (HLT, page fault, segment-limit #GP, FS-relative loads), and the
 * round-trip cost (printed; docs/DIRECT.md quotes it).
 */
#include "direct_guest.h"

#include <signal.h>

#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_DF 0x400u
#define F_OF 0x800u

START_TEST(arith_and_hlt)
{
	/* add eax, ebx; std; hlt */
	static const uint8_t code[] = { 0x01, 0xd8, 0xfd, 0xf4 };
	struct dg g;

	dg_setup(&g, code, sizeof(code));
	uint32_t in[8] = { 0xffffffffu, 0x11111111, 0x22222222, 1, DG_STACK, 0x55555555,
			   0x66666666, 0x77777777 };
	memcpy(g.cpu.gpr, in, sizeof(in));
	g.cpu.eflags = F_OF | F_SF;
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.kind, DIRECT_EXIT_FAULT);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSEGV);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 3);
	ck_assert_uint_eq(g.cpu.gpr[EAX], 0);
	for (int i = 1; i < 8; i++)
		ck_assert_uint_eq(g.cpu.gpr[i], in[i]);
	uint32_t arith = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF | F_DF;
	ck_assert_uint_eq(g.cpu.eflags & arith, F_CF | F_PF | F_AF | F_ZF | F_DF);
	/* the monitor is intact: DF clear, libc (TLS) works */
	char buf[32];
	snprintf(buf, sizeof(buf), "%u", 42u);
	ck_assert_str_eq(buf, "42");
}
END_TEST

START_TEST(nested_task_flag)
{
	/* pushfd; pop eax; hlt; hlt: the guest's NT goes in (fuzz_direct found it
	   dropped on entry and then cleared in the guest's EFLAGS on exit), and
	   does not stay in the monitor's RFLAGS: the kernel's sigreturn keeps
	   the NT of the handler, inherited from the guest, and an IRETQ with
	   NT set is #GP (fuzz_direct: the next direct_enter() crashed) */
	static const uint8_t code[] = { 0x9c, 0x58, 0xf4, 0xf4 };
	struct dg g;

	dg_setup(&g, code, sizeof(code));
	g.cpu.eflags = 0x4000u | F_CF;
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_uint_eq(__builtin_ia32_readeflags_u64() & 0x4000u, 0);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.gpr[EAX] & (0x4000u | F_CF), 0x4000u | F_CF);
	ck_assert_uint_eq(g.cpu.eflags & 0x4000u, 0x4000u);
	g.cpu.eip += 1;
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 3);
}
END_TEST

static int hook_ac = -1;

static bool ac_hook(void *opaque, uint64_t addr, bool write)
{
	(void)opaque, (void)addr, (void)write;
	hook_ac = (int)((__builtin_ia32_readeflags_u64() >> 18) & 1);
	return false;
}

START_TEST(alignment_check_flag)
{
	/* mov [DG_NONE], eax with the guest's AC set: the handler (and the pf
	   hook inside it) must not run with AC, or every misaligned access of
	   compiled monitor code is #AC (the host has CR0.AM set): fuzz_direct
	   found the monitor dying of SIGBUS in its own handler */
	uint8_t code[] = { 0xa3, 0, 0, 0, 0, 0xf4 };
	struct dg g;

	dg_put32(code + 1, DG_NONE);
	dg_setup(&g, code, sizeof(code));
	g.cpu.eflags = 0x40000u;
	direct_set_pf_hook(ac_hook, NULL);
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	direct_set_pf_hook(NULL, NULL);
	ck_assert_int_eq(g.cpu.exit.trapno, 14);
	ck_assert_int_eq(hook_ac, 0);
	ck_assert_uint_eq(g.cpu.eflags & 0x40000u, 0x40000u);   /* the guest's AC, still */
}
END_TEST

START_TEST(mxcsr_in)
{
	/* stmxcsr [DATA]; hlt, twice: the guest's MXCSR (from cpu->fpu) is the one
	   the code sees, also where the host has XSAVE and the guest's extended
	   state is restored too (an XRSTOR of AVX state loads MXCSR as well:
	   fuzz_direct found the guest running with the zeroed area's MXCSR 0) */
	uint8_t code[] = { 0x0f, 0xae, 0x1d, 0, 0, 0, 0, 0xf4 };
	struct dg g;

	dg_put32(code + 3, DG_DATA);
	dg_setup(&g, code, sizeof(code));
	for (uint32_t mxcsr = 0x3f80; mxcsr <= 0x5f80; mxcsr += 0x2000) {
		g.cpu.eip = DG_BASE;
		g.cpu.fpu.mxcsr = mxcsr;   /* round down, then up: changed between entries */
		ck_assert_int_eq(direct_enter(&g.cpu), 0);
		ck_assert_int_eq(g.cpu.exit.trapno, 13);
		ck_assert_uint_eq(*dg_u32(&g, DG_DATA), mxcsr);
		ck_assert_uint_eq(g.cpu.fpu.mxcsr, mxcsr);
	}
}
END_TEST

START_TEST(stack_and_resume)
{
	/* push 0x12345678; pop ecx; hlt; inc ecx; hlt */
	static const uint8_t code[] = { 0x68, 0x78, 0x56, 0x34, 0x12, 0x59, 0xf4, 0x41, 0xf4 };
	struct dg g;

	dg_setup(&g, code, sizeof(code));
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 6);
	ck_assert_uint_eq(g.cpu.gpr[ECX], 0x12345678u);
	ck_assert_uint_eq(*dg_u32(&g, DG_STACK - 4), 0x12345678u);
	ck_assert_uint_eq(g.cpu.gpr[ESP], DG_STACK);
	g.cpu.eip += 1;                 /* the monitor "emulates" the HLT */
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 8);
	ck_assert_uint_eq(g.cpu.gpr[ECX], 0x12345679u);
}
END_TEST

START_TEST(page_fault)
{
	/* mov eax, 7; mov [DG_NONE + 0x10], eax */
	uint8_t code[] = { 0xb8, 7, 0, 0, 0, 0xa3, 0, 0, 0, 0, 0xf4 };
	struct dg g;

	dg_put32(code + 6, DG_NONE + 0x10);
	dg_setup(&g, code, sizeof(code));
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSEGV);
	ck_assert_int_eq(g.cpu.exit.trapno, 14);
	ck_assert_uint_eq(g.cpu.exit.addr, DG_NONE + 0x10);
	ck_assert_uint_eq(g.cpu.exit.err & 6, 6);     /* write, user */
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 5);
	ck_assert_uint_eq(g.cpu.gpr[EAX], 7);
}
END_TEST

START_TEST(truncated_segment)
{
	/* mov eax, [DG_DATA - 4]; mov eax, [DG_DATA] (above the limit) */
	uint8_t code[] = { 0xa1, 0, 0, 0, 0, 0xa1, 0, 0, 0, 0, 0xf4 };
	struct seg_cache ds = dg_seg(0x7b, 0, 0xffffffffu, DG_DATA_ATTR);
	struct dg g;

	dg_put32(code + 1, DG_DATA - 4);
	dg_put32(code + 6, DG_DATA);
	dg_setup(&g, code, sizeof(code));
	*dg_u32(&g, DG_DATA - 4) = 0xcafe;
	*dg_u32(&g, DG_DATA) = 0xbeef;
	ck_assert_int_eq(direct_ldt_mirror(&g.ldt, S_DS, &ds, DG_DATA, &g.cpu.sel[S_DS]), 0);
	ck_assert_uint_eq(g.ldt.slot[S_DS].limit, DG_DATA - 1);
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSEGV);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 5);
	ck_assert_uint_eq(g.cpu.gpr[EAX], 0xcafe);
}
END_TEST

START_TEST(cs_base_and_limit)
{
	/* CS based at DG_BASE with a truncated limit: EIP is the offset, and
	 * execution running past the limit faults (#GP) at EIP = limit + 1 */
	static const uint8_t code[] = { 0xf4 };
	struct seg_cache cs = dg_seg(0x73, DG_BASE, 0xffffffffu, DG_CODE_ATTR);
	struct dg g;

	dg_setup(&g, code, sizeof(code));
	ck_assert_int_eq(direct_ldt_mirror(&g.ldt, S_CS, &cs, DG_BASE + 0x800, &g.cpu.sel[S_CS]), 0);
	g.cpu.eip = 0;
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, 0);
	memset(g.mem + 0x7f0, 0x90, 0x20);          /* NOPs across the limit 0x7ff, HLT at 0x810 */
	g.cpu.eip = 0x7f0;
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSEGV);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, 0x800);
}
END_TEST

START_TEST(fs_segment)
{
	/* mov eax, fs:[4]; mov ebx, gs:[8]; hlt */
	static const uint8_t code[] = { 0x64, 0xa1, 4, 0, 0, 0, 0x65, 0x8b, 0x1d, 8, 0, 0, 0, 0xf4 };
	struct seg_cache fs = dg_seg(0x33, DG_DATA, 0xfff, DG_DATA_ATTR & ~SEG_G);
	struct dg g;
	int err;

	dg_setup(&g, code, sizeof(code));
	*dg_u32(&g, DG_DATA + 4) = 0x4444;
	*dg_u32(&g, DG_DATA + 8) = 0x8888;
	ck_assert_int_eq(direct_ldt_mirror(&g.ldt, S_FS, &fs, 0, &g.cpu.sel[S_FS]), 0);
	ck_assert_int_eq(direct_ldt_mirror(&g.ldt, S_GS, &fs, 0, &g.cpu.sel[S_GS]), 0);
	err = direct_enter(&g.cpu);
	if (err == -EINVAL) {
		printf("fs_segment: no FSGSBASE on this host, FS/GS refused\n");
		return;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 13);
	ck_assert_uint_eq(g.cpu.gpr[EAX], 0x4444);
	ck_assert_uint_eq(g.cpu.gpr[EBX], 0x8888);
	/* TLS is the host's again (errno lives there) */
	errno = 1234;
	ck_assert_int_eq(errno, 1234);
	char buf[8];
	snprintf(buf, sizeof(buf), "%d", 7);
	ck_assert_str_eq(buf, "7");
}
END_TEST

/* Runs @code and checks the fault it raises (signal, vector, EIP). */
static void expect_fault(const uint8_t *code, size_t len, int signo, uint32_t trapno,
			 uint32_t eip_off)
{
	struct dg g;

	dg_setup(&g, code, len);
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_int_eq(g.cpu.exit.kind, DIRECT_EXIT_FAULT);
	ck_assert_int_eq(g.cpu.exit.signo, signo);
	ck_assert_uint_eq(g.cpu.exit.trapno, trapno);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + eip_off);
}

START_TEST(other_faults)
{
	static const uint8_t div0[] = { 0x31, 0xc9, 0xf7, 0xf1 };  /* xor ecx,ecx; div ecx */
	static const uint8_t ud2[] = { 0x90, 0x0f, 0x0b };
	static const uint8_t int3[] = { 0xcc };
	static const uint8_t int21[] = { 0xcd, 0x21 };
	static const uint8_t cli[] = { 0xfa };
	static const uint8_t out[] = { 0xe6, 0x80 };               /* out 0x80, al */

	expect_fault(div0, sizeof(div0), SIGFPE, 0, 2);
	expect_fault(ud2, sizeof(ud2), SIGILL, 6, 1);
	expect_fault(int3, sizeof(int3), SIGTRAP, 3, 1);           /* a trap: EIP after */
	expect_fault(int21, sizeof(int21), SIGSEGV, 13, 0);
	expect_fault(cli, sizeof(cli), SIGSEGV, 13, 0);
	expect_fault(out, sizeof(out), SIGSEGV, 13, 0);
}
END_TEST

/* The host enabled AVX state in XCR0 (OSXSAVE, AVX, XCR0 bits 1-2). */
static bool host_avx(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return false;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

START_TEST(avx_state_kept)
{
	/* vmovdqu ymm3, [DATA]; hlt; vmovdqu [DATA+0x40], ymm3; hlt */
	uint8_t code[] = { 0xc5, 0xfe, 0x6f, 0x1d, 0, 0, 0, 0, 0xf4,
			   0xc5, 0xfe, 0x7f, 0x1d, 0, 0, 0, 0, 0xf4 };
	struct dg g;

	if (!host_avx()) {
		printf("avx_state_kept: skipped, the host has no AVX state enabled\n");
		return;
	}
	dg_put32(code + 4, DG_DATA);
	dg_put32(code + 13, DG_DATA + 0x40);
	dg_setup(&g, code, sizeof(code));
	for (int i = 0; i < 32; i++)
		g.mem[DG_DATA - DG_BASE + i] = (uint8_t)(0xa0 + i);
	memset(g.mem + (DG_DATA + 0x40 - DG_BASE), 0, 32);
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 8);
	/* the monitor uses YMM3 in between (as glibc's AVX2 routines do) */
	__asm__ volatile("vpxor %%ymm3, %%ymm3, %%ymm3" : : : "xmm3");
	g.cpu.eip++;
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 17);
	/* all 32 bytes, upper half included, are the guest's */
	ck_assert_mem_eq(g.mem + (DG_DATA + 0x40 - DG_BASE), g.mem + (DG_DATA - DG_BASE), 32);
}
END_TEST

START_TEST(fpu_state)
{
	/* movups [DATA], xmm1; ldmxcsr [DATA+0x20]; movups xmm2, [DATA+0x40]; fld1; hlt */
	uint8_t code[] = { 0x0f, 0x11, 0x0d, 0, 0, 0, 0, 0x0f, 0xae, 0x15, 0, 0, 0, 0,
			   0x0f, 0x10, 0x15, 0, 0, 0, 0, 0xd9, 0xe8, 0xf4 };
	static const uint8_t a[16] = "0123456789abcdef", b[16] = "ABCDEFGHIJKLMNOP";
	uint32_t host_mxcsr, after;
	struct dg g;

	dg_put32(code + 3, DG_DATA);
	dg_put32(code + 10, DG_DATA + 0x20);
	dg_put32(code + 17, DG_DATA + 0x40);
	dg_setup(&g, code, sizeof(code));
	memcpy(g.cpu.fpu.xmm[1], a, 16);
	*dg_u32(&g, DG_DATA + 0x20) = 0x5f80;   /* round up */
	memcpy(g.mem + (DG_DATA + 0x40 - DG_BASE), b, 16);
	__asm__ volatile("stmxcsr %0" : "=m"(host_mxcsr));
	ck_assert_int_eq(direct_enter(&g.cpu), 0);
	__asm__ volatile("stmxcsr %0" : "=m"(after));
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 23);
	ck_assert_mem_eq(g.mem + (DG_DATA - DG_BASE), a, 16);
	ck_assert_mem_eq(g.cpu.fpu.xmm[2], b, 16);
	ck_assert_uint_eq(g.cpu.fpu.mxcsr, 0x5f80);
	ck_assert_uint_eq((g.cpu.fpu.fsw >> 11) & 7, 7);        /* one push: TOP = 7 */
	ck_assert_uint_eq(after, host_mxcsr);                    /* the monitor's is back */
	volatile double x = 1.0, y = 3.0;
	ck_assert(x / y < 0.33333333333333337);                  /* round to nearest */
}
END_TEST

START_TEST(heavens_gate_fault)
{
	/* FS based on a PROT_NONE page; jmp far 0x33:DG_BASE+0x100; there a
	 * 64-bit HLT. The trap comes from the host's CS but below 4 GiB: still
	 * the guest's, and the monitor comes back with its own TLS. (Whether
	 * the handler's C code reads FS depends on -fstack-protector: without
	 * it this does not tell the signal entry's FS restore apart.) */
	uint8_t code[7] = { 0xea };
	uint16_t cs64 = 0x33;
	struct seg_cache fs = dg_seg(0x33, DG_NONE, 0xfff, DG_DATA_ATTR & ~SEG_G);
	struct dg g;
	int err;

	dg_put32(code + 1, DG_BASE + 0x100);
	memcpy(code + 5, &cs64, 2);
	dg_setup(&g, code, sizeof(code));
	ck_assert_int_eq(direct_ldt_mirror(&g.ldt, S_FS, &fs, 0, &g.cpu.sel[S_FS]), 0);
	err = direct_enter(&g.cpu);
	if (err == -EINVAL) {
		printf("heavens_gate_fault: no FSGSBASE on this host, FS refused\n");
		return;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(g.cpu.exit.signo, SIGSEGV);
	ck_assert_int_eq(g.cpu.exit.trapno, 13);
	ck_assert_uint_eq(g.cpu.eip, DG_BASE + 0x100);
	char buf[8];
	snprintf(buf, sizeof(buf), "%d", 9);
	ck_assert_str_eq(buf, "9");
}
END_TEST

START_TEST(ldt_cache)
{
	struct direct_ldt l;
	struct seg_cache ds = dg_seg(0x7b, 0, 0xffffffffu, DG_DATA_ATTR);
	struct seg_cache tss = dg_seg(0x28, 0, 0x67, 0x9 | SEG_P);
	struct seg_cache null = dg_seg(0, 0, 0, 0);
	uint16_t sel;

	direct_ldt_init(&l);
	ck_assert_int_eq(direct_ldt_mirror(&l, S_DS, &ds, 0, &sel), 0);
	ck_assert_uint_eq(sel, direct_ldt_selector(S_DS));
	ck_assert_uint_eq(sel & 7, 7);
	ck_assert_uint_eq(l.writes, 1);
	ck_assert_int_eq(direct_ldt_mirror(&l, S_DS, &ds, 0, &sel), 0);
	ck_assert_uint_eq(l.writes, 1);                 /* cached */
	ds.base = 0x1000;
	ck_assert_int_eq(direct_ldt_mirror(&l, S_DS, &ds, 0, &sel), 0);
	ck_assert_uint_eq(l.writes, 2);
	ck_assert_int_eq(direct_ldt_mirror(&l, S_DS, &ds, 0xc0000000u, &sel), 0);
	ck_assert_uint_eq(l.writes, 3);
	ck_assert_uint_eq(l.slot[S_DS].limit, 0xc0000000u - 1 - 0x1000);
	ds.base = 0xc0000000u;
	ck_assert_int_eq(direct_ldt_mirror(&l, S_DS, &ds, 0xc0000000u, &sel), -ERANGE);
	ck_assert_int_eq(direct_ldt_mirror(&l, S_ES, &null, 0, &sel), 0);
	ck_assert_uint_eq(sel, 0);
	ck_assert_int_eq(direct_ldt_mirror(&l, S_CS, &null, 0, &sel), -EINVAL);
	ck_assert_int_eq(direct_ldt_mirror(&l, S_DS, &tss, 0, &sel), -EINVAL);
	ds.attr &= (uint16_t)~SEG_DB;                   /* 16-bit: not ours */
	ck_assert_int_eq(direct_ldt_mirror(&l, S_DS, &ds, 0, &sel), -EINVAL);
}
END_TEST

START_TEST(round_trip_cost)
{
	static const uint8_t code[] = { 0xf4 };
	struct direct_ldt l;
	struct seg_cache ds = dg_seg(0x7b, 0, 0xffffffffu, DG_DATA_ATTR);
	struct dg g;
	uint16_t sel;
	enum { N = 2000, M = 300 };

	dg_setup(&g, code, sizeof(code));
	int bad = 0;	/* no ck_assert in the timed loops: Check logs every one */

	uint64_t t0 = __builtin_ia32_rdtsc();
	for (int i = 0; i < N; i++) {
		g.cpu.eip = DG_BASE;
		bad |= direct_enter(&g.cpu) != 0 || g.cpu.exit.trapno != 13;
	}
	uint64_t t1 = __builtin_ia32_rdtsc();
	direct_ldt_init(&l);
	for (int i = 0; i < M; i++) {
		ds.base = (uint32_t)(i & 1) << 12;
		bad |= direct_ldt_mirror(&l, S_ES, &ds, 0, &sel) != 0;
	}
	uint64_t t2 = __builtin_ia32_rdtsc();
	for (int i = 0; i < M; i++)
		bad |= direct_ldt_mirror(&l, S_ES, &ds, 0, &sel) != 0;
	uint64_t t3 = __builtin_ia32_rdtsc();
	ck_assert_int_eq(bad, 0);
	ck_assert_uint_eq(l.writes, M);
	printf("direct: enter + HLT trap + exit %lu cycles; modify_ldt mirror %lu cycles; "
	       "cached mirror %lu cycles\n", (unsigned long)((t1 - t0) / N),
	       (unsigned long)((t2 - t1) / M), (unsigned long)((t3 - t2) / M));
}
END_TEST

int main(void)
{
	if (!dg_host_ok())
		return 77;
	Suite *s = suite_create("direct_enter");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, arith_and_hlt);
	tcase_add_test(tc, nested_task_flag);
	tcase_add_test(tc, alignment_check_flag);
	tcase_add_test(tc, mxcsr_in);
	tcase_add_test(tc, stack_and_resume);
	tcase_add_test(tc, page_fault);
	tcase_add_test(tc, truncated_segment);
	tcase_add_test(tc, cs_base_and_limit);
	tcase_add_test(tc, fs_segment);
	tcase_add_test(tc, other_faults);
	tcase_add_test(tc, fpu_state);
	tcase_add_test(tc, avx_state_kept);
	tcase_add_test(tc, heavens_gate_fault);
	tcase_add_test(tc, ldt_cache);
	tcase_add_test(tc, round_trip_cost);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
