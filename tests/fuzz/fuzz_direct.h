/*
 * fuzz_direct.h - the user-mode variant of tests/fuzz/fuzz_bt.c: random
 * guest USER code under engine bt's --user direct (natively, src/bt/
 * user_direct.c on top of src/direct/) and under the interpreter, final
 * states compared. Included by fuzz_bt.c when built with -DFUZZ_USER_DIRECT
 * (scripts/fuzz-direct.sh builds it as fuzz_direct); it provides the
 * input's set-up and the fz_variant_* hooks, fuzz_bt.c the rest (the
 * reference run with undefined-flag taint, the comparison, the report).
 *
 * The machine (random_guest.h's, mode RG_USER): the code runs at CPL 3
 * at 0x10000 + offset in flat DPL-3 segments (CS 0x2b, SS/DS/ES 0x33),
 * with paging on (4 KiB, PSE or PAE). User pages: code 0x10000-0x1FFFF,
 * data 0x20000-0x2FFFF (one read-only, one supervisor, as the header's
 * holes byte says), stack 0x30000-0x3FFFF, the hole, MMIO and ROM.
 * Supervisor pages: 0x0000-0xFFFF (IVT, GDT, IDT, the handler HLTs at
 * 0x3000 + vector, TSSs, LDT, page tables, and the ring-0 stack below
 * 0x10000, the TSS's ESP0; page 0 is not present, as random_guest.h
 * has it), and a "kernel" at 3 GiB (0xC0000000: a supervisor 4 MiB page
 * under PSE, else the low supervisor pages again)
 * and, under PSE and PAE, at 4 MiB. EFLAGS: IF=1 (direct execution needs
 * it), IOPL 0..3, AC, NT, DF as the header says, never TF. Header bytes
 * the harness reads (the rest is random_guest.h's):
 *   [2]  CR0 EM and TS are cleared (with them direct execution is refused:
 *        the guest kernel wants #NM, and the interpreter would run it all);
 *   [5]  bit 0: enter through the kernel: start at CPL 0 in a stub at
 *        0x3800 that reads the kernel pages at 0xC0001000 and 0xC0002000
 *        (so the window holds supervisor mappings, as after a real
 *        kernel) and IRETDs to the user code; bit 1: 4 KiB paging with the
 *        page directory entry of 3 GiB supervisor (the user boundary at 3
 *        GiB, else 4 GiB); bit 2: PSE/PAE with the 4 MiB alias of low
 *        memory left a user page (else supervisor: the boundary at 4 MiB);
 *   [6]  segments, all DPL 3: bits 0-2 FS flat writable (0, 1), flat
 *        read-only (2), flat readable code (3), a thread pointer (TLS:
 *        limit 4 GiB, negative offsets wrap) with base 0xFFFFF000 (4),
 *        0x2F000 (5, in the data area), 0xC0001000 (6, the kernel) or
 *        0x80000000 (7, nothing mapped); bits 3-4 GS flat, like FS, null,
 *        or a TLS base 0x2F800; bit 5 DS read-only, bit 6 ES readable
 *        code, bit 7 CS execute-only;
 *   [10] interp_step() and A20 open are forced; a random TSS2 and SS0 and
 *        the SYSENTER MSRs stay as the header says.
 *
 * What is checked, beyond fuzz_bt.c's comparison and safety checks:
 *  - no host system call: bt_create() installs the seccomp filter that
 *    traps every 32-bit system call and every call from below 4 GiB. A
 *    second filter cannot tell what the first trapped (all filters run,
 *    the most severe action wins), so the harness checks effects instead:
 *    the process's read and write system-call counters (/proc/self/io:
 *    syscr, syscw, which count the read/write family - write, pwrite,
 *    writev, sendfile ... - of every thread) must not move during an
 *    engine run, except for the harness's own pread of that file; the
 *    canary page at 8 GiB is unchanged (fuzz_bt.c); the process is still
 *    alive at the end (scripts/fuzz-direct.sh demands libFuzzer's final
 *    report: a host exit or kill would end the process without it); the
 *    seccomp filter is in force (/proc/self/status, at set-up). Every
 *    trapped attempt is counted (SIGSYS exits by kind, in the totals);
 *  - the engine stopping with "direct execution: guest user code ..."
 *    (a far transfer to the host's 64-bit CS 0x33, "heaven's gate", or
 *    another host code selector; a compat SYSCALL whose EIP the host
 *    kernel lost) is an accepted outcome, counted as "stopped";
 *  - libFuzzer's own signal handlers (SIGALRM for -timeout, SIGINT ...)
 *    are re-installed behind src/direct's FS-restoring entry: they may
 *    interrupt guest code with a guest FS base loaded.
 *
 * Accepted without tainting: a null selector (0-3) loaded natively into a
 * data segment register comes back from the host as 0, without its RPL
 * (the selector-RPL leak of docs/DIRECT.md); null selectors compare equal.
 *
 * Known, accepted differences in direct mode (the run is tainted: only
 * its safety is checked), decoded with Zydis at each interpreter step at
 * CPL 3 - the ring-compression leaks of docs/DIRECT.md and docs/SECURITY.md:
 *  - SGDT, SIDT, SLDT, STR, SMSW (the host kernel's UMIP emulation
 *    answers with its own values), LAR, LSL, VERR, VERW (host
 *    descriptors), CPUID (host values: no CPUID faulting), RDTSC,
 *    RDTSCP, RDPID (host counters; the guest's CR4.TSD is not honoured),
 *    MOV r/m, Sreg and PUSH Sreg (the host's selectors), FNSTENV,
 *    FNSAVE, FXSAVE, XSAVE* (the host's FCS/FDS/FIP/FDP);
 *  - PUSHF with the guest's IOPL other than 0 (the host's IOPL is 0);
 *    POPF and IRET that change IF at IOPL 3 (natively ignored: IF stays
 *    1; a bug for IOPL-3 programs, docs/DIRECT.md);
 *  - segment-register loads (MOV Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS)
 *    whose selector the host's GDT/LDT accepts (VERR/VERW natively):
 *    ring aliasing, the host's segment is in effect until the next exit
 *    repairs it; far transfers to a selector the host accepts as code
 *    (LAR): native code continues in the host's segment;
 *  - an instruction on which the interpreter raises #UD other than
 *    UD0/UD1/UD2/SYSCALL/SYSENTER/SYSEXIT/SYSRET, or any event (or a
 *    triple fault) for an instruction of an ISA extension beyond the
 *    base set and x87 (MMX, SSE and newer: the virtual CPU lacks them,
 *    cpu/cpu_model.c, and raises #UD; the host runs them), and F3-prefixed
 *    BSF/BSR (TZCNT/LZCNT natively);
 *  - the x87/SSE state: FOP, FIP, FCS, FDP, FDS and MXCSR_MASK are
 *    not compared (the host's values), nor the 6 unused bytes of each
 *    80-bit register;
 *  - KNOWN BUG, tainted so that fuzzing goes on: FS and GS with a base
 *    (thread pointers) are mirrored with the guest's 4 GiB limit, not
 *    truncated, and the window keeps the kernel's supervisor mappings
 *    above the boundary, so user code reads (and, where the kernel wrote,
 *    writes) guest kernel memory through them natively where the
 *    interpreter raises #PF: an instruction with an FS/GS operand on
 *    which the interpreter raises a protection #PF at CPL 3, or shuts
 *    down (that #PF's delivery failed); likewise a CS-relative operand
 *    (CS keeps a 4 GiB limit: a truncated CS is ~10% slower on AMD;
 *    fetches from supervisor pages fault because they are not PROT_EXEC);
 *  - an accessed bit that only direct execution set: the host
 *    CPU made an access (RETF imm16 on this AMD host reads the outer
 *    stack slot) before the check the interpreter faults on, and the
 *    window's walk for it set the bit before the instruction went to the
 *    interpreter.
 *
 * Global state: the hooks take no context (as fuzz_bt.c's `fz`), so the
 * variant's counters live in `fzd`.
 */
