/*
 * bench_macro.c - `softvt bench --macro`: the macro-benchmarks of issue 7 in
 * the default Linux guest, under each execution model, repeated.
 *
 * One run of a model is one boot of the guest (Debian's 686 kernel, the
 * busybox initramfs with guests/linux/progs in /bin, 256 MiB) through
 * scripts/guest-run.sh, which types into its serial console:
 *
 *	true (three times)      the console's own round trip (the least is subtracted)
 *	forkwait N              N x fork + _exit + waitpid (Adams & Agesen's forkwait)
 *	cpu_loop N              a CPU-bound loop, N iterations (checksum checked)
 *	getpid N                N system calls
 *
 * and reports the time to the shell prompt and, per command, its output (a
 * BENCH line, timed by the guest's CLOCK_MONOTONIC) and the host's wall time.
 * A command of 1 s or more, or of 0.3 s whose guest time is off by more than
 * 30 %, is timed by the host instead (its wall time minus that of `true`):
 * the guest's clock is wrong in user mode under --user direct (the vDSO reads
 * the host's TSC) and lags under load. The native column runs the same static
 * i386 programs (BUILD/linux-progs) as 32-bit host processes, timed by their
 * own clock; it has no boot. bench/user_programs.sh is a front end of this
 * (all four programs, --pgfault, and the speed relative to native).
 *
 * The binary finds guest-run.sh in the source tree it was built from
 * (SOFTVT_SOURCE_DIR, set by CMake; the environment variable of that name
 * overrides it) and the guest in BUILD/guest beside itself, where
 * scripts/fetch-guest.sh puts it. Output: bench_macro_out.c.
 */
#define _GNU_SOURCE
#include "vmm/bench_macro.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "direct/direct.h"
#include "kvm/kvm_probe.h"
#include "vmm/bench.h"
#include "vmm/bench_macro_priv.h"
#include "vmm/subcommand.h"

#ifndef SOFTVT_SOURCE_DIR
#define SOFTVT_SOURCE_DIR "."
#endif

/* A model whose run is expected to take longer than this runs once by default. */
#define SLOW_RUN_S 180.0

const struct macro_bench macro_benches[MB_COUNT] = {
	[MB_BOOT] = { "boot", "boot to shell (s)", "s", 0 },
	[MB_FORKWAIT] = { "forkwait", "fork+wait (µs)", "µs per fork+wait", 1000 },
	[MB_CPU_LOOP] = { "cpu_loop", "cpu_loop (ns/iteration)", "ns per iteration", 1 },
	[MB_GETPID] = { "getpid", "getpid (ns/call)", "ns per system call", 1 },
	[MB_PGFAULT] = { "pgfault", "pgfault (ns/fault)", "ns per page fault", 1 },
};

/*
 * est: the session-3 figures of docs/BENCHMARKS.md (quiet machine, 2 vCPUs of
 * an AMD EPYC under nested KVM): boot s, fork+wait µs, cpu_loop ns, getpid ns,
 * pgfault ns.
 * Only for the expected duration printed before each model; KVM's are guesses.
 */
const struct macro_model macro_models[] = {
	{ "native", "the same static i386 programs as 32-bit host processes (no boot)",
	  MACRO_NATIVE, NULL, NULL, { 0, 88, 1.55, 151, 1356 }, false },
	{ "bt+direct", "binary translation, guest user code directly on the CPU", MACRO_SOFTVT,
	  "bt", "direct", { 2.0, 822, 1.64, 10270, 13665 }, false },
	{ "bt+bt", "binary translation, guest user code translated", MACRO_SOFTVT, "bt", "bt",
	  { 2.0, 5941, 2.06, 202525, 375122 }, false },
	{ "bt+interp", "binary translation, guest user code interpreted", MACRO_SOFTVT, "bt",
	  "interp", { 2.0, 401, 41, 980, 3136 }, true },
	{ "interp", "the interpreter", MACRO_SOFTVT, "interp", NULL, { 11.3, 1152, 41, 1881, 21618 },
	  false },
	{ "qemu-tcg", "QEMU's TCG (qemu-system-i386 -accel tcg -cpu pentium3)", MACRO_QEMU, "tcg",
	  NULL, { 4.5, 371, 6.56, 567, 4893 }, false },
	{ "qemu-kvm", "QEMU with KVM (qemu-system-i386 -accel kvm -cpu pentium3)", MACRO_QEMU,
	  "kvm", NULL, { 1.0, 100, 1.6, 300, 2000 }, false },
	{ "kvm", "softvt's hardware-assisted engine (VT-x/AMD-V)", MACRO_SOFTVT, "kvm", NULL,
	  { 1.0, 100, 1.6, 300, 2000 }, false },
	/* est: the interpreter's boots that count the exits (bench_macro_vtx.c) */
	{ "vtx-MODEL-noEPT", "a MODEL, not a measurement: the VM exits a VT-x monitor with shadow "
	  "page tables (no EPT) would take on the same programs, counted by the interpreter, "
	  "times a published cost per exit, plus the native column's time (without it, 1 cycle "
	  "per guest instruction; docs/VTX_MODEL.md); shown where kvm cannot run", MACRO_VTX, "interp", "noept",
	  { 12, 1152, 41, 1881, 21618 }, false },
	{ "vtx-MODEL-EPT", "a MODEL, not a measurement: the same with EPT (nested paging)",
	  MACRO_VTX, "interp", "ept", { 0, 0, 0, 0, 0 }, false },
};
const unsigned macro_nmodels = sizeof(macro_models) / sizeof(macro_models[0]);

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

