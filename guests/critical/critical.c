/*
 * critical - the "critical instructions": unprivileged instructions that
 * reveal or depend on privileged state, so a VMM that runs guest code
 * directly cannot trap them (Robin & Irvine's list for IA-32).
 *
 * The same probe runs in ring 0 and in ring 3 (IRET, IOPL=0, IF=1) and
 * records SGDT, SIDT, SLDT, STR, SMSW, PUSHF, POPF clearing IF, LAR/LSL/
 * VERR/VERW on kernel code, user data, the TSS and the null selector, and
 * MOV from CS and SS; ring 0 prints one line per instruction and selector.
 * The expected values are what a real P6-class CPU gives (SDM vol. 2):
 *   - SGDT/SIDT/SLDT/STR/SMSW are not privileged (no UMIP here): ring 3
 *     sees the real GDTR (0x200000, limit 0xff), IDTR (0x201000, 0x7ff),
 *     LDTR 0x30, TR 0x28, and CR0[15:0] = 0x0033 (PE MP ET NE);
 *   - POPF with CPL > IOPL leaves IF unchanged, without a fault;
 *   - LAR/LSL/VERR/VERW check DPL >= max(CPL, RPL) for data and
 *     non-conforming code: in ring 3 the DPL-0 kernel code and TSS fail;
 *     LAR's result is masked with 00F0FF00h (bits 16-19 undefined);
 *   - the RPL of CS and SS is the current privilege level.
 * SMSW, SLDT and STR are used in their 16-bit register forms (the high
 * half of a 32-bit destination is undefined on some processors).
 */
#include "guest.h"

#include "probe.h"

static struct probe ring0, ring3;

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	struct dtr gdtr = { GDT_ENTRIES * 8 - 1, (uint32_t)gdt };
	struct dtr idtr = { IDT_ENTRIES * 8 - 1, (uint32_t)idt };
	const struct sel_probe *k3 = &ring3.sel[0], *u3 = &ring3.sel[1], *t3 = &ring3.sel[2];
	const struct sel_probe *t0 = &ring0.sel[2], *n0 = &ring0.sel[3];

	sti();
	probe_run(&ring0);
	cli();
	user_call(probe_run, &ring3, 0x2 | EFLAGS_IF);
	probe_print("ring0", &ring0);
	probe_print("ring3", &ring3);

	report(ring0.cs == SEL_KCODE && ring0.ss == SEL_KDATA, "ring 0: CS and SS have RPL 0");
	report(ring3.cs == SEL_UCODE && ring3.ss == SEL_UDATA, "ring 3: CS and SS have RPL 3");
	report(ring3.gdtr.base == gdtr.base && ring3.gdtr.limit == gdtr.limit &&
	       ring0.gdtr.base == gdtr.base && ring0.gdtr.limit == gdtr.limit,
	       "SGDT in both rings returns the GDTR that LGDT loaded");
	report(ring3.idtr.base == idtr.base && ring3.idtr.limit == idtr.limit &&
	       ring0.idtr.base == idtr.base && ring0.idtr.limit == idtr.limit,
	       "SIDT in both rings returns the IDTR that LIDT loaded");
	report(ring3.ldtr == SEL_LDT && ring0.ldtr == SEL_LDT, "SLDT in both rings returns 0x0030");
	report(ring3.tr == SEL_TSS && ring0.tr == SEL_TSS, "STR in both rings returns 0x0028");
	report(ring3.msw == (read_cr0() & 0xffff) && ring0.msw == ring3.msw,
	       "SMSW in both rings returns CR0[15:0]");
	report((ring0.eflags & EFLAGS_IF) && !(ring0.eflags_after_popf & EFLAGS_IF),
	       "ring 0: POPF clears IF");
	report((ring3.eflags & (EFLAGS_IF | EFLAGS_IOPL)) == EFLAGS_IF,
	       "ring 3: PUSHF shows IF=1, IOPL=0");
	report(ring3.eflags_after_popf & EFLAGS_IF, "ring 3, IOPL=0: POPF leaves IF set");
	report(!k3->lar_zf && !k3->lsl_zf && !k3->verr_zf && !k3->verw_zf,
	       "ring 3: LAR/LSL/VERR/VERW fail on the DPL-0 kernel code");
	report(!t3->lar_zf && !t3->lsl_zf, "ring 3: LAR/LSL fail on the DPL-0 TSS");
	report(u3->lar_zf && (u3->ar & 0x00f0ff00) == 0x00c0f300 && u3->lsl_zf &&
	       u3->limit == 0xffffffff && u3->verr_zf && u3->verw_zf,
	       "ring 3: LAR/LSL/VERR/VERW succeed on user data");
	report(t0->lar_zf && (t0->ar & 0x00f0ff00) == 0x00008b00 && !t0->verr_zf && !t0->verw_zf,
	       "ring 0: LAR sees a busy TSS, VERR/VERW refuse it");
	report(!n0->lar_zf && !n0->lsl_zf && !n0->verr_zf && !n0->verw_zf,
	       "the null selector fails everywhere");
}
