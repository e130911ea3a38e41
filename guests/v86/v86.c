/*
 * v86 - virtual-8086 mode and its ring-0 monitor (SDM vol. 3A ch. 20).
 *
 * Ring 0 enters v8086 mode with an IRET whose EFLAGS image has VM=1
 * (20.2.1; the frame also holds SS:ESP and ES, DS, FS, GS) and runs the
 * real-mode program of v86code.S at 2000:0000. It checks:
 *   - real-mode addressing: base = selector * 16 (two segment:offset pairs
 *     for one byte, a far CALL/RETF through an aliased CS), LOOP, REP MOVSB;
 *   - I/O through the TSS permission bitmap (20.2.8.1): REP OUTSB to the
 *     allowed port 0xe9 prints a line; OUT to a denied port is #GP(0), with
 *     IOPL 0 and with IOPL 3 alike;
 *   - IOPL 0 (20.2.7): CLI, STI, PUSHF, POPF, INT n and IRET raise #GP(0)
 *     and the monitor emulates them (a virtual IF, INT 42h reflected
 *     through the real-mode IVT); INT3 is not IOPL-sensitive and meets its
 *     DPL-0 gate: #GP(0x1a); HLT is #GP(0); #DE reaches ring 0 with VM=1;
 *   - IOPL 3: CLI, STI and PUSHF run; INT 42h goes through its DPL-3 IDT
 *     gate to ring 0 on TSS.ESP0 with the v8086 frame (GS FS DS ES SS ESP
 *     EFLAGS CS EIP, 6.12.1 figure 6-5), DS and ES null in the handler.
 */
#include "guest.h"

#define V86_SEG 0x2000
#define V86_BASE ((uint32_t)V86_SEG << 4)
#define V86_STACK_SEG 0x3000
#define V86_SP 0x1000
#define R_ALIAS 0x1100
#define R_FAR_CS 0x1102
#define R_SUM 0x1104
#define R_FLAGS_CLI 0x1106
#define R_FLAGS_STI 0x1108
#define R_AFTER_INT 0x110a
#define R_POPF 0x110c
#define R_DIV 0x110e
#define R2_FLAGS_CLI 0x1110
#define R2_FLAGS_STI 0x1112
#define R_COPY 0x1120
#define VEC_V86 0x42
#define FLAGS_MASK 0x0cd5u   /* CF PF AF ZF SF DF OF: what POPF/IRET emulation restores */
#define MAX_LOG 16

struct v86_entry {
	uint32_t eip, cs, eflags, esp, ss, es, ds, fs, gs;
};

/* The interrupt frame from v8086 mode: the library's frame plus ES DS FS GS. */
struct v86_frame {
	struct trap_frame t;
	uint32_t es, ds, fs, gs;
};

extern char v86_prog_start[], v86_prog_end[], v86_phase2[], v86_far_target[], v86_isr42[],
	v86_out80[], v86_cli[], v86_pushf1[], v86_sti[], v86_popf[], v86_int3[], v86_int42[],
	v86_div[], v86_hlt[], v86_out80_2[], v86_int42_2[], v86_after_int42_2[];
uint32_t v86_enter(const struct v86_entry *e);
__attribute__((noreturn)) void v86_leave(uint32_t value);

/* What the monitor saw: every #GP from v8086 mode, in order. */
static struct {
	uint8_t opcode;
	uint16_t ip;
	uint32_t error;
} gp_log[MAX_LOG];
static unsigned gp_count;
static bool vif;               /* the virtual IF of the IOPL-0 phase */
static struct { uint32_t eflags, cs, eip; } de_seen;
static struct v86_frame int_seen;
static uint32_t int_frame_top;

static uint16_t ip_of(const char *label)
{
	return (uint16_t)((uint32_t)label - (uint32_t)v86_prog_start);
}

static uint8_t *lin(uint32_t seg, uint32_t off)
{
	return (uint8_t *)((seg << 4) + (off & 0xffff));
}

static uint16_t rd16(uint32_t off)
{
	return *(volatile uint16_t *)(V86_BASE + off);
}

static void push16(struct v86_frame *f, uint16_t value)
{
	f->t.esp = (f->t.esp - 2) & 0xffff;
	*(uint16_t *)lin(f->t.ss, f->t.esp) = value;
}

static uint16_t pop16(struct v86_frame *f)
{
	uint16_t value = *(uint16_t *)lin(f->t.ss, f->t.esp);

	f->t.esp = (f->t.esp + 2) & 0xffff;
	return value;
}

