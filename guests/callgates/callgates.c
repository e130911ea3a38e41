/*
 * callgates - far CALL and JMP through call gates (SDM vol. 3A 5.8.3-5.8.6,
 * and the CALL/JMP/RET pseudocode of vol. 2).
 *
 *   - same privilege: a 32-bit gate (CS:EIP from the gate, the CALL's
 *     offset ignored, CS:EIP pushed), JMP through an LDT gate (nothing
 *     pushed), a 16-bit gate called from 16-bit code (16-bit CS:IP pushed);
 *   - more privilege (5.8.5, figure 5-13): ring 3 -> ring 0 through a
 *     32-bit gate with two parameters (TSS.SS0:ESP0, frame SS ESP p1 p0 CS
 *     EIP, parameters in their order), RET 8 back (ESP of the caller plus
 *     8, ES holding a DPL-0 segment nulled), the same to ring 1 through
 *     TSS.SS1:ESP1, ring 3 -> ring 0 through a 16-bit gate from a 16-bit
 *     stack (words: SS SP p CS IP), a conforming target (no stack switch);
 *   - errors: gate DPL < CPL or < RPL, gate not present, null / out of
 *     range / data / DPL-3 / not-present target, JMP to a more privileged
 *     segment, and the inner stack: null SS, RPL != DPL, read-only, not
 *     present, TSS too short to hold SS1:ESP1 (#TS(TR)).
 *
 * Not checked: the upper half of ESP after a return to a 16-bit stack
 * (real processors keep the inner ESP's upper half there, the SDM's
 * pseudocode does not say so); only SP is checked. QEMU 7.2 deviations
 * (guests/README.md): it gives a conforming target CS.RPL 0 instead of the
 * CPL (only the selector index is checked); it does not check a gate's
 * offset against the target's limit (SDM: #GP(0)) nor the inner stack's
 * limit (SDM: #SS(SS)), so neither is tested; a not-present inner SS
 * gives #TS(SS) there (SDM: #SS(SS)), so only the error code is checked.
 */
#include "guest.h"

#define SEL_GATE32_R0     0x40   /* DPL 0 -> gate_same */
#define SEL_GATE32_R3_R0  0x48   /* DPL 3 -> gate_inner, 2 parameters */
#define SEL_CODE16_R0     0x50   /* 16-bit code at c16_start, DPL 0 */
#define SEL_CODE16_R3     0x58   /* the same, DPL 3 */
#define SEL_STACK16_R3    0x60   /* 16-bit ring-3 stack */
#define SEL_GATE16_R0     0x68   /* 16-bit gate, DPL 0 -> g16_same */
#define SEL_GATE16_R3     0x70   /* 16-bit gate, DPL 3 -> g16_inner, 1 parameter */
#define SEL_CODE_R1       0x78
#define SEL_DATA_R1       0x80
#define SEL_GATE_R3_R1    0x88   /* DPL 3 -> gate_ring1, 2 parameters */
#define SEL_CONFORMING    0x90
#define SEL_GATE_CONF     0x98   /* DPL 3 -> gate_conf (conforming) */
#define SEL_CODE_NP       0xa0
#define SEL_DATA_R1_RO    0xb0
#define SEL_DATA_R1_NP    0xb8
#define SEL_REC16         0xc8   /* DPL 3, the record of the 16-bit code */
/* Call gates in the LDT (TI=1, RPL 0) */
#define SEL_GATE_NP       0x04
#define SEL_GATE_NULLCS   0x0c
#define SEL_GATE_BEYOND   0x14   /* -> 0x0ff8 */
#define SEL_GATE_DATA     0x1c   /* -> 0x10 */
#define SEL_GATE_R3CODE   0x24   /* -> 0x1b */
#define SEL_GATE_CODE_NP  0x2c   /* -> SEL_CODE_NP */
#define SEL_GATE_JMP      0x3c   /* -> gate_jmp_target */
#define GATE32 0x0c
#define GATE16 0x04

