/*
 * segments - protected-mode segmentation (SDM vol. 3A ch. 3 and 5).
 *
 * The guest adds descriptors of various base/limit/granularity/type to
 * the GDT and an LDT entry, then checks:
 *   - base and limit of data segments, byte and page granular (5.3),
 *     expand-down segments with B=1 and B=0 (3.4.5.1, 5.3);
 *   - accesses inside those limits (QEMU does not enforce data-segment
 *     limits, so violations are not checked: guests/README.md);
 *   - segment loads: #GP(selector) for a selector beyond the GDT/LDT limit,
 *     an execute-only code segment into DS, DPL < RPL, a read-only or null
 *     SS; #NP(selector) for a not-present DS, #SS(selector) for SS (5.5,
 *     5.6, 6.15);
 *   - far JMP, far CALL, far RET and a call gate at the same privilege
 *     level (5.8), a code segment with a non-zero base, a far CALL beyond
 *     a code segment's limit (#GP at the CALL; QEMU pushes the selector,
 *     so the error code is not checked), a 16-bit code segment called
 *     from 32-bit code;
 *   - LAR/LSL on code, data, system, gate, null and out-of-range selectors
 *     (LAR masks the high dword with 00F0FF00h: bits 16-19 are undefined).
 */
#include "guest.h"

#define SEL_DATA_BYTE   0x40    /* base buf, limit 0xfff, byte granular */
#define SEL_DATA_PAGE   0x48    /* base buf, limit field 0, 4K granular */
#define SEL_DOWN_BIG    0x50    /* expand-down, B=1: 0x1000..0xffffffff */
#define SEL_DOWN_SMALL  0x58    /* expand-down, B=0: 0x1000..0xffff */
#define SEL_BASED       0x60    /* code, base 0x1000 */
#define SEL_LIMITED     0x68    /* code, base lim_code, limit 0x1f */
#define SEL_CODE16      0x70    /* 16-bit code */
#define SEL_NOT_PRESENT 0x78
#define SEL_DATA_DPL0   0x80    /* used with RPL 3 */
#define SEL_EXEC_ONLY   0x88
#define SEL_READ_ONLY   0x90
#define SEL_STACK_4M    0x98    /* data, limit 4 MiB, for SS */
#define SEL_INT_GATE    0xa0    /* an interrupt gate in the GDT: LAR refuses it */
#define SEL_GATE_LAR    0xa8    /* call gate, offset 0 */
#define SEL_CONFORMING  0xb0
#define SEL_GATE_CALL   0xb8    /* call gate to gate_target */
#define SEL_LDT_DATA    0x0c    /* LDT entry 1, TI=1 */
#define BASED_BASE      0x1000

extern char based_here[], based_func_here[], lim_code[], code16_start[], code16_here[],
	gate_target[];
uint32_t seg_jmp_based(void);
uint64_t seg_call_based(void);
uint64_t seg_call_gate(void);
uint64_t seg_call16(void);

static uint8_t buf[8192] __attribute__((aligned(4096)));

