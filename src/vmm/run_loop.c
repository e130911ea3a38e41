/*
 * run_loop.c - the main loop: run an engine, service devices and timers,
 * stop cleanly.
 *
 * One thread. Each turn: poll the devices (timers fire, console input is
 * fed to COM1), then let the engine run until the next device deadline.
 * When the guest halts, sleep in ppoll() on the console until the next
 * deadline or input. The loop ends when the machine stops: power-off, the
 * test exit port, a reset request, a triple fault, an engine error,
 * --timeout, SIGINT/SIGTERM/SIGHUP, or the console's quit key. A reset
 * request of a disk boot (no --kernel) does not end it: the engine is
 * destroyed, machine_reset() puts the CPU back at F000:FFF0, a new engine
 * is created, and the BIOS boots the disk again.
 *
 * Exit codes (also in README.md and `softvt run --help`): 0 power-off/quit/halt, the guest's
 * value for the exit port, 1 error, 2 triple fault, 124 timeout, 128+N
 * for signal N.
 *
 * --stats prints "softvt: stats:" lines on stderr when the machine stops;
 * --stats-json writes the same numbers as one JSON object: the loop's own
 * (run time, why it stopped, unclaimed ports) and the engine's, under its
 * name. The file is opened before the guest starts, so a bad path fails
 * at once.
 */
#define _GNU_SOURCE
#include "vmm/run_loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "direct/direct.h"
#include "vmm/console.h"
#include "vmm/json.h"

/* Longest sleep/run slice, so signals and console input are seen promptly. */
#define MAX_SLICE_NS (50 * 1000 * 1000ull)

/*
 * Signal handlers need to find the running machine and engine: one per
 * process, so process-wide pointers are the honest representation.
 */
static struct machine *signal_machine;
static struct engine *signal_engine;
static const struct engine_ops *signal_ops;
static volatile sig_atomic_t signal_number;

static void on_stop_signal(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	signal_number = sig;
	if (signal_machine)
		signal_machine->requests |= REQ_STOP;
	if (signal_ops && signal_ops->kick && signal_engine)
		signal_ops->kick(signal_engine);
}

/*
 * Behind src/direct's FS-restoring entry (with SA_ONSTACK): under engine bt
 * the signal may interrupt translated code (rsp is the guest's) or guest
 * user code running directly (FS may hold a guest base).
 */
static void install_signals(bool on)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (on) {
			direct_sigaction(sigs[i], on_stop_signal, 0, NULL);
		} else {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_DFL;
			sigaction(sigs[i], &sa, NULL);
		}
	}
}

static void wait_for_event(struct machine *m, uint64_t until_ns)
{
	uint64_t now = vclock_now(&m->clock);
	if (until_ns <= now)
		return;
	uint64_t ns = until_ns - now;
	struct timespec ts = { (time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC) };
	struct pollfd pfd = { .fd = m->console ? console_fd(m->console) : -1, .events = POLLIN };
	ppoll(&pfd, pfd.fd >= 0 ? 1 : 0, &ts, NULL);
}