struct rec16 {
	uint32_t c16_esp_before, c16_esp_after, same_esp;
	uint16_t same_cs, same_ip_pushed, same_cs_pushed, pad0;
	uint16_t u_ss, pad1;
	uint32_t u_esp, u_after_esp, inner_esp;
	uint16_t inner_ss, inner_cs, ip, cs, param, sp, ss;
} __attribute__((packed));

extern char gate_same[], gate_jmp_target[], gate_inner[], gate_ring1[], gate_conf[],
	call_gate_same_ret[], user_gate_inner_ret[], user_gate_ring1_ret[], c16_start[], c16_caller_ret[],
	u16_after_call[], g16_same[], g16_inner[];
extern uint32_t same_seen[4], same_caller_esp, jmp_seen[2], jmp_caller_esp, inner_seen[8],
	inner_caller_esp, inner_after_esp, inner_after_es, ring1_seen[8], ring1_caller_esp,
	ring1_after_esp, conf_seen[2], conf_caller_esp, conf_after_cs;
uint32_t call_gate_same(void);
void jmp_gate(void);
void call16_same(void);
uint32_t user_gate_inner(void *arg);
uint32_t user_gate_ring1(void *arg);
uint32_t user_gate_conf(void *arg);
uint32_t user_call16(void *arg);

static volatile struct rec16 rec16;
static uint8_t stack_r1[4096] __attribute__((aligned(16)));
static uint8_t stack16_r3[4096] __attribute__((aligned(16)));

static uint64_t call_gate(uint16_t sel, uint32_t offset, unsigned params, unsigned type,
			  unsigned dpl, bool present)
{
	return (offset & 0xffff) | (uint64_t)sel << 16 | (uint64_t)(params & 0x1f) << 32 |
	       (uint64_t)((present ? ACC_P : 0) | ACC_DPL(dpl) | type) << 40 |
	       (uint64_t)(offset >> 16) << 48;
}

static uint32_t c16_offset(const char *label)
{
	return (uint32_t)label - (uint32_t)c16_start;
}

static void setup(void)
{
	gdt_set(SEL_GATE32_R0 >> 3, call_gate(SEL_KCODE, (uint32_t)gate_same, 0, GATE32, 0, true));
	gdt_set(SEL_GATE32_R3_R0 >> 3, call_gate(SEL_KCODE, (uint32_t)gate_inner, 2, GATE32, 3, true));
	gdt_set(SEL_CODE16_R0 >> 3, seg_desc((uint32_t)c16_start, 0xffff, ACC_P | ACC_CODE_RX, 0));
	gdt_set(SEL_CODE16_R3 >> 3, seg_desc((uint32_t)c16_start, 0xffff,
					     ACC_P | ACC_DPL(3) | ACC_CODE_RX, 0));
	gdt_set(SEL_STACK16_R3 >> 3, seg_desc((uint32_t)stack16_r3, sizeof(stack16_r3) - 1,
					      ACC_P | ACC_DPL(3) | ACC_DATA_RW, 0));
	gdt_set(SEL_GATE16_R0 >> 3, call_gate(SEL_CODE16_R0, c16_offset(g16_same), 0, GATE16, 0, true));
	gdt_set(SEL_GATE16_R3 >> 3, call_gate(SEL_CODE16_R0, c16_offset(g16_inner), 1, GATE16, 3, true));
	gdt_set(SEL_CODE_R1 >> 3, seg_desc(0, 0xfffff, ACC_P | ACC_DPL(1) | ACC_CODE_RX, FLG_G | FLG_DB));
	gdt_set(SEL_DATA_R1 >> 3, seg_desc(0, 0xfffff, ACC_P | ACC_DPL(1) | ACC_DATA_RW, FLG_G | FLG_DB));
	gdt_set(SEL_GATE_R3_R1 >> 3, call_gate(SEL_CODE_R1, (uint32_t)gate_ring1, 2, GATE32, 3, true));
	gdt_set(SEL_CONFORMING >> 3, seg_desc(0, 0xfffff, ACC_P | ACC_CODE_CONF, FLG_G | FLG_DB));
	gdt_set(SEL_GATE_CONF >> 3, call_gate(SEL_CONFORMING, (uint32_t)gate_conf, 0, GATE32, 3, true));
	gdt_set(SEL_CODE_NP >> 3, seg_desc(0, 0xfffff, ACC_CODE_RX, FLG_G | FLG_DB));
	gdt_set(SEL_DATA_R1_RO >> 3, seg_desc(0, 0xfffff, ACC_P | ACC_DPL(1) | ACC_DATA_RO, FLG_G | FLG_DB));
	gdt_set(SEL_DATA_R1_NP >> 3, seg_desc(0, 0xfffff, ACC_DPL(1) | ACC_DATA_RW, FLG_G | FLG_DB));
	gdt_set(SEL_REC16 >> 3, seg_desc((uint32_t)&rec16, sizeof(rec16) - 1,
					 ACC_P | ACC_DPL(3) | ACC_DATA_RW, 0));

	ldt_set(SEL_GATE_NP >> 3, call_gate(SEL_KCODE, (uint32_t)gate_same, 0, GATE32, 0, false));
	ldt_set(SEL_GATE_NULLCS >> 3, call_gate(0, (uint32_t)gate_same, 0, GATE32, 0, true));
	ldt_set(SEL_GATE_BEYOND >> 3, call_gate(0x0ff8, 0, 0, GATE32, 0, true));
	ldt_set(SEL_GATE_DATA >> 3, call_gate(SEL_KDATA, 0, 0, GATE32, 0, true));
	ldt_set(SEL_GATE_R3CODE >> 3, call_gate(SEL_UCODE, (uint32_t)gate_same, 0, GATE32, 0, true));
	ldt_set(SEL_GATE_CODE_NP >> 3, call_gate(SEL_CODE_NP, (uint32_t)gate_same, 0, GATE32, 0, true));
	ldt_set(SEL_GATE_JMP >> 3, call_gate(SEL_KCODE, (uint32_t)gate_jmp_target, 0, GATE32, 0, true));
}

