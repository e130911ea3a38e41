/*
 * tasks - hardware task switching (SDM vol. 3A ch. 7).
 *
 *   - JMP to a 32-bit TSS: the outgoing state saved in the current TSS
 *     (EIP of the next instruction, general registers), the new state
 *     loaded from the new one (EFLAGS, registers, ESP, null FS), busy bits
 *     (the old one cleared, the new one set), no back link, NT clear,
 *     CR0.TS set (7.3, 7.4);
 *   - CALL to a TSS and IRET with NT=1: back link, NT, both busy, the task
 *     resumes after its IRET on the next CALL (7.4);
 *   - task gates in the GDT (also from ring 3 into a ring-0 task: the TSS
 *     DPL is not checked through a gate) and in the IDT (INT n; #GP
 *     through a task gate with its error code pushed on the new task's
 *     stack) (7.2.5, 6.12.2);
 *   - errors: busy TSS (#GP), IRET to a TSS that is not busy or not a TSS
 *     (#TS), not-present TSS (#NP), task gate to a non-TSS or an LDT
 *     selector (#GP), gate and TSS DPL from ring 3 (#GP), 16-bit TSS limit
 *     below 2Bh (#TS) (table 7-1);
 *   - a bad DS in the new TSS: #TS(DS) after the commit point, in the
 *     context of the new task (TR, the selector left in DS) (7.3);
 *   - a 16-bit TSS: 16-bit registers, FLAGS, ES/CS/SS/DS loaded, IP/FLAGS/AX
 *     saved at the task's 16-bit IRET (7.6; FS and GS, which it does not
 *     hold, are left unchecked);
 *   - CR3 and LDTR of the new task, with 2-level and PAE paging: another
 *     mapping inside the task, CR3 not saved in the old TSS, LDT
 *     selectors resolved through the new task's LDT (7.2.1, 4.4.1).
 *
 * QEMU deviations (guests/README.md), not checked: a task gate holding an
 * LDT selector gives #TS there (SDM table 7-1 and the JMP/CALL/INT
 * pseudocode: #GP), so only the error code is checked; and a fault after
 * the commit point reports the EIP of the CALL, not the new task's first
 * instruction (SDM 6.15, #TS "Saved Instruction Pointer").
 */
#include "guest.h"

#define ACC_TSS16 0x01
#define ACC_TSS16_BUSY 0x03

#define SEL_TSS_A        0x40
#define SEL_TSS_B        0x48
#define SEL_GATE_B       0x50    /* task gate, DPL 3 -> TSS B */
#define SEL_GATE_B_DPL0  0x58    /* task gate, DPL 0 -> TSS B */
#define SEL_TSS_16       0x60
#define SEL_T16_CODE     0x68    /* 16-bit code at task16_start */
#define SEL_T16_STACK    0x70    /* 16-bit stack */
#define SEL_TSS_BAD      0x78    /* DS = SEL_BEYOND */
#define SEL_TSS_NP       0x80    /* not present */
#define SEL_GATE_DATA    0x88    /* task gate -> a data segment */
#define SEL_LDT2         0x90
#define SEL_TSS_C        0x98
#define SEL_TSS_GP       0xa0
#define SEL_TSS16_SHORT  0xa8    /* 16-bit TSS, limit 0x2a */
#define SEL_T16_DATA     0xb0    /* 16-bit task's DS = t16_seen */
#define SEL_GATE_MAIN    0xb8    /* task gate -> the main TSS (busy) */
#define SEL_GATE_LDT     0xc0    /* task gate -> 0x14, an LDT selector */
#define SEL_BEYOND       0x100   /* beyond the GDT limit (0xff) */
#define SEL_LDT_DATA     0x0c    /* LDT entry 1 */
#define SEL_LDT_TSS      0x14    /* LDT entry 2: a TSS descriptor in an LDT */

#define VEC_TASK_B       0x50    /* IDT task gate, DPL 3 */
#define VEC_TASK_B_DPL0  0x51    /* IDT task gate, DPL 0 */

#define MARK_MAIN 0x6d61696eu
#define MARK_TASK 0x7461736bu
#define ALIAS_LINEAR 0x300000u   /* mapped to itself, or to ALIAS_OTHER inside task C */
#define ALIAS_OTHER  0x301000u

