/*
 * engine.h - the boundary between the machine and an execution engine.
 *
 * An engine executes guest instructions; everything else (RAM, devices,
 * interrupt controller, timers, console) belongs to the machine and is the
 * same for every engine. interp (cpu/), bt (bt/ + direct/) and kvm (kvm/)
 * each provide one `struct engine_ops`, listed in vmm/engines.c.
 *
 * Contract of run():
 *  - import machine->cpu on entry, export it before returning;
 *  - return at the latest when vclock_now() passes deadline_ns, or soon
 *    after REQ_STOP or REQ_DEVICE is set in machine->requests (engines poll
 *    it at block or instruction boundaries; kick() may be called from a
 *    signal handler to make a blocked engine look); REQ_INTR means the PIC
 *    raised INTR: the engine clears it and checks machine_intr_pending();
 *  - memory and port accesses go through machine->phys and machine->ports;
 *  - when the guest can take an external interrupt (IF=1, no interrupt
 *    shadow) and machine_intr_pending() is true, deliver vector
 *    machine_intr_ack() through the guest IDT;
 *  - HLT with nothing pending returns ENGINE_HALT with cpu.halted set; the
 *    main loop sleeps until the next timer or input and runs again.
 */
#ifndef SOFTVT_VMM_ENGINE_H
#define SOFTVT_VMM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct machine;
struct engine;
struct json;

enum engine_exit {
	ENGINE_DEADLINE,   /* deadline reached or a request is pending: service devices */
	ENGINE_HALT,       /* guest executed HLT and waits for an interrupt */
	ENGINE_SHUTDOWN,   /* triple fault / shutdown cycle: machine->error says why */
	ENGINE_ERROR,      /* unsupported instruction or internal error: machine->error */
};

struct engine_ops {
	const char *name;
	const char *summary;   /* one line for --help and `softvt info` */
	/* 0 if this engine can run on this host; else -1 and why. */
	int (*probe)(char *why, size_t whylen);
	struct engine *(*create)(struct machine *m, char *err, size_t errlen);
	void (*destroy)(struct engine *e);
	enum engine_exit (*run)(struct engine *e, uint64_t deadline_ns);
	/* optional: forget everything learnt about the guest after machine_reset() (a
	   reboot), in place; without it the run loop destroys and creates the engine */
	void (*reset)(struct engine *e);
	void (*kick)(struct engine *e);   /* optional; async-signal-safe */
	/* optional: the fds whose ioctls the jail must allow after set-up: engine kvm's
	   VM and vCPU, fds[0] and fds[1] (jail/jail.h) */
	void (*jail_kvm_fds)(struct engine *e, int fds[2]);
	/* optional: engine statistics for --stats ("softvt: stats: " lines), given the run time */
	void (*stats)(struct engine *e, double seconds, void *file /* FILE * */);
	/* optional: the same as members of the --stats-json object (its "<name>" object) */
	void (*stats_json)(struct engine *e, double seconds, struct json *j);
	/* optional: keep the counters as they are now (SIGUSR1), for stats_json's "marks" */
	void (*stats_mark)(struct engine *e);
};

/* Engines compiled into this binary, in order of preference for --accel auto. */
extern const struct engine_ops *const softvt_engines[];
extern const size_t softvt_engine_count;

/* Engine names the CLI knows, built or not ("interp", "bt", "kvm"). */
extern const char *const softvt_engine_names[];
const struct engine_ops *engine_find(const char *name);

#endif
