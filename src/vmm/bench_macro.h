/*
 * bench_macro.h - `softvt bench --macro`: the macro-benchmarks in the default
 * Linux guest (boot to the shell, fork+wait, a CPU-bound loop, a system-call
 * loop) under each execution model. bench_macro.c runs them (through
 * scripts/guest-run.sh, or natively for the host column); bench_macro_out.c
 * writes the Markdown table, the JSON and the chart. docs/BENCHMARKS.md.
 */
#ifndef SOFTVT_VMM_BENCH_MACRO_H
#define SOFTVT_VMM_BENCH_MACRO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MACRO_MAX_RUNS 15

/*
 * The rows: boot, then the guest programs (guests/linux/progs) in the order
 * they run; pgfault only when asked for (--pgfault N, bench/user_programs.sh).
 */
enum { MB_BOOT, MB_FORKWAIT, MB_CPU_LOOP, MB_GETPID, MB_PGFAULT, MB_COUNT };

struct macro_bench {
	const char *name;     /* the program (and JSON key); "boot" for the boot */
	const char *label;    /* the chart's, with the unit */
	const char *unit;     /* of the values */
	double ns_per_unit;   /* a program's ns per operation / this = the value */
};

extern const struct macro_bench macro_benches[MB_COUNT];

/* MACRO_VTX: a MODELLED column (bench_macro_vtx.c), not a measurement */
enum macro_kind { MACRO_NATIVE, MACRO_SOFTVT, MACRO_QEMU, MACRO_VTX };

struct macro_model {
	const char *name, *what;
	enum macro_kind kind;
	const char *accel;    /* softvt: --accel; QEMU: -accel */
	const char *user;     /* softvt: --user, or NULL; MACRO_VTX: "noept" or "ept" */
	double est[MB_COUNT]; /* rough cost on the development machine, in each row's unit */
	bool optional;        /* a column only when --models names it */
};

extern const struct macro_model macro_models[];
extern const unsigned macro_nmodels;

struct macro_result {
	bool selected, ran;
	char why[256];        /* why it did not run, or what failed */
	unsigned runs;        /* runs attempted */
	double v[MB_COUNT][MACRO_MAX_RUNS];   /* in the row's unit; < 0: no value */
	bool host_clock[MB_COUNT];            /* a value was timed by the host's clock */
	double boot_cpu[MACRO_MAX_RUNS];      /* CPU seconds of the VM to the shell; < 0: none */
	char check[32];                       /* cpu_loop's checksum, as printed */
};

struct macro_opts {
	unsigned runs;        /* 0: the default per model */
	uint32_t count[MB_COUNT];   /* operations per program, 0: not run (MB_BOOT: unused) */
	const char *outdir;
};

/* Row b is measured (boot always; a program when its count is not 0). */
static inline bool macro_row_on(const struct macro_opts *o, unsigned b)
{
	return b == 0 || o->count[b];
}

/* min, median, max of row b's values; false if there is none. */
bool macro_stats(const struct macro_result *r, unsigned b, double *mn, double *med, double *mx);

void macro_write_md(FILE *f, const struct macro_result *res, const struct macro_opts *o);
void macro_write_json(FILE *f, const struct macro_result *res, const struct macro_opts *o);
/* OUTDIR/macro.png through gnuplot (log scale); 0, or -1 with why */
int macro_write_chart(const char *outdir, const struct macro_result *res,
		      const struct macro_opts *o, char *why, size_t whylen);

/*
 * For bench_main: true when argv asks for the macro suite (--macro, --suite
 * macro|all, or a --suite to complain about); then bench_macro_main runs it.
 */
bool bench_macro_wanted(int argc, char **argv);
int bench_macro_main(int argc, char **argv);

#endif
