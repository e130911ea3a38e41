/*
 * bench_vtx.c - the MODELLED VT-x columns of `softvt bench` (bench_vtx.h).
 *
 * For each nanobenchmark operation, and once for "none", the interpreter
 * runs guests/nanobench with the command line vtx-model=NAME (the guest
 * runs only that operation's loop, N times, untimed) and --stats-json.
 * Both runs do the same set-up and print the same text, so
 *
 *   exits per operation        = (exits(NAME) - exits(none)) / N
 *   instructions per operation = (instructions(NAME) - instructions(none)) / N
 *   modelled cycles            = exits x cycles per exit + instructions x 1
 *
 * for each configuration (no EPT, EPT) and each generation of
 * vmm/stats_vtx.c; the table shows one generation (vtx_cost_shown) in ns
 * at that CPU's clock with the cycles in brackets, the JSON all of them.
 */
#define _GNU_SOURCE
#include "vmm/bench_vtx.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/vtx_model.h"
#include "vmm/stats_vtx.h"
#include "vmm/subcommand.h"

#define MAX_OPS 16

/* What one run's --stats-json and debug console said. */
struct vtx_run {
	uint64_t total[VTX_NCONFIGS];
	uint64_t reason[VTX_NCONFIGS][VTX_NREASONS];
	uint64_t insns;
	unsigned iterations;
};

struct vtx_op {
	bool ok;
	double exits[VTX_NCONFIGS];             /* per operation */
	double reason[VTX_NCONFIGS][VTX_NREASONS];
	double insns;
};

struct vtx_bench {
	bool ran;
	char why[256];
	const char *const *ops;
	size_t nops;
	unsigned iterations;
	struct vtx_op op[MAX_OPS];
};

/* Reads the counts out of --stats-json (one member per line, vmm/json.c). */
static int parse_json(const char *path, struct vtx_run *r)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	int section = -1;   /* inside "no_ept" or "ept" of "vtx_model" */
	bool have = false;
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		unsigned long long v;
		if (strstr(line, "\"no_ept\": {")) {
			section = VTX_NO_EPT;
			continue;
		}
		if (strstr(line, "\"ept\": {")) {
			section = VTX_EPT;
			continue;
		}
		if (strchr(line, '}')) {
			section = -1;
			continue;
		}
		if (sscanf(line, " \"%63[^\"]\": %llu", key, &v) != 2)
			continue;
		if (section >= 0) {
			for (unsigned k = 0; k < VTX_NREASONS; k++)
				if (!strcmp(key, vtx_reason_name(k)))
					r->reason[section][k] = v;
		} else if (!strcmp(key, "exits_no_ept_total")) {
			r->total[VTX_NO_EPT] = v;
			have = true;
		} else if (!strcmp(key, "exits_ept_total")) {
			r->total[VTX_EPT] = v;
		} else if (!strcmp(key, "instructions")) {
			r->insns = v;
		}
	}
	fclose(f);
	return have ? 0 : -1;
}

static void parse_console(const char *path, struct vtx_run *r)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f))
		sscanf(line, "nanobench model iterations %u", &r->iterations);
	fclose(f);
}

/* One interpreter run of nanobench with vtx-model=op; 0 or -1 with why. */
static int run_one(const char *self, const char *elf, const char *op, struct vtx_run *r,
		   char *why, size_t whylen)
{
	char out[] = "/tmp/softvt-vtx.XXXXXX", js[] = "/tmp/softvt-vtx-json.XXXXXX";
	char dc[PATH_MAX + 8], arg[64];
	int fd = mkstemp(out);
	if (fd < 0) {
		snprintf(why, whylen, "mkstemp: %s", strerror(errno));
		return -1;
	}
	close(fd);
	fd = mkstemp(js);
	if (fd < 0) {
		snprintf(why, whylen, "mkstemp: %s", strerror(errno));
		unlink(out);
		return -1;
	}
	close(fd);
	char *argv[24];
	subcommand_softvt_argv(argv, self, "interp", NULL, elf, out, dc, sizeof(dc), "120");
	unsigned a = 0;
	while (argv[a])
		a++;
	snprintf(arg, sizeof(arg), "vtx-model=%s", op);
	argv[a++] = "--append";
	argv[a++] = arg;
	argv[a++] = "--stats-json";
	argv[a++] = js;
	argv[a] = NULL;
	*r = (struct vtx_run){ 0 };
	int code = subcommand_run(argv, NULL, why, whylen);
	int rc = -1;
	if (code >= 0 && code != 127) {
		parse_console(out, r);
		if (parse_json(js, r) < 0)
			snprintf(why, whylen, "the interpreter wrote no VT-x model counts (%s)", op);
		else if (!r->iterations)
			snprintf(why, whylen, "nanobench did not run in model mode (%s): an old guest?",
				 op);
		else
			rc = 0;
	}
	unlink(out);
	unlink(js);
	return rc;
}

struct vtx_bench *vtx_bench_run(const char *self, const char *dir, const char *const *ops,
				size_t nops)
{
	struct vtx_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->ops = ops;
	b->nops = nops < MAX_OPS ? nops : MAX_OPS;
	if (subcommand_engine_ready("interp", b->why, sizeof(b->why)) < 0)
		return b;
	char elf[PATH_MAX];
	snprintf(elf, sizeof(elf), "%s/nanobench.elf", dir);
	struct vtx_run base, r;
	if (run_one(self, elf, "none", &base, b->why, sizeof(b->why)) < 0)
		return b;
	b->iterations = base.iterations;
	double n = base.iterations;
	for (size_t k = 0; k < b->nops; k++) {
		if (run_one(self, elf, ops[k], &r, b->why, sizeof(b->why)) < 0)
			return b;
		struct vtx_op *o = &b->op[k];
		for (int c = 0; c < VTX_NCONFIGS; c++) {
			o->exits[c] = ((double)r.total[c] - (double)base.total[c]) / n;
			for (unsigned x = 0; x < VTX_NREASONS; x++)
				o->reason[c][x] =
					((double)r.reason[c][x] - (double)base.reason[c][x]) / n;
		}
		o->insns = ((double)r.insns - (double)base.insns) / n;
		o->ok = true;
	}
	b->ran = true;
	*b->why = 0;
	fprintf(stderr, "softvt bench: VT-x model (interpreter counts) done\n");
	return b;
}

