/*
 * segwrap - segment bases that make base + offset pass 4 GiB (SDM vol. 3A
 * 3.4 and 5.3: with 32-bit paging the linear address is 32 bits wide, so
 * it wraps around modulo 4 GiB).
 *
 * In flat ring 0 with paging on (the code a binary translator runs in its
 * translation cache: flat CS/DS/ES/SS, FS usable with a 4 GiB limit), FS
 * gets descriptors with bases near the top of the linear space and the
 * guest reads and writes through them:
 *   - base 0xFFFFF000: fs:[0x2000] is linear 0x1000, in every addressing
 *     form (base register, moffs, base + index * 4 + disp, string source,
 *     PUSH/POP memory operands, read-modify-write, XCHG);
 *   - the same base with offsets that do not wrap (linear 0xFFFFF400),
 *     and 4-byte accesses that straddle 0xFFFFFFFF -> 0 (read and write:
 *     two bytes at the top page, two at linear page 0);
 *   - bases 0xFFC00000 and 0x80000000 with offsets that wrap far past
 *     4 GiB, and offset 0xFFFFFFFC with base 0xFFFFF000 (linear
 *     0xFFFFEFFC: base + offset is just under 8 GiB in 64-bit arithmetic);
 *   - GS flat (GS-relative operands stay in the translation cache) and GS
 *     with base 0xFFFFF000 (a non-flat GS: engine bt interprets).
 * Every linear page involved is mapped to a page of the guest's own with
 * a distinct pattern, so a missing wrap (or a wrong page) shows up as a
 * wrong value or an unexpected #PF. Under engine bt the wrapping accesses
 * land in the guest window's [4 GiB, 8 GiB) guard on the host, fault and
 * are emulated; the non-wrapping ones run natively.
 */
#include "guest.h"

#define SEL_FS_TOP  0x40    /* base 0xFFFFF000, limit 4 GiB */
#define SEL_FS_HIGH 0x48    /* base 0xFFC00000 */
#define SEL_FS_HALF 0x50    /* base 0x80000000 */

#define LIN_A   0x00001000u     /* = 0xFFFFF000 + 0x2000 (mod 4 GiB) */
#define LIN_B   0x003ff000u     /* = 0xFFC00000 + 0x7FF000 */
#define LIN_C   0xfffff000u     /* the top page */
#define LIN_D   0x00000000u     /* the bottom page */
#define LIN_E   0xffffe000u     /* = 0xFFFFF000 + 0xFFFFF000 */

static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static uint8_t page_c[4096] __attribute__((aligned(4096)));
static uint8_t page_d[4096] __attribute__((aligned(4096)));
static uint8_t page_e[4096] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint32_t pt_top[1024] __attribute__((aligned(4096)));
static uint8_t copy[64];

