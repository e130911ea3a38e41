/*
 * test_paging.c - the page walk: 32-bit paging (4K, 4M), PAE (4K, 2M),
 * rights over levels with CR0.WP, A/D bits, #PF error codes, reserved
 * bits, PDPTE loading.
 */
#include <check.h>
#include <string.h>

#include "cpu/paging.h"

static struct guest_ram ram;
static struct physmap phys;
static struct cpu_state cpu;

#define PD   0x10000u
#define PT   0x11000u
#define PDPT 0x12000u
#define PAE_PD 0x13000u
#define PAE_PT 0x14000u

static void setup(void)
{
	char err[128];
	ck_assert_int_eq(guest_ram_create(&ram, 64u << 20, err, sizeof(err)), 0);
	physmap_init(&phys, &ram);
	ck_assert_int_eq(physmap_add_ram(&phys, 0, 64u << 20, 0, false, "ram"), 0);
	cpu_state_reset(&cpu);
	cpu_state_flat32(&cpu, 0, 0x10, 0x18);
}

static void teardown(void)
{
	guest_ram_destroy(&ram);
}

static void put32(uint32_t addr, uint32_t v) { physmap_write(&phys, addr, v, 4); }
static uint32_t get32(uint32_t addr) { return physmap_read(&phys, addr, 4); }
static void put64(uint32_t addr, uint64_t v) { put32(addr, (uint32_t)v); put32(addr + 4, (uint32_t)(v >> 32)); }
static uint64_t get64(uint32_t addr) { return get32(addr) | (uint64_t)get32(addr + 4) << 32; }

static void enable_32(void)
{
	cpu.cr3 = PD;
	cpu.cr4 = CR4_PSE;
	cpu.cr0 |= CR0_PG;
}

START_TEST(paging_off_is_identity)
{
	struct page_walk w;
	uint32_t err;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x12345678, PF_WRITE | PF_USER, &w, &err), 0);
	ck_assert_uint_eq(w.paddr, 0x12345678);
	ck_assert(w.writable && w.user);
}
END_TEST

START_TEST(walk_32bit_4k_sets_accessed_and_dirty)
{
	enable_32();
	put32(PD + 4 * 1, PT | 0x7);                 /* 0x00400000-0x007fffff -> PT, U/W/P */
	put32(PT + 4 * 5, 0x00200000 | 0x7);         /* 0x00405000 -> 0x00200000 */
	struct page_walk w;
	uint32_t err;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00405abc, 0, &w, &err), 0);
	ck_assert_uint_eq(w.paddr, 0x00200abc);
	ck_assert_uint_eq(w.page_size, 4096);
	ck_assert_uint_eq(w.entry_addr, PT + 20);               /* the PTE used */
	ck_assert_uint_eq(get32(PD + 4) & 0x60, 0x20);          /* PDE: A, never D */
	ck_assert_uint_eq(get32(PT + 20) & 0x60, 0x20);         /* PTE: A only after a read */
	ck_assert(!w.dirty);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00405abc, PF_WRITE, &w, &err), 0);
	ck_assert_uint_eq(get32(PT + 20) & 0x60, 0x60);         /* A and D */
	ck_assert_uint_eq(get32(PD + 4) & 0x40, 0);
	ck_assert(w.dirty);
}
END_TEST

START_TEST(walk_32bit_4m_page_needs_pse)
{
	enable_32();
	put32(PD + 4 * 2, 0x01000000 | 0x83);        /* 4M page at 16M, supervisor, RW */
	struct page_walk w;
	uint32_t err;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00812345, PF_WRITE, &w, &err), 0);
	ck_assert_uint_eq(w.paddr, 0x01012345);
	ck_assert_uint_eq(w.page_size, 4u << 20);
	ck_assert_uint_eq(w.entry_addr, PD + 8);                /* the PDE is the leaf */
	ck_assert_uint_eq(get32(PD + 8) & 0x60, 0x60);
	/* Without CR4.PSE the PS bit is ignored: the entry points to a page table. */
	cpu.cr4 = 0;
	put32(0x01000000 + 4 * 0x12, 0x00300000 | 0x3);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00812345, 0, &w, &err), 0);
	ck_assert_uint_eq(w.paddr, 0x00300345);
}
END_TEST

START_TEST(not_present_error_codes)
{
	enable_32();
	struct page_walk w;
	uint32_t err;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00c00000, 0, &w, &err), -1);
	ck_assert_uint_eq(err, 0);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00c00000, PF_WRITE | PF_USER, &w, &err), -1);
	ck_assert_uint_eq(err, PF_WRITE | PF_USER);
	put32(PD + 4 * 3, PT | 0x7);
	put32(PT + 4 * 9, 0);                        /* PTE not present */
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00c09000, PF_USER, &w, &err), -1);
	ck_assert_uint_eq(err, PF_USER);
	ck_assert_uint_eq(get32(PD + 12) & 0x20, 0);            /* no A on a failed walk */
}
END_TEST

