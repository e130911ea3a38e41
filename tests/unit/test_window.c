/*
 * test_window.c - the guest window (shadow paging of engine bt): fills
 * through the guest's 32-bit and PAE tables, host pointers that read and
 * write guest RAM, #PF error codes, A/D bits, write protection of clean
 * and code pages, MMIO/ROM/A20, flushes by TLB rule, batching and the
 * VMA budget, and random operations checked for coherence (WINDOW_SEED=n
 * picks another sequence). Host faults are caught with sigsetjmp/
 * siglongjmp; the batching test lets a SIGSEGV handler fill the window as
 * engine bt will (the write bit comes from the ucontext's REG_ERR).
 *
 * Exits 77 when the window cannot be reserved (ASan build, valgrind).
 */
#define _GNU_SOURCE                     /* REG_ERR in ucontext */
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <x86intrin.h>

#include "cpu/paging.h"
#include "mmu/window.h"

static struct guest_ram ram;
static struct physmap phys;
static struct cpu_state cpu;
static struct window *win;

#define RAM_SIZE (64u << 20)
#define PD   0x10000u
#define PDPT 0x12000u
#define PT_POOL 0x20000u                  /* page tables are taken from here up */
static uint32_t next_pt;

static uint32_t mmio_read(void *o, uint32_t off, unsigned size) { return 0x5a; }
static void mmio_write(void *o, uint32_t off, uint32_t v, unsigned size) {}
static const struct io_ops vga_ops = { mmio_read, mmio_write };

/* RAM, the VGA hole (MMIO), a ROM and extended RAM, like the machine's layout. */
static int build_memory(char *err, size_t errlen)
{
	if (guest_ram_create(&ram, RAM_SIZE, err, errlen) < 0)
		return -1;
	physmap_init(&phys, &ram);
	if (physmap_add_ram(&phys, 0, 0xa0000, 0, false, "low") < 0 ||
	    physmap_add_mmio(&phys, 0xa0000, 0x20000, &vga_ops, NULL, "vga") < 0 ||
	    physmap_add_ram(&phys, 0xc0000, 0x40000, 0xc0000, true, "rom") < 0 ||
	    physmap_add_ram(&phys, 0x100000, RAM_SIZE - 0x100000, 0x100000, false, "high") < 0) {
		snprintf(err, errlen, "physmap");
		return -1;
	}
	return 0;
}

static void setup(void)
{
	char err[256];
	ck_assert_msg(build_memory(err, sizeof(err)) == 0, "%s", err);
	win = window_create(&phys, err, sizeof(err));
	ck_assert_msg(win != NULL, "%s", err);
	cpu_state_reset(&cpu);
	cpu_state_flat32(&cpu, 0, 0x10, 0x18);
	next_pt = PT_POOL;
}

static void teardown(void)
{
	window_destroy(win);
	guest_ram_destroy(&ram);
}

static void put32(uint32_t a, uint32_t v) { physmap_write(&phys, a, v, 4); }
static uint32_t get32(uint32_t a) { return physmap_read(&phys, a, 4); }
static void put64(uint32_t a, uint64_t v) { put32(a, (uint32_t)v); put32(a + 4, (uint32_t)(v >> 32)); }
static uint64_t get64(uint32_t a) { return get32(a) | (uint64_t)get32(a + 4) << 32; }

static void enable_32(void)
{
	cpu.cr3 = PD;
	cpu.cr4 = CR4_PSE;
	cpu.cr0 |= CR0_PG | CR0_WP;
}

/* Address of the PTE for linear in 32-bit paging (creates the PDE, U/W/P). */
static uint32_t pte32(uint32_t linear)
{
	uint32_t pde = get32(PD + (linear >> 22) * 4);
	if (!(pde & 1)) {
		pde = next_pt | 0x7;
		next_pt += 0x1000;
		put32(PD + (linear >> 22) * 4, pde);
	}
	return (pde & 0xfffff000u) + ((linear >> 12) & 0x3ff) * 4;
}

static void map32(uint32_t linear, uint32_t paddr, uint32_t flags)
{
	put32(pte32(linear), paddr | flags);
}

