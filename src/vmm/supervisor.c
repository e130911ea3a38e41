/*
 * supervisor.c - the main thread while the guest runs.
 *
 * The main thread owns the host side of every guest-visible I/O: the
 * terminal (or COM1's output file), stdin, the debug console's output and
 * stderr. Each turn it empties the three output rings into their fds,
 * moves console input into the serial_in ring (Ctrl-A handling stays in
 * console.c), and sleeps in ppoll() on stdin. HOSTIO_WAKE_SIGNAL, blocked
 * in this thread except inside ppoll(), ends the sleep when the vCPU
 * thread has output or stopped (hostio.c); a 100 ms timeout bounds the
 * cases without a wake-up (input ring full, a vCPU thread that died).
 *
 * Input: after queueing bytes the supervisor sets REQ_DEVICE, ends the
 * vCPU thread's HLT wait (futex) and, for engines with a kick(), sends
 * HOSTIO_KICK_SIGNAL to the vCPU thread, whose handler calls kick() there.
 */
#define _GNU_SOURCE
#include "vmm/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jail/jail.h"
#include "vmm/console.h"

#define SLEEP_NS (100 * 1000 * 1000l)

void supervisor_poke(struct hostio *io, bool kick)
{
	hostio_wake_vcpu(io);
	pid_t tid = __atomic_load_n(&io->vcpu_tid, __ATOMIC_ACQUIRE);
	if (kick && tid)
		syscall(SYS_tgkill, io->pid, tid, HOSTIO_KICK_SIGNAL);
}

/* Empties the output rings; true if anything moved. */
static bool drain(struct machine *m, struct hostio *io)
{
	uint8_t buf[4096];
	bool moved = false;
	size_t n;
	while ((n = ring_pop(&io->serial_out, buf, sizeof(buf))) > 0) {
		moved = true;
		if (m->console)
			console_write_buf(m->console, buf, n);
	}
	while ((n = ring_pop(&io->debugcon_out, buf, sizeof(buf))) > 0) {
		moved = true;
		if (m->debugcon_out)
			fwrite(buf, 1, n, m->debugcon_out);
	}
	if (moved && m->debugcon_out)
		fflush(m->debugcon_out);
	while ((n = ring_pop(&io->log_out, buf, sizeof(buf))) > 0) {
		moved = true;
		fwrite(buf, 1, n, stderr);
	}
	return moved;
}

static void take_input(struct machine *m, struct hostio *io, struct supervisor_vcpu *v)
{
	uint8_t buf[256];
	size_t space = ring_free(&io->serial_in);
	if (space > sizeof(buf))
		space = sizeof(buf);
	bool quit = false;
	size_t n = console_read(m->console, buf, space, &quit);
	if (n)
		ring_push(&io->serial_in, buf, n);
	if (quit)
		__atomic_store_n(&io->quit, 1, __ATOMIC_RELEASE);
	if (n || quit) {
		__atomic_or_fetch(&m->requests, REQ_DEVICE | (quit ? REQ_STOP : 0), __ATOMIC_SEQ_CST);
		supervisor_poke(io, v->kick);
	}
}

static bool vcpu_stopped(struct hostio *io, struct supervisor_vcpu *v)
{
	uint32_t s = __atomic_load_n(&io->state, __ATOMIC_ACQUIRE);
	struct jail_violation jv;
	if (s == HOSTIO_DONE || s == HOSTIO_FAILED || jail_vcpu_violation(&jv))
		return true;
	if (!v->joined && pthread_tryjoin_np(v->thread, NULL) == 0)
		v->joined = true;
	return v->joined;
}

void supervisor_run(struct machine *m, struct hostio *io, struct supervisor_vcpu *v)
{
	sigset_t during_sleep;
	pthread_sigmask(SIG_SETMASK, NULL, &during_sleep);
	sigdelset(&during_sleep, HOSTIO_WAKE_SIGNAL);
	/* input already waiting (a pipe) is queued before the guest's first device poll */
	if (m->console && console_fd(m->console) >= 0)
		take_input(m, io, v);
	hostio_set_primed(io);
	for (;;) {
		drain(m, io);
		if (vcpu_stopped(io, v))
			break;
		__atomic_store_n(&io->main_asleep, 1, __ATOMIC_SEQ_CST);
		if (hostio_pending_output(io)) {
			__atomic_store_n(&io->main_asleep, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		int in_fd = m->console ? console_fd(m->console) : -1;
		struct pollfd pfd = { .fd = in_fd, .events = POLLIN };
		bool want_input = in_fd >= 0 && ring_free(&io->serial_in) > 0;
		struct timespec ts = { 0, SLEEP_NS };
		int r = ppoll(&pfd, want_input ? 1 : 0, &ts, &during_sleep);
		__atomic_store_n(&io->main_asleep, 0, __ATOMIC_SEQ_CST);
		if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			take_input(m, io, v);
	}
	while (drain(m, io))
		;
}
