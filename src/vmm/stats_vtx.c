/*
 * stats_vtx.c - prices the VT-x exit MODEL (cpu/vtx_model.h): the table of
 * published VM-exit costs, and the --stats lines and --stats-json object
 * that show the counts. Every line and object says it is a model and names
 * the source of each cost.
 *
 * The costs are the only ones found with a source that can be cited
 * (docs/VTX_MODEL.md lists what was looked for and not found: Merom,
 * Sandy Bridge, Haswell/Skylake and AMD figures are not in this table
 * because no citable number was found, not because they do not exist).
 * They are not the same kind of number: Adams & Agesen's is a whole exit
 * including the monitor's handling of it; SplitX's is the hardware world
 * switch alone (guest -> host -> guest), a lower bound for an exit.
 *
 * Formula, per run or per operation: cycles = exits x cycles per exit +
 * instructions x 1 (every instruction at IPC 1, the exits' own included).
 */
#include "vmm/stats_vtx.h"

const struct vtx_cost vtx_costs[] = {
	{ "prescott", "Prescott",
	  "Intel Pentium 4 672 (Prescott, 3.8 GHz), first-generation VT-x, VMware's VT monitor",
	  3.8, 15826, "a whole exit handled by the monitor: the 'in' nanobenchmark under VT",
	  "K. Adams, O. Agesen: A Comparison of Software and Hardware Techniques for x86 "
	  "Virtualization, ASPLOS 2006, nanobenchmark table ('in', VT: 15,826 cycles)" },
	{ "nehalem", "Nehalem",
	  "Intel Xeon X5570 (Nehalem, 2.93 GHz), KVM of Linux 2.6.34 with EPT and VPID",
	  2.93, 2000, "the world switch alone (exit and entry, 'direct cost'), not the handling",
	  "A. Landau, M. Ben-Yehuda, A. Gordon: SplitX: Split Guest/Hypervisor Execution on "
	  "Multi-Core, WIOV 2011, section 1 ('The direct cost on its own is high: 2,000 cycles')" },
};
const unsigned vtx_ncosts = sizeof(vtx_costs) / sizeof(vtx_costs[0]);
const struct vtx_cost *const vtx_cost_shown = &vtx_costs[1];

#define LABEL "softvt: stats: %-14s "

static const char *const config_names[VTX_NCONFIGS] = { "no_ept", "ept" };

double vtx_model_cycles(const struct vtx_cost *c, double exits, double insns)
{
	return exits * c->cycles + insns;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

void vtx_stats_print(const struct vtx_model *m, uint64_t icount, FILE *f)
{
	uint64_t no_ept = vtx_model_total(m, VTX_NO_EPT), ept = vtx_model_total(m, VTX_EPT);
	fprintf(f, LABEL "MODEL (counted by the interpreter, not measured): a VT-x monitor would "
		   "take %llu VM exits without EPT, %llu with EPT, over %llu instructions%s\n",
		"vtx-model", ull(no_ept), ull(ept), ull(icount),
		m->pt_state ? "" : " (page-table writes not tracked)");
	for (int c = 0; c < VTX_NCONFIGS; c++) {
		char line[512];
		int len = 0;
		line[0] = 0;
		for (unsigned r = 0; r < VTX_NREASONS && len >= 0 && (size_t)len < sizeof(line); r++)
			if (m->exits[c][r])
				len += snprintf(line + len, sizeof(line) - (size_t)len, " %s %llu",
						vtx_reason_name(r), ull(m->exits[c][r]));
		fprintf(f, LABEL "model exits%s\n", c == VTX_EPT ? "vtx-model ept" : "vtx-model no-ept",
			*line ? line : " none");
	}
	for (unsigned k = 0; k < vtx_ncosts; k++) {
		const struct vtx_cost *g = &vtx_costs[k];
		double a = vtx_model_cycles(g, (double)no_ept, (double)icount);
		double b = vtx_model_cycles(g, (double)ept, (double)icount);
		fprintf(f, LABEL "MODEL at %u cycles/exit (%s; source: %s): no EPT %.1f M cycles "
			   "(%.2f ms at %.2f GHz), EPT %.1f M cycles (%.2f ms)\n",
			"vtx-model cost", g->cycles, g->cpu, g->source, a / 1e6, a / g->ghz / 1e6,
			g->ghz, b / 1e6, b / g->ghz / 1e6);
	}
}

void vtx_stats_json(const struct vtx_model *m, uint64_t icount, struct json *j)
{
	json_string(j, "model", "MODEL, not a measurement: the VM exits a VT-x monitor would take "
				"on this run, counted by the interpreter (docs/VTX_MODEL.md)");
	json_string(j, "formula", "cycles = exits x cycles_per_exit + instructions x 1 (IPC 1)");
	json_u64(j, "instructions", icount);
	json_bool(j, "page_table_writes_tracked", m->pt_state != NULL);
	json_u64(j, "exits_no_ept_total", vtx_model_total(m, VTX_NO_EPT));
	json_u64(j, "exits_ept_total", vtx_model_total(m, VTX_EPT));
	for (int c = 0; c < VTX_NCONFIGS; c++) {
		json_object(j, config_names[c]);
		for (unsigned r = 0; r < VTX_NREASONS; r++)
			json_u64(j, vtx_reason_name(r), m->exits[c][r]);
		json_close(j);
	}
	json_object(j, "costs");
	for (unsigned k = 0; k < vtx_ncosts; k++) {
		const struct vtx_cost *g = &vtx_costs[k];
		json_object(j, g->key);
		json_string(j, "cpu", g->cpu);
		json_u64(j, "cycles_per_exit", g->cycles);
		json_string(j, "what", g->what);
		json_string(j, "source", g->source);
		double no_ept = (double)vtx_model_total(m, VTX_NO_EPT);
		double ept = (double)vtx_model_total(m, VTX_EPT);
		json_double(j, "model_cycles_no_ept", vtx_model_cycles(g, no_ept, (double)icount));
		json_double(j, "model_cycles_ept", vtx_model_cycles(g, ept, (double)icount));
		json_close(j);
	}
	json_close(j);
}
