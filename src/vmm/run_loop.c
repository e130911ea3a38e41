/*
 * run_loop.c - the main loop: run an engine, service devices and timers,
 * stop cleanly.
 *
 * Two threads (docs/SECURITY.md). The vCPU thread creates the engine (its
 * signal stack, timer and signal handlers belong to that thread), installs
 * its jail (--jail on) and runs the loop below; the main thread is the I/O
 * supervisor (supervisor.c): after the vCPU thread is set up it installs
 * its own jail, moves console and log bytes until the machine stops, then
 * prints the stop report and the statistics and returns the exit code.
 *
 * The vCPU loop, each turn: poll the devices (timers fire, console input
 * from the main thread is fed to COM1), then let the engine run until the
 * next device deadline. When the guest halts, sleep in a futex wait until
 * the next deadline or until the main thread delivers input or a stop
 * request. The loop ends when the machine stops: power-off, the test exit
 * port, a reset request, a triple fault, an engine error, --timeout,
 * SIGINT/SIGTERM/SIGHUP, or the console's quit key. A reset request of a
 * disk boot (no --kernel) does not end it: machine_reset() puts the CPU back
 * at F000:FFF0, the engine forgets the guest (restart_engine()), and the
 * BIOS boots the disk again.
 *
 * SIGUSR1 asks for a stats mark: the engine's counters at that moment are
 * kept and reported by --stats-json (engine_ops.stats_mark; the interpreter's
 * VT-x model, for `softvt bench --macro`).
 *
 * Signals: SIGINT/SIGTERM/SIGHUP and HOSTIO_WAKE_SIGNAL are blocked in the
 * vCPU thread and handled by the main thread, which passes a stop request
 * on (machine->requests, a futex wake and HOSTIO_KICK_SIGNAL, whose
 * handler in the vCPU thread calls the engine's kick()). The engine's own
 * timer signals are directed at the vCPU thread (SIGEV_THREAD_ID).
 *
 * Exit codes (also in README.md and `softvt run --help`): 0 power-off/quit/halt, the guest's
 * value for the exit port, 1 error, 2 triple fault, 100 the jail stopped a
 * forbidden host system call, 124 timeout, 128+N for signal N.
 *
 * --stats prints "softvt: stats:" lines on stderr when the machine stops;
 * --stats-json writes the same numbers as one JSON object: the loop's own
 * (run time, why it stopped, unclaimed ports) and the engine's, under its
 * name. The file is opened before the guest starts, so a bad path fails
 * at once (and the jail allows writing it).
 */
#define _GNU_SOURCE
#include "vmm/run_loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "devices/disk_image.h"
#include "direct/direct.h"
#include "jail/jail.h"
#include "vmm/console.h"
#include "vmm/hostio.h"
#include "vmm/json.h"
#include "vmm/supervisor.h"

/* Longest sleep/run slice, so signals and console input are seen promptly. */
#define MAX_SLICE_NS (50 * 1000 * 1000ull)
#define VCPU_STACK_SIZE (8u << 20)

/* One run: what both threads share. */
struct run {
	struct machine *m;
	const struct engine_ops *ops;
	struct hostio *io;
	struct engine *e;          /* created by the vCPU thread */
	struct supervisor_vcpu vcpu;
};

/*
 * Signal handlers need to find the run: one per process, so a process-wide
 * pointer is the honest representation.
 */
static struct run *signal_run;
static volatile sig_atomic_t signal_number;
/* SIGUSR1 received / marks taken: the engine's counters at that moment (stats_mark) */
static volatile sig_atomic_t marks_asked;
static sig_atomic_t marks_taken;

/* Main thread: SIGUSR1, a stats mark (`softvt bench --macro`'s VT-x model). */
static void on_mark_signal(int sig)
{
	(void)sig;
	marks_asked++;
}

/* Main thread: SIGINT, SIGTERM, SIGHUP. */
static void on_stop_signal(int sig)
{
	struct run *r = signal_run;
	signal_number = sig;
	if (!r)
		return;
	__atomic_or_fetch(&r->m->requests, REQ_STOP, __ATOMIC_SEQ_CST);
	supervisor_poke(r->io, r->vcpu.kick);
}