struct tss16 {
	uint16_t link, sp0, ss0, sp1, ss1, sp2, ss2;
	uint16_t ip, flags, ax, cx, dx, bx, sp, bp, si, di;
	uint16_t es, cs, ss, ds, ldt;
} __attribute__((packed));

extern char task_a_entry[], task_a_after_jmp[], task_jmp_a_resume[], task_b_entry[],
	task_b_after_iret[], task_c_entry[], task_gp_entry[], task_bad_entry[], task_bad_iret[],
	task16_start[], task16_after_iret[];
extern uint32_t jmp_back_regs[7], task_a_seen[10], gp_seen_error, gp_seen_esp, gp_seen_tr,
	gp_seen_eip;
uint32_t task_jmp_a(void);
void task_a_body(void);
void task_b_body(void);
void task_c_body(void);

static struct tss tss_a __attribute__((aligned(256)));
static struct tss tss_b __attribute__((aligned(256)));
static struct tss tss_c __attribute__((aligned(256)));
static struct tss tss_gp __attribute__((aligned(256)));
static struct tss tss_bad __attribute__((aligned(256)));
static struct tss tss_np __attribute__((aligned(256)));
static struct tss16 tss_16 __attribute__((aligned(64)));
static uint8_t stack_a[4096] __attribute__((aligned(16)));
static uint8_t stack_b[4096] __attribute__((aligned(16)));
static uint8_t stack_c[4096] __attribute__((aligned(16)));
static uint8_t stack_gp[4096] __attribute__((aligned(16)));
static uint8_t stack_16[512] __attribute__((aligned(16)));
static uint64_t ldt2[4] __attribute__((aligned(8)));
static uint32_t ldt1_data[4] = { 0x1d71, 0, 0, 0 };
static uint32_t ldt2_data[4] = { 0x1d72, 0, 0, 0 };
static volatile uint16_t t16_seen[13];

static uint32_t pd1[1024] __attribute__((aligned(4096)));
static uint32_t pd1b[1024] __attribute__((aligned(4096)));
static uint32_t pt1[1024] __attribute__((aligned(4096)));
static uint32_t pd2[1024] __attribute__((aligned(4096)));
static uint32_t pt2[1024] __attribute__((aligned(4096)));
static uint64_t pdpt1[4] __attribute__((aligned(32)));
static uint64_t pdpt1b[4] __attribute__((aligned(32)));
static uint64_t pdpt2[4] __attribute__((aligned(32)));
static uint64_t pae_pd1[512] __attribute__((aligned(4096)));
static uint64_t pae_pd2[512] __attribute__((aligned(4096)));
static uint64_t pae_pt2[512] __attribute__((aligned(4096)));

/* What the task bodies saw. */
static volatile struct {
	unsigned runs;
	uint16_t tr, ldtr, cs;
	uint32_t eflags, link, cr0, cr3;
	uint32_t main_type, self_type;
	uint32_t main_cs, main_ss;
	uint32_t alias, ldt_word;
} seen_a, seen_b, seen_c;
static volatile int task_b_mode;    /* 1: task B also tries busy targets */
static volatile struct {
	uint16_t tr, ds;
	uint32_t error;
} seen_ts;

static uint32_t tss_type(uint16_t sel)
{
	return (uint32_t)(gdt[sel >> 3] >> 40) & 0xf;
}

static uint16_t read_tr(void)
{
	uint16_t tr;

	asm volatile("str %0" : "=r"(tr));
	return tr;
}

static uint16_t read_ldtr(void)
{
	uint16_t ldtr;

	asm volatile("sldt %0" : "=r"(ldtr));
	return ldtr;
}

static uint64_t task_gate(uint16_t tss_sel, unsigned dpl)
{
	return (uint64_t)tss_sel << 16 | (uint64_t)(ACC_P | ACC_DPL(dpl) | GATE_TASK) << 40;
}

static void tss_init(struct tss *t, void *eip, uint8_t *stack, uint32_t stack_size)
{
	memset(t, 0, sizeof(*t));
	t->eip = (uint32_t)eip;
	t->esp = (uint32_t)stack + stack_size;
	t->eflags = 0x2;
	t->cs = SEL_KCODE;
	t->ss = t->ds = t->es = t->fs = t->gs = SEL_KDATA;
	t->ldt = SEL_LDT;
	t->cr3 = read_cr3();
	t->iomap_base = sizeof(struct tss);
}

