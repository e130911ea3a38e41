/*
 * engine_bus.c - the machine side shared by engines interp and bt (see
 * engine_bus.h).
 */
#include "vmm/engine_bus.h"

#include <stdio.h>

static bool bus_intr_pending(void *opaque)
{
	return machine_intr_pending(opaque);
}

static uint8_t bus_intr_ack(void *opaque)
{
	return machine_intr_ack(opaque);
}

static uint64_t bus_tsc(void *opaque)
{
	struct machine *m = opaque;
	return machine_tsc(m) - m->cpu.tsc_offset;
}

struct cpu_bus engine_cpu_bus(struct machine *m)
{
	return (struct cpu_bus){
		.phys = &m->phys, .ports = &m->ports, .model = &m->model,
		.requests = &m->requests, .stop_mask = REQ_STOP | REQ_DEVICE, .intr_bit = REQ_INTR,
		.intr_line = &m->intr_line, .intr_pending = bus_intr_pending,
		.intr_ack = bus_intr_ack, .tsc = bus_tsc, .opaque = m,
	};
}

uint64_t engine_clock_now(void *machine)
{
	struct machine *m = machine;
	return vclock_now(&m->clock);
}

enum engine_exit engine_exit_of(struct machine *m, enum interp_exit why, const char *engine,
				const char *error)
{
	switch (why) {
	case INTERP_DEADLINE:
		return ENGINE_DEADLINE;
	case INTERP_HALT:
		return ENGINE_HALT;
	case INTERP_SHUTDOWN:
		snprintf(m->error, sizeof(m->error), "fault while delivering #DF");
		return ENGINE_SHUTDOWN;
	case INTERP_ERROR:
		machine_fail(m, "%s: %s", engine, error);
		return ENGINE_ERROR;
	}
	return ENGINE_ERROR;
}