static void check_same_privilege(void)
{
	uint32_t esp_after = call_gate_same();

	report(same_seen[3] == SEL_KCODE && same_seen[1] == (uint32_t)call_gate_same_ret,
	       "CALL through a 32-bit gate: runs the gate's target (the CALL's offset is ignored)");
	report(same_seen[1] == (uint32_t)call_gate_same_ret && same_seen[2] == SEL_KCODE,
	       "same privilege: pushed the return EIP and CS 0x08");
	report(same_seen[0] == same_caller_esp - 8, "same privilege: no stack switch, ESP - 8");
	report(esp_after == same_caller_esp, "far RET from the gate's target restores ESP");

	jmp_gate();
	report(jmp_seen[0] == jmp_caller_esp && (jmp_seen[1] & 0xffff) == SEL_KCODE,
	       "JMP through a call gate in the LDT: CS 0x08, nothing pushed");

	call16_same();
	report(rec16.same_cs == SEL_CODE16_R0 && rec16.same_esp == rec16.c16_esp_before - 4,
	       "16-bit gate from 16-bit code: target runs, two words pushed");
	report(rec16.same_ip_pushed == c16_offset(c16_caller_ret) &&
	       rec16.same_cs_pushed == SEL_CODE16_R0,
	       "16-bit gate: pushed IP of the return point and CS 0x50");
	report(rec16.c16_esp_after == rec16.c16_esp_before, "16-bit far RET restores ESP");
}