#include <fcntl.h>

#include "direct/direct.h"

#define FD_STACK0      0x10000u     /* ESP0: the ring-0 stack, supervisor page 0xF000 */
#define FD_STUB        0x3800u      /* the kernel-entry stub (supervisor page 0x3000) */
#define FD_SEL_CS_XO   0xdb         /* the harness's DPL-3 descriptors */
#define FD_SEL_DS_RO   0xe3
#define FD_SEL_ES_CODE 0xeb
#define FD_SEL_FS      0xf3
#define FD_SEL_GS      0xfb

static const uint32_t fs_bases[8] = { 0, 0, 0, 0, 0xfffff000u, 0x2f000u, 0xc0001000u,
				      0x80000000u };

/* The variant's counters and the /proc/self/io probe. */
struct fz_direct {
	int io_fd;               /* /proc/self/io, read with pread */
	bool armed;              /* counters taken before this input's engine run */
	uint64_t syscr, syscw;
	uint64_t io_checks;
	uint64_t stop_gate, stop_syscall, stop_cs;
	uint64_t enters, exits[BT_DX_N], alias, refused, kernel_entries;
};

static struct fz_direct fzd;

void direct_sig_entry(int sig, siginfo_t *si, void *uc);   /* src/direct/enter.S */

/* The input with the harness's overrides (see the top of this file). */
static void fz_make_input(const uint8_t *data, size_t size)
{
	size_t n = size < FZ_MAX_IN ? size : FZ_MAX_IN;
	memset(fz->in, 0, RG_HEADER);
	memcpy(fz->in, data, n);
	fz->len = n < RG_HEADER ? RG_HEADER : n;
	uint8_t *h = fz->in;
	unsigned paging = RG_PAGING_4K + ((h[0] >> 3) & 3) % 3;
	h[0] = (uint8_t)(RG_USER | paging << 3 | (h[0] & 0xe0));
	h[1] = (uint8_t)((h[1] | 0x01) & ~0x04);   /* IF on, TF off */
	h[2] &= (uint8_t)~(0x04 | 0x08);           /* CR0.EM, CR0.TS */
	h[10] &= (uint8_t)~(1 | 8);                /* interp_step, A20 open */
}

