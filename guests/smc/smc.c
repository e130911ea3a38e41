/*
 * smc - self-modifying and generated code (SDM vol. 3A 8.1.3 and 11.6).
 *
 * What a binary translator or any code cache must notice:
 *   - a function patched after it ran, then called again;
 *   - a function rewriting its own immediate every time it runs;
 *   - a store into the very next instruction, with no jump in between
 *     (P6 and later detect it by linear address, 11.6) and with a JMP
 *     (the portable 8.1.3 rule);
 *   - an instruction straddling a page boundary, patched by a store that
 *     itself crosses the boundary, then byte by byte on either side;
 *   - code copied into a data buffer and called, then replaced in place
 *     over and over;
 *   - with paging: code written through a second linear alias of its
 *     physical page and executed through the first, and the reverse,
 *     with a serializing CPUID before the call (8.1.3);
 *   - with paging: an instruction straddling two linear pages whose second
 *     page is remapped to another physical page (INVLPG, then a CR3 load)
 *     or patched there: each run must use the bytes mapped now.
 */
#include "guest.h"

#define ALIAS 0x40000000u

uint32_t smc_imm_fn(void);
uint32_t smc_next_insn(uint32_t v);
uint32_t smc_next_jmp(uint32_t v);
uint32_t smc_counter_fn(void);
uint32_t smc_cross_fn(void);
extern uint8_t smc_imm_fn_imm[], smc_cross_imm[];

typedef uint32_t code_fn(void);

static uint8_t code_buf[4096] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint32_t pt_alias[1024] __attribute__((aligned(4096)));
/* three physical pages: the first half of a straddling MOV, two second halves */
static uint8_t xpages[3 * 4096] __attribute__((aligned(4096)));

static void poke32(volatile void *p, uint32_t v)
{
	*(volatile uint32_t *)p = v;
}

/* MOV EAX, imm32; ADD EAX, imm32 (05 imm32); RET at p. */
static void emit_mov_add(volatile uint8_t *p, uint32_t mov, uint32_t add)
{
	p[0] = 0xb8;
	poke32(p + 1, mov);
	p[5] = 0x05;
	poke32(p + 6, add);
	p[10] = 0xc3;
}

static void check_patching(void)
{
	uint32_t sum = 0;

	report(smc_imm_fn() == 0x11111111, "the function returns its original immediate");
	poke32(smc_imm_fn_imm, 0x22222222);
	report(smc_imm_fn() == 0x22222222, "patched after running: the new immediate is used");
	for (uint32_t i = 0; i < 100; i++) {
		poke32(smc_imm_fn_imm, i);
		sum += smc_imm_fn();
	}
	report(sum == 4950, "patched and called 100 times: every call sees its patch");

	sum = 0;
	for (unsigned i = 0; i < 10; i++)
		sum += smc_counter_fn();
	report(sum == 45, "a function incrementing its own immediate returns 0..9");

	report(smc_next_insn(0x44444444) == 0x44444444 && smc_next_insn(0x45454545) == 0x45454545,
	       "a store into the next instruction takes effect without a jump");
	report(smc_next_jmp(0x46464646) == 0x46464646 && smc_next_jmp(0x47474747) == 0x47474747,
	       "a store into the next instruction takes effect after a JMP");
}

static void check_page_crossing(void)
{
	/* (An address taken from a char array: GCC folds tests on function address bits.) */
	report(((uint32_t)smc_cross_imm & 0xfff) == 0xffe,
	       "the test instruction starts 3 bytes before a page end");
	report(smc_cross_fn() == 0x55555555, "page-straddling MOV returns its immediate");
	poke32(smc_cross_imm, 0x66666666);
	report(smc_cross_fn() == 0x66666666, "patched by a store that crosses the page boundary");
	smc_cross_imm[3] = 0x77;
	report(smc_cross_fn() == 0x77666666, "patched in the second page only");
	smc_cross_imm[0] = 0x88;
	report(smc_cross_fn() == 0x77666688, "patched in the first page only");
}