static uint16_t virtual_flags(const struct v86_frame *f)
{
	return (uint16_t)((f->t.eflags & ~EFLAGS_IF) | (vif ? EFLAGS_IF : 0));
}

static void load_flags(struct v86_frame *f, uint16_t value)
{
	f->t.eflags = (f->t.eflags & ~FLAGS_MASK) | (value & FLAGS_MASK);
	vif = value & EFLAGS_IF;
}

/* The monitor: emulates the sensitive instruction at CS:IP and resumes. */
static void v86_gp(struct trap_frame *t)
{
	struct v86_frame *f = (struct v86_frame *)t;
	uint8_t *code;

	if (!(t->eflags & EFLAGS_VM) || gp_count == MAX_LOG)
		trap_unexpected(t);
	code = lin(t->cs, t->eip);
	gp_log[gp_count].opcode = code[0];
	gp_log[gp_count].ip = (uint16_t)t->eip;
	gp_log[gp_count].error = t->error;
	gp_count++;
	if (t->error) {          /* INT3 through a DPL-0 gate: skip it */
		t->eip += 1;
		return;
	}
	switch (code[0]) {
	case 0xfa:               /* CLI */
		vif = false;
		t->eip += 1;
		return;
	case 0xfb:               /* STI */
		vif = true;
		t->eip += 1;
		return;
	case 0x9c:               /* PUSHF */
		push16(f, virtual_flags(f));
		t->eip += 1;
		return;
	case 0x9d:               /* POPF */
		load_flags(f, pop16(f));
		t->eip += 1;
		return;
	case 0xcd: {             /* INT n: reflect through the IVT at linear 0 */
		uint32_t vector = *(volatile uint32_t *)(code[1] * 4);

		push16(f, virtual_flags(f));
		push16(f, (uint16_t)t->cs);
		push16(f, (uint16_t)(t->eip + 2));
		vif = false;
		t->cs = vector >> 16;
		t->eip = vector & 0xffff;
		return;
	}
	case 0xcf:               /* IRET */
		t->eip = pop16(f);
		t->cs = pop16(f);
		load_flags(f, pop16(f));
		return;
	case 0xe6:               /* OUT imm8, AL to a denied port: skipped */
		t->eip += 2;
		return;
	case 0xf4:               /* HLT: the program is done */
		v86_leave(1);
	default:
		trap_unexpected(t);
	}
}

static void v86_de(struct trap_frame *t)
{
	de_seen.eflags = t->eflags;
	de_seen.cs = t->cs;
	de_seen.eip = t->eip;
	t->eip += 2;             /* DIV BL */
}

static void v86_int(struct trap_frame *t)
{
	int_seen = *(struct v86_frame *)t;
	int_frame_top = (uint32_t)&((struct v86_frame *)t)->gs + 4;
	v86_leave(2);
}

static bool gp_at(unsigned k, uint8_t opcode, const char *where, uint32_t error)
{
	return k < gp_count && gp_log[k].opcode == opcode && gp_log[k].ip == ip_of(where) &&
	       gp_log[k].error == error;
}

static void enter(const char *entry, uint32_t iopl)
{
	struct v86_entry e = {
		.eip = ip_of(entry), .cs = V86_SEG, .eflags = 0x2 | EFLAGS_VM | iopl << 12,
		.esp = V86_SP, .ss = V86_STACK_SEG, .es = V86_SEG, .ds = V86_SEG,
		.fs = V86_SEG + 1, .gs = V86_SEG + 2,
	};
	uint32_t r = v86_enter(&e);

	report(r == (iopl ? 2u : 1u), "IOPL %u: v8086 program ran to its end", iopl);
}

