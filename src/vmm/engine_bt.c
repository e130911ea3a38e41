/*
 * engine_bt.c - engine "bt": the machine's side of the binary translator
 * (bt/bt.h). Like engine_interp.c it connects the bus to the machine and
 * maps exits; the translator, the guest window and the interpreter it falls
 * back to live in bt/, mmu/ and cpu/.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bt/bt.h"
#include "vmm/engine.h"
#include "vmm/machine.h"
#include "vmm/stats_bt.h"

struct engine {
	struct machine *m;
	struct bt *bt;
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

static int bt_engine_probe(char *why, size_t whylen)
{
	return bt_probe(why, whylen);
}

static struct engine *bt_engine_create(struct machine *m, char *err, size_t errlen)
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
		.intr_line = &m->intr_line, .intr_pending = bus_intr_pending, .intr_ack = bus_intr_ack,
		.tsc = bus_tsc, .opaque = m,
	};
	e->bt = bt_create(&m->cpu, &bus, err, errlen);
	if (!e->bt) {
		free(e);
		return NULL;
	}
	return e;
}

static void bt_engine_destroy(struct engine *e)
{
	bt_destroy(e->bt);
	free(e);
}

static enum engine_exit bt_engine_run(struct engine *e, uint64_t deadline_ns)
{
	switch (bt_run(e->bt, deadline_ns, clock_now, e->m)) {
	case INTERP_DEADLINE:
		return ENGINE_DEADLINE;
	case INTERP_HALT:
		return ENGINE_HALT;
	case INTERP_SHUTDOWN:
		snprintf(e->m->error, sizeof(e->m->error), "fault while delivering #DF");
		return ENGINE_SHUTDOWN;
	case INTERP_ERROR:
		machine_fail(e->m, "bt: %s", bt_vcpu(e->bt)->error);
		return ENGINE_ERROR;
	}
	return ENGINE_ERROR;
}

static void bt_engine_kick(struct engine *e)
{
	bt_kick(e->bt);
}

/* struct bt_stats is large (per-mnemonic counters): on the heap, not the stack */
static void bt_engine_stats(struct engine *e, double seconds, void *file)
{
	struct bt_stats *s = malloc(sizeof(*s));
	if (!s)
		return;
	bt_get_stats(e->bt, s);
	bt_stats_print(s, seconds, file);
	free(s);
}

static void bt_engine_stats_json(struct engine *e, double seconds, struct json *j)
{
	struct bt_stats *s = malloc(sizeof(*s));
	if (!s)
		return;
	bt_get_stats(e->bt, s);
	bt_stats_json(s, seconds, j);
	free(s);
}

const struct engine_ops engine_bt = {
	.name = "bt",
	.summary = "binary translation of guest kernel code, shadow paging; user code interpreted",
	.probe = bt_engine_probe,
	.create = bt_engine_create,
	.destroy = bt_engine_destroy,
	.run = bt_engine_run,
	.kick = bt_engine_kick,
	.stats = bt_engine_stats,
	.stats_json = bt_engine_stats_json,
};
