/*
 * exceptions - exception delivery in ring 0 (SDM vol. 3A ch. 6).
 *
 * Each exception is raised inside a TRY body; the library handler records
 * vector, error code, CS:EIP, CR2 and EFLAGS. Checks that faults report
 * the EIP of the faulting instruction and traps the next one (6.5):
 *   #DE (DIV by 0, IDIV 80000000h/-1), #DB (single step after POPF sets TF,
 *   DR6.BS), #BP (INT3 and INT 3), #OF (INTO with OF=1; none with OF=0),
 *   #BR (BOUND), #UD (UD2), #NM (x87 with CR0.TS), #TS (task switch to a
 *   TSS with a short limit), #NP (segment load; INT through a not-present
 *   gate: error = vector*8+2, 6.13), #SS (SS load), #GP (selector beyond
 *   the GDT: error = selector with RPL cleared; INT n beyond the IDT limit:
 *   vector*8+2), #PF (not-present read/write/fetch, write to a read-only
 *   page with CR0.WP=1; CR2 and error code, 6.15), #DF (a #GP whose gate is
 *   not present causes a #NP during delivery: contributory + contributory,
 *   table 6-5) through an interrupt gate and through a task gate
 *   (error code 0, back link, NT, busy bits, TR).
 *   Interrupt gates clear IF, trap gates do not (6.12.1.3).
 */
#include "guest.h"

#define SEL_NOT_PRESENT 0x40
#define SEL_SHORT_TSS   0x48

extern char df_task_entry[];
extern uint32_t df_seen_eflags, df_seen_tr, df_seen_main_tss_desc;

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint8_t pages[2][4096] __attribute__((aligned(4096)));
static volatile uint32_t handler_eflags;

static bool no_trap(void)
{
	return trap_catch.vector == TRAP_NONE;
}

static void check_arithmetic(void)
{
	uint32_t lo = 100, hi = 0;
	int32_t ilo = (int32_t)0x80000000, ihi = -1;

	TRY_ASM("divl %2", "+a"(lo) COMMA "+d"(hi), "r"(0));
	report_trap(caught(VEC_DE, 0) && caught_at_start(), "DIV by zero -> #DE, EIP of the DIV");
	TRY_ASM("idivl %2", "+a"(ilo) COMMA "+d"(ihi), "r"(-1));
	report_trap(caught(VEC_DE, 0) && caught_at_start(),
	            "IDIV 0x80000000 / -1 -> #DE (quotient overflow)");
	lo = 7;
	hi = 0;
	TRY_ASM("divl %2", "+a"(lo) COMMA "+d"(hi), "r"(2));
	report_trap(no_trap() && lo == 3 && hi == 1, "DIV 7 / 2 = 3 remainder 1, no exception");
}

static void check_traps(void)
{
	uint32_t v = 0x7fffffff;

	TRY("int3");
	report_trap(caught(VEC_BP, 0) && caught_at_end(), "INT3 -> #BP, EIP after the INT3 (trap)");
	TRY(".byte 0xcd, 0x03");
	report_trap(caught(VEC_BP, 0) && caught_at_end(), "INT 3 (CD 03) -> #BP, EIP after it");
	TRY_ASM("addl $1, %0\n\tinto", "+r"(v), );
	report_trap(caught(VEC_OF, 0) && caught_at_end(),
	            "INTO with OF=1 -> #OF, EIP after the INTO");
	TRY_ASM("addl $1, %0\n\tinto", "+r"(v), );
	report_trap(no_trap(), "INTO with OF=0: no exception");
	TRY_ASM("int %0", , "i"(0x30));
	report_trap(caught(0x30, 0) && caught_at_end() && trap_catch.cs == SEL_KCODE,
		    "INT 0x30 -> vector 0x30, EIP after the INT, CS 0x08");
}

static void check_single_step(void)
{
	uint32_t after_first = 0, dr6;

	write_dr6(0);
	TRY_ASM("movl $9003f, %0\n\t"
		"pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
		"nop\n"
		"9003:\n\tnop", "=r"(after_first), );
	dr6 = read_dr6();
	report_trap(caught(VEC_DB, 0) && trap_catch.eip == after_first,
		    "POPF setting TF: #DB after the next instruction");
	report(dr6 & (1u << 14), "DR6.BS is set by the single-step trap");
	report(!(read_eflags() & EFLAGS_TF), "TF is clear again after the handler");
}

