/*
 * lockstep.c - engine bt's lockstep check (`softvt run --lockstep`).
 *
 * With the check on, the translator makes one-instruction blocks and the
 * dispatcher neither chains them nor lets translated code look up its
 * successors, so every translated instruction is run twice from the same
 * state: first by the interpreter (the oracle) with its memory writes
 * logged, then undone; then by the translation cache. After the TC's exit
 * has been handled (a fault hands the instruction to the interpreter,
 * which must then end in the same state), the architectural state and
 * every byte the interpreter wrote are compared. The first difference
 * stops the guest with a report naming the instruction and the registers.
 *
 * Instructions the translator does not take (port I/O, HLT, ...) are not
 * run twice: they go to the interpreter once, as without the check.
 */
#include "bt/lockstep.h"

#include <Zydis/Zydis.h>
#include <stdio.h>
#include <string.h>

#include "bt/dispatch_priv.h"
#include "cpu/flags.h"
#include "cpu/paging.h"

static void on_write(void *opaque, uint32_t paddr, unsigned size, uint32_t old)
{
	struct bt *bt = opaque;
	struct lockstep *ls = &bt->ls;
	if (!ls->logging)
		return;
	if (ls->n == LOCKSTEP_MAX_WRITES) {
		ls->overflow = true;
		return;
	}
	ls->w[ls->n++] = (struct lockstep_write){ paddr, size, old, 0 };
}

/* Reads up to 15 bytes of code at eip through the guest's current mapping. */
static unsigned code_bytes(const struct bt *bt, uint32_t eip, uint8_t *bytes)
{
	/* CS base 0 (the TC's precondition); one walk per page, at most two */
	unsigned n = 0;
	while (n < 15) {
		uint32_t lin = eip + n;
		struct page_walk w;
		uint32_t pf;
		if (paging_walk(bt->v.bus.phys, bt->cpu, lin, 0, &w, &pf) < 0)
			break;
		unsigned in_page = 4096 - (lin & 0xfffu);
		for (unsigned k = 0; k < in_page && n < 15; k++, n++)
			bytes[n] = (uint8_t)physmap_read(bt->v.bus.phys, (uint32_t)w.paddr + k, 1);
	}
	return n;
}

void lockstep_enable(struct bt *bt)
{
	bt->ls.on = true;
	bt->v.bus.on_write = on_write;
	bt->v.bus.hook_opaque = bt;
}

enum interp_exit lockstep_before(struct bt *bt, bool *skip_tc)
{
	struct lockstep *ls = &bt->ls;
	struct vcpu *v = &bt->v;
	struct physmap *phys = v->bus.phys;
	*skip_tc = false;
	ls->before = *bt->cpu;
	/* flags the SDM leaves undefined for this instruction are not compared
	 * (the host CPU and the interpreter may disagree on them); decoded
	 * before the step: the walk sets accessed bits, which must not land
	 * between the interpreter's writes and their comparison */
	ls->undefined_flags = 0;
	uint8_t bytes[16];
	unsigned nb = code_bytes(bt, ls->before.eip, bytes);
	ZydisDecoder dec;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	ZydisDecodedInstruction di;
	if (nb && ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, bytes, nb, &di)) && di.cpu_flags)
		ls->undefined_flags = di.cpu_flags->undefined;
	ls->n = 0;
	ls->overflow = false;
	ls->logging = true;
	bt->st.interp_steps++;
	bt->st.step_lockstep++;
	enum interp_exit r = interp_step(v);
	flags_materialize(v);
	ls->logging = false;
	if (r != INTERP_DEADLINE || ls->overflow) {
		/* the interpreter's result stands (a shutdown, an error, or more
		 * writes than the log holds): no TC run for this instruction */
		*skip_tc = true;
		return r;
	}
	ls->after = *bt->cpu;
	for (unsigned i = 0; i < ls->n; i++)
		ls->w[i].now = physmap_read(phys, ls->w[i].paddr, ls->w[i].size);
	for (unsigned i = ls->n; i-- > 0;)
		physmap_write(phys, ls->w[i].paddr, ls->w[i].old, ls->w[i].size);
	*bt->cpu = ls->before;
	v->lf.op = LF_NONE;
	ls->checked++;
	return r;
}

static int insn_text(const struct bt *bt, uint32_t eip, char *buf, size_t len)
{
	uint8_t bytes[16];
	unsigned n = code_bytes(bt, eip, bytes);
	ZydisDisassembledInstruction d;
	if (n && ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LEGACY_32, eip, bytes, n, &d)))
		return snprintf(buf, len, "%s", d.text);
	return snprintf(buf, len, "(unreadable)");
}

bool lockstep_after(struct bt *bt, char *report, size_t len)
{
	struct lockstep *ls = &bt->ls;
	const struct cpu_state *i = &ls->after, *t = bt->cpu;
	char what[256] = "";
	static const char *const names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	for (int r = 0; r < 8 && !what[0]; r++)
		if (i->gpr[r] != t->gpr[r])
			snprintf(what, sizeof(what), "%s: interp %08x, bt %08x", names[r], i->gpr[r], t->gpr[r]);
	if (!what[0] && i->eip != t->eip)
		snprintf(what, sizeof(what), "eip: interp %08x, bt %08x", i->eip, t->eip);
	if (!what[0] && (i->eflags ^ t->eflags) & ~ls->undefined_flags)
		snprintf(what, sizeof(what), "eflags: interp %08x, bt %08x", i->eflags, t->eflags);
	for (int s = 0; s < S_NSEG && !what[0]; s++)
		if (i->seg[s].sel != t->seg[s].sel || i->seg[s].base != t->seg[s].base)
			snprintf(what, sizeof(what), "segment %d: interp %04x base %08x, bt %04x base %08x",
				 s, i->seg[s].sel, i->seg[s].base, t->seg[s].sel, t->seg[s].base);
	if (!what[0] && (i->cr2 != t->cr2 || i->cr0 != t->cr0 || i->cr3 != t->cr3))
		snprintf(what, sizeof(what), "cr0/cr2/cr3: interp %08x/%08x/%08x, bt %08x/%08x/%08x",
			 i->cr0, i->cr2, i->cr3, t->cr0, t->cr2, t->cr3);
	for (unsigned k = 0; k < ls->n && !what[0]; k++) {
		uint32_t now = physmap_read(bt->v.bus.phys, ls->w[k].paddr, ls->w[k].size);
		if (now != ls->w[k].now)
			snprintf(what, sizeof(what), "memory at physical %08x (%u bytes): interp %08x, bt %08x",
				 ls->w[k].paddr, ls->w[k].size, ls->w[k].now, now);
	}
	if (!what[0])
		return true;
	ls->differences++;
	char text[96];
	struct cpu_state save = *bt->cpu;
	*bt->cpu = ls->before;     /* disassemble with the mapping of the instruction's start */
	insn_text(bt, ls->before.eip, text, sizeof(text));
	*bt->cpu = save;
	snprintf(report, len, "lockstep: difference after %08x: %s: %s", ls->before.eip, text, what);
	return false;
}