static void enable_pae(void)
{
	cpu.cr3 = PDPT;
	cpu.cr4 = CR4_PAE;
	cpu.cr0 |= CR0_PG | CR0_WP;
	for (int i = 0; i < 4; i++)
		put64(PDPT + 8 * i, (uint64_t)(0x13000 + 0x1000 * i) | 1);
	ck_assert_int_eq(paging_load_pdptes(&phys, &cpu), 0);
}

static uint32_t pte_pae(uint32_t linear)
{
	uint32_t pd = 0x13000 + 0x1000 * (linear >> 30);
	uint32_t pde_addr = pd + ((linear >> 21) & 0x1ff) * 8;
	uint64_t pde = get64(pde_addr);
	if (!(pde & 1)) {
		pde = next_pt | 0x7;
		next_pt += 0x1000;
		put64(pde_addr, pde);
	}
	return (uint32_t)(pde & 0xfffff000u) + ((linear >> 12) & 0x1ff) * 8;
}

static sigjmp_buf jump;
static struct window *auto_fill;        /* the handler fills the window, as engine bt will */
static unsigned handler_faults;
static volatile uint64_t handler_cycles;

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint64_t t0 = __rdtsc();
	if (auto_fill) {
		uint32_t pf, page;
		bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
		handler_faults++;
		enum window_result r = window_fault(auto_fill, &cpu, (uintptr_t)si->si_addr, write,
						    0, &pf, &page);
		handler_cycles += __rdtsc() - t0;
		if (r == WINDOW_MAPPED)
			return;
	}
	siglongjmp(jump, 1);
}

static void catch_segv(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
}

static bool try_read(uint32_t linear, uint32_t *out)
{
	catch_segv();
	if (sigsetjmp(jump, 1))
		return false;
	*out = *(volatile uint32_t *)(uintptr_t)linear;
	return true;
}

static bool try_write(uint32_t linear, uint32_t v)
{
	catch_segv();
	if (sigsetjmp(jump, 1))
		return false;
	*(volatile uint32_t *)(uintptr_t)linear = v;
	return true;
}

static enum window_result fault(uint64_t linear, bool write, unsigned cpl, uint32_t *pf)
{
	uint32_t dummy_pf = ~0u, page = ~0u;
	return window_fault(win, &cpu, linear, write, cpl, pf ? pf : &dummy_pf, &page);
}

static struct window_stats stats(void)
{
	struct window_stats s;
	window_get_stats(win, &s);
	return s;
}

START_TEST(paging_off_is_identity)
{
	uint32_t v;
	put32(0x300010, 0xcafef00d);
	ck_assert(!try_read(0x300010, &v));                  /* nothing mapped yet */
	ck_assert_int_eq(fault(0x300010, false, 0, NULL), WINDOW_MAPPED);
	ck_assert(try_read(0x300010, &v));
	ck_assert_uint_eq(v, 0xcafef00d);
	ck_assert(try_write(0x300010, 0x12345678));          /* paging off: dirty, writable */
	ck_assert_uint_eq(get32(0x300010), 0x12345678);
	/* Low RAM too, but not page 0 (below mmap_min_addr). */
	ck_assert_int_eq(fault(0x0, false, 0, NULL), WINDOW_EMULATE);
	ck_assert_int_eq(fault(0x7000, true, 0, NULL), WINDOW_MAPPED);
	ck_assert(try_write(0x7004, 0xabcd));
	ck_assert_uint_eq(get32(0x7004), 0xabcd);
}
END_TEST