static double run_seconds(const struct macro_model *m, const struct macro_opts *o)
{
	double s = m->est[MB_BOOT];
	for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++)
		s += m->est[b] * macro_benches[b].ns_per_unit * o->count[b] / 1e9;
	return s;
}

static void say_duration(char *buf, size_t n, double s)
{
	if (s < 90)
		snprintf(buf, n, "%.0f s", s < 1 ? 1 : s);
	else
		snprintf(buf, n, "%.1f min", s / 60);
}

/* The value of KEY=... in a BENCH line, as a string (into buf) or NULL. */
static const char *bench_field(const char *line, const char *key, char *buf, size_t n)
{
	size_t kl = strlen(key);
	for (const char *p = strstr(line, key); p; p = strstr(p + 1, key)) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			size_t l = strcspn(p + kl + 1, " \r\n");
			snprintf(buf, n, "%.*s", (int)(l < n ? l : n - 1), p + kl + 1);
			return buf;
		}
	}
	return NULL;
}

/* A BENCH line of program b: ns per operation and the checksum into rep. */
static void parse_bench(const char *line, unsigned b, struct boot_report *rep)
{
	char buf[64];
	if (strncmp(line, "BENCH ", 6) || strncmp(line + 6, macro_benches[b].name,
						   strlen(macro_benches[b].name)))
		return;
	if (bench_field(line, "ns_per_op", buf, sizeof(buf)))
		rep->guest_ns[b] = strtod(buf, NULL);
	if (b == MB_CPU_LOOP && bench_field(line, "check", buf, sizeof(buf)))
		snprintf(rep->check, sizeof(rep->check), "%.31s", buf);
}

static void report_init(struct boot_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->boot_s = rep->boot_cpu = rep->overhead_s = -1;
	for (unsigned b = 0; b < MB_COUNT; b++)
		rep->host_s[b] = rep->guest_ns[b] = -1;
}

/* Progress on stderr: what runs now, with the run's number. */
struct progress {
	const char *model;
	unsigned run, runs;
};

/* One line of guest-run.sh's output; *cur is the program running (-1: `true`, -2: none). */
static void parse_line(char *line, int *cur, struct boot_report *rep, const struct progress *p,
		       const struct macro_opts *o, const struct macro_model *m)
{
	line[strcspn(line, "\r\n")] = '\0';
	double a, c = -1;
	char word[64];
	int st;
	if (sscanf(line, "boot: %63s shell prompt after %lf s (CPU %lf s)", word, &a, &c) >= 2) {
		rep->boot_s = a;
		rep->boot_cpu = c;
		fprintf(stderr, "softvt bench: macro: %s booted to the shell in %.1f s, run %u/%u\n",
			p->model, a, p->run, p->runs);
	} else if (!strncmp(line, "guest-run: $ ", 13)) {
		*cur = -2;
		if (!strcmp(line + 13, "true"))
			*cur = -1;
		for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++) {
			size_t l = strlen(macro_benches[b].name);
			if (!strncmp(line + 13, macro_benches[b].name, l) && line[13 + l] == ' ') {
				char d[32];
				say_duration(d, sizeof(d), m->est[b] * macro_benches[b].ns_per_unit *
								   o->count[b] / 1e9);
				fprintf(stderr, "softvt bench: macro: %s under %s, run %u/%u (expect ~%s) ...\n",
					line + 13, p->model, p->run, p->runs, d);
				*cur = (int)b;
			}
		}
	} else if (sscanf(line, "guest-run: status %d (host %lf s)", &st, &a) == 2) {
		if (*cur == -1 && (rep->overhead_s < 0 || a < rep->overhead_s))
			rep->overhead_s = a;
		else if (*cur >= 0) {
			rep->host_s[*cur] = a;
			rep->status[*cur] = st;
		}
		*cur = -2;
	} else if (!strncmp(line, "BENCH ", 6) && *cur >= 0) {
		parse_bench(line, (unsigned)*cur, rep);
	} else if (!strncmp(line, "boot: FAIL: ", 12) || !strncmp(line, "guest-run: VM ", 14) ||
		   (!strncmp(line, "guest-run: ", 11) && strstr(line, "no ")) ||
		   !strncmp(line, "softvt: ", 8)) {
		if (!strstr(line, "VM exit status 0"))
			snprintf(rep->fail, sizeof(rep->fail), "%s", line);
	}
}

