/*
 * demo.c - `softvt demo ring-compression`: the critical-instructions probe
 * (guests/critical) under every execution model, in one table; and `softvt
 * demo redpill`: the classic VM-detection tricks (guests/redpill/tricks.h)
 * the same way, with a verdict per model and this host as the baseline.
 *
 * The probe runs SGDT, SIDT, SLDT, STR, SMSW, PUSHF, POPF, LAR, LSL, VERR,
 * VERW and MOV from CS/SS in ring 0 and in ring 3 of a test kernel and
 * prints one line per instruction ("ring0 sgdt base=... limit=..."). The
 * demo runs it as a child `softvt run` under each model, plus the probe's
 * ring-3 part as a native 32-bit host process (guests/critical-native),
 * takes the interpreter's lines as the truth (it is the architecture's
 * reference) and marks every other model's line right or wrong, with the
 * reason for each instruction that went wrong somewhere (docs/DEMOS.md).
 * `--json FILE` writes the values and verdicts for scripts and tests.
 *
 * The probe and the native program are found beside the softvt binary
 * (BUILD/guests/, where CMake builds them), or in --guests DIR.
 */
#define _GNU_SOURCE
#include "vmm/demo.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/json.h"
#include "vmm/subcommand.h"

#define MAX_LINES 64
#define LINE_LEN 96

struct model {
	const char *name;       /* column title */
	const char *what;       /* one line: how kernel and user code run */
	const char *accel;      /* softvt --accel; NULL: the native program */
	const char *user;       /* --user, or NULL */
};

static const struct model models[] = {
	{ "interp", "everything interpreted: the architecture's ground truth", "interp", NULL },
	{ "native", "the probe's ring-3 part as a 32-bit process on this host", NULL, NULL },
	{ "naive", "kernel and user code directly at host ring 3, trap-and-emulate", "naive", NULL },
	{ "bt+direct", "kernel translated, user code directly on the CPU", "bt", "direct" },
	{ "bt+bt", "kernel and user code translated", "bt", "bt" },
	{ "kvm", "hardware-assisted (VT-x/AMD-V)", "kvm", NULL },
};
#define NMODELS (sizeof(models) / sizeof(models[0]))

struct result {
	bool ran;
	char why[256];          /* why not, when !ran */
	unsigned n;
	char key[MAX_LINES][24];        /* "ring0 sgdt", "ring3 lar 0008" */
	char value[MAX_LINES][LINE_LEN];
};

/* One reason per instruction family (the text after "ringN "). */
static const struct {
	const char *insn, *why;
} reasons[] = {
	{ "sgdt", "sensitive but unprivileged (Popek & Goldberg): stores GDTR without a trap; "
		  "natively the host answers (here its kernel's UMIP emulation)" },
	{ "sidt", "sensitive but unprivileged: stores IDTR; natively the host answers (UMIP "
		  "emulation here)" },
	{ "sldt", "sensitive but unprivileged: the host's LDT selector" },
	{ "str", "sensitive but unprivileged: the host's task register" },
	{ "smsw", "sensitive but unprivileged: the host's CR0[15:0] (equal to the guest's by chance)" },
	{ "pushf", "shows the real IF/IOPL: the host's, not the guest kernel's virtual ones" },
	{ "popf", "ring deprivileging: POPF below IOPL ignores IF without a trap, so a "
		  "deprivileged kernel cannot disable interrupts this way" },
	{ "lar", "checks the host's descriptor tables (ring aliasing: the guest's selector "
		 "numbers mean the host's descriptors)" },
	{ "lsl", "checks the host's descriptor tables (ring aliasing)" },
	{ "verr", "checks the host's descriptor tables (ring aliasing)" },
	{ "verw", "checks the host's descriptor tables (ring aliasing)" },
	{ "mov", "ring compression: the selectors are the host's (their RPL tells code it is "
		 "not in ring 0; the index and TI are the host's)" },
};

static void insn_of(const char *key, char *out, size_t n)
{
	const char *sp = strchr(key, ' ');
	snprintf(out, n, "%s", sp ? sp + 1 : key);
	char *e = strchr(out, ' ');
	if (e)
		*e = '\0';
}

