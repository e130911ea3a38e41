/*
 * mini_vcpu.h - a machine-free interpreter vCPU for unit tests of single
 * instructions: 16 MiB of guest RAM, flat 32-bit protected mode (GDT at
 * GDT: code 0x08, data 0x10), an IDT whose vector v goes to HANDLERS + 16 * v,
 * the code at CODE, a stack below STACK. mini_setup(model, xstate) builds it,
 * mini_run(code, n) runs one instruction: -1 when it completed, else the
 * vector of the exception it raised (its handler was reached; ESP then points
 * at the error code for vectors that push one). Static state: one vCPU per
 * test process, as Check runs each test in a fork.
 */
#ifndef SOFTVT_TESTS_MINI_VCPU_H
#define SOFTVT_TESTS_MINI_VCPU_H

#include <check.h>
#include <string.h>

#include "cpu/cpu_model.h"
#include "cpu/decode.h"
#include "cpu/interp.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

#define GDT 0x0500u
#define IDT 0x0800u
#define CODE 0x1000u
#define HANDLERS 0x3000u      /* vector v's handler at HANDLERS + 16 * v */
#define STACK 0x9000u

static struct guest_ram ram;
static struct physmap phys;
static struct cpu_state cpu;
static struct vcpu vc;
static volatile sig_atomic_t requests;

static bool mini_no_intr(void *o) { (void)o; return false; }
static uint8_t mini_no_ack(void *o) { (void)o; return 0; }
static uint64_t mini_zero_tsc(void *o) { (void)o; return 0; }
static inline void put32(uint32_t a, uint32_t x) { memcpy(ram.host + a, &x, 4); }
static inline void put64(uint32_t a, uint64_t x) { memcpy(ram.host + a, &x, 8); }
static inline uint32_t get32(uint32_t a) { uint32_t x; memcpy(&x, ram.host + a, 4); return x; }
static inline uint64_t get64(uint32_t a) { uint64_t x; memcpy(&x, ram.host + a, 8); return x; }

static inline void mini_setup(const struct cpu_model *model, uint8_t *xstate)
{
	char err[128];
	ck_assert_int_eq(guest_ram_create(&ram, 16u << 20, err, sizeof(err)), 0);
	physmap_init(&phys, &ram);
	ck_assert_int_eq(physmap_add_ram(&phys, 0, 16u << 20, 0, false, "ram"), 0);
	cpu_state_reset(&cpu);
	cpu_state_flat32(&cpu, CODE, 0x08, 0x10);
	cpu.cr0 |= CR0_NE;
	put32(GDT + 8, 0x0000ffff);
	put32(GDT + 12, 0x00cf9a00);
	put32(GDT + 16, 0x0000ffff);
	put32(GDT + 20, 0x00cf9200);
	cpu.gdtr = (struct dtable){ GDT, 23 };
	for (uint32_t n = 0; n < 32; n++) {
		uint32_t h = HANDLERS + 16 * n;
		put32(IDT + 8 * n, 0x00080000u | (h & 0xffff));
		put32(IDT + 8 * n + 4, (h & 0xffff0000u) | 0x8e00);
	}
	cpu.idtr = (struct dtable){ IDT, 32 * 8 - 1 };
	struct cpu_bus bus = {
		.phys = &phys, .model = model, .requests = &requests, .intr_pending = mini_no_intr,
		.intr_ack = mini_no_ack, .tsc = mini_zero_tsc, .xstate = xstate,
	};
	ck_assert_int_eq(interp_init(&vc, &cpu, &bus), 0);
}

static inline void mini_teardown(void)
{
	interp_fini(&vc);
	guest_ram_destroy(&ram);
}

static inline int mini_run(const uint8_t *code, unsigned n)
{
	memcpy(ram.host + CODE, code, n);
	decode_invalidate_page(vc.dcache, CODE);
	cpu.eip = CODE;
	cpu.gpr[R_ESP] = STACK;
	ck_assert_int_ne(interp_step(&vc), INTERP_ERROR);
	if (cpu.eip >= HANDLERS && cpu.eip < HANDLERS + 16 * 32)
		return (int)(cpu.eip - HANDLERS) / 16;
	ck_assert_uint_eq(cpu.eip, CODE + n);
	return -1;
}

/* MINI_RUN(bytes...): mini_run of those instruction bytes. */
#define MINI_RUN(...) ({ static const uint8_t c_[] = { __VA_ARGS__ }; mini_run(c_, sizeof(c_)); })

#endif