/* One boot under a softvt engine or QEMU; 0, or -1 with rep->fail set. */
static int boot_once(const struct macro_env *e, const struct macro_model *m,
		     const struct macro_opts *o, const struct progress *p, struct boot_report *rep)
{
	char cmds[MB_COUNT][48], timeout[32], softvt_args[512], tag[48], log[PATH_MAX + 96];
	char *argv[MB_COUNT + 8];
	unsigned a = 0;
	argv[a++] = "bash";
	argv[a++] = (char *)e->script;
	const char *engine = m->kind == MACRO_QEMU ? "qemu" : m->accel;
	argv[a++] = (char *)engine;
	argv[a++] = (char *)e->build;
	/* the console's round trip, three times: one can be slowed down by the load */
	for (unsigned i = 0; i < 3; i++)
		argv[a++] = "true";
	double longest = 60;
	for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++) {
		if (!o->count[b])
			continue;
		snprintf(cmds[b], sizeof(cmds[b]), "%s %u", macro_benches[b].name, o->count[b]);
		argv[a++] = cmds[b];
		double s = m->est[b] * macro_benches[b].ns_per_unit * o->count[b] / 1e9;
		if (s > longest)
			longest = s;
	}
	argv[a] = NULL;
	/* a loaded machine is slower: generous limits, they only catch a hung guest */
	snprintf(timeout, sizeof(timeout), "%.0f", longest * 10 + 120);
	/* a console log of its own: bench runs may overlap (guest-run.sh names it by the tag) */
	snprintf(tag, sizeof(tag), "bench-macro-%d", (int)getpid());
	snprintf(log, sizeof(log), "%s/guest/%s-686-run-%s.log", e->build, engine, tag);
	const char *more = getenv("SOFTVT_ARGS");   /* the caller's extra softvt options */
	snprintf(softvt_args, sizeof(softvt_args), "%s%s %.400s", m->user ? "--user " : "",
		 m->user ? m->user : "", more ? more : "");

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(rep->fail, sizeof(rep->fail), "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(rep->fail, sizeof(rep->fail), "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(126);
		setenv("SOFTVT_ARGS", softvt_args, 1);
		setenv("LOG_TAG", tag, 1);
		setenv("CMD_TIMEOUT", timeout, 1);
		if (!getenv("BOOT_TIMEOUT"))
			setenv("BOOT_TIMEOUT", "600", 1);
		if (m->kind == MACRO_QEMU)
			setenv("QEMU_ACCEL", m->accel, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	if (!f) {
		close(fds[0]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		int cur = -2;
		while (getline(&line, &cap, f) > 0)
			parse_line(line, &cur, rep, p, o, m);
		free(line);
		fclose(f);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		snprintf(rep->fail, sizeof(rep->fail), "bash could not be started");
	if (rep->boot_s < 0 && !*rep->fail)
		snprintf(rep->fail, sizeof(rep->fail), "the guest did not reach its shell");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		if (!*rep->fail)
			snprintf(rep->fail, sizeof(rep->fail), "guest-run.sh: %s %d",
				 WIFEXITED(st) ? "exit status" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		fprintf(stderr, "softvt bench: macro: the guest's console log is %s\n", log);
		return -1;
	}
	unlink(log);
	return 0;
}

/* The programs natively, one process each, timed by their own clock. */
static int native_once(const struct macro_env *e, const struct macro_opts *o,
		       const struct progress *p, struct boot_report *rep)
{
	char out[] = "/tmp/softvt-bench-macro.XXXXXX";
	int fd = mkstemp(out);
	if (fd < 0) {
		snprintf(rep->fail, sizeof(rep->fail), "mkstemp: %s", strerror(errno));
		return -1;
	}
	close(fd);
	int rc = 0;
	for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++) {
		char n[16], why[256];
		if (!o->count[b])
			continue;
		snprintf(n, sizeof(n), "%u", o->count[b]);
		char *argv[] = { (char *)e->progs, (char *)macro_benches[b].name, n, NULL };
		fprintf(stderr, "softvt bench: macro: %s %s natively, run %u/%u ...\n",
			macro_benches[b].name, n, p->run, p->runs);
		int code = subcommand_run(argv, out, why, sizeof(why));
		if (code) {
			snprintf(rep->fail, sizeof(rep->fail), "%s: %.200s", macro_benches[b].name, why);
			rc = -1;
			if (code < 0 || code == 127)
				break;
			continue;
		}
		FILE *f = fopen(out, "r");
		char line[256];
		while (f && fgets(line, sizeof(line), f))
			parse_bench(line, b, rep);
		if (f)
			fclose(f);
		rep->status[b] = 0;
	}
	unlink(out);
	return rc;
}

/*
 * Run r's value of program b from one boot: the guest's clock, or the host's
 * for long commands and where the two disagree (see the top of the file).
 */
static void take_value(const struct macro_opts *o, unsigned b, const struct boot_report *rep,
		       bool native, struct macro_result *r, unsigned run)
{
	double ns = rep->guest_ns[b];
	if (ns < 0 || rep->status[b])
		return;
	if (!native) {
		double h = rep->host_s[b];
		if (h < 0)
			return;
		double net = h - (rep->overhead_s > 0 ? rep->overhead_s : 0);
		double host_ns = net * 1e9 / o->count[b];
		bool off = host_ns > 0 && (ns > 1.3 * host_ns || ns < host_ns / 1.3);
		if (host_ns > 0 && (h >= 1 || (off && net >= 0.3))) {
			if (off)
				fprintf(stderr, "softvt bench: macro: %s: the guest's clock says %.4g ns per "
						"operation, the host's %.4g: taking the host's\n",
					macro_benches[b].name, ns, host_ns);
			ns = host_ns;
			r->host_clock[b] = true;
		}
	}
	r->v[b][run] = ns / macro_benches[b].ns_per_unit;
}

/* Why model m cannot run here, or 0. */
static int model_ready(const struct macro_env *e, const struct macro_model *m, char *why,
		       size_t whylen)
{
	char reason[200];
	switch (m->kind) {
	case MACRO_NATIVE:
		if (access(e->progs, X_OK) < 0) {
			snprintf(why, whylen, "no %.150s (the user programs need gcc -m32 -static: "
					      "apt-get install gcc-multilib)", e->progs);
			return -1;
		}
		return 0;
	case MACRO_QEMU: {
		char *argv[] = { "qemu-system-i386", "--version", NULL };
		if (subcommand_run(argv, NULL, reason, sizeof(reason)) != 0) {
			snprintf(why, whylen, "qemu-system-i386 cannot be run (apt-get install "
					      "qemu-system-x86): %.150s", reason);
			return -1;
		}
		if (!strcmp(m->accel, "kvm") && kvm_probe_32bit(reason, sizeof(reason)) < 0) {
			snprintf(why, whylen, "QEMU would use the same /dev/kvm: %s", reason);
			return -1;
		}
		return 0;
	}
	case MACRO_VTX:
		if (kvm_probe_32bit(reason, sizeof(reason)) == 0) {
			snprintf(why, whylen, "kvm runs on this host: its column is measured");
			return -1;
		}
		return subcommand_engine_ready(m->accel, why, whylen);
	case MACRO_SOFTVT:
		if (subcommand_engine_ready(m->accel, why, whylen) < 0)
			return -1;
		if (m->user && !strcmp(m->user, "direct") && direct_probe(reason, sizeof(reason)) < 0) {
			snprintf(why, whylen, "direct execution cannot run here: %s", reason);
			return -1;
		}
		return 0;
	}
	return -1;
}

static void run_model(const struct macro_env *e, const struct macro_model *m,
		      const struct macro_opts *o, struct macro_result *r)
{
	for (unsigned b = 0; b < MB_COUNT; b++)
		for (unsigned i = 0; i < MACRO_MAX_RUNS; i++)
			r->v[b][i] = -1;
	for (unsigned i = 0; i < MACRO_MAX_RUNS; i++)
		r->boot_cpu[i] = -1;
	if (model_ready(e, m, r->why, sizeof(r->why)) < 0) {
		fprintf(stderr, "softvt bench: macro: %s not run: %s\n", m->name, r->why);
		return;
	}
	if (m->kind == MACRO_VTX) {
		macro_vtx_run(e, m, o, r);
		return;
	}
	double est = run_seconds(m, o);
	unsigned runs = o->runs ? o->runs : est > SLOW_RUN_S ? 1 : 3;
	char d[32];
	say_duration(d, sizeof(d), est);
	fprintf(stderr, "softvt bench: macro: %s: %u run%s, ~%s each expected (%u fork+wait at "
			"~%.3g ms each)%s\n", m->name, runs, runs > 1 ? "s" : "", d,
		o->count[MB_FORKWAIT], m->est[MB_FORKWAIT] / 1000,
		!o->runs && runs == 1 ? "; one run only, --runs N for more" : "");
	for (unsigned run = 0; run < runs; run++) {
		struct boot_report rep;
		struct progress p = { m->name, run + 1, runs };
		report_init(&rep);
		int rc = m->kind == MACRO_NATIVE ? native_once(e, o, &p, &rep)
						 : boot_once(e, m, o, &p, &rep);
		r->runs = run + 1;
		if (m->kind != MACRO_NATIVE && rep.boot_s >= 0) {
			r->v[MB_BOOT][run] = rep.boot_s;
			r->boot_cpu[run] = rep.boot_cpu;
		}
		for (unsigned b = MB_FORKWAIT; b < MB_COUNT; b++) {
			take_value(o, b, &rep, m->kind == MACRO_NATIVE, r, run);
			if (o->count[b] && r->v[b][run] < 0 && rc == 0)
				snprintf(r->why, sizeof(r->why), "run %u: %s gave no result (exit "
					 "status %d)", run + 1, macro_benches[b].name, rep.status[b]);
		}
		if (*rep.check) {
			if (*r->check && strcmp(r->check, rep.check))
				fprintf(stderr, "softvt bench: macro: %s: cpu_loop's checksum changed "
						"between runs (%s, %s)\n", m->name, r->check, rep.check);
			snprintf(r->check, sizeof(r->check), "%s", rep.check);
		}
		if (rc < 0) {
			snprintf(r->why, sizeof(r->why), "run %u: %.230s", run + 1, rep.fail);
			fprintf(stderr, "softvt bench: macro: %s run %u failed: %s\n", m->name, run + 1,
				rep.fail);
			if (rep.boot_s < 0)
				break;   /* it does not boot: the next runs would not either */
		}
	}
	for (unsigned b = 0; b < MB_COUNT; b++) {
		double x, y, z;
		if (macro_stats(r, b, &x, &y, &z))
			r->ran = true;
	}
	if (!r->ran && !*r->why)
		snprintf(r->why, sizeof(r->why), "no results");
}

/*
 * cpu_loop computes a checksum every model must reproduce: compare each with
 * the native one (run here if the native column was not), drop wrong results.
 */
static void check_checksums(const struct macro_env *e, const struct macro_opts *o,
			    struct macro_result *res)
{
	char ref[32] = "";
	for (unsigned m = 0; m < macro_nmodels; m++)
		if (macro_models[m].kind == MACRO_NATIVE && *res[m].check)
			snprintf(ref, sizeof(ref), "%s", res[m].check);
	if (!*ref && access(e->progs, X_OK) == 0) {
		char out[] = "/tmp/softvt-bench-macro.XXXXXX", n[16], why[256], line[256];
		int fd = mkstemp(out);
		if (fd >= 0) {
			close(fd);
			snprintf(n, sizeof(n), "%u", o->count[MB_CPU_LOOP]);
			char *argv[] = { (char *)e->progs, "cpu_loop", n, NULL };
			if (subcommand_run(argv, out, why, sizeof(why)) == 0) {
				FILE *f = fopen(out, "r");
				struct boot_report rep;
				report_init(&rep);
				while (f && fgets(line, sizeof(line), f))
					parse_bench(line, MB_CPU_LOOP, &rep);
				if (f)
					fclose(f);
				snprintf(ref, sizeof(ref), "%s", rep.check);
			}
			unlink(out);
		}
	}
	if (!*ref)
		return;
	for (unsigned m = 0; m < macro_nmodels; m++) {
		struct macro_result *r = &res[m];
		if (!*r->check || !strcmp(r->check, ref))
			continue;
		fprintf(stderr, "softvt bench: macro: %s: WRONG cpu_loop checksum %s (native: %s): "
				"its cpu_loop times are dropped\n", macro_models[m].name, r->check, ref);
		for (unsigned i = 0; i < MACRO_MAX_RUNS; i++)
			r->v[MB_CPU_LOOP][i] = -1;
		snprintf(r->why, sizeof(r->why), "wrong cpu_loop checksum %s (native %s)", r->check,
			 ref);
	}
}

static const char macro_usage[] =
	"usage: softvt bench --macro [--models LIST] [--runs N] [--forks N] [--cpu-loop N]\n"
	"                            [--getpid N] [--pgfault N] [--out DIR]\n"
	"       softvt bench --suite nano|macro|all [options of both]\n"
	"\n"
	"The macro-benchmarks in the default Linux guest (Debian's 686 kernel, the busybox\n"
	"initramfs, 256 MiB): the time from start to the shell prompt, then N fork+wait, a\n"
	"CPU-bound loop (cpu_loop) and a system-call loop (getpid), the programs of\n"
	"guests/linux/progs, typed into the guest's shell. Models (columns): native (the same\n"
	"static i386 programs as 32-bit host processes; no boot), bt+direct, bt+bt, interp,\n"
	"qemu-tcg, qemu-kvm and kvm (where this host's /dev/kvm can run a 32-bit guest; else\n"
	"the reason); bt+interp on request. Each run is one boot. Prints a Markdown table\n"
	"(median, min-max) and writes DIR/macro.md, macro.json and, with gnuplot, macro.png\n"
	"(log scale). Progress goes to stderr.\n"
	"\n"
	"  --suite S      nano: the nanobenchmarks (the default; softvt bench --help), macro:\n"
	"                 these, all: both, one after the other\n"
	"  --macro        the same as --suite macro\n"
	"  --models LIST  comma-separated columns (default native,bt+direct,bt+bt,interp,\n"
	"                 qemu-tcg,qemu-kvm,kvm; also bt+interp)\n"
	"  --runs N       runs (boots) per model, 1 to 15 (default 3; 1 for a model whose run is\n"
	"                 expected to take over 3 minutes: bt+bt with the default counts, ~5 min)\n"
	"  --forks N      fork+wait count (default 40000, as Adams & Agesen)\n"
	"  --cpu-loop N   cpu_loop iterations (default 500000000: ~0.8 s natively, ~20 s interp)\n"
	"  --getpid N     getpid system calls (default 200000)\n"
	"  --pgfault N    also N page faults (first writes to fresh pages; not by default)\n"
	"  --out DIR      where the files go (default: bench-out)\n"
	"\n"
	"Times: natively, and in the guest for a command under 1 s, the program's own clock;\n"
	"a command of 1 s or more (or of 0.3 s whose guest time is off by over 30 %) is timed\n"
	"by the host, its wall time minus that of `true` (the guest's clock is wrong in user\n"
	"mode under bt+direct): such cells are marked *. With the defaults the whole suite\n"
	"takes about 15 minutes on a quiet 2-core machine (bt+bt alone ~5).\n"
	"\n"
	"Needs the default guest in BUILD/guest beside this binary (make guest, or\n"
	"bash scripts/fetch-guest.sh BUILD), with the user programs (gcc-multilib), bash, and\n"
	"scripts/guest-run.sh of the source tree softvt was built from (SOFTVT_SOURCE_DIR in\n"
	"the environment to use another tree). SOFTVT_ARGS in the environment: more options\n"
	"for every softvt run (e.g. --tc-size 1M).\n";

bool bench_macro_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--macro"))
			return true;
		if (!strcmp(argv[i], "--suite"))
			return i + 1 >= argc || strcmp(argv[i + 1], "nano") != 0;
	}
	return false;
}