void vtx_bench_free(struct vtx_bench *b)
{
	free(b);
}

void vtx_bench_md_head(FILE *f, const struct vtx_bench *b)
{
	const struct vtx_cost *g = vtx_cost_shown;
	if (!b)
		return;
	fprintf(f, " VT-x MODEL, no EPT (%s, %u cycles/exit) | VT-x MODEL, EPT (%s, %u cycles/exit) |",
		g->name, g->cycles, g->name, g->cycles);
}

void vtx_bench_md_sep(FILE *f, const struct vtx_bench *b)
{
	if (b)
		fprintf(f, "---|---|");
}

void vtx_bench_md_cells(FILE *f, const struct vtx_bench *b, size_t k)
{
	const struct vtx_cost *g = vtx_cost_shown;
	if (!b)
		return;
	for (int c = 0; c < VTX_NCONFIGS; c++) {
		if (!b->ran || k >= b->nops || !b->op[k].ok) {
			fprintf(f, " - |");
			continue;
		}
		const struct vtx_op *o = &b->op[k];
		double cy = vtx_model_cycles(g, o->exits[c], o->insns);
		fprintf(f, " %.0f [%.0f] %.3g exits |", cy / g->ghz, cy, o->exits[c]);
	}
}

void vtx_bench_md_notes(FILE *f, const struct vtx_bench *b)
{
	const struct vtx_cost *g = vtx_cost_shown;
	if (!b)
		return;
	if (!b->ran) {
		fprintf(f, "- VT-x MODEL columns: not run: %s\n", b->why);
		return;
	}
	fprintf(f, "- VT-x MODEL, no EPT / EPT: a MODEL, not a measurement (no hardware-assisted "
		   "engine runs here). The interpreter counted the VM exits a VT-x monitor would take "
		   "(shadow paging / nested paging; docs/VTX_MODEL.md) in nanobench runs of one "
		   "operation: per operation = (exits of its run - exits of a run of none) / %u. "
		   "Modelled cycles = exits x %u cycles per exit (%s; %s; source: %s) + guest "
		   "instructions x 1 cycle (IPC 1); ns at its %.2f GHz, cycles in brackets, exits per "
		   "operation after them. bench.json holds every generation's cost.\n",
		b->iterations, g->cycles, g->cpu, g->what, g->source, g->ghz);
}

void vtx_bench_json(struct json *j, const struct vtx_bench *b)
{
	if (!b)
		return;
	json_object(j, "vtx_model");
	json_string(j, "model", "MODEL, not a measurement: the VM exits a VT-x monitor would take, "
				"counted by the interpreter, priced with published exit costs "
				"(docs/VTX_MODEL.md)");
	json_bool(j, "ran", b->ran);
	if (!b->ran)
		json_string(j, "why", b->why);
	json_u64(j, "iterations", b->iterations);
	json_string(j, "formula", "per operation: exits = (exits(op run) - exits(none run)) / "
				  "iterations; cycles = exits x cycles_per_exit + instructions x 1");
	json_string(j, "shown", vtx_cost_shown->key);
	json_object(j, "costs");
	for (unsigned k = 0; k < vtx_ncosts; k++) {
		const struct vtx_cost *g = &vtx_costs[k];
		json_object(j, g->key);
		json_string(j, "cpu", g->cpu);
		json_double(j, "ghz", g->ghz);
		json_u64(j, "cycles_per_exit", g->cycles);
		json_string(j, "what", g->what);
		json_string(j, "source", g->source);
		json_close(j);
	}
	json_close(j);
	json_object(j, "ops");
	for (size_t k = 0; b->ran && k < b->nops; k++) {
		const struct vtx_op *o = &b->op[k];
		json_object(j, b->ops[k]);
		json_double(j, "exits_no_ept", o->exits[VTX_NO_EPT]);
		json_double(j, "exits_ept", o->exits[VTX_EPT]);
		json_double(j, "instructions", o->insns);
		for (int c = 0; c < VTX_NCONFIGS; c++) {
			json_object(j, c == VTX_EPT ? "ept" : "no_ept");
			for (unsigned x = 0; x < VTX_NREASONS; x++)
				if (o->reason[c][x] != 0)
					json_double(j, vtx_reason_name(x), o->reason[c][x]);
			json_close(j);
		}
		for (unsigned g = 0; g < vtx_ncosts; g++) {
			const struct vtx_cost *cost = &vtx_costs[g];
			json_object(j, cost->key);
			double a = vtx_model_cycles(cost, o->exits[VTX_NO_EPT], o->insns);
			double e = vtx_model_cycles(cost, o->exits[VTX_EPT], o->insns);
			json_double(j, "cycles_no_ept", a);
			json_double(j, "cycles_ept", e);
			json_double(j, "ns_no_ept", a / cost->ghz);
			json_double(j, "ns_ept", e / cost->ghz);
			json_close(j);
		}
		json_close(j);
	}
	json_close(j);
	json_close(j);
}
