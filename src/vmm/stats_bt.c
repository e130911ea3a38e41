/*
 * stats_bt.c - formats engine bt's counters (struct bt_stats, bt/bt.h) as
 * the short aligned lines of --stats and as the "bt" object of
 * --stats-json (docs/BT.md, "Statistics", says what each one means).
 *
 * "Identical" is the IDENT class: re-encoded for 64-bit mode with the same
 * mnemonic and operands (plus the 0x67 address-size prefix on memory
 * operands); the byte-for-byte identical ones are a subset. The shares are
 * of guest instructions translated (static), not executed: translated code
 * carries no counters.
 */
#include "vmm/stats_bt.h"

#include <string.h>

#include "cpu/decode.h"

#define LABEL "softvt: stats: %-14s "

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Guest instructions the translator handled: translated ones plus the block-ending exits. */
static uint64_t classified(const struct bt_stats *s)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < BT_NCLASSES; c++)
		n += s->tc.insns[c];
	return n;
}

static uint64_t translated(const struct bt_stats *s)
{
	return classified(s) - s->tc.insns[BT_CLASS_EXIT];
}

double bt_stats_ident_share(const struct bt_stats *s)
{
	uint64_t n = translated(s);
	return n ? (double)s->tc.insns[BT_CLASS_IDENT] / (double)n : 0.0;
}

static const char *const direct_exit_names[BT_DX_N] = {
	[BT_DX_PAGE_FAULT] = "page_fault", [BT_DX_GP] = "gp", [BT_DX_UD] = "ud",
	[BT_DX_DE] = "de", [BT_DX_TRAP] = "trap", [BT_DX_FPU] = "fpu", [BT_DX_OTHER] = "other",
	[BT_DX_INT80] = "int80", [BT_DX_FAST_SYSCALL] = "fast_syscall",
	[BT_DX_PREEMPT] = "preempt",
};

static uint64_t direct_exits(const struct bt_stats *s)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < BT_DX_N; i++)
		n += s->direct_exits[i];
	return n;
}

static double tsc_seconds(const struct bt_stats *s, uint64_t cycles)
{
	return s->tsc_hz > 0 ? (double)cycles / s->tsc_hz : 0.0;
}

/* The time lines: bt_run() split into directly run user code, interpreter steps, the rest. */
static void print_time(const struct bt_stats *s, FILE *f)
{
	uint64_t other = s->tsc_run > s->tsc_direct + s->tsc_interp ?
			 s->tsc_run - s->tsc_direct - s->tsc_interp : 0;
	fprintf(f, LABEL "%.2f s in bt_run: user code direct %.2f s (%.0f %%), interpreter "
		   "%.2f s (%.0f %%), translated code + dispatcher %.2f s (%.0f %%)\n", "bt time",
		tsc_seconds(s, s->tsc_run), tsc_seconds(s, s->tsc_direct),
		pct(s->tsc_direct, s->tsc_run), tsc_seconds(s, s->tsc_interp),
		pct(s->tsc_interp, s->tsc_run), tsc_seconds(s, other), pct(other, s->tsc_run));
	if (!s->direct_enters)
		return;
	char line[512];
	int len = snprintf(line, sizeof(line), "%llu entries, %llu user page faults filled "
			   "without an exit; exits:", ull(s->direct_enters), ull(s->direct_fills));
	for (unsigned i = 0; i < BT_DX_N && len > 0 && (size_t)len < sizeof(line); i++)
		if (s->direct_exits[i])
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %s %llu",
					direct_exit_names[i], ull(s->direct_exits[i]));
	fprintf(f, LABEL "%s\n", "bt direct", line);
	fprintf(f, LABEL "%llu ring-alias repairs, %llu entries refused (segments the LDT cannot "
		   "mirror), %llu modify_ldt, %llu supervisor pages dropped on entry\n",
		"bt direct more", ull(s->direct_alias), ull(s->direct_refused), ull(s->ldt_writes),
		ull(s->win.user_drops));
}

static const char *mnemonic_name(unsigned m)
{
	if (m == 0)
		return "(undecodable)";
	const char *n = decode_mnemonic_name((uint16_t)m);
	return n ? n : "(unknown)";
}

