/*
 * bench_macro_out.c - the outputs of `softvt bench --macro`
 * (vmm/bench_macro.c): a Markdown table (a row per benchmark, a column per
 * model, median with min-max; cells timed by the host's clock marked *), the
 * same as JSON (min, median, max and each run; "clock": host, guest, or
 * program for the native column's own clock), and a clustered bar chart
 * with a log scale through gnuplot (macro.png).
 */
#define _GNU_SOURCE
#include "vmm/bench_macro.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/json.h"
#include "vmm/subcommand.h"

/*
 * Adams & Agesen, ASPLOS 2006 (architecture.md section 8): 40,000 fork+wait
 * took 6.0 s natively, 36.9 s under VMware's BT, 106.4 s under first-generation
 * VT on a 3.8 GHz Pentium 4; the paper's other macro-benchmarks are not these.
 */
static const char *const paper[MB_COUNT] = {
	[MB_FORKWAIT] = "150 / 923 / 2,660",
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static bool stats_of(const double *vals, unsigned runs, double *mn, double *med, double *mx)
{
	double v[MACRO_MAX_RUNS];
	unsigned n = 0;
	for (unsigned i = 0; i < runs && i < MACRO_MAX_RUNS; i++)
		if (vals[i] >= 0)
			v[n++] = vals[i];
	if (!n)
		return false;
	qsort(v, n, sizeof(v[0]), cmp_double);
	*mn = v[0];
	*mx = v[n - 1];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return true;
}

bool macro_stats(const struct macro_result *r, unsigned b, double *mn, double *med, double *mx)
{
	return stats_of(r->v[b], r->runs, mn, med, mx);
}

/* v with 3 significant digits at most, thousands separated: 5,941 / 41.2 / 1.64 */
static const char *num(char *buf, size_t n, double v)
{
	if (v >= 1000) {
		char t[32];
		int len = snprintf(t, sizeof(t), "%.0f", v), o = 0;
		for (int i = 0; i < len && o + 2 < (int)n; i++) {
			if (i && (len - i) % 3 == 0)
				buf[o++] = ',';
			buf[o++] = t[i];
		}
		buf[o] = '\0';
	} else {
		snprintf(buf, n, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
	}
	return buf;
}

static void md_cell(FILE *f, const double *vals, unsigned runs, bool host)
{
	double mn, med, mx;
	char a[32], b[32], c[32];
	if (!stats_of(vals, runs, &mn, &med, &mx)) {
		fprintf(f, " - |");
		return;
	}
	if (mn == mx)
		fprintf(f, " %s%s |", num(a, sizeof(a), med), host ? "*" : "");
	else
		fprintf(f, " %s (%s-%s)%s |", num(a, sizeof(a), med), num(b, sizeof(b), mn),
			num(c, sizeof(c), mx), host ? "*" : "");
}

void macro_write_md(FILE *f, const struct macro_result *res, const struct macro_opts *o)
{
	fprintf(f, "Macro-benchmarks in the default Linux guest (Debian 686 kernel, busybox "
		   "initramfs, 256 MiB): median of the runs (min-max); * timed by the host's clock. "
		   "A&A 2006: Adams & Agesen's 40,000 fork+wait on a 3.8 GHz Pentium 4 (6.0 s "
		   "native, 36.9 s VMware's BT, 106.4 s first-generation VT), per fork+wait.\n\n");
	fprintf(f, "| benchmark | unit |");
	for (unsigned m = 0; m < macro_nmodels; m++)
		if (res[m].selected)
			fprintf(f, " %s |", macro_models[m].name);
	fprintf(f, " A&A 2006 native / BT / VT |\n|---|---|");
	for (unsigned m = 0; m <= macro_nmodels; m++)
		if (m == macro_nmodels || res[m].selected)
			fprintf(f, "---|");
	fprintf(f, "\n");
	for (unsigned b = 0; b < MB_COUNT; b++) {
		if (!macro_row_on(o, b))
			continue;
		if (b == MB_BOOT)
			fprintf(f, "| boot to shell | %s |", macro_benches[b].unit);
		else
			fprintf(f, "| %s %u | %s |", macro_benches[b].name, o->count[b],
				macro_benches[b].unit);
		for (unsigned m = 0; m < macro_nmodels; m++)
			if (res[m].selected)
				md_cell(f, res[m].v[b], res[m].runs, res[m].host_clock[b]);
		fprintf(f, " %s |\n", paper[b] ? paper[b] : "-");
		if (b != MB_BOOT)
			continue;
		fprintf(f, "| boot to shell, CPU | s (VM process) |");
		for (unsigned m = 0; m < macro_nmodels; m++)
			if (res[m].selected)
				md_cell(f, res[m].boot_cpu, res[m].runs, false);
		fprintf(f, " - |\n");
	}
	fprintf(f, "\n");
	for (unsigned m = 0; m < macro_nmodels; m++) {
		const struct macro_result *r = &res[m];
		if (!r->selected)
			continue;
		fprintf(f, "- %s: %s", macro_models[m].name, macro_models[m].what);
		if (r->ran)
			fprintf(f, "; %u run%s%s%s\n", r->runs, r->runs > 1 ? "s" : "",
				*r->why ? "; " : "", r->why);
		else
			fprintf(f, " - not run: %s\n", r->why);
	}
}

static void json_values(struct json *j, const char *key, const double *vals, unsigned runs,
			const char *unit, const char *clock)
{
	double mn, med, mx;
	if (!stats_of(vals, runs, &mn, &med, &mx))
		return;
	json_object(j, key);
	json_string(j, "unit", unit);
	json_double(j, "min", mn);
	json_double(j, "median", med);
	json_double(j, "max", mx);
	if (clock)
		json_string(j, "clock", clock);
	json_object(j, "runs");
	for (unsigned i = 0; i < runs; i++) {
		char k[16];
		snprintf(k, sizeof(k), "run%u", i + 1);
		json_double(j, k, vals[i] >= 0 ? vals[i] : NAN);
	}
	json_close(j);
	json_close(j);
}

void macro_write_json(FILE *f, const struct macro_result *res, const struct macro_opts *o)
{
	struct json js, *j = &js;
	json_begin(j, f);
	json_string(j, "benchmark", "macro");
	json_string(j, "guest", "Debian 686 kernel, busybox initramfs, 256 MiB, console=ttyS0");
	json_object(j, "counts");
	for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++)
		if (macro_row_on(o, b))
			json_u64(j, macro_benches[b].name, o->count[b]);
	json_close(j);
	json_object(j, "models");
	for (unsigned m = 0; m < macro_nmodels; m++) {
		const struct macro_result *r = &res[m];
		if (!r->selected)
			continue;
		json_object(j, macro_models[m].name);
		json_string(j, "what", macro_models[m].what);
		json_bool(j, "ran", r->ran);
		if (*r->why)
			json_string(j, "why", r->why);
		if (r->ran) {
			json_u64(j, "runs", r->runs);
			for (unsigned b = 0; b < MB_COUNT; b++)
				json_values(j, macro_benches[b].name, r->v[b], r->runs,
					    macro_benches[b].unit,
					    b == MB_BOOT || r->host_clock[b] ? "host"
					    : macro_models[m].kind == MACRO_NATIVE ? "program"
					    : macro_models[m].kind == MACRO_VTX ? "MODEL"
					    : "guest");
			json_values(j, "boot_cpu", r->boot_cpu, r->runs, "s", NULL);
			if (*r->check)
				json_string(j, "cpu_loop_check", r->check);
		}
		json_close(j);
	}
	json_close(j);
	json_end(j);
}

int macro_write_chart(const char *outdir, const struct macro_result *res,
		      const struct macro_opts *o, char *why, size_t whylen)
{
	char dat[PATH_MAX], gp[PATH_MAX], png[PATH_MAX];
	snprintf(dat, sizeof(dat), "%s/macro.dat", outdir);
	snprintf(gp, sizeof(gp), "%s/macro.gp", outdir);
	snprintf(png, sizeof(png), "%s/macro.png", outdir);
	FILE *f = fopen(dat, "w");
	if (!f) {
		snprintf(why, whylen, "cannot write %.200s: %s", dat, strerror(errno));
		return -1;
	}
	unsigned cols = 0;
	fprintf(f, "benchmark");
	for (unsigned m = 0; m < macro_nmodels; m++)
		if (res[m].ran) {
			fprintf(f, " %s", macro_models[m].name);
			cols++;
		}
	fprintf(f, "\n");
	for (unsigned b = 0; b < MB_COUNT; b++) {
		if (!macro_row_on(o, b))
			continue;
		fprintf(f, "\"%s\"", macro_benches[b].label);
		for (unsigned m = 0; m < macro_nmodels; m++) {
			double mn, med, mx;
			if (!res[m].ran)
				continue;
			if (macro_stats(&res[m], b, &mn, &med, &mx) && med > 0)
				fprintf(f, " %g", med);
			else
				fprintf(f, " NaN");
		}
		fprintf(f, "\n");
	}
	fclose(f);
	if (!cols) {
		snprintf(why, whylen, "no model ran");
		return -1;
	}
	f = fopen(gp, "w");
	if (!f) {
		snprintf(why, whylen, "cannot write %.200s: %s", gp, strerror(errno));
		return -1;
	}
	/* the lowest bar a decade above the axis, so that none is a sliver */
	double low = 0;
	for (unsigned b = 0; b < MB_COUNT; b++)
		for (unsigned m = 0; m < macro_nmodels; m++) {
			double mn, med, mx;
			if (res[m].ran && macro_stats(&res[m], b, &mn, &med, &mx) && med > 0 &&
			    (!low || med < low))
				low = med;
		}
	double decade = 1;
	while (low > 0 && decade > low)
		decade /= 10;
	while (decade * 10 <= low)
		decade *= 10;
	low = decade / 10;
	fprintf(f, "set terminal pngcairo noenhanced size 1200,600 font ',11'\nset output '%s'\n"
		   "set yrange [%g:*]\n"
		   "set title 'softvt macro-benchmarks in the Linux guest (median per row unit, "
		   "log scale; lower is faster)'\n"
		   "set style data histograms\nset style histogram clustered gap 1\n"
		   "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'time (unit in "
		   "each label)'\nset grid ytics\nset key outside right top\nset xtics nomirror\n"
		   "set datafile missing 'NaN'\n"
		   "plot for [i=2:%u] '%s' using i:xtic(1) title columnheader(i)\n", png, low, cols + 1,
		dat);
	fclose(f);
	char *argv[] = { "gnuplot", gp, NULL };
	char werr[256];
	int code = subcommand_run(argv, NULL, werr, sizeof(werr));
	if (code == 127) {
		snprintf(why, whylen, "gnuplot is not installed (apt-get install gnuplot-nox)");
		return -1;
	}
	if (code) {
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