static void check_faults(void)
{
	uint32_t bounds[2] = { 10, 20 };
	uint32_t index = 21;

	TRY("ud2");
	report_trap(caught(VEC_UD, 0) && caught_at_start(), "UD2 -> #UD, EIP of the UD2");
	TRY_ASM("boundl %0, %1", , "r"(index) COMMA "m"(bounds));
	report_trap(caught(VEC_BR, 0) && caught_at_start(),
	            "BOUND with index 21 in [10,20] -> #BR, EIP of the BOUND");
	index = 20;
	TRY_ASM("boundl %0, %1", , "r"(index) COMMA "m"(bounds));
	report_trap(no_trap(), "BOUND with index 20 in [10,20]: no exception");

	write_cr0(read_cr0() | CR0_TS);
	TRY("fnop");
	report_trap(caught(VEC_NM, 0) && caught_at_start(), "x87 FNOP with CR0.TS=1 -> #NM");
	asm volatile("clts");
	TRY("fnop");
	report_trap(no_trap(), "FNOP after CLTS: no exception");

	TRY_ASM_AFTER("movw %w0, %%es", "movw %w1, %%es", , "r"(0x0fff) COMMA "r"(SEL_KDATA));
	report_trap(caught(VEC_GP, 0x0ffc) && caught_at_start(),
		    "ES <- 0x0fff (beyond the GDT limit) -> #GP(0x0ffc)");
	TRY_ASM_AFTER("movw %w0, %%ss", "movw %w1, %%ss", , "r"(SEL_NOT_PRESENT) COMMA "r"(SEL_KDATA));
	report_trap(caught(VEC_SS, SEL_NOT_PRESENT) && caught_at_start(),
		    "SS <- not-present segment -> #SS(0x40)");
	TRY_ASM_AFTER("movw %w0, %%ds", "movw %w1, %%ds", , "r"(SEL_NOT_PRESENT) COMMA "r"(SEL_KDATA));
	report_trap(caught(VEC_NP, SEL_NOT_PRESENT) && caught_at_start(),
		    "DS <- not-present segment -> #NP(0x40)");
	TRY_ASM("ljmp %0, $0", , "i"(SEL_SHORT_TSS));
	report_trap(caught(VEC_TS, SEL_SHORT_TSS) && caught_at_start(),
		    "JMP to a TSS with limit 0x50 (< 0x67) -> #TS(0x48)");
}

static void check_idt_errors(void)
{
	struct dtr full = { IDT_ENTRIES * 8 - 1, (uint32_t)idt };
	struct dtr short_idt = { 0x21 * 8 - 1, (uint32_t)idt };
	uint64_t saved = idt[0x41];

	lidt(&short_idt);
	TRY_ASM("int %0", , "i"(0x40));
	lidt(&full);
	report_trap(caught(VEC_GP, 0x40 * 8 + 2) && caught_at_start(),
		    "INT 0x40 beyond the IDT limit -> #GP(0x202)");

	idt[0x41] &= ~((uint64_t)ACC_P << 40);
	TRY_ASM("int %0", , "i"(0x41));
	idt[0x41] = saved;
	report_trap(caught(VEC_NP, 0x41 * 8 + 2) && caught_at_start(),
		    "INT 0x41 through a not-present gate -> #NP(0x20a)");
}

static void record_eflags(struct trap_frame *f)
{
	handler_eflags = read_eflags();
}

static void check_gate_types(void)
{
	trap_set_handler(0x31, record_eflags);
	trap_set_handler(0x32, record_eflags);
	idt_set(0x32, trap_stub(0x32), SEL_KCODE, GATE_TRAP32, 0);
	handler_eflags = 0;
	sti();
	asm volatile("int $0x31");
	cli();
	report(!(handler_eflags & EFLAGS_IF) && handler_eflags != 0,
	       "interrupt gate: IF is clear in the handler");
	handler_eflags = 0;
	sti();
	asm volatile("int $0x32");
	report(handler_eflags & EFLAGS_IF, "trap gate: IF stays set in the handler");
	report(read_eflags() & EFLAGS_IF, "IRET restored IF=1");
	cli();
	trap_set_handler(0x31, 0);
	trap_set_handler(0x32, 0);
	idt_set_default(0x32, 0);
}