static void task_call(uint16_t sel)
{
	struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp = { 0, sel };

	asm volatile("lcall *%0" : : "m"(fp) : "memory", "cc");
}

static void record(volatile typeof(seen_a) *w, uint16_t self)
{
	w->runs++;
	w->tr = read_tr();
	w->ldtr = read_ldtr();
	w->cs = read_cs();
	w->eflags = read_eflags();
	w->cr0 = read_cr0();
	w->main_type = tss_type(SEL_TSS);
	w->self_type = tss_type(self);
	w->main_cs = tss_main.tss.cs;
	w->main_ss = tss_main.tss.ss;
}

void task_a_body(void)
{
	record(&seen_a, SEL_TSS_A);
	seen_a.link = tss_a.link;
}

void task_b_body(void)
{
	record(&seen_b, SEL_TSS_B);
	seen_b.link = tss_b.link;
	if (task_b_mode != 1)
		return;
	TRY_ASM("ljmp %0, $0", , "i"(SEL_TSS));
	report_trap(caught(VEC_GP, SEL_TSS) && caught_at_start(),
		    "task B: JMP to the busy main TSS -> #GP(0x28)");
	TRY_ASM("lcall %0, $0", , "i"(SEL_TSS_B));
	report_trap(caught(VEC_GP, SEL_TSS_B) && caught_at_start(),
		    "task B: CALL to its own (busy) TSS -> #GP(0x48)");
	TRY_ASM("int %0", , "i"(VEC_TASK_B));
	report_trap(caught(VEC_GP, SEL_TSS_B) && caught_at_start(),
		    "task B: INT 0x50 through a task gate to busy TSS 0x48 -> #GP(0x48)");
}

void task_c_body(void)
{
	uint32_t word;

	record(&seen_c, SEL_TSS_C);
	seen_c.cr3 = read_cr3();
	seen_c.alias = *(volatile uint32_t *)ALIAS_LINEAR;
	asm volatile("movw %w1, %%fs\n\t"
		     "movl %%fs:0, %0" : "=r"(word) : "r"(SEL_LDT_DATA) : "memory");
	seen_c.ldt_word = word;
}