static void check_more_privilege(void)
{
	uint32_t r;

	r = user_call(user_gate_inner, 0, 0x2);
	report(r == 0x600d && (inner_seen[1] >> 16) == SEL_KCODE,
	       "ring 3 -> ring 0 through a DPL-3 32-bit gate and back");
	report((inner_seen[1] & 0xffff) == SEL_KDATA &&
	       inner_seen[0] == (uint32_t)stack_trap_top - 24,
	       "the ring-0 stack is TSS.SS0:ESP0 with a 24-byte frame");
	report(inner_seen[2] == (uint32_t)user_gate_inner_ret && inner_seen[3] == SEL_UCODE,
	       "frame: return EIP and CS 0x1b at the bottom");
	report(inner_seen[4] == 0x1111aaaa && inner_seen[5] == 0x2222bbbb,
	       "frame: the two parameters copied in their order");
	report(inner_seen[6] == inner_caller_esp && inner_seen[7] == SEL_UDATA,
	       "frame: the caller's ESP and SS 0x23 on top");
	report(inner_after_esp == inner_caller_esp + 8,
	       "RET 8 to ring 3 releases the parameters from the ring-3 stack too");
	report((inner_after_es & 0xffff) == 0, "ES loaded with a DPL-0 segment is null after RET to ring 3");

	tss_main.tss.ss1 = SEL_DATA_R1 | 1;
	tss_main.tss.esp1 = (uint32_t)stack_r1 + sizeof(stack_r1);
	r = user_call(user_gate_ring1, 0, 0x2);
	report(r == 0x600d && (ring1_seen[1] >> 16) == (SEL_CODE_R1 | 1) &&
	       (ring1_seen[1] & 0xffff) == (SEL_DATA_R1 | 1),
	       "ring 3 -> ring 1: CS 0x79, SS 0x81 from TSS.SS1");
	report(ring1_seen[0] == tss_main.tss.esp1 - 24 && ring1_seen[2] == (uint32_t)user_gate_ring1_ret &&
	       ring1_seen[3] == SEL_UCODE && ring1_seen[4] == 0x3333cccc && ring1_seen[5] == 0x4444dddd &&
	       ring1_seen[6] == ring1_caller_esp && ring1_seen[7] == SEL_UDATA,
	       "ring 1 frame on TSS.ESP1: EIP, CS, parameters, ESP, SS");
	report(ring1_after_esp == ring1_caller_esp + 8, "RET 8 from ring 1 back to ring 3");

	r = user_call(user_gate_conf, 0, 0x2);
	report(r == 0x600d && (conf_seen[1] & 0xfffc) == SEL_CONFORMING &&
	       conf_seen[0] == conf_caller_esp - 8 && (conf_after_cs & 0xffff) == SEL_UCODE,
	       "gate to a conforming DPL-0 segment from ring 3: no stack switch, same-level RET");

	r = user_call(user_call16, 0, 0x2);
	report(r == 0x600d && rec16.inner_cs == SEL_CODE16_R0 && rec16.inner_ss == SEL_KDATA &&
	       rec16.inner_esp == (uint32_t)stack_trap_top - 10,
	       "ring 3 -> ring 0 through a 16-bit gate: TSS.SS0:ESP0, a 10-byte frame");
	report(rec16.ip == c16_offset(u16_after_call) && rec16.cs == (SEL_CODE16_R3 | 3),
	       "16-bit frame: IP and CS 0x5b of the caller");
	report(rec16.param == 0x5a5a && rec16.sp == 0x7fe && rec16.ss == (SEL_STACK16_R3 | 3),
	       "16-bit frame: the parameter word, SP 0x7fe and SS 0x63");
	report((rec16.u_after_esp & 0xffff) == 0x800, "16-bit RET 2 back to ring 3: SP = 0x800");
}

static void try_call(uint16_t sel)
{
	struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp = { 0, sel };

	TRY_ASM("lcall *%0", , "m"(fp));
}

static uint32_t user_try_call(void *arg)
{
	try_call((uint16_t)(uint32_t)arg);
	return 0;
}

static uint32_t user_try_jmp(void *arg)
{
	struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp = { 0, (uint16_t)(uint32_t)arg };

	TRY_ASM("ljmp *%0", , "m"(fp));
	return 0;
}

