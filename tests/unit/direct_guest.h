/*
 * direct_guest.h - a small flat 32-bit guest for the src/direct/ tests.
 *
 * Maps 64 KiB at DG_BASE (below 4 GiB): code at +0, stack below +0x8000,
 * data page at +0x9000, a PROT_NONE page at +0xa000. Mirrors flat 4 GiB
 * CS/SS/DS/ES segments (DPL 3, 32-bit) into the LDT with direct_ldt_mirror
 * and fills a struct direct_cpu ready for direct_enter().
 * Header-only: tests/CMakeLists.txt builds each test_*.c on its own.
 */
#ifndef SOFTVT_TESTS_DIRECT_GUEST_H
#define SOFTVT_TESTS_DIRECT_GUEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "direct/direct.h"

#define DG_BASE  0x10000000u
#define DG_SIZE  0x10000u
#define DG_STACK (DG_BASE + 0x8000u)
#define DG_DATA  (DG_BASE + 0x9000u)
#define DG_NONE  (DG_BASE + 0xa000u)

#define DG_CODE_ATTR (0xbu | SEG_S | 3u << SEG_DPL_SHIFT | SEG_P | SEG_DB | SEG_G)
#define DG_DATA_ATTR (0x3u | SEG_S | 3u << SEG_DPL_SHIFT | SEG_P | SEG_DB | SEG_G)

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

struct dg {
	uint8_t *mem;
	struct direct_ldt ldt;
	struct direct_cpu cpu;
};

static inline struct seg_cache dg_seg(uint16_t gsel, uint32_t base, uint32_t limit, uint16_t attr)
{
	struct seg_cache s = { .sel = gsel, .base = base, .limit = limit, .attr = attr };
	return s;
}

/* Maps the guest (once per process) and loads @code at DG_BASE. */
static inline void dg_setup(struct dg *g, const void *code, size_t len)
{
	static uint8_t *mem;
	struct seg_cache cs = dg_seg(0x73, 0, 0xffffffffu, DG_CODE_ATTR);
	struct seg_cache ds = dg_seg(0x7b, 0, 0xffffffffu, DG_DATA_ATTR);

	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(direct_init(), 0);
	if (!mem) {
		mem = mmap((void *)(uintptr_t)DG_BASE, DG_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		ck_assert_msg(mem == (void *)(uintptr_t)DG_BASE, "mmap at %#x: %s", DG_BASE,
			      strerror(errno));
		ck_assert_int_eq(mprotect(mem + (DG_NONE - DG_BASE), 0x1000, PROT_NONE), 0);
	}
	g->mem = mem;
	memset(mem, 0xf4, 0x1000);              /* HLT everywhere after the code */
	memcpy(mem, code, len);
	direct_ldt_init(&g->ldt);
	ck_assert_int_eq(direct_ldt_mirror(&g->ldt, S_CS, &cs, 0, &g->cpu.sel[S_CS]), 0);
	ck_assert_int_eq(direct_ldt_mirror(&g->ldt, S_SS, &ds, 0, &g->cpu.sel[S_SS]), 0);
	ck_assert_int_eq(direct_ldt_mirror(&g->ldt, S_DS, &ds, 0, &g->cpu.sel[S_DS]), 0);
	ck_assert_int_eq(direct_ldt_mirror(&g->ldt, S_ES, &ds, 0, &g->cpu.sel[S_ES]), 0);
	g->cpu.eip = DG_BASE;
	g->cpu.gpr[ESP] = DG_STACK;
	direct_fpu_reset(&g->cpu.fpu);
}

static inline uint32_t *dg_u32(struct dg *g, uint32_t addr)
{
	return (uint32_t *)(g->mem + (addr - DG_BASE));
}

static inline void dg_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* main(): exit 77 when the host refuses modify_ldt or the low mapping. */
static inline int dg_host_ok(void)
{
	struct direct_ldt l;
	struct seg_cache cs = dg_seg(0x73, 0, 0xffffffffu, DG_CODE_ATTR);
	uint16_t sel;
	int err;

	direct_ldt_init(&l);
	err = direct_ldt_mirror(&l, S_CS, &cs, 0, &sel);
	if (err) {
		printf("skip: modify_ldt refused (%s)\n", strerror(-err));
		return 0;
	}
	return 1;
}

#endif