static void fill(uint8_t *p, uint8_t seed)
{
	for (unsigned i = 0; i < 4096; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static uint32_t at32(const uint8_t *p)
{
	return *(const volatile uint32_t *)p;
}

static void load_fs(uint16_t sel)
{
	asm volatile("movw %w0, %%fs" : : "r"(sel) : "memory");
}

static void load_gs(uint16_t sel)
{
	asm volatile("movw %w0, %%gs" : : "r"(sel) : "memory");
}

static uint32_t fs_read32(uint32_t off)
{
	uint32_t v;

	asm volatile("movl %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
	return v;
}

static uint16_t fs_read16(uint32_t off)
{
	uint16_t v;

	asm volatile("movw %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
	return v;
}

static void fs_write32(uint32_t off, uint32_t v)
{
	asm volatile("movl %0, %%fs:(%1)" : : "r"(v), "r"(off) : "memory");
}

static void map_pages(void)
{
	pt_identity_4m(pd, pt, PTE_P | PTE_W);
	memset(pt_top, 0, sizeof(pt_top));
	*pt_entry(pt, LIN_A) = (uint32_t)page_a | PTE_P | PTE_W;
	*pt_entry(pt, LIN_B) = (uint32_t)page_b | PTE_P | PTE_W;
	*pt_entry(pt, LIN_D) = (uint32_t)page_d | PTE_P | PTE_W;
	*pt_entry(pt_top, LIN_C) = (uint32_t)page_c | PTE_P | PTE_W;
	*pt_entry(pt_top, LIN_E) = (uint32_t)page_e | PTE_P | PTE_W;
	pd[LIN_C >> 22] = (uint32_t)pt_top | PTE_P | PTE_W;
	fill(page_a, 0x11);
	fill(page_b, 0x22);
	fill(page_c, 0x33);
	fill(page_d, 0x44);
	fill(page_e, 0x55);
	gdt_set(SEL_FS_TOP >> 3, seg_desc(LIN_C, 0xfffff, ACC_P | ACC_DATA_RW, FLG_G | FLG_DB));
	gdt_set(SEL_FS_HIGH >> 3, seg_desc(0xffc00000u, 0xfffff, ACC_P | ACC_DATA_RW,
					  FLG_G | FLG_DB));
	gdt_set(SEL_FS_HALF >> 3, seg_desc(0x80000000u, 0xfffff, ACC_P | ACC_DATA_RW,
					  FLG_G | FLG_DB));
	paging_on((uint32_t)pd, 0);
}

/* Base 0xFFFFF000: offset 0x2000 is linear 0x1000 in every addressing form. */
static void check_wrap_forms(void)
{
	uint32_t v, idx = 0x200, base = 0x800;

	load_fs(SEL_FS_TOP);
	report(fs_read32(0x2000) == at32(page_a), "fs:[0x2000] with FS base 0xfffff000 reads linear 0x1000");
	asm volatile("movl %%fs:0x2004, %%eax" : "=a"(v) : : "memory");
	report(v == at32(page_a + 4), "moffs form: mov eax, fs:[0x2004] reads linear 0x1004");
	asm volatile("movl %%fs:0x1000(%1,%2,4), %0" : "=r"(v) : "r"(base), "r"(idx) : "memory");
	report(v == at32(page_a), "base + index*4 + disp: fs:[0x800 + 0x200*4 + 0x1000] wraps too");
	report(fs_read16(0x2ffe) == *(volatile uint16_t *)(page_a + 0xffe),
	       "16-bit read at fs:[0x2ffe] (linear 0x1ffe, end of the page)");

	fs_write32(0x2010, 0xa1b2c3d4);
	report(at32(page_a + 0x10) == 0xa1b2c3d4, "a write to fs:[0x2010] lands at linear 0x1010");
	*(volatile uint32_t *)(page_a + 0x20) = 41;
	asm volatile("addl $1, %%fs:0x2020" : : : "memory", "cc");
	report(at32(page_a + 0x20) == 42, "add fs:[0x2020], 1 updates linear 0x1020");
	v = 0x5a5a5a5a;
	*(volatile uint32_t *)(page_a + 0x24) = 0x01020304;
	asm volatile("xchgl %0, %%fs:0x2024" : "+r"(v) : : "memory");
	report(v == 0x01020304 && at32(page_a + 0x24) == 0x5a5a5a5a,
	       "xchg with fs:[0x2024] swaps with linear 0x1024");

	asm volatile("pushl %%fs:0x2030\n\tpopl %%fs:0x2034" : : : "memory");
	report(at32(page_a + 0x34) == at32(page_a + 0x30),
	       "push fs:[0x2030] / pop fs:[0x2034] copy linear 0x1030 to 0x1034");

	uint32_t src = 0x2100, dst = (uint32_t)copy, n = sizeof(copy);
	asm volatile("cld\n\trep movsb %%fs:(%%esi), %%es:(%%edi)"
		     : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
	report(memcmp(copy, page_a + 0x100, sizeof(copy)) == 0 && src == 0x2100 + sizeof(copy),
	       "rep movsb with an FS source copies from linear 0x1100");
	src = 0x2200;
	asm volatile("lodsl %%fs:(%%esi), %%eax" : "=a"(v), "+S"(src) : : "memory");
	report(v == at32(page_a + 0x200) && src == 0x2204, "lodsd from fs:[0x2200] reads linear 0x1200");

	uint32_t sum = 0, want = 0;
	for (uint32_t i = 0; i < 256; i++) {
		sum += fs_read32(0x2000 + 4 * i);
		want += at32(page_a + 4 * i);
	}
	report(sum == want, "a loop of 256 wrapped reads sums the first KiB of linear 0x1000");
}

/* Base 0xFFFFF000 without wrap, and accesses across 0xFFFFFFFF -> 0. */
static void check_top_page(void)
{
	load_fs(SEL_FS_TOP);
	report(fs_read32(0x400) == at32(page_c + 0x400), "fs:[0x400] reads linear 0xfffff400 (no wrap)");
	fs_write32(0x404, 0x600dcafe);
	report(at32(page_c + 0x404) == 0x600dcafe, "a write to fs:[0x404] lands at linear 0xfffff404");

	uint32_t want = page_c[0xffe] | page_c[0xfff] << 8 | page_d[0] << 16 | page_d[1] << 24;
	report(fs_read32(0xffe) == want,
	       "dword at linear 0xfffffffe: two bytes of the top page, two of page 0");
	fs_write32(0xffd, 0x9c332211);
	report(page_c[0xffd] == 0x11 && page_c[0xffe] == 0x22 && page_c[0xfff] == 0x33 &&
	       page_d[0] == 0x9c, "a dword write at linear 0xfffffffd wraps its last byte to 0");
	fs_write32(0xfff, 0xddccbbaa);
	report(page_c[0xfff] == 0xaa && page_d[0] == 0xbb && page_d[1] == 0xcc && page_d[2] == 0xdd,
	       "a dword write at linear 0xffffffff puts three bytes at 0..2");
}

/* Other bases near the top; offsets that wrap far past 4 GiB. */
static void check_far_wraps(void)
{
	load_fs(SEL_FS_HIGH);
	report(fs_read32(0x7ff010) == at32(page_b + 0x10),
	       "FS base 0xffc00000: fs:[0x7ff010] reads linear 0x3ff010");
	fs_write32(0x7ff020, 0x0badf00d);
	report(at32(page_b + 0x20) == 0x0badf00d, "FS base 0xffc00000: the write lands at 0x3ff020");
	report(fs_read32(0x3ff400) == at32(page_c + 0x400),
	       "FS base 0xffc00000: fs:[0x3ff400] reads linear 0xfffff400 (no wrap)");

	load_fs(SEL_FS_HALF);
	report(fs_read32(0x80001040) == at32(page_a + 0x40),
	       "FS base 0x80000000: fs:[0x80001040] reads linear 0x1040");
	fs_write32(0x80001044, 0x13572468);
	report(at32(page_a + 0x44) == 0x13572468, "FS base 0x80000000: the write lands at 0x1044");

	load_fs(SEL_FS_TOP);
	report(fs_read32(0xfffffffc) == at32(page_e + 0xffc),
	       "FS base 0xfffff000: fs:[0xfffffffc] reads linear 0xffffeffc");
	fs_write32(0xfffff008, 0x7e7e7e7e);
	report(at32(page_e + 8) == 0x7e7e7e7e, "FS base 0xfffff000: fs:[0xfffff008] writes 0xffffe008");
}

/* GS flat (translated as a plain access) and GS with base 0xFFFFF000. */
static void check_gs(void)
{
	uint32_t v;

	load_gs(SEL_KDATA);
	asm volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(page_a + 0x80) : "memory");
	report(v == at32(page_a + 0x80), "flat GS: gs:[page] reads the page");
	asm volatile("movl %%gs:0x1080, %0" : "=r"(v) : : "memory");
	report(v == at32(page_a + 0x80), "flat GS: gs:[0x1080] reads linear 0x1080");

	load_gs(SEL_FS_TOP);
	asm volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(0x2080) : "memory");
	report(v == at32(page_a + 0x80), "GS base 0xfffff000: gs:[0x2080] reads linear 0x1080");
	asm volatile("movl %0, %%gs:(%1)" : : "r"(0x24682468), "r"(0x2088) : "memory");
	report(at32(page_a + 0x88) == 0x24682468, "GS base 0xfffff000: gs:[0x2088] writes 0x1088");
	uint32_t want = page_c[0xffe] | page_c[0xfff] << 8 | page_d[0] << 16 | page_d[1] << 24;
	asm volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(0xffe) : "memory");
	report(v == want, "GS base 0xfffff000: dword at linear 0xfffffffe wraps to page 0");
	load_gs(SEL_KDATA);
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	map_pages();
	check_wrap_forms();
	check_top_page();
	check_far_wraps();
	check_gs();
	load_fs(SEL_KDATA);
	paging_off();
	summary();
}
