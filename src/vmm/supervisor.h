/*
 * supervisor.h - the main thread while the guest runs: the I/O supervisor
 * (see supervisor.c and hostio.h).
 */
#ifndef SOFTVT_VMM_SUPERVISOR_H
#define SOFTVT_VMM_SUPERVISOR_H

#include <pthread.h>
#include <stdbool.h>

#include "vmm/hostio.h"
#include "vmm/machine.h"

/* What the vCPU thread is to the supervisor. */
struct supervisor_vcpu {
	pthread_t thread;
	bool joined;            /* the supervisor found it ended and joined it */
	bool kick;              /* the engine has a kick(): signal the thread on input */
};

/*
 * Moves output and input between the host and the vCPU thread until that
 * thread has stopped (its state DONE or FAILED, or it ended: the jail
 * stopped it), then drains what is left. Returns when there is nothing
 * more to move.
 */
void supervisor_run(struct machine *m, struct hostio *io, struct supervisor_vcpu *v);
/* Makes the vCPU thread look at machine->requests soon (async-signal-safe). */
void supervisor_poke(struct hostio *io, bool kick);

#endif
