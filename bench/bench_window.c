/*
 * bench_window.c - cost of the guest window (shadow paging of engine bt)
 * in host cycles (RDTSC): a fill taken the way engine bt takes it (host
 * SIGSEGV, window_fault() in the handler, retry), with and without
 * batching, the flushes (MOV CR3, INVLPG, everything) and code
 * protection, next to the raw mmap/mprotect calls they are made of.
 * docs/SHADOW_PAGING.md records what it printed.
 *
 * usage: bench_window
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <x86intrin.h>

#include "cpu/paging.h"
#include "mmu/window.h"

#define RAM_SIZE (256u << 20)
#define PD 0x10000u
#define PT_POOL 0x20000u

static struct guest_ram ram;
static struct physmap phys;
static struct cpu_state cpu;
static struct window *win;
static uint32_t next_pt = PT_POOL;
static unsigned faults;
static uint64_t handler_cycles;         /* spent inside window_fault() */

static void put32(uint32_t a, uint32_t v) { physmap_write(&phys, a, v, 4); }
static uint32_t get32(uint32_t a) { return physmap_read(&phys, a, 4); }

static void map32(uint32_t linear, uint32_t paddr, uint32_t flags)
{
	uint32_t pde = get32(PD + (linear >> 22) * 4);
	if (!(pde & 1)) {
		pde = next_pt | 0x7;
		next_pt += 0x1000;
		put32(PD + (linear >> 22) * 4, pde);
	}
	put32((pde & 0xfffff000u) + ((linear >> 12) & 0x3ff) * 4, paddr | flags);
}

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint32_t pf, page;
	faults++;
	uint64_t t0 = __rdtsc();
	enum window_result r = window_fault(win, &cpu, (uintptr_t)si->si_addr,
					    uc->uc_mcontext.gregs[REG_ERR] & 2, 0, &pf, &page);
	handler_cycles += __rdtsc() - t0;
	if (r != WINDOW_MAPPED) {
		fprintf(stderr, "unexpected window result at %p\n", si->si_addr);
		abort();
	}
}

/* Reads (or writes) one word in each of n pages from base; returns cycles. */
static uint64_t touch(uint32_t base, unsigned n, unsigned stride, bool write)
{
	uint64_t t0 = __rdtsc();
	for (unsigned i = 0; i < n; i++) {
		volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)(base + i * stride);
		if (write)
			*p = i;
		else
			(void)*p;
	}
	return __rdtsc() - t0;
}

/*
 * Results, best over REPS runs of the whole scenario (the host is shared and
 * noisy): the n-th call of line() or note() in a run is the n-th row.
 */
#define REPS 5
#define MAX_ROWS 32
static struct row {
	const char *what, *unit;
	double best;
	bool note;
} rows[MAX_ROWS];
static unsigned nrows, row;

static void line(const char *what, uint64_t cycles, unsigned per, const char *unit)
{
	struct row *r = &rows[row++];
	double v = (double)cycles / per;
	if (r->what == NULL || v < r->best)
		r->best = v;
	r->what = what;
	r->unit = unit;
	nrows = row > nrows ? row : nrows;
}

/* A line of text (its numbers do not vary between runs). */
static void note(const char *text)
{
	static char buf[MAX_ROWS][128];
	struct row *r = &rows[row];
	snprintf(buf[row], sizeof(buf[row]), "%s", text);
	r->what = buf[row];
	r->note = true;
	row++;
	nrows = row > nrows ? row : nrows;
}

static void print_rows(void)
{
	for (unsigned i = 0; i < nrows; i++) {
		if (rows[i].note)
			printf("%s\n", rows[i].what);
		else
			printf("%-58s %9.0f cycles/%s\n", rows[i].what, rows[i].best, rows[i].unit);
	}
}