/* The k most frequent TC-exit mnemonics into out, by count; returns how many there are. */
static unsigned top_exits(const struct bt_stats *s, unsigned *out, unsigned k)
{
	unsigned n = 0, total = 0;
	for (unsigned m = 0; m < BT_STATS_MNEMONICS; m++) {
		uint64_t c = s->tc_exit_mnemonic[m];
		if (!c)
			continue;
		total++;
		unsigned pos = n < k ? n++ : k;
		while (pos > 0 && s->tc_exit_mnemonic[out[pos - 1]] < c) {
			if (pos < k)
				out[pos] = out[pos - 1];
			pos--;
		}
		if (pos < k)
			out[pos] = m;
	}
	return total;
}

void bt_stats_print(const struct bt_stats *s, double seconds, FILE *f)
{
	const struct tc_stats *t = &s->tc;
	const struct window_stats *w = &s->win;
	uint64_t tr = translated(s);

	fprintf(f, LABEL "%llu blocks, %llu guest insns, %.1f KiB host code; TC %.1f of %.0f MiB, "
		   "%llu flushes\n", "bt blocks",
		ull(t->blocks), ull(t->guest_insns), t->host_bytes / 1024.0,
		t->code_used / 1048576.0, t->code_size / 1048576.0, ull(s->tc_flushes));
	char rw[512] = "";
	for (unsigned c = BT_CLASS_IDENT + 1; c < BT_CLASS_EXIT; c++) {
		size_t len = strlen(rw);
		if (t->insns[c])
			snprintf(rw + len, sizeof(rw) - len, " %s %llu", bt_class_name(c),
				 ull(t->insns[c]));
	}
	fprintf(f, LABEL "%.1f %% of translated insns (ident %llu, %llu byte for byte); "
		   "rewritten:%s\n", "bt identical",
		pct(t->insns[BT_CLASS_IDENT], tr), ull(t->insns[BT_CLASS_IDENT]),
		ull(t->ident_verbatim), rw[0] ? rw : " none");
	fprintf(f, LABEL "%llu before an insn the TC leaves (%llu refused by the emitter, "
		   "%llu undecodable); %llu at a page end, %llu crossing it translated\n",
		"bt block ends", ull(t->insns[BT_CLASS_EXIT]), ull(t->refused), ull(t->undecodable),
		ull(t->page_end), ull(t->crossing));
	fprintf(f, LABEL "%llu block entries; lookups: %llu jump cache, %llu index, %llu translated, "
		   "%llu none; %llu chains (%llu undone)\n", "bt dispatch",
		ull(s->enters), ull(s->lookup_jc), ull(s->lookup_index), ull(s->translations),
		ull(s->lookup_none), ull(s->chains), ull(s->unchains));
	fprintf(f, LABEL "branch %llu, indirect %llu (inline jump-cache misses), interp %llu, "
		   "poll %llu, fault %llu, sti %llu, sync %llu\n", "bt exits",
		ull(s->exits[BT_EXIT_BRANCH]), ull(s->exits[BT_EXIT_INDIRECT]),
		ull(s->exits[BT_EXIT_INTERP]), ull(s->exits[BT_EXIT_POLL]), ull(s->exits[BT_EXIT_FAULT]),
		ull(s->exits[BT_EXIT_STI]), ull(s->exits[BT_EXIT_SYNC]));
	fprintf(f, LABEL "in %llu, out %llu, rdtsc %llu, cpuid %llu, segload %llu (run from the TC, "
		   "no exit; %llu segloads left to the interpreter)\n",
		"bt callouts", ull(s->callouts[BT_CO_IN]), ull(s->callouts[BT_CO_OUT]),
		ull(s->callouts[BT_CO_RDTSC]), ull(s->callouts[BT_CO_CPUID]),
		ull(s->callouts[BT_CO_SEGLOAD]), ull(s->segload_refused));
	fprintf(f, LABEL "%llu insns/events (%.1f M/s): %llu TC exits, %llu faults redone, "
		   "%llu user, %llu other modes, %llu events, %llu no block, %llu lockstep\n",
		"bt interpreted",
		ull(s->interp_steps), seconds > 0 ? s->interp_steps / seconds / 1e6 : 0.0,
		ull(s->step_tc_exit), ull(s->step_fault), ull(s->step_user), ull(s->step_mode),
		ull(s->step_event), ull(s->step_no_block), ull(s->step_lockstep));
	print_time(s, f);
	if (s->lockstep)
		fprintf(f, LABEL "%llu instructions checked against the interpreter, "
			   "%llu differences\n", "bt lockstep",
			ull(s->lockstep_checked), ull(s->lockstep_differences));
	unsigned top[8];
	unsigned n = top_exits(s, top, 8);
	if (n) {
		char line[512] = "";
		for (unsigned i = 0; i < n && i < 8; i++) {
			size_t len = strlen(line);
			snprintf(line + len, sizeof(line) - len, "%s%s %llu", i ? ", " : "",
				 mnemonic_name(top[i]), ull(s->tc_exit_mnemonic[top[i]]));
		}
		fprintf(f, LABEL "%s%s\n", "bt exit insns", line, n > 8 ? ", ..." : "");
	}
	fprintf(f, LABEL "%llu fills (%llu in the TC handler), %llu pages mapped (%llu batched), "
		   "%llu guest #PF, %llu emulated, %llu TC faults outside the window\n", "bt shadow",
		ull(w->fills), ull(s->fills_in_handler), ull(w->pages_mapped), ull(w->batched),
		ull(w->guest_pf), ull(w->emulate), ull(s->outside_window));
	fprintf(f, LABEL "flushes all/non-global/page %llu/%llu/%llu; SMC: %llu TC writes, "
		   "%llu interp writes, %llu blocks dropped\n", "bt invalidate",
		ull(w->flush_all), ull(w->flush_nonglobal), ull(w->flush_page), ull(s->code_writes),
		ull(s->interp_code_writes), ull(s->invalidated_blocks));
}

