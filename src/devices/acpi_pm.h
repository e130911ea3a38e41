/*
 * acpi_pm.h - the ACPI fixed power-management hardware: PM1 event and
 * control registers and the PM timer (ACPI 6.0 section 4.8.3).
 *
 * Just enough hardware for an ACPI OS to run in ACPI mode and power the
 * machine off through S5; the tables that describe it are built by
 * bios/acpi_tables.c. Ports (one region each, see docs/ACPI.md):
 *
 *   0x600-0x603  PM1a_EVT_BLK: PM1_STS (0x600, 16 bits), PM1_EN (0x602)
 *   0x604-0x605  PM1a_CNT_BLK: PM1_CNT
 *   0x608-0x60B  PM_TMR_BLK:   24-bit PM timer at 3.579545 MHz
 *
 * Writing PM1_CNT with SLP_EN set and SLP_TYP == ACPI_PM_SLP_TYP_S5 (the
 * value of the DSDT's \_S5 package) calls power_off once; other sleep
 * types are ignored. The SCI is a level: high while PM1_STS & PM1_EN != 0.
 */
#ifndef SOFTVT_DEVICES_ACPI_PM_H
#define SOFTVT_DEVICES_ACPI_PM_H

#include <stdint.h>

#include "devices/io.h"
#include "devices/portmap.h"

#define ACPI_PM_EVT_PORT 0x600
#define ACPI_PM_EVT_LEN 4
#define ACPI_PM_CNT_PORT 0x604
#define ACPI_PM_CNT_LEN 2
#define ACPI_PM_TMR_PORT 0x608
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_SCI_IRQ 9
#define ACPI_PM_SLP_TYP_S5 5          /* SLP_TYPx value announced by \_S5 */
#define ACPI_PM_TIMER_HZ 3579545u

/* PM1_STS (write 1 to clear) and PM1_EN bits, ACPI 6.0 tables 4-16/4-17. */
#define ACPI_PM1_TMR_STS    (1u << 0)
#define ACPI_PM1_BM_STS     (1u << 4)
#define ACPI_PM1_GBL_STS    (1u << 5)
#define ACPI_PM1_PWRBTN_STS (1u << 8)
#define ACPI_PM1_SLPBTN_STS (1u << 9)
#define ACPI_PM1_RTC_STS    (1u << 10)
#define ACPI_PM1_WAK_STS    (1u << 15)
#define ACPI_PM1_TMR_EN     (1u << 0)
#define ACPI_PM1_GBL_EN     (1u << 5)
#define ACPI_PM1_PWRBTN_EN  (1u << 8)
#define ACPI_PM1_SLPBTN_EN  (1u << 9)
#define ACPI_PM1_RTC_EN     (1u << 10)

/* PM1_CNT bits, ACPI 6.0 table 4-18. */
#define ACPI_PM1_SCI_EN     (1u << 0)
#define ACPI_PM1_BM_RLD     (1u << 1)
#define ACPI_PM1_GBL_RLS    (1u << 2)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP    (7u << 10)
#define ACPI_PM1_SLP_EN     (1u << 13)

struct acpi_pm;

/* power_off(opaque) is called when the guest enters S5; it may be NULL. */
struct acpi_pm *acpi_pm_create(struct vclock *clock, struct irq_line sci,
			       void (*power_off)(void *opaque), void *opaque);
void acpi_pm_destroy(struct acpi_pm *pm);
/* Claims the three blocks above; returns 0, or -1 if a port is taken. */
int acpi_pm_register(struct acpi_pm *pm, struct portmap *ports);

/* Fixed-feature power button pressed (sets PWRBTN_STS, SCI if enabled). */
void acpi_pm_power_button(struct acpi_pm *pm);
/*
 * Brings TMR_STS up to date and returns when it will next be set (bit 23
 * of the timer toggles), or VCLOCK_NEVER while TMR_EN is clear.
 */
uint64_t acpi_pm_poll(struct acpi_pm *pm, uint64_t now_ns);
/* The 24-bit timer value at now_ns. */
uint32_t acpi_pm_timer(uint64_t now_ns);

#endif