static const char *reason_of(const char *insn)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].insn, insn) == 0)
			return reasons[i].why;
	return "";
}

/* Parses probe lines ("ringN insn [sel] rest") from a file. */
static void parse(FILE *f, struct result *r)
{
	char line[256];
	while (r->n < MAX_LINES && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *p;
		if (!strncmp(line, "ring0 ", 6) || !strncmp(line, "ring3 ", 6))
			p = line + 6;
		else if (!strncmp(line, "redpill ", 8) || !strncmp(line, "kernel ", 7))
			p = strchr(line, ' ') + 1;
		else
			continue;
		/* the key is "ringN insn" plus the selector for the descriptor checks */
		char *sp = strchr(p, ' ');
		if (!sp)
			continue;
		size_t klen = (size_t)(sp - line);
		if (!strncmp(p, "lar ", 4) || !strncmp(p, "lsl ", 4) || !strncmp(p, "verr ", 5) ||
		    !strncmp(p, "verw ", 5) || !strncmp(p, "mov ", 4)) {
			char *sp2 = strchr(sp + 1, ' ');
			if (!strncmp(p, "mov ", 4))   /* "mov cs=000f rpl=3": key "ring0 mov cs" */
				sp2 = strchr(sp + 1, '=');
			if (sp2)
				klen = (size_t)(sp2 - line), sp = sp2;
		}
		if (klen >= sizeof(r->key[0]))
			continue;
		memcpy(r->key[r->n], line, klen);
		r->key[r->n][klen] = '\0';
		snprintf(r->value[r->n], LINE_LEN, "%s", *sp == '=' ? sp + 1 : sp + 1);
		r->n++;
	}
}

static const char *lookup(const struct result *r, const char *key)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->value[i];
	return NULL;
}

