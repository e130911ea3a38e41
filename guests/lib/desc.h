/*
 * desc.h - the guests' descriptor tables: GDT, LDT, IDT and TSSes.
 *
 * The tables live at fixed addresses in the system area (guest.ld), so a
 * guest that prints SGDT/SIDT results prints the same numbers whatever its
 * code size. Standard GDT (SDM vol. 3A 3.4.5, 5.2; the first four entries
 * are in the order SYSENTER/SYSEXIT require, 5.8.7):
 *
 *   0x00 null            0x20 user data   (DPL 3, flat)  -> 0x23
 *   0x08 kernel code     0x28 main TSS (with an I/O bitmap)
 *   0x10 kernel data     0x30 LDT (LDT_ENTRIES entries, all null at start)
 *   0x18 user code (DPL 3, flat) -> 0x1b   0x38 spare TSS (tss_aux)
 *   0x40.. free for the guest (gdt_set)
 *
 * Code and data descriptors are created with the accessed bit already set,
 * so the CPU never writes them and LAR results are predictable.
 */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include <stdint.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define SEL_TSS   0x28
#define SEL_LDT   0x30
#define SEL_TSS_AUX 0x38
#define GDT_ENTRIES 32
#define LDT_ENTRIES 8
#define IDT_ENTRIES 256

/* Access byte: P | DPL | S | type (SDM vol. 3A 3.4.5, table 3-1) */
#define ACC_P        0x80
#define ACC_DPL(n)   ((n) << 5)
#define ACC_S        0x10
#define ACC_CODE_RX  0x1b    /* S, code, readable, accessed */
#define ACC_CODE_X   0x19    /* S, code, execute-only, accessed */
#define ACC_CODE_CONF 0x1f   /* S, code, conforming, readable, accessed */
#define ACC_DATA_RW  0x13    /* S, data, writable, accessed */
#define ACC_DATA_RO  0x11    /* S, data, read-only, accessed */
#define ACC_DATA_RW_DOWN 0x17 /* S, data, expand-down, writable, accessed */
#define ACC_LDT      0x02
#define ACC_TSS32    0x09
#define ACC_TSS32_BUSY 0x0b
/* Flags nibble: G | D/B | L | AVL */
#define FLG_G  0x8
#define FLG_DB 0x4

/* Gate types (SDM vol. 3A 6.11) */
#define GATE_TASK 0x5
#define GATE_INT32 0xe
#define GATE_TRAP32 0xf

/* The vector ring-3 code uses to come back to user_call()'s caller. */
#define USER_EXIT_VECTOR 0x7f

struct tss {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	uint16_t trap, iomap_base;
} __attribute__((packed));

#define TSS_IOMAP_BYTES 8192
/* The main TSS with a full I/O permission bitmap and its 0xff terminator byte. */
struct tss_io {
	struct tss tss;
	uint8_t iomap[TSS_IOMAP_BYTES];
	uint8_t iomap_end;
} __attribute__((packed));

/* Fixed addresses, defined by guest.ld */
extern uint64_t gdt[GDT_ENTRIES];
extern uint64_t ldt[LDT_ENTRIES];
extern uint64_t idt[IDT_ENTRIES];
extern struct tss_io tss_main;
extern struct tss tss_aux;
extern char stack_aux_top[], stack_sysenter_top[], stack_trap_top[], stack_user_top[],
	stack_kernel_top[];

/* A code/data/system descriptor; limit is the raw 20-bit field. */
uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags);
void gdt_set(unsigned index, uint64_t desc);
void ldt_set(unsigned index, uint64_t desc);
/* Interrupt/trap gate to handler (a linear address) through sel. */
void idt_set(unsigned vector, uint32_t handler, uint16_t sel, unsigned type, unsigned dpl);
void idt_set_task(unsigned vector, uint16_t tss_sel, unsigned dpl);
/* Restores the library's default gate for vector (interrupt gate, DPL 0). */
void idt_set_default(unsigned vector, unsigned dpl);
/* Sets the I/O bitmap bit of port (allowed = clear bit). */
void io_permit(uint16_t port, int allowed);
/* Builds and loads every table; reloads all segment registers. */
void desc_setup(void);
/* The high dword bits of the GDT descriptor for sel, shifted like LAR's result. */
uint32_t gdt_access_rights(uint16_t sel);

#endif
