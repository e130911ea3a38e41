/*
 * bench_macro_priv.h - what bench_macro.c shares with bench_macro_vtx.c:
 * where things are, one boot of the guest through scripts/guest-run.sh and
 * what it reported.
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

/* What guest-run.sh reported in one boot. */
struct boot_report {
	double boot_s, boot_cpu;   /* < 0: no shell */
	double overhead_s;         /* host time of the fastest `true` */
	double host_s[MB_COUNT];   /* < 0: did not finish */
	int status[MB_COUNT];
	double guest_ns[MB_COUNT]; /* ns per operation by the guest's clock; < 0: no BENCH line */
	char check[32];
	char fail[256];            /* the line that says what went wrong */
};

/* Progress on stderr: what runs now, with the run's number. */
struct progress {
	const char *model;
	unsigned run, runs;
};

void macro_report_init(struct boot_report *rep);

/*
 * One boot of model m running the programs of o (their counts; 0: not run)
 * after three `true`s; extra: more softvt options (may be NULL). 0, or -1
 * with rep->fail saying why.
 */
int macro_boot(const struct macro_env *e, const struct macro_model *m,
	       const struct macro_opts *o, const struct progress *p, const char *extra,
	       struct boot_report *rep);

/*
 * The two MODELLED VT-x columns (kind MACRO_VTX, docs/VTX_MODEL.md): per
 * program, the exits the interpreter counted (a boot running it minus a boot
 * without it, divided by the operations) priced at vtx_cost_shown, plus one
 * cycle per guest instruction. Fills r like a measured column (one run, no
 * boot row); the boots are shared by both columns.
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
