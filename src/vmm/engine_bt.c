/*
 * engine_bt.c - engine "bt": the machine's side of the binary translator
 * (bt/bt.h). Like engine_interp.c it connects the bus to the machine and
 * maps exits; the translator, the guest window and the interpreter it falls
 * back to live in bt/, mmu/ and cpu/.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bt/bt.h"
#include "direct/direct.h"
#include "vmm/engine.h"
#include "vmm/engine_bus.h"
#include "vmm/hostio.h"
#include "vmm/machine.h"
#include "vmm/stats_bt.h"

struct engine {
	struct machine *m;
	struct bt *bt;
};

#define CPUID_SEP (1u << 11)

static bool host_is_intel(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	return b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;   /* GenuineIntel */
}

static int bt_engine_probe(char *why, size_t whylen)
{
	return bt_probe(why, whylen);
}

static struct engine *create(struct machine *m, enum bt_user_mode user, char *err,
			     size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->m = m;
	if (user == BT_USER_DIRECT || user == BT_USER_NAIVE) {
		/*
		 * User code running natively sees the host's CPUID, SSE and AVX
		 * (no CPUID faulting for a user process): the guest kernel is told
		 * about that state too, so that it saves and restores it at its
		 * context switches (cpu_model_add_host_simd, docs/CPU_MODEL.md).
		 */
		cpu_model_add_host_simd(&m->model);
	}
	struct cpu_bus bus = engine_cpu_bus(m);
	e->bt = bt_create(&m->cpu, &bus, m->cfg.tc_size, user, err, errlen);
	if (!e->bt) {
		free(e);
		return NULL;
	}
	if (user == BT_USER_DIRECT || user == BT_USER_NAIVE) {
		/*
		 * RDTSC executed natively by guest code reads the host's TSC (no TSC
		 * scaling or offsetting for a user process), so the guest's TSC is the
		 * host's everywhere: the guest kernel calibrates the host's rate
		 * against its PIT, and its vDSO clock then agrees with it.
		 */
		m->tsc_host = true;
	}
	if ((user == BT_USER_DIRECT || user == BT_USER_NAIVE) && host_is_intel()) {
		/*
		 * SYSENTER from compat mode enters an Intel host's kernel, which
		 * rewrites the return address before seccomp traps it: the guest's
		 * EIP is lost (docs/DIRECT.md). Without SEP the guest kernel gives
		 * its user code INT 0x80, which comes back with EIP known. On AMD
		 * SYSENTER is #UD in compat mode and the interpreter runs it.
		 */
		m->model.edx_features &= ~CPUID_SEP;
	}
	if (m->cfg.show_translation)
		bt_set_show(e->bt, m->io ? m->io->log : stderr, m->cfg.show_all, m->cfg.show_eip);
	if (m->cfg.lockstep)
		bt_set_lockstep(e->bt, vclock_now(&m->clock) + (uint64_t)(m->cfg.lockstep_delay_s * 1e9),
				m->cfg.lockstep_after_paging);
	return e;
}

static struct engine *bt_engine_create(struct machine *m, char *err, size_t errlen)
{
	return create(m, m->cfg.user_direct ? BT_USER_DIRECT :
			 m->cfg.user_bt ? BT_USER_BT : BT_USER_INTERP, err, errlen);
}

/*
 * Engine "naive": the teaching model of pure ring deprivileging. Guest
 * kernel code runs directly at host ring 3 like user code (no translation):
 * privileged instructions trap and the interpreter emulates them, the
 * critical ones (PUSHF, POPF, SGDT, SIDT, SLDT, SMSW, STR, LAR, LSL, VERR,
 * VERW, MOV from segment registers) run natively and give wrong answers.
 */
static int naive_engine_probe(char *why, size_t whylen)
{
	if (bt_probe(why, whylen) < 0 || direct_probe(why, whylen) < 0)
		return -1;
	if (whylen)
		why[0] = '\0';
	return 0;
}

static struct engine *naive_engine_create(struct machine *m, char *err, size_t errlen)
{
	fprintf(stderr,
		"softvt: --accel naive: guest kernel code runs directly at host ring 3 (pure ring\n"
		"softvt: deprivileging, trap-and-emulate, no translation). Privileged instructions\n"
		"softvt: trap and are emulated; the critical ones (PUSHF, POPF, SGDT, SIDT, SLDT,\n"
		"softvt: SMSW, STR, LAR, LSL, VERR, VERW, MOV from segment registers) do not trap and\n"
		"softvt: give wrong answers. It exists to show why binary translation is needed\n"
		"softvt: (docs/DEMOS.md); real guests go wrong under it.\n");
	return create(m, BT_USER_NAIVE, err, errlen);
}

static void bt_engine_destroy(struct engine *e)
{
	bt_destroy(e->bt);
	free(e);
}

static enum engine_exit bt_engine_run(struct engine *e, uint64_t deadline_ns)
{
	return engine_exit_of(e->m, bt_run(e->bt, deadline_ns, engine_clock_now, e->m), "bt",
			      bt_vcpu(e->bt)->error);
}

static void bt_engine_reset(struct engine *e)
{
	bt_reset(e->bt);
}

static void bt_engine_kick(struct engine *e)
{
	bt_kick(e->bt);
}

/* struct bt_stats is large (per-mnemonic counters): on the heap, not the stack */
static void bt_engine_stats(struct engine *e, double seconds, void *file)
{
	struct bt_stats *s = malloc(sizeof(*s));
	if (!s)
		return;
	bt_get_stats(e->bt, s);
	bt_stats_print(s, seconds, file);
	free(s);
}

static void bt_engine_stats_json(struct engine *e, double seconds, struct json *j)
{
	struct bt_stats *s = malloc(sizeof(*s));
	if (!s)
		return;
	bt_get_stats(e->bt, s);
	bt_stats_json(s, seconds, j);
	free(s);
}

const struct engine_ops engine_naive = {
	.name = "naive",
	.summary = "teaching model: guest kernel code too runs directly at host ring 3, "
		   "trap-and-emulate (wrong by design)",
	.probe = naive_engine_probe,
	.create = naive_engine_create,
	.destroy = bt_engine_destroy,
	.run = bt_engine_run,
	.reset = bt_engine_reset,
	.kick = bt_engine_kick,
	.stats = bt_engine_stats,
	.stats_json = bt_engine_stats_json,
};

const struct engine_ops engine_bt = {
	.name = "bt",
	.summary = "binary translation of guest kernel code, shadow paging; user code run natively "
		   "(--user direct, the default with the jail), translated or interpreted",
	.probe = bt_engine_probe,
	.create = bt_engine_create,
	.destroy = bt_engine_destroy,
	.run = bt_engine_run,
	.reset = bt_engine_reset,
	.kick = bt_engine_kick,
	.stats = bt_engine_stats,
	.stats_json = bt_engine_stats_json,
};