static void check_iopl0(void)
{
	static const char *const what[] = {
		"OUT to port 0x80 (denied in the I/O bitmap) -> #GP(0)",
		"IOPL 0: CLI -> #GP(0)",
		"IOPL 0: PUSHF -> #GP(0)",
		"IOPL 0: STI -> #GP(0)",
		"IOPL 0: PUSHF -> #GP(0)",
		"IOPL 0: POPF -> #GP(0)",
		"INT3 is not IOPL-sensitive: #GP(0x1a) from its DPL-0 gate",
		"IOPL 0: INT 0x42 -> #GP(0) despite its DPL-3 gate",
		"IOPL 0: IRET -> #GP(0)",
		"HLT in v8086 mode -> #GP(0)",
	};
	const struct { uint8_t opcode; const char *ip; uint32_t error; } want[] = {
		{ 0xe6, v86_out80, 0 }, { 0xfa, v86_cli, 0 }, { 0x9c, v86_pushf1, 0 },
		{ 0xfb, v86_sti, 0 }, { 0x9c, v86_sti + 1, 0 }, { 0x9d, v86_popf, 0 },
		{ 0xcc, v86_int3, VEC_BP * 8 + 2 }, { 0xcd, v86_int42, 0 },
		{ 0xcf, v86_isr42 + 3, 0 }, { 0xf4, v86_hlt, 0 },
	};

	gp_count = 0;
	vif = true;
	enter(v86_prog_start, 0);
	for (unsigned k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		report(gp_at(k, want[k].opcode, want[k].ip, want[k].error), "%s", what[k]);
	report(gp_count == sizeof(want) / sizeof(want[0]), "no other #GP from v8086 mode");

	report(rd16(R_ALIAS) == 0x1234, "2100:0010 and 2000:1010 are the same byte (base = sel * 16)");
	report(rd16(R_FAR_CS) == V86_SEG - 0x10,
	       "far CALL 1ff0:xxxx runs the same code with CS = 0x1ff0; RETF returns");
	report(rd16(R_SUM) == 55, "LOOP: 10 + 9 + ... + 1 = 55");
	report(memcmp((const void *)(V86_BASE + R_COPY), "0123456789abcdef", 16) == 0,
	       "REP MOVSB copied 16 bytes");
	report(!(rd16(R_FLAGS_CLI) & EFLAGS_IF) && (rd16(R_FLAGS_STI) & EFLAGS_IF),
	       "emulated PUSHF shows the virtual IF after CLI and after STI");
	report(rd16(R_POPF) == 0x600d, "emulated POPF set CF from the popped word");
	report(rd16(R_AFTER_INT) == 0x4242, "INT 0x42 reflected through the IVT, IRET emulated");
	report((de_seen.eflags & EFLAGS_VM) && de_seen.cs == V86_SEG &&
	       de_seen.eip == ip_of(v86_div) && rd16(R_DIV) == 0xd1d1,
	       "#DE from v8086 mode reaches ring 0 with VM=1 and CS:IP of the DIV");
}

static void check_iopl3(void)
{
	gp_count = 0;
	enter(v86_phase2, 3);
	report(gp_count == 1 && gp_at(0, 0xe6, v86_out80_2, 0),
	       "IOPL 3: CLI, STI, PUSHF run; OUT to port 0x80 is still #GP(0)");
	report((rd16(R2_FLAGS_CLI) & (EFLAGS_IF | EFLAGS_IOPL)) == EFLAGS_IOPL &&
	       (rd16(R2_FLAGS_STI) & (EFLAGS_IF | EFLAGS_IOPL)) == (EFLAGS_IOPL | EFLAGS_IF),
	       "IOPL 3: PUSHF shows IOPL 3 and the real IF after CLI and STI");
	report(int_seen.t.vector == VEC_V86 && int_seen.t.cs == V86_SEG &&
	       int_seen.t.eip == ip_of(v86_after_int42_2),
	       "IOPL 3: INT 0x42 reaches its ring-0 handler, CS:EIP after the INT");
	report((int_seen.t.eflags & (EFLAGS_VM | EFLAGS_IOPL)) == (EFLAGS_VM | EFLAGS_IOPL),
	       "v8086 frame: EFLAGS with VM=1 and IOPL 3");
	report(int_seen.t.ss == V86_STACK_SEG && int_seen.t.esp == V86_SP,
	       "v8086 frame: SS:ESP of the v8086 program");
	report(int_seen.es == V86_SEG && int_seen.ds == V86_SEG && int_seen.fs == V86_SEG + 1 &&
	       int_seen.gs == V86_SEG + 2, "v8086 frame: ES, DS, FS, GS above SS");
	report(int_seen.t.ds == 0 && int_seen.t.es == 0,
	       "DS and ES are null on entry to the handler");
	report(int_frame_top == (uint32_t)stack_trap_top, "the frame is at the top of TSS.ESP0");
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	uint32_t ivt_entry = (uint32_t)V86_SEG << 16 | ip_of(v86_isr42);

	memcpy((void *)V86_BASE, v86_prog_start, (uint32_t)(v86_prog_end - v86_prog_start));
	memcpy((void *)(VEC_V86 * 4), &ivt_entry, sizeof(ivt_entry));   /* the real-mode IVT */
	io_permit(DEBUGCON_PORT, 1);
	trap_set_handler(VEC_GP, v86_gp);
	trap_set_handler(VEC_DE, v86_de);
	trap_set_handler(VEC_V86, v86_int);
	idt_set_default(VEC_V86, 3);

	check_iopl0();
	check_iopl3();
}
