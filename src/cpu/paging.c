/*
 * paging.c - the IA-32 page walk (see paging.h; SDM vol. 3A 4.3, 4.4, 4.6).
 *
 * Rights combine over the levels: the access is a user access if CPL 3
 * made it; a user access needs U/S=1 in every entry; a write needs R/W=1
 * in every entry unless it is a supervisor write with CR0.WP=0. Entries
 * are read and updated through the physical map, so page tables in ROM or
 * MMIO behave as the hardware would (writes to ROM are dropped).
 */
#include "cpu/paging.h"

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)

/* MAXPHYADDR 36, no NX: bits 63:36 reserved in PAE entries. */
#define PAE_RSVD_HIGH 0xfffffff000000000ull
#define PAE_ADDR_4K   0x0000000ffffff000ull
#define PAE_ADDR_2M   0x0000000fffe00000ull
#define PAE_2M_RSVD   0x00000000001fe000ull   /* bits 20:13 of a 2 MiB PDE */
#define PDPTE_RSVD    (PAE_RSVD_HIGH | 0x1e6ull)

struct rights {
	bool user, write;
};

static uint64_t read_entry(struct physmap *phys, uint64_t addr, bool pae)
{
	uint64_t lo = physmap_read(phys, addr, 4);
	if (!pae)
		return lo;
	return lo | (uint64_t)physmap_read(phys, addr + 4, 4) << 32;
}

static void set_bits(struct physmap *phys, uint64_t addr, uint64_t entry, uint64_t bits)
{
	if ((entry & bits) != bits)
		physmap_write(phys, addr, (uint32_t)(entry | bits), 4);
}

static void combine(struct rights *r, uint64_t entry)
{
	r->user = r->user && (entry & PTE_US);
	r->write = r->write && (entry & PTE_RW);
}

/* Checks the combined rights; returns the error code or 0 if allowed. */
static uint32_t check(const struct cpu_state *cpu, const struct rights *r, unsigned access)
{
	bool user = access & PF_USER;
	if (user && !r->user)
		return PF_P | (access & (PF_WRITE | PF_USER));
	if ((access & PF_WRITE) && !r->write && (user || (cpu->cr0 & CR0_WP)))
		return PF_P | (access & (PF_WRITE | PF_USER));
	return 0;
}

static void finish(const struct cpu_state *cpu, const struct rights *r, unsigned access,
		   struct page_walk *out)
{
	out->user = r->user;
	out->writable = r->write || (!(access & PF_USER) && !(cpu->cr0 & CR0_WP));
}

static int fault(uint32_t *error_code, uint32_t code, unsigned access)
{
	*error_code = code | (access & (PF_WRITE | PF_USER));
	return -1;
}

/*
 * The last step of every walk: check the combined rights, set A on the
 * parent entry (if any) and A (+ D for writes) on the leaf, and describe
 * the page. paddr is the translated address, size the page size.
 */
static int leaf(struct physmap *phys, const struct cpu_state *cpu, const struct rights *r,
		unsigned access, uint64_t addr, uint64_t entry, const uint64_t parent[2],
		uint64_t paddr, uint32_t size, struct page_walk *out, uint32_t *error_code)
{
	uint32_t code = check(cpu, r, access);
	if (code)
		return fault(error_code, code, access);
	if (parent)
		set_bits(phys, parent[0], parent[1], PTE_A);
	set_bits(phys, addr, entry, PTE_A | ((access & PF_WRITE) ? PTE_D : 0));
	out->paddr = paddr;
	out->page_size = size;
	out->global = entry & PTE_G;
	out->dirty = (entry & PTE_D) || (access & PF_WRITE);
	out->entry_addr = addr;
	finish(cpu, r, access, out);
	return 0;
}

static int walk_32(struct physmap *phys, const struct cpu_state *cpu, uint32_t linear,
		   unsigned access, struct page_walk *out, uint32_t *error_code)
{
	struct rights r = { true, true };
	uint64_t pde_addr = (cpu->cr3 & 0xfffff000u) + ((linear >> 22) << 2);
	uint64_t pde = read_entry(phys, pde_addr, false);
	if (!(pde & PTE_P))
		return fault(error_code, 0, access);
	combine(&r, pde);
	if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE))
		return leaf(phys, cpu, &r, access, pde_addr, pde, NULL,
			    (pde & 0xffc00000u) | (linear & 0x3fffffu), 4u << 20, out, error_code);
	uint64_t pte_addr = (pde & 0xfffff000u) + (((linear >> 12) & 0x3ff) << 2);
	uint64_t pte = read_entry(phys, pte_addr, false);
	if (!(pte & PTE_P))
		return fault(error_code, 0, access);
	combine(&r, pte);
	const uint64_t parent[2] = { pde_addr, pde };
	return leaf(phys, cpu, &r, access, pte_addr, pte, parent,
		    (pte & 0xfffff000u) | (linear & 0xfff), 4096, out, error_code);
}