static uint64_t fz_desc(uint32_t base, unsigned type)
{
	return rg_desc(base, 0xffffffffu, type, 3, true, true, true);
}

static void fz_set(struct rg_env *e, int sr, uint16_t sel, uint64_t d)
{
	rg_put64(e, RG_GDT + (sel & ~7u), d);
	e->cpu.seg[sr] = rg_cache(sel, d);
}

/* User and supervisor pages (see the top of this file). */
static void fd_pages(struct rg_env *e)
{
	uint8_t pick = fz->in[5];
	enum rg_paging paging = (enum rg_paging)((fz->in[0] >> 3) & 3);
	for (uint32_t p = 0; p < 16; p++) {
		if (paging == RG_PAGING_PAE)
			e->ram.host[RG_PAE_PT + 8 * p] &= (uint8_t)~4u;
		else
			e->ram.host[RG_PT + 4 * p] &= (uint8_t)~4u;
	}
	if (paging == RG_PAGING_PSE && !(pick & 4))
		rg_put32(e, RG_PD + 4 * 1, 0x83);
	if (paging == RG_PAGING_PAE && !(pick & 4))
		rg_put64(e, RG_PAE_PD + 8 * 2, 0x83);
	if (paging == RG_PAGING_4K && (pick & 2))
		rg_put32(e, RG_PD + 4 * 0x300, RG_PT | 0x3);
}

/*
 * Enter through the kernel: ring 0 at FD_STUB reads the kernel pages, then
 * IRETDs to the user state rg_load() set up (the data segment registers
 * already hold DPL-3 selectors, which the IRET keeps).
 */
static void fd_kernel_entry(struct rg_env *e)
{
	static const uint8_t stub[] = {
		0x50,                                  /* push eax */
		0xa1, 0x00, 0x10, 0x00, 0xc0,          /* mov eax, [0xc0001000] */
		0xa1, 0x00, 0x20, 0x00, 0xc0,          /* mov eax, [0xc0002000] */
		0x58,                                  /* pop eax */
		0xcf,                                  /* iretd */
	};
	struct cpu_state *s = &e->cpu;
	uint32_t frame = FD_STACK0 - 20;
	rg_put32(e, frame, s->eip);
	rg_put32(e, frame + 4, s->seg[S_CS].sel);
	rg_put32(e, frame + 8, s->eflags);
	rg_put32(e, frame + 12, s->gpr[R_ESP]);
	rg_put32(e, frame + 16, s->seg[S_SS].sel);
	memcpy(e->ram.host + FD_STUB, stub, sizeof(stub));
	rg_seg(e, S_CS, RG_SEL_CODE32);
	rg_seg(e, S_SS, RG_SEL_DATA32);
	s->gpr[R_ESP] = frame;
	s->eip = FD_STUB;
}