static void setup_descriptors(void)
{
	uint32_t b = (uint32_t)buf;

	gdt_set(SEL_DATA_BYTE >> 3, seg_desc(b, 0xfff, ACC_P | ACC_DATA_RW, FLG_DB));
	gdt_set(SEL_DATA_PAGE >> 3, seg_desc(b, 0, ACC_P | ACC_DATA_RW, FLG_G | FLG_DB));
	gdt_set(SEL_DOWN_BIG >> 3, seg_desc(b - 0x1000, 0xfff, ACC_P | ACC_DATA_RW_DOWN, FLG_DB));
	gdt_set(SEL_DOWN_SMALL >> 3, seg_desc(b - 0x1000, 0xfff, ACC_P | ACC_DATA_RW_DOWN, 0));
	gdt_set(SEL_BASED >> 3, seg_desc(BASED_BASE, 0xfffff, ACC_P | ACC_CODE_RX, FLG_G | FLG_DB));
	gdt_set(SEL_LIMITED >> 3, seg_desc((uint32_t)lim_code, 0x1f, ACC_P | ACC_CODE_RX, FLG_DB));
	gdt_set(SEL_CODE16 >> 3, seg_desc((uint32_t)code16_start, 0xffff, ACC_P | ACC_CODE_RX, 0));
	gdt_set(SEL_NOT_PRESENT >> 3, seg_desc(b, 0xfff, ACC_DATA_RW, FLG_DB));
	gdt_set(SEL_DATA_DPL0 >> 3, seg_desc(b, 0xfff, ACC_P | ACC_DATA_RW, FLG_DB));
	gdt_set(SEL_EXEC_ONLY >> 3, seg_desc(0, 0xfffff, ACC_P | ACC_CODE_X, FLG_G | FLG_DB));
	gdt_set(SEL_READ_ONLY >> 3, seg_desc(b, 0xfff, ACC_P | ACC_DATA_RO, FLG_DB));
	gdt_set(SEL_STACK_4M >> 3, seg_desc(0, 0x3ff, ACC_P | ACC_DATA_RW, FLG_G | FLG_DB));
	gdt_set(SEL_INT_GATE >> 3, seg_desc(0, 0, ACC_P | GATE_INT32, 0));
	gdt_set(SEL_CONFORMING >> 3, seg_desc(0, 0xfffff, ACC_P | ACC_CODE_CONF, FLG_G | FLG_DB));
	/* Call gates: offset 15:0 | selector << 16, P DPL 01100 | offset 31:16 (5.8.3) */
	gdt_set(SEL_GATE_LAR >> 3, (uint64_t)SEL_KCODE << 16 | (uint64_t)(ACC_P | 0x0c) << 40);
	gdt_set(SEL_GATE_CALL >> 3, ((uint32_t)gate_target & 0xffff) | (uint64_t)SEL_KCODE << 16 |
		(uint64_t)(ACC_P | 0x0c) << 40 | (uint64_t)((uint32_t)gate_target >> 16) << 48);
	ldt_set(SEL_LDT_DATA >> 3, seg_desc(b + 0x800, 0xff, ACC_P | ACC_DATA_RW, FLG_DB));
}

static bool no_trap(void)
{
	return trap_catch.vector == TRAP_NONE;
}

/* Reads a dword at sel:off through ES; true if no exception. */
static bool read32(uint16_t sel, uint32_t off, uint32_t *val)
{
	uint32_t v = 0;

	TRY_ASM_AFTER("movw %w2, %%es\n\tmovl %%es:(%1), %0", "movw %w3, %%es",
		      "+r"(v), "r"(off) COMMA "r"(sel) COMMA "r"(SEL_KDATA));
	*val = v;
	return no_trap();
}

static bool read8(uint16_t sel, uint32_t off)
{
	uint8_t v = 0;

	TRY_ASM_AFTER("movw %w2, %%es\n\tmovb %%es:(%1), %0", "movw %w3, %%es",
		      "+q"(v), "r"(off) COMMA "r"(sel) COMMA "r"(SEL_KDATA));
	return no_trap();
}

static bool write32(uint16_t sel, uint32_t off, uint32_t val)
{
	TRY_ASM_AFTER("movw %w1, %%es\n\tmovl %2, %%es:(%0)", "movw %w3, %%es",
		      , "r"(off) COMMA "r"(sel) COMMA "r"(val) COMMA "r"(SEL_KDATA));
	return no_trap();
}

static void load_ds(uint16_t sel)
{
	TRY_ASM_AFTER("movw %w0, %%ds", "movw %w1, %%ds", , "r"(sel) COMMA "r"(SEL_KDATA));
}

static void load_ss(uint16_t sel)
{
	TRY_ASM_AFTER("movw %w0, %%ss", "movw %w1, %%ss", , "r"(sel) COMMA "r"(SEL_KDATA));
}

/*
 * Accesses inside the limits only: QEMU's TCG, the reference these golden
 * files are validated on, does not check data-segment limits, read-only
 * data segments or null-selector accesses (see guests/README.md).
 */