static int parse_count(const char *opt, const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (*s == '-' || *end || !*s || errno || x < 1 || x > 0xffffffffUL) {
		fprintf(stderr, "softvt bench: %s: '%s' is not a count from 1 to 4294967295\n", opt, s);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

static int select_models(const char *list, struct macro_result *res)
{
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return -1;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned m;
		for (m = 0; m < macro_nmodels; m++)
			if (!strcmp(t, macro_models[m].name))
				break;
		if (m == macro_nmodels) {
			fprintf(stderr, "softvt bench: --models: no model '%s' (models:", t);
			for (m = 0; m < macro_nmodels; m++)
				fprintf(stderr, " %s", macro_models[m].name);
			fprintf(stderr, ")\n");
			free(copy);
			return -1;
		}
		res[m].selected = true;
	}
	free(copy);
	return 0;
}

/* Where this binary, its build folder, the user programs and guest-run.sh are. */
static int find_env(struct macro_env *e)
{
	ssize_t n = readlink("/proc/self/exe", e->self, sizeof(e->self) - 1);
	if (n <= 0) {
		fprintf(stderr, "softvt bench: cannot find the softvt binary: %s\n", strerror(errno));
		return -1;
	}
	e->self[n] = '\0';
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", e->self);
	snprintf(e->build, sizeof(e->build), "%s", dirname(tmp));
	snprintf(e->progs, sizeof(e->progs), "%s/linux-progs/softvt-progs", e->build);
	const char *src = getenv("SOFTVT_SOURCE_DIR");
	snprintf(e->src, sizeof(e->src), "%s", src && *src ? src : SOFTVT_SOURCE_DIR);
	snprintf(e->script, sizeof(e->script), "%s/scripts/guest-run.sh", e->src);
	return 0;
}

/* The guest and the script the guest models need; prints how to get them. */
static int check_guest(const struct macro_env *e)
{
	static const char *const files[] = { "vmlinuz-686", "initramfs.cpio.gz" };
	struct stat sb;
	if (stat(e->script, &sb) < 0) {
		fprintf(stderr, "softvt bench: no %s (%s): the macro suite drives the guest with the "
				"scripts of softvt's source tree; set SOFTVT_SOURCE_DIR to one\n",
			e->script, strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < 2; i++) {
		char p[PATH_MAX + 64];
		snprintf(p, sizeof(p), "%s/guest/%s", e->build, files[i]);
		if (stat(p, &sb) < 0) {
			fprintf(stderr, "softvt bench: no Linux guest: %s is missing (%s). Fetch it "
					"(~105 MB of Debian packages, once) with\n    bash %s/scripts/"
					"fetch-guest.sh %s\nor `make guest` in the source tree.\n",
				p, strerror(errno), e->src, e->build);
			return -1;
		}
	}
	char p[PATH_MAX + 64], line[64] = "";
	snprintf(p, sizeof(p), "%s/guest/initramfs.progs", e->build);
	FILE *f = fopen(p, "r");
	bool found = false;
	while (f && fgets(line, sizeof(line), f))
		if (!strcmp(line, "softvt-progs\n") || !strcmp(line, "softvt-progs"))
			found = true;
	if (f)
		fclose(f);
	if (!found) {
		fprintf(stderr, "softvt bench: the guest's initramfs has no user programs (%s does "
				"not list softvt-progs): build them (gcc-multilib) and run\n    bash "
				"%s/scripts/fetch-guest.sh %s\n", p, e->src, e->build);
		return -1;
	}
	return 0;
}

static int write_file(const char *dir, const char *name, const struct macro_result *res,
		      const struct macro_opts *o,
		      void (*fn)(FILE *, const struct macro_result *, const struct macro_opts *))
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "softvt bench: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fn(f, res, o);
	fclose(f);
	return 0;
}

int bench_macro_main(int argc, char **argv)
{
	struct macro_opts o = { .runs = 0, .outdir = "bench-out" };
	o.count[MB_FORKWAIT] = 40000;
	o.count[MB_CPU_LOOP] = 500000000;
	o.count[MB_GETPID] = 200000;
	const char *suite = "macro", *models = NULL, *guests = NULL;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		bool has_value = i + 1 < argc;
		if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			fputs(macro_usage, stdout);
			return 0;
		} else if (!strcmp(opt, "--macro")) {
			suite = "macro";
		} else if (!strcmp(opt, "--suite") && has_value) {
			suite = argv[++i];
			if (strcmp(suite, "macro") && strcmp(suite, "all") && strcmp(suite, "nano")) {
				fprintf(stderr, "softvt bench: --suite: '%s' is not nano, macro or all\n",
					suite);
				return 1;
			}
		} else if (!strcmp(opt, "--runs") && has_value) {
			uint32_t v;
			if (parse_count(opt, argv[++i], &v) < 0 || v > MACRO_MAX_RUNS) {
				fprintf(stderr, "softvt bench: --runs: from 1 to %d\n", MACRO_MAX_RUNS);
				return 1;
			}
			o.runs = v;
		} else if (!strcmp(opt, "--forks") && has_value) {
			if (parse_count(opt, argv[++i], &o.count[MB_FORKWAIT]) < 0)
				return 1;
		} else if (!strcmp(opt, "--cpu-loop") && has_value) {
			if (parse_count(opt, argv[++i], &o.count[MB_CPU_LOOP]) < 0)
				return 1;
		} else if (!strcmp(opt, "--getpid") && has_value) {
			if (parse_count(opt, argv[++i], &o.count[MB_GETPID]) < 0)
				return 1;
		} else if (!strcmp(opt, "--pgfault") && has_value) {
			if (parse_count(opt, argv[++i], &o.count[MB_PGFAULT]) < 0)
				return 1;
		} else if (!strcmp(opt, "--models") && has_value) {
			models = argv[++i];
		} else if (!strcmp(opt, "--out") && has_value) {
			o.outdir = argv[++i];
		} else if (!strcmp(opt, "--guests") && has_value) {
			guests = argv[++i];   /* the nanobenchmarks' */
		} else {
			fprintf(stderr, "softvt bench: unknown option or missing value: %s\n%s", opt,
				macro_usage);
			return 1;
		}
	}
	struct macro_result *res = calloc(macro_nmodels, sizeof(*res));
	if (!res)
		return 1;
	for (unsigned m = 0; m < macro_nmodels; m++)
		res[m].selected = !macro_models[m].optional;
	if (models) {
		for (unsigned m = 0; m < macro_nmodels; m++)
			res[m].selected = false;
		if (select_models(models, res) < 0) {
			free(res);
			return 1;
		}
	}
	int rc = 0;
	if (!strcmp(suite, "all")) {
		/* the nanobenchmarks first, with the options they know */
		char runs[16];
		char *nargv[8] = { "bench" };
		int n = 1;
		if (o.runs) {
			snprintf(runs, sizeof(runs), "%u", o.runs);
			nargv[n++] = "--runs";
			nargv[n++] = runs;
		}
		nargv[n++] = "--out";
		nargv[n++] = (char *)o.outdir;
		if (guests) {
			nargv[n++] = "--guests";
			nargv[n++] = (char *)guests;
		}
		nargv[n] = NULL;
		rc = bench_main(n, nargv);
		printf("\n");
	}
	struct macro_env env;
	bool guest_models = false;
	for (unsigned m = 0; m < macro_nmodels; m++)
		if (res[m].selected && macro_models[m].kind != MACRO_NATIVE)
			guest_models = true;
	if (find_env(&env) < 0 || (guest_models && check_guest(&env) < 0)) {
		free(res);
		return 1;
	}
	if (mkdir(o.outdir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "softvt bench: cannot create %s: %s\n", o.outdir, strerror(errno));
		free(res);
		return 1;
	}
	double total = 0;
	for (unsigned m = 0; m < macro_nmodels; m++) {
		double s = run_seconds(&macro_models[m], &o);
		if (res[m].selected)
			total += s * (o.runs ? o.runs : s > SLOW_RUN_S ? 1 : 3);
	}
	char d[32];
	say_duration(d, sizeof(d), total);
	char pf[32] = "";
	if (o.count[MB_PGFAULT])
		snprintf(pf, sizeof(pf), ", pgfault %u", o.count[MB_PGFAULT]);
	fprintf(stderr, "softvt bench: macro: %u fork+wait, cpu_loop %u, getpid %u%s; ~%s expected "
			"in all on a quiet machine (the figures of docs/BENCHMARKS.md)\n",
		o.count[MB_FORKWAIT], o.count[MB_CPU_LOOP], o.count[MB_GETPID], pf, d);
	for (unsigned m = 0; m < macro_nmodels; m++)
		if (res[m].selected)
			run_model(&env, &macro_models[m], &o, &res[m]);
	check_checksums(&env, &o, res);
	macro_vtx_price(res);
	macro_write_md(stdout, res, &o);
	if (write_file(o.outdir, "macro.md", res, &o, macro_write_md) < 0 ||
	    write_file(o.outdir, "macro.json", res, &o, macro_write_json) < 0)
		rc = 1;
	char why[256];
	if (macro_write_chart(o.outdir, res, &o, why, sizeof(why)) < 0)
		fprintf(stderr, "softvt bench: no chart: %s\n", why);
	else
		fprintf(stderr, "softvt bench: wrote %s/macro.md, macro.json, macro.png\n", o.outdir);
	free(res);
	return rc;
}
