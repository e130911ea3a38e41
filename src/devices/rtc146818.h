/*
 * rtc146818.h - Motorola MC146818A real-time clock with CMOS RAM, the PC's
 * IRQ 8 device at ports 0x70 (index, bit 7 masks NMI) and 0x71 (data).
 *
 * The guest sees a calendar that starts at unix_time_at_clock_zero when the
 * vclock reads 0 and runs with it; the guest may set it. Interrupt flags are
 * computed from the vclock lazily: the machine calls rtc146818_poll() at the
 * deadline it returned (and after RTC port accesses, which may enable an
 * interrupt) so IRQ 8 rises on time.
 */
#ifndef SOFTVT_DEVICES_RTC146818_H
#define SOFTVT_DEVICES_RTC146818_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/io.h"
#include "devices/portmap.h"

#define RTC146818_PORT_BASE 0x70
#define RTC146818_CMOS_SIZE 128

struct rtc146818;

struct rtc146818 *rtc146818_create(struct vclock *clock, int64_t unix_time_at_clock_zero,
				   struct irq_line irq8);
void rtc146818_destroy(struct rtc146818 *rtc);
/* Claims ports 0x70-0x71. Returns 0, or -1 if they are taken. */
int rtc146818_register(struct rtc146818 *rtc, struct portmap *ports);
/* Raises IRQ 8 for the events due by now_ns; returns the next deadline or VCLOCK_NEVER. */
uint64_t rtc146818_poll(struct rtc146818 *rtc, uint64_t now_ns);
/*
 * CMOS access for the machine (memory sizes, equipment, checksum). Bytes
 * 0x00-0x0D and the century (0x32) behave as for a guest access, except
 * that get does not clear register C. Indexes >= 128 are ignored / read 0xFF.
 */
void rtc146818_set_cmos(struct rtc146818 *rtc, unsigned index, uint8_t value);
uint8_t rtc146818_get_cmos(const struct rtc146818 *rtc, unsigned index);
/* Bit 7 of the last value written to port 0x70. */
bool rtc146818_nmi_masked(const struct rtc146818 *rtc);

#endif