static void check_jmp(void)
{
	uint32_t r;

	tss_init(&tss_a, task_a_entry, stack_a, sizeof(stack_a));
	tss_a.eflags = 0x2 | EFLAGS_DF | EFLAGS_CF;
	tss_a.eax = 0x1a;
	tss_a.ecx = 0x1c;
	tss_a.edx = 0x1d;
	tss_a.ebx = 0x1b;
	tss_a.ebp = 0x1e;
	tss_a.esi = 0x15;
	tss_a.edi = 0x1f;
	tss_a.fs = 0;
	gdt_set(SEL_TSS_A >> 3, seg_desc((uint32_t)&tss_a, sizeof(tss_a) - 1, ACC_P | ACC_TSS32, 0));

	r = task_jmp_a();
	report(seen_a.runs == 1 && seen_a.tr == SEL_TSS_A, "JMP to TSS 0x40: task A runs, TR = 0x40");
	report(task_a_seen[0] == (0x2 | EFLAGS_DF | EFLAGS_CF),
	       "task A starts with EFLAGS from its TSS (0x403, NT clear)");
	report(task_a_seen[1] == 0x1a && task_a_seen[2] == 0x1c && task_a_seen[3] == 0x1d &&
	       task_a_seen[4] == 0x1b && task_a_seen[5] == 0x1e && task_a_seen[6] == 0x15 &&
	       task_a_seen[7] == 0x1f, "task A starts with EAX..EDI from its TSS");
	report(task_a_seen[8] == (uint32_t)stack_a + sizeof(stack_a),
	       "task A starts with ESP from its TSS");
	report((task_a_seen[9] & 0xffff) == 0 && (task_a_seen[9] >> 16) == SEL_KDATA,
	       "task A: FS = 0 (null) and GS = 0x10 from its TSS");
	report(seen_a.main_type == ACC_TSS32 && seen_a.self_type == ACC_TSS32_BUSY,
	       "JMP: the old TSS becomes available, the new one busy");
	report(seen_a.link == 0 && !(task_a_seen[0] & EFLAGS_NT), "JMP: no back link, NT = 0");
	report(seen_a.cr0 & CR0_TS, "task switch sets CR0.TS");
	report(tss_main.tss.eip == (uint32_t)task_jmp_a_resume,
	       "main TSS: saved EIP is the instruction after the JMP");
	report(tss_main.tss.eax == 0xa1a1a1a1 && tss_main.tss.ecx == 0xc1c1c1c1 &&
	       tss_main.tss.edx == 0xd1d1d1d1 && tss_main.tss.ebx == 0xb1b1b1b1 &&
	       tss_main.tss.ebp == 0xbebebebe && tss_main.tss.esi == 0x51515151 &&
	       tss_main.tss.edi == 0xd0d0d0d0, "main TSS: saved EAX..EDI");
	report(tss_main.tss.cs == SEL_KCODE && tss_main.tss.ss == SEL_KDATA &&
	       tss_main.tss.ds == SEL_KDATA && tss_main.tss.es == SEL_KDATA,
	       "main TSS: saved CS, SS, DS, ES");
	report(r == 0xa1a1a1a1 && jmp_back_regs[1] == 0xc1c1c1c1 && jmp_back_regs[2] == 0xd1d1d1d1 &&
	       jmp_back_regs[3] == 0xb1b1b1b1 && jmp_back_regs[4] == 0xbebebebe &&
	       jmp_back_regs[5] == 0x51515151 && jmp_back_regs[6] == 0xd0d0d0d0,
	       "JMP back from task A: the main task resumes with its registers");
	report(tss_a.eip == (uint32_t)task_a_after_jmp && tss_a.eax == 0x0a0a0a0a,
	       "task A's TSS: EIP after its JMP back, EAX = 0x0a0a0a0a");
	report(read_tr() == SEL_TSS && tss_type(SEL_TSS) == ACC_TSS32_BUSY &&
	       tss_type(SEL_TSS_A) == ACC_TSS32, "back in the main task: TR = 0x28, busy bits swapped");
	asm volatile("clts");
}

static void check_call(void)
{
	tss_init(&tss_b, task_b_entry, stack_b, sizeof(stack_b));
	gdt_set(SEL_TSS_B >> 3, seg_desc((uint32_t)&tss_b, sizeof(tss_b) - 1, ACC_P | ACC_TSS32, 0));
	gdt_set(SEL_GATE_B >> 3, task_gate(SEL_TSS_B, 3));
	gdt_set(SEL_GATE_B_DPL0 >> 3, task_gate(SEL_TSS_B, 0));
	idt_set_task(VEC_TASK_B, SEL_TSS_B, 3);
	idt_set_task(VEC_TASK_B_DPL0, SEL_TSS_B, 0);

	task_b_mode = 1;
	task_call(SEL_TSS_B);
	task_b_mode = 0;
	report(seen_b.runs == 1 && seen_b.tr == SEL_TSS_B, "CALL to TSS 0x48: task B runs, TR = 0x48");
	report(seen_b.link == SEL_TSS, "CALL: back link in task B's TSS = 0x28");
	report(seen_b.eflags & EFLAGS_NT, "CALL: NT = 1 in task B");
	report(seen_b.main_type == ACC_TSS32_BUSY && seen_b.self_type == ACC_TSS32_BUSY,
	       "CALL: the calling task's TSS stays busy, the new one is busy");
	report(read_tr() == SEL_TSS && !(read_eflags() & EFLAGS_NT),
	       "IRET with NT=1 returns to the main task, NT = 0 there");
	report(tss_type(SEL_TSS_B) == ACC_TSS32, "IRET: task B's TSS is available again");
	report(tss_b.eip == (uint32_t)task_b_after_iret && (tss_b.eflags & EFLAGS_NT) == 0,
	       "task B's TSS: EIP after its IRET, saved EFLAGS with NT = 0");
	task_call(SEL_TSS_B);
	report(seen_b.runs == 2, "a second CALL resumes task B after its IRET");
	asm volatile("clts");
}

