/*
 * engine_kvm.c - engine "kvm": the machine's side of the KVM VM (kvm/kvm_vm.h).
 * Like engine_bt.c it connects the bus (physical map, ports, PIC, requests)
 * to the machine and maps exits; the KVM work is in src/kvm.
 *
 * The probe is kvm_probe_32bit(), the same one `softvt info`, the tests and
 * `softvt bench` use. SOFTVT_KVM_FORCE=1 in the environment skips it, for
 * development on hosts whose /dev/kvm fails the probe (kvm_pvm: guests that
 * never enable paging may still run there). It is a development switch only:
 * no test sets it (docs/KVM.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_probe.h"
#include "kvm/kvm_vm.h"
#include "vmm/engine.h"
#include "vmm/engine_bus.h"
#include "vmm/hostio.h"
#include "vmm/machine.h"
#include "vmm/stats_kvm.h"

struct engine {
	struct machine *m;
	struct kvm_vm *vm;
};

static bool forced(void)
{
	const char *f = getenv("SOFTVT_KVM_FORCE");
	return f && strcmp(f, "1") == 0;
}

static int kvm_engine_probe(char *why, size_t whylen)
{
	if (forced()) {
		snprintf(why, whylen, "probe skipped (SOFTVT_KVM_FORCE=1, development only)");
		return 0;
	}
	if (kvm_probe_32bit(why, whylen) < 0)
		return -1;
	if (whylen)
		why[0] = '\0';
	return 0;
}

static struct engine *kvm_engine_create(struct machine *m, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->m = m;
	if (forced())
		fprintf(m->io ? m->io->log : stderr,
			"softvt: SOFTVT_KVM_FORCE=1: engine kvm runs without its probe "
			"(development only)\n");
	struct cpu_bus bus = engine_cpu_bus(m);
	e->vm = kvm_vm_create(&m->cpu, &bus, &m->model, err, errlen);
	if (!e->vm) {
		free(e);
		return NULL;
	}
	/* RDTSC runs on the CPU: the guest's TSC is the host's plus KVM's offset */
	m->tsc_host = true;
	return e;
}

static void kvm_engine_destroy(struct engine *e)
{
	kvm_vm_destroy(e->vm);
	free(e);
}

static enum engine_exit kvm_engine_run(struct engine *e, uint64_t deadline_ns)
{
	struct machine *m = e->m;
	switch (kvm_vm_run(e->vm, deadline_ns, engine_clock_now, m)) {
	case INTERP_DEADLINE:
		return ENGINE_DEADLINE;
	case INTERP_HALT:
		return ENGINE_HALT;
	case INTERP_SHUTDOWN:
		snprintf(m->error, sizeof(m->error), "%s", kvm_vm_error(e->vm));
		return ENGINE_SHUTDOWN;   /* the run loop prints the CPU state */
	case INTERP_ERROR:
		break;
	}
	FILE *log = m->io ? m->io->log : stderr;
	fprintf(log, "softvt: kvm: %s; CPU state:\n", kvm_vm_error(e->vm));
	cpu_state_dump(&m->cpu, log);
	machine_fail(m, "kvm: %s (CPU state above)", kvm_vm_error(e->vm));
	return ENGINE_ERROR;
}

static void kvm_engine_reset(struct engine *e)
{
	kvm_vm_reset(e->vm);
}

static void kvm_engine_kick(struct engine *e)
{
	kvm_vm_kick(e->vm);
}

static void kvm_engine_jail_fds(struct engine *e, int fds[2])
{
	kvm_vm_fds(e->vm, fds);
}

static void kvm_engine_stats(struct engine *e, double seconds, void *file)
{
	struct kvm_vm_stats s;
	kvm_vm_get_stats(e->vm, &s);
	kvm_stats_print(&s, seconds, file);
}

static void kvm_engine_stats_json(struct engine *e, double seconds, struct json *j)
{
	struct kvm_vm_stats s;
	kvm_vm_get_stats(e->vm, &s);
	kvm_stats_json(&s, seconds, j);
}

const struct engine_ops engine_kvm = {
	.name = "kvm",
	.summary = "hardware-assisted (VT-x/AMD-V) through /dev/kvm, the same devices in user space",
	.probe = kvm_engine_probe,
	.create = kvm_engine_create,
	.destroy = kvm_engine_destroy,
	.run = kvm_engine_run,
	.reset = kvm_engine_reset,
	.kick = kvm_engine_kick,
	.jail_kvm_fds = kvm_engine_jail_fds,
	.stats = kvm_engine_stats,
	.stats_json = kvm_engine_stats_json,
};