START_TEST(rights_combine_over_levels_with_wp)
{
	enable_32();
	put32(PD + 4 * 1, PT | 0x5);                 /* PDE: user, read-only */
	put32(PT + 4 * 0, 0x00200000 | 0x7);         /* PTE: user, writable */
	put32(PD + 4 * 2, (PT + 0x1000) | 0x3);       /* PDE: supervisor, writable */
	put32(PT + 0x1000, 0x00300000 | 0x7);
	struct page_walk w;
	uint32_t err;
	/* user read OK; user write faults: P|W|U = 7 */
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00400000, PF_USER, &w, &err), 0);
	ck_assert(!w.writable && w.user);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00400000, PF_USER | PF_WRITE, &w, &err), -1);
	ck_assert_uint_eq(err, 7);
	/* supervisor write to the read-only page: allowed with WP=0, #PF(3) with WP=1 */
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00400000, PF_WRITE, &w, &err), 0);
	ck_assert(w.writable);
	cpu.cr0 |= CR0_WP;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00400000, PF_WRITE, &w, &err), -1);
	ck_assert_uint_eq(err, 3);
	/* user access to a supervisor PDE: #PF(5) for a read */
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00800000, PF_USER, &w, &err), -1);
	ck_assert_uint_eq(err, 5);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00800000, 0, &w, &err), 0);
	ck_assert(!w.user);
}
END_TEST

static void enable_pae(void)
{
	put64(PDPT + 8 * 0, PAE_PD | 1);
	cpu.cr3 = PDPT;
	cpu.cr4 = CR4_PAE;
	cpu.cr0 |= CR0_PG;
	ck_assert_int_eq(paging_load_pdptes(&phys, &cpu), 0);
}

START_TEST(walk_pae_4k_and_2m)
{
	enable_pae();
	put64(PAE_PD + 8 * 1, PAE_PT | 0x7);         /* 0x00200000-0x003fffff */
	put64(PAE_PT + 8 * 3, 0x00500000 | 0x7);     /* 0x00203000 -> 0x00500000 */
	put64(PAE_PD + 8 * 2, 0x00800000 | 0x83);    /* 2M page 0x00400000 -> 0x00800000 */
	struct page_walk w;
	uint32_t err;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00203123, PF_WRITE, &w, &err), 0);
	ck_assert_uint_eq(w.paddr, 0x00500123);
	ck_assert_uint_eq(w.entry_addr, PAE_PT + 24);
	ck_assert_uint_eq(get64(PAE_PT + 24) & 0x60, 0x60);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00456789, 0, &w, &err), 0);
	ck_assert_uint_eq(w.paddr, 0x00856789);
	ck_assert_uint_eq(w.page_size, 2u << 20);
	ck_assert_uint_eq(get64(PAE_PD + 16) & 0x60, 0x20);
	/* PDPTE 1 not present */
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x40000000, 0, &w, &err), -1);
	ck_assert_uint_eq(err, 0);
}
END_TEST

START_TEST(pae_reserved_bits)
{
	enable_pae();
	put64(PAE_PD + 8 * 1, PAE_PT | 0x7);
	put64(PAE_PT + 8 * 0, 0x8000000000500007ull);   /* bit 63 (XD) reserved without NX */
	put64(PAE_PD + 8 * 2, 0x00802000 | 0x83);       /* 2M PDE with bit 13 set */
	struct page_walk w;
	uint32_t err;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00200000, PF_USER, &w, &err), -1);
	ck_assert_uint_eq(err, PF_P | PF_RSVD | PF_USER);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00400000, PF_WRITE, &w, &err), -1);
	ck_assert_uint_eq(err, PF_P | PF_RSVD | PF_WRITE);
	/* PDPTE with a reserved bit: the CR3 load must #GP */
	put64(PDPT + 8, 0x2000 | 1 | 0x4);
	ck_assert_int_eq(paging_load_pdptes(&phys, &cpu), -1);
	ck_assert_uint_eq(cpu.pdpte[1], 0);   /* unchanged on failure */
	put64(PDPT + 8, 0x2000 | 1);
	ck_assert_int_eq(paging_load_pdptes(&phys, &cpu), 0);
	ck_assert_uint_eq(cpu.pdpte[1], 0x2001);
}
END_TEST

START_TEST(global_bit_reported)
{
	enable_32();
	put32(PD + 4 * 1, PT | 0x7);
	put32(PT, 0x00200000 | 0x107);
	put32(PT + 4, 0x00201000 | 0x7);
	struct page_walk w;
	uint32_t err;
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00400000, 0, &w, &err), 0);
	ck_assert(w.global);
	ck_assert_int_eq(paging_walk(&phys, &cpu, 0x00401000, 0, &w, &err), 0);
	ck_assert(!w.global);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paging");
	TCase *tc = tcase_create("walk");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, paging_off_is_identity);
	tcase_add_test(tc, walk_32bit_4k_sets_accessed_and_dirty);
	tcase_add_test(tc, walk_32bit_4m_page_needs_pse);
	tcase_add_test(tc, not_present_error_codes);
	tcase_add_test(tc, rights_combine_over_levels_with_wp);
	tcase_add_test(tc, walk_pae_4k_and_2m);
	tcase_add_test(tc, pae_reserved_bits);
	tcase_add_test(tc, global_bit_reported);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
