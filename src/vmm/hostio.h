/*
 * hostio.h - the link between softvt's two threads.
 *
 * After set-up softvt runs as two threads (docs/SECURITY.md): the vCPU
 * thread runs the guest (engine, devices, the run loop of run_loop.c) and
 * touches no host file; the main thread is the I/O supervisor
 * (supervisor.c): it owns the terminal and the output files and moves bytes
 * between them and the vCPU thread through the rings here.
 *
 *   vCPU -> main: serial_out (COM1 -> console), debugcon_out (port 0xE9 ->
 *                 its file or stdout), log_out (the vCPU thread's messages,
 *                 e.g. --trace-io, -> stderr; `log` is a FILE writing here)
 *   main -> vCPU: serial_in (console input -> COM1), `quit` (Ctrl-A x)
 *
 * Wake-ups without locks: the main thread sleeps in ppoll() with
 * HOSTIO_WAKE_SIGNAL unblocked only there, after announcing main_asleep;
 * the vCPU thread sends it that signal (tgkill) when it has published
 * output and sees the announcement. The vCPU thread sleeps (guest HLT) in
 * a futex wait on vcpu_seq with the next device deadline as timeout; the
 * main thread bumps vcpu_seq and wakes it when it delivers input or a stop
 * request. `state` says whether the vCPU thread is still running.
 */
#ifndef SOFTVT_VMM_HOSTIO_H
#define SOFTVT_VMM_HOSTIO_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vmm/ring.h"

#define HOSTIO_WAKE_SIGNAL (SIGRTMIN + 4)   /* main thread: output is waiting */
#define HOSTIO_KICK_SIGNAL (SIGRTMIN + 5)   /* vCPU thread: look at machine->requests */

#define HOSTIO_OUT_SIZE (64u << 10)
#define HOSTIO_IN_SIZE (4u << 10)

enum hostio_state {
	HOSTIO_STARTING,   /* the vCPU thread is creating its engine */
	HOSTIO_RUNNING,    /* set-up done (jail installed if asked); guest running */
	HOSTIO_FAILED,     /* set-up failed: `error` says why */
	HOSTIO_DONE,       /* the machine stopped; the vCPU thread is ending */
};

struct hostio {
	struct ring serial_out, debugcon_out, log_out, serial_in;
	uint32_t state;          /* enum hostio_state; futex word for the start-up wait */
	uint32_t main_asleep;    /* the main thread is (about to be) in ppoll */
	uint32_t vcpu_seq;       /* futex word of the vCPU thread's HLT wait */
	uint32_t quit;           /* Ctrl-A x seen by the main thread */
	uint32_t input_primed;   /* futex word: the main thread has queued the input there
	                            was at the start (the vCPU thread waits for it) */
	pid_t pid, main_tid, vcpu_tid;
	FILE *log;               /* vCPU thread's message stream (into log_out) */
	char error[512];         /* HOSTIO_FAILED */
	char log_buf[4096];      /* the log stream's stdio buffer */
	uint8_t serial_out_buf[HOSTIO_OUT_SIZE];
	uint8_t debugcon_out_buf[HOSTIO_OUT_SIZE];
	uint8_t log_out_buf[HOSTIO_OUT_SIZE];
	uint8_t serial_in_buf[HOSTIO_IN_SIZE];
};

/* Allocates the link; the calling thread is the main thread. NULL if out of memory. */
struct hostio *hostio_create(void);
void hostio_destroy(struct hostio *io);

/* --- vCPU side --- */
/* Queues output (blocks while the ring is full); wakes the main thread when half full. */
void hostio_put(struct hostio *io, struct ring *r, const void *buf, size_t n);
/* Wakes the main thread if it sleeps and any output is waiting. */
void hostio_flush(struct hostio *io);
/* Sleeps until the main thread bumps vcpu_seq past seq, or timeout_ns. */
void hostio_vcpu_wait(struct hostio *io, uint32_t seq, uint64_t timeout_ns);
void hostio_set_state(struct hostio *io, enum hostio_state s);

/* --- main side --- */
/* Makes the vCPU thread look at its requests: ends its HLT wait. */
void hostio_wake_vcpu(struct hostio *io);
/* Bytes of output waiting in the three vCPU -> main rings. */
uint32_t hostio_pending_output(const struct hostio *io);
/* vCPU side: waits until the main thread has queued the input available at the start. */
void hostio_wait_primed(struct hostio *io);
/* Main side: that input is queued. */
void hostio_set_primed(struct hostio *io);
/* Waits (futex) until the state leaves `from`; returns the new state. */
enum hostio_state hostio_wait_state(struct hostio *io, enum hostio_state from);

#endif