static void raw_costs(void)
{
	/* the system calls a fill and a flush are made of, on a scratch range */
	const unsigned n = 2000;
	uint8_t *scratch = mmap(NULL, n * 8192ul, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t0 = __rdtsc();
	for (unsigned i = 0; i < n; i++)
		mmap(scratch + i * 8192ul, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, ram.fd, 0x400000);
	uint64_t t1 = __rdtsc();
	for (unsigned i = 0; i < n; i++)
		(void)*(volatile uint8_t *)(scratch + i * 8192ul);
	uint64_t t2 = __rdtsc();
	for (unsigned i = 0; i < n; i++)
		mprotect(scratch + i * 8192ul, 4096, PROT_READ | PROT_WRITE);
	uint64_t t3 = __rdtsc();
	for (unsigned i = 0; i < n; i++)
		mmap(scratch + i * 8192ul, 4096, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	uint64_t t4 = __rdtsc();
	munmap(scratch, n * 8192ul);
	line("raw: mmap 1 page of the memfd, MAP_FIXED", t1 - t0, n, "call");
	line("raw: first touch of such a page (kernel page-table fill)", t2 - t1, n, "page");
	line("raw: mprotect 1 page", t3 - t2, n, "call");
	line("raw: PROT_NONE over 1 populated page", t4 - t3, n, "call");
}

static void scenario(void);

int main(void)
{
	char err[256];
	if (guest_ram_create(&ram, RAM_SIZE, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	physmap_init(&phys, &ram);
	physmap_add_ram(&phys, 0, RAM_SIZE, 0, false, "ram");
	memset(ram.host, 0, RAM_SIZE);      /* a running guest's RAM is allocated: time the window */
	cpu_state_reset(&cpu);
	cpu_state_flat32(&cpu, 0, 0x10, 0x18);
	cpu.cr3 = PD;
	cpu.cr4 = CR4_PSE | CR4_PGE;
	cpu.cr0 |= CR0_PG | CR0_WP;

	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);

	for (unsigned rep = 0; rep < REPS; rep++) {
		win = window_create(&phys, err, sizeof(err));
		if (!win) {
			fprintf(stderr, "%s\n", err);
			return 77;
		}
		row = 0;
		scenario();
		window_destroy(win);
	}
	print_rows();
	guest_ram_destroy(&ram);
	return 0;
}

/* One run: fresh window, guest tables rewritten (A and D bits clear again). */
static void scenario(void)
{
	char text[128];
	raw_costs();

	/* 16 MiB of 4 KiB pages at linear 0x10000000 -> physical 0x01000000, clean. */
	const unsigned n = 4096;
	for (unsigned i = 0; i < n; i++)
		map32(0x10000000 + i * 4096, 0x01000000 + i * 4096, 0x3);
	faults = 0;
	handler_cycles = 0;
	uint64_t c = touch(0x10000000, n, 4096, false);
	snprintf(text, sizeof(text),
		 "4K pages, first read (A clear, no batching): %u faults for %u pages",
		 faults, n);
	note(text);
	line("  fill (SIGSEGV + window_fault + retry)", c, faults, "fault");
	line("  of which in window_fault (walk, books, mmap)", handler_cycles, faults, "fault");
	window_flush_nonglobal(win);
	faults = 0;
	c = touch(0x10000000, n, 4096, false);
	snprintf(text, sizeof(text),
		 "4K pages, read after MOV CR3 (A set, batched): %u faults for %u pages",
		 faults, n);
	note(text);
	line("  batched fill", c, faults, "fault");
	line("  batched fill", c, n, "page");
	faults = 0;
	c = touch(0x10000000, n, 4096, true);
	snprintf(text, sizeof(text),
		 "4K pages, first write to read-mapped clean pages: %u faults",
		 faults);
	note(text);
	line("  D-bit fault (walk + mprotect)", c, faults, "fault");
	uint64_t t0 = __rdtsc();
	window_flush_nonglobal(win);
	line("flush_nonglobal, 4096 contiguous pages mapped", __rdtsc() - t0, 1, "flush");

	/* 4 MiB pages: batched from the first touch */
	for (unsigned i = 0; i < 4; i++)
		put32(PD + (0x20000000u >> 22) * 4 + i * 4, (0x02000000 + (i << 22)) | 0x1e3);
	faults = 0;
	c = touch(0x20000000, n, 4096, false);
	snprintf(text, sizeof(text),
		 "4M pages (dirty, global), first read: %u faults for %u pages",
		 faults, n);
	note(text);
	line("  batched fill", c, faults, "fault");
	line("  batched fill", c, n, "page");

	/* a Linux-like process: 64 scattered user pages, the kernel's pages global */
	const unsigned m = 64;
	for (unsigned i = 0; i < m; i++)
		map32(0x40000000 + i * 0x1000000, 0x00400000 + i * 0x1000, 0x67);
	uint64_t flush = 0, refill = 0;
	const unsigned reps = 200;
	for (unsigned r = 0; r < reps; r++) {
		faults = 0;
		uint64_t t = __rdtsc();
		touch(0x40000000, m, 0x1000000, false);
		refill += __rdtsc() - t;
		t = __rdtsc();
		window_flush_nonglobal(win);
		flush += __rdtsc() - t;
	}
	snprintf(text, sizeof(text),
		 "context switch: %u scattered user pages, 4096 global kernel pages kept",
		 m);
	note(text);
	line("  flush_nonglobal", flush, reps, "flush");
	line("  refill", refill, reps * m, "page");
	t0 = __rdtsc();
	for (unsigned r = 0; r < 1000; r++)
		window_flush_nonglobal(win);
	line("flush_nonglobal with nothing non-global mapped", __rdtsc() - t0, 1000, "flush");

	/* INVLPG of a mapped 4K page */
	touch(0x10000000, n, 4096, false);
	t0 = __rdtsc();
	for (unsigned i = 0; i < 1024; i++)
		window_flush_page(win, 0x10000000 + i * 4096);
	line("flush_page (INVLPG) of a mapped 4K page", __rdtsc() - t0, 1024, "page");

	/* code protection of a page mapped writable once */
	map32(0x30000000, 0x03000000, 0x67);
	touch(0x30000000, 1, 4096, true);
	t0 = __rdtsc();
	for (unsigned i = 0; i < 1000; i++) {
		window_code_protect(win, 0x03000000);
		window_code_unprotect(win, 0x03000000);
	}
	line("code_protect + code_unprotect, one writable mapping", __rdtsc() - t0, 1000, "pair");

	touch(0x10000000, n, 4096, false);
	struct window_stats s;
	window_get_stats(win, &s);
	t0 = __rdtsc();
	window_flush_all(win);
	snprintf(text, sizeof(text),
		 "flush_all with %llu pages mapped",
		 (unsigned long long)s.mapped_now);
	note(text);
	line("  flush_all", __rdtsc() - t0, 1, "flush");
	window_get_stats(win, &s);
	snprintf(text, sizeof(text), "stats of one run: fills %llu, pages %llu (batched %llu), "
		 "syscalls %llu", (unsigned long long)s.fills, (unsigned long long)s.pages_mapped,
		 (unsigned long long)s.batched, (unsigned long long)s.syscalls);
	note(text);
}
