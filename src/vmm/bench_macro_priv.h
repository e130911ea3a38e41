/*
 * bench_macro_priv.h - what bench_macro.c shares with bench_macro_vtx.c:
 * where things are, and the modelled VT-x columns.
 */
#ifndef SOFTVT_VMM_BENCH_MACRO_PRIV_H
#define SOFTVT_VMM_BENCH_MACRO_PRIV_H

#include <limits.h>

#include "vmm/bench_macro.h"

/* Where things are: this binary, its build folder, the source tree's scripts. */
struct macro_env {
	char self[PATH_MAX];
	char build[PATH_MAX];
	char progs[PATH_MAX + 32];   /* BUILD/linux-progs/softvt-progs */
	char script[PATH_MAX + 32];  /* SRC/scripts/guest-run.sh */
	char src[PATH_MAX];
};

/*
 * The two MODELLED VT-x columns (kind MACRO_VTX, docs/VTX_MODEL.md): per
 * program, the exits the interpreter counted in one boot (n and 2n
 * operations, stats marks around each command), priced at vtx_cost_shown
 * plus one cycle per guest instruction, until macro_vtx_price replaces that
 * part with the native column's time. Fills r like a measured column (one
 * run, no boot row); one boot serves both columns.
 */
void macro_vtx_run(const struct macro_env *e, const struct macro_model *m,
		   const struct macro_opts *o, struct macro_result *r);
/*
 * After every model ran: where the native column has a row, the model's
 * time is the native time plus the exits' cost (guest code runs natively
 * under VT-x), instead of 1 cycle per guest instruction.
 */
void macro_vtx_price(struct macro_result *res);

#endif