static void check_data_segments(void)
{
	volatile uint32_t *flat = (volatile uint32_t *)buf;
	uint32_t v;

	flat[4] = 0x11223344;
	report(read32(SEL_DATA_BYTE, 0x10, &v) && v == 0x11223344,
	       "byte-granular data segment: base applies (read)");
	report(write32(SEL_DATA_BYTE, 0x20, 0xcafe0001) && flat[8] == 0xcafe0001,
	       "byte-granular data segment: base applies (write)");
	report(read32(SEL_DATA_BYTE, 0xffc, &v) && read8(SEL_DATA_BYTE, 0xfff),
	       "limit 0xfff: dword at 0xffc and byte at 0xfff are inside");
	report(read8(SEL_DATA_PAGE, 0xfff), "4K-granular limit 0: byte at 0xfff is inside");

	flat[0] = 0x55667788;
	report(read32(SEL_DOWN_BIG, 0x1000, &v) && v == 0x55667788,
	       "expand-down B=1: offset 0x1000 reads base + 0x1000");
	report(read32(SEL_DOWN_BIG, 0xfffffffc, &v),
	       "expand-down B=1: dword at 0xfffffffc is inside");
	report(write32(SEL_DOWN_BIG, 0x1010, 0xcafe0002) && flat[4] == 0xcafe0002,
	       "expand-down B=1: write lands at base + offset");
	report(read32(SEL_DOWN_SMALL, 0xfffc, &v) && read32(SEL_DOWN_SMALL, 0x1000, &v),
	       "expand-down B=0: 0x1000 and 0xfffc are inside");
	report(read32(SEL_READ_ONLY, 0x10, &v) && v == 0xcafe0002,
	       "read-only data segment: read works");
}

static void check_null_and_stack(void)
{
	uint32_t v = 0;

	load_ds(0);
	report_trap(no_trap(), "loading a null selector into DS does not fault");
	TRY_ASM_AFTER("movw %w2, %%ss\n\tmovl %%ss:(%1), %0", "movw %w3, %%ss",
		      "+r"(v), "r"(0x3ffffc) COMMA "r"(SEL_STACK_4M) COMMA "r"(SEL_KDATA));
	report_trap(no_trap(), "SS with a 4 MiB limit: dword at 0x3ffffc is inside");
}

static void check_loads(void)
{
	uint32_t v;

	load_ds(0x100);
	report_trap(caught(VEC_GP, 0x100) && caught_at_start(),
	            "DS <- 0x100 (beyond GDT limit) -> #GP(0x100)");
	load_ds(0x10b);
	report_trap(caught(VEC_GP, 0x108),
	            "DS <- 0x10b -> #GP(0x108): the error code drops the RPL");
	load_ds(SEL_NOT_PRESENT);
	report_trap(caught(VEC_NP, SEL_NOT_PRESENT) && caught_at_start(),
	            "DS <- not-present segment -> #NP(0x78)");
	load_ss(SEL_NOT_PRESENT);
	report_trap(caught(VEC_SS, SEL_NOT_PRESENT), "SS <- not-present segment -> #SS(0x78)");
	load_ds(SEL_EXEC_ONLY);
	report_trap(caught(VEC_GP, SEL_EXEC_ONLY), "DS <- execute-only code segment -> #GP(0x88)");
	load_ds(SEL_DATA_DPL0 | 3);
	report_trap(caught(VEC_GP, SEL_DATA_DPL0), "DS <- DPL 0 segment with RPL 3 -> #GP(0x80)");
	load_ds(SEL_BASED);
	report_trap(no_trap(), "DS <- readable code segment is allowed");
	load_ss(SEL_READ_ONLY);
	report_trap(caught(VEC_GP, SEL_READ_ONLY), "SS <- read-only data segment -> #GP(0x90)");
	load_ss(0);
	report_trap(caught(VEC_GP, 0), "SS <- null selector -> #GP(0)");
	load_ss(SEL_KDATA | 3);
	report_trap(caught(VEC_GP, SEL_KDATA), "SS <- selector with RPL != CPL -> #GP(0x10)");

	buf[0x810] = 0x5a;
	report(read32(SEL_LDT_DATA, 0x10, &v) && (v & 0xff) == 0x5a,
	       "LDT data segment 0x0c: base applies");
	load_ds(0x54);
	report_trap(caught(VEC_GP, 0x54), "DS <- 0x54 (beyond the LDT limit) -> #GP(0x54)");
}

