/*
 * tc.c - the translation cache: W^X code memory, block metadata, lookup of
 * a host RIP, chaining and flushing (tc.h; layout in tc_internal.h).
 *
 * The code lives in a memfd mapped twice: translate.c writes through the
 * RW view, the CPU runs the RX view, no page is ever writable and
 * executable at once. Both views and the poll page are placed in one
 * PROT_NONE reservation above 8 GiB (beyond the guest window and its
 * guard), so a stray guest-sized pointer can never reach them and every
 * block reaches the poll page and the stubs with rel32.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bt/tc_internal.h"

extern const uint8_t bt_tc_stubs_begin[], bt_tc_stubs_end[];
extern const uint8_t bt_stub_exit[], bt_stub_exit_branch[], bt_stub_lookup[],
	bt_stub_fault_exit[], bt_stub_callout[];

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

#define TC_BASE_HINT (16ull << 30)
#define TC_MAX_SIZE (1ull << 30)   /* rel32 reach from any block to the poll page and stubs */

static uint8_t *tc_reserve(size_t len)
{
	for (uint64_t hint = TC_BASE_HINT; hint < (1ull << 46); hint += 16ull << 30) {
		void *p = mmap((void *)hint, len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			       -1, 0);
		if (p == (void *)hint)
			return p;
		if (p != MAP_FAILED)
			munmap(p, len);   /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
		else if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

struct tc *tc_create(size_t size, char *err, size_t errlen)
{
	size_t stubs = (size_t)(bt_tc_stubs_end - bt_tc_stubs_begin);
	size = (size + TC_PAGE - 1) & ~(size_t)(TC_PAGE - 1);
	if (size < stubs + 4 * TC_MAX_BLOCK_BYTES || size > TC_MAX_SIZE) {
		snprintf(err, errlen, "translation cache size %zu out of range", size);
		return NULL;
	}
	if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)) {
		/* bt_enter() and the exits switch the GS base with WRGSBASE (Linux 5.9+) */
		snprintf(err, errlen, "the kernel does not enable FSGSBASE for user space");
		return NULL;
	}
	struct tc *tc = calloc(1, sizeof(*tc));
	if (!tc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tc->fd = memfd_create("softvt-tc", MFD_CLOEXEC);
	if (tc->fd < 0 || ftruncate(tc->fd, (off_t)size) < 0) {
		snprintf(err, errlen, "translation cache memfd: %s", strerror(errno));
		goto fail;
	}
	tc->size = size;
	tc->reserve_len = TC_PAGE + size + TC_PAGE + size;
	tc->reserve = tc_reserve(tc->reserve_len);
	if (!tc->reserve) {
		snprintf(err, errlen, "cannot reserve %zu bytes above 8 GiB for the translation cache",
			 tc->reserve_len);
		goto fail;
	}
	tc->poll = tc->reserve;
	tc->rx = tc->reserve + TC_PAGE;
	tc->rw = tc->rx + size + TC_PAGE;
	if (mmap(tc->poll, TC_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED ||
	    mmap(tc->rx, size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, tc->fd, 0) ==
		    MAP_FAILED ||
	    mmap(tc->rw, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, tc->fd, 0) ==
		    MAP_FAILED) {
		snprintf(err, errlen, "translation cache mmap: %s", strerror(errno));
		goto fail;
	}
	memcpy(tc->rw, bt_tc_stubs_begin, stubs);
	uint64_t base = (uint64_t)(uintptr_t)tc->rx;
	tc->stub_exit = base + (uint64_t)(bt_stub_exit - bt_tc_stubs_begin);
	tc->stub_exit_branch = base + (uint64_t)(bt_stub_exit_branch - bt_tc_stubs_begin);
	tc->stub_lookup = base + (uint64_t)(bt_stub_lookup - bt_tc_stubs_begin);
	tc->stub_fault_exit = base + (uint64_t)(bt_stub_fault_exit - bt_tc_stubs_begin);
	tc->stub_callout = base + (uint64_t)(bt_stub_callout - bt_tc_stubs_begin);
	tc->code_start = (stubs + 63) & ~(size_t)63;
	tc->used = tc->code_start;

	/* Metadata: a block covers at least one guest instruction and ~16 host bytes. */
	tc->max_tbs = size / 32;
	tc->max_insns = size / 4;
	tc->tbs = calloc(tc->max_tbs, sizeof(*tc->tbs));
	tc->insns = calloc(tc->max_insns, sizeof(*tc->insns));
	if (!tc->tbs || !tc->insns) {
		snprintf(err, errlen, "out of memory for the translation cache metadata");
		goto fail;
	}
	return tc;
fail:
	tc_destroy(tc);
	return NULL;
}

void tc_destroy(struct tc *tc)
{
	if (!tc)
		return;
	if (tc->reserve)
		munmap(tc->reserve, tc->reserve_len);
	if (tc->fd >= 0)
		close(tc->fd);
	free(tc->tbs);
	free(tc->insns);
	free(tc);
}

void tc_flush(struct tc *tc)
{
	tc->used = tc->code_start;
	tc->ntbs = 0;
	tc->ninsns = 0;
	tc->stats.flushes++;
}

void tc_chain(struct tc *tc, uint64_t site, const void *target)
{
	int32_t rel = (int32_t)((int64_t)(uintptr_t)target - (int64_t)(site + 4));
	/* One aligned-or-not 4-byte store; the vcpu thread is the only runner of this TC. */
	memcpy(tc_rw_of(tc, site), &rel, 4);
	tc->stats.chains++;
}

void tc_unchain(struct tc *tc, const struct tb *tb, unsigned k)
{
	uint64_t host = (uint64_t)(uintptr_t)tb->host;
	uint64_t tail = host + tb->host_len - TC_TAIL_BYTES * (tb->nexits - k);
	tc_chain(tc, host + tb->exits[k].rel32_off, (const void *)(uintptr_t)tail);
	tc->stats.chains--;
}

bool tc_find(const struct tc *tc, uint64_t rip, struct tb **tbp, uint32_t *eip)
{
	size_t lo = 0, hi = tc->ntbs;
	while (lo < hi) {   /* the last block whose host start is <= rip */
		size_t mid = lo + (hi - lo) / 2;
		if ((uint64_t)(uintptr_t)tc->tbs[mid].host <= rip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	struct tb *tb = &tc->tbs[lo - 1];
	uint64_t off = rip - (uint64_t)(uintptr_t)tb->host;
	if (off >= tb->host_len)
		return false;
	uint32_t guest = tb->eip;
	for (unsigned k = 0; k < tb->ninsn && tb->insn[k].host_off <= off; k++)
		guest = tb->eip + tb->insn[k].guest_off;
	if (tbp)
		*tbp = tb;
	if (eip)
		*eip = guest;
	return true;
}

void *tc_poll_page(const struct tc *tc)
{
	return tc->poll;
}

void tc_get_stats(const struct tc *tc, struct tc_stats *out)
{
	*out = tc->stats;
	out->code_size = tc->size - tc->code_start;
	out->code_used = tc->used - tc->code_start;
}
