/*
 * engine_interp.c - engine "interp": the machine's side of the reference
 * interpreter (cpu/interp.c). It connects the vcpu's bus to the machine
 * (physical map, ports, PIC, TSC, requests) and maps interpreter exits to
 * engine exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/interp.h"
#include "vmm/engine.h"
#include "vmm/json.h"
#include "vmm/machine.h"

struct engine {
	struct machine *m;
	struct vcpu v;
};

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

static uint64_t clock_now(void *opaque)
{
	struct machine *m = opaque;
	return vclock_now(&m->clock);
}

static int interp_probe(char *why, size_t whylen)
{
	return 0;   /* runs everywhere */
}

static struct engine *interp_create(struct machine *m, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->m = m;
	struct cpu_bus bus = {
		.phys = &m->phys, .ports = &m->ports, .model = &m->model,
		.requests = &m->requests, .stop_mask = REQ_STOP | REQ_DEVICE, .intr_bit = REQ_INTR,
		.intr_line = &m->intr_line, .intr_pending = bus_intr_pending, .intr_ack = bus_intr_ack, .tsc = bus_tsc,
		.opaque = m,
	};
	if (interp_init(&e->v, &m->cpu, &bus) < 0) {
		snprintf(err, errlen, "out of memory for the interpreter's caches");
		free(e);
		return NULL;
	}
	return e;
}

static void interp_destroy(struct engine *e)
{
	interp_fini(&e->v);
	free(e);
}

static enum engine_exit interp_engine_run(struct engine *e, uint64_t deadline_ns)
{
	switch (interp_run(&e->v, deadline_ns, clock_now, e->m)) {
	case INTERP_DEADLINE:
		return ENGINE_DEADLINE;
	case INTERP_HALT:
		return ENGINE_HALT;
	case INTERP_SHUTDOWN:
		snprintf(e->m->error, sizeof(e->m->error), "fault while delivering #DF");
		return ENGINE_SHUTDOWN;
	case INTERP_ERROR:
		machine_fail(e->m, "interp: %s", e->v.error);
		return ENGINE_ERROR;
	}
	return ENGINE_ERROR;
}

static void interp_stats(struct engine *e, double seconds, void *file)
{
	fprintf(file, "softvt: stats: %-14s %llu instructions (%.1f M/s)\n", "interp",
		(unsigned long long)e->v.icount, seconds > 0 ? e->v.icount / seconds / 1e6 : 0.0);
}

static void interp_stats_json(struct engine *e, double seconds, struct json *j)
{
	json_u64(j, "instructions", e->v.icount);
	json_double(j, "per_second", seconds > 0 ? e->v.icount / seconds : 0.0);
}

const struct engine_ops engine_interp = {
	.name = "interp",
	.summary = "reference interpreter: every instruction in software, all modes",
	.probe = interp_probe,
	.create = interp_create,
	.destroy = interp_destroy,
	.run = interp_engine_run,
	.stats = interp_stats,
	.stats_json = interp_stats_json,
};