static void fz_variant_load(struct rg_env *e)
{
	fd_pages(e);
	rg_put32(e, RG_TSS + 4, FD_STACK0);
	uint8_t pick = fz->in[6];
	unsigned fs = pick & 7, gs = (pick >> 3) & 3, dses = (pick >> 5) & 3;
	uint64_t fsd = fz_desc(fs_bases[fs], fs == 2 ? 0x1 : fs == 3 ? 0xb : 0x3);
	fz_set(e, S_FS, FD_SEL_FS, fsd);
	if (gs == 2)
		e->cpu.seg[S_GS] = rg_cache(0, 0);
	else
		fz_set(e, S_GS, FD_SEL_GS, gs == 1 ? fsd : fz_desc(gs == 3 ? 0x2f800u : 0, 0x3));
	if (dses & 1)
		fz_set(e, S_DS, FD_SEL_DS_RO, fz_desc(0, 0x1));
	if (dses & 2)
		fz_set(e, S_ES, FD_SEL_ES_CODE, fz_desc(0, 0xb));
	if (pick & 0x80) {
		fz_set(e, S_CS, FD_SEL_CS_XO, fz_desc(0, 0x9));
		/* gates "into the code" use the code's selector: keep them usable */
	}
	if (fz->in[5] & 1)
		fd_kernel_entry(e);
}

/* --- the hooks ----------------------------------------------------------- */

static void fz_variant_totals(void)
{
	fprintf(stderr, "; direct: %llu entries, exits pf/gp/ud/de/trap/fpu/other %llu/%llu/%llu/"
			"%llu/%llu/%llu/%llu, system calls trapped int80/fast %llu/%llu, preempted "
			"%llu, alias repairs %llu, refused %llu; stopped: heaven's gate %llu, "
			"fast syscall %llu, host CS %llu; host read/write counters checked %llu times",
		(unsigned long long)fzd.enters, (unsigned long long)fzd.exits[BT_DX_PAGE_FAULT],
		(unsigned long long)fzd.exits[BT_DX_GP], (unsigned long long)fzd.exits[BT_DX_UD],
		(unsigned long long)fzd.exits[BT_DX_DE], (unsigned long long)fzd.exits[BT_DX_TRAP],
		(unsigned long long)fzd.exits[BT_DX_FPU], (unsigned long long)fzd.exits[BT_DX_OTHER],
		(unsigned long long)fzd.exits[BT_DX_INT80],
		(unsigned long long)fzd.exits[BT_DX_FAST_SYSCALL],
		(unsigned long long)fzd.exits[BT_DX_PREEMPT], (unsigned long long)fzd.alias,
		(unsigned long long)fzd.refused, (unsigned long long)fzd.stop_gate,
		(unsigned long long)fzd.stop_syscall, (unsigned long long)fzd.stop_cs,
		(unsigned long long)fzd.io_checks);
}

/* libFuzzer's handlers, called from behind the FS-restoring entry. */
static struct sigaction fd_chained[NSIG];

static void fd_chain(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *sa = &fd_chained[sig];
	if (sa->sa_flags & SA_SIGINFO)
		sa->sa_sigaction(sig, si, uc);
	else
		sa->sa_handler(sig);
}

