/*
 * io.h - the interface every device model implements.
 *
 * A device is a state struct plus an io_ops pair registered on a range of
 * I/O ports (struct portmap, devices/portmap.h) or of guest-physical memory
 * (struct physmap, mmu/physmap.h). The callbacks receive the offset from
 * the start of the range the device was registered on, and an access size
 * of 1, 2 or 4 bytes. Reads of bytes a device does not drive return 0xFF
 * (an undriven ISA bus floats high).
 *
 * Interrupt lines are objects: a device holds a struct irq_line and calls
 * irq_line_set(); whoever wired the line (the machine, or a unit test)
 * decides where the level goes. No device knows about any other device.
 *
 * Time comes from a struct vclock, so unit tests can drive devices with a
 * fake clock and the machine with the host's CLOCK_MONOTONIC.
 */
#ifndef SOFTVT_DEVICES_IO_H
#define SOFTVT_DEVICES_IO_H

#include <stdbool.h>
#include <stdint.h>

struct io_ops {
	uint32_t (*read)(void *opaque, uint32_t offset, unsigned size);
	void (*write)(void *opaque, uint32_t offset, uint32_t value, unsigned size);
};

/* An interrupt request line: set(opaque, num, level). level is 0 or 1. */
struct irq_line {
	void (*set)(void *opaque, int num, int level);
	void *opaque;
	int num;
};

static inline void irq_line_set(const struct irq_line *line, int level)
{
	if (line && line->set)
		line->set(line->opaque, line->num, level);
}

/* Edge-triggered devices (PIT, RTC) pulse: raise then lower. */
static inline void irq_line_pulse(const struct irq_line *line)
{
	irq_line_set(line, 1);
	irq_line_set(line, 0);
}

/*
 * The board's CPU reset line and A20 gate, which both the i8042 keyboard
 * controller and port 0x92 drive. Any callback may be NULL; without get_a20
 * a device remembers the gate itself.
 */
struct board_lines {
	void *opaque;
	void (*reset)(void *opaque);                  /* pulse of the CPU reset line */
	void (*set_a20)(void *opaque, bool enabled);
	bool (*get_a20)(void *opaque);
};

/*
 * A clock in nanoseconds. With now == NULL the value of fake_ns is used
 * (unit tests advance it by hand); the machine installs vclock_host_now,
 * which counts CLOCK_MONOTONIC from origin_ns (the machine's start).
 */
struct vclock {
	uint64_t (*now)(struct vclock *clock);
	uint64_t fake_ns;
	uint64_t origin_ns;
};

uint64_t vclock_host_now(struct vclock *clock);

static inline uint64_t vclock_now(struct vclock *clock)
{
	return clock->now ? clock->now(clock) : clock->fake_ns;
}

#define NS_PER_SEC 1000000000ull
#define VCLOCK_NEVER UINT64_MAX

#endif
