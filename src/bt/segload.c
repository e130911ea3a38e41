/*
 * segload.c - MOV DS/ES/FS/GS, r16/r32 from translated code: a callout
 * (BT_CO_SEGLOAD) that does the load itself when it is the common, simple
 * case, and otherwise sends the instruction to the interpreter before it
 * has done anything.
 *
 * The Linux kernel loads DS, ES and FS on every entry (SAVE_ALL); each load
 * used to be a TC exit. Done here, with the checks of seg_load() (SDM vol.
 * 3A 5.5 and vol. 2B MOV) for a GDT selector at CPL 0:
 *   - a null selector: FS and GS only (DS/ES null would leave the TC's mode);
 *   - the descriptor in the GDT, within its limit, readable through a
 *     supervisor walk from RAM, in one page; present; a data segment or
 *     readable code; DPL >= RPL (CPL is 0); its accessed bit already set
 *     (setting it is a guest memory write: the interpreter's);
 *   - afterwards the TC's mode must hold as before: DS/ES flat writable
 *     data, FS null or usable (its base becomes the host GS base at once),
 *     GS flat exactly when it was.
 * Anything else - an LDT selector, a fault the load would raise, a mode
 * change - sets next_eip back to the MOV and leaves with BT_EXIT_INTERP:
 * the registers are those of its start (the callout stub saved them), so
 * the interpreter runs it from a precise state.
 *
 * Operation (r13d): BT_CO_SEGLOAD | sreg << 4 | gpr << 8 | length << 16.
 */
#define _GNU_SOURCE
#include <string.h>

#include <Zydis/Zydis.h>

#include "bt/dispatch_priv.h"
#include "cpu/paging.h"
#include "cpu/segments.h"
#include "mmu/window.h"

/* The GDT descriptor for sel through a supervisor walk, without side effects
   beyond accessed bits in the paging entries; false if not simply readable. */
static bool gdt_read(struct bt *bt, uint16_t sel, uint64_t *desc)
{
	const struct cpu_state *s = bt->cpu;
	uint32_t index = sel & 0xfff8;
	if ((sel & 4) || index + 7 > s->gdtr.limit)
		return false;
	uint32_t linear = s->gdtr.base + index;
	if ((linear & 0xfff) > 0xff8)
		return false;   /* across a page: the interpreter's */
	struct page_walk w;
	uint32_t pf;
	if (paging_walk(bt->v.bus.phys, s, linear, 0, &w, &pf) < 0)
		return false;
	bool writable;
	const uint8_t *p = physmap_host_ptr(bt->v.bus.phys,
					    physmap_a20(bt->v.bus.phys, (uint32_t)w.paddr), 8,
					    &writable);
	if (!p)
		return false;
	memcpy(desc, p, 8);
	return true;
}

static bool flat_rw(const struct seg_cache *c)
{
	return c->base == 0 && c->limit == 0xffffffffu && (c->attr & SEG_P) &&
	       (c->attr & SEG_S) && (c->attr & 0xe) == 0x2;
}

static bool usable_rw(const struct seg_cache *c)
{
	return (c->sel & ~3u) && c->limit == 0xffffffffu && (c->attr & SEG_P) &&
	       (c->attr & SEG_S) && (c->attr & 0xe) == 0x2;
}

static uint32_t refuse(struct bt *bt, struct bt_ctx *ctx, uint32_t op)
{
	ctx->next_eip -= (op >> 16) & 0xff;   /* back to the MOV */
	ctx->exit_mnemonic = ZYDIS_MNEMONIC_MOV;   /* for the statistics */
	bt->st.segload_refused++;
	return BT_EXIT_INTERP;
}

uint32_t bt_callout_segload(struct bt *bt, struct bt_ctx *ctx, uint32_t op)
{
	struct cpu_state *s = bt->cpu;
	int sr = (op >> 4) & 7;
	uint16_t sel = (uint16_t)ctx->gpr[(op >> 8) & 7];
	struct seg_cache c;
	if (cpu_cpl(s) != 0 || sr == S_CS || sr == S_SS)
		return refuse(bt, ctx, op);
	if ((sel & 0xfffc) == 0) {
		if (sr != S_FS && sr != S_GS)
			return refuse(bt, ctx, op);
		c = (struct seg_cache){ .sel = sel };   /* unusable, as seg_load() makes it */
	} else {
		uint64_t d;
		if (!gdt_read(bt, sel, &d))
			return refuse(bt, ctx, op);
		unsigned type = desc_type(d);
		if (!desc_is_code_data(d) || (type & 0xa) == 0x8 || !desc_present(d) ||
		    !(d & (1ull << 40)))
			return refuse(bt, ctx, op);
		bool conforming = (type & 0xc) == 0xc;
		if (!conforming && (sel & 3) > desc_dpl(d))
			return refuse(bt, ctx, op);
		seg_from_desc(&c, sel, d);
	}
	switch (sr) {
	case S_DS:
	case S_ES:
		if (!flat_rw(&c))
			return refuse(bt, ctx, op);
		break;
	case S_FS:
		if ((c.sel & ~3u) && !usable_rw(&c))
			return refuse(bt, ctx, op);
		break;
	case S_GS: {
		bool was = usable_rw(&s->seg[S_GS]) && s->seg[S_GS].base == 0;
		if ((usable_rw(&c) && c.base == 0) != was)
			return refuse(bt, ctx, op);
		break;
	}
	}
	s->seg[sr] = c;
	ctx->sel[sr] = c.sel;
	bt->st.callouts[BT_CO_SEGLOAD]++;
	if (sr == S_FS) {
		/* the host GS base is the guest FS base inside the TC (ctx.h); a null
		   FS points it at the window's guard, as sync_in does */
		ctx->guest_fs_base = (c.sel & ~3u) ? c.base : WINDOW_TOP;
		__asm__ volatile("wrgsbase %0" : : "r"(ctx->guest_fs_base) : "memory");
	}
	return 0;
}
