/*
 * engine_bus.h - what the interp and bt engines share on the machine side:
 * the struct cpu_bus that connects cpu/ to the machine, the run clock, and
 * the mapping of interpreter exits to engine exits.
 */
#ifndef SOFTVT_VMM_ENGINE_BUS_H
#define SOFTVT_VMM_ENGINE_BUS_H

#include "cpu/interp.h"
#include "cpu/vcpu.h"
#include "vmm/engine.h"
#include "vmm/machine.h"

/* The bus of the machine's vCPU: physical map, ports, CPU model, requests, PIC, TSC. */
struct cpu_bus engine_cpu_bus(struct machine *m);

/* The run clock (vclock) of the machine passed as opaque, for interp_run/bt_run. */
uint64_t engine_clock_now(void *machine);

/* An interpreter-style exit as an engine exit; error: the vcpu's message. */
enum engine_exit engine_exit_of(struct machine *m, enum interp_exit why, const char *engine,
				const char *error);

#endif