static void run_model(const struct model *m, const char *self, const char *dir,
		      const char *probe, struct result *r)
{
	char out[] = "/tmp/softvt-demo.XXXXXX";
	int fd = mkstemp(out);
	if (fd < 0) {
		snprintf(r->why, sizeof(r->why), "mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);
	char prog[PATH_MAX], elf[PATH_MAX], dc[PATH_MAX + 8];
	int rc;
	if (!m->accel) {
		snprintf(prog, sizeof(prog), "%s/%s-native", dir, probe);
		char *argv[] = { prog, NULL };
		rc = subcommand_run(argv, out, r->why, sizeof(r->why));
	} else {
		if (subcommand_engine_ready(m->accel, r->why, sizeof(r->why)) < 0) {
			unlink(out);
			return;
		}
		snprintf(elf, sizeof(elf), "%s/%s.elf", dir, probe);
		char *argv[16];
		subcommand_softvt_argv(argv, self, m->accel, m->user, elf, out, dc, sizeof(dc), "60");
		rc = subcommand_run(argv, NULL, r->why, sizeof(r->why));
	}
	/* exit 0, or 1 from the probe's failed checks (the expected result of some models) */
	if (rc == 0 || rc == 1) {
		FILE *f = fopen(out, "r");
		if (f) {
			parse(f, r);
			fclose(f);
		}
		r->ran = r->n > 0;
		if (!r->ran)
			snprintf(r->why, sizeof(r->why), "the probe printed nothing");
	}
	unlink(out);
}

/* A value for a table cell: "base=fffe0000 limit=0000" -> "fffe0000 0000", no "(...)". */
static void compact(const char *v, char *out, size_t n)
{
	size_t o = 0;
	for (const char *p = v; *p && o + 1 < n;) {
		if (*p == '(')
			break;
		const char *eq = strchr(p, '='), *sp = strchr(p, ' ');
		if (eq && (!sp || eq < sp))
			p = eq + 1;   /* drop "name=" */
		while (*p && *p != ' ' && o + 1 < n)
			out[o++] = *p++;
		while (*p == ' ')
			p++;
		if (*p && *p != '(' && o + 1 < n)
			out[o++] = ' ';
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static bool wrong(const struct result *truth, const struct result *r, unsigned row)
{
	const char *v = lookup(r, truth->key[row]);
	return v && strcmp(v, truth->value[row]) != 0;
}

static void print_table(const struct result *res, FILE *out)
{
	const struct result *truth = &res[0];
	fprintf(out, "%-15s %-26s", "probe line", "interp (truth)");
	for (size_t m = 1; m < NMODELS; m++)
		fprintf(out, " %-15s", models[m].name);
	fprintf(out, "\n");
	for (unsigned i = 0; i < truth->n; i++) {
		fprintf(out, "%-15s %-26.26s", truth->key[i], truth->value[i]);
		for (size_t m = 1; m < NMODELS; m++) {
			const char *v = res[m].ran ? lookup(&res[m], truth->key[i]) : NULL;
			char cell[64];
			if (!res[m].ran)
				snprintf(cell, sizeof(cell), "n/a");
			else if (!v)
				snprintf(cell, sizeof(cell), "-");
			else if (!strcmp(v, truth->value[i]))
				snprintf(cell, sizeof(cell), "ok");
			else {
				char c[48];
				compact(v, c, sizeof(c));
				snprintf(cell, sizeof(cell), "X %s", c);
			}
			fprintf(out, " %-15.15s", cell);
		}
		fprintf(out, "\n");
	}
}

static void print_reasons(const struct result *res, FILE *out)
{
	const struct result *truth = &res[0];
	fprintf(out, "\nwhy (X = differs from the interpreter, the architecture's answer):\n");
	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		char who[256] = "";
		for (size_t m = 1; m < NMODELS; m++) {
			bool r0 = false, r3 = false;
			for (unsigned i = 0; i < truth->n; i++) {
				char insn[16];
				insn_of(truth->key[i], insn, sizeof(insn));
				if (strcmp(insn, reasons[k].insn) || !res[m].ran || !wrong(truth, &res[m], i))
					continue;
				if (truth->key[i][4] == '0')
					r0 = true;
				else
					r3 = true;
			}
			if (r0 || r3)
				snprintf(who + strlen(who), sizeof(who) - strlen(who), "%s%s (%s)",
					 *who ? ", " : "", models[m].name,
					 r0 && r3 ? "ring 0 and 3" : r0 ? "ring 0" : "ring 3");
		}
		if (*who)
			fprintf(out, "  %-5s %s\n        wrong under: %s\n", reasons[k].insn,
				reason_of(reasons[k].insn), who);
	}
	fprintf(out, "\nmodels:\n");
	for (size_t m = 0; m < NMODELS; m++)
		fprintf(out, "  %-10s %s%s%s\n", models[m].name, models[m].what,
			res[m].ran ? "" : " - not run: ", res[m].ran ? "" : res[m].why);
}

static int write_json(const struct result *res, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "softvt demo: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct json js, *j = &js;
	json_begin(j, f);
	json_string(j, "demo", "ring-compression");
	json_string(j, "truth", "interp");
	json_object(j, "models");
	for (size_t m = 0; m < NMODELS; m++) {
		json_object(j, models[m].name);
		json_bool(j, "ran", res[m].ran);
		if (!res[m].ran)
			json_string(j, "why", res[m].why);
		json_object(j, "lines");
		for (unsigned i = 0; i < res[m].n; i++) {
			json_object(j, res[m].key[i]);
			json_string(j, "value", res[m].value[i]);
			const char *t = lookup(&res[0], res[m].key[i]);
			json_bool(j, "correct", t && !strcmp(t, res[m].value[i]));
			json_close(j);
		}
		json_close(j);
		json_close(j);
	}
	json_close(j);
	json_end(j);
	if (f != stdout)
		fclose(f);
	return 0;
}

/* --- softvt demo redpill ------------------------------------------------- */

static const struct {
	const char *key, *label;
} pills[] = {
	{ "redpill sidt", "Red Pill: SIDT base" },
	{ "redpill sgdt", "SGDT base" },
	{ "redpill sldt", "No Pill: SLDT" },
	{ "redpill str", "STR" },
	{ "redpill smsw", "SMSW" },
	{ "redpill cpuid-hv", "CPUID hypervisor bit" },
	{ "redpill cpuid-40000000", "CPUID 0x40000000" },
};
#define NPILLS (sizeof(pills) / sizeof(pills[0]))

/*
 * Whether trick k gives the VM away. In a guest model: its answer differs
 * from the interpreter's (what a real P6 running this guest gives), or the
 * CPUID tricks name a hypervisor. Natively (the host): the classic tools'
 * own rules - an IDT or GDT above 0xd0000000, a non-zero LDTR, the
 * hypervisor bit, a vendor in leaf 0x40000000; STR and SMSW have no rule
 * without a reference.
 */
static bool pill_fires(const struct result *truth, const struct result *r, size_t k, bool native)
{
	const char *v = lookup(r, pills[k].key);
	if (!v)
		return false;
	if (!strcmp(pills[k].key, "redpill cpuid-hv"))
		return !strcmp(v, "1");
	if (!strcmp(pills[k].key, "redpill cpuid-40000000"))
		return strspn(v, ".") != strlen(v);
	if (!native) {
		const char *t = lookup(truth, pills[k].key);
		return t && strcmp(t, v) != 0;
	}
	unsigned long x = strtoul(v, NULL, 16);
	if (!strcmp(pills[k].key, "redpill sidt") || !strcmp(pills[k].key, "redpill sgdt"))
		return x >= 0xd0000000ul;
	if (!strcmp(pills[k].key, "redpill sldt"))
		return x != 0;
	return false;
}

static void print_redpill(const struct result *res, FILE *out)
{
	const struct result *truth = &res[0];
	fprintf(out, "%-22s %-15s", "trick", "interp (a P6)");
	for (size_t m = 1; m < NMODELS; m++)
		fprintf(out, " %-15s", models[m].name);
	fprintf(out, "\n");
	for (size_t k = 0; k < NPILLS; k++) {
		const char *t = lookup(truth, pills[k].key);
		fprintf(out, "%-22s %-15.15s", pills[k].label, t ? t : "?");
		for (size_t m = 1; m < NMODELS; m++) {
			char cell[40];
			const char *v = res[m].ran ? lookup(&res[m], pills[k].key) : NULL;
			if (!res[m].ran)
				snprintf(cell, sizeof(cell), "n/a");
			else if (!v)
				snprintf(cell, sizeof(cell), "-");
			else
				snprintf(cell, sizeof(cell), "%.12s%s", v,
					 pill_fires(truth, &res[m], k, !models[m].accel) ? " VM" : "");
			fprintf(out, " %-15.15s", cell);
		}
		fprintf(out, "\n");
	}
	fprintf(out, "%-22s %-15s", "verdict", "bare machine");
	for (size_t m = 1; m < NMODELS; m++) {
		unsigned n = 0;
		for (size_t k = 0; k < NPILLS && res[m].ran; k++)
			n += pill_fires(truth, &res[m], k, !models[m].accel);
		char cell[40];
		if (!res[m].ran)
			snprintf(cell, sizeof(cell), "n/a");
		else if (n)
			snprintf(cell, sizeof(cell), "VM (%u tricks)", n);
		else
			snprintf(cell, sizeof(cell), "looks bare");
		fprintf(out, " %-15s", cell);
	}
	fprintf(out, "\n\n"
		"VM = the trick gives the virtual machine away: in a guest, its answer differs from the\n"
		"interpreter's (a real P6 running the same guest) or CPUID names a hypervisor; natively,\n"
		"by the classic tools' own rules (IDT/GDT base above 0xd0000000, a non-zero LDTR, the\n"
		"hypervisor bit, a vendor at leaf 0x40000000). The native column is this host itself,\n"
		"which is a virtual machine, with UMIP: its kernel answers SGDT and SIDT from user code\n"
		"with fixed dummy values, and guest user code running directly sees those too.\n"
		"Translated and interpreted user code (bt+bt, interp) show the guest's own machine.\n\n"
		"models:\n");
	for (size_t m = 0; m < NMODELS; m++)
		fprintf(out, "  %-10s %s%s%s\n", models[m].name, models[m].what,
			res[m].ran ? "" : " - not run: ", res[m].ran ? "" : res[m].why);
}

static int write_redpill_json(const struct result *res, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "softvt demo: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct json js, *j = &js;
	json_begin(j, f);
	json_string(j, "demo", "redpill");
	json_object(j, "models");
	for (size_t m = 0; m < NMODELS; m++) {
		json_object(j, models[m].name);
		json_bool(j, "ran", res[m].ran);
		if (!res[m].ran)
			json_string(j, "why", res[m].why);
		unsigned n = 0;
		json_object(j, "tricks");
		for (size_t k = 0; k < NPILLS && res[m].ran; k++) {
			const char *v = lookup(&res[m], pills[k].key);
			bool fires = pill_fires(&res[0], &res[m], k, !models[m].accel);
			n += fires;
			json_object(j, pills[k].key + 8);
			json_string(j, "value", v ? v : "");
			json_bool(j, "gives_vm_away", fires);
			json_close(j);
		}
		json_close(j);
		json_u64(j, "tricks_firing", n);
		json_close(j);
	}
	json_close(j);
	json_end(j);
	if (f != stdout)
		fclose(f);
	return 0;
}

static const char demo_usage[] =
	"usage: softvt demo ring-compression|redpill [--json FILE] [--guests DIR]\n"
	"\n"
	"ring-compression  the critical-instructions probe (guests/critical: SGDT, SIDT, SLDT,\n"
	"                  STR, SMSW, PUSHF, POPF, LAR, LSL, VERR, VERW, MOV from CS/SS in ring 0\n"
	"                  and ring 3) under every execution model, with which answers are wrong\n"
	"                  and why\n"
	"redpill           the classic VM-detection tricks (Red Pill SIDT, SGDT, No Pill SLDT,\n"
	"                  STR, SMSW, the CPUID hypervisor bit and leaf 0x40000000) run by guest\n"
	"                  user code under every model, and on this host itself\n"
	"\n"
	"Models: the interpreter (the truth), natively as a host process, naive ring\n"
	"deprivileging, binary translation with user code direct or translated, and KVM where\n"
	"this host can run it. docs/DEMOS.md explains the results.\n"
	"\n"
	"  --json FILE   also write the values and verdicts as JSON (- for stdout)\n"
	"  --guests DIR  where the probe guests and their native twins are (default: the\n"
	"                guests/ folder beside the softvt binary, as the build makes it)\n";

int demo_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(demo_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	bool redpill = !strcmp(argv[1], "redpill");
	if (!redpill && strcmp(argv[1], "ring-compression") != 0) {
		fprintf(stderr, "softvt demo: unknown demo '%s' (demos: ring-compression, redpill)\n",
			argv[1]);
		return 1;
	}
	const char *probe = redpill ? "redpill" : "critical";
	const char *json = NULL;
	char dir[PATH_MAX] = "", self[PATH_MAX];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (!strcmp(argv[i], "--guests") && i + 1 < argc) {
			snprintf(dir, sizeof(dir), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(demo_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "softvt demo: unknown option or missing value: %s\n%s", argv[i],
				demo_usage);
			return 1;
		}
	}
	if (subcommand_find_guest("demo", probe, self, sizeof(self), dir, sizeof(dir)) < 0)
		return 1;
	struct result *res = calloc(NMODELS, sizeof(*res));
	if (!res) {
		fprintf(stderr, "softvt demo: out of memory\n");
		return 1;
	}
	fprintf(stderr, "softvt demo: running guests/%s under %zu models ...\n", probe, NMODELS);
	for (size_t m = 0; m < NMODELS; m++)
		run_model(&models[m], self, dir, probe, &res[m]);
	if (!res[0].ran) {
		fprintf(stderr, "softvt demo: the interpreter (the reference) did not run the probe: "
				"%s\n", res[0].why);
		free(res);
		return 1;
	}
	int rc = 0;
	if (redpill) {
		printf("red pills: VM-detection tricks run by guest user code under each execution "
		       "model, and on this host\n\n");
		print_redpill(res, stdout);
		rc = json ? (write_redpill_json(res, json) < 0) : 0;
	} else {
		printf("ring compression: the critical-instructions probe (guests/critical) under "
		       "each execution model\n\n");
		print_table(res, stdout);
		print_reasons(res, stdout);
		rc = json ? (write_json(res, json) < 0) : 0;
	}
	free(res);
	return rc;
}