static const char *stop_name(enum stop_reason r)
{
	static const char *const names[] = {
		[STOP_NONE] = "none", [STOP_POWER_OFF] = "power_off", [STOP_EXIT_PORT] = "exit_port",
		[STOP_RESET] = "reset", [STOP_SHUTDOWN] = "shutdown", [STOP_TIMEOUT] = "timeout",
		[STOP_SIGNAL] = "signal", [STOP_USER_QUIT] = "user_quit", [STOP_HALTED] = "halted",
		[STOP_ERROR] = "error",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "?";
}

static void write_stats_json(struct machine *m, const struct engine_ops *ops, struct engine *e,
			     double seconds, FILE *f)
{
	struct json j;
	json_begin(&j, f);
	json_u64(&j, "version", 1);
	json_string(&j, "engine", ops->name);
	json_double(&j, "run_seconds", seconds);
	json_string(&j, "stop", stop_name(m->stop));
	json_u64(&j, "exit_code", (uint64_t)(unsigned)m->exit_code);
	json_u64(&j, "unclaimed_port_accesses", m->ports.unclaimed_accesses);
	if (ops->stats_json) {
		json_object(&j, ops->name);
		ops->stats_json(e, seconds, &j);
		json_close(&j);
	}
	json_end(&j);
}

static void report_stop(struct machine *m, uint64_t elapsed_ns)
{
	switch (m->stop) {
	case STOP_ERROR:
		fprintf(stderr, "softvt: error: %s\n", m->error);
		break;
	case STOP_SHUTDOWN:
		fprintf(stderr, "softvt: guest triple-faulted (shutdown)%s%s; CPU state:\n",
			m->error[0] ? ": " : "", m->error);
		cpu_state_dump(&m->cpu, stderr);
		break;
	case STOP_TIMEOUT:
		fprintf(stderr, "softvt: timeout: stopped the guest after %.1f s (--timeout)\n",
			m->cfg.timeout_s);
		break;
	case STOP_SIGNAL:
		fprintf(stderr, "softvt: stopped by signal %d (%s)\n", (int)signal_number,
			strsignal((int)signal_number));
		break;
	case STOP_RESET:
		fprintf(stderr, "softvt: guest requested a reset; stopping (a kernel loaded with --kernel cannot reboot: only a --disk boot through the BIOS restarts)\n");
		break;
	case STOP_HALTED:
		fprintf(stderr, "softvt: guest halted the CPU with interrupts disabled; stopping\n");
		break;
	case STOP_POWER_OFF:
	case STOP_EXIT_PORT:
	case STOP_USER_QUIT:
	case STOP_NONE:
		break;
	}
	if (m->cfg.stats)
		fprintf(stderr, "softvt: stats: %-14s %.3f s, unclaimed port accesses %llu\n", "ran",
			(double)elapsed_ns / NS_PER_SEC,
			(unsigned long long)m->ports.unclaimed_accesses);
}

int run_loop(struct machine *m, const struct engine_ops *ops)
{
	char err[512] = "";
	FILE *json = NULL;
	if (m->cfg.stats_json) {
		json = strcmp(m->cfg.stats_json, "-") == 0 ? stdout : fopen(m->cfg.stats_json, "w");
		if (!json) {
			fprintf(stderr, "softvt: --stats-json: cannot write %s: %s\n", m->cfg.stats_json,
				strerror(errno));
			return 1;
		}
	}
	struct engine *e = ops->create(m, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "softvt: cannot start engine %s: %s\n", ops->name, err);
		if (json && json != stdout)
			fclose(json);
		return 1;
	}
	signal_machine = m;
	signal_engine = e;
	signal_ops = ops;
	install_signals(true);

	uint64_t start = vclock_now(&m->clock);
	uint64_t timeout_at = m->cfg.timeout_s > 0
				      ? start + (uint64_t)(m->cfg.timeout_s * NS_PER_SEC)
				      : VCLOCK_NEVER;
restart:
	while (m->stop == STOP_NONE) {
		if (signal_number) {
			machine_stop(m, STOP_SIGNAL, 128 + signal_number);
			break;
		}
		uint64_t now = vclock_now(&m->clock);
		if (now >= timeout_at) {
			machine_stop(m, STOP_TIMEOUT, 124);
			break;
		}
		uint64_t deadline = machine_poll_devices(m, now);
		if (m->stop != STOP_NONE)
			break;
		if (deadline > now + MAX_SLICE_NS)
			deadline = now + MAX_SLICE_NS;
		if (deadline > timeout_at)
			deadline = timeout_at;

		if (m->cpu.halted && !machine_intr_pending(m)) {
			if (!(m->cpu.eflags & EFL_IF)) {
				machine_stop(m, STOP_HALTED, 0);
				break;
			}
			wait_for_event(m, deadline);
			continue;
		}
		switch (ops->run(e, deadline)) {
		case ENGINE_DEADLINE:
		case ENGINE_HALT:
			break;
		case ENGINE_SHUTDOWN:
			machine_stop(m, STOP_SHUTDOWN, 2);
			break;
		case ENGINE_ERROR:
			if (m->stop == STOP_NONE)
				machine_fail(m, "engine %s stopped without a reason", ops->name);
			break;
		}
	}
	if (m->stop == STOP_RESET && machine_firmware_boot(m)) {
		/* A reset with the BIOS in charge: the CPU restarts at F000:FFF0 on a fresh engine. */
		signal_engine = NULL;
		ops->destroy(e);
		machine_reset(m);
		e = ops->create(m, err, sizeof(err));
		if (!e) {
			fprintf(stderr, "softvt: cannot restart engine %s after the guest's reset: %s\n",
				ops->name, err);
			install_signals(false);
			signal_machine = NULL;
			signal_ops = NULL;
			if (json && json != stdout)
				fclose(json);
			return 1;
		}
		signal_engine = e;
		goto restart;
	}
	install_signals(false);
	signal_machine = NULL;
	signal_engine = NULL;
	signal_ops = NULL;
	uint64_t elapsed = vclock_now(&m->clock) - start;
	report_stop(m, elapsed);
	if (m->cfg.stats && ops->stats)
		ops->stats(e, (double)elapsed / NS_PER_SEC, stderr);
	if (json) {
		write_stats_json(m, ops, e, (double)elapsed / NS_PER_SEC, json);
		if ((json == stdout ? fflush(json) : fclose(json)) != 0) {
			fprintf(stderr, "softvt: --stats-json: cannot write %s: %s\n", m->cfg.stats_json,
				strerror(errno));
			if (m->exit_code == 0)
				m->exit_code = 1;
		}
	}
	ops->destroy(e);
	if (machine_dump_vga(m, err, sizeof(err)) < 0) {
		fprintf(stderr, "softvt: %s\n", err);
		if (m->exit_code == 0)
			m->exit_code = 1;
	}
	return m->exit_code;
}
