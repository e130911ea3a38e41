/*
 * cpu_state.h - the architectural IA-32 vCPU state shared by every engine.
 *
 * This struct is the source of truth between engine runs: an engine imports
 * it before it runs guest code and exports it at every exit, so engines can
 * be swapped and compared instruction by instruction. It holds what the
 * Intel SDM (vol. 3A ch. 2-3) calls the architectural state: general
 * registers, EIP, EFLAGS, segment registers with their hidden descriptor
 * caches, control/debug registers, descriptor-table registers, the MSRs the
 * virtual CPU model implements (cpu/cpu_model.h) and the x87/SSE state in
 * FXSAVE layout (SDM vol. 1 10.5.1), plus the few bits of non-register state
 * that survive between instructions (halted, interrupt shadow).
 *
 * Segment caches hold the descriptor as loaded: base, limit expanded to
 * bytes (G applied), and the attribute bits of the descriptor's high dword
 * 8..23 (type, S, DPL, P, AVL, L, D/B, G) in `attr`, the same packing as
 * VMX access rights and KVM's segment flags derive from.
 */
#ifndef SOFTVT_CPU_CPU_STATE_H
#define SOFTVT_CPU_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum gpr { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum seg_reg { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NSEG };

/* EFLAGS (SDM vol. 1 3.4.3) */
#define EFL_CF   (1u << 0)
#define EFL_FIXED1 (1u << 1)
#define EFL_PF   (1u << 2)
#define EFL_AF   (1u << 4)
#define EFL_ZF   (1u << 6)
#define EFL_SF   (1u << 7)
#define EFL_TF   (1u << 8)
#define EFL_IF   (1u << 9)
#define EFL_DF   (1u << 10)
#define EFL_OF   (1u << 11)
#define EFL_IOPL (3u << 12)
#define EFL_NT   (1u << 14)
#define EFL_RF   (1u << 16)
#define EFL_VM   (1u << 17)
#define EFL_AC   (1u << 18)
#define EFL_VIF  (1u << 19)
#define EFL_VIP  (1u << 20)
#define EFL_ID   (1u << 21)

/* CR0 (SDM vol. 3A 2.5) */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)

/* CR4 */
#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE  (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_MCE (1u << 6)
#define CR4_PGE (1u << 7)
#define CR4_PCE (1u << 8)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE (1u << 18)

/* Segment attribute bits in seg_cache.attr (descriptor high dword >> 8) */
#define SEG_TYPE_MASK 0x000fu
#define SEG_S    (1u << 4)      /* code/data (1) or system (0) */
#define SEG_DPL_SHIFT 5
#define SEG_DPL_MASK (3u << 5)
#define SEG_P    (1u << 7)
#define SEG_AVL  (1u << 12)
#define SEG_L    (1u << 13)
#define SEG_DB   (1u << 14)
#define SEG_G    (1u << 15)

struct seg_cache {
	uint16_t sel;
	uint32_t base;
	uint32_t limit;   /* in bytes, granularity already applied */
	uint16_t attr;
};

struct dtable {
	uint32_t base;
	uint16_t limit;
};

/* x87 + SSE state, FXSAVE layout (512 bytes). */
struct fpu_state {
	uint16_t fcw, fsw;
	uint8_t ftw;            /* abridged tag word, as FXSAVE stores it */
	uint8_t reserved1;
	uint16_t fop;
	uint32_t fip;
	uint16_t fcs, reserved2;
	uint32_t fdp;
	uint16_t fds, reserved3;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16];      /* ST0-ST7 / MM0-MM7, 80 bits each in 16 */
	uint8_t xmm[8][16];
	uint8_t reserved4[224];
} __attribute__((aligned(16)));

/* MSRs of the virtual CPU model (cpu/cpu_model.c documents each) */
#define MSR_IA32_TSC           0x010
#define MSR_IA32_PLATFORM_ID   0x017
#define MSR_IA32_BIOS_SIGN_ID  0x08b
#define MSR_IA32_SYSENTER_CS   0x174
#define MSR_IA32_SYSENTER_ESP  0x175
#define MSR_IA32_SYSENTER_EIP  0x176
#define MSR_IA32_MISC_ENABLE   0x1a0
#define MSR_IA32_ARCH_CAPABILITIES 0x10a

struct cpu_state {
	uint32_t gpr[8];
	uint32_t eip;
	uint32_t eflags;
	struct seg_cache seg[S_NSEG];
	struct seg_cache ldtr, tr;
	struct dtable gdtr, idtr;
	uint32_t cr0, cr2, cr3, cr4;
	uint64_t pdpte[4];      /* PAE: loaded from CR3 when it is written (SDM 4.4.1) */
	uint32_t dr[8];         /* DR4/DR5 alias DR6/DR7; kept for layout simplicity */
	uint64_t tsc_offset;    /* guest TSC = host-derived count + offset */
	uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t misc_enable;
	struct fpu_state fpu;
	uint64_t xcr0;          /* XSETBV's register 0 (1 after reset); components >= 2
				   live in the bus's xstate area (cpu/vcpu.h) */
	bool halted;            /* HLT executed, waiting for an interrupt */
	bool int_shadow;        /* STI / MOV SS blocks interrupts for one instruction */
	bool nmi_blocked;       /* inside an NMI handler until IRET */
};

/*
 * Current privilege level (SDM vol. 3A 5.5). In protected mode the CPL is
 * the DPL of the stack segment, which every SS load keeps equal to the CPL
 * (CS.RPL would be wrong just after CR0.PE is set with a real-mode CS whose
 * low bits are not 0, and for conforming code). KVM uses the same rule.
 */
static inline unsigned cpu_cpl(const struct cpu_state *cpu)
{
	if (!(cpu->cr0 & CR0_PE))
		return 0;
	if (cpu->eflags & EFL_VM)
		return 3;
	return (cpu->seg[S_SS].attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT;
}

static inline unsigned seg_dpl(const struct seg_cache *s)
{
	return (s->attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT;
}

/* Power-on / RESET state (SDM vol. 3A 9.1.1, table 9-1). */
void cpu_state_reset(struct cpu_state *cpu);

/*
 * Flat 32-bit protected mode with paging off, as the Linux boot protocol
 * and Multiboot hand over: CS = code_sel (base 0, limit 4G, 32-bit, read/
 * execute), DS/ES/SS/FS/GS = data_sel (base 0, limit 4G, read/write),
 * IF = 0, EIP = entry. GDTR/IDTR are left as given by the caller.
 */
void cpu_state_flat32(struct cpu_state *cpu, uint32_t entry, uint16_t code_sel,
		      uint16_t data_sel);

/* Multi-line human-readable dump (for triple faults, errors, --dump-state). */
void cpu_state_dump(const struct cpu_state *cpu, void *file /* FILE * */);

#endif
