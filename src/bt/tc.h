/*
 * tc.h - the translation cache: W^X memory for translated host code (one
 * memfd mapped read/write for the emitter and read/execute for running, at
 * different addresses above 8 GiB), the metadata of its blocks, the fixed
 * stubs of bt/stubs.S copied or linked into reach, and the poll page.
 */
#ifndef SOFTVT_BT_TC_H
#define SOFTVT_BT_TC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "bt/ctx.h"
#include "bt/translate.h"

struct tc;

/* size: bytes of host code. Returns NULL with a reason in err. */
struct tc *tc_create(size_t size, char *err, size_t errlen);
void tc_destroy(struct tc *tc);

/* Drops every block (the dispatcher must forget its tb pointers and the jump cache). */
void tc_flush(struct tc *tc);

/* Runs translated code at host (an RX address of a block) with the guest
 * registers of ctx until an exit; returns the exit reason (enum bt_exit). */
int bt_enter(struct bt_ctx *ctx, const void *host);

/* Patches the chainable exit at rel32 site (RX address) to jump to target (RX). */
void tc_chain(struct tc *tc, uint64_t site, const void *target);

/* Points direct exit k of tb back at its exit tail (undoes tc_chain, e.g. when the
 * block it was chained to is invalidated). */
void tc_unchain(struct tc *tc, const struct tb *tb, unsigned k);

/* The block containing host RIP rip and the guest EIP of the instruction there. */
bool tc_find(const struct tc *tc, uint64_t rip, struct tb **tb, uint32_t *eip);

/* The poll page of this TC (ctx->poll_page): the monitor mprotects it. */
void *tc_poll_page(const struct tc *tc);

/*
 * Signal side: if uc's RIP is in the TC (or a stub), copy the guest
 * registers from uc into ctx, fill ctx->fault_* (or next_eip for a poll-page
 * fault) and redirect uc to the exit path so that bt_enter() returns
 * BT_EXIT_FAULT or BT_EXIT_POLL. Async-signal-safe. Returns false if the
 * fault is not from translated code.
 */
bool tc_signal_exit(struct tc *tc, struct bt_ctx *ctx, int signo, const siginfo_t *si,
		    ucontext_t *uc);

/* Resuming after a handled fault (e.g. a shadow fill) needs nothing: return from the handler. */

/*
 * Counted at translation time (static: each guest instruction once per
 * translation, not per execution). insns[c] are the guest instructions
 * translated as class c (bt_class_name()); insns[BT_CLASS_EXIT] counts
 * the blocks that end before an instruction the TC does not run, of which
 * refused: the class has an emitter but it declined (an encoding Zydis
 * cannot produce, a stack form not handled), undecodable: Zydis could not
 * decode it (#UD, or it crosses the end of the guest page).
 * ident_verbatim: IDENT instructions whose host bytes equal the guest's.
 * host_bytes: host code emitted since the start (all flushes together).
 */
struct tc_stats {
	uint64_t blocks, guest_insns, host_bytes, flushes, chains;
	uint64_t insns[BT_NCLASSES];
	uint64_t ident_verbatim, refused, undecodable, page_end;
	uint64_t crossing;   /* blocks of one instruction that crosses the page end, translated */
	uint64_t code_size, code_used;   /* bytes for blocks; in use now (set by tc_get_stats) */
};
void tc_get_stats(const struct tc *tc, struct tc_stats *out);

#endif