/*
 * vCPU thread: HOSTIO_KICK_SIGNAL from the main thread. Installed behind
 * src/direct's FS-restoring entry: it may interrupt guest user code
 * running directly with a guest FS base loaded.
 */
static void on_kick(int sig, siginfo_t *si, void *uc)
{
	struct run *r = signal_run;
	(void)sig, (void)si, (void)uc;
	if (r && r->e && r->ops->kick)
		r->ops->kick(r->e);
}

/* Main thread: HOSTIO_WAKE_SIGNAL only ends ppoll(). */
static void on_wake(int sig)
{
	(void)sig;
}

/*
 * SIGINT, SIGTERM and SIGHUP are blocked in the vCPU thread, so their
 * handler runs in the main thread: a plain handler (not behind src/direct's
 * FS-restoring entry, whose host FS base is the vCPU thread's). The kick
 * interrupts the vCPU thread, possibly in translated code or in guest user
 * code running directly: behind that entry, on the signal stack.
 */
static void install_signals(bool on)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_stop_signal : SIG_DFL;
	sa.sa_flags = SA_ONSTACK;   /* engine bt: rsp may be the guest's */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	/* late wake-ups and kicks may still be pending afterwards: ignored, not fatal */
	if (on) {
		direct_sigaction(HOSTIO_KICK_SIGNAL, on_kick, 0, NULL);
	} else {
		sa.sa_handler = SIG_IGN;
		sigaction(HOSTIO_KICK_SIGNAL, &sa, NULL);
	}
	sa.sa_handler = on ? on_wake : SIG_IGN;
	sigaction(HOSTIO_WAKE_SIGNAL, &sa, NULL);
	sa.sa_handler = on ? on_mark_signal : SIG_IGN;
	sigaction(SIGUSR1, &sa, NULL);
}

