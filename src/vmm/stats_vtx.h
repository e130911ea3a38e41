/*
 * stats_vtx.h - the VT-x exit MODEL's counts (cpu/vtx_model.h) priced with
 * published VM-exit costs of named CPU generations, for --stats (text),
 * --stats-json and `softvt bench` (docs/VTX_MODEL.md).
 */
#ifndef SOFTVT_VMM_STATS_VTX_H
#define SOFTVT_VMM_STATS_VTX_H

#include <stdint.h>
#include <stdio.h>

#include "cpu/vtx_model.h"
#include "vmm/json.h"

/* One published cost of a VM exit, with where it comes from. */
struct vtx_cost {
	const char *key;        /* "nehalem" */
	const char *name;       /* "Nehalem" */
	const char *cpu;        /* the processor and the monitor measured */
	double ghz;             /* its clock */
	unsigned cycles;        /* cycles per exit */
	const char *what;       /* what the number includes */
	const char *source;     /* the citation */
};

extern const struct vtx_cost vtx_costs[];
extern const unsigned vtx_ncosts;
/* The generation `softvt bench` shows (the JSON holds them all). */
extern const struct vtx_cost *const vtx_cost_shown;

/*
 * Modelled cycles for `exits` exits and `insns` other instructions: each
 * exit costs c->cycles, every instruction 1 cycle (IPC 1, stated).
 */
double vtx_model_cycles(const struct vtx_cost *c, double exits, double insns);

/* The "softvt: stats: vtx-model ..." lines; icount: the instructions run. */
void vtx_stats_print(const struct vtx_model *m, uint64_t icount, FILE *f);

/* The "vtx_model" object of --stats-json. */
void vtx_stats_json(const struct vtx_model *m, uint64_t icount, struct json *j);

#endif
