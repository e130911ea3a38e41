/*
 * stats_kvm.c - formats engine kvm's counters (struct kvm_vm_stats,
 * kvm/kvm_vm.h) as the aligned "softvt: stats:" lines of --stats, in the
 * bt engine's format (stats_bt.c), and as the "kvm" object of
 * --stats-json: exits by KVM exit reason (the names of kvm_exit_name(),
 * zero counts left out of the text, all kept in the JSON's "exits"),
 * KVM_RUN calls, interrupts injected, port and MMIO accesses, state syncs.
 */
#include "vmm/stats_kvm.h"

#include <string.h>

#define LABEL "softvt: stats: %-14s "

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

static uint64_t total_exits(const struct kvm_vm_stats *s)
{
	uint64_t n = s->exits_other;
	for (unsigned i = 0; i < KVM_VM_NEXITS; i++)
		n += s->exits[i];
	return n;
}

void kvm_stats_print(const struct kvm_vm_stats *s, double seconds, FILE *f)
{
	uint64_t n = total_exits(s);
	fprintf(f, LABEL "%llu KVM_RUN calls, %llu exits (%.1f k/s), %llu ended by the timer or a kick\n",
		"kvm", ull(s->runs), ull(n), seconds > 0 ? n / seconds / 1e3 : 0.0, ull(s->eintr));
	char line[512];
	size_t len = 0;
	line[0] = '\0';
	for (unsigned i = 0; i < KVM_VM_NEXITS && len < sizeof(line); i++)
		if (s->exits[i])
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s %llu",
						len ? ", " : "", kvm_exit_name(i), ull(s->exits[i]));
	if (s->exits_other && len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, "%sother %llu", len ? ", " : "",
			 ull(s->exits_other));
	fprintf(f, LABEL "%s\n", "kvm exits", line[0] ? line : "none");
	fprintf(f, LABEL "in %llu, out %llu (%llu in string I/O), mmio read %llu, write %llu\n",
		"kvm io", ull(s->io_in), ull(s->io_out), ull(s->io_string_elems),
		ull(s->mmio_read), ull(s->mmio_write));
	fprintf(f, LABEL "%llu injected, %llu runs asked for an interrupt window\n",
		"kvm interrupts", ull(s->injected), ull(s->window_requests));
	fprintf(f, LABEL "%llu imports, %llu exports of the CPU state; %llu memory slots "
		   "(mapped %llu times: A20), ROM %s\n",
		"kvm state", ull(s->state_imports), ull(s->state_exports), ull(s->slots),
		ull(s->memory_maps), s->readonly_rom ? "read-only" : "writable (no KVM_CAP_READONLY_MEM)");
}

void kvm_stats_json(const struct kvm_vm_stats *s, double seconds, struct json *j)
{
	uint64_t n = total_exits(s);
	json_u64(j, "runs", s->runs);
	json_u64(j, "exits_total", n);
	json_double(j, "exits_per_second", seconds > 0 ? n / seconds : 0.0);
	json_u64(j, "interrupted_runs", s->eintr);
	json_object(j, "exits");
	for (unsigned i = 0; i < KVM_VM_NEXITS; i++)
		if (s->exits[i])
			json_u64(j, kvm_exit_name(i), s->exits[i]);
	if (s->exits_other)
		json_u64(j, "other", s->exits_other);
	json_close(j);
	json_u64(j, "io_in", s->io_in);
	json_u64(j, "io_out", s->io_out);
	json_u64(j, "io_string_elements", s->io_string_elems);
	json_u64(j, "mmio_read", s->mmio_read);
	json_u64(j, "mmio_write", s->mmio_write);
	json_u64(j, "interrupts_injected", s->injected);
	json_u64(j, "interrupt_window_requests", s->window_requests);
	json_u64(j, "state_imports", s->state_imports);
	json_u64(j, "state_exports", s->state_exports);
	json_u64(j, "memory_slots", s->slots);
	json_u64(j, "memory_maps", s->memory_maps);
	json_bool(j, "readonly_rom", s->readonly_rom);
}