static void wait_for_event(struct machine *m, uint32_t seq, uint64_t until_ns)
{
	uint64_t now = vclock_now(&m->clock);
	if (until_ns <= now)
		return;
	hostio_vcpu_wait(m->io, seq, until_ns - now);
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

/*
 * After a guest reset of a firmware boot: the engine must forget what it
 * learnt about the guest. Engines with reset() do it in place - engine bt
 * could not be created again under the jail (a memfd, a timer, executable
 * mappings); the others are destroyed and created again. 0, or -1 with the
 * machine stopped with an error.
 */
static int restart_engine(struct run *r)
{
	struct machine *m = r->m;
	char err[400];
	if (r->ops->reset) {
		machine_reset(m);
		r->ops->reset(r->e);
		return 0;
	}
	struct engine *old = r->e;
	r->e = NULL;   /* the kick handler must not see it half destroyed */
	r->ops->destroy(old);
	machine_reset(m);
	struct engine *e = r->ops->create(m, err, sizeof(err));
	if (!e) {
		machine_fail(m, "cannot restart engine %s after the guest's reset: %s", r->ops->name,
			     err);
		return -1;
	}
	r->e = e;
	return 0;
}

/* The vCPU thread's part: the machine's life once it is set up. */
static void vcpu_loop(struct run *r)
{
	struct machine *m = r->m;
	const struct engine_ops *ops = r->ops;
	uint64_t start = vclock_now(&m->clock);
	uint64_t timeout_at = m->cfg.timeout_s > 0
				      ? start + (uint64_t)(m->cfg.timeout_s * NS_PER_SEC)
				      : VCLOCK_NEVER;
restart:
	while (m->stop == STOP_NONE) {
		uint32_t seq = __atomic_load_n(&r->io->vcpu_seq, __ATOMIC_SEQ_CST);
		if (signal_number) {
			machine_stop(m, STOP_SIGNAL, 128 + signal_number);
			break;
		}
		if (__atomic_load_n(&r->io->quit, __ATOMIC_ACQUIRE)) {
			machine_stop(m, STOP_USER_QUIT, 0);
			break;
		}
		while (marks_taken < marks_asked) {   /* SIGUSR1: at most one slice late */
			if (ops->stats_mark && r->e)
				ops->stats_mark(r->e);
			marks_taken++;
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
			if (!machine_input_pending(m))
				wait_for_event(m, seq, deadline);
			continue;
		}
		switch (ops->run(r->e, deadline)) {
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
		/* A reset with the BIOS in charge: the CPU restarts at F000:FFF0. */
		if (restart_engine(r) == 0)
			goto restart;
	}
}

static void *vcpu_main(void *arg)
{
	struct run *r = arg;
	struct hostio *io = r->io;
	struct machine *m = r->m;
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, HOSTIO_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	pthread_setname_np(pthread_self(), "softvt-vcpu");   /* ps -L, gdb, /proc: which is which */
	__atomic_store_n(&io->vcpu_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);

	char err[400];
	if (machine_open_display(m, io->error, sizeof(io->error)) < 0) {
		hostio_set_state(io, HOSTIO_FAILED);
		return NULL;
	}
	r->e = r->ops->create(m, err, sizeof(err));
	if (!r->e) {
		snprintf(io->error, sizeof(io->error), "cannot start engine %s: %s", r->ops->name, err);
		machine_close_display(m);
		hostio_set_state(io, HOSTIO_FAILED);
		return NULL;
	}
	if (m->cfg.jail) {
		struct jail_vcpu_config jc = {
			.main_tid = io->main_tid,
			.ram_fd = m->ram.fd,
			.disk_fds = { -1, -1 },
			.tty_fd = m->console ? console_tty_fd(m->console) : -1,
			.wake_signal = HOSTIO_WAKE_SIGNAL,
			.kvm_vcpu_fd = -1,
			.kvm_vm_fd = -1,
		};
		if (r->ops->jail_kvm_fds) {
			int fds[2];
			r->ops->jail_kvm_fds(r->e, fds);
			jc.kvm_vm_fd = fds[0];
			jc.kvm_vcpu_fd = fds[1];
		}
		if (m->disk)
			disk_image_fds(m->disk, jc.disk_fds);
		if (jail_install_vcpu(&jc, io->error, sizeof(io->error)) < 0) {
			machine_close_display(m);
			hostio_set_state(io, HOSTIO_FAILED);
			return NULL;
		}
	}
	hostio_set_state(io, HOSTIO_RUNNING);
	hostio_wait_primed(io);
	vcpu_loop(r);
	machine_close_display(m);
	fflush(io->log);
	hostio_set_state(io, HOSTIO_DONE);
	return NULL;
}

/*
 * The C library allocates a stream's buffer at its first output, after an
 * fstat the jail does not allow: do it now, for every stream the main
 * thread writes. Fully buffered: the supervisor flushes after each batch.
 */
static void prime_stream(FILE *f)
{
	if (f)
		setvbuf(f, NULL, _IOFBF, 0);
}

/* The main thread's jail: its fds are the terminal, stdout/stderr and the files opened. */
static int jail_main(struct run *r, FILE *json, char *err, size_t errlen)
{
	struct machine *m = r->m;
	prime_stream(stdout);
	prime_stream(m->debugcon_out);
	prime_stream(json);
	prime_stream(m->vga_dump_out);
	struct jail_main_config jc = {
		.vcpu_tid = r->io->vcpu_tid,
		.tty_fd = m->console ? console_tty_fd(m->console) : -1,
		.on_violation = console_restore_terminal,
		.disk_fds = { -1, -1 },
	};
	if (m->disk)
		disk_image_fds(m->disk, jc.disk_fds);
	jc.write_fds[jc.nwrite++] = STDOUT_FILENO;
	jc.write_fds[jc.nwrite++] = STDERR_FILENO;
	if (m->console) {
		jc.write_fds[jc.nwrite++] = console_out_fd(m->console);
		if (console_fd(m->console) >= 0)
			jc.read_fds[jc.nread++] = console_fd(m->console);
	}
	if (m->debugcon_out)
		jc.write_fds[jc.nwrite++] = fileno(m->debugcon_out);
	if (json)
		jc.write_fds[jc.nwrite++] = fileno(json);
	if (m->vga_dump_out)
		jc.write_fds[jc.nwrite++] = fileno(m->vga_dump_out);
	return jail_install_main(&jc, err, errlen);
}

/* After the vCPU thread: why it stopped; 0 if the machine stopped normally. */
static int vcpu_outcome(struct run *r)
{
	struct jail_violation jv;
	char msg[256];
	if (jail_vcpu_violation(&jv)) {
		jail_describe(&jv, "vCPU", msg, sizeof(msg));
		fprintf(stderr, "softvt: %s\n", msg);
		return JAIL_EXIT_STATUS;
	}
	switch (__atomic_load_n(&r->io->state, __ATOMIC_ACQUIRE)) {
	case HOSTIO_DONE:
		return 0;
	case HOSTIO_FAILED:
		fprintf(stderr, "softvt: %s\n", r->io->error);
		return 1;
	default:
		fprintf(stderr, "softvt: error: the vCPU thread ended without stopping the machine\n");
		return 1;
	}
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
	struct run r = { .m = m, .ops = ops, .vcpu.kick = ops->kick != NULL };
	if (machine_open_vga_dump(m, err, sizeof(err)) < 0 || !(r.io = hostio_create())) {
		fprintf(stderr, "softvt: %s\n", err[0] ? err : "out of memory");
		if (json && json != stdout)
			fclose(json);
		return 1;
	}
	machine_attach_hostio(m, r.io);
	tzset();   /* the RTC's gmtime_r/timegm would read /etc/localtime at first use */
	signal_run = &r;
	signal_number = 0;
	install_signals(true);

	/* The vCPU thread inherits this mask: stop signals and the wake-up are the main thread's. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, HOSTIO_WAKE_SIGNAL);
	sigaddset(&block, HOSTIO_KICK_SIGNAL);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	uint64_t start = vclock_now(&m->clock);
	/* the stack the whole machine ran on before the split: not glibc's 2 MiB fallback */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
	int rc = pthread_create(&r.vcpu.thread, &attr, vcpu_main, &r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		snprintf(r.io->error, sizeof(r.io->error), "cannot start the vCPU thread: %s",
			 strerror(rc));
		r.io->state = HOSTIO_FAILED;
		r.vcpu.joined = true;
	}
	bool main_jail_failed = false;
	if (hostio_wait_state(r.io, HOSTIO_STARTING) == HOSTIO_RUNNING && m->cfg.jail &&
	    jail_main(&r, json, err, sizeof(err)) < 0) {
		main_jail_failed = true;   /* stop the guest, then report */
		__atomic_store_n(&r.io->quit, 1, __ATOMIC_RELEASE);
		supervisor_poke(r.io, r.vcpu.kick);
	}
	sigdelset(&block, HOSTIO_WAKE_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);

	supervisor_run(m, r.io, &r.vcpu);
	if (!r.vcpu.joined)
		pthread_join(r.vcpu.thread, NULL);
	uint64_t elapsed = vclock_now(&m->clock) - start;
	install_signals(false);
	signal_run = NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	int outcome = vcpu_outcome(&r);
	if (main_jail_failed) {
		fprintf(stderr, "softvt: %s\n", err);
		outcome = 1;
	}
	if (outcome) {
		m->exit_code = outcome;
	} else {
		report_stop(m, elapsed);
	}
	if (r.e && m->cfg.stats && ops->stats)
		ops->stats(r.e, (double)elapsed / NS_PER_SEC, stderr);
	if (json) {
		if (r.e)
			write_stats_json(m, ops, r.e, (double)elapsed / NS_PER_SEC, json);
		if ((json == stdout ? fflush(json) : fclose(json)) != 0) {
			fprintf(stderr, "softvt: --stats-json: cannot write %s: %s\n", m->cfg.stats_json,
				strerror(errno));
			if (m->exit_code == 0)
				m->exit_code = 1;
		}
	}
	/* after a jail stop the engine may be half-way through an update: leave it */
	if (r.e && outcome != JAIL_EXIT_STATUS)
		ops->destroy(r.e);
	if (machine_dump_vga(m, err, sizeof(err)) < 0) {
		fprintf(stderr, "softvt: %s\n", err);
		if (m->exit_code == 0)
			m->exit_code = 1;
	}
	if (m->ports.trace == r.io->log)
		m->ports.trace = stderr;
	m->io = NULL;
	hostio_destroy(r.io);
	return m->exit_code;
}