static void fz_variant_setup(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
			continue;
		bool custom = (sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != NULL :
			      sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
		if (!custom || ((sa.sa_flags & SA_SIGINFO) && sa.sa_sigaction == direct_sig_entry))
			continue;
		fd_chained[sig] = sa;
		if (direct_sigaction(sig, fd_chain, sa.sa_flags & ~(SA_SIGINFO | SA_ONSTACK),
				     NULL) < 0)
			fz_die("cannot re-install the handler of signal %d", sig);
	}
	char status[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;
	if (fd >= 0)
		close(fd);
	status[n > 0 ? n : 0] = '\0';
	if (!strstr(status, "Seccomp:\t2"))
		fz_die("the seccomp filter is not in force (/proc/self/status)");
	fzd.io_fd = open("/proc/self/io", O_RDONLY);
	if (fzd.io_fd < 0)
		fz_die("cannot open /proc/self/io");
}

/* The process's read and write system-call counts. */
static void fd_io(uint64_t *syscr, uint64_t *syscw)
{
	char buf[512];
	ssize_t n = pread(fzd.io_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		fz_die("cannot read /proc/self/io");
	buf[n] = '\0';
	const char *r = strstr(buf, "syscr: "), *w = strstr(buf, "syscw: ");
	if (!r || !w)
		fz_die("no syscr/syscw in /proc/self/io");
	*syscr = strtoull(r + 7, NULL, 10);
	*syscw = strtoull(w + 7, NULL, 10);
}

static void fz_variant_before_run(void)
{
	struct bt_stats st;
	bt_get_stats(fz->bt, &st);
	fzd.enters -= st.direct_enters;
	for (int k = 0; k < BT_DX_N; k++)
		fzd.exits[k] -= st.direct_exits[k];
	fzd.alias -= st.direct_alias;
	fzd.refused -= st.direct_refused;
	if (fz->in[5] & 1)
		fzd.kernel_entries++;
	if (!fzd.armed)
		fd_io(&fzd.syscr, &fzd.syscw);
	fzd.armed = true;
}

static const char *fz_variant_after_run(void)
{
	uint64_t syscr, syscw;
	fd_io(&syscr, &syscw);
	struct bt_stats st;
	bt_get_stats(fz->bt, &st);
	fzd.enters += st.direct_enters;
	for (int k = 0; k < BT_DX_N; k++)
		fzd.exits[k] += st.direct_exits[k];
	fzd.alias += st.direct_alias;
	fzd.refused += st.direct_refused;
	fzd.armed = false;
	fzd.io_checks++;
	if (syscw != fzd.syscw || syscr != fzd.syscr + 1) {
		static char why[160];
		snprintf(why, sizeof(why), "a host read or write system call during the run "
			 "(/proc/self/io: syscr %llu -> %llu, syscw %llu -> %llu)",
			 (unsigned long long)fzd.syscr, (unsigned long long)syscr,
			 (unsigned long long)fzd.syscw, (unsigned long long)syscw);
		return why;
	}
	return NULL;
}

static bool fz_variant_stop(const char *error, bool count)
{
	if (strncmp(error, "direct execution: guest user code ", 34))
		return false;
	if (!count)
		return true;
	if (strstr(error, "heaven's gate"))
		fzd.stop_gate++;
	else if (strstr(error, "loaded CS natively"))
		fzd.stop_cs++;
	else
		fzd.stop_syscall++;
	return true;
}

static void fz_variant_header(FILE *f)
{
	const uint8_t *h = fz->in;
	fprintf(f, "header: paging %u, IDT %u, EFLAGS byte %02x (IOPL %u), CR0 byte %02x, CR4 byte "
		   "%02x, holes %02x, user choices %02x (kernel entry %u, 3 GiB supervisor %u, "
		   "4 MiB alias user %u), segments %02x (FS kind %u base %#x, GS kind %u), extras "
		   "%02x\n", (h[0] >> 3) & 3, h[0] >> 5, h[1], (h[1] >> 4) & 3, h[2], h[3], h[4],
		h[5], h[5] & 1, (h[5] >> 1) & 1, (h[5] >> 2) & 1, h[6], h[6] & 7,
		fs_bases[h[6] & 7], (h[6] >> 3) & 3, h[10]);
}

static bool fz_variant_fpu_equal(const struct fpu_state *a, const struct fpu_state *b)
{
	if (a->fcw != b->fcw || a->fsw != b->fsw || a->ftw != b->ftw || a->mxcsr != b->mxcsr)
		return false;
	for (int k = 0; k < 8; k++)
		if (memcmp(a->st[k], b->st[k], 10))
			return false;
	return !memcmp(a->xmm, b->xmm, sizeof(a->xmm));
}

/*
 * An accessed bit in the low byte of a paging-structure entry that only
 * direct execution set is not a difference: the host CPU may make an
 * access the interpreter does not (RETF imm16 on AMD reads the outer
 * SS:ESP slot before it checks the popped CS; the interpreter raises #GP
 * first), and the window's walk for that access sets the accessed bit
 * before the instruction is handed to the interpreter.
 */
static bool fz_variant_ram_excused(uint32_t paddr, uint8_t interp, uint8_t engine)
{
	bool pae = ((fz->in[0] >> 3) & 3) == RG_PAGING_PAE;
	return paddr >= FZ_TABLES && paddr < FZ_TABLES_END && !(paddr & (pae ? 7 : 3)) &&
	       (interp ^ engine) == 0x20;
}

/* Whether a data-segment load of sel succeeds natively (the host's GDT and LDT). */
static bool fd_host_loads(uint16_t sel, bool stack)
{
	uint8_t ok;
	if (sel < 4)
		return false;   /* null: the guest's own rules apply (the repair sees it) */
	if (stack)
		__asm__("verw %1; setz %0" : "=q"(ok) : "r"(sel) : "cc");
	else
		__asm__("verr %1; setz %0" : "=q"(ok) : "r"(sel) : "cc");
	return ok;
}

/* Whether a far transfer to sel succeeds natively: a host code segment at DPL 3. */
static bool fd_host_code(uint16_t sel)
{
	uint32_t ar = 0;
	uint8_t ok;
	__asm__("lar %2, %1; setz %0" : "=q"(ok), "=r"(ar) : "r"((uint32_t)sel) : "cc");
	return ok && (ar & 0x1800) == 0x1800;   /* S = 1, code */
}

static int fd_sreg(ZydisRegister r)
{
	return r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS ? (int)(r - ZYDIS_REGISTER_ES) : -1;
}

static void fd_taint(struct fz_ref *r, const char *why)
{
	if (!r->taint)
		r->taint = why;
}

static void fz_variant_step(struct fz_ref *r, const struct rg_env *e, unsigned cpl_before,
			    const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops,
			    const uint32_t *gpr_before, uint32_t eflags_before)
{
	const struct cpu_state *s = &e->cpu;
	bool event = e->v->delivered;
	if (cpl_before != 3 || !zi || (eflags_before & EFL_VM))
		return;
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT: case ZYDIS_MNEMONIC_SLDT:
	case ZYDIS_MNEMONIC_STR: case ZYDIS_MNEMONIC_SMSW:
		fd_taint(r, "SGDT/SIDT/SLDT/STR/SMSW at CPL 3 (the host's UMIP values)");
		return;
	case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL: case ZYDIS_MNEMONIC_VERR:
	case ZYDIS_MNEMONIC_VERW:
		fd_taint(r, "LAR/LSL/VERR/VERW (the host's descriptors)");
		return;
	case ZYDIS_MNEMONIC_CPUID:
		fd_taint(r, "CPUID (the host's values)");
		return;
	case ZYDIS_MNEMONIC_RDTSC: case ZYDIS_MNEMONIC_RDTSCP: case ZYDIS_MNEMONIC_RDPID:
		fd_taint(r, "RDTSC/RDTSCP/RDPID (the host's counters)");
		return;
	case ZYDIS_MNEMONIC_FNSTENV: case ZYDIS_MNEMONIC_FNSAVE: case ZYDIS_MNEMONIC_FXSAVE:
	case ZYDIS_MNEMONIC_XSAVE: case ZYDIS_MNEMONIC_XSAVEOPT: case ZYDIS_MNEMONIC_XSAVEC:
	case ZYDIS_MNEMONIC_XSAVES:
		fd_taint(r, "an x87/SSE state save (the host's FCS/FDS/FIP/FDP)");
		return;
	case ZYDIS_MNEMONIC_TZCNT: case ZYDIS_MNEMONIC_LZCNT:
		fd_taint(r, "F3 BSF/BSR (TZCNT/LZCNT natively)");
		return;
	case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
		if (eflags_before & EFL_IOPL)
			fd_taint(r, "PUSHF with the guest's IOPL > 0 (the host's IOPL is 0)");
		return;
	case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD: case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
		if (!event && ((s->eflags ^ eflags_before) & EFL_IF))
			fd_taint(r, "POPF/IRET changing IF at IOPL 3 (ignored natively)");
		if (zi->mnemonic == ZYDIS_MNEMONIC_IRET || zi->mnemonic == ZYDIS_MNEMONIC_IRETD)
			break;   /* also a far transfer */
		return;
	default:
		break;
	}
	/* a protection #PF in user mode, or one whose delivery then shut the CPU down
	   (the IDT variant's stack not mapped): the frame's vector is gone then */
	if ((event && e->v->fault_vector == EXC_PF && (e->v->fault_error & 5) == 5) ||
	    e->v->shutdown) {
		for (unsigned k = 0; k < zi->operand_count_visible; k++) {
			if (ops[k].type != ZYDIS_OPERAND_TYPE_MEMORY)
				continue;
			if (ops[k].mem.segment == ZYDIS_REGISTER_CS) {
				/* CS is not truncated (a truncated CS is slow on AMD): a
				   CS-relative read reaches what the window maps */
				fd_taint(r, "a supervisor page through CS (not truncated: "
					    "native code reads it)");
				return;
			}
			if (ops[k].mem.segment != ZYDIS_REGISTER_FS &&
			    ops[k].mem.segment != ZYDIS_REGISTER_GS)
				continue;
			const struct seg_cache *sc =
				&s->seg[ops[k].mem.segment == ZYDIS_REGISTER_FS ? S_FS : S_GS];
			if (sc->base) {
				fd_taint(r, "a supervisor page through a TLS segment (not truncated: "
					    "the KNOWN BUG of the report, native code reads it)");
				return;
			}
		}
	}
	switch (zi->meta.isa_ext) {
	case ZYDIS_ISA_EXT_BASE: case ZYDIS_ISA_EXT_X87: case ZYDIS_ISA_EXT_PAUSE:
		break;
	default:   /* MMX and SSE (the model lacks them), newer extensions */
		if (event || e->v->shutdown) {
			fd_taint(r, "the interpreter raised an event for an instruction of an ISA "
				    "extension the host runs");
			return;
		}
	}
	if (event && e->v->fault_vector == EXC_UD) {
		switch (zi->mnemonic) {
		case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1: case ZYDIS_MNEMONIC_UD2:
		case ZYDIS_MNEMONIC_SYSCALL: case ZYDIS_MNEMONIC_SYSENTER:
		case ZYDIS_MNEMONIC_SYSEXIT: case ZYDIS_MNEMONIC_SYSRET:
			break;
		default:
			fd_taint(r, "#UD in the interpreter for an instruction the host runs");
			return;
		}
	}
	/* segment registers: stores and pushes of a selector, loads, far transfers */
	int dst = -1;
	bool from_reg = false;
	uint16_t sel = 0;
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER && fd_sreg(ops[1].reg.value) >= 0) {
			fd_taint(r, "MOV r/m, Sreg (the host's selector)");
			return;
		}
		if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER || fd_sreg(ops[0].reg.value) < 0)
			return;
		dst = fd_sreg(ops[0].reg.value);
		if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
			from_reg = true;
			sel = (uint16_t)gpr_before[ZydisRegisterGetId(ops[1].reg.value) & 7];
		}
		break;
	case ZYDIS_MNEMONIC_PUSH:
		if (ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && fd_sreg(ops[0].reg.value) >= 0)
			fd_taint(r, "PUSH Sreg (the host's selector)");
		return;
	case ZYDIS_MNEMONIC_POP:
		if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER || fd_sreg(ops[0].reg.value) < 0)
			return;
		dst = fd_sreg(ops[0].reg.value);
		break;
	case ZYDIS_MNEMONIC_LDS: dst = S_DS; break;
	case ZYDIS_MNEMONIC_LES: dst = S_ES; break;
	case ZYDIS_MNEMONIC_LFS: dst = S_FS; break;
	case ZYDIS_MNEMONIC_LGS: dst = S_GS; break;
	case ZYDIS_MNEMONIC_LSS: dst = S_SS; break;
	case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_CALL: case ZYDIS_MNEMONIC_RET:
	case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
		if (zi->meta.branch_type != ZYDIS_BRANCH_TYPE_FAR &&
		    zi->mnemonic != ZYDIS_MNEMONIC_IRET && zi->mnemonic != ZYDIS_MNEMONIC_IRETD)
			return;
		dst = S_CS;
		if (ops[0].type == ZYDIS_OPERAND_TYPE_POINTER) {
			from_reg = true;
			sel = ops[0].ptr.segment;
		}
		break;
	default:
		return;
	}
	if (!event && !from_reg)
		sel = s->seg[dst].sel;
	else if (event && !from_reg) {
		fd_taint(r, "a segment load or far transfer that faulted (selector not known)");
		return;
	}
	if (dst == S_CS ? fd_host_code(sel) : fd_host_loads(sel, dst == S_SS))
		fd_taint(r, dst == S_CS ? "a far transfer to a selector the host runs (ring aliasing)"
					: "a segment load the host's tables accept (ring aliasing)");
}
