/*
 * acpi_pm.c - ACPI fixed hardware: PM1 event/control registers, PM timer.
 *
 * Register semantics follow ACPI 6.0 section 4.8.3 (the same bits as in
 * ACPI 1.0b): PM1_STS (table 4-16), PM1_EN (4-17), PM1_CNT (4-18) and the
 * power management timer (4.8.3.3).
 *
 * - PM1_STS bits are write-1-to-clear. Only TMR_STS and PWRBTN_STS are
 *   ever set here: there is no bus master, no BIOS global lock SMI, no
 *   fixed RTC wake (FADT FIX_RTC = 1) and no sleep state to wake from, so
 *   BM/GBL/SLPBTN/RTC/WAK_STS read 0 but accept their clearing writes.
 * - PM1_EN keeps every defined enable bit: ACPICA writes an enable bit and
 *   reads it back to decide whether the hardware answered (the global lock
 *   and RTC events), so they must stick even where no event ever comes.
 * - PM1_CNT: SCI_EN reads 1 and ignores writes, because the FADT has
 *   SMI_CMD = 0, i.e. the platform is always in ACPI mode. BM_RLD and
 *   SLP_TYP are stored; GBL_RLS and SLP_EN are write-only and read 0.
 *   A write with SLP_EN set starts a sleep transition to SLP_TYP (the value
 *   after the write): ACPI_PM_SLP_TYP_S5, the only state the DSDT declares
 *   (\_S5), calls power_off once, and the device then stays off (later
 *   requests are ignored). Any other type names no state in our DSDT, so
 *   an OS never writes it; it is ignored and the machine keeps running.
 * - PM timer: 24-bit count-up at 3.579545 MHz, computed from the vclock
 *   (timer = floor(ns * 3579545 / 1e9) mod 2^24, FADT TMR_VAL_EXT = 0 so
 *   bits 24-31 read 0). TMR_STS is set whenever bit 23 toggles, i.e. each
 *   time floor(ticks / 2^23) changes; this is evaluated lazily on every
 *   register access and by acpi_pm_poll(), which returns the next toggle
 *   time while TMR_EN is set so the machine can raise the SCI on time.
 *
 * SCI: the spec makes it a shareable, level, active-low interrupt on the
 * wire; on a PC the PIC sees it as an active-high level (ELCR bit 9, which
 * Linux sets for the FADT's SCI_INT). So the line is driven 1 while
 * (PM1_STS & PM1_EN) != 0 and 0 otherwise, and only changes are signalled.
 *
 * Accesses: each block is its own port region; byte, word and dword
 * accesses at any offset read and write the bytes they cover (a dword at
 * 0x600 is PM1_STS | PM1_EN << 16). Bytes past the end of a block read as
 * 0xFF and are not written (the other blocks are separate regions).
 */
#include "devices/acpi_pm.h"

#include <stdlib.h>

#define PM1_STS_BITS (ACPI_PM1_TMR_STS | ACPI_PM1_BM_STS | ACPI_PM1_GBL_STS | \
		      ACPI_PM1_PWRBTN_STS | ACPI_PM1_SLPBTN_STS | ACPI_PM1_RTC_STS | \
		      ACPI_PM1_WAK_STS)
#define PM1_EN_BITS (ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN | \
		     ACPI_PM1_SLPBTN_EN | ACPI_PM1_RTC_EN)
#define PM1_CNT_STORED (ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP)
#define TMR_MASK 0xffffffu
#define TMR_CARRY_SHIFT 23

struct acpi_pm {
	struct vclock *clock;
	struct irq_line sci;
	void (*power_off)(void *opaque);
	void *opaque;
	uint16_t sts;
	uint16_t en;
	uint16_t cnt;             /* stored bits only (PM1_CNT_STORED) */
	uint64_t carry_epoch;     /* ticks >> 23 when TMR_STS was last evaluated */
	int sci_level;
	bool off;                 /* S5 entered */
};

static uint64_t ticks_at(uint64_t ns)
{
	uint64_t sec = ns / NS_PER_SEC, rem = ns % NS_PER_SEC;
	return sec * ACPI_PM_TIMER_HZ + rem * ACPI_PM_TIMER_HZ / NS_PER_SEC;
}

