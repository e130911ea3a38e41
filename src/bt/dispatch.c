/*
 * dispatch.c - engine bt's main loop (see bt.h).
 *
 * Each turn decides where the next guest instruction runs:
 *  - in the translation cache when the guest is in flat 32-bit protected
 *    mode at CPL 0 (tc_mode_ok), has nothing to deliver and no interrupt
 *    shadow: the block at EIP is looked up (jump cache, then the block
 *    index by linear EIP + physical address), translated if missing, and
 *    entered with bt_enter();
 *  - otherwise in the interpreter, one instruction (interp_step), on the
 *    same cpu_state: real mode, v8086, CPL 3, non-flat segments, interrupt
 *    delivery, every instruction the TC leaves (BT_EXIT_INTERP) and every
 *    instruction that faulted in the TC for a reason the shadow window
 *    cannot fix (the interpreter re-executes it from the precise state and
 *    raises the guest exception, or emulates the MMIO access).
 *
 * Caches and their invalidation: guest TLB flushes (the interpreter runs
 * MOV CR3/CR0/CR4, INVLPG and task switches and calls on_tlb_flush) drop
 * window mappings and the jump cache; a write to a physical page with
 * translations (a write fault in the TC on a protected page, or an
 * interpreter write) drops that page's blocks.
 *
 * Chains (a block's exit patched to jump straight into the next block)
 * assume the target's linear page still maps the same physical page and
 * its block still exists. Within one linear and physical page that holds
 * by construction (the blocks die together). Into another page, a chain
 * is made only when the target page is mapped global (or paging is off),
 * so that MOV CR3 cannot change it; an INVLPG of such a page, a full TLB
 * flush or any dropped page undo every cross-page chain at once (the
 * list of sites keeps what each rel32 pointed to before).
 */
#define _GNU_SOURCE
#include "bt/bt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <x86intrin.h>

#include "bt/blocks.h"
#include "bt/ctx.h"
#include "bt/dispatch_priv.h"
#include "bt/show.h"
#include "bt/tc.h"
#include "bt/translate.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/mem.h"
#include "cpu/ops_system.h"
#include "cpu/paging.h"
#include "mmu/window.h"

/* Base 0, a 4 GiB limit, present. */
static bool flat(const struct seg_cache *s)
{
	return s->base == 0 && s->limit == 0xffffffffu && (s->attr & SEG_P);
}

/*
 * A segment that translated code may read and write through without any
 * check: present, 4 GiB limit, a writable data segment that is not
 * expand-down (with a 4 GiB limit nothing would lie inside). A read-only
 * data segment or a readable code segment, both loadable into DS, ES, FS
 * and GS, must give #GP(0) on a write: only the interpreter does that.
 */
static bool rw_data(const struct seg_cache *s)
{
	return s->limit == 0xffffffffu && (s->attr & SEG_P) && (s->attr & SEG_S) &&
	       (s->attr & 0xe) == 0x2;   /* type: data (bit 3 clear), expand-up, writable */
}

/* FS usable by translated code: its base becomes the host GS base. */
static bool fs_usable(const struct cpu_state *c)
{
	const struct seg_cache *fs = &c->seg[S_FS];
	return (fs->sel & ~3u) != 0 && rw_data(fs);
}

/*
 * Whether translated code may run now (the TC's assumptions, ctx.h): CPL 0,
 * or CPL 3 under --user bt. FS may be null or unusable (a kernel entry path
 * before it loads its per-CPU segment): FS-relative instructions then leave
 * the TC (bt_mode.fs_ok).
 */
static bool tc_mode_ok(const struct bt *bt)
{
	const struct cpu_state *c = bt->cpu;
	unsigned cpl = cpu_cpl(c);
	if (!(c->cr0 & CR0_PE) || (c->eflags & (EFL_VM | EFL_TF)) ||
	    !(cpl == 0 || (cpl == 3 && bt->user_bt)))
		return false;
	/* CS readable: translated code reads through a CS override without checks */
	if (!flat(&c->seg[S_CS]) || !(c->seg[S_CS].attr & SEG_DB) || !(c->seg[S_CS].attr & 2))
		return false;
	for (int sr = 0; sr < S_NSEG; sr++)
		if (sr != S_CS && sr != S_GS && sr != S_FS &&
		    (!flat(&c->seg[sr]) || !rw_data(&c->seg[sr])))
			return false;
	if (!(c->seg[S_SS].attr & SEG_DB))
		return false;
	if (bt->v.bus.phys->a20_mask != A20_OPEN_MASK)
		return false;
	return true;
}

