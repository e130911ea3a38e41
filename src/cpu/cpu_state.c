/*
 * cpu_state.c - reset state, flat protected-mode set-up and the register dump.
 */
#include "cpu/cpu_state.h"

#include <stdio.h>
#include <string.h>

static void seg_set(struct seg_cache *s, uint16_t sel, uint32_t base, uint32_t limit,
		    uint16_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = limit;
	s->attr = attr;
}

void cpu_state_reset(struct cpu_state *cpu)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->eflags = EFL_FIXED1;
	cpu->eip = 0xfff0;
	cpu->cr0 = CR0_CD | CR0_NW | CR0_ET;
	/* CS selector F000, base FFFF0000: the first fetch is at 0xFFFFFFF0. */
	seg_set(&cpu->seg[S_CS], 0xf000, 0xffff0000u, 0xffff, SEG_P | SEG_S | 0xb);
	for (int i = 0; i < S_NSEG; i++)
		if (i != S_CS)
			seg_set(&cpu->seg[i], 0, 0, 0xffff, SEG_P | SEG_S | 0x3);
	seg_set(&cpu->ldtr, 0, 0, 0xffff, SEG_P | 0x2);
	seg_set(&cpu->tr, 0, 0, 0xffff, SEG_P | 0xb);
	cpu->gdtr.limit = 0xffff;
	cpu->idtr.limit = 0xffff;
	cpu->gpr[R_EDX] = 0x00000652;   /* the signature of cpu_model.c */
	cpu->dr[6] = 0xffff0ff0u;
	cpu->dr[7] = 0x00000400u;
	cpu->misc_enable = 1;   /* fast-strings enable */
	cpu->fpu.fcw = 0x0040;
	cpu->fpu.mxcsr = 0x1f80;
	cpu->fpu.mxcsr_mask = 0xffbf;
	cpu->xcr0 = 1;
}

void cpu_state_flat32(struct cpu_state *cpu, uint32_t entry, uint16_t code_sel,
		      uint16_t data_sel)
{
	const uint16_t flat = SEG_P | SEG_S | SEG_DB | SEG_G;
	cpu->cr0 = (cpu->cr0 | CR0_PE | CR0_ET) & ~(CR0_PG | CR0_CD | CR0_NW);
	cpu->eflags = EFL_FIXED1;
	cpu->eip = entry;
	seg_set(&cpu->seg[S_CS], code_sel, 0, 0xffffffffu, flat | 0xb);
	for (int i = 0; i < S_NSEG; i++)
		if (i != S_CS)
			seg_set(&cpu->seg[i], data_sel, 0, 0xffffffffu, flat | 0x3);
}

static void dump_seg(FILE *f, const char *name, const struct seg_cache *s)
{
	fprintf(f, "  %-4s sel=%04x base=%08x limit=%08x attr=%04x (type %x %s dpl %u%s%s%s)\n",
		name, s->sel, s->base, s->limit, s->attr, s->attr & SEG_TYPE_MASK,
		(s->attr & SEG_S) ? ((s->attr & 8) ? "code" : "data") : "sys",
		seg_dpl(s), (s->attr & SEG_P) ? " P" : " NP", (s->attr & SEG_DB) ? " D/B" : "",
		(s->attr & SEG_G) ? " G" : "");
}

void cpu_state_dump(const struct cpu_state *cpu, void *file)
{
	static const char *const gname[8] = { "eax", "ecx", "edx", "ebx",
					       "esp", "ebp", "esi", "edi" };
	static const char *const sname[S_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs" };
	FILE *f = file;
	for (int i = 0; i < 8; i++)
		fprintf(f, "  %s=%08x%s", gname[i], cpu->gpr[i], (i % 4 == 3) ? "\n" : "");
	fprintf(f, "  eip=%08x eflags=%08x cpl=%u%s%s\n", cpu->eip, cpu->eflags, cpu_cpl(cpu),
		cpu->halted ? " halted" : "", cpu->int_shadow ? " int-shadow" : "");
	for (int i = 0; i < S_NSEG; i++)
		dump_seg(f, sname[i], &cpu->seg[i]);
	dump_seg(f, "ldtr", &cpu->ldtr);
	dump_seg(f, "tr", &cpu->tr);
	fprintf(f, "  gdtr=%08x/%04x idtr=%08x/%04x\n", cpu->gdtr.base, cpu->gdtr.limit,
		cpu->idtr.base, cpu->idtr.limit);
	fprintf(f, "  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", cpu->cr0, cpu->cr2, cpu->cr3,
		cpu->cr4);
	fprintf(f, "  dr6=%08x dr7=%08x sysenter cs=%04x esp=%08x eip=%08x\n", cpu->dr[6],
		cpu->dr[7], cpu->sysenter_cs, cpu->sysenter_esp, cpu->sysenter_eip);
}
