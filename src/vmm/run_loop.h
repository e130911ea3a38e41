/*
 * run_loop.h - run a machine with an engine until it stops (see run_loop.c).
 */
#ifndef SOFTVT_VMM_RUN_LOOP_H
#define SOFTVT_VMM_RUN_LOOP_H

#include "vmm/engine.h"
#include "vmm/machine.h"

/* Runs until the machine stops; reports why on stderr; returns the process exit code. */
int run_loop(struct machine *m, const struct engine_ops *ops);

#endif