static void check_code_segments(void)
{
	uint64_t r;

	report(seg_jmp_based() == (uint32_t)based_here - BASED_BASE,
	       "far JMP into a code segment with base 0x1000: EIP is relative to the base");
	r = seg_call_based();
	report((uint32_t)r == (uint32_t)based_func_here - BASED_BASE && (r >> 32) == SEL_BASED,
	       "far CALL / far RET through the based segment, CS = 0x60 inside");
	r = seg_call_gate();
	report((uint32_t)r == 0x600d && (r >> 32) == SEL_KCODE,
	       "far CALL through a call gate ignores the offset and lands in CS 0x08");
	r = seg_call16();
	report((uint32_t)r == 0xaaaa1234, "16-bit code segment: B8 34 12 is MOV AX,1234h");
	report((r >> 32) == (0xbbbb0000 | (uint32_t)(code16_here - code16_start)),
	       "16-bit code segment: CALL pushes a 16-bit IP, LRETL returns to 32-bit code");
	uint32_t cs = 0;

	TRY_ASM("lcall %1, $0", "=a"(cs), "i"(SEL_LIMITED));
	report_trap(no_trap() && cs == SEL_LIMITED,
	            "far CALL to offset 0 of a segment with limit 0x1f");
	/* The SDM says #GP(0); QEMU pushes the selector, so the error code is not checked. */
	TRY_ASM("lcall %0, $0x20", , "i"(SEL_LIMITED));
	report_trap(trap_catch.vector == VEC_GP && caught_at_start() && trap_catch.cs == SEL_KCODE,
		    "far CALL to an offset beyond the limit -> #GP at the CALL");
	TRY_ASM("lcall %0, $0", , "i"(SEL_DATA_BYTE));
	report_trap(caught(VEC_GP, SEL_DATA_BYTE), "far CALL to a data segment -> #GP(0x40)");
}

struct lar_case {
	uint16_t sel;
	bool lar_ok;
	uint32_t ar;
	bool lsl_ok;
	uint32_t limit;
	const char *what;
};

static const struct lar_case lar_cases[] = {
	{ SEL_KCODE, true, 0x00c09b00, true, 0xffffffff, "kernel code" },
	{ SEL_UDATA, true, 0x00c0f300, true, 0xffffffff, "user data" },
	{ SEL_DATA_BYTE, true, 0x00409300, true, 0x00000fff, "byte-granular data" },
	{ SEL_DATA_PAGE, true, 0x00c09300, true, 0x00000fff, "4K-granular data, limit 0" },
	{ SEL_DOWN_SMALL, true, 0x00009700, true, 0x00000fff, "expand-down data" },
	{ SEL_CODE16, true, 0x00009b00, true, 0x0000ffff, "16-bit code" },
	{ SEL_NOT_PRESENT, true, 0x00401300, true, 0x00000fff, "not-present data" },
	{ SEL_DATA_DPL0 | 3, false, 0, false, 0, "DPL 0 data with RPL 3" },
	{ SEL_CONFORMING | 3, true, 0x00c09f00, true, 0xffffffff, "conforming code with RPL 3" },
	{ SEL_TSS, true, 0x00008b00, true, 0x00002068, "busy 32-bit TSS" },
	{ SEL_LDT, true, 0x00008200, true, 0x0000003f, "LDT" },
	{ SEL_GATE_LAR, true, 0x00008c00, false, 0, "call gate" },
	{ SEL_INT_GATE, false, 0, false, 0, "interrupt gate" },
	{ SEL_LDT_DATA, true, 0x00409300, true, 0x000000ff, "LDT data" },
	{ 0, false, 0, false, 0, "null" },
	{ 0x100, false, 0, false, 0, "beyond the GDT limit" },
};

static void check_lar_lsl(void)
{
	for (unsigned i = 0; i < sizeof(lar_cases) / sizeof(lar_cases[0]); i++) {
		const struct lar_case *c = &lar_cases[i];
		uint32_t ar = 0, limit = 0;
		uint8_t lar_zf, lsl_zf;

		asm volatile("larl %2, %0\n\tsetz %1" : "+r"(ar), "=q"(lar_zf) : "r"((uint32_t)c->sel) : "cc");
		asm volatile("lsll %2, %0\n\tsetz %1" : "+r"(limit), "=q"(lsl_zf) : "r"((uint32_t)c->sel) : "cc");
		if (c->lar_ok)
			report(lar_zf && (ar & 0x00f0ff00) == c->ar,
			       "LAR 0x%04x (%s) = 0x%08x", c->sel,
			       c->what, c->ar);
		else
			report(!lar_zf, "LAR 0x%04x (%s) fails (ZF=0)", c->sel, c->what);
		if (c->lsl_ok)
			report(lsl_zf && limit == c->limit,
			       "LSL 0x%04x (%s) = 0x%08x", c->sel, c->what,
			       c->limit);
		else
			report(!lsl_zf, "LSL 0x%04x (%s) fails (ZF=0)", c->sel, c->what);
	}
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	setup_descriptors();
	check_data_segments();
	check_null_and_stack();
	check_loads();
	check_code_segments();
	check_lar_lsl();
}
