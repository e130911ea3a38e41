/*
 * usermode - privilege levels: ring 3 and back (SDM vol. 3A ch. 5-7).
 *
 * Ring-3 code runs through user_call() (IRET to CS 0x1b / SS 0x23 on the
 * user stack) with paging on: the first 4 MiB identity-mapped user-
 * accessible, except a supervisor page, a user read-only page and a
 * not-present page. Ring-3 code cannot print, so it records what it sees
 * and ring 0 reports. Checks:
 *   - INT 0x80 through a DPL-3 gate switches to SS0:ESP0 from the TSS
 *     (ESP = ESP0 - 20 after SS, ESP, EFLAGS, CS, EIP; 6.12.1), saved CS
 *     and SS have RPL 3, saved ESP is the user's; IRET goes back to ring 3;
 *     IRET to ring 3 nulls a data segment register with DPL 0 (5.8.6);
 *   - with IOPL=0, CLI, STI, HLT, IN, OUT, MOV from CR0, MOV to CR3,
 *     LGDT, RDMSR, INVLPG, CLTS and MOV from DR7 -> #GP(0);
 *   - paging from ring 3: read/write of a supervisor page -> #PF(5)/#PF(7),
 *     write to a read-only user page -> #PF(7), read of a not-present page
 *     -> #PF(4), CR2 = the address (4.6, 4.7);
 *   - INT n, INT3 and INTO through DPL-0 gates -> #GP(vector*8+2); INT3
 *     through a DPL-3 gate -> #BP in ring 0 with saved CS 0x1b (6.12.1.1);
 *   - IOPL=3 allows IN, OUT, CLI, STI; with IOPL=0 the TSS I/O bitmap
 *     allows port 0xE9 but not 0xEA, so a word OUT to 0xE9 (which also
 *     touches 0xEA) -> #GP(0) (vol. 1 19.5.2). Ring 3 writes two lines of
 *     this output itself;
 *   - SYSENTER/SYSEXIT round trip through MSRs 0x174-0x176 (CS, SS, ESP,
 *     IF cleared on entry; CS/SS/ESP/EIP after SYSEXIT), SYSEXIT in ring 3
 *     -> #GP(0), SYSENTER with IA32_SYSENTER_CS = 0 -> #GP(0).
 */
#include <stdarg.h>

#include "guest.h"

#define SYSCALL_VECTOR 0x80
#define KERNEL_GATE_VECTOR 0x81
#define EFLAGS_USER (0x2 | EFLAGS_IF)
#define EFLAGS_USER_IOPL3 (EFLAGS_USER | EFLAGS_IOPL)

extern char sysenter_entry[];
extern volatile uint32_t se_seen[5];

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static volatile uint32_t kernel_page[1024] __attribute__((aligned(4096)));
static volatile uint32_t user_ro_page[1024] __attribute__((aligned(4096)));
static volatile uint32_t absent_page[1024] __attribute__((aligned(4096)));

/* What the INT 0x80 handler saw. */
struct syscall_seen {
	uint32_t frame_top;     /* address just above the saved EIP, CS, EFLAGS, ESP, SS */
	uint32_t cs, ss, esp, eflags;
	uint32_t handler_cs, handler_ss;
	uint32_t count;
};

static volatile struct syscall_seen sys_seen;

/* One ring-3 TRY, copied out of trap_catch. */
struct catch_copy {
	uint32_t vector, error, eip, start, end, cs, cr2;
};

#define MAX_CATCHES 24
static struct catch_copy catches[MAX_CATCHES];

/* Filled by ring-3 code. */
struct user_view {
	uint32_t esp_before_int, int_result, cs_after_int;
	uint32_t fs_after_iret, gs_after_iret;
	uint32_t cs_after_sysexit, ss_after_sysexit, esp_after_sysexit, esp_before_sysenter;
};

static volatile struct user_view view;

