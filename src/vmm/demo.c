/*
 * demo.c - `softvt demo ring-compression`: the critical-instructions probe
 * (guests/critical) under every execution model, in one table.
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
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm/kvm_probe.h"
#include "vmm/engine.h"
#include "vmm/json.h"

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
		if (strncmp(line, "ring0 ", 6) != 0 && strncmp(line, "ring3 ", 6) != 0)
			continue;
		/* the key is "ringN insn" plus the selector for the descriptor checks */
		char *p = line + 6, *sp = strchr(p, ' ');
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

/* Runs argv with stdout to out_path (if not NULL); 0, or -1 with why. */
static int run_child(char *const argv[], const char *out_path, char *why, size_t whylen)
{
	char errpath[] = "/tmp/softvt-demo-err.XXXXXX";
	int errfd = mkstemp(errpath);
	if (errfd < 0) {
		snprintf(why, whylen, "mkstemp: %s", strerror(errno));
		return -1;
	}
	unlink(errpath);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(errfd);
		return -1;
	}
	if (pid == 0) {
		int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)
				   : open("/dev/null", O_WRONLY);
		int in = open("/dev/null", O_RDONLY);
		if (out < 0 || in < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(errfd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* exit 0, or 1 from the probe's failed checks (the expected result of some models) */
	if (WIFEXITED(st) && WEXITSTATUS(st) <= 1) {
		close(errfd);
		return 0;
	}
	char msg[200] = "";
	lseek(errfd, 0, SEEK_SET);
	ssize_t n = read(errfd, msg, sizeof(msg) - 1);
	close(errfd);
	if (n > 0) {
		msg[n] = '\0';
		char *nl = strrchr(msg, '\n');
		if (nl && nl[1] == '\0')
			*nl = '\0';
		nl = strrchr(msg, '\n');   /* the last line says most */
		memmove(msg, nl ? nl + 1 : msg, strlen(nl ? nl + 1 : msg) + 1);
	}
	if (WIFEXITED(st))
		snprintf(why, whylen, "exit status %d%s%s", WEXITSTATUS(st), *msg ? ": " : "", msg);
	else
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(st));
	return -1;
}

static void run_model(const struct model *m, const char *self, const char *dir,
		      struct result *r)
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
		snprintf(prog, sizeof(prog), "%s/critical-native", dir);
		char *argv[] = { prog, NULL };
		rc = run_child(argv, out, r->why, sizeof(r->why));
	} else {
		const struct engine_ops *ops = engine_find(m->accel);
		char why[200];
		if (!ops && !strcmp(m->accel, "kvm")) {
			kvm_probe_32bit(why, sizeof(why));
			snprintf(r->why, sizeof(r->why), "engine kvm is not built yet; %s", why);
			unlink(out);
			return;
		}
		if (!ops) {
			snprintf(r->why, sizeof(r->why), "engine %s is not built yet", m->accel);
			unlink(out);
			return;
		}
		if (ops->probe && ops->probe(why, sizeof(why)) < 0) {
			snprintf(r->why, sizeof(r->why), "cannot run here: %s", why);
			unlink(out);
			return;
		}
		snprintf(elf, sizeof(elf), "%s/critical.elf", dir);
		snprintf(dc, sizeof(dc), "file:%s", out);
		char *argv[16];
		unsigned a = 0;
		argv[a++] = (char *)self;
		argv[a++] = "run";
		argv[a++] = "--accel";
		argv[a++] = (char *)m->accel;
		if (m->user) {
			argv[a++] = "--user";
			argv[a++] = (char *)m->user;
		}
		argv[a++] = "--kernel";
		argv[a++] = elf;
		argv[a++] = "--debugcon";
		argv[a++] = dc;
		argv[a++] = "--serial";
		argv[a++] = "none";
		argv[a++] = "--timeout";
		argv[a++] = "60";
		argv[a] = NULL;
		rc = run_child(argv, NULL, r->why, sizeof(r->why));
	}
	if (rc == 0) {
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

static const char demo_usage[] =
	"usage: softvt demo ring-compression [--json FILE] [--guests DIR]\n"
	"\n"
	"Runs the critical-instructions probe (guests/critical: SGDT, SIDT, SLDT, STR, SMSW,\n"
	"PUSHF, POPF, LAR, LSL, VERR, VERW, MOV from CS/SS in ring 0 and ring 3) under every\n"
	"execution model - the interpreter (the truth), natively as a host process, naive\n"
	"ring deprivileging, binary translation with user code direct or translated, and KVM\n"
	"where this host can run it - and prints which answers are wrong and why.\n"
	"\n"
	"  --json FILE   also write the values and verdicts as JSON (- for stdout)\n"
	"  --guests DIR  where critical.elf and critical-native are (default: the guests/\n"
	"                folder beside the softvt binary, as the build makes it)\n";

int demo_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(demo_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "ring-compression") != 0) {
		fprintf(stderr, "softvt demo: unknown demo '%s' (demos: ring-compression)\n", argv[1]);
		return 1;
	}
	const char *json = NULL;
	char dir[PATH_MAX] = "", self[PATH_MAX];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (!strcmp(argv[i], "--guests") && i + 1 < argc) {
			snprintf(dir, sizeof(dir), "%s", argv[++i]);
		} else {
			fprintf(stderr, "softvt demo: unknown option or missing value: %s\n%s", argv[i],
				demo_usage);
			return 1;
		}
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "softvt demo: cannot find the softvt binary: %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	if (!*dir) {
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s", self);
		snprintf(dir, sizeof(dir), "%s/guests", dirname(tmp));
	}
	char elf[PATH_MAX + 16];
	snprintf(elf, sizeof(elf), "%s/critical.elf", dir);
	struct stat sb;
	if (stat(elf, &sb) < 0) {
		fprintf(stderr, "softvt demo: no probe guest %s (%s): build softvt with its test "
				"guests (make build, needs gcc-multilib) or give --guests DIR\n", elf,
			strerror(errno));
		return 1;
	}
	struct result *res = calloc(NMODELS, sizeof(*res));
	if (!res) {
		fprintf(stderr, "softvt demo: out of memory\n");
		return 1;
	}
	fprintf(stderr, "softvt demo: running the probe under %zu models ...\n", NMODELS);
	for (size_t m = 0; m < NMODELS; m++)
		run_model(&models[m], self, dir, &res[m]);
	if (!res[0].ran) {
		fprintf(stderr, "softvt demo: the interpreter (the reference) did not run the probe: "
				"%s\n", res[0].why);
		free(res);
		return 1;
	}
	printf("ring compression: the critical-instructions probe (guests/critical) under each "
	       "execution model\n\n");
	print_table(res, stdout);
	print_reasons(res, stdout);
	int rc = json ? (write_json(res, json) < 0) : 0;
	free(res);
	return rc;
}
