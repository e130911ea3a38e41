/*
 * native.c - can a Linux process run code in ring 1? The question behind
 * the 0/1/3 and 0/3/3 models of docs/TUTORIAL.md, asked of this host as an
 * ordinary 32-bit process (the way softvt runs guest code directly).
 *
 * The original VMware monitor ran the guest kernel in ring 1 (0/1/3) with
 * its own ring-0 driver on the host. A user process has no such driver:
 * its only way to make segments is modify_ldt(2), and the CPU's rules on
 * far returns do the rest. The program:
 *   1. installs a 32-bit code and a data segment with modify_ldt(0x11) and
 *      reads the raw descriptors back (modify_ldt(0)): their DPL field;
 *   2. loads DS with the data selector at RPL 1 (allowed: RPL can only
 *      weaken access) and shows that CS, the CPL, is still 3;
 *   3. far-returns (LRET) and IRETs to the code selector at RPL 1, asking
 *      the CPU to move to ring 1: both raise #GP, which arrives as SIGSEGV
 *      with the trap number and error code in the signal context.
 * Each line says what happened; the exit status is 0 when ring 1 was out
 * of reach as expected, 1 if anything surprising happened (a CPL other
 * than 3 after a transfer, a descriptor with DPL below 3).
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_ENTRY 0
#define DATA_ENTRY 1
#define SEL(entry, rpl) ((uint16_t)((entry) << 3 | 4 | (rpl)))   /* TI = 1: the LDT */

static sigjmp_buf back;
static volatile int trapno = -1, err = -1;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	(void)sig, (void)si;
	ucontext_t *uc = ucv;
	trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	err = uc->uc_mcontext.gregs[REG_ERR];
	siglongjmp(back, 1);
}

static int install(unsigned entry, unsigned contents)
{
	struct user_desc d;
	memset(&d, 0, sizeof(d));
	d.entry_number = entry;
	d.base_addr = 0;
	d.limit = 0xfffff;
	d.seg_32bit = 1;
	d.contents = contents;
	d.limit_in_pages = 1;
	d.useable = 1;
	return (int)syscall(SYS_modify_ldt, 0x11, &d, sizeof(d));
}

/* DPL of LDT entry i as the kernel wrote it, or -1 */
static int ldt_dpl(unsigned i, uint32_t *lo, uint32_t *hi)
{
	uint32_t raw[2 * 8];
	long n = syscall(SYS_modify_ldt, 0, raw, sizeof(raw));
	if (n < (long)(8 * (i + 1)))
		return -1;
	*lo = raw[2 * i];
	*hi = raw[2 * i + 1];
	return (int)(*hi >> 13 & 3);
}

static uint16_t read_cs(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

/* LRET to sel:target, or IRET when iret is set; returns only through the signal */
static void far_return(uint16_t sel, int iret)
{
	if (iret)
		__asm__ volatile("pushfl\n\tpushl %0\n\tpushl $1f\n\tiret\n1:" ::"r"((uint32_t)sel)
				 : "memory");
	else
		__asm__ volatile("pushl %0\n\tpushl $1f\n\tlret\n1:" ::"r"((uint32_t)sel) : "memory");
}

static int try_ring1(const char *how, int iret)
{
	uint16_t sel = SEL(CODE_ENTRY, 1);
	trapno = err = -1;
	if (sigsetjmp(back, 1) == 0) {
		far_return(sel, iret);
		printf("%s to %#06x (RPL 1): it returned, CS = %#06x - unexpected\n", how, sel,
		       read_cs());
		return 1;
	}
	printf("%s to %#06x (LDT entry %d, RPL 1): SIGSEGV, trap %d (%s), error code %#06x\n",
	       how, sel, CODE_ENTRY, trapno, trapno == 13 ? "#GP" : "?", err);
	return trapno == 13 ? 0 : 1;
}

int main(void)
{
	int bad = 0;
	uint32_t lo = 0, hi = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("Can a Linux process run code in ring 1? (CPL now: %d, CS = %#06x)\n",
	       read_cs() & 3, read_cs());

	if (install(CODE_ENTRY, MODIFY_LDT_CONTENTS_CODE) || install(DATA_ENTRY, MODIFY_LDT_CONTENTS_DATA)) {
		perror("modify_ldt");
		return 1;
	}
	printf("modify_ldt(0x11): struct user_desc has fields for base, limit, 32-bit, "
	       "contents (data, stack, code), read/exec-only, page granularity, not-present, "
	       "useable - none for the privilege level\n");
	for (unsigned e = CODE_ENTRY; e <= DATA_ENTRY; e++) {
		int dpl = ldt_dpl(e, &lo, &hi);
		printf("  LDT entry %u (%s) as the kernel wrote it: %08x %08x -> DPL %d\n", e,
		       e == CODE_ENTRY ? "code" : "data", hi, lo, dpl);
		bad |= dpl != 3;
	}

	uint16_t ds = SEL(DATA_ENTRY, 1), now;
	__asm__ volatile("mov %1, %%ds\n\tmov %%ds, %0\n\tmov %2, %%ds"
			 : "=&r"(now) : "r"(ds), "r"((uint16_t)0x2b));
	printf("mov ds, %#06x (RPL 1): allowed (DS read back %#06x), but the CPL is CS's: "
	       "still %d (CS = %#06x)\n", ds, now, read_cs() & 3, read_cs());
	bad |= (read_cs() & 3) != 3;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	bad |= try_ring1("lret", 0);
	bad |= try_ring1("iret", 1);
	printf("%s\n", bad ? "unexpected: see above"
			   : "ring 1 is out of reach: every descriptor a process can install has DPL 3, "
			     "and a return to RPL 1 from CPL 3 is a #GP (SDM vol. 2, RET/IRET: "
			     "return to a more privileged level)");
	return bad;
}
