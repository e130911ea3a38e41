/*
 * dispatch_priv.h - struct bt, shared by the dispatcher (dispatch.c) and
 * its signal side (signals.c); not for other users.
 */
#ifndef SOFTVT_BT_DISPATCH_PRIV_H
#define SOFTVT_BT_DISPATCH_PRIV_H

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bt/bt.h"
#include "bt/ctx.h"
#include "bt/lockstep.h"
#include "direct/direct.h"

struct tc;
struct window;
struct blocks;

struct bt {
	struct vcpu v;              /* the interpreter, on the same cpu_state */
	struct cpu_state *cpu;
	struct bt_ctx *ctx;
	struct tc *tc;
	struct window *win;
	struct blocks *blocks;
	struct bt_stats st;

	struct tb *jc_tb[BT_JC_SIZE];  /* the block of each ctx->jc slot */
	bool jc_global[BT_JC_SIZE];    /* its linear page was mapped global (or paging off) */
	bool jc_cross[BT_JC_SIZE];     /* its block crosses into the next linear page (counted
					  in jc_page_count there too) */
	uint16_t *jc_page_count;       /* per linear page: jump-cache entries in it */
	uint64_t chain_site;        /* exit to chain once the next block is known */
	uint32_t chain_eip;

	/* chains into another page (see dispatch.c): undone all at once */
	struct xchain { uint64_t site, tail; } *xchains;
	size_t nxchains, xchains_cap;
	uint8_t *xchain_pages;      /* bitmap of linear pages such chains lead into */
	bool polled;                /* the last exit was a poll: look at the clock */
	struct lockstep ls;         /* --lockstep */

	/* --show-translation (bt/show.c): blocks printed as they are translated */
	FILE *show;
	bool show_all;
	uint32_t show_eip;

	/* --user bt: translated user code */
	bool user_bt;
	bool window_user;           /* the window holds no supervisor mapping (window_enter_user) */
	unsigned tc_cpl;            /* privilege of the code in the TC now (the fault handler's) */

	/* --user direct (bt/user_direct.c) */
	bool user_direct;
	bool naive;                 /* --accel naive: the guest kernel runs directly too */
	struct direct_cpu *dc;      /* 64-byte aligned (FXSAVE areas) */
	struct direct_ldt ldt;
	uint32_t boundary;          /* segment truncation for user code (0: 4 GiB) */
	uint32_t boundary_cr3;
	bool boundary_known;
	bool host_intel;            /* fast system calls from compat mode are SYSENTER */
	volatile sig_atomic_t in_direct;      /* between deciding to enter and the return */
	volatile sig_atomic_t deadline_fired; /* the timer went off in this bt_run() */
	uint64_t tsc0, ns0;         /* rdtsc and CLOCK_MONOTONIC at creation (the TSC's rate) */

	/* signal side */
	volatile sig_atomic_t in_tc;
	int fault_result;           /* enum window_result of the last TC fault, -1 if none */
	uint32_t fault_page;
	timer_t timer;
	bool have_timer;
	void *altstack;
};

/* dispatch.c: ctx->callout_fn (bt_stub_callout calls it from translated code) */
uint32_t bt_callout(struct bt_ctx *ctx, uint32_t op);

/* segload.c: BT_CO_SEGLOAD (MOV Sreg, r) from bt_callout() */
uint32_t bt_callout_segload(struct bt *bt, struct bt_ctx *ctx, uint32_t op);

/* dispatch.c: one instruction (or event) in the interpreter, counted in *counter */
enum interp_exit bt_step(struct bt *bt, uint64_t *counter);
enum interp_exit bt_step_blocks(struct bt *bt);
/* dispatch.c: a TC page fault's rules apply to this page: drop its translations */
void bt_drop_code_page(struct bt *bt, uint32_t page);

/* user_direct.c */
int bt_direct_setup(struct bt *bt, char *err, size_t errlen);
void bt_direct_teardown(struct bt *bt);
bool bt_direct_ok(struct bt *bt);     /* guest user code may run directly now */
enum interp_exit bt_direct_run(struct bt *bt);

/* signals.c */
int bt_host_probe(char *why, size_t whylen);
int bt_signals_install(struct bt *bt, char *err, size_t errlen);
void bt_signals_remove(struct bt *bt);
void bt_arm_deadline(struct bt *bt, uint64_t deadline_ns, uint64_t now_ns);
void bt_disarm_deadline(struct bt *bt);
void bt_fire_soon(struct bt *bt, long ns);   /* the deadline signal in ns (async-signal-safe) */
void bt_arm_poll(struct bt *bt);      /* async-signal-safe */
void bt_disarm_poll(struct bt *bt);

#endif