static uint32_t user_call_gate(void *arg)
{
	asm volatile("lcall %0, $0" : : "i"(SEL_GATE_B | 3) : "memory", "cc");
	return 0x600d;
}

static uint32_t user_call_gate_dpl0(void *arg)
{
	TRY_ASM("lcall %0, $0", , "i"(SEL_GATE_B_DPL0 | 3));
	return 0;
}

static uint32_t user_call_tss(void *arg)
{
	TRY_ASM("lcall %0, $0", , "i"(SEL_TSS_B | 3));
	return 0;
}

static uint32_t user_int_gate_dpl0(void *arg)
{
	TRY_ASM("int %0", , "i"(VEC_TASK_B_DPL0));
	return 0;
}

static void check_gates(void)
{
	uint32_t r;

	task_call(SEL_GATE_B);
	report(seen_b.runs == 3 && seen_b.tr == SEL_TSS_B && seen_b.link == SEL_TSS,
	       "CALL through the task gate 0x50 in the GDT switches to TSS 0x48");
	asm volatile("int %0" : : "i"(VEC_TASK_B) : "memory", "cc");
	report(seen_b.runs == 4 && (seen_b.eflags & EFLAGS_NT) && seen_b.link == SEL_TSS,
	       "INT 0x50 through a task gate in the IDT: task B, NT = 1, link = 0x28");
	report(tss_type(SEL_TSS_B) == ACC_TSS32 && read_tr() == SEL_TSS,
	       "IRET from the interrupt task: back in the main task");

	r = user_call(user_call_gate, 0, 0x2);
	report(r == 0x600d && seen_b.runs == 5, "ring 3: CALL through a DPL-3 task gate and back");
	report(seen_b.cs == SEL_KCODE && seen_b.main_cs == SEL_UCODE && seen_b.main_ss == SEL_UDATA,
	       "task B runs in ring 0; the main TSS saved CS 0x1b, SS 0x23 of ring 3");
	user_call(user_call_gate_dpl0, 0, 0x2);
	report_trap(caught(VEC_GP, SEL_GATE_B_DPL0) && caught_at_start(),
		    "ring 3: CALL through a DPL-0 task gate -> #GP(0x58)");
	user_call(user_call_tss, 0, 0x2);
	report_trap(caught(VEC_GP, SEL_TSS_B) && caught_at_start(),
		    "ring 3: CALL to a DPL-0 TSS -> #GP(0x48)");
	user_call(user_int_gate_dpl0, 0, 0x2);
	report_trap(caught(VEC_GP, VEC_TASK_B_DPL0 * 8 + 2) && caught_at_start(),
		    "ring 3: INT 0x51 with a DPL-0 task gate -> #GP(0x28a)");
	asm volatile("clts");
}