static void check_page_faults(void)
{
	volatile uint32_t *absent = (volatile uint32_t *)pages[0];
	volatile uint32_t *ro = (volatile uint32_t *)pages[1];
	uint32_t v = 0;

	pt_identity_4m(pd, pt, PTE_P | PTE_W);
	*pt_entry(pt, (uint32_t)pages[0]) = 0;
	*pt_entry(pt, (uint32_t)pages[1]) &= ~PTE_W;
	write_cr0(read_cr0() | CR0_WP);
	paging_on((uint32_t)pd, 0);

	TRY_ASM("movl (%1), %0", "=r"(v), "r"(absent + 3));
	report_trap(caught(VEC_PF, 0) && caught_at_start() && trap_catch.cr2 == (uint32_t)(absent + 3),
		    "read of a not-present page -> #PF(0), CR2 = the address");
	TRY_ASM("movl %1, (%0)", , "r"(absent + 5) COMMA "r"(v));
	report_trap(caught(VEC_PF, 2) && caught_at_start() && trap_catch.cr2 == (uint32_t)(absent + 5),
		    "write to a not-present page -> #PF(2)");
	TRY_ASM("movl %1, (%0)", , "r"(ro + 7) COMMA "r"(v));
	report_trap(caught(VEC_PF, 3) && caught_at_start() && trap_catch.cr2 == (uint32_t)(ro + 7),
		    "CR0.WP=1: supervisor write to a read-only page -> #PF(3)");
	TRY_ASM("movl (%1), %0", "=r"(v), "r"(ro + 7));
	report_trap(no_trap(), "read of the read-only page: no exception");
	TRY_ASM("jmp *%0", , "r"(absent + 2));
	report_trap(caught(VEC_PF, 0) && trap_catch.eip == (uint32_t)(absent + 2) &&
		    trap_catch.cr2 == (uint32_t)(absent + 2),
		    "jump into a not-present page -> #PF(0), EIP = CR2 = the target");

	paging_off();
	write_cr0(read_cr0() & ~CR0_WP);
}

static void raise_gp_without_gp_gate(void)
{
	uint64_t saved = idt[VEC_GP];

	idt[VEC_GP] &= ~((uint64_t)ACC_P << 40);
	TRY_ASM_AFTER("movw %w0, %%es", "movw %w1, %%es", , "r"(0x0fff) COMMA "r"(SEL_KDATA));
	idt[VEC_GP] = saved;
}

static void check_double_fault(void)
{
	raise_gp_without_gp_gate();
	report_trap(caught(VEC_DF, 0),
	            "#GP with a not-present #GP gate -> #DF(0) through an interrupt gate");

	memset(&tss_aux, 0, sizeof(tss_aux));
	tss_aux.eip = (uint32_t)df_task_entry;
	tss_aux.esp = (uint32_t)stack_aux_top;
	tss_aux.eflags = 0x2;
	tss_aux.cs = SEL_KCODE;
	tss_aux.ss = tss_aux.ds = tss_aux.es = tss_aux.fs = tss_aux.gs = SEL_KDATA;
	tss_aux.ldt = SEL_LDT;
	tss_aux.cr3 = read_cr3();
	tss_aux.iomap_base = sizeof(struct tss);
	tss_main.tss.cr3 = read_cr3();
	idt_set_task(VEC_DF, SEL_TSS_AUX, 0);

	raise_gp_without_gp_gate();
	report_trap(caught(VEC_DF, 0),
	            "the same through a task gate: #DF(0) on the new task's stack");
	report(tss_aux.link == SEL_TSS, "double-fault TSS back link = 0x28");
	report(df_seen_tr == SEL_TSS_AUX, "TR = 0x38 inside the double-fault task");
	report(df_seen_eflags & EFLAGS_NT, "EFLAGS.NT set inside the double-fault task");
	report(((df_seen_main_tss_desc >> 8) & 0xf) == ACC_TSS32_BUSY,
	       "the interrupted task's TSS stays busy while nested");
	uint16_t tr;

	asm volatile("str %0" : "=r"(tr));
	report(tr == SEL_TSS, "IRET with NT=1 returned to the main task (TR = 0x28)");
	report(((gdt_access_rights(SEL_TSS_AUX) >> 8) & 0xf) == ACC_TSS32,
	       "the double-fault TSS is no longer busy");
	report(!(read_eflags() & EFLAGS_NT), "EFLAGS.NT clear after the task return");

	raise_gp_without_gp_gate();
	report_trap(caught(VEC_DF, 0), "a second #DF through the task gate works too");
	idt_set_default(VEC_DF, 0);
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	gdt_set(SEL_NOT_PRESENT >> 3, seg_desc(0, 0xfffff, ACC_DATA_RW, FLG_G | FLG_DB));
	gdt_set(SEL_SHORT_TSS >> 3, seg_desc((uint32_t)&tss_aux, 0x50, ACC_P | ACC_TSS32, 0));

	check_arithmetic();
	check_traps();
	check_single_step();
	check_faults();
	check_idt_errors();
	check_gate_types();
	check_page_faults();
	check_double_fault();
}
