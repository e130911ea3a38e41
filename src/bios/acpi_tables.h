/*
 * acpi_tables.h - the ACPI 1.0 tables that describe softvt's PC to an OS.
 *
 * acpi_tables_build() writes, into a buffer that the caller will place at
 * guest-physical address phys_base:
 *
 *   RSDP (20 bytes, 16-byte aligned, revision 0 = ACPI 1.0)
 *   RSDT -> FADT (revision 1, 116 bytes) -> FACS (64 bytes, 64-byte aligned)
 *                                        -> DSDT (AML: Name (_S5, ...))
 *
 * All pointers are absolute physical addresses computed from phys_base,
 * so the buffer must be copied to exactly that address. Put it in the BIOS
 * area (0xE0000-0xFFFFF) where an OS scans for the RSDP on 16-byte
 * boundaries, and mark the range reserved in the E820 map. No MADT: the
 * virtual CPU has no APIC, so the OS uses the 8259 pair (INT_MODEL = 0).
 * docs/ACPI.md describes every field chosen and how Linux uses them.
 */
#ifndef SOFTVT_BIOS_ACPI_TABLES_H
#define SOFTVT_BIOS_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Enough for the tables at any phys_base alignment. */
#define ACPI_TABLES_MAX_SIZE 512

/* The platform's ACPI fixed hardware (see devices/acpi_pm.h). */
struct acpi_config {
	uint16_t pm1a_evt_port;   /* PM1a_EVT_BLK, 4 bytes: PM1_STS, PM1_EN */
	uint16_t pm1a_cnt_port;   /* PM1a_CNT_BLK, 2 bytes */
	uint16_t pm_tmr_port;     /* PM_TMR_BLK, 4 bytes, 24-bit timer; 0 = none */
	uint8_t sci_irq;          /* 8259 input of the SCI */
	uint8_t s5_slp_typ;       /* SLP_TYPa (and b) value for \_S5, 0-7 */
	uint8_t rtc_century;      /* CMOS index of the century byte, 0 = none */
};

/*
 * Builds the tables; returns the number of bytes used (at most
 * ACPI_TABLES_MAX_SIZE), or 0 if buflen is too small, a table would end
 * above 4 GiB or cfg is invalid (no PM1 ports, SLP_TYP > 7).
 */
size_t acpi_tables_build(uint8_t *buf, size_t buflen, uint32_t phys_base,
			 const struct acpi_config *cfg);

/* Offset of the RSDP in a buffer built for phys_base (its address - phys_base). */
uint32_t acpi_tables_rsdp_offset(uint32_t phys_base);

#endif