static int walk_pae(struct physmap *phys, const struct cpu_state *cpu, uint32_t linear,
		    unsigned access, struct page_walk *out, uint32_t *error_code)
{
	struct rights r = { true, true };
	uint64_t pdpte = cpu->pdpte[linear >> 30];
	if (!(pdpte & PTE_P))
		return fault(error_code, 0, access);
	/* PDPTEs carry no R/W or U/S in PAE mode; reserved bits were checked on load. */
	uint64_t pde_addr = (pdpte & PAE_ADDR_4K) + (((linear >> 21) & 0x1ff) << 3);
	uint64_t pde = read_entry(phys, pde_addr, true);
	if (!(pde & PTE_P))
		return fault(error_code, 0, access);
	if ((pde & PAE_RSVD_HIGH) || ((pde & PTE_PS) && (pde & PAE_2M_RSVD)))
		return fault(error_code, PF_P | PF_RSVD, access);
	combine(&r, pde);
	if (pde & PTE_PS)
		return leaf(phys, cpu, &r, access, pde_addr, pde, NULL,
			    (pde & PAE_ADDR_2M) | (linear & 0x1fffffu), 2u << 20, out, error_code);
	uint64_t pte_addr = (pde & PAE_ADDR_4K) + (((linear >> 12) & 0x1ff) << 3);
	uint64_t pte = read_entry(phys, pte_addr, true);
	if (!(pte & PTE_P))
		return fault(error_code, 0, access);
	if (pte & PAE_RSVD_HIGH)
		return fault(error_code, PF_P | PF_RSVD, access);
	combine(&r, pte);
	const uint64_t parent[2] = { pde_addr, pde };
	return leaf(phys, cpu, &r, access, pte_addr, pte, parent,
		    (pte & PAE_ADDR_4K) | (linear & 0xfff), 4096, out, error_code);
}

int paging_walk(struct physmap *phys, const struct cpu_state *cpu, uint32_t linear,
		unsigned access, struct page_walk *out, uint32_t *error_code)
{
	if (!paging_enabled(cpu)) {
		*out = (struct page_walk){ .paddr = linear, .page_size = 4096, .writable = true,
					   .user = true, .global = false, .dirty = true,
					   .entry_addr = 0 };
		return 0;
	}
	if (cpu->cr4 & CR4_PAE)
		return walk_pae(phys, cpu, linear, access, out, error_code);
	return walk_32(phys, cpu, linear, access, out, error_code);
}

uint64_t paging_user_boundary(struct physmap *phys, const struct cpu_state *cpu)
{
	if (!paging_enabled(cpu))
		return 1ull << 32;
	if (!(cpu->cr4 & CR4_PAE)) {
		for (uint32_t i = 0; i < 1024; i++) {
			uint64_t pde = read_entry(phys, (cpu->cr3 & 0xfffff000u) + 4 * i, false);
			if ((pde & PTE_P) && !(pde & PTE_US))
				return (uint64_t)i << 22;
		}
		return 1ull << 32;
	}
	for (uint32_t d = 0; d < 4; d++) {
		if (!(cpu->pdpte[d] & PTE_P))
			continue;
		for (uint32_t i = 0; i < 512; i++) {
			uint64_t pde = read_entry(phys, (cpu->pdpte[d] & PAE_ADDR_4K) + 8 * i, true);
			if ((pde & PTE_P) && !(pde & PTE_US))
				return (uint64_t)d << 30 | (uint64_t)i << 21;
		}
	}
	return 1ull << 32;
}

int paging_load_pdptes(struct physmap *phys, struct cpu_state *cpu)
{
	uint64_t base = cpu->cr3 & 0xffffffe0u;
	uint64_t e[4];
	for (int i = 0; i < 4; i++) {
		e[i] = read_entry(phys, base + 8 * i, true);
		if ((e[i] & PTE_P) && (e[i] & PDPTE_RSVD))
			return -1;
	}
	for (int i = 0; i < 4; i++)
		cpu->pdpte[i] = e[i];
	return 0;
}