static struct bt_mode current_mode(const struct bt *bt)
{
	const struct seg_cache *gs = &bt->cpu->seg[S_GS];
	/* FS-relative accesses are translated when FS is a usable flat data segment,
	   and when it is null (its base is then the window's guard: every access
	   faults, and the interpreter raises #GP), so that a kernel entry path
	   switching between a null FS and its per-CPU FS does not change the mode */
	const struct seg_cache *fs = &bt->cpu->seg[S_FS];
	struct bt_mode m = { .gs_flat = (gs->sel & ~3u) != 0 && flat(gs) && rw_data(gs),
			      .single = bt->ls.on, .user = cpu_cpl(bt->cpu) == 3,
			      .fs_ok = (fs->sel & ~3u) == 0 || fs_usable(bt->cpu),
			      .fences = bt->v.bus.model &&
					(bt->v.bus.model->edx_features & CPUID_SSE2) };
	return m;
}

/* --- the jump cache (ctx->jc, read inline by translated code) ------------ */

static void jc_uncount(struct bt *bt, unsigned i)
{
	uint32_t p = bt->ctx->jc[i].eip >> 12;
	bt->jc_page_count[p]--;
	if (bt->jc_cross[i])
		bt->jc_page_count[(p + 1) & 0xfffff]--;
}

static void jc_clear(struct bt *bt)
{
	for (unsigned i = 0; i < BT_JC_SIZE; i++) {
		if (bt->jc_tb[i])
			jc_uncount(bt, i);
		bt->ctx->jc[i].eip = BT_JC_EMPTY_EIP(i);
		bt->ctx->jc[i].host = 0;
		bt->jc_tb[i] = NULL;
	}
}

static void jc_set(struct bt *bt, struct tb *tb, bool global)
{
	unsigned i = BT_JC_INDEX(tb->eip);
	if (bt->jc_tb[i])
		jc_uncount(bt, i);
	bt->ctx->jc[i].eip = tb->eip;
	bt->ctx->jc[i].host = (uint64_t)(uintptr_t)tb->host;
	bt->jc_tb[i] = tb;
	bt->jc_global[i] = global;
	bt->jc_cross[i] = tb->crosses;
	bt->jc_page_count[tb->eip >> 12]++;
	if (tb->crosses)   /* an INVLPG of its second page clears the jump cache too */
		bt->jc_page_count[((tb->eip >> 12) + 1) & 0xfffff]++;
}

/* INVLPG: only a page the jump cache leads into needs it cleared. */
static void jc_flush_page(struct bt *bt, uint32_t linear)
{
	if (bt->jc_page_count[linear >> 12])
		jc_clear(bt);
}

/* --- cross-page chains ---------------------------------------------------- */

static void unchain_all(struct bt *bt)
{
	for (size_t i = 0; i < bt->nxchains; i++)
		tc_chain(bt->tc, bt->xchains[i].site, (const void *)(uintptr_t)bt->xchains[i].tail);
	bt->st.unchains += bt->nxchains;
	if (bt->nxchains)
		memset(bt->xchain_pages, 0, (1u << 20) / 8);
	bt->nxchains = 0;
}

static bool xchain_page(const struct bt *bt, uint32_t linear)
{
	uint32_t p = linear >> 12;
	return bt->xchain_pages[p / 8] & (1u << (p % 8));
}

static void xchain_mark(struct bt *bt, uint32_t linear)
{
	uint32_t p = linear >> 12;
	bt->xchain_pages[p / 8] |= (uint8_t)(1u << (p % 8));
}

static bool add_xchain(struct bt *bt, uint64_t site, uint32_t target_linear)
{
	if (bt->nxchains == bt->xchains_cap) {
		size_t cap = bt->xchains_cap ? bt->xchains_cap * 2 : 4096;
		struct xchain *n = realloc(bt->xchains, cap * sizeof(*n));
		if (!n)
			return false;
		bt->xchains = n;
		bt->xchains_cap = cap;
	}
	int32_t rel;
	memcpy(&rel, (const void *)(uintptr_t)site, 4);   /* the RX view is readable */
	bt->xchains[bt->nxchains++] = (struct xchain){ site, site + 4 + (int64_t)rel };
	xchain_mark(bt, target_linear);
	return true;
}

