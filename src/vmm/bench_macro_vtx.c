/*
 * bench_macro_vtx.c - the MODELLED hardware-assisted columns of `softvt
 * bench --macro`, shown where no hardware-assisted engine runs (kind
 * MACRO_VTX; the nanobenchmarks' equivalent is bench_vtx.c).
 *
 * The interpreter counts the VM exits a VT-x monitor would take, without
 * and with EPT (cpu/vtx_model.h, docs/VTX_MODEL.md). One boot of the guest
 * under the interpreter runs each program twice, with n and 2n operations,
 * and scripts/guest-run.sh (STATS_MARKS=1) has softvt keep its counters
 * before and after each command (SIGUSR1, "marks" in --stats-json). Per
 * operation: (delta(2n) - delta(n)) / n of the exits and of the guest
 * instructions, which takes away what does not grow with n (the shell, exec,
 * the program's start). Left out: the exits that come from waiting, not from
 * the program's work (port I/O, timer interrupts, interrupt windows, HLT:
 * their number under the interpreter follows how long the interpreter took;
 * the programs do no port I/O). Modelled time per operation = the native
 * column's time for the row (the same program as a host process: under
 * VT-x the guest's own code runs natively too) + exits x cycles per exit
 * at the clock of the generation vtx_cost_shown names (Nehalem: 2,000
 * cycles per exit, the world switch alone, a lower bound); without a native
 * value, (exits x cycles per exit + instructions x 1 cycle) at that clock. The interpreter is slow, so n is capped (CAP): the
 * exits per operation do not depend on n. The boot row is not modelled: its
 * time is the guest kernel's timed waits, which no count of exits prices.
 * Both columns come from the same boot.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/bench_macro_priv.h"
#include "vmm/subcommand.h"
#include "vmm/stats_vtx.h"

/* operations per program in the counting boots (the interpreter runs them) */
static const uint32_t CAP[MB_COUNT] = {
	[MB_FORKWAIT] = 2000, [MB_CPU_LOOP] = 20000000, [MB_GETPID] = 50000, [MB_PGFAULT] = 4096,
};

/* The counters at one mark: exits without / with EPT (less the timed ones), instructions. */
struct counts {
	double noept, ept, insns;
};

/* The shared result of the counting boot (both columns come from it). */
static struct {
	bool done, ok;
	char why[256];
	struct counts per_op[MB_COUNT];
	bool have[MB_COUNT];
} vtx;

/* The columns' model entries (to price them once the native column has run). */
static bool is_vtx(unsigned m) { return macro_models[m].kind == MACRO_VTX; }

/* Mark k of --stats-json's "marks" object in text; false if absent. */
static bool read_mark(const char *text, unsigned k, struct counts *c)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "\"%u\": {", k);
	const char *p = strstr(text, pat);
	if (!p)
		return false;
	double v[5];
	static const char *const keys[5] = { "instructions", "exits_no_ept", "exits_ept",
					     "timed_no_ept", "timed_ept" };
	for (unsigned i = 0; i < 5; i++) {
		char kp[40];
		snprintf(kp, sizeof(kp), "\"%s\":", keys[i]);
		const char *q = strstr(p, kp);
		if (!q)
			return false;
		v[i] = strtod(q + strlen(kp), NULL);
	}
	*c = (struct counts){ v[1] - v[3], v[2] - v[4], v[0] };
	return true;
}

