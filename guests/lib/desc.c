/*
 * desc.c - building and loading the GDT, LDT, IDT and TSSes (desc.h).
 *
 * Descriptor formats: SDM vol. 3A 3.4.5 (segment descriptors), 6.11 (IDT
 * gates), 7.2.2 (TSS descriptor) and 7.2.1/figure 7-2 (32-bit TSS). The
 * TSS I/O permission bitmap starts right after the 104-byte TSS; every port
 * is denied (bit set) until io_permit() clears its bit (SDM vol. 1 19.5.2).
 */
#include "desc.h"
#include "mem.h"
#include "trap.h"
#include "x86.h"

uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
	uint64_t d;

	d = limit & 0xffff;
	d |= (uint64_t)(base & 0xffffff) << 16;
	d |= (uint64_t)(access & 0xff) << 40;
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(flags & 0xf) << 52;
	d |= (uint64_t)(base >> 24) << 56;
	return d;
}

void gdt_set(unsigned index, uint64_t desc)
{
	gdt[index] = desc;
}

void ldt_set(unsigned index, uint64_t desc)
{
	ldt[index] = desc;
}

void idt_set(unsigned vector, uint32_t handler, uint16_t sel, unsigned type, unsigned dpl)
{
	uint64_t g;

	g = handler & 0xffff;
	g |= (uint64_t)sel << 16;
	g |= (uint64_t)(ACC_P | ACC_DPL(dpl) | type) << 40;
	g |= (uint64_t)(handler >> 16) << 48;
	idt[vector] = g;
}

void idt_set_task(unsigned vector, uint16_t tss_sel, unsigned dpl)
{
	idt_set(vector, 0, tss_sel, GATE_TASK, dpl);
}

void idt_set_default(unsigned vector, unsigned dpl)
{
	idt_set(vector, trap_stub(vector), SEL_KCODE, GATE_INT32, dpl);
}

void io_permit(uint16_t port, int allowed)
{
	uint8_t bit = (uint8_t)(1u << (port & 7));

	if (allowed)
		tss_main.iomap[port >> 3] &= (uint8_t)~bit;
	else
		tss_main.iomap[port >> 3] |= bit;
}

uint32_t gdt_access_rights(uint16_t sel)
{
	return (uint32_t)(gdt[sel >> 3] >> 32) & 0x00f0ff00;
}

void desc_setup(void)
{
	struct dtr gdtr = { sizeof(uint64_t) * GDT_ENTRIES - 1, (uint32_t)gdt };
	struct dtr idtr = { sizeof(uint64_t) * IDT_ENTRIES - 1, (uint32_t)idt };

	memset(gdt, 0, sizeof(uint64_t) * GDT_ENTRIES);
	memset(ldt, 0, sizeof(uint64_t) * LDT_ENTRIES);
	gdt[SEL_KCODE >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_CODE_RX, FLG_G | FLG_DB);
	gdt[SEL_KDATA >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_DATA_RW, FLG_G | FLG_DB);
	gdt[SEL_UCODE >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_DPL(3) | ACC_CODE_RX, FLG_G | FLG_DB);
	gdt[SEL_UDATA >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_DPL(3) | ACC_DATA_RW, FLG_G | FLG_DB);
	gdt[SEL_TSS >> 3] = seg_desc((uint32_t)&tss_main, sizeof(tss_main) - 1, ACC_P | ACC_TSS32, 0);
	gdt[SEL_LDT >> 3] = seg_desc((uint32_t)ldt, sizeof(uint64_t) * LDT_ENTRIES - 1,
				     ACC_P | ACC_LDT, 0);
	gdt[SEL_TSS_AUX >> 3] = seg_desc((uint32_t)&tss_aux, sizeof(tss_aux) - 1, ACC_P | ACC_TSS32, 0);

	memset(&tss_main, 0, sizeof(tss_main));
	tss_main.tss.esp0 = (uint32_t)stack_trap_top;
	tss_main.tss.ss0 = SEL_KDATA;
	tss_main.tss.ldt = SEL_LDT;
	tss_main.tss.iomap_base = sizeof(struct tss);
	memset(tss_main.iomap, 0xff, sizeof(tss_main.iomap));
	tss_main.iomap_end = 0xff;
	memset(&tss_aux, 0, sizeof(tss_aux));

	for (unsigned v = 0; v < IDT_ENTRIES; v++)
		idt_set_default(v, 0);
	idt_set_default(USER_EXIT_VECTOR, 3);

	lgdt(&gdtr);
	lidt(&idtr);
	asm volatile("ljmp %0, $1f\n1:\n\t"
		     "mov %1, %%ds\n\t"
		     "mov %1, %%es\n\t"
		     "mov %1, %%fs\n\t"
		     "mov %1, %%gs\n\t"
		     "mov %1, %%ss"
		     : : "i"(SEL_KCODE), "r"(SEL_KDATA) : "memory");
	ltr(SEL_TSS);
	lldt(SEL_LDT);
}