/* --- hooks from the interpreter ------------------------------------------ */

static void on_tlb_flush(void *opaque, int kind, uint32_t linear)
{
	struct bt *bt = opaque;
	if (!bt->win || !bt->ctx)
		return;   /* interp_init() flushes before the engine is complete */
	switch (kind) {
	case CPU_FLUSH_ALL:
		window_flush_all(bt->win);
		unchain_all(bt);
		break;
	case CPU_FLUSH_NONGLOBAL:
		window_flush_nonglobal(bt->win);
		break;
	default:
		window_flush_page(bt->win, linear);
		if (xchain_page(bt, linear))
			unchain_all(bt);
		jc_flush_page(bt, linear);
		return;
	}
	jc_clear(bt);
}

void bt_drop_code_page(struct bt *bt, uint32_t page)
{
	unsigned n = blocks_invalidate_page(bt->blocks, page);
	bt->st.invalidated_blocks += n;
	if (n) {
		jc_clear(bt);
		unchain_all(bt);
	}
	window_code_unprotect(bt->win, page);
}

static void on_code_page(void *opaque, uint32_t page)
{
	struct bt *bt = opaque;
	if (bt->win)
		window_code_protect(bt->win, page);
}

static void on_code_write(void *opaque, uint32_t page)
{
	struct bt *bt = opaque;
	bt->st.interp_code_writes++;
	bt_drop_code_page(bt, page);
}

/* --- create / destroy ---------------------------------------------------- */

int bt_probe(char *why, size_t whylen)
{
	return bt_host_probe(why, whylen);
}