static void count_all(const struct macro_env *e, const struct macro_model *m,
		      const struct macro_opts *o)
{
	vtx.done = true;
	char path[] = "/tmp/softvt-bench-vtx.XXXXXX", args[64];
	int fd = mkstemp(path);
	if (fd < 0) {
		snprintf(vtx.why, sizeof(vtx.why), "mkstemp: %m");
		return;
	}
	/* argv: bash guest-run.sh interp BUILD, then "P n" and "P 2n" for each program */
	char cmds[2 * MB_COUNT][48];
	char *argv[2 * MB_COUNT + 6];
	unsigned a = 0, nc = 0, prog[MB_COUNT], np = 0;
	uint32_t n[MB_COUNT];
	argv[a++] = "bash";
	argv[a++] = (char *)e->script;
	argv[a++] = (char *)m->accel;
	argv[a++] = (char *)e->build;
	for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++) {
		if (!o->count[b])
			continue;
		n[b] = o->count[b] < CAP[b] ? o->count[b] : CAP[b];
		for (unsigned k = 1; k <= 2; k++) {
			snprintf(cmds[nc], sizeof(cmds[nc]), "%s %u", macro_benches[b].name, k * n[b]);
			argv[a++] = cmds[nc++];
		}
		prog[np++] = b;
	}
	argv[a] = NULL;
	fprintf(stderr, "softvt bench: macro: vtx-MODEL: counting VM exits under the interpreter "
			"(one boot, each program with n and 2n operations) ...\n");
	snprintf(args, sizeof(args), "--stats-json %s", path);
	setenv("SOFTVT_ARGS", args, 1);
	setenv("STATS_MARKS", "1", 1);
	char why[200];
	int rc = subcommand_run(argv, NULL, why, sizeof(why));
	unsetenv("STATS_MARKS");
	unsetenv("SOFTVT_ARGS");
	static char text[1 << 16];
	ssize_t got = rc == 0 ? read(fd, text, sizeof(text) - 1) : 0;
	close(fd);
	unlink(path);
	if (rc != 0) {
		snprintf(vtx.why, sizeof(vtx.why), "the counting boot failed: %.200s", why);
		return;
	}
	text[got > 0 ? got : 0] = '\0';
	const char *marks = strstr(text, "\"marks\"");
	for (unsigned i = 0; i < np; i++) {
		struct counts c[4];
		for (unsigned k = 0; k < 4; k++)
			if (!marks || !read_mark(marks, 4 * i + k, &c[k])) {
				snprintf(vtx.why, sizeof(vtx.why), "the counting boot's --stats-json "
					 "lacks its marks (mark %u)", 4 * i + k);
				return;
			}
		unsigned b = prog[i];
		double d = n[b];
		vtx.per_op[b] = (struct counts){
			((c[3].noept - c[2].noept) - (c[1].noept - c[0].noept)) / d,
			((c[3].ept - c[2].ept) - (c[1].ept - c[0].ept)) / d,
			((c[3].insns - c[2].insns) - (c[1].insns - c[0].insns)) / d,
		};
		vtx.have[b] = true;
	}
	vtx.ok = true;
}

void macro_vtx_run(const struct macro_env *e, const struct macro_model *m,
		   const struct macro_opts *o, struct macro_result *r)
{
	if (!vtx.done)
		count_all(e, m, o);
	if (!vtx.ok) {
		snprintf(r->why, sizeof(r->why), "%s", vtx.why);
		return;
	}
	const struct vtx_cost *c = vtx_cost_shown;
	bool ept = !strcmp(m->user, "ept");
	int len = snprintf(r->why, sizeof(r->why), "priced at %s (%u cycles per exit at %.2f GHz); "
			   "exits per operation", c->name, c->cycles, c->ghz);
	r->runs = 1;
	for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++) {
		if (!vtx.have[b])
			continue;
		const struct counts *k = &vtx.per_op[b];
		double exits = ept ? k->ept : k->noept;
		double ns = vtx_model_cycles(c, exits < 0 ? 0 : exits, k->insns < 0 ? 0 : k->insns) /
			    c->ghz;
		r->v[b][0] = ns / macro_benches[b].ns_per_unit;
		r->ran = true;
		if (len > 0 && (size_t)len < sizeof(r->why))
			len += snprintf(r->why + len, sizeof(r->why) - (size_t)len,
					" %s %.2f (%.0f instructions)", macro_benches[b].name,
					exits < 0 ? 0 : exits, k->insns);
	}
}

void macro_vtx_price(struct macro_result *res)
{
	unsigned native = macro_nmodels;
	for (unsigned m = 0; m < macro_nmodels; m++)
		if (macro_models[m].kind == MACRO_NATIVE)
			native = m;
	if (native == macro_nmodels || !res[native].ran || !vtx.ok)
		return;
	const struct vtx_cost *c = vtx_cost_shown;
	for (unsigned m = 0; m < macro_nmodels; m++) {
		if (!is_vtx(m) || !res[m].ran)
			continue;
		bool ept = !strcmp(macro_models[m].user, "ept");
		for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++) {
			double mn, med, mx;
			if (!vtx.have[b] || !macro_stats(&res[native], b, &mn, &med, &mx))
				continue;
			double exits = ept ? vtx.per_op[b].ept : vtx.per_op[b].noept;
			double ns = med * macro_benches[b].ns_per_unit +
				    (exits < 0 ? 0 : exits) * c->cycles / c->ghz;
			res[m].v[b][0] = ns / macro_benches[b].ns_per_unit;
		}
		size_t len = strlen(res[m].why);
		snprintf(res[m].why + len, sizeof(res[m].why) - len,
			 "; time = the native column's + the exits' cost");
	}
}