static void check_errors(void)
{
	struct tss16 short16;

	tss_init(&tss_np, task_b_entry, stack_b, sizeof(stack_b));
	gdt_set(SEL_TSS_NP >> 3, seg_desc((uint32_t)&tss_np, sizeof(tss_np) - 1, ACC_TSS32, 0));
	gdt_set(SEL_GATE_DATA >> 3, task_gate(SEL_KDATA, 0));
	gdt_set(SEL_GATE_MAIN >> 3, task_gate(SEL_TSS, 0));
	gdt_set(SEL_GATE_LDT >> 3, task_gate(SEL_LDT_TSS, 0));
	ldt_set(SEL_LDT_TSS >> 3, seg_desc((uint32_t)&tss_np, sizeof(tss_np) - 1,
					   ACC_P | ACC_TSS32, 0));
	memset(&short16, 0, sizeof(short16));
	gdt_set(SEL_TSS16_SHORT >> 3, seg_desc((uint32_t)&short16, 0x2a, ACC_P | ACC_TSS16, 0));

	TRY_ASM("ljmp %0, $0", , "i"(SEL_TSS_NP));
	report_trap(caught(VEC_NP, SEL_TSS_NP) && caught_at_start(),
		    "JMP to a not-present TSS -> #NP(0x80)");
	TRY_ASM("lcall %0, $0", , "i"(SEL_TSS));
	report_trap(caught(VEC_GP, SEL_TSS) && caught_at_start(),
		    "CALL to the current (busy) TSS -> #GP(0x28)");
	TRY_ASM("ljmp %0, $0", , "i"(SEL_GATE_MAIN));
	report_trap(caught(VEC_GP, SEL_TSS) && caught_at_start(),
		    "JMP through a task gate to a busy TSS -> #GP(TSS selector 0x28)");
	TRY_ASM("lcall %0, $0", , "i"(SEL_GATE_DATA));
	report_trap(caught(VEC_GP, SEL_KDATA) && caught_at_start(),
		    "task gate to a data segment -> #GP(0x10)");
	TRY_ASM("lcall %0, $0", , "i"(SEL_GATE_LDT));
	report_trap((caught(VEC_GP, SEL_LDT_TSS) || caught(VEC_TS, SEL_LDT_TSS)) && caught_at_start(),
		    "task gate to an LDT selector (TI=1) -> fault with error code 0x14");
	TRY_ASM("ljmp %0, $0", , "i"(SEL_TSS16_SHORT));
	report_trap(caught(VEC_TS, SEL_TSS16_SHORT) && caught_at_start(),
		    "JMP to a 16-bit TSS with limit 0x2a (< 0x2b) -> #TS(0xa8)");

	tss_main.tss.link = SEL_TSS_A;
	TRY_ASM_AFTER("pushfl\n\torl %0, (%%esp)\n\tpopfl\n\t"
		      "iret",
		      "pushfl\n\tandl %1, (%%esp)\n\tpopfl", , "i"(EFLAGS_NT) COMMA "i"(~EFLAGS_NT));
	report_trap(caught(VEC_TS, SEL_TSS_A) && (trap_catch.eflags & EFLAGS_NT),
		    "IRET with NT=1, back link to an available TSS -> #TS(0x40), NT still 1");
	tss_main.tss.link = SEL_KDATA;
	TRY_ASM_AFTER("pushfl\n\torl %0, (%%esp)\n\tpopfl\n\t"
		      "iret",
		      "pushfl\n\tandl %1, (%%esp)\n\tpopfl", , "i"(EFLAGS_NT) COMMA "i"(~EFLAGS_NT));
	report_trap(caught(VEC_TS, SEL_KDATA), "IRET with NT=1, back link to a data segment -> #TS(0x10)");
	tss_main.tss.link = 0;
	report(read_tr() == SEL_TSS && tss_type(SEL_TSS) == ACC_TSS32_BUSY,
	       "after the failed switches: TR = 0x28, still busy");
}

static void check_gp_task(void)
{
	uint64_t saved = idt[VEC_GP];

	tss_init(&tss_gp, task_gp_entry, stack_gp, sizeof(stack_gp));
	gdt_set(SEL_TSS_GP >> 3, seg_desc((uint32_t)&tss_gp, sizeof(tss_gp) - 1, ACC_P | ACC_TSS32, 0));
	idt_set_task(VEC_GP, SEL_TSS_GP, 0);
	TRY_ASM_AFTER("movw %w0, %%es", "movw %w1, %%es", , "r"(SEL_BEYOND) COMMA "r"(SEL_KDATA));
	idt[VEC_GP] = saved;
	report(gp_seen_tr == SEL_TSS_GP && gp_seen_error == SEL_BEYOND,
	       "#GP through an IDT task gate: task 0xa0 runs, error code 0x100 on its stack");
	report(gp_seen_esp == (uint32_t)stack_gp + sizeof(stack_gp),
	       "the error code was the only thing pushed on the new task's stack");
	report(gp_seen_eip == trap_catch.start, "the faulting task's saved EIP is the faulting MOV");
	report(read_tr() == SEL_TSS && tss_type(SEL_TSS_GP) == ACC_TSS32,
	       "IRET from the #GP task: back in the main task");
	asm volatile("clts");
}

static void ts_handler(struct trap_frame *f)
{
	seen_ts.tr = read_tr();
	seen_ts.error = f->error;
	seen_ts.ds = (uint16_t)f->ds;
	f->ds = SEL_KDATA;
	f->eip = (uint32_t)task_bad_iret;
}

