/*
 * bench.c - `softvt bench`: the Adams & Agesen nanobenchmarks
 * (guests/nanobench) under each execution model, repeated, as a Markdown
 * table, JSON and a chart.
 *
 * Models: native (guests/nanobench-native: the operations a 32-bit host
 * process can do), interp, bt with user code direct, bt with user code
 * translated, QEMU TCG (qemu-system-i386, if installed), and kvm where the
 * host can run it (here: not, with the reason). Each runs --runs times (3);
 * the table gives the median with min-max, in nanoseconds per operation and
 * in cycles at this host's TSC rate (measured), beside the published
 * figures of Adams & Agesen (cycles on a 3.8 GHz Pentium 4: native, VMware's
 * BT, first-generation VT) where the paper gives them. Outputs go to --out
 * DIR (default bench-out): bench.md, bench.json and, with gnuplot, bench.png
 * (log scale).
 *
 * Where kvm cannot run, two MODELLED VT-x columns (no EPT, EPT) follow,
 * from the interpreter's counts of the VM exits a VT-x monitor would take
 * (vmm/bench_vtx.c, docs/VTX_MODEL.md); they say they are a model.
 *
 * --macro (--suite macro|all) runs the macro-benchmarks in the Linux guest
 * instead (vmm/bench_macro.c).
 */
#define _GNU_SOURCE
#include "vmm/bench.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "vmm/bench_macro.h"
#include "vmm/bench_vtx.h"
#include "vmm/json.h"
#include "vmm/subcommand.h"

#define MAX_RUNS 15

static const char *const ops[] = { "syscall", "in", "cli/sti", "pushf/popf", "call/ret",
				   "pgfault", "divzero", "ptemod", "cr3" };
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* Adams & Agesen, ASPLOS 2006 (architecture.md section 8): cycles, -1 = not given */
static const struct { const char *op; int native, bt, vt; } paper[] = {
	{ "call/ret", 11, 51, 11 },
	{ "pgfault", 1093, 3927, 11242 },
	{ "divzero", 889, 3223, 1014 },
	{ "ptemod", -1, 391, 12733 },
	{ "in", 3209, 214, 15826 },
};

struct bmodel {
	const char *name, *what;
	const char *kind;     /* "native", "softvt", "qemu" */
	const char *accel, *user;
};

static const struct bmodel bmodels[] = {
	{ "native", "the host, a 32-bit process (where the operation exists in user mode)",
	  "native", NULL, NULL },
	{ "bt+direct", "binary translation, user code directly on the CPU", "softvt", "bt", "direct" },
	{ "bt+bt", "binary translation, user code translated", "softvt", "bt", "bt" },
	{ "interp", "the interpreter", "softvt", "interp", NULL },
	{ "qemu-tcg", "QEMU's TCG (qemu-system-i386 -accel tcg -cpu pentium3)", "qemu", NULL, NULL },
	{ "kvm", "hardware-assisted (VT-x/AMD-V)", "softvt", "kvm", NULL },
};
#define NBM (sizeof(bmodels) / sizeof(bmodels[0]))

struct bres {
	bool ran;
	char why[256];
	unsigned runs;
	double ns[NOPS][MAX_RUNS];   /* < 0: not measured */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* min, median, max of the runs of op k; false if none */
static bool stats(const struct bres *r, size_t k, double *mn, double *med, double *mx)
{
	double v[MAX_RUNS];
	unsigned n = 0;
	for (unsigned i = 0; i < r->runs; i++)
		if (r->ns[k][i] >= 0)
			v[n++] = r->ns[k][i];
	if (!n)
		return false;
	qsort(v, n, sizeof(v[0]), cmp_double);
	*mn = v[0];
	*mx = v[n - 1];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return true;
}

static void parse(const char *path, struct bres *r, unsigned run)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		char name[32];
		double ns;
		if (sscanf(line, "nanobench %31s ns_per_op %lf", name, &ns) != 2)
			continue;
		for (size_t k = 0; k < NOPS; k++)
			if (!strcmp(name, ops[k]))
				r->ns[k][run] = ns;
	}
	fclose(f);
}