static void keep_catch(unsigned i)
{
	catches[i].vector = trap_catch.vector;
	catches[i].error = trap_catch.error;
	catches[i].eip = trap_catch.eip;
	catches[i].start = trap_catch.start;
	catches[i].end = trap_catch.end;
	catches[i].cs = trap_catch.cs;
	catches[i].cr2 = trap_catch.cr2;
}

/* Where the saved EIP must point: faults at the body's first instruction, traps after it. */
enum eip_at { AT_START, AT_END, AT_LAST_BYTE };

static bool __attribute__((format(printf, 5, 6)))
report_catch(unsigned i, unsigned vector, uint32_t error, enum eip_at at, const char *fmt, ...)
{
	const struct catch_copy *c = &catches[i];
	uint32_t eip = at == AT_START ? c->start : at == AT_END ? c->end : c->end - 1;
	bool ok = c->vector == vector && c->error == error && c->cs == SEL_UCODE && c->eip == eip;
	va_list ap;

	va_start(ap, fmt);
	vreport(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		note("caught vector=%d error=0x%x cs:eip=0x%x:0x%08x cr2=0x%08x (body 0x%08x-0x%08x)",
		     (int)c->vector, c->error, c->cs, c->eip, c->cr2, c->start, c->end);
	return ok;
}

/*
 * What ring 3 looks like, seen from ring 0: INT 0x80 with EAX = 3 records
 * the interrupted CS and SS (from the frame) and FS and GS (which the trap
 * stub leaves alone). Ring 3 reads its selectors this way rather than with
 * MOV r32, Sreg: under direct execution (softvt --user direct) that
 * instruction runs natively and shows the host's selectors (a documented
 * ring-compression leak, which guests/critical demonstrates).
 */
static struct { uint32_t cs, ss, fs, gs; } snap;

static uint16_t read_fs_sel(void)
{
	uint16_t v;
	asm volatile("movw %%fs, %0" : "=r"(v));
	return v;
}

static uint16_t read_gs_sel(void)
{
	uint16_t v;
	asm volatile("movw %%gs, %0" : "=r"(v));
	return v;
}

static void snapshot_selectors(void)
{
	uint32_t eax = 3;
	asm volatile("int $0x80" : "+a"(eax) : : "memory");
}

static void syscall_handler(struct trap_frame *f)
{
	if (f->eax == 3) {
		snap.cs = f->cs & 0xffff;
		snap.ss = f->ss & 0xffff;
		snap.fs = read_fs_sel();
		snap.gs = read_gs_sel();
		return;
	}
	sys_seen.frame_top = (uint32_t)&f->ss + 4;
	sys_seen.cs = f->cs;
	sys_seen.ss = f->ss;
	sys_seen.esp = f->esp;
	sys_seen.eflags = f->eflags;
	sys_seen.handler_cs = read_cs();
	sys_seen.handler_ss = read_ss();
	sys_seen.count++;
	if (f->eax == 2)
		asm volatile("movw %w0, %%fs\n\tmovw %w1, %%gs" : : "r"(SEL_KDATA), "r"(SEL_UDATA));
	f->eax += 0x100;
}

/* ---- ring 3 ---- */

static uint32_t user_int80(void *arg)
{
	uint32_t esp, result;

	asm volatile("movl %%esp, %0\n\tint $0x80"
		     : "=&r"(esp), "=a"(result) : "a"(1) : "memory");
	view.esp_before_int = esp;
	view.int_result = result;
	snapshot_selectors();
	view.cs_after_int = snap.cs;
	asm volatile("int $0x80" : "=a"(result) : "a"(2) : "memory");
	snapshot_selectors();
	view.fs_after_iret = snap.fs;
	view.gs_after_iret = snap.gs;
	return 0x5a5a;
}

static uint32_t user_privileged(void *arg)
{
	const struct dtr *gdtr = arg;
	uint32_t v = 0;

	TRY("cli");
	keep_catch(0);
	TRY("sti");
	keep_catch(1);
	TRY("hlt");
	keep_catch(2);
	TRY_ASM("inb $0x61, %%al", "=a"(v), );
	keep_catch(3);
	TRY_ASM("outb %%al, $0x80", , "a"(v));
	keep_catch(4);
	TRY_ASM("movl %%cr0, %0", "=r"(v), );
	keep_catch(5);
	TRY_ASM("movl %0, %%cr3", , "r"(v));
	keep_catch(6);
	TRY_ASM("lgdt (%0)", , "r"(gdtr));
	keep_catch(7);
	TRY_ASM("rdmsr", "=a"(v), "c"(MSR_SYSENTER_CS), "edx");
	keep_catch(8);
	TRY_ASM("invlpg (%0)", , "r"(gdtr));
	keep_catch(9);
	TRY("clts");
	keep_catch(10);
	TRY_ASM("movl %%dr7, %0", "=r"(v), );
	keep_catch(11);
	return 0;
}

static uint32_t user_paging(void *arg)
{
	uint32_t v = 0;

	TRY_ASM("movl (%1), %0", "=r"(v), "r"(&kernel_page[1]));
	keep_catch(0);
	TRY_ASM("movl %1, (%0)", , "r"(&kernel_page[2]) COMMA "r"(v));
	keep_catch(1);
	TRY_ASM("movl %1, (%0)", , "r"(&user_ro_page[3]) COMMA "r"(v));
	keep_catch(2);
	TRY_ASM("movl (%1), %0", "=r"(v), "r"(&absent_page[4]));
	keep_catch(3);
	TRY_ASM("movl (%1), %0", "=r"(v), "r"(&user_ro_page[5]));
	keep_catch(4);
	return v;
}

static uint32_t user_gates(void *arg)
{
	uint32_t v = 0x7fffffff;

	TRY_ASM("int %0", , "i"(KERNEL_GATE_VECTOR));
	keep_catch(0);
	TRY("int3");
	keep_catch(1);
	TRY_ASM("addl $1, %0\n\tinto", "+r"(v), );
	keep_catch(2);
	return 0;
}

static uint32_t user_int3_dpl3(void *arg)
{
	TRY("int3");
	keep_catch(0);
	return 0;
}

static void user_print(const char *s)
{
	while (*s)
		outb(DEBUGCON_PORT, (uint8_t)*s++);
}

static uint32_t user_iopl3(void *arg)
{
	uint8_t v = 0;

	TRY_ASM("inb $0x61, %%al", "=a"(v), );
	keep_catch(0);
	TRY("cli\n\tsti");
	keep_catch(1);
	user_print("# ring 3 with IOPL=3 wrote this line to port 0xe9\n");
	return v;
}

static uint32_t user_iomap(void *arg)
{
	TRY_ASM("outb %%al, %%dx", , "a"('#') COMMA "d"(0xea));
	keep_catch(0);
	TRY_ASM("outw %%ax, %%dx", , "a"(0x2323) COMMA "d"(DEBUGCON_PORT));
	keep_catch(1);
	TRY_ASM("inb $0x61, %%al", , );
	keep_catch(2);
	user_print("# ring 3 with IOPL=0 wrote this line through the I/O bitmap\n");
	return 0;
}

static uint32_t user_sysenter(void *arg)
{
	uint32_t esp_after, esp_before;

	asm volatile("movl %%esp, %%ecx\n\t"
		     "movl %%ecx, %1\n\t"
		     "movl $1f, %%edx\n\t"
		     "sysenter\n"
		     "1:\n\t"
		     "movl %%esp, %0"
		     : "=r"(esp_after), "=m"(esp_before)
		     : : "ecx", "edx", "memory");
	snapshot_selectors();
	view.cs_after_sysexit = snap.cs;
	view.ss_after_sysexit = snap.ss;
	view.esp_after_sysexit = esp_after;
	view.esp_before_sysenter = esp_before;
	TRY("sysexit");
	keep_catch(0);
	return 0;
}

static uint32_t user_sysenter_disabled(void *arg)
{
	TRY("sysenter");
	keep_catch(0);
	return 0;
}

/* ---- ring 0 ---- */

static void check_int80(void)
{
	uint32_t r;

	r = user_call(user_int80, 0, EFLAGS_USER);
	report(r == 0x5a5a && read_cs() == SEL_KCODE,
	       "user_call: ring 3 ran and came back to ring 0");
	report(sys_seen.count == 2, "INT 0x80 through the DPL-3 gate reached the handler");
	report(sys_seen.frame_top == (uint32_t)stack_trap_top,
	       "the handler runs on TSS.ESP0: the 5-dword frame ends at ESP0 = 0x%08x",
	       (uint32_t)stack_trap_top);
	report(sys_seen.handler_cs == SEL_KCODE && sys_seen.handler_ss == SEL_KDATA,
	       "the handler runs with CS 0x08 and SS = TSS.SS0 = 0x10");
	report(sys_seen.cs == SEL_UCODE && sys_seen.ss == SEL_UDATA,
	       "saved CS = 0x1b and SS = 0x23 (RPL 3)");
	report(sys_seen.esp == view.esp_before_int, "saved ESP = the user ESP at the INT");
	report(sys_seen.eflags & EFLAGS_IF, "saved EFLAGS has the user's IF=1");
	report(view.int_result == 0x101 && view.cs_after_int == SEL_UCODE,
	       "IRET returned to ring 3 with the handler's EAX");
	report(view.fs_after_iret == 0 && view.gs_after_iret == SEL_UDATA,
	       "IRET to ring 3 nulled FS (DPL 0 data), kept GS (DPL 3)");
}

static void check_privileged(void)
{
	static const char *const names[] = {
		"CLI", "STI", "HLT", "IN from port 0x61", "OUT to port 0x80", "MOV from CR0",
		"MOV to CR3", "LGDT", "RDMSR", "INVLPG", "CLTS", "MOV from DR7",
	};
	struct dtr gdtr;

	sgdt(&gdtr);
	user_call(user_privileged, &gdtr, EFLAGS_USER);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		report_catch(i, VEC_GP, 0, AT_START, "ring 3, IOPL=0: %s -> #GP(0)", names[i]);
}

static void check_paging(void)
{
	/* ring 0 uses the supervisor page first: an engine that caches the
	 * translation (a shadow mapping) must not let ring 3 through it */
	kernel_page[1] = 0x5a5a5a5a;
	kernel_page[2] = kernel_page[1] + 1;
	user_call(user_paging, 0, EFLAGS_USER);
	report_catch(0, VEC_PF, 5, AT_START, "ring 3: read of a supervisor page -> #PF(5)");
	report(catches[0].cr2 == (uint32_t)&kernel_page[1], "  ... CR2 = the address read");
	report_catch(1, VEC_PF, 7, AT_START, "ring 3: write to a supervisor page -> #PF(7)");
	report_catch(2, VEC_PF, 7, AT_START, "ring 3: write to a read-only user page -> #PF(7)");
	report(catches[2].cr2 == (uint32_t)&user_ro_page[3], "  ... CR2 = the address written");
	report_catch(3, VEC_PF, 4, AT_START, "ring 3: read of a not-present page -> #PF(4)");
	report(catches[4].vector == TRAP_NONE, "ring 3: read of the read-only user page works");
}

static void check_gates(void)
{
	user_call(user_gates, 0, EFLAGS_USER);
	report_catch(0, VEC_GP, KERNEL_GATE_VECTOR * 8 + 2, AT_START,
	             "ring 3: INT 0x81 through a DPL-0 gate -> #GP(0x40a)");
	report_catch(1, VEC_GP, VEC_BP * 8 + 2, AT_START,
	             "ring 3: INT3 through a DPL-0 gate -> #GP(0x1a)");
	report_catch(2, VEC_GP, VEC_OF * 8 + 2, AT_LAST_BYTE,
	             "ring 3: INTO through a DPL-0 gate -> #GP(0x22)");
	idt_set_default(VEC_BP, 3);
	user_call(user_int3_dpl3, 0, EFLAGS_USER);
	idt_set_default(VEC_BP, 0);
	report_catch(0, VEC_BP, 0, AT_END,
	             "ring 3: INT3 through a DPL-3 gate -> #BP from CS 0x1b, EIP after it");
}

static void check_io(void)
{
	user_call(user_iopl3, 0, EFLAGS_USER_IOPL3);
	report(catches[0].vector == TRAP_NONE, "ring 3, IOPL=3: IN works");
	report(catches[1].vector == TRAP_NONE, "ring 3, IOPL=3: CLI and STI work");

	io_permit(DEBUGCON_PORT, 1);
	user_call(user_iomap, 0, EFLAGS_USER);
	io_permit(DEBUGCON_PORT, 0);
	report_catch(0, VEC_GP, 0, AT_START,
	             "ring 3, IOPL=0: OUT to port 0xea, denied by the bitmap -> #GP(0)");
	report_catch(1, VEC_GP, 0, AT_START,
	             "ring 3, IOPL=0: word OUT to 0xe9 also needs 0xea -> #GP(0)");
	report_catch(2, VEC_GP, 0, AT_START, "ring 3, IOPL=0: IN from port 0x61, denied -> #GP(0)");
}

static void check_sysenter(void)
{
	if (!report(cpuid_features_edx() & CPUID_SEP, "CPUID reports SEP (SYSENTER/SYSEXIT)"))
		return;
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
	wrmsr(MSR_SYSENTER_ESP, (uint32_t)stack_sysenter_top);
	wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);
	report(rdmsr(MSR_SYSENTER_CS) == SEL_KCODE && rdmsr(MSR_SYSENTER_EIP) == (uint32_t)sysenter_entry,
	       "SYSENTER MSRs read back");
	user_call(user_sysenter, 0, EFLAGS_USER);
	report(se_seen[4] == 1, "SYSENTER reached the entry point");
	report((se_seen[0] & 0xffff) == SEL_KCODE && (se_seen[1] & 0xffff) == SEL_KDATA,
	       "SYSENTER: CS = 0x08, SS = 0x10");
	report(se_seen[2] == (uint32_t)stack_sysenter_top, "SYSENTER: ESP = IA32_SYSENTER_ESP");
	report(!(se_seen[3] & EFLAGS_IF), "SYSENTER cleared IF");
	report(view.cs_after_sysexit == SEL_UCODE && view.ss_after_sysexit == SEL_UDATA,
	       "SYSEXIT: CS = 0x1b, SS = 0x23");
	report(view.esp_after_sysexit == view.esp_before_sysenter, "SYSEXIT: ESP = ECX");
	report_catch(0, VEC_GP, 0, AT_START, "ring 3: SYSEXIT -> #GP(0)");
	wrmsr(MSR_SYSENTER_CS, 0);
	user_call(user_sysenter_disabled, 0, EFLAGS_USER);
	report_catch(0, VEC_GP, 0, AT_START, "SYSENTER with IA32_SYSENTER_CS = 0 -> #GP(0)");
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	idt_set_default(SYSCALL_VECTOR, 3);
	trap_set_handler(SYSCALL_VECTOR, syscall_handler);
	pt_identity_4m(pd, pt, PTE_P | PTE_W | PTE_U);
	*pt_entry(pt, (uint32_t)kernel_page) = (uint32_t)kernel_page | PTE_P | PTE_W;
	*pt_entry(pt, (uint32_t)user_ro_page) = (uint32_t)user_ro_page | PTE_P | PTE_U;
	*pt_entry(pt, (uint32_t)absent_page) = 0;
	paging_on((uint32_t)pd, 0);

	check_int80();
	check_privileged();
	check_paging();
	check_gates();
	check_io();
	check_sysenter();

	paging_off();
	report(read_cs() == SEL_KCODE && read_ss() == SEL_KDATA,
	       "back in ring 0 with CS 0x08, SS 0x10");
}
