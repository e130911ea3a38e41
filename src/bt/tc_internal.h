/*
 * tc_internal.h - what the translator (translate.c and friends) and the
 * translation cache (tc.c, tc_signal.c) share beyond tc.h: the layout of
 * struct tc and the allocation of code and metadata for one block.
 *
 * Memory layout of one TC (all above 8 GiB, one reservation):
 *   [poll page][RX view of the memfd: stubs | blocks ...][guard][RW view]
 * The poll page sits right below the code, so every block reaches it
 * with a rip-relative load; the stubs sit at the start of the memfd and
 * are never flushed. Blocks are bump-allocated in order, so tbs[] is
 * sorted by host address (tc_find() searches it).
 */
#ifndef SOFTVT_BT_TC_INTERNAL_H
#define SOFTVT_BT_TC_INTERNAL_H

#include "bt/tc.h"

#define TC_PAGE 4096u
#define TC_MAX_BLOCK_BYTES 8192u   /* worst case of one block (BT_MAX_INSNS instructions) */
#define TC_TAIL_BYTES 20u          /* one exit tail (translate.c): the last nexits * 20 bytes */

struct tc {
	int fd;
	size_t size;              /* bytes of the memfd (stubs + blocks) */
	uint8_t *reserve;         /* the whole reservation */
	size_t reserve_len;
	uint8_t *poll;            /* the poll page */
	uint8_t *rx, *rw;         /* the two views of the memfd */
	size_t code_start;        /* first byte after the stubs */
	size_t used;              /* bump pointer into the memfd */

	/* RX addresses of the stubs */
	uint64_t stub_exit, stub_exit_branch, stub_lookup, stub_fault_exit, stub_callout;

	/* metadata arena: blocks in allocation order and their side tables */
	struct tb *tbs;
	size_t ntbs, max_tbs;
	struct tb_insn *insns;
	size_t ninsns, max_insns;

	struct tc_stats stats;
};

/* The RW alias of RX address rx inside the TC. */
static inline uint8_t *tc_rw_of(const struct tc *tc, uint64_t rx)
{
	return tc->rw + (rx - (uint64_t)(uintptr_t)tc->rx);
}

#endif