START_TEST(mmio_rom_unbacked_and_guard)
{
	uint32_t v;
	ck_assert_int_eq(fault(0xa0000, false, 0, NULL), WINDOW_EMULATE);
	ck_assert_int_eq(fault(0xb8000, true, 0, NULL), WINDOW_EMULATE);
	ck_assert_int_eq(fault(RAM_SIZE + 0x1000, false, 0, NULL), WINDOW_EMULATE);
	ck_assert_int_eq(fault(0xfffff000u, false, 0, NULL), WINDOW_EMULATE);
	ck_assert_int_eq(fault((4ull << 30) + 0x1000, false, 0, NULL), WINDOW_EMULATE);
	ck_assert(!try_read(0xa0000, &v));
	/* ROM: readable in the window, a write is emulated (and dropped by the interpreter). */
	memcpy(ram.host + 0xc1000, "\x55\xaa\x10\x20", 4);
	ck_assert_int_eq(fault(0xc1000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert(try_read(0xc1000, &v));
	ck_assert_uint_eq(v, 0x2010aa55);
	ck_assert(!try_write(0xc1000, 0));
	ck_assert_int_eq(fault(0xc1000, true, 0, NULL), WINDOW_EMULATE);
	ck_assert_uint_eq(stats().emulate, 6);
}
END_TEST

START_TEST(map_4k_clean_page_is_read_only_until_written)
{
	enable_32();
	map32(0x00405000, 0x00200000, 0x7);
	put32(0x00200abc, 0x11223344);
	uint32_t v, pte = pte32(0x00405000);
	ck_assert_int_eq(fault(0x00405abc, false, 0, NULL), WINDOW_MAPPED);
	ck_assert_uint_eq(get32(pte) & 0x60, 0x20);         /* A, not D */
	ck_assert_uint_eq(get32(PD + 4) & 0x20, 0x20);
	ck_assert(try_read(0x00405abc, &v));
	ck_assert_uint_eq(v, 0x11223344);
	ck_assert(!try_write(0x00405abc, 1));               /* clean: read-only */
	ck_assert_int_eq(fault(0x00405abc, true, 0, NULL), WINDOW_MAPPED);
	ck_assert_uint_eq(get32(pte) & 0x60, 0x60);         /* the write set D */
	ck_assert(try_write(0x00405abc, 0x99887766));
	ck_assert_uint_eq(get32(0x00200abc), 0x99887766);   /* the window is guest RAM */
	put32(0x00200ac0, 0x42);
	ck_assert(try_read(0x00405ac0, &v));
	ck_assert_uint_eq(v, 0x42);
	/* Already dirty: a read fault maps it writable at once. */
	map32(0x00406000, 0x00201000, 0x7 | 0x60);
	ck_assert_int_eq(fault(0x00406000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert(try_write(0x00406000, 7));
	ck_assert_uint_eq(get32(0x00201000), 7);
}
END_TEST

START_TEST(guest_page_faults_have_the_cpu_error_code)
{
	enable_32();
	uint32_t pf;
	/* not present: PDE missing, then PTE missing */
	ck_assert_int_eq(fault(0x00c00000, false, 0, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, 0);
	ck_assert_int_eq(fault(0x00c00000, true, 3, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, PF_WRITE | PF_USER);
	map32(0x00401000, 0, 0);
	ck_assert_int_eq(fault(0x00401000, false, 3, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, PF_USER);
	/* supervisor page at CPL 3: protection fault with U=1 */
	map32(0x00402000, 0x00202000, 0x3);
	ck_assert_int_eq(fault(0x00402000, false, 3, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, PF_P | PF_USER);
	ck_assert_uint_eq(get32(pte32(0x00402000)) & 0x20, 0);   /* no A on a failed walk */
	ck_assert_int_eq(fault(0x00402000, false, 0, &pf), WINDOW_MAPPED);
	/* read-only page, supervisor write with CR0.WP: #PF(P|W) */
	map32(0x00403000, 0x00203000, 0x5);
	ck_assert_int_eq(fault(0x00403000, true, 0, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, PF_P | PF_WRITE);
	ck_assert_int_eq(fault(0x00403000, true, 3, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, PF_P | PF_WRITE | PF_USER);
	ck_assert_uint_eq(stats().guest_pf, 6);
	/* without CR0.WP the supervisor may write it */
	cpu.cr0 &= ~CR0_WP;
	window_flush_all(win);
	ck_assert_int_eq(fault(0x00403000, true, 0, &pf), WINDOW_MAPPED);
	ck_assert(try_write(0x00403008, 5));
	ck_assert_uint_eq(get32(0x00203008), 5);
}
END_TEST

START_TEST(large_pages_and_batching)
{
	enable_32();
	put32(PD + 4 * 2, 0x01000000 | 0x83);             /* 4M page at 8M -> 16M, supervisor */
	put32(0x01012344, 0xfeedbeef);
	put32(0x0101f000, 0x0f0f0f0f);
	uint32_t v;
	ck_assert_int_eq(fault(0x00812344, false, 0, NULL), WINDOW_MAPPED);
	ck_assert_uint_eq(get32(PD + 8) & 0x60, 0x20);
	ck_assert(try_read(0x00812344, &v));
	ck_assert_uint_eq(v, 0xfeedbeef);
	/* the 64-page slice 0x800000-0x83ffff came with it, in one mmap call */
	ck_assert(try_read(0x0081f000, &v));
	ck_assert_uint_eq(v, 0x0f0f0f0f);
	struct window_stats s = stats();
	ck_assert_uint_eq(s.pages_mapped, 64);
	ck_assert_uint_eq(s.batched, 63);
	ck_assert_uint_eq(s.syscalls, 1);
	ck_assert(!try_read(0x00840000, &v));              /* next slice: not yet */
	ck_assert(!try_write(0x00812344, 1));              /* D clear: read-only */
	ck_assert_int_eq(fault(0x00812344, true, 0, NULL), WINDOW_MAPPED);
	ck_assert(try_write(0x00812344, 2));
	ck_assert_uint_eq(get32(0x01012344), 2);
	/* 4K tables: only neighbours whose A bit is set come along */
	for (uint32_t i = 0; i < 16; i++)
		map32(0x00400000 + i * 0x1000, 0x00300000 + i * 0x1000, (i & 1) ? 0x27 : 0x7);
	s = stats();
	ck_assert_int_eq(fault(0x00404000, false, 0, NULL), WINDOW_MAPPED);
	struct window_stats t = stats();
	ck_assert_uint_eq(t.pages_mapped - s.pages_mapped, 9);   /* itself + the 8 odd ones */
	ck_assert(try_read(0x00405000, &v));
	ck_assert(!try_read(0x00406000, &v));
	ck_assert_uint_eq(get32(pte32(0x00406000)) & 0x20, 0);   /* untouched stays untouched */
}
END_TEST

START_TEST(pae_4k_and_2m)
{
	enable_pae();
	uint32_t pte = pte_pae(0x40201000);
	put64(pte, 0x00500000 | 0x7);
	put32(0x00500100, 0xabcdef01);
	uint32_t v, pf;
	ck_assert_int_eq(fault(0x40201100, true, 0, NULL), WINDOW_MAPPED);
	ck_assert_uint_eq(get64(pte) & 0x60, 0x60);
	ck_assert(try_read(0x40201100, &v));
	ck_assert_uint_eq(v, 0xabcdef01);
	ck_assert(try_write(0x40201104, 0x77));
	ck_assert_uint_eq(get32(0x00500104), 0x77);
	/* 2M page at 0x80400000 -> 0x00800000, user read-only */
	put64(0x13000 + 0x2000 + 2 * 8, 0x00800000 | 0x85);
	put32(0x00856780, 0x600d);
	ck_assert_int_eq(fault(0x80456780, false, 3, NULL), WINDOW_MAPPED);
	ck_assert(try_read(0x80456780, &v));
	ck_assert_uint_eq(v, 0x600d);
	ck_assert_int_eq(fault(0x80456780, true, 3, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, PF_P | PF_WRITE | PF_USER);
	/* reserved bit 63 without NX */
	put64(pte_pae(0x40202000), 0x8000000000500007ull);
	ck_assert_int_eq(fault(0x40202000, false, 0, &pf), WINDOW_GUEST_PF);
	ck_assert_uint_eq(pf, PF_P | PF_RSVD);
	/* physical address above 4 GiB: nothing backs it */
	put64(pte_pae(0x40203000), 0x100000000ull | 0x7);
	ck_assert_int_eq(fault(0x40203000, false, 0, NULL), WINDOW_EMULATE);
}
END_TEST

START_TEST(mmio_through_page_tables_is_emulated)
{
	enable_32();
	map32(0x000a0000, 0x000a0000, 0x3);
	map32(0x000b8000, 0x000b8000, 0x63);
	map32(0x000a1000, 0x00210000, 0x23);
	ck_assert_int_eq(fault(0x000a0000, false, 0, NULL), WINDOW_EMULATE);
	ck_assert_int_eq(fault(0x000b8000, true, 0, NULL), WINDOW_EMULATE);
	ck_assert_uint_eq(get32(pte32(0x000a0000)) & 0x20, 0x20);   /* the walk still ran */
	/* a RAM neighbour of MMIO pages maps normally */
	ck_assert_int_eq(fault(0x000a1000, false, 0, NULL), WINDOW_MAPPED);
	uint32_t v;
	ck_assert(!try_read(0x000a0000, &v));
}
END_TEST

START_TEST(code_protect_and_code_write)
{
	enable_32();
	map32(0x00405000, 0x00200000, 0x67);
	map32(0x00600000, 0x00200000, 0x67);                /* an alias of the same page */
	ck_assert_int_eq(fault(0x00405000, true, 0, NULL), WINDOW_MAPPED);
	ck_assert_int_eq(fault(0x00600000, true, 0, NULL), WINDOW_MAPPED);
	ck_assert(try_write(0x00405000, 1));
	ck_assert(try_write(0x00600004, 2));
	window_code_protect(win, 0x00200000);
	ck_assert(window_is_code(win, 0x00200000));
	ck_assert(!window_is_code(win, 0x00201000));
	uint32_t v, pf, page = 0;
	ck_assert(try_read(0x00405004, &v));                 /* still readable */
	ck_assert_uint_eq(v, 2);
	ck_assert(!try_write(0x00405000, 3));                /* both aliases read-only */
	ck_assert(!try_write(0x00600000, 3));
	ck_assert_int_eq(window_fault(win, &cpu, 0x00600010, true, 0, &pf, &page),
			 WINDOW_CODE_WRITE);
	ck_assert_uint_eq(page, 0x00200000);
	ck_assert_uint_eq(stats().code_writes, 1);
	/* new fills of a code page map read-only too */
	map32(0x00700000, 0x00200000, 0x67);
	ck_assert_int_eq(fault(0x00700000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert(!try_write(0x00700000, 3));
	/* a read-only fill of a clean alias stays read-only after unprotect */
	map32(0x00701000, 0x00200000, 0x27);
	ck_assert_int_eq(fault(0x00701000, false, 0, NULL), WINDOW_MAPPED);
	window_code_unprotect(win, 0x00200000);
	ck_assert(!window_is_code(win, 0x00200000));
	ck_assert(try_write(0x00405000, 4));                 /* writable again without a fault */
	ck_assert(try_write(0x00600000, 5));
	ck_assert(try_write(0x00700000, 6));
	ck_assert(!try_write(0x00701000, 6));                /* clean: its first write faults */
	ck_assert_uint_eq(get32(0x00200000), 6);
}
END_TEST

START_TEST(flush_nonglobal_keeps_global_pages)
{
	enable_32();
	cpu.cr4 |= CR4_PGE;
	map32(0x00405000, 0x00200000, 0x103);               /* global, far from the other */
	map32(0x00480000, 0x00201000, 0x003);
	map32(0x00481000, 0x00202000, 0x003);
	ck_assert_int_eq(fault(0x00405000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert_int_eq(fault(0x00480000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert_int_eq(fault(0x00481000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert_uint_eq(stats().mapped_now, 3);
	uint64_t calls = stats().syscalls;
	window_flush_nonglobal(win);
	ck_assert_uint_eq(stats().syscalls - calls, 1);    /* two pages, one run */
	uint32_t v;
	ck_assert(try_read(0x00405000, &v));
	ck_assert(!try_read(0x00480000, &v));
	ck_assert(!try_read(0x00481000, &v));
	ck_assert_uint_eq(stats().mapped_now, 1);
	/* without CR4.PGE the G bit means nothing */
	cpu.cr4 &= ~CR4_PGE;
	window_flush_all(win);
	ck_assert_int_eq(fault(0x00405000, false, 0, NULL), WINDOW_MAPPED);
	window_flush_nonglobal(win);
	ck_assert(!try_read(0x00405000, &v));
	ck_assert_uint_eq(stats().mapped_now, 0);
}
END_TEST

START_TEST(flush_page_and_flush_all)
{
	enable_32();
	map32(0x00405000, 0x00200000, 0x23);
	map32(0x00406000, 0x00201000, 0x23);                /* batched with the first */
	ck_assert_int_eq(fault(0x00405000, false, 0, NULL), WINDOW_MAPPED);
	uint32_t v;
	ck_assert(try_read(0x00406000, &v));
	window_flush_page(win, 0x00406123);
	ck_assert(!try_read(0x00406000, &v));
	ck_assert(try_read(0x00405000, &v));
	/* INVLPG on any address of a large page drops all its pieces */
	put32(PD + 4 * 2, 0x01000000 | 0x83);
	ck_assert_int_eq(fault(0x00800000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert_int_eq(fault(0x00bff000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert_uint_eq(stats().mapped_now, 1 + 64 + 64);
	window_flush_page(win, 0x00a00000);
	ck_assert(!try_read(0x00800000, &v));
	ck_assert(!try_read(0x00bff000, &v));
	ck_assert_uint_eq(stats().mapped_now, 1);
	window_flush_all(win);
	ck_assert(!try_read(0x00405000, &v));
	ck_assert_uint_eq(stats().mapped_now, 0);
	ck_assert_uint_eq(stats().vmas_estimate, 1);
}
END_TEST

START_TEST(a20_closed_wraps_at_1m)
{
	put32(0x5010, 0x20202020);
	physmap_set_a20(&phys, false);
	window_flush_all(win);
	ck_assert_int_eq(fault(0x105010, false, 0, NULL), WINDOW_MAPPED);
	uint32_t v;
	ck_assert(try_read(0x105010, &v));
	ck_assert_uint_eq(v, 0x20202020);
	/* A physmap change the dispatcher forgot to report is caught at the next fill. */
	physmap_set_a20(&phys, true);
	put32(0x105010, 0x21212121);
	ck_assert_int_eq(fault(0x106000, false, 0, NULL), WINDOW_MAPPED);
	ck_assert(try_read(0x105010, &v));
	ck_assert_uint_eq(v, 0x21212121);
}
END_TEST

/* Counts the window's VMAs in /proc/self/maps. */
static unsigned window_vmas_in_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned n = 0;
	ck_assert(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && s < (8ull << 30))
			n++;
	}
	fclose(f);
	return n;
}

START_TEST(vma_estimate_and_budget)
{
	enable_32();
	/* 200 scattered pages: each its own VMA, splitting the reservation */
	for (uint32_t i = 0; i < 200; i++) {
		uint32_t l = 0x01000000 + i * 0x20000;
		map32(l, 0x00400000 + i * 0x2000, 0x63);
		ck_assert_int_eq(fault(l, false, 0, NULL), WINDOW_MAPPED);
	}
	/* 16 contiguous pages: one more VMA */
	for (uint32_t i = 0; i < 16; i++)
		map32(0x03000000 + i * 0x1000, 0x00800000 + i * 0x1000, 0x63);
	for (uint32_t i = 0; i < 16; i++)
		ck_assert_int_eq(fault(0x03000000 + i * 0x1000, false, 0, NULL), WINDOW_MAPPED);
	struct window_stats s = stats();
	ck_assert_uint_eq(s.vmas_estimate, 2 * 201 + 1);
	ck_assert_uint_eq(window_vmas_in_maps(), s.vmas_estimate);
	/* Far more scattered pages than vm.max_map_count allows: the window flushes itself. */
	unsigned n = 40000;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = 0x10000000 + i * 0x2000;
		map32(l, 0x00400000 + (i % 4096) * 0x2000, 0x63);
		ck_assert_int_eq(fault(l, false, 0, NULL), WINDOW_MAPPED);
	}
	s = stats();
	ck_assert_uint_gt(s.flush_vma_limit, 0);
	ck_assert_uint_eq(window_vmas_in_maps(), s.vmas_estimate);
	printf("vma budget: %u scattered fills, %llu flushes at the limit, %llu VMAs now\n", n,
	       (unsigned long long)s.flush_vma_limit, (unsigned long long)s.vmas_estimate);
}
END_TEST

/* Touches pages [0, n) of linear base from the SIGSEGV handler; returns faults taken. */
static unsigned touch_pages(uint32_t base, unsigned n, bool write)
{
	unsigned before = handler_faults;
	auto_fill = win;
	catch_segv();
	if (sigsetjmp(jump, 1)) {
		auto_fill = NULL;
		ck_abort_msg("unexpected fault");
	}
	for (unsigned i = 0; i < n; i++) {
		volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)(base + i * 4096);
		if (write)
			*p = i;
		else
			(void)*p;
	}
	auto_fill = NULL;
	return handler_faults - before;
}

START_TEST(batching_saves_faults)
{
	enable_32();
	const unsigned n = 1024;          /* one full page table: 4 MiB */
	for (unsigned i = 0; i < n; i++)
		map32(0x00400000 + i * 4096, 0x00400000 + i * 4096, 0x3);
	handler_cycles = 0;
	unsigned first = touch_pages(0x00400000, n, false);
	uint64_t first_cyc = handler_cycles;
	window_flush_nonglobal(win);      /* a context switch: A bits are set now */
	handler_cycles = 0;
	unsigned again = touch_pages(0x00400000, n, false);
	uint64_t again_cyc = handler_cycles;
	window_flush_nonglobal(win);
	unsigned writes = touch_pages(0x00400000, n, true);  /* read fill + D per page */
	ck_assert_uint_eq(first, n);      /* first touch: nothing accessed, nothing to batch */
	ck_assert_uint_eq(again, n / 16);
	ck_assert_uint_le(writes, n + n / 16);
	ck_assert_uint_eq(get32(0x00400000 + 5 * 4096), 5);
	/* 4 MiB page: batched from the first touch */
	put32(PD + 4 * 3, 0x00c00000 | 0x83);
	unsigned large = touch_pages(0x00c00000, n, false);
	ck_assert_uint_eq(large, n / 64);
	printf("batching: %u pages, first touch %u faults (%llu cycles/fault in window_fault), "
	       "after CR3 %u faults (%llu cycles/fault), writes %u faults, 4M page %u faults\n",
	       n, first, (unsigned long long)(first_cyc / first), again,
	       (unsigned long long)(again_cyc / again), writes, large);
	/* cost of flushes */
	uint64_t t0 = __rdtsc();
	window_flush_nonglobal(win);
	uint64_t t1 = __rdtsc();
	window_flush_nonglobal(win);
	uint64_t t2 = __rdtsc();
	printf("flush_nonglobal: %llu cycles with %u pages mapped, %llu cycles with none\n",
	       (unsigned long long)(t1 - t0), 2 * n, (unsigned long long)(t2 - t1));
}
END_TEST

/*
 * Random guest behaviour that follows the TLB rules (every PTE change is
 * followed by INVLPG): whatever the window lets the host read must be the
 * page the guest's PTE maps now, and whatever it lets the host write must
 * be present, writable, dirty and not a code page.
 */
static uint32_t rnd_state = 12345;
static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

START_TEST(random_operations_keep_the_window_coherent)
{
	bool pae = _i;                                  /* loop test: 32-bit, then PAE */
	if (pae)
		enable_pae();
	else
		enable_32();
	cpu.cr4 |= CR4_PGE;
	const uint32_t base = 0x00400000, npages = 64, pool = 0x00800000, nphys = 24;
	for (uint32_t i = 0; i < nphys; i++)
		put32(pool + i * 4096, 0x7a900000 + i);        /* a tag per physical page */
	bool code[24] = { false };
	unsigned checked_rw = 0, checked_ro = 0, mapped = 0;
	for (unsigned op = 0; op < 3000; op++) {
		uint32_t i = rnd(npages), l = base + i * 4096, pte = pae ? pte_pae(l) : pte32(l);
		switch (rnd(8)) {
		case 0: case 1: {                               /* new PTE, then INVLPG */
			uint32_t f = 0x1 | (rnd(2) ? 0x2 : 0) | (rnd(2) ? 0x4 : 0) |
				     (rnd(2) ? 0x20 : 0) | (rnd(3) ? 0 : 0x40) | (rnd(5) ? 0 : 0x100);
			if (!rnd(10))
				f &= ~1u;
			put32(pte, (pool + rnd(nphys) * 4096) | f);
			window_flush_page(win, l);
			break;
		}
		case 2: case 3: case 4: {
			enum window_result r = fault(l, rnd(2), rnd(4) == 0 ? 3 : 0, NULL);
			mapped += r == WINDOW_MAPPED;
			break;
		}
		case 5: {
			uint32_t p = rnd(nphys);
			if (code[p])
				window_code_unprotect(win, pool + p * 4096);
			else
				window_code_protect(win, pool + p * 4096);
			code[p] = !code[p];
			break;
		}
		case 6:
			if (!rnd(4))
				window_flush_nonglobal(win);
			break;
		case 7: {                                       /* check one page */
			uint32_t v, e = get32(pte);
			if (!try_read(l, &v))
				break;
			ck_assert_msg(e & 1, "page %#x readable but not present", l);
			uint32_t p = (e & 0xfffff000u) - pool;
			ck_assert_uint_eq(v, 0x7a900000 + p / 4096);
			if (try_write(l, v)) {
				ck_assert_msg((e & 0x42) == 0x42, "page %#x writable, PTE %#x", l, e);
				ck_assert_msg(!code[p / 4096], "code page %#x writable at %#x",
					      pool + p, l);
				checked_rw++;
			} else {
				checked_ro++;
			}
			break;
		}
		}
	}
	ck_assert_uint_gt(checked_rw, 10);
	ck_assert_uint_gt(checked_ro, 10);
	ck_assert_uint_eq(window_vmas_in_maps(), stats().vmas_estimate);
	printf("random (%s): %u fills, %u writable and %u read-only pages checked\n",
	       pae ? "PAE" : "32-bit", mapped, checked_rw, checked_ro);
}
END_TEST

/* Something of the process in the range: the error says what and where. */
START_TEST(reservation_names_what_is_in_the_way)
{
	char err[256];
	ck_assert_int_eq(build_memory(err, sizeof(err)), 0);
	void *want = (void *)0x40000000;
	void *p = mmap(want, 0x3000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	ck_assert_ptr_eq(p, want);
	ck_assert_ptr_null(window_create(&phys, err, sizeof(err)));
	ck_assert_msg(strstr(err, "0x40000000-0x40003000 is taken") != NULL, "%s", err);
	munmap(p, 0x3000);
	struct window *w = window_create(&phys, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	/* and a second window cannot overlap the first */
	ck_assert_ptr_null(window_create(&phys, err, sizeof(err)));
	window_destroy(w);
	guest_ram_destroy(&ram);
}
END_TEST

int main(void)
{
	char err[256];
	if (getenv("WINDOW_SEED"))                      /* another random sequence */
		rnd_state = (uint32_t)strtoul(getenv("WINDOW_SEED"), NULL, 0);
	if (build_memory(err, sizeof(err)) < 0) {
		printf("%s\n", err);
		return 1;
	}
	struct window *probe = window_create(&phys, err, sizeof(err));
	if (!probe) {
		printf("skipped: %s\n", err);
		return 77;
	}
	window_destroy(probe);
	guest_ram_destroy(&ram);

	Suite *s = suite_create("window");
	TCase *tc = tcase_create("window");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, paging_off_is_identity);
	tcase_add_test(tc, mmio_rom_unbacked_and_guard);
	tcase_add_test(tc, map_4k_clean_page_is_read_only_until_written);
	tcase_add_test(tc, guest_page_faults_have_the_cpu_error_code);
	tcase_add_test(tc, large_pages_and_batching);
	tcase_add_test(tc, pae_4k_and_2m);
	tcase_add_test(tc, mmio_through_page_tables_is_emulated);
	tcase_add_test(tc, code_protect_and_code_write);
	tcase_add_test(tc, flush_nonglobal_keeps_global_pages);
	tcase_add_test(tc, flush_page_and_flush_all);
	tcase_add_test(tc, a20_closed_wraps_at_1m);
	tcase_add_test(tc, vma_estimate_and_budget);
	tcase_add_test(tc, batching_saves_faults);
	tcase_add_loop_test(tc, random_operations_keep_the_window_coherent, 0, 2);
	suite_add_tcase(s, tc);
	TCase *tr = tcase_create("reservation");
	tcase_add_test(tr, reservation_names_what_is_in_the_way);
	suite_add_tcase(s, tr);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