/* The first instant (ns) at which ticks_at() reaches ticks. */
static uint64_t ns_at(uint64_t ticks)
{
	uint64_t sec = ticks / ACPI_PM_TIMER_HZ, rem = ticks % ACPI_PM_TIMER_HZ;
	return sec * NS_PER_SEC + (rem * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

uint32_t acpi_pm_timer(uint64_t now_ns)
{
	return (uint32_t)(ticks_at(now_ns) & TMR_MASK);
}

static void update_sci(struct acpi_pm *pm)
{
	int level = (pm->sts & pm->en) != 0;
	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

static void update_timer_status(struct acpi_pm *pm, uint64_t now_ns)
{
	uint64_t epoch = ticks_at(now_ns) >> TMR_CARRY_SHIFT;
	if (epoch != pm->carry_epoch) {
		pm->carry_epoch = epoch;
		pm->sts |= ACPI_PM1_TMR_STS;
	}
}

static void enter_sleep(struct acpi_pm *pm, unsigned slp_typ)
{
	if (slp_typ != ACPI_PM_SLP_TYP_S5 || pm->off)
		return;
	pm->off = true;
	if (pm->power_off)
		pm->power_off(pm->opaque);
}

/* The bytes [offset, offset+size) of a block whose value is reg, 0xFF past its end. */
static uint32_t block_bytes(uint32_t reg, unsigned len, uint32_t offset)
{
	if (offset >= len)
		return 0xffffffffu;
	uint64_t padded = reg | (~0ull << (8 * len));
	return (uint32_t)(padded >> (8 * offset));
}

/* Writes spread over a 16-bit register: the value and the byte lanes written. */
static void word_lanes(uint32_t offset, uint32_t value, unsigned size, unsigned reg_offset,
		       uint16_t *data, uint16_t *lanes)
{
	*data = 0;
	*lanes = 0;
	for (unsigned i = 0; i < size; i++) {
		uint32_t byte_offset = offset + i;
		if (byte_offset < reg_offset || byte_offset >= reg_offset + 2)
			continue;
		unsigned shift = 8 * (byte_offset - reg_offset);
		*data |= (uint16_t)(((value >> (8 * i)) & 0xff) << shift);
		*lanes |= (uint16_t)(0xff << shift);
	}
}

static uint32_t evt_read(void *opaque, uint32_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	update_timer_status(pm, vclock_now(pm->clock));
	update_sci(pm);
	return block_bytes(pm->sts | (uint32_t)pm->en << 16, ACPI_PM_EVT_LEN, offset);
}

static void evt_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint16_t data, lanes;
	update_timer_status(pm, vclock_now(pm->clock));
	word_lanes(offset, value, size, 0, &data, &lanes);
	pm->sts &= (uint16_t)~(data & lanes & PM1_STS_BITS);
	word_lanes(offset, value, size, 2, &data, &lanes);
	pm->en = (uint16_t)((pm->en & ~lanes) | (data & lanes & PM1_EN_BITS));
	update_sci(pm);
}

static uint32_t cnt_read(void *opaque, uint32_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	return block_bytes(pm->cnt | ACPI_PM1_SCI_EN, ACPI_PM_CNT_LEN, offset);
}

static void cnt_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint16_t data, lanes;
	word_lanes(offset, value, size, 0, &data, &lanes);
	pm->cnt = (uint16_t)((pm->cnt & ~lanes) | (data & lanes & PM1_CNT_STORED));
	if (data & lanes & ACPI_PM1_SLP_EN)
		enter_sleep(pm, (pm->cnt & ACPI_PM1_SLP_TYP) >> ACPI_PM1_SLP_TYP_SHIFT);
}

static uint32_t tmr_read(void *opaque, uint32_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint64_t now = vclock_now(pm->clock);
	update_timer_status(pm, now);
	update_sci(pm);
	return block_bytes(acpi_pm_timer(now), ACPI_PM_TMR_LEN, offset);
}

static const struct io_ops evt_ops = { evt_read, evt_write };
static const struct io_ops cnt_ops = { cnt_read, cnt_write };
static const struct io_ops tmr_ops = { tmr_read, NULL };

struct acpi_pm *acpi_pm_create(struct vclock *clock, struct irq_line sci,
			       void (*power_off)(void *opaque), void *opaque)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->clock = clock;
	pm->sci = sci;
	pm->power_off = power_off;
	pm->opaque = opaque;
	pm->carry_epoch = ticks_at(vclock_now(clock)) >> TMR_CARRY_SHIFT;
	return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	free(pm);
}

int acpi_pm_register(struct acpi_pm *pm, struct portmap *ports)
{
	if (portmap_register(ports, ACPI_PM_EVT_PORT, ACPI_PM_EVT_LEN, &evt_ops, pm,
			     "acpi-pm1-evt") < 0 ||
	    portmap_register(ports, ACPI_PM_CNT_PORT, ACPI_PM_CNT_LEN, &cnt_ops, pm,
			     "acpi-pm1-cnt") < 0 ||
	    portmap_register(ports, ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN, &tmr_ops, pm,
			     "acpi-pm-tmr") < 0)
		return -1;
	return 0;
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	update_timer_status(pm, vclock_now(pm->clock));
	pm->sts |= ACPI_PM1_PWRBTN_STS;
	update_sci(pm);
}

uint64_t acpi_pm_poll(struct acpi_pm *pm, uint64_t now_ns)
{
	update_timer_status(pm, now_ns);
	update_sci(pm);
	if (!(pm->en & ACPI_PM1_TMR_EN))
		return VCLOCK_NEVER;
	return ns_at((pm->carry_epoch + 1) << TMR_CARRY_SHIFT);
}