static void run_bmodel(const struct bmodel *m, const char *self, const char *dir, unsigned runs,
		       struct bres *r)
{
	char elf[PATH_MAX], prog[PATH_MAX], out[] = "/tmp/softvt-bench.XXXXXX", dc[PATH_MAX + 8];
	int fd = mkstemp(out);
	if (fd < 0) {
		snprintf(r->why, sizeof(r->why), "mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);
	snprintf(elf, sizeof(elf), "%s/nanobench.elf", dir);
	if (!strcmp(m->kind, "softvt") &&
	    subcommand_engine_ready(m->accel, r->why, sizeof(r->why)) < 0) {
		unlink(out);
		return;
	}
	for (unsigned i = 0; i < MAX_RUNS; i++)
		for (size_t k = 0; k < NOPS; k++)
			r->ns[k][i] = -1;
	for (unsigned run = 0; run < runs; run++) {
		char *argv[24];
		unsigned a = 0;
		const char *stdout_path = NULL;
		if (!strcmp(m->kind, "native")) {
			snprintf(prog, sizeof(prog), "%s/nanobench-native", dir);
			argv[a++] = prog;
			argv[a] = NULL;
			stdout_path = out;
		} else if (!strcmp(m->kind, "qemu")) {
			snprintf(dc, sizeof(dc), "file:%s", out);
			const char *q[] = { "qemu-system-i386", "-nodefaults", "-no-user-config",
					    "-display", "none", "-machine", "pc", "-accel", "tcg",
					    "-cpu", "pentium3", "-m", "64", "-kernel", elf, "-debugcon",
					    dc, "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
					    "-no-reboot", NULL };
			for (unsigned i = 0; q[i]; i++)
				argv[a++] = (char *)q[i];
			argv[a] = NULL;
		} else {
			subcommand_softvt_argv(argv, self, m->accel, m->user, elf, out, dc, sizeof(dc),
					       "120");
		}
		/* any exit status will do (QEMU's debug-exit device makes it 1): the output counts */
		int code = subcommand_run(argv, stdout_path, r->why, sizeof(r->why));
		if (code < 0 || code == 127)
			break;
		parse(out, r, run);
		r->runs = run + 1;
		fprintf(stderr, "softvt bench: %s run %u/%u done\n", m->name, run + 1, runs);
	}
	unlink(out);
	for (size_t k = 0; k < NOPS && r->runs; k++) {
		double a, b, c;
		if (stats(r, k, &a, &b, &c))
			r->ran = true;
	}
	if (!r->ran && !*r->why)
		snprintf(r->why, sizeof(r->why), "no results (the program printed nothing)");
}

/* This host's TSC rate in GHz, against CLOCK_MONOTONIC over 100 ms. */
static double host_ghz(void)
{
	struct timespec a, b, d = { 0, 100 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = __rdtsc();
	nanosleep(&d, NULL);
	uint64_t t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	return ns > 0 ? (double)(t1 - t0) / ns : 0;
}

static void write_md(FILE *f, const struct bres *res, double ghz, unsigned runs,
		     const struct vtx_bench *vb)
{
	fprintf(f, "Nanobenchmarks (guests/nanobench), median of %u runs (min-max), nanoseconds per "
		   "operation; cycles at this host's TSC rate (%.2f GHz) in brackets.\n\n", runs, ghz);
	fprintf(f, "| operation |");
	for (size_t m = 0; m < NBM; m++)
		fprintf(f, " %s |", bmodels[m].name);
	vtx_bench_md_head(f, vb);
	fprintf(f, " A&A 2006 native / BT / VT (cycles) |\n|---|");
	for (size_t m = 0; m <= NBM; m++)
		fprintf(f, "---|");
	vtx_bench_md_sep(f, vb);
	fprintf(f, "\n");
	for (size_t k = 0; k < NOPS; k++) {
		fprintf(f, "| %s |", ops[k]);
		for (size_t m = 0; m < NBM; m++) {
			double mn, med, mx;
			if (!res[m].ran || !stats(&res[m], k, &mn, &med, &mx))
				fprintf(f, " - |");
			else
				fprintf(f, " %.0f (%.0f-%.0f) [%.0f] |", med, mn, mx, med * ghz);
		}
		vtx_bench_md_cells(f, vb, k);
		const char *ref = "-";
		char buf[64];
		for (size_t p = 0; p < sizeof(paper) / sizeof(paper[0]); p++)
			if (!strcmp(paper[p].op, ops[k])) {
				if (paper[p].native < 0)
					snprintf(buf, sizeof(buf), "- / %d / %d", paper[p].bt, paper[p].vt);
				else
					snprintf(buf, sizeof(buf), "%d / %d / %d", paper[p].native,
						 paper[p].bt, paper[p].vt);
				ref = buf;
			}
		fprintf(f, " %s |\n", ref);
	}
	fprintf(f, "\n");
	for (size_t m = 0; m < NBM; m++)
		fprintf(f, "- %s: %s%s%s\n", bmodels[m].name, bmodels[m].what,
			res[m].ran ? "" : " - not run: ", res[m].ran ? "" : res[m].why);
	vtx_bench_md_notes(f, vb);
}

static void write_json_out(FILE *f, const struct bres *res, double ghz, unsigned runs,
			   const struct vtx_bench *vb)
{
	struct json js, *j = &js;
	json_begin(j, f);
	json_string(j, "benchmark", "nanobench");
	json_double(j, "host_tsc_ghz", ghz);
	json_u64(j, "runs", runs);
	json_object(j, "models");
	for (size_t m = 0; m < NBM; m++) {
		json_object(j, bmodels[m].name);
		json_bool(j, "ran", res[m].ran);
		if (!res[m].ran)
			json_string(j, "why", res[m].why);
		for (size_t k = 0; k < NOPS && res[m].ran; k++) {
			double mn, med, mx;
			if (!stats(&res[m], k, &mn, &med, &mx))
				continue;
			json_object(j, ops[k]);
			json_double(j, "ns_min", mn);
			json_double(j, "ns_median", med);
			json_double(j, "ns_max", mx);
			json_double(j, "cycles_median", med * ghz);
			json_close(j);
		}
		json_close(j);
	}
	json_close(j);
	vtx_bench_json(j, vb);
	json_end(j);
}

/* bench.png through gnuplot: a clustered bar chart, log scale; 0 or -1 with why */
static int write_chart(const char *outdir, const struct bres *res, char *why, size_t whylen)
{
	char dat[PATH_MAX], gp[PATH_MAX], png[PATH_MAX];   /* why: 256 bytes, paths cut */
	snprintf(dat, sizeof(dat), "%s/bench.dat", outdir);
	snprintf(gp, sizeof(gp), "%s/bench.gp", outdir);
	snprintf(png, sizeof(png), "%s/bench.png", outdir);
	FILE *f = fopen(dat, "w");
	if (!f) {
		snprintf(why, whylen, "cannot write %.200s: %s", dat, strerror(errno));
		return -1;
	}
	fprintf(f, "op");
	for (size_t m = 0; m < NBM; m++)
		if (res[m].ran)
			fprintf(f, " %s", bmodels[m].name);
	fprintf(f, "\n");
	for (size_t k = 0; k < NOPS; k++) {
		fprintf(f, "%s", ops[k]);
		for (size_t m = 0; m < NBM; m++) {
			double mn, med, mx;
			if (!res[m].ran)
				continue;
			if (stats(&res[m], k, &mn, &med, &mx) && med > 0)
				fprintf(f, " %g", med);
			else
				fprintf(f, " NaN");
		}
		fprintf(f, "\n");
	}
	fclose(f);
	unsigned cols = 0;
	for (size_t m = 0; m < NBM; m++)
		cols += res[m].ran;
	f = fopen(gp, "w");
	if (!f) {
		snprintf(why, whylen, "cannot write %.200s: %s", gp, strerror(errno));
		return -1;
	}
	fprintf(f, "set terminal pngcairo size 1200,600 font ',11'\nset output '%s'\n"
		   "set title 'softvt nanobenchmarks (median ns per operation, log scale)'\n"
		   "set style data histograms\nset style histogram clustered gap 1\n"
		   "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'ns per operation'\n"
		   "set grid ytics\nset key outside right top\nset xtics nomirror\n"
		   "set datafile missing 'NaN'\n"
		   "plot for [i=2:%u] '%s' using i:xtic(1) title columnheader(i)\n", png, cols + 1, dat);
	fclose(f);
	char *argv[] = { "gnuplot", gp, NULL };
	char werr[256];
	int code = subcommand_run(argv, NULL, werr, sizeof(werr));
	if (code == 127) {
		snprintf(why, whylen, "gnuplot is not installed (apt-get install gnuplot-nox)");
		return -1;
	}
	if (code < 0) {
		snprintf(why, whylen, "gnuplot: %.200s", werr);
		return -1;
	}
	struct stat sb;
	if (stat(png, &sb) < 0 || sb.st_size == 0) {
		snprintf(why, whylen, "gnuplot did not write %.200s", png);
		return -1;
	}
	return 0;
}

static const char bench_usage[] =
	"usage: softvt bench [--runs N] [--out DIR] [--guests DIR]\n"
	"       softvt bench --macro|--suite macro|all [...]   (softvt bench --macro --help)\n"
	"\n"
	"The Adams & Agesen nanobenchmarks (guests/nanobench: a system call from ring 3, IN from\n"
	"port 0x80, CLI/STI, PUSHF/POPF, call/ret, a page fault, divide by zero, a PTE write with\n"
	"INVLPG, a CR3 write) under each execution model: native (what a host process can do),\n"
	"bt with user code direct, bt with user code translated, the interpreter, QEMU TCG and\n"
	"KVM where the host can run them. Prints a Markdown table (median, min-max, ns and\n"
	"cycles, beside the published 2006 figures) and writes DIR/bench.md, bench.json and,\n"
	"with gnuplot, bench.png. Where KVM cannot run, two MODELLED VT-x columns (without\n"
	"and with EPT) give the VM exits the interpreter counted per operation times a\n"
	"published exit cost (docs/VTX_MODEL.md).\n"
	"\n"
	"  --runs N      repetitions per model, 1 to 15 (default 3)\n"
	"  --out DIR     where the files go (default: bench-out)\n"
	"  --guests DIR  where nanobench.elf and nanobench-native are (default: the guests/\n"
	"                folder beside the softvt binary, as the build makes it)\n"
	"  --suite S     nano (these, the default), macro (boot, fork+wait, CPU and system-call\n"
	"                loops in the Linux guest: softvt bench --macro --help) or all (both)\n"
	"  --macro       the same as --suite macro\n";

int bench_main(int argc, char **argv)
{
	unsigned runs = 3;
	const char *outdir = "bench-out";
	char dir[PATH_MAX] = "", self[PATH_MAX];
	if (bench_macro_wanted(argc, argv))
		return bench_macro_main(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(bench_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end || v < 1 || v > MAX_RUNS) {
				fprintf(stderr, "softvt bench: --runs: '%s' is not a number from 1 to %d\n",
					argv[i], MAX_RUNS);
				return 1;
			}
			runs = (unsigned)v;
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			outdir = argv[++i];
		} else if (!strcmp(argv[i], "--suite") && i + 1 < argc) {
			i++;   /* nano: bench_macro_wanted() took the others */
		} else if (!strcmp(argv[i], "--guests") && i + 1 < argc) {
			snprintf(dir, sizeof(dir), "%s", argv[++i]);
		} else {
			fprintf(stderr, "softvt bench: unknown option or missing value: %s\n%s", argv[i],
				bench_usage);
			return 1;
		}
	}
	if (subcommand_find_guest("bench", "nanobench", self, sizeof(self), dir, sizeof(dir)) < 0)
		return 1;
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "softvt bench: cannot create %s: %s\n", outdir, strerror(errno));
		return 1;
	}
	struct bres *res = calloc(NBM, sizeof(*res));
	if (!res)
		return 1;
	double ghz = host_ghz();
	for (size_t m = 0; m < NBM; m++)
		run_bmodel(&bmodels[m], self, dir, runs, &res[m]);
	/* no hardware-assisted engine ran: the modelled VT-x columns instead */
	bool kvm_ran = false;
	for (size_t m = 0; m < NBM; m++)
		kvm_ran |= !strcmp(bmodels[m].name, "kvm") && res[m].ran;
	struct vtx_bench *vb = kvm_ran ? NULL : vtx_bench_run(self, dir, ops, NOPS);
	write_md(stdout, res, ghz, runs, vb);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/bench.md", outdir);
	FILE *f = fopen(path, "w");
	int rc = 0;
	if (f) {
		write_md(f, res, ghz, runs, vb);
		fclose(f);
	} else {
		fprintf(stderr, "softvt bench: cannot write %s: %s\n", path, strerror(errno));
		rc = 1;
	}
	snprintf(path, sizeof(path), "%s/bench.json", outdir);
	f = fopen(path, "w");
	if (f) {
		write_json_out(f, res, ghz, runs, vb);
		fclose(f);
	} else {
		fprintf(stderr, "softvt bench: cannot write %s: %s\n", path, strerror(errno));
		rc = 1;
	}
	char why[256];
	if (write_chart(outdir, res, why, sizeof(why)) < 0)
		fprintf(stderr, "softvt bench: no chart: %s\n", why);
	else
		fprintf(stderr, "softvt bench: wrote %s/bench.md, bench.json, bench.png\n", outdir);
	vtx_bench_free(vb);
	free(res);
	return rc;
}