static void check_ts_after_commit(void)
{
	tss_init(&tss_bad, task_bad_entry, stack_b, sizeof(stack_b));
	tss_bad.ds = SEL_BEYOND;
	gdt_set(SEL_TSS_BAD >> 3, seg_desc((uint32_t)&tss_bad, sizeof(tss_bad) - 1,
					   ACC_P | ACC_TSS32, 0));
	trap_set_handler(VEC_TS, ts_handler);
	task_call(SEL_TSS_BAD);
	trap_set_handler(VEC_TS, 0);
	report(seen_ts.tr == SEL_TSS_BAD && seen_ts.error == SEL_BEYOND,
	       "DS = 0x100 in the new TSS: #TS(0x100) raised in the new task (TR = 0x78)");
	report(seen_ts.ds == SEL_BEYOND, "the bad selector is in DS when the handler runs");
	report(read_tr() == SEL_TSS && tss_type(SEL_TSS_BAD) == ACC_TSS32,
	       "the repaired task returns to the main task");
	asm volatile("clts");
}

static void check_tss16(void)
{
	uint32_t code = (uint32_t)task16_start;

	memset(&tss_16, 0, sizeof(tss_16));
	tss_16.ip = 0;
	tss_16.flags = 0x0002 | EFLAGS_CF;
	tss_16.ax = 0x1234;
	tss_16.cx = 0x2345;
	tss_16.dx = 0x3456;
	tss_16.bx = 0x4567;
	tss_16.sp = sizeof(stack_16);
	tss_16.bp = 0x5678;
	tss_16.si = 0x6789;
	tss_16.di = 0x789a;
	tss_16.es = SEL_KDATA;
	tss_16.cs = SEL_T16_CODE;
	tss_16.ss = SEL_T16_STACK;
	tss_16.ds = SEL_T16_DATA;
	tss_16.ldt = SEL_LDT;
	gdt_set(SEL_TSS_16 >> 3, seg_desc((uint32_t)&tss_16, sizeof(tss_16) - 1, ACC_P | ACC_TSS16, 0));
	gdt_set(SEL_T16_CODE >> 3, seg_desc(code, 0xffff, ACC_P | ACC_CODE_RX, 0));
	gdt_set(SEL_T16_STACK >> 3, seg_desc((uint32_t)stack_16, sizeof(stack_16) - 1,
					     ACC_P | ACC_DATA_RW, 0));
	gdt_set(SEL_T16_DATA >> 3, seg_desc((uint32_t)t16_seen, sizeof(t16_seen) - 1,
					    ACC_P | ACC_DATA_RW, 0));

	task_call(SEL_TSS_16);
	report(t16_seen[0] == 0x1234 && t16_seen[1] == 0x2345 && t16_seen[2] == 0x3456 &&
	       t16_seen[3] == 0x4567 && t16_seen[5] == 0x5678 && t16_seen[6] == 0x6789 &&
	       t16_seen[7] == 0x789a, "16-bit TSS: AX..DI loaded from it");
	report(t16_seen[4] == sizeof(stack_16), "16-bit TSS: SP loaded from it");
	report(t16_seen[8] == (0x0002 | EFLAGS_CF | EFLAGS_NT),
	       "16-bit TSS: FLAGS loaded from it, NT set by the CALL");
	report(t16_seen[9] == SEL_KDATA && t16_seen[10] == SEL_T16_CODE &&
	       t16_seen[11] == SEL_T16_STACK && t16_seen[12] == SEL_T16_DATA,
	       "16-bit TSS: ES, CS, SS, DS loaded from it");
	report(tss_16.link == SEL_TSS, "16-bit TSS: back link 0x28");
	report(tss_16.ip == (uint16_t)((uint32_t)task16_after_iret - code) && tss_16.ax == 0xbeef,
	       "16-bit IRET (NT=1) saves IP after the IRET and AX = 0xbeef in the 16-bit TSS");
	report(tss_16.flags == (0x0002 | EFLAGS_CF), "16-bit TSS: saved FLAGS with NT cleared");
	report(read_tr() == SEL_TSS && tss_type(SEL_TSS_16) == ACC_TSS16,
	       "back in the main task; the 16-bit TSS is available (type 1)");
	asm volatile("clts");
}