void bt_stats_json(const struct bt_stats *s, double seconds, struct json *j)
{
	const struct tc_stats *t = &s->tc;
	const struct window_stats *w = &s->win;

	json_object(j, "translation");
	json_u64(j, "blocks", t->blocks);
	json_u64(j, "guest_insns", t->guest_insns);
	json_u64(j, "host_bytes", t->host_bytes);
	json_u64(j, "tc_bytes", t->code_size);
	json_u64(j, "tc_used", t->code_used);
	json_u64(j, "tc_flushes", s->tc_flushes);
	json_double(j, "identical_share", bt_stats_ident_share(s));
	json_u64(j, "ident_verbatim", t->ident_verbatim);
	json_object(j, "insns_by_class");
	for (unsigned c = 0; c < BT_NCLASSES; c++)
		json_u64(j, bt_class_name(c), t->insns[c]);
	json_close(j);
	json_u64(j, "exit_refused", t->refused);
	json_u64(j, "exit_undecodable", t->undecodable);
	json_u64(j, "exit_page_end", t->page_end);
	json_u64(j, "page_crossing", t->crossing);
	json_close(j);

	json_object(j, "dispatch");
	json_u64(j, "block_entries", s->enters);
	json_u64(j, "lookup_jump_cache", s->lookup_jc);
	json_u64(j, "lookup_index", s->lookup_index);
	json_u64(j, "lookup_translated", s->translations);
	json_u64(j, "lookup_none", s->lookup_none);
	json_u64(j, "inline_lookup_misses", s->exits[BT_EXIT_INDIRECT]);
	json_u64(j, "chains", s->chains);
	json_u64(j, "chains_undone", s->unchains);
	json_close(j);

	json_object(j, "exits");
	json_u64(j, "branch", s->exits[BT_EXIT_BRANCH]);
	json_u64(j, "indirect", s->exits[BT_EXIT_INDIRECT]);
	json_u64(j, "interp", s->exits[BT_EXIT_INTERP]);
	json_u64(j, "poll", s->exits[BT_EXIT_POLL]);
	json_u64(j, "fault", s->exits[BT_EXIT_FAULT]);
	json_u64(j, "sti", s->exits[BT_EXIT_STI]);
	json_u64(j, "sync", s->exits[BT_EXIT_SYNC]);
	json_close(j);

	json_object(j, "callouts");
	json_u64(j, "in", s->callouts[BT_CO_IN]);
	json_u64(j, "out", s->callouts[BT_CO_OUT]);
	json_u64(j, "rdtsc", s->callouts[BT_CO_RDTSC]);
	json_u64(j, "cpuid", s->callouts[BT_CO_CPUID]);
	json_u64(j, "segload", s->callouts[BT_CO_SEGLOAD]);
	json_u64(j, "segload_refused", s->segload_refused);
	json_close(j);

	json_object(j, "interpreted");
	json_u64(j, "total", s->interp_steps);
	json_double(j, "per_second", seconds > 0 ? s->interp_steps / seconds : 0.0);
	json_u64(j, "tc_exit", s->step_tc_exit);
	json_u64(j, "fault_redone", s->step_fault);
	json_u64(j, "user", s->step_user);
	json_u64(j, "other_mode", s->step_mode);
	json_u64(j, "event", s->step_event);
	json_u64(j, "no_block", s->step_no_block);
	json_u64(j, "lockstep", s->step_lockstep);
	json_close(j);

	json_object(j, "time");
	json_double(j, "tsc_hz", s->tsc_hz);
	json_double(j, "run_s", tsc_seconds(s, s->tsc_run));
	json_double(j, "user_direct_s", tsc_seconds(s, s->tsc_direct));
	json_double(j, "interpreter_s", tsc_seconds(s, s->tsc_interp));
	json_double(j, "translated_and_dispatch_s",
		    tsc_seconds(s, s->tsc_run > s->tsc_direct + s->tsc_interp ?
				   s->tsc_run - s->tsc_direct - s->tsc_interp : 0));
	json_close(j);

	json_object(j, "direct");
	json_u64(j, "entries", s->direct_enters);
	json_u64(j, "exits", direct_exits(s));
	json_u64(j, "page_faults_filled", s->direct_fills);
	json_u64(j, "alias_repairs", s->direct_alias);
	json_u64(j, "refused", s->direct_refused);
	json_u64(j, "modify_ldt", s->ldt_writes);
	json_u64(j, "supervisor_pages_dropped", s->win.user_drops);
	json_object(j, "exits_by_cause");
	for (unsigned i = 0; i < BT_DX_N; i++)
		json_u64(j, direct_exit_names[i], s->direct_exits[i]);
	json_close(j);
	json_close(j);

	json_object(j, "lockstep");
	json_bool(j, "on", s->lockstep);
	json_u64(j, "checked", s->lockstep_checked);
	json_u64(j, "differences", s->lockstep_differences);
	json_close(j);

	json_object(j, "tc_exits_by_mnemonic");
	for (unsigned m = 0; m < BT_STATS_MNEMONICS; m++)
		if (s->tc_exit_mnemonic[m])
			json_u64(j, mnemonic_name(m), s->tc_exit_mnemonic[m]);
	json_close(j);

	json_object(j, "shadow");
	json_u64(j, "fills", w->fills);
	json_u64(j, "fills_in_tc_handler", s->fills_in_handler);
	json_u64(j, "pages_mapped", w->pages_mapped);
	json_u64(j, "batched", w->batched);
	json_u64(j, "guest_page_faults", w->guest_pf);
	json_u64(j, "emulated", w->emulate);
	json_u64(j, "mapped_now", w->mapped_now);
	json_u64(j, "syscalls", w->syscalls);
	json_close(j);

	json_object(j, "invalidation");
	json_u64(j, "flush_all", w->flush_all);
	json_u64(j, "flush_nonglobal", w->flush_nonglobal);
	json_u64(j, "flush_page", w->flush_page);
	json_u64(j, "flush_vma_limit", w->flush_vma_limit);
	json_u64(j, "blocks_dropped", s->invalidated_blocks);
	json_close(j);

	json_object(j, "smc");
	json_u64(j, "tc_writes", s->code_writes);
	json_u64(j, "interp_writes", s->interp_code_writes);
	json_u64(j, "window_code_write_faults", w->code_writes);
	json_close(j);

	json_u64(j, "tc_faults_outside_window", s->outside_window);
}
