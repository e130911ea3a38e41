/*
 * nanobench - the virtualization nanobenchmarks of Adams & Agesen (ASPLOS
 * 2006, "A Comparison of Software and Hardware Techniques for x86
 * Virtualization", table of nanobenchmarks), as a small guest kernel for
 * `softvt bench`: each operation N times in a loop, timed with RDTSC, the
 * TSC calibrated against the PIT so results come out in nanoseconds on
 * every engine (softvt's TSC runs at 1 GHz, QEMU's at the host's rate;
 * under direct execution softvt's is the host's too).
 *
 *   syscall   INT 0x80 from ring 3 to a handler that only IRETs
 *   in        IN from port 0x80 (the POST port) in ring 0
 *   cli/sti   a CLI/STI pair; pushf/popf a PUSHF/POPF pair
 *   call/ret  a call of an empty function
 *   pgfault   a read of a not-present page whose #PF handler sets P and
 *             returns (the loop clears P and INVLPGs it again: ptemod's cost
 *             is in it)
 *   divzero   DIV by zero, the #DE handler steps over it
 *   ptemod    a PTE write plus INVLPG
 *   cr3       MOV CR3 with the current value (a full non-global TLB flush)
 * The handlers are bare assembly (no C dispatch), so the numbers are the
 * monitor's cost plus a few guest instructions. Output, one line each:
 *   nanobench tsc_hz HZ
 *   nanobench NAME ns_per_op NS iterations N
 *
 * With the command line "vtx-model=NAME" (NAME one of the operations, or
 * "none") it runs only that operation's loop, untimed, and prints only
 * "nanobench model iterations N": `softvt bench` runs it under the
 * interpreter with --stats-json and subtracts the "none" run's modelled
 * VM exits (cpu/vtx_model.h) from each operation's, which leaves exactly
 * N times the operation's (both runs do the same set-up and output).
 */
#include "guest.h"

#define N 4000
#define PIT_HZ 1193182u
#define TEST_PAGE 0x300000u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
uint32_t *nb_test_pte;   /* read by the #PF handler */

void nb_iret(void);
void nb_de(void);
void nb_pf(void);
asm(".text\n"
    "nb_iret: iret\n"
    /* #DE: step over the 2-byte DIV (f7 f1: div ecx) */
    "nb_de: addl $2, (%esp)\n\tiret\n"
    /* #PF: set P in the test page's PTE, drop the error code, retry */
    "nb_pf: pushl %eax\n\tmovl nb_test_pte, %eax\n\torl $1, (%eax)\n\tpopl %eax\n"
    "\taddl $4, %esp\n\tiret\n");

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* TSC ticks in 54.9 ms (65535 counts) of PIT channel 2 (gate on port 0x61, OUT2 in bit 5). */
static uint64_t tsc_hz(void)
{
	const uint32_t count = 0xffff;
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);   /* gate on, speaker off */
	outb(0x43, 0xb0);                          /* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	return (rdtsc() - t0) * PIT_HZ / count;
}

static uint64_t hz;

/* The median of three calibrations: a host that deschedules the vCPU between
   the PIT's start and the first RDTSC, or before the guest sees OUT2 rise,
   makes one of them too low or too high (every result of that run with it). */
static uint64_t tsc_hz_median(void)
{
	uint64_t a = tsc_hz(), b = tsc_hz(), c = tsc_hz(), t;
	if (a > b)
		t = a, a = b, b = t;
	if (b > c)
		t = b, b = c, c = t;
	return a > b ? a : b;
}

static void report_op(const char *name, uint64_t ticks, unsigned n)
{
	/* nanoseconds in all, then picoseconds per op: ticks * 10^12 would overflow
	   64 bits past 1.8e7 ticks (7 ms at a 2.6 GHz host TSC: 1.8 us per op) */
	uint64_t ps = ticks * 1000000000ull / hz * 1000 / n;
	printf("nanobench %s ns_per_op %u.%03u iterations %u\n", name, (unsigned)(ps / 1000),
	       (unsigned)(ps % 1000), n);
}

static __attribute__((noinline)) void empty(void)
{
	asm volatile("");
}

static uint64_t user_ticks;

static uint32_t user_syscalls(void *arg)
{
	(void)arg;
	uint64_t t0 = rdtsc();
	for (unsigned i = 0; i < N; i++)
		asm volatile("int $0x80" ::: "memory");
	user_ticks = rdtsc() - t0;
	return 0;
}

/* The NAME of "vtx-model=NAME" on the command line, or NULL. */
static const char *model_op(const struct multiboot_info *mbi)
{
	static const char key[] = "vtx-model=";
	if (!(mbi->flags & (1u << 2)) || !mbi->cmdline)
		return NULL;
	for (const char *p = (const char *)mbi->cmdline; *p; p++)
		if (!memcmp(p, key, sizeof(key) - 1))
			return p + sizeof(key) - 1;
	return NULL;
}

