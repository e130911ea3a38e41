/*
 * vtx_model.h - a MODEL, not a measurement: the VM exits a VT-x monitor
 * would take on the workload the interpreter runs, counted twice, for a
 * monitor without nested paging (shadow page tables) and for one with EPT.
 *
 * The interpreter's slow paths call the vtx_on_* hooks below (port I/O,
 * CPUID, HLT, MSRs, control registers, INVLPG, task switches, exceptions,
 * MMIO, interrupt delivery, writes to guest page tables). What exits in
 * which configuration follows the SDM (vol. 3C ch. 25 "VMX non-root
 * operation", 25.1.3 "Instructions That Cause VM Exits Conditionally")
 * with the controls a typical KVM sets; docs/VTX_MODEL.md gives every
 * decision. vmm/stats_vtx.c prices the counts with published exit costs.
 *
 * Guest page tables without EPT: a shadow-paging monitor write-protects
 * the guest pages its shadow tables were built from. The soft TLB's walk
 * (cpu/mem.c translate) marks the page-table pages it reads in pt_state;
 * such pages never get a write tag in the TLB, so every write to them
 * takes the slow path, where it is counted. A page written
 * VTX_FLOOD_WRITES times without a walk using it in between stops being
 * tracked (a monitor drops the shadow of a page that is being reused for
 * data; KVM's "write flooding" heuristic) until a walk uses it again.
 *
 * Example: `out 0x80, al` counts one VTX_IO exit in both columns; `mov
 * cr3, eax` one VTX_CR3_WRITE in the no-EPT column only.
 */
#ifndef SOFTVT_CPU_VTX_MODEL_H
#define SOFTVT_CPU_VTX_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum vtx_reason {
	VTX_IO,            /* IN/OUT, INS/OUTS (unconditional I/O exiting) */
	VTX_CPUID,         /* unconditional */
	VTX_XSETBV,        /* unconditional (at CPL 0) */
	VTX_HLT,           /* HLT exiting */
	VTX_MSR,           /* RDMSR/WRMSR outside the pass-through MSRs */
	VTX_CR_WRITE,      /* MOV to CR0/CR4, LMSW changing a host-owned bit */
	VTX_CR3_WRITE,     /* no EPT: CR3-load exiting */
	VTX_CR3_READ,      /* no EPT: CR3-store exiting */
	VTX_INVLPG,        /* no EPT: INVLPG exiting */
	VTX_PAGE_FAULT,    /* no EPT: #PF in the exception bitmap */
	VTX_PT_WRITE,      /* no EPT: a write to a write-protected guest page table */
	VTX_EXCEPTION,     /* #UD (intercepted by KVM in both configurations) */
	VTX_TASK_SWITCH,   /* unconditional */
	VTX_MMIO,          /* EPT violation/misconfig; without EPT a #PF on a non-present shadow PTE */
	VTX_INTR,          /* an interrupt that interrupts a running guest (the kick) */
	VTX_INTR_WINDOW,   /* interrupt-window exit: it had to wait for IF=1 */
	VTX_NREASONS
};

enum { VTX_NO_EPT, VTX_EPT, VTX_NCONFIGS };

#define VTX_FLOOD_WRITES 3

/* MSRs a KVM VMX guest reads and writes without exits (its MSR bitmap):
 * IA32_SYSENTER_CS/ESP/EIP; reads of IA32_TIME_STAMP_COUNTER. */
#define VTX_MSR_TSC 0x10u
#define VTX_MSR_SYSENTER_CS 0x174u
#define VTX_MSR_SYSENTER_EIP 0x176u

struct vtx_model {
	uint64_t exits[VTX_NCONFIGS][VTX_NREASONS];
	/* per guest-physical 4 KiB page below 4 GiB: 0 not a tracked page
	 * table, 1 + the writes since a walk last used it; NULL: page-table
	 * writes are not tracked (the engine did not enable the model) */
	uint8_t *pt_state;
	bool window_wanted;   /* an interrupt was pending while IF=0 or in a shadow */
};

struct vcpu;
struct page_walk;

/* Allocates the page-table tracking (1 MiB of lazily zeroed memory); -1 if out of memory. */
int vtx_model_enable(struct vtx_model *m);
void vtx_model_fini(struct vtx_model *m);
/* Sum of one configuration's exits. */
uint64_t vtx_model_total(const struct vtx_model *m, int config);
/* Short name of a reason ("io", "cr3_write"...). */
const char *vtx_reason_name(enum vtx_reason r);

/* MOV to CR0/CR4 and LMSW: counts by the guest/host masks of each configuration. */
void vtx_on_cr_write(struct vtx_model *m, unsigned cr, uint32_t old, uint32_t val);
void vtx_on_msr(struct vtx_model *m, uint32_t msr, bool write);
/* REP INS/OUTS: `bytes` moved by one batch of iterations. */
void vtx_on_string_io(struct vtx_model *m, uint64_t bytes, bool rep);
/* An external interrupt delivered; halted: the vCPU was in HLT (already out). */
void vtx_on_intr(struct vtx_model *m, bool halted);
/* translate() walked linear with paging on: marks the page-table pages it read. */
void vtx_on_walk(struct vcpu *v, uint32_t linear, const struct page_walk *w);
/* A slow-path write to guest-physical paddr (the TLB gives tracked pages no write tag). */
void vtx_on_phys_write(struct vtx_model *m, uint32_t paddr);

static inline bool vtx_pt_tracked(const struct vtx_model *m, uint32_t paddr)
{
	return m->pt_state && m->pt_state[paddr >> 12];
}

static inline void vtx_count_both(struct vtx_model *m, enum vtx_reason r)
{
	m->exits[VTX_NO_EPT][r]++;
	m->exits[VTX_EPT][r]++;
}

static inline void vtx_count_no_ept(struct vtx_model *m, enum vtx_reason r)
{
	m->exits[VTX_NO_EPT][r]++;
}

#endif