struct bt *bt_create(struct cpu_state *s, const struct cpu_bus *bus, size_t tc_size,
		     enum bt_user_mode user, char *err, size_t errlen)
{
	struct bt *bt = calloc(1, sizeof(*bt));
	if (!bt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	bt->cpu = s;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	bt->ns0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	bt->tsc0 = __rdtsc();
	struct cpu_bus b = *bus;
	b.on_tlb_flush = on_tlb_flush;
	b.on_code_page = on_code_page;
	b.on_code_write = on_code_write;
	b.hook_opaque = bt;
	if (interp_init(&bt->v, s, &b) < 0) {
		snprintf(err, errlen, "out of memory for the interpreter's caches");
		free(bt);
		return NULL;
	}
	bt->ctx = mmap(NULL, sizeof(struct bt_ctx), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bt->ctx == MAP_FAILED) {
		bt->ctx = NULL;
		snprintf(err, errlen, "out of memory for the translator's context");
		goto fail;
	}
	bt->ctx->cpu = s;
	bt->ctx->intr_line = (const volatile int *)bus->intr_line;
	bt->ctx->callout_fn = bt_callout;
	bt->ctx->callout_opaque = bt;
	bt->xchain_pages = calloc(1, (1u << 20) / 8);
	bt->jc_page_count = calloc(1u << 20, sizeof(uint16_t));
	if (!bt->xchain_pages || !bt->jc_page_count) {
		snprintf(err, errlen, "out of memory for the chain index");
		goto fail;
	}
	jc_clear(bt);
	bt->blocks = blocks_create();
	if (!bt->blocks) {
		snprintf(err, errlen, "out of memory for the block index");
		goto fail;
	}
	bt->tc = tc_create(tc_size ? tc_size : BT_TC_SIZE_DEFAULT, err, errlen);
	if (!bt->tc)
		goto fail;
	bt->ctx->poll_page = tc_poll_page(bt->tc);
	bt->win = window_create(bus->phys, err, errlen);
	if (!bt->win)
		goto fail;
	if (bt_signals_install(bt, err, errlen) < 0)
		goto fail;
	bt->user_bt = user == BT_USER_BT;
	bt->naive = user == BT_USER_NAIVE;
	if (user == BT_USER_DIRECT || user == BT_USER_NAIVE) {
		if (bt_direct_setup(bt, err, errlen) < 0)
			goto fail;
		bt->user_direct = true;
		window_set_exec(bt->win, true, bt->naive);
	}
	return bt;
fail:
	bt_destroy(bt);
	return NULL;
}

void bt_destroy(struct bt *bt)
{
	if (!bt)
		return;
	bt_signals_remove(bt);
	if (bt->dc)
		bt_direct_teardown(bt);
	if (bt->win)
		window_destroy(bt->win);
	if (bt->tc)
		tc_destroy(bt->tc);
	blocks_destroy(bt->blocks);
	free(bt->xchains);
	free(bt->xchain_pages);
	free(bt->jc_page_count);
	if (bt->ctx)
		munmap(bt->ctx, sizeof(struct bt_ctx));
	interp_fini(&bt->v);
	free(bt);
}

void bt_set_show(struct bt *bt, FILE *f, bool all, uint32_t eip)
{
	bt->show = f;
	bt->show_all = all;
	bt->show_eip = eip;
}

void bt_set_lockstep(struct bt *bt, uint64_t start_ns, bool after_paging)
{
	bt->ls.pending = true;
	bt->ls.start_ns = start_ns;
	bt->ls.after_paging = after_paging;
}

static void start_lockstep(struct bt *bt)
{
	bt->ls.pending = false;
	lockstep_enable(bt);
	tlb_flush(&bt->v, false);   /* no cached write permission from now on */
	jc_clear(bt);               /* translated code must not reach multi-instruction blocks */
	bt->chain_site = 0;
}

void bt_reset(struct bt *bt)
{
	tc_flush(bt->tc);
	blocks_clear(bt->blocks);
	bt->nxchains = 0;   /* the chain sites are gone with the code */
	memset(bt->xchain_pages, 0, (1u << 20) / 8);
	bt->chain_site = 0;
	bt->polled = false;
	bt->fault_result = -1;
	bt->boundary_known = false;   /* same CR3 value, other tables */
	bt->window_user = false;
	window_reset(bt->win);
	bt_disarm_poll(bt);
	/* the interpreter inside: decoded code, soft TLB (its flush hook also
	   clears the jump cache), an event half delivered, lazy flags */
	struct vcpu *v = &bt->v;
	for (uint64_t p = 0; p < DECODE_NPAGES; p++)
		if (decode_page_has_code(v->dcache, (uint32_t)(p << 12)))
			decode_invalidate_page(v->dcache, (uint32_t)(p << 12));
	tlb_flush(v, false);
	v->prev_block = NULL;
	v->lf.op = LF_NONE;
	v->delivering = -1;
	v->delivered = false;
	v->unsupported = false;
	v->shutdown = false;
	v->error[0] = '\0';
}

struct vcpu *bt_vcpu(struct bt *bt)
{
	return &bt->v;
}

/* --- the loop ------------------------------------------------------------ */

static void flush_tc(struct bt *bt)
{
	tc_flush(bt->tc);
	blocks_clear(bt->blocks);
	jc_clear(bt);
	bt->nxchains = 0;   /* the sites are gone with the code */
	memset(bt->xchain_pages, 0, (1u << 20) / 8);
	bt->chain_site = 0;
	bt->st.tc_flushes++;
}

/*
 * The physical page (A20 applied) of the linear page after eip's, fetched
 * with the rights of access, and whether it is mapped global: the second
 * page of an instruction that crosses the page end. False if it is not
 * present or not allowed (the interpreter raises the #PF).
 */
static bool next_page(struct bt *bt, uint32_t eip, unsigned access, uint32_t *paddr,
		      bool *global)
{
	struct page_walk w;
	uint32_t pf;
	uint32_t linear = (eip & ~0xfffu) + 0x1000;   /* wraps to 0 like the CPU's fetch */
	if (paging_walk(bt->v.bus.phys, bt->cpu, linear, access, &w, &pf) < 0)
		return false;
	*paddr = physmap_a20(bt->v.bus.phys, (uint32_t)w.paddr) & ~0xfffu;
	*global = !paging_enabled(bt->cpu) || (w.global && (bt->cpu->cr4 & CR4_PGE));
	return true;
}

/*
 * The block for cpu->eip in the current mode, translated if needed; NULL
 * when the interpreter must take this instruction (fetch fault, MMIO code,
 * nothing translatable at EIP).
 */
static struct tb *lookup(struct bt *bt, const struct bt_mode *mode, bool *global)
{
	uint32_t eip = bt->cpu->eip;   /* CS base is 0 (tc_mode_ok) */
	unsigned slot = BT_JC_INDEX(eip);
	if (bt->ctx->jc[slot].eip == eip) {
		*global = bt->jc_global[slot];
		bt->st.lookup_jc++;
		return bt->jc_tb[slot];
	}
	struct page_walk w;
	uint32_t pf;
	/* user code may only run from user pages (the interpreter raises the #PF) */
	unsigned access = mode->user ? PF_USER : 0;
	if (paging_walk(bt->v.bus.phys, bt->cpu, eip, access, &w, &pf) < 0) {
		bt->st.lookup_none++;
		return NULL;
	}
	*global = !paging_enabled(bt->cpu) || (w.global && (bt->cpu->cr4 & CR4_PGE));
	uint32_t paddr = physmap_a20(bt->v.bus.phys, (uint32_t)w.paddr);
	/* the next linear page, for a block that crosses into it: read only when
	   the instruction at eip does cross (the CPU fetches from it then too) */
	uint32_t paddr2 = 0;
	bool global2 = false, have2 = false;
	struct tb *tb = blocks_find(bt->blocks, eip, paddr, mode);
	if (tb && tb->crosses) {
		have2 = next_page(bt, eip, access, &paddr2, &global2);
		if (!have2 || paddr2 != tb->phys2)
			tb = NULL;   /* the second page is mapped elsewhere now: translate again */
	}
	if (tb) {
		bt->st.lookup_index++;
		*global = *global && (!tb->crosses || global2);
		return tb;
	}
	bool writable;
	uint8_t *page = physmap_host_ptr(bt->v.bus.phys, paddr & ~0xfffu, 4096, &writable);
	if (!page) {
		bt->st.lookup_none++;
		return NULL;
	}
	uint32_t off = paddr & 0xfffu;
	const uint8_t *code = page + off;
	uint32_t cross = 0;
	uint8_t buf[2 * BT_GUEST_INSN_MAX];
	if (bt_insn_crosses(page + off, 4096 - off)) {
		const uint8_t *page2 = NULL;
		if (have2 || next_page(bt, eip, access, &paddr2, &global2))
			page2 = physmap_host_ptr(bt->v.bus.phys, paddr2, 4096, &writable);
		if (page2 && paddr2 != (paddr & ~0xfffu)) {
			cross = BT_GUEST_INSN_MAX;
			memcpy(buf, page + off, 4096 - off);
			memcpy(buf + (4096 - off), page2, cross);
			code = buf;
		}
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		tb = bt_translate_cross(bt->tc, mode, eip, code, 4096 - off, cross);
		if (tb)
			break;
		flush_tc(bt);
	}
	if (!tb) {
		bt->st.lookup_none++;
		return NULL;
	}
	tb->phys = paddr;
	tb->phys2 = tb->crosses ? paddr2 : 0;
	tb->mode = *mode;
	if (tb->crosses)
		*global = *global && global2;
	bt->st.translations++;
	if (bt->show && (bt->show_all || (eip <= bt->show_eip &&
					  bt->show_eip - eip < (uint32_t)tb->guest_len + 1)))
		bt_show_block(bt->show, tb, code, tb->crosses ? tb->guest_len : 4096 - off);
	unsigned first = blocks_insert(bt->blocks, tb);
	if (first & 1) {
		window_code_protect(bt->win, paddr & ~0xfffu);
		vcpu_mark_code(&bt->v, paddr & ~0xfffu);
	}
	if (first & 2) {
		window_code_protect(bt->win, paddr2);
		vcpu_mark_code(&bt->v, paddr2);
	}
	return tb;
}

/* cpu_state->eflags bits that translated code never changes (TF is 0 in the TC) */
#define EFL_KEPT (EFL_TF | EFL_RF | EFL_VM)

static void sync_in(struct bt *bt)
{
	struct bt_ctx *c = bt->ctx;
	uint32_t f = bt->cpu->eflags;
	memcpy(c->gpr, bt->cpu->gpr, sizeof(c->gpr));
	c->eflags = (f & (EFL_ARITH | EFL_DF)) | EFL_FIXED1;
	c->veflags = (f & ~(EFL_ARITH | EFL_DF | EFL_IF | EFL_KEPT)) | EFL_FIXED1;
	c->vif = (f & EFL_IF) != 0;
	/* a null FS: accesses through it land in the window's 4-8 GiB guard and fault,
	   and the interpreter raises the #GP (see current_mode) */
	c->guest_fs_base = (bt->cpu->seg[S_FS].sel & ~3u) ? bt->cpu->seg[S_FS].base : WINDOW_TOP;
	/* PUSH Sreg / MOV r/m, Sreg read these; nothing in the TC changes them */
	for (int sr = 0; sr < S_NSEG; sr++)
		c->sel[sr] = bt->cpu->seg[sr].sel;
}

static void sync_out(struct bt *bt)
{
	struct bt_ctx *c = bt->ctx;
	memcpy(bt->cpu->gpr, c->gpr, sizeof(c->gpr));
	bt->cpu->eflags = (bt->cpu->eflags & EFL_KEPT) | (c->veflags & ~(EFL_IF | EFL_KEPT)) |
			  (c->vif ? EFL_IF : 0) | (c->eflags & (EFL_ARITH | EFL_DF)) | EFL_FIXED1;
	bt->v.lf.op = LF_NONE;
}

/*
 * A callout from translated code (bt_stub_callout): the guest registers
 * and arithmetic flags are in ctx (cpu_state is stale until the exit), the
 * virtual IF in ctx->vif. Port I/O goes through the interpreter's own
 * io_in/io_out (the port dispatch; at CPL 0 there is no permission check),
 * RDTSC and CPUID through the functions the interpreter uses. Returns 0 to
 * go on in the TC, or BT_EXIT_SYNC to leave it after the instruction: an
 * interrupt became deliverable (IF = 1 and INTR up, e.g. after an OUT to
 * the PIC), the machine wants the engine to stop, or the physical memory
 * map changed (port 0x92's A20 gate).
 */
uint32_t bt_callout(struct bt_ctx *ctx, uint32_t op)
{
	struct bt *bt = ctx->callout_opaque;
	struct vcpu *v = &bt->v;
	uint32_t *g = ctx->gpr;
	unsigned kind = op & 15, size = (op >> 4) & 15;
	if (kind == BT_CO_SEGLOAD)
		return bt_callout_segload(bt, ctx, op);   /* its own operation layout; counts itself */
	uint16_t port = (op & BT_CO_DX) ? (uint16_t)g[R_EDX] : (uint16_t)(op >> 16);
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	uint64_t gen = v->bus.phys->generation;
	switch (kind) {
	case BT_CO_IN:
		g[R_EAX] = (g[R_EAX] & ~mask) | (io_in(v, port, size) & mask);
		break;
	case BT_CO_OUT:
		io_out(v, port, size, g[R_EAX] & mask);
		break;
	case BT_CO_RDTSC: {
		uint64_t t = vcpu_tsc(v);
		g[R_EAX] = (uint32_t)t;
		g[R_EDX] = (uint32_t)(t >> 32);
		break;
	}
	case BT_CO_CPUID: {
		uint32_t r[4];
		cpu_model_cpuid(v->bus.model, v->s, g[R_EAX], g[R_ECX], r);
		g[R_EAX] = r[0];
		g[R_EBX] = r[1];
		g[R_ECX] = r[2];
		g[R_EDX] = r[3];
		break;
	}
	}
	bt->st.callouts[kind < BT_CO_NKINDS ? kind : 0]++;
	if ((*v->bus.requests & v->bus.stop_mask) || (ctx->vif && *v->bus.intr_line) ||
	    v->bus.phys->generation != gen)
		return BT_EXIT_SYNC;
	return 0;
}

/* One instruction (or one event delivery) in the interpreter; counter: why. */
enum interp_exit bt_step(struct bt *bt, uint64_t *counter)
{
	uint64_t t0 = __rdtsc();
	bt->st.interp_steps++;
	(*counter)++;
	enum interp_exit r = interp_step(&bt->v);
	flags_materialize(&bt->v);
	bt->st.tsc_interp += __rdtsc() - t0;
	return r;
}

/*
 * Guest user code under --user interp: the interpreter runs whole blocks
 * until the code leaves its environment (a system call, IRET, a far
 * transfer ...), 64 blocks have run or an interrupt is pending; counted by
 * instructions in step_user.
 */
enum interp_exit bt_step_blocks(struct bt *bt)
{
	uint64_t t0 = __rdtsc(), n0 = bt->v.icount;
	enum interp_exit r = interp_run_blocks(&bt->v, 64);
	flags_materialize(&bt->v);
	uint64_t n = bt->v.icount - n0;
	bt->st.interp_steps += n ? n : 1;
	bt->st.step_user += n ? n : 1;
	bt->st.tsc_interp += __rdtsc() - t0;
	return r;
}

/* Chains the exit the last block left through to tb, when that is safe. */
static void maybe_chain(struct bt *bt, struct tb *tb, bool global)
{
	uint64_t site = bt->chain_site;
	bt->chain_site = 0;
	if (!site || bt->chain_eip != tb->eip || !tb->ninsn)
		return;
	struct tb *from;
	uint32_t from_eip;
	if (!tc_find(bt->tc, site, &from, &from_eip))
		return;
	/* a block that crosses into a second page is never "the same page": it can
	   die with the other page (global then covers both of its pages) */
	bool same_page = !((from->eip ^ tb->eip) & ~0xfffu) &&
			 !((from->phys ^ tb->phys) & ~0xfffu) && !tb->crosses;
	if (!same_page && (!global || !add_xchain(bt, site, tb->eip)))
		return;
	if (tb->crosses)
		xchain_mark(bt, tb->eip + 0x1000);   /* an INVLPG of either page undoes it */
	tc_chain(bt->tc, site, tb->host);
	bt->st.chains++;
}

/* A host fault in the TC: the guest instruction at cpu->eip caused it. */
static enum interp_exit handle_fault(struct bt *bt)
{
	struct bt_ctx *c = bt->ctx;
	if (c->fault_signo == SIGSEGV && bt->fault_result == WINDOW_CODE_WRITE) {
		/* the write must happen with the page unprotected; the interpreter
		 * does it, so that a block writing its own page makes progress */
		bt->st.code_writes++;
		bt_drop_code_page(bt, bt->fault_page);
		decode_invalidate_page(bt->v.dcache, bt->fault_page);
	}
	return bt_step(bt, &bt->st.step_fault);
}

enum interp_exit bt_run(struct bt *bt, uint64_t deadline_ns, uint64_t (*now)(void *),
			void *now_opaque)
{
	struct cpu_state *cpu = bt->cpu;
	struct vcpu *v = &bt->v;
	uint64_t t_start = __rdtsc();
	flags_materialize(v);
	bt_arm_deadline(bt, deadline_ns, now(now_opaque));
	enum interp_exit ret = INTERP_DEADLINE;
	if (bt->ls.pending && now(now_opaque) >= bt->ls.start_ns &&
	    (!bt->ls.after_paging || paging_enabled(cpu)))
		start_lockstep(bt);
	struct bt_mode mode = current_mode(bt);
	unsigned turns = 0;
	for (;;) {
		if (*v->bus.requests & v->bus.stop_mask)
			break;
		if ((++turns & 255) == 0 || bt->polled) {
			bt->polled = false;
			if (now(now_opaque) >= deadline_ns)
				break;
		}
		bool intr = *v->bus.intr_line && (cpu->eflags & EFL_IF);
		if (!cpu->halted && !intr && !cpu->int_shadow && bt_direct_ok(bt)) {
			bt->chain_site = 0;
			ret = bt_direct_run(bt);
			if (ret != INTERP_DEADLINE)
				break;
			continue;
		}
		if (bt->naive) {   /* --accel naive never translates */
			ret = bt_step(bt, cpu->halted || intr || cpu->int_shadow ? &bt->st.step_event
										  : &bt->st.step_mode);
			if (ret != INTERP_DEADLINE)
				break;
			continue;
		}
		if (cpu->halted || intr || cpu->int_shadow || !tc_mode_ok(bt)) {
			bt->chain_site = 0;
			uint64_t *why = &bt->st.step_event;
			if (!cpu->halted && !intr && !cpu->int_shadow)
				why = cpu_cpl(cpu) == 3 && !(cpu->eflags & EFL_VM) ? &bt->st.step_user
										   : &bt->st.step_mode;
			if (why == &bt->st.step_user)
				ret = bt_step_blocks(bt);   /* --user interp: whole blocks */
			else
				ret = bt_step(bt, why);
			if (ret != INTERP_DEADLINE)
				break;
			continue;
		}
		struct bt_mode m = current_mode(bt);
		if (m.gs_flat != mode.gs_flat || m.user != mode.user || m.fs_ok != mode.fs_ok) {
			/* the jump cache holds blocks of one mode only (translated code
			   follows it without looking at the mode) */
			mode = m;
			jc_clear(bt);
		}
		if (mode.user && !bt->window_user) {
			/* --user bt: translated user code must not reach a mapping with
			   supervisor rights; they come back as the kernel faults them in */
			window_enter_user(bt->win, 0, cpu->cr0 & CR0_WP);
			bt->window_user = true;
		} else if (!mode.user) {
			bt->window_user = false;
		}
		bt->tc_cpl = mode.user ? 3 : 0;
		bool global;
		struct tb *tb = lookup(bt, &mode, &global);
		if (!tb || !tb->ninsn) {
			bt->chain_site = 0;
			uint64_t *why = &bt->st.step_no_block;
			if (tb) {   /* its first instruction leaves the TC */
				why = &bt->st.step_tc_exit;
				bt->st.tc_exit_mnemonic[tb->exit_mnemonic % BT_STATS_MNEMONICS]++;
			}
			ret = bt_step(bt, why);
			if (ret != INTERP_DEADLINE)
				break;
			continue;
		}
		if (bt->ls.on) {
			bool skip;
			ret = lockstep_before(bt, &skip);
			if (skip) {
				if (ret != INTERP_DEADLINE)
					break;
				continue;
			}
		} else {
			maybe_chain(bt, tb, global);
			jc_set(bt, tb, global);
		}
		sync_in(bt);
		bt->st.enters++;
		bt->in_tc = 1;
		int why = bt_enter(bt->ctx, tb->host);
		bt->in_tc = 0;
		sync_out(bt);
		bt->st.exits[why & 7]++;
		switch (why) {
		case BT_EXIT_BRANCH:
			cpu->eip = bt->ctx->next_eip;
			bt->chain_site = bt->ctx->exit_site;
			bt->chain_eip = cpu->eip;
			break;
		case BT_EXIT_INDIRECT:
		case BT_EXIT_SYNC:
			cpu->eip = bt->ctx->next_eip;
			break;
		case BT_EXIT_STI:
			/* the instruction after STI runs before any interrupt: the
			 * interpreter steps it (the loop sees int_shadow) */
			cpu->eip = bt->ctx->next_eip;
			cpu->int_shadow = true;
			break;
		case BT_EXIT_INTERP:
			cpu->eip = bt->ctx->next_eip;
			bt->st.tc_exit_mnemonic[bt->ctx->exit_mnemonic % BT_STATS_MNEMONICS]++;
			ret = bt_step(bt, &bt->st.step_tc_exit);
			break;
		case BT_EXIT_POLL:
			cpu->eip = bt->ctx->next_eip;
			bt->polled = true;
			bt_disarm_poll(bt);
			break;
		case BT_EXIT_FAULT: {
			struct tb *ft;
			uint32_t feip;
			if (!tc_find(bt->tc, bt->ctx->fault_rip, &ft, &feip)) {
				snprintf(v->error, sizeof(v->error),
					 "bt: host fault (signal %u) at %#llx outside any block",
					 bt->ctx->fault_signo, (unsigned long long)bt->ctx->fault_rip);
				ret = INTERP_ERROR;
				goto out;
			}
			cpu->eip = feip;
			ret = handle_fault(bt);
			break;
		}
		default:
			snprintf(v->error, sizeof(v->error), "bt: unknown exit reason %d", why);
			ret = INTERP_ERROR;
			goto out;
		}
		if (bt->ls.on && why != BT_EXIT_POLL && !lockstep_after(bt, v->error, sizeof(v->error))) {
			ret = INTERP_ERROR;
			break;
		}
		if (ret != INTERP_DEADLINE)
			break;
	}
out:
	bt_disarm_deadline(bt);
	bt->st.tsc_run += __rdtsc() - t_start;
	return ret;
}

void bt_kick(struct bt *bt)
{
	bt->deadline_fired = 1;   /* no new entry into guest user code */
	bt_arm_poll(bt);
	if (bt->in_direct)
		bt_fire_soon(bt, 1);   /* guest user code is running: the timer's handler preempts it */
}

void bt_get_stats(const struct bt *bt, struct bt_stats *out)
{
	*out = bt->st;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	out->tsc_hz = ns > bt->ns0 ? (double)(__rdtsc() - bt->tsc0) * 1e9 / (double)(ns - bt->ns0) : 0;
	tc_get_stats(bt->tc, &out->tc);
	window_get_stats(bt->win, &out->win);
	out->lockstep = bt->ls.on;
	out->lockstep_checked = bt->ls.checked;
	out->lockstep_differences = bt->ls.differences;
}