static bool op_is(const char *arg, const char *name)
{
	size_t n = 0;
	while (name[n] && arg[n] == name[n])
		n++;
	return !name[n] && (arg[n] == 0 || arg[n] == ' ');
}

static void pgfault_loop(void)
{
	volatile uint32_t *page = (volatile uint32_t *)TEST_PAGE;
	for (unsigned i = 0; i < N; i++) {
		*nb_test_pte &= ~PTE_P;
		invlpg(TEST_PAGE);
		(void)*page;
	}
}

static void divzero_loop(void)
{
	for (unsigned i = 0; i < N; i++) {
		uint32_t lo = 1, hi = 0, zero = 0;
		asm volatile(".byte 0xf7, 0xf1" : "+a"(lo), "+d"(hi) : "c"(zero));   /* div ecx */
	}
}

static void ptemod_loop(void)
{
	for (unsigned i = 0; i < N; i++) {
		*nb_test_pte ^= PTE_A;
		invlpg(TEST_PAGE);
	}
}

/* One operation's loop, untimed (vtx-model=NAME); unknown names run nothing, like "none". */
static void model_run(const char *op)
{
	if (op_is(op, "syscall")) {
		user_call(user_syscalls, 0, 0x2 | EFLAGS_IF);
	} else if (op_is(op, "in")) {
		for (unsigned i = 0; i < N; i++)
			(void)inb(0x80);
	} else if (op_is(op, "cli/sti")) {
		for (unsigned i = 0; i < N; i++)
			asm volatile("cli\n\tsti" ::: "memory");
	} else if (op_is(op, "pushf/popf")) {
		for (unsigned i = 0; i < N; i++)
			asm volatile("pushfl\n\tpopfl" ::: "memory", "cc");
	} else if (op_is(op, "call/ret")) {
		for (unsigned i = 0; i < N; i++)
			empty();
	} else if (op_is(op, "pgfault")) {
		pgfault_loop();
	} else if (op_is(op, "divzero")) {
		divzero_loop();
	} else if (op_is(op, "ptemod")) {
		ptemod_loop();
	} else if (op_is(op, "cr3")) {
		for (unsigned i = 0; i < N; i++)
			write_cr3(read_cr3());
	}
	printf("nanobench model iterations %u\n", N);
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	(void)magic;
	const char *model = model_op(mbi);
	pt_identity_4m(pd, pt, PTE_P | PTE_W | PTE_U);
	nb_test_pte = pt_entry(pt, TEST_PAGE);
	paging_on((uint32_t)pd, 0);
	/* CR0.WP like a real kernel (without it, direct execution must drop every shadow
	   mapping at each entry into user code: docs/DIRECT.md) */
	write_cr0(read_cr0() | 0x10000);
	idt_set(0x80, (uint32_t)nb_iret, SEL_KCODE, 0xe, 3);
	idt_set(VEC_DE, (uint32_t)nb_de, SEL_KCODE, 0xe, 0);
	idt_set(VEC_PF, (uint32_t)nb_pf, SEL_KCODE, 0xe, 0);
	if (model) {
		model_run(model);
		return;
	}

	hz = tsc_hz_median();
	printf("nanobench tsc_hz %u%09u\n", (unsigned)(hz / 1000000000u),
	       (unsigned)(hz % 1000000000u));

	user_call(user_syscalls, 0, 0x2 | EFLAGS_IF);
	report_op("syscall", user_ticks, N);

	uint64_t t0 = rdtsc();
	for (unsigned i = 0; i < N; i++)
		(void)inb(0x80);
	report_op("in", rdtsc() - t0, N);

	t0 = rdtsc();
	for (unsigned i = 0; i < N; i++)
		asm volatile("cli\n\tsti" ::: "memory");
	report_op("cli/sti", rdtsc() - t0, N);

	t0 = rdtsc();
	for (unsigned i = 0; i < N; i++)
		asm volatile("pushfl\n\tpopfl" ::: "memory", "cc");
	report_op("pushf/popf", rdtsc() - t0, N);

	t0 = rdtsc();
	for (unsigned i = 0; i < N; i++)
		empty();
	report_op("call/ret", rdtsc() - t0, N);

	t0 = rdtsc();
	pgfault_loop();
	report_op("pgfault", rdtsc() - t0, N);

	t0 = rdtsc();
	divzero_loop();
	report_op("divzero", rdtsc() - t0, N);

	t0 = rdtsc();
	ptemod_loop();
	report_op("ptemod", rdtsc() - t0, N);

	t0 = rdtsc();
	for (unsigned i = 0; i < N; i++)
		write_cr3(read_cr3());
	report_op("cr3", rdtsc() - t0, N);
}
