/*
 * engine_interp.c - engine "interp": the machine's side of the reference
 * interpreter (cpu/interp.c). It connects the vcpu's bus to the machine
 * (physical map, ports, PIC, TSC, requests) and maps interpreter exits to
 * engine exits. With --stats or --stats-json it turns on the VT-x exit
 * model's page-table tracking (cpu/vtx_model.h), so the statistics can show
 * what a hardware-assisted monitor would have exited on (vmm/stats_vtx.c);
 * without, it stays off: it sends every write to a guest page table through
 * the slow path (the ptemod nanobenchmark: 33 -> 68 ns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/interp.h"
#include "vmm/engine.h"
#include "vmm/engine_bus.h"
#include "vmm/json.h"
#include "vmm/machine.h"
#include "vmm/stats_vtx.h"

#define MAX_MARKS 64

/* The VT-x model's totals at a stats mark (SIGUSR1). */
struct mark {
	uint64_t icount, no_ept, ept, timed_no_ept, timed_ept;
};

struct engine {
	struct machine *m;
	struct vcpu v;
	struct mark marks[MAX_MARKS];
	unsigned nmarks;
};

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
	struct cpu_bus bus = engine_cpu_bus(m);
	if (interp_init(&e->v, &m->cpu, &bus) < 0) {
		snprintf(err, errlen, "out of memory for the interpreter's caches");
		free(e);
		return NULL;
	}
	if ((m->cfg.stats || m->cfg.stats_json) && vtx_model_enable(&e->v.vtx) < 0) {
		snprintf(err, errlen, "out of memory for the VT-x model's page-table map");
		interp_fini(&e->v);
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
	return engine_exit_of(e->m, interp_run(&e->v, deadline_ns, engine_clock_now, e->m), "interp",
			      e->v.error);
}

static void interp_stats(struct engine *e, double seconds, void *file)
{
	fprintf(file, "softvt: stats: %-14s %llu instructions (%.1f M/s)\n", "interp",
		(unsigned long long)e->v.icount, seconds > 0 ? e->v.icount / seconds / 1e6 : 0.0);
	vtx_stats_print(&e->v.vtx, e->v.icount, file);
}

/*
 * The exits that come from waiting rather than from the guest's work: port
 * I/O (busy-wait loops on the PIT and the UART), timer interrupts and their
 * windows, HLT. Under the interpreter their number depends on how long the
 * guest ran; a mark keeps them apart.
 */
static uint64_t timed_exits(const struct vtx_model *m, int config)
{
	return m->exits[config][VTX_IO] + m->exits[config][VTX_INTR] +
	       m->exits[config][VTX_INTR_WINDOW] + m->exits[config][VTX_HLT];
}

static void interp_stats_mark(struct engine *e)
{
	if (e->nmarks == MAX_MARKS)
		return;
	const struct vtx_model *m = &e->v.vtx;
	e->marks[e->nmarks++] = (struct mark){
		e->v.icount, vtx_model_total(m, VTX_NO_EPT), vtx_model_total(m, VTX_EPT),
		timed_exits(m, VTX_NO_EPT), timed_exits(m, VTX_EPT),
	};
}

static void interp_stats_json(struct engine *e, double seconds, struct json *j)
{
	json_u64(j, "instructions", e->v.icount);
	json_double(j, "per_second", seconds > 0 ? e->v.icount / seconds : 0.0);
	json_object(j, "vtx_model");
	vtx_stats_json(&e->v.vtx, e->v.icount, j);
	json_close(j);
	/* the totals at each SIGUSR1 ("0", "1", ...); "timed_*": the part from I/O,
	   interrupts, HLT */
	json_object(j, "marks");
	for (unsigned i = 0; i < e->nmarks; i++) {
		char key[12];
		snprintf(key, sizeof(key), "%u", i);
		json_object(j, key);
		json_u64(j, "instructions", e->marks[i].icount);
		json_u64(j, "exits_no_ept", e->marks[i].no_ept);
		json_u64(j, "exits_ept", e->marks[i].ept);
		json_u64(j, "timed_no_ept", e->marks[i].timed_no_ept);
		json_u64(j, "timed_ept", e->marks[i].timed_ept);
		json_close(j);
	}
	json_close(j);
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
	.stats_mark = interp_stats_mark,
};