static void check_generated(void)
{
	code_fn *fn = (code_fn *)code_buf;
	uint32_t sum = 0;

	emit_mov_add(code_buf, 0x12345678, 1);
	report(fn() == 0x12345679, "code copied into a data buffer runs");
	emit_mov_add(code_buf, 0x1000, 0x0234);
	report(fn() == 0x1234, "code rewritten in place runs in its new version");
	for (uint32_t i = 0; i < 200; i++) {
		emit_mov_add(code_buf + (i % 3), i, i);
		sum += ((code_fn *)(code_buf + (i % 3)))();
	}
	report(sum == 39800,
	       "200 rewrites at overlapping addresses: every call runs the fresh code");
}

static void check_alias(void)
{
	volatile uint8_t *alias = (volatile uint8_t *)ALIAS;
	code_fn *fn = (code_fn *)code_buf, *alias_fn = (code_fn *)ALIAS;

	pt_identity_4m(pd, pt, PTE_P | PTE_W);
	memset(pt_alias, 0, sizeof(pt_alias));
	pt_alias[0] = (uint32_t)code_buf | PTE_P | PTE_W;
	pd[ALIAS >> 22] = (uint32_t)pt_alias | PTE_P | PTE_W;
	paging_on((uint32_t)pd, 0);

	emit_mov_add(code_buf, 0xa0000000, 1);
	report(fn() == 0xa0000001 && alias_fn() == 0xa0000001,
	       "the same code runs through both linear addresses");
	emit_mov_add(alias, 0xb0000000, 2);
	serialize();
	report(fn() == 0xb0000002, "written through the alias, run through the identity map");
	emit_mov_add(code_buf, 0xc0000000, 3);
	serialize();
	report(alias_fn() == 0xc0000003, "written through the identity map, run through the alias");
	poke32(alias + 6, 4);
	serialize();
	report(fn() == 0xc0000004, "only the ADD immediate patched through the alias");

	paging_off();
}

/* MOV EAX, imm32 at linear ALIAS + 0x1ffd (3 bytes in page 1, 2 in page 2), RET */
static uint32_t cross_remapped(void)
{
	return ((code_fn *)(ALIAS + 0x1ffd))();
}

static void check_cross_remap(void)
{
	volatile uint8_t *a = xpages, *b = xpages + 4096, *c = xpages + 8192;

	pt_identity_4m(pd, pt, PTE_P | PTE_W);
	memset(pt_alias, 0, sizeof(pt_alias));
	pt_alias[1] = (uint32_t)a | PTE_P | PTE_W;
	pt_alias[2] = (uint32_t)b | PTE_P | PTE_W;
	pd[ALIAS >> 22] = (uint32_t)pt_alias | PTE_P | PTE_W;
	a[0xffd] = 0xb8;
	a[0xffe] = 0x11;
	a[0xfff] = 0x22;
	b[0] = 0x33;
	b[1] = 0x44;
	b[2] = 0xc3;
	c[0] = 0x55;
	c[1] = 0x66;
	c[2] = 0xc3;
	paging_on((uint32_t)pd, 0);

	uint32_t r1 = cross_remapped(), r2 = cross_remapped();
	report(r1 == 0x44332211 && r2 == 0x44332211,
	       "a MOV straddling two linear pages runs from both");
	pt_alias[2] = (uint32_t)c | PTE_P | PTE_W;
	invlpg(ALIAS + 0x2000);
	r1 = cross_remapped();
	r2 = cross_remapped();
	report(r1 == 0x66552211 && r2 == 0x66552211,
	       "its second page remapped (INVLPG): the new page's bytes run");
	pt_alias[2] = (uint32_t)b | PTE_P | PTE_W;
	write_cr3((uint32_t)pd);
	r1 = cross_remapped();
	b[1] = 0x77;
	serialize();
	r2 = cross_remapped();
	report(r1 == 0x44332211 && r2 == 0x77332211,
	       "mapped back (CR3 load), then patched in the second page");

	paging_off();
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	check_patching();
	check_page_crossing();
	check_generated();
	check_alias();
	check_cross_remap();
}