static void run_task_c(uint32_t cr3_after, uint32_t task_cr3, const char *mode)
{
	tss_c.cr3 = task_cr3;
	tss_main.tss.cr3 = cr3_after;
	seen_c.alias = 0;
	task_call(SEL_TSS_C);
	report(seen_c.cr3 == task_cr3 && seen_c.alias == MARK_TASK,
	       "%s: task C runs with the CR3 of its TSS and sees its own mapping", mode);
	report(seen_c.ldtr == SEL_LDT2 && seen_c.ldt_word == ldt2_data[0],
	       "%s: task C's LDTR = 0x90, selector 0x0c reads task C's LDT", mode);
	report(read_cr3() == cr3_after && *(volatile uint32_t *)ALIAS_LINEAR == MARK_MAIN,
	       "%s: back in the main task: CR3 from the main TSS (never saved), main mapping", mode);
	report(read_ldtr() == SEL_LDT, "%s: main task's LDTR = 0x30 again", mode);
}

static void check_cr3_ldt(void)
{
	tss_init(&tss_c, task_c_entry, stack_c, sizeof(stack_c));
	tss_c.ldt = SEL_LDT2;
	gdt_set(SEL_TSS_C >> 3, seg_desc((uint32_t)&tss_c, sizeof(tss_c) - 1, ACC_P | ACC_TSS32, 0));
	ldt_set(SEL_LDT_DATA >> 3, seg_desc((uint32_t)ldt1_data, 0xf, ACC_P | ACC_DATA_RW, FLG_DB));
	memset(ldt2, 0, sizeof(ldt2));
	ldt2[SEL_LDT_DATA >> 3] = seg_desc((uint32_t)ldt2_data, 0xf, ACC_P | ACC_DATA_RW, FLG_DB);
	gdt_set(SEL_LDT2 >> 3, seg_desc((uint32_t)ldt2, sizeof(ldt2) - 1, ACC_P | ACC_LDT, 0));

	*(volatile uint32_t *)ALIAS_LINEAR = MARK_MAIN;
	*(volatile uint32_t *)ALIAS_OTHER = MARK_TASK;

	/* 2-level paging: pd1 and its copy pd1b map 0-4 MiB 1:1; pd2 maps ALIAS elsewhere. */
	pt_identity_4m(pd1, pt1, PTE_P | PTE_W);
	memcpy(pd1b, pd1, sizeof(pd1b));
	pt_identity_4m(pd2, pt2, PTE_P | PTE_W);
	*pt_entry(pt2, ALIAS_LINEAR) = ALIAS_OTHER | PTE_P | PTE_W;
	paging_on((uint32_t)pd1, 0);
	run_task_c((uint32_t)pd1b, (uint32_t)pd2, "2-level paging");
	paging_off();

	/* PAE: the PDPTEs must be reloaded from the new CR3 (SDM 4.4.1). */
	memset(pdpt1, 0, sizeof(pdpt1));
	memset(pdpt2, 0, sizeof(pdpt2));
	memset(pae_pd1, 0, sizeof(pae_pd1));
	memset(pae_pd2, 0, sizeof(pae_pd2));
	pae_pd1[0] = 0x000000 | PTE_PS | PTE_P | PTE_W;
	pae_pd1[1] = 0x200000 | PTE_PS | PTE_P | PTE_W;
	pdpt1[0] = (uint32_t)pae_pd1 | PTE_P;
	memcpy(pdpt1b, pdpt1, sizeof(pdpt1b));
	for (uint32_t i = 0; i < 512; i++)
		pae_pt2[i] = (0x200000 + i * PAGE_SIZE) | PTE_P | PTE_W;
	pae_pt2[(ALIAS_LINEAR - 0x200000) / PAGE_SIZE] = ALIAS_OTHER | PTE_P | PTE_W;
	pae_pd2[0] = 0x000000 | PTE_PS | PTE_P | PTE_W;
	pae_pd2[1] = (uint32_t)pae_pt2 | PTE_P | PTE_W;
	pdpt2[0] = (uint32_t)pae_pd2 | PTE_P;
	paging_on((uint32_t)pdpt1, CR4_PAE);
	run_task_c((uint32_t)pdpt1b, (uint32_t)pdpt2, "PAE paging");
	paging_off();
	tss_main.tss.cr3 = 0;
	asm volatile("clts");
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	check_jmp();
	check_call();
	check_gates();
	check_errors();
	check_gp_task();
	check_ts_after_commit();
	check_tss16();
	check_cr3_ldt();
}