static void check_errors(void)
{
	try_call(SEL_GATE32_R0 | 3);
	report_trap(caught(VEC_GP, SEL_GATE32_R0) && caught_at_start(),
		    "gate DPL 0 < RPL 3 -> #GP(0x40)");
	user_call(user_try_call, (void *)(SEL_GATE32_R0 | 3), 0x2);
	report_trap(caught(VEC_GP, SEL_GATE32_R0) && caught_at_start(),
		    "ring 3: gate DPL 0 < CPL 3 -> #GP(0x40)");
	try_call(SEL_GATE_NP);
	report_trap(caught(VEC_NP, SEL_GATE_NP) && caught_at_start(), "gate not present -> #NP(0x04)");
	try_call(SEL_GATE_NULLCS);
	report_trap(caught(VEC_GP, 0) && caught_at_start(), "gate to a null selector -> #GP(0)");
	try_call(SEL_GATE_BEYOND);
	report_trap(caught(VEC_GP, 0x0ff8) && caught_at_start(),
		    "gate to a selector beyond the GDT -> #GP(0x0ff8)");
	try_call(SEL_GATE_DATA);
	report_trap(caught(VEC_GP, SEL_KDATA) && caught_at_start(),
		    "gate to a data segment -> #GP(0x10)");
	try_call(SEL_GATE_R3CODE);
	report_trap(caught(VEC_GP, SEL_UCODE & ~3) && caught_at_start(),
		    "CALL from ring 0 through a gate to DPL-3 code -> #GP(0x18)");
	try_call(SEL_GATE_CODE_NP);
	report_trap(caught(VEC_NP, SEL_CODE_NP) && caught_at_start(),
		    "gate to a not-present code segment -> #NP(0xa0)");
	user_call(user_try_jmp, (void *)(SEL_GATE32_R3_R0 | 3), 0x2);
	report_trap(caught(VEC_GP, SEL_KCODE) && caught_at_start(),
		    "ring 3: JMP through a gate to ring-0 code -> #GP(0x08)");
}

static void check_stack_errors(void)
{
	static const struct {
		uint16_t ss1;
		uint32_t esp1;
		unsigned vector;
		uint32_t error;
		const char *what;
	} cases[] = {
		{ 0, 0x1000, VEC_TS, 0, "TSS.SS1 null -> #TS(0)" },
		{ SEL_DATA_R1, 0x1000, VEC_TS, SEL_DATA_R1, "TSS.SS1 with RPL 0 != DPL 1 -> #TS(0x80)" },
		{ SEL_DATA_R1_RO | 1, 0x1000, VEC_TS, SEL_DATA_R1_RO,
		  "TSS.SS1 read-only -> #TS(0xb0)" },
	};
	uint64_t tss_desc = gdt[SEL_TSS >> 3] & ~(2ull << 40);

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		tss_main.tss.ss1 = cases[k].ss1;
		tss_main.tss.esp1 = cases[k].esp1;
		user_call(user_try_call, (void *)(SEL_GATE_R3_R1 | 3), 0x2);
		report_trap(caught(cases[k].vector, cases[k].error) && caught_at_start() &&
			    (trap_catch.cs & 3) == 3, "ring 3 -> ring 1: %s", cases[k].what);
	}
	/* SDM: #SS(0xb8); QEMU 7.2 raises #TS(0xb8). */
	tss_main.tss.ss1 = SEL_DATA_R1_NP | 1;
	user_call(user_try_call, (void *)(SEL_GATE_R3_R1 | 3), 0x2);
	report_trap((caught(VEC_SS, SEL_DATA_R1_NP) || caught(VEC_TS, SEL_DATA_R1_NP)) &&
		    caught_at_start(), "ring 3 -> ring 1: TSS.SS1 not present -> fault with error 0xb8");
	tss_main.tss.ss1 = SEL_DATA_R1 | 1;
	tss_main.tss.esp1 = (uint32_t)stack_r1 + sizeof(stack_r1);

	/* TR limit 0x0b: SS0:ESP0 (offsets 4-11) still inside, SS1:ESP1 not. */
	gdt[SEL_TSS >> 3] = seg_desc((uint32_t)&tss_main, 0x0b, ACC_P | ACC_TSS32, 0);
	ltr(SEL_TSS);
	user_call(user_try_call, (void *)(SEL_GATE_R3_R1 | 3), 0x2);
	gdt[SEL_TSS >> 3] = tss_desc;
	ltr(SEL_TSS);
	report_trap(caught(VEC_TS, SEL_TSS) && caught_at_start(),
		    "ring 3 -> ring 1 with a TSS limit of 0x0b -> #TS(0x28)");
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	setup();
	check_same_privilege();
	check_more_privilege();
	check_errors();
	check_stack_errors();
}
