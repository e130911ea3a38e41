/*
 * segments.h - descriptors and segment-register loads (SDM vol. 3A ch. 3
 * and 5), written once for every engine.
 *
 * A descriptor is handled as the raw 64-bit value read from the GDT or
 * LDT; desc_* helpers take it apart. seg_load() is the complete rule for
 * MOV/POP/LDS-style loads of a data or stack segment register in every
 * mode; far transfers (cpu/far.c) and gates (cpu/exceptions.c) load CS
 * with their own checks and then call seg_set_cs().
 */
#ifndef SOFTVT_CPU_SEGMENTS_H
#define SOFTVT_CPU_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/vcpu.h"

/* Descriptor fields (SDM vol. 3A 3.4.5). */
static inline uint32_t desc_base(uint64_t d)
{
	return (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000u));
}

static inline uint32_t desc_limit(uint64_t d)
{
	uint32_t raw = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	return (d & (1ull << 55)) ? (raw << 12) | 0xfff : raw;
}

/* Attribute bits 8..23 of the high dword, the seg_cache.attr packing. */
static inline uint16_t desc_attr(uint64_t d)
{
	return (uint16_t)((d >> 40) & 0xf0ff);
}

static inline unsigned desc_dpl(uint64_t d)
{
	return (unsigned)(d >> 45) & 3;
}

static inline bool desc_present(uint64_t d)
{
	return d & (1ull << 47);
}

static inline unsigned desc_type(uint64_t d)
{
	return (unsigned)(d >> 40) & 0xf;
}

static inline bool desc_is_code_data(uint64_t d)
{
	return d & (1ull << 44);
}

/* The selector without RPL bits, for error codes. */
static inline uint32_t sel_error(uint16_t sel)
{
	return sel & 0xfffc;
}

/*
 * Reads the descriptor for sel from the GDT or LDT. Returns 0, or -1 when
 * the selector lies beyond the table's limit (or TI=1 with no usable LDT).
 * *addr receives the descriptor's linear address (for the accessed bit).
 */
int desc_read(struct vcpu *v, uint16_t sel, uint64_t *desc, uint32_t *addr);

/* Sets the accessed bit of a code/data descriptor in memory if clear. */
void desc_set_accessed(struct vcpu *v, uint64_t desc, uint32_t addr);

/* Fills a descriptor cache from a descriptor. */
void seg_from_desc(struct seg_cache *c, uint16_t sel, uint64_t desc);

/* Real-mode / v8086 load: base = sel * 16. */
void seg_load_real(struct vcpu *v, int seg, uint16_t sel);

/*
 * MOV/POP/LDS... to DS, ES, FS, GS or SS with every protected-mode check
 * (#GP(sel), #SS(sel), #NP(sel), #GP(0) for a null SS). In real and v8086
 * mode: base = sel * 16.
 */
void seg_load(struct vcpu *v, int seg, uint16_t sel);

/* Loads CS from a checked descriptor with the new CPL as RPL. */
void seg_set_cs(struct vcpu *v, uint16_t sel, uint64_t desc, unsigned cpl);

/*
 * Checks the inner stack segment selected from the TSS for an interrupt or
 * a call gate to privilege dpl (SDM vol. 3A 6.12.1, CALL): #TS(ss|ext) for a
 * null, unreadable-table, wrong-RPL/DPL or non-writable-data selector,
 * #SS(ss|ext) if not present. Sets its accessed bit; returns the descriptor.
 */
uint64_t seg_check_inner_ss(struct vcpu *v, uint16_t ss, unsigned dpl, uint32_t ext);

/* After a privilege change to an outer level: null DS/ES/FS/GS that the new CPL may not use. */
void seg_check_outer(struct vcpu *v);

#endif
