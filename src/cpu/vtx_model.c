/*
 * vtx_model.c - the counting rules of the VT-x exit MODEL (vtx_model.h)
 * that need more than one increment: control-register masks, MSR
 * pass-through, string I/O batches, interrupts, and the tracking of guest
 * page tables for the no-EPT column.
 *
 * Control registers (SDM vol. 3C 25.1.3): MOV to CR0/CR4 exits when it
 * changes a bit set in the guest/host mask (the read shadow holds the
 * guest's value). The masks are KVM's: the guest owns CR0.TS and, with
 * EPT, CR0.WP; it owns CR4.PVI/DE/TSD/PCE/OSFXSR/OSXMMEXCPT and, with EPT,
 * CR4.PGE (without EPT the shadow MMU must see PGE, PSE and PAE change).
 */
#include "cpu/vtx_model.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "cpu/mem.h"
#include "cpu/paging.h"
#include "cpu/vcpu.h"

#define PT_PAGES (1u << 20)   /* 4 GiB of 4 KiB pages */

#define B(n) (1u << (n))
static const uint32_t cr0_guest_owned[VTX_NCONFIGS] = {
	[VTX_NO_EPT] = B(3),           /* TS */
	[VTX_EPT] = B(3) | B(16),      /* TS, WP */
};
static const uint32_t cr4_guest_owned[VTX_NCONFIGS] = {
	/* PVI, TSD, DE, PCE, OSFXSR, OSXMMEXCPT */
	[VTX_NO_EPT] = B(1) | B(2) | B(3) | B(8) | B(9) | B(10),
	[VTX_EPT] = B(1) | B(2) | B(3) | B(8) | B(9) | B(10) | B(7),   /* and PGE */
};

static const char *const reason_names[VTX_NREASONS] = {
	[VTX_IO] = "io", [VTX_CPUID] = "cpuid", [VTX_XSETBV] = "xsetbv", [VTX_HLT] = "hlt",
	[VTX_MSR] = "msr",
	[VTX_CR_WRITE] = "cr_write", [VTX_CR3_WRITE] = "cr3_write", [VTX_CR3_READ] = "cr3_read",
	[VTX_INVLPG] = "invlpg", [VTX_PAGE_FAULT] = "page_fault", [VTX_PT_WRITE] = "pt_write",
	[VTX_EXCEPTION] = "exception", [VTX_TASK_SWITCH] = "task_switch", [VTX_MMIO] = "mmio",
	[VTX_INTR] = "intr", [VTX_INTR_WINDOW] = "intr_window",
};

const char *vtx_reason_name(enum vtx_reason r)
{
	return (unsigned)r < VTX_NREASONS ? reason_names[r] : "?";
}

int vtx_model_enable(struct vtx_model *m)
{
	if (m->pt_state)
		return 0;
	/* anonymous memory: only the pages of the guest-physical range in use get touched */
	void *p = mmap(NULL, PT_PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	m->pt_state = p;
	return 0;
}

void vtx_model_fini(struct vtx_model *m)
{
	if (m->pt_state)
		munmap(m->pt_state, PT_PAGES);
	m->pt_state = NULL;
}

uint64_t vtx_model_total(const struct vtx_model *m, int config)
{
	uint64_t n = 0;
	for (unsigned r = 0; r < VTX_NREASONS; r++)
		n += m->exits[config][r];
	return n;
}

void vtx_on_cr_write(struct vtx_model *m, unsigned cr, uint32_t old, uint32_t val)
{
	for (int c = 0; c < VTX_NCONFIGS; c++) {
		uint32_t owned = cr == 0 ? cr0_guest_owned[c] : cr4_guest_owned[c];
		if ((old ^ val) & ~owned)
			m->exits[c][VTX_CR_WRITE]++;
	}
}

void vtx_on_msr(struct vtx_model *m, uint32_t msr, bool write)
{
	if (msr >= VTX_MSR_SYSENTER_CS && msr <= VTX_MSR_SYSENTER_EIP)
		return;
	if (msr == VTX_MSR_TSC && !write)
		return;
	vtx_count_both(m, VTX_MSR);
}

/*
 * A REP INS/OUTS exits before its first iteration (SDM vol. 3C 27.2.1:
 * the exit qualification has a REP bit) and the monitor emulates the
 * iterations: KVM moves up to one page per exit through its PIO buffer.
 * So: one exit per started 4 KiB of data, one per unrepeated instruction.
 */
void vtx_on_string_io(struct vtx_model *m, uint64_t bytes, bool rep)
{
	uint64_t n = rep ? (bytes + 4095) / 4096 : 1;
	m->exits[VTX_NO_EPT][VTX_IO] += n;
	m->exits[VTX_EPT][VTX_IO] += n;
}

/*
 * An interrupt raised while the guest runs kicks the vCPU out (one exit);
 * one that finds it halted costs nothing more (HLT already exited). If it
 * had to wait for IF=1 (or the end of an STI/MOV SS shadow), the monitor
 * armed interrupt-window exiting: one more exit when the window opened.
 */
void vtx_on_intr(struct vtx_model *m, bool halted)
{
	if (!halted)
		vtx_count_both(m, VTX_INTR);
	if (m->window_wanted)
		vtx_count_both(m, VTX_INTR_WINDOW);
	m->window_wanted = false;
}

static void track(struct vcpu *v, uint64_t paddr)
{
	if (paddr >= (1ull << 32))
		return;
	uint8_t *st = &v->vtx.pt_state[paddr >> 12];
	if (!*st)
		tlb_protect_code(v, (uint32_t)paddr & ~0xfffu);   /* drop write tags of its mappings */
	*st = 1;
}

void vtx_on_walk(struct vcpu *v, uint32_t linear, const struct page_walk *w)
{
	const struct cpu_state *s = v->s;
	if (!v->vtx.pt_state)
		return;
	track(v, s->cr3 & ~0xfffu);   /* the page directory, or the PAE PDPT's page */
	if (s->cr4 & CR4_PAE)
		track(v, s->pdpte[linear >> 30] & 0x0000000ffffff000ull);
	track(v, w->entry_addr);      /* the table holding the leaf entry */
}

void vtx_on_phys_write(struct vtx_model *m, uint32_t paddr)
{
	if (!m->pt_state)
		return;
	uint8_t *st = &m->pt_state[paddr >> 12];
	if (!*st)
		return;
	m->exits[VTX_NO_EPT][VTX_PT_WRITE]++;
	*st = *st >= VTX_FLOOD_WRITES ? 0 : *st + 1;
}
